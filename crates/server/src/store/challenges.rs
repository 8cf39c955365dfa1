//! The challenges the CPS card signs (`card_challenges`): single use, valid five minutes; only the nonce's hash is
//! kept. Spent ones stay until an hour past their expiry, so that a replay is told apart from an unknown nonce.
use super::Store;
use crate::secret::sha256_hex;
use promess_core::ErrorCode;
use sqlx::AnyConnection;

/// Records a new challenge valid until `expires_at`, and purges those expired for over an hour.
pub async fn create(store: &Store, nonce: &str, expires_at: i64, now: i64) -> Result<(), sqlx::Error> {
    purge(store, now).await?;
    sqlx::query("INSERT INTO card_challenges (nonce_hash, expires_at) VALUES ($1, $2)")
        .bind(sha256_hex(nonce.as_bytes()))
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Deletes the challenges expired for over an hour.
pub async fn purge(store: &Store, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM card_challenges WHERE expires_at < $1").bind(now - 3600).execute(store.pool()).await?;
    Ok(())
}

/// Whether a challenge can be used now: known, unexpired, unused.
pub async fn usable(store: &Store, nonce: &str, now: i64) -> Result<Result<(), ErrorCode>, sqlx::Error> {
    let row: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT expires_at, spent_at FROM card_challenges WHERE nonce_hash = $1")
            .bind(sha256_hex(nonce.as_bytes()))
            .fetch_optional(store.pool())
            .await?;
    Ok(match row {
        None => Err(ErrorCode::CardNonceUnknown),
        Some((_, Some(_))) => Err(ErrorCode::CardNonceUsed),
        Some((expires, None)) if expires < now => Err(ErrorCode::CardNonceExpired),
        Some(_) => Ok(()),
    })
}

/// Spends a challenge in the caller's transaction; false when it was spent or expired meanwhile (a concurrent use
/// of the same challenge finds it spent and rolls back).
pub async fn spend(tx: &mut AnyConnection, nonce: &str, now: i64) -> Result<bool, sqlx::Error> {
    let spent = sqlx::query(
        "UPDATE card_challenges SET spent_at = $1 WHERE nonce_hash = $2 AND spent_at IS NULL AND expires_at >= $1",
    )
    .bind(now)
    .bind(sha256_hex(nonce.as_bytes()))
    .execute(&mut *tx)
    .await?;
    Ok(spent.rows_affected() == 1)
}
