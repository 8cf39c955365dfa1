//! Passkeys and FIDO2 security keys (WebAuthn) as the second factor: set up at registration, then signing in to
//! `/compte`, with a software authenticator of the tests' own (`common::authenticator`) that signs real assertions —
//! and lies as an attacker's client would. The browsers' own ceremonies (WebDriver's virtual authenticators) are in
//! crates/e2e. `cargo test --test passkeys` runs these alone.
use axum::http::StatusCode;
use promess_core::registration::examples::STRONG_PASSWORD;
use promess_server::{account, lifecycle::Decision};
use serde_json::{Value, json};

mod common;
use common::{
    Backend, TestApp,
    authenticator::{Authenticator, Ceremony, HONEST},
    browser::{Page, Visitor},
    confirm, csrf_of, decide, field_of, json_post, request, send, test_app_with, token_of,
};

/// The app's own first (its emails' links), then the name WebAuthn needs (browsers refuse an IP address).
const ORIGINS: [&str; 2] = ["http://127.0.0.1:8080", "http://localhost:8080"];

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app_with(backend, &format!("cle_{name}"), |settings, _| promess_server::Settings {
        origins: ORIGINS.iter().map(|o| o.to_string()).collect(),
        ..settings
    })
    .await
}

on_both!(
    a_passkey_set_up_at_step_3_signs_in_to_the_account_and_an_assertion_counts_once,
    assertions_for_another_origin_or_relying_party_or_from_an_unknown_key_are_refused_and_journalled,
    a_credential_made_for_another_site_or_registered_already_is_refused_at_set_up,
    a_second_key_is_added_from_the_account_after_the_first_one_is_given_again,
);

