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
    let factor = NewAccountFactor { kind: &kind, secret: &secret, last_step, credential_id: credential_id.as_deref() };
    insert_factor(&mut *tx, registration_id, &factor, now).await?;
    for hash in recovery.unwrap_or_default().split(',').filter(|h| !h.is_empty()) {
        sqlx::query("INSERT INTO recovery_codes (registration_id, code_hash) VALUES ($1, $2)")
            .bind(registration_id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    Ok(true)
}

/// A factor written to an account.
struct NewAccountFactor<'a> {
    kind: &'a str,
    secret: &'a str,
    last_step: Option<i64>,
    credential_id: Option<&'a str>,
}

async fn insert_factor(
    tx: &mut AnyConnection,
    registration_id: &str,
    f: &NewAccountFactor<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account_factors (id, registration_id, kind, secret, last_step, created_at, credential_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id()?)
    .bind(registration_id)
    .bind(f.kind)
    .bind(f.secret)
    .bind(f.last_step)
    .bind(now)
    .bind(f.credential_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether a credential is some account's already (a key is registered once).
pub async fn credential_taken(store: &Store, credential_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM account_factors WHERE credential_id = $1")
        .bind(credential_id)
        .fetch_optional(store.pool())
        .await?;
    Ok(found.is_some())
}

/// How many of the account's recovery codes are left.
pub async fn recovery_left(store: &Store, registration_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE registration_id = $1 AND used_at IS NULL")
        .bind(registration_id)
        .fetch_one(store.pool())
        .await
}

/// Deletes the set-ups expired before `before`.
pub async fn purge(store: &Store, before: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM factor_setups WHERE expires_at < $1").bind(before).execute(store.pool()).await?;
    Ok(())
}

/// An account's factor, as its account page lists it.
pub struct AccountFactor {
    pub id: String,
    pub kind: String,
    pub created_at: i64,
}

/// The account's factors, oldest first.
pub async fn listed(store: &Store, registration_id: &str) -> Result<Vec<AccountFactor>, sqlx::Error> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, kind, created_at FROM account_factors WHERE registration_id = $1 ORDER BY created_at, id",
    )
    .bind(registration_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, kind, created_at)| AccountFactor { id, kind, created_at }).collect())
}

/// Starts a write on the account's factors: its row locked first (PostgreSQL; SQLite's write is exclusive), so that
/// two changes at once are one after the other.
async fn account_write(store: &Store, registration_id: &str) -> Result<super::Tx, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE registrations SET echecs_connexion = echecs_connexion WHERE id = $1")
        .bind(registration_id)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Removes a factor of the account, never its last: false when it is not the account's or is its last.
pub async fn remove(store: &Store, registration_id: &str, factor_id: &str) -> Result<Option<String>, sqlx::Error> {
    let mut tx = account_write(store, registration_id).await?;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM account_factors WHERE registration_id = $1")
        .bind(registration_id)
        .fetch_one(&mut *tx)
        .await?;
    let kind: Option<String> =
        sqlx::query_scalar("SELECT kind FROM account_factors WHERE id = $1 AND registration_id = $2")
            .bind(factor_id)
            .bind(registration_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(kind) = kind.filter(|_| count > 1) else { return Ok(None) };
    sqlx::query("DELETE FROM account_factors WHERE id = $1").bind(factor_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Some(kind))
}

/// Replaces the account's unused recovery codes with these (hashes).
pub async fn replace_recovery_codes(
    store: &Store,
    registration_id: &str,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    let mut tx = account_write(store, registration_id).await?;
    sqlx::query("DELETE FROM recovery_codes WHERE registration_id = $1 AND used_at IS NULL")
        .bind(registration_id)
        .execute(&mut *tx)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (registration_id, code_hash) VALUES ($1, $2)")
            .bind(registration_id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Records a new set-up of `kind` for an account (from its account space), valid until `expires_at`.
pub async fn begin_for_account(
    store: &Store,
    handle: &str,
    kind: &str,
    secret: &str,
    label: &str,
    registration_id: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO factor_setups (id_hash, kind, secret, label, expires_at, registration_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sha256_hex(handle.as_bytes()))
    .bind(kind)
    .bind(secret)
    .bind(label)
    .bind(expires_at)
    .bind(registration_id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The account's own set-up of `handle` (unexpired, unspent, not void): never another account's.
pub async fn account_setup(
    store: &Store,
    handle: &str,
    registration_id: &str,
    now: i64,
) -> Result<Option<Setup>, sqlx::Error> {
    let owner: Option<Option<String>> =
        sqlx::query_scalar("SELECT registration_id FROM factor_setups WHERE id_hash = $1")
            .bind(sha256_hex(handle.as_bytes()))
            .fetch_optional(store.pool())
            .await?;
    if owner.flatten().as_deref() != Some(registration_id) {
        return Ok(None);
    }
    Ok(setup(store, handle, now).await?.ok())
}

/// Adds the factor of an account's set-up (the app's secret and the step of its code, or the key and its credential
/// id), spending the set-up: false when it was spent meanwhile.
pub async fn add_to_account(
    store: &Store,
    handle: &str,
    registration_id: &str,
    confirmation: Confirmation<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = account_write(store, registration_id).await?;
    let id_hash = sha256_hex(handle.as_bytes());
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT kind, secret FROM factor_setups WHERE id_hash = $1 AND registration_id = $2 AND spent_at IS NULL \
         AND expires_at >= $3",
    )
    .bind(&id_hash)
    .bind(registration_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((kind, secret)) = row else { return Ok(false) };
    let (secret, last_step, credential_id) = match confirmation {
        Confirmation::Step(step) => (secret, Some(step), None),
        Confirmation::Key { key, credential_id } => (key.to_owned(), None, Some(credential_id.to_owned())),
    };
    sqlx::query("UPDATE factor_setups SET spent_at = $1, confirmed_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(&id_hash)
        .execute(&mut *tx)
        .await?;
    let factor = NewAccountFactor { kind: &kind, secret: &secret, last_step, credential_id: credential_id.as_deref() };
    insert_factor(&mut tx, registration_id, &factor, now).await?;
    tx.commit().await?;
    Ok(true)
}
