//! Step 3's second factor: since 2026 a password alone is not a compliant access to a health-data service, so no
//! account leaves the wizard without one. Where the browser can, a passkey or FIDO2 key is offered first (WebAuthn:
//! the server makes the options and checks the credential, `crate::passkey` relays them); an authenticator app (TOTP)
//! always can be set up: the server makes the secret and its QR code (the page carries no QR encoder) and checks the
//! code the app shows. Either way the server answers the recovery codes, shown here once. The draft keeps only the set-up's handle and the « codes kept » answer.
use crate::{
    api,
    fields::FieldError,
    state::{Wizard, use_wizard},
};
use leptos::{prelude::*, task::spawn_local};
use promess_core::{
    Field,
    factor::{FactorConfirmed, FactorKind, FactorSetup, RECOVERY_CODES},
};

/// Where the set-up stands on this screen.
#[derive(Clone, PartialEq)]
enum Stage {
    /// Not begun (or begun again).
    Start,
    Asking,
    /// The browser's passkey dialog is open.
    Creating,
    /// The secret shown, its code awaited.
    Shown(FactorSetup),
    /// Confirmed now: the recovery codes, shown this once.
    Confirmed(FactorKind, Vec<String>),
    /// Confirmed before (the page was reloaded): its codes are not shown again.
    Done,
}

fn begin(wizard: Wizard, stage: RwSignal<Stage>, error: RwSignal<Option<String>>) {
    let identifiant = wizard.identifiant().unwrap_or_default();
    stage.set(Stage::Asking);
    error.set(None);
    spawn_local(async move {
        match api::begin_factor(&identifiant).await {
            Ok(setup) => {
                stage.set(Stage::Shown(setup));
                crate::layout::focus_later("code-facteur");
            }
            Err(e) => {
                error.set(Some(e.message().to_owned()));
                stage.set(Stage::Start);
            }
        }
    });
}

/// The server's answer to a set-up's confirmation: the factor kept in the draft and the recovery codes shown, or why
/// not (a set-up void or refused starts again).
fn confirmed(
    wizard: Wizard,
    (kind, id): (FactorKind, String),
    answer: Result<FactorConfirmed, api::SubmitError>,
    stage: RwSignal<Stage>,
    error: RwSignal<Option<String>>,
) {
    match answer {
        Ok(confirmed) => {
            wizard.draft.update(|d| {
                d.facteur = id;
                d.codes_conserves = false;
            });
            wizard.edited(Field::SecondFacteur);
            stage.set(Stage::Confirmed(kind, confirmed.codes_secours));
            crate::layout::focus_later("codes-secours-titre");
        }
        Err(api::SubmitError::Invalid(errors)) => {
            use promess_core::ErrorCode::{FactorTooManyAttempts, FactorUnknown};
            let code = errors.first(Field::SecondFacteur);
            error.set(code.map(|c| c.message(Field::SecondFacteur)));
            if kind == FactorKind::Cle || matches!(code, Some(FactorTooManyAttempts | FactorUnknown)) {
                stage.set(Stage::Start);
            }
        }
        Err(e) => {
            error.set(Some(e.message().to_owned()));
            if kind == FactorKind::Cle {
                stage.set(Stage::Start);
            }
        }
    }
}

fn confirm(wizard: Wizard, setup: FactorSetup, code: String, stage: RwSignal<Stage>, error: RwSignal<Option<String>>) {
    error.set(None);
    spawn_local(async move {
        let answer = api::confirm_factor(&setup.id, &code).await;
        confirmed(wizard, (FactorKind::Totp, setup.id), answer, stage, error);
    });
}

/// What the page says when the browser made no passkey.
const NOT_CREATED: &str = "La clé d'accès n'a pas été créée (opération annulée, délai dépassé ou aucune clé disponible) : réessayez, ou configurez plutôt une application d'authentification.";

/// A passkey: the server's options, the browser's ceremony, the server's check.
fn create_passkey(wizard: Wizard, stage: RwSignal<Stage>, error: RwSignal<Option<String>>) {
    let identifiant = wizard.identifiant().unwrap_or_default();
    stage.set(Stage::Asking);
    error.set(None);
    spawn_local(async move {
        let setup = match api::begin_passkey(&identifiant).await {
            Ok(setup) => setup,
            Err(e) => return confirmed(wizard, (FactorKind::Cle, String::new()), Err(e), stage, error),
        };
        stage.set(Stage::Creating);
        let Ok(credential) = crate::passkey::create(&setup.options).await else {
            error.set(Some(NOT_CREATED.to_owned()));
            stage.set(Stage::Start);
            return;
        };
        let answer = api::confirm_passkey(&setup.id, credential).await;
        confirmed(wizard, (FactorKind::Cle, setup.id), answer, stage, error);
    });
}

