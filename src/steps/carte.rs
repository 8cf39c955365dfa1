//! Étape 1/4 : Carte CPS. The recommended path reads the card through the local agent (crate::card): the
//! workstation is checked, the card chosen, the PIN typed, then step 2 arrives pre-filled. Every failure says what
//! to do, with the manual path one click away.
use crate::{
    app::later,
    card::{self, AgentFailure},
    layout::{Notice, Progress, focus_later, route, step_title},
    router::{Nav, use_nav},
    shell::names::{NO_CARD, TO},
    split::lazy_view,
    state::{Wizard, use_wizard},
};
use leptos::{prelude::*, tachys::html::attribute::custom::custom_attribute, task::spawn_local};
use promess_core::{
    Draft, Step,
    card::{AgentErrorCode, CardKind, FullIdentity, Pin, ReaderStatus as Reader},
    config::{SUPPORT_EMAIL, SUPPORT_PHONE},
};

/// Where the card path stands.
#[derive(Clone, Debug, PartialEq)]
enum Flow {
    Start,
    Checking,
    /// The workstation check stopped here.
    Problem(Problem),
    /// Several cards: the user chooses.
    Choose(Vec<Reader>),
    Reading,
    Pin {
        reader: String,
        holder: FullIdentity,
        tries: Option<u8>,
        error: Option<String>,
        busy: bool,
    },
    Blocked,
}

const LAST_TRY: &str = "Code porteur : confirmez l'utilisation de votre dernier essai en cochant la case.";

/// The checks of "Tester votre poste", in order.
const CHECKS: [&str; 4] = [
    "Logiciel de lecture de carte (ProMess Carte)",
    "Service de cartes à puce (PC/SC)",
    "Lecteur de carte",
    "Carte CPS",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Problem {
    Unreachable,
    NoService,
    NoReader,
    NoCard,
    UnknownCard,
    Removed,
    TooLong,
    Other,
}

impl Problem {
    fn of(failure: &AgentFailure) -> Problem {
        match failure {
            AgentFailure::Unreachable => Problem::Unreachable,
            AgentFailure::TooLong => Problem::TooLong,
            AgentFailure::Agent(e) => match e.error {
                AgentErrorCode::NoService => Problem::NoService,
                AgentErrorCode::NoReader => Problem::NoReader,
                AgentErrorCode::NoCard => Problem::NoCard,
                AgentErrorCode::UnknownCard => Problem::UnknownCard,
                AgentErrorCode::CardRemoved => Problem::Removed,
                AgentErrorCode::Timeout => Problem::TooLong,
                _ => Problem::Other,
            },
        }
    }

    /// The index in CHECKS of the check that failed (CHECKS.len() when the check passed but the read failed).
    fn failed_check(self) -> usize {
        match self {
            Problem::Unreachable => 0,
            Problem::NoService => 1,
            Problem::NoReader => 2,
            Problem::NoCard | Problem::UnknownCard => 3,
            Problem::Removed | Problem::TooLong | Problem::Other => CHECKS.len(),
        }
    }

    fn message(self) -> String {
        match self {
            Problem::Unreachable => "Le logiciel de lecture de carte (ProMess Carte, « promess-card-agent ») ne répond pas sur votre ordinateur. Démarrez-le, puis cliquez sur « Tester à nouveau ».".into(),
            Problem::NoService => "Le service de cartes à puce de votre ordinateur n'est pas démarré (PC/SC : « pcscd » sous Linux, service « Carte à puce » sous Windows). Démarrez-le, puis cliquez sur « Tester à nouveau ».".into(),
            Problem::NoReader => "Aucun lecteur de carte n'est branché à votre ordinateur. Branchez votre lecteur, puis cliquez sur « Tester à nouveau ».".into(),
            Problem::NoCard => "Aucune carte n'est insérée dans le lecteur. Insérez votre carte CPS, puce vers le lecteur, puis cliquez sur « Tester à nouveau ».".into(),
            Problem::UnknownCard => "La carte insérée n'est pas reconnue comme une carte CPS. Vérifiez que vous avez inséré votre carte CPS, puis cliquez sur « Tester à nouveau ».".into(),
            Problem::Removed => "La carte a été retirée du lecteur pendant la lecture. Réinsérez-la, puis cliquez sur « Tester à nouveau ».".into(),
            Problem::TooLong => format!("Attention : la lecture de la carte CPS dure trop longtemps, il y a un problème technique sur votre ordinateur. Contactez l'assistance technique au {SUPPORT_PHONE} ou à {SUPPORT_EMAIL}, ou inscrivez-vous sans carte CPS."),
            Problem::Other => format!("La carte n'a pas pu être lue. Cliquez sur « Tester à nouveau » ; si le problème persiste, contactez l'assistance technique au {SUPPORT_PHONE} ou à {SUPPORT_EMAIL}, ou inscrivez-vous sans carte CPS."),
        }
    }
}

fn kind_label(reader: &Reader) -> &'static str {
    match reader.type_carte {
        Some(CardKind::Cps4) => "carte CPS4",
        _ => "carte CPS3",
    }
}

