//! One error type for the API, turned into a JSON answer with a French message.
use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use promess_core::{FieldErrors, lifecycle::TokenError, registration::Proposal};
use serde_json::json;

/// Why a request failed. `Display` is for the logs and never prints a value the client sent nor an internal
/// `Debug`; the client gets the French message of `into_response`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the body is not the expected JSON.
    #[error("bad request")]
    BadRequest(String),
    /// 413: the body is too large.
    #[error("request body too large")]
    TooLarge,
    /// 415: not JSON.
    #[error("request body not JSON")]
    NotJson,
    /// 422: some answers break the rules; by field, with stable codes.
    #[error("answers break the rules")]
    Invalid(FieldErrors),
    /// 409: the confirmed identifier was taken meanwhile; here is the next proposal.
    #[error("identifier taken meanwhile")]
    IdentifierTaken(Proposal),
    /// 404/410/409: the email link is unknown, expired or already used.
    #[error("email link refused")]
    Token(TokenError),
    /// 422: this Idempotency-Key came with another request.
    #[error("idempotency key reused with another body")]
    IdempotencyKeyReused,
    /// 404: no such address in the API.
    #[error("no such API path")]
    UnknownPath,
    /// 403: a page of another site called the API.
    #[error("request from a foreign origin")]
    ForeignOrigin,
    /// 429: too many requests from this client; seconds to wait.
    #[error("too many requests from this client")]
    TooManyRequests(u64),
    /// 503: every password worker is busy and the queue is full.
    #[error("password workers busy")]
    Busy,
    /// 503 when the database cannot be reached (its pool's wait ran out, a connection lost), 500 otherwise: logged
    /// with its source, never detailed to the client.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// 500: logged with its source, never detailed to the client.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// A 500 of any error (its source kept for the log).
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
        AppError::Internal(e.into())
    }

    /// A 422 with one error: `code` on `field`.
    pub fn on(field: promess_core::Field, code: promess_core::ErrorCode) -> AppError {
        let mut errors = promess_core::FieldErrors::default();
        errors.add(field, code);
        AppError::Invalid(errors)
    }
}

/// Whether a database error says the database is out of reach (rather than a statement's fault).
pub fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        // PostgreSQL's class 08 (connection exception) and 57P (the server shutting down or restarting).
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// An answer that tells the client when to try again.
fn retry_after(status: StatusCode, seconds: u64, message: &str) -> Response {
    let body = referenced(status, json!({ "erreur": message }));
    (status, [(axum::http::header::RETRY_AFTER, seconds.to_string())], Json(body)).into_response()
}

/// A message's body with the request's reference (`access`): in its `reference`, and, when the server failed, at
/// the end of its message, which the professional can read to the support. The answers by field (422) keep their
/// shape, the wizard's `FieldErrors`: their reference is the `X-Request-Id` header.
fn referenced(status: StatusCode, mut body: serde_json::Value) -> serde_json::Value {
    let Some(id) = crate::access::current() else { return body };
    let Some(fields) = body.as_object_mut() else { return body };
    let Some(serde_json::Value::String(message)) = fields.get_mut("erreur") else { return body };
    if status.is_server_error() {
        message.push_str(&format!(" (référence : {id})"));
    }
    fields.insert("reference".into(), id.to_string().into());
    body
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, json!({ "erreur": message })),
            AppError::TooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, json!({ "erreur": "La demande est trop volumineuse." }))
            }
            AppError::NotJson => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "erreur": "La demande doit être envoyée en JSON (Content-Type: application/json)." }),
            ),
            AppError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, json!(errors)),
            AppError::IdentifierTaken(next) => (
                StatusCode::CONFLICT,
                json!({
                    "erreur": "L'identifiant proposé vient d'être attribué : confirmez le nouvel identifiant proposé.",
                    "identifiant": next.identifiant,
                    "adresse": next.adresse,
                }),
            ),
            AppError::Token(e) => {
                let status = match e {
                    TokenError::JetonInconnu => StatusCode::NOT_FOUND,
                    TokenError::JetonExpire => StatusCode::GONE,
                    TokenError::JetonUtilise => StatusCode::CONFLICT,
                };
                (status, json!({ "erreur": e.message(), "code": e }))
            }
            AppError::IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "erreur": "Cette clé d'idempotence a déjà servi à une autre demande : envoyez votre demande avec une nouvelle clé.",
                    "code": "idempotency_key_reused",
                }),
            ),
            AppError::UnknownPath => {
                (StatusCode::NOT_FOUND, json!({ "erreur": "Cette adresse n'existe pas dans l'API d'inscription." }))
            }
            AppError::ForeignOrigin => {
                (StatusCode::FORBIDDEN, json!({ "erreur": "Cette demande ne vient pas du site d'inscription." }))
            }
            AppError::TooManyRequests(wait) => {
                let message = "Trop de demandes ont été envoyées depuis votre poste : patientez avant de réessayer.";
                return retry_after(StatusCode::TOO_MANY_REQUESTS, wait, message);
            }
            AppError::Busy => {
                let message = "Le service reçoit beaucoup de demandes : réessayez dans quelques secondes, vos réponses sont conservées.";
                return retry_after(StatusCode::SERVICE_UNAVAILABLE, 5, message);
            }
            AppError::Database(e) if unreachable(&e) => {
                tracing::error!(error = %e, "database unreachable");
                let message = "Le service est momentanément indisponible : réessayez dans quelques secondes, vos réponses sont conservées.";
                return retry_after(StatusCode::SERVICE_UNAVAILABLE, 5, message);
            }
            AppError::Database(e) => {
                tracing::error!(error = %e, "database error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "erreur": "Votre demande n'a pas pu être enregistrée : réessayez dans quelques instants." }),
                )
            }
            AppError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "erreur": "Une erreur interne est survenue. Réessayez dans quelques instants." }),
                )
            }
        };
        (status, Json(referenced(status, body))).into_response()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::NotJson,
            JsonRejection::BytesRejection(_) => AppError::TooLarge,
            JsonRejection::JsonSyntaxError(_) => {
                AppError::BadRequest("Le corps de la demande n'est pas un JSON valide.".into())
            }
            JsonRejection::JsonDataError(e) => AppError::unexpected_shape(&e.body_text()),
            other => AppError::BadRequest(other.body_text()),
        }
    }
}

/// A JSON body read in two steps (its shape depends on what it is for): a body not of the shape expected.
impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::unexpected_shape(&e.to_string())
    }
}

impl AppError {
    /// serde's message may quote a value (a password sent in the wrong place): only a field name is echoed.
    fn unexpected_shape(text: &str) -> AppError {
        let unknown = text.split("unknown field `").nth(1).and_then(|rest| rest.split('`').next());
        AppError::BadRequest(match unknown {
            Some(field) => format!("La demande contient un champ inconnu : « {field} »."),
            None => {
                "La demande ne correspond pas au format attendu (champ manquant ou valeur d'un type inattendu).".into()
            }
        })
    }
}
