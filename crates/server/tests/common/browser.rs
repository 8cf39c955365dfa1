//! The tests' browser at the server's own HTML pages (the operator's console, the professional's account space).
use super::{TestApp, encode};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use tower::ServiceExt;

/// The tests' browser at the server's HTML pages (the console, the account space): its cookies, each redirect
/// looked at.
#[derive(Default)]
pub struct Visitor {
    pub cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: String,
    pub html: String,
}

impl Visitor {
    pub async fn call(&mut self, app: &TestApp, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        let body = match form {
            Some(pairs) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(encode(pairs))
            }
            None => Body::empty(),
        };
        let response = app.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let location =
            response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page { status, location, html: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, app: &TestApp, path: &str) -> Page {
        self.call(app, "GET", path, None).await
    }

    pub async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> Page {
        self.call(app, "POST", path, Some(form)).await
    }
}
