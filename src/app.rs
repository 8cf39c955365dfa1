//! The application: state, persistence, password rating and routes.
use crate::{
    layout::{CONFIRMATION, Footer, Header, RECAP, route},
    router::Nav,
    shell::names::MAIN,
    split::{Loaded, lazy_fn, lazy_view},
    state::Wizard,
    steps::{Adhesion, Carte, Confirmation, Confirmer, Donnees, Identifiant, NotFound, Recapitulatif, card_flow},
    storage,
    strength::{Estimator, Scheduler, Sender, worker_sender},
};
use leptos::prelude::*;
use promess_core::{Draft, OperatorConfig, Step, lifecycle::CONFIRM_PATH, registration::examples};
use promess_strength::StrengthReply;
use std::rc::Rc;

/// An operator setting of index.html, `<meta name="promess:{name}" content="…">`, when not empty.
pub fn meta(name: &str) -> Option<String> {
    document()
        .query_selector(&format!("meta[name='promess:{name}']"))
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
        .filter(|c| !c.trim().is_empty())
}

/// The operator's settings, from `<meta name="promess:…">` in index.html, so an operator changes them
/// without rebuilding.
fn operator_config() -> OperatorConfig {
    let default = OperatorConfig::default();
    OperatorConfig {
        domain: meta("domaine").unwrap_or(default.domain),
        mssante_domain: meta("domaine-mssante").unwrap_or(default.mssante_domain),
    }
}

/// The saved draft; with `?demo=1` and no answer saved beyond step 1's choice, the example answers (benchmarks and
/// demos open step 3 at once). Typed answers are never replaced.
fn initial_draft() -> Draft {
    let saved = storage::load();
    let demo = window().location().search().is_ok_and(|q| q.trim_start_matches('?').split('&').any(|p| p == "demo=1"));
    if demo && saved == (Draft { mode: saved.mode, ..Draft::default() }) { examples::valid_draft() } else { saved }
}

/// Steps 1 and 2, which every visit starts with.
pub(crate) struct FirstSteps {
    pub carte: fn() -> AnyView,
    pub donnees: fn() -> AnyView,
}

lazy_fn! {
    /// Steps 1 and 2, in their own chunk in the split release build (see `split`). On a first visit they are in the
    /// page itself (`shell`), and the app takes the page over once this chunk is in.
    fn first_steps() -> FirstSteps {
        FirstSteps { carte: || Carte().into_any(), donnees: || Donnees().into_any() }
    }
}

/// Every other lazy part, in one chunk: the screens after step 2, the card path and the strength worker's bridge.
/// Two split points make three chunks (step 2, the rest, and what they share), so a screen costs at most a couple of
/// requests; a split point per screen made dozens of chunks, one per set of screens sharing some code.
pub(crate) struct Later {
    pub identifiant: fn() -> AnyView,
    pub adhesion: fn() -> AnyView,
    pub recapitulatif: fn() -> AnyView,
    pub confirmation: fn() -> AnyView,
    pub confirmer: fn() -> AnyView,
    pub card_flow: fn(ReadSignal<u32>) -> AnyView,
    pub worker_sender: fn(Rc<dyn Fn(StrengthReply)>) -> Sender,
}

lazy_fn! {
    pub(crate) fn later() -> Later {
        Later {
            identifiant: || Identifiant().into_any(),
            adhesion: || Adhesion().into_any(),
            recapitulatif: || Recapitulatif().into_any(),
            confirmation: || Confirmation().into_any(),
            confirmer: || Confirmer().into_any(),
            card_flow,
            worker_sender,
        }
    }
}

/// Fetches the chunk of steps 1 and 2 (split build), so that they then show at once.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // the takeover is in the browser only
pub(crate) async fn preload_first_steps() -> Loaded<()> {
    #[cfg(feature = "split")]
    return __wasm_split_preload_first_steps().await;
    #[cfg(not(feature = "split"))]
    Ok(())
}

/// Fetches the chunks while the user reads step 1: steps 1 and 2 first. A failure is left for the screen that needs the
/// chunk to show (and retry).
#[cfg(feature = "split")]
async fn preload() {
    let _ = preload_first_steps().await;
    let _ = __wasm_split_preload_later().await;
}

/// Rates passwords for step 3; shared through the context.
#[derive(Clone)]
pub struct Strength(pub Rc<Scheduler>);

#[component]
pub fn App(estimator: Estimator) -> impl IntoView {
    let wizard = Wizard::new(initial_draft(), operator_config());
    provide_context(wizard);
    Effect::new(move |_| wizard.draft.with(storage::save));
    let scheduler = Scheduler::new(&estimator, move |password, score| wizard.scored.set(Some((password, score))));
    provide_context(StoredValue::new_local(Strength(scheduler)));

    let nav = Nav::install();
    provide_context(nav);
    let path = Memo::new(move |_| nav.path());
    let retry = RwSignal::new(0u32);
    let screen = move || {
        let path = path.get();
        lazy_view(retry, async move {
            match path.as_str() {
                p if p == route(Step::Carte) => first_steps().await.map(|f| (f.carte)()),
                p if p == route(Step::Donnees) => first_steps().await.map(|f| (f.donnees)()),
                p if p == route(Step::Identifiant) => later().await.map(|l| (l.identifiant)()),
                p if p == route(Step::Adhesion) => later().await.map(|l| (l.adhesion)()),
                RECAP => later().await.map(|l| (l.recapitulatif)()),
                CONFIRMATION => later().await.map(|l| (l.confirmation)()),
                CONFIRM_PATH => later().await.map(|l| (l.confirmer)()),
                _ => Ok(NotFound().into_any()),
            }
        })
    };
    #[cfg(feature = "split")]
    leptos::task::spawn_local(preload());
    view! {
        <Header />
        <main id=MAIN>{screen}</main>
        <Footer />
    }
}
