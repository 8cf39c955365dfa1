//! The server's cookies: named `__Host-…` (Secure, this host only, path /) when the site is served over HTTPS; over
//! plain HTTP (a developer's machine) browsers refuse that prefix, and the name goes without it. Always HttpOnly.
use crate::Settings;
use axum::http::{HeaderMap, HeaderValue, header};

/// When a cookie goes with requests from other sites: `Strict` for sessions; `Lax` for what must come back with a
/// top-level navigation from another site (the return from Pro Santé Connect).
#[derive(Clone, Copy)]
pub enum SameSite {
    Strict,
    Lax,
}

/// The cookie's name on this site.
pub fn name(settings: &Settings, name: &str) -> String {
    if settings.https() { format!("__Host-{name}") } else { name.to_owned() }
}

/// The value of the cookie `name` (its name on this site, see `name`) in a request.
pub fn read(headers: &HeaderMap, settings: &Settings, cookie: &str) -> Option<String> {
    let wanted = name(settings, cookie);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == wanted)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: `value` for `max_age` seconds (0: deleted).
pub fn set(settings: &Settings, cookie: &str, value: &str, max_age: i64, same_site: SameSite) -> HeaderValue {
    let secure = if settings.https() { "; Secure" } else { "" };
    let same_site = match same_site {
        SameSite::Strict => "Strict",
        SameSite::Lax => "Lax",
    };
    let value = format!(
        "{}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}",
        name(settings, cookie)
    );
    HeaderValue::from_str(&value).expect("an ASCII cookie")
}
