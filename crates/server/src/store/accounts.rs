//! The account space's rows: an active account as its sign-in finds it, its failed sign-ins and lock, its sessions
//! (`account_sessions`), its factors' use (a TOTP step taken once, a recovery code used once) and its journal.
use super::{Store, new_id, registrations::Preuve};
use promess_core::lifecycle::Statut;

/// An active account, as its sign-in needs it.
pub struct Account {
    pub id: String,
    pub identifiant: String,
    pub password_hash: String,
    pub failures: i64,
    pub locked_until: Option<i64>,
}

/// The active account whose identifier or secure address is `login` (case ignored).
pub async fn by_login(store: &Store, login: &str) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, identifiant, password_hash, echecs_connexion, verrouille_jusqu_a FROM registrations \
         WHERE statut = $1 AND (identifiant = $2 OR LOWER(adresse) = $2)",
    )
    .bind(Statut::Active.key())
    .bind(login.trim().to_lowercase())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(id, identifiant, password_hash, failures, locked_until)| Account {
        id,
        identifiant,
        password_hash,
        failures,
        locked_until,
    }))
}

/// The account's failed sign-ins now, and its lock when they reach the limit.
pub async fn set_failures(
    store: &Store,
    id: &str,
    failures: i64,
    locked_until: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE registrations SET echecs_connexion = $1, verrouille_jusqu_a = $2 WHERE id = $3")
        .bind(failures)
        .bind(locked_until)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The active account whose identity was proven (by the card or Pro Santé Connect) with this national id.
pub async fn proven_by(
    store: &Store,
    national: &promess_core::card::NationalId,
) -> Result<Option<String>, sqlx::Error> {
    let (column, number) = match national {
        promess_core::card::NationalId::Rpps(n) => ("rpps", n),
        promess_core::card::NationalId::Adeli(n) => ("adeli", n),
    };
    sqlx::query_scalar(&format!(
        "SELECT id FROM registrations WHERE statut = $1 AND {column} = $2 \
         AND (carte_verifiee_le IS NOT NULL OR psc_verifiee_le IS NOT NULL) ORDER BY created_at LIMIT 1"
    ))
    .bind(Statut::Active.key())
    .bind(number)
    .fetch_optional(store.pool())
    .await
}

/// The account's failures and lock, read again (a second factor's check).
pub async fn failures(store: &Store, id: &str) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as("SELECT echecs_connexion, verrouille_jusqu_a FROM registrations WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
}

/// A session as its cookie finds it.
pub struct Session {
    pub registration_id: String,
    pub csrf: String,
    pub complete: bool,
    pub created_at: i64,
    pub seen_at: i64,
}

pub async fn open_session(
    store: &Store,
    id_hash: &str,
    registration_id: &str,
    csrf: &str,
    complete: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account_sessions (id_hash, registration_id, csrf, complete, created_at, seen_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id_hash)
    .bind(registration_id)
    .bind(csrf)
    .bind(i64::from(complete))
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn session(store: &Store, id_hash: &str) -> Result<Option<Session>, sqlx::Error> {
    let row: Option<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT registration_id, csrf, complete, created_at, seen_at FROM account_sessions WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(registration_id, csrf, complete, created_at, seen_at)| Session {
        registration_id,
        csrf,
        complete: complete == 1,
        created_at,
        seen_at,
    }))
}

