//! The page before the app. The release build prerenders steps 1 and 2 into index.html (`promess-prerender` prints
//! [`render`]; scripts/prerender puts it in the page), so step 1 shows with the first bytes, and a small script of
//! index.html lets a professional choose « Non, je n'ai pas de carte CPS » and fill in step 2 while the app is still
//! downloading. That script shows the page at step 1 only, and takes the user to its step 2 only when no draft is
//! saved (a returning user's « Non » waits for the app, which has the answers); on a first visit in the tab it does
//! not read the storage, and should a draft be there after all, the app brings its answers in when it takes over.
//! On other screens the page stays hidden and the app draws everything, as without it.
//!
//! When the app starts, it takes over ([`take_over`], then [`Handover::apply`] once mounted): the answers typed, the
//! field in use with its caret, and a click the page could not handle (« Oui, j'ai une carte CPS », « Suivant »)
//! go to the app's own screen, which is drawn by the same components, so ids and layout are the same. Nothing typed
//! is lost and nothing moves.

/// The prerendered page's element.
pub const SHELL_ID: &str = "coquille";

#[cfg(target_arch = "wasm32")]
pub use takeover::{Handover, take_over};

#[cfg(target_arch = "wasm32")]
mod takeover {
    use super::SHELL_ID;
    use crate::{app::preload_first_steps, layout::route, router::location_path, storage};
    use leptos::prelude::*;
    use promess_core::Step;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{Event, EventInit, HtmlElement, HtmlInputElement};

    /// What the prerendered page held when the app took over.
    pub struct Handover {
        /// (id, value) of the fields filled in, in the page's order.
        values: Vec<(String, String)>,
        /// The field in use, and its selection when it has one.
        focus: Option<(String, Option<(u32, u32)>)>,
        /// The id of a button clicked and not handled yet.
        click: Option<String>,
    }

    /// Removes the prerendered page, if it is there, and returns what the user did in it. The chunk of steps 1
    /// and 2 is fetched first (again every 2 s after a network failure), the page staying in use meanwhile: the
    /// app's screen then replaces the page's at once.
    pub async fn take_over() -> Option<Handover> {
        let shell = document().get_element_by_id(SHELL_ID)?;
        if !document().document_element().is_some_and(|root| root.has_attribute("data-coquille")) {
            // Not of use here (another screen): index.html's first script did not show it.
            remove(&shell);
            return None;
        }
        while preload_first_steps().await.is_err() {
            let wait = js_sys::Promise::new(&mut |done, _| {
                let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&done, 2000);
            });
            let _ = wasm_bindgen_futures::JsFuture::from(wait).await;
        }
        // From here on nothing waits: no event comes between reading the page and the app drawing its screen.
        let path = location_path();
        if path == route(Step::Donnees) {
            let mut draft = storage::load();
            draft.leave_card();
            storage::save(&draft);
        }
        let mut values = Vec::new();
        if let Ok(Some(screen)) = shell.query_selector(&format!("[data-ecran='{path}']")) {
            for field in elements(screen.query_selector_all("input[id], select[id]")) {
                let value = value_of(&field);
                if !value.is_empty() {
                    values.push((field.id(), value));
                }
            }
        }
        let focus = document().active_element().filter(|e| !e.id().is_empty() && shell.contains(Some(e))).map(|e| {
            let selection = e
                .dyn_ref::<HtmlInputElement>()
                .and_then(|i| Some((i.selection_start().ok().flatten()?, i.selection_end().ok().flatten()?)));
            (e.id(), selection)
        });
        let click = shell.get_attribute("data-clic").filter(|c| !c.is_empty());
        remove(&shell);
        Some(Handover { values, focus, click })
    }

    /// Removes the page, and what is left of step 2 outside it (scripts/prerender): its template if the page never
    /// showed it, the text of its groups if they were not put in yet.
    fn remove(shell: &web_sys::Element) {
        shell.remove();
        for left in elements(document().query_selector_all("template[data-coquille], script[data-suite]")) {
            left.remove();
        }
    }

    /// The elements a `querySelectorAll` found.
    fn elements(found: Result<web_sys::NodeList, JsValue>) -> impl Iterator<Item = web_sys::Element> {
        let list = found.ok();
        let count = list.as_ref().map_or(0, |list| list.length());
        (0..count).filter_map(move |i| list.as_ref()?.item(i)?.dyn_into().ok())
    }

    fn value_of(field: &JsValue) -> String {
        js_sys::Reflect::get(field, &"value".into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
    }

    impl Handover {
        /// Gives the app's screen, now drawn, what the page held: each answer as if typed (the app's own handlers
        /// store and check it), then the focus, then the pending click.
        pub fn apply(self) {
            let init = EventInit::new();
            init.set_bubbles(true);
            for (id, value) in self.values {
                let Some(field) = document().get_element_by_id(&id) else { continue };
                let _ = js_sys::Reflect::set(&field, &"value".into(), &value.into());
                for kind in ["input", "change"] {
                    if let Ok(event) = Event::new_with_event_init_dict(kind, &init) {
                        let _ = field.dispatch_event(&event);
                    }
                }
            }
            if let Some((id, selection)) = self.focus {
                if let Some(field) = document().get_element_by_id(&id).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                    let _ = field.focus();
                    if let (Some((start, end)), Some(input)) = (selection, field.dyn_ref::<HtmlInputElement>()) {
                        let _ = input.set_selection_range(start, end);
                    }
                }
            }
            if let Some(button) = self.click.and_then(|id| document().get_element_by_id(&id)) {
                if let Some(button) = button.dyn_ref::<HtmlElement>() {
                    button.click();
                }
            }
        }
    }
}

