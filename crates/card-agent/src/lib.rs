//! promess-card-agent: the local bridge between the registration page and the CPS card (domain.md §7). Browsers
//! cannot reach a smart card, so this small program, on the professional's computer, answers JSON over HTTP on
//! 127.0.0.1 and talks to the readers through PC/SC.
//!
//! - `GET /v1/status`: version, PC/SC available, readers with card presence, kind and remaining PIN tries.
//! - `GET /v1/cards/{reader}/identity`: the holder as the authentication certificate shows them (no PIN).
//! - `POST /v1/cards/{reader}/verify-pin` `{"pin": "1234"}`: verifies the PIN once and returns the full identity;
//!   401 `{"error":"pin_incorrect","remaining":n}`, 423 `{"error":"pin_blocked"}`.
//!
//! Safety: CORS answers only for the allowed origins, any other Origin refused (403); the Host must be a loopback
//! name (DNS rebinding); POST bodies must be application/json; the PIN is never logged, stored or retried; one card
//! operation at a time, each bounded by a timeout.
pub mod card;
pub mod certificate;

use axum::{
    Json, Router,
    extract::{Path, Request, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use card::{CardError, Pin};
use serde::Deserialize;
use serde_json::json;
use std::{sync::Arc, time::Duration};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Origins allowed to call the agent from a browser, e.g. `http://127.0.0.1:8080`.
    pub origins: Vec<String>,
    /// Bound on each card operation.
    pub timeout: Duration,
}

#[derive(Clone)]
struct AppState {
    config: Arc<AgentConfig>,
    /// One card operation at a time.
    busy: Arc<tokio::sync::Mutex<()>>,
}

/// The error answer: `{"error": code}` (plus `remaining` for a wrong PIN).
pub struct AgentError(CardError);

impl IntoResponse for AgentError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            CardError::NoService | CardError::NoReader | CardError::NoCard => StatusCode::SERVICE_UNAVAILABLE,
            CardError::UnknownCard => StatusCode::UNPROCESSABLE_ENTITY,
            CardError::CardRemoved => StatusCode::CONFLICT,
            CardError::PinIncorrect { .. } => StatusCode::UNAUTHORIZED,
            CardError::PinBlocked => StatusCode::LOCKED,
            CardError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            CardError::Card(_) => StatusCode::BAD_GATEWAY,
        };
        let body = match &self.0 {
            CardError::PinIncorrect { remaining } => json!({"error": self.0.code(), "remaining": remaining}),
            CardError::Card(detail) => json!({"error": self.0.code(), "detail": detail}),
            other => json!({"error": other.code()}),
        };
        (status, Json(body)).into_response()
    }
}

/// Runs a blocking card operation alone, within the timeout.
async fn operate<T: Send + 'static>(
    state: &AppState,
    op: impl FnOnce() -> Result<T, CardError> + Send + 'static,
) -> Result<T, AgentError> {
    let timeout = state.config.timeout;
    let _guard = tokio::time::timeout(timeout, state.busy.clone().lock_owned())
        .await
        .map_err(|_| AgentError(CardError::Timeout))?;
    match tokio::time::timeout(timeout, tokio::task::spawn_blocking(op)).await {
        Ok(Ok(result)) => result.map_err(AgentError),
        Ok(Err(join)) => Err(AgentError(CardError::Card(join.to_string()))),
        Err(_) => Err(AgentError(CardError::Timeout)),
    }
}

async fn status(State(state): State<AppState>) -> Response {
    match operate(&state, card::status).await {
        Ok(readers) => Json(json!({"version": VERSION, "pcsc": true, "lecteurs": readers})).into_response(),
        Err(AgentError(CardError::NoService)) => {
            Json(json!({"version": VERSION, "pcsc": false, "lecteurs": []})).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn identity(State(state): State<AppState>, Path(reader): Path<String>) -> Result<Response, AgentError> {
    let identity = operate(&state, move || card::identity(&reader)).await?;
    Ok(Json(identity).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    pin: String,
}

async fn verify_pin(
    State(state): State<AppState>,
    Path(reader): Path<String>,
    body: Result<Json<PinBody>, JsonRejection>,
) -> Result<Response, Response> {
    let Json(body) = body.map_err(|e| {
        let status = e.status();
        (status, Json(json!({"error": if status == StatusCode::UNSUPPORTED_MEDIA_TYPE { "json_required" } else { "bad_request" }})))
            .into_response()
    })?;
    let pin = Pin(body.pin);
    let identity =
        operate(&state, move || card::verify_pin(&reader, &pin)).await.map_err(IntoResponse::into_response)?;
    Ok(Json(identity).into_response())
}

fn forbidden(code: &'static str) -> Response {
    (StatusCode::FORBIDDEN, Json(json!({"error": code}))).into_response()
}

/// The Host must name the loopback interface: a page of another site whose name resolves to 127.0.0.1 (DNS
/// rebinding) is refused.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host
            .rsplit_once(':')
            .map_or(host, |(name, port)| if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host }),
    };
    matches!(name.to_ascii_lowercase().as_str(), "127.0.0.1" | "localhost" | "::1")
}

/// Host and Origin checks, CORS answers (and preflights) for the allowed origins only.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !loopback_host(request.headers()) {
        return forbidden("forbidden_host");
    }
    let origin = request.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    let allowed = match &origin {
        None => true,
        Some(o) => state.config.origins.iter().any(|a| a == o),
    };
    if !allowed {
        return forbidden("forbidden_origin");
    }
    let mut response = if request.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        // Chrome's Private/Local Network Access preflight.
        h.insert("access-control-allow-private-network", HeaderValue::from_static("true"));
        r
    } else {
        next.run(request).await
    };
    if let Some(origin) = origin.and_then(|o| HeaderValue::from_str(&o).ok()) {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The agent's routes.
pub fn app(config: AgentConfig) -> Router {
    let state = AppState { config: Arc::new(config), busy: Arc::new(tokio::sync::Mutex::new(())) };
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/cards/{reader}/identity", get(identity))
        .route("/v1/cards/{reader}/verify-pin", post(verify_pin))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_only() {
        let host = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            loopback_host(&m)
        };
        assert!(host("127.0.0.1:8765") && host("localhost:8765") && host("[::1]:8765") && host("LOCALHOST"));
        assert!(!host("evil.example:8765") && !host("127.0.0.1.evil.example") && !host("localhost.evil:80"));
        assert!(!loopback_host(&HeaderMap::new()));
    }
}
