//! promess-card-agent: the local bridge between the registration page and the CPS card. Browsers cannot reach a
//! smart card, so this small program, on the professional's computer, answers JSON over HTTP on 127.0.0.1 and
//! talks to the readers through PC/SC. Its answers and error codes are promess-core's card protocol.
//!
//! - `GET /v1/status`: version, PC/SC available, readers with card presence, kind and remaining PIN tries.
//! - `GET /v1/cards/{reader}/identity`: the holder as the authentication certificate shows them (no PIN).
//! - `POST /v1/cards/{reader}/verify-pin` `{"pin": "1234"}`: verifies the PIN once and returns the full identity;
//!   the card session stays verified (never the PIN kept) until the card signs, or for `session` at most.
//! - `POST /v1/cards/{reader}/authenticate` `{"nonce", "origin"}`: the card signs the server's challenge for the
//!   page's origin (see `promess_core::card::CardProof`).
//!
//! Safety: CORS answers only for the allowed origins, any other Origin refused (403), and card operations (POST)
//! refused without an Origin; the Host must be a loopback name (DNS rebinding); POST bodies must be
//! application/json; the PIN is never logged, stored or retried, and a PIN outside the rule never reaches the card;
//! the last try only when the request confirms it; one card operation at a time, each bounded by a timeout.
pub mod card;

use axum::{
    Json, Router,
    extract::{FromRequest, Path, Request, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use card::{CardError, Verified};
use promess_core::card::{
    AgentError as ErrorBody, AgentErrorCode, AgentStatus, AuthenticateRequest, Pin, VerifyPinRequest,
};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Origins allowed to call the agent from a browser, e.g. `http://127.0.0.1:8080`.
    pub origins: Vec<String>,
    /// Bound on each card operation.
    pub timeout: Duration,
    /// How long a card session verified by the PIN stays open for the card's signature.
    pub session: Duration,
}

impl AgentConfig {
    /// The session of a PIN lasts long enough to fill in the rest of the form.
    pub const SESSION: Duration = Duration::from_secs(30 * 60);
}

#[derive(Clone)]
struct AppState {
    config: Arc<AgentConfig>,
    /// One card operation at a time: held by the card's thread until it really ends, timeout or not.
    busy: Arc<tokio::sync::Mutex<()>>,
    /// The card session verified by the PIN, if any.
    verified: Arc<Mutex<Option<Verified>>>,
}

/// The error answer: `{"error": code}` (plus `remaining` for a wrong PIN).
pub struct AgentError(CardError);

impl From<AgentErrorCode> for AgentError {
    fn from(code: AgentErrorCode) -> Self {
        AgentError(CardError::Code(code))
    }
}

impl IntoResponse for AgentError {
    fn into_response(self) -> Response {
        use AgentErrorCode::*;
        let code = self.0.code();
        let status = match code {
            NoService | NoReader | NoCard => StatusCode::SERVICE_UNAVAILABLE,
            UnknownCard | PinInvalid => StatusCode::UNPROCESSABLE_ENTITY,
            CardRemoved => StatusCode::CONFLICT,
            PinIncorrect | PinRequired => StatusCode::UNAUTHORIZED,
            PinBlocked => StatusCode::LOCKED,
            LastTryNotConfirmed => StatusCode::PRECONDITION_REQUIRED,
            Timeout => StatusCode::GATEWAY_TIMEOUT,
            BadRequest => StatusCode::BAD_REQUEST,
            JsonRequired => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            OriginRefused | ForbiddenHost | ForbiddenOrigin => StatusCode::FORBIDDEN,
            CardError => StatusCode::BAD_GATEWAY,
        };
        let body = ErrorBody {
            error: code,
            remaining: match &self.0 {
                card::CardError::PinIncorrect { remaining } => Some(*remaining),
                _ => None,
            },
            detail: match &self.0 {
                card::CardError::Card(detail) => Some(detail.clone()),
                _ => None,
            },
        };
        (status, Json(body)).into_response()
    }
}

/// Runs a blocking card operation alone, within the timeout. The lock goes with the card's thread: a timed-out
/// operation still holds it until it ends, so that the next one never overlaps it.
async fn operate<T: Send + 'static>(
    state: &AppState,
    op: impl FnOnce(&mut Option<Verified>) -> Result<T, CardError> + Send + 'static,
) -> Result<T, AgentError> {
    let timeout = state.config.timeout;
    let guard = tokio::time::timeout(timeout, state.busy.clone().lock_owned())
        .await
        .map_err(|_| AgentError::from(AgentErrorCode::Timeout))?;
    let verified = state.verified.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _guard = guard;
        let mut held = verified.lock().unwrap_or_else(|p| p.into_inner());
        op(&mut held)
    });
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(result)) => result.map_err(AgentError),
        Ok(Err(join)) => Err(AgentError(CardError::Card(join.to_string()))),
        Err(_) => Err(AgentErrorCode::Timeout.into()),
    }
}

