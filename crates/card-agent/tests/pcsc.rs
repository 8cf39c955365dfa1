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

/// One agent for the whole test binary: the card session verified by the PIN lives in its state.
fn agent() -> axum::Router {
    static AGENT: std::sync::OnceLock<axum::Router> = std::sync::OnceLock::new();
    AGENT
        .get_or_init(|| {
            app(AgentConfig {
                origins: vec![APP.into()],
                timeout: Duration::from_secs(10),
                session: AgentConfig::SESSION,
            })
        })
        .clone()
}

/// A call from the app's page (its Origin).
async fn from_app(method: &str, path: impl Into<String>, body: Option<Value>) -> (StatusCode, Value) {
    call(method, path, body, &[("origin", APP)]).await
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

    let (_card, _ca) = Inserted::card_of(pcscd.vpcd_addr(), Identity::example_doctor()).unwrap();
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
    let verify = |p: &str| from_app("POST", reader_path("verify-pin"), Some(pin(p)));
    // Codes outside the PIN rule never reach the card: no try is spent.
    for short in ["12", "1", "123456789", "12a4"] {
        assert_eq!(verify(short).await, (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "pin_invalid"})));
    }
    let tries = || async {
        let (_, body) = call("GET", "/v1/status", None, &[]).await;
        body["lecteurs"][0]["essais_restants"].as_u64()
    };
    assert_eq!(tries().await, Some(3), "no try spent on codes the rule refuses");
    // A card operation needs the page's Origin.
    let (status, body) = call("POST", reader_path("verify-pin"), Some(pin("1234")), &[]).await;
    assert_eq!((status, body), (StatusCode::FORBIDDEN, json!({"error": "forbidden_origin"})));
    assert_eq!(verify("0000").await, (StatusCode::UNAUTHORIZED, json!({"error": "pin_incorrect", "remaining": 2})));
    let (status, full) = verify("1234").await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!((full["specialite"].as_str(), full["civilite"].as_str()), (Some("SM54"), Some("DR")));
    assert_eq!(full["rpps"], "10005173140");
    assert_eq!(full["certificat"]["empreinte_sha256"], id["certificat"]["empreinte_sha256"]);

    // Three wrong PINs block the card; the right one no longer opens it. The last try only when confirmed.
    assert_eq!(verify("1111").await.1["remaining"], 2, "a right PIN resets the counter");
    assert_eq!(verify("2222").await.1["remaining"], 1);
    assert_eq!(verify("3333").await, (StatusCode::PRECONDITION_REQUIRED, json!({"error": "last_try_not_confirmed"})));
    assert_eq!(tries().await, Some(1), "the unconfirmed last try was not sent");
    let last = json!({"pin": "3333", "confirmer_dernier_essai": true});
    assert_eq!(
        from_app("POST", reader_path("verify-pin"), Some(last)).await,
        (StatusCode::LOCKED, json!({"error": "pin_blocked"}))
    );
    assert_eq!(verify("1234").await, (StatusCode::LOCKED, json!({"error": "pin_blocked"})));
    let (_, body) = call("GET", "/v1/status", None, &[]).await;
    assert_eq!(body["lecteurs"][0]["essais_restants"], 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_card_pulled_out_during_a_read() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let pcscd = Pcscd::start().expect("pcscd");
    let (card, _ca) = Inserted::card_of(pcscd.vpcd_addr(), Identity::example()).unwrap();
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

/// The card's signature of the challenge, checked with the certificate's own key (the server's full checks are
/// promess-server's tests).
fn signature_verifies(proof: &Value, nonce: &str, origin: &str) -> bool {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use rsa::pkcs8::DecodePublicKey;
    let der = STANDARD.decode(proof["certificat"].as_str().unwrap()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let key = rsa::RsaPublicKey::from_public_key_der(cert.public_key().raw).unwrap();
    let signature = STANDARD.decode(proof["signature"].as_str().unwrap()).unwrap();
    let digest = promess_core::card::signed_digest(origin, nonce);
    key.verify(rsa::Pkcs1v15Sign::new::<rsa::sha2::Sha256>(), &digest, &signature).is_ok()
}

#[tokio::test(flavor = "current_thread")]
async fn the_card_signs_the_challenge_for_its_page_only_after_the_pin() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let pcscd = Pcscd::start().expect("pcscd");
    let (_card, _ca) = Inserted::card_of(pcscd.vpcd_addr(), Identity::example()).unwrap();
    until_card(true).await;
    let challenge = |nonce: &str, origin: &str| json!({"nonce": nonce, "origin": origin});
    let authenticate = |body: Value| from_app("POST", reader_path("authenticate"), Some(body));

    // Before the PIN: no signature.
    let (status, body) = authenticate(challenge("bm9uY2UtMQ==", APP)).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!({"error": "pin_required"})));
    let (status, full) = from_app("POST", reader_path("verify-pin"), Some(json!({"pin": "1234"}))).await;
    assert_eq!(status, StatusCode::OK, "{full}");

    // Another site's origin than the calling page's: refused, whatever the allow-list says.
    let (status, body) = authenticate(challenge("bm9uY2UtMQ==", "https://evil.example")).await;
    assert_eq!((status, body), (StatusCode::FORBIDDEN, json!({"error": "origin_refused"})));

    let (status, proof) = authenticate(challenge("bm9uY2UtMQ==", APP)).await;
    assert_eq!(status, StatusCode::OK, "{proof}");
    assert_eq!((proof["format"].as_str(), proof["algorithme"].as_str()), (Some("promess-auth:1"), Some("RS256")));
    assert!(signature_verifies(&proof, "bm9uY2UtMQ==", APP), "signed by the card's key");
    assert!(!signature_verifies(&proof, "bm9uY2UtMg==", APP), "bound to its nonce");
    assert!(!signature_verifies(&proof, "bm9uY2UtMQ==", "https://evil.example"), "bound to its origin");
    // The certificate is the card's, the one the PIN screen showed.
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, proof["certificat"].as_str().unwrap());
    let fingerprint = promess_core::card::certificate::parse(&der.unwrap()).unwrap().certificat.empreinte_sha256;
    assert_eq!(full["certificat"]["empreinte_sha256"], fingerprint);

    // The verified session serves a second challenge (a retry), and ends with the card.
    let (status, again) = authenticate(challenge("bm9uY2UtMg==", APP)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert!(signature_verifies(&again, "bm9uY2UtMg==", APP));
}

