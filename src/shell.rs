//! The page before the app. The release build prerenders steps 1 and 2 into index.html (`promess-web --bin prerender`
//! prints [`render`]'s pieces; scripts/prerender puts each at its mark), so step 1 shows with the first bytes, and the page's
//! script (shell.js) lets a professional choose « Non, je n'ai pas de carte CPS » and fill in step 2 while the app is
//! still downloading. That script shows the page at step 1 only, and takes the user to its step 2 only when no draft
//! is saved (a returning user's « Non » waits for the app, which has the answers); on a first visit in the tab it does
//! not read the storage, and should a draft be there after all, the app brings its answers in when it takes over.
//! On other screens the page stays hidden and the app draws everything, as without it.
//!
//! When the app starts, it takes over ([`take_over`], then [`Handover::apply`] once mounted): the answers typed, the
//! field in use with its caret, a click the page could not handle (« Oui, j'ai une carte CPS », « Suivant ») and a
//! press not yet released go to the app's own screen, which is drawn by the same components, so ids and layout are
//! the same. Nothing typed or pressed is lost and nothing moves.

use leptos::prelude::*;

/// The page's contract: the ids and attributes through which the prerendered page, its script (shell.js, which
/// gets them as `N`), its style and the app speak to each other. Declared here only.
pub mod names {
    /// Each name, and the key shell.js reads it by (`N.key`) when the script uses it.
    macro_rules! names {
        ($($(#[$doc:meta])* $name:ident = $value:literal $(, as $key:ident)?;)*) => {
            $($(#[$doc])* pub const $name: &str = $value;)*

            /// The names as shell.js reads them (`N.shell`, `N.main`…).
            #[cfg(not(target_arch = "wasm32"))]
            pub(super) const ALL: &[(&str, &str)] = &[$($((stringify!($key), $name),)?)*];
        };
    }

    names! {
        /// The page's element (its id); the components' `<main>` in it is [`MAIN`].
        SHELL = "coquille", as shell;
        /// The screens' `<main>`, in the page and in the app.
        MAIN = "contenu", as main;
        /// On the root: the page is of use here (step 1) and shown. On step 2's template: moved in when first shown.
        SHOWN = "data-coquille", as shown;
        /// A screen of the page: its route.
        SCREEN = "data-ecran", as screen;
        /// A screen's document title.
        TITLE = "data-titre", as title;
        /// On the page: the draft's storage key (a saved draft means a returning user).
        DRAFT = "data-brouillon", as draft;
        /// A button that leads to a screen of the page: its route.
        TO = "data-vers", as to;
        /// On the page: the id of a button clicked, left for the app to click.
        CLICK = "data-clic", as click;
        /// On the page: the id of a button pressed and not released yet.
        PRESS = "data-presse", as press;
        /// A screen's part below its top, as text until the top has been painted ([`super::Later`]).
        LATER = "data-suite", as later;
        /// A long list's options, drawn on first use (src/fields.rs).
        OPTIONS = "data-options", as options;
        /// The element whose arrival the first paint waits for: step 1's « Non, je n'ai pas de carte CPS ».
        NO_CARD = "sans-carte";
    }
}

/// Children below a screen's top: drawn with it by the app; in the prerendered page, kept as text (a
/// `<script type="text/html">`, cheap to parse) that shell.js puts in once the top has been painted.
#[component]
pub fn Later(children: Children) -> impl IntoView {
    #[cfg(not(target_arch = "wasm32"))]
    if use_context::<Prerendering>().is_some() {
        use leptos::tachys::html::attribute::custom::custom_attribute;
        let text = children().to_html();
        assert!(!text.to_ascii_lowercase().contains("</script"), "a screen's later part cannot be kept as text");
        return view! { <script type="text/html" {..custom_attribute(names::LATER, "")} inner_html=text></script> }
            .into_any();
    }
    children()
}

/// Provided while the page is drawn natively ([`render`]).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy)]
struct Prerendering;

#[cfg(target_arch = "wasm32")]
pub use takeover::{Handover, take_over};

#[cfg(target_arch = "wasm32")]
mod takeover {
    use super::names::{CLICK, PRESS, SCREEN, SHELL, SHOWN};
    use crate::{app::preload_first_steps, layout::route, router::location_path, storage};
    use leptos::prelude::*;
    use promess_core::Step;
    use std::{cell::Cell, rc::Rc, time::Duration};
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{Event, EventInit, HtmlElement, HtmlInputElement, Node};

    /// What the prerendered page held when the app took over.
    pub struct Handover {
        /// (id, value) of the fields filled in, in the page's order.
        values: Vec<(String, String)>,
        /// The field in use, and its selection when it has one.
        focus: Option<(String, Option<(u32, u32)>)>,
        /// The id of a button clicked and not handled yet.
        click: Option<String>,
        /// The id of a button pressed and not released yet.
        press: Option<String>,
    }

    /// Removes the prerendered page, if it is there, and returns what the user did in it. The chunk of steps 1
    /// and 2 is fetched first (again every 2 s after a network failure), the page staying in use meanwhile: the
    /// app's screen then replaces the page's at once.
    pub async fn take_over() -> Option<Handover> {
        let shell = document().get_element_by_id(SHELL)?;
        if !document().document_element().is_some_and(|root| root.has_attribute(SHOWN)) {
            // Not of use here (another screen): the head's script did not show it.
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
            draft.leave_proof();
            storage::save(&draft);
        }
        let mut values = Vec::new();
        if let Ok(Some(screen)) = shell.query_selector(&format!("[{SCREEN}='{path}']")) {
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
        let [click, press] = [CLICK, PRESS].map(|name| shell.get_attribute(name).filter(|id| !id.is_empty()));
        remove(&shell);
        Some(Handover { values, focus, click, press })
    }

    /// Removes the page, and step 2's template if the page never showed it.
    fn remove(shell: &web_sys::Element) {
        shell.remove();
        for left in elements(document().query_selector_all(&format!("template[{SHOWN}]"))) {
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
        /// store and check it), then the focus, then the pending click or press.
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
            if let Some((id, selection)) = self.focus
                && let Some(field) = document().get_element_by_id(&id).and_then(|e| e.dyn_into::<HtmlElement>().ok())
            {
                let _ = field.focus();
                if let (Some((start, end)), Some(input)) = (selection, field.dyn_ref::<HtmlInputElement>()) {
                    let _ = input.set_selection_range(start, end);
                }
            }
            if let Some(button) = self.click.and_then(|id| document().get_element_by_id(&id))
                && let Some(button) = button.dyn_ref::<HtmlElement>()
            {
                button.click();
            }
            if let Some(button) = self.press.and_then(|id| document().get_element_by_id(&id))
                && let Ok(button) = button.dyn_into::<HtmlElement>()
            {
                carry_press(button);
            }
        }
    }

    /// A press begun on the page's button, whose node is gone, ends on the app's: released over it, it clicks it
    /// once (the browser sends that click to no button, the press having begun on a node no longer there; should it
    /// send one to this button, it is the only one).
    fn carry_press(button: HtmlElement) {
        let clicked = Rc::new(Cell::new(false));
        let listeners: Rc<Cell<Vec<WindowListenerHandle>>> = Rc::default();
        let end = Rc::new({
            let (button, clicked, listeners) = (button.clone(), clicked.clone(), listeners.clone());
            move |released_over: bool| {
                let handles = listeners.take();
                if handles.is_empty() {
                    return;
                }
                let (button, clicked) = (button.clone(), clicked.clone());
                // After the release's own events, its click among them.
                let after = move || {
                    if released_over && !clicked.get() {
                        button.click();
                    }
                    handles.into_iter().for_each(WindowListenerHandle::remove);
                };
                set_timeout(after, Duration::ZERO);
            }
        });
        let on_click = window_event_listener(leptos::ev::click, {
            let button = button.clone();
            move |e| clicked.set(clicked.get() || inside(&button, e.target()))
        });
        let on_up = window_event_listener(leptos::ev::pointerup, {
            let end = end.clone();
            move |e| end(inside(&button, e.target()))
        });
        let on_cancel = window_event_listener(leptos::ev::pointercancel, move |_| end(false));
        listeners.set(vec![on_click, on_up, on_cancel]);
    }

    fn inside(element: &HtmlElement, target: Option<web_sys::EventTarget>) -> bool {
        target.and_then(|t| t.dyn_into::<Node>().ok()).is_some_and(|t| element.contains(Some(&t)))
    }
}

/// The app's loader, as trunk wrote it in dist/index.html: shell.js runs it once the page has painted.
#[cfg(not(target_arch = "wasm32"))]
#[derive(serde::Deserialize)]
pub struct Loader {
    /// The app's JavaScript module.
    pub module: String,
    /// The app's main wasm.
    pub wasm: String,
    /// The `<link>`s that preload them.
    pub preloads: String,
    /// What trunk runs once the app has started (with `bindings` and `wasm` in scope).
    pub started: String,
}

/// The page before the app, drawn by the app's components for a new draft, in the pieces index.html marks.
#[cfg(not(target_arch = "wasm32"))]
pub struct Prerendered {
    /// In the head, before anything is painted: the first paint waits for step 1's choice; the page is shown at
    /// step 1 only, from its first bytes.
    pub head: String,
    /// Step 1, then the page's script. Each screen says its route and its document title; the root says the draft's
    /// storage key (a saved draft means a returning user, for whom the app draws the page itself).
    pub shell: String,
    /// Step 2 in a template, moved into the page's `<main>` when first shown: inert until then, its hundreds of nodes
    /// cost the first paint nothing; below its first group, text until its top has been shown ([`Later`]).
    pub later: String,
}

/// Draws [`Prerendered`], the app started by `loader`.
#[cfg(not(target_arch = "wasm32"))]
pub fn render(loader: &Loader) -> Prerendered {
    use crate::{
        layout::{Footer, Header, page_title, route, step_title},
        router::Nav,
        state::Wizard,
        steps::{Carte, Donnees},
        storage::DRAFT_KEY,
    };
    use leptos::tachys::html::attribute::custom::custom_attribute as attr;
    use names::*;
    use promess_core::{Draft, OperatorConfig, Step};

    /// Effects and tasks do not run: the page is what the components draw first.
    struct Inert;
    impl any_spawner::CustomExecutor for Inert {
        fn spawn(&self, _: any_spawner::PinnedFuture<()>) {}
        fn spawn_local(&self, _: any_spawner::PinnedLocalFuture<()>) {}
        fn poll_local(&self) {}
    }
    let _ = any_spawner::Executor::init_custom_executor(Inert);

    let head = format!(
        "<link rel=\"expect\" href=\"#{NO_CARD}\" blocking=\"render\" />\
         <style>:root:not([{SHOWN}]) #{SHELL} {{ display: none; }} #{SHELL}[{CLICK}] {{ cursor: progress; }}</style>\
         <script>if (location.pathname === {}) document.documentElement.setAttribute({}, \"\");</script>",
        js(route(Step::Carte)),
        js(SHOWN)
    );
    // A page drawn once, with nothing to react to.
    let (shell, later) = Owner::new().with(|| {
        untrack(|| {
            let mut draft = Draft::default();
            draft.leave_proof();
            provide_context(Wizard::new(draft, OperatorConfig::default()));
            provide_context(Nav::at(route(Step::Donnees)));
            provide_context(Prerendering);
            let screen = |step| (attr(SCREEN, route(step)), attr(TITLE, page_title(&step_title(step))));
            let shell = view! {
                <div id={SHELL} {..attr(DRAFT, DRAFT_KEY)}>
                    <Header />
                    <main id=MAIN>
                        <div {..screen(Step::Carte)}>
                            <Carte />
                        </div>
                    </main>
                    <Footer />
                </div>
            };
            let later = view! {
                <template {..attr(SHOWN, "")}>
                    <div hidden {..screen(Step::Donnees)}>
                        <Donnees />
                    </div>
                </template>
            };
            (shell.to_html(), later.to_html())
        })
    });
    let table = ALL.iter().map(|(key, name)| format!("{key}: {}", js(name))).collect::<Vec<_>>().join(", ");
    let start = format!(
        "async () => {{ document.head.insertAdjacentHTML(\"beforeend\", {}); const bindings = await import({}); \
         const wasm = await bindings.default({{ module_or_path: {} }}); {} }}",
        js(&loader.preloads),
        js(&loader.module),
        js(&loader.wasm),
        loader.started.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
    );
    let script: String =
        include_str!("shell.js").lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let shell = format!("{shell}<script>({})({{ {table} }}, {start});</script>", script.trim());
    Prerendered { head, shell, later }
}

/// `text` as a JavaScript string in an HTML `<script>`.
#[cfg(not(target_arch = "wasm32"))]
fn js(text: &str) -> String {
    serde_json::to_string(text).expect("a string").replace("</", "<\\/")
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{Loader, names::*, render};
    use std::collections::BTreeSet;

    /// The keys shell.js reads (`N.key`).
    fn keys_read_by_the_script() -> BTreeSet<String> {
        let script = include_str!("shell.js");
        let mut keys = BTreeSet::new();
        for (at, _) in script.match_indices("N.") {
            let before = script[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let key: String = script[at + 2..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            keys.insert(key);
        }
        keys
    }

    #[test]
    fn the_script_reads_exactly_the_names_it_is_given() {
        let given: BTreeSet<String> = ALL.iter().map(|(key, _)| key.to_string()).collect();
        assert_eq!(keys_read_by_the_script(), given);
        let values: BTreeSet<&str> = ALL.iter().map(|(_, name)| *name).collect();
        assert_eq!(values.len(), ALL.len(), "two keys for one name");
    }

    #[test]
    fn the_page_is_drawn_with_its_names_and_starts_the_app_it_is_given() {
        let loader = Loader {
            module: "/promess-web-1a2b.js".into(),
            wasm: "/promess-web-1a2b_bg.wasm".into(),
            preloads: r#"<link rel="modulepreload" href="/promess-web-1a2b.js">"#.into(),
            started: "\n  dispatchEvent(new CustomEvent(\"TrunkApplicationStarted\"));\n\n".into(),
        };
        let page = render(&loader);
        assert!(page.head.contains(&format!("href=\"#{NO_CARD}\" blocking=\"render\"")), "{}", page.head);
        assert!(page.head.contains(&format!(":root:not([{SHOWN}]) #{SHELL}")), "{}", page.head);
        for piece in
            [format!("id=\"{SHELL}\""), format!("id=\"{MAIN}\""), format!("id=\"{NO_CARD}\""), format!("{TO}=\"")]
        {
            assert!(page.shell.contains(&piece), "step 1 lacks {piece}");
        }
        // The app's loader is in the page's script, and no comment line of shell.js is.
        for piece in [
            r#"import("/promess-web-1a2b.js")"#,
            r#"module_or_path: "/promess-web-1a2b_bg.wasm""#,
            r#"<link rel=\"modulepreload\" href=\"/promess-web-1a2b.js\">"#,
            r#"dispatchEvent(new CustomEvent("TrunkApplicationStarted"));"#,
            r#"shell: "coquille""#,
        ] {
            assert!(page.shell.contains(piece), "the page's script lacks {piece}");
        }
        assert!(!page.shell.contains("\n//") && !page.shell.contains("\n  //"), "a comment line is in the page");
        assert!(page.later.starts_with(&format!("<template {SHOWN}")), "{}", &page.later[..80]);
        // Step 2's top is markup; its last group (the fax) is in the text after it.
        let later = page.later.find(&format!("<script type=\"text/html\" {LATER}")).expect("step 2's later part");
        let [nom, fax] = ["id=\"nom\"", "id=\"fax\""].map(|id| page.later.find(id).expect(id));
        assert!(nom < later && later < fax, "nom at {nom}, the later part at {later}, fax at {fax}");
    }
}
