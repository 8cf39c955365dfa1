//! The professional's account space, `/compte`: the password then the second factor (the app's code or a recovery
//! code, each once), sessions under a new id, CSRF on every form, the lock after 5 failures, the same answer and time
//! for an unknown identifier and a wrong password, and the journal. `cargo test --test account` runs these alone.
use axum::http::StatusCode;
use promess_core::registration::examples::STRONG_PASSWORD;
use promess_server::{account, lifecycle::Decision};

mod common;
use common::{
    Backend, TestApp,
    browser::{Page, Visitor},
    confirm, csrf_of, decide, factor_with_codes, json_post, request, send, test_app, token_of, totp_code,
};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("compte_{name}")).await
}

on_both!(
    the_password_then_the_app_s_code_or_a_recovery_code_each_once_open_the_account,
    a_session_id_set_before_sign_in_is_not_kept_and_every_form_needs_its_csrf_token,
    an_unknown_identifier_and_a_wrong_password_get_the_same_answer_in_the_same_time,
    a_thousand_guesses_lock_the_account_after_five,
);

/// Cécile Sage's account, active: the app's secret and the recovery codes shown at step 3.
async fn active_account(app: &TestApp) -> (String, Vec<String>) {
    let (handle, secret, codes) = factor_with_codes(app).await;
    let mut r = request("99700771191", "cecile.sage@exemple.fr");
    r.donnees.facteur = handle;
    let (status, body, _) = send(app, json_post("/api/registrations", serde_json::to_value(&r).unwrap())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    confirm(app, &token_of(app, "cecile.sage").await).await;
    decide(app, "cecile.sage", Decision::Accept).await.unwrap();
    // Signed in later than the set-up: the code typed then (its time step) counts no more.
    app.advance(30);
    (secret, codes)
}

/// The account space's steps, in the tests' browser.
trait AccountSteps {
    async fn password(&mut self, app: &TestApp, login: &str, password: &str) -> Page;
    async fn second_factor(&mut self, app: &TestApp, code: &str) -> Page;
    async fn sign_out(&mut self, app: &TestApp);
}

impl AccountSteps for Visitor {
    /// The password step: the sign-in form, then the identifier and password.
    async fn password(&mut self, app: &TestApp, login: &str, password: &str) -> Page {
        let form = self.get(app, "/compte").await;
        let csrf = csrf_of(&form.html);
        self.post(app, "/compte/connexion", &[("identifiant", login), ("mot_de_passe", password), ("csrf", &csrf)])
            .await
    }

    /// The second factor's step, after the password.
    async fn second_factor(&mut self, app: &TestApp, code: &str) -> Page {
        let form = self.get(app, "/compte/second-facteur").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        let csrf = csrf_of(&form.html);
        self.post(app, "/compte/second-facteur", &[("code", code), ("csrf", &csrf)]).await
    }

    async fn sign_out(&mut self, app: &TestApp) {
        let home = self.get(app, "/compte").await;
        let csrf = csrf_of(&home.html);
        assert_eq!(self.post(app, "/compte/deconnexion", &[("csrf", &csrf)]).await.location, "/compte");
    }
}

fn signed_in(page: &Page) -> bool {
    page.html.contains("<h1>Mon compte</h1>")
}

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
