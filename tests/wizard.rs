//! The wizard in a real browser (headless Chromium through wasm-bindgen-test-runner): mount the app, type into
//! fields, and check what the user would see. Password strength runs the real zxcvbn, on the page's thread here
//! (the Web Worker itself is checked on the release build by the end-to-end test).
#![cfg(target_arch = "wasm32")]

use leptos::{prelude::*, task::tick};
use promess_core::{
    Draft,
    registration::examples::{STRONG_PASSWORD, valid_draft},
};
use promess_strength::StrengthReply;
use promess_web::{App, DRAFT_KEY, Estimator};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

/// zxcvbn run on this thread, answering asynchronously as the worker does.
fn inline_estimator() -> Estimator {
    Estimator(Rc::new(|on_reply: Rc<dyn Fn(StrengthReply)>| {
        Rc::new(move |request| {
            let on_reply = on_reply.clone();
            leptos::task::spawn_local(async move { on_reply(promess_strength::answer(&request)) });
        })
    }))
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn session() -> web_sys::Storage {
    web_sys::window().unwrap().session_storage().unwrap().unwrap()
}

/// Waits for timers, spawned tasks and Leptos' DOM updates.
async fn settle() {
    for _ in 0..3 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
        tick().await;
    }
}

/// Waits for the next frame: resolves in its animation frame callbacks, before it is painted.
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().request_animation_frame(&resolve).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits until `cond` holds (at most about 5 s); returns whether it did.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..250 {
        if cond() {
            return true;
        }
        settle().await;
    }
    cond()
}

/// The element the app is mounted in (the runner keeps its own output elsewhere in the body).
const ROOT: &str = "racine-test";

fn remove_root() {
    if let Some(root) = document().get_element_by_id(ROOT) {
        root.remove();
    }
}

fn mount() -> leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState> {
    remove_root();
    let root: HtmlElement = document().create_element("div").unwrap().dyn_into().unwrap();
    root.set_id(ROOT);
    document().body().unwrap().append_child(&root).unwrap();
    leptos::mount::mount_to(root, || view! { <App estimator=inline_estimator() /> }.into_any())
}

/// A fresh page: the given URL, the given saved draft, then the app mounted.
struct Page(Option<leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>>);

impl Page {
    async fn open(path: &str, saved: Option<&Draft>) -> Page {
        session().clear().unwrap();
        if let Some(draft) = saved {
            session().set_item(DRAFT_KEY, &promess_web::storage::encode(draft)).unwrap();
        }
        web_sys::window().unwrap().history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some(path)).unwrap();
        let handle = mount();
        settle().await;
        Page(Some(handle))
    }

    /// Unmounts, keeping sessionStorage: what a reload keeps.
    fn close(mut self) {
        drop(self.0.take());
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        drop(self.0.take());
        remove_root();
    }
}

fn h1() -> String {
    document().query_selector("h1").unwrap().map(|h| h.text_content().unwrap_or_default()).unwrap_or_default()
}

fn path() -> String {
    web_sys::window().unwrap().location().pathname().unwrap()
}

fn by_id<T: JsCast>(id: &str) -> T {
    document().get_element_by_id(id).unwrap_or_else(|| panic!("no #{id}")).dyn_into::<T>().unwrap()
}

fn text_of(id: &str) -> String {
    document().get_element_by_id(id).and_then(|e| e.text_content()).unwrap_or_default()
}

fn fire(target: &web_sys::EventTarget, kind: &str, bubbles: bool) {
    let init = EventInit::new();
    init.set_bubbles(bubbles);
    target.dispatch_event(&Event::new_with_event_init_dict(kind, &init).unwrap()).unwrap();
}

async fn type_into(id: &str, value: &str) {
    let input: HtmlInputElement = by_id(id);
    input.set_value(value);
    fire(&input, "input", true);
    settle().await;
}

async fn leave(id: &str) {
    fire(&by_id::<HtmlElement>(id), "blur", false);
    settle().await;
}

