//! The account space in the tests: an active account secured with an app at step 3, and its steps in the tests'
//! browser (`Visitor`).
use super::{
    ORIGIN, TestApp,
    browser::{Page, Visitor},
    confirm, csrf_of, decide, factor_with_codes, json_post, request, send, token_of,
};
use axum::http::StatusCode;
use promess_server::lifecycle::Decision;

/// Cécile Sage's account, active: the app's secret and the recovery codes shown at step 3.
pub async fn active_account(app: &TestApp) -> (String, Vec<String>) {
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
pub trait AccountSteps {
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

pub fn signed_in(page: &Page) -> bool {
    page.html.contains("<h1>Mon compte</h1>")
}

/// The links of the emails to `to` whose subject holds `subject`, oldest first: each the path after the origin.
pub async fn links_to(app: &TestApp, to: &str, subject: &str) -> Vec<String> {
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE recipient = $1 AND subject LIKE $2 ORDER BY created_at, id",
    )
    .bind(to)
    .bind(format!("%{subject}%"))
    .fetch_all(&app.db)
    .await
    .unwrap();
    bodies
        .iter()
        .filter_map(|b| b.split(ORIGIN).nth(1).map(|rest| rest.split_whitespace().next().unwrap().to_owned()))
        .collect()
}

/// The forgotten password's form, sent for `login`.
pub async fn forgotten(v: &mut Visitor, app: &TestApp, login: &str) -> Page {
    let form = v.get(app, "/compte/mot-de-passe-oublie").await;
    let csrf = csrf_of(&form.html);
    v.post(app, "/compte/mot-de-passe-oublie", &[("identifiant", login), ("csrf", &csrf)]).await
}

/// The queue's round for the forgotten-password requests (the server's worker does it every few seconds).
pub async fn send_links(app: &TestApp) {
    let job = promess_server::account::life::ResetLinks { public_url: ORIGIN.to_owned() };
    promess_server::queue::run_due(&app.store, &job, app.now()).await.unwrap();
}

/// A whole forgotten-password journey of Cécile Sage: the link to her notification address, `code` as the second
/// factor, then `new` as the password.
pub async fn reset_password(app: &TestApp, code: &str, new: &str) {
    let mut v = Visitor::default();
    forgotten(&mut v, app, "cecile.sage").await;
    send_links(app).await;
    let link = links_to(app, "cecile.sage@exemple.fr", "Réinitialisation").await.pop().expect("a link");
    let opened = v.get(app, &link).await;
    assert_eq!(v.post(app, &link, &[("csrf", &csrf_of(&opened.html))]).await.location, "/compte/reinitialisation");
    let csrf = csrf_of(&v.get(app, "/compte/reinitialisation").await.html);
    v.post(app, "/compte/reinitialisation/facteur", &[("code", code), ("csrf", &csrf)]).await;
    let password = [("mot_de_passe", new), ("mot_de_passe_confirmation", new), ("csrf", &csrf)];
    let changed = v.post(app, "/compte/reinitialisation/mot-de-passe", &password).await;
    assert!(changed.html.contains("Votre mot de passe est changé"), "{}", changed.html);
}

/// Signed in with the app's code at the next time step.
pub async fn signed_in_visitor(app: &TestApp, secret: &str, password: &str) -> Visitor {
    let mut v = Visitor::default();
    assert_eq!(v.password(app, "cecile.sage", password).await.location, "/compte/second-facteur");
    app.advance(30);
    let code = super::totp_code(secret, app.now());
    assert_eq!(v.second_factor(app, &code).await.location, "/compte");
    v
}

/// A change asked from the account page, then proven with `code` (or only asked).
pub async fn change(v: &mut Visitor, app: &TestApp, action: &str, code: Option<&str>) -> Page {
    let csrf = csrf_of(&v.get(app, "/compte").await.html);
    let mut form = vec![("csrf", csrf.as_str()), ("action", action), ("cible", "")];
    if let Some(code) = code {
        form.push(("code", code));
    }
    v.post(app, "/compte/verification", &form).await
}
