//! The browser's side of a passkey or FIDO2 key's creation (WebAuthn): the server's JSON options read by
//! `PublicKeyCredential.parseCreationOptionsFromJSON`, the ceremony by `navigator.credentials.create`, and the new
//! credential given back as its `toJSON()`. The server made the options and checks the credential; this only relays
//! them. Called from step 3 alone (in the split build, in its chunk).
use js_sys::{Function, Object, Promise, Reflect};
use leptos::prelude::window;
use wasm_bindgen::{JsCast, JsValue};

fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(target, &key.into())
}

fn method(target: &JsValue, key: &str) -> Result<Function, JsValue> {
    get(target, key)?.dyn_into::<Function>()
}

/// Whether this browser can create a passkey from JSON options (Chrome and Edge 129, Firefox 119, Safari 18.4 on),
/// here: browsers refuse WebAuthn at an IP address (`http://127.0.0.1`), a name is needed (`http://localhost`).
/// (Never while the page is drawn natively, for the prerendered HTML.)
pub fn supported() -> bool {
    cfg!(target_arch = "wasm32")
        && window().location().hostname().is_ok_and(|h| !h.starts_with('[') && h.parse::<std::net::Ipv4Addr>().is_err())
        && get(&window(), "PublicKeyCredential")
            .is_ok_and(|p| p.is_function() && get(&p, "parseCreationOptionsFromJSON").is_ok_and(|f| f.is_function()))
}

/// The credential made for these `publicKey` options (JSON), as its `toJSON()`; Err: the browser's refusal (the
/// professional cancelled, the time ran out, no authenticator).
pub async fn create(options: &JsValue) -> Result<JsValue, JsValue> {
    let class = get(&window(), "PublicKeyCredential")?;
    let public_key = method(&class, "parseCreationOptionsFromJSON")?.call1(&class, options)?;
    let request = Object::new();
    Reflect::set(&request, &"publicKey".into(), &public_key)?;
    let credentials = get(&get(&window(), "navigator")?, "credentials")?;
    let made: Promise = method(&credentials, "create")?.call1(&credentials, &request)?.dyn_into()?;
    let credential = wasm_bindgen_futures::JsFuture::from(made).await?;
    method(&credential, "toJSON")?.call0(&credential)
}
