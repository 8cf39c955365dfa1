//! The card's proof through the API, each check named and tested (after Web eID's validation library): a valid
//! proof gives a card registration carrying the certificate's identity; every forgery is refused with its own code
//! and stores nothing. The cards are the simulated card's keys and certificates (promess-card-sim), signing exactly
//! what a card signs; the whole path through a real pcscd is the agent's and the e2e tests'.
mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{
    Backend, ORIGIN, TestApp,
    card::{DAY, Pki, card_request, write_trust},
    count, send,
};
use promess_card_sim::cert::now_secs;
use promess_core::{
    card::{CardProof, Challenge, SignatureAlgorithm, certificate},
    registration::Mode,
};
use promess_server::card_proof::CardTrust;
use serde_json::{Value, json};
use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// The app trusting `PKI` (one per test binary, RSA), with a clock the test moves.
struct CardApp {
    app: TestApp,
    pki: &'static Pki,
    clock: Arc<AtomicI64>,
}

static PKI: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();

fn pki() -> &'static Pki {
    PKI.get_or_init(|| Pki::new(SignatureAlgorithm::Rs256))
}

async fn app_for(backend: Backend, name: &str) -> Option<CardApp> {
    let pki = pki();
    let app = common::test_app_with(backend, &format!("card_{name}"), |mut settings, dir| {
        write_trust(dir, pki, &[], now_secs() + 7 * DAY);
        settings.card_trust = Some(CardTrust::load(&dir.join("ca.pem"), vec![dir.join("ca.crl")]).unwrap());
        settings
    })
    .await?;
    let clock = app.clock.clone();
    Some(CardApp { app, pki, clock })
}

on_both!(
    a_valid_proof_gives_a_card_registration_with_the_certificate_s_identity,
    the_forged_card_registration_of_a_page_is_refused,
    a_challenge_is_single_use_and_expires,
    a_proof_for_another_origin_or_other_data_is_refused,
    certificates_of_another_ca_expired_or_not_for_authentication_are_refused,
    a_revoked_card_or_a_stale_crl_is_refused_and_the_crl_is_read_again,
    the_locked_answers_must_be_the_certificate_s,
    an_ecdsa_card_is_verified_too,
    a_card_request_is_an_account_once_its_email_is_confirmed_whoever_claimed_the_number_first,
    the_card_signs_its_proven_account_in_with_a_fresh_proof_of_this_origin_only,
);

