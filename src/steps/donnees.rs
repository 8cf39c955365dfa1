//! Étape 2/4 : Données personnelles.
use crate::{
    app::Strength,
    communes::{Communes, communes, departement},
    fields::{Choices, FieldError, ReadOnly, SelectField, TextField},
    layout::StepPage,
    shell::Later,
    state::{lens, use_wizard},
};
use leptos::{either::Either, prelude::*};
use promess_core::{
    Field, Step,
    birth::MONTHS,
    commune,
    nos::{self, PROFESSION_AUTRE},
};

const DAYS: [&str; 31] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
    "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
];
const MONTH_NUMBERS: [&str; 12] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

#[component]
pub fn Donnees() -> impl IntoView {
    let wizard = use_wizard();
    crate::psc::take_return(wizard);
    // The strength worker loads and unpacks its word lists while the user fills this step in: the meter is ready
    // at step 3. (The page before the app, drawn natively, has no worker.)
    if let Some(strength) = use_context::<StoredValue<Strength, LocalStorage>>() {
        strength.with_value(|strength| strength.0.warm_up());
    }
    let draft = wizard.draft;
    let autre = move || draft.with(|d| d.profession == PROFESSION_AUTRE);
    let communes = communes(draft);
    // One commune: it is the town. Several: the town must be one of them (spelt as the data spells it).
    Effect::new(move |_| {
        communes.with(|c| {
            let Communes::Found(list) = c else { return };
            let ville = draft.with(|d| d.ville.clone());
            let chosen = match (list.as_slice(), commune::find(list, &ville)) {
                ([only], _) => only.nom.clone(),
                (_, Some(c)) => c.nom.clone(),
                (_, None) => String::new(),
            };
            if chosen != ville {
                draft.update(|d| d.ville = chosen);
                wizard.edited(Field::Ville);
            }
        })
    });
    let departement = Signal::derive(move || communes.with(|c| draft.with(|d| departement(c, d))));
    let ville = move || match communes.get() {
        Communes::Found(list) if list.len() > 1 => {
            let names: Vec<_> = list.into_iter().map(|c| (c.nom.clone(), c.nom)).collect();
            Either::Left(view! {
                <SelectField field=Field::Ville lens=lens!(ville) options=Choices::from(names) autocomplete="address-level2" />
            })
        }
        _ => Either::Right(view! { <TextField field=Field::Ville lens=lens!(ville) autocomplete="address-level2" /> }),
    };
    // The specialties of the chosen profession only; a specialty of another profession is dropped.
    let specialites = Memo::new(move |_| {
        draft.with(|d| {
            nos::specialites_rpps(&d.profession)
                .map(|c| (c.code.to_owned(), nos::short_label(c).to_owned()))
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| {
        let stale = draft.with(|d| {
            !d.specialite_rpps.is_empty() && nos::parse_specialite_rpps(&d.profession, &d.specialite_rpps).is_err()
        });
        if stale {
            draft.update(|d| d.specialite_rpps.clear());
        }
    });
    let mut professions = Choices::of(nos::PROFESSIONS);
    professions.0[0].1.push((PROFESSION_AUTRE.to_owned(), "Autre".to_owned()));
    let civilites = Choices::grouped(&[("Civilité", nos::CIVILITES), ("Civilité d'exercice", nos::CIVILITES_EXERCICE)]);
    let autres = Choices::grouped(&[
        ("Usagers de titre professionnel", nos::USAGERS_TITRE),
        ("Professions du social", nos::PROFESSIONS_SOCIAL),
    ]);
    let days: Vec<_> = DAYS.iter().map(|d| (d.to_string(), d.to_string())).collect();
    let months: Vec<_> = MONTH_NUMBERS.iter().zip(MONTHS).map(|(n, m)| (n.to_string(), m.to_owned())).collect();
    let (days, months) = (Choices::from(days), Choices::from(months));

    view! {
        <StepPage step=Step::Donnees>
            <p class="aide">"Les champs signalés par un astérisque (*) sont obligatoires."</p>
            <fieldset class="groupe">
                <legend>"Saisie des données personnelles"</legend>
                <SelectField field=Field::Civilite lens=lens!(civilite) options=civilites required=true autocomplete="honorific-prefix" />
                <TextField field=Field::Nom lens=lens!(nom) required=true autocomplete="family-name" />
                <TextField field=Field::Prenom lens=lens!(prenom) required=true autocomplete="given-name" />
                <fieldset class="champ naissance">
                    <legend>"Jour/Mois de naissance" <span class="requis" aria-hidden="true">"*"</span></legend>
                    <div class="ligne">
                        <SelectField field=Field::Naissance lens=lens!(jour_naissance) options=days label="Jour" required=true autocomplete="bday-day" empty="Jour" id="naissance" />
                        <SelectField field=Field::Naissance lens=lens!(mois_naissance) options=months label="Mois" required=true autocomplete="bday-month" empty="Mois" id="naissance_mois" />
                    </div>
                    <FieldError field=Field::Naissance />
                </fieldset>
                <TextField field=Field::Email lens=lens!(email) required=true kind="email" autocomplete="email"
                    hint="Adresse individuelle de messagerie non sécurisée qui vous permet de recevoir les notifications ainsi que les rappels de mots de passe." />
                <TextField field=Field::EmailConfirmation lens=lens!(email_confirmation) required=true kind="email" autocomplete="email" />
                <TextField field=Field::LieuExercice lens=lens!(lieu_exercice) required=true autocomplete="organization"
                    hint="Établissement, cabinet ou structure où vous exercez." />
            </fieldset>
            <Later>
            <fieldset class="groupe">
                <legend>"Profession"</legend>
                <p class="avis-discret">"Professionnels de Santé : merci de veiller à compléter le champ n°RPPS ou n°ADELI."</p>
                <SelectField field=Field::Profession lens=lens!(profession) options=professions required=true />
                <Show when=autre>
                    <SelectField field=Field::ProfessionAutre lens=lens!(profession_autre) options=autres.clone() required=true />
                </Show>
                <TextField field=Field::Rpps lens=lens!(rpps) inputmode="numeric" hint="11 chiffres, inscrits sur votre carte CPS." />
                <Show when=move || specialites.with(|s| !s.is_empty())>
                    <SelectField field=Field::SpecialiteRpps lens=lens!(specialite_rpps) options=Signal::derive(move || Choices::from(specialites.get())) empty="Aucune" />
                </Show>
                <TextField field=Field::Adeli lens=lens!(adeli) inputmode="numeric" hint="9 chiffres." />
                <SelectField field=Field::SpecialiteAdeli lens=lens!(specialite_adeli) options=Choices::of(nos::SPECIALITES_ADELI) empty="Aucune" />
            </fieldset>
            <fieldset class="groupe">
                <legend>"Adresse professionnelle"</legend>
                <TextField field=Field::Adresse lens=lens!(adresse) autocomplete="street-address" />
                <TextField field=Field::CodePostal lens=lens!(code_postal) inputmode="numeric" autocomplete="postal-code" />
                <p id="code_postal-communes" class="aide" role="status">{move || communes.with(Communes::status)}</p>
                {ville}
                <ReadOnly id="departement" label="Département" value=departement />
            </fieldset>
            <fieldset class="groupe">
                <legend>"Téléphone"</legend>
                <p class="aide">"Renseignez un numéro de téléphone fixe ou mobile" <span class="requis" aria-hidden="true">"*"</span></p>
                <TextField field=Field::Telephone lens=lens!(telephone) kind="tel" autocomplete="work tel" />
                <TextField field=Field::Mobile lens=lens!(mobile) kind="tel" autocomplete="mobile tel" />
                <TextField field=Field::Fax lens=lens!(fax) kind="tel" autocomplete="fax tel" />
            </fieldset>
            </Later>
        </StepPage>
    }
}
