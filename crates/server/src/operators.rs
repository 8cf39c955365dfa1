//! The operator's staff: accounts with a password (argon2id) and a TOTP second factor (RFC 6238, 6 digits, 30 s),
//! sign-in with lockout, sessions, and the append-only audit log. Used by the console (`console`) and by
//! `promess-server operateurs …`.
use crate::factors::code_step;
use crate::{
    password,
    secret::sha256_hex,
    store::{Store, operators as rows},
};
use totp_rs::TOTP;

/// Consecutive failed sign-ins before an account is locked, and for how long.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_SECS: i64 = 15 * 60;
/// A session ends after this long without a request, and in any case after `SESSION_MAX_SECS`.
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
pub const SESSION_MAX_SECS: i64 = 12 * 3600;
/// The issuer shown by authenticator apps.
pub const ISSUER: &str = "ProMess Inscription";
/// An operator's password: at least this many characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The TOTP of a secret (base32) for `login`.
pub fn totp(secret: &str, login: &str) -> Result<TOTP, String> {
    crate::factors::totp(secret, login, ISSUER)
}

pub use crate::store::operators::{AuditLine, Listed, audit, audit_lines};

/// Why an operator account was not created.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    LoginInvalid,
    LoginTaken,
    PasswordTooShort,
    PasswordsDiffer,
}

impl AddError {
    pub fn message(&self) -> String {
        match self {
            AddError::LoginInvalid => {
                "L'identifiant d'un opérateur : lettres minuscules, chiffres, points et tirets (2 à 64).".into()
            }
            AddError::LoginTaken => "Cet identifiant d'opérateur existe déjà.".into(),
            AddError::PasswordTooShort => {
                format!("Le mot de passe d'un opérateur compte au moins {MIN_PASSWORD_CHARS} caractères.")
            }
            AddError::PasswordsDiffer => "Les deux mots de passe saisis sont différents.".into(),
        }
    }
}

/// A new operator's TOTP: its secret (base32, stored) and the `otpauth://` URI for the authenticator app.
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

/// Creates an operator account with this password (given twice) and a new TOTP secret.
pub async fn add(
    store: &Store,
    login: &str,
    password: &str,
    again: &str,
    now: i64,
) -> Result<Result<Enrolment, AddError>, sqlx::Error> {
    let valid = (2..=64).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !valid {
        return Ok(Err(AddError::LoginInvalid));
    }
    if password != again {
        return Ok(Err(AddError::PasswordsDiffer));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Ok(Err(AddError::PasswordTooShort));
    }
    let hash = password::hash(password).map_err(sqlx::Error::Protocol)?;
    let secret = crate::factors::new_secret();
    let uri = totp(&secret, login).map_err(sqlx::Error::Protocol)?.get_url();
    if !rows::insert(store, login, &hash, &secret, now).await? {
        return Ok(Err(AddError::LoginTaken));
    }
    Ok(Ok(Enrolment { secret, uri }))
}

/// Disables an account and ends its sessions; false when there is no such account.
pub async fn disable(store: &Store, login: &str, now: i64) -> Result<bool, sqlx::Error> {
    rows::disable(store, login, now).await
}

/// The accounts, by login.
pub async fn list(store: &Store) -> Result<Vec<Listed>, sqlx::Error> {
    rows::list(store).await
}

/// What a sign-in gives.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    /// The session's cookie value (its hash is stored) and its CSRF token.
    Session { cookie: String, csrf: String },
    /// Wrong login, password or code, a code already used, or a disabled account: one answer for all.
    Refused,
    /// Too many failures: locked until then.
    Locked { until: i64 },
}

fn random_token() -> Result<String, sqlx::Error> {
    crate::secret::token(32).map_err(|e| sqlx::Error::Protocol(e.to_string()))
}

