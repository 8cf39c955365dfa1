//! Too many registrations from one client: 429 with Retry-After. A fixed window per client address, in memory
//! (one server process; behind a reverse proxy, give each client its own address to the server).
use crate::error::AppError;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub struct RateLimiter {
    max: u32,
    window: Duration,
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(max: u32, window: Duration) -> Arc<RateLimiter> {
        Arc::new(RateLimiter { max, window, clients: Mutex::new(HashMap::new()) })
    }

    /// Counts a request; Err(seconds to wait) once the client is over its allowance.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() > 10_000 {
            clients.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = clients.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            let wait = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Middleware: a browser's request must come from one of the app's origins (others get 403). Requests with no
/// Origin (not from a browser page: curl, monitoring) are let through to the other checks.
pub async fn same_origin(
    State(origins): State<Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let origin = request.headers().get(axum::http::header::ORIGIN).and_then(|o| o.to_str().ok());
    let cross_site = request.headers().get("sec-fetch-site").is_some_and(|s| s == "cross-site");
    match origin {
        Some(o) if !origins.iter().any(|allowed| allowed == o) => Err(AppError::ForeignOrigin),
        _ if cross_site => Err(AppError::ForeignOrigin),
        _ => Ok(next.run(request).await),
    }
}

/// Middleware: the client's address from the connection (absent in in-process tests that do not set one).
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if let Some(ConnectInfo(addr)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        limiter.check(addr.ip(), Instant::now()).map_err(AppError::TooManyRequests)?;
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_window_per_client() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let (a, b) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        assert_eq!(limiter.check(a, t0), Ok(()));
        assert_eq!(limiter.check(a, t0), Ok(()));
        assert_eq!(limiter.check(a, t0 + Duration::from_secs(15)), Err(45));
        assert_eq!(limiter.check(b, t0), Ok(()), "another client has its own allowance");
        assert_eq!(limiter.check(a, t0 + Duration::from_secs(60)), Ok(()), "a new window");
    }
}
