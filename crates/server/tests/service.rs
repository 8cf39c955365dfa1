//! The server as an operator runs it: a health check and a readiness check for the balancer, unknown addresses told
//! as such, and the database going away and coming back (a PostgreSQL server of the test's own, stopped and started).
mod common;
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{Backend, TestApp, postgres::Postgres, send};
use promess_server::{
    AppState, Settings, app,
    store::{PoolSettings, Store},
};
use std::{
    sync::{Arc, atomic::AtomicI64},
    time::{Duration, Instant},
};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    common::test_app(backend, &format!("service_{name}")).await
}

on_both!(
    the_balancer_s_checks_and_unknown_addresses_are_answered_as_such,
    a_rate_limit_is_a_fixed_window_per_client_held_in_the_database,
);

async fn a_rate_limit_is_a_fixed_window_per_client_held_in_the_database(app: &TestApp) {
    use promess_server::limit::RateLimiter;
    let limiter = RateLimiter::new("essai", 2, Duration::from_secs(60), app.store.clone());
    let (a, b) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
    let t0 = 1_800_000_000;
    assert_eq!(limiter.check(a, t0).await.unwrap(), Ok(()));
    assert_eq!(limiter.check(a, t0 + 1).await.unwrap(), Ok(()));
    assert_eq!(limiter.check(a, t0 + 15).await.unwrap(), Err(45), "over: the rest of its window");
    assert_eq!(limiter.check(b, t0 + 15).await.unwrap(), Ok(()), "another client has its own allowance");
    let other = RateLimiter::new("autre", 2, Duration::from_secs(60), app.store.clone());
    assert_eq!(other.check(a, t0 + 15).await.unwrap(), Ok(()), "another limit counts apart");
    assert_eq!(limiter.check(a, t0 + 60).await.unwrap(), Ok(()), "a new window");
    // Hits counted at once are all counted (one statement each: none lost between two processes).
    let c: std::net::IpAddr = "192.0.2.3".parse().unwrap();
    let at_once = (0..20).map(|_| {
        let limiter = RateLimiter::new("essai", 5, Duration::from_secs(60), app.store.clone());
        tokio::spawn(async move { limiter.check(c, t0).await.unwrap() })
    });
    let allowed = futures_ok(at_once).await;
    assert_eq!(allowed, 5);
    // The purge forgets windows long over.
    promess_server::lifecycle::purge(&app.store, t0 + 7200).await.unwrap();
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rate_limits").fetch_one(&app.db).await.unwrap();
    assert_eq!(rows, 0);
}

/// How many of these checks allowed their request.
async fn futures_ok(checks: impl Iterator<Item = tokio::task::JoinHandle<Result<(), u64>>>) -> usize {
    let mut allowed = 0;
    for check in checks {
        allowed += usize::from(check.await.unwrap().is_ok());
    }
    allowed
}

