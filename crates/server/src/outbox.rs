//! Sending the emails of the outbox: a worker takes the due rows, sends them, and marks them sent; a failure is
//! retried later with an exponential backoff. A registration never waits for, nor fails with, the mail server.
use crate::db::Queue;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header::MessageId},
};
use sqlx::AnyPool;
use std::{path::PathBuf, time::Duration};

/// Where emails go: .eml files in a folder (`file://outbox`) or an SMTP server: `smtp://host:port` (a relay on the
/// operator's network, in clear), `smtp://user:pass@host:587?tls=starttls` (STARTTLS required), or
/// `smtps://user:pass@host:465` (TLS from the start). The server's certificate is checked against the system's
/// authorities, or those of `ca` (a PEM file) for a private one.
#[derive(Clone)]
pub enum Mailer {
    Folder(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// The URL with its password hidden, for messages.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
        _ => url.to_owned(),
    }
}

impl Mailer {
    pub fn from_url(url: &str) -> Result<Mailer, String> {
        Mailer::configure(url, None)
    }

    pub fn configure(url: &str, ca: Option<&std::path::Path>) -> Result<Mailer, String> {
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        if let Some(path) = url.strip_prefix("file://") {
            std::fs::create_dir_all(path).map_err(|e| format!("{path}: {e}"))?;
            return Ok(Mailer::Folder(PathBuf::from(path)));
        }
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(format!("{}: expected file://FOLDER, smtp://HOST:PORT or smtps://…", redacted(url)));
        }
        let shown = redacted(url);
        let url = url.replace("tls=starttls", "tls=required");
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url).map_err(|e| format!("{shown}: {e}"))?;
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
            let host = url.split_once("://").map_or("", |(_, rest)| rest);
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            let host = host.split(['/', '?']).next().unwrap_or(host);
            let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
            let certificate = Certificate::from_pem(&pem).map_err(|e| format!("{}: {e}", ca.display()))?;
            let tls = TlsParameters::builder(host.to_owned())
                .add_root_certificate(certificate)
                .build_rustls()
                .map_err(|e| format!("{shown}: {e}"))?;
            builder = builder.tls(if url.starts_with("smtps://") {
                Tls::Wrapper(tls)
            } else if url.contains("tls=required") {
                Tls::Required(tls)
            } else {
                Tls::Opportunistic(tls)
            });
        }
        Ok(Mailer::Smtp(builder.timeout(Some(Duration::from_secs(20))).build()))
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
            // A server that stops answering never holds the worker: the whole conversation has a time limit.
            Mailer::Smtp(transport) => match tokio::time::timeout(SEND_LIMIT, transport.send(message.clone())).await {
                Err(_) => Err(Failure::Transient(format!("no answer of the SMTP server in {SEND_LIMIT:?}"))),
                Ok(sent) => sent.map(|_| ()).map_err(|e| {
                    // A 5xx answer about the message (an address refused…) will not change. An authentication failure
                    // (530, 534, 535, 538) is the setting's, not the email's: the operator fixes it and the email leaves.
                    let code = e.status().map(u16::from);
                    let authentication = code.is_some_and(|c| matches!(c, 530 | 534 | 535 | 538));
                    if e.is_permanent() && !authentication {
                        Failure::Permanent(e.to_string())
                    } else {
                        Failure::Transient(e.to_string())
                    }
                }),
            },
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

/// The longest an SMTP conversation may take.
const SEND_LIMIT: Duration = Duration::from_secs(60);

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
pub(crate) const LEASE_SECS: i64 = 300;

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
        if !Queue::Outbox.claim(db, &id, due_at, taken_at + LEASE_SECS).await? {
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
                Queue::Outbox.failed(db, &id, attempts, taken_at, &error, dead).await?;
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

/// The background worker: every `every`, the due emails.
pub fn spawn_worker(db: AnyPool, mailer: Mailer, from: Mailbox, every: Duration) -> tokio::task::JoinHandle<()> {
    Queue::Outbox.spawn_worker(every, move || {
        let (db, mailer, from) = (db.clone(), mailer.clone(), from.clone());
        async move { deliver_due(&db, &mailer, &from, now_secs()).await }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!([1, 2, 3, 9, 10, 50].map(super::backoff), [2, 4, 8, 512, 600, 600]);
    }
}
