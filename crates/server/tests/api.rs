//! The API through the router (axum's testing example), against real databases: SQLite (a fresh file per test)
//! and PostgreSQL (a fresh database per test on the server named by PROMESS_TEST_POSTGRES, which
//! `scripts/test` starts and stops).
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use promess_core::{
    RegistrationRequest,
    registration::{
        Credentials,
        examples::{STRONG_PASSWORD, valid_draft},
    },
};
use serde_json::{Value, json};
use tower::ServiceExt;

mod common;
use common::{Backend, ORIGIN, RATE_LIMIT, TestApp, count, rpps, send, test_app};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, name).await
}

on_both!(
    a_valid_request_is_received_and_its_password_only_hashed,
    the_same_name_gets_the_next_identifier_and_a_stale_proposal_gets_409,
    broken_rules_answer_422_by_field_with_stable_codes,
    malformed_unknown_non_json_and_oversized_bodies_are_refused,
    the_wizard_is_served_with_strict_security_headers,
    a_retry_with_the_same_idempotency_key_gets_the_first_answer,
    concurrent_registrations_for_one_name_get_distinct_identifiers,
    too_many_registrations_from_one_client_get_429,
    the_confirmation_email_is_queued_with_the_registration_and_sent_once,
    an_smtp_outage_delays_the_email_and_delivers_it_once_when_back,
    only_the_app_s_origin_may_call_the_api,
    an_email_that_will_never_leave_is_dead_listed_and_not_retried,
    two_processes_started_at_once_migrate_the_schema_once,
    a_database_out_of_reach_answers_503_in_french_and_the_json_rejection_its_own,
);

/// Cécile Sage's request, its second factor set up on `app` first (as the wizard's step 3 does).
async fn request(app: &TestApp, identifiant: Option<&str>) -> RegistrationRequest {
    let r = RegistrationRequest {
        donnees: valid_draft(),
        secret: Credentials { mot_de_passe: STRONG_PASSWORD.into(), mot_de_passe_confirmation: STRONG_PASSWORD.into() },
        identifiant: identifiant.map(str::to_owned),
        preuve_carte: None,
    };
    common::secured(app, &r).await
}

