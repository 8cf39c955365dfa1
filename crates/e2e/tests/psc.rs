//! Registration through Pro Santé Connect, end to end: the release build served by the real server, whose client
//! at a real OpenID provider (npm's oidc-provider configured like PSC) is the one a browser leaves for and comes
//! back from. The draft survives the round trip; step 2 arrives filled in and locked; the account is active once its
//! email is confirmed, its directory entry carries the national id and its mailbox opens. Cancelling at PSC brings
//! the person back to step 1 with a French message. Chromium, or Firefox with `PROMESS_BROWSER=firefox`.
use fantoccini::Client;
use promess_e2e::{
    Backend, ChromeDriver, STRONG_64, click_text, fill, find, heading, ldap_directory, open, select,
    step4_to_the_review, until,
};

#[path = "../../server/tests/common/mail_system.rs"]
mod mail_system;
#[path = "../../server/tests/common/psc_provider.rs"]
mod psc_provider;

async fn text(c: &Client, css: &str) -> String {
    find(c, css).await.text().await.unwrap()
}

async fn value(c: &Client, id: &str) -> String {
    find(c, &format!("#{id}")).await.prop("value").await.unwrap().unwrap_or_default()
}

/// At the provider's page: signs in as `login`, or cancels.
async fn at_provider(c: &Client, login: Option<&str>) {
    until(|| heading(c), |t| t.contains("Pro Santé Connect")).await;
    match login {
        Some(login) => {
            fill(c, "login", login).await;
            find(c, "#se-connecter").await.click().await.unwrap();
        }
        None => find(c, "#annuler").await.click().await.unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_professional_signs_in_with_pro_sante_connect_and_their_mailbox_opens() {
    // The provider runs until the end of the test (dropped with `_provider`).
    let (backend, _provider) = Backend::start_with("psc", None, |settings, base| {
        let provider = psc_provider::Provider::start(base);
        settings.psc = Some(provider.client());
        provider
    })
    .await;
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    let h1 = || heading(&c);

    // Something typed before leaving: the manual path's step 2, then back to step 1.
    open(&c, &format!("{}/", backend.base)).await;
    click_text(&c, "Non, je n'ai pas de carte CPS").await;
    assert_eq!(until(h1, |t| t.contains("Étape 2/4")).await, "Étape 2/4 : Données personnelles");
    fill(&c, "email", "cecile.sage@exemple.fr").await;
    fill(&c, "email_confirmation", "cecile.sage@exemple.fr").await;
    open(&c, &format!("{}/", backend.base)).await;

    // Cancelled at PSC: step 1 again, with why, and the other ways still there.
    find(&c, "#avec-psc").await.click().await.unwrap();
    at_provider(&c, None).await;
    let error = until(|| text(&c, "#psc-erreur"), |t| !t.is_empty()).await;
    assert!(error.contains("annulée"), "{error}");
    assert!(heading(&c).await.contains("Étape 1/4"));
    let url = c.current_url().await.unwrap();
    assert_eq!(url.fragment(), None, "the fragment does not stay: {url}");
    find(&c, "#avec-carte").await;

    // Signed in at PSC: step 2 filled in from what the server verified, the proven fields locked.
    find(&c, "#avec-psc").await.click().await.unwrap();
    at_provider(&c, Some("sage-femme")).await;
    assert_eq!(until(h1, |t| t.contains("Étape 2/4")).await, "Étape 2/4 : Données personnelles");
    assert_eq!(until(|| value(&c, "nom"), |v| v == "SAGE").await, "SAGE");
    assert_eq!((value(&c, "prenom").await, value(&c, "rpps").await), ("CECILE".into(), "99700771191".into()));
    assert_eq!((value(&c, "civilite").await, value(&c, "profession").await), ("22".into(), "50".into()));
    assert_eq!(
        (value(&c, "lieu_exercice").await, value(&c, "code_postal").await),
        ("MATERNITE DU CHU".into(), "33000".into())
    );
    assert!(find(&c, "#nom").await.attr("readonly").await.unwrap().is_some(), "locked");
    assert!(text(&c, "main").await.contains("prouvé par Pro Santé Connect"));
    assert_eq!(value(&c, "email").await, "cecile.sage@exemple.fr", "the draft survived the round trip");
    assert_eq!(c.current_url().await.unwrap().fragment(), None, "the handle left the address");
    select(&c, "naissance", "29").await;
    select(&c, "naissance_mois", "2").await;
    click_text(&c, "Suivant").await;

    assert_eq!(until(h1, |t| t.contains("Étape 3/4")).await, "Étape 3/4 : Choix de votre identifiant");
    assert_eq!(until(|| value(&c, "identifiant"), |v| v == "cecile.sage").await, "cecile.sage");
    fill(&c, "mot_de_passe", STRONG_64).await;
    fill(&c, "mot_de_passe_confirmation", STRONG_64).await;
    let meter = || async { find(&c, "[data-testid=meter]").await.attr("class").await.unwrap().unwrap_or_default() };
    until(meter, |m| m.contains("satisfaisante")).await;
    promess_e2e::secure_with_an_app(&c).await;
    click_text(&c, "Suivant").await;
    step4_to_the_review(&c, "cecile.sage", "+33564090090", None).await;
    let recap = text(&c, "main").await;
    assert!(recap.contains("Avec Pro Santé Connect (identifiant national 899700771191)"), "{recap}");

    click_text(&c, "Envoyer ma demande").await;
    assert_eq!(until(h1, |t| t.contains("enregistrée")).await, "Votre demande d'adhésion est enregistrée");
    assert!(text(&c, "main").await.contains("vérifiée par Pro Santé Connect"));
    let (sujet, acr): (String, String) =
        sqlx::query_as("SELECT psc_sujet, psc_acr FROM registrations WHERE identifiant = 'cecile.sage'")
            .fetch_one(&backend.db)
            .await
            .unwrap();
    assert_eq!((sujet.as_str(), acr.as_str()), ("sage-femme", "eidas1"));

    // Proven: active as soon as the email is confirmed, with no operator's review.
    open(&c, &backend.email_link("cecile.sage@exemple.fr").await).await;
    click_text(&c, "Confirmer mon adresse électronique").await;
    until(|| text(&c, "main"), |t| t.contains("votre compte est activé")).await;
    assert_eq!(backend.statut("cecile.sage").await, "active");

    // The directory's entry carries the national id; the mailbox opens with the chosen password.
    let mail = mail_system::MailSystem::start("e2e-psc");
    let (admin, password) = (mail_system::ADMIN_DN, mail_system::ADMIN_PASSWORD);
    assert_eq!(backend.provision(&ldap_directory(mail.ldap_url(), admin, password, mail_system::PEOPLE)).await, 1);
    let (conn, mut ldap) = ldap3::LdapConnAsync::new(&mail.ldap_url()).await.unwrap();
    ldap3::drive!(conn);
    ldap.simple_bind(admin, password).await.unwrap().success().unwrap();
    let (found, _) = ldap
        .search(mail_system::PEOPLE, ldap3::Scope::Subtree, "(employeeNumber=899700771191)", vec!["uid"])
        .await
        .unwrap()
        .success()
        .unwrap();
    assert_eq!(found.len(), 1, "the entry found by its national id");
    let login = mail.imap_login("cecile.sage", STRONG_64);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());
    c.close().await.unwrap();
}