async fn the_card_signs_its_proven_account_in_with_a_fresh_proof_of_this_origin_only(app: &CardApp) {
    let nonce = challenge(app).await;
    let (status, body) = register_card(app, app.pki.proof(&nonce, ORIGIN)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    common::confirm(&app.app, &common::token_of(&app.app, "cecile.sage").await).await;
    assert_eq!(common::statut_of(&app.app, "cecile.sage").await.as_deref(), Some("active"));
    let mut v = common::browser::Visitor::default();
    let with_card = async |v: &mut common::browser::Visitor, proof: &str| {
        let form = v.get(&app.app, "/compte").await;
        assert!(form.html.contains("avec-carte"), "{}", form.html);
        let csrf = common::csrf_of(&form.html);
        v.post(&app.app, "/compte/carte", &[("preuve", proof), ("csrf", &csrf)]).await
    };
    let proof = serde_json::to_string(&app.pki.proof(&challenge(app).await, ORIGIN)).unwrap();
    let signed = with_card(&mut v, &proof).await;
    assert_eq!(signed.location, "/compte", "{}", signed.html);
    let home = v.get(&app.app, "/compte").await.html;
    assert!(home.contains("<h1>Mon compte</h1>") && home.contains("connexion (carte CPS)"), "{home}");
    // Proven again by the card just now: a forgotten password is changed with no factor nor old password asked.
    let change = [("csrf", common::csrf_of(&home)), ("action", "mot_de_passe".into()), ("cible", String::new())];
    let change: Vec<(&str, &str)> = change.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let form = v.post(&app.app, "/compte/verification", &change).await.html;
    assert!(form.contains("Nouveau mot de passe") && !form.contains("Mot de passe actuel"), "{form}");
    // The same proof again, a proof for another site, anything else: refused, no session.
    let elsewhere =
        serde_json::to_string(&app.pki.proof(&challenge(app).await, "https://hameconnage.example")).unwrap();
    for (what, proof) in [("replayed", proof.as_str()), ("another origin", elsewhere.as_str()), ("garbage", "{}")] {
        let mut stranger = common::browser::Visitor::default();
        let page = with_card(&mut stranger, proof).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(page.html.contains("La connexion par carte a échoué"), "{what}: {}", page.html);
        assert!(!stranger.get(&app.app, "/compte").await.html.contains("<h1>Mon compte</h1>"), "{what}");
    }
}

async fn challenge(app: &CardApp) -> String {
    let request = Request::post("/api/card-challenges").body(Body::empty()).unwrap();
    let (status, body, headers) = send(&app.app, request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let challenge: Challenge = serde_json::from_value(body).unwrap();
    let now = app.clock.load(Ordering::SeqCst);
    assert_eq!(challenge.expire, now + 300, "valid five minutes");
    use base64::{Engine, engine::general_purpose::STANDARD};
    assert_eq!(STANDARD.decode(&challenge.nonce).unwrap().len(), 32, "32 random bytes");
    challenge.nonce
}

/// `POST /api/registrations`, the second factor set up on the app first (as the wizard's step 3 does).
async fn register(app: &CardApp, mut body: Value) -> (StatusCode, Value) {
    body["donnees"]["facteur"] = common::factor(&app.app).await.into();
    let request = Request::post("/api/registrations")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, body, _) = send(&app.app, request).await;
    (status, body)
}

async fn register_card(app: &CardApp, proof: CardProof) -> (StatusCode, Value) {
    register(app, serde_json::to_value(card_request(Some(proof))).unwrap()).await
}

/// Refused on the card's step with `code`, nothing stored, the challenge left as it was.
async fn refused(app: &CardApp, proof: CardProof, code: &str) {
    let before = count(&app.app).await;
    let (status, body) = register_card(app, proof).await;
    assert_eq!((status, &body), (StatusCode::UNPROCESSABLE_ENTITY, &json!({ "mode": [code] })), "{code}");
    assert_eq!(count(&app.app).await, before, "nothing stored ({code})");
}

async fn a_valid_proof_gives_a_card_registration_with_the_certificate_s_identity(app: &CardApp) {
    let nonce = challenge(app).await;
    let (status, body) = register_card(app, app.pki.proof(&nonce, ORIGIN)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["identifiant"], "cecile.sage");
    type Row = (String, String, String, String, String, String, i64);
    let (rpps, emetteur, serie, empreinte, algorithme, donnees, verifie): Row = sqlx::query_as(
        "SELECT rpps, carte_emetteur, carte_numero_serie, carte_empreinte, carte_algorithme, donnees, \
         carte_verifiee_le FROM registrations",
    )
    .fetch_one(&app.app.db)
    .await
    .unwrap();
    let expected = certificate::parse(&app.pki.leaf).unwrap().certificat;
    assert_eq!(rpps, "99700771191");
    assert!(emetteur.contains("AC TEST PROMESS"), "{emetteur}");
    assert_eq!((serie, empreinte), (expected.numero_serie, expected.empreinte_sha256));
    assert_eq!(algorithme, "RS256");
    assert_eq!(verifie, app.clock.load(Ordering::SeqCst));
    let stored: Value = serde_json::from_str(&donnees).unwrap();
    assert_eq!(stored["mode"], "carte");
    assert_eq!(stored["carte"]["identifiant_national"], "899700771191");
    let (spent,): (Option<i64>,) =
        sqlx::query_as("SELECT spent_at FROM card_challenges").fetch_one(&app.app.db).await.unwrap();
    assert!(spent.is_some(), "the challenge is spent with the registration");
}

async fn the_forged_card_registration_of_a_page_is_refused(app: &CardApp) {
    // What any page could send before: the card path claimed, a made-up certificate hash, a national id.
    let mut forged = serde_json::to_value(card_request(None)).unwrap();
    forged["donnees"]["carte_certificat"] = json!("a".repeat(64));
    forged["donnees"]["carte_identifiant_national"] = json!("899700771191");
    let (status, body) = register(app, forged).await;
    assert_eq!((status, body), (StatusCode::UNPROCESSABLE_ENTITY, json!({"mode": ["card_proof_missing"]})));
    // A proof whose parts are not what they claim.
    let nonce = challenge(app).await;
    let good = app.pki.proof(&nonce, ORIGIN);
    refused(app, CardProof { format: "web-eid:1.0".into(), ..good.clone() }, "card_proof_malformed").await;
    refused(app, CardProof { algorithme: "ES256".into(), ..good.clone() }, "card_proof_malformed").await;
    refused(app, CardProof { signature: "%%%".into(), ..good.clone() }, "card_proof_malformed").await;
    refused(
        app,
        CardProof { certificat: "bm90IGEgY2VydGlmaWNhdGU=".into(), ..good.clone() },
        "card_certificate_unreadable",
    )
    .await;
    assert_eq!(count(&app.app).await, 0);
    // Without a trust anchor configured, the card path is refused, not believed.
    let untrusting =
        common::test_app(Backend::Sqlite, &format!("untrusting-{}", app.clock.load(Ordering::SeqCst))).await.unwrap();
    let request = Request::post("/api/registrations")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_string(&card_request(Some(good))).unwrap()))
        .unwrap();
    let (status, body, _) = send(&untrusting, request).await;
    assert_eq!((status, body), (StatusCode::UNPROCESSABLE_ENTITY, json!({"mode": ["card_not_configured"]})));
}

