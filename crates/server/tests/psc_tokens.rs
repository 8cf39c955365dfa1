//! Pro Santé Connect's ID token and userinfo, when the provider's answers are an attacker's: a provider of the test's
//! own (discovery, keys, token and userinfo endpoints on a loopback port) answers a token crafted for each case. An
//! honest token of the same provider passes, so each refusal is the check named, not a broken harness.
//! `cargo test --test psc_tokens` runs these alone.
use axum::{Json, Router, extract::State, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use promess_card_sim::cert::CardKey;
use promess_core::card::SignatureAlgorithm;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

mod common;
use common::{
    Backend,
    psc::{CLIENT_ID, CLIENT_SECRET, back, begin, handle_of, param},
    test_app_with,
};

/// What the token endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    Honest,
    OtherAudience,
    OtherIssuer,
    Expired,
    OtherNonce,
    AlgNone,
    Hs256WithThePublicKey,
    UnknownKey,
    IssuedInTheFuture,
    LowerLevel,
    UserinfoOfAnotherSub,
}

struct Rogue {
    issuer: String,
    key: CardKey,
    other_key: CardKey,
    case: Mutex<Case>,
    nonce: Mutex<String>,
}

/// x and y of a P-256 key: the last 64 bytes of its SubjectPublicKeyInfo (the uncompressed point).
fn jwk(key: &CardKey, kid: &str) -> Value {
    let spki = key.spki_der();
    let point = &spki[spki.len() - 64..];
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
           "x": B64.encode(&point[..32]), "y": B64.encode(&point[32..])})
}

fn signed(header: Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(signature))
}

fn es256(key: &CardKey) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
    |input| key.sign(&Sha256::digest(input)).unwrap()
}

async fn discovery(State(r): State<Arc<Rogue>>) -> Json<Value> {
    let i = &r.issuer;
    Json(json!({
        "issuer": i, "authorization_endpoint": format!("{i}/auth"), "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/me"), "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"]
    }))
}

async fn jwks(State(r): State<Arc<Rogue>>) -> Json<Value> {
    Json(json!({"keys": [jwk(&r.key, "k1")]}))
}

async fn token(State(r): State<Arc<Rogue>>) -> Json<Value> {
    let case = *r.case.lock().unwrap();
    let now = promess_server::queue::now_secs();
    let mut claims = json!({
        "iss": r.issuer, "sub": "rogue-sub", "aud": CLIENT_ID, "exp": now + 300, "iat": now, "auth_time": now,
        "nonce": *r.nonce.lock().unwrap(), "acr": "eidas1"
    });
    match case {
        Case::OtherAudience => claims["aud"] = json!("another-client"),
        Case::OtherIssuer => claims["iss"] = json!("https://attaquant.example"),
        Case::Expired => (claims["exp"], claims["iat"]) = (json!(now - 600), json!(now - 900)),
        Case::OtherNonce => claims["nonce"] = json!("another-nonce"),
        Case::IssuedInTheFuture => (claims["iat"], claims["exp"]) = (json!(now + 3600), json!(now + 7200)),
        Case::LowerLevel => claims["acr"] = json!("eidas0"),
        _ => {}
    }
    let id_token = match case {
        Case::AlgNone => signed(json!({"alg": "none"}), &claims, |_| Vec::new()),
        Case::Hs256WithThePublicKey => {
            let public = jwk(&r.key, "k1").to_string();
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public.as_bytes());
            signed(json!({"alg": "HS256", "kid": "k1"}), &claims, |i| ring::hmac::sign(&key, i).as_ref().to_vec())
        }
        Case::UnknownKey => signed(json!({"alg": "ES256", "kid": "k2"}), &claims, es256(&r.other_key)),
        _ => signed(json!({"alg": "ES256", "kid": "k1"}), &claims, es256(&r.key)),
    };
    Json(json!({"access_token": "jeton-d-acces", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}))
}

async fn userinfo(State(r): State<Arc<Rogue>>) -> Json<Value> {
    let sub = if *r.case.lock().unwrap() == Case::UserinfoOfAnotherSub { "someone-else" } else { "rogue-sub" };
    Json(json!({"sub": sub, "SubjectNameID": "899700771191", "given_name": "CECILE", "family_name": "SAGE"}))
}

async fn start() -> Arc<Rogue> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rogue = Arc::new(Rogue {
        issuer: format!("http://{}", listener.local_addr().unwrap()),
        key: CardKey::generate(SignatureAlgorithm::Es256),
        other_key: CardKey::generate(SignatureAlgorithm::Es256),
        case: Mutex::new(Case::Honest),
        nonce: Mutex::new(String::new()),
    });
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", axum::routing::post(token))
        .route("/me", get(userinfo))
        .with_state(rogue.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    rogue
}

#[tokio::test(flavor = "multi_thread")]
async fn every_forged_id_token_or_userinfo_is_refused_and_an_honest_one_passes() {
    let rogue = start().await;
    let psc = promess_server::psc::Psc::new(&rogue.issuer, None, CLIENT_ID, CLIENT_SECRET.into()).unwrap();
    let app =
        test_app_with(Backend::Sqlite, "psc_tokens", move |s, _| promess_server::Settings { psc: Some(psc), ..s })
            .await
            .unwrap();
    let cases = [
        (Case::OtherAudience, "psc_refused"),
        (Case::OtherIssuer, "psc_refused"),
        (Case::Expired, "psc_refused"),
        (Case::OtherNonce, "psc_refused"),
        (Case::AlgNone, "psc_refused"),
        (Case::Hs256WithThePublicKey, "psc_refused"),
        (Case::UnknownKey, "psc_refused"),
        (Case::IssuedInTheFuture, "psc_refused"),
        (Case::LowerLevel, "psc_level_too_low"),
        (Case::UserinfoOfAnotherSub, "psc_refused"),
        (Case::Honest, "proven"),
    ];
    for (case, expected) in cases {
        *rogue.case.lock().unwrap() = case;
        let journey = begin(&app).await;
        *rogue.nonce.lock().unwrap() = param(&journey.authorize, "nonce").unwrap();
        let state = param(&journey.authorize, "state").unwrap();
        let location = back(&app, &format!("/psc/retour?code=un-code&state={state}"), Some(&journey.cookie)).await;
        let outcome = handle_of(&location).map(|_| "proven".to_owned()).unwrap_or_else(|code| code);
        assert_eq!(outcome, expected, "{case:?}");
    }
    let proven: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM psc_identities").fetch_one(&app.db).await.unwrap();
    assert_eq!(proven, 1, "only the honest token proved anything");
}
