//! The draft survives a reload in sessionStorage (this tab only, gone when it closes). The password is not in
//! the draft type at all, so it cannot be written. The draft is kept as URL-encoded text pairs, which the browser
//! encodes and decodes itself: no JSON parser in the wasm.
use promess_core::Draft;
use web_sys::{Storage, UrlSearchParams};

/// The sessionStorage key of the draft; the version changes with the draft's shape.
pub const DRAFT_KEY: &str = "promess-inscription:brouillon:v2";

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The stored text of a draft.
pub fn encode(draft: &Draft) -> String {
    let params = UrlSearchParams::new().expect("URLSearchParams");
    for (key, value) in draft.to_text_pairs() {
        params.append(key, &value);
    }
    params.to_string().into()
}

fn decode(text: &str) -> Option<Draft> {
    let params = UrlSearchParams::new_with_str(text).ok()?;
    let values: Vec<(&str, String)> = Draft::TEXT_KEYS.iter().filter_map(|k| params.get(k).map(|v| (*k, v))).collect();
    Some(Draft::from_text_pairs(values.iter().map(|(k, v)| (*k, v.as_str()))))
}

/// The saved draft, or an empty one (nothing saved, storage disabled).
pub fn load() -> Draft {
    session().and_then(|s| s.get_item(DRAFT_KEY).ok().flatten()).and_then(|text| decode(&text)).unwrap_or_default()
}

pub fn save(draft: &Draft) {
    if let Some(storage) = session() {
        // A full or disabled storage only loses the reload safety net, never the answers on screen.
        let _ = storage.set_item(DRAFT_KEY, &encode(draft));
    }
}

pub fn clear() {
    if let Some(storage) = session() {
        let _ = storage.remove_item(DRAFT_KEY);
    }
}
