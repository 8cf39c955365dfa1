//! POST /api/confirmations: the email link's token, sent by the wizard's page when the professional presses its
//! button (never on the link's GET: mail scanners open links). POST /api/confirmations/renvoi: a new link.
use crate::{AppState, error::AppError, lifecycle};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use promess_core::{
    contact::Email,
    lifecycle::{EmailConfirmation, Resend, TOKEN_BYTES},
};

pub async fn confirm(
    State(state): State<AppState>,
    body: Result<Json<EmailConfirmation>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Json(EmailConfirmation { jeton }) = body?;
    // A token is base64url of TOKEN_BYTES bytes: anything longer is not one, and is not hashed.
    if jeton.len() > TOKEN_BYTES * 2 {
        return Err(AppError::Token(promess_core::lifecycle::TokenError::JetonInconnu));
    }
    let accepted = lifecycle::confirm_email(&state.store, jeton.trim(), state.now()).await?;
    Ok(Json(accepted.map_err(AppError::Token)?))
}

pub async fn resend(
    State(state): State<AppState>,
    body: Result<Json<Resend>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Json(Resend { identifiant, email }) = body?;
    // The address as it was stored (promess-core's form); anything else matches no request.
    if let Ok(email) = Email::parse(&email) {
        let public_url = state.settings.public_url();
        let queued =
            lifecycle::resend(&state.store, identifiant.trim(), email.as_str(), public_url, state.now()).await?;
        tracing::debug!(queued, "confirmation email resend asked");
    }
    // The same answer whether a request matched or not.
    Ok(StatusCode::ACCEPTED)
}
