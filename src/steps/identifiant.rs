//! Étape 3/4 : Choix de votre identifiant — the proposed identifier, the password and its strength meter.
use crate::{
    app::Strength,
    deferred::deferred,
    fields::{FieldError, Label, ReadOnly, described_by, hint_view, invalid},
    layout::StepPage,
    state::{Wizard, use_wizard},
};
use leptos::prelude::*;
use promess_core::{
    Field, Step,
    password::{Assessment, Rule, meter_level, meter_text},
    registration::Credentials,
};

/// Asks for the rating of `password`, with the user's names and identifier as known words.
fn rate(wizard: Wizard, strength: StoredValue<Strength, LocalStorage>, password: String) {
    let inputs = wizard.draft.with_untracked(|d| d.personal_words());
    strength.with_value(|s| s.0.rate(password, inputs));
}

/// A password input bound to the in-memory credentials (never to the saved draft).
#[component]
fn PasswordField(
    field: Field,
    set: fn(&mut Credentials) -> &mut String,
    get: fn(&Credentials) -> &String,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let wizard = use_wizard();
    let visible = RwSignal::new(false);
    view! {
        <div class="champ">
            <Label field required=true />
            {hint_view(field, hint)}
            <div class="mot-de-passe">
                <input
                    id=field.key()
                    name=field.key()
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete="new-password"
                    aria-required="true"
                    aria-invalid=invalid(field)
                    aria-describedby=described_by(field, hint.is_some())
                    // The typed value is the input's own: the password in memory is written once, when the step is
                    // drawn.
                    prop:value=wizard.secret.with_untracked(|s| get(s).clone())
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        wizard.secret.update(|s| *set(s) = value);
                        wizard.edited(field);
                    }
                    on:blur=move |_| wizard.touch(field)
                />
                <button
                    type="button"
                    class="bouton secondaire petit"
                    aria-controls=field.key()
                    aria-pressed=move || visible.get().to_string()
                    on:click=move |_| visible.update(|v| *v = !*v)
                >
                    {move || if visible.get() { "Masquer" } else { "Afficher" }}
                    <span class="sr-only">" le mot de passe"</span>
                </button>
            </div>
            <FieldError field />
        </div>
    }
}

/// "Sécurité du mot de passe": red while insufficient, green when every rule holds, with text as well. It shows
/// `password`, the typed one once the keystroke is painted.
#[component]
fn StrengthMeter(password: ReadSignal<String>) -> impl IntoView {
    let wizard = use_wizard();
    let assessment = Memo::new(move |_| {
        // While the worker rates the new password, the meter keeps the last rating instead of flickering at every
        // keystroke; "Suivant" and the server use only the current password's score.
        let score = wizard.scored.with(|s| s.as_ref().map(|(_, score)| *score));
        let words = wizard.draft.with(|d| d.personal_words());
        password.with(|p| Assessment::new(p, &words, score))
    });
    let empty = move || password.with(String::is_empty);
    let ok = move || assessment.with(Assessment::satisfactory);
    let score = move || assessment.with(|a| a.score);
    let text = move || assessment.with(|a| meter_text(empty(), a));
    let rules = Rule::ALL
        .into_iter()
        .map(|rule| {
            let state = move || assessment.with(|a| a.holds(rule));
            view! {
                <li class=move || match state() {
                    Some(true) => "regle ok",
                    Some(false) => "regle ko",
                    None => "regle attente",
                }>
                    <span class="marque-regle" aria-hidden="true">
                        {move || match state() { Some(true) => "✓", Some(false) => "✗", None => "…" }}
                    </span>
                    {rule.label()}
                    <span class="sr-only">
                        {move || match state() {
                            Some(true) => " : respectée",
                            Some(false) => " : non respectée",
                            None => " : en cours d'évaluation",
                        }}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div
            data-testid="meter"
            role="meter"
            aria-label="Sécurité du mot de passe"
            aria-valuemin="0"
            aria-valuemax="4"
            aria-valuenow=move || score().unwrap_or(0).to_string()
            aria-valuetext=text
            class=move || if ok() { "jauge satisfaisante" } else { "jauge insuffisante" }
        >
            <div class="jauge-barre" aria-hidden="true" data-niveau=move || assessment.with(|a| meter_level(empty(), a)).to_string()>
                <span></span>
            </div>
            <p class="jauge-texte" aria-live="polite">{text}</p>
        </div>
        <ul class="regles" aria-label="Règles du mot de passe">
            {rules}
            <li class=move || if assessment.with(|a| a.symbol) { "regle ok conseil" } else { "regle conseil" }>
                <span class="marque-regle" aria-hidden="true">{move || if assessment.with(|a| a.symbol) { "✓" } else { "+" }}</span>
                "Un symbole (@, !, -…) : recommandé"
            </li>
        </ul>
    }
}

#[component]
pub fn Identifiant() -> impl IntoView {
    let wizard = use_wizard();
    let identifiant = Signal::derive(move || wizard.identifiant().unwrap_or_default());
    // The server knows which identifiers are taken: ask it for the proposal (prenom.nom2… when needed).
    let (prenom, nom) = wizard.draft.with_untracked(|d| (d.prenom.clone(), d.nom.clone()));
    leptos::task::spawn_local(async move {
        if let Some(proposal) = crate::api::propose(&prenom, &nom).await {
            wizard.proposed.set(Some(proposal.identifiant));
        }
    });
    let strength = expect_context::<StoredValue<Strength, LocalStorage>>();
    // The meter and the rating follow the password once each keystroke is painted. The first rating, at once,
    // loads the worker (so that the first keystroke is rated without waiting for it) or rates a password kept in
    // memory.
    let typed = deferred(Signal::derive(move || wizard.secret.with(|s| s.mot_de_passe.clone())));
    Effect::new(move |_| rate(wizard, strength, typed.get()));
    view! {
        <StepPage step=Step::Identifiant>
            <p>
                "Un identifiant vous est proposé sous le format prenom.nom. "
                <strong>"MERCI DE CONSERVER CE FORMAT."</strong>
                " Il est créé automatiquement à partir de vos prénom et nom : pour le changer, corrigez-les à l'étape 2."
            </p>
            <p><strong>"Indiquez les prénom et nom du professionnel de santé titulaire du compte (le compte doit être nominatif)."</strong></p>
            <fieldset class="groupe">
                <legend>"Choix de votre identifiant et de votre mot de passe"</legend>
                <ReadOnly id="identifiant" label="Identifiant proposé" value=identifiant autocomplete="username" />
                <PasswordField
                    field=Field::MotDePasse
                    get=|s| &s.mot_de_passe
                    set=|s| &mut s.mot_de_passe
                    hint="Au moins 12 caractères, avec des minuscules, des majuscules et des chiffres ; les symboles sont conseillés. N'utilisez surtout pas le même mot de passe pour tous vos comptes. Il n'est jamais enregistré sur cet appareil : après un rechargement de la page, saisissez-le à nouveau."
                />
                <StrengthMeter password=typed />
                <PasswordField
                    field=Field::MotDePasseConfirmation
                    get=|s| &s.mot_de_passe_confirmation
                    set=|s| &mut s.mot_de_passe_confirmation
                />
            </fieldset>
            <crate::factor::SecondFactor />
        </StepPage>
    }
}
