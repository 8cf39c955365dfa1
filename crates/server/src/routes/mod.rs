//! The API, one module a resource.
mod card_challenges;
mod confirmations;
mod identifiants;
mod registrations;

use crate::{AppState, limit};
use axum::middleware;
use axum::{
    Router,
    routing::{get, post},
};

pub fn router(state: &AppState) -> Router<AppState> {
    let trusted = state.trusted_proxies.clone();
    let limited = |limiter| middleware::from_fn_with_state((limiter, trusted.clone()), limit::limit);
    Router::new()
        .route("/identifiants", get(identifiants::propose).route_layer(limited(state.proposal_limiter.clone())))
        .route("/registrations", post(registrations::create).route_layer(limited(state.limiter.clone())))
        .route("/card-challenges", post(card_challenges::create).route_layer(limited(state.challenge_limiter.clone())))
        .route("/confirmations", post(confirmations::confirm).route_layer(limited(state.confirmation_limiter.clone())))
        .route(
            "/confirmations/renvoi",
            post(confirmations::resend).route_layer(limited(state.confirmation_limiter.clone())),
        )
}
