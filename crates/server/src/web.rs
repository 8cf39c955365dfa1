//! The built wizard (trunk's dist/), with the single-page fallback, and the security headers of every answer.
use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

/// Static files of dist/, and index.html for any other path (the wizard's routes).
pub fn router<S: Clone + Send + Sync + 'static>(dist: &Path) -> Router<S> {
    let index = dist.join("index.html");
    Router::new().fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)))
}

/// The hashes of index.html's inline scripts (trunk's loader), so that the policy needs no 'unsafe-inline'.
fn inline_script_hashes(dist: &Path) -> Vec<String> {
    let html = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    html.split("<script")
        .skip(1)
        .filter_map(|s| {
            let (open, rest) = s.split_once('>')?;
            if open.contains("src=") {
                return None;
            }
            let body = rest.split("</script>").next()?;
            let digest = Sha256::digest(body.as_bytes());
            Some(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)))
        })
        .collect()
}

/// A strict Content-Security-Policy for a wasm app: own origin only, wasm compilation allowed, no framing.
pub fn content_security_policy(dist: &Path) -> String {
    let scripts = inline_script_hashes(dist).join(" ");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Adds the security headers to a router.
pub fn secure<S: Clone + Send + Sync + 'static>(router: Router<S>, dist: &Path) -> Router<S> {
    let csp = HeaderValue::from_str(&content_security_policy(dist)).expect("an ASCII policy");
    let set = |name: HeaderName, value: HeaderValue| SetResponseHeaderLayer::overriding(name, value);
    router
        .layer(set(header::CONTENT_SECURITY_POLICY, csp))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(set(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
}
