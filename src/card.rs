//! The local card agent (promess-card-agent), called from the page over loopback: the workstation check, the
//! card's identity, the PIN, and the card's signature of the server's challenge. The PIN goes to the agent only,
//! never to the backend. The answers are promess-core's card protocol, read with the browser's JSON parser.
use crate::api::json;
use gloo_net::http::{Request, RequestBuilder, Response};
use js_sys::{Array, Reflect};
use promess_core::card::{
    AgentError, AgentErrorCode, AgentStatus, AuthenticateRequest, CardProof, FullIdentity, Pin, ReaderStatus,
    VerifyPinRequest, WireObject,
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

/// The agent's address, from `<meta name="promess:agent">` (default: the agent's default port).
pub fn agent_url() -> String {
    crate::app::meta("agent").unwrap_or_else(|| "http://127.0.0.1:8765".into())
}

/// How long the workstation check waits for the agent, and how long a card operation may last (the procedure: a
/// read that lasts is a technical problem).
pub const CHECK_MS: i32 = 3_000;
pub const READ_MS: i32 = 30_000;
const READ: (i32, AgentFailure) = (READ_MS, AgentFailure::TooLong);

/// A JSON value as the browser parsed it.
pub struct Js(pub JsValue);

impl WireObject for Js {
    fn text(&self, key: &str) -> Option<String> {
        Reflect::get(&self.0, &JsValue::from_str(key)).ok()?.as_string()
    }
    fn number(&self, key: &str) -> Option<f64> {
        Reflect::get(&self.0, &JsValue::from_str(key)).ok()?.as_f64()
    }
    fn flag(&self, key: &str) -> Option<bool> {
        Reflect::get(&self.0, &JsValue::from_str(key)).ok()?.as_bool()
    }
    fn object(&self, key: &str) -> Option<Js> {
        Reflect::get(&self.0, &JsValue::from_str(key)).ok().filter(|v| v.is_object()).map(Js)
    }
    fn list(&self, key: &str) -> Vec<Js> {
        let list = Reflect::get(&self.0, &JsValue::from_str(key)).ok().and_then(|l| l.dyn_into::<Array>().ok());
        list.iter().flat_map(|a| a.iter()).map(Js).collect()
    }
    fn as_text(&self) -> Option<String> {
        self.0.as_string()
    }
}

/// Why the agent could not help, each with its own French explanation in the card screens.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentFailure {
    /// No answer within the bound: the agent is not running (or is blocked).
    Unreachable,
    /// The operation lasted too long: a technical problem on this computer.
    TooLong,
    /// An error code of the agent, with the tries left after a wrong PIN.
    Agent(AgentError),
}

impl AgentFailure {
    pub fn code(&self) -> Option<AgentErrorCode> {
        match self {
            AgentFailure::Agent(e) => Some(e.error),
            _ => None,
        }
    }
}

/// Sends a request, aborted after `ms`. Err(true) when the bound stopped it, Err(false) when unreachable.
async fn send(builder: RequestBuilder, body: Option<String>, ms: i32) -> Result<Response, bool> {
    let window = leptos::prelude::window();
    let controller = web_sys::AbortController::new().map_err(|_| false)?;
    let signal = controller.signal();
    let timer = Closure::once(move || controller.abort());
    let handle = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(timer.as_ref().unchecked_ref(), ms)
        .map_err(|_| false)?;
    let builder = builder.abort_signal(Some(&signal));
    let request = match body {
        Some(body) => builder.header("Content-Type", "application/json").body(body),
        None => builder.build(),
    };
    let result = match request {
        Ok(request) => request.send().await.map_err(|_| signal.aborted()),
        Err(_) => Err(false),
    };
    window.clear_timeout_with_handle(handle);
    drop(timer);
    result
}

/// Calls the agent and reads its answer with `read`; an error answer is its `AgentError`. No answer within `ms` is
/// `late` (an agent that does not answer the check is not running; a read that lasts is a technical problem).
async fn call<T>(
    request: RequestBuilder,
    body: Option<String>,
    (ms, late): (i32, AgentFailure),
    read: impl FnOnce(&Js) -> Option<T>,
) -> Result<T, AgentFailure> {
    let response =
        send(request, body, ms).await.map_err(|aborted| if aborted { late } else { AgentFailure::Unreachable })?;
    let (ok, status) = (response.ok(), response.status());
    let body = Js(json(response).await.unwrap_or(JsValue::NULL));
    let unexpected = AgentError { error: AgentErrorCode::CardError, remaining: None, detail: None };
    match (ok, status) {
        (true, _) => read(&body).ok_or(AgentFailure::Agent(unexpected)),
        (false, 504) => Err(AgentFailure::TooLong),
        (false, _) => Err(AgentFailure::Agent(AgentError::read(&body).unwrap_or(unexpected))),
    }
}

/// The workstation: PC/SC running, the readers and their cards.
pub async fn status(base: &str) -> Result<Vec<ReaderStatus>, AgentFailure> {
    let check = (CHECK_MS, AgentFailure::Unreachable);
    let status = call(Request::get(&format!("{base}/v1/status")), None, check, AgentStatus::read).await?;
    if !status.pcsc {
        return Err(AgentFailure::Agent(AgentError {
            error: AgentErrorCode::NoService,
            remaining: None,
            detail: None,
        }));
    }
    Ok(status.lecteurs)
}

fn path(base: &str, reader: &str, what: &str) -> String {
    format!("{base}/v1/cards/{}/{what}", String::from(js_sys::encode_uri_component(reader)))
}

/// A request body as JSON, written by serde (the agent reads it with serde).
fn body<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// What the card shows without the PIN.
pub async fn identity(base: &str, reader: &str) -> Result<FullIdentity, AgentFailure> {
    call(Request::get(&path(base, reader, "identity")), None, READ, FullIdentity::read).await
}

/// Verifies the PIN on the card (through the local agent only) and reads the full identity. The last try is used
/// only when `confirm_last` says so.
pub async fn verify_pin(base: &str, reader: &str, pin: &Pin, confirm_last: bool) -> Result<FullIdentity, AgentFailure> {
    let request = VerifyPinRequest { pin: pin.expose().to_owned(), confirmer_dernier_essai: confirm_last };
    call(Request::post(&path(base, reader, "verify-pin")), body(&request), READ, FullIdentity::read).await
}

/// The card's signature of the server's challenge for this page's origin (after the PIN).
pub async fn authenticate(base: &str, reader: &str, nonce: String) -> Result<CardProof, AgentFailure> {
    let origin = leptos::prelude::window().location().origin().map_err(|_| AgentFailure::Unreachable)?;
    let request = AuthenticateRequest { nonce, origin };
    call(Request::post(&path(base, reader, "authenticate")), body(&request), READ, CardProof::read).await
}
