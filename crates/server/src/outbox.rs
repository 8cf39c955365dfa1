//! Sending the emails of the outbox: a worker takes the due rows, sends them, and marks them sent; a failure is
//! retried later with an exponential backoff. A registration never waits for, nor fails with, the mail server.
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header::MessageId},
};
use sqlx::AnyPool;
use std::{path::PathBuf, time::Duration};

/// Where emails go: .eml files in a folder (`file://outbox`) or an SMTP server (`smtp://host:port`).
#[derive(Clone)]
pub enum Mailer {
    Folder(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_url(url: &str) -> Result<Mailer, String> {
        if let Some(path) = url.strip_prefix("file://") {
            std::fs::create_dir_all(path).map_err(|e| format!("{path}: {e}"))?;
            Ok(Mailer::Folder(PathBuf::from(path)))
        } else if let Some(address) = url.strip_prefix("smtp://") {
            // A relay on the operator's network, without TLS (a TLS relay is still to come).
            let (host, port) = address.trim_end_matches('/').rsplit_once(':').unwrap_or((address, "25"));
            let port: u16 = port.parse().map_err(|_| format!("{url}: bad port"))?;
            let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .timeout(Some(Duration::from_secs(20)))
                .build();
            Ok(Mailer::Smtp(transport))
        } else {
            Err(format!("{url}: expected file://FOLDER or smtp://HOST:PORT"))
        }
    }

    async fn send(&self, id: &str, message: &Message) -> Result<(), Failure> {
        match self {
            Mailer::Folder(dir) => {
                // Written whole then renamed: a reader never sees half a message.
                let tmp = dir.join(format!(".{id}.eml.tmp"));
                let transient = |e: std::io::Error| Failure::Transient(e.to_string());
                tokio::fs::write(&tmp, message.formatted()).await.map_err(transient)?;
                tokio::fs::rename(&tmp, dir.join(format!("{id}.eml"))).await.map_err(transient)
            }
            Mailer::Smtp(transport) => transport.send(message.clone()).await.map(|_| ()).map_err(|e| {
                // A 5xx answer (an address refused…) will not change: the others may.
                if e.is_permanent() { Failure::Permanent(e.to_string()) } else { Failure::Transient(e.to_string()) }
            }),
        }
    }
}

/// Why an email did not leave.
#[derive(Debug)]
enum Failure {
    /// Worth another attempt (the server down, a 4xx answer, a disk full).
    Transient(String),
    /// It will never leave: the recipient refused or not an address.
    Permanent(String),
}

/// Attempts before an email is given up as dead.
pub const MAX_ATTEMPTS: i64 = 12;

/// An email that did not leave yet, or never will (`dead_at`), for the operator.
#[derive(Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub dead_at: Option<i64>,
}

/// The emails not sent, dead ones first.
pub async fn pending(db: &AnyPool) -> Result<Vec<Pending>, sqlx::Error> {
    let rows: Vec<(String, String, String, i64, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT id, recipient, subject, attempts, last_error, dead_at FROM outbox WHERE sent_at IS NULL \
         ORDER BY dead_at IS NULL, next_attempt_at",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, recipient, subject, attempts, last_error, dead_at)| Pending {
            id,
            recipient,
            subject,
            attempts,
            last_error,
            dead_at,
        })
        .collect())
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Seconds before the next attempt after `attempts` failures: 2, 4, 8… up to 10 minutes.
pub fn backoff(attempts: i64) -> i64 {
    2_i64.saturating_pow(attempts.clamp(1, 30) as u32).min(600)
}

type Row = (String, String, String, String, String, i64, i64);

/// How long a worker owns an email it is sending: another server process on the same database leaves it alone
/// meanwhile, so that two workers never send the same email.
const LEASE_SECS: i64 = 300;

/// Sends every email due at `now`; returns how many were sent.
pub async fn deliver_due(db: &AnyPool, mailer: &Mailer, from: &Mailbox, now: i64) -> Result<usize, sqlx::Error> {
    let due: Vec<Row> = sqlx::query_as(
        "SELECT id, recipient, subject, text_body, html_body, attempts, next_attempt_at FROM outbox \
         WHERE sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT 50",
    )
    .bind(now)
    .fetch_all(db)
    .await?;
    let started = std::time::Instant::now();
    let mut sent = 0;
    for (id, recipient, subject, text, html, attempts, due_at) in due {
        // The lease runs from when this email is taken: a slow batch never leaves the last ones unleased.
        let taken_at = now + started.elapsed().as_secs() as i64;
        let claimed = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL",
        )
        .bind(taken_at + LEASE_SECS)
        .bind(&id)
        .bind(due_at)
        .execute(db)
        .await?;
        if claimed.rows_affected() != 1 {
            continue; // Another worker took it.
        }
        let result = match build(&id, from, &recipient, &subject, text, html) {
            Ok(message) => mailer.send(&id, &message).await,
            Err(e) => Err(Failure::Permanent(e)),
        };
        match result {
            Ok(()) => {
                sqlx::query("UPDATE outbox SET sent_at = $1, attempts = $2 WHERE id = $3 AND sent_at IS NULL")
                    .bind(now)
                    .bind(attempts + 1)
                    .bind(&id)
                    .execute(db)
                    .await?;
                sent += 1;
            }
            Err(failure) => {
                let attempts = attempts + 1;
                let (error, dead) = match failure {
                    Failure::Permanent(e) => (e, true),
                    Failure::Transient(e) => (e, attempts >= MAX_ATTEMPTS),
                };
                if dead {
                    tracing::error!(%id, %error, attempts, "email given up: see `promess-server outbox`");
                } else {
                    tracing::warn!(%id, %error, attempts, "email not sent, will retry");
                }
                sqlx::query(
                    "UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3, dead_at = $4 WHERE id = $5",
                )
                .bind(attempts)
                .bind(taken_at + backoff(attempts))
                .bind(error)
                .bind(dead.then_some(taken_at))
                .bind(&id)
                .execute(db)
                .await?;
            }
        }
    }
    Ok(sent)
}

fn build(id: &str, from: &Mailbox, to: &str, subject: &str, text: String, html: String) -> Result<Message, String> {
    Message::builder()
        .from(from.clone())
        .to(to.parse().map_err(|e| format!("recipient: {e}"))?)
        .subject(subject)
        .header(MessageId::from(format!("<{id}@promess-inscription>")))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())
}

/// The background worker: every `every`, the due emails. Each round runs as its own task: a panic in it is logged
/// and the worker carries on.
pub fn spawn_worker(db: AnyPool, mailer: Mailer, from: Mailbox, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (db, mailer, from) = (db.clone(), mailer.clone(), from.clone());
            match tokio::spawn(async move { deliver_due(&db, &mailer, &from, now_secs()).await }).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "outbox"),
                Err(panic) => tracing::error!(error = %panic, "outbox worker panicked; carrying on"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!([1, 2, 3, 9, 10, 50].map(super::backoff), [2, 4, 8, 512, 600, 600]);
    }
}
