//! Slow clients cannot hold the server: hundreds of connections that send their headers or their body byte by byte
//! are cut at their time limit, and meanwhile other clients are answered at once.
use promess_server::serve::{Limits, serve};
use std::time::{Duration, Instant};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

mod common;

/// Writes `bytes` one at a time, `every` apart, until the server closes; answers what the server sent.
async fn dribble(port: u16, bytes: Vec<u8>, every: Duration) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    for byte in bytes {
        if stream.write_all(&[byte]).await.is_err() {
            break;
        }
        tokio::time::sleep(every).await;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_headers_and_slow_bodies_are_cut_and_never_stop_other_clients() {
    // Every connection comes from 127.0.0.1: the rate limit is raised so that only the time limits answer.
    let unlimited = |settings: promess_server::Settings, _: &std::path::Path| promess_server::Settings {
        rate_limit: 100_000,
        ..settings
    };
    let app = common::test_app_with(common::Backend::Sqlite, "slow_clients", unlimited).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let limits = Limits { headers: Duration::from_secs(1), request: Duration::from_secs(2) };
    tokio::spawn(serve(listener, app.router.clone(), limits, std::future::pending()));

    let headers =
        format!("POST /api/registrations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n");
    let slow_headers =
        (0..250).map(|_| tokio::spawn(dribble(port, headers.clone().into_bytes(), Duration::from_millis(100))));
    let with_body = format!("{headers}Content-Length: 2000\r\n\r\n");
    let slow_bodies: Vec<_> = (0..250)
        .map(|_| {
            let mut bytes = with_body.clone().into_bytes();
            bytes.extend(std::iter::repeat_n(b' ', 2000));
            let head_len = with_body.len();
            tokio::spawn(async move {
                // The headers at once, then the body a byte every 100 ms.
                let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                let (head, body) = bytes.split_at(head_len);
                stream.write_all(head).await.unwrap();
                let started = Instant::now();
                for byte in body {
                    if stream.write_all(&[*byte]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if started.elapsed() > Duration::from_secs(6) {
                        break;
                    }
                }
                let mut answer = Vec::new();
                let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
                (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
            })
        })
        .collect();
    let slow_headers: Vec<_> = slow_headers.collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Meanwhile, another client is answered at once.
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "GET /api/identifiants?prenom=Paul&nom=Martin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("paul.martin"), "{answer}");
    assert!(started.elapsed() < Duration::from_millis(500), "answered in {:?}", started.elapsed());

    for task in slow_headers {
        let answer = task.await.unwrap();
        assert!(!answer.contains("HTTP/1.1 2"), "a request without its headers is never served: {answer}");
    }
    for task in slow_bodies {
        let (answer, took) = task.await.unwrap();
        // A 408, or the connection closed (a reset may drop the answer while the client is still writing).
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "cut: {answer:?}");
        assert!(took < Duration::from_secs(6), "cut at its limit, not when the client gave up: {took:?}");
    }
    assert_eq!(common::count(&app).await, 0);
}
