//! The built wizard (trunk's dist/), with the single-page fallback, and the security headers of every answer.
use axum::{
    Router,
    http::{HeaderName, HeaderValue, Uri, header},
    middleware,
    response::Response,
};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

/// Static files of dist/, and index.html for any other path (the wizard's routes). The precompressed siblings that
/// scripts/build writes (`.br`, `.gz`) are sent to browsers that accept them.
pub fn router<S: Clone + Send + Sync + 'static>(dist: &Path) -> Router<S> {
    let index = ServeFile::new(dist.join("index.html")).precompressed_br().precompressed_gzip();
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip().fallback(index);
    Router::new().fallback_service(files).layer(middleware::map_response_with_state(
        (),
        |uri: Uri, mut response: Response| async move {
            // A file that is not there (an asset of another build) is a 404, never the page kept for a year.
            let name = uri.path().rsplit('/').next().unwrap_or("");
            let page =
                response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
            if name.contains('.') && !name.ends_with(".html") && page && response.status().is_success() {
                *response.body_mut() = axum::body::Body::empty();
                *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
                response.headers_mut().remove(header::CONTENT_LENGTH);
                response.headers_mut().remove(header::CONTENT_ENCODING);
                response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return response;
            }
            // The app's page at the wizard's own addresses only: elsewhere it is sent as a 404 (the app shows its
            // « page introuvable »), so that a balancer or a link checker is never told an unknown address is there.
            let wizard = promess_core::routes::ALL.contains(&uri.path()) || uri.path() == "/index.html";
            if page && !wizard {
                *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
            }
            let policy = cache_policy(uri.path());
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
            response
        },
    ))
}

/// trunk names the built assets by their content hash: they never change, and may be kept a year. The page itself
/// is checked on every visit; the communes for a day.
fn cache_policy(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or("");
    // name-<hex>.ext, or name-<hex>_bg.wasm: 16 hex digits, fewer when trunk's hash starts with zeros
    let hash = name.split('.').next().and_then(|stem| stem.rsplit_once('-')).map(|(_, h)| h.trim_end_matches("_bg"));
    let hashed = hash.is_some_and(|h| (12..=16).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hashed {
        "public, max-age=31536000, immutable"
    } else if path.starts_with("/communes/") {
        "public, max-age=86400"
    } else {
        "no-cache"
    }
}

/// The hashes of index.html's inline `<script>`s (trunk's loader, the prerendered page's script) or `<style>`s (the
/// stylesheet, inlined so that the first paint waits for no other request), so that the policy needs no
/// 'unsafe-inline'.
fn inline_hashes(html: &str, tag: &str) -> Vec<String> {
    let close = format!("</{tag}>");
    html.split(&format!("<{tag}"))
        .skip(1)
        .filter_map(|s| {
            let (open, rest) = s.split_once('>')?;
            if open.contains("src=") || !(open.is_empty() || open.starts_with(char::is_whitespace)) {
                return None;
            }
            // A data block (the page's `<script type="text/html">`) never runs: it needs no permission.
            let kind = open.split("type=\"").nth(1).and_then(|t| t.split('"').next());
            if tag == "script" && kind.is_some_and(|t| t != "module" && t != "text/javascript") {
                return None;
            }
            let body = rest.split(close.as_str()).next()?;
            let digest = Sha256::digest(body.as_bytes());
            Some(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)))
        })
        .collect()
}

/// The local card agent of the built app (`dist`), read once: the account space's card sign-in calls it too.
pub fn agent_of(dist: &Path) -> Option<String> {
    static AGENT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| card_agent(&std::fs::read_to_string(dist.join("index.html")).unwrap_or_default())).clone()
}

/// The local card agent the page calls, from index.html's `<meta name="promess:agent">`: an http(s) origin on a
/// loopback address, or nothing.
fn card_agent(html: &str) -> Option<String> {
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
    let html = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let scripts = inline_hashes(&html, "script").join(" ");
    let styles = inline_hashes(&html, "style").join(" ");
    let agent = card_agent(&html).map(|a| format!(" {a}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {scripts}; style-src 'self' {styles}; img-src 'self' data:; \
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
        // Unless a page says otherwise (the console's forms: with no referrer at all, browsers send `Origin: null`).
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
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
    fn hashed_assets_are_kept_the_page_is_checked() {
        assert_eq!(cache_policy("/promess-web-25950ef625ec2303_bg.wasm"), "public, max-age=31536000, immutable");
        assert_eq!(cache_policy("/main-0123456789abcdef.css"), "public, max-age=31536000, immutable");
        assert_eq!(cache_policy("/promess-web-61a8b447b1ab69a.js"), "public, max-age=31536000, immutable");
        assert_eq!(cache_policy("/split_donnees-0123456789abcdef.wasm"), "public, max-age=31536000, immutable");
        assert_eq!(cache_policy("/"), "no-cache");
        assert_eq!(cache_policy("/identifiant"), "no-cache");
        assert_eq!(cache_policy("/strength_worker_loader.js"), "no-cache");
        assert_eq!(cache_policy("/communes/33.txt"), "public, max-age=86400");
    }

    #[test]
    fn inline_scripts_and_styles_are_allowed_by_their_hash_alone() {
        let policy = policy_for(
            "<head><style>p{color:red}</style><script>go()</script><script src=\"/a.js\"></script></head>\
                        <body><script type=\"text/html\" data-suite=\"/x\"><p>later</p></script></body>",
        );
        let hash = |body: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
        assert!(
            policy.contains(&format!("script-src 'self' 'wasm-unsafe-eval' 'sha256-{}';", hash("go()"))),
            "{policy}"
        );
        assert!(policy.contains(&format!("style-src 'self' 'sha256-{}';", hash("p{color:red}"))), "{policy}");
        assert!(!policy.contains(&hash("<p>later</p>")), "a data block is not a script: {policy}");
        assert!(!policy.contains("unsafe-inline"));
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
