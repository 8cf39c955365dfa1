//! What the server holds under load and faults, on this machine: registrations' latency while 500 slow connections
//! are held open, the rate limiter's memory after a million distinct clients, and the memory 200 concurrent
//! registrations take. Usage: scripts/bench-reliability (cargo run --release -p promess-server --example reliability)
use promess_core::{
    RegistrationRequest,
    registration::{
        Credentials,
        examples::{STRONG_PASSWORD, valid_draft},
    },
};
use promess_server::serve::{Limits, serve};
use std::{
    net::{IpAddr, Ipv4Addr},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Resident memory of this process, in MiB (Linux).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// A valid RPPS number of our own (ten digits and the Luhn key).
fn rpps(n: u32) -> String {
    let prefix = format!("1{n:09}");
    (0..=9).map(|k| format!("{prefix}{k}")).find(|c| promess_core::luhn::is_valid(c)).unwrap()
}

#[path = "../tests/common/stored_factor.rs"]
mod stored_factor;

/// Registration number `n`, with the second factor `facteur`.
fn body(n: u32, facteur: String) -> String {
    let mut donnees = valid_draft();
    donnees.rpps = rpps(n);
    donnees.facteur = facteur;
    let secret =
        Credentials { mot_de_passe: STRONG_PASSWORD.into(), mot_de_passe_confirmation: STRONG_PASSWORD.into() };
    serde_json::to_string(&RegistrationRequest { donnees, secret, identifiant: None, preuve_carte: None }).unwrap()
}

/// POST /api/registrations over a fresh connection: the status and how long it took.
async fn register(port: u16, body: &str) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST /api/registrations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("promess-reliability-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("dist/index.html"), "<html></html>").unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("p.db").display());
    let store = promess_server::store::Store::connect(&url).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let origins = vec![format!("http://127.0.0.1:{port}")];
    let settings = promess_server::Settings::new(dir.join("dist"), origins);
    let counted = store.clone();
    let state = promess_server::AppState::new(promess_server::Settings { rate_limit: 1_000_000, ..settings }, store);
    tokio::spawn(serve(listener, promess_server::app(state), Limits::default(), std::future::pending()));

    // 1. The rate limit, held in the database (shared by every process on it): 100,000 distinct clients, a hit each;
    // the process keeps none of them.
    let limiter = promess_server::limit::RateLimiter::new("banc", 10, Duration::from_secs(60), counted.clone());
    let before = rss_mib();
    let started = std::time::Instant::now();
    for i in 0..100_000u32 {
        let now = promess_server::queue::now_secs();
        let client = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
        assert_eq!(limiter.check(client, now).await.unwrap(), Ok(()));
    }
    println!("== rate limit in the database (SQLite), 100,000 distinct clients");
    println!(
        "{:.0} hits/s, one upsert each; resident memory +{:.1} MiB",
        100_000.0 / started.elapsed().as_secs_f64(),
        rss_mib() - before
    );
    // 2. Registrations one after another: alone, then while 500 connections send their body a byte a second.
    let mut factors = Vec::new();
    for _ in 0..280 {
        factors.push(stored_factor::stored_factor(&counted).await);
    }
    let mut n = 0;
    let mut run = |count: u32| {
        let first = n;
        n += count;
        let factors: Vec<String> = factors.drain(..count as usize).collect();
        async move {
            let mut times = Vec::new();
            for (i, facteur) in (first..first + count).zip(factors) {
                let (status, took) = register(port, &body(i, facteur)).await;
                assert_eq!(status, 202);
                times.push(took);
            }
            times.sort();
            times
        }
    };
    let alone = run(40).await;
    let slow: Vec<_> = (0..500)
        .map(|_| {
            tokio::spawn(async move {
                let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else { return };
                let head = format!(
                    "POST /api/registrations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
                     Content-Length: 100000\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                while stream.write_all(b" ").await.is_ok() {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let held = run(40).await;
    println!("== registrations, one at a time (40 each), ms");
    println!("{:<34} {:>8} {:>8}", "", "p50", "p99");
    println!("{:<34} {:>8.0} {:>8.0}", "alone", percentile(&alone, 0.5), percentile(&alone, 0.99));
    println!("{:<34} {:>8.0} {:>8.0}", "500 slow connections held", percentile(&held, 0.5), percentile(&held, 0.99));
    for task in slow {
        task.abort();
    }

    // 3. 200 registrations at once.
    let before = rss_mib();
    let started = Instant::now();
    let bodies: Vec<String> = (0..200).zip(factors).map(|(i, f)| body(10_000 + i, f)).collect();
    let at_once: Vec<_> = bodies.into_iter().map(|b| tokio::spawn(async move { register(port, &b).await })).collect();
    let mut statuses = std::collections::BTreeMap::new();
    let mut peak = before;
    for task in at_once {
        let (status, _) = task.await.unwrap();
        *statuses.entry(status).or_insert(0) += 1;
        peak = peak.max(rss_mib());
    }
    println!("== 200 registrations at once");
    println!(
        "answers {statuses:?} in {:.1} s; resident memory {before:.0} MiB before, {peak:.0} MiB at most after",
        started.elapsed().as_secs_f64()
    );

    let _ = std::fs::remove_dir_all(&dir);
}
