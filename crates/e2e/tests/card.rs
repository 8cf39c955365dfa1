//! Registration with the CPS card, end to end: headless Chromium on the release build served by the real server,
//! the real card agent on its default loopback port (the one index.html names), a real pcscd with the vpcd driver
//! and the simulated CPS3 card. From step 1 to the confirmation; the stored registration carries the card's identity.
use fantoccini::{Client, Locator};
use promess_card_agent::{AgentConfig, app};
use promess_card_sim::{Identity, pcscd::Pcscd, vpcd::Inserted};
use promess_e2e::{
    Audit, Backend, ChromeDriver, STRONG_64, click_text, fill, find, heading, ldap_directory, open, reload, select,
    step4_to_the_review, until,
};
use std::time::Duration;

/// The agent's address in index.html's `<meta name="promess:agent">`.
const AGENT: &str = "127.0.0.1:8765";

async fn start_agent(app_origin: &str) {
    start_agent_bounded(app_origin, Duration::from_secs(20)).await
}

async fn start_agent_bounded(app_origin: &str, timeout: Duration) {
    let listener = tokio::net::TcpListener::bind(AGENT)
        .await
        .unwrap_or_else(|e| panic!("{AGENT} is taken ({e}): stop the card agent that runs there (scripts/run) first"));
    let agent = app(AgentConfig { origins: vec![app_origin.to_owned()], timeout, session: AgentConfig::SESSION });
    tokio::spawn(async move { axum::serve(listener, agent).await });
}

async fn text(c: &Client, css: &str) -> String {
    find(c, css).await.text().await.unwrap()
}

