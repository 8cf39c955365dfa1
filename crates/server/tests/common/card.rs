//! A test authority and a card of its issuing (the simulated card's keys and certificates, promess-card-sim), signing
//! exactly what a card signs; where a server reads its trust and CRL.
use promess_card_sim::{
    Identity,
    cert::{Authority, CardKey, now_secs},
};
use promess_core::{
    RegistrationRequest,
    card::{CardProof, SignatureAlgorithm},
    registration::{
        Credentials, Mode,
        examples::{STRONG_PASSWORD, valid_draft},
    },
};

/// A test CA, a card of its issuing, and where the server reads its trust and CRL.
pub struct Pki {
    pub authority: Authority,
    pub key: CardKey,
    pub leaf: Vec<u8>,
    pub serial: Vec<u8>,
}

pub const DAY: i64 = 86_400;

impl Pki {
    pub fn new(algorithm: SignatureAlgorithm) -> Pki {
        Pki::issued(Authority::new("AC TEST PROMESS").unwrap(), algorithm, (now_secs() - DAY, now_secs() + 365 * DAY))
    }

    pub fn issued(authority: Authority, algorithm: SignatureAlgorithm, validity: (i64, i64)) -> Pki {
        let key = CardKey::generate(algorithm);
        let (leaf, serial) = authority.issue_for(&Identity::example(), &key, validity, true).unwrap();
        Pki { authority, key, leaf, serial }
    }

    /// The same CA's card with another certificate (another validity, key usage or key).
    pub fn another(&self, algorithm: SignatureAlgorithm, validity: (i64, i64), digital_signature: bool) -> Pki {
        let key = CardKey::generate(algorithm);
        let (leaf, serial) = self.authority.issue_for(&Identity::example(), &key, validity, digital_signature).unwrap();
        Pki { authority: Authority::new("unused").unwrap(), key, leaf, serial }
    }

    /// The card's proof for `nonce` and `origin`, signed as the card signs it.
    pub fn proof(&self, nonce: &str, origin: &str) -> CardProof {
        use base64::{Engine, engine::general_purpose::STANDARD};
        let algorithm = self.key.algorithm();
        let signature = self.key.sign(&algorithm.card_input(origin, nonce)).unwrap();
        CardProof {
            certificat: STANDARD.encode(&self.leaf),
            signature: STANDARD.encode(signature),
            algorithme: algorithm.name().into(),
            format: CardProof::FORMAT.into(),
            nonce: nonce.into(),
            origin: origin.into(),
        }
    }
}

/// The card's files in the test's directory: the CA (PEM) and a CRL listing `revoked`, due again at `next_update`.
pub fn write_trust(dir: &std::path::Path, pki: &Pki, revoked: &[Vec<u8>], next_update: i64) {
    std::fs::write(dir.join("ca.pem"), pki.authority.pem()).unwrap();
    let crl = pki.authority.crl(revoked, now_secs() - 60, next_update).unwrap();
    // Written aside, then renamed: the server never reads half a file.
    std::fs::write(dir.join("crl.tmp"), crl).unwrap();
    std::fs::rename(dir.join("crl.tmp"), dir.join("ca.crl")).unwrap();
}

/// A card registration of the simulated card's holder (a midwife, RPPS 99700771191), with `proof`.
pub fn card_request(proof: Option<CardProof>) -> RegistrationRequest {
    let mut donnees = valid_draft();
    donnees.mode = Some(Mode::Carte);
    (donnees.nom, donnees.prenom, donnees.rpps) = ("SAGE".into(), "CECILE".into(), "99700771191".into());
    RegistrationRequest {
        donnees,
        secret: Credentials { mot_de_passe: STRONG_PASSWORD.into(), mot_de_passe_confirmation: STRONG_PASSWORD.into() },
        identifiant: None,
        preuve_carte: proof,
    }
}