#[tokio::test(flavor = "multi_thread")]
async fn each_request_has_an_id_its_proxy_s_only_when_trusted_and_error_bodies_carry_it() {
    let proxy = std::net::SocketAddr::from(([10, 0, 0, 1], 4000));
    let behind = |mut settings: Settings, _: &std::path::Path| {
        settings.trusted_proxies = vec![proxy.ip()];
        settings
    };
    let app = common::test_app_with(Backend::Sqlite, "request_ids", behind).await.unwrap();
    let asked = |peer: std::net::SocketAddr| {
        let mut request = Request::get("/api/nulle-part").header("x-request-id", "lb-42").body(Body::empty()).unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        request
    };
    // From the trusted proxy: its id, in the answer and in the error's body.
    let (status, body, headers) = send(&app, asked(proxy)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!((&headers["x-request-id"], body["reference"].as_str()), (&"lb-42".parse().unwrap(), Some("lb-42")));
    // From anyone else: an id of ours, never theirs.
    let (_, body, headers) = send(&app, asked(std::net::SocketAddr::from(([203, 0, 113, 9], 5000)))).await;
    let made = headers["x-request-id"].to_str().unwrap();
    assert!(made != "lb-42" && made.len() == 32, "{made}");
    assert_eq!(body["reference"], made);
    // Two requests, two ids; a success carries its id too.
    let (_, _, first) = send(&app, get("/healthz")).await;
    let (_, _, second) = send(&app, get("/healthz")).await;
    assert_ne!(first["x-request-id"], second["x-request-id"]);
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

async fn the_balancer_s_checks_and_unknown_addresses_are_answered_as_such(app: &TestApp) {
    let (status, body, _) = send(app, get("/healthz")).await;
    assert_eq!((status, body["etat"].as_str()), (StatusCode::OK, Some("vivant")));
    let (status, body, _) = send(app, get("/readyz")).await;
    assert_eq!((status, body["etat"].as_str()), (StatusCode::OK, Some("pret")), "{body}");
    // Unknown addresses of the API: a JSON 404, whatever the method; never the wizard's page.
    for request in [get("/api/nulle-part"), common::json_post("/api/registrations/x", serde_json::json!({}))] {
        let (status, body, headers) = send(app, request).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert!(body["erreur"].as_str().unwrap().contains("n'existe pas"), "{body}");
    }
    // The page at the wizard's own addresses only.
    assert_eq!(send(app, get("/donnees-personnelles")).await.0, StatusCode::OK);
    assert_eq!(send(app, get("/confirmer")).await.0, StatusCode::OK);
    for unknown in ["/metrics", "/nulle-part", "/adhesion/x"] {
        assert_eq!(send(app, get(unknown)).await.0, StatusCode::NOT_FOUND, "{unknown}");
    }
    // A schema behind this build's (a migration not applied): not ready.
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
        .execute(&app.db)
        .await
        .unwrap();
    let (status, body, _) = send(app, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["raison"].as_str().unwrap().contains("schéma"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_going_away_answers_503_in_two_seconds_and_the_server_recovers_when_it_is_back() {
    let Some(postgres) = Postgres::start("loss") else {
        eprintln!("skipped: PostgreSQL is not installed (scripts/setup installs it)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("promess-service-loss-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("dist/index.html"), "<html></html>").unwrap();
    let store = Store::connect_with(&postgres.url(), PoolSettings { max_connections: 4, ..PoolSettings::default() })
        .await
        .unwrap();
    let state = AppState::new(Settings::new(dir.join("dist"), vec![common::ORIGIN.into()]), store.clone());
    let clock = Arc::new(AtomicI64::new(0));
    let app = TestApp { router: app(state), db: store.pool().clone(), store, dir, clock };
    let names = || get("/api/identifiants?prenom=Anne&nom=Martin");
    assert_eq!(send(&app, names()).await.0, StatusCode::OK);
    assert_eq!(send(&app, get("/readyz")).await.0, StatusCode::OK);

    postgres.down();
    let gone = Instant::now();
    let (status, body, _) = send(&app, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(gone.elapsed() < Duration::from_secs(2), "readiness told in {:?}", gone.elapsed());
    // Public: the kind of failure only, never the database's own message (its host, an OS error).
    let public = ["base de données injoignable", "la base de données n'a pas répondu en 1s"];
    assert!(public.contains(&body["raison"].as_str().unwrap()), "{body}");
    let asked = Instant::now();
    let (status, body, headers) = send(&app, names()).await;
    let waited = asked.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(waited < Duration::from_secs(4), "the client waited {waited:?}");
    assert_eq!(headers[header::RETRY_AFTER], "5");
    assert!(body["erreur"].as_str().unwrap().contains("momentanément indisponible"), "{body}");
    // The health check is the process's own: it still answers.
    assert_eq!(send(&app, get("/healthz")).await.0, StatusCode::OK);

    postgres.up();
    let back = Instant::now();
    while send(&app, get("/readyz")).await.0 != StatusCode::OK {
        assert!(back.elapsed() < Duration::from_secs(15), "never ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, body, _) = send(&app, names()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["identifiant"], "anne.martin");
    eprintln!("503 after {waited:?} without the database; ready again {:?} after it was back", back.elapsed());
}
