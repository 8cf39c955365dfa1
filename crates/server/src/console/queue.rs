//! The requests to check: filtered by state, searched by name, number, identifier or email.
use super::{Signed, date_time, failed, page};
use crate::{AppState, lifecycle};
use axum::{
    Router,
    extract::{Query, State},
    response::Response,
    routing::get,
};
use maud::html;
use promess_core::lifecycle::Statut;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/operateur/demandes", get(list))
}

#[derive(Deserialize)]
struct QueueQuery {
    statut: Option<String>,
    q: Option<String>,
}

async fn list(State(state): State<AppState>, signed: Signed, Query(query): Query<QueueQuery>) -> Response {
    // Requests in review by default; "toutes" for every state.
    let filter = match query.statut.as_deref() {
        None | Some("") => Some(Statut::EnVerification),
        Some("toutes") => None,
        Some(key) => Statut::from_key(key).or(Some(Statut::EnVerification)),
    };
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let requests = match lifecycle::list(&state.store, filter, search).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let chosen = filter.map_or("toutes", Statut::key);
    let count = requests.len();
    let what = match filter {
        Some(Statut::EnVerification) => "à vérifier".to_owned(),
        Some(s) => format!("« {} »", s.label()),
        None => "en tout".to_owned(),
    };
    let body = html! {
        h1 { "Demandes d'adhésion" }
        form method="get" action="/operateur/demandes" class="filtres" role="search" {
            p {
                label for="statut" { "État" }
                select id="statut" name="statut" {
                    @for s in Statut::ALL {
                        option value=(s.key()) selected[chosen == s.key()] { (s.label()) }
                    }
                    option value="toutes" selected[chosen == "toutes"] { "Tous les états" }
                }
            }
            p {
                label for="q" { "Rechercher (nom, RPPS, ADELI, identifiant, email)" }
                input id="q" name="q" type="search" value=(search.unwrap_or(""));
            }
            button type="submit" { "Filtrer" }
        }
        p id="nombre" { strong { (count) } " demande" @if count > 1 { "s" } " " (what) @if search.is_some() { " pour cette recherche" } "." }
        @if count > 0 {
            table {
                caption { "Demandes, les plus anciennes d'abord" }
                thead { tr {
                    th scope="col" { "Reçue le" } th scope="col" { "Nom" } th scope="col" { "Identifiant" }
                    th scope="col" { "RPPS / ADELI" } th scope="col" { "Identité" } th scope="col" { "État" }
                } }
                tbody {
                    @for r in &requests {
                        tr {
                            td { (date_time(r.created_at)) }
                            td { a href={ "/operateur/demandes/" (r.id) } { (r.prenom) " " (r.nom) } }
                            td { (r.identifiant) }
                            td { (r.rpps.as_deref().or(r.adeli.as_deref()).unwrap_or("—")) }
                            td { (r.preuve.label()) }
                            td { (r.statut.label()) }
                        }
                    }
                }
            }
        }
    };
    page("Demandes", Some(&signed), body)
}
