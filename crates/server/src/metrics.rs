//! Prometheus metrics, on a listen address of their own (`PROMESS_METRICS_LISTEN`, never the public one): requests by
//! route and status with their latency (`access`), registrations by proof and outcome (`routes::registrations`),
//! operators' sign-in failures by kind (`operators`); and, read at each scrape, the password workers' queue, each job
//! kind's pending, dead and oldest pending age, and the database pool's connections.
use crate::{
    AppState,
    queue::{Kind, now_secs},
    store::jobs,
};
use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Names, declared once (the recording points and the tests use them).
pub const REQUESTS: &str = "promess_http_requests_total";
pub const REQUEST_SECONDS: &str = "promess_http_request_duration_seconds";
pub const REGISTRATIONS: &str = "promess_registrations_total";
pub const SIGN_IN_FAILURES: &str = "promess_sign_in_failures_total";
/// Returns from Pro Santé Connect by outcome (`prouvee`, or the refusal's code).
pub const PSC_RETURNS: &str = "promess_psc_returns_total";

/// The latency buckets, in seconds: from a cached file to a registration waiting for the password workers.
const BUCKETS: [f64; 12] = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the process's recorder; its handle renders the scrapes.
pub fn install() -> Result<PrometheusHandle, Box<dyn std::error::Error>> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), &BUCKETS)?
        .install_recorder()?;
    Ok(handle)
}

/// The metrics' own router: `GET /metrics`.
pub fn router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state((state, handle))
}

async fn scrape(State((state, handle)): State<(AppState, PrometheusHandle)>) -> impl IntoResponse {
    let hashing = &state.limits.hashing;
    metrics::gauge!("promess_hashing_running").set(hashing.running() as f64);
    metrics::gauge!("promess_hashing_waiting").set(hashing.waiting() as f64);
    let pool = state.store.pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!("promess_db_connections_in_use").set(f64::from(pool.size()) - idle);
    metrics::gauge!("promess_db_connections_idle").set(idle);
    match jobs::stats(&state.store).await {
        Ok(stats) => {
            let now = now_secs();
            for kind in Kind::ALL {
                let s = stats.iter().find(|s| s.kind == kind.key());
                let labels = [("kind", kind.key())];
                metrics::gauge!("promess_jobs_pending", &labels).set(s.map_or(0, |s| s.pending) as f64);
                metrics::gauge!("promess_jobs_dead", &labels).set(s.map_or(0, |s| s.dead) as f64);
                let age = s.and_then(|s| s.oldest_pending).map_or(0, |at| (now - at).max(0));
                metrics::gauge!("promess_jobs_oldest_pending_age_seconds", &labels).set(age as f64);
            }
            metrics::gauge!("promess_database_up").set(1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the queue could not be read");
            metrics::gauge!("promess_database_up").set(0.0);
        }
    }
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render())
}