/// A valid RPPS number: ten digits of our own and the Luhn key.
fn post_with_key(r: &RegistrationRequest, key: &str) -> Request<Body> {
    Request::post("/api/registrations")
        .header(header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .body(Body::from(serde_json::to_string(r).unwrap()))
        .unwrap()
}

fn post_json(body: String) -> Request<Body> {
    Request::post("/api/registrations").header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap()
}

async fn register(app: &TestApp, r: &RegistrationRequest) -> (StatusCode, Value) {
    let (status, body, _) = send(app, post_json(serde_json::to_string(r).unwrap())).await;
    (status, body)
}

async fn a_valid_request_is_received_and_its_password_only_hashed(app: &TestApp) {
    let (status, body) = register(app, &request(app, None).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        body,
        json!({"identifiant": "cecile.sage", "adresse": "cecile.sage@sante-na.fr", "statut": "email_a_confirmer"})
    );
    let (rpps, hash, donnees): (String, String, String) =
        sqlx::query_as("SELECT rpps, password_hash, donnees FROM registrations WHERE identifiant = 'cecile.sage'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(rpps, "99700771191");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(promess_server::password::verify(STRONG_PASSWORD, &hash));
    let dump: Vec<(String,)> =
        sqlx::query_as("SELECT donnees || password_hash || email FROM registrations").fetch_all(&app.db).await.unwrap();
    assert!(!dump.iter().any(|(row,)| row.contains(STRONG_PASSWORD)), "the password is never stored in clear");
    assert!(donnees.contains("\"prenom\":\"Cécile\""));
}

async fn the_same_name_gets_the_next_identifier_and_a_stale_proposal_gets_409(app: &TestApp) {
    assert_eq!(register(app, &request(app, None).await).await.0, StatusCode::ACCEPTED);
    let (_, proposal, _) =
        send(app, Request::get("/api/identifiants?prenom=C%C3%A9cile&nom=Sage").body(Body::empty()).unwrap()).await;
    assert_eq!(proposal, json!({"identifiant": "cecile.sage2", "adresse": "cecile.sage2@sante-na.fr"}));
    // The same name typed with a decomposed accent (e + U+0301) is the same person's name.
    let (_, decomposed, _) =
        send(app, Request::get("/api/identifiants?prenom=Ce%CC%81cile&nom=Sage").body(Body::empty()).unwrap()).await;
    assert_eq!(decomposed["identifiant"], "cecile.sage2", "{decomposed}");
    // Other scripts, lookalikes (a Cyrillic е) and fillers get their own message, never an identifier.
    for (prenom, what) in
        [("%CE%A3%CE%BF%CF%86%CE%AF%CE%B1", "Greek"), ("J%D0%B5an", "Cyrillic е"), ("%E3%85%A4", "Hangul filler")]
    {
        let path = format!("/api/identifiants?prenom={prenom}&nom=Sage");
        let (status, body, _) = send(app, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(
            (status, body["prenom"][0].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_latin")),
            "{what}: {body}"
        );
    }
    let (_, vietnamese, _) =
        send(app, Request::get("/api/identifiants?prenom=Van&nom=Nguy%E1%BB%85n").body(Body::empty()).unwrap()).await;
    assert_eq!(vietnamese["identifiant"], "van.nguyen", "{vietnamese}");

    let mut second = request(app, Some("cecile.sage")).await;
    second.donnees.rpps = "10005173140".into();
    let (status, body) = register(app, &second).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["identifiant"], "cecile.sage2");
    second.identifiant = Some("cecile.sage2".into());
    let (status, body) = register(app, &second).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["adresse"], "cecile.sage2@sante-na.fr");
}

async fn broken_rules_answer_422_by_field_with_stable_codes(app: &TestApp) {
    let mut bad = request(app, None).await;
    bad.donnees.rpps = "10003461033".into();
    bad.donnees.email_confirmation = "autre@exemple.fr".into();
    bad.secret.mot_de_passe_confirmation = "autre".into();
    // A doctor's specialty for a midwife, and a civilité from no table.
    bad.donnees.specialite_rpps = "SM54".into();
    bad.donnees.civilite = "MLLE".into();
    let (status, body) = register(app, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({
            "civilite": ["unknown_code"],
            "email_confirmation": ["email_mismatch"],
            "rpps": ["invalid_checksum"],
            "specialite_rpps": ["specialty_of_other_profession"],
            "mot_de_passe_confirmation": ["password_mismatch"]
        })
    );
    let mut weak = request(app, None).await;
    weak.secret =
        Credentials { mot_de_passe: "Motdepasse123".into(), mot_de_passe_confirmation: "Motdepasse123".into() };
    let (status, body) = register(app, &weak).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, json!({"mot_de_passe": ["password_too_guessable"]}), "zxcvbn runs on the server too");
    assert!(!body.to_string().contains("Motdepasse123"));
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM registrations").fetch_one(&app.db).await.unwrap();
    assert_eq!(count.0, 0, "no half-written record");
}

async fn malformed_unknown_non_json_and_oversized_bodies_are_refused(app: &TestApp) {
    let (status, body, _) = send(app, post_json("{\"donnees\":".into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["erreur"].as_str().unwrap().contains("JSON"), "{body}");

    let mut value = serde_json::to_value(request(app, None).await).unwrap();
    value["donnees"]["admin"] = json!(true);
    let (status, body, _) = send(app, post_json(value.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["erreur"], "La demande contient un champ inconnu : « admin ».");

    let mut value = serde_json::to_value(request(app, None).await).unwrap();
    value["secret"] = json!("Correct-Cheval-Batterie-42");
    let (status, body, _) = send(app, post_json(value.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!body.to_string().contains("Correct-Cheval"), "a password is never echoed: {body}");

    let plain = Request::post("/api/registrations")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(serde_json::to_string(&request(app, None).await).unwrap()))
        .unwrap();
    assert_eq!(send(app, plain).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let huge = format!("{{\"donnees\":{{\"nom\":\"{}\"}}}}", "a".repeat(64 * 1024));
    assert_eq!(send(app, post_json(huge)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn the_wizard_is_served_with_strict_security_headers(app: &TestApp) {
    let (status, _, headers) = send(app, Request::get("/identifiant").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "a wizard route falls back to index.html");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("'sha256-"), "the inline loader is allowed by its hash: {csp}");
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let (_, _, api_headers) = send(app, post_json("{}".into())).await;
    assert_eq!(api_headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

async fn a_retry_with_the_same_idempotency_key_gets_the_first_answer(app: &TestApp) {
    let r = request(app, None).await;
    let (first_status, first, _) = send(app, post_with_key(&r, "cle-1")).await;
    assert_eq!(first_status, StatusCode::ACCEPTED, "{first}");
    let (again_status, again, _) = send(app, post_with_key(&r, "cle-1")).await;
    assert_eq!((again_status, &again), (StatusCode::ACCEPTED, &first));
    assert_eq!(count(app).await, 1, "a retry never creates a second account");

    // The key is bound to its request: another body, or one that is not even JSON, never gets the first answer.
    let mut stranger = request(app, None).await;
    stranger.donnees.prenom = "Ève".into();
    stranger.donnees.rpps = rpps(8);
    let (status, body, _) = send(app, post_with_key(&stranger, "cle-1")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused")));
    let garbage = Request::post("/api/registrations")
        .header(header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", "cle-1")
        .body(Body::from("pas du JSON"))
        .unwrap();
    let (status, body, _) = send(app, garbage).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.get("identifiant").is_none(), "{body}");
    assert_eq!(count(app).await, 1);

    // A double click: the same request twice at once.
    let mut other = request(app, None).await;
    other.donnees.prenom = "Zoé".into();
    other.donnees.rpps = rpps(7);
    let (a, b) = tokio::join!(send(app, post_with_key(&other, "cle-2")), send(app, post_with_key(&other, "cle-2")));
    assert_eq!((a.0, b.0), (StatusCode::ACCEPTED, StatusCode::ACCEPTED), "{} {}", a.1, b.1);
    assert_eq!(a.1, b.1);
    assert_eq!(count(app).await, 2);
}

async fn concurrent_registrations_for_one_name_get_distinct_identifiers(app: &TestApp) {
    const N: u32 = 8;
    let mut requests = Vec::new();
    for i in 0..N {
        let mut r = request(app, None).await;
        r.donnees.rpps = rpps(100 + i);
        requests.push(r);
    }
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let router = app.router.clone();
            tokio::spawn(async move {
                let response = router.oneshot(post_json(serde_json::to_string(&r).unwrap())).await.unwrap();
                let status = response.status();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                (status, serde_json::from_slice::<Value>(&bytes).unwrap())
            })
        })
        .collect();
    let mut identifiers = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        identifiers.push(body["identifiant"].as_str().unwrap().to_owned());
    }
    identifiers.sort();
    identifiers.dedup();
    assert_eq!(identifiers.len(), N as usize, "{identifiers:?}");
    assert!(identifiers.contains(&"cecile.sage".to_owned()) && identifiers.contains(&format!("cecile.sage{N}")));
}

async fn too_many_registrations_from_one_client_get_429(app: &TestApp) {
    let from = |ip: [u8; 4], body: &RegistrationRequest| {
        let mut req = post_json(serde_json::to_string(body).unwrap());
        req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 40000))));
        req
    };
    for i in 0..RATE_LIMIT {
        let mut r = request(app, None).await;
        r.donnees.rpps = rpps(200 + i);
        assert_eq!(send(app, from([10, 0, 0, 1], &r)).await.0, StatusCode::ACCEPTED);
    }
    let mut r = request(app, None).await;
    r.donnees.rpps = rpps(300);
    let (status, body, headers) = send(app, from([10, 0, 0, 1], &r)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(count(app).await, RATE_LIMIT as i64, "refused before any work");
    assert_eq!(send(app, from([10, 0, 0, 2], &r)).await.0, StatusCode::ACCEPTED, "another client is not limited");

    // Identifier proposals and card challenges are limited too (their own allowances).
    let get_from = |ip: [u8; 4], path: &str, post: bool| {
        let mut req = if post { Request::post(path) } else { Request::get(path) }.body(Body::empty()).unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 40000))));
        req
    };
    let proposals = RATE_LIMIT * promess_server::PROPOSALS_PER_REGISTRATION;
    for _ in 0..proposals {
        let (status, _, headers) =
            send(app, get_from([10, 0, 0, 3], "/api/identifiants?prenom=Paul&nom=Martin", false)).await;
        assert_eq!((status, headers[header::CACHE_CONTROL].to_str().unwrap()), (StatusCode::OK, "no-store"));
    }
    let (status, _, _) = send(app, get_from([10, 0, 0, 3], "/api/identifiants?prenom=Paul&nom=Martin", false)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    for _ in 0..RATE_LIMIT {
        assert_eq!(send(app, get_from([10, 0, 0, 4], "/api/card-challenges", true)).await.0, StatusCode::CREATED);
    }
    assert_eq!(send(app, get_from([10, 0, 0, 4], "/api/card-challenges", true)).await.0, StatusCode::TOO_MANY_REQUESTS);
}

