//! POST /api/card-challenges: a nonce for the CPS card to sign (32 random bytes, base64), single use, valid five
//! minutes, kept in the database so that every server process behind one address knows it.
use crate::{AppState, error::AppError, store::challenges};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use promess_core::card::Challenge;

pub async fn create(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    let nonce = BASE64.encode(bytes);
    let now = state.now();
    let expire = now + Challenge::VALID_SECS;
    challenges::create(&state.store, &nonce, expire, now).await?;
    Ok((StatusCode::CREATED, Json(Challenge { nonce, expire })))
}
