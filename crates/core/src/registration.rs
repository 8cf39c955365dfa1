//! The answers of the wizard (`Draft`), the payload posted to the server (`RegistrationRequest`), and their
//! parsing, step by step, into a `Registration` that can only hold valid data.
use crate::{
    OperatorConfig,
    birth::BirthDayMonth,
    card::{CardIdentity, FullIdentity},
    contact::{Email, Phone},
    error::{ErrorCode, FieldErrors},
    field::{Field, Step},
    identifiers::{Adeli, Identifiant, Rpps},
    name::PersonName,
    nos, password,
    postal::PostalCode,
};
use serde::{Deserialize, Serialize};

/// Longest free text (lieu d'exercice, profession autre, ville), in characters.
pub const MAX_TEXT_CHARS: usize = 100;
/// Longest street address, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// How the professional identifies: with the CPS card, through Pro Santé Connect, or by typing their details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Carte,
    Manuel,
    Psc,
}

impl Mode {
    /// The draft's text for the mode (sessionStorage), the same as serde's.
    pub const fn key(self) -> &'static str {
        match self {
            Mode::Carte => "carte",
            Mode::Manuel => "manuel",
            Mode::Psc => "psc",
        }
    }

    pub fn from_key(key: &str) -> Option<Mode> {
        [Mode::Carte, Mode::Manuel, Mode::Psc].into_iter().find(|m| m.key() == key)
    }

    /// The identity is proven (card or Pro Santé Connect): its fields are locked and the server checks them.
    pub const fn proven(self) -> bool {
        matches!(self, Mode::Carte | Mode::Psc)
    }
}

/// Everything the user answered, as typed, except the password (never stored). Safe to keep in sessionStorage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Draft {
    pub mode: Option<Mode>,
    pub civilite: String,
    pub nom: String,
    pub prenom: String,
    pub jour_naissance: String,
    pub mois_naissance: String,
    pub email: String,
    pub email_confirmation: String,
    pub lieu_exercice: String,
    pub profession: String,
    pub profession_autre: String,
    pub rpps: String,
    pub specialite_rpps: String,
    pub adeli: String,
    pub specialite_adeli: String,
    pub adresse: String,
    pub code_postal: String,
    pub ville: String,
    pub telephone: String,
    pub mobile: String,
    pub fax: String,
    pub mssante: bool,
    pub liste_rouge: Option<bool>,
    pub publier_telephone: Option<bool>,
    /// E.164 form of the number to publish, one of `telephone` and `mobile`.
    pub telephone_publie: String,
    pub documents_electroniques: bool,
    pub cgu: bool,
    /// With the card: the reader it is in (where the page asks for the card's proof at submission), the SHA-256
    /// of the certificate read and the national id it showed. For the page only: the server believes the card's
    /// proof (`RegistrationRequest::preuve_carte`), never these.
    pub carte_lecteur: String,
    pub carte_certificat: String,
    pub carte_identifiant_national: String,
    /// With Pro Santé Connect: the one-time handle of what the server verified (the server believes its own
    /// record of it, bound to this browser, never the fields), and the national id it showed.
    pub psc_poignee: String,
    pub psc_identifiant_national: String,
    /// The second factor set up at step 3: the server's handle of the set-up it confirmed (the server believes its
    /// own record of it, never this), and whether the professional says they kept their recovery codes.
    pub facteur: String,
    pub codes_conserves: bool,
}

/// The draft as text pairs, for a store that holds text (the browser's sessionStorage) without a JSON parser in
/// the wasm. Every field of `Draft` is listed here once; a test checks the round trip.
macro_rules! draft_text {
    (text: $($t:ident),*; flags: $($f:ident),*; choices: $($c:ident),*;) => {
        impl Draft {
            pub const TEXT_KEYS: &[&str] = &["mode", $(stringify!($t),)* $(stringify!($f),)* $(stringify!($c),)*];

            pub fn to_text_pairs(&self) -> Vec<(&'static str, String)> {
                let mode = self.mode.map_or("", Mode::key);
                let choice = |c: Option<bool>| match c { Some(true) => "oui", Some(false) => "non", None => "" };
                let mut pairs = vec![("mode", mode.to_owned())];
                $(pairs.push((stringify!($t), self.$t.clone()));)*
                $(pairs.push((stringify!($f), if self.$f { "oui" } else { "non" }.to_owned()));)*
                $(pairs.push((stringify!($c), choice(self.$c).to_owned()));)*
                pairs
            }

            /// Unknown keys and values are ignored: an older draft loads as far as it can.
            pub fn from_text_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Draft {
                let mut d = Draft::default();
                for (key, value) in pairs {
                    match key {
                        "mode" => d.mode = Mode::from_key(value),
                        $(stringify!($t) => d.$t = value.to_owned(),)*
                        $(stringify!($f) => d.$f = value == "oui",)*
                        $(stringify!($c) => d.$c = match value { "oui" => Some(true), "non" => Some(false), _ => None },)*
                        _ => {}
                    }
                }
                d
            }
        }
    };
}

