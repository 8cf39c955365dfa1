//! The ProMess Inscription backend: `app()` builds the router (API + the built wizard); `main.rs` only reads the
//! configuration and serves it. Every rule is checked again here with promess-core, the same code as the browser's.
pub mod config;
pub mod db;
pub mod email;
pub mod error;
pub mod limit;
pub mod outbox;
pub mod password;
mod routes;
mod web;

use axum::{Router, extract::DefaultBodyLimit};
use promess_core::OperatorConfig;
use std::{path::PathBuf, sync::Arc};

/// Largest accepted request body: a registration is about 1 KB.
pub const BODY_LIMIT: usize = 16 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: sqlx::AnyPool,
    pub operator: Arc<OperatorConfig>,
    /// The built wizard (trunk's dist/), served with the single-page fallback.
    pub dist: PathBuf,
    /// The webmail link of the confirmation email.
    pub webmail: Arc<str>,
    /// Origins allowed to call the API from a browser (the app's own).
    pub origins: Arc<Vec<String>>,
    /// Registrations allowed per client and window.
    pub limiter: Arc<limit::RateLimiter>,
}

/// The whole application: `/api` and the wizard, with security headers.
pub fn app(state: AppState) -> Router {
    let dist = state.dist.clone();
    let router = Router::new()
        .nest("/api", routes::router(state.limiter.clone()))
        .layer(axum::middleware::from_fn_with_state(state.origins.clone(), limit::same_origin))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
        .merge(web::router(&dist));
    web::secure(router, &dist)
}
