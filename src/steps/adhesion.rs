//! Étape 4/4 : Adhésion — the secure address, the MSSanté directory options and the terms of use.
use crate::{
    fields::{CheckField, Choices, ReadOnly, SelectField, YesNoField},
    layout::StepPage,
    state::{choice, flag, lens, use_wizard},
};
use leptos::prelude::*;
use promess_core::{Field, Step};

/// The Conditions Générales et Particulières d'Utilisation shown before acceptance.
const CGU: &[(&str, &str)] = &[
    (
        "1. Objet",
        "Les présentes conditions régissent l'utilisation du service de messagerie sécurisée ProMess, opéré par le GIP ESEA Nouvelle-Aquitaine, qui permet aux professionnels habilités d'échanger des données de santé de manière sécurisée, dans l'espace de confiance MSSanté lorsque cette option est choisie.",
    ),
    (
        "2. Accès au service",
        "Le compte est nominatif et personnel. L'utilisateur garde secret son mot de passe, ne le communique à personne et le modifie sans délai s'il le pense connu d'un tiers. L'authentification par carte CPS est le mode d'accès à privilégier.",
    ),
    (
        "3. Engagements de l'utilisateur",
        "L'utilisateur n'échange des données de santé que dans le cadre de la prise en charge des patients et dans le respect du secret professionnel (article L.1110-4 du code de la santé publique). Il se déconnecte et ferme son navigateur après usage.",
    ),
    (
        "4. Données personnelles",
        "Les données saisies lors de l'inscription servent à créer et gérer le compte, et, selon les choix exprimés, à publier l'adresse dans l'annuaire national MSSanté. L'utilisateur dispose d'un droit d'accès, de rectification et d'effacement auprès de l'assistance technique. En tant que responsable de traitement, il tient un registre des activités de traitement et informe ses patients de l'usage de la messagerie sécurisée.",
    ),
    (
        "5. Assistance",
        concat!(
            "L'assistance technique ESEA répond au ",
            promess_core::support_phone!(),
            " et à ",
            promess_core::support_email!(),
            "."
        ),
    ),
];

#[component]
pub fn Adhesion() -> impl IntoView {
    let wizard = use_wizard();
    let draft = wizard.draft;
    let address = Signal::derive(move || wizard.address().unwrap_or_default());
    let mssante_domain = wizard.config.with_value(|c| c.mssante_domain.clone());
    let publish = move || draft.with(|d| d.publier_telephone == Some(true));
    // The numbers of step 2, to choose the one published.
    let phones = move || {
        draft.with(|d| {
            d.publishable_phones()
                .into_iter()
                .map(|(field, p)| (p.as_str().to_owned(), format!("{} ({})", p.national(), field.label())))
                .collect::<Vec<_>>()
        })
    };
    let cgu = CGU.iter().map(|(title, text)| view! { <h3>{*title}</h3><p>{*text}</p> }).collect_view();
    view! {
        <StepPage step=Step::Adhesion next_label="Valider">
            <p>
                "Une adresse de messagerie vous est proposée sous le format prenom.nom@. "
                <strong>"MERCI DE CONSERVER CE FORMAT."</strong>
            </p>
            <fieldset class="groupe">
                <legend>"Formulaire d'adhésion à la messagerie sécurisée ESEA Nouvelle-Aquitaine"</legend>
                <ReadOnly id="adresse_securisee" label="Votre adresse de messagerie sécurisée" value=address />
                <div class="champ case">
                    <input
                        type="checkbox"
                        id=Field::Mssante.key()
                        prop:checked=move || draft.with(|d| d.mssante)
                        on:change=move |ev| draft.update(|d| d.mssante = event_target_checked(&ev))
                    />
                    <label for=Field::Mssante.key()>
                        "Je suis un professionnel de santé habilité à échanger des données de santé et je souhaite que ma boîte aux lettres soit une boîte MSSanté. "
                        {format!("Votre adresse MSSanté sera : prenom.nom@{mssante_domain}")}
                    </label>
                </div>
                <YesNoField field=Field::ListeRouge lens=choice!(liste_rouge) required=true
                    legend="Souhaitez-vous être en liste rouge (ne pas apparaître dans l'annuaire national MSSanté) ?" />
                <YesNoField field=Field::PublierTelephone lens=choice!(publier_telephone) required=true
                    legend="Souhaitez-vous que votre numéro de téléphone apparaisse dans l'annuaire MSSanté ?" />
                <Show when=publish>
                    {move || view! {
                        <SelectField field=Field::TelephonePublie lens=lens!(telephone_publie) options=Choices::from(phones()) required=true
                            label="Si oui, précisez le numéro de téléphone à publier" />
                    }}
                </Show>
                <CheckField field=Field::DocumentsElectroniques lens=flag!(documents_electroniques)>
                    "J'accepte de recevoir des documents par voie électronique."
                </CheckField>
            </fieldset>
            <section class="cgu" aria-labelledby="cgu-titre" tabindex="0">
                <h2 id="cgu-titre">"Conditions Générales et Particulières d'Utilisation du service ProMess"</h2>
                {cgu}
            </section>
            <CheckField field=Field::Cgu lens=flag!(cgu) required=true>
                "J'ai lu et j'accepte les Conditions Générales et Particulières d'Utilisation du service ProMess."
            </CheckField>
        </StepPage>
    }
}
