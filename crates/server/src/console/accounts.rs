//! The active accounts: every one, or those whose RPPS or ADELI is no longer in the latest import of the national
//! directory (a professional who stopped practising); an account's journal; its closure by the operator, with a
//! reason sent to the professional; and the requests of professionals who lost every second factor, decided as a
//! manual registration is. Each decision audited.
use super::{Signed, date_time, failed, page, page_status};
use crate::{
    AppState,
    email::{Email, Kind},
    operators,
    store::{accounts as rows, registrations},
};
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::html;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/operateur/comptes", get(list))
        .route("/operateur/comptes/{id}", get(account))
        .route("/operateur/comptes/{id}/fermeture", post(close))
        .route("/operateur/pertes", get(losses))
        .route("/operateur/pertes/{id}", post(decide_loss))
}

async fn losses_page(state: &AppState, signed: &Signed, status: StatusCode, said: Option<&str>) -> Response {
    let waiting = match rows::factor_losses(&state.store).await {
        Ok(waiting) => waiting,
        Err(e) => return failed(e),
    };
    let body = html! {
        h1 { "Pertes de second facteur" }
        @if let Some(said) = said { p role="status" id="fait" { (said) } }
        p { "Des professionnels dont l'identité n'a été prouvée ni par la carte CPS ni par Pro Santé Connect ont perdu leur second facteur et leurs codes de secours (leur mot de passe donné). Vérifiez leur identité comme pour une inscription sans carte (par exemple en les appelant au numéro de leur inscription) ; accepté, le compte configure un nouveau second facteur à sa prochaine connexion." }
        p id="nombre" { strong { (waiting.len()) } " demande" @if waiting.len() > 1 { "s" } " en attente." }
        @for w in &waiting {
            section aria-labelledby={ "t-" (w.id) } {
                h2 id={ "t-" (w.id) } { (w.prenom) " " (w.nom) " (" (w.identifiant) ")" }
                p { "Demandée le " (date_time(w.demande_le)) " ; RPPS / ADELI : " (w.rpps.as_deref().or(w.adeli.as_deref()).unwrap_or("—")) ". " a href={ "/operateur/comptes/" (w.registration_id) } { "Le compte et son journal" } }
                form method="post" action={ "/operateur/pertes/" (w.id) } {
                    input type="hidden" name="csrf" value=(signed.operator.csrf);
                    fieldset {
                        legend { "Décision" }
                        p { input type="radio" id={ "accepter-" (w.id) } name="decision" value="accepter"; label for={ "accepter-" (w.id) } { "Accepter : identité vérifiée" } }
                        p { input type="radio" id={ "refuser-" (w.id) } name="decision" value="refuser"; label for={ "refuser-" (w.id) } { "Refuser" } }
                    }
                    p { label for={ "motif-" (w.id) } { "Motif d'un refus (envoyé au professionnel)" } textarea id={ "motif-" (w.id) } name="motif" {} }
                    p { input type="checkbox" id={ "confirme-" (w.id) } name="confirme" value="oui"; label for={ "confirme-" (w.id) } { "Je confirme cette décision" } }
                    button type="submit" { "Enregistrer la décision" }
                }
            }
        }
    };
    page_status(status, "Pertes de second facteur", Some(signed), body)
}

