//! The local card agent (promess-card-agent), called from the page over loopback: the workstation check, the
//! card's identity and the PIN. The PIN goes to the agent only, never to the backend.
use crate::api::{json, string};
use gloo_net::http::{Request, RequestBuilder, Response};
use js_sys::{Array, Reflect};
use promess_core::registration::CardData;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

/// The agent's address, from `<meta name="promess:agent">` (default: the agent's default port).
pub fn agent_url() -> String {
    crate::app::meta("agent").unwrap_or_else(|| "http://127.0.0.1:8765".into())
}

/// How long the workstation check waits for the agent, and how long a card read may last (the procedure: a read
/// that lasts is a technical problem).
pub const CHECK_MS: i32 = 3_000;
pub const READ_MS: i32 = 30_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Reader {
    pub name: String,
    pub card: bool,
    /// "cps3", "cps4" or "unknown".
    pub kind: Option<String>,
    pub tries: Option<u32>,
}

/// What the card says of its holder: the answers it fills in, and the title shown on the PIN screen.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CardHolder {
    pub data: CardData,
    pub titre: String,
}

/// Why the agent could not help, each with its own French explanation in the card screen.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentFailure {
    /// No answer within the bound: the agent is not running (or is blocked).
    Unreachable,
    /// The read lasted too long: a technical problem on this computer.
    TooLong,
    /// An error code of the agent (no_service, no_reader, no_card, unknown_card, card_removed, timeout…).
    Code(String),
    PinIncorrect {
        remaining: u32,
    },
    PinBlocked,
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
        Some(body) => builder.body(body),
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

fn number(object: &JsValue, key: &str) -> Option<u32> {
    Reflect::get(object, &JsValue::from_str(key)).ok()?.as_f64().map(|n| n as u32)
}

async fn failure(response: Response) -> AgentFailure {
    let status = response.status();
    let body = json(response).await.unwrap_or(JsValue::NULL);
    match (status, string(&body, "error").as_deref()) {
        (401, _) => AgentFailure::PinIncorrect { remaining: number(&body, "remaining").unwrap_or(0) },
        (423, _) => AgentFailure::PinBlocked,
        (504, _) => AgentFailure::TooLong,
        (_, Some(code)) => AgentFailure::Code(code.to_owned()),
        _ => AgentFailure::Code(format!("http_{status}")),
    }
}

/// The workstation: PC/SC running, the readers and their cards.
pub async fn status(base: &str) -> Result<Vec<Reader>, AgentFailure> {
    let response = send(Request::get(&format!("{base}/v1/status")), None, CHECK_MS)
        .await
        .map_err(|_| AgentFailure::Unreachable)?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    let body = json(response).await.ok_or(AgentFailure::Unreachable)?;
    if Reflect::get(&body, &JsValue::from_str("pcsc")).ok().and_then(|v| v.as_bool()) != Some(true) {
        return Err(AgentFailure::Code("no_service".into()));
    }
    let readers = Reflect::get(&body, &JsValue::from_str("lecteurs")).ok().and_then(|r| r.dyn_into::<Array>().ok());
    Ok(readers
        .iter()
        .flat_map(|a| a.iter())
        .filter_map(|r| {
            Some(Reader {
                name: string(&r, "nom")?,
                card: Reflect::get(&r, &JsValue::from_str("carte_presente")).ok()?.as_bool()?,
                kind: string(&r, "type_carte"),
                tries: number(&r, "essais_restants"),
            })
        })
        .collect())
}

fn path(base: &str, reader: &str, what: &str) -> String {
    format!("{base}/v1/cards/{}/{what}", String::from(js_sys::encode_uri_component(reader)))
}

fn holder(body: &JsValue) -> Option<CardHolder> {
    let certificate = Reflect::get(body, &JsValue::from_str("certificat")).ok()?;
    Some(CardHolder {
        data: CardData {
            identifiant_national: string(body, "identifiant_national")?,
            rpps: string(body, "rpps"),
            adeli: string(body, "adeli"),
            prenom: string(body, "prenom").unwrap_or_default(),
            nom: string(body, "nom").unwrap_or_default(),
            profession: string(body, "profession"),
            civilite: string(body, "civilite"),
            specialite: string(body, "specialite"),
            certificat: string(&certificate, "empreinte_sha256")?,
        },
        titre: string(body, "titre").unwrap_or_default(),
    })
}

async fn read(request: RequestBuilder, body: Option<String>) -> Result<CardHolder, AgentFailure> {
    let response = send(request, body, READ_MS)
        .await
        .map_err(|aborted| if aborted { AgentFailure::TooLong } else { AgentFailure::Unreachable })?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    json(response).await.as_ref().and_then(holder).ok_or(AgentFailure::Code("card_error".into()))
}

/// What the card shows without the PIN.
pub async fn identity(base: &str, reader: &str) -> Result<CardHolder, AgentFailure> {
    read(Request::get(&path(base, reader, "identity")), None).await
}

/// Verifies the PIN on the card (through the local agent only) and reads the full identity.
pub async fn verify_pin(base: &str, reader: &str, pin: &str) -> Result<CardHolder, AgentFailure> {
    let body = js_sys::Object::new();
    let _ = Reflect::set(&body, &JsValue::from_str("pin"), &JsValue::from_str(pin));
    let body = String::from(js_sys::JSON::stringify(&body).map_err(|_| AgentFailure::Unreachable)?);
    read(Request::post(&path(base, reader, "verify-pin")).header("Content-Type", "application/json"), Some(body)).await
}
