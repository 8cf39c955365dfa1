//! Stable error codes, shared by the browser and the server, and their French messages.
use crate::field::Field;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

stable_codes! {
    /// Why a field was refused. The snake_case name is stable: the server answers it in 422 bodies.
    ErrorCode {
    Required => "required",
    TooLong => "too_long",
    InvalidCharacters => "invalid_characters",
    NotLatin => "not_latin",
    InvalidFormat => "invalid_format",
    InvalidChecksum => "invalid_checksum",
    InvalidDate => "invalid_date",
    UnknownCode => "unknown_code",
    UnknownPostalCode => "unknown_postal_code",
    SpecialtyOfOtherProfession => "specialty_of_other_profession",
    EmailMismatch => "email_mismatch",
    RppsOrAdeliRequired => "rpps_or_adeli_required",
    PhoneRequired => "phone_required",
    NotAPhoneOfStep2 => "not_a_phone_of_step2",
    IdentifierTooLong => "identifier_too_long",
    PasswordTooShort => "password_too_short",
    PasswordTooLong => "password_too_long",
    PasswordMissingLowercase => "password_missing_lowercase",
    PasswordMissingUppercase => "password_missing_uppercase",
    PasswordMissingDigit => "password_missing_digit",
    PasswordContainsPersonalData => "password_contains_personal_data",
    PasswordTooGuessable => "password_too_guessable",
    PasswordNotEvaluated => "password_not_evaluated",
    PasswordMismatch => "password_mismatch",
    MustAccept => "must_accept",
    CardMismatch => "card_mismatch",
    CardProofMissing => "card_proof_missing",
    CardProofMalformed => "card_proof_malformed",
    CardCertificateUnreadable => "card_certificate_unreadable",
    CardCertificateExpired => "card_certificate_expired",
    CardCertificateNotYetValid => "card_certificate_not_yet_valid",
    CardKeyUsage => "card_key_usage",
    CardUntrusted => "card_untrusted",
    CardRevoked => "card_revoked",
    CardRevocationUnknown => "card_revocation_unknown",
    CardNonceUnknown => "card_nonce_unknown",
    CardNonceExpired => "card_nonce_expired",
    CardNonceUsed => "card_nonce_used",
    CardOriginMismatch => "card_origin_mismatch",
    CardSignatureInvalid => "card_signature_invalid",
    CardNotConfigured => "card_not_configured",
    PscMismatch => "psc_mismatch",
    PscNotConfigured => "psc_not_configured",
    PscHandleUnknown => "psc_handle_unknown",
    PscHandleUsed => "psc_handle_used",
    PscCancelled => "psc_cancelled",
    PscExpired => "psc_expired",
    PscRefused => "psc_refused",
    PscUnavailable => "psc_unavailable",
    PscLevelTooLow => "psc_level_too_low",
    PscNationalIdInvalid => "psc_national_id_invalid",
    FactorRequired => "factor_required",
    FactorCodeInvalid => "factor_code_invalid",
    FactorUnknown => "factor_unknown",
    FactorTooManyAttempts => "factor_too_many_attempts",
    PasskeyUnavailable => "passkey_unavailable",
    PasskeyRefused => "passkey_refused",
    RecoveryCodesNotKept => "recovery_codes_not_kept",
    }
}

