//! Email addresses and French phone numbers.
use crate::error::ErrorCode;
use serde::Serialize;

/// Longest accepted email address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A non-secure email address for notifications: an RFC 5322 dot-atom local part and a dotted domain name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ErrorCode> {
        let text = input.trim();
        if text.is_empty() {
            return Err(ErrorCode::Required);
        }
        if text.chars().count() > MAX_EMAIL_CHARS {
            return Err(ErrorCode::TooLong);
        }
        let (local, domain) = text.rsplit_once('@').ok_or(ErrorCode::InvalidFormat)?;
        if !valid_local_part(local) || !valid_domain(domain) {
            return Err(ErrorCode::InvalidFormat);
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two typed addresses are the same mailbox (the domain is case-insensitive).
    pub fn same(a: &str, b: &str) -> bool {
        match (Email::parse(a), Email::parse(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => a.trim() == b.trim(),
        }
    }
}

/// The local part of an address: RFC 5322 dot-atom (letters, digits, `!#$%&'*+-/=?^_`{|}~`, single inner dots).
fn valid_local_part(local: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    (1..=64).contains(&local.len()) && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// A domain name with at least two labels (letters, digits, inner hyphens; 63 characters at most) and an
/// alphabetic top-level label; no IP literal.
fn valid_domain(domain: &str) -> bool {
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld = domain.rsplit('.').next().unwrap_or_default();
    domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(label)
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// A French phone number in E.164 (`+33564090090`), overseas departments with their own country codes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

/// National prefixes (after the leading 0) of the overseas departments, and their E.164 country codes.
const OVERSEAS: &[(&str, &str)] = &[
    ("262", "262"), // La Réunion, Mayotte (fixed)
    ("269", "262"), // Mayotte (fixed)
    ("692", "262"), // La Réunion (mobile)
    ("693", "262"), // La Réunion (mobile)
    ("639", "262"), // Mayotte (mobile)
    ("590", "590"), // Guadeloupe, Saint-Martin, Saint-Barthélemy
    ("690", "590"),
    ("691", "590"),
    ("594", "594"), // Guyane
    ("694", "594"),
    ("596", "596"), // Martinique
    ("696", "596"),
    ("697", "596"),
];

impl Phone {
    pub fn parse(input: &str) -> Result<Self, ErrorCode> {
        let compact: String =
            input.chars().filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '(' | ')' | '/')).collect();
        if compact.is_empty() {
            return Err(ErrorCode::Required);
        }
        let (national, country) = if let Some(rest) = compact.strip_prefix("+").or(compact.strip_prefix("00")) {
            // International form: +33 then 9 digits; or an overseas country code then 9 digits.
            let code = ["33", "262", "590", "594", "596"].into_iter().find(|c| rest.starts_with(c));
            let code = code.ok_or(ErrorCode::InvalidFormat)?;
            let mut national = rest[code.len()..].to_owned();
            // "+33 (0)5 64…": the trunk 0 (its brackets are already gone) is dropped.
            if national.len() == 10 && national.starts_with('0') {
                national.remove(0);
            }
            (national, Some(code))
        } else {
            let national = compact.strip_prefix('0').ok_or(ErrorCode::InvalidFormat)?;
            (national.to_owned(), None)
        };
        if national.len() != 9 || !national.bytes().all(|b| b.is_ascii_digit()) || national.starts_with('0') {
            return Err(ErrorCode::InvalidFormat);
        }
        let overseas = OVERSEAS.iter().find(|(prefix, _)| national.starts_with(prefix)).map(|(_, cc)| *cc);
        let country = match country {
            // +33 0262… is still La Réunion: the national number decides.
            Some("33") | None => overseas.unwrap_or("33"),
            Some(cc) if overseas == Some(cc) => cc,
            Some(_) => return Err(ErrorCode::InvalidFormat),
        };
        Ok(Phone(format!("+{country}{national}")))
    }

    /// E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The national form in pairs: 05 64 09 00 90.
    pub fn national(&self) -> String {
        let national = self.0.trim_start_matches('+');
        let digits = ["33", "262", "590", "594", "596"]
            .into_iter()
            .find_map(|cc| national.strip_prefix(cc).filter(|rest| rest.len() == 9))
            .unwrap_or(national);
        let full = format!("0{digits}");
        full.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_table() {
        for (input, expected) in [
            ("cecile.sage@exemple.fr", Ok("cecile.sage@exemple.fr")),
            ("  Cecile.Sage@Exemple.FR ", Ok("Cecile.Sage@exemple.fr")),
            ("c+notif@mail.exemple.org", Ok("c+notif@mail.exemple.org")),
            ("", Err(ErrorCode::Required)),
            ("cecile", Err(ErrorCode::InvalidFormat)),
            ("cecile@", Err(ErrorCode::InvalidFormat)),
            ("@exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("cecile@exemple", Err(ErrorCode::InvalidFormat)),
            ("cecile@exemple..fr", Err(ErrorCode::InvalidFormat)),
            ("cecile sage@exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("cecile@[127.0.0.1]", Err(ErrorCode::InvalidFormat)),
            ("cecile@exemple.f", Err(ErrorCode::InvalidFormat)),
            (".cecile@exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("cecile.@exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("ce..cile@exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("cecile@-exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("cecile@exemple.fr.", Err(ErrorCode::InvalidFormat)),
            ("cécile@exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("a@b@exemple.fr", Err(ErrorCode::InvalidFormat)),
            ("o'brien+pro@chu-bordeaux.fr", Ok("o'brien+pro@chu-bordeaux.fr")),
        ] {
            assert_eq!(Email::parse(input).as_ref().map(Email::as_str).map_err(|e| *e), expected, "{input:?}");
        }
        assert!(Email::same("a@Exemple.fr", " a@exemple.fr"));
        assert!(!Email::same("a@exemple.fr", "b@exemple.fr"));
    }

    #[test]
    fn phone_table() {
        for (input, expected) in [
            ("05 64 09 00 90", Ok("+33564090090")),
            ("0564090090", Ok("+33564090090")),
            ("05.64.09.00.90", Ok("+33564090090")),
            ("+33 5 64 09 00 90", Ok("+33564090090")),
            ("+33 (0)5 64 09 00 90", Ok("+33564090090")),
            ("0033564090090", Ok("+33564090090")),
            ("06 12 34 56 78", Ok("+33612345678")),
            ("0262 12 34 56", Ok("+262262123456")),
            ("0692 12 34 56", Ok("+262692123456")),
            ("+262 692 12 34 56", Ok("+262692123456")),
            ("0590 12 34 56", Ok("+590590123456")),
            ("0596 12 34 56", Ok("+596596123456")),
            ("", Err(ErrorCode::Required)),
            ("564090090", Err(ErrorCode::InvalidFormat)),
            ("05 64 09 00 9", Err(ErrorCode::InvalidFormat)),
            ("05 64 09 00 900", Err(ErrorCode::InvalidFormat)),
            ("00 64 09 00 90", Err(ErrorCode::InvalidFormat)),
            ("+44 20 7946 0958", Err(ErrorCode::InvalidFormat)),
            ("+262 5 64 09 00 90", Err(ErrorCode::InvalidFormat)),
            ("05 64 O9 00 90", Err(ErrorCode::InvalidFormat)),
        ] {
            assert_eq!(Phone::parse(input).as_ref().map(Phone::as_str).map_err(|e| *e), expected, "{input:?}");
        }
    }

    #[test]
    fn national_form() {
        assert_eq!(Phone::parse("+33564090090").unwrap().national(), "05 64 09 00 90");
        assert_eq!(Phone::parse("0692123456").unwrap().national(), "06 92 12 34 56");
    }
}
