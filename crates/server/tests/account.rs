//! The professional's account space, `/compte`: the password then the second factor (the app's code or a recovery
//! code, each once), sessions under a new id, CSRF on every form, the lock after 5 failures, the same answer and time
//! for an unknown identifier and a wrong password, and the journal. `cargo test --test account` runs these alone.
use axum::http::StatusCode;
use promess_core::registration::examples::STRONG_PASSWORD;
use promess_server::account;

mod common;
use common::{
    Backend, TestApp,
    account::{AccountSteps, active_account, signed_in},
    browser::{Page, Visitor},
    csrf_of, field_of, test_app, totp_code,
};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("compte_{name}")).await
}

on_both!(
    the_password_then_the_app_s_code_or_a_recovery_code_each_once_open_the_account,
    a_session_id_set_before_sign_in_is_not_kept_and_every_form_needs_its_csrf_token,
    an_unknown_identifier_and_a_wrong_password_get_the_same_answer_in_the_same_time,
    a_thousand_guesses_lock_the_account_after_five,
    factors_change_only_with_the_second_factor_given_again_and_never_down_to_none,
);

async fn the_password_then_the_app_s_code_or_a_recovery_code_each_once_open_the_account(app: &TestApp) {
    let (secret, codes) = active_account(app).await;
    let mut v = Visitor::default();
    let after_password = v.password(app, "cecile.sage", STRONG_PASSWORD).await;
    assert_eq!(
        (after_password.status, after_password.location.as_str()),
        (StatusCode::SEE_OTHER, "/compte/second-facteur")
    );
    // The password alone opens nothing.
    assert!(!signed_in(&v.get(app, "/compte").await));
    let wrong = v.second_factor(app, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains(account::FACTOR_REFUSED), "{}", wrong.html);
    let code = totp_code(&secret, app.now());
    assert_eq!(v.second_factor(app, &code).await.location, "/compte");
    let home = v.get(app, "/compte").await;
    assert!(signed_in(&home), "{}", home.html);
    for shown in [
        "cecile.sage@sante-na.fr",
        "cecile.sage@exemple.fr",
        "vérifiée par l'opérateur",
        "Application d'authentification",
        "10 codes de secours non utilisés",
        "connexion (application d'authentification)",
        "échec de connexion (second facteur)",
        "déconnectez-vous et fermez votre navigateur",
    ] {
        assert!(home.html.contains(shown), "{shown}: {}", home.html);
    }
    v.sign_out(app).await;
    assert!(!signed_in(&v.get(app, "/compte").await));

    // The same app code again, in its window: refused; a recovery code opens, once.
    v.password(app, "cecile.sage", STRONG_PASSWORD).await;
    assert_eq!(v.second_factor(app, &code).await.status, StatusCode::UNAUTHORIZED, "a code counts once");
    assert_eq!(v.second_factor(app, &codes[0].to_lowercase()).await.location, "/compte");
    assert!(v.get(app, "/compte").await.html.contains("9 codes de secours non utilisés"));
    v.sign_out(app).await;
    v.password(app, "cecile.sage@sante-na.fr", STRONG_PASSWORD).await;
    assert_eq!(v.second_factor(app, &codes[0]).await.status, StatusCode::UNAUTHORIZED, "a recovery code counts once");
    app.advance(30);
    assert_eq!(v.second_factor(app, &totp_code(&secret, app.now())).await.location, "/compte");
    let journal = v.get(app, "/compte").await.html;
    assert!(journal.contains("connexion (code de secours)") && journal.contains("déconnexion"), "{journal}");
    // Idle for 15 minutes: the session is over.
    app.advance(account::IDLE_SECS + 1);
    assert!(!signed_in(&v.get(app, "/compte").await));
}