impl ErrorCode {
    /// What is wrong, in French, to follow the field's label.
    pub fn text(self, field: Field) -> &'static str {
        use ErrorCode::*;
        match self {
            Required => match field {
                Field::Mode => "choisissez l'une des options.",
                Field::Civilite
                | Field::Profession
                | Field::ProfessionAutre
                | Field::ListeRouge
                | Field::PublierTelephone => "choisissez une réponse.",
                Field::TelephonePublie => "choisissez le numéro à publier.",
                _ => "ce champ est obligatoire.",
            },
            TooLong => "ce texte est trop long.",
            InvalidCharacters => "seuls les lettres, les espaces, les traits d'union et les apostrophes sont acceptés.",
            NotLatin => {
                "écrivez-le en lettres latines, comme dans l'annuaire national : les lettres d'autres alphabets (grec, cyrillique…) et les caractères invisibles ne sont pas acceptés."
            }
            InvalidFormat => match field {
                Field::Rpps => "le numéro RPPS compte 11 chiffres.",
                Field::Adeli => "le numéro ADELI compte 9 chiffres.",
                Field::Email | Field::EmailConfirmation => {
                    "saisissez une adresse email valide, par exemple prenom.nom@exemple.fr."
                }
                Field::CodePostal => "le code postal compte 5 chiffres.",
                Field::Telephone | Field::Mobile | Field::Fax | Field::TelephonePublie => {
                    "saisissez un numéro français à 10 chiffres (05 64 09 00 90) ou au format +33."
                }
                _ => "ce format n'est pas reconnu.",
            },
            InvalidChecksum => match field {
                Field::Rpps => "la clé de contrôle est incorrecte : vérifiez les 11 chiffres de votre numéro RPPS.",
                _ => "la clé de contrôle est incorrecte : vérifiez les 9 chiffres de votre numéro ADELI.",
            },
            InvalidDate => "cette date n'existe pas.",
            UnknownCode => "choisissez une valeur de la liste.",
            UnknownPostalCode => "ce code postal ne correspond à aucun département.",
            SpecialtyOfOtherProfession => "cette spécialité n'est pas une spécialité de la profession choisie.",
            EmailMismatch => "les deux adresses email ne sont pas identiques.",
            RppsOrAdeliRequired => "merci de compléter le champ n°RPPS ou n°ADELI.",
            PhoneRequired => "renseignez un numéro de téléphone fixe ou mobile.",
            NotAPhoneOfStep2 => "choisissez l'un des numéros saisis à l'étape 2.",
            IdentifierTooLong => {
                "le prénom et le nom réunis sont trop longs pour former un identifiant (61 caractères au plus, de quoi ajouter un numéro si un homonyme le porte déjà)."
            }
            PasswordTooShort => "le mot de passe doit compter au moins 12 caractères.",
            PasswordTooLong => "le mot de passe ne doit pas dépasser 128 caractères.",
            PasswordMissingLowercase => "ajoutez au moins une lettre minuscule.",
            PasswordMissingUppercase => "ajoutez au moins une lettre majuscule.",
            PasswordMissingDigit => "ajoutez au moins un chiffre.",
            PasswordContainsPersonalData => {
                "le mot de passe ne doit contenir ni votre nom, ni votre prénom, ni votre identifiant."
            }
            PasswordTooGuessable => "ce mot de passe est trop facile à deviner : allongez-le ou mélangez davantage.",
            PasswordNotEvaluated => "la sécurité du mot de passe est en cours d'évaluation, patientez un instant.",
            PasswordMismatch => "les deux mots de passe ne sont pas identiques.",
            MustAccept => "vous devez les accepter pour créer votre compte.",
            CardMismatch => {
                "ne correspond pas à ce que dit le certificat de votre carte CPS : lisez à nouveau la carte, ou inscrivez-vous sans carte."
            }
            CardProofMissing | CardProofMalformed => {
                "la preuve de votre carte CPS manque ou est illisible : lisez à nouveau votre carte, ou inscrivez-vous sans carte."
            }
            CardCertificateUnreadable => "le certificat de votre carte CPS est illisible : inscrivez-vous sans carte.",
            CardCertificateExpired => {
                "le certificat de votre carte CPS a expiré : demandez le renouvellement de votre carte, ou inscrivez-vous sans carte."
            }
            CardCertificateNotYetValid => {
                "le certificat de votre carte CPS n'est pas encore valide : inscrivez-vous sans carte."
            }
            CardKeyUsage => {
                "le certificat de votre carte CPS ne permet pas l'authentification : inscrivez-vous sans carte."
            }
            CardUntrusted => {
                "votre carte CPS n'a pas été émise par une autorité reconnue par le service : inscrivez-vous sans carte."
            }
            CardRevoked => {
                "le certificat de votre carte CPS a été révoqué : contactez l'assistance technique, ou inscrivez-vous sans carte."
            }
            CardRevocationUnknown => {
                "la validité de votre carte CPS ne peut pas être vérifiée pour le moment : réessayez plus tard, ou inscrivez-vous sans carte."
            }
            CardNonceUnknown | CardNonceUsed => {
                "la signature de votre carte CPS ne correspond à aucune demande en cours : envoyez à nouveau votre demande."
            }
            CardNonceExpired => "la signature de votre carte CPS a expiré : envoyez à nouveau votre demande.",
            CardOriginMismatch => "votre carte CPS a signé pour un autre site que celui-ci : la demande est refusée.",
            CardSignatureInvalid => {
                "la signature de votre carte CPS n'est pas valide : lisez à nouveau votre carte, ou inscrivez-vous sans carte."
            }
            CardNotConfigured => {
                "l'inscription par carte CPS n'est pas disponible pour le moment : inscrivez-vous sans carte."
            }
            PscMismatch => {
                "ne correspond pas à ce que Pro Santé Connect a prouvé : reconnectez-vous avec Pro Santé Connect, ou inscrivez-vous sans carte."
            }
            PscNotConfigured => {
                "la connexion avec Pro Santé Connect n'est pas disponible sur ce service : inscrivez-vous avec votre carte CPS ou sans carte."
            }
            PscHandleUnknown => {
                "la preuve de Pro Santé Connect manque, a expiré ou a été obtenue dans un autre navigateur : reconnectez-vous avec Pro Santé Connect."
            }
            PscHandleUsed => {
                "cette preuve de Pro Santé Connect a déjà servi à une demande : reconnectez-vous avec Pro Santé Connect pour une nouvelle demande."
            }
            PscCancelled => {
                "la connexion avec Pro Santé Connect a été annulée : essayez à nouveau, ou inscrivez-vous sans carte."
            }
            PscExpired => {
                "la connexion avec Pro Santé Connect a expiré ou ne vient pas de ce navigateur : essayez à nouveau depuis cette page."
            }
            PscRefused => {
                "la réponse de Pro Santé Connect n'a pas pu être vérifiée, elle est refusée : essayez à nouveau, ou inscrivez-vous sans carte."
            }
            PscUnavailable => {
                "Pro Santé Connect ne répond pas pour le moment : réessayez dans quelques minutes, ou inscrivez-vous sans carte."
            }
            PscLevelTooLow => {
                "Pro Santé Connect n'a pas garanti un niveau d'authentification suffisant (e-CPS ou carte CPS) : essayez à nouveau avec l'application e-CPS ou votre carte."
            }
            FactorRequired => {
                "sécurisez votre compte avec une clé d'accès ou une application d'authentification : depuis 2026, un mot de passe seul ne suffit plus pour accéder à une messagerie de santé."
            }
            FactorCodeInvalid => {
                "ce code ne correspond pas : saisissez les 6 chiffres affichés en ce moment par votre application d'authentification."
            }
            FactorUnknown => {
                "la configuration de votre application d'authentification a expiré ou a déjà servi : recommencez-la."
            }
            FactorTooManyAttempts => {
                "trop de codes erronés : recommencez la configuration de votre application d'authentification."
            }
            PasskeyUnavailable => {
                "les clés d'accès ne sont pas disponibles sur ce service : configurez une application d'authentification."
            }
            PasskeyRefused => {
                "la clé d'accès n'a pas pu être enregistrée (opération annulée, délai dépassé ou clé déjà enregistrée) : réessayez, ou configurez une application d'authentification."
            }
            RecoveryCodesNotKept => "confirmez avoir conservé vos codes de secours (imprimés ou enregistrés).",
            PscNationalIdInvalid => {
                "Pro Santé Connect n'a pas donné de numéro RPPS ou ADELI : inscrivez-vous sans carte, l'équipe de l'opérateur vérifiera votre demande."
            }
        }
    }

    /// The full message, naming the field: « Nom : ce champ est obligatoire. »
    pub fn message(self, field: Field) -> String {
        format!("{} : {}", field.label(), self.text(field))
    }
}