/// pcscd and the agent's port are one per machine: the tests take turns.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Clicks "Oui, j'ai une carte CPS", then "Tester à nouveau" while pcscd has not seen the cards yet, until `css`.
async fn card_path_until(c: &Client, css: &str) {
    click_text(c, "Oui, j'ai une carte CPS").await;
    for _ in 0..20 {
        if c.find(Locator::Css(css)).await.is_ok() {
            return;
        }
        if c.find(Locator::Css("#carte-probleme")).await.is_ok() {
            click_text(c, "Tester à nouveau").await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("never reached {css}: {}", text(c, "#carte-etat").await);
}

#[path = "../../server/tests/common/mail_system.rs"]
mod mail_system;

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_with_the_simulated_cps_card_opens_its_mailbox_over_imap() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let logs = promess_e2e::logs();
    let pcscd = Pcscd::start().expect("pcscd");
    // A PIN found nowhere else, to search for it at the end.
    const PIN: &str = "73914826";
    let identity = Identity { pin: PIN.into(), ..Identity::example_doctor() };
    let (_card, authority) = Inserted::card_of(pcscd.vpcd_addr(), identity).unwrap();
    let backend = Backend::start_trusting("card", Some(&authority)).await;
    start_agent(&backend.base).await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let h1 = || heading(&c);

    open(&c, &format!("{}/", backend.base)).await;
    // pcscd needs a moment to see the card: "Tester à nouveau" until the PIN is asked.
    card_path_until(&c, "#pin").await;
    let who = text(&c, "#contenu-carte").await;
    assert!(who.contains("PAUL MARTIN — Médecin, RPPS 10005173140"), "{who}");
    assert!(who.contains("Il vous reste 3 essais."), "{who}");

    // A wrong PIN first: the card counts it.
    fill(&c, "pin", "0000").await;
    click_text(&c, "Valider le code").await;
    let error = until(|| text(&c, "#pin-erreur"), |t| t.contains("incorrect")).await;
    assert_eq!(error, "Code porteur : code incorrect. Il vous reste 2 essais.");
    fill(&c, "pin", PIN).await;
    click_text(&c, "Valider le code").await;

    // Step 2 arrives filled in from the card, locked.
    assert_eq!(until(h1, |t| t.contains("Étape 2/4")).await, "Étape 2/4 : Données personnelles");
    let value = |id: &'static str| {
        let c = &c;
        async move { find(c, &format!("#{id}")).await.prop("value").await.unwrap().unwrap_or_default() }
    };
    assert_eq!(
        (value("nom").await, value("prenom").await, value("rpps").await),
        ("MARTIN".into(), "PAUL".into(), "10005173140".into())
    );
    assert_eq!(
        (value("profession").await, value("civilite").await, value("specialite_rpps").await),
        ("10".into(), "DR".into(), "SM54".into())
    );
    assert!(find(&c, "#nom").await.attr("readonly").await.unwrap().is_some(), "locked");
    select(&c, "naissance", "12").await;
    select(&c, "naissance_mois", "5").await;
    fill(&c, "email", "paul.martin@exemple.fr").await;
    fill(&c, "email_confirmation", "paul.martin@exemple.fr").await;
    fill(&c, "lieu_exercice", "Cabinet médical des Chartrons").await;
    fill(&c, "telephone", "05 56 11 22 33").await;
    click_text(&c, "Suivant").await;

    assert_eq!(until(h1, |t| t.contains("Étape 3/4")).await, "Étape 3/4 : Choix de votre identifiant");
    assert_eq!(until(|| value("identifiant"), |v| v == "paul.martin").await, "paul.martin");
    fill(&c, "mot_de_passe", STRONG_64).await;
    fill(&c, "mot_de_passe_confirmation", STRONG_64).await;
    let meter = || async { find(&c, "[data-testid=meter]").await.attr("class").await.unwrap().unwrap_or_default() };
    until(meter, |m| m.contains("satisfaisante")).await;
    promess_e2e::secure_with_an_app(&c).await;
    click_text(&c, "Suivant").await;
    step4_to_the_review(&c, "paul.martin", "+33556112233", None).await;
    let recap = text(&c, "main").await;
    assert!(recap.contains("Avec carte CPS (identifiant national 810005173140)"), "{recap}");

    // Sending: a challenge of the server, signed by the card (its PIN verified at step 1), checked by the server.
    click_text(&c, "Envoyer ma demande").await;
    assert_eq!(until(h1, |t| t.contains("enregistrée")).await, "Votre demande d'adhésion est enregistrée");
    type Row = (String, String, String, String, String, i64);
    let (rpps, civilite, donnees, emetteur, algorithme, verifie): Row = sqlx::query_as(
        "SELECT rpps, civilite, donnees, carte_emetteur, carte_algorithme, carte_verifiee_le FROM registrations \
         WHERE identifiant = 'paul.martin'",
    )
    .fetch_one(&backend.db)
    .await
    .unwrap();
    assert_eq!((rpps.as_str(), civilite.as_str()), ("10005173140", "DR"));
    assert!(emetteur.contains("AC TEST PROMESS") && algorithme == "RS256", "{emetteur} {algorithme}");
    assert!(verifie > 0, "the proof's verification time");
    let stored: serde_json::Value = serde_json::from_str(&donnees).unwrap();
    assert_eq!(stored["mode"], "carte");
    assert_eq!(stored["carte"]["identifiant_national"], "810005173140");
    assert_eq!(stored["carte"]["certificat"].as_str().map(str::len), Some(64));
    assert!(!donnees.contains("pin"), "the PIN never reaches the backend: {donnees}");
    let (spent,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM card_challenges WHERE spent_at IS NOT NULL")
        .fetch_one(&backend.db)
        .await
        .unwrap();
    assert_eq!(spent, 1, "one challenge, spent by the registration");
    // Proven by the card: an account as soon as the email is confirmed, and the screen says so.
    assert!(text(&c, "main").await.contains("activé dès la confirmation de votre adresse"));
    assert_eq!(backend.statut("paul.martin").await, "email_a_confirmer");
    let to: String = sqlx::query_scalar("SELECT email FROM registrations").fetch_one(&backend.db).await.unwrap();
    open(&c, &backend.email_link(&to).await).await;
    click_text(&c, "Confirmer mon adresse électronique").await;
    until(|| text(&c, "main"), |t| t.contains("votre compte est activé")).await;
    assert_eq!(backend.statut("paul.martin").await, "active");
    // The account goes to the mail system's directory; its IMAP server lets the doctor in with his password.
    let mail = mail_system::MailSystem::start("e2e-card");
    let (admin, password) = (mail_system::ADMIN_DN, mail_system::ADMIN_PASSWORD);
    assert_eq!(backend.provision(&ldap_directory(mail.ldap_url(), admin, password, mail_system::PEOPLE)).await, 1);
    let login = mail.imap_login("paul.martin", STRONG_64);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());

    // The account space: the card signs the doctor in (its PIN to the agent only, a challenge of the server signed).
    open(&c, &format!("{}/compte", backend.base)).await;
    fill(&c, "code-porteur", PIN).await;
    find(&c, "#avec-carte").await.click().await.unwrap();
    let signed_in = until(h1, |t| t.contains("Mon compte")).await;
    assert_eq!(signed_in, "Mon compte", "{}", text(&c, "main").await);
    assert!(text(&c, "main").await.contains("connexion (carte CPS)"));
    let (spent,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM card_challenges WHERE spent_at IS NOT NULL")
        .fetch_one(&backend.db)
        .await
        .unwrap();
    assert_eq!(spent, 2, "the sign-in's challenge spent too");

    // The secrets typed (the password, the PIN) are nowhere: not in the database's files, the emails, the mail
    // directory, the logs of the server and the agent, the browser's storage.
    let storage =
        "return JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage), document.cookie])";
    let mut places =
        vec![("browser storage".to_owned(), c.execute(storage, vec![]).await.unwrap().to_string().into_bytes())];
    backend.db.close().await;
    // The folders of the database and its emails, and the directory's database.
    let folders = [backend.dir.clone(), backend.dir.join("outbox"), mail.dir.join("ldap")];
    for entry in folders.iter().flat_map(|f| std::fs::read_dir(f).unwrap()) {
        let path = entry.unwrap().path();
        if path.is_file() {
            places.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(places.iter().any(|(p, _)| p.ends_with("promess.db")) && places.iter().any(|(p, _)| p.ends_with(".eml")));
    assert!(places.iter().any(|(p, _)| p.ends_with("data.mdb")), "the directory's database");
    let logged = logs.lock().unwrap().clone();
    assert!(String::from_utf8_lossy(&logged).contains("email confirmed"), "the server's logs are captured");
    places.push(("the server's and the card agent's logs, every level".to_owned(), logged));
    for (place, bytes) in &places {
        for secret in [STRONG_64, PIN] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} found in {place}");
        }
    }
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_cards_the_last_try_and_a_blocked_card() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let pcscd = Pcscd::start().expect("pcscd");
    let insert = |addr: String, identity: Identity| Inserted::card_of(addr, identity).unwrap().0;
    let _first = insert(pcscd.vpcd_addr(), Identity::example());
    // The vpcd driver's second reader listens on the next port.
    let _second = insert(format!("127.0.0.1:{}", pcscd.port + 1), Identity::example_doctor());
    let backend = Backend::start("card-blocked").await;
    start_agent(&backend.base).await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let audit = Audit::default();
    open(&c, &format!("{}/", backend.base)).await;

    // Two cards: the user chooses, by reader and card kind.
    card_path_until(&c, "ul.lecteurs").await;
    let choices = text(&c, "ul.lecteurs").await;
    assert!(
        choices.contains("Virtual PCD 00 00 (carte CPS3)") && choices.contains("Virtual PCD 00 01 (carte CPS3)"),
        "{choices}"
    );
    audit.check(&c, "carte : choix entre deux cartes").await;
    click_text(&c, "Virtual PCD 00 01").await;
    find(&c, "#pin").await;
    assert!(text(&c, "#contenu-carte").await.contains("PAUL MARTIN"), "the second card was read");
    audit.check(&c, "carte : code porteur").await;

    for (typed, left) in [("1111", "2 essais"), ("2222", "1 essai")] {
        fill(&c, "pin", typed).await;
        click_text(&c, "Valider le code").await;
        let error = until(|| text(&c, "#pin-erreur"), |t| t.contains(left)).await;
        assert!(error.contains(left), "{error}");
    }
    // The last try must be confirmed.
    find(&c, "#pin-dernier").await;
    audit.check(&c, "carte : dernier essai").await;
    fill(&c, "pin", "3333").await;
    click_text(&c, "Valider le code").await;
    let error = until(|| text(&c, "#pin-erreur"), |t| t.contains("confirmez")).await;
    assert!(error.contains("confirmez l'utilisation de votre dernier essai"), "{error}");
    find(&c, "#pin-dernier").await.click().await.unwrap();
    fill(&c, "pin", "3333").await;
    click_text(&c, "Valider le code").await;

    let blocked = until(|| text(&c, "#carte-etat"), |t| t.contains("Votre carte CPS est bloquée")).await;
    assert!(blocked.contains("Votre carte CPS est bloquée") && blocked.contains("05 64 090 090"), "{blocked}");
    audit.check(&c, "carte : carte bloquée").await;
    let violations = audit.violations();
    assert!(violations.is_empty(), "axe-core, serious or critical:\n{}", violations.join("\n"));

    // The manual path is one click away, nothing locked.
    click_text(&c, "Continuer sans carte CPS").await;
    find(&c, "#nom").await;
    assert!(find(&c, "#nom").await.attr("readonly").await.unwrap().is_none());
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_card_read_that_lasts_too_long_is_a_technical_problem() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let pcscd = Pcscd::start().expect("pcscd");
    let (card, _ca) = Inserted::card_of(pcscd.vpcd_addr(), Identity::example()).unwrap();
    let backend = Backend::start("card-slow").await;
    start_agent_bounded(&backend.base, Duration::from_secs(2)).await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    open(&c, &format!("{}/", backend.base)).await;
    // Let pcscd see the card, then make it stop answering commands.
    card_path_until(&c, "#pin").await;
    card.hold_commands(true);
    reload(&c).await;
    click_text(&c, "Oui, j'ai une carte CPS").await;
    let said = until(|| text(&c, "#carte-etat"), |t| t.contains("problème technique")).await;
    assert!(said.contains("la lecture de la carte CPS dure trop longtemps, il y a un problème technique"), "{said}");
    assert!(said.contains("05 64 090 090") && said.contains("support@esea-na.fr"), "{said}");
    card.hold_commands(false);
    click_text(&c, "Continuer sans carte CPS").await;
    find(&c, "#nom").await;
    c.close().await.unwrap();
}
