//! The wizard's router: the current path as a signal, in step with the browser's history (links, back and
//! forward, typed URLs). The wizard has six flat routes; this is all it needs of a router, at a fraction of the
//! weight of a general one.
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

#[derive(Clone, Copy)]
pub struct Nav {
    path: RwSignal<String>,
}

pub(crate) fn location_path() -> String {
    window().location().pathname().unwrap_or_else(|_| "/".into())
}

impl Nav {
    /// At `path`, following nothing (the prerendered page: see `shell`).
    pub fn at(path: &str) -> Nav {
        Nav { path: RwSignal::new(path.to_owned()) }
    }

    /// Reads the URL and follows history changes until the owner is cleaned up.
    pub fn install() -> Nav {
        let nav = Nav::at(&location_path());
        let popstate = window_event_listener(ev::popstate, move |_| nav.path.set(location_path()));
        let click = window_event_listener(ev::click, move |ev| nav.follow_link(&ev));
        on_cleanup(move || {
            popstate.remove();
            click.remove();
        });
        nav
    }

    /// The current path (reactive).
    pub fn path(&self) -> String {
        self.path.get()
    }

    /// Goes to `to`, as a new history entry.
    pub fn go(&self, to: &str) {
        if let Ok(history) = window().history() {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
        }
        window().scroll_to_with_x_and_y(0.0, 0.0);
        self.path.set(to.to_owned());
    }

    /// Goes to `to` in place of the current entry (a redirect), once the current rendering is over.
    pub fn redirect(&self, to: &'static str) {
        let nav = *self;
        leptos::task::spawn_local(async move {
            if let Ok(history) = window().history() {
                let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
            }
            nav.path.set(to.to_owned());
        });
    }

    /// A plain left click on a same-site link (`href="/…"`) changes the screen without reloading the page.
    fn follow_link(&self, ev: &web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let anchor = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten());
        let Some(anchor) = anchor else { return };
        // `rel="external"`: a page of the server (Pro Santé Connect's journey), not a screen of the wizard.
        let external = anchor.get_attribute("rel").is_some_and(|r| r.split(' ').any(|r| r == "external"));
        if external || anchor.has_attribute("target") || anchor.has_attribute("download") {
            return;
        }
        match anchor.get_attribute("href") {
            Some(href) if href.starts_with('/') && !href.starts_with("//") => {
                ev.prevent_default();
                self.go(&href);
            }
            _ => {}
        }
    }
}

pub fn use_nav() -> Nav {
    expect_context::<Nav>()
}

/// Sends the user elsewhere instead of rendering this screen.
pub fn redirect(to: &'static str) -> AnyView {
    use_nav().redirect(to);
    ().into_any()
}
