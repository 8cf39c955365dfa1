//! The ProMess Inscription backend: `app()` builds the router (API + the built wizard); `main.rs` only reads the
//! configuration and serves it. Every rule is checked again here with promess-core, the same code as the browser's.
pub mod annuaire;
pub mod card_proof;
pub mod config;
pub mod console;
pub mod db;
pub mod email;
pub mod error;
pub mod lifecycle;
pub mod limit;
pub mod operators;
pub mod outbox;
pub mod password;
pub mod provisioning;
mod routes;
pub mod serve;
mod web;

use axum::{Router, extract::DefaultBodyLimit};
use promess_core::OperatorConfig;
use std::{path::PathBuf, sync::Arc};

/// Largest accepted request body: a registration is about 1 KB.
pub const BODY_LIMIT: usize = 16 * 1024;

/// How many identifier proposals a client may ask for each registration it may send.
pub const PROPOSALS_PER_REGISTRATION: u32 = 10;

/// Stops on Ctrl-C or SIGTERM (what systemd and containers send): the server then finishes the requests in flight.
pub async fn shutdown_signal() {
    let terminate = async {
        #[cfg(unix)]
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: sqlx::AnyPool,
    pub operator: Arc<OperatorConfig>,
    /// The built wizard (trunk's dist/), served with the single-page fallback.
    pub dist: PathBuf,
    /// The wizard's public address, for the emails' links: the first allowed origin.
    pub public_url: Arc<str>,
    /// Origins allowed to call the API from a browser (the app's own).
    pub origins: Arc<Vec<String>>,
    /// Registrations allowed per client and window.
    pub limiter: Arc<limit::RateLimiter>,
    /// Email confirmations and resends allowed per client and window (as many as registrations).
    pub confirmation_limiter: Arc<limit::RateLimiter>,
    /// Card challenges allowed per client and window (as many as registrations).
    pub challenge_limiter: Arc<limit::RateLimiter>,
    /// Identifier proposals allowed per client and window (the wizard asks as the names are typed).
    pub proposal_limiter: Arc<limit::RateLimiter>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// Password hashes at a time, and requests waiting for one.
    pub hashing: Arc<password::HashLimit>,
    /// Operator sign-ins allowed per client and window (as many as registrations).
    pub sign_in_limiter: Arc<limit::RateLimiter>,
    /// How long a refused request is kept (the console's decisions).
    pub refused_retention_secs: i64,
    /// The authorities whose CPS cards are believed; None: the card path is refused.
    pub card_trust: Option<Arc<card_proof::CardTrust>>,
    /// Unix seconds now (a fixed clock in tests).
    pub clock: Clock,
}

/// The time, in Unix seconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

impl AppState {
    /// The state with the defaults of `promess-server` (see `config::Config`) for what is not given; the other
    /// fields are public, to be set after.
    pub fn new(db: sqlx::AnyPool, dist: PathBuf, origins: Vec<String>, rate_limit: u32) -> AppState {
        let window = std::time::Duration::from_secs(60);
        AppState {
            db,
            operator: Arc::new(OperatorConfig::default()),
            dist,
            public_url: origins.first().map_or("http://127.0.0.1:8080", String::as_str).into(),
            origins: Arc::new(origins),
            limiter: limit::RateLimiter::new(rate_limit, window),
            challenge_limiter: limit::RateLimiter::new(rate_limit, window),
            confirmation_limiter: limit::RateLimiter::new(rate_limit, window),
            sign_in_limiter: limit::RateLimiter::new(rate_limit, window),
            refused_retention_secs: promess_core::lifecycle::REFUSED_RETENTION_DAYS * 86_400,
            proposal_limiter: limit::RateLimiter::new(rate_limit.saturating_mul(PROPOSALS_PER_REGISTRATION), window),
            trusted_proxies: Arc::new(Vec::new()),
            hashing: Arc::new(password::HashLimit::for_this_machine()),
            card_trust: None,
            clock: Arc::new(outbox::now_secs),
        }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// The whole application: `/api` and the wizard, with security headers.
pub fn app(state: AppState) -> Router {
    let dist = state.dist.clone();
    let https = state.origins.iter().any(|o| o.starts_with("https://"));
    let router = Router::new()
        .nest(
            "/api",
            routes::router(&state).layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            )),
        )
        .merge(console::router())
        .layer(axum::middleware::from_fn_with_state(state.origins.clone(), limit::same_origin))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
        .merge(web::router(&dist));
    let router = web::secure(router, &dist);
    if https {
        // Served over HTTPS: browsers are told to come back over HTTPS only.
        router.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    }
}
