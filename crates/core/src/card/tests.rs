use super::examples::*;
use super::*;
use serde_json::{Value, json};

/// The page's reader, played by serde_json's values: what serde writes, the hand-written readers must read back.
impl WireObject for Value {
    fn text(&self, key: &str) -> Option<String> {
        self.get(key)?.as_str().map(str::to_owned)
    }
    fn number(&self, key: &str) -> Option<f64> {
        self.get(key)?.as_f64()
    }
    fn flag(&self, key: &str) -> Option<bool> {
        self.get(key)?.as_bool()
    }
    fn object(&self, key: &str) -> Option<Value> {
        self.get(key).filter(|v| v.is_object()).cloned()
    }
    fn list(&self, key: &str) -> Vec<Value> {
        self.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
    }
    fn as_text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
}

#[test]
fn every_wire_type_reads_back_what_serde_writes() {
    let identity = full_identity();
    assert_eq!(FullIdentity::read(&serde_json::to_value(&identity).unwrap()), Some(identity.clone()));
    let before_pin = FullIdentity { civilite: None, specialite: None, specialite_libelle: None, ..identity.clone() };
    assert_eq!(FullIdentity::read(&serde_json::to_value(&before_pin.carte).unwrap()), Some(before_pin));
    let status = agent_status();
    assert_eq!(AgentStatus::read(&serde_json::to_value(&status).unwrap()), Some(status));
    let proof = card_proof();
    assert_eq!(CardProof::read(&serde_json::to_value(&proof).unwrap()), Some(proof));
    let challenge = challenge();
    assert_eq!(Challenge::read(&serde_json::to_value(&challenge).unwrap()), Some(challenge));
    for code in AgentErrorCode::ALL {
        assert_eq!(serde_json::to_value(code).unwrap(), code.key(), "{code:?}");
        let error = AgentError { error: *code, remaining: Some(2), detail: Some("x".into()) };
        assert_eq!(AgentError::read(&serde_json::to_value(&error).unwrap()), Some(error));
    }
    for kind in [CardKind::Cps3, CardKind::Cps4, CardKind::Unknown] {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.key());
    }
    // The server's answers the page reads.
    use crate::registration::{Proposal, RegistrationAccepted};
    let proposal = Proposal { identifiant: "paul.martin2".into(), adresse: "paul.martin2@sante-na.fr".into() };
    assert_eq!(Proposal::read(&serde_json::to_value(&proposal).unwrap()), Some(proposal));
    let accepted = RegistrationAccepted {
        identifiant: "a".into(),
        adresse: "a@b".into(),
        statut: crate::lifecycle::Statut::EnVerification,
    };
    assert_eq!(RegistrationAccepted::read(&serde_json::to_value(&accepted).unwrap()), Some(accepted));
    let errors = crate::registration::examples::every_error();
    assert_eq!(crate::FieldErrors::read(&serde_json::to_value(&errors).unwrap()), errors);
    // Pro Santé Connect's and the second factor's.
    use crate::{factor, psc};
    let offer = psc::PscOffer { disponible: true };
    assert_eq!(psc::PscOffer::read(&serde_json::to_value(offer).unwrap()), Some(offer));
    let id = psc::PscIdentity {
        identifiant_national: "899700771191".into(),
        rpps: Some("99700771191".into()),
        nom: "SAGE".into(),
        prenom: "CECILE".into(),
        profession: Some("50".into()),
        ville: Some("BORDEAUX".into()),
        ..Default::default()
    };
    assert_eq!(psc::PscIdentity::read(&serde_json::to_value(&id).unwrap()), Some(id));
    let setup =
        factor::FactorSetup { id: "i".into(), secret: "S".into(), uri: "otpauth://".into(), qr_svg: "<svg/>".into() };
    assert_eq!(factor::FactorSetup::read(&serde_json::to_value(&setup).unwrap()), Some(setup));
    let codes = (0..factor::RECOVERY_CODES).map(|i| format!("AAAA-000{i}")).collect();
    let confirmed = factor::FactorConfirmed { codes_secours: codes };
    assert_eq!(factor::FactorConfirmed::read(&serde_json::to_value(&confirmed).unwrap()), Some(confirmed));
}

