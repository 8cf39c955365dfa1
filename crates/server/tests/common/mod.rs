//! What the API tests share: real databases (SQLite, a fresh file per test; PostgreSQL, a fresh database per test on
//! the server named by PROMESS_TEST_POSTGRES, which `scripts/test` starts and stops), the app through its router,
//! and requests.
#![allow(dead_code)]
pub mod account;
pub mod authenticator;
pub mod browser;
pub mod card;
pub mod mail_system;
pub mod postgres;
pub mod process;
pub mod psc;
pub mod psc_provider;
pub mod psc_stub;
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use promess_core::{
    RegistrationRequest,
    lifecycle::Statut,
    registration::{
        Credentials,
        examples::{STRONG_PASSWORD, valid_draft},
    },
};
use promess_server::{
    AppState, Settings, app,
    lifecycle::{self, Decision, DecisionError, Decisions},
    provisioning::{self, Directory, Provisioner},
    queue::Kind,
    store::{Store, jobs},
};
use serde_json::Value;
use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};
use tower::ServiceExt;

/// The app's origin in these tests.
pub const ORIGIN: &str = "http://127.0.0.1:8080";

/// Registrations per client and minute in these tests (requests without a client address are not counted).
pub const RATE_LIMIT: u32 = 3;

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    /// The store's pool, for the tests' own queries.
    pub db: sqlx::AnyPool,
    pub dir: PathBuf,
    /// The app's clock (Unix seconds), which the test moves: days pass without sleeping.
    pub clock: Arc<AtomicI64>,
}

impl TestApp {
    pub fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    pub fn advance(&self, secs: i64) -> i64 {
        self.clock.fetch_add(secs, Ordering::SeqCst) + secs
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database of the given kind; None when PostgreSQL is not available (`scripts/test` always sets it).
pub async fn database_url(backend: Backend, name: &str, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!("sqlite://{}?mode=rwc", dir.join("promess.db").display())),
        Backend::Postgres => {
            let Ok(server) = std::env::var("PROMESS_TEST_POSTGRES") else {
                eprintln!("PostgreSQL variant skipped: PROMESS_TEST_POSTGRES is not set (scripts/test sets it)");
                return None;
            };
            sqlx::any::install_default_drivers();
            let admin = sqlx::AnyPool::connect(&format!("{server}/postgres")).await.expect("PostgreSQL server");
            let db = format!("promess_test_{name}");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).execute(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {db}")).execute(&admin).await.unwrap();
            admin.close().await;
            Some(format!("{server}/{db}"))
        }
    }
}

pub async fn test_app(backend: Backend, name: &str) -> Option<TestApp> {
    test_app_with(backend, name, |state, _| state).await
}

/// A fresh app whose settings `adjust` may change (given the test's directory).
pub async fn test_app_with(
    backend: Backend,
    name: &str,
    adjust: impl FnOnce(Settings, &std::path::Path) -> Settings,
) -> Option<TestApp> {
    let dir = std::env::temp_dir().join(format!("promess-api-{name}-{backend:?}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("dist/index.html"), "<html><script type=\"module\">init()</script></html>").unwrap();
    let url = database_url(backend, name, &dir).await?;
    let store = Store::connect(&url).await.unwrap();
    let clock = Arc::new(AtomicI64::new(promess_server::queue::now_secs()));
    let settings = Settings { rate_limit: RATE_LIMIT, ..Settings::new(dir.join("dist"), vec![ORIGIN.to_owned()]) };
    let settings = adjust(settings, &dir);
    let time = clock.clone();
    let state = AppState::with_clock(settings, store.clone(), Arc::new(move || time.load(Ordering::SeqCst)));
    let db = store.pool().clone();
    Some(TestApp { router: app(state), store, db, dir, clock })
}

/// Each case runs on SQLite and on PostgreSQL, with the app `super::app_for` makes (a database name per case).
#[macro_export]
macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $case() {
                let app = super::app_for(super::common::Backend::Sqlite, stringify!($case)).await.unwrap();
                super::$case(&app).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $case() {
                if let Some(app) = super::app_for(super::common::Backend::Postgres, stringify!($case)).await {
                    super::$case(&app).await;
                }
            })*
        }
    };
}

