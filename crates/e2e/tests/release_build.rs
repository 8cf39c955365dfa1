//! The release build, as scripts/build writes it to dist/, in headless Chromium: the manual path from step 1 to the
//! review (each later screen fetched from its wasm chunk), the strength meter computed by the real Web Worker, and
//! the worker and the later screens kept out of the first download.
use fantoccini::{
    Client, Locator,
    actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction},
};
use promess_e2e::{
    ARROW_DOWN, Audit, Backend, ChromeDriver, END, ENTER, SHIFT_TAB, SPACE, STRONG_64, StaticServer, app_code,
    app_running, click_text, dist, fill, find, focused, heading, open, press, secure_with_an_app, select,
    step4_to_the_review, tab_and_type, tab_to, text_of, until,
};
use promess_web::shell::names::{CLICK, NO_CARD, PRESS, SCREEN, SHELL, SHOWN};
use std::time::Duration;

/// The first wasm file of dist/ whose name starts with `prefix` and ends with `suffix`.
fn dist_wasm(prefix: &str, suffix: &str) -> Vec<u8> {
    let entry = std::fs::read_dir(dist())
        .unwrap()
        .flatten()
        .find(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix) && name.ends_with(suffix)
        })
        .unwrap_or_else(|| panic!("no {prefix}*{suffix} in dist"));
    std::fs::read(entry.path()).unwrap()
}

fn has(bytes: &[u8], needle: &str) -> bool {
    has_bytes(bytes, needle.as_bytes())
}

