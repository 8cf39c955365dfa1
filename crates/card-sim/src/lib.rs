//! A simulated CPS3 card. To pcscd it is a real card in a real reader: the vsmartcard `vpcd` driver gives pcscd a
//! "Virtual PCD" reader whose card is this program, over TCP on loopback.
//!
//! What the card does, and the commands it answers (the layout of our simulation; the real CPS3 profile is IAS-ECC):
//!
//! | command | APDU | answer |
//! |---|---|---|
//! | SELECT the IAS application | `00 A4 04 00 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10` | `9000` |
//! | SELECT a file | `00 A4 02 0C 02 <FID>`: `D0 01` authentication certificate, `D0 02` identity data | `9000`, `6A82` |
//! | READ BINARY | `00 B0 <offset> <Le>` | data `9000`; `6B00` past the end; `6982` identity data before the PIN |
//! | PIN status | `00 CB 3F FF 03 BF 81 01 00` | `BF 81 01 06 9A 01 <max> 9B 01 <remaining> 9000` |
//! | VERIFY | `00 20 00 01 08 <PIN, ASCII, padded with FF>` | `9000`; `63Cx` (x tries left); `6983` blocked |
//! | VERIFY, no data | `00 20 00 01` | `9000` if verified, else `63Cx` or `6983` |
//! | MANAGE SECURITY ENVIRONMENT | `00 22 41 A4 06 80 01 <alg> 84 01 81` (authentication key) | `9000`; `6A80` not its key |
//! | CPS4: MANAGE SECURITY ENVIRONMENT | `00 22 41 B8 03 83 01 81` (deciphering, authentication key) | `9000` |
//! | CPS4: PSO DECIPHER | `10 2A 80 86 …` chained, then `00 2A 80 86 <Lc> … 00`: `00` ‖ the PKCS#1 block | the raw RSA result `9000`; `6982` before the PIN |
//! | INTERNAL AUTHENTICATE | `00 88 00 00 <Lc> <DigestInfo, or the digest for ECDSA> 00` | the signature `9000`; `6982` before the PIN; `6985` no environment |
//!
//! The certificate is issued at start by a test CA, its subject laid out like a CPS certificate's:
//! `C=FR, title=<profession>, {GN=<given name> + CN=<national id> + SN=<surname>}` (one multi-valued RDN), with the
//! profession code as an INTEGER in the extension 1.2.250.1.71.1.2.7. The identity data (after the PIN) is UTF-8
//! `key=value` lines: `civilite`, `specialite`, `specialite_libelle`. The card keeps the private key of its
//! certificate (RSA 2048 like a CPS3, or P-256) and signs only after VERIFY in the same session. Power-off and reset
//! clear the verified state and the security environment; the try counter is kept. The commands are
//! promess-core's card protocol.
use cert::CardKey;
use promess_core::card::{
    AID_IAS, ATR_CPS4, CardKind, FID_CERTIFICATE, FID_IDENTITY, NationalId, PIN_REFERENCE, PIN_STATUS,
};
use serde::{Deserialize, Serialize};

pub use promess_core::card::ATR_CPS3;

pub mod cert;
pub mod pcscd;
pub mod vpcd;

/// PIN tries of a fresh card.
pub const MAX_TRIES: u8 = 3;

/// The professional the card belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// 11-digit RPPS number (the national id is `8` followed by it); or use `adeli`.
    #[serde(default)]
    pub rpps: Option<String>,
    /// 9-digit ADELI number (national id `0` followed by it), when there is no RPPS.
    #[serde(default)]
    pub adeli: Option<String>,
    pub nom: String,
    pub prenom: String,
    /// TRE_G15 profession code, e.g. 50.
    pub profession: u32,
    /// The profession as the certificate's `title` shows it, e.g. "Sage-Femme".
    pub titre: String,
    /// TRE_R11 civilité d'exercice (e.g. DR) or TRE_G03 civilité (22, 31).
    pub civilite: String,
    /// TRE_R38 specialty code, if any, and its label.
    #[serde(default)]
    pub specialite: Option<String>,
    #[serde(default)]
    pub specialite_libelle: Option<String>,
    /// The PIN (code porteur); ANS test cards use 1234.
    #[serde(default = "default_pin")]
    pub pin: String,
}

fn default_pin() -> String {
    "1234".into()
}

impl Identity {
    /// A midwife with the ANS test RPPS, as on a test card.
    pub fn example() -> Identity {
        Identity {
            rpps: Some("99700771191".into()),
            adeli: None,
            nom: "SAGE".into(),
            prenom: "CECILE".into(),
            profession: 50,
            titre: "Sage-Femme".into(),
            civilite: "22".into(),
            specialite: None,
            specialite_libelle: None,
            pin: default_pin(),
        }
    }

