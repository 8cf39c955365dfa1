//! The API, one module a resource.
mod identifiants;
mod registrations;

use crate::{
    AppState,
    limit::{self, RateLimiter},
};
use axum::middleware;
use axum::{
    Router,
    routing::{get, post},
};
use std::sync::Arc;

pub fn router(limiter: Arc<RateLimiter>) -> Router<AppState> {
    Router::new().route("/identifiants", get(identifiants::propose)).route(
        "/registrations",
        post(registrations::create).route_layer(middleware::from_fn_with_state(limiter, limit::limit)),
    )
}
