//! Configuration: flags or environment variables, with defaults that run on one machine with no set-up.
use clap::Parser;
use std::{net::SocketAddr, path::PathBuf};

#[derive(Parser, Debug, Clone)]
#[command(name = "promess-server", about = "ProMess Inscription: registration API and wizard")]
pub struct Config {
    /// Without a command: serve.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The logs' form: `text` (for a person; coloured only on a terminal) or `json` (one object a line, for a log
    /// collector).
    #[arg(long, env = "PROMESS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Where Prometheus reads the metrics (`GET /metrics`): an address of the operator's network, never the public
    /// one; none by default.
    #[arg(long, env = "PROMESS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Address to listen on.
    #[arg(long, env = "PROMESS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// sqlite://… (default: a file in ./data) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/promess.db?mode=rwc")]
    pub database_url: String,
    /// The built wizard (trunk build --release).
    #[arg(long, env = "PROMESS_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Domain of the secure mailboxes.
    #[arg(long, env = "PROMESS_DOMAIN", default_value = "sante-na.fr")]
    pub domain: String,
    /// Where emails go: file://FOLDER (.eml files), smtp://HOST:PORT (a relay, in clear),
    /// smtp://USER:PASS@HOST:587?tls=starttls or smtps://USER:PASS@HOST:465.
    #[arg(long, env = "PROMESS_MAIL", default_value = "file://outbox", hide_env_values = true)]
    pub mail: String,
    /// The authority (PEM) of the SMTP server's certificate, when it is a private one; default: the system's.
    #[arg(long, env = "PROMESS_MAIL_CA")]
    pub mail_ca: Option<PathBuf>,
    /// Sender of the confirmation emails.
    #[arg(
        long,
        env = "PROMESS_MAIL_FROM",
        default_value = "Messagerie sécurisée Nouvelle-Aquitaine <notification@esea-na.fr>"
    )]
    pub mail_from: String,
    /// The webmail link given in the confirmation email.
    #[arg(long, env = "PROMESS_WEBMAIL", default_value = "https://mail.sante-na.fr/")]
    pub webmail: String,
    /// Origins of the app allowed to call the API (comma-separated); default: the listen address's.
    #[arg(long, env = "PROMESS_ORIGINS", value_delimiter = ',')]
    pub origins: Vec<String>,
    /// Database connections of this process at most (each instance has its own pool: N instances hold up to N times
    /// this many; PostgreSQL's max_connections must allow it).
    #[arg(long, env = "PROMESS_DB_POOL", default_value_t = 8)]
    pub db_pool: u32,
    /// Registrations accepted per client address and minute; more answer 429.
    #[arg(long, env = "PROMESS_RATE_LIMIT", default_value_t = 10)]
    pub rate_limit: u32,
    /// The authorities whose CPS cards are believed (PEM bundle): IGC-Santé's in production, the simulated card's
    /// test CA in tests and `scripts/run`. Without it, registrations with the card are refused.
    #[arg(long, env = "PROMESS_CARD_TRUST")]
    pub card_trust: Option<PathBuf>,
    /// The CRLs of those authorities (comma-separated files, DER or PEM), read again when they change. A card
    /// whose authority has no current CRL is refused.
    #[arg(long, env = "PROMESS_CARD_CRL", value_delimiter = ',')]
    pub card_crl: Vec<PathBuf>,
    /// Pro Santé Connect's issuer (e.g. https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet). With the client id
    /// and the secret's file, the wizard offers « Se connecter avec Pro Santé Connect »; without them it does not.
    #[arg(long, env = "PROMESS_PSC_ISSUER")]
    pub psc_issuer: Option<String>,
    /// Where the provider's configuration is read when it is not the issuer's /.well-known/openid-configuration
    /// (PSC publishes …/.well-known/wallet-openid-configuration).
    #[arg(long, env = "PROMESS_PSC_DISCOVERY_URL")]
    pub psc_discovery_url: Option<String>,
    /// Our client id at Pro Santé Connect.
    #[arg(long, env = "PROMESS_PSC_CLIENT_ID")]
    pub psc_client_id: Option<String>,
    /// A file holding our client secret at Pro Santé Connect (never on the command line).
    #[arg(long, env = "PROMESS_PSC_CLIENT_SECRET_FILE")]
    pub psc_client_secret_file: Option<PathBuf>,
    /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client; others' is ignored.
    #[arg(long, env = "PROMESS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Days a refused request's data is kept before it is deleted and its identifier freed.
    #[arg(long, env = "PROMESS_REFUSED_RETENTION_DAYS", default_value_t = promess_core::lifecycle::REFUSED_RETENTION_DAYS)]
    pub refused_retention_days: i64,
    /// The mail system's LDAP directory, where activated accounts are written: ldap://HOST:389 or ldaps://HOST:636.
    /// Without it, each account is written as an LDIF file to PROMESS_PROVISIONING_DIR.
    #[arg(long, env = "PROMESS_LDAP_URL")]
    pub ldap_url: Option<String>,
    /// The DN that binds to the directory and writes the accounts.
    #[arg(long, env = "PROMESS_LDAP_BIND_DN", default_value = "")]
    pub ldap_bind_dn: String,
    /// A file holding the bind DN's password (never on the command line).
    #[arg(long, env = "PROMESS_LDAP_PASSWORD_FILE")]
    pub ldap_password_file: Option<PathBuf>,
    /// The people's branch the accounts go under; default: ou=people under the mail domain's dc= components.
    #[arg(long, env = "PROMESS_LDAP_BASE_DN")]
    pub ldap_base_dn: Option<String>,
    /// StartTLS on an ldap:// URL (required, not opportunistic).
    #[arg(long, env = "PROMESS_LDAP_STARTTLS")]
    pub ldap_starttls: bool,
    /// The authority (PEM) of the directory's certificate, when it is a private one; default: the system's.
    #[arg(long, env = "PROMESS_LDAP_CA")]
    pub ldap_ca: Option<PathBuf>,
    /// Where the LDIF files of the accounts go without PROMESS_LDAP_URL.
    #[arg(long, env = "PROMESS_PROVISIONING_DIR", default_value = "provisioning")]
    pub provisioning_dir: PathBuf,
    /// Domain of MSSanté mailboxes.
    #[arg(long, env = "PROMESS_MSSANTE_DOMAIN", default_value = "na.mssante.fr")]
    pub mssante_domain: String,
}

