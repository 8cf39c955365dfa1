//! The stand-in for Pro Santé Connect: npm's oidc-provider (panva's OpenID-certified implementation) configured like
//! PSC (`scripts/psc-sim.mjs`, which `./scripts/run` starts too), started on a port of its own and stopped when dropped. Shared by the API tests
//! and the end-to-end tests (`#[path]`).
use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

pub const CLIENT_ID: &str = "promess-inscription";
pub const CLIENT_SECRET: &str = "le-secret-du-client-de-test";

/// The stand-in provider, running.
pub struct Provider {
    pub issuer: String,
    child: Child,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Provider {
    /// Starts the provider, whose client sends the browser back to `origin` + `/psc/retour`.
    pub fn start(origin: &str) -> Provider {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(
            root.join("node_modules/oidc-provider").exists(),
            "npm's oidc-provider is not installed: run scripts/setup (npm ci)"
        );
        let script = root.join("scripts/psc-sim.mjs");
        let redirect = format!("{origin}{}", promess_core::psc::RETURN_PATH);
        let mut child = Command::new("node")
            .arg(script)
            .args([&free_port().to_string(), CLIENT_ID, CLIENT_SECRET, &redirect])
            .current_dir(&root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (Debian's nodejs)");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        // What it says later is read and dropped: a closed pipe would kill it at its next word.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let issuer =
            line.trim().strip_prefix("ready ").unwrap_or_else(|| panic!("the provider said {line:?}")).to_owned();
        Provider { issuer, child }
    }

    /// Our client there, for the app's settings.
    pub fn client(&self) -> promess_server::psc::Psc {
        promess_server::psc::Psc::new(&self.issuer, None, CLIENT_ID, CLIENT_SECRET.into()).unwrap()
    }
}