async fn losses(State(state): State<AppState>, signed: Signed) -> Response {
    losses_page(&state, &signed, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct LossForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    motif: String,
    confirme: Option<String>,
}

async fn decide_loss(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<LossForm>,
) -> Response {
    if let Err(refused) = signed.check(&form.csrf) {
        return refused;
    }
    let reason = form.motif.trim();
    let refused = match (form.decision.as_str(), form.confirme.as_deref()) {
        ("accepter", Some("oui")) => None,
        ("refuser", Some("oui")) if !reason.is_empty() => Some(reason),
        _ => {
            let said = "Choisissez la décision, donnez le motif d'un refus et cochez la case de confirmation.";
            return losses_page(&state, &signed, StatusCode::UNPROCESSABLE_ENTITY, Some(said)).await;
        }
    };
    let login = signed.operator.login.clone();
    let now = state.now();
    let email = |civilite: &str, identifiant: &str| {
        Email { civilite, identifiant, kind: Kind::FactorLoss { refused } }.render()
    };
    let decided = async {
        let Some(account) = rows::decide_factor_loss(&state.store, &id, (&login, refused), email, now).await? else {
            return Ok(false);
        };
        let what = if refused.is_some() { "refusée" } else { "acceptée" };
        operators::audit(
            state.store.pool(),
            &login,
            "perte_facteur",
            &format!("compte {account} : demande {what}"),
            now,
        )
        .await?;
        Ok::<_, sqlx::Error>(true)
    };
    match decided.await {
        Ok(true) => Redirect::to("/operateur/pertes").into_response(),
        Ok(false) => {
            losses_page(&state, &signed, StatusCode::CONFLICT, Some("Cette demande n'est plus en attente.")).await
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    hors_annuaire: String,
}

async fn list(State(state): State<AppState>, signed: Signed, Query(query): Query<ListQuery>) -> Response {
    let outside = query.hors_annuaire == "1";
    let accounts = match rows::listed(&state.store, outside).await {
        Ok(accounts) => accounts,
        Err(e) => return failed(e),
    };
    let count = accounts.len();
    let body = html! {
        h1 { "Comptes actifs" }
        p {
            @if outside { a href="/operateur/comptes" { "Tous les comptes actifs" } }
            @else { a href="/operateur/comptes?hors_annuaire=1" { "Seulement ceux dont le numéro n'est plus dans l'annuaire national importé" } }
        }
        p id="nombre" { strong { (count) } " compte" @if count > 1 { "s" } @if outside { " dont le numéro RPPS ou ADELI n'est pas dans la dernière extraction importée" } "." }
        @if count > 0 {
            table {
                caption { "Comptes actifs, par nom" }
                thead { tr {
                    th scope="col" { "Nom" } th scope="col" { "Identifiant" } th scope="col" { "RPPS / ADELI" }
                    th scope="col" { "Dans l'annuaire national" }
                } }
                tbody { @for a in &accounts {
                    tr {
                        td { a href={ "/operateur/comptes/" (a.id) } { (a.prenom) " " (a.nom) } }
                        td { (a.identifiant) }
                        td { (a.rpps.as_deref().or(a.adeli.as_deref()).unwrap_or("—")) }
                        td { (match a.in_extract { Some(1) => "oui", Some(_) => "non : à vérifier", None => "aucune extraction importée" }) }
                    }
                } }
            }
        }
    };
    page("Comptes", Some(&signed), body)
}

async fn account_page(
    state: &AppState,
    signed: &Signed,
    id: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let found = async {
        let person = registrations::person(state.store.pool(), id).await?;
        let journal = rows::journal_lines(state.store.pool(), id, 100).await?;
        Ok::<_, sqlx::Error>((person, journal))
    };
    let (person, journal) = match found.await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let Some(p) = person else {
        let body = html! { h1 { "Compte introuvable" } p { a href="/operateur/comptes" { "Les comptes actifs" } } };
        return page_status(StatusCode::NOT_FOUND, "Compte introuvable", Some(signed), body);
    };
    let active = p.statut == promess_core::lifecycle::Statut::Active;
    let body = html! {
        h1 { "Compte de " (p.prenom) " " (p.nom) }
        dl {
            dt { "Identifiant" } dd { (p.identifiant) }
            dt { "Adresse de messagerie" } dd { (p.adresse) }
            dt { "Adresse de notification" } dd { (p.email) }
            dt { "État" } dd { (p.statut.label()) }
        }
        section aria-labelledby="t-journal" {
            h2 id="t-journal" { "Journal du compte" }
            ol { @for (at, event, detail) in &journal { li { (date_time(*at)) " : " (event) @if !detail.is_empty() { " (" (detail) ")" } } } }
        }
        @if active {
            section aria-labelledby="t-fermer" {
                h2 id="t-fermer" { "Fermer ce compte" }
                @if let Some(error) = error { p.erreur role="alert" id="fermeture-erreur" { (error) } }
                p { "La boîte aux lettres est supprimée de l'annuaire de la messagerie ; le motif est envoyé au professionnel. L'identifiant et l'adresse ne seront attribués à personne d'autre." }
                form method="post" action={ "/operateur/comptes/" (id) "/fermeture" } {
                    input type="hidden" name="csrf" value=(signed.operator.csrf);
                    p {
                        label for="motif" { "Motif (envoyé au professionnel)" }
                        textarea id="motif" name="motif" required aria-describedby=[error.map(|_| "fermeture-erreur")] {}
                    }
                    p { input type="checkbox" id="confirme" name="confirme" value="oui"; label for="confirme" { "Je confirme la fermeture de ce compte" } }
                    button type="submit" { "Fermer le compte" }
                }
            }
        }
    };
    page_status(status, "Compte", Some(signed), body)
}

async fn account(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    account_page(&state, &signed, &id, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    motif: String,
    confirme: Option<String>,
}

async fn close(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<CloseForm>,
) -> Response {
    if let Err(refused) = signed.check(&form.csrf) {
        return refused;
    }
    let reason = form.motif.trim();
    if reason.is_empty() || form.confirme.as_deref() != Some("oui") {
        let error = "Saisissez le motif et cochez la case de confirmation pour fermer le compte.";
        return account_page(&state, &signed, &id, StatusCode::UNPROCESSABLE_ENTITY, Some(error)).await;
    }
    let closed = async {
        let Some(p) = registrations::person(state.store.pool(), &id).await? else { return Ok(false) };
        let email =
            Email { civilite: &p.civilite, identifiant: &p.identifiant, kind: Kind::Closed { reason: Some(reason) } }
                .render();
        let now = state.now();
        let login = &signed.operator.login;
        if !rows::close(&state.store, &id, (login, Some(reason)), (&p.email, &email), now).await? {
            return Ok(false);
        }
        operators::audit(
            state.store.pool(),
            login,
            "fermeture",
            &format!("compte {} fermé : {reason}", p.identifiant),
            now,
        )
        .await?;
        Ok::<_, sqlx::Error>(true)
    };
    match closed.await {
        Ok(true) => Redirect::to(&format!("/operateur/comptes/{id}")).into_response(),
        Ok(false) => account_page(&state, &signed, &id, StatusCode::CONFLICT, Some("Ce compte n'est pas actif.")).await,
        Err(e) => failed(e),
    }
}