async fn outbox(app: &TestApp) -> Vec<(String, String, i64, Option<i64>)> {
    sqlx::query_as(
        "SELECT o.id, o.recipient, j.attempts, o.sent_at FROM outbox o JOIN jobs j ON j.id = o.id ORDER BY o.id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

fn mailbox() -> lettre::message::Mailbox {
    "Messagerie sécurisée Nouvelle-Aquitaine <notification@esea-na.fr>".parse().unwrap()
}

async fn the_confirmation_email_is_queued_with_the_registration_and_sent_once(app: &TestApp) {
    let mut bad = request(app, None).await;
    bad.donnees.rpps = "10003461033".into();
    assert_eq!(register(app, &bad).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(outbox(app).await.is_empty(), "no email for a refused registration");

    assert_eq!(register(app, &request(app, None).await).await.0, StatusCode::ACCEPTED);
    let queued = outbox(app).await;
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].1.as_str(), queued[0].3), ("cecile.sage@exemple.fr", None));

    let folder = app.dir.join("outbox");
    let mailer = promess_server::outbox::Mailer::from_url(&format!("file://{}", folder.display())).unwrap();
    let now = promess_server::queue::now_secs();
    // Two workers (two server processes on one database) at once: the email goes out once.
    let from = mailbox();
    let (a, b) = tokio::join!(
        promess_server::outbox::deliver_due(&app.store, &mailer, &from, now),
        promess_server::outbox::deliver_due(&app.store, &mailer, &from, now)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(promess_server::outbox::deliver_due(&app.store, &mailer, &mailbox(), now + 3600).await.unwrap(), 0);
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("To: cecile.sage@exemple.fr"), "{eml}");
    assert!(eml.contains(&format!("Message-ID: <{}@promess-inscription>", queued[0].0)));
    assert!(eml.contains("multipart/alternative") && eml.contains("text/html"));
    assert!(!eml.contains(STRONG_PASSWORD));
    assert!(outbox(app).await[0].3.is_some(), "marked sent");
}

