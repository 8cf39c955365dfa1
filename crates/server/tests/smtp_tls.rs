//! Emails over SMTP with TLS and authentication, to a real SMTP server on loopback (Python's aiosmtpd, with a test
//! certificate): TLS from the start (`smtps://`) and STARTTLS (`?tls=starttls`), a wrong password, an untrusted
//! certificate.
use promess_server::outbox::{Mailer, deliver_due};
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

mod common;

/// aiosmtpd with TLS and authentication (user `promess`, password `s3cret-smtp`), printing what it receives.
struct TlsSmtp {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl TlsSmtp {
    fn start(mode: &str, port: u16, dir: &std::path::Path) -> TlsSmtp {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smtp_tls.py");
        let (cert, key) = (dir.join("smtp.pem"), dir.join("smtp.key"));
        let mut child = Command::new("python3")
            .args([script, mode, &port.to_string()])
            .args([&cert, &key])
            .args(["promess", "s3cret-smtp"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/setup installs it)");
        let (send, lines) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || out.lines().map_while(Result::ok).for_each(|l| drop(send.send(l))));
        let ready = lines.recv_timeout(Duration::from_secs(20)).expect("aiosmtpd did not start");
        assert_eq!(ready, "READY");
        TlsSmtp { child, lines }
    }

    /// Everything received so far.
    fn received(&self) -> String {
        std::thread::sleep(Duration::from_millis(200));
        self.lines.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for TlsSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One email waiting in the outbox again (as if just queued).
async fn requeue(db: &sqlx::AnyPool) {
    sqlx::query("UPDATE jobs SET done_at = NULL, dead_at = NULL, attempts = 0, next_attempt_at = 0, leased_by = NULL")
        .execute(db)
        .await
        .unwrap();
}

async fn last_error(db: &sqlx::AnyPool) -> (Option<String>, Option<i64>) {
    sqlx::query_as("SELECT last_error, dead_at FROM jobs").fetch_one(db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn emails_leave_over_smtps_and_starttls_with_authentication_and_never_in_clear_or_untrusted() {
    let app = common::test_app(common::Backend::Sqlite, "smtp_tls").await.unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    std::fs::write(app.dir.join("smtp.pem"), certified.cert.pem()).unwrap();
    std::fs::write(app.dir.join("smtp.key"), certified.signing_key.serialize_pem()).unwrap();
    let ca = app.dir.join("smtp.pem");
    let id = promess_server::secret::new_id().unwrap();
    sqlx::query(
        "INSERT INTO registrations (id, identifiant, adresse, statut, civilite, nom, prenom, email, donnees, \
         password_hash, created_at) VALUES ($1, 'a.b', 'a.b@sante-na.fr', 'active', '22', 'B', 'A', 'a.b@exemple.fr', \
         '{}', 'x', 0)",
    )
    .bind(&id)
    .execute(&app.db)
    .await
    .unwrap();
    let email = promess_server::email::Email {
        civilite: "22",
        identifiant: "a.b",
        kind: promess_server::email::Kind::Accepted { webmail: "https://w/" },
    }
    .render();
    let mut tx = app.store.begin_write().await.unwrap();
    promess_server::store::jobs::enqueue_email(&mut tx, &id, "a.b@exemple.fr", &email, 0).await.unwrap();
    tx.commit().await.unwrap();
    let from = "ESEA <notification@esea-na.fr>".parse().unwrap();

    for (mode, url) in [
        ("smtps", "smtps://promess:s3cret-smtp@127.0.0.1:{port}"),
        ("starttls", "smtp://promess:s3cret-smtp@127.0.0.1:{port}?tls=starttls"),
    ] {
        let port = free_port();
        let server = TlsSmtp::start(mode, port, &app.dir);
        let url = url.replace("{port}", &port.to_string());
        let mailer = Mailer::configure(&url, Some(&ca)).unwrap();
        requeue(&app.db).await;
        assert_eq!(
            deliver_due(&app.store, &mailer, &from, 1).await.unwrap(),
            1,
            "{mode}: {:?}",
            last_error(&app.db).await
        );
        let received = server.received();
        assert!(received.contains("MESSAGE notification@esea-na.fr a.b@exemple.fr"), "{mode}: {received}");
        assert!(received.contains("promess-inscription>"), "{mode}: {received}");

        // A wrong password: not sent, retried later (the operator fixes the setting), never dead for it.
        let wrong = Mailer::configure(&url.replace("s3cret-smtp", "faux"), Some(&ca)).unwrap();
        requeue(&app.db).await;
        assert_eq!(deliver_due(&app.store, &wrong, &from, 1).await.unwrap(), 0, "{mode}");
        let (error, dead) = last_error(&app.db).await;
        assert!(error.as_deref().unwrap_or_default().contains("535"), "{mode}: {error:?}");
        assert_eq!(dead, None, "{mode}: an authentication failure is not the email's fault");
        assert!(!error.unwrap_or_default().contains("faux"), "the password never shows");

        // A certificate of no trusted authority (the system's): not sent.
        let untrusted = Mailer::configure(&url, None).unwrap();
        requeue(&app.db).await;
        assert_eq!(deliver_due(&app.store, &untrusted, &from, 1).await.unwrap(), 0, "{mode}");
        assert_eq!(last_error(&app.db).await.1, None, "{mode}: retried");
        assert!(!server.received().contains("MESSAGE"), "{mode}: nothing reached the server without trust");
    }

    // STARTTLS required: a server that does not offer it (Python's plain smtpd) gets nothing in clear.
    let port = free_port();
    let mut plain = Command::new("python3")
        .args(["-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "smtpd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("smtp://promess:s3cret-smtp@127.0.0.1:{port}?tls=starttls");
    requeue(&app.db).await;
    assert_eq!(deliver_due(&app.store, &Mailer::configure(&url, Some(&ca)).unwrap(), &from, 1).await.unwrap(), 0);
    let _ = plain.kill();
    let mut out = String::new();
    std::io::Read::read_to_string(plain.stdout.as_mut().unwrap(), &mut out).unwrap();
    let _ = plain.wait();
    assert!(!out.contains("a.b@exemple.fr"), "{out}");
}
