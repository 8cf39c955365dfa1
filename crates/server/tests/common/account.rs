//! The account space in the tests: an active account secured with an app at step 3, and its steps in the tests'
//! browser (`Visitor`).
use super::{
    TestApp,
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