fn has_bytes(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_word_lists_live_in_the_worker_wasm_only_and_packed() {
    let (main, worker) = (dist_wasm("promess-web-", "_bg.wasm"), dist_wasm("strength_worker", "_bg.wasm"));
    let packed = promess_strength::packed_word_lists();
    for sample in [&packed[..64], &packed[packed.len() / 2..][..64], &packed[packed.len() - 64..]] {
        assert!(has_bytes(&worker, sample), "the worker wasm should hold the packed lists");
        assert!(!has_bytes(&main, sample), "the word lists leaked into the main wasm");
    }
    // "qwerty" is the 4th password of the lists: their text is in neither.
    assert!(!has(&worker, "\nqwerty\n") && !has(&main, "\nqwerty\n"), "the lists' text shipped unpacked");
}

#[test]
fn step_1_is_in_the_page_and_every_screen_comes_in_a_chunk() {
    let page = std::fs::read_to_string(dist().join("index.html")).unwrap();
    for text in ["Non, je n'ai pas de carte CPS", "Saisie des données personnelles"] {
        assert!(page.contains(text), "{text:?} is in the page");
    }
    let main = dist_wasm("promess-web-", "_bg.wasm");
    // Texts of steps 1 and 2, of the card path, of step 4 and of the NOS labels (the rules only need the codes).
    for (prefix, text) in [
        ("split_first_steps-", "Non, je n'ai pas de carte CPS"),
        ("split_first_steps-", "Saisie des données personnelles"),
        ("split_later-", "Tester votre poste"),
        ("split_later-", "Conditions Générales et Particulières d'Utilisation"),
    ] {
        assert!(!has(&main, text), "{text:?} should not be in the main wasm");
        assert!(has(&dist_wasm(prefix, ".wasm"), text), "{text:?} should be in the {prefix} chunk");
    }
    for label in ["Allergologie", "Aide médico-psychologique", "Pyrénées-Atlantiques"] {
        assert!(!has(&main, label), "{label:?} should not be in the main wasm");
    }
}

/// The page works alone (steps 1 and 2), so the page's script starts the app once the page is parsed and painted
/// (src/shell.js): nothing in the page's head fetches the app while step 1 is being painted (a browser checks the
/// order in `the_first_frame_is_step_1_with_its_choice`).
#[test]
fn the_app_is_fetched_once_the_page_has_painted() {
    let page = std::fs::read_to_string(dist().join("index.html")).unwrap();
    let head = &page[..page.find("</head>").expect("a head")];
    for fetches in ["rel=\"preload\"", "rel=\"modulepreload\"", "<script src", "<script type=\"module\"", "import("] {
        assert!(!head.contains(fetches), "{fetches} in the head fetches the app at once");
    }
    let body = &page[head.len()..];
    let script = body.split("<script>").nth(1).and_then(|s| s.split("</script>").next()).expect("the page's script");
    for part in ["DOMContentLoaded", "afterPaint(start)", "await import(", "_bg.wasm"] {
        assert!(script.contains(part), "the page's script starts the app after a frame ({part}):\n{script}");
    }
}

/// From step 1 to the review, by hand, as a professional would (typing key by key through WebDriver). With an
/// audit, every screen is checked by axe-core empty and with its errors shown (step 1: the card path without agent).
/// The manual path from step 1 to the review; the authenticator app's key and the recovery codes set up at step 3.
/// How step 3's second factor is set up.
#[derive(Clone, Copy, PartialEq)]
enum Secure {
    App,
    Passkey,
}

/// The manual path up to the review, the account secured by `secure`: the app's key (none for a passkey) and the
/// recovery codes.
async fn manual_registration_up_to_the_review(
    c: &Client,
    base: &str,
    expected_id: &str,
    audit: Option<&Audit>,
    secure: Secure,
) -> (String, Vec<String>) {
    open(c, &format!("{base}/")).await;
    let h1 = || heading(c);
    assert_eq!(until(h1, |t| t.contains("Étape 1/4")).await, "Étape 1/4 : Carte CPS");
    let errors_shown = || async { find(c, "[aria-invalid=true]").await };
    if let Some(audit) = audit {
        audit.check(c, "étape 1").await;
        click_text(c, "Oui, j'ai une carte CPS").await;
        find(c, "#carte-probleme").await;
        audit.check(c, "étape 1, carte : logiciel absent").await;
    }
    click_text(c, "Non, je n'ai pas de carte CPS").await;
    assert_eq!(until(h1, |t| t.contains("Étape 2/4")).await, "Étape 2/4 : Données personnelles");
    // The strength worker is started (it fetches its wasm and unpacks its word lists) while step 2 is filled in.
    let worker_fetched = || async {
        let script = "return performance.getEntriesByType('resource').some(e => e.name.includes('strength_worker'))";
        c.execute(script, vec![]).await.map(|v| v.to_string()).unwrap_or_default()
    };
    assert_eq!(until(worker_fetched, |fetched| fetched == "true").await, "true", "the worker is loaded at step 2");
    if let Some(audit) = audit {
        audit.check(c, "étape 2, vide").await;
        click_text(c, "Suivant").await;
        errors_shown().await;
        audit.check(c, "étape 2, erreurs affichées").await;
    }

    select(c, "civilite", "31").await;
    fill(c, "nom", "D'Arc-de Saint Éxupéry").await;
    fill(c, "prenom", "Jean-Pierre").await;
    select(c, "naissance", "29").await;
    select(c, "naissance_mois", "2").await;
    fill(c, "email", "jp.exupery@exemple.fr").await;
    fill(c, "email_confirmation", "jp.exupery@exemple.fr").await;
    fill(c, "lieu_exercice", "Cabinet de la Bastide").await;
    select(c, "profession", "10").await;
    fill(c, "rpps", "100 051 731 40").await;
    fill(c, "code_postal", "33100").await;
    fill(c, "ville", "Bordeaux").await;
    fill(c, "telephone", "05 56 00 00 00").await;
    let dep = find(c, "#departement").await;
    assert_eq!(dep.prop("value").await.unwrap().as_deref(), Some("33 - Gironde"));
    click_text(c, "Suivant").await;

    assert_eq!(until(h1, |t| t.contains("Étape 3/4")).await, "Étape 3/4 : Choix de votre identifiant");
    let id = until(
        || async { find(c, "#identifiant").await.prop("value").await.unwrap().unwrap_or_default() },
        |v| v == expected_id,
    )
    .await;
    assert_eq!(id, expected_id);
    if let Some(audit) = audit {
        audit.check(c, "étape 3, vide").await;
        click_text(c, "Suivant").await;
        errors_shown().await;
        audit.check(c, "étape 3, erreurs affichées").await;
    }

    let meter = || async { find(c, "[data-testid=meter]").await.attr("class").await.unwrap().unwrap_or_default() };
    let meter_text = || text_of(c, "[data-testid=meter]");
    fill(c, "mot_de_passe", "Bordeaux2024").await;
    let text = until(meter_text, |t| t.contains("Faible") || t.contains("Très faible") || t.contains("Moyen")).await;
    assert!(meter().await.contains("insuffisante"), "{text}");
    // 64 characters, typed key by key: the worker answers for the last one.
    fill(c, "mot_de_passe", STRONG_64).await;
    let class = until(meter, |c| c.contains("satisfaisante")).await;
    assert!(class.contains("satisfaisante"), "the worker never turned the meter green: {}", meter_text().await);
    assert!(meter_text().await.contains("Très fort"));
    let bar = || async {
        let script = "return getComputedStyle(document.querySelector('.jauge-barre span')).transform";
        c.execute(script, vec![]).await.unwrap().as_str().unwrap_or_default().to_owned()
    };
    let full = |t: &str| t == "none" || t == "matrix(1, 0, 0, 1, 0, 0)";
    assert!(full(&until(bar, full).await), "the bar is full");
    fill(c, "mot_de_passe_confirmation", STRONG_64).await;
    let (key, codes) = match secure {
        Secure::App => secure_with_an_app(c).await,
        Secure::Passkey => (String::new(), promess_e2e::secure_with_a_passkey(c).await),
    };
    assert_eq!(codes.len(), 10, "{codes:?}");
    if let Some(audit) = audit {
        audit.check(c, "étape 3, second facteur configuré").await;
    }
    click_text(c, "Suivant").await;

    step4_to_the_review(c, expected_id, "+33556000000", audit).await;
    if let Some(audit) = audit {
        audit.check(c, "récapitulatif").await;
    }
    (key, codes)
}

const JP: &str = "jean-pierre.d-arc-de-saint-exupery";

/// Someone else takes an identifier, straight in the database.
async fn take(backend: &Backend, identifiant: &str) {
    sqlx::query(
        "INSERT INTO registrations (id, identifiant, adresse, statut, civilite, nom, prenom, email, donnees, \
         password_hash, created_at) VALUES ($1, $1, $2, 'active', '31', 'X', 'Y', 'x@exemple.fr', '{}', 'x', 0)",
    )
    .bind(identifiant)
    .bind(format!("{identifiant}@sante-na.fr"))
    .execute(&backend.db)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_identifier_gets_the_next_proposal_and_a_race_asks_to_confirm() {
    let backend = Backend::start("taken").await;
    take(&backend, JP).await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let second = format!("{JP}2");
    manual_registration_up_to_the_review(&c, &backend.base, &second, None, Secure::App).await;
    // Between the proposal and the submission, someone gets the proposed identifier.
    take(&backend, &second).await;
    click_text(&c, "Envoyer ma demande").await;
    let error = || text_of(&c, "#envoi-erreur");
    let message = until(error, |t| t.contains("vient d'être attribué")).await;
    assert!(message.contains("Un nouvel identifiant vous est proposé"), "{message}");
    let third = format!("{JP}3");
    let review = || text_of(&c, "main");
    assert!(until(review, |t| t.contains(&format!("{third}@sante-na.fr"))).await.contains(&third));
    click_text(&c, "Envoyer ma demande").await;
    let h1 = || heading(&c);
    assert_eq!(until(h1, |t| t.contains("enregistrée")).await, "Votre demande d'adhésion est enregistrée");
    let (rpps,): (String,) = sqlx::query_as("SELECT rpps FROM registrations WHERE identifiant = $1")
        .bind(&third)
        .fetch_one(&backend.db)
        .await
        .unwrap();
    assert_eq!(rpps, "10005173140");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_service_fails_the_submission_says_so_and_keeps_the_answers() {
    // The whole wizard with the server (step 3's second factor needs it), then its database out of reach at sending.
    let backend = Backend::start("service-down").await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    manual_registration_up_to_the_review(&c, &backend.base, JP, None, Secure::App).await;
    backend.store.close().await;
    click_text(&c, "Envoyer ma demande").await;
    let error = || text_of(&c, "#envoi-erreur");
    let message = until(error, |t| t.contains("Vos réponses sont conservées")).await;
    assert!(message.contains("Vos réponses sont conservées"), "{message}");
    assert!(c.current_url().await.unwrap().path().ends_with("/recapitulatif"));
    let kept = find(&c, "main").await.text().await.unwrap();
    assert!(
        kept.contains("jp.exupery@exemple.fr") && kept.contains("Application d'authentification configurée"),
        "{kept}"
    );
    c.close().await.unwrap();
}

#[path = "../../server/tests/common/mail_system.rs"]
mod mail_system;

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_registration_is_reviewed_in_the_console_then_its_mailbox_opens_over_imap() {
    let mail = mail_system::MailSystem::start("e2e-manual");
    let backend = Backend::start("manual").await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let (key, codes) = manual_registration_up_to_the_review(&c, &backend.base, JP, None, Secure::App).await;
    click_text(&c, "Envoyer ma demande").await;
    let h1 = || heading(&c);
    assert_eq!(until(h1, |t| t.contains("enregistrée")).await, "Votre demande d'adhésion est enregistrée");
    let page = find(&c, "main").await.text().await.unwrap();
    assert!(page.contains("jean-pierre.d-arc-de-saint-exupery@sante-na.fr"), "{page}");
    assert!(page.contains("Confirmez votre adresse électronique") && page.contains("jp.exupery@exemple.fr"));
    assert!(page.contains("vérifiée par nos services auprès de l'annuaire national"), "without a card: {page}");
    assert!(page.contains("Recommandations générales"));
    let id = "jean-pierre.d-arc-de-saint-exupery";
    let (rpps, civilite, hash): (String, String, String) =
        sqlx::query_as("SELECT rpps, civilite, password_hash FROM registrations WHERE identifiant = $1")
            .bind(id)
            .fetch_one(&backend.db)
            .await
            .unwrap();
    assert_eq!((rpps.as_str(), civilite.as_str()), ("10005173140", "31"));
    assert!(promess_server::password::verify(STRONG_64, &hash));
    assert_eq!(backend.statut(id).await, "email_a_confirmer", "a request, not an account");
    let draft = c.execute("return sessionStorage.length", vec![]).await.unwrap();
    assert_eq!(draft, serde_json::json!(0), "the draft is cleared once registered");

    // The link of the email, opened in the browser: the page, nothing confirmed until the button is pressed.
    let link = backend.email_link("jp.exupery@exemple.fr").await;
    open(&c, &link).await;
    assert_eq!(until(h1, |t| t.contains("Confirmation")).await, "Confirmation de votre adresse électronique");
    assert_eq!(backend.statut(id).await, "email_a_confirmer", "opening the link confirms nothing");
    click_text(&c, "Confirmer mon adresse électronique").await;
    let said = || text_of(&c, ".confirme");
    let said = until(said, |t| t.contains("confirmée")).await;
    assert!(said.contains("en cours de vérification") && said.contains(id), "{said}");
    assert_eq!(backend.statut(id).await, "en_verification");
    assert_eq!(c.current_url().await.unwrap().fragment(), None, "the token leaves the address bar");
    // The same link again: already confirmed, said plainly.
    open(&c, &link).await;
    promess_e2e::reload(&c).await;
    click_text(&c, "Confirmer mon adresse électronique").await;
    let error = || text_of(&c, "[role=alert]");
    assert!(until(error, |t| t.contains("déjà été confirmée")).await.contains("aucune action n'est nécessaire"));

    // In review, no mailbox yet. The operator imports the national directory's extract, signs in to the console
    // with a TOTP code, finds the request, sees it match the directory and accepts it.
    assert!(mail.imap_login(id, STRONG_64).is_err(), "no mailbox before the acceptance");
    let other = serde_json::json!({
        "donnees": promess_core::registration::examples::valid_draft(),
        "secret": { "mot_de_passe": promess_core::registration::examples::STRONG_PASSWORD,
                    "mot_de_passe_confirmation": promess_core::registration::examples::STRONG_PASSWORD },
    });
    let (cecile, _) = backend.request_in_review(&other.to_string(), "cecile.sage@exemple.fr").await;
    let extract = backend.dir.join("PS_LibreAcces_Personne_activite_202611280900.txt");
    let mut out = std::fs::File::create(&extract).unwrap();
    std::io::Write::write_all(&mut out, format!("{}\n", promess_server::annuaire::synthetic::HEADER).as_bytes())
        .unwrap();
    let line = |out: &mut std::fs::File, number, nom, prenom, code, label| {
        promess_server::annuaire::synthetic::line(out, "8", number, nom, prenom, code, label, "BORDEAUX").unwrap()
    };
    line(&mut out, "10005173140", "D ARC DE SAINT EXUPERY", "JEAN-PIERRE", "10", "Médecin");
    line(&mut out, "99700771191", "SAGE", "CELINE", "50", "Sage-Femme");
    drop(out);
    promess_server::annuaire::import(&backend.store, &extract, "e2e", 0).await.unwrap();
    let now = promess_server::queue::now_secs();
    let (operator, secret) = ("agent.esea", "une phrase de passe d'opérateur");
    let enrolment =
        promess_server::operators::add(&backend.store, operator, secret, secret, now).await.unwrap().unwrap();
    let totp = promess_server::operators::totp(&enrolment.secret, operator).unwrap();
    let audit = Audit::default();

    open(&c, &format!("{}/operateur", backend.base)).await;
    assert_eq!(until(h1, |t| t.contains("Connexion")).await, "Connexion à la console");
    audit.check(&c, "console, connexion").await;
    fill(&c, "login", operator).await;
    fill(&c, "mot_de_passe", secret).await;
    fill(&c, "code", &totp.generate(promess_server::queue::now_secs() as u64)).await;
    click_text(&c, "Se connecter").await;
    let signed_in = until(h1, |t| t.contains("Demandes")).await;
    assert_eq!(signed_in, "Demandes d'adhésion", "{}", c.source().await.unwrap());
    let count = find(&c, "#nombre").await.text().await.unwrap();
    assert_eq!(count, "2 demandes à vérifier.");
    audit.check(&c, "console, demandes").await;
    click_text(&c, "Jean-Pierre D'Arc-de Saint Éxupéry").await;
    until(h1, |t| t.starts_with("Demande de")).await;
    let found = find(&c, "#annuaire-resultat").await.text().await.unwrap();
    assert_eq!(found, "Numéro RPPS 10005173140 trouvé : nom, prénom et profession concordent.");
    audit.check(&c, "console, demande").await;
    find(&c, "#decision-accepter").await.click().await.unwrap();
    click_text(&c, "Enregistrer la décision").await;
    let error = find(&c, "[role=alert]").await.text().await.unwrap();
    assert!(error.contains("Cochez la case de confirmation"), "{error}");
    audit.check(&c, "console, décision sans confirmation").await;
    find(&c, "#decision-accepter").await.click().await.unwrap();
    find(&c, "#confirme").await.click().await.unwrap();
    click_text(&c, "Enregistrer la décision").await;
    let done = || text_of(&c, "[role=status]");
    assert!(until(done, |t| t.contains("Demande acceptée")).await.contains("le compte est activé"));
    assert_eq!(backend.statut(id).await, "active");

    // The other: its given name differs from the directory's; refused with a reason.
    open(&c, &format!("{}/operateur/demandes", backend.base)).await;
    click_text(&c, "Cécile Sage").await;
    let found = || text_of(&c, "#annuaire-resultat");
    assert!(until(found, |t| t.contains("diffère")).await.contains("au moins une réponse diffère"));
    find(&c, "#decision-refuser").await.click().await.unwrap();
    select(&c, "motif", "identite_discordante").await;
    fill(&c, "detail", "Le prénom de l'annuaire national est Céline.").await;
    find(&c, "#confirme").await.click().await.unwrap();
    click_text(&c, "Enregistrer la décision").await;
    assert!(until(done, |t| t.contains("Demande refusée")).await.contains("motif"));
    assert_eq!(backend.statut(&cecile).await, "refusee");
    open(&c, &format!("{}/operateur/journal", backend.base)).await;
    let journal = find(&c, "main").await.text().await.unwrap();
    assert!(journal.contains("connexion") && journal.contains("acceptée") && journal.contains("refusée"), "{journal}");
    audit.check(&c, "console, journal").await;
    click_text(&c, "Se déconnecter").await;
    assert_eq!(until(h1, |t| t.contains("Connexion")).await, "Connexion à la console");
    assert_eq!(audit.violations(), Vec::<String>::new(), "axe-core, serious or critical");

    // The account is written to the directory, then its acceptance email leaves, and the mail system lets the
    // professional in with the password typed in the wizard.
    let (admin, password) = (mail_system::ADMIN_DN, mail_system::ADMIN_PASSWORD);
    let provisioner = promess_e2e::ldap_directory(mail.ldap_url(), admin, password, mail_system::PEOPLE);
    assert!(!backend.subjects(id).await.iter().any(|s| s.ends_with("Votre demande d'adhésion")));
    assert_eq!(backend.provision(&provisioner).await, 1);
    assert!(backend.subjects(id).await.iter().any(|s| s.ends_with("Votre demande d'adhésion")), "the acceptance email");
    let login = mail.imap_login(id, STRONG_64);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());
    assert!(mail.imap_login(id, "Correct-Cheval-Batterie").is_err(), "a wrong password is refused");

    // The account space: the password then the app's code (a new one: the set-up's is spent), then a recovery code.
    tokio::time::sleep(std::time::Duration::from_secs(30 - promess_server::queue::now_secs() as u64 % 30 + 1)).await;
    promess_e2e::sign_in_to_the_account(&c, &backend.base, id, STRONG_64, &app_code(&key)).await;
    assert_eq!(until(h1, |t| t.contains("Mon compte")).await, "Mon compte");
    let account = find(&c, "main").await.text().await.unwrap();
    assert!(
        account.contains(&format!("{id}@sante-na.fr")) && account.contains("ouverte dans la messagerie"),
        "{account}"
    );
    assert!(account.contains("connexion (application d'authentification)"), "{account}");
    audit.check(&c, "mon compte").await;
    click_text(&c, "Se déconnecter").await;
    until(h1, |t| t.contains("Connexion à mon compte")).await;
    promess_e2e::sign_in_to_the_account(&c, &backend.base, id, STRONG_64, &codes[3]).await;
    assert_eq!(until(h1, |t| t.contains("Mon compte")).await, "Mon compte");
    assert!(find(&c, "main").await.text().await.unwrap().contains("9 codes de secours non utilisés"));
    assert_eq!(audit.violations(), Vec::<String>::new(), "axe-core on the account space");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_secured_with_a_passkey_signs_in_to_the_account_with_it() {
    // WebAuthn needs a name (browsers refuse it at an IP address): the app is opened at localhost, an origin of its.
    let (backend, local) = Backend::start_with("passkey", None, |settings, base| {
        let local = base.replace("127.0.0.1", "localhost");
        settings.origins.push(local.clone());
        local
    })
    .await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let authenticator = promess_e2e::virtual_authenticator(&c).await;
    let audit = Audit::default();
    let (_, codes) = manual_registration_up_to_the_review(&c, &local, JP, Some(&audit), Secure::Passkey).await;
    let held = promess_e2e::authenticator_credentials(&c, &authenticator).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["rpId"], "localhost");
    click_text(&c, "Envoyer ma demande").await;
    let h1 = || heading(&c);
    assert_eq!(until(h1, |t| t.contains("enregistrée")).await, "Votre demande d'adhésion est enregistrée");
    let (id, kind): (String, String) = sqlx::query_as(
        "SELECT r.id, f.kind FROM registrations r JOIN account_factors f ON f.registration_id = r.id \
         WHERE r.identifiant = $1",
    )
    .bind(JP)
    .fetch_one(&backend.db)
    .await
    .unwrap();
    assert_eq!(kind, "cle", "the account's factor is the passkey");

    // Confirmed and accepted (the console's review is the manual journey's), then signed in with the key.
    open(&c, &backend.email_link("jp.exupery@exemple.fr").await).await;
    click_text(&c, "Confirmer mon adresse électronique").await;
    until(|| text_of(&c, ".confirme"), |t| t.contains("confirmée")).await;
    let decisions = promess_server::lifecycle::Decisions { refused_retention_secs: 86_400 };
    let now = promess_server::queue::now_secs();
    let accept = promess_server::lifecycle::Decision::Accept;
    promess_server::lifecycle::decide(&backend.store, &id, accept, "operateur.test", &decisions, now)
        .await
        .unwrap()
        .unwrap();
    let audit = Audit::default();
    promess_e2e::sign_in_with_a_passkey(&c, &local, JP, STRONG_64).await;
    assert_eq!(until(h1, |t| t.contains("Mon compte")).await, "Mon compte");
    let account = find(&c, "main").await.text().await.unwrap();
    assert!(
        account.contains("connexion (clé d'accès)") && account.contains("Clé d'accès ou clé de sécurité"),
        "{account}"
    );
    let held = promess_e2e::authenticator_credentials(&c, &authenticator).await;
    assert!(held[0]["signCount"].as_u64().unwrap_or_default() >= 1, "the key signed: {held:?}");
    audit.check(&c, "mon compte, clé d'accès").await;
    click_text(&c, "Se déconnecter").await;
    until(h1, |t| t.contains("Connexion à mon compte")).await;
    // A recovery code of the passkey's set-up opens it too (the key lost).
    // The key lost (the authenticator wiped): a recovery code opens the account, a new key is added and the lost one
    // removed, each after another recovery code.
    promess_e2e::remove_credentials(&c, &authenticator).await;
    promess_e2e::sign_in_to_the_account(&c, &local, JP, STRONG_64, &codes[0]).await;
    assert_eq!(until(h1, |t| t.contains("Mon compte")).await, "Mon compte");
    assert!(find(&c, "main").await.text().await.unwrap().contains("connexion (code de secours)"));
    click_text(&c, "Ajouter une clé d'accès").await;
    until(h1, |t| t.contains("Confirmez votre identité")).await;
    audit.check(&c, "mon compte, second facteur demandé à nouveau").await;
    fill(&c, "code", &codes[1]).await;
    click_text(&c, "Confirmer").await;
    until(h1, |t| t.contains("Ajouter une clé d'accès")).await;
    audit.check(&c, "mon compte, ajout d'une clé").await;
    find(&c, "#creer-cle").await.click().await.unwrap();
    let said = || text_of(&c, "#fait");
    assert_eq!(until(said, |t| !t.is_empty()).await, "Votre nouveau second facteur est ajouté.");
    assert_eq!(promess_e2e::authenticator_credentials(&c, &authenticator).await.len(), 1, "the new key");
    // The lost key removed (the oldest of the two), after a third recovery code.
    click_text(&c, "Supprimer : Clé d'accès ou clé de sécurité").await;
    until(h1, |t| t.contains("Confirmez votre identité")).await;
    fill(&c, "code", &codes[2]).await;
    click_text(&c, "Confirmer").await;
    assert_eq!(until(said, |t| !t.is_empty()).await, "Le second facteur est supprimé.");
    let listed = find(&c, "#facteurs").await.text().await.unwrap();
    assert_eq!(listed.matches("Clé d'accès").count(), 1, "{listed}");
    click_text(&c, "Se déconnecter").await;
    until(h1, |t| t.contains("Connexion à mon compte")).await;
    promess_e2e::sign_in_with_a_passkey(&c, &local, JP, STRONG_64).await;
    let signed = until(h1, |t| t.contains("Mon compte")).await;
    assert_eq!(signed, "Mon compte", "{}", find(&c, "main").await.text().await.unwrap());
    assert_eq!(audit.violations(), Vec::<String>::new(), "axe-core");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forgotten_password_is_reset_then_the_address_and_password_changed_and_the_account_closed() {
    let backend = Backend::start("reset").await;
    let other = serde_json::json!({
        "donnees": promess_core::registration::examples::valid_draft(),
        "secret": { "mot_de_passe": promess_core::registration::examples::STRONG_PASSWORD,
                    "mot_de_passe_confirmation": promess_core::registration::examples::STRONG_PASSWORD },
    });
    let (cecile, codes) = backend.request_in_review(&other.to_string(), "cecile.sage@exemple.fr").await;
    let id: String = sqlx::query_scalar("SELECT id FROM registrations WHERE identifiant = $1")
        .bind(&cecile)
        .fetch_one(&backend.db)
        .await
        .unwrap();
    let decisions = promess_server::lifecycle::Decisions { refused_retention_secs: 86_400 };
    let accept = promess_server::lifecycle::Decision::Accept;
    let now = promess_server::queue::now_secs();
    promess_server::lifecycle::decide(&backend.store, &id, accept, "operateur.test", &decisions, now)
        .await
        .unwrap()
        .unwrap();
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let h1 = || heading(&c);
    let audit = Audit::default();

    // « Mot de passe oublié ? », the link in the email, the second factor (a recovery code), the new password.
    open(&c, &format!("{}/compte", backend.base)).await;
    click_text(&c, "Mot de passe oublié ?").await;
    until(h1, |t| t.contains("Mot de passe oublié")).await;
    audit.check(&c, "mot de passe oublié").await;
    fill(&c, "identifiant", "cecile.sage@exemple.fr").await;
    click_text(&c, "Recevoir le lien").await;
    let said = || text_of(&c, "#oubli-message");
    assert!(until(said, |t| !t.is_empty()).await.contains("Si un compte correspond"));
    backend.send_reset_links().await;
    open(&c, &backend.email_link_to("cecile.sage@exemple.fr", "/compte/reinitialisation/").await).await;
    let opened = until(h1, |t| t.contains("Choisir un nouveau mot de passe")).await;
    assert_eq!(opened, "Choisir un nouveau mot de passe", "{}", c.current_url().await.unwrap());
    click_text(&c, "Continuer").await;
    let asked = until(h1, |t| t.contains("Confirmez votre identité")).await;
    assert_eq!(asked, "Confirmez votre identité", "{}", find(&c, "main").await.text().await.unwrap());
    audit.check(&c, "réinitialisation, second facteur").await;
    fill(&c, "code", &codes[0]).await;
    click_text(&c, "Continuer").await;
    until(h1, |t| t.contains("Nouveau mot de passe")).await;
    fill(&c, "mot_de_passe", "Bordeaux2024").await;
    fill(&c, "mot_de_passe_confirmation", "Bordeaux2024").await;
    click_text(&c, "Changer mon mot de passe").await;
    let error = || text_of(&c, "#mot_de_passe-erreur");
    assert!(!until(error, |t| !t.is_empty()).await.is_empty(), "a weak password is refused on its field");
    audit.check(&c, "réinitialisation, mot de passe refusé").await;
    fill(&c, "mot_de_passe", STRONG_64).await;
    // Step 3's meter, green once every rule holds.
    let meter = || async { find(&c, "#jauge").await.attr("class").await.unwrap().unwrap_or_default() };
    assert!(until(meter, |m| m.contains("satisfaisante")).await.contains("satisfaisante"), "the meter turns green");
    audit.check(&c, "réinitialisation, jauge verte").await;
    fill(&c, "mot_de_passe_confirmation", STRONG_64).await;
    click_text(&c, "Changer mon mot de passe").await;
    until(h1, |t| t.contains("Votre mot de passe est changé")).await;

    // Signed in with the new password; then the account closed after the second factor given again.
    promess_e2e::sign_in_to_the_account(&c, &backend.base, &cecile, STRONG_64, &codes[1]).await;
    assert_eq!(until(h1, |t| t.contains("Mon compte")).await, "Mon compte");
    let account = find(&c, "main").await.text().await.unwrap();
    assert!(account.contains("mot de passe changé (mot de passe oublié)"), "{account}");
    audit.check(&c, "mon compte, après la réinitialisation").await;

    // A new notification address: its link, opened signed in, confirms it.
    click_text(&c, "Changer mon adresse de notification").await;
    until(h1, |t| t.contains("Confirmez votre identité")).await;
    fill(&c, "code", &codes[2]).await;
    click_text(&c, "Confirmer").await;
    until(h1, |t| t.contains("Nouvelle adresse de notification")).await;
    audit.check(&c, "mon compte, nouvelle adresse").await;
    fill(&c, "email", "c.sage@nouvelle.fr").await;
    fill(&c, "email_confirmation", "c.sage@nouvelle.fr").await;
    click_text(&c, "Recevoir le lien de confirmation").await;
    let said = || text_of(&c, "#fait");
    assert!(until(said, |t| !t.is_empty()).await.contains("Un lien de confirmation"));
    open(&c, &backend.email_link_to("c.sage@nouvelle.fr", "/compte/adresse/").await).await;
    click_text(&c, "Confirmer ma nouvelle adresse").await;
    assert!(until(said, |t| t.contains("nouvelle adresse")).await.contains("l'ancienne en a été informée"));
    assert!(find(&c, "#compte").await.text().await.unwrap().contains("c.sage@nouvelle.fr"));

    // A new password, with the current one; every session ends.
    click_text(&c, "Changer mon mot de passe").await;
    until(h1, |t| t.contains("Confirmez votre identité")).await;
    fill(&c, "code", &codes[3]).await;
    click_text(&c, "Confirmer").await;
    until(h1, |t| t.contains("Nouveau mot de passe")).await;
    let newer = "Une-Autre-Phrase-De-Passe-Solide-2026";
    fill(&c, "mot_de_passe_actuel", STRONG_64).await;
    fill(&c, "mot_de_passe", newer).await;
    fill(&c, "mot_de_passe_confirmation", newer).await;
    click_text(&c, "Changer mon mot de passe").await;
    until(h1, |t| t.contains("Votre mot de passe est changé")).await;
    promess_e2e::sign_in_to_the_account(&c, &backend.base, &cecile, newer, &codes[4]).await;
    assert_eq!(until(h1, |t| t.contains("Mon compte")).await, "Mon compte");

    click_text(&c, "Fermer mon compte").await;
    until(h1, |t| t.contains("Confirmez votre identité")).await;
    fill(&c, "code", &codes[5]).await;
    click_text(&c, "Confirmer").await;
    assert_eq!(until(h1, |t| t.contains("fermé")).await, "Votre compte est fermé");
    assert_eq!(backend.statut(&cecile).await, "fermee");
    assert_eq!(audit.violations(), Vec::<String>::new(), "axe-core");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_factor_lost_the_operator_accepts_and_the_next_sign_in_sets_a_new_one_up() {
    let backend = Backend::start("perte").await;
    let other = serde_json::json!({
        "donnees": promess_core::registration::examples::valid_draft(),
        "secret": { "mot_de_passe": STRONG_64, "mot_de_passe_confirmation": STRONG_64 },
    });
    let (cecile, _) = backend.request_in_review(&other.to_string(), "cecile.sage@exemple.fr").await;
    let id: String = sqlx::query_scalar("SELECT id FROM registrations WHERE identifiant = $1")
        .bind(&cecile)
        .fetch_one(&backend.db)
        .await
        .unwrap();
    let decisions = promess_server::lifecycle::Decisions { refused_retention_secs: 86_400 };
    let accept = promess_server::lifecycle::Decision::Accept;
    let now = promess_server::queue::now_secs();
    promess_server::lifecycle::decide(&backend.store, &id, accept, "operateur.test", &decisions, now)
        .await
        .unwrap()
        .unwrap();
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let h1 = || heading(&c);
    let audit = Audit::default();

    // The password given, no factor: the request to the operator.
    open(&c, &format!("{}/compte", backend.base)).await;
    fill(&c, "identifiant", &cecile).await;
    fill(&c, "mot_de_passe", STRONG_64).await;
    click_text(&c, "Continuer").await;
    until(h1, |t| t.contains("Second facteur")).await;
    audit.check(&c, "second facteur, avec la demande de perte").await;
    click_text(&c, "Demander un nouveau second facteur à l'opérateur").await;
    assert_eq!(until(h1, |t| t.contains("transmise")).await, "Demande transmise à l'opérateur");

    // The operator checks and accepts, in the console.
    let (operator, secret) = ("agent.esea", "une phrase de passe d'opérateur");
    let enrolment =
        promess_server::operators::add(&backend.store, operator, secret, secret, now).await.unwrap().unwrap();
    let totp = promess_server::operators::totp(&enrolment.secret, operator).unwrap();
    open(&c, &format!("{}/operateur", backend.base)).await;
    fill(&c, "login", operator).await;
    fill(&c, "mot_de_passe", secret).await;
    fill(&c, "code", &totp.generate(promess_server::queue::now_secs() as u64)).await;
    click_text(&c, "Se connecter").await;
    until(h1, |t| t.contains("Demandes")).await;
    click_text(&c, "Pertes de second facteur").await;
    until(h1, |t| t.contains("Pertes de second facteur")).await;
    audit.check(&c, "console, pertes de second facteur").await;
    let request: String = sqlx::query_scalar("SELECT id FROM factor_losses").fetch_one(&backend.db).await.unwrap();
    find(&c, &format!("#accepter-{request}")).await.click().await.unwrap();
    find(&c, &format!("#confirme-{request}")).await.click().await.unwrap();
    click_text(&c, "Enregistrer la décision").await;
    let count = || text_of(&c, "#nombre");
    assert_eq!(until(count, |t| t.starts_with('0')).await, "0 demande en attente.");
    click_text(&c, "Se déconnecter").await;
    until(h1, |t| t.contains("Connexion")).await;

    // The next sign-in: a new app set up, new recovery codes, the account open.
    open(&c, &format!("{}/compte", backend.base)).await;
    fill(&c, "identifiant", &cecile).await;
    fill(&c, "mot_de_passe", STRONG_64).await;
    click_text(&c, "Continuer").await;
    until(h1, |t| t.contains("Configurer votre nouveau second facteur")).await;
    audit.check(&c, "nouveau second facteur").await;
    let key = find(&c, "#cle-secrete").await.text().await.unwrap();
    fill(&c, "code", &promess_e2e::app_code(&key)).await;
    click_text(&c, "Ajouter cette application").await;
    until(h1, |t| t.contains("est configuré")).await;
    let codes = find(&c, "#codes-secours").await.text().await.unwrap();
    assert_eq!(codes.split_whitespace().count(), 10, "{codes}");
    click_text(&c, "Accéder à mon compte").await;
    assert_eq!(until(h1, |t| t.contains("Mon compte")).await, "Mon compte");
    let journal = find(&c, "#journal").await.text().await.unwrap();
    for said in ["nouveau second facteur demandé", "acceptée par l'opérateur", "connexion (nouveau second facteur)"]
    {
        assert!(journal.contains(said), "{said}: {journal}");
    }
    assert_eq!(audit.violations(), Vec::<String>::new(), "axe-core");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_by_the_server_is_shown_on_the_field_concerned() {
    let backend = Backend::start("refused").await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    manual_registration_up_to_the_review(&c, &backend.base, JP, None, Secure::App).await;
    // A page that sends what the server refuses (a stale copy of the rules, a tampered request): an RPPS whose
    // check digit is wrong.
    let tamper = "const send = window.fetch.bind(window); window.fetch = async (request, init) => { \
        if (request instanceof Request && request.url.endsWith('/api/registrations')) { \
          const body = await request.clone().json(); body.donnees.rpps = '10003461033'; \
          request = new Request(request, { body: JSON.stringify(body) }); } \
        return send(request, init); };";
    c.execute(tamper, vec![]).await.unwrap();
    click_text(&c, "Envoyer ma demande").await;
    let error = || text_of(&c, "#envoi-erreur");
    let message = until(error, |t| t.contains("refusées")).await;
    assert!(message.contains("N° RPPS : la clé de contrôle est incorrecte"), "{message}");
    // The link leads to step 2, where the field shows the server's verdict.
    click_text(&c, "N° RPPS : la clé de contrôle").await;
    let rpps_error = || text_of(&c, "#rpps-erreur");
    assert!(until(rpps_error, |t| t.contains("clé de contrôle")).await.contains("clé de contrôle"));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_postal_code_offers_its_communes_and_fills_the_departement() {
    let server = StaticServer::start(dist());
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    open(&c, &format!("{}/", server.base)).await;
    click_text(&c, "Non, je n'ai pas de carte CPS").await;
    let status = || text_of(&c, "#code_postal-communes");
    let value = |css: &'static str| {
        let c = &c;
        move || async move { find(c, css).await.prop("value").await.unwrap().unwrap_or_default() }
    };

    // Several communes: Ville becomes the list of them.
    fill(&c, "code_postal", "01400").await;
    let said = until(status, |t| t.starts_with("10 communes")).await;
    assert_eq!(said, "10 communes ont ce code postal : choisissez la vôtre dans la liste Ville.");
    let options = c.find_all(Locator::Css("select#ville option")).await.unwrap();
    assert_eq!(options.len(), 1 + 10);
    select(&c, "ville", "Châtillon-sur-Chalaronne").await;
    assert_eq!(until(value("#departement"), |v| v.starts_with("01")).await, "01 - Ain");

    // One commune: chosen at once; Corsica and overseas get their own département.
    fill(&c, "code_postal", "20000").await;
    assert_eq!(until(value("input#ville"), |v| v == "Ajaccio").await, "Ajaccio");
    assert_eq!(until(value("#departement"), |v| v.starts_with("2A")).await, "2A - Corse-du-Sud");
    fill(&c, "code_postal", "97400").await;
    assert_eq!(until(value("input#ville"), |v| v == "Saint-Denis").await, "Saint-Denis");
    assert_eq!(until(value("#departement"), |v| v.starts_with("974")).await, "974 - La Réunion");

    // A code no commune has (CEDEX): said plainly, and the town is typed.
    fill(&c, "code_postal", "33999").await;
    let said = until(status, |t| t.starts_with("Aucune commune")).await;
    assert!(said.starts_with("Aucune commune connue pour ce code postal"), "{said}");
    fill(&c, "ville", "Bordeaux Cedex").await;
    assert_eq!(value("input#ville")().await, "Bordeaux Cedex");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_screen_and_state_passes_axe_core() {
    let backend = Backend::start("axe").await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let audit = Audit::default();
    manual_registration_up_to_the_review(&c, &backend.base, JP, Some(&audit), Secure::App).await;
    click_text(&c, "Envoyer ma demande").await;
    let h1 = || heading(&c);
    until(h1, |t| t.contains("enregistrée")).await;
    audit.check(&c, "confirmation").await;
    open(&c, &backend.email_link("jp.exupery@exemple.fr").await).await;
    until(h1, |t| t.contains("Confirmation de votre adresse")).await;
    audit.check(&c, "email link").await;
    click_text(&c, "Confirmer mon adresse électronique").await;
    until(|| text_of(&c, "main"), |t| t.contains("est confirmée")).await;
    audit.check(&c, "email confirmed").await;
    assert_eq!(audit.checked().len(), 13, "{:?}", audit.checked());
    let violations = audit.violations();
    assert!(violations.is_empty(), "axe-core, serious or critical:\n{}", violations.join("\n"));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_registration_with_the_keyboard_alone() {
    let backend = Backend::start("keyboard").await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let h1 = || heading(&c);
    open(&c, &format!("{}/", backend.base)).await;
    until(h1, |t| t.contains("Étape 1/4")).await;
    tab_to(&c, |f| f.text.contains("Non, je n'ai pas de carte CPS")).await;
    press(&c, ENTER).await;
    until(h1, |t| t.contains("Étape 2/4")).await;

    tab_and_type(&c, "civilite", "Monsieur").await;
    tab_and_type(&c, "nom", "Durand").await;
    tab_and_type(&c, "prenom", "Luc").await;
    // Shift-Tab goes back (the browser selects the text): End, then one more letter.
    press(&c, SHIFT_TAB).await;
    assert_eq!(focused(&c).await.id, "nom");
    press(&c, &format!("{END}e")).await;
    tab_and_type(&c, "naissance", "14").await;
    tab_and_type(&c, "naissance_mois", "juillet").await;
    tab_and_type(&c, "email", "luc.durand@exemple.fr").await;
    tab_and_type(&c, "email_confirmation", "luc.durand@exemple.fr").await;
    tab_and_type(&c, "lieu_exercice", "Cabinet infirmier du Port").await;
    tab_and_type(&c, "profession", "Infirmier").await;
    tab_and_type(&c, "rpps", "10005173140").await;
    // "Suivant" with the telephone missing: the focus goes to it.
    tab_to(&c, |f| f.text == "> Suivant").await;
    press(&c, ENTER).await;
    let f = until(|| async { focused(&c).await.id }, |id| id == "telephone").await;
    assert_eq!(f, "telephone", "Suivant moves the focus to the first invalid field");
    press(&c, "05 56 00 00 00").await;
    tab_to(&c, |f| f.text == "> Suivant").await;
    press(&c, ENTER).await;

    until(h1, |t| t.contains("Étape 3/4")).await;
    let identifiant = || async { find(&c, "#identifiant").await.prop("value").await.unwrap().unwrap_or_default() };
    assert_eq!(until(identifiant, |v| v == "luc.durande").await, "luc.durande");
    tab_and_type(&c, "mot_de_passe", STRONG_64).await;
    tab_and_type(&c, "mot_de_passe_confirmation", STRONG_64).await;
    let meter = || async { find(&c, "[data-testid=meter]").await.attr("class").await.unwrap().unwrap_or_default() };
    until(meter, |m| m.contains("satisfaisante")).await;
    // The second factor by keyboard: the set-up's button, the app's code and Enter, the recovery codes kept.
    tab_to(&c, |f| f.id == "second_facteur").await;
    press(&c, ENTER).await;
    let key = until(|| text_of(&c, "#cle-secrete"), |t| !t.is_empty()).await;
    until(|| async { focused(&c).await.id }, |id| id == "code-facteur").await;
    press(&c, &app_code(&key)).await;
    press(&c, ENTER).await;
    until(|| text_of(&c, "#codes-secours"), |t| !t.is_empty()).await;
    tab_to(&c, |f| f.id == "codes_conserves").await;
    press(&c, SPACE).await;
    tab_to(&c, |f| f.text == "> Suivant").await;
    press(&c, ENTER).await;

    until(h1, |t| t.contains("Étape 4/4")).await;
    tab_to(&c, |f| f.id == "liste_rouge").await;
    press(&c, ARROW_DOWN).await; // "Non"
    assert_eq!(focused(&c).await.id, "liste_rouge-non");
    tab_to(&c, |f| f.id == "publier_telephone").await;
    press(&c, SPACE).await; // "Oui"
    tab_and_type(&c, "telephone_publie", "05").await;
    tab_to(&c, |f| f.id == "cgu").await;
    press(&c, SPACE).await;
    tab_to(&c, |f| f.text == "> Valider").await;
    press(&c, ENTER).await;

    until(h1, |t| t.contains("Récapitulatif")).await;
    tab_to(&c, |f| f.text.contains("Envoyer ma demande")).await;
    press(&c, ENTER).await;
    assert_eq!(until(h1, |t| t.contains("enregistrée")).await, "Votre demande d'adhésion est enregistrée");
    let (profession, telephone): (String, String) =
        sqlx::query_as("SELECT json_extract(donnees, '$.personal.profession.sante'), json_extract(donnees, '$.membership.telephone_publie') FROM registrations WHERE identifiant = 'luc.durande'")
            .fetch_one(&backend.db)
            .await
            .unwrap();
    assert_eq!((profession.as_str(), telephone.as_str()), ("60", "+33556000000"));
    c.close().await.unwrap();
}

/// dist/ copied to a fresh folder (the test removes files from it).
fn dist_copy(name: &str) -> std::path::PathBuf {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let root = std::env::temp_dir().join(format!("promess-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy(&dist(), &root);
    root
}

#[tokio::test(flavor = "multi_thread")]
async fn a_screen_whose_chunk_cannot_be_fetched_says_so_and_is_fetched_again() {
    let root = dist_copy("chunk");
    let chunk = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("split_later-") && name.ends_with(".wasm")
        })
        .expect("the chunk of the card path");
    let aside = chunk.with_extension("absent");
    std::fs::rename(&chunk, &aside).unwrap();
    let server = StaticServer::start(root.clone());
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    open(&c, &server.base).await;
    click_text(&c, "Oui, j'ai une carte CPS").await;
    let alert = find(&c, ".erreur-chargement[role=alert]").await.text().await.unwrap();
    assert!(alert.contains("n'a pas pu être chargée") && alert.contains("Vos réponses sont conservées"), "{alert}");
    std::fs::rename(&aside, &chunk).unwrap();
    click_text(&c, "Réessayer").await;
    let problem = find(&c, "#carte-probleme").await.text().await.unwrap();
    assert!(problem.contains("ProMess Carte"), "{problem}");
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(root);
}

/// The prerendered page's screen in view (src/shell.rs): its heading.
async fn shell_heading(c: &Client) -> String {
    find(c, &format!("#{SHELL} [{SCREEN}]:not([hidden]) h1")).await.text().await.unwrap()
}

/// Waits until the prerendered page's step 2 is shown whole: its first group is shown first, the others a frame
/// later.
async fn shell_step_2_whole(c: &Client) {
    let rest = format!("return !!document.querySelector('#{SHELL} #fax')");
    let shown = || async { c.execute(&rest, vec![]).await.unwrap().to_string() };
    assert_eq!(until(shown, |d| d == "true").await, "true", "the rest of step 2");
}

async fn value(c: &Client, id: &str) -> String {
    find(c, &format!("#{id}")).await.prop("value").await.unwrap().unwrap_or_default()
}

/// Step 1 of the prerendered page, the app's wasm held back by the server until `release`.
async fn before_the_app() -> (StaticServer, ChromeDriver, Client) {
    let server = StaticServer::start(dist());
    server.hold_wasm();
    let driver = ChromeDriver::start();
    let c = driver.browser_eager().await;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    assert_eq!(shell_heading(&c).await, "Étape 1/4 : Carte CPS");
    (server, driver, c)
}

/// Steps 1 and 2 are in the page itself: on a slow network a professional chooses the manual path and fills in
/// step 2 before the app has arrived. When it arrives it takes over every answer, the field in use and its caret,
/// and keeps them on reload.
#[tokio::test(flavor = "multi_thread")]
async fn step_2_is_filled_in_before_the_app_arrives_and_the_app_keeps_every_answer() {
    let (server, _driver, c) = before_the_app().await;
    // What the click's frame has: step 2's first group and « Suivant », not yet its other groups.
    let at_click = format!(
        "addEventListener('click', () => window.auClic = ['#nom', '#email', '#suivant', '#adresse'].map((s) => \
         !!document.querySelector('#{SHELL} [{SCREEN}]:not([hidden]) ' + s)), {{ once: true }})"
    );
    c.execute(&at_click, vec![]).await.unwrap();
    click_text(&c, "Non, je n'ai pas de carte CPS").await;
    assert_eq!(shell_heading(&c).await, "Étape 2/4 : Données personnelles");
    assert!(c.current_url().await.unwrap().path().ends_with("/donnees-personnelles"));
    assert_eq!(c.title().await.unwrap(), "Étape 2/4 : Données personnelles – Inscription ProMess");
    let drawn = c.execute("return window.auClic", vec![]).await.unwrap();
    assert_eq!(drawn, serde_json::json!([true, true, true, false]), "#nom, #email, « Suivant », #adresse at the click");
    shell_step_2_whole(&c).await;
    let audit = Audit::default();
    audit.check(&c, "page avant l'app, étape 2").await;
    assert!(audit.violations().is_empty(), "axe-core, serious or critical:\n{}", audit.violations().join("\n"));
    select(&c, "civilite", "22").await;
    fill(&c, "nom", "Durand").await;
    fill(&c, "email", "zoe.durand@exemple.fr").await;
    fill(&c, "prenom", "Zo").await;
    assert!(c.find(Locator::Css(&format!("#{SHELL} #prenom"))).await.is_ok(), "typed in the page, before the app");

    server.release();
    app_running(&c).await;
    // The field in use keeps the focus: the next key goes on where the last one stopped.
    c.active_element().await.unwrap().send_keys("é").await.unwrap();
    assert_eq!(heading(&c).await, "Étape 2/4 : Données personnelles");
    for (id, expected) in [("civilite", "22"), ("nom", "Durand"), ("prenom", "Zoé"), ("email", "zoe.durand@exemple.fr")]
    {
        assert_eq!(value(&c, id).await, expected, "{id}");
    }
    // The app holds them: its checks see them, and its draft brings them back after a reload.
    click_text(&c, "Suivant").await;
    assert_eq!(until(|| text_of(&c, "#nom-erreur"), |_| true).await, "");
    assert!(!find(&c, "#email_confirmation-erreur").await.text().await.unwrap().is_empty());
    c.refresh().await.unwrap();
    assert_eq!(until(|| value(&c, "nom"), |v| v == "Durand").await, "Durand");
    assert_eq!(value(&c, "prenom").await, "Zoé");
    c.close().await.unwrap();
}

/// « Oui, j'ai une carte CPS » clicked before the app has arrived is not lost: the app checks the workstation as
/// soon as it runs (here it finds no card agent and says so).
#[tokio::test(flavor = "multi_thread")]
async fn the_card_path_chosen_before_the_app_arrives_starts_when_it_runs() {
    let (server, _driver, c) = before_the_app().await;
    click_text(&c, "Oui, j'ai une carte CPS").await;
    let kept = format!("#{SHELL}[{CLICK}='avec-carte']");
    assert!(c.find(Locator::Css(&kept)).await.is_ok(), "the page keeps the click");
    server.release();
    let problem = find(&c, "#carte-probleme").await.text().await.unwrap();
    assert!(problem.contains("ProMess Carte"), "{problem}");
    c.close().await.unwrap();
}

/// A press on « Non, je n'ai pas de carte CPS » begun on the page before the app and released once the app has taken
/// over, the page's button then gone and the app's in its place, is not lost: it takes the professional to step 2,
/// on every cold load (the pointer pressed and released by its coordinates, as a hand would).
#[tokio::test(flavor = "multi_thread")]
async fn a_press_begun_before_the_takeover_and_released_after_reaches_step_2() {
    let server = StaticServer::start(dist());
    let driver = ChromeDriver::start();
    let mouse = |action| MouseActions::new("souris".to_owned()).then(action);
    for round in 1..=5 {
        server.hold_wasm();
        let c = driver.browser_eager().await;
        c.goto(&format!("{}/", server.base)).await.unwrap();
        assert_eq!(shell_heading(&c).await, "Étape 1/4 : Carte CPS");
        let centre = format!(
            "const r = document.getElementById('{NO_CARD}').getBoundingClientRect(); \
             return [r.x + r.width / 2, r.y + r.height / 2]"
        );
        let at: Vec<f64> = serde_json::from_value(c.execute(&centre, vec![]).await.unwrap()).unwrap();
        let to = PointerAction::MoveTo { duration: None, x: at[0].round(), y: at[1].round() };
        c.perform_actions(mouse(to).then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })).await.unwrap();
        let pressed = format!("#{SHELL}[{PRESS}='{NO_CARD}']");
        assert!(c.find(Locator::Css(&pressed)).await.is_ok(), "round {round}: the page saw the press");
        server.release();
        app_running(&c).await;
        c.perform_actions(mouse(PointerAction::Up { button: MOUSE_BUTTON_LEFT })).await.unwrap();
        let step = until(|| heading(&c), |t| t.contains("Étape 2/4")).await;
        assert_eq!(step, "Étape 2/4 : Données personnelles", "round {round}: the press reached the app's button");
        assert!(c.current_url().await.unwrap().path().ends_with("/donnees-personnelles"), "round {round}");
        c.close().await.unwrap();
    }
}

/// A long step after a short one does not move the page sideways: there is room for the scrollbar on every screen.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_scrolls_does_not_move_the_page_sideways() {
    let (_server, _driver, c) = before_the_app().await;
    let place = "const m = document.querySelector('#contenu'); \
                 return [m.getBoundingClientRect().left, document.documentElement.scrollHeight > innerHeight]";
    let step_1 = c.execute(place, vec![]).await.unwrap();
    assert_eq!(step_1[1], serde_json::json!(false), "step 1 fits in the window: {step_1}");
    click_text(&c, "Non, je n'ai pas de carte CPS").await;
    shell_step_2_whole(&c).await;
    let step_2 = c.execute(place, vec![]).await.unwrap();
    assert_eq!(step_2[1], serde_json::json!(true), "step 2 scrolls: {step_2}");
    assert_eq!(step_1[0], step_2[0], "the page's left edge, step 1 then step 2");
    c.close().await.unwrap();
}

/// From the page before the app: the app runs and saves a draft (« Durand » typed at step 2), then, after `elsewhere`
/// if given, step 1 is opened again in the same tab with the app held back.
async fn a_draft_then_step_1_again(server: &StaticServer, c: &Client, elsewhere: Option<&str>) {
    server.release();
    app_running(c).await;
    click_text(c, "Non, je n'ai pas de carte CPS").await;
    fill(c, "nom", "Durand").await;
    if let Some(url) = elsewhere {
        c.goto(url).await.unwrap();
    }
    server.hold_wasm();
    c.goto(&format!("{}/", server.base)).await.unwrap();
    assert_eq!(shell_heading(c).await, "Étape 1/4 : Carte CPS");
}

/// A returning user (a draft saved in this tab) who chooses « Non » before the app has arrived is taken to step 2 by
/// the app, which has the answers: the page keeps the click and does not show its empty step 2.
#[tokio::test(flavor = "multi_thread")]
async fn a_returning_users_choice_waits_for_the_app_and_its_answers() {
    let (server, _driver, c) = before_the_app().await;
    // Back at step 1 in the same tab, the app held back again: the page is there, and the draft too.
    a_draft_then_step_1_again(&server, &c, None).await;
    click_text(&c, "Non, je n'ai pas de carte CPS").await;
    let kept = format!("#{SHELL}[{CLICK}='{NO_CARD}']");
    assert!(c.find(Locator::Css(&kept)).await.is_ok(), "the page keeps the click");
    assert_eq!(shell_heading(&c).await, "Étape 1/4 : Carte CPS");
    server.release();
    app_running(&c).await;
    assert_eq!(until(|| heading(&c), |t| t.contains("Étape 2/4")).await, "Étape 2/4 : Données personnelles");
    assert_eq!(until(|| value(&c, "nom"), |v| v == "Durand").await, "Durand");
    c.close().await.unwrap();
}

/// A professional who left the site and typed its address again in the same tab is on a first visit for the page,
/// which does not read the storage then: it shows its step 2, and the app, when it arrives, brings the saved answers.
#[tokio::test(flavor = "multi_thread")]
async fn a_draft_the_page_did_not_look_for_is_brought_back_by_the_app() {
    let (server, _driver, c) = before_the_app().await;
    a_draft_then_step_1_again(&server, &c, Some("data:text/html,ailleurs")).await;
    click_text(&c, "Non, je n'ai pas de carte CPS").await;
    assert_eq!(shell_heading(&c).await, "Étape 2/4 : Données personnelles", "the page's own step 2");
    assert!(c.find(Locator::Css(&format!("#{SHELL} #nom"))).await.is_ok());
    assert_eq!(value(&c, "nom").await, "");
    server.release();
    app_running(&c).await;
    assert_eq!(until(|| value(&c, "nom"), |v| v == "Durand").await, "Durand");
    assert_eq!(heading(&c).await, "Étape 2/4 : Données personnelles");
    c.close().await.unwrap();
}

/// The page before the app is of use at step 1 only: shown there from its first bytes, while at another address (a
/// reload at step 3, a link) it is neither shown nor kept, even before the app has arrived.
#[tokio::test(flavor = "multi_thread")]
async fn the_page_before_the_app_shows_at_step_1_only() {
    let (server, _driver, c) = before_the_app().await;
    let shown =
        format!("const s = document.getElementById('{SHELL}'); return s ? getComputedStyle(s).display : 'absent'");
    assert_eq!(c.execute(&shown, vec![]).await.unwrap(), serde_json::json!("block"));
    c.goto(&format!("{}/identifiant", server.base)).await.unwrap();
    assert_eq!(c.execute(&shown, vec![]).await.unwrap(), serde_json::json!("absent"), "no step 1 at step 3");
    let marked = format!("return document.documentElement.hasAttribute('{SHOWN}')");
    assert_eq!(c.execute(&marked, vec![]).await.unwrap(), serde_json::json!(false));
    server.release();
    c.close().await.unwrap();
}

/// On a slow network the page arrives in parts: nothing is painted before step 1's choice has arrived, so the first
/// frame is step 1 whole (index.html, `rel="expect"`), not its top alone. Render blocking is Chromium's: Firefox
/// ignores the hint and paints the top first, the same page a moment apart (scripts/test skips this one there).
#[tokio::test(flavor = "multi_thread")]
async fn the_first_frame_is_step_1_with_its_choice() {
    let server = StaticServer::start(dist());
    server.hold_wasm();
    server.pause_page("<div class=\"choix-carte\">", Duration::from_millis(600));
    let driver = ChromeDriver::start();
    let c = driver.browser_eager().await;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    assert_eq!(shell_heading(&c).await, "Étape 1/4 : Carte CPS");
    let awaited = "const l = document.querySelector('link[rel=expect][blocking=render]'); \
                   return l && document.getElementById(new URL(l.href).hash.slice(1))?.textContent";
    let awaited = c.execute(awaited, vec![]).await.unwrap();
    assert_eq!(awaited, serde_json::json!("> Non, je n'ai pas de carte CPS"), "the element awaited");
    let times = "const [p] = performance.getEntriesByName('first-contentful-paint'); \
                 const [n] = performance.getEntriesByType('navigation'); \
                 return p ? [p.startTime, n.responseEnd, n.domContentLoadedEventStart] : null";
    let read = || async { c.execute(times, vec![]).await.unwrap().to_string() };
    let times: Vec<f64> = serde_json::from_str(&until(read, |t| t != "null").await).unwrap();
    let (first_paint, last_byte, parsed) = (times[0], times[1], times[2]);
    assert!(last_byte >= 550.0, "the page's second part came {last_byte} ms in");
    // The parser may see the last bytes a moment before the loader counts them.
    assert!(first_paint > last_byte - 100.0, "first paint at {first_paint} ms, the page's last byte at {last_byte} ms");
    // The app is fetched after that frame (src/shell.js): once the page is parsed, and after the frame's own work,
    // which comes before the time Chromium gives its paint (the frame presented, a few frames later at most).
    let app =
        "return performance.getEntriesByType('resource').find((r) => /promess-web-.*\\.js$/.test(r.name))?.startTime";
    let app = until(|| async { c.execute(app, vec![]).await.unwrap().to_string() }, |t| t != "null").await;
    let app: f64 = app.parse().unwrap();
    assert!(app > last_byte, "the app's module fetched at {app} ms, before the page's last byte at {last_byte} ms");
    assert!(app >= parsed, "the app's module fetched at {app} ms, before the page was parsed at {parsed} ms");
    assert!(
        app > first_paint - 100.0,
        "the app's module fetched at {app} ms, before the first paint at {first_paint} ms"
    );
    server.release();
    c.close().await.unwrap();
}