#[tokio::test(flavor = "current_thread")]
async fn a_cps4_card_signs_by_its_own_sequence() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let pcscd = Pcscd::start().expect("pcscd");
    let cps4 = promess_core::card::CardKind::Cps4;
    let (_card, _ca) = Inserted::card_of_kind(pcscd.vpcd_addr(), Identity::example(), cps4).unwrap();
    until_card(true).await;
    let (_, body) = call("GET", "/v1/status", None, &[]).await;
    assert_eq!(body["lecteurs"][0]["type_carte"], "cps4", "{body}");
    let (status, full) = from_app("POST", reader_path("verify-pin"), Some(json!({"pin": "1234"}))).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    let challenge = json!({"nonce": "bm9uY2UtNA==", "origin": APP});
    let (status, proof) = from_app("POST", reader_path("authenticate"), Some(challenge)).await;
    assert_eq!(status, StatusCode::OK, "{proof}");
    assert_eq!(proof["algorithme"], "RS256");
    assert!(signature_verifies(&proof, "bm9uY2UtNA==", APP), "MSE 41 B8 + PSO DECIPHER give a PKCS#1 signature");
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
        .header("origin", APP)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{\"pin\":\"1234\"}"))
        .unwrap();
    let response = agent().oneshot(text).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json only");
}
