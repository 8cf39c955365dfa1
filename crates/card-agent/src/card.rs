//! The card operations over PC/SC (blocking; the HTTP layer runs them one at a time on a blocking thread). The
//! commands, the PIN rule and the answers are promess-core's card protocol.
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use promess_core::card::certificate;
use promess_core::card::{
    AgentErrorCode, CardIdentity, CardKind, CardProof, FID_CERTIFICATE, FID_IDENTITY, FullIdentity, PIN_STATUS, Pin,
    ReaderStatus, SignatureAlgorithm, apdu,
};
use std::{
    ffi::CString,
    time::{Duration, Instant},
};

/// Largest file read (a certificate is 1–3 KB).
const MAX_FILE: usize = 16 * 1024;

/// Why an operation failed: an error code of the agent's answers, with its details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardError {
    Code(AgentErrorCode),
    PinIncorrect {
        remaining: u8,
    },
    /// The card answered something unexpected.
    Card(String),
}

impl CardError {
    pub fn code(&self) -> AgentErrorCode {
        match self {
            CardError::Code(code) => *code,
            CardError::PinIncorrect { .. } => AgentErrorCode::PinIncorrect,
            CardError::Card(_) => AgentErrorCode::CardError,
        }
    }
}

impl From<AgentErrorCode> for CardError {
    fn from(code: AgentErrorCode) -> Self {
        CardError::Code(code)
    }
}

impl From<pcsc::Error> for CardError {
    fn from(e: pcsc::Error) -> Self {
        use pcsc::Error::*;
        CardError::Code(match e {
            NoService | ServiceStopped => AgentErrorCode::NoService,
            NoReadersAvailable | UnknownReader | ReaderUnavailable => AgentErrorCode::NoReader,
            NoSmartcard => AgentErrorCode::NoCard,
            RemovedCard | ResetCard | CommError | NotTransacted => AgentErrorCode::CardRemoved,
            UnsupportedCard | UnpoweredCard | UnresponsiveCard => AgentErrorCode::UnknownCard,
            Timeout => AgentErrorCode::Timeout,
            other => return CardError::Card(other.to_string()),
        })
    }
}

fn context() -> Result<Context, CardError> {
    Ok(Context::establish(Scope::User)?)
}

fn readers(ctx: &Context) -> Result<Vec<CString>, CardError> {
    match ctx.list_readers_owned() {
        Ok(r) if r.is_empty() => Err(AgentErrorCode::NoReader.into()),
        Ok(r) => Ok(r),
        Err(e) => Err(e.into()),
    }
}

/// The readers, their cards and PIN tries.
pub fn status() -> Result<Vec<ReaderStatus>, CardError> {
    let ctx = context()?;
    let names = match readers(&ctx) {
        Err(CardError::Code(AgentErrorCode::NoReader)) => return Ok(Vec::new()),
        other => other?,
    };
    let mut states: Vec<ReaderState> = names.iter().map(|n| ReaderState::new(n.clone(), State::UNAWARE)).collect();
    ctx.get_status_change(Duration::from_millis(0), &mut states)?;
    Ok(states
        .iter()
        .map(|s| {
            let present = s.event_state().contains(State::PRESENT);
            let kind = present.then(|| CardKind::of_atr(s.atr()));
            let tries = match kind {
                Some(CardKind::Cps3 | CardKind::Cps4) => Session::open(&ctx, s.name())
                    .and_then(|c| {
                        let tries = c.pin_tries();
                        c.close(Disposition::LeaveCard);
                        tries
                    })
                    .ok()
                    .map(|(_, remaining)| remaining),
                _ => None,
            };
            ReaderStatus {
                nom: s.name().to_string_lossy().into_owned(),
                carte_presente: present,
                type_carte: kind,
                essais_restants: tries,
            }
        })
        .collect())
}

/// A connection to a known card with its IAS application selected.
pub struct Session {
    card: pcsc::Card,
    reader: String,
    kind: CardKind,
}

impl Session {
    fn open(ctx: &Context, reader: &std::ffi::CStr) -> Result<Session, CardError> {
        let card = ctx.connect(reader, ShareMode::Shared, Protocols::ANY)?;
        let kind = CardKind::of_atr(card.status2_owned()?.atr());
        if kind == CardKind::Unknown {
            return Err(AgentErrorCode::UnknownCard.into());
        }
        let session = Session { card, reader: reader.to_string_lossy().into_owned(), kind };
        match session.transmit(&apdu::select_ias())? {
            (_, 0x9000) => Ok(session),
            _ => Err(AgentErrorCode::UnknownCard.into()),
        }
    }

