//! The release build, as trunk writes it to dist/, in headless Chromium: the manual path from step 1 to the
//! review, the strength meter computed by the real Web Worker, and the worker kept out of the main wasm.
use promess_e2e::{ChromeDriver, StaticServer, click_text, dist, fill, find, select, until};

#[test]
fn zxcvbn_lives_in_the_worker_wasm_only() {
    let dist = dist();
    let wasm = |prefix: &str| {
        let entry = std::fs::read_dir(&dist)
            .unwrap()
            .flatten()
            .find(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with(prefix) && name.ends_with("_bg.wasm")
            })
            .unwrap_or_else(|| panic!("no {prefix}*_bg.wasm in dist"));
        std::fs::read(entry.path()).unwrap()
    };
    let has = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    // "qwerty" is in zxcvbn's keyboard graphs and dictionaries.
    assert!(
        !has(&wasm("promess-web-"), b"qwerty"),
        "zxcvbn leaked into the main wasm"
    );
    assert!(
        has(&wasm("strength_worker"), b"qwerty"),
        "the worker wasm should hold zxcvbn"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_registration_up_to_the_review_in_the_release_build() {
    let server = StaticServer::start(dist());
    let driver = ChromeDriver::start();
    let c = driver.browser().await;
    c.goto(&format!("{}/", server.base)).await.unwrap();

    let h1 = || async {
        c.find(fantoccini::Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert_eq!(
        until(h1, |t| t.contains("Étape 1/4")).await,
        "Étape 1/4 : Carte CPS"
    );
    click_text(&c, "Non, je n'ai pas de carte CPS").await;
    assert_eq!(
        until(h1, |t| t.contains("Étape 2/4")).await,
        "Étape 2/4 : Données personnelles"
    );

    select(&c, "civilite", "22").await;
    fill(&c, "nom", "D'Arc-de Saint Éxupéry").await;
    fill(&c, "prenom", "Jean-Pierre").await;
    select(&c, "naissance", "29").await;
    select(&c, "naissance_mois", "2").await;
    fill(&c, "email", "jp.exupery@exemple.fr").await;
    fill(&c, "email_confirmation", "jp.exupery@exemple.fr").await;
    fill(&c, "lieu_exercice", "Cabinet de la Bastide").await;
    select(&c, "profession", "10").await;
    fill(&c, "rpps", "100 051 731 40").await;
    fill(&c, "code_postal", "33100").await;
    fill(&c, "ville", "Bordeaux").await;
    fill(&c, "telephone", "05 56 00 00 00").await;
    let dep = find(&c, "#departement").await;
    assert_eq!(
        dep.prop("value").await.unwrap().as_deref(),
        Some("33 - Gironde")
    );
    click_text(&c, "Suivant").await;

    assert_eq!(
        until(h1, |t| t.contains("Étape 3/4")).await,
        "Étape 3/4 : Choix de votre identifiant"
    );
    let id = find(&c, "#identifiant").await.prop("value").await.unwrap();
    assert_eq!(id.as_deref(), Some("jean-pierre.d-arc-de-saint-exupery"));

    let meter = || async {
        find(&c, "[data-testid=meter]")
            .await
            .attr("class")
            .await
            .unwrap()
            .unwrap_or_default()
    };
    let meter_text = || async { find(&c, "[data-testid=meter]").await.text().await.unwrap() };
    fill(&c, "mot_de_passe", "Bordeaux2024").await;
    let text = until(meter_text, |t| {
        t.contains("Faible") || t.contains("Très faible") || t.contains("Moyen")
    })
    .await;
    assert!(meter().await.contains("insuffisante"), "{text}");
    // 64 characters, typed key by key through WebDriver: the worker answers for the last one.
    let strong = "Correct-Cheval-Batterie-Agrafe!42#Lyon_69002+Marseille/13001xQz";
    fill(&c, "mot_de_passe", strong).await;
    let class = until(meter, |c| c.contains("satisfaisante")).await;
    assert!(
        class.contains("satisfaisante"),
        "the worker never turned the meter green: {}",
        meter_text().await
    );
    assert!(meter_text().await.contains("Très fort"));
    fill(&c, "mot_de_passe_confirmation", strong).await;
    click_text(&c, "Suivant").await;

    assert_eq!(
        until(h1, |t| t.contains("Étape 4/4")).await,
        "Étape 4/4 : Adhésion"
    );
    let address = find(&c, "#adresse_securisee")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        address.as_deref(),
        Some("jean-pierre.d-arc-de-saint-exupery@sante-na.fr")
    );
    find(&c, "#liste_rouge-non").await.click().await.unwrap();
    find(&c, "#publier_telephone").await.click().await.unwrap();
    select(&c, "telephone_publie", "+33556000000").await;
    find(&c, "#cgu").await.click().await.unwrap();
    click_text(&c, "Valider").await;

    assert_eq!(
        until(h1, |t| t.contains("Récapitulatif")).await,
        "Récapitulatif de votre demande"
    );
    click_text(&c, "Envoyer ma demande").await;
    let error = || async { find(&c, "#envoi-erreur").await.text().await.unwrap() };
    let message = until(error, |t| t.contains("Vos réponses sont conservées")).await;
    assert!(
        message.contains("Vos réponses sont conservées"),
        "{message}"
    );
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/recapitulatif")
    );
    c.close().await.unwrap();
}
