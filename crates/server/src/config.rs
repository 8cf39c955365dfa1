//! Configuration: flags or environment variables, with defaults that run on one machine with no set-up.
use clap::Parser;
use std::{net::SocketAddr, path::PathBuf};

#[derive(Parser, Debug, Clone)]
#[command(name = "promess-server", about = "ProMess Inscription: registration API and wizard")]
pub struct Config {
    /// Without a command: serve.
    #[command(subcommand)]
    pub command: Option<Command>,
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
    /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client; others' is ignored.
    #[arg(long, env = "PROMESS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Days a refused request's data is kept before it is deleted and its identifier freed.
    #[arg(long, env = "PROMESS_REFUSED_RETENTION_DAYS", default_value_t = promess_core::lifecycle::REFUSED_RETENTION_DAYS)]
    pub refused_retention_days: i64,
    /// Domain of MSSanté mailboxes.
    #[arg(long, env = "PROMESS_MSSANTE_DOMAIN", default_value = "na.mssante.fr")]
    pub mssante_domain: String,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Command {
    /// Lists the emails not sent yet, dead ones (never to leave) first, and exits.
    Outbox,
    /// The requests: list them, accept or refuse one in review (until the operator's console does it).
    #[command(subcommand)]
    Demandes(Demandes),
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Demandes {
    /// Lists the requests, oldest first.
    Lister {
        /// Only those in this state: email_a_confirmer, en_verification, active, refusee.
        #[arg(long)]
        statut: Option<String>,
    },
    /// Accepts a request in review: the account becomes active and its acceptance email leaves.
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