/// Chooses as a user does: the list is pressed (a long one is drawn then), then a choice made.
async fn choose(id: &str, value: &str) {
    let select: HtmlSelectElement = by_id(id);
    fire(&select, "pointerdown", true);
    select.set_value(value);
    fire(&select, "change", true);
    settle().await;
}

async fn click(element: HtmlElement) {
    element.click();
    settle().await;
}

fn button(text: &str) -> HtmlElement {
    let all = document().query_selector_all("button, a").unwrap();
    (0..all.length())
        .filter_map(|i| all.item(i))
        .map(|n| n.dyn_into::<HtmlElement>().unwrap())
        .find(|b| b.text_content().unwrap_or_default().contains(text))
        .unwrap_or_else(|| panic!("no button {text:?}"))
}

fn active_id() -> String {
    document().active_element().map(|e| e.id()).unwrap_or_default()
}

fn meter() -> (String, String) {
    let m = document().query_selector("[data-testid=meter]").unwrap().expect("meter");
    (m.class_name(), m.text_content().unwrap_or_default())
}

/// The draft with steps 1 and 2 answered.
fn through_step2() -> Draft {
    Draft { liste_rouge: None, publier_telephone: None, telephone_publie: String::new(), cgu: false, ..valid_draft() }
}

#[wasm_bindgen_test]
async fn without_the_card_agent_step1_says_what_to_do_and_offers_the_manual_path() {
    // No agent listens at the default address in the test browser: the workstation check says so.
    let _page = Page::open("/", None).await;
    assert_eq!(h1(), "Étape 1/4 : Carte CPS");
    click(button("Oui, j'ai une carte CPS")).await;
    assert!(eventually(|| !text_of("carte-probleme").is_empty()).await, "{}", text_of("carte-etat"));
    assert!(text_of("carte-probleme").contains("ne répond pas sur votre ordinateur"), "{}", text_of("carte-probleme"));
    let checks = text_of("carte-etat");
    assert!(checks.contains("Logiciel de lecture de carte (ProMess Carte) : problème"), "{checks}");
    assert!(checks.contains("Carte CPS : non testé"), "{checks}");
    assert_eq!(active_id(), "contenu-carte", "focus moves to the explanation");
    assert_eq!(path(), "/", "no card, no step 2 pre-filled");
    click(button("Tester à nouveau")).await;
    assert!(eventually(|| text_of("carte-probleme").contains("ne répond pas")).await);
    click(button("Continuer sans carte CPS")).await;
    assert_eq!(h1(), "Étape 2/4 : Données personnelles");
    assert_eq!(path(), "/donnees-personnelles");
}

#[wasm_bindgen_test]
async fn what_the_card_gave_is_locked_and_marked() {
    let mut draft = valid_draft();
    let card = promess_core::card::CardIdentity {
        identifiant_national: "899700771191".into(),
        rpps: Some("99700771191".into()),
        nom: "SAGE".into(),
        prenom: "CECILE".into(),
        profession: Some("50".into()),
        ..Default::default()
    };
    draft.fill_from_card("Virtual PCD 00 00", &promess_core::card::FullIdentity { carte: card, ..Default::default() });
    let _page = Page::open("/donnees-personnelles", Some(&draft)).await;
    assert!(by_id::<HtmlInputElement>("nom").read_only() && by_id::<HtmlInputElement>("rpps").read_only());
    assert!(by_id::<HtmlSelectElement>("profession").disabled());
    assert!(!by_id::<HtmlInputElement>("email").read_only(), "the rest stays editable");
    let label = document().query_selector("label[for=nom]").unwrap().unwrap().text_content().unwrap();
    assert!(label.contains("(lu sur votre carte CPS)"), "{label}");
    click(button("Suivant")).await;
    assert_eq!(h1(), "Étape 3/4 : Choix de votre identifiant", "the card's answers are valid as they are");
}