/// Python's standard SMTP server (smtpd), printing what it receives.
struct SmtpServer(std::process::Child);

impl SmtpServer {
    fn start(port: u16) -> SmtpServer {
        let child = std::process::Command::new("python3")
            .args(["-u", "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "smtpd did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        SmtpServer(child)
    }

    /// Stops it and returns everything it received.
    fn stop(mut self) -> String {
        let _ = self.0.kill();
        let mut out = String::new();
        std::io::Read::read_to_string(self.0.stdout.as_mut().unwrap(), &mut out).unwrap();
        let _ = self.0.wait();
        out
    }
}

async fn an_smtp_outage_delays_the_email_and_delivers_it_once_when_back(app: &TestApp) {
    assert_eq!(register(app, &request(app, None).await).await.0, StatusCode::ACCEPTED);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailer = promess_server::outbox::Mailer::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let now = promess_server::queue::now_secs();

    // The SMTP server is down: nothing sent, nothing lost, a later attempt planned.
    assert_eq!(promess_server::outbox::deliver_due(&app.store, &mailer, &mailbox(), now).await.unwrap(), 0);
    let (attempts, next, error): (i64, i64, String) =
        sqlx::query_as("SELECT attempts, next_attempt_at, last_error FROM jobs WHERE kind = 'email'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(next > now, "backoff");
    assert!(!error.is_empty());
    assert_eq!(
        promess_server::outbox::deliver_due(&app.store, &mailer, &mailbox(), now).await.unwrap(),
        0,
        "not due yet"
    );

    // Back up: delivered, once.
    let server = SmtpServer::start(port);
    assert_eq!(promess_server::outbox::deliver_due(&app.store, &mailer, &mailbox(), next).await.unwrap(), 1);
    assert_eq!(promess_server::outbox::deliver_due(&app.store, &mailer, &mailbox(), next + 3600).await.unwrap(), 0);
    let received = server.stop();
    let (id,): (String,) = sqlx::query_as("SELECT id FROM outbox").fetch_one(&app.db).await.unwrap();
    assert_eq!(received.matches(&format!("<{id}@promess-inscription>")).count(), 1, "{received}");
    assert!(received.contains("cecile.sage@exemple.fr"));
    assert!(!received.contains(STRONG_PASSWORD));
}

async fn only_the_app_s_origin_may_call_the_api(app: &TestApp) {
    let r = request(app, None).await;
    let with = |origin: &str, site: &str| {
        let mut req = post_json(serde_json::to_string(&r).unwrap());
        req.headers_mut().insert(header::ORIGIN, origin.parse().unwrap());
        req.headers_mut().insert("sec-fetch-site", site.parse().unwrap());
        req
    };
    let (status, body, _) = send(app, with("https://evil.example", "cross-site")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = send(app, with("http://127.0.0.1:8081", "same-site")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another port is another origin");
    assert_eq!(count(app).await, 0);
    let (status, body, _) = send(app, with(ORIGIN, "same-origin")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

async fn an_email_that_will_never_leave_is_dead_listed_and_not_retried(app: &TestApp) {
    use promess_server::{
        outbox::{Mailer, SendEmail, deliver_due},
        queue::{Job, Kind},
        store::jobs,
    };
    const MAX_ATTEMPTS: i64 = SendEmail::MAX_ATTEMPTS;
    assert_eq!(register(app, &request(app, None).await).await.0, StatusCode::ACCEPTED);
    let mut other = request(app, None).await;
    (other.donnees.prenom, other.donnees.rpps) = ("Zoé".into(), rpps(9));
    assert_eq!(register(app, &other).await.0, StatusCode::ACCEPTED);
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM outbox ORDER BY id").fetch_all(&app.db).await.unwrap();
    let (permanent, transient) = (&ids[0].0, &ids[1].0);
    // A recipient that is no address: a permanent failure, given up at once.
    sqlx::query("UPDATE outbox SET recipient = 'pas une adresse' WHERE id = $1")
        .bind(permanent)
        .execute(&app.db)
        .await
        .unwrap();
    // A folder that cannot be written (a file stands in its place): transient, retried until the attempts run out.
    let blocked = app.dir.join("blocked");
    std::fs::create_dir_all(&blocked).unwrap();
    let mailer = Mailer::from_url(&format!("file://{}", blocked.display())).unwrap();
    std::fs::remove_dir_all(&blocked).unwrap();
    std::fs::write(&blocked, "not a folder").unwrap();
    let mut now = promess_server::queue::now_secs();
    for _ in 0..MAX_ATTEMPTS + 3 {
        assert_eq!(deliver_due(&app.store, &mailer, &mailbox(), now).await.unwrap(), 0);
        now += 3600;
    }
    let listed = jobs::pending(&app.store, Kind::Email).await.unwrap();
    assert_eq!(listed.len(), 2);
    let of = |id: &str| listed.iter().find(|p| p.id == id).unwrap();
    assert_eq!(of(permanent).attempts, 1, "a permanent failure is not retried");
    assert!(of(permanent).dead_at.is_some() && of(permanent).last_error.as_deref().unwrap().contains("recipient"));
    assert_eq!(of(transient).attempts, MAX_ATTEMPTS, "retried up to its limit, then no more");
    assert!(of(transient).dead_at.is_some());
    // A working mailer later sends none of them: dead is dead.
    let folder = Mailer::from_url(&format!("file://{}", app.dir.join("outbox").display())).unwrap();
    assert_eq!(deliver_due(&app.store, &folder, &mailbox(), now).await.unwrap(), 0);
    // Until the operator retries them (`promess-server outbox relancer`): the one that can leave leaves, once.
    assert_eq!(jobs::retry_dead(&app.store, Kind::Email, now).await.unwrap(), 2);
    assert_eq!(deliver_due(&app.store, &folder, &mailbox(), now).await.unwrap(), 1);
    let listed = jobs::pending(&app.store, Kind::Email).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [permanent.as_str()]);
    assert_eq!(deliver_due(&app.store, &folder, &mailbox(), now + 3600).await.unwrap(), 0);
}

async fn two_processes_started_at_once_migrate_the_schema_once(app: &TestApp) {
    // A fresh database of the same kind, and two servers connecting to it at once.
    let dir = app.dir.join("twice");
    std::fs::create_dir_all(&dir).unwrap();
    let backend = if app.dir.join("promess.db").exists() { Backend::Sqlite } else { Backend::Postgres };
    let Some(url) = common::database_url(backend, "migrated_twice", &dir).await else { return };
    let (a, b) = tokio::join!(promess_server::store::Store::connect(&url), promess_server::store::Store::connect(&url));
    let (a, b) = (a.expect("the first process"), b.expect("the second process"));
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(a.pool()).await.unwrap();
    assert_eq!(applied as usize, promess_server::store::MIGRATOR.iter().count(), "each migration once");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM registrations").fetch_one(b.pool()).await.unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn served_over_https_the_answers_carry_hsts() {
    let https = |mut settings: promess_server::Settings, _: &std::path::Path| {
        settings.origins = vec!["https://inscription.sante-na.fr".into()];
        settings
    };
    let app = common::test_app_with(Backend::Sqlite, "hsts", https).await.unwrap();
    let (_, _, headers) = send(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(headers[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000; includeSubDomains");
    let plain = common::test_app(Backend::Sqlite, "no_hsts").await.unwrap();
    let (_, _, headers) = send(&plain, Request::get("/").body(Body::empty()).unwrap()).await;
    assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "not over plain HTTP");
}

async fn a_database_out_of_reach_answers_503_in_french_and_the_json_rejection_its_own(app: &TestApp) {
    // The body's fault is said as such, before the database is asked anything.
    let (status, rejected, _) = send(app, post_json("[]".into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The database gone (its pool closed): the client is told to come back, in French, with nothing internal.
    let r = request(app, None).await;
    app.store.close().await;
    let (status, body, headers) = send(app, post_json(serde_json::to_string(&r).unwrap())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers[header::RETRY_AFTER], "5");
    let message = body["erreur"].as_str().unwrap();
    assert!(message.contains("momentanément indisponible") && message.contains("réessayez"), "{body}");
    // The support's reference: the answer's id, in the message the professional reads.
    let id = headers["x-request-id"].to_str().unwrap();
    assert!(message.ends_with(&format!("(référence : {id})")), "{body}");
    assert_eq!(body["reference"], id);
    assert!(!message.contains("pool") && !message.contains("closed"), "{body}");
    assert_ne!(rejected["erreur"], body["erreur"]);
    let names = Request::get("/api/identifiants?prenom=Anne&nom=Martin").body(Body::empty()).unwrap();
    assert_eq!(send(app, names).await.0, StatusCode::SERVICE_UNAVAILABLE);
    // Readiness says so too, publicly: the kind of failure, never the database's own message.
    let (status, ready, _) = send(app, Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!((status, &ready["raison"]), (StatusCode::SERVICE_UNAVAILABLE, &json!("base de données injoignable")));
}
