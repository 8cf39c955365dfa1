//! Étape 1/4 : Carte CPS.
use crate::{
    layout::{Notice, Progress, route},
    router::use_nav,
    state::use_wizard,
};
use leptos::prelude::*;
use promess_core::{Step, registration::Mode};

#[component]
pub fn Carte() -> impl IntoView {
    let wizard = use_wizard();
    let nav = use_nav();
    let card_asked = RwSignal::new(false);
    let manual = move |_| {
        wizard.draft.update(|d| d.mode = Some(Mode::Manuel));
        nav.go(route(Step::Donnees));
    };
    view! {
        <Progress current=Some(Step::Carte) title="Étape 1/4 : Carte CPS".to_owned() />
        <Notice />
        <p>
            "Conformément à l'article L.1110-4 du code de santé publique, ESEA Nouvelle-Aquitaine recommande l'usage des cartes de la famille CPS. "
            <strong>"Il s'agit du mode d'authentification forte privilégié."</strong>
        </p>
        <p>
            "Pour une intégration ultérieure de la messagerie sécurisée à un logiciel métier, l'inscription "
            <strong>"avec carte CPS est indispensable."</strong>
        </p>
        <h2>"Lecture des informations de la carte CPS"</h2>
        <p>
            "Pour extraire vos données personnelles et professionnelles de votre carte CPS, vérifiez que votre carte est bien dans son lecteur et cliquez sur le bouton « Oui, j'ai une carte CPS »."
        </p>
        <p class="aide">"Attention : l'inscription par carte CPS nécessite l'emploi d'un lecteur connecté à l'ordinateur de l'utilisateur."</p>
        <div class="choix-carte">
            <button type="button" class="bouton principal" aria-controls="carte-indisponible" on:click=move |_| card_asked.set(true)>
                "> Oui, j'ai une carte CPS"
            </button>
            <button type="button" class="bouton" on:click=manual.clone()>
                "> Non, je n'ai pas de carte CPS"
            </button>
        </div>
        <div id="carte-indisponible" role="status">
            <Show when=move || card_asked.get()>
                <div class="avis">
                    <p>
                        <strong>"La lecture de la carte CPS n'est pas encore disponible dans cette version du service."</strong>
                        " Aucune donnée n'a été lue. Vous pouvez vous inscrire dès maintenant sans carte, en saisissant vos informations."
                    </p>
                    <button type="button" class="bouton principal" on:click=manual.clone()>
                        "> Continuer sans carte CPS"
                    </button>
                </div>
            </Show>
        </div>
    }
}
