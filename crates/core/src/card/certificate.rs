//! What a CPS authentication certificate says of its holder (read by the agent to show it, and by the server once
//! the certificate is verified): the subject `C=FR, title=<profession>, {GN + CN=<national id> + SN}` (given name,
//! national id and surname in one multi-valued RDN) and the TRE_G15 profession code, an INTEGER in the extension
//! 1.2.250.1.71.1.2.7. Native only (the `x509` feature): the page never parses a certificate.
use super::{CardIdentity, CertificateInfo, NationalId, SignatureAlgorithm};
use sha2::{Digest, Sha256};
use x509_parser::{der_parser::asn1_rs::FromDer, prelude::*};

/// The OID of the extension holding the TRE_G15 profession code.
pub const OID_PROFESSION: &str = "1.2.250.1.71.1.2.7";

#[derive(Debug, PartialEq, Eq)]
pub enum CertificateError {
    /// Not DER X.509, or no national id in the subject.
    Unreadable(String),
}

fn rfc3339(t: &ASN1Time) -> String {
    let d = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// Reads the holder's identity from a DER certificate.
pub fn parse(der: &[u8]) -> Result<CardIdentity, CertificateError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertificateError::Unreadable(e.to_string()))?;
    identity(&cert, der)
}

/// The signature algorithm of the certificate's key: RS256 for RSA, ES256 for P-256.
pub fn algorithm(der: &[u8]) -> Result<SignatureAlgorithm, CertificateError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertificateError::Unreadable(e.to_string()))?;
    algorithm_of(&cert)
}

pub fn algorithm_of(cert: &X509Certificate<'_>) -> Result<SignatureAlgorithm, CertificateError> {
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(_)) => Ok(SignatureAlgorithm::Rs256),
        Ok(x509_parser::public_key::PublicKey::EC(point)) if point.key_size() == 256 => Ok(SignatureAlgorithm::Es256),
        _ => Err(CertificateError::Unreadable("neither an RSA nor a P-256 key".into())),
    }
}

/// The size in bytes of the certificate's RSA key (what a CPS4's padded block must fill), None for another key.
pub fn rsa_size(der: &[u8]) -> Option<usize> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.modulus.iter().skip_while(|b| **b == 0).count()),
        _ => None,
    }
}

/// The holder's identity from a parsed certificate (`der` is its encoding, for the fingerprint).
pub fn identity(cert: &X509Certificate<'_>, der: &[u8]) -> Result<CardIdentity, CertificateError> {
    let subject = cert.subject();
    // Every attribute of every RDN, multi-valued ones included.
    let attribute = |oid: &x509_parser::oid_registry::Oid| {
        subject
            .iter()
            .flat_map(|rdn| rdn.iter())
            .find(|a| a.attr_type() == oid)
            .and_then(|a| a.as_str().ok())
            .map(str::to_owned)
    };
    use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_GIVEN_NAME, OID_X509_SURNAME, OID_X509_TITLE};
    let cn = attribute(&OID_X509_COMMON_NAME).unwrap_or_default();
    let national = NationalId::parse(&cn)
        .ok_or_else(|| CertificateError::Unreadable("no national id (8 + RPPS, 0 + ADELI) as the CN".into()))?;
    let profession = cert.extensions().iter().find(|e| e.oid.to_id_string() == OID_PROFESSION).and_then(|e| {
        let (_, any) = x509_parser::der_parser::asn1_rs::Any::from_der(e.value).ok()?;
        any.as_u32().ok().map(|p| p.to_string())
    });
    let validity = cert.validity();
    Ok(CardIdentity {
        identifiant_national: national.to_string(),
        rpps: national.rpps().map(str::to_owned),
        adeli: national.adeli().map(str::to_owned),
        prenom: attribute(&OID_X509_GIVEN_NAME).unwrap_or_default(),
        nom: attribute(&OID_X509_SURNAME).unwrap_or_default(),
        titre: attribute(&OID_X509_TITLE).unwrap_or_default(),
        profession,
        certificat: CertificateInfo {
            empreinte_sha256: Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect(),
            numero_serie: cert.raw_serial_as_string(),
            emetteur: cert.issuer().to_string(),
            valide_du: rfc3339(&validity.not_before),
            valide_au: rfc3339(&validity.not_after),
        },
    })
}
