//! The API, one module a resource.
mod card_challenges;
mod confirmations;
mod factors;
mod identifiants;
mod registrations;

use crate::{AppState, limit};
use axum::middleware;
use axum::{
    Router,
    routing::{get, post},
};

pub fn router(state: &AppState) -> Router<AppState> {
    let limits = &state.limits;
    let limited = |limiter| middleware::from_fn_with_state(limiter, limit::limit);
    Router::new()
        .route("/identifiants", get(identifiants::propose).route_layer(limited(limits.proposals.clone())))
        .route("/registrations", post(registrations::create).route_layer(limited(limits.registrations.clone())))
        .route("/card-challenges", post(card_challenges::create).route_layer(limited(limits.challenges.clone())))
        .route("/confirmations", post(confirmations::confirm).route_layer(limited(limits.confirmations.clone())))
        .route("/confirmations/renvoi", post(confirmations::resend).route_layer(limited(limits.confirmations.clone())))
        .route("/facteurs", post(factors::begin).route_layer(limited(limits.factors.clone())))
        .route("/facteurs/{id}/confirmation", post(factors::confirm).route_layer(limited(limits.factors.clone())))
        .route("/psc", get(crate::psc::offer))
        .route("/psc/identites/{poignee}", get(crate::psc::identity))
        .fallback(unknown)
}

/// Any other address under /api: 404, in JSON like every answer of the API.
async fn unknown() -> crate::error::AppError {
    crate::error::AppError::UnknownPath
}
