//! Password hashing: argon2id with the OWASP parameters (19 MiB, 2 iterations, 1 lane), on a blocking thread.
use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version, password_hash::SaltString};

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid parameters"))
}

/// The PHC string ($argon2id$v=19$m=19456,t=2,p=1$salt$hash) of a password.
pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches a stored PHC string.
pub fn verify(password: &str, phc: &str) -> bool {
    use argon2::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let a = super::hash("Correct-Cheval-Batterie-42").unwrap();
        let b = super::hash("Correct-Cheval-Batterie-42").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(!a.contains("Correct-Cheval"));
        assert!(super::verify("Correct-Cheval-Batterie-42", &a));
        assert!(!super::verify("Correct-Cheval-Batterie-43", &a));
    }
}