    fn named(reader: &str) -> Result<Session, CardError> {
        let ctx = context()?;
        let names = readers(&ctx)?;
        let name = names.iter().find(|n| n.to_string_lossy() == reader).ok_or(AgentErrorCode::NoReader)?;
        Session::open(&ctx, name)
    }

    /// Sends an APDU; answers (data, status word). Follows 61xx (GET RESPONSE) and 6Cxx (wrong Le).
    fn transmit(&self, apdu: &[u8]) -> Result<(Vec<u8>, u16), CardError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let mut apdu = apdu.to_vec();
        let mut data = Vec::new();
        loop {
            let reply = self.card.transmit(&apdu, &mut buf)?;
            if reply.len() < 2 {
                // A card always ends its answer with a status word: none means it left the reader mid-command
                // (the reader answers an empty response).
                return Err(AgentErrorCode::CardRemoved.into());
            }
            let (body, sw) = reply.split_at(reply.len() - 2);
            data.extend_from_slice(body);
            match sw {
                [0x61, n] => apdu = vec![0x00, 0xC0, 0x00, 0x00, *n],
                [0x6C, n] if apdu.len() == 5 => apdu[4] = *n,
                _ => return Ok((data, u16::from_be_bytes([sw[0], sw[1]]))),
            }
        }
    }

    fn read_file(&self, fid: [u8; 2]) -> Result<Result<Vec<u8>, u16>, CardError> {
        match self.transmit(&apdu::select_file(fid))? {
            (_, 0x9000) => {}
            (_, sw) => return Ok(Err(sw)),
        }
        let mut content = Vec::new();
        while content.len() < MAX_FILE {
            match self.transmit(&apdu::read_binary(content.len() as u16))? {
                (chunk, 0x9000) => {
                    let end = chunk.len() < 256;
                    content.extend_from_slice(&chunk);
                    if end {
                        break;
                    }
                }
                (_, 0x6B00 | 0x6282) => break,
                (_, sw) => return Ok(Err(sw)),
            }
        }
        Ok(Ok(content))
    }

    /// (max, remaining) PIN tries: tags 9A and 9B of the PIN status.
    fn pin_tries(&self) -> Result<(u8, u8), CardError> {
        let (data, sw) = self.transmit(&PIN_STATUS)?;
        if sw != 0x9000 {
            return Err(CardError::Card(format!("PIN status {sw:04X}")));
        }
        let tag = |t: u8| data.windows(3).find(|w| w[0] == t && w[1] == 1).map(|w| w[2]);
        match (tag(0x9A), tag(0x9B)) {
            (Some(max), Some(remaining)) => Ok((max, remaining)),
            _ => Err(CardError::Card("PIN status without 9A/9B".into())),
        }
    }

    fn certificate_der(&self) -> Result<Vec<u8>, CardError> {
        self.read_file(FID_CERTIFICATE)?.map_err(|sw| CardError::Card(format!("certificate unreadable ({sw:04X})")))
    }

    fn certificate(&self) -> Result<CardIdentity, CardError> {
        certificate::parse(&self.certificate_der()?).map_err(|e| CardError::Card(format!("{e:?}")))
    }

    fn close(self, disposition: Disposition) {
        let _ = self.card.disconnect(disposition);
    }
}

/// The card session left open after a verified PIN, so that the card can sign the server's challenge when the
/// registration is sent (the card's own verified state, never the PIN, is what stays). It ends at its deadline,
/// when another PIN is verified, or when the card leaves the reader.
pub struct Verified {
    session: Session,
    until: Instant,
}

impl Verified {
    /// Ends the session: the card is reset, its verified state gone.
    pub fn end(self) {
        self.session.close(Disposition::ResetCard);
    }
}

/// What the card shows without the PIN.
pub fn identity(reader: &str) -> Result<CardIdentity, CardError> {
    let session = Session::named(reader)?;
    let identity = session.certificate();
    session.close(Disposition::LeaveCard);
    identity
}

/// Verifies the PIN on the card, once (never retried), then reads the full identity; the verified session is
/// handed back to be kept for `lifetime`. The last try is used only when `confirm_last` is set.
pub fn verify_pin(
    reader: &str,
    pin: &Pin,
    confirm_last: bool,
    lifetime: Duration,
) -> Result<(FullIdentity, Verified), CardError> {
    let session = Session::named(reader)?;
    match verified_identity(&session, pin, confirm_last) {
        Ok(identity) => Ok((identity, Verified { session, until: Instant::now() + lifetime })),
        Err(e) => {
            session.close(Disposition::ResetCard);
            Err(e)
        }
    }
}