/// Checks a sign-in (the password on a blocking thread by the caller's `verify`), counts failures, locks, and
/// opens a session. Every outcome goes to the audit log.
pub async fn sign_in(
    store: &Store,
    login: &str,
    password_given: &str,
    code: &str,
    verify: impl AsyncFnOnce(String, String) -> bool,
    now: i64,
) -> Result<SignIn, sqlx::Error> {
    let shown = login.chars().take(64).collect::<String>();
    let Some(account) = rows::account(store, login).await? else {
        // The same work as for a real account, so that timing does not tell which logins exist.
        let _ = verify(password_given.to_owned(), DUMMY_HASH.to_owned()).await;
        metrics::counter!(crate::metrics::SIGN_IN_FAILURES, "kind" => "unknown_login").increment(1);
        audit(store.pool(), &shown, "connexion_refusee", "identifiant inconnu", now).await?;
        return Ok(SignIn::Refused);
    };
    if let Some(until) = account.verrouille_jusqu_a.filter(|u| *u > now) {
        metrics::counter!(crate::metrics::SIGN_IN_FAILURES, "kind" => "locked").increment(1);
        audit(store.pool(), login, "connexion_refusee", "compte verrouillé", now).await?;
        return Ok(SignIn::Locked { until });
    }
    let password_ok = verify(password_given.to_owned(), account.password_hash).await;
    let step = totp(&account.totp_secret, login)
        .ok()
        .and_then(|t| code_step(&t, code, now))
        .filter(|s| *s > account.dernier_pas);
    match (password_ok, step, account.desactive_le) {
        (true, Some(step), None) => {
            let (cookie, csrf) = (random_token()?, random_token()?);
            // The step is taken once: a concurrent sign-in with the same code finds it taken.
            if !rows::open_session(store, login, step, &sha256_hex(cookie.as_bytes()), &csrf, now).await? {
                return Ok(SignIn::Refused);
            }
            Ok(SignIn::Session { cookie, csrf })
        }
        (password_ok, _, disabled) => {
            let (why, kind) = match (password_ok, disabled) {
                (_, Some(_)) => ("compte désactivé", "disabled"),
                (false, _) => ("mot de passe incorrect", "password"),
                _ => ("code incorrect ou déjà utilisé", "code"),
            };
            metrics::counter!(crate::metrics::SIGN_IN_FAILURES, "kind" => kind).increment(1);
            let failures = account.echecs + 1;
            let lock = (failures >= MAX_FAILURES).then_some(now + LOCK_SECS);
            let lock_why = format!("{MAX_FAILURES} échecs de suite");
            rows::record_failure(store, login, failures, lock, why, &lock_why, now).await?;
            Ok(SignIn::Refused)
        }
    }
}

/// An argon2id hash of nothing anyone knows, verified for unknown logins.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W+2Hq6yQHS6BZR/K0eCY3JQ3oEsgqPvSpQCDaFDLJ4I";

/// A signed-in operator, as a session cookie proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub login: String,
    pub csrf: String,
}

/// The operator of a session cookie, if it is current (and the account enabled): its idle time starts again.
pub async fn session(store: &Store, cookie: &str, now: i64) -> Result<Option<Operator>, sqlx::Error> {
    let id_hash = sha256_hex(cookie.as_bytes());
    let Some(session) = rows::session(store, &id_hash).await? else { return Ok(None) };
    if now - session.vu_le > SESSION_IDLE_SECS || now - session.cree_le > SESSION_MAX_SECS {
        rows::end_session(store.pool(), &id_hash).await?;
        return Ok(None);
    }
    rows::touch_session(store, &id_hash, now).await?;
    Ok(Some(Operator { login: session.login, csrf: session.csrf }))
}

/// Ends a session ("Se déconnecter").
pub async fn sign_out(store: &Store, cookie: &str, login: &str, now: i64) -> Result<(), sqlx::Error> {
    rows::end_session(store.pool(), &sha256_hex(cookie.as_bytes())).await?;
    audit(store.pool(), login, "deconnexion", "", now).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(!crate::password::verify("anything", super::DUMMY_HASH));
        assert!(argon2::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }

    #[test]
    fn an_operator_s_code_names_the_console() {
        let totp = super::totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "alice").unwrap();
        assert!(totp.get_url().starts_with("otpauth://totp/ProMess%20Inscription:alice?secret="));
    }
}
