//! The operator's staff (`operateurs`), their sessions (`sessions_operateur`, only the cookie's hash kept) and the
//! append-only audit log (`journal`). The rules (TOTP, lockout, idle time) are `crate::operators`'.
use super::{Store, new_id};
use sqlx::AnyExecutor;

/// Appends a line to the audit log: who, what, and its detail (never a password, code or token).
pub async fn audit(
    db: impl AnyExecutor<'_>,
    actor: &str,
    action: &str,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO journal (id, at, acteur, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(new_id()?)
        .bind(now)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}

/// A line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditLine {
    pub at: i64,
    pub acteur: String,
    pub action: String,
    pub detail: Option<String>,
}

/// The newest `limit` lines of the audit log, newest first.
pub async fn audit_lines(store: &Store, limit: i64) -> Result<Vec<AuditLine>, sqlx::Error> {
    sqlx::query_as("SELECT at, acteur, action, detail FROM journal ORDER BY at DESC, id DESC LIMIT $1")
        .bind(limit)
        .fetch_all(store.pool())
        .await
}

/// Creates an operator account, journalled as done from the terminal; false when the login is taken.
pub async fn insert(
    store: &Store,
    login: &str,
    password_hash: &str,
    totp_secret: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    let inserted =
        sqlx::query("INSERT INTO operateurs (login, password_hash, totp_secret, cree_le) VALUES ($1, $2, $3, $4)")
            .bind(login)
            .bind(password_hash)
            .bind(totp_secret)
            .bind(now)
            .execute(&mut *tx)
            .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(false),
        Err(e) => return Err(e),
    }
    audit(&mut *tx, "terminal", "operateur_ajoute", login, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Disables an account and ends its sessions; false when there is no such enabled account.
pub async fn disable(store: &Store, login: &str, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
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

/// An account as a list shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct Listed {
    pub login: String,
    pub cree_le: i64,
    pub desactive_le: Option<i64>,
    pub verrouille_jusqu_a: Option<i64>,
}

/// The accounts, by login.
pub async fn list(store: &Store) -> Result<Vec<Listed>, sqlx::Error> {
    sqlx::query_as("SELECT login, cree_le, desactive_le, verrouille_jusqu_a FROM operateurs ORDER BY login")
        .fetch_all(store.pool())
        .await
}

/// An account as a sign-in checks it.
#[derive(Debug, sqlx::FromRow)]
pub struct Account {
    pub password_hash: String,
    pub totp_secret: String,
    /// The last TOTP time step accepted.
    pub dernier_pas: i64,
    /// Consecutive failures.
    pub echecs: i64,
    pub verrouille_jusqu_a: Option<i64>,
    pub desactive_le: Option<i64>,
}

pub async fn account(store: &Store, login: &str) -> Result<Option<Account>, sqlx::Error> {
    sqlx::query_as(
        "SELECT password_hash, totp_secret, dernier_pas, echecs, verrouille_jusqu_a, desactive_le FROM operateurs \
         WHERE login = $1",
    )
    .bind(login)
    .fetch_optional(store.pool())
    .await
}

/// A sign-in that passed: the TOTP step taken (once: false when a concurrent sign-in with the same code took it),
/// failures forgotten, the session opened (its cookie's hash and CSRF token), journalled.
pub async fn open_session(
    store: &Store,
    login: &str,
    step: i64,
    id_hash: &str,
    csrf: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    let taken = sqlx::query(
        "UPDATE operateurs SET dernier_pas = $1, echecs = 0, verrouille_jusqu_a = NULL \
         WHERE login = $2 AND dernier_pas < $1",
    )
    .bind(step)
    .bind(login)
    .execute(&mut *tx)
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO sessions_operateur (id_hash, login, csrf, cree_le, vu_le) VALUES ($1, $2, $3, $4, $4)")
        .bind(id_hash)
        .bind(login)
        .bind(csrf)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit(&mut *tx, login, "connexion", "", now).await?;
    tx.commit().await?;
    Ok(true)
}

/// A sign-in refused for `why`: the failures counted (`failures`, or reset when the account is locked until
/// `lock`), journalled with the lock.
pub async fn record_failure(
    store: &Store,
    login: &str,
    failures: i64,
    lock: Option<i64>,
    why: &str,
    lock_why: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE operateurs SET echecs = $1, verrouille_jusqu_a = $2 WHERE login = $3")
        .bind(if lock.is_some() { 0 } else { failures })
        .bind(lock)
        .bind(login)
        .execute(&mut *tx)
        .await?;
    audit(&mut *tx, login, "connexion_refusee", why, now).await?;
    if lock.is_some() {
        audit(&mut *tx, login, "verrouillage", lock_why, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A session of an enabled account.
#[derive(Debug, sqlx::FromRow)]
pub struct Session {
    pub login: String,
    pub csrf: String,
    pub cree_le: i64,
    pub vu_le: i64,
}

/// The session of this cookie's hash, if its account is enabled.
pub async fn session(store: &Store, id_hash: &str) -> Result<Option<Session>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.login, s.csrf, s.cree_le, s.vu_le FROM sessions_operateur s JOIN operateurs o ON o.login = s.login \
         WHERE s.id_hash = $1 AND o.desactive_le IS NULL",
    )
    .bind(id_hash)
    .fetch_optional(store.pool())
    .await
}

/// A session seen now: its idle time starts again.
pub async fn touch_session(store: &Store, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions_operateur SET vu_le = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Deletes the sessions idle since before `idle_before` or opened before `opened_before` (ended, never presented
/// again), and the journal's lines older than `journal_before`; answers how many of each.
pub async fn purge(
    store: &Store,
    idle_before: i64,
    opened_before: i64,
    journal_before: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let sessions = sqlx::query("DELETE FROM sessions_operateur WHERE vu_le < $1 OR cree_le < $2")
        .bind(idle_before)
        .bind(opened_before)
        .execute(store.pool())
        .await?;
    let journal = sqlx::query("DELETE FROM journal WHERE at < $1").bind(journal_before).execute(store.pool()).await?;
    Ok((sessions.rows_affected(), journal.rows_affected()))
}

/// Ends a session.
pub async fn end_session(db: impl AnyExecutor<'_>, id_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions_operateur WHERE id_hash = $1").bind(id_hash).execute(db).await?;
    Ok(())
}
