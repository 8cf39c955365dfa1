//! Professional numbers (RPPS, ADELI) and the identifier and secure address derived from the names.
use crate::{OperatorConfig, error::ErrorCode, luhn, name::PersonName, slug::slug};
use serde::Serialize;

/// Longest local part of an email address (RFC 5321), hence of an identifier.
pub const MAX_IDENTIFIER_CHARS: usize = 64;
/// Room kept for a namesake's suffix (prenom.nom2 … prenom.nom999).
pub const SUFFIX_DIGITS: usize = 3;

/// Removes what users type between digit groups: spaces (any kind), dots and hyphens.
fn digits_only(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-')).collect()
}

fn luhn_number(input: &str, len: usize) -> Result<String, ErrorCode> {
    let digits = digits_only(input);
    if digits.is_empty() {
        return Err(ErrorCode::Required);
    }
    if digits.len() != len || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ErrorCode::InvalidFormat);
    }
    if !luhn::is_valid(&digits) {
        return Err(ErrorCode::InvalidChecksum);
    }
    Ok(digits)
}

/// An RPPS number: 11 digits, the last a Luhn key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Rpps(String);

impl Rpps {
    pub fn parse(input: &str) -> Result<Self, ErrorCode> {
        luhn_number(input, 11).map(Rpps)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ADELI number: 9 digits, the last a Luhn key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Adeli(String);

impl Adeli {
    pub fn parse(input: &str) -> Result<Self, ErrorCode> {
        luhn_number(input, 9).map(Adeli)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The account identifier, `prenom.nom` in lower-case ASCII (the procedure asks to keep that format).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Identifiant(String);

impl Identifiant {
    /// The identifier of the names as typed, or their errors by field.
    pub fn of_names(prenom: &str, nom: &str) -> Result<Identifiant, crate::FieldErrors> {
        use crate::Field;
        let mut e = crate::FieldErrors::default();
        let prenom = e.check(Field::Prenom, PersonName::parse(prenom));
        let nom = e.check(Field::Nom, PersonName::parse(nom));
        match (prenom, nom) {
            (Some(p), Some(n)) => Identifiant::derive(&p, &n).map_err(|code| {
                e.add(Field::Nom, code);
                e
            }),
            _ => Err(e),
        }
    }

    /// `prenom.nom`: both parts non-empty, and short enough to take the suffix of a namesake (`nth`).
    pub fn derive(prenom: &PersonName, nom: &PersonName) -> Result<Self, ErrorCode> {
        let (p, n) = (slug(prenom.as_str()), slug(nom.as_str()));
        if p.is_empty() || n.is_empty() {
            // Letters with no ASCII form only (a Latin letter of phonetics…): nothing to make an identifier of.
            return Err(ErrorCode::InvalidCharacters);
        }
        let id = format!("{p}.{n}");
        if id.len() + SUFFIX_DIGITS > MAX_IDENTIFIER_CHARS {
            return Err(ErrorCode::IdentifierTooLong);
        }
        Ok(Identifiant(id))
    }

    /// The n-th proposal when the identifier is taken: prenom.nom, prenom.nom2, prenom.nom3…
    pub fn nth(&self, n: u32) -> Identifiant {
        if n <= 1 { self.clone() } else { Identifiant(format!("{}{n}", self.0)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The secure mailbox: identifier@domain, the MSSanté domain when asked for.
    pub fn address(&self, config: &OperatorConfig, mssante: bool) -> String {
        config.address(&self.0, mssante)
    }
}

impl std::fmt::Display for Identifiant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_keeps_room_for_a_namesake_s_suffix_and_has_both_parts() {
        let name = |s: &str| PersonName::parse(s).unwrap();
        let long = Identifiant::derive(&name(&"a".repeat(30)), &name(&"b".repeat(30))).unwrap();
        assert_eq!(long.nth(999).as_str().len(), MAX_IDENTIFIER_CHARS);
        assert_eq!(
            Identifiant::derive(&name(&"a".repeat(31)), &name(&"b".repeat(30))),
            Err(ErrorCode::IdentifierTooLong)
        );
        // A Latin letter with no ASCII form (Ǝ) leaves no part.
        assert_eq!(Identifiant::derive(&name("Ǝ"), &name("Sage")), Err(ErrorCode::InvalidCharacters));
    }

    #[test]
    fn rpps_table() {
        for (input, expected) in [
            ("10005173140", Ok("10005173140")),
            ("99700771191", Ok("99700771191")),
            (" 100 051 731 40 ", Ok("10005173140")),
            ("997.007.711.91", Ok("99700771191")),
            ("10003461033", Err(ErrorCode::InvalidChecksum)),
            ("10102727017", Err(ErrorCode::InvalidChecksum)),
            ("1000517314", Err(ErrorCode::InvalidFormat)),
            ("100051731400", Err(ErrorCode::InvalidFormat)),
            ("1000517314A", Err(ErrorCode::InvalidFormat)),
            ("899700771191", Err(ErrorCode::InvalidFormat)),
            ("", Err(ErrorCode::Required)),
        ] {
            assert_eq!(Rpps::parse(input).as_ref().map(Rpps::as_str).map_err(|e| *e), expected, "{input:?}");
        }
    }

    #[test]
    fn adeli_table() {
        for (input, expected) in [
            ("789310596", Ok("789310596")),
            ("78 93 1059 6", Ok("789310596")),
            ("789310597", Err(ErrorCode::InvalidChecksum)),
            ("78931059", Err(ErrorCode::InvalidFormat)),
            ("", Err(ErrorCode::Required)),
        ] {
            assert_eq!(Adeli::parse(input).as_ref().map(Adeli::as_str).map_err(|e| *e), expected, "{input:?}");
        }
    }

    fn id(prenom: &str, nom: &str) -> Result<String, ErrorCode> {
        let p = PersonName::parse(prenom).unwrap();
        let n = PersonName::parse(nom).unwrap();
        Identifiant::derive(&p, &n).map(|i| i.as_str().to_owned())
    }

    #[test]
    fn identifier_table() {
        for (prenom, nom, expected) in [
            ("Jean-Pierre", "D'Arc-de Saint Éxupéry", "jean-pierre.d-arc-de-saint-exupery"),
            ("Cécile", "Sage", "cecile.sage"),
            ("Françoise", "Lefèvre", "francoise.lefevre"),
            ("Anne Marie", "Le Bœuf", "anne-marie.le-boeuf"),
            ("Zoé", "N’Diaye", "zoe.n-diaye"),
            ("ÉLODIE", "MÜLLER", "elodie.muller"),
        ] {
            assert_eq!(id(prenom, nom).as_deref(), Ok(expected), "{prenom} {nom}");
        }
        assert_eq!(id(&"a".repeat(40), &"b".repeat(40)), Err(ErrorCode::IdentifierTooLong));
    }

    #[test]
    fn nth_and_address() {
        let i =
            Identifiant::derive(&PersonName::parse("Cécile").unwrap(), &PersonName::parse("Sage").unwrap()).unwrap();
        assert_eq!(i.nth(1).as_str(), "cecile.sage");
        assert_eq!(i.nth(2).as_str(), "cecile.sage2");
        let config = OperatorConfig::default();
        assert_eq!(i.address(&config, false), "cecile.sage@sante-na.fr");
        assert_eq!(i.address(&config, true), "cecile.sage@na.mssante.fr");
    }
}