#[test]
fn a_pin_has_4_to_8_digits_and_never_shows() {
    for ok in ["1234", "12345678", "0000"] {
        assert!(Pin::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "1", "12", "123", "123456789", "12a4", "１２３４", " 1234"] {
        assert_eq!(Pin::parse(bad), Err(ErrorCode::InvalidFormat), "{bad:?}");
    }
    let pin = Pin::parse("1234").unwrap();
    assert_eq!(format!("{pin:?}"), "Pin(***)");
    let request = VerifyPinRequest { pin: "1234".into(), confirmer_dernier_essai: true };
    assert!(!format!("{request:?}").contains("1234"));
    assert_eq!(pin.block(), [b'1', b'2', b'3', b'4', 0xFF, 0xFF, 0xFF, 0xFF]);
    assert_eq!(apdu::verify(&pin), [0x00, 0x20, 0x00, 0x01, 0x08, b'1', b'2', b'3', b'4', 0xFF, 0xFF, 0xFF, 0xFF]);
}

#[test]
fn national_ids() {
    assert_eq!(NationalId::parse("810005173140"), Some(NationalId::Rpps("10005173140".into())));
    assert_eq!(NationalId::parse("0331234564"), Some(NationalId::Adeli("331234564".into())));
    for bad in ["", "8", "91000517314", "81000517314", "8100051731400", "0abcdefghi", "é10005173140"] {
        assert_eq!(NationalId::parse(bad), None, "{bad}");
    }
    assert_eq!(NationalId::Rpps("10005173140".into()).to_string(), "810005173140");
    assert_eq!(NationalId::Adeli("331234564".into()).to_string(), "0331234564");
}

#[test]
fn card_kinds_and_commands() {
    assert_eq!(CardKind::of_atr(&ATR_CPS3), CardKind::Cps3);
    assert_eq!(CardKind::of_atr(&ATR_CPS4), CardKind::Cps4);
    assert_eq!(CardKind::of_atr(&[0x3B, 0x00]), CardKind::Unknown);
    assert_eq!(apdu::select_ias()[..5], [0x00, 0xA4, 0x04, 0x00, 0x0D]);
    assert_eq!(apdu::read_binary(0x0102), [0x00, 0xB0, 0x01, 0x02, 0x00]);
    assert_eq!(apdu::mse_authentication(ALGORITHM_RSA_PKCS1)[..4], [0x00, 0x22, 0x41, 0xA4]);
    let ia = apdu::internal_authenticate(&[1, 2, 3]);
    assert_eq!(ia, [0x00, 0x88, 0x00, 0x00, 3, 1, 2, 3, 0x00]);
    assert_eq!(apdu::mse_decipher(), [0x00, 0x22, 0x41, 0xB8, 0x03, 0x83, 0x01, 0x81]);
    // A 256-byte block and its padding indicator: 257 bytes in two chained short APDUs.
    let parts = apdu::pso_decipher(&[7; 256]);
    assert_eq!(parts.len(), 2);
    assert_eq!((parts[0][..5].to_vec(), parts[0].len()), (vec![0x10, 0x2A, 0x80, 0x86, 255], 5 + 255));
    assert_eq!(parts[0][5], 0x00, "the padding indicator first");
    assert_eq!(parts[1], [0x00, 0x2A, 0x80, 0x86, 2, 7, 7, 0x00]);
}

#[test]
fn the_cps4_block_is_pkcs1_v1_5() {
    let block = SignatureAlgorithm::pkcs1_block("o", "n", 256).unwrap();
    assert_eq!(block.len(), 256);
    assert_eq!(block[..2], [0x00, 0x01]);
    let info = SignatureAlgorithm::Rs256.card_input("o", "n");
    assert_eq!(block[256 - info.len()..], info[..]);
    assert_eq!(block[256 - info.len() - 1], 0x00);
    assert!(block[2..256 - info.len() - 1].iter().all(|b| *b == 0xFF));
    assert_eq!(SignatureAlgorithm::pkcs1_block("o", "n", 60), None, "a key too short for the digest");
}

#[test]
fn the_signed_value_binds_origin_and_nonce() {
    let v = signed_value("https://inscription.sante-na.fr", "bm9uY2U=");
    assert_eq!(v[..32], *Sha256::digest(b"https://inscription.sante-na.fr"));
    assert_eq!(v[32..], *Sha256::digest(b"bm9uY2U="));
    assert_ne!(signed_value("https://evil.example", "bm9uY2U="), v);
    assert_eq!(signed_digest("a", "b"), <[u8; 32]>::from(Sha256::digest(signed_value("a", "b"))));
    assert_eq!(json!(SHA256_DIGEST_INFO.len()), 19);
}
