//! The mailbox: an activated registration's account written to the mail system's directory, from which the mail
//! servers (Dovecot, Postfix, the commercial suites) read their accounts. The activation queues it (`provisioning`
//! table, in the same transaction); a worker writes it, retried with a backoff while the directory is down, then
//! queues the acceptance email: the professional is told their mailbox is open only once it is.
//!
//! The entry is an `inetOrgPerson` whose `userPassword` is the argon2id hash taken at registration, in the form mail
//! servers read (`{ARGON2ID}$argon2id$v=19$…`); the server never has the clear password. Written again, it is
//! updated, never duplicated.
use crate::{
    email::{self, Email},
    queue::{self, Failure, Job, Kind},
    store::{
        Store,
        jobs::{self, Due},
        registrations,
    },
};
use base64::Engine;
use ldap3::{LdapConnAsync, LdapConnSettings, Mod};
use promess_core::lifecycle::Statut;
use sqlx::AnyConnection;
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
    /// The national id (`8`+RPPS or `0`+ADELI) of an account whose identity was proven (card or Pro Santé Connect),
    /// in `employeeNumber`: how a mail system maps a Pro Santé Connect sign-in to the mailbox.
    pub national_id: Option<String>,
}

/// The attribute that carries a proven account's national id.
pub const NATIONAL_ID_ATTRIBUTE: &str = "employeeNumber";

/// The scheme prefix under which mail servers read an argon2id PHC string (Dovecot: `{ARGON2ID}`).
pub const PASSWORD_SCHEME: &str = "{ARGON2ID}";

const OBJECT_CLASSES: [&str; 4] = ["top", "person", "organizationalPerson", "inetOrgPerson"];

/// The entry of the account `uid` under `base_dn`.
pub fn dn(uid: &str, base_dn: &str) -> String {
    format!("uid={},{base_dn}", ldap3::dn_escape(uid))
}

impl Account {
    pub fn dn(&self, base_dn: &str) -> String {
        dn(&self.uid, base_dn)
    }

    /// Its attributes but the object classes, each with its one value.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        let mut attributes = vec![
            ("uid", self.uid.clone()),
            ("mail", self.mail.clone()),
            ("cn", format!("{} {}", self.given_name, self.sn)),
            ("sn", self.sn.clone()),
            ("givenName", self.given_name.clone()),
            ("userPassword", format!("{PASSWORD_SCHEME}{}", self.password_hash)),
        ];
        if let Some(id) = &self.national_id {
            attributes.push((NATIONAL_ID_ATTRIBUTE, id.clone()));
        }
        attributes
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
pub struct WriteError(pub String);

/// The longest one write to the directory may take, connection included.
const WRITE_LIMIT: Duration = Duration::from_secs(30);

/// LDAP's entryAlreadyExists.
const ALREADY_EXISTS: u32 = 68;
/// LDAP's noSuchObject.
const NO_SUCH_OBJECT: u32 = 32;

/// A change of an entry that exists: its new password, or its removal.
#[derive(Clone, Copy, Debug)]
pub enum Change<'a> {
    Password(&'a str),
    Removal,
}

impl Change<'_> {
    /// The change as LDIF (`ldapmodify -f`).
    fn ldif(&self, dn: &str) -> String {
        let mut out =
            String::from("# ProMess Inscription : modification d'un compte de l'annuaire (ldapmodify -f ce fichier)\n");
        out.push_str(&ldif_line("dn", dn));
        match self {
            Change::Password(hash) => {
                out.push_str("changetype: modify\nreplace: userPassword\n");
                out.push_str(&ldif_line("userPassword", &format!("{PASSWORD_SCHEME}{hash}")));
                out.push_str("-\n");
            }
            Change::Removal => out.push_str("changetype: delete\n"),
        }
        out
    }

    fn name(&self) -> &'static str {
        match self {
            Change::Password(_) => "mot-de-passe",
            Change::Removal => "suppression",
        }
    }
}

impl Directory {
    /// Writes `account`: created, or updated when an entry with its uid is there.
    pub async fn write(&self, account: &Account, base_dn: &str) -> Result<(), WriteError> {
        match self {
            Directory::Folder(dir) => {
                // Written whole then renamed: a reader never sees half an entry. One file per account: written
                // again, it is replaced.
                let name = format!("{}.ldif", account.uid);
                let tmp = dir.join(format!(".{name}.tmp"));
                let failed = |e: std::io::Error| WriteError(format!("{}: {e}", dir.display()));
                tokio::fs::create_dir_all(dir).await.map_err(failed)?;
                tokio::fs::write(&tmp, account.ldif(base_dn)).await.map_err(failed)?;
                tokio::fs::rename(&tmp, dir.join(name)).await.map_err(failed)
            }
            Directory::Ldap(ldap) => match tokio::time::timeout(WRITE_LIMIT, ldap.write(account, base_dn)).await {
                Ok(written) => written.map_err(|e| WriteError(format!("{}: {e}", ldap.url))),
                Err(_) => Err(WriteError(format!("{}: no answer in {WRITE_LIMIT:?}", ldap.url))),
            },
        }
    }
}

