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

/// The local card agent the page calls, from index.html's `<meta name="promess:agent">`: an http(s) origin on a
/// loopback address, or nothing.
fn card_agent(dist: &Path) -> Option<String> {
    let html = std::fs::read_to_string(dist.join("index.html")).ok()?;
    let meta = html.split("<meta").find(|m| m.contains("name=\"promess:agent\""))?;
    let url = meta.split("content=\"").nth(1)?.split('"').next()?.trim_end_matches('/');
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
    let safe = url.bytes().all(|b| b.is_ascii_alphanumeric() || b":/.[]-".contains(&b));
    (safe && matches!(host, "127.0.0.1" | "localhost" | "[::1]")).then(|| url.to_owned())
}

/// A strict Content-Security-Policy for a wasm app: own origin only (and the local card agent), wasm compilation
/// allowed, no framing.
pub fn content_security_policy(dist: &Path) -> String {
    let scripts = inline_script_hashes(dist).join(" ");
    let agent = card_agent(dist).map(|a| format!(" {a}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{agent}; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_for(html: &str) -> String {
        let dir = std::env::temp_dir().join(format!("promess-csp-{}-{}", std::process::id(), html.len()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), html).unwrap();
        let policy = content_security_policy(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        policy
    }

    #[test]
    fn the_card_agent_is_allowed_only_on_loopback() {
        let page =
            |agent: &str| format!("<html><head><meta name=\"promess:agent\" content=\"{agent}\" /></head></html>");
        assert!(policy_for(&page("http://127.0.0.1:8765")).contains("connect-src 'self' http://127.0.0.1:8765;"));
        assert!(policy_for(&page("http://localhost:9000/")).contains("connect-src 'self' http://localhost:9000;"));
        assert!(policy_for(&page("https://evil.example")).contains("connect-src 'self';"), "not loopback");
        assert!(policy_for(&page("http://127.0.0.1:1; script-src *")).contains("connect-src 'self';"), "injection");
        assert!(policy_for("<html></html>").contains("connect-src 'self';"));
    }
}
