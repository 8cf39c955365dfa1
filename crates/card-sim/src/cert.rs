//! The card's authentication certificate, issued by a test CA (rcgen), its subject laid out like a CPS
//! certificate's. rcgen writes one attribute per RDN, so the leaf's TBSCertificate is written here (yasna) and
//! signed with the CA's key: `C=FR, title=…, {GN + CN + SN}` as one multi-valued RDN, and the profession code in the
//! extension 1.2.250.1.71.1.2.7. The CA also issues CRLs, so that tests can play a revoked card.
use crate::Identity;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use promess_core::card::SignatureAlgorithm;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer, DistinguishedName, DnType,
    IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SerialNumber, SigningKey,
};
use rsa::pkcs8::EncodePublicKey;
use std::time::{SystemTime, UNIX_EPOCH};
use yasna::models::ObjectIdentifier;
/// The OID of the extension holding the TRE_G15 profession code.
pub const OID_PROFESSION: &[u64] = &[1, 2, 250, 1, 71, 1, 2, 7];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_C: &[u64] = &[2, 5, 4, 6];
const OID_TITLE: &[u64] = &[2, 5, 4, 12];
const OID_GN: &[u64] = &[2, 5, 4, 42];
const OID_CN: &[u64] = &[2, 5, 4, 3];
const OID_SN: &[u64] = &[2, 5, 4, 4];
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];

/// `YYMMDDHHMMSSZ` of a Unix time (UTCTime, years 1950–2049).
fn utc_time(secs: u64) -> String {
    let t = promess_core::time::Utc::of_unix(secs as i64);
    format!("{:02}{:02}{:02}{:02}{:02}{:02}Z", t.year % 100, t.month, t.day, t.hour, t.minute, t.second)
}

fn oid(components: &[u64]) -> ObjectIdentifier {
    ObjectIdentifier::from_slice(components)
}

/// The card's private authentication key: it never leaves the card.
pub enum CardKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
}

impl CardKey {
    /// A new key: RSA 2048 like a real CPS3 (RS256), or P-256 for the ECDSA path (ES256).
    pub fn generate(algorithm: SignatureAlgorithm) -> CardKey {
        let mut rng = rand_core::OsRng;
        match algorithm {
            SignatureAlgorithm::Rs256 => {
                CardKey::Rsa(Box::new(rsa::RsaPrivateKey::new(&mut rng, 2048).expect("an RSA key")))
            }
            SignatureAlgorithm::Es256 => CardKey::P256(p256::ecdsa::SigningKey::random(&mut rng)),
        }
    }

    /// The SubjectPublicKeyInfo (DER) of the certificate.
    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            CardKey::Rsa(key) => key.to_public_key().to_public_key_der().expect("an RSA public key").into_vec(),
            CardKey::P256(key) => key.verifying_key().to_public_key_der().expect("a P-256 public key").into_vec(),
        }
    }

    /// The algorithm of this key's signatures.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        match self {
            CardKey::Rsa(_) => SignatureAlgorithm::Rs256,
            CardKey::P256(_) => SignatureAlgorithm::Es256,
        }
    }

    /// INTERNAL AUTHENTICATE: RSA pads and signs the DigestInfo given (PKCS#1 v1.5); ECDSA signs the 32-byte digest
    /// given and answers r ‖ s.
    pub fn sign(&self, data: &[u8]) -> Option<Vec<u8>> {
        match self {
            CardKey::Rsa(key) => key.sign(rsa::Pkcs1v15Sign::new_unprefixed(), data).ok(),
            CardKey::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign_prehash(data).ok()?;
                Some(signature.to_bytes().to_vec())
            }
        }
    }
}

impl CardKey {
    /// The raw private-key operation of an RSA key on a block of its size (what a CPS4's PSO DECIPHER does).
    pub fn raw(&self, block: &[u8]) -> Option<Vec<u8>> {
        let CardKey::Rsa(key) = self else { return None };
        let size = rsa::traits::PublicKeyParts::size(key.as_ref());
        if block.len() != size {
            return None;
        }
        let input = rsa::BigUint::from_bytes_be(block);
        let output = rsa::hazmat::rsa_decrypt_and_check(key.as_ref(), Some(&mut rand_core::OsRng), &input).ok()?;
        let bytes = output.to_bytes_be();
        Some([vec![0; size - bytes.len()], bytes].concat())
    }
}

/// A test certification authority: it issues card certificates and CRLs.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// Seconds since 1970.
pub fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn random_serial() -> [u8; 16] {
    let mut serial = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut serial);
    serial[0] &= 0x7F;
    serial[0] |= 0x01;
    serial
}

