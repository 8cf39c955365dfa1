use super::examples::{STRONG_PASSWORD as STRONG, valid_draft};
use super::*;

fn secret(p: &str) -> Credentials {
    Credentials { mot_de_passe: p.into(), mot_de_passe_confirmation: p.into() }
}

fn codes(errors: &FieldErrors) -> Vec<(Field, ErrorCode)> {
    errors.0.iter().flat_map(|(f, cs)| cs.iter().map(move |c| (*f, *c))).collect()
}

#[test]
fn a_valid_request_parses() {
    let request =
        RegistrationRequest { donnees: valid_draft(), secret: secret(STRONG), identifiant: None, preuve_carte: None };
    let r = Registration::parse(&request, Some(4)).unwrap();
    assert_eq!(r.identifiant.as_str(), "cecile.sage");
    assert_eq!(r.personal.rpps.as_ref().unwrap().as_str(), "99700771191");
    assert_eq!(r.personal.telephone.as_ref().unwrap().as_str(), "+33564090090");
    assert_eq!(r.membership.telephone_publie.as_ref().unwrap().as_str(), "+33612345678");
    assert_eq!(r.address(&OperatorConfig::default()), "cecile.sage@sante-na.fr");
    let mut mss = request.clone();
    mss.donnees.mssante = true;
    assert_eq!(
        Registration::parse(&mss, Some(4)).unwrap().address(&OperatorConfig::default()),
        "cecile.sage@na.mssante.fr"
    );
}

#[test]
fn every_step_of_an_empty_draft_names_its_fields() {
    let empty = Draft::default();
    let none = Credentials::default();
    assert_eq!(codes(&empty.step_errors(Step::Carte, &none, None)), [(Field::Mode, ErrorCode::Required)]);
    let step2 = codes(&empty.step_errors(Step::Donnees, &none, None));
    for f in [Field::Civilite, Field::Nom, Field::Prenom, Field::Naissance, Field::Email, Field::LieuExercice] {
        assert!(step2.contains(&(f, ErrorCode::Required)), "{f:?}");
    }
    assert!(step2.contains(&(Field::Rpps, ErrorCode::RppsOrAdeliRequired)));
    assert!(step2.contains(&(Field::Telephone, ErrorCode::PhoneRequired)));
    assert!(!step2.iter().any(|(f, _)| *f == Field::Fax || *f == Field::Adresse), "optional fields stay quiet");
    assert_eq!(
        codes(&empty.step_errors(Step::Identifiant, &none, None)),
        [
            (Field::MotDePasse, ErrorCode::Required),
            (Field::MotDePasseConfirmation, ErrorCode::Required),
            (Field::SecondFacteur, ErrorCode::FactorRequired)
        ]
    );
    // A factor set up, the recovery codes not said kept.
    let unkept = Draft { facteur: "f".into(), ..Draft::default() };
    assert!(
        codes(&unkept.step_errors(Step::Identifiant, &none, None))
            .contains(&(Field::SecondFacteur, ErrorCode::RecoveryCodesNotKept))
    );
    assert_eq!(
        codes(&empty.step_errors(Step::Adhesion, &none, None)),
        [
            (Field::ListeRouge, ErrorCode::Required),
            (Field::PublierTelephone, ErrorCode::Required),
            (Field::Cgu, ErrorCode::MustAccept)
        ]
    );
    assert_eq!(empty.first_invalid_step(&none, None), Some(Step::Carte));
    assert_eq!(valid_draft().first_invalid_step(&secret(STRONG), Some(4)), None);
    assert_eq!(valid_draft().first_invalid_step(&none, None), Some(Step::Identifiant));
}

