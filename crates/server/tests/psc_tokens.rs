//! Pro Santé Connect's ID token and userinfo, when the provider's answers are an attacker's: a provider of the test's
//! own (discovery, keys, token and userinfo endpoints on a loopback port) answers a token crafted for each case. An
//! honest token of the same provider passes, so each refusal is the check named, not a broken harness.
//! `cargo test --test psc_tokens` runs these alone.
mod common;
use common::{
    Backend,
    psc::{back, begin, handle_of, param},
    psc_provider::CLIENT_SECRET,
    psc_stub::{CLIENT_ID, Case, start},
    test_app_with,
};

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