async fn a_session_id_set_before_sign_in_is_not_kept_and_every_form_needs_its_csrf_token(app: &TestApp) {
    let (secret, _) = active_account(app).await;
    let mut v = Visitor::default();
    v.cookies.insert("promess-compte".into(), "fixe-par-un-attaquant".into());
    v.password(app, "cecile.sage", STRONG_PASSWORD).await;
    let pending = v.cookies["promess-compte"].clone();
    assert_ne!(pending, "fixe-par-un-attaquant");
    v.second_factor(app, &totp_code(&secret, app.now())).await;
    let session = v.cookies["promess-compte"].clone();
    assert_ne!(session, pending, "a new id once the second factor is given");
    let mut attacker = Visitor::default();
    for kept in ["fixe-par-un-attaquant", pending.as_str()] {
        attacker.cookies.insert("promess-compte".into(), kept.into());
        assert!(!signed_in(&attacker.get(app, "/compte").await), "{kept}");
    }
    // Without the form's token: refused, and nothing changes.
    let mut forged = Visitor::default();
    let page = forged
        .post(app, "/compte/connexion", &[("identifiant", "cecile.sage"), ("mot_de_passe", STRONG_PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = v.post(app, "/compte/deconnexion", &[("csrf", "faux")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(signed_in(&v.get(app, "/compte").await), "still signed in");
}

/// The page without its random tokens, for comparing answers.
fn without_tokens(html: &str) -> String {
    html.split("value=\"").map(|part| part.split_once('"').map_or(part, |(_, rest)| rest)).collect()
}

async fn an_unknown_identifier_and_a_wrong_password_get_the_same_answer_in_the_same_time(app: &TestApp) {
    active_account(app).await;
    let mut v = Visitor::default();
    let unknown = v.password(app, "personne.inconnue", STRONG_PASSWORD).await;
    let wrong = v.password(app, "cecile.sage", "Un-Autre-Mot-De-Passe-7").await;
    assert_eq!((unknown.status, wrong.status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert!(unknown.html.contains(account::REFUSED));
    assert_eq!(without_tokens(&unknown.html), without_tokens(&wrong.html));
    // Their times, alternated after a round not counted: medians of five within 20 % (the same argon2id work either
    // way). The failures are reset between rounds, so that the lock (five in a row) never shortens a try.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..6 {
        for (login, times) in [("personne.inconnue", &mut a), ("cecile.sage", &mut b)] {
            let started = std::time::Instant::now();
            v.password(app, login, "Un-Autre-Mot-De-Passe-7").await;
            if round > 0 {
                times.push(started.elapsed().as_secs_f64());
            }
        }
        sqlx::query("UPDATE registrations SET echecs_connexion = 0").execute(&app.db).await.unwrap();
    }
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (ma, mb) = (a[2], b[2]);
    assert!((ma - mb).abs() / ma.max(mb) < 0.2, "unknown {ma:.3} s, wrong password {mb:.3} s");
}

async fn a_thousand_guesses_lock_the_account_after_five(app: &TestApp) {
    let (secret, _) = active_account(app).await;
    let mut v = Visitor::default();
    let mut locked = 0;
    for i in 0..1000 {
        let page = v.password(app, "cecile.sage", &format!("Essai-numero-{i}-X")).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        if page.html.contains("Votre compte est verrouillé") {
            locked += 1;
            assert!(page.html.contains(promess_core::config::SUPPORT_PHONE), "the support's contact");
        }
    }
    assert_eq!(locked, 1000 - 4, "the fifth failure locks");
    let counted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_journal WHERE event = 'echec_mot_de_passe'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(counted, 5, "only five guesses were even tried");
    // Locked, the right password too is refused; 15 minutes later it opens again.
    assert!(v.password(app, "cecile.sage", STRONG_PASSWORD).await.html.contains("Votre compte est verrouillé"));
    app.advance(account::LOCK_SECS + 1);
    assert_eq!(v.password(app, "cecile.sage", STRONG_PASSWORD).await.location, "/compte/second-facteur");
    assert_eq!(v.second_factor(app, &totp_code(&secret, app.now())).await.location, "/compte");
}

/// A change of the account's factors asked from the signed-in page, with `proof` (`code`) or without.
async fn change(v: &mut Visitor, app: &TestApp, action: &str, cible: &str, code: Option<&str>) -> Page {
    let home = v.get(app, "/compte").await;
    let csrf = csrf_of(&home.html);
    let mut form = vec![("csrf", csrf.as_str()), ("action", action), ("cible", cible)];
    if let Some(code) = code {
        form.push(("code", code));
    }
    v.post(app, "/compte/verification", &form).await
}

async fn factor_ids(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM account_factors ORDER BY created_at, id").fetch_all(&app.db).await.unwrap()
}

async fn factors_change_only_with_the_second_factor_given_again_and_never_down_to_none(app: &TestApp) {
    let (secret, codes) = active_account(app).await;
    let mut v = Visitor::default();
    v.password(app, "cecile.sage", STRONG_PASSWORD).await;
    v.second_factor(app, &totp_code(&secret, app.now())).await;
    let home = v.get(app, "/compte").await;
    assert!(!home.html.contains("Supprimer"), "the only factor cannot be removed: {}", home.html);

    // New recovery codes: asked, then only with the second factor; the old ones serve no more.
    let asked = change(&mut v, app, "codes", "", None).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.html.contains("Confirmez votre identité") && asked.html.contains("nouveaux codes de secours"));
    let wrong = change(&mut v, app, "codes", "", Some("000000")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains(account::FACTOR_REFUSED));
    let renewed = change(&mut v, app, "codes", "", Some(&codes[0])).await;
    assert!(renewed.html.contains("Vos nouveaux codes de secours"), "{}", renewed.html);
    let new_codes: Vec<String> =
        renewed.html.split("<code>").skip(1).map(|c| c.split('<').next().unwrap().to_owned()).collect();
    assert_eq!(new_codes.len(), 10);
    let old = change(&mut v, app, "codes", "", Some(&codes[1])).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "an old code serves no more");

    // The last factor is never removed, even with the second factor given.
    let only = factor_ids(app).await;
    app.advance(30);
    let kept = change(&mut v, app, "supprimer", &only[0], Some(&totp_code(&secret, app.now()))).await;
    assert_eq!(kept.location, "/compte?fait=dernier_facteur");
    assert_eq!(factor_ids(app).await, only);

    // A second app: after the second factor, its key; its code (a wrong one first) adds it.
    let adding = change(&mut v, app, "ajouter", "totp", Some(&new_codes[0])).await;
    assert!(adding.html.contains("Ajouter une application d'authentification"), "{}", adding.html);
    let read_key =
        |html: &str| html.split("id=\"cle-secrete\">").nth(1).unwrap().split('<').next().unwrap().replace(' ', "");
    let (first_key, setup) = (read_key(&adding.html), field_of(&adding.html, "setup"));
    let csrf = csrf_of(&adding.html);
    let again =
        v.post(app, "/compte/facteurs/application", &[("csrf", &csrf), ("setup", &setup), ("code", "000000")]).await;
    assert!(again.html.contains("Ce code ne correspond pas"), "{}", again.html);
    let (key, setup) = (read_key(&again.html), field_of(&again.html, "setup"));
    assert_ne!(key, first_key, "a wrong code: a new key");
    let code = totp_code(&key, app.now());
    let added =
        v.post(app, "/compte/facteurs/application", &[("csrf", &csrf), ("setup", &setup), ("code", &code)]).await;
    assert_eq!(added.location, "/compte?fait=facteur_ajoute");
    let replayed =
        v.post(app, "/compte/facteurs/application", &[("csrf", &csrf), ("setup", &setup), ("code", &code)]).await;
    assert_eq!(replayed.location, "/compte?fait=ajout_expire", "a set-up adds once");
    let both = factor_ids(app).await;
    assert_eq!(both.len(), 2);
    let home = v.get(app, "/compte?fait=facteur_ajoute").await;
    assert!(home.html.contains("Votre nouveau second facteur est ajouté") && home.html.contains("Supprimer"));
    assert!(home.html.contains("second facteur ajouté") && home.html.contains("nouveaux codes de secours"));

    // The first app removed, proven by the second; the first one's codes open nothing after.
    app.advance(30);
    let removed = change(&mut v, app, "supprimer", &both[0], Some(&totp_code(&key, app.now()))).await;
    assert_eq!(removed.location, "/compte?fait=facteur_supprime");
    assert_eq!(factor_ids(app).await, vec![both[1].clone()]);
    // Without the form's token, nothing is asked nor changed.
    let forged = v.post(app, "/compte/verification", &[("action", "codes"), ("code", &new_codes[1])]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    v.sign_out(app).await;
    app.advance(30);
    v.password(app, "cecile.sage", STRONG_PASSWORD).await;
    assert_eq!(v.second_factor(app, &totp_code(&secret, app.now())).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(v.second_factor(app, &totp_code(&key, app.now())).await.location, "/compte");
}