draft_text! {
    text: civilite, nom, prenom, jour_naissance, mois_naissance, email, email_confirmation, lieu_exercice,
        profession, profession_autre, rpps, specialite_rpps, adeli, specialite_adeli, adresse, code_postal, ville,
        telephone, mobile, fax, telephone_publie, carte_lecteur, carte_certificat,
        carte_identifiant_national, psc_poignee, psc_identifiant_national, facteur;
    flags: mssante, documents_electroniques, cgu, codes_conserves;
    choices: liste_rouge, publier_telephone;
}

/// The password as typed twice; lives in memory only, cannot be printed by accident, and is wiped when dropped.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub mot_de_passe: String,
    pub mot_de_passe_confirmation: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.mot_de_passe);
        zeroize::Zeroize::zeroize(&mut self.mot_de_passe_confirmation);
    }
}

/// The JSON body of `POST /api/registrations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    pub donnees: Draft,
    pub secret: Credentials,
    /// The identifier the user saw and confirmed, if any: when it was taken meanwhile, the server answers 409
    /// with the next proposal instead of silently giving another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifiant: Option<String>,
    /// With the card: its proof, a challenge of the server signed by the card (see `card::CardProof`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preuve_carte: Option<crate::card::CardProof>,
}

/// The answer of `GET /api/identifiants`, and of a 409 when the confirmed identifier was taken meanwhile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub identifiant: String,
    pub adresse: String,
}

impl Proposal {
    /// The proposal of an identifier, with its secure address.
    pub fn of(identifiant: &Identifiant, config: &OperatorConfig, mssante: bool) -> Proposal {
        Proposal { identifiant: identifiant.to_string(), adresse: identifiant.address(config, mssante) }
    }
}

/// Where a request stands: the answer of `POST /api/registrations` (202, a request received) and of
/// `POST /api/confirmations` (what the request became once its email is confirmed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationAccepted {
    pub identifiant: String,
    pub adresse: String,
    pub statut: crate::lifecycle::Statut,
}

/// A profession: a TRE_G15 code, or "Autre" with a TRE_R95/TRE_R94 title.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profession {
    Sante(&'static str),
    Autre(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonalData {
    pub civilite: &'static str,
    pub nom: PersonName,
    pub prenom: PersonName,
    pub naissance: BirthDayMonth,
    pub email: Email,
    pub lieu_exercice: String,
    pub profession: Profession,
    pub rpps: Option<Rpps>,
    pub specialite_rpps: Option<&'static str>,
    pub adeli: Option<Adeli>,
    pub specialite_adeli: Option<&'static str>,
    pub adresse: Option<String>,
    pub code_postal: Option<PostalCode>,
    pub ville: Option<String>,
    pub telephone: Option<Phone>,
    pub mobile: Option<Phone>,
    pub fax: Option<Phone>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub mssante: bool,
    pub liste_rouge: bool,
    pub telephone_publie: Option<Phone>,
    pub documents_electroniques: bool,
}

pub use crate::psc::PscUse;

/// The CPS card that proved the identity: what the server verified, recorded with the registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardUse {
    pub identifiant_national: String,
    /// SHA-256 of the authentication certificate, hexadecimal.
    pub certificat: String,
    pub emetteur: String,
    pub numero_serie: String,
    /// The proof's signature algorithm (RS256, ES256).
    pub algorithme: String,
    /// Unix time of the verification.
    pub verifie_le: i64,
}

/// A registration whose every answer is valid. The password is not kept here: hash it first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Registration {
    pub mode: Mode,
    pub carte: Option<CardUse>,
    pub psc: Option<PscUse>,
    pub personal: PersonalData,
    pub identifiant: Identifiant,
    pub membership: Membership,
}