impl Authority {
    pub fn new(name: &str) -> Result<Authority, rcgen::Error> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "FR");
        dn.push(DnType::OrganizationName, "ProMess TEST");
        dn.push(DnType::CommonName, name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.key_identifier_method = KeyIdMethod::Sha256;
        Ok(Authority { issuer: CertifiedIssuer::self_signed(params, KeyPair::generate()?)? })
    }

    pub fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A CRL listing `revoked` (certificate serials), issued `this_update` and due again at `next_update` (Unix
    /// seconds): a CRL whose next update has passed is stale.
    pub fn crl(&self, revoked: &[Vec<u8>], this_update: i64, next_update: i64) -> Result<Vec<u8>, rcgen::Error> {
        let at = |secs: i64| time::OffsetDateTime::from_unix_timestamp(secs).expect("a date");
        let params = CertificateRevocationListParams {
            this_update: at(this_update),
            next_update: at(next_update),
            crl_number: SerialNumber::from_slice(&this_update.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(serial),
                    revocation_time: at(this_update),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }

    /// Issues the card's authentication certificate for `key`, valid from `not_before` to `not_after` (Unix
    /// seconds); answers the DER certificate and its serial.
    pub fn issue(
        &self,
        identity: &Identity,
        key: &CardKey,
        not_before: i64,
        not_after: i64,
    ) -> Result<(Vec<u8>, Vec<u8>), rcgen::Error> {
        self.issue_for(identity, key, (not_before, not_after), true)
    }

    /// `issue`, with a key usage of digitalSignature (authentication) or keyEncipherment alone.
    pub fn issue_for(
        &self,
        identity: &Identity,
        key: &CardKey,
        (not_before, not_after): (i64, i64),
        digital_signature: bool,
    ) -> Result<(Vec<u8>, Vec<u8>), rcgen::Error> {
        let ca_der = self.der();
        let (_, parsed) =
            x509_parser::parse_x509_certificate(&ca_der).map_err(|_| rcgen::Error::CouldNotParseCertificate)?;
        let issuer_name = parsed.subject().as_raw().to_vec();
        let (not_before, not_after) = (utc_time(not_before as u64), utc_time(not_after as u64));
        let serial = random_serial();
        let tbs = yasna::construct_der(|w| {
            w.write_sequence(|w| {
                w.next().write_tagged(yasna::Tag::context(0), |w| w.write_u8(2));
                w.next().write_bigint_bytes(&serial, true);
                w.next().write_sequence(|w| w.next().write_oid(&oid(OID_ECDSA_SHA256)));
                w.next().write_der(&issuer_name);
                w.next().write_sequence(|w| {
                    for t in [&not_before, &not_after] {
                        w.next().write_der(&[&[0x17, t.len() as u8][..], t.as_bytes()].concat());
                    }
                });
                w.next().write_sequence(|w| {
                    let single = |w: yasna::DERWriter, id: &[u64], value: &str, printable: bool| {
                        w.write_set(|w| {
                            w.next().write_sequence(|w| {
                                w.next().write_oid(&oid(id));
                                if printable {
                                    w.next().write_printable_string(value)
                                } else {
                                    w.next().write_utf8_string(value)
                                }
                            })
                        })
                    };
                    single(w.next(), OID_C, "FR", true);
                    single(w.next(), OID_TITLE, &identity.titre, false);
                    // One RDN, three attributes: given name, national id, surname.
                    w.next().write_set_of(|w| {
                        for (id, value) in [
                            (OID_GN, identity.prenom.as_str()),
                            (OID_CN, &identity.national_id()),
                            (OID_SN, &identity.nom),
                        ] {
                            w.next().write_sequence(|w| {
                                w.next().write_oid(&oid(id));
                                w.next().write_utf8_string(value);
                            });
                        }
                    });
                });
                w.next().write_der(&key.spki_der());
                w.next().write_tagged(yasna::Tag::context(3), |w| {
                    w.write_sequence(|w| {
                        w.next().write_sequence(|w| {
                            w.next().write_oid(&oid(OID_PROFESSION));
                            w.next().write_bytes(&yasna::construct_der(|w| w.write_u32(identity.profession)));
                        });
                        w.next().write_sequence(|w| {
                            w.next().write_oid(&oid(OID_KEY_USAGE));
                            w.next().write_bool(true);
                            // digitalSignature, or keyEncipherment alone for a certificate that cannot authenticate.
                            let (bits, len) = if digital_signature { (0x80, 1) } else { (0x20, 3) };
                            w.next().write_bytes(&yasna::construct_der(|w| w.write_bitvec_bytes(&[bits], len)));
                        });
                        w.next().write_sequence(|w| {
                            w.next().write_oid(&oid(OID_EXT_KEY_USAGE));
                            w.next().write_bytes(&yasna::construct_der(|w| {
                                w.write_sequence(|w| w.next().write_oid(&oid(OID_CLIENT_AUTH)))
                            }));
                        });
                    });
                });
            })
        });
        let signature = self.issuer.key().sign(&tbs)?;
        let leaf = yasna::construct_der(|w| {
            w.write_sequence(|w| {
                w.next().write_der(&tbs);
                w.next().write_sequence(|w| w.next().write_oid(&oid(OID_ECDSA_SHA256)));
                w.next().write_bitvec_bytes(&signature, signature.len() * 8);
            })
        });
        Ok((leaf, serial.to_vec()))
    }
}

/// A card as issued: its CA, certificate, key and the certificate's serial.
pub struct Issued {
    pub authority: Authority,
    pub leaf: Vec<u8>,
    pub key: CardKey,
    pub serial: Vec<u8>,
}

/// Issues a test CA and the card's authentication certificate for a new key, valid from yesterday for three years.
pub fn issue(identity: &Identity, algorithm: SignatureAlgorithm) -> Result<Issued, rcgen::Error> {
    let authority = Authority::new("AC TEST PROMESS CARTE SIMULEE")?;
    let key = CardKey::generate(algorithm);
    let now = now_secs();
    let (leaf, serial) = authority.issue(identity, &key, now - 86_400, now + 3 * 365 * 86_400)?;
    Ok(Issued { authority, leaf, key, serial })
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "700101000000Z");
        assert_eq!(utc_time(951_782_400), "000229000000Z", "2000-02-29");
        assert_eq!(utc_time(1_795_000_000), "261118110640Z");
    }

    #[test]
    fn the_certificate_is_laid_out_like_a_cps_one_and_signed_by_the_ca() {
        let issued = issue(&Identity::example(), SignatureAlgorithm::Es256).unwrap();
        let (_, leaf) = parse_x509_certificate(&issued.leaf).unwrap();
        let ca_der = issued.authority.der();
        let (_, ca) = parse_x509_certificate(&ca_der).unwrap();
        leaf.verify_signature(Some(ca.public_key())).expect("signed by the test CA");
        let rdns: Vec<_> = leaf.subject().iter().collect();
        assert_eq!(rdns.len(), 3);
        assert_eq!(rdns[2].iter().count(), 3, "GN + CN + SN in one RDN (DER sorts the set)");
        assert_eq!(leaf.subject().iter_common_name().next().unwrap().as_str().unwrap(), "899700771191");
        assert_eq!(
            leaf.subject().to_string(),
            "C=FR, title=Sage-Femme, surname=SAGE + givenName=CECILE + CN=899700771191"
        );
        let ext = leaf.extensions().iter().find(|e| e.oid.to_id_string() == "1.2.250.1.71.1.2.7").unwrap();
        assert_eq!(ext.value, [0x02, 0x01, 50]);
        assert!(leaf.validity().is_valid());
        assert_eq!(leaf.raw_serial(), issued.serial.as_slice());
        assert!(leaf.key_usage().unwrap().unwrap().value.digital_signature());
        assert!(issued.authority.pem().starts_with("-----BEGIN CERTIFICATE-----"));
    }

    #[test]
    fn the_ca_issues_crls_listing_revoked_serials() {
        let issued = issue(&Identity::example(), SignatureAlgorithm::Es256).unwrap();
        let now = now_secs();
        let der = issued.authority.crl(std::slice::from_ref(&issued.serial), now, now + 3600).unwrap();
        let (_, crl) = parse_x509_crl(&der).unwrap();
        let revoked: Vec<_> = crl.iter_revoked_certificates().map(|r| r.raw_serial().to_vec()).collect();
        assert_eq!(revoked, std::slice::from_ref(&issued.serial));
        assert_eq!(crl.next_update().unwrap().timestamp(), now + 3600);
    }

    #[test]
    fn core_reads_the_holder_from_a_cps_subject_with_its_multi_valued_rdn() {
        use promess_core::card::certificate::{algorithm, parse};
        let issued = issue(&Identity::example(), SignatureAlgorithm::Rs256).unwrap();
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
        assert_eq!(algorithm(&issued.leaf), Ok(SignatureAlgorithm::Rs256));
        let ec = issue(&Identity::example(), SignatureAlgorithm::Es256).unwrap();
        assert_eq!(algorithm(&ec.leaf), Ok(SignatureAlgorithm::Es256));
    }

    #[test]
    fn core_reads_an_adeli_holder_and_refuses_garbage() {
        use promess_core::card::certificate::parse;
        let identity = Identity {
            rpps: None,
            adeli: Some("331234564".into()),
            profession: 70,
            titre: "Masseur-Kinésithérapeute".into(),
            ..Identity::example()
        };
        let id = parse(&issue(&identity, SignatureAlgorithm::Es256).unwrap().leaf).unwrap();
        assert_eq!((id.rpps, id.adeli.as_deref()), (None, Some("331234564")));
        assert_eq!(id.titre, "Masseur-Kinésithérapeute");
        assert_eq!(id.profession.as_deref(), Some("70"));
        assert!(parse(b"not a certificate").is_err());
        assert!(parse(&[]).is_err());
    }
}
