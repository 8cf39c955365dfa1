//! The wizard's fields and steps. A field's key is both its JSON name (payload, 422 answers) and its DOM id.
use serde::{Deserialize, Serialize};

macro_rules! fields {
    ($($variant:ident => $key:literal, $label:literal, $step:ident;)*) => {
        /// A field of the registration form.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Field { $($variant,)* }

        impl Field {
            pub const ALL: &[Field] = &[$(Field::$variant,)*];

            /// Stable key: JSON name and DOM id.
            pub const fn key(self) -> &'static str {
                match self { $(Field::$variant => $key,)* }
            }

            /// The French label shown to the user (without the asterisk).
            pub const fn label(self) -> &'static str {
                match self { $(Field::$variant => $label,)* }
            }

            /// The step whose screen holds the field.
            pub const fn step(self) -> Step {
                match self { $(Field::$variant => Step::$step,)* }
            }
        }
    };
}

fields! {
    Mode => "mode", "Carte CPS", Carte;
    Civilite => "civilite", "Civilité", Donnees;
    Nom => "nom", "Nom", Donnees;
    Prenom => "prenom", "Prénom", Donnees;
    Naissance => "naissance", "Jour/Mois de naissance", Donnees;
    Email => "email", "Email", Donnees;
    EmailConfirmation => "email_confirmation", "Confirmation email", Donnees;
    LieuExercice => "lieu_exercice", "Lieu d'exercice", Donnees;
    Profession => "profession", "Profession", Donnees;
    ProfessionAutre => "profession_autre", "Profession (autre)", Donnees;
    Rpps => "rpps", "N° RPPS", Donnees;
    SpecialiteRpps => "specialite_rpps", "Spécialité RPPS", Donnees;
    Adeli => "adeli", "N° ADELI", Donnees;
    SpecialiteAdeli => "specialite_adeli", "Spécialité ADELI", Donnees;
    Adresse => "adresse", "Adresse", Donnees;
    CodePostal => "code_postal", "Code postal", Donnees;
    Ville => "ville", "Ville", Donnees;
    Telephone => "telephone", "Téléphone", Donnees;
    Mobile => "mobile", "Mobile", Donnees;
    Fax => "fax", "Fax", Donnees;
    MotDePasse => "mot_de_passe", "Mot de passe", Identifiant;
    MotDePasseConfirmation => "mot_de_passe_confirmation", "Confirmez votre mot de passe", Identifiant;
    SecondFacteur => "second_facteur", "Second facteur", Identifiant;
    Mssante => "mssante", "Boîte MSSanté", Adhesion;
    ListeRouge => "liste_rouge", "Liste rouge", Adhesion;
    PublierTelephone => "publier_telephone", "Numéro dans l'annuaire MSSanté", Adhesion;
    TelephonePublie => "telephone_publie", "Numéro de téléphone à publier", Adhesion;
    DocumentsElectroniques => "documents_electroniques", "Réception de documents par voie électronique", Adhesion;
    Cgu => "cgu", "Conditions Générales et Particulières d'Utilisation", Adhesion;
}

impl Field {
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.key() == key)
    }

    /// The longest answer the rules accept, for the fields whose limit the input shows (`maxlength`).
    pub const fn max_chars(self) -> Option<usize> {
        match self {
            Field::Nom | Field::Prenom => Some(crate::name::MAX_NAME_CHARS),
            Field::LieuExercice | Field::Ville => Some(crate::registration::MAX_TEXT_CHARS),
            Field::Adresse => Some(crate::registration::MAX_ADDRESS_CHARS),
            Field::CodePostal => Some(crate::postal::DIGITS),
            _ => None,
        }
    }
}

/// A set of fields, as bits (there are fewer than 64 fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldSet(u64);

impl FieldSet {
    const fn bit(field: Field) -> u64 {
        1 << field as u32
    }

    pub fn insert(&mut self, field: Field) {
        self.0 |= Self::bit(field);
    }

    pub const fn contains(self, field: Field) -> bool {
        self.0 & Self::bit(field) != 0
    }
}

impl Extend<Field> for FieldSet {
    fn extend<I: IntoIterator<Item = Field>>(&mut self, fields: I) {
        fields.into_iter().for_each(|f| self.insert(f));
    }
}

const _: () = assert!(Field::ALL.len() <= 64, "FieldSet holds 64 fields at most");

/// The wizard's four steps, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Step {
    Carte,
    Donnees,
    Identifiant,
    Adhesion,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Carte, Step::Donnees, Step::Identifiant, Step::Adhesion];

    /// 1-based number shown in "Étape N/4".
    pub const fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The procedure's title of the step.
    pub const fn title(self) -> &'static str {
        match self {
            Step::Carte => "Carte CPS",
            Step::Donnees => "Données personnelles",
            Step::Identifiant => "Choix de votre identifiant",
            Step::Adhesion => "Adhésion",
        }
    }

    pub fn fields(self) -> impl Iterator<Item = Field> {
        Field::ALL.iter().copied().filter(move |f| f.step() == self)
    }

    pub fn previous(self) -> Option<Step> {
        (self as usize).checked_sub(1).map(|i| Step::ALL[i])
    }

    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self as usize + 1).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_key(f.key()), Some(*f));
            assert_eq!(serde_json_key(*f), f.key());
        }
    }

    fn serde_json_key(f: Field) -> String {
        serde_json::to_value(f).unwrap().as_str().unwrap().to_owned()
    }

    #[test]
    fn field_sets() {
        let mut set = FieldSet::default();
        assert!(!set.contains(Field::Nom));
        set.extend(Step::Donnees.fields());
        assert!(set.contains(Field::Nom) && set.contains(Field::Fax));
        assert!(!set.contains(Field::Cgu) && !set.contains(Field::Mode));
    }

    #[test]
    fn steps_are_ordered() {
        assert_eq!(Step::Carte.number(), 1);
        assert_eq!(Step::Adhesion.number(), 4);
        assert_eq!(Step::Donnees.next(), Some(Step::Identifiant));
        assert_eq!(Step::Carte.previous(), None);
        assert!(Step::Donnees.fields().any(|f| f == Field::Rpps));
    }
}
