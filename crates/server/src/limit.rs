//! Too many requests from one client: 429 with Retry-After. A fixed window per limit and client, held in the database
//! (`store::limits`): every server process on the database counts the same hits. A client is its IPv4 address or its
//! IPv6 /64 (one subscriber's network); behind reverse proxies listed in PROMESS_TRUSTED_PROXIES, the address they
//! forward.
use crate::{error::AppError, store::Store};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use std::{net::IpAddr, sync::Arc, time::Duration};

/// A limit: `max` requests per client and `window`, counted under `bucket`'s name.
pub struct RateLimiter {
    bucket: &'static str,
    max: u32,
    window: Duration,
    store: Store,
}

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
    pub fn new(bucket: &'static str, max: u32, window: Duration, store: Store) -> Arc<RateLimiter> {
        Arc::new(RateLimiter { bucket, max, window, store })
    }

    /// Counts a request of `address` at `now` (Unix seconds); Err(seconds to wait) once the client is over its
    /// allowance.
    pub async fn check(&self, address: IpAddr, now: i64) -> Result<Result<(), u64>, sqlx::Error> {
        let window = self.window.as_secs() as i64;
        let client = client_of(address).to_string();
        let (hits, start) = crate::store::limits::hit(&self.store, self.bucket, &client, now, window).await?;
        if hits > i64::from(self.max) {
            return Ok(Err((start + window - now).max(1) as u64));
        }
        Ok(Ok(()))
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

/// Middleware: the request's client, as `access` found it (absent in in-process tests that set no address), counted
/// against `limiter`.
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if let Some(crate::access::Client(client)) = request.extensions().get::<crate::access::Client>() {
        limiter.check(*client, crate::queue::now_secs()).await?.map_err(AppError::TooManyRequests)?;
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64_and_proxies_only_when_trusted() {
        let v6 = |a: &str| client_of(a.parse().unwrap());
        assert_eq!(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff::9"), "the same /64");
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"), "another /64");
        assert_eq!(v6("::ffff:192.0.2.1"), v6("192.0.2.1"), "an IPv4 address mapped in IPv6 is itself");
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let forwarded = Some("198.51.100.7, 203.0.113.9");
        assert_eq!(client_address(proxy, forwarded, &[]), proxy, "an untrusted peer's header is ignored");
        assert_eq!(client_address(proxy, forwarded, &[proxy]), "203.0.113.9".parse::<IpAddr>().unwrap());
        let chain = ["10.0.0.1".parse().unwrap(), "203.0.113.9".parse().unwrap()];
        assert_eq!(client_address(proxy, forwarded, &chain), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_address(proxy, Some("garbage"), &[proxy]), proxy);
    }
}