pub async fn send(app: &TestApp, req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let response = app.router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers)
}

pub async fn count(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM registrations").fetch_one(&app.db).await.unwrap();
    n
}

/// The token of the latest email link sent for the request of `identifiant`, read from the outbox as the
/// professional reads it in their email.
pub async fn token_of(app: &TestApp, identifiant: &str) -> String {
    let bodies: Vec<(String,)> = sqlx::query_as(
        "SELECT o.text_body FROM outbox o JOIN registrations r ON r.id = o.registration_id \
         WHERE r.identifiant = $1 ORDER BY o.created_at, o.id",
    )
    .bind(identifiant)
    .fetch_all(&app.db)
    .await
    .unwrap();
    bodies
        .iter()
        .filter_map(|(body,)| body.split(&format!("{ORIGIN}/confirmer#")).nth(1))
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
        .next_back()
        .expect("an email with a link")
}

/// Presses the confirmation page's button: `POST /api/confirmations`, a second after what came before.
pub async fn confirm(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.advance(1);
    let request = Request::post("/api/confirmations")
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::json!({ "jeton": token }).to_string()))
        .unwrap();
    let (status, body, _) = send(app, request).await;
    (status, body)
}

/// The request's state, as stored.
pub async fn statut_of(app: &TestApp, identifiant: &str) -> Option<String> {
    sqlx::query_scalar("SELECT statut FROM registrations WHERE identifiant = $1")
        .bind(identifiant)
        .fetch_optional(&app.db)
        .await
        .unwrap()
}

/// The subjects of the emails queued for `identifiant`'s request, oldest first.
pub async fn subjects_of(app: &TestApp, identifiant: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT o.subject FROM outbox o JOIN registrations r ON r.id = o.registration_id \
         WHERE r.identifiant = $1 ORDER BY o.created_at, o.id",
    )
    .bind(identifiant)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// How long refused requests are kept in these tests.
pub const SETTINGS: Decisions = Decisions { refused_retention_secs: 30 * 86_400 };

/// A valid request for Cécile Sage with this RPPS (ours, Luhn-valid) and email.
pub fn request(rpps: &str, email: &str) -> RegistrationRequest {
    let mut donnees = valid_draft();
    donnees.rpps = rpps.into();
    (donnees.email, donnees.email_confirmation) = (email.into(), email.into());
    RegistrationRequest {
        donnees,
        secret: Credentials { mot_de_passe: STRONG_PASSWORD.into(), mot_de_passe_confirmation: STRONG_PASSWORD.into() },
        identifiant: None,
        preuve_carte: None,
    }
}

pub fn json_post(path: &str, body: Value) -> Request<Body> {
    Request::post(path).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()
}

/// The code an authenticator app shows at `now` for this secret.
pub fn totp_code(secret: &str, now: i64) -> String {
    promess_server::factors::totp(secret, "cecile.sage", promess_server::factors::ISSUER).unwrap().generate(now as u64)
}

/// A second factor set up and confirmed on `app` at its clock's time, as the wizard's step 3 does: its handle.
pub async fn factor(app: &TestApp) -> String {
    factor_with_codes(app).await.0
}

