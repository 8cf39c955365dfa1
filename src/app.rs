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
use promess_core::{OperatorConfig, Step};
use std::rc::Rc;

/// The operator's settings, from `<meta name="promess:…">` in index.html, so an operator changes them
/// without rebuilding.
fn operator_config() -> OperatorConfig {
    let meta = |name: &str| {
        document()
            .query_selector(&format!("meta[name='promess:{name}']"))
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
            .filter(|c| !c.trim().is_empty())
    };
    let default = OperatorConfig::default();
    OperatorConfig {
        domain: meta("domaine").unwrap_or(default.domain),
        mssante_domain: meta("domaine-mssante").unwrap_or(default.mssante_domain),
    }
}

/// Rates passwords for step 3; shared through the context.
#[derive(Clone)]
pub struct Strength(pub Rc<Scheduler>);

#[component]
pub fn App(estimator: Estimator) -> impl IntoView {
    let wizard = Wizard::new(storage::load(), operator_config());
    provide_context(wizard);
    Effect::new(move |_| wizard.draft.with(storage::save));
    let scheduler = Scheduler::new(&estimator, move |password, score| wizard.scored.set(Some((password, score))));
    provide_context(StoredValue::new_local(Strength(scheduler)));

    let nav = Nav::install();
    provide_context(nav);
    let path = Memo::new(move |_| nav.path());
    let screen = move || {
        let path = path.get();
        match path.as_str() {
            p if p == route(Step::Carte) => Carte().into_any(),
            p if p == route(Step::Donnees) => Donnees().into_any(),
            p if p == route(Step::Identifiant) => Identifiant().into_any(),
            p if p == route(Step::Adhesion) => Adhesion().into_any(),
            RECAP => Recapitulatif().into_any(),
            CONFIRMATION => Confirmation().into_any(),
            _ => NotFound().into_any(),
        }
    };
    view! {
        <Header />
        <main id="contenu">{screen}</main>
        <Footer />
    }
}