/// The page before the app, drawn by the app's components for a new draft: [`Prerendered::shell`] goes where step 1
/// should show, [`Prerendered::later`] after index.html's script, so that it is parsed once step 1 can paint.
#[cfg(not(target_arch = "wasm32"))]
pub struct Prerendered {
    /// The page with step 1. Each screen says its route and its document title; the root says the draft's storage
    /// key (a saved draft means a returning user, for whom the app draws the page itself).
    pub shell: String,
    /// Step 2 in a `<template data-coquille>`, moved into the page's `<main>` when first shown: inert until then,
    /// its hundreds of nodes cost the first paint nothing. scripts/prerender keeps its groups after the first as
    /// text, put in once its top has been shown.
    pub later: String,
}

/// Draws [`Prerendered`].
#[cfg(not(target_arch = "wasm32"))]
pub fn render() -> Prerendered {
    use crate::{
        layout::{Footer, Header, page_title, route, step_title},
        router::Nav,
        state::Wizard,
        steps::{Carte, Donnees},
        storage::DRAFT_KEY,
    };
    use leptos::prelude::*;
    use promess_core::{Draft, OperatorConfig, Step};

    /// Effects and tasks do not run: the page is what the components draw first.
    struct Inert;
    impl any_spawner::CustomExecutor for Inert {
        fn spawn(&self, _: any_spawner::PinnedFuture<()>) {}
        fn spawn_local(&self, _: any_spawner::PinnedLocalFuture<()>) {}
        fn poll_local(&self) {}
    }
    let _ = any_spawner::Executor::init_custom_executor(Inert);

    // A page drawn once, with nothing to react to.
    Owner::new().with(|| {
        untrack(|| {
            let mut draft = Draft::default();
            draft.leave_card();
            provide_context(Wizard::new(draft, OperatorConfig::default()));
            provide_context(Nav::at(route(Step::Donnees)));
            let title = |step| page_title(&step_title(step));
            let shell = view! {
                <div id=SHELL_ID data-brouillon=DRAFT_KEY>
                    <Header />
                    <main id="contenu">
                        <div data-ecran=route(Step::Carte) data-titre=title(Step::Carte)>
                            <Carte />
                        </div>
                    </main>
                    <Footer />
                </div>
            };
            let later = view! {
                <template data-coquille="">
                    <div data-ecran=route(Step::Donnees) data-titre=title(Step::Donnees) hidden>
                        <Donnees />
                    </div>
                </template>
            };
            Prerendered { shell: shell.to_html(), later: later.to_html() }
        })
    })
}