    /// A general practitioner (Docteur), with a specialty behind the PIN: the other card of tests and demos.
    pub fn example_doctor() -> Identity {
        Identity {
            rpps: Some("10005173140".into()),
            nom: "MARTIN".into(),
            prenom: "PAUL".into(),
            profession: 10,
            titre: "Médecin".into(),
            civilite: "DR".into(),
            specialite: Some("SM54".into()),
            specialite_libelle: Some("Médecine générale".into()),
            ..Identity::example()
        }
    }

    /// The national id of the certificate's CN: 8 + RPPS, or 0 + ADELI.
    pub fn national_id(&self) -> String {
        match (&self.rpps, &self.adeli) {
            (Some(rpps), _) => NationalId::Rpps(rpps.clone()).to_string(),
            (None, Some(adeli)) => NationalId::Adeli(adeli.clone()).to_string(),
            (None, None) => String::new(),
        }
    }

    /// The identity data file (after the PIN).
    pub fn data_file(&self) -> Vec<u8> {
        let mut out = format!("civilite={}\n", self.civilite);
        if let Some(s) = &self.specialite {
            out.push_str(&format!("specialite={s}\n"));
        }
        if let Some(s) = &self.specialite_libelle {
            out.push_str(&format!("specialite_libelle={s}\n"));
        }
        out.into_bytes()
    }
}

/// Status words.
const OK: [u8; 2] = [0x90, 0x00];
const NOT_FOUND: [u8; 2] = [0x6A, 0x82];
const SECURITY: [u8; 2] = [0x69, 0x82];
const BLOCKED: [u8; 2] = [0x69, 0x83];
const WRONG_OFFSET: [u8; 2] = [0x6B, 0x00];
const WRONG_LENGTH: [u8; 2] = [0x67, 0x00];
const NO_INS: [u8; 2] = [0x6D, 0x00];
const CONDITIONS: [u8; 2] = [0x69, 0x85];
const WRONG_DATA: [u8; 2] = [0x6A, 0x80];
const NO_CLA: [u8; 2] = [0x6E, 0x00];

/// The card: its files, its authentication key and its PIN state.
pub struct Card {
    identity: Identity,
    certificate: Vec<u8>,
    key: CardKey,
    remaining: u8,
    verified: bool,
    application: bool,
    selected: Option<[u8; 2]>,
    /// The algorithm set by MANAGE SECURITY ENVIRONMENT for authentication (CPS3: INTERNAL AUTHENTICATE).
    environment: Option<u8>,
    /// CPS3, or CPS4 (its ATR, and its authentication by MSE for deciphering, then PSO DECIPHER).
    kind: CardKind,
    /// CPS4: the environment for deciphering is set.
    decipher: bool,
    /// The parts of a chained command received so far.
    chained: Vec<u8>,
}

impl Card {
    pub fn new(identity: Identity, certificate: Vec<u8>, key: CardKey) -> Card {
        Card {
            identity,
            certificate,
            key,
            remaining: MAX_TRIES,
            verified: false,
            application: false,
            selected: None,
            environment: None,
            kind: CardKind::Cps3,
            decipher: false,
            chained: Vec::new(),
        }
    }

    /// The same card as a CPS4 (its RSA key authenticates by deciphering a block the host pads).
    pub fn cps4(mut self) -> Card {
        self.kind = CardKind::Cps4;
        self
    }

