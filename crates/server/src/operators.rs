//! The operator's staff: accounts with a password (argon2id) and a TOTP second factor (RFC 6238, 6 digits, 30 s),
//! sign-in with lockout, sessions, and the append-only audit log. Used by the console (`console`) and by
//! `promess-server operateurs …`.
use crate::{db, password};
use base64::Engine;
use sqlx::AnyPool;
use totp_rs::{Algorithm, Secret, TOTP};

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
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().map_err(|e| format!("{e:?}"))?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, Some(ISSUER.into()), login.into()).map_err(|e| e.to_string())
}

/// Appends a line to the audit log: who, what, and its detail (never a password, code or token).
pub async fn audit(
    db: impl sqlx::AnyExecutor<'_>,
    actor: &str,
    action: &str,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO journal (id, at, acteur, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(db::new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))?)
        .bind(now)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}

/// A line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    pub at: i64,
    pub acteur: String,
    pub action: String,
    pub detail: Option<String>,
}

/// The newest `limit` lines of the audit log, newest first.
pub async fn audit_lines(db: &AnyPool, limit: i64) -> Result<Vec<AuditLine>, sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>)> =
        sqlx::query_as("SELECT at, acteur, action, detail FROM journal ORDER BY at DESC, id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(at, acteur, action, detail)| AuditLine { at, acteur, action, detail }).collect())
}

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
    db: &AnyPool,
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
    let Secret::Encoded(secret) = Secret::generate_secret().to_encoded() else { unreachable!("to_encoded encodes") };
    let uri = totp(&secret, login).map_err(sqlx::Error::Protocol)?.get_url();
    let mut tx = db::begin_write(db).await?;
    let inserted =
        sqlx::query("INSERT INTO operateurs (login, password_hash, totp_secret, cree_le) VALUES ($1, $2, $3, $4)")
            .bind(login)
            .bind(&hash)
            .bind(&secret)
            .bind(now)
            .execute(&mut *tx)
            .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(Err(AddError::LoginTaken)),
        Err(e) => return Err(e),
    }
    audit(&mut *tx, "terminal", "operateur_ajoute", login, now).await?;
    tx.commit().await?;
    Ok(Ok(Enrolment { secret, uri }))
}