async fn status(State(state): State<AppState>) -> Response {
    let answer = |pcsc, lecteurs| Json(AgentStatus { version: VERSION.into(), pcsc, lecteurs }).into_response();
    match operate(&state, |_| card::status()).await {
        Ok(readers) => answer(true, readers),
        Err(AgentError(CardError::Code(AgentErrorCode::NoService))) => answer(false, Vec::new()),
        Err(e) => e.into_response(),
    }
}

async fn identity(State(state): State<AppState>, Path(reader): Path<String>) -> Result<Response, AgentError> {
    let identity = operate(&state, move |_| card::identity(&reader)).await?;
    Ok(Json(identity).into_response())
}

/// A JSON body, or the agent's own error answer.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AgentError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(body)) => Ok(Body(body)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AgentErrorCode::JsonRequired.into()),
            Err(_) => Err(AgentErrorCode::BadRequest.into()),
        }
    }
}

async fn verify_pin(
    State(state): State<AppState>,
    Path(reader): Path<String>,
    Body(body): Body<VerifyPinRequest>,
) -> Result<Response, AgentError> {
    // A code outside the rule would cost a try on the card: refused here.
    let pin = Pin::parse(&body.pin).map_err(|_| AgentError::from(AgentErrorCode::PinInvalid))?;
    let (confirm, lifetime) = (body.confirmer_dernier_essai, state.config.session);
    let identity = operate(&state, move |held| {
        // One verified session at a time: a new PIN ends the previous one.
        if let Some(previous) = held.take() {
            previous.end();
        }
        let (identity, verified) = card::verify_pin(&reader, &pin, confirm, lifetime)?;
        *held = Some(verified);
        Ok(identity)
    })
    .await?;
    Ok(Json(identity).into_response())
}

async fn authenticate(
    State(state): State<AppState>,
    Path(reader): Path<String>,
    headers: HeaderMap,
    Body(body): Body<AuthenticateRequest>,
) -> Result<Response, AgentError> {
    // The origin signed is the calling page's own: a page cannot have the card sign for another site.
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if origin != Some(body.origin.as_str()) {
        return Err(AgentErrorCode::OriginRefused.into());
    }
    let proof = operate(&state, move |held| card::authenticate(&reader, &body.nonce, &body.origin, held)).await?;
    Ok(Json(proof).into_response())
}

fn forbidden(code: AgentErrorCode) -> Response {
    AgentError::from(code).into_response()
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
        return forbidden(AgentErrorCode::ForbiddenHost);
    }
    let origin = request.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    // Reading the status or the certificate is open to a local tool without an Origin; the card's operations are
    // for the allowed pages only.
    let allowed = match &origin {
        None => request.method() != Method::POST,
        Some(o) => state.config.origins.iter().any(|a| a == o),
    };
    if !allowed {
        return forbidden(AgentErrorCode::ForbiddenOrigin);
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
    let state = AppState {
        config: Arc::new(config),
        busy: Arc::new(tokio::sync::Mutex::new(())),
        verified: Arc::new(Mutex::new(None)),
    };
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/cards/{reader}/identity", get(identity))
        .route("/v1/cards/{reader}/verify-pin", post(verify_pin))
        .route("/v1/cards/{reader}/authenticate", post(authenticate))
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
