//! The mailbox: an activated registration's account written to the mail system's directory, from which the mail
//! servers (Dovecot, Postfix, the commercial suites) read their accounts. The activation queues it (`provisioning`
//! table, in the same transaction); a worker writes it, retried with a backoff while the directory is down, then
//! queues the acceptance email: the professional is told their mailbox is open only once it is.
//!
//! The entry is an `inetOrgPerson` whose `userPassword` is the argon2id hash taken at registration, in the form mail
//! servers read (`{ARGON2ID}$argon2id$v=19$…`); the server never has the clear password. Written again, it is
//! updated, never duplicated.
use crate::{
    db::{self, Queue},
    email::{Email, Kind},
    outbox::LEASE_SECS,
};
use base64::Engine;
use ldap3::{LdapConnAsync, LdapConnSettings, Mod};
use promess_core::lifecycle::Statut;
use sqlx::AnyPool;
use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

/// Where accounts go: LDIF files in a folder (what would be sent to a directory, for a newcomer to read), or an LDAP
/// directory.
#[derive(Clone)]
pub enum Directory {
    Folder(PathBuf),
    Ldap(Arc<Ldap>),
}

/// An LDAP directory: `ldap://host:389` (on the operator's network; StartTLS when `starttls`) or
/// `ldaps://host:636`, and a bind DN that may write under the people's branch.
pub struct Ldap {
    pub url: String,
    pub bind_dn: String,
    pub password: String,
    pub starttls: bool,
    /// The authorities of the server's certificate when they are not the system's.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Ldap {
    /// A TLS configuration that believes the authorities of a PEM file (a private CA).
    pub fn trusting(ca: &Path) -> Result<Arc<rustls::ClientConfig>, String> {
        use rustls_pki_types::{CertificateDer, pem::PemObject};
        let shown = |e: &dyn std::fmt::Display| format!("{}: {e}", ca.display());
        let mut roots = rustls::RootCertStore::empty();
        for certificate in CertificateDer::pem_file_iter(ca).map_err(|e| shown(&e))? {
            roots.add(certificate.map_err(|e| shown(&e))?).map_err(|e| shown(&e))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| shown(&e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

/// The default people's branch of a mail domain: `sante-na.fr` → `ou=people,dc=sante-na,dc=fr`.
pub fn default_base_dn(domain: &str) -> String {
    let dcs: Vec<String> = domain.split('.').map(|label| format!("dc={}", ldap3::dn_escape(label))).collect();
    format!("ou=people,{}", dcs.join(","))
}

/// One account of the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub uid: String,
    pub mail: String,
    pub given_name: String,
    pub sn: String,
    /// The PHC string of the password's argon2id hash.
    pub password_hash: String,
}

/// The scheme prefix under which mail servers read an argon2id PHC string (Dovecot: `{ARGON2ID}`).
pub const PASSWORD_SCHEME: &str = "{ARGON2ID}";

const OBJECT_CLASSES: [&str; 4] = ["top", "person", "organizationalPerson", "inetOrgPerson"];

impl Account {
    pub fn dn(&self, base_dn: &str) -> String {
        format!("uid={},{base_dn}", ldap3::dn_escape(&self.uid))
    }

    /// Its attributes but the object classes, each with its one value.
    pub fn attributes(&self) -> [(&'static str, String); 6] {
        [
            ("uid", self.uid.clone()),
            ("mail", self.mail.clone()),
            ("cn", format!("{} {}", self.given_name, self.sn)),
            ("sn", self.sn.clone()),
            ("givenName", self.given_name.clone()),
            ("userPassword", format!("{PASSWORD_SCHEME}{}", self.password_hash)),
        ]
    }

    /// The entry as LDIF (RFC 2849), as `ldapadd` reads it: a value that is not plain ASCII goes in base64.
    pub fn ldif(&self, base_dn: &str) -> String {
        let mut out = String::from(
            "# ProMess Inscription : compte de messagerie à créer dans l'annuaire (ldapadd -f ce fichier ; \
             ldapmodify s'il existe déjà)\n",
        );
        out.push_str(&ldif_line("dn", &self.dn(base_dn)));
        for class in OBJECT_CLASSES {
            out.push_str(&ldif_line("objectClass", class));
        }
        for (name, value) in self.attributes() {
            out.push_str(&ldif_line(name, &value));
        }
        out
    }
}

/// `name: value`, or `name:: base64` when the value is not a SAFE-STRING (RFC 2849: ASCII without NUL, CR, LF,
/// not beginning with a space, a colon or `<`, and not ending with a space).
fn ldif_line(name: &str, value: &str) -> String {
    let safe = value.bytes().all(|b| b.is_ascii() && !matches!(b, 0 | b'\n' | b'\r'))
        && !value.starts_with([' ', ':', '<'])
        && !value.ends_with(' ');
    if safe {
        format!("{name}: {value}\n")
    } else {
        format!("{name}:: {}\n", base64::engine::general_purpose::STANDARD.encode(value))
    }
}

/// Why an account was not written.
#[derive(Debug)]
pub struct Failure(pub String);

/// The longest one write to the directory may take, connection included.
const WRITE_LIMIT: Duration = Duration::from_secs(30);

/// LDAP's entryAlreadyExists.
const ALREADY_EXISTS: u32 = 68;

impl Directory {
    /// Writes `account`: created, or updated when an entry with its uid is there.
    pub async fn write(&self, account: &Account, base_dn: &str) -> Result<(), Failure> {
        match self {
            Directory::Folder(dir) => {
                // Written whole then renamed: a reader never sees half an entry. One file per account: written
                // again, it is replaced.
                let name = format!("{}.ldif", account.uid);
                let tmp = dir.join(format!(".{name}.tmp"));
                let failed = |e: std::io::Error| Failure(format!("{}: {e}", dir.display()));
                tokio::fs::create_dir_all(dir).await.map_err(failed)?;
                tokio::fs::write(&tmp, account.ldif(base_dn)).await.map_err(failed)?;
                tokio::fs::rename(&tmp, dir.join(name)).await.map_err(failed)
            }
            Directory::Ldap(ldap) => match tokio::time::timeout(WRITE_LIMIT, ldap.write(account, base_dn)).await {
                Ok(written) => written.map_err(|e| Failure(format!("{}: {e}", ldap.url))),
                Err(_) => Err(Failure(format!("{}: no answer in {WRITE_LIMIT:?}", ldap.url))),
            },
        }
    }
}

impl Ldap {
    async fn write(&self, account: &Account, base_dn: &str) -> Result<(), ldap3::LdapError> {
        let mut settings =
            LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10)).set_starttls(self.starttls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &self.url).await?;
        ldap3::drive!(conn);
        ldap.simple_bind(&self.bind_dn, &self.password).await?.success()?;
        let dn = account.dn(base_dn);
        let attributes = account.attributes();
        let mut entry: Vec<(&str, HashSet<&str>)> = vec![("objectClass", OBJECT_CLASSES.into_iter().collect())];
        entry.extend(attributes.iter().map(|(name, value)| (*name, HashSet::from([value.as_str()]))));
        let added = ldap.add(&dn, entry).await?;
        if added.rc == ALREADY_EXISTS {
            // Written before (a retry after a lost answer, or the account provisioned again): brought up to date.
            let changes =
                attributes.iter().map(|(name, value)| Mod::Replace(*name, HashSet::from([value.as_str()]))).collect();
            ldap.modify(&dn, changes).await?.success()?;
        } else {
            added.success()?;
        }
        let _ = ldap.unbind().await;
        Ok(())
    }
}

/// Attempts before an account is given up as dead (about four hours of a directory down, at 10 minutes between
/// the last ones); a dead one waits for the operator (`promess-server comptes relancer`).
pub const MAX_ATTEMPTS: i64 = 30;

/// What the worker needs besides the database.
#[derive(Clone)]
pub struct Provisioner {
    pub directory: Directory,
    /// The people's branch the accounts go under (`ou=people,dc=…`).
    pub base_dn: String,
    /// The webmail link of the acceptance email.
    pub webmail: Arc<str>,
}

type Due = (String, String, i64, i64);
type Person = (String, String, String, String, String, String, String, String);

/// Writes every account due at `now`, each then followed by its acceptance email; returns how many were written.
pub async fn provision_due(db: &AnyPool, p: &Provisioner, now: i64) -> Result<usize, sqlx::Error> {
    let due: Vec<Due> = sqlx::query_as(
        "SELECT id, registration_id, attempts, next_attempt_at FROM provisioning \
         WHERE done_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT 50",
    )
    .bind(now)
    .fetch_all(db)
    .await?;
    let started = std::time::Instant::now();
    let mut written = 0;
    for (id, registration, attempts, due_at) in due {
        let taken_at = now + started.elapsed().as_secs() as i64;
        if !Queue::Provisioning.claim(db, &id, due_at, taken_at + LEASE_SECS).await? {
            continue; // Another worker took it.
        }
        let person: Option<Person> = sqlx::query_as(
            "SELECT statut, identifiant, adresse, prenom, nom, password_hash, civilite, email FROM registrations \
             WHERE id = $1",
        )
        .bind(&registration)
        .fetch_optional(db)
        .await?;
        let result = match &person {
            Some((statut, uid, mail, given_name, sn, hash, ..)) if statut == Statut::Active.key() => {
                let account = Account {
                    uid: uid.clone(),
                    mail: mail.clone(),
                    given_name: given_name.clone(),
                    sn: sn.clone(),
                    password_hash: hash.clone(),
                };
                p.directory.write(&account, &p.base_dn).await
            }
            _ => Err(Failure("the registration is not active".into())),
        };
        let attempts = attempts + 1;
        match (result, person) {
            (Ok(()), Some((_, identifiant, _, _, _, _, civilite, to))) => {
                let mut tx = db::begin_write(db).await?;
                let done = sqlx::query(
                    "UPDATE provisioning SET done_at = $1, attempts = $2 WHERE id = $3 AND done_at IS NULL",
                )
                .bind(taken_at)
                .bind(attempts)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    continue; // Written by another worker meanwhile, which sent the email.
                }
                sqlx::query("UPDATE registrations SET provisioned_at = $1 WHERE id = $2")
                    .bind(taken_at)
                    .bind(&registration)
                    .execute(&mut *tx)
                    .await?;
                let detail = "Boîte aux lettres créée dans l'annuaire de la messagerie.";
                db::record_event(&mut tx, &registration, Statut::Active, Some("annuaire"), Some(detail), taken_at)
                    .await?;
                let kind = Kind::Accepted { webmail: &p.webmail };
                let email = Email { civilite: &civilite, identifiant: &identifiant, kind }.render();
                db::queue_email(&mut tx, &registration, &to, &email, taken_at).await?;
                tx.commit().await?;
                tracing::info!(%identifiant, "account written to the directory");
                written += 1;
            }
            (result, _) => {
                let error = result.err().map_or_else(|| "the registration is gone".into(), |f| f.0);
                Queue::Provisioning.failed(db, &id, attempts, taken_at, &error, attempts >= MAX_ATTEMPTS).await?;
            }
        }
    }
    Ok(written)
}

/// An account not written yet, or given up (`dead_at`), for the operator.
#[derive(Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    pub identifiant: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub dead_at: Option<i64>,
}

