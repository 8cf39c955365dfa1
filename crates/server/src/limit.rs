//! Too many requests from one client: 429 with Retry-After. A fixed window per client, in memory (one server
//! process), its memory bounded whatever the number of clients. A client is its IPv4 address or its IPv6 /64 (one
//! subscriber's network); behind reverse proxies listed in PROMESS_TRUSTED_PROXIES, the address they forward.
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

/// Clients remembered at most (about 5 MB): past it, the oldest windows are forgotten first.
pub const MAX_CLIENTS: usize = 100_000;

/// The client an address counts as: itself for IPv4, its /64 for IPv6.
pub fn client_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last address of
/// `X-Forwarded-For` that is not one of them.
pub fn client_address(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded
        .into_iter()
        .flat_map(|f| f.rsplit(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

impl RateLimiter {
    pub fn new(max: u32, window: Duration) -> Arc<RateLimiter> {
        Arc::new(RateLimiter { max, window, clients: Mutex::new(HashMap::new()) })
    }

    pub fn clients(&self) -> usize {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Counts a request; Err(seconds to wait) once the client is over its allowance.
    pub fn check(&self, address: IpAddr, now: Instant) -> Result<(), u64> {
        let client = client_of(address);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            clients.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            if clients.len() >= MAX_CLIENTS {
                // Still full within the window: the older half goes.
                let mut starts: Vec<Instant> = clients.values().map(|(start, _)| *start).collect();
                let (_, median, _) = starts.select_nth_unstable(MAX_CLIENTS / 2);
                let median = *median;
                clients.retain(|_, (start, _)| *start > median);
            }
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

/// Middleware: the client's address from the connection (absent in in-process tests that do not set one), or from
/// the trusted proxies' `X-Forwarded-For`.
pub async fn limit(
    State((limiter, trusted)): State<(Arc<RateLimiter>, Arc<Vec<IpAddr>>)>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if let Some(ConnectInfo(addr)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let client = client_address(addr.ip(), forwarded, &trusted);
        limiter.check(client, Instant::now()).map_err(AppError::TooManyRequests)?;
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64_and_proxies_only_when_trusted() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(limiter.check("2001:db8:1:2::1".parse().unwrap(), t0), Ok(()));
        assert!(limiter.check("2001:db8:1:2:ffff::9".parse().unwrap(), t0).is_err(), "the same /64");
        assert_eq!(limiter.check("2001:db8:1:3::1".parse().unwrap(), t0), Ok(()), "another /64");
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let forwarded = Some("198.51.100.7, 203.0.113.9");
        assert_eq!(client_address(proxy, forwarded, &[]), proxy, "an untrusted peer's header is ignored");
        assert_eq!(client_address(proxy, forwarded, &[proxy]), "203.0.113.9".parse::<IpAddr>().unwrap());
        let chain = ["10.0.0.1".parse().unwrap(), "203.0.113.9".parse().unwrap()];
        assert_eq!(client_address(proxy, forwarded, &chain), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_address(proxy, Some("garbage"), &[proxy]), proxy);
    }

    #[test]
    fn a_million_clients_keep_the_memory_bounded() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..1_000_000u32 {
            let _ = limiter.check(IpAddr::V4(std::net::Ipv4Addr::from(i)), t0 + Duration::from_micros(u64::from(i)));
        }
        assert!(limiter.clients() <= MAX_CLIENTS, "{}", limiter.clients());
        // The newest clients are still counted.
        let last = IpAddr::V4(std::net::Ipv4Addr::from(999_999u32));
        for _ in 0..4 {
            assert_eq!(limiter.check(last, t0 + Duration::from_secs(1)), Ok(()));
        }
        assert!(limiter.check(last, t0 + Duration::from_secs(1)).is_err());
    }

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
