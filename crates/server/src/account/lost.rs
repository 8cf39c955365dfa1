//! Every second factor and recovery code lost, the identity never proven by the card or Pro Santé Connect: the
//! professional (their password given) asks the operator, who checks their identity as for a manual registration and
//! decides in the console. Accepted, the account's factors are removed; its next sign-in (the password) sets a new
//! authenticator app up, with new recovery codes, before the account opens.
use super::{ProofForm, SESSION, current, failed, page, pending, set};
use crate::{
    AppState,
    secret::same,
    store::{
        accounts as rows,
        factors::{self as factor_rows, Confirmation},
    },
};
use axum::{
    Form,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::html;
use serde::Deserialize;

/// `POST /compte/perte-facteur`: the request to the operator, from the sign-in's pending session (its password
/// given); that session ends.
pub(super) async fn request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ProofForm>,
) -> Response {
    let (session_hash, session, _) = match pending(&state, &headers, &form.csrf).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let done = async {
        let recorded = rows::factor_loss_requested(&state.store, &session.registration_id, state.now()).await?;
        rows::end_session(&state.store, &session_hash).await?;
        Ok::<_, sqlx::Error>(recorded)
    };
    let recorded = match done.await {
        Ok(recorded) => recorded,
        Err(e) => return failed(e),
    };
    let body = html! {
        h1 { "Demande transmise à l'opérateur" }
        p role="status" id="perte-message" {
            @if recorded { "Votre demande de nouveau second facteur est transmise à l'équipe de l'opérateur." }
            @else { "Une demande de nouveau second facteur est déjà en cours pour votre compte." }
            " Elle vérifiera votre identité (elle peut vous appeler au numéro donné à l'inscription) ; vous recevrez sa décision à votre adresse de notification. Une fois la demande acceptée, connectez-vous avec votre mot de passe pour configurer votre nouveau second facteur."
        }
        p { a href="/compte" { "Retour à la connexion" } }
    };
    let mut response = page(StatusCode::OK, "Demande transmise", None, body);
    response.headers_mut().insert(header::SET_COOKIE, set(&state, SESSION, "", 0));
    response
}

/// The sign-in's pending session of an account whose lost factors the operator removed.
async fn redoing(state: &AppState, headers: &HeaderMap) -> Result<Option<(String, rows::Session)>, sqlx::Error> {
    let Some((hash, session)) = current(state, headers, false).await?.filter(|(_, s)| s.reset.is_none()) else {
        return Ok(None);
    };
    Ok(rows::factor_to_redo(&state.store, &session.registration_id).await?.then_some((hash, session)))
}

async fn setup_form(state: &AppState, session: &rows::Session, error: Option<&str>) -> Result<Response, sqlx::Error> {
    let Some(o) = rows::overview(&state.store, &session.registration_id).await? else {
        return Ok(Redirect::to("/compte").into_response());
    };
    let label = crate::factors::label(&o.identifiant);
    let action = "/compte/nouveau-facteur";
    let form = super::factors::app_setup(state, (&session.registration_id, &label), action, &session.csrf).await?;
    let body = html! {
        h1 { "Configurer votre nouveau second facteur" }
        @if let Some(error) = error { p.erreur role="alert" { (error) } }
        p { "L'opérateur a accepté votre demande : configurez une application d'authentification pour ouvrir votre compte. Vous pourrez ensuite y ajouter une clé d'accès." }
        (form)
    };
    Ok(page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "Nouveau second facteur",
        None,
        body,
    ))
}

/// `GET /compte/nouveau-facteur`: the new app's set-up.
pub(super) async fn setup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let shown = async {
        match redoing(&state, &headers).await? {
            Some((_, session)) => setup_form(&state, &session, None).await,
            None => Ok(Redirect::to("/compte").into_response()),
        }
    };
    shown.await.unwrap_or_else(failed)
}

#[derive(Deserialize)]
pub(super) struct SetupForm {
    #[serde(default)]
    setup: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /compte/nouveau-facteur`: the new app's code; right, the factor kept, new recovery codes shown once, and
/// the account open under a new session.
pub(super) async fn setup(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<SetupForm>) -> Response {
    let done = async {
        let Some((hash, session)) = redoing(&state, &headers).await? else {
            return Ok(Redirect::to("/compte").into_response());
        };
        if !same(&session.csrf, &form.csrf) {
            return Ok(super::forbidden());
        }
        let id = &session.registration_id;
        let now = state.now();
        let Some(setup) = factor_rows::account_setup(&state.store, &form.setup, id, now).await? else {
            return setup_form(
                &state,
                &session,
                Some("La configuration a expiré : recommencez-la avec la nouvelle clé ci-dessous."),
            )
            .await;
        };
        let Some(step) = super::factors::app_code_step(&state, &setup, &form.setup, &form.code).await? else {
            return setup_form(&state, &session, Some("Ce code ne correspond pas : ajoutez la nouvelle clé ci-dessous à votre application et saisissez le code qu'elle affiche.")).await;
        };
        if !factor_rows::add_to_account(&state.store, &form.setup, id, Confirmation::Step(step), now).await? {
            return Ok(Redirect::to("/compte").into_response());
        }
        let codes = crate::factors::recovery_codes().map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let hashes: Vec<String> = codes.iter().filter_map(|c| crate::factors::recovery_hash(c)).collect();
        factor_rows::replace_recovery_codes(&state.store, id, &hashes).await?;
        rows::factor_redone(&state.store, id).await?;
        rows::journal(state.store.pool(), id, "facteur_ajoute", promess_core::factor::FactorKind::Totp.label(), now)
            .await?;
        rows::end_session(&state.store, &hash).await?;
        let cookie = match super::open_cookie(&state, id, "nouveau second facteur").await {
            Ok(cookie) => cookie,
            Err(response) => return Ok(response),
        };
        let body = html! {
            h1 { "Votre nouveau second facteur est configuré" }
            p { "Voici vos nouveaux codes de secours. Chacun ouvre une seule connexion si vous n'avez plus votre second facteur. Ils ne seront plus affichés : imprimez-les ou enregistrez-les en lieu sûr, à l'écart de votre mot de passe." }
            ul id="codes-secours" { @for c in &codes { li { code { (c) } } } }
            p { a href="/compte" { "Accéder à mon compte" } }
        };
        let mut response = page(StatusCode::OK, "Nouveau second facteur", None, body);
        response.headers_mut().insert(header::SET_COOKIE, cookie);
        Ok(response)
    };
    done.await.unwrap_or_else(failed)
}
