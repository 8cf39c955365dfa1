//! The ProMess Inscription backend: `app()` builds the router (API + the built wizard); `main.rs` only reads the
//! configuration and serves it. Every rule is checked again here with promess-core, the same code as the browser's.
pub mod access;
pub mod account;
pub mod annuaire;
pub mod card_proof;
pub mod config;
pub mod console;
pub mod cookies;
pub mod email;
pub mod error;
pub mod factors;
pub mod health;
pub mod html;
pub mod lifecycle;
pub mod limit;
pub mod metrics;
pub mod operators;
pub mod outbox;
pub mod passkeys;
pub mod password;
pub mod provisioning;
pub mod psc;
pub mod queue;
mod routes;
pub mod secret;
pub mod serve;
pub mod store;
pub mod web;

use axum::{Router, extract::DefaultBodyLimit};
use promess_core::OperatorConfig;
use std::{net::IpAddr, path::PathBuf, sync::Arc, time::Duration};
use store::Store;

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

/// What the operator configures (`config::Config` makes it from flags and environment variables; tests make it by
/// hand): read-only once the server runs.
pub struct Settings {
    /// The mailboxes' domains.
    pub operator: OperatorConfig,
    /// The built wizard (trunk's dist/), served with the single-page fallback.
    pub dist: PathBuf,
    /// Origins allowed to call the API from a browser (the app's own); the first is the emails' links' address.
    pub origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Registrations allowed per client and minute (card challenges, confirmations and sign-ins as many).
    pub rate_limit: u32,
    /// How long a refused request is kept (the console's decisions).
    pub refused_retention_secs: i64,
    /// The authorities whose CPS cards are believed; None: the card path is refused.
    pub card_trust: Option<card_proof::CardTrust>,
    /// Pro Santé Connect, the OpenID provider and our client there; None: that path is not offered.
    pub psc: Option<psc::Psc>,
}

impl Settings {
    /// The settings of `promess-server` by default (see `config::Config`), with these origins and built wizard.
    pub fn new(dist: PathBuf, origins: Vec<String>) -> Settings {
        Settings {
            operator: OperatorConfig::default(),
            dist,
            origins,
            trusted_proxies: Vec::new(),
            rate_limit: 10,
            refused_retention_secs: promess_core::lifecycle::REFUSED_RETENTION_DAYS * 86_400,
            card_trust: None,
            psc: None,
        }
    }

    /// The wizard's public address, for the emails' links: the first allowed origin.
    pub fn public_url(&self) -> &str {
        self.origins.first().map_or("http://127.0.0.1:8080", String::as_str)
    }

    /// Whether the site is served over HTTPS (`__Host-` cookies, HSTS).
    pub fn https(&self) -> bool {
        self.origins.iter().any(|o| o.starts_with("https://"))
    }
}

/// What a client may ask for in a window, and the password workers everyone shares.
pub struct Limits {
    /// Registrations per client and window.
    pub registrations: Arc<limit::RateLimiter>,
    /// Card challenges per client and window (as many as registrations).
    pub challenges: Arc<limit::RateLimiter>,
    /// Email confirmations and resends per client and window (as many as registrations).
    pub confirmations: Arc<limit::RateLimiter>,
    /// Identifier proposals per client and window (the wizard asks as the names are typed).
    pub proposals: Arc<limit::RateLimiter>,
    /// Operator sign-ins per client and window (as many as registrations).
    pub sign_ins: Arc<limit::RateLimiter>,
    /// Journeys to Pro Santé Connect per client and window (as many as registrations).
    pub psc: Arc<limit::RateLimiter>,
    /// Second factors' set-ups and their codes per client and window (three a registration).
    pub factors: Arc<limit::RateLimiter>,
    /// Professionals' sign-ins to their account space per client and window (as many as registrations).
    pub account_sign_ins: Arc<limit::RateLimiter>,
    /// Password hashes at a time, and requests waiting for one.
    pub hashing: Arc<password::HashLimit>,
}

impl Limits {
    /// `rate_limit` registrations per client and minute, and the others after it, counted in `store` (shared by
    /// every process on it); the hashing sized for this machine.
    pub fn new(rate_limit: u32, store: &Store) -> Limits {
        let window = Duration::from_secs(60);
        let per_minute = |bucket, n| limit::RateLimiter::new(bucket, n, window, store.clone());
        Limits {
            registrations: per_minute("inscriptions", rate_limit),
            challenges: per_minute("defis_carte", rate_limit),
            confirmations: per_minute("confirmations", rate_limit),
            proposals: per_minute("identifiants", rate_limit.saturating_mul(PROPOSALS_PER_REGISTRATION)),
            sign_ins: per_minute("connexions_operateur", rate_limit),
            psc: per_minute("connexions_psc", rate_limit),
            factors: per_minute("facteurs", rate_limit.saturating_mul(3)),
            account_sign_ins: per_minute("connexions_compte", rate_limit),
            hashing: Arc::new(password::HashLimit::for_this_machine()),
        }
    }
}

/// The time, in Unix seconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What every handler can reach: the settings, the store, the limits and the clock.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub limits: Arc<Limits>,
    /// Unix seconds now (a fixed clock in tests).
    pub clock: Clock,
    /// The WebAuthn relying party of the origins (passkeys), when one of them is a domain name.
    pub webauthn: Option<Arc<passkeys::Webauthn>>,
}

impl AppState {
    /// The state of these settings on this store, with the system's clock.
    pub fn new(settings: Settings, store: Store) -> AppState {
        AppState::with_clock(settings, store, Arc::new(queue::now_secs))
    }

    pub fn with_clock(settings: Settings, store: Store, clock: Clock) -> AppState {
        let limits = Arc::new(Limits::new(settings.rate_limit, &store));
        let webauthn = passkeys::relying_party(&settings.origins).map(Arc::new);
        AppState { settings: Arc::new(settings), store, limits, clock, webauthn }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// The whole application: `/api` and the wizard, with security headers.
pub fn app(state: AppState) -> Router {
    let dist = state.settings.dist.clone();
    let https = state.settings.https();
    let origins = Arc::new(state.settings.origins.clone());
    let trusted = Arc::new(state.settings.trusted_proxies.clone());
    let router = Router::new()
        .nest(
            "/api",
            routes::router(&state).layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            )),
        )
        .merge(console::router())
        .merge(account::router())
        .route("/healthz", axum::routing::get(health::live))
        .route("/readyz", axum::routing::get(health::ready))
        .layer(axum::middleware::from_fn_with_state(origins, limit::same_origin))
        // Pro Santé Connect's return is a navigation from the provider's site (another origin, cross-site): what
        // proves it is the journey's state and this browser's cookie, never its Origin.
        .merge(psc::router(&state))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
        .merge(web::router(&dist));
    let router = web::secure(router, &dist).layer(axum::middleware::from_fn_with_state(trusted, access::log));
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
