//! The wizard's addresses: the app shows a screen at each, and the server serves the app's page at each and at no
//! other (an unknown address answers 404).
use crate::{Step, lifecycle::CONFIRM_PATH};

/// The review before sending, and the screen after it.
pub const RECAP: &str = "/recapitulatif";
pub const CONFIRMATION: &str = "/confirmation";

/// The route of a step.
pub const fn route(step: Step) -> &'static str {
    match step {
        Step::Carte => "/",
        Step::Donnees => "/donnees-personnelles",
        Step::Identifiant => "/identifiant",
        Step::Adhesion => "/adhesion",
    }
}

/// Every address of the wizard.
pub const ALL: [&str; 7] = [
    route(Step::Carte),
    route(Step::Donnees),
    route(Step::Identifiant),
    route(Step::Adhesion),
    RECAP,
    CONFIRMATION,
    CONFIRM_PATH,
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_step_has_its_own_address() {
        let mut all = super::ALL.to_vec();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), super::ALL.len());
        assert!(crate::Step::ALL.iter().all(|s| super::ALL.contains(&super::route(*s))));
    }
}
