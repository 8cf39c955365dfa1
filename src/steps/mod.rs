//! The screens, in the order of the procedure.
mod adhesion;
mod carte;
mod confirmation;
mod confirmer;
mod donnees;
mod identifiant;
mod recapitulatif;

pub use adhesion::Adhesion;
pub use carte::Carte;
pub(crate) use carte::card_flow;
pub use confirmation::Confirmation;
pub use confirmer::Confirmer;
pub use donnees::Donnees;
pub use identifiant::Identifiant;
pub use recapitulatif::Recapitulatif;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"Page introuvable"</h1>
        <p>"Cette adresse ne correspond à aucune étape de l'inscription."</p>
        <p><a href="/">"Revenir au début de l'inscription"</a></p>
    }
}