/// The logs' form.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Command {
    /// The emails not sent yet, dead ones (never to leave) first; `relancer` retries the dead ones.
    Outbox {
        #[command(subcommand)]
        action: Option<Relancer>,
    },
    /// The mail accounts not yet written to the directory (dead ones first); `relancer` retries the dead ones.
    Comptes {
        #[command(subcommand)]
        action: Option<Relancer>,
    },
    /// An online copy of the SQLite database into a new file (PostgreSQL: pg_dump), while the server runs.
    Sauvegarde { fichier: PathBuf },
    /// The operator's staff who sign in to the console at /operateur.
    #[command(subcommand)]
    Operateurs(Operateurs),
    /// The national RPPS directory's extract, for the operator's check.
    #[command(subcommand)]
    Annuaire(Annuaire),
    /// The requests: list them, accept or refuse one in review (until the operator's console does it).
    #[command(subcommand)]
    Demandes(Demandes),
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Operateurs {
    /// Creates an operator: asks the password twice (at least 12 characters; read from standard input when it is
    /// not a terminal), then prints the TOTP secret's otpauth:// URI and its QR code for an authenticator app.
    Ajouter { login: String },
    /// Disables an operator and ends their sessions.
    Desactiver { login: String },
    /// Lists the operators.
    Lister,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Annuaire {
    /// Imports PS_LibreAcces_Personne_activite_*.txt (or its zip, as published): it replaces the previous import
    /// once it is whole.
    Importer {
        file: PathBuf,
        /// Who imports (recorded); default: the system user.
        #[arg(long)]
        par: Option<String>,
    },
    /// Says which extract is loaded: its file, date and counts.
    Etat,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Relancer {
    /// Gives the jobs given up (the server down too long, or refusing them) a new series of attempts.
    Relancer,
}

impl Config {
    /// The people's branch of the directory.
    pub fn base_dn(&self) -> String {
        self.ldap_base_dn.clone().unwrap_or_else(|| crate::provisioning::default_base_dn(&self.domain))
    }

    /// Where activated accounts go, from the settings.
    pub fn directory(&self) -> Result<crate::provisioning::Directory, String> {
        use crate::provisioning::{Directory, Ldap};
        let Some(url) = &self.ldap_url else {
            return Ok(Directory::Folder(self.provisioning_dir.clone()));
        };
        if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
            return Err(format!("PROMESS_LDAP_URL {url}: expected ldap://HOST:PORT or ldaps://HOST:PORT"));
        }
        let password = match &self.ldap_password_file {
            Some(file) => std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?,
            None => return Err("PROMESS_LDAP_URL needs PROMESS_LDAP_PASSWORD_FILE (the bind DN's password)".into()),
        };
        let tls = self.ldap_ca.as_deref().map(Ldap::trusting).transpose()?;
        Ok(Directory::Ldap(std::sync::Arc::new(Ldap {
            url: url.clone(),
            bind_dn: self.ldap_bind_dn.clone(),
            password: password.trim_end_matches(['\n', '\r']).to_owned(),
            starttls: self.ldap_starttls,
            tls,
        })))
    }
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Demandes {
    /// Lists the requests, oldest first.
    Lister {
        /// Only those in this state: email_a_confirmer, en_verification, active, refusee.
        #[arg(long)]
        statut: Option<String>,
    },
    /// Accepts a request in review: the account becomes active, is written to the directory, then its acceptance
    /// email leaves.
    Accepter {
        id: String,
        /// Who decides (recorded in the request's history); default: the system user.
        #[arg(long)]
        par: Option<String>,
    },
    /// Refuses a request in review, with a reason and a text sent to the professional.
    Refuser {
        id: String,
        /// numero_introuvable, identite_discordante, profession_non_eligible, demande_en_double, autre.
        #[arg(long)]
        motif: String,
        #[arg(long)]
        detail: String,
        #[arg(long)]
        par: Option<String>,
    },
}

impl Config {
    /// The Pro Santé Connect client, when the issuer, the client id and the secret's file are all set; an error when
    /// only some are.
    pub fn psc(&self) -> Result<Option<crate::psc::Psc>, String> {
        match (&self.psc_issuer, &self.psc_client_id, &self.psc_client_secret_file) {
            (None, None, None) => Ok(None),
            (Some(issuer), Some(client_id), Some(file)) => {
                let secret = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
                let secret = secret.trim().to_owned();
                if secret.is_empty() {
                    return Err(format!("{}: the client secret is empty", file.display()));
                }
                crate::psc::Psc::new(issuer, self.psc_discovery_url.as_deref(), client_id, secret)
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
            _ => Err("Pro Santé Connect needs PROMESS_PSC_ISSUER, PROMESS_PSC_CLIENT_ID and \
                      PROMESS_PSC_CLIENT_SECRET_FILE together"
                .into()),
        }
    }
}