async fn a_challenge_is_single_use_and_expires(app: &CardApp) {
    refused(app, app.pki.proof("bm9uY2UgaW52ZW50w6k=", ORIGIN), "card_nonce_unknown").await;
    let nonce = challenge(app).await;
    let proof = app.pki.proof(&nonce, ORIGIN);
    assert_eq!(register_card(app, proof.clone()).await.0, StatusCode::ACCEPTED);
    refused(app, proof, "card_nonce_used").await;

    let late = challenge(app).await;
    app.clock.fetch_add(301, Ordering::SeqCst);
    refused(app, app.pki.proof(&late, ORIGIN), "card_nonce_expired").await;
    // An hour later, new challenges purge the expired ones.
    app.clock.fetch_add(3600, Ordering::SeqCst);
    challenge(app).await;
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM card_challenges").fetch_one(&app.app.db).await.unwrap();
    assert_eq!(left, 1, "only the new challenge is kept");
}

async fn a_proof_for_another_origin_or_other_data_is_refused(app: &CardApp) {
    let nonce = challenge(app).await;
    refused(app, app.pki.proof(&nonce, "https://evil.example"), "card_origin_mismatch").await;
    // Signed for another nonce (or origin), presented with this one.
    let other = app.pki.proof("b3RoZXI=", ORIGIN);
    refused(app, CardProof { nonce: nonce.clone(), ..other }, "card_signature_invalid").await;
    let evil = app.pki.proof(&nonce, "https://evil.example");
    refused(app, CardProof { origin: ORIGIN.into(), ..evil }, "card_signature_invalid").await;
    // Nothing was spent: the right proof still goes through.
    assert_eq!(register_card(app, app.pki.proof(&nonce, ORIGIN)).await.0, StatusCode::ACCEPTED);
}

async fn certificates_of_another_ca_expired_or_not_for_authentication_are_refused(app: &CardApp) {
    let nonce = challenge(app).await;
    let stranger = Pki::new(SignatureAlgorithm::Rs256);
    refused(app, stranger.proof(&nonce, ORIGIN), "card_untrusted").await;
    let now = now_secs();
    let expired = app.pki.another(SignatureAlgorithm::Rs256, (now - 400 * DAY, now - DAY), true);
    refused(app, expired.proof(&nonce, ORIGIN), "card_certificate_expired").await;
    let early = app.pki.another(SignatureAlgorithm::Rs256, (now + DAY, now + 400 * DAY), true);
    refused(app, early.proof(&nonce, ORIGIN), "card_certificate_not_yet_valid").await;
    let encipherment = app.pki.another(SignatureAlgorithm::Rs256, (now - DAY, now + DAY), false);
    refused(app, encipherment.proof(&nonce, ORIGIN), "card_key_usage").await;
}

async fn a_revoked_card_or_a_stale_crl_is_refused_and_the_crl_is_read_again(app: &CardApp) {
    let dir = &app.app.dir;
    let nonce = challenge(app).await;
    write_trust(dir, app.pki, std::slice::from_ref(&app.pki.serial), now_secs() + 7 * DAY);
    refused(app, app.pki.proof(&nonce, ORIGIN), "card_revoked").await;
    write_trust(dir, app.pki, &[], now_secs() - 1);
    refused(app, app.pki.proof(&nonce, ORIGIN), "card_revocation_unknown").await;
    std::fs::remove_file(dir.join("ca.crl")).unwrap();
    refused(app, app.pki.proof(&nonce, ORIGIN), "card_revocation_unknown").await;
    // Another card of the same CA is revoked: this one goes through with the new CRL.
    write_trust(dir, app.pki, &[vec![0x01, 0x02, 0x03]], now_secs() + 7 * DAY);
    assert_eq!(register_card(app, app.pki.proof(&nonce, ORIGIN)).await.0, StatusCode::ACCEPTED);
}

