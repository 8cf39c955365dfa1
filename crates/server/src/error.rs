//! One error type for the API, turned into a JSON answer with a French message.
use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use promess_core::{FieldErrors, lifecycle::TokenError, registration::Proposal};
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    /// 400: the body is not the expected JSON.
    BadRequest(String),
    /// 413: the body is too large.
    TooLarge,
    /// 415: not JSON.
    NotJson,
    /// 422: some answers break the rules; by field, with stable codes.
    Invalid(FieldErrors),
    /// 409: the confirmed identifier was taken meanwhile; here is the next proposal.
    IdentifierTaken(Proposal),
    /// 404/410/409: the email link is unknown, expired or already used.
    Token(TokenError),
    /// 422: this Idempotency-Key came with another request.
    IdempotencyKeyReused,
    /// 403: a page of another site called the API.
    ForeignOrigin,
    /// 429: too many requests from this client; seconds to wait.
    TooManyRequests(u64),
    /// 503: every password worker is busy and the queue is full.
    Busy,
    /// 500: logged with its source, never detailed to the client.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// A 500 of any error (its source kept for the log).
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
        AppError::Internal(e.into())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(source) => write!(f, "internal error: {source}"),
            other => write!(f, "{other:?}"),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppError::Internal(source) => Some(source.as_ref()),
            _ => None,
        }
    }
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
            AppError::ForeignOrigin => {
                (StatusCode::FORBIDDEN, json!({ "erreur": "Cette demande ne vient pas du site d'inscription." }))
            }
            AppError::TooManyRequests(wait) => {
                let body = json!({ "erreur": "Trop de demandes ont été envoyées depuis votre poste : patientez avant de réessayer." });
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::RETRY_AFTER, wait.to_string())],
                    Json(body),
                )
                    .into_response();
            }
            AppError::Busy => {
                let body = json!({ "erreur": "Le service reçoit beaucoup de demandes : réessayez dans quelques secondes, vos réponses sont conservées." });
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "5".to_owned())],
                    Json(body),
                )
                    .into_response();
            }
            AppError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "erreur": "Une erreur interne est survenue. Réessayez dans quelques instants." }),
                )
            }
        };
        (status, Json(body)).into_response()
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
            // serde's message may quote a value (a password sent in the wrong place): only a field name is echoed.
            JsonRejection::JsonDataError(e) => {
                let text = e.body_text();
                let unknown = text.split("unknown field `").nth(1).and_then(|rest| rest.split('`').next());
                AppError::BadRequest(match unknown {
                    Some(field) => format!("La demande contient un champ inconnu : « {field} »."),
                    None => {
                        "La demande ne correspond pas au format attendu (champ manquant ou valeur d'un type inattendu)."
                            .into()
                    }
                })
            }
            other => AppError::BadRequest(other.body_text()),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::internal(e)
    }
}
