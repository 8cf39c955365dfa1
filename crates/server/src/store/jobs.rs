//! The job queue's table (`jobs`) and the messages of its emails (`outbox`). What a job does is `crate::queue`'s;
//! here is how it is written, claimed under a lease, renewed, done, retried, given up and listed.
use super::new_id;
use crate::email::Rendered;
use sqlx::AnyConnection;

use super::Store;

/// What a job does. Its key is what the `kind` column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Send the outbox's message of the job's id.
    Email,
    /// Write an activated request's account to the mail system's directory, then queue its acceptance email.
    Account,
    /// Write an account's new password (its hash) to its directory entry.
    Password,
    /// Remove a closed account's entry from the directory.
    Closure,
    /// A forgotten-password request (the job's id is the request's): its link sent when an account matches.
    ResetLink,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Email, Kind::Account, Kind::Password, Kind::Closure, Kind::ResetLink];
    /// The directory's kinds (`promess-server comptes`).
    pub const DIRECTORY: [Kind; 3] = [Kind::Account, Kind::Password, Kind::Closure];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Account => "annuaire_compte",
            Kind::Password => "annuaire_mot_de_passe",
            Kind::Closure => "annuaire_fermeture",
            Kind::ResetLink => "lien_reinitialisation",
        }
    }
}

/// Whether a job of one of these kinds about the registration is not done yet (a change on its way to the
/// directory).
pub async fn waiting(store: &Store, registration_id: &str, kinds: &[Kind]) -> Result<bool, sqlx::Error> {
    let keys: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.key())).collect();
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT 1 FROM jobs WHERE registration_id = $1 AND done_at IS NULL AND kind IN ({}) LIMIT 1",
        keys.join(", ")
    ))
    .bind(registration_id)
    .fetch_optional(store.pool())
    .await?;
    Ok(found.is_some())
}

/// Queues a job about a registration, in the caller's transaction; answers its id.
pub async fn enqueue(
    tx: &mut AnyConnection,
    kind: Kind,
    registration_id: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = new_id()?;
    insert(tx, &id, kind, Some(registration_id), now).await?;
    Ok(id)
}

/// Queues a job of this id (the row it is about, of another table), in the caller's transaction.
pub async fn enqueue_as(tx: &mut AnyConnection, id: &str, kind: Kind, now: i64) -> Result<(), sqlx::Error> {
    insert(tx, id, kind, None, now).await
}

async fn insert(
    tx: &mut AnyConnection,
    id: &str,
    kind: Kind,
    registration_id: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, registration_id, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id)
    .bind(kind.key())
    .bind(registration_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues an email to a registration's professional, in the caller's transaction: its message in the outbox, and
/// the job (of the same id) that sends it.
pub async fn enqueue_email(
    tx: &mut AnyConnection,
    registration_id: &str,
    recipient: &str,
    email: &Rendered,
    now: i64,
) -> Result<(), sqlx::Error> {
    let id = new_id()?;
    sqlx::query(
        "INSERT INTO outbox (id, registration_id, recipient, subject, text_body, html_body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(registration_id)
    .bind(recipient)
    .bind(&email.subject)
    .bind(&email.text)
    .bind(&email.html)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    insert(tx, &id, Kind::Email, Some(registration_id), now).await
}

/// A job due, as read before it is claimed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Due {
    pub id: String,
    pub registration_id: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// Up to `limit` jobs of `kind` due at `now`, the longest waiting first.
pub async fn due(store: &Store, kind: Kind, now: i64, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, registration_id, attempts, next_attempt_at FROM jobs WHERE kind = $1 AND done_at IS NULL \
         AND dead_at IS NULL AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $3",
    )
    .bind(kind.key())
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await
}

/// Takes the job `job` until `until` under the claim `token`: another worker (a second server process on the same
/// database) leaves it alone meanwhile. False when another worker took it first.
pub async fn claim(store: &Store, job: &Due, token: &str, until: i64) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE jobs SET next_attempt_at = $1, leased_by = $2 WHERE id = $3 AND next_attempt_at = $4 \
         AND done_at IS NULL AND dead_at IS NULL",
    )
    .bind(until)
    .bind(token)
    .bind(&job.id)
    .bind(job.next_attempt_at)
    .execute(store.pool())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Extends the lease of a job still held under `token` to `until`; false when the claim was lost (its lease ran out
/// and another worker took it).
pub async fn renew(store: &Store, id: &str, token: &str, until: i64) -> Result<bool, sqlx::Error> {
    let renewed =
        sqlx::query("UPDATE jobs SET next_attempt_at = $1 WHERE id = $2 AND leased_by = $3 AND done_at IS NULL")
            .bind(until)
            .bind(id)
            .bind(token)
            .execute(store.pool())
            .await?;
    Ok(renewed.rows_affected() == 1)
}

/// Marks a job held under `token` done, in the caller's transaction (with what its success writes); false when the
/// claim was lost meanwhile.
pub async fn complete(
    tx: &mut AnyConnection,
    id: &str,
    token: &str,
    attempts: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET done_at = $1, attempts = $2, last_error = NULL WHERE id = $3 AND leased_by = $4 \
         AND done_at IS NULL",
    )
    .bind(now)
    .bind(attempts)
    .bind(id)
    .bind(token)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt of a job held under `token`: due again at `next_attempt_at`, or given up (`dead_at`).
pub async fn failed(
    store: &Store,
    id: &str,
    token: &str,
    attempts: i64,
    next_attempt_at: i64,
    error: &str,
    dead_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET attempts = $1, next_attempt_at = $2, last_error = $3, dead_at = $4, leased_by = NULL \
         WHERE id = $5 AND leased_by = $6 AND done_at IS NULL",
    )
    .bind(attempts)
    .bind(next_attempt_at)
    .bind(error)
    .bind(dead_at)
    .bind(id)
    .bind(token)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A job not done yet, or given up (`dead_at`), for the operator.
#[derive(Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    /// What it is about: the email's recipient and subject, or the account's identifier.
    pub what: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub dead_at: Option<i64>,
}