#[test]
fn step2_cross_field_rules() {
    let with = |f: fn(&mut Draft)| {
        let mut d = valid_draft();
        f(&mut d);
        codes(&d.step_errors(Step::Donnees, &Credentials::default(), None))
    };
    assert_eq!(
        with(|d| d.email_confirmation = "autre@exemple.fr".into()),
        [(Field::EmailConfirmation, ErrorCode::EmailMismatch)]
    );
    assert_eq!(
        with(|d| d.email_confirmation = " Cecile.Sage@EXEMPLE.fr".into()),
        [(Field::EmailConfirmation, ErrorCode::EmailMismatch)]
    );
    assert_eq!(with(|d| d.email_confirmation = " cecile.sage@EXEMPLE.fr ".into()), []);
    assert_eq!(with(|d| d.rpps.clear()), [(Field::Rpps, ErrorCode::RppsOrAdeliRequired)]);
    assert_eq!(
        with(|d| {
            d.rpps.clear();
            d.adeli = "789310596".into()
        }),
        []
    );
    assert_eq!(with(|d| d.rpps = "10003461033".into()), [(Field::Rpps, ErrorCode::InvalidChecksum)]);
    assert_eq!(
        with(|d| {
            d.telephone.clear();
            d.mobile.clear()
        }),
        [(Field::Telephone, ErrorCode::PhoneRequired)]
    );
    assert_eq!(with(|d| d.telephone.clear()), []);
    assert_eq!(with(|d| d.profession = "autre".into()), [(Field::ProfessionAutre, ErrorCode::Required)]);
    assert_eq!(
        with(|d| {
            d.profession = "autre".into();
            d.profession_autre = "71".into()
        }),
        []
    );
    assert_eq!(
        with(|d| {
            d.profession = "autre".into();
            d.profession_autre = "Ostéopathe".into()
        }),
        [(Field::ProfessionAutre, ErrorCode::UnknownCode)],
        "a title of TRE_R95/TRE_R94, not free text"
    );
    assert_eq!(with(|d| d.profession = "93".into()), [(Field::Profession, ErrorCode::UnknownCode)]);
    assert_eq!(with(|d| d.jour_naissance = "31".into()), [(Field::Naissance, ErrorCode::InvalidDate)]);
    assert_eq!(with(|d| d.code_postal = "3300".into()), [(Field::CodePostal, ErrorCode::InvalidFormat)]);
    assert_eq!(
        with(|d| {
            d.profession = "10".into();
            d.specialite_rpps = "SM54".into()
        }),
        []
    );
    assert_eq!(
        with(|d| d.specialite_rpps = "SM54".into()),
        [(Field::SpecialiteRpps, ErrorCode::SpecialtyOfOtherProfession)],
        "a doctor's specialty for a midwife"
    );
    assert_eq!(
        with(|d| {
            d.profession = "40".into();
            d.specialite_rpps = "SI01".into()
        }),
        [(Field::SpecialiteRpps, ErrorCode::SpecialtyOfOtherProfession)]
    );
    assert_eq!(with(|d| d.civilite = "DR".into()), []);
    assert_eq!(with(|d| d.specialite_rpps = "SP01".into()), [(Field::SpecialiteRpps, ErrorCode::UnknownCode)]);
    assert_eq!(with(|d| d.civilite = "23".into()), [(Field::Civilite, ErrorCode::UnknownCode)]);
    assert_eq!(with(|d| d.nom = "Sage2".into()), [(Field::Nom, ErrorCode::InvalidCharacters)]);
    assert_eq!(
        with(|d| {
            d.nom = "B".repeat(40);
            d.prenom = "A".repeat(40)
        }),
        [(Field::Nom, ErrorCode::IdentifierTooLong)]
    );
}

#[test]
fn step3_password_rules_use_the_names() {
    let d = valid_draft();
    let errs = |p: &str, confirm: &str, score| {
        let c = Credentials { mot_de_passe: p.into(), mot_de_passe_confirmation: confirm.into() };
        codes(&d.step_errors(Step::Identifiant, &c, score))
    };
    assert_eq!(errs(STRONG, STRONG, Some(4)), []);
    assert_eq!(errs(STRONG, "autre", Some(4)), [(Field::MotDePasseConfirmation, ErrorCode::PasswordMismatch)]);
    assert_eq!(
        errs("Cecile-Tournesol-1984", "Cecile-Tournesol-1984", Some(4)),
        [(Field::MotDePasse, ErrorCode::PasswordContainsPersonalData)]
    );
    assert_eq!(errs(STRONG, STRONG, Some(2)), [(Field::MotDePasse, ErrorCode::PasswordTooGuessable)]);
    assert_eq!(errs(STRONG, STRONG, None), [(Field::MotDePasse, ErrorCode::PasswordNotEvaluated)]);
}

#[test]
fn step4_published_phone_must_come_from_step2() {
    let with = |f: fn(&mut Draft)| {
        let mut d = valid_draft();
        f(&mut d);
        codes(&d.step_errors(Step::Adhesion, &Credentials::default(), None))
    };
    assert_eq!(with(|_| {}), []);
    assert_eq!(with(|d| d.telephone_publie = "+33564090090".into()), []);
    assert_eq!(
        with(|d| d.telephone_publie = "0699999999".into()),
        [(Field::TelephonePublie, ErrorCode::NotAPhoneOfStep2)]
    );
    assert_eq!(with(|d| d.telephone_publie.clear()), [(Field::TelephonePublie, ErrorCode::Required)]);
    assert_eq!(
        with(|d| {
            d.publier_telephone = Some(false);
            d.telephone_publie.clear()
        }),
        []
    );
    assert_eq!(with(|d| d.cgu = false), [(Field::Cgu, ErrorCode::MustAccept)]);
}

