//! Signing in (the password and a TOTP code), the session's cookie, and signing out.
use super::{SESSION, SIGN_IN, Signed, cookie, date_time, failed, page_status, set_cookie};
use crate::{
    AppState,
    operators::{self, SignIn},
};
use axum::{
    Extension, Form, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::html;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/operateur", get(page))
        .route("/operateur/connexion", post(sign_in))
        .route("/operateur/deconnexion", post(sign_out))
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// The sign-in page, with its form's CSRF token in a cookie; a signed-in operator goes to the queue.
async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(cookie) = cookie(&state, &headers, SESSION)
        && let Ok(Some(_)) = operators::session(&state.store, &cookie, state.now()).await
    {
        return Redirect::to("/operateur/demandes").into_response();
    }
    sign_in_form(&state, StatusCode::OK, None)
}

fn sign_in_form(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let mut bytes = [0u8; 24];
    if getrandom::fill(&mut bytes).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let token = crate::secret::sha256_hex(&bytes);
    let body = html! {
        h1 { "Connexion à la console" }
        @if let Some(error) = error {
            p.erreur role="alert" id="connexion-erreur" { (error) }
        }
        form method="post" action="/operateur/connexion" {
            input type="hidden" name="csrf" value=(token);
            p {
                label for="login" { "Identifiant" }
                input id="login" name="login" type="text" autocomplete="username" required
                    aria-describedby=[error.map(|_| "connexion-erreur")];
            }
            p {
                label for="mot_de_passe" { "Mot de passe" }
                input id="mot_de_passe" name="mot_de_passe" type="password" autocomplete="current-password" required;
            }
            p {
                label for="code" { "Code à 6 chiffres de votre application d'authentification" }
                input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9]{6}" maxlength="6" required;
            }
            button type="submit" { "Se connecter" }
        }
    };
    let mut response = page_status(status, "Connexion", None, body);
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(state, SIGN_IN, &token, 1800));
    response
}

async fn sign_in(
    State(state): State<AppState>,
    client: Option<Extension<crate::access::Client>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = cookie(&state, &headers, SIGN_IN).unwrap_or_default();
    if expected.is_empty() || !crate::secret::same(&expected, &form.csrf) {
        return sign_in_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("Le formulaire a expiré : saisissez à nouveau vos identifiants."),
        );
    }
    if let Some(Extension(crate::access::Client(client))) = client {
        let checked = match state.limits.sign_ins.check(client, crate::queue::now_secs()).await {
            Ok(checked) => checked,
            Err(e) => return failed(e),
        };
        if let Err(wait) = checked {
            let message =
                format!("Trop de tentatives de connexion depuis cette adresse : réessayez dans {wait} secondes.");
            return sign_in_form(&state, StatusCode::TOO_MANY_REQUESTS, Some(&message));
        }
    }
    let hashing = state.limits.hashing.clone();
    let verify = async move |password: String, hash: String| {
        hashing.run(move || crate::password::verify(&password, &hash)).await.and_then(Result::ok).unwrap_or(false)
    };
    let login = form.login.trim().to_ascii_lowercase();
    match operators::sign_in(&state.store, &login, &form.mot_de_passe, &form.code, verify, state.now()).await {
        Ok(SignIn::Session { cookie, .. }) => {
            let mut response = Redirect::to("/operateur/demandes").into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, set_cookie(&state, SESSION, &cookie, operators::SESSION_MAX_SECS));
            headers.append(header::SET_COOKIE, set_cookie(&state, SIGN_IN, "", 0));
            response
        }
        Ok(SignIn::Refused) => sign_in_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(
                "Identifiant, mot de passe ou code incorrect. Après 5 échecs de suite, le compte est verrouillé 15 minutes.",
            ),
        ),
        Ok(SignIn::Locked { until }) => {
            let message = format!(
                "Ce compte est verrouillé après 5 échecs de suite, jusqu'au {}. Réessayez ensuite, ou demandez à un administrateur.",
                date_time(until)
            );
            sign_in_form(&state, StatusCode::UNAUTHORIZED, Some(&message))
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(State(state): State<AppState>, signed: Signed, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = signed.check(&form.csrf) {
        return refused;
    }
    if let Err(e) = operators::sign_out(&state.store, &signed.cookie, &signed.operator.login, state.now()).await {
        return failed(e);
    }
    let mut response = Redirect::to("/operateur").into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(&state, SESSION, "", 0));
    response
}