impl Directory {
    /// Applies `change` to the entry `dn`, once: the job `job`'s file in a folder (written again by a retry, never
    /// twice), or the directory's entry (a removal of an entry already gone is done).
    pub async fn change(&self, dn: &str, uid: &str, change: Change<'_>, job: &str) -> Result<(), WriteError> {
        match self {
            Directory::Folder(dir) => {
                let name = format!("{uid}.{}.{job}.ldif", change.name());
                let tmp = dir.join(format!(".{name}.tmp"));
                let failed = |e: std::io::Error| WriteError(format!("{}: {e}", dir.display()));
                tokio::fs::create_dir_all(dir).await.map_err(failed)?;
                tokio::fs::write(&tmp, change.ldif(dn)).await.map_err(failed)?;
                tokio::fs::rename(&tmp, dir.join(name)).await.map_err(failed)
            }
            Directory::Ldap(ldap) => match tokio::time::timeout(WRITE_LIMIT, ldap.change(dn, change)).await {
                Ok(done) => done.map_err(|e| WriteError(format!("{}: {e}", ldap.url))),
                Err(_) => Err(WriteError(format!("{}: no answer in {WRITE_LIMIT:?}", ldap.url))),
            },
        }
    }
}

impl Ldap {
    async fn bound(&self) -> Result<ldap3::Ldap, ldap3::LdapError> {
        let mut settings =
            LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10)).set_starttls(self.starttls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &self.url).await?;
        ldap3::drive!(conn);
        ldap.simple_bind(&self.bind_dn, &self.password).await?.success()?;
        Ok(ldap)
    }

    async fn change(&self, dn: &str, change: Change<'_>) -> Result<(), ldap3::LdapError> {
        let mut ldap = self.bound().await?;
        match change {
            Change::Password(hash) => {
                let value = format!("{PASSWORD_SCHEME}{hash}");
                ldap.modify(dn, vec![Mod::Replace("userPassword", HashSet::from([value.as_str()]))])
                    .await?
                    .success()?;
            }
            Change::Removal => {
                let removed = ldap.delete(dn).await?;
                if removed.rc != NO_SUCH_OBJECT {
                    removed.success()?;
                }
            }
        }
        let _ = ldap.unbind().await;
        Ok(())
    }

    async fn write(&self, account: &Account, base_dn: &str) -> Result<(), ldap3::LdapError> {
        let mut ldap = self.bound().await?;
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

/// The directory job: writes an activated request's account, then (in the transaction that marks it done) records it
/// and queues the acceptance email.
#[derive(Clone)]
pub struct Provisioner {
    pub directory: Directory,
    /// The people's branch the accounts go under (`ou=people,dc=…`).
    pub base_dn: String,
    /// The webmail link of the acceptance email.
    pub webmail: Arc<str>,
}

impl Job for Provisioner {
    const KIND: Kind = Kind::Account;
    /// About four hours of a directory down, at 10 minutes between the last attempts; a dead one waits for the
    /// operator (`promess-server comptes relancer`).
    const MAX_ATTEMPTS: i64 = 30;
    const WHAT: (&'static str, &'static str) = ("account", "promess-server comptes");

    async fn run(&self, store: &Store, job: &Due) -> Result<(), Failure> {
        let id = job.registration_id.as_deref().unwrap_or_default();
        let person = registrations::person(store.pool(), id).await.map_err(|e| Failure::Transient(e.to_string()))?;
        match person {
            Some(p) if p.statut == Statut::Active => {
                let account = Account {
                    uid: p.identifiant,
                    mail: p.adresse,
                    given_name: p.prenom,
                    sn: p.nom,
                    password_hash: p.password_hash,
                    national_id: p.identifiant_national,
                };
                self.directory.write(&account, &self.base_dn).await.map_err(|f| Failure::Transient(f.0))
            }
            // Closed before it was written: nothing to write (its removal's job has nothing to remove).
            Some(p) if p.statut == Statut::Fermee => Ok(()),
            Some(_) => Err(Failure::Transient("the registration is not active".into())),
            None => Err(Failure::Transient("the registration is gone".into())),
        }
    }

    async fn done(&self, tx: &mut AnyConnection, job: &Due, now: i64) -> Result<(), sqlx::Error> {
        let id = job.registration_id.as_deref().unwrap_or_default();
        let Some(p) = registrations::person(&mut *tx, id).await? else { return Ok(()) };
        if p.statut != Statut::Active {
            return Ok(());
        }
        registrations::set_provisioned(tx, id, now).await?;
        let detail = "Boîte aux lettres créée dans l'annuaire de la messagerie.";
        registrations::record_event(tx, id, Statut::Active, Some("annuaire"), Some(detail), now).await?;
        let kind = email::Kind::Accepted { webmail: &self.webmail };
        let email = Email { civilite: &p.civilite, identifiant: &p.identifiant, kind }.render();
        jobs::enqueue_email(tx, id, &p.email, &email, now).await?;
        tracing::info!(identifiant = %p.identifiant, "account written to the directory");
        Ok(())
    }
}

/// The directory's job for a new password: the entry's `userPassword` replaced by the account's hash as it is when
/// the job runs (two changes in a row: the last one written, twice).
#[derive(Clone)]
pub struct PasswordWriter(pub Provisioner);

/// The directory's job for a closed account: its entry removed.
#[derive(Clone)]
pub struct Remover(pub Provisioner);

/// The person of a directory job, as it is now.
async fn person_of(store: &Store, job: &Due) -> Result<registrations::Person, Failure> {
    let id = job.registration_id.as_deref().unwrap_or_default();
    let person = registrations::person(store.pool(), id).await.map_err(|e| Failure::Transient(e.to_string()))?;
    person.ok_or_else(|| Failure::Permanent("the registration is gone".into()))
}

impl Job for PasswordWriter {
    const KIND: Kind = Kind::Password;
    const MAX_ATTEMPTS: i64 = 30;
    const WHAT: (&'static str, &'static str) = ("new password", "promess-server comptes");

    async fn run(&self, store: &Store, job: &Due) -> Result<(), Failure> {
        let p = person_of(store, job).await?;
        if p.statut != Statut::Active {
            return Ok(()); // Closed meanwhile: its entry is removed by the closure's job.
        }
        let Provisioner { directory, base_dn, .. } = &self.0;
        let dn = dn(&p.identifiant, base_dn);
        let change = Change::Password(&p.password_hash);
        directory.change(&dn, &p.identifiant, change, &job.id).await.map_err(|f| Failure::Transient(f.0))
    }

    async fn done(&self, tx: &mut AnyConnection, job: &Due, now: i64) -> Result<(), sqlx::Error> {
        let id = job.registration_id.as_deref().unwrap_or_default();
        let detail = "Nouveau mot de passe enregistré dans l'annuaire de la messagerie.";
        registrations::record_event(tx, id, Statut::Active, Some("annuaire"), Some(detail), now).await
    }
}

impl Job for Remover {
    const KIND: Kind = Kind::Closure;
    const MAX_ATTEMPTS: i64 = 30;
    const WHAT: (&'static str, &'static str) = ("account removal", "promess-server comptes");

    async fn run(&self, store: &Store, job: &Due) -> Result<(), Failure> {
        let p = person_of(store, job).await?;
        if p.statut != Statut::Fermee {
            return Err(Failure::Permanent("the account is not closed".into()));
        }
        let Provisioner { directory, base_dn, .. } = &self.0;
        let dn = dn(&p.identifiant, base_dn);
        directory.change(&dn, &p.identifiant, Change::Removal, &job.id).await.map_err(|f| Failure::Transient(f.0))
    }

    async fn done(&self, tx: &mut AnyConnection, job: &Due, now: i64) -> Result<(), sqlx::Error> {
        let id = job.registration_id.as_deref().unwrap_or_default();
        let detail = "Boîte aux lettres supprimée de l'annuaire de la messagerie.";
        registrations::record_event(tx, id, Statut::Fermee, Some("annuaire"), Some(detail), now).await
    }
}

/// Writes every account due at `now`, each then followed by its acceptance email, then the new passwords and the
/// removals due; returns how many jobs were done.
pub async fn provision_due(store: &Store, p: &Provisioner, now: i64) -> Result<usize, sqlx::Error> {
    let written = queue::run_due(store, p, now).await?;
    let passwords = queue::run_due(store, &PasswordWriter(p.clone()), now).await?;
    Ok(written + passwords + queue::run_due(store, &Remover(p.clone()), now).await?)
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
            national_id: None,
        }
    }

    #[test]
    fn a_proven_account_carries_its_national_id_and_no_other_does() {
        assert!(!account("Anne").ldif("ou=people,dc=x").contains("employeeNumber"));
        let proven = Account { national_id: Some("899700771191".into()), ..account("Anne") };
        assert!(proven.ldif("ou=people,dc=x").contains("\nemployeeNumber: 899700771191\n"));
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
