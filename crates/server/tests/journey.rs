//! Two server processes on one PostgreSQL, as behind a balancer that sends each request to either: a professional's
//! request and an operator's decision, and a card registration, pass from one to the other at each step (proposal,
//! card challenge, registration, confirmation, console session, decision); then one process is killed during a burst
//! of registrations, and nothing is lost, nothing done twice.
mod common;
use common::{
    Backend,
    card::{DAY, Pki, card_request, write_trust},
    csrf_of, encode,
    process::{factor, http, registration_body, start_with, workdir},
    rpps,
};
use promess_server::store::Store;
use std::time::{Duration, Instant};

/// The site's public origin, the same for both processes (the balancer's).
const ORIGIN: &str = "https://inscription.example";

/// An answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn cookie(&self, name: &str) -> String {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .find_map(|(_, v)| v.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .unwrap_or_else(|| panic!("no cookie {name}: {:?}", self.headers))
            .to_owned()
    }
}

fn call(port: u16, method: &str, path: &str, extra: &[(&str, &str)], body: &str) -> Answer {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\nConnection: close\r\n");
    for (name, value) in extra {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let raw = http(port, &request);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers =
        lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect();
    Answer { status, headers, body: body.to_owned() }
}

fn json(port: u16, method: &str, path: &str, body: &str) -> Answer {
    call(port, method, path, &[("Content-Type", "application/json")], body)
}

fn form(port: u16, path: &str, cookie: &str, pairs: &[(&str, &str)]) -> Answer {
    let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie)];
    call(port, "POST", path, &headers, &encode(pairs))
}