/// What a proof (card or Pro Santé Connect) says of the locked fields.
struct ProvenIdentity<'a> {
    nom: &'a str,
    prenom: &'a str,
    rpps: Option<&'a str>,
    adeli: Option<&'a str>,
    profession: Option<&'a str>,
}

fn optional<T>(input: &str, parse: impl FnOnce(&str) -> Result<T, ErrorCode>) -> Result<Option<T>, ErrorCode> {
    if input.trim().is_empty() { Ok(None) } else { parse(input).map(Some) }
}

fn text(input: &str, max: usize) -> Result<String, ErrorCode> {
    let t = input.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.chars().count() {
        0 => Err(ErrorCode::Required),
        n if n > max => Err(ErrorCode::TooLong),
        _ => Ok(t),
    }
}

fn done<T>(value: Option<T>, errors: FieldErrors) -> Result<T, FieldErrors> {
    match value {
        Some(v) if errors.is_empty() => Ok(v),
        _ => Err(errors),
    }
}

impl Draft {
    /// Step 1: a way to identify was chosen.
    pub fn mode(&self) -> Result<Mode, FieldErrors> {
        let mut e = FieldErrors::default();
        let mode = e.check(Field::Mode, self.mode.ok_or(ErrorCode::Required));
        done(mode, e)
    }

    /// The fields the card or Pro Santé Connect filled in, locked while that path is taken.
    pub fn proven_field(&self, field: Field) -> bool {
        self.mode.is_some_and(Mode::proven)
            && matches!(field, Field::Nom | Field::Prenom | Field::Profession | Field::Rpps | Field::Adeli)
    }