/// A second factor set up and confirmed on `app`: its handle, the app's secret and the recovery codes shown.
pub async fn factor_with_codes(app: &TestApp) -> (String, String, Vec<String>) {
    let new = serde_json::json!({"type": "totp", "identifiant": "cecile.sage"});
    let (status, setup, _) = send(app, json_post("/api/facteurs", new)).await;
    assert_eq!(status, StatusCode::CREATED, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let path = format!("/api/facteurs/{}/confirmation", setup["id"].as_str().unwrap());
    let code = totp_code(&secret, app.now());
    let (status, confirmed, _) = send(app, json_post(&path, serde_json::json!({ "code": code }))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let codes = confirmed["codes_secours"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (setup["id"].as_str().unwrap().to_owned(), secret, codes)
}

/// `r` with a second factor set up on `app`.
pub async fn secured(app: &TestApp, r: &RegistrationRequest) -> RegistrationRequest {
    let mut r = r.clone();
    (r.donnees.facteur, r.donnees.codes_conserves) = (factor(app).await, true);
    r
}

/// `POST /api/registrations` with a second factor set up first, which must answer 202: the answer's body.
pub async fn register(app: &TestApp, r: &RegistrationRequest) -> Value {
    let r = secured(app, r).await;
    let (status, body, _) = send(app, json_post("/api/registrations", serde_json::to_value(&r).unwrap())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

pub async fn id_of(app: &TestApp, identifiant: &str) -> String {
    sqlx::query_scalar("SELECT id FROM registrations WHERE identifiant = $1")
        .bind(identifiant)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// An operator's decision, a second after what came before.
pub async fn decide(app: &TestApp, identifiant: &str, decision: Decision<'_>) -> Result<Statut, DecisionError> {
    app.advance(1);
    let id = id_of(app, identifiant).await;
    lifecycle::decide(&app.store, &id, decision, "operateur.test", &SETTINGS, app.now()).await.unwrap()
}

/// The LDIF folder of this test's accounts (the default without a directory).
pub fn ldif_folder(app: &TestApp) -> Provisioner {
    Provisioner {
        directory: Directory::Folder(app.dir.join("provisioning")),
        base_dn: "ou=people,dc=sante-na,dc=fr".into(),
        webmail: "https://mail.sante-na.fr/".into(),
    }
}

/// The provisioning worker's round, a second after what came before, with `to`: how many accounts it wrote.
pub async fn provision_to(app: &TestApp, to: &Provisioner) -> usize {
    provisioning::provision_due(&app.store, to, app.advance(1)).await.unwrap()
}

/// The provisioning worker's round into the LDIF folder.
pub async fn provision(app: &TestApp) -> usize {
    provision_to(app, &ldif_folder(app)).await
}

/// The accounts not yet written to the directory, dead ones first.
pub async fn accounts_pending(app: &TestApp) -> Vec<jobs::Pending> {
    jobs::pending(&app.store, Kind::Account).await.unwrap()
}

/// The dead accounts given another series of attempts from `now`: how many.
pub async fn accounts_retry_dead(app: &TestApp, now: i64) -> u64 {
    jobs::retry_dead(&app.store, Kind::Account, now).await.unwrap()
}

/// A valid RPPS of ours (Luhn), one per `n`.
pub fn rpps(n: u32) -> String {
    let prefix = format!("1{n:09}");
    (0..=9).map(|k| format!("{prefix}{k}")).find(|c| promess_core::luhn::is_valid(c)).unwrap()
}

/// A form's body, URL-encoded.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let byte = |b: u8| match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
        b' ' => "+".into(),
        _ => format!("%{b:02X}"),
    };
    pairs.iter().map(|(k, v)| format!("{k}={}", v.bytes().map(byte).collect::<String>())).collect::<Vec<_>>().join("&")
}

/// The CSRF token of a page's form.
pub fn csrf_of(html: &str) -> String {
    field_of(html, "csrf")
}

/// The value of a page's (first) hidden field `name`.
pub fn field_of(html: &str, name: &str) -> String {
    let start = format!("name=\"{name}\" value=\"");
    let at = html.find(&start).unwrap_or_else(|| panic!("a field {name}: {html}")) + start.len();
    html[at..].chars().take_while(|c| *c != '"').collect()
}