/// The .eml files of the shared outbox to `to`.
fn emails_to(outbox: &std::path::Path, to: &str) -> Vec<String> {
    std::fs::read_dir(outbox)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .filter(|eml| eml.contains(&format!("To: {to}")))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until `done` holds (up to `secs` seconds).
fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_journey_passes_from_one_instance_to_the_other_and_a_killed_one_loses_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (a_dir, b_dir) = (workdir("journey-a", "<html></html>"), workdir("journey-b", "<html></html>"));
    let Some(url) = runtime.block_on(common::database_url(Backend::Postgres, "journey", &a_dir)) else { return };
    let shared = workdir("journey-shared", "<html></html>");
    let (outbox, accounts) = (shared.join("outbox"), shared.join("provisioning"));
    let mail = format!("file://{}", outbox.display());
    // Both believe the test authority's cards.
    let pki = Pki::new(promess_core::card::SignatureAlgorithm::Rs256);
    write_trust(&shared, &pki, &[], promess_server::queue::now_secs() + 7 * DAY);
    let (trust, crl) = (shared.join("ca.pem"), shared.join("ca.crl"));
    let settings = [
        ("PROMESS_CARD_TRUST", trust.to_str().unwrap()),
        ("PROMESS_CARD_CRL", crl.to_str().unwrap()),
        ("DATABASE_URL", url.as_str()),
        ("PROMESS_ORIGINS", ORIGIN),
        ("PROMESS_MAIL", mail.as_str()),
        ("PROMESS_PROVISIONING_DIR", accounts.to_str().unwrap()),
        ("PROMESS_RATE_LIMIT", "1000"),
    ];
    let (a, port_a, _) = start_with(&a_dir, "info", &settings);
    let (_b, port_b, _) = start_with(&b_dir, "info", &settings);
    let store = runtime.block_on(Store::connect(&url)).unwrap();

    // The professional: the identifier proposed by A, the request sent to B, its email link confirmed on A.
    let proposal = json(port_a, "GET", "/api/identifiants?prenom=C%C3%A9cile&nom=Sage", "");
    assert_eq!(proposal.status, 200, "{}", proposal.body);
    assert!(proposal.body.contains("\"cecile.sage\""), "{}", proposal.body);
    // (Another RPPS than the card's holder's, who registers below.)
    let mut manual: serde_json::Value = serde_json::from_str(&registration_body(port_a)).unwrap();
    manual["donnees"]["rpps"] = rpps(6000).into();
    let sent = json(port_b, "POST", "/api/registrations", &manual.to_string());
    assert_eq!(sent.status, 202, "{}", sent.body);
    let to = "cecile.sage@exemple.fr";
    wait_for(20, "the confirmation email", || emails_to(&outbox, to).len() == 1);
    // Quoted-printable: its soft line breaks joined before the link is read.
    let email = emails_to(&outbox, to).remove(0).replace("=\r\n", "");
    let link = format!("{ORIGIN}/confirmer#");
    let token: String = email.split(&link).nth(1).unwrap().chars().take_while(|c| !c.is_whitespace()).collect();
    let confirmed = json(port_a, "POST", "/api/confirmations", &format!("{{\"jeton\":\"{token}\"}}"));
    assert!(confirmed.status == 200 && confirmed.body.contains("en_verification"), "{}", confirmed.body);

    // The operator: signed in on B, the queue read on A, the request's page on B, the decision on A.
    let login = "agent.esea";
    let added = std::process::Command::new(env!("CARGO_BIN_EXE_promess-server"))
        .env("DATABASE_URL", &url)
        .args(["operateurs", "ajouter", login])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"un mot de passe solide\nun mot de passe solide\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let printed = String::from_utf8(added.stdout).unwrap();
    let secret: String = printed.split("secret=").nth(1).expect(&printed).chars().take_while(|c| *c != '&').collect();
    let code =
        promess_server::operators::totp(&secret, login).unwrap().generate(promess_server::queue::now_secs() as u64);
    let page = call(port_b, "GET", "/operateur", &[], "");
    let sign_in_cookie = format!("__Host-promess-connexion={}", page.cookie("__Host-promess-connexion"));
    let fields = [("login", login), ("mot_de_passe", "un mot de passe solide"), ("code", &code)];
    let csrf = csrf_of(&page.body);
    let signed =
        form(port_b, "/operateur/connexion", &sign_in_cookie, &[fields.as_slice(), &[("csrf", &csrf)]].concat());
    assert_eq!(signed.status, 303, "{}", signed.body);
    let session = format!("__Host-promess-operateur={}", signed.cookie("__Host-promess-operateur"));
    let queue = call(port_a, "GET", "/operateur/demandes", &[("Cookie", &session)], "");
    assert!(queue.status == 200 && queue.body.contains("cecile.sage"), "{}", queue.body);
    let id: String =
        queue.body.split("/operateur/demandes/").nth(1).unwrap().chars().take_while(|c| *c != '"').collect();
    let request = call(port_b, "GET", &format!("/operateur/demandes/{id}"), &[("Cookie", &session)], "");
    assert_eq!(request.status, 200);
    let csrf = csrf_of(&request.body);
    let decision = [("decision", "accepter"), ("confirme", "oui"), ("csrf", csrf.as_str())];
    let decided = form(port_a, &format!("/operateur/demandes/{id}/decision"), &session, &decision);
    assert_eq!(decided.status, 303, "{}", decided.body);
    // The account written once, then its acceptance email, once, whichever process did each.
    wait_for(20, "the acceptance email", || emails_to(&outbox, to).len() == 3);
    assert!(accounts.join("cecile.sage.ldif").exists());
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(emails_to(&outbox, to).len(), 3, "confirmation, review, acceptance: each once");

    // The card: its challenge from A, the registration it signed sent to B, its email confirmed on A: an account
    // without review, written once, its acceptance email once.
    let challenge = json(port_a, "POST", "/api/card-challenges", "");
    assert_eq!(challenge.status, 201, "{}", challenge.body);
    let nonce =
        serde_json::from_str::<serde_json::Value>(&challenge.body).unwrap()["nonce"].as_str().unwrap().to_owned();
    let mut carded = card_request(Some(pki.proof(&nonce, ORIGIN)));
    let holder = "carte@exemple.fr";
    (carded.donnees.email, carded.donnees.email_confirmation) = (holder.into(), holder.into());
    carded.donnees.facteur = factor(port_a);
    let sent = json(port_b, "POST", "/api/registrations", &serde_json::to_string(&carded).unwrap());
    assert_eq!(sent.status, 202, "{}", sent.body);
    let replayed = json(port_a, "POST", "/api/registrations", &serde_json::to_string(&carded).unwrap());
    assert_eq!(replayed.status, 422, "the challenge, spent on B, is spent for A: {}", replayed.body);
    wait_for(20, "the card holder's confirmation email", || emails_to(&outbox, holder).len() == 1);
    let email = emails_to(&outbox, holder).remove(0).replace("=\r\n", "");
    let token: String = email.split(&link).nth(1).unwrap().chars().take_while(|c| !c.is_whitespace()).collect();
    let confirmed = json(port_a, "POST", "/api/confirmations", &format!("{{\"jeton\":\"{token}\"}}"));
    assert!(confirmed.status == 200 && confirmed.body.contains("\"active\""), "{}", confirmed.body);
    wait_for(20, "the card holder's acceptance email", || emails_to(&outbox, holder).len() == 2);
    assert!(accounts.join("cecile.sage2.ldif").exists());

    // A burst of registrations to both, and A killed (SIGKILL) in the middle of it, once it has answered four.
    let answered_by_a = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Their second factors set up first, on B (the one that stays).
    let bodies: Vec<String> = (0..24).map(|_| registration_body(port_b)).collect();
    let burst: Vec<std::thread::JoinHandle<(String, u16)>> = (0..24u32)
        .zip(bodies)
        .map(|(i, body)| {
            let port = if i % 2 == 0 { port_a } else { port_b };
            let answered_by_a = answered_by_a.clone();
            std::thread::spawn(move || {
                let mut body: serde_json::Value = serde_json::from_str(&body).unwrap();
                let email = format!("rafale{i}@exemple.fr");
                body["donnees"]["rpps"] = rpps(7000 + i).into();
                body["donnees"]["email"] = email.clone().into();
                body["donnees"]["email_confirmation"] = email.clone().into();
                let posted =
                    std::panic::AssertUnwindSafe(|| json(port, "POST", "/api/registrations", &body.to_string()));
                let answer = std::panic::catch_unwind(posted);
                let status = answer.map_or(0, |a| a.status);
                if port == port_a && status == 202 {
                    answered_by_a.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                (email, status)
            })
        })
        .collect();
    wait_for(30, "four answers of A", || answered_by_a.load(std::sync::atomic::Ordering::SeqCst) >= 4);
    drop(a);
    let answers: Vec<(String, u16)> = burst.into_iter().map(|t| t.join().unwrap()).collect();
    let accepted: Vec<&String> = answers.iter().filter(|(_, s)| *s == 202).map(|(e, _)| e).collect();
    assert!(accepted.len() >= 16, "B's half and A's first four at least: {answers:?}");
    // Every request stored is whole (its email queued with it), every one answered 202 is stored, and each gets its
    // confirmation email exactly once, B taking up what A held.
    let stored: Vec<String> = runtime.block_on(async {
        sqlx::query_scalar("SELECT email FROM registrations WHERE email LIKE 'rafale%'")
            .fetch_all(store.pool())
            .await
            .unwrap()
    });
    assert!(accepted.iter().all(|e| stored.contains(e)), "answered 202 but not stored: {answers:?} {stored:?}");
    wait_for(45, "every stored request's email", || stored.iter().all(|e| !emails_to(&outbox, e).is_empty()));
    std::thread::sleep(Duration::from_secs(3));
    for e in &stored {
        assert_eq!(emails_to(&outbox, e).len(), 1, "{e}");
    }
    let orphans: i64 = runtime.block_on(async {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM registrations r WHERE r.email LIKE 'rafale%' AND NOT EXISTS \
             (SELECT 1 FROM registration_events e WHERE e.registration_id = r.id)",
        )
        .fetch_one(store.pool())
        .await
        .unwrap()
    });
    assert_eq!(orphans, 0, "a request without its history");
    eprintln!("burst: {} answered 202, {} stored, each emailed once", accepted.len(), stored.len());
    let _ = [a_dir, b_dir, shared].map(std::fs::remove_dir_all);
}
