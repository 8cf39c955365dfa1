//! Pro Santé Connect's journeys (`psc_flows`) and what PSC proved (`psc_identities`): secrets are found by their
//! hash (the `state`, the page's handle, the browser's cookie), each usable once and for a while.
use super::Store;
use crate::secret::sha256_hex;
use promess_core::psc::PscUse;
use sqlx::AnyConnection;

/// A journey to PSC, as the return needs it.
pub struct Flow {
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// What the journey is for: `inscription` or `compte`.
    pub purpose: String,
}

/// Records a journey begun by the browser whose cookie hashes to `browser_hash`.
pub async fn begin(
    store: &Store,
    state: &str,
    browser_hash: &str,
    flow: (&str, &str, &str),
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let (nonce, verifier, purpose) = flow;
    sqlx::query(
        "INSERT INTO psc_flows (state_hash, browser_hash, nonce, pkce_verifier, expires_at, purpose) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sha256_hex(state.as_bytes()))
    .bind(browser_hash)
    .bind(nonce)
    .bind(verifier)
    .bind(expires_at)
    .bind(purpose)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Takes the journey of `state` (once: a second return with the same state finds nothing), if it is current.
pub async fn take(store: &Store, state: &str, now: i64) -> Result<Option<Flow>, sqlx::Error> {
    let state_hash = sha256_hex(state.as_bytes());
    let mut tx = store.begin_write().await?;
    let spent = sqlx::query(
        "UPDATE psc_flows SET spent_at = $1, nonce = '', pkce_verifier = '' \
         WHERE state_hash = $2 AND spent_at IS NULL AND expires_at >= $1",
    )
    .bind(now)
    .bind(&state_hash);
    // The row is read before it is spent, in the same write transaction.
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT browser_hash, nonce, pkce_verifier, purpose FROM psc_flows \
         WHERE state_hash = $1 AND spent_at IS NULL AND expires_at >= $2",
    )
    .bind(&state_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let taken = spent.execute(&mut *tx).await?.rows_affected() == 1;
    tx.commit().await?;
    Ok(row.filter(|_| taken).map(|(browser_hash, nonce, pkce_verifier, purpose)| Flow {
        browser_hash,
        nonce,
        pkce_verifier,
        purpose,
    }))
}

/// Records what PSC proved, for the page's `handle` and this browser, until `expires_at`.
pub async fn prove(
    store: &Store,
    handle: &str,
    browser_hash: &str,
    identite: &str,
    proof: &PscUse,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO psc_identities (handle_hash, browser_hash, identite, emetteur, sujet, acr, authentifie_le, jeton, \
         verifie_le, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(sha256_hex(handle.as_bytes()))
    .bind(browser_hash)
    .bind(identite)
    .bind(&proof.emetteur)
    .bind(&proof.sujet)
    .bind(&proof.acr)
    .bind(proof.authentifie_le)
    .bind(&proof.jeton)
    .bind(proof.verifie_le)
    .bind(expires_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// What PSC proved for this handle and this browser.
pub struct Proven {
    /// The identity, as JSON (promess_core::psc::PscIdentity).
    pub identite: String,
    pub proof: PscUse,
    pub spent: bool,
}

/// The identity of `handle` for the browser whose cookie hashes to `browser_hash`, unexpired; None otherwise
/// (unknown, expired, or another browser's).
pub async fn proven(store: &Store, handle: &str, browser_hash: &str, now: i64) -> Result<Option<Proven>, sqlx::Error> {
    type Row = (String, String, String, String, String, i64, String, i64, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT browser_hash, identite, emetteur, sujet, acr, authentifie_le, jeton, verifie_le, spent_at \
         FROM psc_identities WHERE handle_hash = $1 AND expires_at >= $2",
    )
    .bind(sha256_hex(handle.as_bytes()))
    .bind(now)
    .fetch_optional(store.pool())
    .await?;
    let Some((browser, identite, emetteur, sujet, acr, authentifie_le, jeton, verifie_le, spent_at)) = row else {
        return Ok(None);
    };
    if !crate::secret::same(&browser, browser_hash) {
        return Ok(None);
    }
    let identifiant_national = serde_json::from_str::<promess_core::psc::PscIdentity>(&identite)
        .map_err(|e| sqlx::Error::Decode(e.into()))?
        .identifiant_national;
    let proof = PscUse { identifiant_national, emetteur, sujet, acr, authentifie_le, jeton, verifie_le };
    Ok(Some(Proven { identite, proof, spent: spent_at.is_some() }))
}

/// Spends a handle in the caller's transaction; false when it was spent or expired meanwhile.
pub async fn spend(tx: &mut AnyConnection, handle: &str, now: i64) -> Result<bool, sqlx::Error> {
    let spent = sqlx::query(
        "UPDATE psc_identities SET spent_at = $1 WHERE handle_hash = $2 AND spent_at IS NULL AND expires_at >= $1",
    )
    .bind(now)
    .bind(sha256_hex(handle.as_bytes()))
    .execute(&mut *tx)
    .await?;
    Ok(spent.rows_affected() == 1)
}

/// Deletes the journeys and identities expired before `before` (a spent one stays until then, so that a replay is
/// told apart from an unknown handle).
pub async fn purge(store: &Store, before: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM psc_flows WHERE expires_at < $1").bind(before).execute(store.pool()).await?;
    sqlx::query("DELETE FROM psc_identities WHERE expires_at < $1").bind(before).execute(store.pool()).await?;
    Ok(())
}