#[component]
pub fn SecondFactor() -> impl IntoView {
    let wizard = use_wizard();
    let already = wizard.draft.with_untracked(|d| !d.facteur.trim().is_empty());
    let stage = RwSignal::new(if already { Stage::Done } else { Stage::Start });
    let error = RwSignal::new(None::<String>);
    let code = RwSignal::new(String::new());
    let passkeys = crate::passkey::supported();
    let again = move |_| {
        wizard.draft.update(|d| {
            d.facteur.clear();
            d.codes_conserves = false;
        });
        begin(wizard, stage, error);
    };
    let kept = move || {
        view! {
            <div class="champ case">
                <input type="checkbox" id="codes_conserves" prop:checked=move || wizard.draft.with(|d| d.codes_conserves)
                    aria-describedby=format!("{}-erreur", Field::SecondFacteur.key())
                    on:change=move |ev| {
                        let checked = event_target_checked(&ev);
                        wizard.draft.update(|d| d.codes_conserves = checked);
                        wizard.edited(Field::SecondFacteur);
                    } />
                <label for="codes_conserves">"J'ai imprimé ou enregistré mes codes de secours en lieu sûr"</label>
            </div>
        }
    };
    let body = move || {
        match stage.get() {
        Stage::Start | Stage::Asking | Stage::Creating => {
            let busy = move || matches!(stage.get(), Stage::Asking | Stage::Creating);
            let app_class = if passkeys { "bouton secondaire" } else { "bouton principal" };
            view! {
            {passkeys.then(|| view! {
                <h3>"Avec une clé d'accès (recommandé)"</h3>
                <p id="cle-explication">
                    "Votre ordinateur ou votre téléphone (empreinte, visage ou code de déverrouillage) ou une clé de sécurité FIDO2 branchée sur le poste : rien à recopier à chaque connexion."
                </p>
                <button type="button" id="creer-cle" class="bouton principal" disabled=busy aria-describedby="cle-explication"
                    on:click=move |_| create_passkey(wizard, stage, error)>
                    {move || if stage.get() == Stage::Creating { "Suivez les indications de votre navigateur…" } else { "Créer une clé d'accès" }}
                </button>
                <h3>"Ou avec une application d'authentification"</h3>
            })}
            {(!passkeys).then(|| view! {
                <p>"Votre navigateur ne permet pas de créer une clé d'accès : sécurisez votre compte avec une application d'authentification."</p>
            })}
            <p>
                "Installez sur votre téléphone une application d'authentification (par exemple FreeOTP, Microsoft Authenticator ou Google Authenticator), puis cliquez ci-dessous. Sans téléphone, un gestionnaire de mots de passe qui génère des codes à usage unique convient aussi."
            </p>
            <button type="button" id=Field::SecondFacteur.key() class=app_class disabled=busy
                on:click=move |_| begin(wizard, stage, error)>
                {move || if stage.get() == Stage::Asking { "Préparation…" } else { "Configurer une application d'authentification" }}
            </button>
            }
            .into_any()
        }
        Stage::Shown(setup) => {
            let grouped = setup.grouped_secret();
            let check = setup.clone();
            view! {
                <p>"Scannez ce QR code avec votre application, ou saisissez-y la clé ci-dessous (compte de type « basé sur le temps »)."</p>
                <div class="qr-code" role="img" aria-label="QR code de configuration de votre application d'authentification" inner_html=setup.qr_svg.clone()></div>
                <p>"Clé à saisir dans l'application : " <code id="cle-secrete" class="cle">{grouped}</code></p>
                <form class="champ" on:submit=move |ev| {
                    ev.prevent_default();
                    confirm(wizard, check.clone(), code.get_untracked(), stage, error);
                }>
                    <label for="code-facteur">"Code à 6 chiffres affiché par l'application"</label>
                    <input id="code-facteur" name="code-facteur" inputmode="numeric" autocomplete="one-time-code"
                        maxlength="7" aria-describedby="facteur-message"
                        on:input=move |ev| code.set(event_target_value(&ev)) />
                    <button type="submit" id="verifier-code" class="bouton principal">"Vérifier le code"</button>
                </form>
            }
            .into_any()
        }
        Stage::Confirmed(kind, codes) => view! {
            <p class="accord" role="status">
                {if kind == FactorKind::Cle { "Votre clé d'accès est enregistrée." } else { "Votre application d'authentification est configurée." }}
            </p>
            <h3 id="codes-secours-titre" tabindex="-1">{format!("Vos {RECOVERY_CODES} codes de secours")}</h3>
            <p>
                "Chacun ouvre une seule connexion si vous n'avez plus votre téléphone ou votre clé. Ils ne seront plus affichés : imprimez-les ou enregistrez-les en lieu sûr, à l'écart de votre mot de passe."
            </p>
            <ul id="codes-secours" class="codes-secours">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <button type="button" class="bouton secondaire" on:click=move |_| { let _ = window().print(); }>"Imprimer les codes"</button>
            {kept()}
        }
        .into_any(),
        Stage::Done => view! {
            <p class="accord" role="status">"Votre second facteur est configuré."</p>
            {kept()}
            <button type="button" class="bouton secondaire" on:click=again>"Configurer à nouveau (nouveaux codes de secours)"</button>
        }
        .into_any(),
    }
    };
    view! {
        <fieldset class="groupe" aria-describedby="facteur-explication">
            <legend>"Sécurisation de votre compte"</legend>
            <p id="facteur-explication">
                "Depuis le 1er janvier 2026, l'accès à une messagerie de santé demande, en plus du mot de passe, un second facteur d'authentification. Votre compte en aura un dès sa création."
            </p>
            {body}
            <p id="facteur-message" class="erreur" role="alert">{move || error.get()}</p>
            <FieldError field=Field::SecondFacteur />
        </fieldset>
    }
}
