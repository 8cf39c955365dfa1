//! The card's authentication certificate, issued at start by a test CA (rcgen), its subject laid out like a CPS
//! certificate's. rcgen writes one attribute per RDN, so the leaf's TBSCertificate is written here (yasna) and
//! signed with the CA's key: `C=FR, title=…, {GN + CN + SN}` as one multi-valued RDN, and the profession code in the
//! extension 1.2.250.1.71.1.2.7.
use crate::Identity;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair, PublicKeyData,
    SigningKey,
};
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

/// A test CA and the certificates it issued.
pub struct Issued {
    pub ca: Vec<u8>,
    pub leaf: Vec<u8>,
}

/// `YYMMDDHHMMSSZ` of a Unix time (UTCTime, years 1950–2049).
fn utc_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{:02}{:02}{:02}{:02}{:02}{:02}Z", year % 100, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
}

fn oid(components: &[u64]) -> ObjectIdentifier {
    ObjectIdentifier::from_slice(components)
}

/// Issues a test CA and the card's authentication certificate, valid from yesterday for three years.
pub fn issue(identity: &Identity) -> Result<Issued, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, "ProMess TEST");
    dn.push(DnType::CommonName, "AC TEST PROMESS CARTE SIMULEE");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(params, &ca_key)?;
    let ca_der = ca.as_ref().der().to_vec();
    let (_, parsed) =
        x509_parser::parse_x509_certificate(&ca_der).map_err(|_| rcgen::Error::CouldNotParseCertificate)?;
    let issuer_name = parsed.subject().as_raw().to_vec();

    let leaf_key = KeyPair::generate()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (not_before, not_after) = (utc_time(now - 86_400), utc_time(now + 3 * 365 * 86_400));
    let serial = now.to_be_bytes();
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
                    for (id, value) in
                        [(OID_GN, identity.prenom.as_str()), (OID_CN, &identity.national_id()), (OID_SN, &identity.nom)]
                    {
                        w.next().write_sequence(|w| {
                            w.next().write_oid(&oid(id));
                            w.next().write_utf8_string(value);
                        });
                    }
                });
            });
            w.next().write_der(&leaf_key.subject_public_key_info());
            w.next().write_tagged(yasna::Tag::context(3), |w| {
                w.write_sequence(|w| {
                    w.next().write_sequence(|w| {
                        w.next().write_oid(&oid(OID_PROFESSION));
                        w.next().write_bytes(&yasna::construct_der(|w| w.write_u32(identity.profession)));
                    });
                    w.next().write_sequence(|w| {
                        w.next().write_oid(&oid(OID_KEY_USAGE));
                        w.next().write_bool(true);
                        // digitalSignature
                        w.next().write_bytes(&yasna::construct_der(|w| w.write_bitvec_bytes(&[0x80], 1)));
                    });
                });
            });
        })
    });
    let signature = ca_key.sign(&tbs)?;
    let leaf = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_der(&tbs);
            w.next().write_sequence(|w| w.next().write_oid(&oid(OID_ECDSA_SHA256)));
            w.next().write_bitvec_bytes(&signature, signature.len() * 8);
        })
    });
    Ok(Issued { ca: ca_der, leaf })
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
        let issued = issue(&Identity::example()).unwrap();
        let (_, leaf) = parse_x509_certificate(&issued.leaf).unwrap();
        let (_, ca) = parse_x509_certificate(&issued.ca).unwrap();
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
    }
}
