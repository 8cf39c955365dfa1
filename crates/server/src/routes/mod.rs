//! The API, one module a resource.
mod identifiants;
mod registrations;

use crate::AppState;
use axum::{
    Router,
    routing::{get, post},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/identifiants", get(identifiants::propose))
        .route("/registrations", post(registrations::create))
}
