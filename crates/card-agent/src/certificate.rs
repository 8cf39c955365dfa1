//! What a CPS authentication certificate says of its holder: the subject `C=FR, title=<profession>,
//! {GN + CN=<national id> + SN}` (given name, national id and surname in one multi-valued RDN) and the TRE_G15
//! profession code, an INTEGER in the extension 1.2.250.1.71.1.2.7 (domain.md §7).
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::{der_parser::asn1_rs::FromDer, prelude::*};

const OID_PROFESSION: &str = "1.2.250.1.71.1.2.7";

/// The holder, as the certificate shows them (no PIN needed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CardIdentity {
    /// The national id (CN): 8 + RPPS, or 0 + ADELI.
    pub identifiant_national: String,
    pub rpps: Option<String>,
    pub adeli: Option<String>,
    pub prenom: String,
    pub nom: String,
    /// The certificate's `title` (the profession's label).
    pub titre: String,
    /// TRE_G15 profession code, as text ("50").
    pub profession: Option<String>,
    pub certificat: CertificateInfo,
}

/// Which certificate, and its validity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateInfo {
    /// SHA-256 of the DER certificate, hexadecimal.
    pub empreinte_sha256: String,
    pub numero_serie: String,
    pub emetteur: String,
    /// RFC 3339 (UTC).
    pub valide_du: String,
    pub valide_au: String,
}

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
    let national = attribute(&OID_X509_COMMON_NAME)
        .filter(|cn| cn.len() >= 2 && cn.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| CertificateError::Unreadable("no national id (CN) in the subject".into()))?;
    let number = &national[1..];
    let digits = |n: usize| number.len() == n && number.bytes().all(|b| b.is_ascii_digit());
    let rpps = (national.starts_with('8') && digits(11)).then(|| number.to_owned());
    let adeli = (national.starts_with('0') && digits(9)).then(|| number.to_owned());
    let profession = cert.extensions().iter().find(|e| e.oid.to_id_string() == OID_PROFESSION).and_then(|e| {
        let (_, any) = x509_parser::der_parser::asn1_rs::Any::from_der(e.value).ok()?;
        any.as_u32().ok().map(|p| p.to_string())
    });
    let validity = cert.validity();
    Ok(CardIdentity {
        identifiant_national: national.clone(),
        rpps,
        adeli,
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

#[cfg(test)]
mod tests {
    use super::*;
    use promess_card_sim::{Identity, cert};

    #[test]
    fn a_cps_subject_with_its_multi_valued_rdn() {
        let issued = cert::issue(&Identity::example()).unwrap();
        let id = parse(&issued.leaf).unwrap();
        assert_eq!(id.identifiant_national, "899700771191");
        assert_eq!(id.rpps.as_deref(), Some("99700771191"));
        assert_eq!(id.adeli, None);
        assert_eq!((id.prenom.as_str(), id.nom.as_str()), ("CECILE", "SAGE"));
        assert_eq!(id.titre, "Sage-Femme");
        assert_eq!(id.profession.as_deref(), Some("50"));
        assert_eq!(id.certificat.empreinte_sha256.len(), 64);
        assert!(id.certificat.emetteur.contains("AC TEST PROMESS"));
        assert!(id.certificat.valide_du < id.certificat.valide_au);
        assert!(id.certificat.valide_du.ends_with('Z') && id.certificat.valide_du.len() == 20);
    }

    #[test]
    fn an_adeli_holder() {
        let identity = Identity {
            rpps: None,
            adeli: Some("331234564".into()),
            profession: 70,
            titre: "Masseur-Kinésithérapeute".into(),
            ..Identity::example()
        };
        let id = parse(&cert::issue(&identity).unwrap().leaf).unwrap();
        assert_eq!((id.rpps, id.adeli.as_deref()), (None, Some("331234564")));
        assert_eq!(id.titre, "Masseur-Kinésithérapeute");
        assert_eq!(id.profession.as_deref(), Some("70"));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(parse(b"not a certificate"), Err(CertificateError::Unreadable(_))));
        assert!(parse(&[]).is_err());
    }
}
