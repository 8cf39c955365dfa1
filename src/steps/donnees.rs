//! Étape 2/4 : Données personnelles.
use crate::{
    fields::{FieldError, ReadOnly, SelectField, TextField},
    layout::StepPage,
    state::{lens, use_wizard},
};
use leptos::prelude::*;
use promess_core::{
    Field, Step,
    birth::MONTHS,
    nos::{self, Code, PROFESSION_AUTRE},
    postal::PostalCode,
};

const DAYS: [&str; 31] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
    "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
];
const MONTH_NUMBERS: [&str; 12] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

fn options(table: &'static [Code]) -> Vec<(String, String)> {
    table.iter().map(|c| (c.code.to_owned(), c.label.to_owned())).collect()
}

#[component]
pub fn Donnees() -> impl IntoView {
    let wizard = use_wizard();
    let draft = wizard.draft;
    let autre = move || draft.with(|d| d.profession == PROFESSION_AUTRE);
    let departement = Signal::derive(move || {
        draft
            .with(|d| PostalCode::parse(&d.code_postal).ok().and_then(|p| p.departement()).map(|d| d.to_string()))
            .unwrap_or_default()
    });
    let mut professions = options(nos::PROFESSIONS);
    professions.push((PROFESSION_AUTRE.to_owned(), "Autre".to_owned()));
    let days: Vec<_> = DAYS.iter().map(|d| (d.to_string(), d.to_string())).collect();
    let months: Vec<_> = MONTH_NUMBERS.iter().zip(MONTHS).map(|(n, m)| (n.to_string(), m.to_owned())).collect();

    view! {
        <StepPage step=Step::Donnees>
            <p class="aide">"Les champs signalés par un astérisque (*) sont obligatoires."</p>
            <fieldset class="groupe">
                <legend>"Saisie des données personnelles"</legend>
                <SelectField field=Field::Civilite lens=lens!(civilite) options=options(nos::CIVILITES) required=true autocomplete="honorific-prefix" />
                <TextField field=Field::Nom lens=lens!(nom) required=true autocomplete="family-name" maxlength=50 />
                <TextField field=Field::Prenom lens=lens!(prenom) required=true autocomplete="given-name" maxlength=50 />
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
                <TextField field=Field::LieuExercice lens=lens!(lieu_exercice) required=true autocomplete="organization" maxlength=100
                    hint="Établissement, cabinet ou structure où vous exercez." />
            </fieldset>
            <fieldset class="groupe">
                <legend>"Profession"</legend>
                <p class="avis-discret">"Professionnels de Santé : merci de veiller à compléter le champ n°RPPS ou n°ADELI."</p>
                <SelectField field=Field::Profession lens=lens!(profession) options=professions required=true />
                <Show when=autre>
                    <TextField field=Field::ProfessionAutre lens=lens!(profession_autre) required=true maxlength=100 />
                </Show>
                <TextField field=Field::Rpps lens=lens!(rpps) inputmode="numeric" hint="11 chiffres, inscrits sur votre carte CPS." />
                <SelectField field=Field::SpecialiteRpps lens=lens!(specialite_rpps) options=options(nos::SPECIALITES_RPPS) empty="Aucune" />
                <TextField field=Field::Adeli lens=lens!(adeli) inputmode="numeric" hint="9 chiffres." />
                <SelectField field=Field::SpecialiteAdeli lens=lens!(specialite_adeli) options=options(nos::SPECIALITES_ADELI) empty="Aucune" />
            </fieldset>
            <fieldset class="groupe">
                <legend>"Adresse professionnelle"</legend>
                <TextField field=Field::Adresse lens=lens!(adresse) autocomplete="street-address" maxlength=200 />
                <TextField field=Field::CodePostal lens=lens!(code_postal) inputmode="numeric" autocomplete="postal-code" maxlength=5 />
                <TextField field=Field::Ville lens=lens!(ville) autocomplete="address-level2" maxlength=100 />
                <ReadOnly id="departement" label="Département" value=departement />
            </fieldset>
            <fieldset class="groupe">
                <legend>"Téléphone"</legend>
                <p class="aide">"Renseignez un numéro de téléphone fixe ou mobile" <span class="requis" aria-hidden="true">"*"</span></p>
                <TextField field=Field::Telephone lens=lens!(telephone) kind="tel" autocomplete="work tel" />
                <TextField field=Field::Mobile lens=lens!(mobile) kind="tel" autocomplete="mobile tel" />
                <TextField field=Field::Fax lens=lens!(fax) kind="tel" autocomplete="fax tel" />
            </fieldset>
        </StepPage>
    }
}
