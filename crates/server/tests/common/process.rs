//! The real `promess-server` binary as a test starts it: in a working directory of its own, on a free port, its log
//! read as it runs.
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
};

pub fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A fresh directory with `dist/index.html` holding `page`: the server's working directory.
pub fn workdir(name: &str, page: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("promess-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("dist/index.html"), page).unwrap();
    dir
}

/// The real binary in `dir`, with its defaults and `--dist dist`, on a port the system picks (port 0): its port, read
/// from its log once it listens, and its whole log once it stops (read meanwhile, so that it never waits on a full
/// pipe).
pub fn start(dir: &std::path::Path, log: &str) -> (Running, u16, std::thread::JoinHandle<String>) {
    start_with(dir, log, &[])
}

/// The same with these environment variables (settings).
pub fn start_with(
    dir: &std::path::Path,
    log: &str,
    env: &[(&str, &str)],
) -> (Running, u16, std::thread::JoinHandle<String>) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_promess-server"))
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("RUST_LOG", log)
        .args(["--listen", "127.0.0.1:0", "--dist", "dist"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut logs = String::new();
    let port = loop {
        let line = lines.next().expect("the server stopped before listening").unwrap();
        logs.push_str(&line);
        logs.push('\n');
        // "ProMess Inscription on http://127.0.0.1:PORT/", alone (text) or in a JSON object.
        if let Some(address) = line.split("ProMess Inscription on http://").nth(1) {
            let host_port = address.split('/').next().unwrap();
            break host_port.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    let rest = std::thread::spawn(move || {
        lines.map_while(Result::ok).for_each(|line| {
            logs.push_str(&line);
            logs.push('\n');
        });
        logs
    });
    (Running(server), port, rest)
}

/// A server process, killed when dropped: a test that fails leaves no server behind (nor its log's pipe open).
pub struct Running(pub std::process::Child);

impl std::ops::Deref for Running {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A JSON POST from the server's own page (its origin) to `path`: the whole answer, headers and body.
pub fn post_json(port: u16, path: &str, body: &str) -> String {
    http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The JSON body of an answer.
fn body_of(answer: &str) -> serde_json::Value {
    serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default()).unwrap_or_default()
}

/// POST of JSON with no Origin (as a script sends it, whatever origins the server allows).
fn post_from_script(port: u16, path: &str, body: &str) -> String {
    http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// A second factor set up and confirmed on the server at `port`, as the wizard's step 3 does: its handle.
pub fn factor(port: u16) -> String {
    let new = serde_json::json!({"type": "totp", "identifiant": "cecile.sage"}).to_string();
    let answer = post_from_script(port, "/api/facteurs", &new);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let setup = body_of(&answer);
    let code = super::totp_code(setup["secret"].as_str().unwrap(), promess_server::queue::now_secs());
    let path = format!("/api/facteurs/{}/confirmation", setup["id"].as_str().unwrap());
    let confirmed = post_from_script(port, &path, &serde_json::json!({ "code": code }).to_string());
    assert!(confirmed.starts_with("HTTP/1.1 200"), "{confirmed}");
    setup["id"].as_str().unwrap().to_owned()
}

/// Cécile Sage's valid registration without a card, as the wizard sends it, with a second factor set up on the
/// server at `port`.
pub fn registration_body(port: u16) -> String {
    let mut r = super::request("99700771191", "cecile.sage@exemple.fr");
    r.donnees.facteur = factor(port);
    serde_json::to_string(&r).unwrap()
}
