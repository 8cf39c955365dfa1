//! A small operator's mail system, for the tests: OpenLDAP's `slapd` holding the accounts, and Dovecot's IMAP server
//! reading them from it (passdb on the directory), both Debian's, each with a private configuration in a folder of
//! its own and on loopback ports of its own; stopped when dropped. `scripts/setup` installs them.
//! (Shared by promess-server's tests and the end-to-end tests, which include this file: standard library only.)
#![allow(dead_code)]
use std::{
    io::{BufRead, BufReader, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The directory's suffix, its people's branch, and the DN that writes to it (ours) and reads it (Dovecot's).
pub const SUFFIX: &str = "dc=promess,dc=test";
pub const PEOPLE: &str = "ou=people,dc=promess,dc=test";
pub const ADMIN_DN: &str = "cn=admin,dc=promess,dc=test";
pub const ADMIN_PASSWORD: &str = "mot-de-passe-de-l-annuaire";

pub struct MailSystem {
    pub dir: PathBuf,
    pub ldap_port: u16,
    /// slapd's LDAPS port, when started with a certificate.
    pub ldaps_port: Option<u16>,
    pub imap_port: u16,
    slapd: Option<Child>,
    dovecot: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn program(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} is not installed: run scripts/setup (Debian's slapd, dovecot-imapd)"))
}

/// Waits until `port` takes connections, or panics with the service's log.
fn wait_for(port: u16, what: &str, log: &Path) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not start on port {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM (a service's children go with it, which SIGKILL would orphan), then waits.
fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl MailSystem {
    pub fn start(name: &str) -> MailSystem {
        MailSystem::start_with(name, None)
    }

    /// With `tls` (a certificate and its key, PEM), slapd also answers LDAPS on a port of its own, offers StartTLS on
    /// its plain port, and takes no write in clear (Dovecot still reads it in clear, on loopback).
    pub fn start_with(name: &str, tls: Option<(&str, &str)>) -> MailSystem {
        let dir = std::env::temp_dir().join(format!("promess-mail-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["ldap", "run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // The folder is traversed by Dovecot's unprivileged processes; the mailboxes belong to `nobody`.
        let chmod = |path: &Path, mode: &str| {
            assert!(Command::new("chmod").arg(mode).arg(path).status().unwrap().success());
        };
        chmod(&dir, "755");
        chmod(&dir.join("mail"), "1777");

        let d = dir.display();
        std::fs::write(
            dir.join("slapd.conf"),
            format!(
                "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\npidfile {d}/slapd.pid\nargsfile {d}/slapd.args\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\ndatabase mdb\nmaxsize 10485760\n\
                 suffix \"{SUFFIX}\"\nrootdn \"{ADMIN_DN}\"\nrootpw {ADMIN_PASSWORD}\ndirectory {d}/ldap\n\
                 access to * by * none\n"
            ),
        )
        .unwrap();
        let ldaps_port = tls.map(|(certificate, key)| {
            std::fs::write(dir.join("slapd.crt"), certificate).unwrap();
            std::fs::write(dir.join("slapd.key"), key).unwrap();
            // slapd drops no privileges here (run as root): the key may stay private to root.
            let mut conf = std::fs::read_to_string(dir.join("slapd.conf")).unwrap();
            conf.insert_str(
                0,
                &format!(
                    "TLSCertificateFile {d}/slapd.crt\nTLSCertificateKeyFile {d}/slapd.key\nsecurity update_tls=1\n"
                ),
            );
            std::fs::write(dir.join("slapd.conf"), conf).unwrap();
            free_port()
        });
        std::fs::write(
            dir.join("base.ldif"),
            format!(
                "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: promess\no: ProMess test\n\n\
                 dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n"
            ),
        )
        .unwrap();
        let added = Command::new(program("slapadd"))
            .arg("-f")
            .arg(dir.join("slapd.conf"))
            .arg("-l")
            .arg(dir.join("base.ldif"))
            .output()
            .unwrap();
        assert!(added.status.success(), "slapadd: {}", String::from_utf8_lossy(&added.stderr));

        let (ldap_port, imap_port) = (free_port(), free_port());
        std::fs::write(
            dir.join("dovecot-ldap.conf.ext"),
            format!(
                "uris = ldap://127.0.0.1:{ldap_port}\ndn = {ADMIN_DN}\ndnpass = {ADMIN_PASSWORD}\nbase = {PEOPLE}\n\
                 scope = onelevel\npass_filter = (&(objectClass=inetOrgPerson)(uid=%u))\n\
                 pass_attrs = uid=user,userPassword=password\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("dovecot.conf"),
            format!(
                "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\nprotocols = imap\n\
                 listen = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
                 auth_failure_delay = 0\nmail_location = maildir:{d}/mail/%u\n\
                 default_login_user = dovenull\ndefault_internal_user = dovecot\n\
                 service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n\
                 inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                 service pop3-login {{\n  inet_listener pop3 {{\n    port = 0\n  }}\n}}\n\
                 passdb {{\n  driver = ldap\n  args = {d}/dovecot-ldap.conf.ext\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/mail/%u\n}}\n"
            ),
        )
        .unwrap();
        let slapd = Some(slapd(&dir, ldap_port, ldaps_port));
        let log = std::fs::File::create(dir.join("dovecot.out")).unwrap();
        let dovecot = Command::new(program("dovecot"))
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_for(imap_port, "dovecot", &dir.join("dovecot.out"));
        MailSystem { dir, ldap_port, ldaps_port, imap_port, slapd, dovecot }
    }

    /// The directory's address, as `PROMESS_LDAP_URL` names it.
    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    /// Starts slapd again after `stop_directory`, on its port, with the entries it had.
    pub fn start_directory(&mut self) {
        self.slapd = Some(slapd(&self.dir, self.ldap_port, self.ldaps_port));
    }

    /// The directory goes down (its data kept).
    pub fn stop_directory(&mut self) {
        if let Some(mut slapd) = self.slapd.take() {
            stop(&mut slapd);
        }
    }

    /// An IMAP conversation: the greeting, `LOGIN user password`, then `LOGOUT`. Ok with the server's answer to the
    /// login when it is OK, Err with it otherwise.
    pub fn imap_login(&self, user: &str, password: &str) -> Result<String, String> {
        let stream = TcpStream::connect(("127.0.0.1", self.imap_port)).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        assert!(line.starts_with("* OK"), "IMAP greeting: {line}");
        let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        write!(writer, "a1 LOGIN {} {}\r\n", quoted(user), quoted(password)).unwrap();
        let answer = loop {
            line.clear();
            if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                return Err("the server closed the connection".into());
            }
            if line.starts_with("a1 ") {
                break line.trim_end().to_owned();
            }
        };
        let _ = write!(writer, "a2 LOGOUT\r\n");
        if answer.starts_with("a1 OK") { Ok(answer) } else { Err(answer) }
    }

    /// What Dovecot logged, for a failure's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}

/// slapd on `port` (and LDAPS on `tls_port`), in the foreground, its log in `dir`.
fn slapd(dir: &Path, port: u16, tls_port: Option<u16>) -> Child {
    let log = std::fs::File::create(dir.join("slapd.out")).unwrap();
    let mut urls = format!("ldap://127.0.0.1:{port}/");
    if let Some(tls) = tls_port {
        urls.push_str(&format!(" ldaps://127.0.0.1:{tls}/"));
    }
    let slapd = Command::new(program("slapd"))
        .arg("-f")
        .arg(dir.join("slapd.conf"))
        .arg("-h")
        .arg(urls)
        .args(["-d", "0"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    wait_for(port, "slapd", &dir.join("slapd.out"));
    if let Some(tls) = tls_port {
        wait_for(tls, "slapd (LDAPS)", &dir.join("slapd.out"));
    }
    slapd
}

impl Drop for MailSystem {
    fn drop(&mut self) {
        stop(&mut self.dovecot);
        self.stop_directory();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
