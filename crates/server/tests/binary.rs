//! The real binary, as the run command starts it: defaults, logs at the most verbose level, a registration over
//! HTTP, the email written to the outbox folder, and the password nowhere in the logs.
use promess_core::{
    RegistrationRequest,
    registration::{
        Credentials,
        examples::{STRONG_PASSWORD, valid_draft},
    },
};
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A fresh directory with `dist/index.html` holding `page`: the server's working directory.
fn workdir(name: &str, page: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("promess-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("dist/index.html"), page).unwrap();
    dir
}

/// The real binary in `dir`, with its defaults and `--dist dist`, on a port the system picks (port 0): its port, read
/// from its log once it listens, and its whole log once it stops (read meanwhile, so that it never waits on a full
/// pipe).
fn start(dir: &std::path::Path, log: &str) -> (std::process::Child, u16, std::thread::JoinHandle<String>) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_promess-server"))
        .current_dir(dir)
        .env("RUST_LOG", log)
        .env("NO_COLOR", "1")
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
        if let Some(address) = line.split("ProMess Inscription on http://").nth(1) {
            break address.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    let rest = std::thread::spawn(move || {
        lines.map_while(Result::ok).for_each(|line| {
            logs.push_str(&line);
            logs.push('\n');
        });
        logs
    });
    (server, port, rest)
}

#[test]
fn the_binary_registers_sends_the_email_to_the_outbox_and_never_logs_the_password() {
    let dir = workdir("binary", "<html></html>");
    let (mut server, port, logs) = start(&dir, "trace");

    let body = serde_json::to_string(&RegistrationRequest {
        donnees: valid_draft(),
        secret: Credentials { mot_de_passe: STRONG_PASSWORD.into(), mot_de_passe_confirmation: STRONG_PASSWORD.into() },
        identifiant: None,
        preuve_carte: None,
    })
    .unwrap();
    let answer = http(
        port,
        &format!(
            "POST /api/registrations HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("cecile.sage@sante-na.fr"));

    // The worker writes the email to ./outbox, the default.
    let deadline = Instant::now() + Duration::from_secs(20);
    let eml = loop {
        let found = std::fs::read_dir(dir.join("outbox"))
            .ok()
            .and_then(|d| d.flatten().find(|e| e.path().extension().is_some_and(|x| x == "eml")));
        if let Some(entry) = found {
            break std::fs::read_to_string(entry.path()).unwrap();
        }
        assert!(Instant::now() < deadline, "no email in the outbox");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(eml.contains("To: cecile.sage@exemple.fr"));
    assert!(dir.join("data/promess.db").exists(), "SQLite in ./data by default");

    let _ = server.kill();
    server.wait().unwrap();
    let logs = logs.join().unwrap();
    assert!(logs.contains("registration created"), "the logs are there: {logs}");
    assert!(!logs.contains(STRONG_PASSWORD), "the password appears in the logs");
    assert!(!eml.contains(STRONG_PASSWORD));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_built_app_is_sent_precompressed_and_cached_by_its_hash() {
    let dir = workdir("static", "<html>page</html>");
    std::fs::write(dir.join("dist/app-0123456789abcdef_bg.wasm"), b"\0asm raw").unwrap();
    std::fs::write(dir.join("dist/app-0123456789abcdef_bg.wasm.br"), b"brotli bytes").unwrap();
    let (mut server, port, _logs) = start(&dir, "info");
    let get = |path: &str, encoding: &str| {
        http(
            port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
            ),
        )
        .to_ascii_lowercase()
    };
    let br = get("/app-0123456789abcdef_bg.wasm", "gzip, br");
    assert!(br.contains("content-encoding: br") && br.ends_with("brotli bytes"), "{br}");
    assert!(br.contains("cache-control: public, max-age=31536000, immutable"), "{br}");
    let plain = get("/app-0123456789abcdef_bg.wasm", "identity");
    assert!(!plain.contains("content-encoding") && plain.ends_with("\0asm raw"), "{plain}");
    let page = get("/identifiant", "br");
    assert!(
        page.starts_with("http/1.1 200")
            && page.contains("cache-control: no-cache")
            && page.ends_with("<html>page</html>"),
        "{page}"
    );
    // An asset that is not there (another build's) is a 404, not the page cached for a year.
    let missing = get("/app-fedcba9876543210_bg.wasm", "br");
    assert!(missing.starts_with("http/1.1 404") && !missing.contains("immutable"), "{missing}");
    // The API's answers are never cached.
    let api = get("/api/identifiants?prenom=Paul&nom=Martin", "identity");
    assert!(api.starts_with("http/1.1 200") && api.contains("cache-control: no-store"), "{api}");
    // SIGTERM (systemd, containers) stops it gracefully, as Ctrl-C does.
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "SIGTERM did not stop the server");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a graceful stop exits 0: {status}");
    let _ = std::fs::remove_dir_all(&dir);
}