fn verified_identity(session: &Session, pin: &Pin, confirm_last: bool) -> Result<FullIdentity, CardError> {
    let carte = session.certificate()?;
    match session.pin_tries()?.1 {
        0 => return Err(AgentErrorCode::PinBlocked.into()),
        1 if !confirm_last => return Err(AgentErrorCode::LastTryNotConfirmed.into()),
        _ => {}
    }
    match session.transmit(&apdu::verify(pin))?.1 {
        0x9000 => {}
        0x6983 => return Err(AgentErrorCode::PinBlocked.into()),
        sw if sw & 0xFFF0 == 0x63C0 => return Err(CardError::PinIncorrect { remaining: (sw & 0x0F) as u8 }),
        sw => return Err(CardError::Card(format!("VERIFY {sw:04X}"))),
    }
    let data = session.read_file(FID_IDENTITY)?.unwrap_or_default();
    let text = String::from_utf8_lossy(&data);
    let field = |key: &str| {
        text.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('='))).map(|v| v.trim().to_owned())
    };
    Ok(FullIdentity {
        carte,
        civilite: field("civilite"),
        specialite: field("specialite"),
        specialite_libelle: field("specialite_libelle"),
    })
}

/// Has the card sign the server's challenge for `origin` with its authentication key, in the session verified by
/// the PIN (`held`, kept for the next signature while it lasts): MANAGE SECURITY ENVIRONMENT for authentication,
/// then INTERNAL AUTHENTICATE of the digest (a DigestInfo for RSA).
pub fn authenticate(
    reader: &str,
    nonce: &str,
    origin: &str,
    held: &mut Option<Verified>,
) -> Result<CardProof, CardError> {
    let verified = match held.take() {
        Some(v) if v.session.reader == reader && Instant::now() < v.until => v,
        Some(other) => {
            other.end();
            return Err(AgentErrorCode::PinRequired.into());
        }
        None => return Err(AgentErrorCode::PinRequired.into()),
    };
    let result = sign(&verified.session, nonce, origin);
    match &result {
        // The card left, or forgot its verified state: the session is over.
        Err(CardError::Code(AgentErrorCode::CardRemoved | AgentErrorCode::PinRequired)) => verified.end(),
        _ => *held = Some(verified),
    }
    result
}

fn expect_ok(sw: u16, command: &str) -> Result<(), CardError> {
    if sw == 0x9000 { Ok(()) } else { Err(CardError::Card(format!("{command} {sw:04X}"))) }
}

fn sign(session: &Session, nonce: &str, origin: &str) -> Result<CardProof, CardError> {
    if session.transmit(&apdu::verify_status())?.1 != 0x9000 {
        return Err(AgentErrorCode::PinRequired.into());
    }
    let der = session.certificate_der()?;
    let algorithm = certificate::algorithm(&der).map_err(|e| CardError::Card(format!("{e:?}")))?;
    let signature = match session.kind {
        // CPS4: a raw RSA operation (PSO DECIPHER) on the PKCS#1 v1.5 block of the digest.
        CardKind::Cps4 => {
            expect_ok(session.transmit(&apdu::mse_decipher())?.1, "MANAGE SECURITY ENVIRONMENT")?;
            let size = certificate::rsa_size(&der).ok_or(CardError::Card("a CPS4 without an RSA key".into()))?;
            let block = SignatureAlgorithm::pkcs1_block(origin, nonce, size)
                .ok_or(CardError::Card("an RSA key too short".into()))?;
            let parts = apdu::pso_decipher(&block);
            let (last, chained) = parts.split_last().expect("one part at least");
            for part in chained {
                expect_ok(session.transmit(part)?.1, "PSO DECIPHER")?;
            }
            session.transmit(last)?
        }
        // CPS3: INTERNAL AUTHENTICATE of the DigestInfo (RSA) or the digest (ECDSA).
        _ => {
            let environment = apdu::mse_authentication(algorithm.mse_reference());
            expect_ok(session.transmit(&environment)?.1, "MANAGE SECURITY ENVIRONMENT")?;
            session.transmit(&apdu::internal_authenticate(&algorithm.card_input(origin, nonce)))?
        }
    };
    let signature = match signature {
        (signature, 0x9000) => signature,
        (_, 0x6982) => return Err(AgentErrorCode::PinRequired.into()),
        (_, sw) => return Err(CardError::Card(format!("signature {sw:04X}"))),
    };
    Ok(CardProof {
        certificat: BASE64.encode(&der),
        signature: BASE64.encode(signature),
        algorithme: algorithm.name().into(),
        format: CardProof::FORMAT.into(),
        nonce: nonce.into(),
        origin: origin.into(),
    })
}