async fn the_locked_answers_must_be_the_certificate_s(app: &CardApp) {
    let nonce = challenge(app).await;
    let mut request = card_request(Some(app.pki.proof(&nonce, ORIGIN)));
    (request.donnees.nom, request.donnees.rpps) = ("MARTIN".into(), "10005173140".into());
    let (status, body) = register(app, serde_json::to_value(&request).unwrap()).await;
    assert_eq!(
        (status, body),
        (StatusCode::UNPROCESSABLE_ENTITY, json!({"nom": ["card_mismatch"], "rpps": ["card_mismatch"]}))
    );
    assert_eq!(count(&app.app).await, 0);
}

async fn an_ecdsa_card_is_verified_too(app: &CardApp) {
    let now = now_secs();
    let ec = app.pki.another(SignatureAlgorithm::Es256, (now - DAY, now + DAY), true);
    let nonce = challenge(app).await;
    refused(app, CardProof { nonce: nonce.clone(), ..ec.proof("b3RoZXI=", ORIGIN) }, "card_signature_invalid").await;
    let (status, body) = register_card(app, ec.proof(&nonce, ORIGIN)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (algorithme,): (String,) =
        sqlx::query_as("SELECT carte_algorithme FROM registrations").fetch_one(&app.app.db).await.unwrap();
    assert_eq!(algorithme, "ES256");
}

async fn a_card_request_is_an_account_once_its_email_is_confirmed_whoever_claimed_the_number_first(app: &CardApp) {
    use common::{confirm, provision, statut_of, subjects_of, token_of};
    // A stranger claims the midwife's public RPPS without her card, and proves their own email.
    let mut squat = card_request(None);
    squat.donnees.mode = Some(Mode::Manuel);
    (squat.donnees.email, squat.donnees.email_confirmation) = ("intrus@exemple.fr".into(), "intrus@exemple.fr".into());
    let (status, body) = register(app, serde_json::to_value(&squat).unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let squatter = body["identifiant"].as_str().unwrap().to_owned();
    confirm(&app.app, &token_of(&app.app, &squatter).await).await;
    assert_eq!(
        statut_of(&app.app, &squatter).await.as_deref(),
        Some("en_verification"),
        "no account on a public number"
    );

    // The owner, with her card: the same answer as anyone's, then an account once her email is proven.
    let nonce = challenge(app).await;
    let (status, body) = register_card(app, app.pki.proof(&nonce, ORIGIN)).await;
    assert_eq!((status, body["statut"].as_str()), (StatusCode::ACCEPTED, Some("email_a_confirmer")), "{body}");
    let owner = body["identifiant"].as_str().unwrap().to_owned();
    assert_ne!(owner, squatter);
    let (status, body) = confirm(&app.app, &token_of(&app.app, &owner).await).await;
    assert_eq!((status, body["statut"].as_str()), (StatusCode::OK, Some("active")), "{body}");
    // Her acceptance email leaves once her mailbox is in the directory.
    assert_eq!(provision(&app.app).await, 1);
    let subjects = subjects_of(&app.app, &owner).await;
    assert_eq!(subjects.last().unwrap(), "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion");

    // The stranger's claim can no longer become an account.
    let id: String = sqlx::query_scalar("SELECT id FROM registrations WHERE identifiant = $1")
        .bind(&squatter)
        .fetch_one(&app.app.db)
        .await
        .unwrap();
    let settings = promess_server::lifecycle::Decisions { refused_retention_secs: 1 };
    let now = app.clock.load(Ordering::SeqCst);
    let accepted = promess_server::lifecycle::decide(
        &app.app.store,
        &id,
        promess_server::lifecycle::Decision::Accept,
        "op",
        &settings,
        now,
    )
    .await
    .unwrap();
    assert_eq!(accepted, Err(promess_server::lifecycle::DecisionError::NumberHeld));

    // A second card request on a number an active account holds: reviewed, never a second account.
    let nonce = challenge(app).await;
    let (_, body) = register_card(app, app.pki.proof(&nonce, ORIGIN)).await;
    let again = body["identifiant"].as_str().unwrap().to_owned();
    let (_, body) = confirm(&app.app, &token_of(&app.app, &again).await).await;
    assert_eq!(body["statut"], "en_verification", "{body}");
}
