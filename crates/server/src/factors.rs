//! Second factors: the TOTP (RFC 6238: 6 digits, 30 s, SHA-1, as authenticator apps read it) of the operators and
//! of every professional's account, set up at registration, and the recovery codes (random, shown once, stored
//! hashed). The page shows and relays; the server decides that a factor is valid.
use crate::secret::same;
use promess_core::factor::{RECOVERY_CODES, RECOVERY_GROUP, recovery_code};
use totp_rs::{Algorithm, Secret, TOTP};

/// The issuer that authenticator apps show beside a professional's account.
pub const ISSUER: &str = "MSSanté Nouvelle-Aquitaine";

/// An authenticator app's label for the account (and a passkey's name): the identifier, as the app will show it (at
/// most 64 characters of it).
pub fn label(identifiant: &str) -> String {
    let label: String = identifiant.chars().filter(|c| !c.is_control() && *c != ':').take(64).collect();
    if label.trim().is_empty() { "messagerie".to_owned() } else { label }
}

/// The TOTP of a secret (base32) for `account` (the app's label), under `issuer`.
pub fn totp(secret: &str, account: &str, issuer: &str) -> Result<TOTP, String> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().map_err(|e| format!("{e:?}"))?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, Some(issuer.into()), account.into()).map_err(|e| e.to_string())
}

/// A new random TOTP secret (160 bits), base32.
pub fn new_secret() -> String {
    let Secret::Encoded(secret) = Secret::generate_secret().to_encoded() else { unreachable!("to_encoded encodes") };
    secret
}

/// The TOTP time step `code` is valid for around `now` (one step of drift each way), if any.
pub fn code_step(totp: &TOTP, code: &str, now: i64) -> Option<i64> {
    let code = code.trim();
    let step = now / 30;
    [step - 1, step, step + 1].into_iter().filter(|s| *s >= 0).find(|s| same(&totp.generate(*s as u64 * 30), code))
}

/// The QR code of an `otpauth://` URI, as an SVG image (drawn here, so that the page carries no QR code encoder).
pub fn qr_svg(uri: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// New recovery codes, as shown to the professional (`ABCD-EFGH`).
pub fn recovery_codes() -> Result<Vec<String>, getrandom::Error> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut random = [0u8; 2 * RECOVERY_GROUP];
            getrandom::fill(&mut random)?;
            Ok(recovery_code(&random))
        })
        .collect()
}

/// How a recovery code is kept: the SHA-256 of its normalized form (40 random bits each, single use, and an account
/// locks after a few failures: a fast hash suffices).
pub fn recovery_hash(code: &str) -> Option<String> {
    promess_core::factor::normalized_recovery_code(code).map(|c| crate::secret::sha256_hex(c.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_valid_one_step_either_way() {
        let totp = totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "cecile.sage", ISSUER).unwrap();
        let now = 1_800_000_000;
        let code = totp.generate(now as u64);
        assert_eq!(code_step(&totp, &code, now), Some(now / 30));
        assert_eq!(code_step(&totp, &code, now + 30), Some(now / 30));
        assert_eq!(code_step(&totp, &code, now + 90), None);
        assert_eq!(code_step(&totp, "000000x", now), None);
        assert!(totp.get_url().starts_with("otpauth://totp/MSSant%C3%A9%20Nouvelle-Aquitaine:cecile.sage?secret="));
    }

    #[test]
    fn secrets_and_recovery_codes_are_random_and_hash_as_typed() {
        assert_ne!(new_secret(), new_secret());
        assert!(new_secret().len() >= 32);
        let codes = recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 9 && c.as_bytes()[4] == b'-'));
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let typed = codes[0].to_lowercase().replace('-', " ");
        assert_eq!(recovery_hash(&typed), recovery_hash(&codes[0]));
        assert_eq!(recovery_hash("pas un code"), None);
    }

    #[test]
    fn the_qr_code_is_an_svg_image() {
        let svg = qr_svg("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{}", &svg[..80]);
    }
}