    /// The card's ATR, by its kind.
    pub fn atr(&self) -> &'static [u8] {
        match self.kind {
            CardKind::Cps4 => &ATR_CPS4,
            _ => &ATR_CPS3,
        }
    }

    /// Power-off or reset: the session ends (verified state, selection, security environment); the try counter
    /// stays.
    pub fn reset(&mut self) {
        self.verified = false;
        self.application = false;
        self.selected = None;
        self.environment = None;
        self.decipher = false;
        self.chained.clear();
    }

    pub fn remaining_tries(&self) -> u8 {
        self.remaining
    }

    /// Answers one command APDU with the response data and status word.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let reply = |data: &[u8], sw: [u8; 2]| [data, &sw].concat();
        if apdu.len() < 4 {
            return WRONG_LENGTH.to_vec();
        }
        // Command chaining (CLA 10) for the CPS4's PSO DECIPHER only.
        let chaining = apdu[0] == 0x10 && self.kind == CardKind::Cps4 && apdu[1] == 0x2A;
        if apdu[0] != 0x00 && !chaining {
            return NO_CLA.to_vec();
        }
        let (ins, p1, p2) = (apdu[1], apdu[2], apdu[3]);
        let body = &apdu[4..];
        // Lc and its data, when present (short APDUs only).
        let data = match body {
            [lc, rest @ ..] if *lc as usize <= rest.len() && *lc > 0 && ins != 0xB0 => &rest[..*lc as usize],
            _ => &[],
        };
        if chaining {
            self.chained.extend_from_slice(data);
            return OK.to_vec();
        }
        match ins {
            0xA4 if p1 == 0x04 => {
                self.application = data == AID_IAS;
                self.selected = None;
                if self.application { OK.to_vec() } else { NOT_FOUND.to_vec() }
            }
            0xA4 if p1 == 0x02 && self.application => match data {
                [a, b] if [*a, *b] == FID_CERTIFICATE || [*a, *b] == FID_IDENTITY => {
                    self.selected = Some([*a, *b]);
                    OK.to_vec()
                }
                _ => NOT_FOUND.to_vec(),
            },
            0xA4 => NOT_FOUND.to_vec(),
            0xB0 => {
                let content = match self.selected {
                    Some(FID_CERTIFICATE) => self.certificate.clone(),
                    Some(FID_IDENTITY) if self.verified => self.identity.data_file(),
                    Some(FID_IDENTITY) => return SECURITY.to_vec(),
                    _ => return NOT_FOUND.to_vec(),
                };
                let offset = u16::from_be_bytes([p1 & 0x7F, p2]) as usize;
                let le = match body.first() {
                    Some(0) | None => 256,
                    Some(n) => *n as usize,
                };
                if offset > content.len() {
                    return WRONG_OFFSET.to_vec();
                }
                let end = (offset + le).min(content.len());
                reply(&content[offset..end], OK)
            }
            0xCB if apdu[..PIN_STATUS.len().min(apdu.len())] == PIN_STATUS[..] => {
                reply(&[0xBF, 0x81, 0x01, 0x06, 0x9A, 0x01, MAX_TRIES, 0x9B, 0x01, self.remaining], OK)
            }
            0x20 if p2 == PIN_REFERENCE => self.verify(data).to_vec(),
            // MANAGE SECURITY ENVIRONMENT, SET for authentication: 80 <algorithm> 84 <key reference>.
            0x22 if (p1, p2) == (0x41, 0xA4) && self.application => match data {
                [0x80, 0x01, algorithm, 0x84, 0x01, _] if *algorithm == self.key.algorithm().mse_reference() => {
                    self.environment = Some(*algorithm);
                    OK.to_vec()
                }
                _ => WRONG_DATA.to_vec(),
            },
            // CPS4: MANAGE SECURITY ENVIRONMENT, SET for deciphering with the authentication key.
            0x22 if (p1, p2) == (0x41, 0xB8) && self.application && self.kind == CardKind::Cps4 => match data {
                [0x83, 0x01, _] if matches!(self.key, CardKey::Rsa(_)) => {
                    self.decipher = true;
                    OK.to_vec()
                }
                _ => WRONG_DATA.to_vec(),
            },
            // CPS4: PSO DECIPHER of the padding indicator and a block: the raw RSA operation of its key.
            0x2A if (p1, p2) == (0x80, 0x86) && self.kind == CardKind::Cps4 => {
                let whole = [std::mem::take(&mut self.chained), data.to_vec()].concat();
                if !self.verified {
                    return SECURITY.to_vec();
                }
                if !self.decipher {
                    return CONDITIONS.to_vec();
                }
                match whole.split_first() {
                    Some((0x00, block)) => match self.key.raw(block) {
                        Some(result) => reply(&result, OK),
                        None => WRONG_DATA.to_vec(),
                    },
                    _ => WRONG_DATA.to_vec(),
                }
            }
            // INTERNAL AUTHENTICATE: only after VERIFY in this session, and in the environment set.
            0x88 if !self.verified => SECURITY.to_vec(),
            0x88 if self.environment.is_none() => CONDITIONS.to_vec(),
            0x88 => match self.key.sign(data) {
                Some(signature) => reply(&signature, OK),
                None => WRONG_DATA.to_vec(),
            },
            _ => NO_INS.to_vec(),
        }
    }

    fn verify(&mut self, pin: &[u8]) -> [u8; 2] {
        if self.remaining == 0 {
            return BLOCKED;
        }
        if pin.is_empty() {
            return if self.verified { OK } else { [0x63, 0xC0 | self.remaining] };
        }
        let typed: Vec<u8> = pin.iter().copied().take_while(|b| *b != 0xFF).collect();
        if typed == self.identity.pin.as_bytes() {
            self.remaining = MAX_TRIES;
            self.verified = true;
            OK
        } else {
            self.verified = false;
            self.remaining -= 1;
            if self.remaining == 0 { BLOCKED } else { [0x63, 0xC0 | self.remaining] }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use promess_core::card::{ALGORITHM_ECDSA_SHA256, ALGORITHM_RSA_PKCS1, Pin, SignatureAlgorithm, apdu};

    fn card() -> Card {
        let key = cert::CardKey::generate(SignatureAlgorithm::Es256);
        Card::new(Identity { specialite: Some("SM54".into()), ..Identity::example() }, vec![0x30; 600], key)
    }

    fn verify_apdu(pin: &str) -> Vec<u8> {
        apdu::verify(&Pin::parse(pin).unwrap())
    }

    fn sw(reply: &[u8]) -> [u8; 2] {
        [reply[reply.len() - 2], reply[reply.len() - 1]]
    }

    fn select(card: &mut Card, fid: [u8; 2]) -> [u8; 2] {
        sw(&card.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, fid[0], fid[1]]))
    }

    fn select_ias(card: &mut Card) {
        let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, 0x0D];
        apdu.extend_from_slice(&AID_IAS);
        assert_eq!(sw(&card.transmit(&apdu)), OK);
    }

    #[test]
    fn files_are_read_in_chunks_after_selecting_the_application() {
        let mut c = card();
        assert_eq!(select(&mut c, FID_CERTIFICATE), NOT_FOUND, "files need the IAS application");
        select_ias(&mut c);
        assert_eq!(select(&mut c, [0xEE, 0xEE]), NOT_FOUND);
        assert_eq!(select(&mut c, FID_CERTIFICATE), OK);
        let first = c.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00]);
        assert_eq!(first.len(), 256 + 2);
        let last = c.transmit(&[0x00, 0xB0, 0x02, 0x00, 0x00]);
        assert_eq!(last.len(), 600 - 512 + 2, "a short read marks the end");
        assert_eq!(sw(&c.transmit(&[0x00, 0xB0, 0x03, 0x00, 0x00])), WRONG_OFFSET);
    }

    #[test]
    fn the_pin_guards_the_identity_data_and_blocks_after_three_errors() {
        let mut c = card();
        select_ias(&mut c);
        assert_eq!(select(&mut c, FID_IDENTITY), OK);
        assert_eq!(sw(&c.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00])), SECURITY);
        assert_eq!(c.transmit(&PIN_STATUS), [0xBF, 0x81, 0x01, 0x06, 0x9A, 0x01, 3, 0x9B, 0x01, 3, 0x90, 0x00]);
        assert_eq!(sw(&c.transmit(&verify_apdu("0000"))), [0x63, 0xC2]);
        assert_eq!(sw(&c.transmit(&verify_apdu("1234"))), OK, "a right PIN resets the counter");
        assert_eq!(c.remaining_tries(), 3);
        let data = c.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00]);
        assert_eq!(String::from_utf8_lossy(&data[..data.len() - 2]), "civilite=22\nspecialite=SM54\n");
        assert_eq!(sw(&c.transmit(&[0x00, 0x20, 0x00, 0x01])), OK, "verified");

        c.reset();
        assert_eq!(sw(&c.transmit(&[0x00, 0x20, 0x00, 0x01])), [0x63, 0xC3], "a reset clears the verified state");
        assert_eq!(sw(&c.transmit(&verify_apdu("1111"))), [0x63, 0xC2]);
        c.reset();
        assert_eq!(sw(&c.transmit(&verify_apdu("2222"))), [0x63, 0xC1], "the counter survives a reset");
        assert_eq!(sw(&c.transmit(&verify_apdu("3333"))), BLOCKED);
        assert_eq!(sw(&c.transmit(&verify_apdu("1234"))), BLOCKED, "blocked, even with the right PIN");
        assert_eq!(c.transmit(&PIN_STATUS)[9], 0);
    }

    #[test]
    fn the_card_signs_only_after_the_pin_in_the_same_session() {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        let key = cert::CardKey::generate(SignatureAlgorithm::Es256);
        let cert::CardKey::P256(signing) = &key else { unreachable!() };
        let verifying = *signing.verifying_key();
        let mut c = Card::new(Identity::example(), vec![0x30; 10], key);
        select_ias(&mut c);
        let digest = [7u8; 32];
        assert_eq!(sw(&c.transmit(&apdu::mse_authentication(ALGORITHM_RSA_PKCS1))), WRONG_DATA, "not its key");
        assert_eq!(sw(&c.transmit(&apdu::mse_authentication(ALGORITHM_ECDSA_SHA256))), OK);
        assert_eq!(sw(&c.transmit(&apdu::internal_authenticate(&digest))), SECURITY, "no PIN yet");
        assert_eq!(sw(&c.transmit(&verify_apdu("1234"))), OK);
        let reply = c.transmit(&apdu::internal_authenticate(&digest));
        assert_eq!((sw(&reply), reply.len()), (OK, 64 + 2));
        let signature = p256::ecdsa::Signature::from_slice(&reply[..64]).unwrap();
        verifying.verify_prehash(&digest, &signature).expect("signed by the card's key");
        c.reset();
        select_ias(&mut c);
        assert_eq!(sw(&c.transmit(&apdu::internal_authenticate(&digest))), SECURITY, "a reset ends the session");
        assert_eq!(sw(&c.transmit(&verify_apdu("1234"))), OK);
        assert_eq!(sw(&c.transmit(&apdu::internal_authenticate(&digest))), CONDITIONS, "no environment set");
    }

    #[test]
    fn an_rsa_card_signs_a_digest_info_with_pkcs1() {
        let key = cert::CardKey::generate(SignatureAlgorithm::Rs256);
        let cert::CardKey::Rsa(private) = &key else { unreachable!() };
        let public = private.to_public_key();
        let mut c = Card::new(Identity::example(), vec![0x30; 10], key);
        select_ias(&mut c);
        assert_eq!(sw(&c.transmit(&verify_apdu("1234"))), OK);
        assert_eq!(sw(&c.transmit(&apdu::mse_authentication(ALGORITHM_RSA_PKCS1))), OK);
        let digest = [9u8; 32];
        let info = [&promess_core::card::SHA256_DIGEST_INFO[..], &digest].concat();
        let reply = c.transmit(&apdu::internal_authenticate(&info));
        assert_eq!((sw(&reply), reply.len()), (OK, 256 + 2));
        public
            .verify(rsa::Pkcs1v15Sign::new::<rsa::sha2::Sha256>(), &digest, &reply[..256])
            .expect("PKCS#1 v1.5 over SHA-256");
    }

    #[test]
    fn a_cps4_card_authenticates_by_deciphering_a_padded_block_after_the_pin() {
        let key = cert::CardKey::generate(SignatureAlgorithm::Rs256);
        let cert::CardKey::Rsa(private) = &key else { unreachable!() };
        let public = private.to_public_key();
        let mut c = Card::new(Identity::example(), vec![0x30; 10], key).cps4();
        assert_eq!(c.atr(), ATR_CPS4);
        select_ias(&mut c);
        let block = SignatureAlgorithm::pkcs1_block("https://o.example", "bm9uY2U=", 256).unwrap();
        let chained = apdu::pso_decipher(&block);
        assert_eq!(sw(&c.transmit(&apdu::mse_decipher())), OK);
        for part in &chained[..chained.len() - 1] {
            assert_eq!(sw(&c.transmit(part)), OK);
        }
        assert_eq!(sw(&c.transmit(&chained[chained.len() - 1])), SECURITY, "no PIN yet");
        assert_eq!(sw(&c.transmit(&verify_apdu("1234"))), OK);
        for part in &chained[..chained.len() - 1] {
            c.transmit(part);
        }
        let reply = c.transmit(&chained[chained.len() - 1]);
        assert_eq!((sw(&reply), reply.len()), (OK, 256 + 2));
        let digest = promess_core::card::signed_digest("https://o.example", "bm9uY2U=");
        public
            .verify(rsa::Pkcs1v15Sign::new::<rsa::sha2::Sha256>(), &digest, &reply[..256])
            .expect("the CPS4's answer is the PKCS#1 v1.5 signature");
        assert_eq!(sw(&c.transmit(&[0x10, 0xB0, 0, 0, 0])), NO_CLA, "chaining for PSO DECIPHER only");
    }

    #[test]
    fn unknown_commands_are_refused() {
        let mut c = card();
        assert_eq!(c.transmit(&[0x80, 0xB0, 0, 0, 0]), NO_CLA);
        assert_eq!(c.transmit(&[0x00, 0x84, 0, 0, 8]), NO_INS);
        assert_eq!(c.transmit(&[0x00]), WRONG_LENGTH);
    }
}
