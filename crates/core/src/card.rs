//! The CPS card protocol, in one place for the page, the local agent (promess-card-agent) and the simulated card
//! (promess-card-sim): the card's commands (APDUs), the PIN rule, the national id, what the agent answers, its error
//! codes, and the card's proof of possession (a challenge of the server signed by the card's authentication key).
use crate::ErrorCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The contact ATR of a CPS3 card (IAS-ECC).
pub const ATR_CPS3: [u8; 17] =
    [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00];
/// The contact ATR of a CPS4 card.
pub const ATR_CPS4: [u8; 17] =
    [0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00, 0x00, 0x90, 0x44];
/// The IAS application identifier.
pub const AID_IAS: [u8; 13] = [0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10];
/// The authentication certificate's file.
pub const FID_CERTIFICATE: [u8; 2] = [0xD0, 0x01];
/// The identity data's file, readable once the PIN is verified.
pub const FID_IDENTITY: [u8; 2] = [0xD0, 0x02];
/// The PIN status query (answers tags 9A and 9B).
pub const PIN_STATUS: [u8; 9] = [0x00, 0xCB, 0x3F, 0xFF, 0x03, 0xBF, 0x81, 0x01, 0x00];
/// The PIN reference of VERIFY (P2).
pub const PIN_REFERENCE: u8 = 0x01;
/// The authentication key's reference in MANAGE SECURITY ENVIRONMENT (tag 84).
pub const KEY_AUTHENTICATION: u8 = 0x81;
/// Algorithm references of MANAGE SECURITY ENVIRONMENT (tag 80): RSA PKCS#1 v1.5 on a DigestInfo given whole, and
/// ECDSA on a SHA-256 digest.
pub const ALGORITHM_RSA_PKCS1: u8 = 0x02;
pub const ALGORITHM_ECDSA_SHA256: u8 = 0x04;

/// The card's commands, as the agent sends them and the simulated card reads them.
pub mod apdu {
    use super::*;

    pub fn select_ias() -> Vec<u8> {
        [&[0x00, 0xA4, 0x04, 0x00, AID_IAS.len() as u8][..], &AID_IAS].concat()
    }

    pub fn select_file(fid: [u8; 2]) -> Vec<u8> {
        vec![0x00, 0xA4, 0x02, 0x0C, 0x02, fid[0], fid[1]]
    }

    /// READ BINARY of up to 256 bytes at `offset`.
    pub fn read_binary(offset: u16) -> Vec<u8> {
        let [hi, lo] = offset.to_be_bytes();
        vec![0x00, 0xB0, hi, lo, 0x00]
    }

    /// VERIFY with the PIN block (ASCII digits padded with FF to 8 bytes).
    pub fn verify(pin: &Pin) -> Vec<u8> {
        [&[0x00, 0x20, 0x00, PIN_REFERENCE, 0x08][..], &pin.block()].concat()
    }

    /// VERIFY without data: asks whether the PIN is verified (9000) or how many tries are left (63Cx).
    pub fn verify_status() -> Vec<u8> {
        vec![0x00, 0x20, 0x00, PIN_REFERENCE]
    }

    /// MANAGE SECURITY ENVIRONMENT, SET for authentication (`00 22 41 A4`): algorithm (80) and key (84).
    pub fn mse_authentication(algorithm: u8) -> Vec<u8> {
        vec![0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, algorithm, 0x84, 0x01, KEY_AUTHENTICATION]
    }

    /// INTERNAL AUTHENTICATE (`00 88 00 00`): the card signs `data` with the key of the security environment.
    pub fn internal_authenticate(data: &[u8]) -> Vec<u8> {
        [&[0x00, 0x88, 0x00, 0x00, data.len() as u8][..], data, &[0x00]].concat()
    }

