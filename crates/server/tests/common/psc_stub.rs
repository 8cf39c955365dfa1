//! A provider of the tests' own, in this process: discovery, keys (ES256), token and userinfo endpoints on a loopback
//! port, answering a token crafted for each case (`Case`); the honest case is what a correct provider answers. The
//! time its handlers take is counted (`busy_nanos`), so that a benchmark can leave it out. Shared by
//! `tests/psc_tokens.rs` and `examples/bench_psc.rs` (`#[path]`).
use axum::{Json, Router, extract::State, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use promess_card_sim::cert::CardKey;
use promess_core::card::SignatureAlgorithm;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

/// Our client id at the stub.
pub const CLIENT_ID: &str = "promess-inscription";

/// What the token endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(dead_code)]
pub enum Case {
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

pub struct Rogue {
    pub issuer: String,
    key: CardKey,
    other_key: CardKey,
    /// What the token endpoint answers next, and the nonce it puts in (the journey's, read by the test).
    pub case: Mutex<Case>,
    pub nonce: Mutex<String>,
    /// Nanoseconds spent in the token and userinfo handlers, in all.
    pub busy_nanos: AtomicU64,
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
    let began = Instant::now();
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
    let answer =
        json!({"access_token": "jeton-d-acces", "token_type": "Bearer", "expires_in": 300, "id_token": id_token});
    r.busy_nanos.fetch_add(began.elapsed().as_nanos() as u64, Ordering::Relaxed);
    Json(answer)
}

async fn userinfo(State(r): State<Arc<Rogue>>) -> Json<Value> {
    let began = Instant::now();
    let sub = if *r.case.lock().unwrap() == Case::UserinfoOfAnotherSub { "someone-else" } else { "rogue-sub" };
    let answer = json!({"sub": sub, "SubjectNameID": "899700771191", "given_name": "CECILE", "family_name": "SAGE"});
    r.busy_nanos.fetch_add(began.elapsed().as_nanos() as u64, Ordering::Relaxed);
    Json(answer)
}

/// Starts the stub on a loopback port, answering honestly until told otherwise.
pub async fn start() -> Arc<Rogue> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rogue = Arc::new(Rogue {
        issuer: format!("http://{}", listener.local_addr().unwrap()),
        key: CardKey::generate(SignatureAlgorithm::Es256),
        other_key: CardKey::generate(SignatureAlgorithm::Es256),
        case: Mutex::new(Case::Honest),
        nonce: Mutex::new(String::new()),
        busy_nanos: AtomicU64::new(0),
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