#[wasm_bindgen_test]
async fn a_field_is_checked_on_blur_then_on_every_keystroke() {
    let _page =
        Page::open("/donnees-personnelles", Some(&Draft { mode: valid_draft().mode, ..Draft::default() })).await;
    assert_eq!(h1(), "Étape 2/4 : Données personnelles");
    type_into("nom", "Sage2").await;
    assert_eq!(text_of("nom-erreur"), "", "no error while typing a field never left");
    leave("nom").await;
    assert_eq!(
        text_of("nom-erreur"),
        "Nom : seuls les lettres, les espaces, les traits d'union et les apostrophes sont acceptés."
    );
    let nom: HtmlInputElement = by_id("nom");
    assert_eq!(nom.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert!(nom.get_attribute("aria-describedby").unwrap_or_default().contains("nom-erreur"));
    type_into("nom", "Sage").await;
    assert_eq!(text_of("nom-erreur"), "", "fixed at the keystroke, once touched");
    assert_eq!(nom.get_attribute("aria-invalid").as_deref(), Some("false"));

    type_into("rpps", "10003461033").await;
    leave("rpps").await;
    assert!(
        text_of("rpps-erreur").starts_with("N° RPPS : la clé de contrôle est incorrecte"),
        "{}",
        text_of("rpps-erreur")
    );
    type_into("rpps", "997 007 711 91").await;
    assert_eq!(text_of("rpps-erreur"), "");

    type_into("email", "cecile.sage@exemple.fr").await;
    type_into("email_confirmation", "cecile.sage@exemple.com").await;
    leave("email_confirmation").await;
    assert_eq!(
        text_of("email_confirmation-erreur"),
        "Confirmation email : les deux adresses email ne sont pas identiques."
    );

    type_into("code_postal", "20000").await;
    assert_eq!(by_id::<HtmlInputElement>("departement").value(), "2A - Corse-du-Sud");
}

#[wasm_bindgen_test]
async fn next_checks_the_whole_step_and_focuses_the_first_invalid_field() {
    let _page =
        Page::open("/donnees-personnelles", Some(&Draft { mode: valid_draft().mode, ..Draft::default() })).await;
    click(button("Suivant")).await;
    assert_eq!(path(), "/donnees-personnelles", "an invalid step does not move on");
    assert_eq!(active_id(), "civilite");
    assert_eq!(text_of("civilite-erreur"), "Civilité : choisissez une réponse.");
    assert_eq!(text_of("rpps-erreur"), "N° RPPS : merci de compléter le champ n°RPPS ou n°ADELI.");
    assert_eq!(text_of("telephone-erreur"), "Téléphone : renseignez un numéro de téléphone fixe ou mobile.");
    assert_eq!(text_of("fax-erreur"), "", "optional fields stay quiet");
    assert!(
        document()
            .query_selector(".resume-erreurs")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap()
            .contains("champs sont à corriger")
    );

    choose("civilite", "22").await;
    click(button("Suivant")).await;
    assert_eq!(active_id(), "nom", "focus goes to the next invalid field");
    assert_eq!(text_of("civilite-erreur"), "");
}

#[wasm_bindgen_test]
async fn profession_autre_reveals_its_field() {
    let _page =
        Page::open("/donnees-personnelles", Some(&Draft { mode: valid_draft().mode, ..Draft::default() })).await;
    assert!(document().get_element_by_id("profession_autre").is_none());
    choose("profession", "autre").await;
    let autre: HtmlSelectElement = by_id("profession_autre");
    let groups = autre.query_selector_all("optgroup").unwrap();
    assert_eq!(groups.length(), 2, "TRE_R95 and TRE_R94");
    let labels: Vec<String> =
        (0..autre.length()).filter_map(|i| autre.item(i)).map(|o| o.text_content().unwrap()).collect();
    assert!(labels.iter().any(|l| l == "Ostéopathe") && labels.iter().any(|l| l == "Assistant de service social"));
    assert_eq!(labels.len(), 1 + 5 + 12, "the active titles only: {labels:?}");
    click(button("Suivant")).await;
    assert_eq!(text_of("profession_autre-erreur"), "Profession (autre) : choisissez une réponse.");
    choose("profession_autre", "71").await;
    assert_eq!(text_of("profession_autre-erreur"), "");
}

/// The choices a user sees on opening the list.
fn option_values(id: &str) -> Vec<String> {
    let select: HtmlSelectElement = by_id(id);
    fire(&select, "pointerdown", true);
    (0..select.length()).filter_map(|i| select.item(i)).map(|o| o.get_attribute("value").unwrap_or_default()).collect()
}

#[wasm_bindgen_test]
async fn a_long_list_is_drawn_when_first_used() {
    let _page =
        Page::open("/donnees-personnelles", Some(&Draft { mode: valid_draft().mode, ..Draft::default() })).await;
    let select: HtmlSelectElement = by_id("specialite_adeli");
    assert_eq!(select.length(), 1, "« Aucune » alone until the list is used");
    let waiting = format!("template[{}]", promess_web::shell::names::OPTIONS);
    assert!(select.query_selector(&waiting).unwrap().is_some(), "the choices wait in the select");
    fire(&select, "focus", false);
    assert_eq!(select.length() as usize, 1 + promess_core::nos::SPECIALITES_ADELI.len());
    assert!(select.query_selector("template").unwrap().is_none());
    assert_eq!(option_values("civilite").len(), 9, "a short list is drawn at once");
    choose("specialite_adeli", "07").await;
    assert_eq!(by_id::<HtmlSelectElement>("specialite_adeli").value(), "07");
}

#[wasm_bindgen_test]
async fn a_long_list_already_answered_is_drawn_with_its_answer() {
    let draft = Draft { specialite_adeli: "07".into(), ..valid_draft() };
    let _page = Page::open("/donnees-personnelles", Some(&draft)).await;
    let select: HtmlSelectElement = by_id("specialite_adeli");
    assert_eq!(select.length() as usize, 1 + promess_core::nos::SPECIALITES_ADELI.len());
    assert_eq!(select.value(), "07");
}

#[wasm_bindgen_test]
async fn civilite_offers_the_civilites_d_exercice() {
    let _page =
        Page::open("/donnees-personnelles", Some(&Draft { mode: valid_draft().mode, ..Draft::default() })).await;
    assert_eq!(option_values("civilite"), ["", "22", "31", "DR", "MC", "MG", "PC", "PG", "PR"]);
    let group = document().query_selector("#civilite optgroup[label=\"Civilité d'exercice\"]").unwrap();
    assert_eq!(group.unwrap().child_element_count(), 6);
}

#[wasm_bindgen_test]
async fn the_specialties_are_those_of_the_chosen_profession() {
    let _page =
        Page::open("/donnees-personnelles", Some(&Draft { mode: valid_draft().mode, ..Draft::default() })).await;
    assert!(document().get_element_by_id("specialite_rpps").is_none(), "no profession, no specialty");
    choose("profession", "40").await;
    assert_eq!(option_values("specialite_rpps"), ["", "SCD01", "SCD02", "SCD03"]);
    assert_eq!(
        by_id::<HtmlSelectElement>("specialite_rpps").item(2).unwrap().text_content().unwrap(),
        "Chirurgie orale"
    );
    choose("specialite_rpps", "SCD02").await;
    choose("profession", "10").await;
    let doctor = option_values("specialite_rpps");
    assert_eq!(doctor.len(), 1 + 72);
    assert!(doctor[1..].iter().all(|c| c.starts_with("SM")));
    assert_eq!(by_id::<HtmlSelectElement>("specialite_rpps").value(), "", "the dentist's specialty was dropped");
    choose("profession", "50").await;
    assert!(document().get_element_by_id("specialite_rpps").is_none(), "a midwife has no ordinal specialty");
}

#[wasm_bindgen_test]
async fn without_the_communes_file_the_town_is_typed() {
    // The test server has no /communes/ files: the wizard says so and Ville stays a text field.
    let _page =
        Page::open("/donnees-personnelles", Some(&Draft { mode: valid_draft().mode, ..Draft::default() })).await;
    assert_eq!(text_of("code_postal-communes"), "");
    type_into("code_postal", "33000").await;
    assert!(eventually(|| text_of("code_postal-communes").starts_with("Aucune commune connue")).await);
    assert!(document().get_element_by_id("ville").unwrap().dyn_into::<HtmlInputElement>().is_ok());
    type_into("ville", "Bordeaux").await;
    assert_eq!(by_id::<HtmlInputElement>("departement").value(), "33 - Gironde");
    type_into("code_postal", "20000").await;
    assert_eq!(by_id::<HtmlInputElement>("departement").value(), "2A - Corse-du-Sud");
}

#[wasm_bindgen_test]
async fn a_typed_url_cannot_skip_a_step() {
    {
        let _page = Page::open("/adhesion", None).await;
        assert_eq!(path(), "/");
        assert_eq!(h1(), "Étape 1/4 : Carte CPS");
        assert!(
            by_id::<HtmlElement>(ROOT)
                .text_content()
                .unwrap()
                .contains("accessible qu'une fois les précédentes complétées")
        );
    }
    {
        // Steps 1 and 2 done, but the password is never saved: step 4 sends back to step 3.
        let _page = Page::open("/adhesion", Some(&through_step2())).await;
        assert_eq!(path(), "/identifiant");
        assert_eq!(h1(), "Étape 3/4 : Choix de votre identifiant");
    }
    {
        let _page = Page::open("/recapitulatif", Some(&valid_draft())).await;
        assert_eq!(path(), "/identifiant");
    }
}

#[wasm_bindgen_test]
async fn a_keystroke_is_painted_before_the_meter_follows_it() {
    let _page = Page::open("/identifiant", Some(&through_step2())).await;
    let before = meter();
    assert!(before.1.contains("saisissez un mot de passe"), "{before:?}");
    let input: HtmlInputElement = by_id("mot_de_passe");
    input.set_value("m");
    fire(&input, "input", true);
    next_frame().await;
    assert_eq!(meter(), before, "the frame that shows the keystroke waits for nothing else");
    assert!(eventually(|| meter().1.contains("insuffisante")).await, "{:?}", meter());
}

#[wasm_bindgen_test]
async fn the_meter_goes_from_red_to_green_when_every_rule_holds() {
    let _page = Page::open("/identifiant", Some(&through_step2())).await;
    assert_eq!(by_id::<HtmlInputElement>("identifiant").value(), "cecile.sage");
    type_into("mot_de_passe", "motdepasse").await;
    assert!(eventually(|| meter().1.contains("insuffisante")).await, "{:?}", meter());
    let (class, text) = meter();
    assert!(class.contains("insuffisante"), "{class}");
    assert!(text.contains("Sécurité du mot de passe : insuffisante"), "{text}");

    // Long and mixed, but it holds the given name: still red, and the rule says why.
    type_into("mot_de_passe", "Cecile-Tournesol-Orbite-1984").await;
    assert!(eventually(|| meter().1.contains("(")).await);
    assert!(meter().0.contains("insuffisante"));
    let rules = document().query_selector(".regles").unwrap().unwrap();
    let personal = rules.query_selector(".regle.ko").unwrap().unwrap().text_content().unwrap();
    assert!(personal.contains("Ni votre nom, ni votre prénom"), "{personal}");

    type_into("mot_de_passe", STRONG_PASSWORD).await;
    assert!(eventually(|| meter().0.contains("satisfaisante")).await, "{:?}", meter());
    assert!(meter().1.contains("Sécurité du mot de passe : satisfaisante"), "{:?}", meter());
    assert_eq!(rules.query_selector_all(".regle.ko").unwrap().length(), 0);

    type_into("mot_de_passe_confirmation", "autre chose").await;
    click(button("Suivant")).await;
    assert_eq!(active_id(), "mot_de_passe_confirmation");
    assert_eq!(
        text_of("mot_de_passe_confirmation-erreur"),
        "Confirmez votre mot de passe : les deux mots de passe ne sont pas identiques."
    );
    type_into("mot_de_passe_confirmation", STRONG_PASSWORD).await;
    click(button("Suivant")).await;
    assert_eq!(path(), "/adhesion");
    assert_eq!(by_id::<HtmlInputElement>("adresse_securisee").value(), "cecile.sage@sante-na.fr");
    click(by_id("mssante")).await;
    assert_eq!(by_id::<HtmlInputElement>("adresse_securisee").value(), "cecile.sage@na.mssante.fr");
}

#[wasm_bindgen_test]
async fn step_3_asks_for_a_second_factor_before_step_4() {
    let without = Draft { facteur: String::new(), codes_conserves: false, ..through_step2() };
    let _page = Page::open("/identifiant", Some(&without)).await;
    type_into("mot_de_passe", STRONG_PASSWORD).await;
    type_into("mot_de_passe_confirmation", STRONG_PASSWORD).await;
    assert!(eventually(|| meter().0.contains("satisfaisante")).await);
    click(button("Suivant")).await;
    assert_eq!(path(), "/identifiant", "no step 4 with a password alone");
    assert_eq!(active_id(), "second_facteur", "the set-up's button has the focus");
    assert!(
        text_of("second_facteur-erreur").starts_with("Second facteur : sécurisez votre compte"),
        "{}",
        text_of("second_facteur-erreur")
    );
}

#[wasm_bindgen_test]
async fn a_reload_keeps_the_answers_but_never_the_password() {
    let page = Page::open("/donnees-personnelles", Some(&through_step2())).await;
    assert_eq!((path().as_str(), h1().as_str()), ("/donnees-personnelles", "Étape 2/4 : Données personnelles"));
    type_into("lieu_exercice", "Cabinet des Chartrons").await;
    click(button("Suivant")).await;
    assert_eq!(path(), "/identifiant");
    type_into("mot_de_passe", STRONG_PASSWORD).await;
    type_into("mot_de_passe_confirmation", STRONG_PASSWORD).await;
    let saved = session().get_item(DRAFT_KEY).unwrap().unwrap();
    assert_eq!(promess_web::storage::load().lieu_exercice, "Cabinet des Chartrons");
    assert!(!saved.contains(STRONG_PASSWORD), "the password is never stored");
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(local.length().unwrap(), 0, "nothing in localStorage");
    page.close();

    // "Reload": a new app on the same URL and sessionStorage.
    let handle = mount();
    settle().await;
    assert_eq!(path(), "/identifiant");
    assert_eq!(by_id::<HtmlInputElement>("identifiant").value(), "cecile.sage");
    assert_eq!(by_id::<HtmlInputElement>("mot_de_passe").value(), "", "the password must be typed again");
    drop(handle);

    // And a reload of step 2 shows what was typed there.
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .replace_state_with_url(&JsValue::NULL, "", Some("/donnees-personnelles"))
        .unwrap();
    let handle = mount();
    settle().await;
    assert_eq!(by_id::<HtmlInputElement>("lieu_exercice").value(), "Cabinet des Chartrons");
    assert_eq!(by_id::<HtmlInputElement>("nom").value(), "Sage");
    drop(handle);
    remove_root();
}

#[wasm_bindgen_test]
async fn back_and_forward_keep_the_answers() {
    let _page = Page::open("/donnees-personnelles", Some(&through_step2())).await;
    type_into("ville", "Pessac").await;
    click(button("Suivant")).await;
    assert_eq!(path(), "/identifiant");
    web_sys::window().unwrap().history().unwrap().back().unwrap();
    assert!(eventually(|| path() == "/donnees-personnelles").await);
    assert!(eventually(|| h1() == "Étape 2/4 : Données personnelles").await);
    assert_eq!(by_id::<HtmlInputElement>("ville").value(), "Pessac");
    web_sys::window().unwrap().history().unwrap().forward().unwrap();
    assert!(eventually(|| h1() == "Étape 3/4 : Choix de votre identifiant").await);
}

#[wasm_bindgen_test]
async fn the_review_groups_answers_and_a_failed_submission_keeps_them() {
    let _page = Page::open("/identifiant", Some(&valid_draft())).await;
    type_into("mot_de_passe", STRONG_PASSWORD).await;
    type_into("mot_de_passe_confirmation", STRONG_PASSWORD).await;
    assert!(eventually(|| meter().0.contains("satisfaisante")).await);
    click(button("Suivant")).await;
    assert_eq!(path(), "/adhesion");
    click(button("Valider")).await;
    assert_eq!(path(), "/recapitulatif");
    let body = by_id::<HtmlElement>(ROOT).text_content().unwrap();
    for expected in [
        "Étape 2/4 : Données personnelles",
        "Sage-Femme",
        "99700771191",
        "33 - Gironde",
        "cecile.sage@sante-na.fr",
        "06 12 34 56 78",
    ] {
        assert!(body.contains(expected), "review lacks {expected:?}");
    }
    assert!(!body.contains(STRONG_PASSWORD));
    assert_eq!(document().query_selector_all("a.modifier").unwrap().length(), 4);

    // No backend answers here: a clear message, and nothing lost.
    click(button("Envoyer ma demande")).await;
    assert!(
        eventually(|| text_of("envoi-erreur").contains("Vos réponses sont conservées")).await,
        "{}",
        text_of("envoi-erreur")
    );
    assert_eq!(path(), "/recapitulatif", "never a fake success");
    assert_eq!(promess_web::storage::load().lieu_exercice, "Maternité du CHU de Bordeaux");

    click(button("Modifier")).await;
    assert_eq!(h1(), "Étape 1/4 : Carte CPS");
}

#[wasm_bindgen_test]
async fn demo_opens_step_3_with_the_example_answers_only_when_nothing_is_typed() {
    for saved in [None, Some(Draft { mode: valid_draft().mode, ..Draft::default() })] {
        let _page = Page::open("/identifiant?demo=1", saved.as_ref()).await;
        assert_eq!(h1(), "Étape 3/4 : Choix de votre identifiant");
        assert_eq!(by_id::<HtmlInputElement>("identifiant").value(), "cecile.sage");
    }
    let saved = Draft { mode: valid_draft().mode, nom: "Martin".into(), ..Draft::default() };
    let _page = Page::open("/identifiant?demo=1", Some(&saved)).await;
    assert_eq!(h1(), "Étape 2/4 : Données personnelles", "a saved draft is never replaced");
}

/// The page reads the agent's and the server's answers with the browser's JSON parser: what serde writes
/// (the agent, the server), the page's reader gets back whole, field by field; a field renamed on one side fails.
#[wasm_bindgen_test]
fn the_page_reads_every_card_wire_type_that_serde_writes() {
    use promess_core::card::*;
    use promess_web::card::Js;
    fn parsed<T: serde::Serialize>(value: &T) -> Js {
        Js(js_sys::JSON::parse(&serde_json::to_string(value).unwrap()).unwrap())
    }
    use promess_core::card::examples::*;
    let full = full_identity();
    assert_eq!(FullIdentity::read(&parsed(&full)), Some(full.clone()));
    let status = agent_status();
    assert_eq!(AgentStatus::read(&parsed(&status)), Some(status));
    let proof = card_proof();
    assert_eq!(CardProof::read(&parsed(&proof)), Some(proof));
    let challenge = challenge();
    assert_eq!(Challenge::read(&parsed(&challenge)), Some(challenge));
    let error = AgentError { error: AgentErrorCode::PinIncorrect, remaining: Some(2), detail: None };
    assert_eq!(AgentError::read(&parsed(&error)), Some(error));
    // And the server's answers.
    use promess_core::registration::{Proposal, RegistrationAccepted};
    let proposal = Proposal { identifiant: "paul.martin2".into(), adresse: "paul.martin2@sante-na.fr".into() };
    assert_eq!(Proposal::read(&parsed(&proposal)), Some(proposal));
    let accepted = RegistrationAccepted {
        identifiant: "a".into(),
        adresse: "a@b".into(),
        statut: promess_core::lifecycle::Statut::EnVerification,
    };
    assert_eq!(RegistrationAccepted::read(&parsed(&accepted)), Some(accepted));
    let errors = promess_core::registration::examples::every_error();
    assert_eq!(promess_core::FieldErrors::read(&parsed(&errors)), errors);
}