#[test]
fn request_json_round_trips_and_refuses_unknown_fields() {
    let request =
        RegistrationRequest { donnees: valid_draft(), secret: secret(STRONG), identifiant: None, preuve_carte: None };
    let json = serde_json::to_string(&request).unwrap();
    assert_eq!(serde_json::from_str::<RegistrationRequest>(&json).unwrap(), request);
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["donnees"]["admin"] = true.into();
    assert!(serde_json::from_value::<RegistrationRequest>(value).is_err());
    let draft_json = serde_json::to_string(&valid_draft()).unwrap();
    assert!(!draft_json.contains("mot_de_passe"), "a draft never carries the password");
}

#[test]
fn an_error_of_step2_does_not_cascade_into_step4() {
    let mut draft = valid_draft();
    draft.rpps = "10003461033".into();
    let request = RegistrationRequest { donnees: draft, secret: secret(STRONG), identifiant: None, preuve_carte: None };
    let errors = Registration::parse(&request, Some(4)).unwrap_err();
    assert_eq!(codes(&errors), [(Field::Rpps, ErrorCode::InvalidChecksum)]);
}

#[test]
fn the_draft_round_trips_through_text_pairs() {
    let mut draft = valid_draft();
    draft.nom = "D'Arc & Fils = 100 %".into();
    draft.mssante = true;
    draft.liste_rouge = None;
    let pairs = draft.to_text_pairs();
    assert_eq!(pairs.len(), Draft::TEXT_KEYS.len());
    assert_eq!(Draft::from_text_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))), draft);
    // Every field of the JSON form is in the text form too (a field added to Draft but not listed fails here).
    let json = serde_json::to_value(Draft::default()).unwrap();
    let mut json_keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let mut text_keys = Draft::TEXT_KEYS.to_vec();
    json_keys.sort();
    text_keys.sort();
    assert_eq!(json_keys, text_keys);
    assert_eq!(Draft::from_text_pairs([("inconnu", "x"), ("cgu", "oui")]), Draft { cgu: true, ..Draft::default() });
}

fn card_identity() -> FullIdentity {
    crate::card::examples::full_identity()
}

#[test]
fn the_card_path_locks_what_the_certificate_says_and_checks_it_again() {
    let manual = valid_draft();
    assert!(!manual.proven_field(Field::Nom));
    let mut card = Draft { email: "paul.martin@exemple.fr".into(), ..valid_draft() };
    card.fill_from_card("Virtual PCD 00 00", &card_identity());
    assert!(card.proven_field(Field::Nom) && card.proven_field(Field::Rpps) && !card.proven_field(Field::Email));
    assert!(card.card_mismatches(&card_identity().carte).is_empty());
    let mut other = card.clone();
    other.nom = "DURAND".into();
    other.rpps = "997 007 711 91".into();
    let errors = other.card_mismatches(&card_identity().carte);
    assert_eq!(errors.fields().collect::<Vec<_>>(), [Field::Nom, Field::Rpps]);
    assert_eq!(errors.first(Field::Nom), Some(ErrorCode::CardMismatch));
    let spaced = Draft { rpps: "100 051 731 40".into(), nom: " MARTIN ".into(), ..card.clone() };
    assert!(spaced.card_mismatches(&card_identity().carte).is_empty(), "spaces are not a mismatch");
    let profession = Draft { profession: "50".into(), ..card.clone() };
    assert_eq!(profession.card_mismatches(&card_identity().carte).first_field(), Some(Field::Profession));
    // The text pairs of the draft keep the card's fields.
    assert_eq!(Draft::from_text_pairs(card.to_text_pairs().iter().map(|(k, v)| (*k, v.as_str()))), card);
}

/// What Pro Santé Connect proved of the midwife of `valid_draft`.
fn psc_identity() -> crate::psc::PscIdentity {
    crate::psc::PscIdentity {
        identifiant_national: "899700771191".into(),
        rpps: Some("99700771191".into()),
        nom: "SAGE".into(),
        prenom: "CECILE".into(),
        civilite: Some("22".into()),
        profession: Some("50".into()),
        lieu_exercice: Some("MATERNITE DU CHU".into()),
        code_postal: Some("33000".into()),
        ville: Some("BORDEAUX".into()),
        ..Default::default()
    }
}

