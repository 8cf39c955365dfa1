//! Helpers for the end-to-end tests: serve the release build, start chromedriver, drive headless Chromium.
//! Each test starts what it needs and stops it when dropped.
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// The workspace's `dist/`, built by `trunk build --release`.
pub fn dist() -> PathBuf {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    assert!(
        dist.join("index.html").exists(),
        "no release build in {}: run `trunk build --release` first (scripts/test does)",
        dist.display()
    );
    dist
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A static server for `dist/` on 127.0.0.1 with the single-page fallback (unknown GET → index.html).
/// It has no API: `/api/*` answers 404, as when the backend is down.
pub struct StaticServer {
    pub base: String,
    holding: Arc<AtomicBool>,
    pause: Arc<Mutex<Option<Pause>>>,
}

/// The page sent in two parts, as a slow network delivers it: its bytes up to `before`, then the rest `for_` later.
#[derive(Clone)]
struct Pause {
    before: &'static str,
    for_: Duration,
}

impl StaticServer {
    pub fn start(root: PathBuf) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let holding = Arc::new(AtomicBool::new(false));
        let pause = Arc::new(Mutex::new(None));
        let (held, paused) = (holding.clone(), pause.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, held, paused) = (root.clone(), held.clone(), paused.clone());
                std::thread::spawn(move || {
                    let pause = paused.lock().unwrap().clone();
                    let _ = serve(stream, &root, &held, pause);
                });
            }
        });
        StaticServer { base, holding, pause }
    }

    /// From now on the page (index.html) is sent in two parts: up to the first `before`, then the rest `for_` later.
    pub fn pause_page(&self, before: &'static str, for_: Duration) {
        *self.pause.lock().unwrap() = Some(Pause { before, for_ });
    }

    /// From now on the app's wasm files are held back, as on a slow network, until [`StaticServer::release`].
    pub fn hold_wasm(&self) {
        self.holding.store(true, Ordering::SeqCst);
    }

    pub fn release(&self) {
        self.holding.store(false, Ordering::SeqCst);
    }
}

fn serve(mut stream: TcpStream, root: &Path, holding: &AtomicBool, pause: Option<Pause>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; content_length];
    std::io::Read::read_exact(&mut reader, &mut body)?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split('?').next().unwrap_or("/");
    let file = root.join(path.trim_start_matches('/'));
    let (status, file) = if path.starts_with("/api/") || method != "GET" {
        ("404 Not Found", None)
    } else if file.is_file() && !path.contains("..") {
        ("200 OK", Some(file))
    } else {
        ("200 OK", Some(root.join("index.html")))
    };
    while path.ends_with(".wasm") && holding.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (bytes, kind) = match &file {
        Some(f) => (std::fs::read(f)?, content_type(f)),
        None => (b"{\"error\":\"not_found\"}".to_vec(), "application/json"),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        bytes.len()
    )?;
    let cut = match (&file, pause) {
        (Some(f), Some(p)) if f.ends_with("index.html") => {
            bytes.windows(p.before.len()).position(|w| w == p.before.as_bytes()).map(|at| (at, p.for_))
        }
        _ => None,
    };
    if let Some((at, pause)) = cut {
        stream.write_all(&bytes[..at])?;
        stream.flush()?;
        std::thread::sleep(pause);
        return stream.write_all(&bytes[at..]);
    }
    stream.write_all(&bytes)
}

/// Everything the server and the card agent (in this process) log, at every level, kept for a test to search: one
/// capture per test process (the subscriber is global).
pub fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let writer = move || Sink(sink.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_writer(writer)
            .with_ansi(false)
            .finish();
        tracing_subscriber::util::SubscriberInitExt::init(subscriber);
        buffer
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The provisioning worker's settings for an LDAP directory (the tests' mail system) with this bind DN and branch.
pub fn ldap_directory(
    url: String,
    bind_dn: &str,
    password: &str,
    base_dn: &str,
) -> promess_server::provisioning::Provisioner {
    let ldap = promess_server::provisioning::Ldap {
        url,
        bind_dn: bind_dn.into(),
        password: password.into(),
        starttls: false,
        tls: None,
    };
    promess_server::provisioning::Provisioner {
        directory: promess_server::provisioning::Directory::Ldap(Arc::new(ldap)),
        base_dn: base_dn.into(),
        webmail: "https://mail.sante-na.fr/".into(),
    }
}