/// Errors by field, in form order; the JSON shape of a 422 answer: `{"nom": ["required"]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<Field, Vec<ErrorCode>>);

impl FieldErrors {
    pub fn add(&mut self, field: Field, code: ErrorCode) {
        let codes = self.0.entry(field).or_default();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }

    /// Records the error of `result`, if any, and hands its value on.
    pub fn check<T>(&mut self, field: Field, result: Result<T, ErrorCode>) -> Option<T> {
        result.map_err(|code| self.add(field, code)).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first error of a field (the one shown).
    pub fn first(&self, field: Field) -> Option<ErrorCode> {
        self.0.get(&field).and_then(|c| c.first().copied())
    }

    /// The first field in form order that has an error.
    pub fn first_field(&self) -> Option<Field> {
        self.0.keys().next().copied()
    }

    pub fn merge(&mut self, other: FieldErrors) {
        for (field, codes) in other.0 {
            for code in codes {
                self.add(field, code);
            }
        }
    }

    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.keys().copied()
    }

    /// Keeps only the errors of one step.
    pub fn of_step(&self, step: crate::field::Step) -> FieldErrors {
        // Inserted one by one: collecting into a BTreeMap would bring a sort into the wasm.
        let mut errors = FieldErrors::default();
        for (field, codes) in self.0.iter().filter(|(f, _)| f.step() == step) {
            errors.0.insert(*field, codes.clone());
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_field() {
        assert_eq!(ErrorCode::Required.message(Field::Nom), "Nom : ce champ est obligatoire.");
        assert!(ErrorCode::InvalidChecksum.message(Field::Rpps).starts_with("N° RPPS : "));
    }

    #[test]
    fn keys_are_serde_names() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.key(), "{code:?}");
            assert_eq!(ErrorCode::from_key(code.key()), Some(*code));
        }
    }

    #[test]
    fn json_shape_is_field_to_codes() {
        let mut e = FieldErrors::default();
        e.add(Field::Nom, ErrorCode::Required);
        e.add(Field::Rpps, ErrorCode::InvalidChecksum);
        e.add(Field::Rpps, ErrorCode::InvalidChecksum);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"nom":["required"],"rpps":["invalid_checksum"]}"#);
        assert_eq!(serde_json::from_str::<FieldErrors>(&json).unwrap(), e);
        assert_eq!(e.first_field(), Some(Field::Nom));
    }
}
