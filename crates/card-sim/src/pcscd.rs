//! A pcscd for tests: started in the foreground with its own reader.conf.d holding one vpcd reader on a free port,
//! stopped on drop. pcsc-lite's daemon has one socket per machine (/run/pcscd/pcscd.comm), so a pcscd already
//! running is an error, not something to share.
use std::{
    io::{self, BufRead, BufReader},
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

const PID_FILE: &str = "/run/pcscd/pcscd.pid";
const SOCKET: &str = "/run/pcscd/pcscd.comm";

pub struct Pcscd {
    child: Child,
    dir: PathBuf,
    /// The vpcd port of the first reader ("Virtual PCD 00 00"); the driver opens a second one on port + 1.
    pub port: u16,
}

/// The name pcscd gives the first vpcd reader.
pub const READER: &str = "Virtual PCD 00 00";

fn running() -> bool {
    std::fs::read_to_string(PID_FILE)
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Two consecutive free ports (the vpcd driver listens on port and port + 1).
fn free_ports() -> io::Result<u16> {
    for _ in 0..50 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if port < u16::MAX
            && TcpListener::bind(("0.0.0.0", port)).is_ok()
            && TcpListener::bind(("0.0.0.0", port + 1)).is_ok()
        {
            return Ok(port);
        }
    }
    Err(io::Error::other("no two free ports"))
}

impl Pcscd {
    pub fn start() -> io::Result<Pcscd> {
        if running() {
            return Err(io::Error::other(format!(
                "a pcscd is already running ({PID_FILE}): stop it first (e.g. the one scripts/run started)"
            )));
        }
        let port = free_ports()?;
        let dir = std::env::temp_dir().join(format!("promess-pcscd-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("vpcd"),
            format!(
                "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x{port:X}\nLIBPATH \
                 /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x{port:X}\n"
            ),
        )?;
        let program = if std::path::Path::new("/usr/sbin/pcscd").exists() { "/usr/sbin/pcscd" } else { "pcscd" };
        let mut child = Command::new(program)
            .args(["--foreground", "--info", "--config"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (ready, wait) = mpsc::channel();
        let out = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.contains("daemon ready") {
                    let _ = ready.send(());
                }
            }
        });
        let pcscd = Pcscd { child, dir, port };
        wait.recv_timeout(Duration::from_secs(10)).map_err(|_| io::Error::other("pcscd did not start"))?;
        // "ready" is logged before clients are served: wait until its socket accepts one.
        for _ in 0..100 {
            if std::os::unix::net::UnixStream::connect(SOCKET).is_ok() {
                return Ok(pcscd);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(io::Error::other("pcscd's socket never accepted a client"))
    }

    /// Where a simulated card connects: the first reader's vpcd port.
    pub fn vpcd_addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the daemon (SIGTERM, so that it removes its socket and pid file) and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        self.stop();
    }
}
