//! The vpcd protocol (vsmartcard): the card connects to the driver's TCP port; every message both ways is a
//! 2-byte big-endian length and a payload. One byte is a control code (0 power off, 1 power on, 2 reset, 4 send the
//! ATR); anything longer is a command APDU, answered with the response APDU.
use crate::Card;
use std::{
    io::{self, Read, Write},
    net::{Shutdown, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

fn read_message(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut payload = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut payload)?;
    Ok(payload)
}

fn write_message(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| io::Error::other("message too long"))?;
    stream.write_all(&[&len.to_be_bytes()[..], payload].concat())
}

/// Serves `card` to the driver on `stream` until the driver hangs up or `removed` is set. While `hold` is set,
/// command APDUs wait unanswered (a slow card, so that tests can pull it out in the middle of an operation).
pub fn serve(mut stream: TcpStream, card: &Mutex<Card>, removed: &AtomicBool, hold: &AtomicBool) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    loop {
        if removed.load(Ordering::SeqCst) {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        let message = match read_message(&mut stream) {
            Ok(m) => m,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut card = card.lock().unwrap_or_else(|p| p.into_inner());
        match message.as_slice() {
            [0] | [1] | [2] => card.reset(),
            [4] => write_message(&mut stream, card.atr())?,
            [_] => {}
            apdu => {
                while hold.load(Ordering::SeqCst) {
                    if removed.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let reply = card.transmit(apdu);
                write_message(&mut stream, &reply)?;
            }
        }
    }
}

/// A card inserted in the virtual reader at `addr` (the vpcd driver's port), in a thread: it connects, and
/// reconnects when pcscd restarts, until removed.
pub struct Inserted {
    removed: Arc<AtomicBool>,
    hold: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Inserted {
    pub fn insert(addr: String, card: Arc<Mutex<Card>>) -> Inserted {
        let removed = Arc::new(AtomicBool::new(false));
        let hold = Arc::new(AtomicBool::new(false));
        let (flag, held) = (removed.clone(), hold.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match TcpStream::connect(&addr) {
                    Ok(stream) => {
                        let _ = stream.set_nodelay(true);
                        let _ = serve(stream, &card, &flag, &held);
                        card.lock().unwrap_or_else(|p| p.into_inner()).reset();
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(200)),
                }
            }
        });
        Inserted { removed, hold, thread: Some(thread) }
    }

    /// A fresh card of `identity` (an RSA key, its certificate issued now by a new test CA) inserted in the reader
    /// at `addr`; answers it with the CA, which the server trusts in tests.
    pub fn card_of(
        addr: String,
        identity: crate::Identity,
    ) -> Result<(Inserted, crate::cert::Authority), rcgen::Error> {
        Inserted::card_of_kind(addr, identity, promess_core::card::CardKind::Cps3)
    }

    /// `card_of`, a CPS3 or a CPS4.
    pub fn card_of_kind(
        addr: String,
        identity: crate::Identity,
        kind: promess_core::card::CardKind,
    ) -> Result<(Inserted, crate::cert::Authority), rcgen::Error> {
        let algorithm = promess_core::card::SignatureAlgorithm::Rs256;
        let crate::cert::Issued { authority, leaf, key, .. } = crate::cert::issue(&identity, algorithm)?;
        let card = Card::new(identity, leaf, key);
        let card = if kind == promess_core::card::CardKind::Cps4 { card.cps4() } else { card };
        Ok((Inserted::insert(addr, Arc::new(Mutex::new(card))), authority))
    }

    /// Leaves the next command APDUs unanswered until released (or the card removed).
    pub fn hold_commands(&self, hold: bool) {
        self.hold.store(hold, Ordering::SeqCst);
    }

    /// Takes the card out of the reader (closes the connection).
    pub fn remove(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.removed.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Inserted {
    fn drop(&mut self) {
        self.stop();
    }
}