    /// Step 2 pre-filled from the card: the identity fields (locked, see `proven_field`), and the civilité, profession
    /// and specialty when the national tables know them; the rest of the answers is kept.
    pub fn fill_from_card(&mut self, reader: &str, full: &FullIdentity) {
        let card = &full.carte;
        self.mode = Some(Mode::Carte);
        self.nom = card.nom.clone();
        self.prenom = card.prenom.clone();
        self.rpps = card.rpps.clone().unwrap_or_default();
        self.adeli = card.adeli.clone().unwrap_or_default();
        self.carte_lecteur = reader.to_owned();
        self.carte_certificat = card.certificat.empreinte_sha256.clone();
        self.carte_identifiant_national = card.identifiant_national.clone();
        let known = |tables: &[&'static [&'static str]], code: &Option<String>| {
            code.as_deref().and_then(|c| nos::parse(tables, c).ok()).map(str::to_owned)
        };
        if let Some(profession) = known(&[nos::PROFESSIONS_CODES], &card.profession) {
            self.profession = profession;
        }
        if let Some(civilite) = known(nos::CIVILITE_CODES, &full.civilite) {
            self.civilite = civilite;
        }
        if let Some(specialite) =
            full.specialite.as_deref().and_then(|s| nos::parse_specialite_rpps(&self.profession, s).ok())
        {
            self.specialite_rpps = specialite.to_owned();
        }
    }

    /// Step 2 pre-filled from what Pro Santé Connect proved (`handle` is the server's record of it): the identity
    /// (locked, see `proven_field`), and the civility, profession, specialty and practice it gives.
    pub fn fill_from_psc(&mut self, handle: &str, id: &crate::psc::PscIdentity) {
        self.leave_proof();
        self.mode = Some(Mode::Psc);
        self.nom = id.nom.clone();
        self.prenom = id.prenom.clone();
        self.rpps = id.rpps.clone().unwrap_or_default();
        self.adeli = id.adeli.clone().unwrap_or_default();
        self.psc_poignee = handle.to_owned();
        self.psc_identifiant_national = id.identifiant_national.clone();
        let fills = [
            (&mut self.civilite, &id.civilite),
            (&mut self.profession, &id.profession),
            (&mut self.specialite_rpps, &id.specialite),
            (&mut self.lieu_exercice, &id.lieu_exercice),
            (&mut self.adresse, &id.adresse),
            (&mut self.code_postal, &id.code_postal),
            (&mut self.ville, &id.ville),
            (&mut self.telephone, &id.telephone),
        ];
        for (field, value) in fills {
            if let Some(v) = value {
                v.clone_into(field);
            }
        }
    }

    /// Takes the manual path; leaving the card or Pro Santé Connect, the answers stay, editable, and the proof's
    /// record goes.
    pub fn leave_proof(&mut self) {
        self.mode = Some(Mode::Manuel);
        self.carte_lecteur.clear();
        self.carte_certificat.clear();
        self.carte_identifiant_national.clear();
        self.psc_poignee.clear();
        self.psc_identifiant_national.clear();
    }

    /// The locked fields compared with a proof's: each that differs is an error `code`.
    fn proof_mismatches(&self, proven: ProvenIdentity<'_>, code: ErrorCode) -> FieldErrors {
        let mut e = FieldErrors::default();
        let same = |typed: &str, read: &str| typed.split_whitespace().eq(read.split_whitespace());
        let digits = |s: &str| s.split_whitespace().collect::<String>();
        let checks = [
            (Field::Nom, same(&self.nom, proven.nom)),
            (Field::Prenom, same(&self.prenom, proven.prenom)),
            (Field::Rpps, digits(&self.rpps) == proven.rpps.unwrap_or_default()),
            (Field::Adeli, digits(&self.adeli) == proven.adeli.unwrap_or_default()),
            (Field::Profession, proven.profession.is_none_or(|p| p == self.profession)),
        ];
        for (field, ok) in checks {
            if !ok {
                e.add(field, code);
            }
        }
        e
    }

    /// With the card: the locked fields must be what the verified certificate says (`card` is read from it).
    pub fn card_mismatches(&self, card: &CardIdentity) -> FieldErrors {
        let proven = ProvenIdentity {
            nom: &card.nom,
            prenom: &card.prenom,
            rpps: card.rpps.as_deref(),
            adeli: card.adeli.as_deref(),
            profession: card.profession.as_deref(),
        };
        self.proof_mismatches(proven, ErrorCode::CardMismatch)
    }

    /// With Pro Santé Connect: the locked fields must be what the server's record of PSC's answer says.
    pub fn psc_mismatches(&self, id: &crate::psc::PscIdentity) -> FieldErrors {
        let proven = ProvenIdentity {
            nom: &id.nom,
            prenom: &id.prenom,
            rpps: id.rpps.as_deref(),
            adeli: id.adeli.as_deref(),
            profession: id.profession.as_deref(),
        };
        self.proof_mismatches(proven, ErrorCode::PscMismatch)
    }

    /// Step 2: the personal and professional data.
    pub fn personal_data(&self) -> Result<PersonalData, FieldErrors> {
        let mut e = FieldErrors::default();
        let civilite = e.check(Field::Civilite, nos::parse(nos::CIVILITE_CODES, &self.civilite));
        let nom = e.check(Field::Nom, PersonName::parse(&self.nom));
        let prenom = e.check(Field::Prenom, PersonName::parse(&self.prenom));
        if let (Some(p), Some(n)) = (&prenom, &nom) {
            e.check(Field::Nom, Identifiant::derive(p, n));
        }
        let naissance = e.check(Field::Naissance, BirthDayMonth::parse(&self.jour_naissance, &self.mois_naissance));
        let email = e.check(Field::Email, Email::parse(&self.email));
        match self.email_confirmation.trim() {
            "" => e.add(Field::EmailConfirmation, ErrorCode::Required),
            c if email.is_some() && !Email::same(&self.email, c) => {
                e.add(Field::EmailConfirmation, ErrorCode::EmailMismatch)
            }
            _ => {}
        }
        let lieu_exercice = e.check(Field::LieuExercice, text(&self.lieu_exercice, MAX_TEXT_CHARS));
        let profession = if self.profession == nos::PROFESSION_AUTRE {
            e.check(Field::ProfessionAutre, nos::parse(nos::PROFESSION_AUTRE_CODES, &self.profession_autre))
                .map(Profession::Autre)
        } else {
            e.check(Field::Profession, nos::parse(&[nos::PROFESSIONS_CODES], &self.profession)).map(Profession::Sante)
        };
        let rpps = e.check(Field::Rpps, optional(&self.rpps, Rpps::parse));
        let adeli = e.check(Field::Adeli, optional(&self.adeli, Adeli::parse));
        if rpps == Some(None) && adeli == Some(None) {
            e.add(Field::Rpps, ErrorCode::RppsOrAdeliRequired);
        }
        let specialite_rpps = e.check(
            Field::SpecialiteRpps,
            optional(&self.specialite_rpps, |c| nos::parse_specialite_rpps(&self.profession, c)),
        );
        let specialite_adeli = e.check(
            Field::SpecialiteAdeli,
            optional(&self.specialite_adeli, |c| nos::parse(&[nos::SPECIALITES_ADELI_CODES], c)),
        );
        let adresse = e.check(Field::Adresse, optional(&self.adresse, |t| text(t, MAX_ADDRESS_CHARS)));
        let code_postal = e.check(Field::CodePostal, optional(&self.code_postal, PostalCode::parse));
        let ville = e.check(Field::Ville, optional(&self.ville, |t| text(t, MAX_TEXT_CHARS)));
        let telephone = e.check(Field::Telephone, optional(&self.telephone, Phone::parse));
        let mobile = e.check(Field::Mobile, optional(&self.mobile, Phone::parse));
        let fax = e.check(Field::Fax, optional(&self.fax, Phone::parse));
        if telephone == Some(None) && mobile == Some(None) {
            e.add(Field::Telephone, ErrorCode::PhoneRequired);
        }
        let data = (|| {
            Some(PersonalData {
                civilite: civilite?,
                nom: nom?,
                prenom: prenom?,
                naissance: naissance?,
                email: email?,
                lieu_exercice: lieu_exercice?,
                profession: profession?,
                rpps: rpps?,
                specialite_rpps: specialite_rpps?,
                adeli: adeli?,
                specialite_adeli: specialite_adeli?,
                adresse: adresse?,
                code_postal: code_postal?,
                ville: ville?,
                telephone: telephone?,
                mobile: mobile?,
                fax: fax?,
            })
        })();
        done(data, e)
    }

    /// The proposed identifier, prenom.nom, once both names are valid.
    pub fn identifiant(&self) -> Option<Identifiant> {
        Identifiant::of_names(&self.prenom, &self.nom).ok()
    }

    /// The words a password must not contain.
    pub fn personal_words(&self) -> Vec<String> {
        let id = self.identifiant();
        password::personal_words(&self.prenom, &self.nom, id.as_ref().map_or("", Identifiant::as_str))
    }

    /// Step 3: the identifier and the password, given its zxcvbn score (None while unknown).
    pub fn credentials(&self, credentials: &Credentials, score: Option<u8>) -> Result<Identifiant, FieldErrors> {
        let mut e = FieldErrors::default();
        let words = self.personal_words();
        e.check(Field::MotDePasse, password::check(&credentials.mot_de_passe, &words, score));
        if credentials.mot_de_passe_confirmation.is_empty() {
            e.add(Field::MotDePasseConfirmation, ErrorCode::Required);
        } else if credentials.mot_de_passe_confirmation != credentials.mot_de_passe {
            e.add(Field::MotDePasseConfirmation, ErrorCode::PasswordMismatch);
        }
        // No account with a password alone: the second factor is set up before the request leaves.
        if self.facteur.trim().is_empty() {
            e.add(Field::SecondFacteur, ErrorCode::FactorRequired);
        } else if !self.codes_conserves {
            e.add(Field::SecondFacteur, ErrorCode::RecoveryCodesNotKept);
        }
        done(self.identifiant(), e)
    }

    /// The valid numbers among Téléphone and Mobile, with their field: those that may be published.
    pub fn publishable_phones(&self) -> Vec<(Field, Phone)> {
        [(Field::Telephone, &self.telephone), (Field::Mobile, &self.mobile)]
            .into_iter()
            .filter_map(|(field, raw)| Phone::parse(raw).ok().map(|p| (field, p)))
            .collect()
    }

    /// Step 4: the membership answers; the published number must be one of step 2's.
    pub fn membership(&self) -> Result<Membership, FieldErrors> {
        let phones = self.publishable_phones();
        let mut e = FieldErrors::default();
        let liste_rouge = e.check(Field::ListeRouge, self.liste_rouge.ok_or(ErrorCode::Required));
        let publier = e.check(Field::PublierTelephone, self.publier_telephone.ok_or(ErrorCode::Required));
        let telephone_publie = match publier {
            Some(true) => e
                .check(
                    Field::TelephonePublie,
                    match Phone::parse(&self.telephone_publie) {
                        Ok(p) if phones.iter().any(|(_, q)| *q == p) => Ok(Some(p)),
                        Ok(_) => Err(ErrorCode::NotAPhoneOfStep2),
                        Err(code) => Err(code),
                    },
                )
                .flatten(),
            _ => None,
        };
        if !self.cgu {
            e.add(Field::Cgu, ErrorCode::MustAccept);
        }
        let membership = liste_rouge.map(|liste_rouge| Membership {
            mssante: self.mssante,
            liste_rouge,
            telephone_publie,
            documents_electroniques: self.documents_electroniques,
        });
        done(membership, e)
    }

    /// The errors of one step; `score` is the zxcvbn score of `credentials.mot_de_passe`.
    pub fn step_errors(&self, step: Step, credentials: &Credentials, score: Option<u8>) -> FieldErrors {
        match step {
            Step::Carte => self.mode().err(),
            Step::Donnees => self.personal_data().err(),
            Step::Identifiant => self.credentials(credentials, score).err(),
            Step::Adhesion => self.membership().err(),
        }
        .unwrap_or_default()
    }

    /// The first step, in order, that is not valid yet (None when all four are).
    pub fn first_invalid_step(&self, credentials: &Credentials, score: Option<u8>) -> Option<Step> {
        Step::ALL.into_iter().find(|&s| !self.step_errors(s, credentials, score).is_empty())
    }
}

