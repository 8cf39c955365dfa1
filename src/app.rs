//! The application: state, persistence, password rating and routes.
use crate::{
    layout::{CONFIRMATION, Footer, Header, RECAP, route},
    router::Nav,
    state::Wizard,
    steps::{Adhesion, Carte, Confirmation, Donnees, Identifiant, NotFound, Recapitulatif},
    storage,
    strength::{Estimator, Scheduler},
};
use leptos::prelude::*;
use promess_core::{Draft, OperatorConfig, Step, registration::examples};
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

/// The screens after step 1. In the split release build (feature `split`, scripts/split) each one is in its own chunk
/// of the wasm, fetched when first shown (and preloaded once step 1 is up), so that the first download holds step 1
/// only; elsewhere (`trunk serve`, the tests) they are ordinary functions of the one wasm.
macro_rules! lazy_screens {
    ($($name:ident => $component:ident),* $(,)?) => {
        $(
            #[cfg_attr(feature = "split", leptos::lazy)]
            async fn $name() -> AnyView {
                $component().into_any()
            }
        )*
    };
}

lazy_screens! {
    donnees => Donnees,
    identifiant => Identifiant,
    adhesion => Adhesion,
    recapitulatif => Recapitulatif,
    confirmation => Confirmation,
}

/// Fetches every screen's chunk, in the order of the procedure, while the user reads step 1 (`#[lazy]` names each
/// chunk's loader `__preload_<screen>`).
#[cfg(feature = "split")]
async fn preload() {
    __preload_donnees().await;
    crate::steps::__preload_card_flow().await;
    __preload_identifiant().await;
    crate::strength::__preload_worker_sender().await;
    __preload_adhesion().await;
    __preload_recapitulatif().await;
    __preload_confirmation().await;
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
    let screen = move || {
        let path = path.get();
        Suspend::new(async move {
            match path.as_str() {
                p if p == route(Step::Carte) => Carte().into_any(),
                p if p == route(Step::Donnees) => donnees().await,
                p if p == route(Step::Identifiant) => identifiant().await,
                p if p == route(Step::Adhesion) => adhesion().await,
                RECAP => recapitulatif().await,
                CONFIRMATION => confirmation().await,
                _ => NotFound().into_any(),
            }
        })
    };
    #[cfg(feature = "split")]
    leptos::task::spawn_local(preload());
    view! {
        <Header />
        <main id="contenu">{screen}</main>
        <Footer />
    }
}