#[test]
fn pro_sante_connect_fills_step_2_locks_what_it_proved_and_checks_it_again() {
    let mut draft =
        Draft { email: "cecile.sage@exemple.fr".into(), telephone: "05 64 09 00 90".into(), ..Draft::default() };
    draft.fill_from_psc("poignee-1", &psc_identity());
    assert_eq!(draft.mode, Some(Mode::Psc));
    assert_eq!((draft.nom.as_str(), draft.prenom.as_str(), draft.rpps.as_str()), ("SAGE", "CECILE", "99700771191"));
    assert_eq!((draft.civilite.as_str(), draft.profession.as_str()), ("22", "50"));
    assert_eq!((draft.lieu_exercice.as_str(), draft.ville.as_str()), ("MATERNITE DU CHU", "BORDEAUX"));
    assert_eq!(draft.telephone, "05 64 09 00 90", "what PSC does not give is kept");
    assert_eq!((draft.psc_poignee.as_str(), draft.psc_identifiant_national.as_str()), ("poignee-1", "899700771191"));
    assert!(draft.proven_field(Field::Nom) && draft.proven_field(Field::Adeli) && !draft.proven_field(Field::Ville));
    assert!(draft.psc_mismatches(&psc_identity()).is_empty());
    let changed = Draft { prenom: "Cécile".into(), adeli: "331234567".into(), ..draft.clone() };
    let errors = changed.psc_mismatches(&psc_identity());
    assert_eq!(errors.fields().collect::<Vec<_>>(), [Field::Prenom, Field::Adeli]);
    assert_eq!(errors.first(Field::Prenom), Some(ErrorCode::PscMismatch));
    // The mode and the handle survive a reload (the draft's text pairs).
    assert_eq!(Draft::from_text_pairs(draft.to_text_pairs().iter().map(|(k, v)| (*k, v.as_str()))), draft);
    draft.leave_proof();
    assert_eq!(draft.mode, Some(Mode::Manuel));
    assert!(draft.psc_poignee.is_empty() && draft.psc_identifiant_national.is_empty());
    assert!(!draft.proven_field(Field::Nom));
    // Pro Santé Connect after the card: the card's record goes.
    let mut both = Draft::default();
    both.fill_from_card("r", &card_identity());
    both.fill_from_psc("p", &psc_identity());
    assert!(both.carte_lecteur.is_empty() && both.carte_identifiant_national.is_empty());
}

#[test]
fn the_card_fills_step_2_and_its_answers_are_valid() {
    let mut draft = Draft { email: "paul.martin@exemple.fr".into(), profession: "50".into(), ..Draft::default() };
    let card = card_identity();
    draft.fill_from_card("Virtual PCD 00 00", &card);
    assert_eq!(draft.mode, Some(Mode::Carte));
    assert_eq!((draft.nom.as_str(), draft.prenom.as_str(), draft.rpps.as_str()), ("MARTIN", "PAUL", "10005173140"));
    assert_eq!((draft.profession.as_str(), draft.civilite.as_str()), ("10", "DR"));
    assert_eq!(draft.specialite_rpps, "SM54");
    assert_eq!(draft.email, "paul.martin@exemple.fr", "what the card does not say is kept");
    assert_eq!(
        (draft.carte_lecteur.as_str(), draft.carte_identifiant_national.as_str()),
        ("Virtual PCD 00 00", "810005173140")
    );
    assert_eq!(draft.identifiant().unwrap().as_str(), "paul.martin");

    // Codes the tables do not know are left for the user to choose.
    let mut other = Draft::default();
    let mut unknown = card.clone();
    (unknown.carte.profession, unknown.civilite) = (Some("99".into()), Some("XX".into()));
    other.fill_from_card("r", &unknown);
    assert_eq!((other.profession.as_str(), other.civilite.as_str(), other.specialite_rpps.as_str()), ("", "", ""));

    draft.leave_proof();
    assert_eq!(draft.mode, Some(Mode::Manuel));
    assert!(draft.carte_lecteur.is_empty() && draft.carte_identifiant_national.is_empty());
    assert_eq!(draft.nom, "MARTIN", "the answers stay");
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let request =
        RegistrationRequest { donnees: valid_draft(), secret: secret(STRONG), identifiant: None, preuve_carte: None };
    let printed = format!("{request:?}");
    assert!(!printed.contains(STRONG) && printed.contains("Credentials(***)"), "{printed}");
}