/// The real backend (promess-server's `app()`), on a loopback port, with a fresh SQLite database; serving dist/.
pub struct Backend {
    pub base: String,
    pub store: promess_server::store::Store,
    /// The store's pool, for the tests' own queries.
    pub db: sqlx::AnyPool,
    /// Its database, and the card's trust files when it has them (ca.pem, ca.crl).
    pub dir: PathBuf,
}

impl Backend {
    pub async fn start(name: &str) -> Backend {
        Backend::start_trusting(name, None).await
    }

    /// The backend believing the cards of `authority` (the simulated card's test CA), with a current CRL of it.
    pub async fn start_trusting(name: &str, authority: Option<&promess_card_sim::cert::Authority>) -> Backend {
        Backend::start_with(name, authority, |_, _| ()).await.0
    }

    /// The backend, its settings adjusted by `adjust` once its address is known (given to it): with what it made.
    pub async fn start_with<T>(
        name: &str,
        authority: Option<&promess_card_sim::cert::Authority>,
        adjust: impl FnOnce(&mut promess_server::Settings, &str) -> T,
    ) -> (Backend, T) {
        let dir = std::env::temp_dir().join(format!("promess-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("promess.db").display());
        let store = promess_server::store::Store::connect(&url).await.expect("database");
        let db = store.pool().clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = promess_server::Settings::new(dist(), vec![base.clone()]);
        settings.rate_limit = 1000;
        let made = adjust(&mut settings, &base);
        if let Some(authority) = authority {
            let now = promess_card_sim::cert::now_secs();
            std::fs::write(dir.join("ca.pem"), authority.pem()).unwrap();
            std::fs::write(dir.join("ca.crl"), authority.crl(&[], now - 60, now + 86_400).unwrap()).unwrap();
            let trust = promess_server::card_proof::CardTrust::load(&dir.join("ca.pem"), vec![dir.join("ca.crl")]);
            settings.card_trust = Some(trust.unwrap());
        }
        let app = promess_server::app(promess_server::AppState::new(settings, store.clone()))
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (Backend { base, store, db, dir }, made)
    }
}

impl Backend {
    /// The link of the latest email to `to`, as the professional reads it: the outbox sent to a folder of .eml files
    /// (what `./scripts/run` does), the message read there.
    pub async fn email_link(&self, to: &str) -> String {
        self.email_link_to(to, "/confirmer#").await
    }

    /// The link of the latest email to `to` whose address begins with `path` (after the origin).
    pub async fn email_link_to(&self, to: &str, path: &str) -> String {
        let folder = self.dir.join("outbox");
        let mailer = promess_server::outbox::Mailer::from_url(&format!("file://{}", folder.display())).unwrap();
        let from = "ESEA <notification@esea-na.fr>".parse().unwrap();
        promess_server::outbox::deliver_due(&self.store, &mailer, &from, promess_server::queue::now_secs() + 1)
            .await
            .unwrap();
        let mut emails: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&folder)
            .unwrap()
            .flatten()
            // Quoted-printable's soft line breaks joined: a long link is one line again.
            .map(|e| {
                let eml = std::fs::read_to_string(e.path()).unwrap().replace("=\r\n", "").replace("=\n", "");
                (e.metadata().unwrap().modified().unwrap(), eml)
            })
            .filter(|(_, eml)| eml.contains(&format!("To: {to}")) && eml.contains(&format!("{}{path}", self.base)))
            .collect();
        emails.sort();
        let (_, eml) = emails.last().expect("an email with such a link to this address");
        let start = eml.find(&format!("{}{path}", self.base)).expect("a link in the email");
        eml[start..].chars().take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<').collect()
    }

    /// The provisioning worker's round: the accounts due written to `to`; how many.
    pub async fn provision(&self, to: &promess_server::provisioning::Provisioner) -> usize {
        let now = promess_server::queue::now_secs();
        promess_server::provisioning::provision_due(&self.store, to, now).await.unwrap()
    }

    /// The forgotten-password requests' round of the queue (the server's worker does it every few seconds).
    pub async fn send_reset_links(&self) {
        let job = promess_server::account::life::ResetLinks { public_url: self.base.clone() };
        promess_server::queue::run_due(&self.store, &job, promess_server::queue::now_secs() + 1).await.unwrap();
    }

    /// A request from another professional, straight to the API as the wizard sends it (`body`, JSON), then its
    /// email link followed: a request in review. Its identifier and the recovery codes of its app.
    pub async fn request_in_review(&self, body: &str, email: &str) -> (String, Vec<String>) {
        let post = |path: &str, body: &str| {
            let port = self.base.rsplit(':').next().unwrap();
            let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
            write!(
                stream,
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
            answer
        };
        // Its second factor first, as the wizard's step 3 sets it up.
        let setup = post("/api/facteurs", r#"{"type":"totp","identifiant":"cecile.sage"}"#);
        let setup: serde_json::Value = serde_json::from_str(setup.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        let code = app_code(setup["secret"].as_str().unwrap());
        let id = setup["id"].as_str().unwrap();
        let confirmed = post(&format!("/api/facteurs/{id}/confirmation"), &format!("{{\"code\":\"{code}\"}}"));
        assert!(confirmed.starts_with("HTTP/1.1 200"), "{confirmed}");
        let codes: serde_json::Value = serde_json::from_str(confirmed.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        let codes = codes["codes_secours"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        let mut body: serde_json::Value = serde_json::from_str(body).unwrap();
        body["donnees"]["facteur"] = id.into();
        let answer = post("/api/registrations", &body.to_string());
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
        let identifiant = answer.split("\"identifiant\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let link = self.email_link(email).await;
        let token = link.split('#').nth(1).unwrap();
        let confirmed = post("/api/confirmations", &format!("{{\"jeton\":\"{token}\"}}"));
        assert!(confirmed.starts_with("HTTP/1.1 200") && confirmed.contains("en_verification"), "{confirmed}");
        (identifiant, codes)
    }

    /// The subjects of the emails to `identifiant`'s request, oldest first.
    pub async fn subjects(&self, identifiant: &str) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT o.subject FROM outbox o JOIN registrations r ON r.id = o.registration_id \
             WHERE r.identifiant = $1 ORDER BY o.created_at, o.id",
        )
        .bind(identifiant)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }

    /// The state of the request of `identifiant`.
    pub async fn statut(&self, identifiant: &str) -> String {
        sqlx::query_scalar("SELECT statut FROM registrations WHERE identifiant = $1")
            .bind(identifiant)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The browser engine of a test run: Chromium (chromedriver) by default, Firefox ESR (geckodriver) when
/// `PROMESS_BROWSER=firefox`; `scripts/test` runs the journeys in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
}

impl Engine {
    pub fn of_this_run() -> Engine {
        match std::env::var("PROMESS_BROWSER").as_deref() {
            Ok("firefox") => Engine::Firefox,
            _ => Engine::Chromium,
        }
    }
}

/// A WebDriver server (chromedriver or geckodriver) on a free loopback port, killed on drop.
pub struct ChromeDriver {
    child: Child,
    pub url: String,
    pub engine: Engine,
}

/// At most this many browsers at once (a 2-core CI machine runs the tests of this crate in parallel).
const MAX_BROWSERS: usize = 2;
static BROWSERS: (std::sync::Mutex<usize>, std::sync::Condvar) = (std::sync::Mutex::new(0), std::sync::Condvar::new());

impl ChromeDriver {
    pub fn start() -> ChromeDriver {
        {
            let (count, freed) = &BROWSERS;
            let mut n = count.lock().unwrap_or_else(|p| p.into_inner());
            while *n >= MAX_BROWSERS {
                n = freed.wait(n).unwrap_or_else(|p| p.into_inner());
            }
            *n += 1;
        }
        let engine = Engine::of_this_run();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = match engine {
            Engine::Chromium => {
                let mut c = Command::new("chromedriver");
                c.arg(format!("--port={port}"));
                c
            }
            Engine::Firefox => {
                let mut c = Command::new("geckodriver");
                c.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
                c
            }
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (chromium-driver) or geckodriver must be installed: scripts/setup does it");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the WebDriver server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        ChromeDriver { child, url: format!("http://127.0.0.1:{port}"), engine }
    }

    /// A headless browser session (Debian's Chromium or Firefox ESR), with a fresh profile.
    pub async fn browser(&self) -> Client {
        self.session("normal").await
    }

    /// A session whose navigations return once the page is parsed, without waiting for what it loads (the app's
    /// wasm held back by [`StaticServer::hold_wasm`]).
    pub async fn browser_eager(&self) -> Client {
        self.session("eager").await
    }

    async fn session(&self, page_load_strategy: &str) -> Client {
        let mut caps = serde_json::Map::new();
        match self.engine {
            Engine::Chromium => caps.insert(
                "goog:chromeOptions".into(),
                serde_json::json!({
                    "binary": "/usr/bin/chromium",
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--window-size=1280,900"
                    ]
                }),
            ),
            Engine::Firefox => caps.insert(
                "moz:firefoxOptions".into(),
                serde_json::json!({
                    "binary": "/usr/bin/firefox-esr",
                    "args": ["-headless", "--width=1280", "--height=900"],
                    // WebAuthn by the test token, whose authenticators are WebDriver's virtual ones (no USB key asked for).
                    "prefs": {
                        "app.update.enabled": false, "browser.shell.checkDefaultBrowser": false,
                        "security.webauth.webauthn_enable_softtoken": true,
                        "security.webauth.webauthn_enable_usbtoken": false
                    }
                }),
            ),
        };
        caps.insert("pageLoadStrategy".into(), page_load_strategy.into());
        let client = ClientBuilder::new(HttpConnector::new()).capabilities(caps).connect(&self.url).await;
        let client = client.expect("WebDriver session");
        if self.engine == Engine::Firefox {
            // --width/--height size the screen; the window follows.
            let _ = client.set_window_size(1280, 900).await;
        }
        client
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (count, freed) = &BROWSERS;
        *count.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// Waits for an element (10 s at most).
pub async fn find(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
}

/// The text of the first element matching `css`, for [`until`] to poll: an element the page replaced meanwhile
/// (stale) reads as empty and is found again at the next poll.
pub async fn text_of(client: &Client, css: &str) -> String {
    find(client, css).await.text().await.unwrap_or_default()
}

/// Opens `url` and waits for the app to be running: the prerendered page (src/shell.rs) replaced, so
/// that no element found afterwards is one of the page's, gone the next moment.
pub async fn open(client: &Client, url: &str) {
    client.goto(url).await.unwrap();
    app_running(client).await;
}

/// Reloads the page and waits for the app to be running, as [`open`] does.
pub async fn reload(client: &Client) {
    client.refresh().await.unwrap();
    app_running(client).await;
}

/// Waits until the app has taken the prerendered page over (src/shell.rs).
pub async fn app_running(client: &Client) {
    let shell_gone = || async {
        let gone = format!("return !document.getElementById('{}')", promess_web::shell::names::SHELL);
        let gone = client.execute(&gone, vec![]).await;
        if gone.ok().and_then(|v| v.as_bool()) == Some(true) { "yes".to_owned() } else { String::new() }
    };
    assert_eq!(until(shell_gone, |g| g == "yes").await, "yes", "the app never took over the page");
}

/// Polls `read` until `accept` holds (10 s at most); returns the last value read.
pub async fn until<F, Fut>(mut read: F, accept: impl Fn(&str) -> bool) -> String
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = read().await;
        if accept(&value) || Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the button or link whose text contains `text`.
pub async fn click_text(client: &Client, text: &str) {
    let xpath = format!("//*[self::button or self::a][contains(normalize-space(.), \"{text}\")]");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {text:?}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Types into the field with this id (after clearing it).
pub async fn fill(client: &Client, id: &str, value: &str) {
    let field = find(client, &format!("#{id}")).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Chooses an option of the select with this id, by value.
pub async fn select(client: &Client, id: &str, value: &str) {
    // The list gets the focus first, as when a user opens it: a long list is drawn then (src/fields.rs).
    find(client, &format!("#{id}")).await;
    client.execute(&format!("document.getElementById('{id}').focus()"), vec![]).await.unwrap();
    find(client, &format!("#{id} option[value='{value}']")).await.click().await.unwrap();
}

/// A password every rule accepts, 64 characters long (the meter's worst case).
pub const STRONG_64: &str = "Correct-Cheval-Batterie-Agrafe!42#Lyon_69002+Marseille/13001xQz";

/// The page's h1 text; empty while there is none yet or it is being redrawn (for `until`).
pub async fn heading(c: &Client) -> String {
    match c.find(Locator::Css("h1")).await {
        Ok(h1) => h1.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// axe-core (npm, node_modules/axe-core) run on the page at each screen and state of a journey; what it finds of
/// impact "serious" or "critical" is kept, to be asserted empty at the end (so that one run reports every screen).
#[derive(Default)]
pub struct Audit {
    found: std::sync::Mutex<Vec<String>>,
    checked: std::sync::Mutex<Vec<String>>,
}

impl Audit {
    pub async fn check(&self, c: &Client, state: &str) {
        let axe = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/axe-core/axe.min.js"),
        )
        .expect("axe-core is installed by scripts/setup (npm ci)");
        c.execute(&axe, vec![]).await.expect("axe-core loads");
        let script = "const done = arguments[arguments.length - 1];\
            axe.run(document, { resultTypes: ['violations'] })\
              .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' [' + v.nodes.map(n => n.target.join(' ')).join(', ') + ']')))\
              .catch(e => done(['axe failed: ' + e]));";
        let result = c.execute_async(script, vec![]).await.expect("axe runs");
        let violations: Vec<String> =
            serde_json::from_value(result).unwrap_or_else(|e| vec![format!("axe answer: {e}")]);
        self.found.lock().unwrap().extend(violations.into_iter().map(|v| format!("{state}: {v}")));
        self.checked.lock().unwrap().push(state.to_owned());
    }

    /// The states checked so far.
    pub fn checked(&self) -> Vec<String> {
        self.checked.lock().unwrap().clone()
    }

    /// The serious and critical violations found so far.
    pub fn violations(&self) -> Vec<String> {
        self.found.lock().unwrap().clone()
    }
}

/// Step 4 (address shown, directory answers, CGU) up to the review; `phone` is the E.164 number to publish.
/// With an audit, the step is checked empty and with its errors shown.
pub async fn step4_to_the_review(c: &Client, expected_id: &str, phone: &str, audit: Option<&Audit>) {
    assert_eq!(until(|| heading(c), |t| t.contains("Étape 4/4")).await, "Étape 4/4 : Adhésion");
    if let Some(audit) = audit {
        audit.check(c, "étape 4, vide").await;
        click_text(c, "Valider").await;
        find(c, "[aria-invalid=true]").await;
        audit.check(c, "étape 4, erreurs affichées").await;
    }
    let address = find(c, "#adresse_securisee").await.prop("value").await.unwrap();
    assert_eq!(address, Some(format!("{expected_id}@sante-na.fr")));
    find(c, "#liste_rouge-non").await.click().await.unwrap();
    find(c, "#publier_telephone").await.click().await.unwrap();
    select(c, "telephone_publie", phone).await;
    find(c, "#cgu").await.click().await.unwrap();
    click_text(c, "Valider").await;
    assert_eq!(until(|| heading(c), |t| t.contains("Récapitulatif")).await, "Récapitulatif de votre demande");
}

/// The focused element: its id, its text (or value), and whether its focus is visible (a drawn outline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    pub id: String,
    pub text: String,
    pub tag: String,
    pub visible: bool,
}

pub async fn focused(c: &Client) -> Focus {
    let v = c
        .execute(
            "const e = document.activeElement; const s = getComputedStyle(e);\
             return [e.id || '', (e.innerText || e.value || '').trim(), e.tagName.toLowerCase(),\
                     s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2];",
            vec![],
        )
        .await
        .unwrap();
    Focus {
        id: v[0].as_str().unwrap_or_default().to_owned(),
        text: v[1].as_str().unwrap_or_default().to_owned(),
        tag: v[2].as_str().unwrap_or_default().to_owned(),
        visible: v[3].as_bool().unwrap_or(false),
    }
}

/// Keys to the focused element, as a keyboard would send them.
pub async fn press(c: &Client, keys: &str) {
    c.active_element().await.unwrap().send_keys(keys).await.unwrap();
}

pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const SPACE: &str = "\u{E00D}";
pub const ARROW_DOWN: &str = "\u{E015}";
pub const END: &str = "\u{E010}";
pub const SHIFT_TAB: &str = "\u{E008}\u{E004}\u{E000}";

/// Presses Tab until the focus is on what `want` accepts (80 presses at most); every stop on the way must show
/// its focus.
pub async fn tab_to(c: &Client, want: impl Fn(&Focus) -> bool) -> Focus {
    for _ in 0..80 {
        press(c, TAB).await;
        let f = focused(c).await;
        if f.tag != "body" {
            assert!(f.visible, "focus not visible on {f:?}");
        }
        if want(&f) {
            return f;
        }
    }
    panic!("Tab never reached the element; last focus: {:?}", focused(c).await);
}

/// Tabs to the field with this id and types `text` into it.
pub async fn tab_and_type(c: &Client, id: &str, text: &str) {
    tab_to(c, |f| f.id == id).await;
    press(c, text).await;
}

/// The code an authenticator app shows now for the key shown on step 3 (spaces between its groups).
pub fn app_code(key: &str) -> String {
    let secret: String = key.split_whitespace().collect();
    let app = promess_server::factors::totp(&secret, "e2e", promess_server::factors::ISSUER).unwrap();
    app.generate(promess_server::queue::now_secs() as u64)
}

/// Step 3's second factor, as a professional sets up an authenticator app: the key read on the page, the app's code
/// typed, the recovery codes said kept. The key (as the app keeps it) and the recovery codes.
pub async fn secure_with_an_app(c: &Client) -> (String, Vec<String>) {
    click_text(c, "Configurer une application d'authentification").await;
    let key = until(|| text_of(c, "#cle-secrete"), |t| !t.is_empty()).await;
    fill(c, "code-facteur", &app_code(&key)).await;
    find(c, "#verifier-code").await.click().await.unwrap();
    let codes = || text_of(c, "#codes-secours");
    let codes = until(codes, |t| t.split_whitespace().count() == promess_core::factor::RECOVERY_CODES).await;
    find(c, "#codes_conserves").await.click().await.unwrap();
    (key, codes.split_whitespace().map(str::to_owned).collect())
}

/// Signs in to the account space at `base`: the identifier and password, then `code` (the app's or a recovery code).
pub async fn sign_in_to_the_account(c: &Client, base: &str, login: &str, password: &str, code: &str) {
    open(c, &format!("{base}/compte")).await;
    fill(c, "identifiant", login).await;
    fill(c, "mot_de_passe", password).await;
    click_text(c, "Continuer").await;
    until(|| heading(c), |t| t.contains("Second facteur")).await;
    fill(c, "code", code).await;
    click_text(c, "Se connecter").await;
}

/// A command of W3C WebAuthn's WebDriver extension (§11.3: virtual authenticators), on this session: `path` under
/// `/session/{id}/webauthn/`.
#[derive(Debug)]
struct WebAuthnCommand {
    method: http::Method,
    path: String,
    body: Option<serde_json::Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/{}", session.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (self.method.clone(), self.body.as_ref().map(|b| b.to_string()))
    }
}

/// A virtual authenticator in this browser, as a FIDO2 security key (CTAP2 over USB, with a PIN: user verification)
/// that the person always touches: its id.
pub async fn virtual_authenticator(c: &Client) -> String {
    let options = serde_json::json!({
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": true, "hasUserVerification": true,
        "isUserConsenting": true, "isUserVerified": true,
    });
    let command = WebAuthnCommand { method: http::Method::POST, path: "authenticator".into(), body: Some(options) };
    let id = c.issue_cmd(command).await.expect("WebDriver's virtual authenticators (W3C WebAuthn extension)");
    id.as_str().expect("the authenticator's id").to_owned()
}

/// The credentials a virtual authenticator holds, as WebDriver lists them (id, RP id, sign count…).
pub async fn authenticator_credentials(c: &Client, authenticator: &str) -> Vec<serde_json::Value> {
    let path = format!("authenticator/{authenticator}/credentials");
    let command = WebAuthnCommand { method: http::Method::GET, path, body: None };
    let listed = c.issue_cmd(command).await.expect("the authenticator's credentials");
    listed.as_array().cloned().unwrap_or_default()
}

/// Empties a virtual authenticator (the key lost, or wiped).
pub async fn remove_credentials(c: &Client, authenticator: &str) {
    let path = format!("authenticator/{authenticator}/credentials");
    let command = WebAuthnCommand { method: http::Method::DELETE, path, body: None };
    c.issue_cmd(command).await.expect("the authenticator's credentials removed");
}

/// Step 3's second factor with a passkey (the browser's authenticator: a virtual one in the tests): the recovery
/// codes shown, kept.
pub async fn secure_with_a_passkey(c: &Client) -> Vec<String> {
    find(c, "#creer-cle").await.click().await.unwrap();
    // The codes, or the page's message saying why not.
    let shown = || async {
        let script = "return (document.getElementById('codes-secours') || document.getElementById('facteur-message'))?.innerText || ''";
        c.execute(script, vec![]).await.unwrap().as_str().unwrap_or_default().to_owned()
    };
    let codes = until(shown, |t| !t.is_empty()).await;
    let fieldset = c.execute("return document.querySelector('fieldset.groupe:last-of-type')?.innerText", vec![]).await;
    assert_eq!(codes.split_whitespace().count(), promess_core::factor::RECOVERY_CODES, "{codes} {fieldset:?}");
    find(c, "#codes_conserves").await.click().await.unwrap();
    codes.split_whitespace().map(str::to_owned).collect()
}

/// Signs in to the account space at `base` with the identifier and password, then the passkey.
pub async fn sign_in_with_a_passkey(c: &Client, base: &str, login: &str, password: &str) {
    open(c, &format!("{base}/compte")).await;
    fill(c, "identifiant", login).await;
    fill(c, "mot_de_passe", password).await;
    click_text(c, "Continuer").await;
    until(|| heading(c), |t| t.contains("Second facteur")).await;
    find(c, "#utiliser-cle").await.click().await.unwrap();
}