/// The jobs of `kind` not done, dead ones first.
pub async fn pending(store: &Store, kind: Kind) -> Result<Vec<Pending>, sqlx::Error> {
    type Row = (String, Option<String>, Option<String>, Option<String>, i64, Option<String>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT j.id, r.identifiant, o.recipient, o.subject, j.attempts, j.last_error, j.dead_at FROM jobs j \
         LEFT JOIN registrations r ON r.id = j.registration_id LEFT JOIN outbox o ON o.id = j.id \
         WHERE j.kind = $1 AND j.done_at IS NULL ORDER BY j.dead_at IS NULL, j.next_attempt_at",
    )
    .bind(kind.key())
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, identifiant, recipient, subject, attempts, last_error, dead_at)| {
            let what = match (recipient, subject) {
                (Some(to), Some(subject)) => format!("{to}\t{subject}"),
                _ => identifiant.unwrap_or_default(),
            };
            Pending { id, what, attempts, last_error, dead_at }
        })
        .collect())
}

/// Gives the dead jobs of `kind` another series of attempts from `now` (once the operator fixed what failed);
/// answers how many.
pub async fn retry_dead(store: &Store, kind: Kind, now: i64) -> Result<u64, sqlx::Error> {
    let retried = sqlx::query(
        "UPDATE jobs SET dead_at = NULL, attempts = 0, next_attempt_at = $1, leased_by = NULL \
         WHERE kind = $2 AND dead_at IS NOT NULL AND done_at IS NULL",
    )
    .bind(now)
    .bind(kind.key())
    .execute(store.pool())
    .await?;
    Ok(retried.rows_affected())
}

/// A kind of job's queue, for the metrics.
#[derive(Debug, sqlx::FromRow)]
pub struct Stats {
    pub kind: String,
    pub pending: i64,
    pub dead: i64,
    /// When the longest waiting job was queued.
    pub oldest_pending: Option<i64>,
}

/// The jobs not done, by kind.
pub async fn stats(store: &Store) -> Result<Vec<Stats>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, CAST(SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS pending, \
         CAST(SUM(CASE WHEN dead_at IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS dead, \
         MIN(CASE WHEN dead_at IS NULL THEN created_at END) AS oldest_pending FROM jobs WHERE done_at IS NULL \
         GROUP BY kind",
    )
    .fetch_all(store.pool())
    .await
}

/// An email's message, as queued.
#[derive(Debug, sqlx::FromRow)]
pub struct Message {
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// The message of the email job `id`.
pub async fn message(store: &Store, id: &str) -> Result<Option<Message>, sqlx::Error> {
    sqlx::query_as("SELECT recipient, subject, text_body, html_body FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await
}

/// Records when an email left, in the transaction that marks its job done, and deletes its message (the link's
/// token was in it): its recipient, subject and dates stay.
pub async fn message_sent(tx: &mut AnyConnection, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET sent_at = $1, text_body = '', html_body = '' WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Deletes the jobs done before `before` (their outbox rows, the emails' metadata, stay with their request).
pub async fn purge_done(store: &Store, before: i64) -> Result<u64, sqlx::Error> {
    let gone = sqlx::query("DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < $1")
        .bind(before)
        .execute(store.pool())
        .await?;
    Ok(gone.rows_affected())
}