    /// CPS4: MANAGE SECURITY ENVIRONMENT, SET for deciphering (`00 22 41 B8`) with the authentication key (83): the
    /// CPS4's way of authenticating is a raw RSA operation on a block the host pads.
    pub fn mse_decipher() -> Vec<u8> {
        vec![0x00, 0x22, 0x41, 0xB8, 0x03, 0x83, 0x01, KEY_AUTHENTICATION]
    }

    /// CPS4: PERFORM SECURITY OPERATION, DECIPHER (`00 2A 80 86`) of `block` (padding indicator 00 first), in short
    /// APDUs chained (CLA 10 for every part but the last, which asks for the answer).
    pub fn pso_decipher(block: &[u8]) -> Vec<Vec<u8>> {
        let data = [&[0x00][..], block].concat();
        let parts: Vec<&[u8]> = data.chunks(255).collect();
        let last = parts.len() - 1;
        parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let cla = if i == last { 0x00 } else { 0x10 };
                let le: &[u8] = if i == last { &[0x00] } else { &[] };
                [&[cla, 0x2A, 0x80, 0x86, part.len() as u8][..], part, le].concat()
            })
            .collect()
    }
}

/// The kind of card, from its ATR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    Cps3,
    Cps4,
    Unknown,
}

impl CardKind {
    pub fn of_atr(atr: &[u8]) -> CardKind {
        if atr == ATR_CPS3 {
            CardKind::Cps3
        } else if atr == ATR_CPS4 {
            CardKind::Cps4
        } else {
            CardKind::Unknown
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            CardKind::Cps3 => "cps3",
            CardKind::Cps4 => "cps4",
            CardKind::Unknown => "unknown",
        }
    }

    fn from_key(key: &str) -> CardKind {
        [CardKind::Cps3, CardKind::Cps4].into_iter().find(|k| k.key() == key).unwrap_or(CardKind::Unknown)
    }
}

/// The PIN (code porteur): 4 to 8 digits. A code outside this rule never reaches the card (it would cost a try).
/// Not printable by accident, and wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub const MIN_DIGITS: usize = 4;
    pub const MAX_DIGITS: usize = 8;

    pub fn parse(typed: &str) -> Result<Pin, ErrorCode> {
        let ok =
            (Pin::MIN_DIGITS..=Pin::MAX_DIGITS).contains(&typed.len()) && typed.bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(Pin(typed.to_owned())) } else { Err(ErrorCode::InvalidFormat) }
    }

    /// The digits, for the one request that carries them to the agent.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The VERIFY data: ASCII digits padded with FF to 8 bytes.
    pub fn block(&self) -> [u8; 8] {
        let mut block = [0xFF; 8];
        block.iter_mut().zip(self.0.bytes()).for_each(|(slot, b)| *slot = b);
        block
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// The national id of a professional, the CN of their card's certificate: `8` + RPPS (11 digits) or `0` + ADELI
/// (9 digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NationalId {
    Rpps(String),
    Adeli(String),
}

impl NationalId {
    pub fn parse(cn: &str) -> Option<NationalId> {
        let (kind, number) = cn.split_at_checked(1)?;
        let digits = |n: usize| number.len() == n && number.bytes().all(|b| b.is_ascii_digit());
        match kind {
            "8" if digits(11) => Some(NationalId::Rpps(number.to_owned())),
            "0" if digits(9) => Some(NationalId::Adeli(number.to_owned())),
            _ => None,
        }
    }

    pub fn rpps(&self) -> Option<&str> {
        match self {
            NationalId::Rpps(n) => Some(n),
            NationalId::Adeli(_) => None,
        }
    }

    pub fn adeli(&self) -> Option<&str> {
        match self {
            NationalId::Adeli(n) => Some(n),
            NationalId::Rpps(_) => None,
        }
    }
}

impl std::fmt::Display for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NationalId::Rpps(n) => write!(f, "8{n}"),
            NationalId::Adeli(n) => write!(f, "0{n}"),
        }
    }
}

pub use crate::wire::WireObject;

