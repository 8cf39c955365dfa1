//! The card operations over PC/SC (blocking; the HTTP layer runs them one at a time on a blocking thread).
use crate::certificate::{self, CardIdentity};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use serde::Serialize;
use std::ffi::CString;

const ATR_CPS3: [u8; 17] =
    [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00];
const ATR_CPS4: [u8; 17] =
    [0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00, 0x00, 0x90, 0x44];
const AID_IAS: [u8; 13] = [0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10];
const FID_CERTIFICATE: [u8; 2] = [0xD0, 0x01];
const FID_IDENTITY: [u8; 2] = [0xD0, 0x02];
const PIN_STATUS: [u8; 9] = [0x00, 0xCB, 0x3F, 0xFF, 0x03, 0xBF, 0x81, 0x01, 0x00];
/// Largest file read (a certificate is 1–3 KB).
const MAX_FILE: usize = 16 * 1024;

/// Why an operation failed: the stable codes of the agent's answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardError {
    NoService,
    NoReader,
    NoCard,
    UnknownCard,
    CardRemoved,
    PinIncorrect {
        remaining: u8,
    },
    PinBlocked,
    Timeout,
    /// The card answered something unexpected.
    Card(String),
}

impl CardError {
    pub fn code(&self) -> &'static str {
        match self {
            CardError::NoService => "no_service",
            CardError::NoReader => "no_reader",
            CardError::NoCard => "no_card",
            CardError::UnknownCard => "unknown_card",
            CardError::CardRemoved => "card_removed",
            CardError::PinIncorrect { .. } => "pin_incorrect",
            CardError::PinBlocked => "pin_blocked",
            CardError::Timeout => "timeout",
            CardError::Card(_) => "card_error",
        }
    }
}

