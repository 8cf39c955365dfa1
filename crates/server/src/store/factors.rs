//! Second factors: the set-ups of registration (`factor_setups`, found by their handle's hash), and each account's
//! factors (`account_factors`) and recovery codes (`recovery_codes`, hashed).
use super::{Store, new_id};
use crate::secret::sha256_hex;
use promess_core::{ErrorCode, factor::MAX_CODE_ATTEMPTS};
use sqlx::AnyConnection;

/// A set-up as its confirmation finds it.
pub struct Setup {
    pub kind: String,
    /// The app's secret, or the WebAuthn ceremony's state.
    pub secret: String,
    pub label: String,
    pub attempts: i64,
    pub confirmed: bool,
}

/// Records a new set-up of `kind` for the app's `label`, valid until `expires_at`.
pub async fn begin(
    store: &Store,
    handle: &str,
    kind: &str,
    secret: &str,
    label: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO factor_setups (id_hash, kind, secret, label, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(sha256_hex(handle.as_bytes()))
        .bind(kind)
        .bind(secret)
        .bind(label)
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The set-up of `handle`, unexpired and unspent; Err: why it cannot be used.
pub async fn setup(store: &Store, handle: &str, now: i64) -> Result<Result<Setup, ErrorCode>, sqlx::Error> {
    type Row = (String, String, String, i64, i64, Option<i64>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT kind, secret, label, attempts, expires_at, confirmed_at, spent_at FROM factor_setups \
         WHERE id_hash = $1",
    )
    .bind(sha256_hex(handle.as_bytes()))
    .fetch_optional(store.pool())
    .await?;
    Ok(match row {
        None => Err(ErrorCode::FactorUnknown),
        Some((.., expires_at, _, spent)) if expires_at < now || spent.is_some() => Err(ErrorCode::FactorUnknown),
        Some((_, _, _, attempts, ..)) if attempts >= MAX_CODE_ATTEMPTS => Err(ErrorCode::FactorTooManyAttempts),
        Some((kind, secret, label, attempts, _, confirmed, _)) => {
            Ok(Setup { kind, secret, label, attempts, confirmed: confirmed.is_some() })
        }
    })
}

/// Counts a wrong code.
pub async fn wrong_code(store: &Store, handle: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE factor_setups SET attempts = attempts + 1 WHERE id_hash = $1")
        .bind(sha256_hex(handle.as_bytes()))
        .execute(store.pool())
        .await?;
    Ok(())
}

/// What confirms a set-up: the app's code (its time step), or the passkey made (kept in place of the ceremony's
/// state, with its credential id).
pub enum Confirmation<'a> {
    Step(i64),
    Key { key: &'a str, credential_id: &'a str },
}

/// Confirms a set-up, with its recovery codes' hashes; false when it was confirmed meanwhile (its codes are shown
/// once).
pub async fn confirm(
    store: &Store,
    handle: &str,
    confirmation: Confirmation<'_>,
    recovery: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let (step, key, credential_id) = match confirmation {
        Confirmation::Step(step) => (Some(step), None, None),
        Confirmation::Key { key, credential_id } => (None, Some(key), Some(credential_id)),
    };
    let done = sqlx::query(
        "UPDATE factor_setups SET confirmed_at = $1, last_step = $2, recovery_hashes = $3, \
         secret = COALESCE($5, secret), credential_id = $6 \
         WHERE id_hash = $4 AND confirmed_at IS NULL AND spent_at IS NULL AND expires_at >= $1",
    )
    .bind(now)
    .bind(step)
    .bind(recovery.join(","))
    .bind(sha256_hex(handle.as_bytes()))
    .bind(key)
    .bind(credential_id)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a set-up can be used by a registration now: confirmed, unexpired, unspent.
pub async fn usable(store: &Store, handle: &str, now: i64) -> Result<Result<(), ErrorCode>, sqlx::Error> {
    Ok(match setup(store, handle, now).await? {
        Ok(s) if s.confirmed => Ok(()),
        Ok(_) => Err(ErrorCode::FactorRequired),
        Err(code) => Err(code),
    })
}

/// Spends a confirmed set-up for the registration `registration_id`, in the caller's transaction: the account's
/// factor and recovery codes are written from it. False when it was spent or expired meanwhile.
pub async fn spend(tx: &mut AnyConnection, handle: &str, registration_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let id_hash = sha256_hex(handle.as_bytes());
    type Row = (String, String, Option<i64>, Option<String>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT kind, secret, last_step, recovery_hashes, credential_id FROM factor_setups \
         WHERE id_hash = $1 AND confirmed_at IS NOT NULL AND spent_at IS NULL AND expires_at >= $2",
    )
    .bind(&id_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((kind, secret, last_step, recovery, credential_id)) = row else { return Ok(false) };
    let spent = sqlx::query("UPDATE factor_setups SET spent_at = $1 WHERE id_hash = $2 AND spent_at IS NULL")
        .bind(now)
        .bind(&id_hash)
        .execute(&mut *tx)
        .await?;
    if spent.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO account_factors (id, registration_id, kind, secret, last_step, created_at, credential_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id()?)
    .bind(registration_id)
    .bind(&kind)
    .bind(&secret)
    .bind(last_step)
    .bind(now)
    .bind(credential_id)
    .execute(&mut *tx)
    .await?;
    for hash in recovery.unwrap_or_default().split(',').filter(|h| !h.is_empty()) {
        sqlx::query("INSERT INTO recovery_codes (registration_id, code_hash) VALUES ($1, $2)")
            .bind(registration_id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    Ok(true)
}

/// Whether a credential is some account's already (a key is registered once).
pub async fn credential_taken(store: &Store, credential_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM account_factors WHERE credential_id = $1")
        .bind(credential_id)
        .fetch_optional(store.pool())
        .await?;
    Ok(found.is_some())
}

/// An account's factors: kind, and how many recovery codes are left.
pub async fn of_account(store: &Store, registration_id: &str) -> Result<(Vec<String>, i64), sqlx::Error> {
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM account_factors WHERE registration_id = $1 ORDER BY created_at")
            .bind(registration_id)
            .fetch_all(store.pool())
            .await?;
    let (left,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM recovery_codes WHERE registration_id = $1 AND used_at IS NULL")
            .bind(registration_id)
            .fetch_one(store.pool())
            .await?;
    Ok((kinds, left))
}

/// Deletes the set-ups expired before `before`.
pub async fn purge(store: &Store, before: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM factor_setups WHERE expires_at < $1").bind(before).execute(store.pool()).await?;
    Ok(())
}