/// One reader of `GET /v1/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderStatus {
    pub nom: String,
    pub carte_presente: bool,
    /// Absent without a card.
    pub type_carte: Option<CardKind>,
    /// Remaining PIN tries, for a known card.
    pub essais_restants: Option<u8>,
}

impl ReaderStatus {
    pub fn known_card(&self) -> bool {
        self.carte_presente && matches!(self.type_carte, Some(CardKind::Cps3 | CardKind::Cps4))
    }
}

/// The answer of `GET /v1/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub version: String,
    /// Whether the PC/SC service answers.
    pub pcsc: bool,
    pub lecteurs: Vec<ReaderStatus>,
}

impl AgentStatus {
    pub fn read(o: &impl WireObject) -> Option<AgentStatus> {
        let lecteurs = o
            .list("lecteurs")
            .iter()
            .filter_map(|r| {
                Some(ReaderStatus {
                    nom: r.text("nom")?,
                    carte_presente: r.flag("carte_presente")?,
                    type_carte: r.text("type_carte").map(|k| CardKind::from_key(&k)),
                    essais_restants: r.number("essais_restants").map(|n| n as u8),
                })
            })
            .collect();
        Some(AgentStatus { version: o.text("version")?, pcsc: o.flag("pcsc")?, lecteurs })
    }
}

/// Which certificate, and its validity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// SHA-256 of the DER certificate, hexadecimal.
    pub empreinte_sha256: String,
    pub numero_serie: String,
    pub emetteur: String,
    /// RFC 3339 (UTC).
    pub valide_du: String,
    pub valide_au: String,
}

/// The holder as the authentication certificate shows them (`GET /v1/cards/{reader}/identity`, no PIN needed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// The full identity (`POST /v1/cards/{reader}/verify-pin`): the certificate's, plus what the card gives once the
/// PIN is verified.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullIdentity {
    #[serde(flatten)]
    pub carte: CardIdentity,
    pub civilite: Option<String>,
    pub specialite: Option<String>,
    pub specialite_libelle: Option<String>,
}

impl FullIdentity {
    /// Reads the identity, or the full one (the card's data absent before the PIN).
    pub fn read(o: &impl WireObject) -> Option<FullIdentity> {
        let c = o.object("certificat")?;
        Some(FullIdentity {
            carte: CardIdentity {
                identifiant_national: o.text("identifiant_national")?,
                rpps: o.text("rpps"),
                adeli: o.text("adeli"),
                prenom: o.text("prenom")?,
                nom: o.text("nom")?,
                titre: o.text("titre")?,
                profession: o.text("profession"),
                certificat: CertificateInfo {
                    empreinte_sha256: c.text("empreinte_sha256")?,
                    numero_serie: c.text("numero_serie")?,
                    emetteur: c.text("emetteur")?,
                    valide_du: c.text("valide_du")?,
                    valide_au: c.text("valide_au")?,
                },
            },
            civilite: o.text("civilite"),
            specialite: o.text("specialite"),
            specialite_libelle: o.text("specialite_libelle"),
        })
    }
}

/// The signature algorithms of a card's proof, by the card's key: RSA PKCS#1 v1.5 (CPS3, CPS4) or ECDSA P-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    Rs256,
    Es256,
}

impl SignatureAlgorithm {
    pub const ALL: [SignatureAlgorithm; 2] = [SignatureAlgorithm::Rs256, SignatureAlgorithm::Es256];

