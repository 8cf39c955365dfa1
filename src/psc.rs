//! Pro Santé Connect in the wizard. The server does the protocol: the page only offers the way (`Choice`, shown
//! when the server says it is configured), follows `/psc/connexion` as a plain link, and, back from PSC, reads what
//! the server verified with the one-time handle of the URL's fragment (`take_return`, on step 2), or shows why it
//! failed (`#psc-erreur=…`, on step 1). The fragment is removed at once: it never stays in the history.
use crate::{api, card::Js, state::Wizard};
use gloo_net::http::Request;
use leptos::{prelude::*, task::spawn_local};
use promess_core::{
    ErrorCode, Field, FieldErrors,
    psc::{ERROR_KEY, HANDLE_KEY, PscIdentity, PscOffer, START_PATH},
};

/// The value of `#key=value` in the page's address, if that is its fragment.
fn fragment(key: &str) -> Option<String> {
    let hash = window().location().hash().ok()?;
    let (k, value) = hash.strip_prefix('#')?.split_once('=')?;
    (k == key && !value.is_empty()).then(|| value.to_owned())
}

/// The address without its fragment, in place (no new history entry).
fn drop_fragment() {
    let location = window().location();
    let path = location.pathname().unwrap_or_else(|_| "/".into());
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

/// Why Pro Santé Connect failed, in French.
fn failure(code: ErrorCode) -> String {
    format!("Pro Santé Connect : {}", code.text(Field::Mode))
}

/// Whether the server offers Pro Santé Connect (`GET /api/psc`).
async fn offered() -> bool {
    let Ok(response) = Request::get("/api/psc").send().await else { return false };
    if !response.ok() {
        return false;
    }
    api::json(response).await.and_then(|b| PscOffer::read(&Js(b))).is_some_and(|o| o.disponible)
}

/// What the server verified with PSC for this handle (this browser's cookie goes with the request).
async fn identity(handle: &str) -> Result<PscIdentity, ErrorCode> {
    let url = format!("/api/psc/identites/{handle}");
    let response = Request::get(&url).send().await.map_err(|_| ErrorCode::PscUnavailable)?;
    let status = response.status();
    let body = api::json(response).await.map(Js);
    match (status, body) {
        (200, Some(b)) => PscIdentity::read(&b).ok_or(ErrorCode::PscUnavailable),
        (422, Some(b)) => Err(FieldErrors::read(&b).first(Field::Mode).unwrap_or(ErrorCode::PscHandleUnknown)),
        _ => Err(ErrorCode::PscUnavailable),
    }
}

/// Back from PSC on step 2: step 2 filled in from what the server verified; on a failure, step 1 with its reason.
pub fn take_return(wizard: Wizard) {
    // The page is also drawn natively (scripts/prerender), where there is no address to read.
    if !cfg!(target_arch = "wasm32") {
        return;
    }
    let Some(handle) = fragment(HANDLE_KEY) else { return };
    drop_fragment();
    // Step 1 is answered now (step 2 is reachable), its fields come with the answer.
    wizard.draft.update(|d| {
        d.leave_proof();
        d.mode = Some(promess_core::registration::Mode::Psc);
    });
    spawn_local(async move {
        match identity(&handle).await {
            Ok(id) => wizard.draft.update(|d| d.fill_from_psc(&handle, &id)),
            Err(code) => {
                let _ = window().location().replace(&format!("/#{ERROR_KEY}={}", code.key()));
            }
        }
    });
}

/// On step 1: « Se connecter avec Pro Santé Connect », when the server offers it, and why the last journey failed.
#[component]
pub fn Choice() -> impl IntoView {
    let shown = RwSignal::new(false);
    // Drawn natively too (scripts/prerender): there, no address and no server to ask.
    let error = if cfg!(target_arch = "wasm32") {
        spawn_local(async move { shown.set(offered().await) });
        fragment(ERROR_KEY).and_then(|k| ErrorCode::from_key(&k)).map(failure)
    } else {
        None
    };
    if error.is_some() {
        drop_fragment();
    }
    view! {
        {error.map(|e| view! { <p class="erreur" id="psc-erreur" role="alert">{e}</p> })}
        {move || shown.get().then(|| view! {
            <p class="choix-psc">
                <a id="avec-psc" class="bouton" href=START_PATH rel="external">
                    "> Se connecter avec Pro Santé Connect (e-CPS ou carte CPS)"
                </a>
            </p>
        })}
    }
}
