//! The agent against a real pcscd, with the vsmartcard vpcd driver and the simulated CPS3 card (promess-card-sim):
//! the whole HTTP app, real PC/SC underneath. pcscd is one per machine, so these tests take turns.
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use promess_card_agent::{AgentConfig, app};
use promess_card_sim::{
    Identity,
    pcscd::{Pcscd, READER},
    vpcd::Inserted,
};
use serde_json::{Value, json};
use std::{sync::Mutex, time::Duration};
use tower::ServiceExt;

static TURN: Mutex<()> = Mutex::new(());
const APP: &str = "http://127.0.0.1:8080";

fn agent() -> axum::Router {
    app(AgentConfig { origins: vec![APP.into()], timeout: Duration::from_secs(10) })
}

async fn call(
    method: &str,
    path: impl Into<String>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let path: String = path.into();
    let mut request = Request::builder().method(method).uri(path.as_str()).header(header::HOST, "127.0.0.1:8765");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = match body {
        Some(b) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = agent().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn reader_path(what: &str) -> String {
    format!("/v1/cards/{}/{what}", READER.replace(' ', "%20"))
}

/// Waits until pcscd sees the reader's card present (or absent).
async fn until_card(present: bool) {
    for _ in 0..100 {
        let (_, body) = call("GET", "/v1/status", None, &[]).await;
        let seen = body["lecteurs"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["nom"] == READER && r["carte_presente"] == true);
        if seen == present {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the card never became {}", if present { "present" } else { "absent" });
}

#[tokio::test(flavor = "current_thread")]
async fn without_pcscd_the_agent_says_no_service() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let (status, body) = call("GET", "/v1/status", None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["pcsc"], false, "{body}");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let (status, body) = call("GET", reader_path("identity"), None, &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({"error": "no_service"}));
}

#[tokio::test(flavor = "current_thread")]
async fn identity_pin_errors_blocking_and_the_full_identity() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let pcscd = Pcscd::start().expect("pcscd");

    // A reader, no card yet.
    let mut body = Value::Null;
    for _ in 0..50 {
        body = call("GET", "/v1/status", None, &[]).await.1;
        if body["pcsc"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(body["pcsc"], true, "{body}");
    let reader = body["lecteurs"].as_array().unwrap().iter().find(|r| r["nom"] == READER).cloned().unwrap();
    assert_eq!(reader["carte_presente"], false);
    assert_eq!(call("GET", reader_path("identity"), None, &[]).await.1, json!({"error": "no_card"}));
    assert_eq!(call("GET", "/v1/cards/Nowhere/identity", None, &[]).await.1, json!({"error": "no_reader"}));

    let _card = Inserted::card_of(pcscd.vpcd_addr(), Identity::example_doctor()).unwrap();
    until_card(true).await;
    let (_, body) = call("GET", "/v1/status", None, &[]).await;
    let reader = body["lecteurs"].as_array().unwrap().iter().find(|r| r["nom"] == READER).cloned().unwrap();
    assert_eq!((reader["type_carte"].as_str(), reader["essais_restants"].as_u64()), (Some("cps3"), Some(3)));

    let (status, id) = call("GET", reader_path("identity"), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{id}");
    assert_eq!(id["identifiant_national"], "810005173140");
    assert_eq!(
        (id["rpps"].as_str(), id["prenom"].as_str(), id["nom"].as_str()),
        (Some("10005173140"), Some("PAUL"), Some("MARTIN"))
    );
    assert_eq!((id["titre"].as_str(), id["profession"].as_str()), (Some("Médecin"), Some("10")));
    assert!(id.get("specialite").is_none(), "the specialty needs the PIN");

    let pin = |p: &str| json!({ "pin": p });
    let verify = |p: &str| call("POST", reader_path("verify-pin"), Some(pin(p)), &[]);
    assert_eq!(verify("0000").await, (StatusCode::UNAUTHORIZED, json!({"error": "pin_incorrect", "remaining": 2})));
    let (status, full) = verify("1234").await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!((full["specialite"].as_str(), full["civilite"].as_str()), (Some("SM54"), Some("DR")));
    assert_eq!(full["rpps"], "10005173140");
    assert_eq!(full["certificat"]["empreinte_sha256"], id["certificat"]["empreinte_sha256"]);

    // Three wrong PINs block the card; the right one no longer opens it.
    assert_eq!(verify("1111").await.1["remaining"], 2, "a right PIN resets the counter");
    assert_eq!(verify("2222").await.1["remaining"], 1);
    assert_eq!(verify("3333").await, (StatusCode::LOCKED, json!({"error": "pin_blocked"})));
    assert_eq!(verify("1234").await, (StatusCode::LOCKED, json!({"error": "pin_blocked"})));
    let (_, body) = call("GET", "/v1/status", None, &[]).await;
    assert_eq!(body["lecteurs"][0]["essais_restants"], 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_card_pulled_out_during_a_read() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let pcscd = Pcscd::start().expect("pcscd");
    let card = Inserted::card_of(pcscd.vpcd_addr(), Identity::example()).unwrap();
    until_card(true).await;
    card.hold_commands(true);
    let pending = tokio::spawn(async { call("GET", reader_path("identity"), None, &[]).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    card.remove();
    let (status, body) = pending.await.unwrap();
    assert_eq!(body["error"], "card_removed", "{status} {body}");
    until_card(false).await;
    assert_eq!(call("GET", reader_path("identity"), None, &[]).await.1, json!({"error": "no_card"}));
}

#[tokio::test(flavor = "current_thread")]
async fn foreign_origins_and_hosts_are_refused() {
    let (status, body) = call("GET", "/v1/status", None, &[("origin", "https://evil.example")]).await;
    assert_eq!((status, body), (StatusCode::FORBIDDEN, json!({"error": "forbidden_origin"})));

    let request = Request::get("/v1/status").header(header::HOST, "evil.example:8765").body(Body::empty()).unwrap();
    let response = agent().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "DNS rebinding: a foreign Host");

    let preflight = Request::builder()
        .method("OPTIONS")
        .uri(reader_path("verify-pin"))
        .header(header::HOST, "127.0.0.1:8765")
        .header("origin", APP)
        .header("access-control-request-method", "POST")
        .header("access-control-request-private-network", "true")
        .body(Body::empty())
        .unwrap();
    let response = agent().oneshot(preflight).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let h = response.headers();
    assert_eq!(h["access-control-allow-origin"], APP);
    assert_eq!(h["access-control-allow-private-network"], "true");

    let text = Request::post(reader_path("verify-pin"))
        .header(header::HOST, "localhost:8765")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{\"pin\":\"1234\"}"))
        .unwrap();
    let response = agent().oneshot(text).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json only");
}
