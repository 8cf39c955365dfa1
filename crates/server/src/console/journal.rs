//! The audit log, newest first.
use super::{Signed, date_time, failed, page};
use crate::{AppState, operators};
use axum::{Router, extract::State, response::Response, routing::get};
use maud::html;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/operateur/journal", get(show))
}

async fn show(State(state): State<AppState>, signed: Signed) -> Response {
    let lines = match operators::audit_lines(&state.store, 500).await {
        Ok(lines) => lines,
        Err(e) => return failed(e),
    };
    let body = html! {
        h1 { "Journal" }
        p { "Connexions, échecs, verrouillages, décisions et imports, les plus récents d'abord (500 au plus). Le journal ne fait que s'allonger." }
        table {
            caption { "Journal des actions" }
            thead { tr { th scope="col" { "Quand" } th scope="col" { "Qui" } th scope="col" { "Action" } th scope="col" { "Détail" } } }
            tbody { @for l in &lines {
                tr { td { (date_time(l.at)) } td { (l.acteur) } td { (l.action) } td { (l.detail.as_deref().unwrap_or("")) } }
            } }
        }
    };
    page("Journal", Some(&signed), body)
}