fn tries_text(tries: Option<u8>) -> String {
    match tries {
        Some(1) => "Il vous reste 1 essai.".into(),
        Some(n) => format!("Il vous reste {n} essais."),
        None => String::new(),
    }
}

/// "Non, je n'ai pas de carte CPS" and "Continuer sans carte CPS": the manual path, leaving what the card read.
fn continue_manually(wizard: Wizard, nav: Nav) {
    wizard.draft.update(Draft::leave_proof);
    nav.go(route(Step::Donnees));
}

/// The card path, from the `later` chunk in the split release build (see `app`): it starts when "Oui, j'ai une carte
/// CPS" is first clicked, and each click checks the workstation again.
pub(crate) fn card_flow(attempt: ReadSignal<u32>) -> AnyView {
    CardFlow(CardFlowProps { attempt }).into_any()
}

#[component]
fn CardFlow(attempt: ReadSignal<u32>) -> impl IntoView {
    let wizard = use_wizard();
    let nav = use_nav();
    let flow = RwSignal::new(Flow::Start);
    let agent = StoredValue::new(card::agent_url());
    let manual = move |_| continue_manually(wizard, nav);

    // Reads the identity of one reader's card, then asks for the PIN.
    let read = move |reader: Reader| {
        flow.set(Flow::Reading);
        spawn_local(async move {
            let base = agent.get_value();
            flow.set(match card::identity(&base, &reader.nom).await {
                Ok(holder) => {
                    Flow::Pin { reader: reader.nom, holder, tries: reader.essais_restants, error: None, busy: false }
                }
                Err(failure) => Flow::Problem(Problem::of(&failure)),
            });
            focus_later("contenu-carte");
        });
    };
    let check = move || {
        flow.set(Flow::Checking);
        spawn_local(async move {
            let base = agent.get_value();
            let next = match card::status(&base).await {
                Err(failure) => Flow::Problem(Problem::of(&failure)),
                Ok(readers) if readers.is_empty() => Flow::Problem(Problem::NoReader),
                Ok(readers) => {
                    let cards: Vec<Reader> = readers.iter().filter(|r| r.known_card()).cloned().collect();
                    match cards.as_slice() {
                        [] if readers.iter().any(|r| r.carte_presente) => Flow::Problem(Problem::UnknownCard),
                        [] => Flow::Problem(Problem::NoCard),
                        [one] => {
                            read(one.clone());
                            return;
                        }
                        _ => Flow::Choose(cards),
                    }
                }
            };
            flow.set(next);
            focus_later("contenu-carte");
        });
    };
    let verify = move |pin: String, confirmed: bool| {
        let Flow::Pin { reader, holder, tries, .. } = flow.get_untracked() else { return };
        let refuse = |error: &str| {
            flow.update(|f| {
                if let Flow::Pin { error: e, .. } = f {
                    *e = Some(error.to_owned());
                }
            });
            focus_later("pin");
        };
        // promess-core's PIN rule: a code outside it never reaches the card (it would cost a try).
        let Ok(pin) = Pin::parse(&pin) else {
            return refuse("Code porteur : saisissez les 4 à 8 chiffres de votre code.");
        };
        if tries == Some(1) && !confirmed {
            return refuse(LAST_TRY);
        }
        flow.update(|f| {
            if let Flow::Pin { busy, error, .. } = f {
                (*busy, *error) = (true, None);
            }
        });
        spawn_local(async move {
            let base = agent.get_value();
            match card::verify_pin(&base, &reader, &pin, confirmed).await {
                Ok(full) => {
                    wizard.draft.update(|d| d.fill_from_card(&reader, &full));
                    wizard.notice.set(Some(
                        "Vos informations ont été lues sur votre carte CPS : elles sont verrouillées. Complétez les champs restants.",
                    ));
                    nav.go(route(Step::Donnees));
                }
                Err(AgentFailure::Agent(e)) if e.error == AgentErrorCode::PinIncorrect => {
                    let remaining = e.remaining.unwrap_or(0);
                    flow.set(Flow::Pin {
                        reader,
                        holder,
                        tries: Some(remaining),
                        error: Some(format!("Code porteur : code incorrect. {}", tries_text(Some(remaining)))),
                        busy: false,
                    });
                    focus_later("pin");
                }
                Err(AgentFailure::Agent(e)) if e.error == AgentErrorCode::LastTryNotConfirmed => {
                    let error = Some(LAST_TRY.to_owned());
                    flow.set(Flow::Pin { reader, holder, tries: Some(1), error, busy: false });
                    focus_later("pin");
                }
                Err(AgentFailure::Agent(e)) if e.error == AgentErrorCode::PinBlocked => {
                    flow.set(Flow::Blocked);
                    focus_later("contenu-carte");
                }
                Err(failure) => {
                    flow.set(Flow::Problem(Problem::of(&failure)));
                    focus_later("contenu-carte");
                }
            }
        });
    };

    let manual_button = move || {
        view! {
            <button type="button" class="bouton" on:click=manual>"> Continuer sans carte CPS"</button>
        }
    };
    let screen = move || {
        match flow.get() {
        Flow::Start => ().into_any(),
        Flow::Checking | Flow::Reading => view! {
            <p class="avis" id="contenu-carte" tabindex="-1" role="status">"Test de votre poste et lecture de la carte en cours…"</p>
        }
        .into_any(),
        Flow::Problem(problem) => {
            let failed = problem.failed_check();
            let checks = CHECKS
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let state = match i.cmp(&failed) {
                        std::cmp::Ordering::Less => "OK",
                        std::cmp::Ordering::Equal => "problème",
                        std::cmp::Ordering::Greater => "non testé",
                    };
                    let class = if i == failed { "verif echec" } else { "verif" };
                    view! { <li class=class>{*name}" : "<strong>{state}</strong></li> }
                })
                .collect_view();
            view! {
                <div class="avis erreur-carte" id="contenu-carte" tabindex="-1">
                    <h2>"Tester votre poste"</h2>
                    <ul class="poste">{checks}</ul>
                    <p id="carte-probleme"><strong>{problem.message()}</strong></p>
                    <div class="choix-carte">
                        <button type="button" class="bouton principal" on:click=move |_| check()>"Tester à nouveau"</button>
                        {manual_button()}
                    </div>
                </div>
            }
            .into_any()
        }
        Flow::Choose(readers) => {
            let choices = readers
                .into_iter()
                .map(|r| {
                    let text = format!("{} ({})", r.nom, kind_label(&r));
                    view! { <li><button type="button" class="bouton" on:click=move |_| read(r.clone())>{text}</button></li> }
                })
                .collect_view();
            view! {
                <div id="contenu-carte" tabindex="-1">
                    <h2>"Choisissez votre carte"</h2>
                    <p>"Plusieurs cartes sont insérées : choisissez celle avec laquelle vous vous inscrivez."</p>
                    <ul class="lecteurs">{choices}</ul>
                    {manual_button()}
                </div>
            }
            .into_any()
        }
        Flow::Pin { holder, tries, error, busy, .. } => {
            let card = &holder.carte;
            let who = format!(
                "{} {} — {}{}",
                card.prenom,
                card.nom,
                card.titre,
                card.rpps.as_ref().map(|r| format!(", RPPS {r}")).or(card.adeli.as_ref().map(|a| format!(", ADELI {a}"))).unwrap_or_default()
            );
            let last = tries == Some(1);
            let confirmed = RwSignal::new(false);
            let invalid = if error.is_some() { "true" } else { "false" };
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let pin = document()
                    .get_element_by_id("pin")
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(e).ok())
                    .map(|i| i.value())
                    .unwrap_or_default();
                verify(pin, confirmed.get_untracked());
            };
            view! {
                <form id="contenu-carte" tabindex="-1" class="pin" on:submit=submit novalidate>
                    <h2>"Code porteur de votre carte CPS"</h2>
                    <p>"Carte de " <strong>{who}</strong></p>
                    <div class="champ">
                        <label for="pin">"Code porteur (PIN)" <span class="requis" aria-hidden="true">"*"</span></label>
                        <p id="pin-aide" class="aide">
                            "4 à 8 chiffres. Le code est vérifié par votre carte, sur votre ordinateur : il n'est jamais envoyé au service. "
                            {tries_text(tries)}
                        </p>
                        <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength=Pin::MAX_DIGITS
                            aria-required="true" aria-invalid=invalid aria-describedby="pin-aide pin-erreur" disabled=busy />
                        <p id="pin-erreur" class="erreur" aria-live="polite">{error}</p>
                    </div>
                    {last.then(|| view! {
                        <div class="champ case avertissement">
                            <input type="checkbox" id="pin-dernier" prop:checked=move || confirmed.get()
                                on:change=move |ev| confirmed.set(event_target_checked(&ev)) />
                            <label for="pin-dernier">
                                "Il ne vous reste qu'un essai : si ce code est faux, votre carte sera bloquée. Je confirme la saisie."
                            </label>
                        </div>
                    })}
                    <div class="choix-carte">
                        <button type="submit" class="bouton principal" disabled=busy>
                            {if busy { "Vérification en cours…" } else { "Valider le code" }}
                        </button>
                        {manual_button()}
                    </div>
                </form>
            }
            .into_any()
        }
        Flow::Blocked => view! {
            <div class="avis erreur-carte" id="contenu-carte" tabindex="-1">
                <h2>"Votre carte CPS est bloquée"</h2>
                <p id="carte-probleme"><strong>{format!(
                    "Le code porteur a été saisi trois fois de façon erronée : votre carte est bloquée. Pour la débloquer, utilisez le code de déblocage reçu avec votre carte (outil de gestion de la carte CPS installé sur votre poste). Besoin d'aide : contactez l'assistance technique au {SUPPORT_PHONE} ou à {SUPPORT_EMAIL}. Vous pouvez aussi vous inscrire dès maintenant sans carte CPS."
                )}</strong></p>
                {manual_button()}
            </div>
        }
        .into_any(),
    }
    };

    Effect::new(move |_| {
        if attempt.get() > 0 {
            check();
        }
    });
    screen
}

#[component]
pub fn Carte() -> impl IntoView {
    let (wizard, nav) = (use_wizard(), use_nav());
    let (attempt, set_attempt) = signal(0u32);
    let started = Memo::new(move |_| attempt.get() > 0);
    let retry = RwSignal::new(0u32);
    let flow =
        move || started.get().then(|| lazy_view(retry, async move { later().await.map(|l| (l.card_flow)(attempt)) }));
    view! {
        <Progress current=Some(Step::Carte) title=step_title(Step::Carte) />
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
            <button type="button" id="avec-carte" class="bouton principal" aria-controls="carte-etat" on:click=move |_| set_attempt.update(|n| *n += 1)>
                "> Oui, j'ai une carte CPS"
            </button>
            <button type="button" id=NO_CARD class="bouton" on:click=move |_| continue_manually(wizard, nav) {..custom_attribute(TO, route(Step::Donnees))}>
                "> Non, je n'ai pas de carte CPS"
            </button>
        </div>
        <crate::psc::Choice />
        <div id="carte-etat">{flow}</div>
    }
}
