//! What a balancer and a supervisor ask: `GET /healthz`, the process answers; `GET /readyz`, it can serve (the
//! database answers within a second and its schema is this build's), else 503. Neither is rate-limited nor logged
//! as an error: a balancer asks every few seconds.
use crate::AppState;
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;
use std::time::Duration;

/// How long the database has to answer a readiness check.
pub const READY_WITHIN: Duration = Duration::from_secs(1);

pub async fn live() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({ "etat": "vivant" })))
}

pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let unavailable = |raison: String| {
        tracing::warn!(%raison, "not ready");
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "etat": "indisponible", "raison": raison })))
    };
    match tokio::time::timeout(READY_WITHIN, state.store.ready()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "etat": "pret", "base": state.store.backend().name() }))),
        Ok(Err(e)) => {
            // The database's own words (a host, an OS error) go to the log, not to whoever asks.
            tracing::warn!(error = %e, "readiness");
            unavailable(e.public_reason())
        }
        Err(_) => unavailable(format!("la base de données n'a pas répondu en {READY_WITHIN:?}")),
    }
}