    /// The name in the proof (`algorithme`), as JOSE names it.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::Rs256 => "RS256",
            SignatureAlgorithm::Es256 => "ES256",
        }
    }

    pub fn from_name(name: &str) -> Option<SignatureAlgorithm> {
        SignatureAlgorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Its reference in MANAGE SECURITY ENVIRONMENT (tag 80).
    pub fn mse_reference(self) -> u8 {
        match self {
            SignatureAlgorithm::Rs256 => ALGORITHM_RSA_PKCS1,
            SignatureAlgorithm::Es256 => ALGORITHM_ECDSA_SHA256,
        }
    }

    /// The block a CPS4's raw RSA operation turns into the PKCS#1 v1.5 signature of `origin` and `nonce`, for a key
    /// of `size` bytes: `00 01 FF…FF 00 DigestInfo` (EMSA-PKCS1-v1_5, RFC 8017 §9.2).
    pub fn pkcs1_block(origin: &str, nonce: &str, size: usize) -> Option<Vec<u8>> {
        let info = SignatureAlgorithm::Rs256.card_input(origin, nonce);
        let padding = size.checked_sub(info.len() + 3).filter(|p| *p >= 8)?;
        Some([&[0x00, 0x01][..], &vec![0xFF; padding], &[0x00], &info].concat())
    }

    /// What INTERNAL AUTHENTICATE is given to sign for `origin` and `nonce`: the DigestInfo of the digest for
    /// RSA (the card pads it), the digest itself for ECDSA.
    pub fn card_input(self, origin: &str, nonce: &str) -> Vec<u8> {
        let digest = signed_digest(origin, nonce);
        match self {
            SignatureAlgorithm::Rs256 => [&SHA256_DIGEST_INFO[..], &digest].concat(),
            SignatureAlgorithm::Es256 => digest.to_vec(),
        }
    }
}

/// The body of `POST /v1/cards/{reader}/verify-pin` (its Debug never shows the PIN; wiped when dropped).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyPinRequest {
    pub pin: String,
    /// The last try is used only when the request says so: a page's own confirmation is not enough.
    #[serde(default)]
    pub confirmer_dernier_essai: bool,
}

impl std::fmt::Debug for VerifyPinRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyPinRequest {{ pin: ***, confirmer_dernier_essai: {} }}", self.confirmer_dernier_essai)
    }
}

impl Drop for VerifyPinRequest {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pin);
    }
}

/// The body of `POST /v1/cards/{reader}/authenticate`: the server's challenge and the page's origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthenticateRequest {
    pub nonce: String,
    pub origin: String,
}

/// The card's proof (`promess-auth:1`, after Web eID's authentication token): the authentication certificate and
/// the card's signature of [`signed_value`]. Everything in it is checked by the server before it believes anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardProof {
    /// The authentication certificate, base64 of its DER.
    pub certificat: String,
    /// Base64 of the signature: PKCS#1 v1.5 for RS256, the raw r ‖ s (64 bytes) for ES256.
    pub signature: String,
    /// `RS256` or `ES256`.
    pub algorithme: String,
    pub format: String,
    /// The server's challenge signed, and the origin of the page it was signed for.
    pub nonce: String,
    pub origin: String,
}

impl CardProof {
    pub const FORMAT: &str = "promess-auth:1";

    pub fn read(o: &impl WireObject) -> Option<CardProof> {
        Some(CardProof {
            certificat: o.text("certificat")?,
            signature: o.text("signature")?,
            algorithme: o.text("algorithme")?,
            format: o.text("format")?,
            nonce: o.text("nonce")?,
            origin: o.text("origin")?,
        })
    }
}

/// The answer of `POST /api/card-challenges`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Base64 of 32 random bytes.
    pub nonce: String,
    /// Unix time (seconds) after which the challenge is refused.
    pub expire: i64,
}

impl Challenge {
    /// How long a challenge is valid.
    pub const VALID_SECS: i64 = 300;

    pub fn read(o: &impl WireObject) -> Option<Challenge> {
        Some(Challenge { nonce: o.text("nonce")?, expire: o.number("expire")? as i64 })
    }
}

/// What the card signs: `SHA-256(origin) ‖ SHA-256(nonce)` (Web eID's construction), hashed again by the signature
/// algorithm. The origin binds the proof to the site that asked for it, the nonce to one challenge.
pub fn signed_value(origin: &str, nonce: &str) -> [u8; 64] {
    let mut value = [0u8; 64];
    value[..32].copy_from_slice(&Sha256::digest(origin.as_bytes()));
    value[32..].copy_from_slice(&Sha256::digest(nonce.as_bytes()));
    value
}