/// `POST /api/facteurs` for a passkey: the set-up's handle and its `publicKey` options.
async fn begin(app: &TestApp) -> (String, Value) {
    let (status, setup, _) =
        send(app, json_post("/api/facteurs", json!({"type": "cle", "identifiant": "cecile.sage"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{setup}");
    (setup["id"].as_str().unwrap().to_owned(), setup["options"].clone())
}

async fn confirm_key(app: &TestApp, handle: &str, credential: Value) -> (StatusCode, Value) {
    let path = format!("/api/facteurs/{handle}/confirmation");
    let (status, body, _) = send(app, json_post(&path, json!({ "cle": credential }))).await;
    (status, body)
}

/// Cécile Sage's account, active, secured with `key` at step 3.
async fn active_account(app: &TestApp, key: &mut Authenticator) {
    let (handle, options) = begin(app).await;
    assert_eq!(options["rp"]["id"], "localhost");
    let (status, confirmed) = confirm_key(app, &handle, key.register(&options, &HONEST)).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["codes_secours"].as_array().unwrap().len(), 10);
    let mut r = request("99700771191", "cecile.sage@exemple.fr");
    (r.donnees.facteur, r.donnees.codes_conserves) = (handle, true);
    let (status, body, _) = send(app, json_post("/api/registrations", serde_json::to_value(&r).unwrap())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    confirm(app, &token_of(app, "cecile.sage").await).await;
    decide(app, "cecile.sage", Decision::Accept).await.unwrap();
}

/// The password given: the second factor's page, its CSRF token, and the sign-in's `publicKey` options.
async fn after_password(app: &TestApp, v: &mut Visitor) -> (Page, String, Value) {
    let form = v.get(app, "/compte").await;
    let csrf = csrf_of(&form.html);
    let page = v
        .post(
            app,
            "/compte/connexion",
            &[("identifiant", "cecile.sage"), ("mot_de_passe", STRONG_PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.location, "/compte/second-facteur");
    let page = v.get(app, "/compte/second-facteur").await;
    let csrf = csrf_of(&page.html);
    let options = v.post(app, "/compte/cle/options", &[("csrf", &csrf)]).await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.html);
    (page, csrf, serde_json::from_str(&options.html).unwrap())
}

async fn with_assertion(app: &TestApp, v: &mut Visitor, csrf: &str, assertion: &Value) -> Page {
    v.post(app, "/compte/second-facteur", &[("cle", &assertion.to_string()), ("csrf", csrf)]).await
}

fn signed_in(page: &Page) -> bool {
    page.html.contains("<h1>Mon compte</h1>")
}

async fn journal_count(app: &TestApp, event: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM account_journal WHERE event = $1")
        .bind(event)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn a_passkey_set_up_at_step_3_signs_in_to_the_account_and_an_assertion_counts_once(app: &TestApp) {
    let mut key = Authenticator::new();
    active_account(app, &mut key).await;
    let mut v = Visitor::default();
    let (page, csrf, options) = after_password(app, &mut v).await;
    assert!(page.html.contains("/compte/cle.js") && page.html.contains("utiliser-cle"), "{}", page.html);
    assert_eq!(options["rpId"], "localhost");
    let allowed = options["allowCredentials"][0]["id"].as_str().unwrap();
    assert_eq!(allowed, base64_url(&key.credential_id), "the account's key, and it only");
    let assertion = key.assert(&options, &HONEST);
    assert_eq!(with_assertion(app, &mut v, &csrf, &assertion).await.location, "/compte");
    let home = v.get(app, "/compte").await;
    assert!(signed_in(&home), "{}", home.html);
    for shown in ["Clé d'accès ou clé de sécurité", "connexion (clé d'accès)"] {
        assert!(home.html.contains(shown), "{shown}: {}", home.html);
    }
    let csrf_home = csrf_of(&home.html);
    v.post(app, "/compte/deconnexion", &[("csrf", &csrf_home)]).await;

    // The same assertion again, in a new sign-in: its challenge was another ceremony's. Refused, journalled.
    let mut replay = Visitor::default();
    let (_, csrf, _) = after_password(app, &mut replay).await;
    let page = with_assertion(app, &mut replay, &csrf, &assertion).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.html.contains(account::FACTOR_REFUSED), "{}", page.html);
    assert!(!signed_in(&replay.get(app, "/compte").await));
    assert_eq!(journal_count(app, "echec_second_facteur").await, 1);

    // A ceremony is used once: after a refused assertion, even the right one for its challenge is refused.
    let (_, csrf, options) = after_password(app, &mut replay).await;
    let elsewhere = key.assert(&options, &Ceremony { origin: "http://localhost:9999", ..HONEST });
    with_assertion(app, &mut replay, &csrf, &elsewhere).await;
    let right = key.assert(&options, &HONEST);
    assert_eq!(with_assertion(app, &mut replay, &csrf, &right).await.status, StatusCode::UNAUTHORIZED);
    // A new ceremony: the key opens the account again (its counter moved on).
    let (_, csrf, options) = after_password(app, &mut replay).await;
    assert_eq!(with_assertion(app, &mut replay, &csrf, &key.assert(&options, &HONEST)).await.location, "/compte");
    assert!(signed_in(&replay.get(app, "/compte").await));
    assert_eq!(journal_count(app, "connexion").await, 2);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn assertions_for_another_origin_or_relying_party_or_from_an_unknown_key_are_refused_and_journalled(
    app: &TestApp,
) {
    let mut key = Authenticator::new();
    active_account(app, &mut key).await;
    let mut stranger = Authenticator::new();
    type Lie = Box<dyn Fn(&mut Authenticator, &mut Authenticator, &Value) -> Value>;
    let lies: [(&str, Lie); 4] = [
        (
            "another origin",
            Box::new(|k, _, o| k.assert(o, &Ceremony { origin: "https://hameconnage.example", ..HONEST })),
        ),
        ("another relying party", Box::new(|k, _, o| k.assert(o, &Ceremony { rp_id: "sante-na.fr", ..HONEST }))),
        ("an unregistered key", Box::new(|_, s, o| s.assert(o, &HONEST))),
        ("no assertion at all", Box::new(|_, _, _| json!("rien"))),
    ];
    let mut v = Visitor::default();
    for (n, (lie, assertion)) in lies.iter().enumerate() {
        let (_, csrf, options) = after_password(app, &mut v).await;
        let page = with_assertion(app, &mut v, &csrf, &assertion(&mut key, &mut stranger, &options)).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{lie}");
        assert!(!signed_in(&v.get(app, "/compte").await), "{lie}");
        assert_eq!(journal_count(app, "echec_second_facteur").await, n as i64 + 1, "{lie}");
    }
    // Each was refused for what it was: the honest assertion of the same ceremony opens the account.
    let (_, csrf, options) = after_password(app, &mut v).await;
    assert_eq!(with_assertion(app, &mut v, &csrf, &key.assert(&options, &HONEST)).await.location, "/compte");
    assert!(signed_in(&v.get(app, "/compte").await));
}

async fn a_credential_made_for_another_site_or_registered_already_is_refused_at_set_up(app: &TestApp) {
    let refused = promess_core::ErrorCode::PasskeyRefused.key();
    for (lie, ceremony) in [
        ("another origin", Ceremony { origin: "https://hameconnage.example", ..HONEST }),
        ("another relying party", Ceremony { rp_id: "sante-na.fr", ..HONEST }),
    ] {
        let (handle, options) = begin(app).await;
        let (status, body) = confirm_key(app, &handle, Authenticator::new().register(&options, &ceremony)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lie}: {body}");
        assert_eq!(body["second_facteur"][0], refused, "{lie}: {body}");
    }
    // A set-up's credential answers a set-up's own challenge only.
    let (first, options) = begin(app).await;
    let (second, _) = begin(app).await;
    let (status, _) = confirm_key(app, &second, Authenticator::new().register(&options, &HONEST)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another set-up's challenge");
    let _ = first;
    // A key already some account's is not registered again.
    let mut key = Authenticator::new();
    active_account(app, &mut key).await;
    let (handle, options) = begin(app).await;
    let (status, body) = confirm_key(app, &handle, key.register(&options, &HONEST)).await;
    assert_eq!((status, body["second_facteur"][0].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(refused)));
    // Without a relying party (only IP addresses among the origins), passkeys are not offered.
    let (status, body, _) = send(
        &common::test_app(Backend::Sqlite, "cle_sans_domaine").await.unwrap(),
        json_post("/api/facteurs", json!({"type": "cle", "identifiant": "cecile.sage"})),
    )
    .await;
    assert_eq!(body["second_facteur"][0], promess_core::ErrorCode::PasskeyUnavailable.key(), "{status}");
}

async fn a_second_key_is_added_from_the_account_after_the_first_one_is_given_again(app: &TestApp) {
    let mut key = Authenticator::new();
    active_account(app, &mut key).await;
    let mut v = Visitor::default();
    let (_, csrf, options) = after_password(app, &mut v).await;
    assert_eq!(with_assertion(app, &mut v, &csrf, &key.assert(&options, &HONEST)).await.location, "/compte");
    let csrf = csrf_of(&v.get(app, "/compte").await.html);
    let ask = [("csrf", csrf.as_str()), ("action", "ajouter"), ("cible", "cle")];
    let asked = v.post(app, "/compte/verification", &ask).await;
    assert!(asked.html.contains("Confirmez votre identité") && asked.html.contains("utiliser-cle"), "{}", asked.html);
    // The first key given again, on this session's own ceremony.
    let options = v.post(app, "/compte/cle/options", &[("csrf", &csrf)]).await;
    let options: Value = serde_json::from_str(&options.html).unwrap();
    let assertion = key.assert(&options, &HONEST).to_string();
    let adding = v.post(app, "/compte/verification", &[ask.as_slice(), &[("cle", assertion.as_str())]].concat()).await;
    assert!(adding.html.contains("Ajouter une clé d'accès"), "{}", adding.html);
    let json = adding.html.split("id=\"cle-creation\">").nth(1).unwrap().split("</script>").next().unwrap();
    let creation: Value = serde_json::from_str(json).unwrap();
    assert_eq!(creation["excludeCredentials"][0]["id"], base64_url(&key.credential_id), "never the same key twice");
    let setup = field_of(&adding.html, "setup");
    // The first key again: refused (already the account's); a new one: added, and it signs in.
    let again = key.register(&creation, &HONEST).to_string();
    let refused = v.post(app, "/compte/facteurs/cle", &[("csrf", &csrf), ("setup", &setup), ("cle", &again)]).await;
    assert_eq!(refused.location, "/compte?fait=cle_refusee");
    let mut second = Authenticator::new();
    let made = second.register(&creation, &HONEST).to_string();
    let added = v.post(app, "/compte/facteurs/cle", &[("csrf", &csrf), ("setup", &setup), ("cle", &made)]).await;
    assert_eq!(added.location, "/compte?fait=facteur_ajoute");
    let home = v.get(app, "/compte").await;
    assert_eq!(home.html.matches("Supprimer : Clé d'accès").count(), 2, "{}", home.html);
    let mut other = Visitor::default();
    let (_, csrf, options) = after_password(app, &mut other).await;
    assert_eq!(options["allowCredentials"].as_array().unwrap().len(), 2);
    assert_eq!(with_assertion(app, &mut other, &csrf, &second.assert(&options, &HONEST)).await.location, "/compte");
}
