//! The draft survives a reload in sessionStorage (this tab only, gone when it closes). The password is not in
//! the draft type at all, so it cannot be written.
use promess_core::Draft;
use web_sys::Storage;

/// The sessionStorage key of the draft; the version changes with the draft's shape.
pub const DRAFT_KEY: &str = "promess-inscription:brouillon:v1";

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The saved draft, or an empty one (nothing saved, storage disabled, or a draft of an older shape).
pub fn load() -> Draft {
    session()
        .and_then(|s| s.get_item(DRAFT_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

pub fn save(draft: &Draft) {
    if let (Some(storage), Ok(json)) = (session(), serde_json::to_string(draft)) {
        // A full or disabled storage only loses the reload safety net, never the answers on screen.
        let _ = storage.set_item(DRAFT_KEY, &json);
    }
}

pub fn clear() {
    if let Some(storage) = session() {
        let _ = storage.remove_item(DRAFT_KEY);
    }
}
