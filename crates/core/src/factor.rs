//! The second factor every account has from its first day (ANS's 2026 rule: a password alone is not a compliant
//! access to a health-data service): what the page and the server say to each other while the professional sets up
//! a passkey or FIDO2 security key (WebAuthn) or an authenticator app (TOTP, RFC 6238), and the recovery codes. The server decides that a factor is valid; the page
//! only shows and relays.
use crate::wire::WireObject;
use serde::{Deserialize, Serialize};

/// How many recovery codes an account gets, each usable once.
pub const RECOVERY_CODES: usize = 10;
/// The characters of a recovery code: Crockford's base 32 (no I, L, O or U; when typed, O reads as 0, I and L as 1).
pub const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// A recovery code is two groups of this many characters, `ABCD-EFGH`.
pub const RECOVERY_GROUP: usize = 4;
/// How long a set-up waits for its code, then for the registration that uses it.
pub const ENROLMENT_SECS: i64 = 60 * 60;
/// Wrong codes a set-up accepts before it is void.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// The kinds of second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// An authenticator app (TOTP, 6 digits, 30 s).
    Totp,
    /// A passkey or a FIDO2 security key (WebAuthn).
    Cle,
}

impl FactorKind {
    pub const ALL: [FactorKind; 2] = [FactorKind::Cle, FactorKind::Totp];

    pub const fn key(self) -> &'static str {
        match self {
            FactorKind::Totp => "totp",
            FactorKind::Cle => "cle",
        }
    }

    pub fn from_key(key: &str) -> Option<FactorKind> {
        FactorKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Its name for the professional.
    pub const fn label(self) -> &'static str {
        match self {
            FactorKind::Totp => "Application d'authentification",
            FactorKind::Cle => "Clé d'accès ou clé de sécurité",
        }
    }
}

/// `POST /api/facteurs`: a new set-up for the identifier the page proposes (the app's label).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFactor {
    #[serde(rename = "type")]
    pub kind: FactorKind,
    pub identifiant: String,
}

/// Its answer (201): the set-up's handle, the secret (base32) to type or scan, the `otpauth://` URI and its QR code
/// (SVG, drawn by the server).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorSetup {
    pub id: String,
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

impl FactorSetup {
    pub fn read(o: &impl WireObject) -> Option<FactorSetup> {
        Some(FactorSetup {
            id: o.text("id")?,
            secret: o.text("secret")?,
            uri: o.text("uri")?,
            qr_svg: o.text("qr_svg")?,
        })
    }

    /// The secret as it is read aloud or typed: groups of four.
    pub fn grouped_secret(&self) -> String {
        let chars: Vec<char> = self.secret.chars().collect();
        chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    }
}

/// `POST /api/facteurs` for a passkey (201): the set-up's handle and the WebAuthn creation options (`publicKey`, as
/// JSON: binary values in base64url), for the browser's `navigator.credentials.create`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySetup<O> {
    pub id: String,
    pub options: O,
}

/// `POST /api/facteurs/{id}/confirmation` for a passkey: the new credential, as the browser's `toJSON()` gives it.
/// The server checks it against the options it made (challenge, origin, relying party); the page only relays it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyCredential<C> {
    pub cle: C,
}

/// `POST /api/facteurs/{id}/confirmation`: the code the app shows now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorCode {
    pub code: String,
}

/// Its answer (200), for either kind: the factor is valid; the recovery codes, shown once (the server keeps their hashes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorConfirmed {
    pub codes_secours: Vec<String>,
}

impl FactorConfirmed {
    pub fn read(o: &impl WireObject) -> Option<FactorConfirmed> {
        let codes: Vec<String> = o.list("codes_secours").iter().filter_map(|c| c.as_text()).collect();
        (codes.len() == RECOVERY_CODES).then_some(FactorConfirmed { codes_secours: codes })
    }
}

/// A recovery code from `RECOVERY_CODES * 2` random bytes' worth: `ABCD-EFGH` (40 bits).
pub fn recovery_code(random: &[u8; 2 * RECOVERY_GROUP]) -> String {
    let chars: String = random.iter().map(|b| RECOVERY_ALPHABET[usize::from(*b) % 32] as char).collect();
    format!("{}-{}", &chars[..RECOVERY_GROUP], &chars[RECOVERY_GROUP..])
}

/// A recovery code as typed, in the form it is stored (hashed): capitals, without spaces or dashes; None when it
/// cannot be one.
pub fn normalized_recovery_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    let valid = code.len() == 2 * RECOVERY_GROUP && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// A TOTP code as typed: 6 digits, spaces allowed.
pub fn normalized_totp_code(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_read_back_however_they_are_typed() {
        let code = recovery_code(&[0, 1, 2, 3, 31, 200, 255, 64]);
        assert_eq!(code, "0123-Z8Z0");
        assert_eq!(normalized_recovery_code(&code).as_deref(), Some("0123Z8Z0"));
        assert_eq!(normalized_recovery_code(" o123 z8zO ").as_deref(), Some("0123Z8Z0"), "O read as 0");
        assert_eq!(normalized_recovery_code("OIL3-Z8Z0").as_deref(), Some("0113Z8Z0"), "I and L read as 1");
        for bad in ["", "0123-Z8Z", "0123-Z8Z00", "0123-U8Z0", "0123-Z8Z!"] {
            assert_eq!(normalized_recovery_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn totp_codes_are_six_digits() {
        assert_eq!(normalized_totp_code("123 456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12a456", ""] {
            assert_eq!(normalized_totp_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_secret_is_shown_in_groups_of_four() {
        let setup = FactorSetup {
            id: "i".into(),
            secret: "JBSWY3DPEHPK3PXP".into(),
            uri: String::new(),
            qr_svg: String::new(),
        };
        assert_eq!(setup.grouped_secret(), "JBSW Y3DP EHPK 3PXP");
    }
}
