//! The second factor every account has from its first day: the set-up at step 3 (a TOTP secret, its code checked by
//! the server, the recovery codes shown once and kept hashed), and the rule that no request becomes a record without
//! a confirmed factor, whatever the page sends. `cargo test --test factors` runs these alone.
use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, TestApp, count, json_post, request, send, test_app, totp_code};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("factors_{name}")).await
}

on_both!(
    a_set_up_shows_the_secret_its_uri_and_qr_code_and_is_confirmed_by_the_app_s_code_once,
    wrong_codes_are_counted_and_the_fifth_voids_the_set_up,
    no_request_is_kept_without_a_confirmed_unspent_second_factor,
);

async fn begin(app: &TestApp) -> Value {
    let (status, setup, _) =
        send(app, json_post("/api/facteurs", json!({"type": "totp", "identifiant": "cecile.sage"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{setup}");
    setup
}

async fn confirm(app: &TestApp, setup: &Value, code: &str) -> (StatusCode, Value) {
    let path = format!("/api/facteurs/{}/confirmation", setup["id"].as_str().unwrap());
    let (status, body, _) = send(app, json_post(&path, json!({ "code": code }))).await;
    (status, body)
}

fn factor_error(body: &Value) -> &str {
    body["second_facteur"][0].as_str().unwrap_or_default()
}

async fn a_set_up_shows_the_secret_its_uri_and_qr_code_and_is_confirmed_by_the_app_s_code_once(app: &TestApp) {
    let setup = begin(app).await;
    let secret = setup["secret"].as_str().unwrap();
    assert!(secret.len() >= 32 && secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
    let uri = setup["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/MSSant%C3%A9%20Nouvelle-Aquitaine:cecile.sage?secret="), "{uri}");
    assert!(uri.contains(secret) && uri.contains("issuer=MSSant%C3%A9%20Nouvelle-Aquitaine"), "{uri}");
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    // The app's code of the step before still counts (clocks apart); two steps away does not.
    let (status, body) = confirm(app, &setup, &totp_code(secret, app.now() - 60)).await;
    assert_eq!((status, factor_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "factor_code_invalid"));
    let (status, body) = confirm(app, &setup, &totp_code(secret, app.now() - 30)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes: Vec<&str> = body["codes_secours"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(codes.len(), 10);
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    // Shown once: a second confirmation gives nothing.
    let (status, body) = confirm(app, &setup, &totp_code(secret, app.now())).await;
    assert_eq!((status, factor_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "factor_unknown"));

    // The registration that carries it: the account's factor and its recovery codes, hashed, never in clear.
    let mut r = request("99700771191", "cecile.sage@exemple.fr");
    r.donnees.facteur = setup["id"].as_str().unwrap().to_owned();
    let (status, body, _) = send(app, json_post("/api/registrations", serde_json::to_value(&r).unwrap())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (kind, kept): (String, String) =
        sqlx::query_as("SELECT kind, secret FROM account_factors").fetch_one(&app.db).await.unwrap();
    assert_eq!((kind.as_str(), kept.as_str()), ("totp", secret));
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(&app.db).await.unwrap();
    assert_eq!(hashes.len(), 10);
    for code in &codes {
        let hash = promess_server::factors::recovery_hash(code).unwrap();
        assert!(hashes.contains(&hash), "{code}");
        let clear: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE code_hash LIKE $1")
            .bind(format!("%{}%", code.replace('-', "")))
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(clear, 0, "{code} kept in clear");
    }
}

async fn wrong_codes_are_counted_and_the_fifth_voids_the_set_up(app: &TestApp) {
    let setup = begin(app).await;
    let secret = setup["secret"].as_str().unwrap();
    let right = totp_code(secret, app.now());
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let (status, body) = confirm(app, &setup, wrong).await;
        assert_eq!((status, factor_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "factor_code_invalid"));
    }
    let (_, body) = confirm(app, &setup, wrong).await;
    assert_eq!(factor_error(&body), "factor_too_many_attempts");
    let (status, body) = confirm(app, &setup, &right).await;
    assert_eq!((status, factor_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "factor_too_many_attempts"));
    let (_, body) = confirm(app, &json!({"id": "inconnu"}), &right).await;
    assert_eq!(factor_error(&body), "factor_unknown");
    let text = promess_core::ErrorCode::FactorTooManyAttempts.message(promess_core::Field::SecondFacteur);
    assert!(text.starts_with("Second facteur : trop de codes erronés"), "{text}");
}

async fn no_request_is_kept_without_a_confirmed_unspent_second_factor(app: &TestApp) {
    let post =
        |r: &promess_core::RegistrationRequest| json_post("/api/registrations", serde_json::to_value(r).unwrap());
    let refused = |status: StatusCode, body: &Value, code: &str| {
        assert_eq!((status, factor_error(body)), (StatusCode::UNPROCESSABLE_ENTITY, code), "{body}");
    };
    // None at all, whatever the page says about recovery codes.
    let mut r = request("99700771191", "cecile.sage@exemple.fr");
    r.donnees.facteur = String::new();
    let (status, body, _) = send(app, post(&r)).await;
    refused(status, &body, "factor_required");
    // A handle the server never gave.
    r.donnees.facteur = "invente".into();
    let (status, body, _) = send(app, post(&r)).await;
    refused(status, &body, "factor_unknown");
    // A set-up whose code was never checked.
    let unconfirmed = begin(app).await;
    r.donnees.facteur = unconfirmed["id"].as_str().unwrap().to_owned();
    let (status, body, _) = send(app, post(&r)).await;
    refused(status, &body, "factor_required");
    // A confirmed one, past its hour.
    let setup = begin(app).await;
    let (status, _) = confirm(app, &setup, &totp_code(setup["secret"].as_str().unwrap(), app.now())).await;
    assert_eq!(status, StatusCode::OK);
    r.donnees.facteur = setup["id"].as_str().unwrap().to_owned();
    app.advance(promess_core::factor::ENROLMENT_SECS + 1);
    let (status, body, _) = send(app, post(&r)).await;
    refused(status, &body, "factor_unknown");
    assert_eq!(count(app).await, 0, "nothing stored");
    // One used by a request cannot serve another.
    let used = common::secured(app, &r).await;
    let (status, body, _) = send(app, post(&used)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mut other = used.clone();
    other.donnees.rpps = common::rpps(41);
    (other.donnees.email, other.donnees.email_confirmation) = ("autre@exemple.fr".into(), "autre@exemple.fr".into());
    let (status, body, _) = send(app, post(&other)).await;
    refused(status, &body, "factor_unknown");
    // Every request kept has its factor.
    let without: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registrations r WHERE NOT EXISTS (SELECT 1 FROM account_factors f WHERE f.registration_id = r.id)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((count(app).await, without), (1, 0));
}
