//! The operator's console, server-rendered HTML (maud) in French, without JavaScript: sign-in (password and TOTP
//! code), the queue of requests, a request with its national directory check, competing claims and history, the
//! decision, and the audit log. Every page but the sign-in needs a session; every form carries a CSRF token.
//!
//! One module a resource: `sign_in` (the sign-in, sessions and sign-out), `queue` (the requests to check),
//! `request` (a request and its decision), `journal` (the audit log); here, what they share: the routes, the
//! session's cookie and extractor, and the page's frame.
mod accounts;
mod journal;
mod queue;
mod request;
mod sign_in;

use crate::{
    AppState,
    operators::{self, Operator},
};
use axum::{
    Router,
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use maud::{Markup, html};

const CSS: &str = include_str!("console.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(sign_in::routes())
        .merge(queue::routes())
        .merge(request::routes())
        .merge(journal::routes())
        .merge(accounts::routes())
        .route("/operateur/console.css", get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // The console's forms post to its own origin, which browsers then name in `Origin` (checked by
        // `limit::same_origin`); under `no-referrer` they would send `Origin: null`.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// The routes that need a session, for the test that walks them all: (method, path).
pub const GUARDED: &[(&str, &str)] = &[
    ("POST", "/operateur/deconnexion"),
    ("GET", "/operateur/demandes"),
    ("GET", "/operateur/demandes/x"),
    ("POST", "/operateur/demandes/x/decision"),
    ("GET", "/operateur/journal"),
    ("GET", "/operateur/comptes"),
    ("GET", "/operateur/comptes/x"),
    ("POST", "/operateur/comptes/x/fermeture"),
    ("GET", "/operateur/pertes"),
    ("POST", "/operateur/pertes/x"),
];

const SESSION: &str = "promess-operateur";
/// The sign-in form's CSRF token, in a cookie and in the form (before any session exists).
const SIGN_IN: &str = "promess-connexion";

fn cookie(state: &AppState, headers: &HeaderMap, name: &str) -> Option<String> {
    crate::cookies::read(headers, &state.settings, name)
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    crate::cookies::set(&state.settings, name, value, max_age, crate::cookies::SameSite::Strict)
}

/// A signed-in operator and their session cookie; without a current session, the sign-in page.
pub struct Signed {
    operator: Operator,
    cookie: String,
}

/// A failed store call, as the console answers it.
fn failed(e: sqlx::Error) -> Response {
    crate::error::AppError::from(e).into_response()
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, Response> {
        let to_sign_in = || Redirect::to("/operateur").into_response();
        let cookie = cookie(state, &parts.headers, SESSION).ok_or_else(to_sign_in)?;
        match operators::session(&state.store, &cookie, state.now()).await {
            Ok(Some(operator)) => Ok(Signed { operator, cookie }),
            Ok(None) => Err(to_sign_in()),
            Err(e) => Err(failed(e)),
        }
    }
}

impl Signed {
    /// The form's CSRF token is the session's, or the request is refused.
    fn check(&self, csrf: &str) -> Result<(), Response> {
        if crate::secret::same(&self.operator.csrf, csrf) {
            Ok(())
        } else {
            Err(page_status(
                StatusCode::FORBIDDEN,
                "Demande refusée",
                None,
                html! {
                    h1 { "Demande refusée" }
                    p { "Ce formulaire a expiré ou ne vient pas de la console. Rechargez la page et recommencez." }
                },
            ))
        }
    }
}

fn page(title: &str, who: Option<&Signed>, body: Markup) -> Response {
    page_status(StatusCode::OK, title, who, body)
}

fn page_status(status: StatusCode, title: &str, who: Option<&Signed>, body: Markup) -> Response {
    let banner = html! {
        p.marque { "Messagerie sécurisée Nouvelle-Aquitaine — console opérateur" }
        @if let Some(who) = who {
            nav aria-label="Console" {
                ul {
                    li { a href="/operateur/demandes" { "Demandes" } }
                    li { a href="/operateur/comptes" { "Comptes" } }
                    li { a href="/operateur/pertes" { "Pertes de second facteur" } }
                    li { a href="/operateur/journal" { "Journal" } }
                }
                form method="post" action="/operateur/deconnexion" {
                    input type="hidden" name="csrf" value=(who.operator.csrf);
                    span { "Connecté : " strong { (who.operator.login) } " " }
                    button type="submit" { "Se déconnecter" }
                }
            }
        }
    };
    crate::html::page(status, title, "Console opérateur ESEA", "/operateur/console.css", banner, body)
}

/// Unix seconds as `03/12/2026 à 07:15`, in France's legal time (the operator's staff read their own clock).
pub fn date_time(secs: i64) -> String {
    let t = promess_core::time::Utc::paris(secs);
    format!("{:02}/{:02}/{} à {:02}:{:02}", t.day, t.month, t.year, t.hour, t.minute)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_in_france_s_legal_time() {
        assert_eq!(super::date_time(0), "01/01/1970 à 01:00");
        assert_eq!(super::date_time(1_796_279_700), "03/12/2026 à 07:35");
        assert_eq!(super::date_time(1_781_000_000), "09/06/2026 à 12:13");
        assert_eq!(super::date_time(951_782_400), "29/02/2000 à 01:00");
    }
}
