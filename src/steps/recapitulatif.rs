//! Récapitulatif: every answer grouped by step, each group with "Modifier", then the submission.
use crate::{
    api::{self, SubmitError},
    communes::{communes, departement},
    layout::{CONFIRMATION, Notice, Progress, focus, route},
    router::{redirect, use_nav},
    state::use_wizard,
    storage,
};
use leptos::{prelude::*, task::spawn_local};
use promess_core::{
    Draft, Field, RegistrationRequest, Step,
    birth::BirthDayMonth,
    contact::Phone,
    nos::{self, PROFESSION_AUTRE},
    registration::Mode,
};

fn yes_no(answer: Option<bool>) -> String {
    match answer {
        Some(true) => "Oui".into(),
        Some(false) => "Non".into(),
        None => "—".into(),
    }
}

fn phone(raw: &str) -> String {
    Phone::parse(raw).map(|p| p.national()).unwrap_or_default()
}

/// The lines of one step's group: (label, value); empty optional answers are left out.
fn lines(
    step: Step,
    d: &Draft,
    identifiant: String,
    address: String,
    departement: &str,
) -> Vec<(&'static str, String)> {
    let lines: Vec<(&'static str, String)> = match step {
        Step::Carte => vec![(
            "Mode d'inscription",
            match d.mode {
                Some(Mode::Carte) => format!("Avec carte CPS (identifiant national {})", d.carte_identifiant_national),
                Some(Mode::Psc) => {
                    format!("Avec Pro Santé Connect (identifiant national {})", d.psc_identifiant_national)
                }
                _ => "Sans carte CPS (saisie manuelle)".into(),
            },
        )],
        Step::Donnees => vec![
            (Field::Civilite.label(), nos::label(nos::CIVILITE_TABLES, &d.civilite).into()),
            (Field::Nom.label(), d.nom.trim().into()),
            (Field::Prenom.label(), d.prenom.trim().into()),
            (
                Field::Naissance.label(),
                BirthDayMonth::parse(&d.jour_naissance, &d.mois_naissance).map(|b| b.to_string()).unwrap_or_default(),
            ),
            (Field::Email.label(), d.email.trim().into()),
            (Field::LieuExercice.label(), d.lieu_exercice.trim().into()),
            (
                Field::Profession.label(),
                if d.profession == PROFESSION_AUTRE {
                    format!("Autre : {}", nos::label(nos::PROFESSION_AUTRE_TABLES, &d.profession_autre))
                } else {
                    nos::label(&[nos::PROFESSIONS], &d.profession).into()
                },
            ),
            (Field::Rpps.label(), d.rpps.split_whitespace().collect()),
            (Field::SpecialiteRpps.label(), nos::label(&[nos::SPECIALITES_RPPS], &d.specialite_rpps).into()),
            (Field::Adeli.label(), d.adeli.split_whitespace().collect()),
            (Field::SpecialiteAdeli.label(), nos::label(&[nos::SPECIALITES_ADELI], &d.specialite_adeli).into()),
            (Field::Adresse.label(), d.adresse.trim().into()),
            (Field::CodePostal.label(), d.code_postal.trim().into()),
            (Field::Ville.label(), d.ville.trim().into()),
            ("Département", departement.to_owned()),
            (Field::Telephone.label(), phone(&d.telephone)),
            (Field::Mobile.label(), phone(&d.mobile)),
            (Field::Fax.label(), phone(&d.fax)),
        ],
        Step::Identifiant => {
            vec![
                ("Identifiant", identifiant),
                (Field::MotDePasse.label(), "saisi (non affiché)".into()),
                (
                    Field::SecondFacteur.label(),
                    if d.facteur.is_empty() {
                        String::new()
                    } else {
                        "Application d'authentification configurée".into()
                    },
                ),
            ]
        }
        Step::Adhesion => vec![
            ("Adresse de messagerie sécurisée", address),
            (Field::Mssante.label(), yes_no(Some(d.mssante))),
            (Field::ListeRouge.label(), yes_no(d.liste_rouge)),
            (Field::PublierTelephone.label(), yes_no(d.publier_telephone)),
            (
                "Numéro publié",
                if d.publier_telephone == Some(true) { phone(&d.telephone_publie) } else { String::new() },
            ),
            ("Documents par voie électronique", yes_no(Some(d.documents_electroniques))),
            ("Conditions d'utilisation", if d.cgu { "Acceptées".into() } else { "Non acceptées".into() }),
        ],
    };
    lines.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Sending {
    Idle,
    Busy,
    Failed(&'static str),
}

/// A key for this submission and its retries: 128 random bits from the browser's cryptographic generator
/// (randomUUID needs a secure context; getRandomValues does not).
fn idempotency_key() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    if let Some(uuid) = crypto.as_ref().filter(|_| web_sys::window().is_some_and(|w| w.is_secure_context())) {
        return uuid.random_uuid();
    }
    let mut bytes = [0u8; 16];
    crypto.and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok()).expect("the browser's random generator");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[component]
pub fn Recapitulatif() -> impl IntoView {
    let wizard = use_wizard();
    if let Some(step) = untrack(|| {
        wizard
            .blocking_step(Step::Adhesion)
            .or_else(|| (!wizard.errors(Step::Adhesion).is_empty()).then_some(Step::Adhesion))
    }) {
        wizard
            .notice
            .set(Some("Le récapitulatif n'est accessible qu'une fois les quatre étapes complétées : reprenons ici."));
        return redirect(route(step));
    }
    let nav = use_nav();
    let sending = RwSignal::new(Sending::Idle);
    // One key for this request, kept across retries: the server answers a retry as it answered the first.
    let key = StoredValue::new(idempotency_key());
    let communes = communes(wizard.draft);
    let groups = Step::ALL
        .into_iter()
        .map(|step| {
            let rows = move || {
                let (identifiant, address) = (wizard.identifiant(), wizard.address());
                wizard.draft.with(|d| {
                    let departement = communes.with(|c| departement(c, d));
                    lines(step, d, identifiant.unwrap_or_default(), address.unwrap_or_default(), &departement)
                        .into_iter()
                        .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> })
                        .collect_view()
                })
            };
            let heading = format!("Étape {}/4 : {}", step.number(), step.title());
            let id = format!("recap-{}", step.number());
            let labelled_by = id.clone();
            view! {
                <section class="groupe-recap" aria-labelledby=labelled_by>
                    <h2 id=id>{heading}</h2>
                    <dl>{rows}</dl>
                    <a href=route(step) class="modifier">"Modifier" <span class="sr-only">{format!(" : {}", step.title())}</span></a>
                </section>
            }
        })
        .collect_view();
    let submit = move |_| {
        if sending.get_untracked() == Sending::Busy {
            return;
        }
        sending.set(Sending::Busy);
        let mut request = RegistrationRequest {
            donnees: wizard.draft.get_untracked(),
            secret: wizard.secret.get_untracked(),
            identifiant: wizard.proposed.get_untracked(),
            preuve_carte: None,
        };
        spawn_local(async move {
            // With the card: it signs a new challenge of the server, the proof the server believes.
            let proof = match request.donnees.mode {
                Some(Mode::Carte) => api::card_proof(&request.donnees.carte_lecteur).await.map(Some),
                _ => Ok(None),
            };
            let answer = match proof {
                Ok(proof) => {
                    request.preuve_carte = proof;
                    api::submit(&request, &key.get_value()).await
                }
                Err(error) => Err(error),
            };
            match answer {
                Ok(accepted) => {
                    storage::clear();
                    wizard.accepted.set(Some(accepted));
                    nav.go(CONFIRMATION);
                }
                Err(error) => {
                    match &error {
                        SubmitError::Invalid(errors) => {
                            wizard.touched.update(|t| t.extend(errors.fields()));
                            wizard.server_errors.set(errors.clone());
                        }
                        // The proposal was taken meanwhile: show the next one; sending again confirms it.
                        SubmitError::IdentifierTaken(next) => wizard.proposed.set(Some(next.identifiant.clone())),
                        _ => {}
                    }
                    sending.set(Sending::Failed(error.message()));
                    focus("envoi-erreur");
                }
            }
        });
    };
    let server_errors = move || {
        wizard.server_errors.with(|e| {
            e.0.iter()
                .filter_map(|(field, codes)| codes.first().map(|c| (*field, c.message(*field))))
                .map(|(field, message)| {
                    view! { <li><a href=route(field.step())>{message}</a></li> }
                })
                .collect_view()
        })
    };
    view! {
        <Progress current=None title="Récapitulatif de votre demande".to_owned() />
        <Notice />
        <p>"Vérifiez vos réponses avant d'envoyer votre demande d'adhésion. Chaque rubrique peut être modifiée."</p>
        {groups}
        <div id="envoi-erreur" class="erreur-envoi" role="alert" tabindex="-1">
            {move || match sending.get() {
                Sending::Failed(message) => Some(view! { <p>{message}</p><ul>{server_errors}</ul> }),
                _ => None,
            }}
        </div>
        <div class="navigation">
            <a class="bouton secondaire" href=route(Step::Adhesion)>"< Précédent"</a>
            <button
                type="button"
                class="bouton principal"
                aria-busy=move || (sending.get() == Sending::Busy).to_string()
                disabled=move || sending.get() == Sending::Busy
                on:click=submit
            >
                {move || if sending.get() == Sending::Busy { "Envoi en cours…" } else { "> Envoyer ma demande d'adhésion" }}
            </button>
        </div>
    }
    .into_any()
}
