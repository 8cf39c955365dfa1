//! The second factor set up at registration (step 3). `POST /api/facteurs` begins a set-up: for a passkey or FIDO2
//! key, the WebAuthn creation options (`crate::passkeys`); for an authenticator app, a new TOTP secret, shown as
//! text, as an `otpauth://` URI and its QR code. `POST /api/facteurs/{id}/confirmation` checks the new credential
//! against the options made here, or the code the app shows (5 failures void the set-up), and answers the ten
//! recovery codes, once (only their hashes are kept). The registration then carries the set-up's handle, and its transaction turns it into the account's
//! factor (`routes::registrations`).
use crate::{
    AppState,
    error::AppError,
    factors::{self, ISSUER},
    passkeys, secret,
    store::factors::{self as rows, Confirmation},
};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
};
use promess_core::{
    ErrorCode, Field,
    factor::{
        ENROLMENT_SECS, FactorCode, FactorConfirmed, FactorKind, FactorSetup, NewFactor, PasskeyCredential,
        PasskeySetup, normalized_totp_code,
    },
};
use serde_json::Value;

fn invalid(code: ErrorCode) -> AppError {
    AppError::on(Field::SecondFacteur, code)
}

pub async fn begin(
    State(state): State<AppState>,
    body: Result<Json<NewFactor>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Json(new) = body?;
    let handle = secret::token(32).map_err(AppError::internal)?;
    let label = factors::label(&new.identifiant);
    let expires = state.now() + ENROLMENT_SECS;
    if new.kind == FactorKind::Cle {
        let webauthn = state.webauthn.as_ref().ok_or_else(|| invalid(ErrorCode::PasskeyUnavailable))?;
        let (options, ceremony) = passkeys::registration(webauthn, &label, &[]).map_err(AppError::internal)?;
        rows::begin(&state.store, &handle, new.kind.key(), &ceremony, &label, expires).await?;
        return Ok((
            StatusCode::CREATED,
            Json(serde_json::to_value(PasskeySetup { id: handle, options }).map_err(AppError::internal)?),
        ));
    }
    let secret = factors::new_secret();
    let uri = factors::totp(&secret, &label, ISSUER).map_err(AppError::internal)?.get_url();
    let qr_svg = factors::qr_svg(&uri).map_err(AppError::internal)?;
    rows::begin(&state.store, &handle, new.kind.key(), &secret, &label, expires).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(FactorSetup { id: handle, secret, uri, qr_svg }).map_err(AppError::internal)?),
    ))
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<FactorConfirmed>, AppError> {
    let Json(body) = body?;
    let now = state.now();
    let setup = rows::setup(&state.store, &handle, now).await?.map_err(invalid)?;
    if setup.confirmed {
        // Its recovery codes were shown once: a second confirmation is a new set-up's to make.
        return Err(invalid(ErrorCode::FactorUnknown));
    }
    if setup.kind == FactorKind::Cle.key() {
        let PasskeyCredential { cle } = serde_json::from_value::<PasskeyCredential<Value>>(body)?;
        let webauthn = state.webauthn.as_ref().ok_or_else(|| invalid(ErrorCode::PasskeyUnavailable))?;
        let made = passkeys::registered(webauthn, &setup.secret, cle);
        let (key, credential_id) = match made {
            Ok(made) if !rows::credential_taken(&state.store, &made.1).await? => made,
            _ => {
                rows::wrong_code(&state.store, &handle).await?;
                return Err(invalid(ErrorCode::PasskeyRefused));
            }
        };
        return recovery_codes(&state, &handle, Confirmation::Key { key: &key, credential_id: &credential_id }).await;
    }
    let FactorCode { code } = serde_json::from_value(body)?;
    let totp = factors::totp(&setup.secret, &setup.label, ISSUER).map_err(AppError::internal)?;
    let step = normalized_totp_code(&code).and_then(|c| factors::code_step(&totp, &c, now));
    let Some(step) = step else {
        rows::wrong_code(&state.store, &handle).await?;
        let left = promess_core::factor::MAX_CODE_ATTEMPTS - setup.attempts - 1;
        return Err(invalid(if left > 0 { ErrorCode::FactorCodeInvalid } else { ErrorCode::FactorTooManyAttempts }));
    };
    recovery_codes(&state, &handle, Confirmation::Step(step)).await
}

/// The set-up confirmed: its recovery codes, answered once.
async fn recovery_codes(
    state: &AppState,
    handle: &str,
    confirmation: Confirmation<'_>,
) -> Result<Json<FactorConfirmed>, AppError> {
    let codes = factors::recovery_codes().map_err(AppError::internal)?;
    let hashes: Vec<String> = codes.iter().filter_map(|c| factors::recovery_hash(c)).collect();
    if !rows::confirm(&state.store, handle, confirmation, &hashes, state.now()).await? {
        return Err(invalid(ErrorCode::FactorUnknown));
    }
    Ok(Json(FactorConfirmed { codes_secours: codes }))
}