/// Disables an account and ends its sessions; false when there is no such account.
pub async fn disable(db: &AnyPool, login: &str, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db::begin_write(db).await?;
    let done = sqlx::query("UPDATE operateurs SET desactive_le = $1 WHERE login = $2 AND desactive_le IS NULL")
        .bind(now)
        .bind(login)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions_operateur WHERE login = $1").bind(login).execute(&mut *tx).await?;
    if done.rows_affected() == 1 {
        audit(&mut *tx, "terminal", "operateur_desactive", login, now).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The accounts: login, created, disabled, locked until.
pub async fn list(db: &AnyPool) -> Result<Vec<(String, i64, Option<i64>, Option<i64>)>, sqlx::Error> {
    sqlx::query_as("SELECT login, cree_le, desactive_le, verrouille_jusqu_a FROM operateurs ORDER BY login")
        .fetch_all(db)
        .await
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
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The TOTP time step `code` is valid for around `now` (one step of drift each way), if any.
fn code_step(totp: &TOTP, code: &str, now: i64) -> Option<i64> {
    let code = code.trim();
    let step = now / 30;
    [step - 1, step, step + 1]
        .into_iter()
        .filter(|s| *s >= 0)
        .find(|s| same_secret(&totp.generate(*s as u64 * 30), code))
}

/// Whether two secrets are equal, in a time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a sign-in (the password on a blocking thread by the caller's `verify`), counts failures, locks, and
/// opens a session. Every outcome goes to the audit log.
pub async fn sign_in(
    db: &AnyPool,
    login: &str,
    password_given: &str,
    code: &str,
    verify: impl AsyncFnOnce(String, String) -> bool,
    now: i64,
) -> Result<SignIn, sqlx::Error> {
    type Account = (String, String, i64, i64, Option<i64>, Option<i64>);
    let account: Option<Account> = sqlx::query_as(
        "SELECT password_hash, totp_secret, dernier_pas, echecs, verrouille_jusqu_a, desactive_le FROM operateurs \
         WHERE login = $1",
    )
    .bind(login)
    .fetch_optional(db)
    .await?;
    let shown = login.chars().take(64).collect::<String>();
    let Some((hash, secret, last_step, failures, locked, disabled)) = account else {
        // The same work as for a real account, so that timing does not tell which logins exist.
        let _ = verify(password_given.to_owned(), DUMMY_HASH.to_owned()).await;
        audit(db, &shown, "connexion_refusee", "identifiant inconnu", now).await?;
        return Ok(SignIn::Refused);
    };
    if let Some(until) = locked.filter(|u| *u > now) {
        audit(db, login, "connexion_refusee", "compte verrouillé", now).await?;
        return Ok(SignIn::Locked { until });
    }
    let password_ok = verify(password_given.to_owned(), hash).await;
    let step = totp(&secret, login).ok().and_then(|t| code_step(&t, code, now)).filter(|s| *s > last_step);
    match (password_ok, step, disabled) {
        (true, Some(step), None) => {
            let (cookie, csrf) = (random_token()?, random_token()?);
            let mut tx = db::begin_write(db).await?;
            // The step is taken once: a concurrent sign-in with the same code finds it taken.
            let taken = sqlx::query(
                "UPDATE operateurs SET dernier_pas = $1, echecs = 0, verrouille_jusqu_a = NULL \
                 WHERE login = $2 AND dernier_pas < $1",
            )
            .bind(step)
            .bind(login)
            .execute(&mut *tx)
            .await?;
            if taken.rows_affected() != 1 {
                return Ok(SignIn::Refused);
            }
            sqlx::query(
                "INSERT INTO sessions_operateur (id_hash, login, csrf, cree_le, vu_le) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(db::sha256_hex(cookie.as_bytes()))
            .bind(login)
            .bind(&csrf)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit(&mut *tx, login, "connexion", "", now).await?;
            tx.commit().await?;
            Ok(SignIn::Session { cookie, csrf })
        }
        _ => {
            let why = match (password_ok, step, disabled) {
                (_, _, Some(_)) => "compte désactivé",
                (false, _, _) => "mot de passe incorrect",
                _ => "code incorrect ou déjà utilisé",
            };
            let failures = failures + 1;
            let lock = (failures >= MAX_FAILURES).then_some(now + LOCK_SECS);
            let mut tx = db::begin_write(db).await?;
            sqlx::query("UPDATE operateurs SET echecs = $1, verrouille_jusqu_a = $2 WHERE login = $3")
                .bind(if lock.is_some() { 0 } else { failures })
                .bind(lock)
                .bind(login)
                .execute(&mut *tx)
                .await?;
            audit(&mut *tx, login, "connexion_refusee", why, now).await?;
            if lock.is_some() {
                audit(&mut *tx, login, "verrouillage", &format!("{MAX_FAILURES} échecs de suite"), now).await?;
            }
            tx.commit().await?;
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
pub async fn session(db: &AnyPool, cookie: &str, now: i64) -> Result<Option<Operator>, sqlx::Error> {
    let id_hash = db::sha256_hex(cookie.as_bytes());
    let row: Option<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT s.login, s.csrf, s.cree_le, s.vu_le FROM sessions_operateur s JOIN operateurs o ON o.login = s.login \
         WHERE s.id_hash = $1 AND o.desactive_le IS NULL",
    )
    .bind(&id_hash)
    .fetch_optional(db)
    .await?;
    let Some((login, csrf, created, seen)) = row else { return Ok(None) };
    if now - seen > SESSION_IDLE_SECS || now - created > SESSION_MAX_SECS {
        sqlx::query("DELETE FROM sessions_operateur WHERE id_hash = $1").bind(&id_hash).execute(db).await?;
        return Ok(None);
    }
    sqlx::query("UPDATE sessions_operateur SET vu_le = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(&id_hash)
        .execute(db)
        .await?;
    Ok(Some(Operator { login, csrf }))
}

/// Ends a session ("Se déconnecter").
pub async fn sign_out(db: &AnyPool, cookie: &str, login: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions_operateur WHERE id_hash = $1")
        .bind(db::sha256_hex(cookie.as_bytes()))
        .execute(db)
        .await?;
    audit(db, login, "deconnexion", "", now).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(!crate::password::verify("anything", super::DUMMY_HASH));
        assert!(argon2::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }

    #[test]
    fn a_code_is_valid_one_step_either_way() {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let totp = super::totp(secret, "alice").unwrap();
        let now = 1_800_000_000;
        let code = totp.generate(now as u64);
        assert_eq!(super::code_step(&totp, &code, now), Some(now / 30));
        assert_eq!(super::code_step(&totp, &code, now + 30), Some(now / 30));
        assert_eq!(super::code_step(&totp, &code, now + 90), None);
        assert_eq!(super::code_step(&totp, "000000x", now), None);
        assert!(totp.get_url().starts_with("otpauth://totp/ProMess%20Inscription:alice?secret="));
    }
}
