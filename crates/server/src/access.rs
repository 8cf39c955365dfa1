//! Every request gets an id and one access line: method, route (the route's pattern, never its values nor the query
//! string), status, duration, request id. The id comes from `X-Request-Id` when a trusted proxy sent it (the same id
//! along the chain), else it is made here; it is returned in the answer's `X-Request-Id` and in the API's error bodies
//! (`reference`, and in the message of a server failure), so that the support can find the request from what the
//! professional reads to them.
use crate::limit::client_address;
use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Instant,
};
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The client a request comes from (its peer, or the address a trusted proxy forwards), found once here and read by
/// the rate limits; absent when the connection's address is unknown (in-process tests).
#[derive(Clone, Copy, Debug)]
pub struct Client(pub IpAddr);

tokio::task_local! {
    /// The id of the request being answered, for the error bodies.
    static REQUEST_ID: Arc<str>;
}

/// The id of the request this task answers, if any.
pub fn current() -> Option<Arc<str>> {
    REQUEST_ID.try_with(Arc::clone).ok()
}

/// An id a proxy may pass on: 1 to 64 letters, digits, `-`, `_`, `.` (anything else is not logged as it is).
fn acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The request's id: its proxy's, when the peer is a trusted proxy and sent an acceptable one; else a new one.
pub fn request_id(peer: Option<IpAddr>, header: Option<&str>, trusted: &[IpAddr]) -> Arc<str> {
    let from_proxy = peer.is_some_and(|p| trusted.contains(&p));
    match header {
        Some(id) if from_proxy && acceptable(id) => id.into(),
        _ => crate::secret::new_id().unwrap_or_else(|_| "sans-id".into()).into(),
    }
}

/// Middleware: the request's id, its span (every log line of the request carries the id), its access line.
pub async fn log(State(trusted): State<Arc<Vec<IpAddr>>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let header = request.headers().get(HEADER).and_then(|v| v.to_str().ok());
    let id = request_id(peer, header, &trusted);
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or("(fichiers)", MatchedPath::as_str).to_owned();
    let client = peer.map(|p| {
        let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        client_address(p, forwarded, &trusted)
    });
    if let Some(client) = client {
        request.extensions_mut().insert(Client(client));
    }
    let span = tracing::info_span!("requete", id = %id);
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request).instrument(span)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1e3;
    let client = client.map(|c| c.to_string()).unwrap_or_default();
    tracing::info!(target: "acces", %method, %route, status, duration_ms, request_id = %id, %client, "requête");
    let labels = [("method", method.to_string()), ("route", route.clone()), ("status", status.to_string())];
    metrics::counter!(crate::metrics::REQUESTS, &labels).increment(1);
    metrics::histogram!(crate::metrics::REQUEST_SECONDS, "route" => route).record(duration_ms / 1e3);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_s_id_is_kept_only_from_a_trusted_proxy_and_only_when_it_is_plain() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(&*request_id(Some(proxy), Some("abc-123"), &[proxy]), "abc-123");
        assert_ne!(&*request_id(Some(proxy), Some("abc-123"), &[]), "abc-123", "an untrusted peer's id is not taken");
        assert_ne!(&*request_id(None, Some("abc-123"), &[proxy]), "abc-123");
        let odd = request_id(Some(proxy), Some("a b\u{1b}[31m"), &[proxy]);
        assert!(acceptable(&odd) && odd.len() == 32, "{odd}");
        assert!(!acceptable(&"x".repeat(65)));
    }
}
