//! The real binary, as the run command starts it: defaults, logs at the most verbose level, a request over HTTP, its
//! emails written to the outbox folder, the operator's commands, and no secret in the logs.
use promess_core::registration::examples::STRONG_PASSWORD;
mod common;
use common::process::{http, post_json, registration_body, start, workdir};
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// The emails of the outbox folder to `to`, oldest first, waiting up to 20 s for `count` of them.
fn emails(dir: &std::path::Path, to: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut found: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(dir.join("outbox"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| (e.metadata().unwrap().modified().unwrap(), std::fs::read_to_string(e.path()).unwrap()))
                    .filter(|(_, eml)| eml.contains(&format!("To: {to}")))
                    .collect()
            })
            .unwrap_or_default();
        if found.len() >= count {
            found.sort();
            return found.into_iter().map(|(_, eml)| eml).collect();
        }
        assert!(Instant::now() < deadline, "{count} emails expected in the outbox, {} there", found.len());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `promess-server ARGS` in `dir`, on the same database (the terminal's commands): its output.
fn command(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_promess-server")).current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_binary_takes_a_request_through_its_email_and_a_decision_and_never_logs_a_secret() {
    let dir = workdir("binary", "<html></html>");
    let (mut server, port, logs) = start(&dir, "trace");
    let post = |path: &str, body: &str| post_json(port, path, body);
    let body = registration_body(port);
    let answer = post("/api/registrations", &body);
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    assert!(answer.contains("cecile.sage@sante-na.fr") && answer.contains("email_a_confirmer"));
    assert!(dir.join("data/promess.db").exists(), "SQLite in ./data by default");

    // The worker writes the email with the link to ./outbox, the default; the link is the wizard's own address.
    let to = "cecile.sage@exemple.fr";
    let first = &emails(&dir, to, 1)[0];
    let link = format!("http://127.0.0.1:{port}/confirmer#");
    let token: String =
        first.split(&link).nth(1).expect("the link").chars().take_while(|c| !c.is_whitespace()).collect();
    let answer = post("/api/confirmations", &format!("{{\"jeton\":\"{token}\"}}"));
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("en_verification"), "{answer}");
    let review = emails(&dir, to, 2).remove(1);
    assert!(review.contains("en cours de v"), "{review}");

    // The operator, from the terminal: the request in review, accepted; the procedure's email follows.
    let listed = command(&dir, &["demandes", "lister", "--statut", "en_verification"]);
    let line = listed.lines().find(|l| l.contains("cecile.sage")).expect(&listed);
    let id = line.split('\t').next().unwrap();
    assert!(line.contains("Sans carte") && line.contains("99700771191"), "{line}");
    let decided = command(&dir, &["demandes", "accepter", id, "--par", "agent.esea"]);
    assert!(decided.contains("Compte actif"), "{decided}");
    // The account is written to ./provisioning as LDIF (the default without a directory), then the email leaves.
    let accepted = emails(&dir, to, 3).remove(2);
    let ldif = std::fs::read_to_string(dir.join("provisioning/cecile.sage.ldif")).expect("the account's LDIF file");
    assert!(
        ldif.contains("\nuid: cecile.sage\n") && ldif.contains("\nuserPassword: {ARGON2ID}$argon2id$v=19$"),
        "{ldif}"
    );
    assert!(!ldif.contains(STRONG_PASSWORD));
    assert_eq!(command(&dir, &["comptes"]), "", "no account waiting");
    assert!(
        accepted.contains("- Identifiant : cecile.sage") && accepted.contains("https://mail.sante-na.fr/"),
        "{accepted}"
    );
    assert!(command(&dir, &["demandes", "lister", "--statut", "active"]).contains(id));

    let _ = server.kill();
    server.wait().unwrap();
    let logs = logs.join().unwrap();
    assert!(logs.contains("request received") && logs.contains("email confirmed"), "the logs are there: {logs}");
    assert!(!logs.contains('\u{1b}'), "colours in logs that go to no terminal: {logs}");
    // One access line per request, with its route, status and id, and no value of the request.
    let access =
        logs.lines().find(|l| l.contains("route=/api/registrations") && l.contains("status=202")).expect(&logs);
    assert!(
        access.contains("method=POST") && access.contains("duration_ms=") && access.contains("request_id="),
        "{access}"
    );
    for secret in [STRONG_PASSWORD, token.as_str()] {
        assert!(!logs.contains(secret), "a secret appears in the logs: {secret}");
    }
    assert!(
        !first.contains(STRONG_PASSWORD) && !review.contains(STRONG_PASSWORD) && !accepted.contains(STRONG_PASSWORD)
    );
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

/// `promess-server ARGS` in `dir` with `input` on its standard input: (success, stdout, stderr).
fn command_with_input(dir: &std::path::Path, args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_promess-server"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_terminal_creates_an_operator_and_imports_the_directory() {
    let dir = workdir("operators", "<html></html>");
    // The password twice; different: refused.
    let (ok, _, err) =
        command_with_input(&dir, &["operateurs", "ajouter", "agent.esea"], "une phrase longue\nune autre\n");
    assert!(!ok && err.contains("Les deux mots de passe saisis sont différents"), "{err}");
    let (ok, _, err) = command_with_input(&dir, &["operateurs", "ajouter", "agent.esea"], "court\ncourt\n");
    assert!(!ok && err.contains("au moins 12 caractères"), "{err}");
    let password = "une phrase de passe longue";
    let (ok, out, err) =
        command_with_input(&dir, &["operateurs", "ajouter", "agent.esea"], &format!("{password}\n{password}\n"));
    assert!(ok, "{err}");
    assert!(out.contains("otpauth://totp/ProMess%20Inscription:agent.esea?secret="), "{out}");
    assert!(out.contains('█') || out.contains('▀'), "a QR code drawn in the terminal: {out}");
    assert!(!out.contains(password));
    let (ok, _, err) =
        command_with_input(&dir, &["operateurs", "ajouter", "agent.esea"], &format!("{password}\n{password}\n"));
    assert!(!ok && err.contains("existe déjà"), "{err}");
    assert!(command(&dir, &["operateurs", "lister"]).contains("agent.esea\tcréé le"));

    let extract = dir.join("PS_LibreAcces_Personne_activite_202611280900.txt");
    let mut out = std::fs::File::create(&extract).unwrap();
    promess_server::annuaire::synthetic::write(&mut out, 1000).unwrap();
    let imported = command(&dir, &["annuaire", "importer", extract.to_str().unwrap()]);
    assert!(
        imported.contains("(extraction du 2026-11-28) : 1200 lignes, 1000 professionnels dont 0 ADELI"),
        "{imported}"
    );
    assert!(command(&dir, &["annuaire", "etat"]).contains("1200 lignes"));
    let wrong = dir.join("autre.txt");
    std::fs::write(&wrong, "a|b|\n").unwrap();
    let (ok, _, err) = command_with_input(&dir, &["annuaire", "importer", wrong.to_str().unwrap()], "");
    assert!(!ok && err.contains("n'est pas l'extraction RPPS"), "{err}");
    assert!(command(&dir, &["operateurs", "desactiver", "agent.esea"]).contains("désactivé"));
    assert!(command(&dir, &["operateurs", "lister"]).contains("désactivé le"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_json_every_log_line_is_an_object_and_each_request_has_its_access_line() {
    let dir = workdir("json-logs", "<html></html>");
    let (mut server, port, logs) = common::process::start_with(&dir, "info", &[("PROMESS_LOG_FORMAT", "json")]);
    let answer = post_json(port, "/api/registrations", &registration_body(port));
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let id = answer
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("the answer's request id")
        .trim()
        .to_owned();
    let health = http(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let _ = server.kill();
    server.wait().unwrap();
    let logs = logs.join().unwrap();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let access: Vec<&serde_json::Value> = lines.iter().filter(|l| l["target"] == "acces").collect();
    // The second factor's set-up and its code (POST /api/facteurs, …/confirmation), the registration, /healthz.
    assert_eq!(access.len(), 4, "{logs}");
    let registration = access.iter().find(|l| l["fields"]["route"] == "/api/registrations").expect(&logs);
    assert_eq!(registration["fields"]["status"], 202);
    assert_eq!(registration["fields"]["method"], "POST");
    assert_eq!(registration["fields"]["request_id"], id.as_str());
    assert!(registration["fields"]["duration_ms"].as_f64().unwrap() > 0.0);
    // The handler's own line carries the request's id through its span.
    let received = lines.iter().find(|l| l["fields"]["message"] == "request received").expect(&logs);
    assert_eq!(received["span"]["id"], id.as_str());
    assert!(!logs.contains(promess_core::registration::examples::STRONG_PASSWORD));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_metrics_are_on_their_own_address_and_count_requests_registrations_and_jobs() {
    let dir = workdir("metrics", "<html></html>");
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{metrics_port}");
    let (_server, port, _) = common::process::start_with(&dir, "info", &[("PROMESS_METRICS_LISTEN", &listen)]);
    let answer = post_json(port, "/api/registrations", &registration_body(port));
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let invalid = post_json(port, "/api/registrations", "{\"donnees\":{}}");
    assert!(invalid.starts_with("HTTP/1.1 400"), "{invalid}");
    let get = |port: u16, path: &str| {
        http(port, &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
    };
    // Not on the public address.
    assert!(get(port, "/metrics").starts_with("HTTP/1.1 404"));
    // Once the confirmation email has left, the queue is empty.
    emails(&dir, "cecile.sage@exemple.fr", 1);
    let started = Instant::now();
    let scrape = get(metrics_port, "/metrics");
    let took = started.elapsed();
    assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
    for expected in [
        r#"promess_http_requests_total{method="POST",route="/api/registrations",status="202"} 1"#,
        r#"promess_http_requests_total{method="POST",route="/api/registrations",status="400"} 1"#,
        r#"promess_http_request_duration_seconds_bucket{route="/api/registrations",le="0.5"}"#,
        r#"promess_registrations_total{proof="manual",outcome="accepted"} 1"#,
        r#"promess_registrations_total{proof="unknown",outcome="bad_request"} 1"#,
        r#"promess_jobs_pending{kind="email"} 0"#,
        r#"promess_jobs_dead{kind="annuaire_compte"} 0"#,
        r#"promess_jobs_oldest_pending_age_seconds{kind="email"} 0"#,
        "promess_hashing_waiting 0",
        "promess_db_connections_in_use ",
        "promess_database_up 1",
    ] {
        assert!(scrape.contains(expected), "{expected} not in:\n{scrape}");
    }
    eprintln!("a scrape took {took:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
