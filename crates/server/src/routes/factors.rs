//! The second factor set up at registration (step 3). `POST /api/facteurs` begins a set-up: a new TOTP secret,
//! shown as text, as an `otpauth://` URI and its QR code; `POST /api/facteurs/{id}/confirmation` checks the code the
//! app shows (5 wrong codes void the set-up), and answers the ten recovery codes, once (only their hashes are
//! kept). The registration then carries the set-up's handle, and its transaction turns it into the account's
//! factor (`routes::registrations`).
use crate::{
    AppState,
    error::AppError,
    factors::{self, ISSUER},
    secret,
    store::factors as rows,
};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
};
use promess_core::{
    ErrorCode, Field,
    factor::{ENROLMENT_SECS, FactorCode, FactorConfirmed, FactorSetup, NewFactor, normalized_totp_code},
};

fn invalid(code: ErrorCode) -> AppError {
    AppError::on(Field::SecondFacteur, code)
}

/// The app's label: the identifier the page proposes, as the app will show it (at most 64 characters of it).
fn label(identifiant: &str) -> String {
    let label: String = identifiant.chars().filter(|c| !c.is_control() && *c != ':').take(64).collect();
    if label.trim().is_empty() { "messagerie".to_owned() } else { label }
}

pub async fn begin(
    State(state): State<AppState>,
    body: Result<Json<NewFactor>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Json(new) = body?;
    let (secret, handle) = (factors::new_secret(), secret::token(32).map_err(AppError::internal)?);
    let label = label(&new.identifiant);
    let uri = factors::totp(&secret, &label, ISSUER).map_err(AppError::internal)?.get_url();
    let qr_svg = factors::qr_svg(&uri).map_err(AppError::internal)?;
    rows::begin(&state.store, &handle, new.kind.key(), &secret, &label, state.now() + ENROLMENT_SECS).await?;
    Ok((StatusCode::CREATED, Json(FactorSetup { id: handle, secret, uri, qr_svg })))
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    body: Result<Json<FactorCode>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<FactorConfirmed>, AppError> {
    let Json(FactorCode { code }) = body?;
    let now = state.now();
    let setup = rows::setup(&state.store, &handle, now).await?.map_err(invalid)?;
    if setup.confirmed {
        // Its recovery codes were shown once: a second confirmation is a new set-up's to make.
        return Err(invalid(ErrorCode::FactorUnknown));
    }
    let totp = factors::totp(&setup.secret, &setup.label, ISSUER).map_err(AppError::internal)?;
    let step = normalized_totp_code(&code).and_then(|c| factors::code_step(&totp, &c, now));
    let Some(step) = step else {
        rows::wrong_code(&state.store, &handle).await?;
        let left = promess_core::factor::MAX_CODE_ATTEMPTS - setup.attempts - 1;
        return Err(invalid(if left > 0 { ErrorCode::FactorCodeInvalid } else { ErrorCode::FactorTooManyAttempts }));
    };
    let codes = factors::recovery_codes().map_err(AppError::internal)?;
    let hashes: Vec<String> = codes.iter().filter_map(|c| factors::recovery_hash(c)).collect();
    if !rows::confirm(&state.store, &handle, step, &hashes, now).await? {
        return Err(invalid(ErrorCode::FactorUnknown));
    }
    Ok(Json(FactorConfirmed { codes_secours: codes }))
}