impl Registration {
    /// Parses a whole request: every error of every step at once.
    pub fn parse(request: &RegistrationRequest, score: Option<u8>) -> Result<Registration, FieldErrors> {
        let draft = &request.donnees;
        let mut errors = FieldErrors::default();
        let mode = draft.mode().map_err(|e| errors.merge(e)).ok();
        let personal = draft.personal_data().map_err(|e| errors.merge(e)).ok();
        let identifiant = draft.credentials(&request.secret, score).map_err(|e| errors.merge(e)).ok();
        let membership = draft.membership().map_err(|e| errors.merge(e)).ok();
        match (mode, personal, identifiant, membership) {
            (Some(mode), Some(personal), Some(identifiant), Some(membership)) if errors.is_empty() => {
                // The card's or PSC's proof is the server's to verify: it fills `carte` or `psc` in.
                Ok(Registration { mode, carte: None, psc: None, personal, identifiant, membership })
            }
            _ => Err(errors),
        }
    }

    /// The secure address this registration asks for.
    pub fn address(&self, config: &OperatorConfig) -> String {
        self.identifiant.address(config, self.membership.mssante)
    }
}

/// Example answers, for tests and demos: valid as they are.
pub mod examples {
    use super::*;

    /// A complete, valid set of answers (a midwife in Bordeaux, with the test RPPS of the ANS).
    pub fn valid_draft() -> Draft {
        Draft {
            mode: Some(Mode::Manuel),
            civilite: "22".into(),
            nom: "Sage".into(),
            prenom: "Cécile".into(),
            jour_naissance: "29".into(),
            mois_naissance: "2".into(),
            email: "cecile.sage@exemple.fr".into(),
            email_confirmation: "cecile.sage@exemple.fr".into(),
            lieu_exercice: "Maternité du CHU de Bordeaux".into(),
            profession: "50".into(),
            rpps: "997 007 711 91".into(),
            code_postal: "33000".into(),
            ville: "Bordeaux".into(),
            telephone: "05 64 09 00 90".into(),
            mobile: "06 12 34 56 78".into(),
            liste_rouge: Some(false),
            publier_telephone: Some(true),
            telephone_publie: "+33612345678".into(),
            cgu: true,
            // A set-up's handle: the server knows none by this name (the tests set one up first).
            facteur: "facteur-exemple".into(),
            codes_conserves: true,
            ..Draft::default()
        }
    }

    /// Every field with an error, one of several codes each: a 422 answer with all its parts.
    pub fn every_error() -> FieldErrors {
        let mut errors = FieldErrors::default();
        for (i, field) in Field::ALL.iter().enumerate() {
            errors.add(*field, ErrorCode::ALL[i % ErrorCode::ALL.len()]);
            errors.add(*field, ErrorCode::ALL[(i + 7) % ErrorCode::ALL.len()]);
        }
        errors
    }

    /// A password that every rule accepts for `valid_draft` (zxcvbn score 4).
    pub const STRONG_PASSWORD: &str = "Correct-Cheval-Batterie-42";
}

#[cfg(test)]
mod tests;