/// The accounts not written, dead ones first.
pub async fn pending(db: &AnyPool) -> Result<Vec<Pending>, sqlx::Error> {
    let rows: Vec<(String, String, i64, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT p.id, r.identifiant, p.attempts, p.last_error, p.dead_at FROM provisioning p \
         JOIN registrations r ON r.id = p.registration_id WHERE p.done_at IS NULL \
         ORDER BY p.dead_at IS NULL, p.next_attempt_at",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, identifiant, attempts, last_error, dead_at)| Pending {
            id,
            identifiant,
            attempts,
            last_error,
            dead_at,
        })
        .collect())
}

/// Gives the dead accounts another series of attempts from `now` (once the operator fixed the directory);
/// returns how many.
pub async fn retry_dead(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let retried = sqlx::query(
        "UPDATE provisioning SET dead_at = NULL, attempts = 0, next_attempt_at = $1 \
         WHERE dead_at IS NOT NULL AND done_at IS NULL",
    )
    .bind(now)
    .execute(db)
    .await?;
    Ok(retried.rows_affected())
}

/// The background worker: every `every`, the due accounts.
pub fn spawn_worker(db: AnyPool, provisioner: Provisioner, every: Duration) -> tokio::task::JoinHandle<()> {
    Queue::Provisioning.spawn_worker(every, move || {
        let (db, p) = (db.clone(), provisioner.clone());
        async move { provision_due(&db, &p, crate::outbox::now_secs()).await }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(given_name: &str) -> Account {
        Account {
            uid: "helene.dupont".into(),
            mail: "helene.dupont@sante-na.fr".into(),
            given_name: given_name.into(),
            sn: "Dupont".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        }
    }

    #[test]
    fn the_ldif_entry_carries_the_hash_in_the_mail_servers_form_and_encodes_accents() {
        let ldif = account("Hélène").ldif("ou=people,dc=sante-na,dc=fr");
        assert!(ldif.contains("\ndn: uid=helene.dupont,ou=people,dc=sante-na,dc=fr\n"), "{ldif}");
        assert!(ldif.contains("\nobjectClass: inetOrgPerson\n"), "{ldif}");
        assert!(ldif.contains("\nuserPassword: {ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\n"), "{ldif}");
        // "Hélène" and "Hélène Dupont" are not ASCII: base64 of their UTF-8.
        assert!(ldif.contains("\ngivenName:: SMOpbMOobmU=\n"), "{ldif}");
        assert!(ldif.contains("\ncn:: SMOpbMOobmUgRHVwb250\n"), "{ldif}");
        assert!(account("Anne").ldif("ou=people,dc=x").contains("\ncn: Anne Dupont\n"));
    }

    #[test]
    fn values_that_ldif_would_misread_go_in_base64() {
        assert_eq!(ldif_line("cn", ":x"), "cn:: Ong=\n");
        assert_eq!(ldif_line("cn", " x"), "cn:: IHg=\n");
        assert_eq!(ldif_line("cn", "x "), "cn:: eCA=\n");
        assert_eq!(ldif_line("cn", "a\nb"), "cn:: YQpi\n");
        assert_eq!(ldif_line("cn", "a:b"), "cn: a:b\n");
    }

    #[test]
    fn the_default_branch_follows_the_mail_domain() {
        assert_eq!(default_base_dn("sante-na.fr"), "ou=people,dc=sante-na,dc=fr");
        let dn = account("Anne").dn("ou=people,dc=x");
        assert_eq!(dn, "uid=helene.dupont,ou=people,dc=x");
    }
}
