//! Sending the emails of the outbox: the email job of the queue (`queue`) takes a due message, sends it, and marks
//! it sent; a failure is retried later with the queue's backoff. A registration never waits for, nor fails with,
//! the mail server.
use crate::{
    queue::{self, Failure, Job, Kind},
    store::{
        Store,
        jobs::{self, Due},
    },
};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header::MessageId},
};
use sqlx::AnyConnection;
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

/// The longest an SMTP conversation may take.
const SEND_LIMIT: Duration = Duration::from_secs(60);

/// The email job: sends the outbox's message of the job's id.
#[derive(Clone)]
pub struct SendEmail {
    pub mailer: Mailer,
    pub from: Mailbox,
}

impl Job for SendEmail {
    const KIND: Kind = Kind::Email;
    /// Attempts before an email is given up as dead.
    const MAX_ATTEMPTS: i64 = 12;
    const WHAT: (&'static str, &'static str) = ("email", "promess-server outbox");

    async fn run(&self, store: &Store, job: &Due) -> Result<(), Failure> {
        let message = jobs::message(store, &job.id).await.map_err(|e| Failure::Transient(e.to_string()))?;
        let Some(m) = message else { return Err(Failure::Permanent("the message is gone".into())) };
        let message = build(&job.id, &self.from, &m.recipient, &m.subject, m.text_body, m.html_body)
            .map_err(Failure::Permanent)?;
        self.mailer.send(&job.id, &message).await
    }

    async fn done(&self, tx: &mut AnyConnection, job: &Due, now: i64) -> Result<(), sqlx::Error> {
        jobs::message_sent(tx, &job.id, now).await
    }
}

/// Sends every email due at `now`; returns how many were sent.
pub async fn deliver_due(store: &Store, mailer: &Mailer, from: &Mailbox, now: i64) -> Result<usize, sqlx::Error> {
    queue::run_due(store, &SendEmail { mailer: mailer.clone(), from: from.clone() }, now).await
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
