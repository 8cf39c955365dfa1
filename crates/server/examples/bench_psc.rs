//! Our server's time for `GET /psc/retour`, the provider left out: a provider of the process's own on loopback
//! (`tests/common/psc_stub.rs`, honest ES256 tokens) answers the code's exchange and userinfo, and the time its
//! handlers take is subtracted; what remains is ours: the journey taken from the database, the exchange and userinfo
//! as a client (HTTP on loopback), the ID token's checks, the identity kept. SQLite, in this process, one return at a
//! time. Usage: cargo run --release -p promess-server --example bench_psc [RETURNS]
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use std::{sync::atomic::Ordering, time::Instant};
use tower::ServiceExt;

#[path = "../tests/common/psc_stub.rs"]
mod psc_stub;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn get(app: &axum::Router, path: &str, cookie: Option<&str>) -> (StatusCode, axum::http::HeaderMap) {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    (response.status(), response.headers().clone())
}

fn query(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == name).unwrap().1.to_owned()
}

#[tokio::main]
async fn main() {
    let returns: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(300);
    let stub = psc_stub::start().await;
    let dir = std::env::temp_dir().join(format!("promess-bench-psc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = promess_server::store::Store::connect(&format!("sqlite://{}?mode=rwc", dir.join("p.db").display()))
        .await
        .unwrap();
    let psc = promess_server::psc::Psc::new(&stub.issuer, None, psc_stub::CLIENT_ID, "secret".into()).unwrap();
    let mut settings = promess_server::Settings::new(dir.join("dist"), vec!["http://127.0.0.1:8080".into()]);
    (settings.psc, settings.rate_limit) = (Some(psc), 1_000_000);
    let app = promess_server::app(promess_server::AppState::new(settings, store));

    let (mut total, mut ours) = (Vec::new(), Vec::new());
    // The first returns read the provider's configuration and keys, and warm the pool: not counted.
    for n in 0..returns + 20 {
        let (status, headers) = get(&app, "/psc/connexion", None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let authorize = headers[header::LOCATION].to_str().unwrap().to_owned();
        let cookie = headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        *stub.nonce.lock().unwrap() = query(&authorize, "nonce");
        let path = format!("/psc/retour?code=un-code&state={}", query(&authorize, "state"));
        let busy = stub.busy_nanos.load(Ordering::Relaxed);
        let began = Instant::now();
        let (status, headers) = get(&app, &path, Some(&cookie)).await;
        let elapsed = began.elapsed().as_secs_f64() * 1000.0;
        let provider = (stub.busy_nanos.load(Ordering::Relaxed) - busy) as f64 / 1e6;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = headers[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with("/donnees-personnelles#psc="), "{location}");
        if n >= 20 {
            total.push(elapsed);
            ours.push(elapsed - provider);
        }
    }
    for v in [&mut total, &mut ours] {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }
    println!("GET /psc/retour, {returns} returns, one at a time (SQLite):");
    println!(
        "  ours, the provider's handlers left out: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&ours, 0.5),
        percentile(&ours, 0.99)
    );
    println!(
        "  whole, with the in-process provider:     p50 {:.2} ms, p99 {:.2} ms",
        percentile(&total, 0.5),
        percentile(&total, 0.99)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