pub async fn touch_session(store: &Store, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_sessions SET seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Ends every session of the account (its lock, its password changed, its closure).
pub async fn end_sessions(store: &Store, registration_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM account_sessions WHERE registration_id = $1")
        .bind(registration_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Ends one session; false when it had ended already (a second use of a pending session finds it gone).
pub async fn end_session(store: &Store, id_hash: &str) -> Result<bool, sqlx::Error> {
    let gone =
        sqlx::query("DELETE FROM account_sessions WHERE id_hash = $1").bind(id_hash).execute(store.pool()).await?;
    Ok(gone.rows_affected() == 1)
}

/// The account's authenticator apps: each factor's id and secret.
pub async fn totps(store: &Store, registration_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, secret FROM account_factors WHERE registration_id = $1 AND kind = 'totp' ORDER BY created_at",
    )
    .bind(registration_id)
    .fetch_all(store.pool())
    .await
}

/// The account's passkeys and security keys: each factor's id and key (JSON).
pub async fn keys(store: &Store, registration_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, secret FROM account_factors WHERE registration_id = $1 AND kind = 'cle' ORDER BY created_at",
    )
    .bind(registration_id)
    .fetch_all(store.pool())
    .await
}

/// A key after a sign-in (its counter moved on).
pub async fn update_key(store: &Store, factor_id: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_factors SET secret = $1 WHERE id = $2 AND kind = 'cle'")
        .bind(key)
        .bind(factor_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Keeps a passkey's ceremony in its session (a new one replaces the last).
pub async fn set_ceremony(store: &Store, id_hash: &str, ceremony: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_sessions SET webauthn_state = $1 WHERE id_hash = $2")
        .bind(ceremony)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Takes the session's ceremony, once: a second assertion (replayed) finds none.
pub async fn take_ceremony(store: &Store, id_hash: &str) -> Result<Option<String>, sqlx::Error> {
    let Some(ceremony): Option<Option<String>> =
        sqlx::query_scalar("SELECT webauthn_state FROM account_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(store.pool())
            .await?
    else {
        return Ok(None);
    };
    let Some(ceremony) = ceremony else { return Ok(None) };
    let taken =
        sqlx::query("UPDATE account_sessions SET webauthn_state = NULL WHERE id_hash = $1 AND webauthn_state = $2")
            .bind(id_hash)
            .bind(&ceremony)
            .execute(store.pool())
            .await?;
    Ok((taken.rows_affected() == 1).then_some(ceremony))
}

/// Takes a TOTP time step for good; false when it (or a later one) was used already: a code counts once.
pub async fn take_step(store: &Store, factor_id: &str, step: i64) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "UPDATE account_factors SET last_step = $1 WHERE id = $2 AND (last_step IS NULL OR last_step < $1)",
    )
    .bind(step)
    .bind(factor_id)
    .execute(store.pool())
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Uses a recovery code (its hash); false when it is not the account's or was used already.
pub async fn use_recovery_code(
    store: &Store,
    registration_id: &str,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE registration_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(registration_id)
    .bind(hash)
    .execute(store.pool())
    .await?;
    Ok(used.rows_affected() == 1)
}

/// A line of the professional's journal.
pub async fn journal(
    store: &Store,
    registration_id: &str,
    event: &str,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO account_journal (id, registration_id, at, event, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(new_id()?)
        .bind(registration_id)
        .bind(now)
        .bind(event)
        .bind(detail)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The journal's latest lines, newest first: (at, event, detail).
pub async fn journal_lines(
    store: &Store,
    registration_id: &str,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, event, detail FROM account_journal WHERE registration_id = $1 ORDER BY at DESC, id LIMIT $2",
    )
    .bind(registration_id)
    .bind(limit)
    .fetch_all(store.pool())
    .await
}

/// What the account page shows.
pub struct Overview {
    pub identifiant: String,
    pub adresse: String,
    pub email: String,
    pub preuve: Preuve,
    /// The mailbox is written to the mail system's directory.
    pub provisioned: bool,
    pub recovery_left: i64,
}

pub async fn overview(store: &Store, registration_id: &str) -> Result<Option<Overview>, sqlx::Error> {
    let row: Option<(String, String, String, Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT identifiant, adresse, email, carte_verifiee_le, psc_verifiee_le, provisioned_at FROM registrations \
         WHERE id = $1",
    )
    .bind(registration_id)
    .fetch_optional(store.pool())
    .await?;
    let Some((identifiant, adresse, email, carte, psc, provisioned)) = row else { return Ok(None) };
    let recovery_left = super::factors::recovery_left(store, registration_id).await?;
    Ok(Some(Overview {
        identifiant,
        adresse,
        email,
        preuve: Preuve::of(carte, psc),
        provisioned: provisioned.is_some(),
        recovery_left,
    }))
}