/// The digest the card's key signs: SHA-256 of [`signed_value`].
pub fn signed_digest(origin: &str, nonce: &str) -> [u8; 32] {
    Sha256::digest(signed_value(origin, nonce)).into()
}

/// The DigestInfo prefix of SHA-256 (PKCS#1 v1.5): what an RSA card signs is this prefix and the digest.
pub const SHA256_DIGEST_INFO: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

stable_codes! {
    /// Why the agent could not do what it was asked: the stable `error` codes of its answers.
    AgentErrorCode {
    NoService => "no_service",
    NoReader => "no_reader",
    NoCard => "no_card",
    UnknownCard => "unknown_card",
    CardRemoved => "card_removed",
    PinInvalid => "pin_invalid",
    PinIncorrect => "pin_incorrect",
    PinBlocked => "pin_blocked",
    LastTryNotConfirmed => "last_try_not_confirmed",
    PinRequired => "pin_required",
    OriginRefused => "origin_refused",
    Timeout => "timeout",
    BadRequest => "bad_request",
    JsonRequired => "json_required",
    ForbiddenHost => "forbidden_host",
    ForbiddenOrigin => "forbidden_origin",
    CardError => "card_error",
    }
}

/// An error answer of the agent: `{"error": code}`, with the tries left after a wrong PIN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentError {
    pub error: AgentErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AgentError {
    pub fn read(o: &impl WireObject) -> Option<AgentError> {
        Some(AgentError {
            error: AgentErrorCode::from_key(&o.text("error")?)?,
            remaining: o.number("remaining").map(|n| n as u8),
            detail: o.text("detail"),
        })
    }
}

#[cfg(feature = "x509")]
pub mod certificate;

/// Example answers of each wire type, every field set, for tests (native and in the browser) and demos.
pub mod examples {
    use super::*;

    /// A general practitioner's card, after the PIN.
    pub fn full_identity() -> FullIdentity {
        FullIdentity {
            carte: CardIdentity {
                identifiant_national: "810005173140".into(),
                rpps: Some("10005173140".into()),
                adeli: None,
                prenom: "PAUL".into(),
                nom: "MARTIN".into(),
                titre: "Médecin".into(),
                profession: Some("10".into()),
                certificat: CertificateInfo {
                    empreinte_sha256: "ab".repeat(32),
                    numero_serie: "01:02".into(),
                    emetteur: "CN=AC".into(),
                    valide_du: "2026-01-01T00:00:00Z".into(),
                    valide_au: "2029-01-01T00:00:00Z".into(),
                },
            },
            civilite: Some("DR".into()),
            specialite: Some("SM54".into()),
            specialite_libelle: Some("Médecine générale".into()),
        }
    }

    /// Two readers, one with a CPS4 card.
    pub fn agent_status() -> AgentStatus {
        AgentStatus {
            version: "0.1.0".into(),
            pcsc: true,
            lecteurs: vec![
                ReaderStatus {
                    nom: "Virtual PCD 00 00".into(),
                    carte_presente: true,
                    type_carte: Some(CardKind::Cps4),
                    essais_restants: Some(2),
                },
                ReaderStatus {
                    nom: "Lecteur 2".into(),
                    carte_presente: false,
                    type_carte: None,
                    essais_restants: None,
                },
            ],
        }
    }

    pub fn card_proof() -> CardProof {
        CardProof {
            certificat: "MIIB".into(),
            signature: "c2ln".into(),
            algorithme: "RS256".into(),
            format: CardProof::FORMAT.into(),
            nonce: "bm9uY2U=".into(),
            origin: "https://inscription.sante-na.fr".into(),
        }
    }

    pub fn challenge() -> Challenge {
        Challenge { nonce: "bm9uY2U=".into(), expire: 1_800_000_000 }
    }
}

#[cfg(test)]
mod tests;
