//! Pro Santé Connect in the tests: npm's oidc-provider (panva's OpenID-certified implementation) configured like PSC
//! (`scripts/psc-sim.mjs`), started on a port of its own and stopped when dropped; a test's browser there
//! (its cookies, each redirect looked at); and the app's side of the journey, through its router.
use super::{ORIGIN, TestApp, send};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::Value;

/// A journey begun at `GET /psc/connexion`: the browser's cookie (as sent back: `name=value`) and where the app
/// sends the browser.
pub struct Journey {
    pub cookie: String,
    pub authorize: String,
}

/// `GET path` on the app with this cookie: the status, the Location and the Set-Cookie.
pub async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, String, Vec<String>, Value) {
    get_from(app, path, cookie, &[]).await
}

/// `GET path` with these headers too.
pub async fn get_from(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
) -> (StatusCode, String, Vec<String>, Value) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let (status, body, headers) = send(app, request.body(Body::empty()).unwrap()).await;
    let location = headers.get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    let cookies = headers.get_all(header::SET_COOKIE).iter().map(|c| c.to_str().unwrap().to_owned()).collect();
    (status, location, cookies, body)
}

pub async fn begin(app: &TestApp) -> Journey {
    let (status, authorize, cookies, _) = get(app, promess_core::psc::START_PATH, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{authorize}");
    let cookie = cookies.iter().find(|c| c.starts_with("promess-psc=")).expect("the browser's cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    Journey { cookie, authorize }
}

/// A parameter of a URL's query.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| {
        let v = v.replace('+', " ");
        percent_decode(&v)
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A browser at the provider: its own cookies, each redirect looked at.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// At the provider, from the authorization URL: signs in as `login` (or cancels, with None), and answers where the
/// provider sends the browser back (our `/psc/retour?…`).
pub async fn at_provider(browser: &reqwest::Client, authorize: &str, login: Option<&str>) -> String {
    let mut url = authorize.to_owned();
    let mut signed = false;
    for _ in 0..10 {
        if url.starts_with(ORIGIN) {
            return url;
        }
        let answer = if url.contains("/interaction/") && !signed {
            signed = true;
            let page = browser.get(&url).send().await.unwrap();
            assert_eq!(page.status(), 200, "{url}");
            match login {
                Some(login) => {
                    let body = format!("login={login}");
                    browser
                        .post(format!("{url}/login"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                }
                None => browser.post(format!("{url}/abort")).send().await.unwrap(),
            }
        } else {
            browser.get(&url).send().await.unwrap()
        };
        let location = answer.headers().get("location").unwrap_or_else(|| panic!("no redirect from {url}"));
        let location = location.to_str().unwrap().to_owned();
        let base = url.split('/').take(3).collect::<Vec<_>>().join("/");
        url = if location.starts_with('/') { format!("{base}{location}") } else { location };
    }
    panic!("the provider never sent the browser back")
}

/// The return to `/psc/retour`, with this browser's cookie: where the app sends the browser. As browsers send it
/// coming back from PSC's site: another origin, cross-site (Firefox names the provider's origin after its form).
pub async fn back(app: &TestApp, return_url: &str, cookie: Option<&str>) -> String {
    let path = return_url.strip_prefix(ORIGIN).unwrap_or(return_url);
    let from_psc = [("origin", "https://wallet.esw.esante.gouv.fr"), ("sec-fetch-site", "cross-site")];
    let (status, location, _, _) = get_from(app, path, cookie, &from_psc).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
    location
}

/// The handle in step 2's fragment, or the error code in step 1's.
pub fn handle_of(location: &str) -> Result<String, String> {
    let (path, fragment) = location.split_once('#').unwrap_or((location, ""));
    match fragment.split_once('=') {
        Some(("psc", handle)) if path == "/donnees-personnelles" => Ok(handle.to_owned()),
        Some(("psc-erreur", code)) if path == "/" => Err(code.to_owned()),
        _ => panic!("an unexpected return: {location}"),
    }
}

/// The whole journey of `login` with a new browser: the journey's cookie and where the app sends the browser back.
pub async fn journey(app: &TestApp, login: Option<&str>) -> (Journey, String) {
    let journey = begin(app).await;
    let return_url = at_provider(&browser(), &journey.authorize, login).await;
    let location = back(app, &return_url, Some(&journey.cookie)).await;
    (journey, location)
}