impl From<pcsc::Error> for CardError {
    fn from(e: pcsc::Error) -> Self {
        use pcsc::Error::*;
        match e {
            NoService | ServiceStopped => CardError::NoService,
            NoReadersAvailable | UnknownReader | ReaderUnavailable => CardError::NoReader,
            NoSmartcard => CardError::NoCard,
            RemovedCard | ResetCard | CommError | NotTransacted => CardError::CardRemoved,
            UnsupportedCard | UnpoweredCard | UnresponsiveCard => CardError::UnknownCard,
            Timeout => CardError::Timeout,
            other => CardError::Card(other.to_string()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    Cps3,
    Cps4,
    Unknown,
}

pub fn kind_of(atr: &[u8]) -> CardKind {
    if atr == ATR_CPS3 {
        CardKind::Cps3
    } else if atr == ATR_CPS4 {
        CardKind::Cps4
    } else {
        CardKind::Unknown
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReaderStatus {
    pub nom: String,
    pub carte_presente: bool,
    /// cps3, cps4 or unknown; absent without a card.
    pub type_carte: Option<CardKind>,
    /// Remaining PIN tries, for a known card.
    pub essais_restants: Option<u8>,
}

/// The full identity: the certificate's, plus what the card gives once the PIN is verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FullIdentity {
    #[serde(flatten)]
    pub carte: CardIdentity,
    pub civilite: Option<String>,
    pub specialite: Option<String>,
    pub specialite_libelle: Option<String>,
}

/// A PIN, never shown in logs or debug output.
pub struct Pin(pub String);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

fn context() -> Result<Context, CardError> {
    Ok(Context::establish(Scope::User)?)
}

fn readers(ctx: &Context) -> Result<Vec<CString>, CardError> {
    match ctx.list_readers_owned() {
        Ok(r) if r.is_empty() => Err(CardError::NoReader),
        Ok(r) => Ok(r),
        Err(e) => Err(e.into()),
    }
}

/// The readers, their cards and PIN tries.
pub fn status() -> Result<Vec<ReaderStatus>, CardError> {
    let ctx = context()?;
    let names = match readers(&ctx) {
        Err(CardError::NoReader) => return Ok(Vec::new()),
        other => other?,
    };
    let mut states: Vec<ReaderState> = names.iter().map(|n| ReaderState::new(n.clone(), State::UNAWARE)).collect();
    ctx.get_status_change(std::time::Duration::from_millis(0), &mut states)?;
    Ok(states
        .iter()
        .map(|s| {
            let present = s.event_state().contains(State::PRESENT);
            let kind = present.then(|| kind_of(s.atr()));
            let tries = match kind {
                Some(CardKind::Cps3 | CardKind::Cps4) => {
                    Session::open(&ctx, s.name()).and_then(|c| c.pin_tries()).ok().map(|(_, remaining)| remaining)
                }
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
struct Session {
    card: pcsc::Card,
}

impl Session {
    fn open(ctx: &Context, reader: &std::ffi::CStr) -> Result<Session, CardError> {
        let card = ctx.connect(reader, ShareMode::Shared, Protocols::ANY)?;
        let atr = card.status2_owned()?.atr().to_vec();
        if kind_of(&atr) == CardKind::Unknown {
            return Err(CardError::UnknownCard);
        }
        let session = Session { card };
        let mut select = vec![0x00, 0xA4, 0x04, 0x00, AID_IAS.len() as u8];
        select.extend_from_slice(&AID_IAS);
        match session.transmit(&select)? {
            (_, 0x9000) => Ok(session),
            _ => Err(CardError::UnknownCard),
        }
    }

    fn named(ctx: &Context, reader: &str) -> Result<Session, CardError> {
        let names = readers(ctx)?;
        let name = names.iter().find(|n| n.to_string_lossy() == reader).ok_or(CardError::NoReader)?;
        Session::open(ctx, name)
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
                return Err(CardError::CardRemoved);
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
        match self.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, fid[0], fid[1]])? {
            (_, 0x9000) => {}
            (_, sw) => return Ok(Err(sw)),
        }
        let mut content = Vec::new();
        while content.len() < MAX_FILE {
            let offset = content.len() as u16;
            let [hi, lo] = offset.to_be_bytes();
            match self.transmit(&[0x00, 0xB0, hi, lo, 0x00])? {
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

    fn certificate(&self) -> Result<CardIdentity, CardError> {
        let der = self
            .read_file(FID_CERTIFICATE)?
            .map_err(|sw| CardError::Card(format!("certificate unreadable ({sw:04X})")))?;
        certificate::parse(&der).map_err(|e| CardError::Card(format!("{e:?}")))
    }

    fn close(self) {
        let _ = self.card.disconnect(Disposition::LeaveCard);
    }
}

/// What the card shows without the PIN.
pub fn identity(reader: &str) -> Result<CardIdentity, CardError> {
    let ctx = context()?;
    let session = Session::named(&ctx, reader)?;
    let identity = session.certificate();
    session.close();
    identity
}

/// Verifies the PIN on the card, once (never retried), then reads the full identity.
pub fn verify_pin(reader: &str, pin: &Pin) -> Result<FullIdentity, CardError> {
    let ctx = context()?;
    let session = Session::named(&ctx, reader)?;
    let result = verified_identity(&session, pin);
    // Reset on leaving: the verified state must not outlive this request.
    let _ = session.card.disconnect(Disposition::ResetCard);
    result
}

fn verified_identity(session: &Session, pin: &Pin) -> Result<FullIdentity, CardError> {
    if pin.0.is_empty() || pin.0.len() > 8 || !pin.0.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::PinIncorrect { remaining: session.pin_tries()?.1 });
    }
    let carte = session.certificate()?;
    let mut apdu = vec![0x00, 0x20, 0x00, 0x01, 0x08];
    let mut block = [0xFFu8; 8];
    block.iter_mut().zip(pin.0.bytes()).for_each(|(slot, b)| *slot = b);
    apdu.extend_from_slice(&block);
    match session.transmit(&apdu)?.1 {
        0x9000 => {}
        0x6983 => return Err(CardError::PinBlocked),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_kinds_from_the_atr() {
        assert_eq!(kind_of(&ATR_CPS3), CardKind::Cps3);
        assert_eq!(kind_of(&ATR_CPS4), CardKind::Cps4);
        assert_eq!(kind_of(&[0x3B, 0x00]), CardKind::Unknown);
        assert_eq!(kind_of(&promess_card_sim::ATR_CPS3), CardKind::Cps3, "the simulated card is a CPS3");
    }

    #[test]
    fn the_pin_never_shows() {
        assert_eq!(format!("{:?}", Pin("1234".into())), "Pin(***)");
    }
}
