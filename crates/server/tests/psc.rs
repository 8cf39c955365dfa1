//! Pro Santé Connect, against a real OpenID provider (npm's oidc-provider configured like PSC): the journey there and
//! back, the identity read back by the page, the registration believed only for what PSC said, the account active
//! once its email is confirmed with its national id in the real directory (slapd) and its mailbox open (Dovecot).
//! The attacker's side: every forged, replayed or foreign piece is refused with a French message and nothing stored.
//! `cargo test --test psc` runs these alone.
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use promess_core::{ErrorCode, Field, psc::PscIdentity, registration::examples::STRONG_PASSWORD};
use promess_server::provisioning::{Directory, Ldap, Provisioner};
use serde_json::Value;
use std::sync::Arc;

mod common;
use common::{
    Backend, TestApp, confirm, count,
    mail_system::{ADMIN_DN, ADMIN_PASSWORD, MailSystem, PEOPLE},
    provision_to,
    psc::{at_provider, back, begin, browser, get, handle_of, journey, param},
    psc_provider::Provider,
    request, send, statut_of, test_app_with, token_of,
};

/// The password chosen again after a sign-in by Pro Santé Connect.
const NEW_PASSWORD: &str = "Nouvelle-Phrase-De-Passe-2026";

async fn psc_app(backend: Backend, name: &str, provider: &Provider) -> Option<TestApp> {
    let client = provider.client();
    test_app_with(backend, name, move |settings, _| promess_server::Settings { psc: Some(client), ..settings }).await
}

/// `GET /api/psc/identites/{handle}` with this cookie.
async fn identity(app: &TestApp, handle: &str, cookie: Option<&str>) -> (StatusCode, Value) {
    let (status, _, _, body) = get(app, &format!("/api/psc/identites/{handle}"), cookie).await;
    (status, body)
}

/// A registration whose step 2 PSC filled in (as the page does with what it read back).
fn psc_request(handle: &str, id: &PscIdentity) -> promess_core::RegistrationRequest {
    let mut r = request("", "cecile.sage@exemple.fr");
    r.donnees.fill_from_psc(handle, id);
    r
}

async fn post_registration(
    app: &TestApp,
    r: &promess_core::RegistrationRequest,
    cookie: Option<&str>,
) -> (StatusCode, Value) {
    // The second factor set up first, as the wizard's step 3 does.
    let r = &common::secured(app, r).await;
    let mut request = Request::post("/api/registrations")
        .header(header::CONTENT_TYPE, "application/json")
        .header("origin", common::ORIGIN);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let body = Body::from(serde_json::to_string(r).unwrap());
    let (status, body, _) = send(app, request.body(body).unwrap()).await;
    (status, body)
}

/// The error code of a 422 on the step 1 choice.
fn mode_error(body: &Value) -> String {
    body["erreurs"][Field::Mode.key()][0]
        .as_str()
        .or(body[Field::Mode.key()][0].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_professional_proven_by_psc_is_active_once_the_email_is_confirmed_with_the_national_id_in_the_directory() {
    let provider = Provider::start(common::ORIGIN);
    let mail = MailSystem::start("psc");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = psc_app(backend, "psc_journey", &provider).await else { continue };
        let (offered, _, _, body) = get(&app, "/api/psc", None).await;
        assert_eq!((offered, body["disponible"].as_bool()), (StatusCode::OK, Some(true)));

        // To PSC: the code flow, our scopes, eidas1, PKCE S256, a state and a nonce, back to our /psc/retour.
        let j = begin(&app).await;
        assert!(j.authorize.starts_with(&format!("{}/auth?", provider.issuer)), "{}", j.authorize);
        assert_eq!(param(&j.authorize, "response_type").as_deref(), Some("code"));
        let scopes = param(&j.authorize, "scope").unwrap();
        assert!(scopes.split(' ').any(|s| s == "openid") && scopes.split(' ').any(|s| s == "scope_all"), "{scopes}");
        assert_eq!(param(&j.authorize, "acr_values").as_deref(), Some("eidas1"));
        assert_eq!(param(&j.authorize, "code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(param(&j.authorize, "redirect_uri").as_deref(), Some("http://127.0.0.1:8080/psc/retour"));
        assert!(param(&j.authorize, "state").is_some() && param(&j.authorize, "nonce").is_some());
        assert_eq!(param(&j.authorize, "client_id").as_deref(), Some(common::psc_provider::CLIENT_ID));
        assert!(!j.authorize.contains(common::psc_provider::CLIENT_SECRET), "the secret never reaches the browser");

        let return_url = at_provider(&browser(), &j.authorize, Some("sage-femme")).await;
        let location = back(&app, &return_url, Some(&j.cookie)).await;
        let handle = handle_of(&location).expect("proven");

        // The page reads what PSC proved, with its cookie only.
        let (status, body) = identity(&app, &handle, Some(&j.cookie)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id: PscIdentity = serde_json::from_value(body).unwrap();
        assert_eq!((id.identifiant_national.as_str(), id.nom.as_str()), ("899700771191", "SAGE"));
        assert_eq!((id.profession.as_deref(), id.ville.as_deref()), (Some("50"), Some("BORDEAUX")));
        let (other, body) = identity(&app, &handle, Some("promess-psc=un-autre-navigateur")).await;
        assert_eq!((other, mode_error(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "psc_handle_unknown"));

        // The registration changing what PSC said is refused, and nothing is stored.
        let mut changed = psc_request(&handle, &id);
        changed.donnees.nom = "SAGE-DUPONT".into();
        let (status, body) = post_registration(&app, &changed, Some(&j.cookie)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.to_string().contains(ErrorCode::PscMismatch.key()), "{body}");
        // The same handle from another browser.
        let r = psc_request(&handle, &id);
        let (status, body) = post_registration(&app, &r, Some("promess-psc=un-autre-navigateur")).await;
        assert_eq!((status, mode_error(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "psc_handle_unknown"));
        assert_eq!(count(&app).await, 0);

        let (status, body) = post_registration(&app, &r, Some(&j.cookie)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let identifiant = body["identifiant"].as_str().unwrap().to_owned();
        assert_eq!(identifiant, "cecile.sage");
        // The handle once only.
        let mut again = r.clone();
        (again.donnees.email, again.donnees.email_confirmation) =
            ("autre@exemple.fr".into(), "autre@exemple.fr".into());
        let (status, body) = post_registration(&app, &again, Some(&j.cookie)).await;
        assert_eq!((status, mode_error(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "psc_handle_used"));
        assert_eq!(count(&app).await, 1);

        // The proof is recorded; the email confirmed, the account is active with no operator's review.
        let (issuer, sub, acr, jeton): (String, String, String, String) =
            sqlx::query_as("SELECT psc_emetteur, psc_sujet, psc_acr, psc_jeton FROM registrations")
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!((issuer, sub, acr), (provider.issuer.clone(), "sage-femme".into(), "eidas1".into()));
        assert_eq!(jeton.len(), 64, "the ID token's hash, never the token");
        // The operator's console says how the identity was proven.
        let added = promess_server::operators::add(
            &app.store,
            "agent.psc",
            "Mot-De-Passe-Agent-9",
            "Mot-De-Passe-Agent-9",
            app.now(),
        );
        let secret = added.await.unwrap().unwrap().secret;
        let mut console = common::browser::Visitor::default();
        let form = console.get(&app, "/operateur").await;
        let code = promess_server::operators::totp(&secret, "agent.psc").unwrap().generate(app.now() as u64);
        let signed = [("login", "agent.psc"), ("mot_de_passe", "Mot-De-Passe-Agent-9"), ("code", &code)];
        let csrf = common::csrf_of(&form.html);
        let signed_in = console.post(&app, "/operateur/connexion", &[&signed[..], &[("csrf", &csrf)]].concat()).await;
        assert_eq!(signed_in.location, "/operateur/demandes", "{}", signed_in.html);
        let id = common::id_of(&app, &identifiant).await;
        let request_page = console.get(&app, &format!("/operateur/demandes/{id}")).await.html;
        assert!(request_page.contains("Identité prouvée par Pro Santé Connect"), "{request_page}");
        assert!(request_page.contains("niveau eidas1") && request_page.contains("sage-femme"), "{request_page}");
        let listed = console.get(&app, "/operateur/demandes?statut=toutes").await.html;
        assert!(listed.contains("Pro Santé Connect"), "{listed}");

        let (status, body) = confirm(&app, &token_of(&app, &identifiant).await).await;
        assert_eq!((status, body["statut"].as_str()), (StatusCode::OK, Some("active")), "{body}");
        assert_eq!(statut_of(&app, &identifiant).await.as_deref(), Some("active"));

        // The account space: Pro Santé Connect signs the proven account in, strong on its own; someone PSC proves
        // without such an account is told so, and an account proven by no one is never opened this way.
        let to_account = |login: &'static str| {
            let app = &app;
            async move {
                let (status, authorize, cookies, _) = get(app, "/psc/connexion?pour=compte", None).await;
                assert_eq!(status, StatusCode::SEE_OTHER, "{authorize}");
                let cookie = cookies
                    .iter()
                    .find(|c| c.starts_with("promess-psc="))
                    .unwrap()
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned();
                let return_url = at_provider(&browser(), &authorize, Some(login)).await;
                let path = return_url.strip_prefix(common::ORIGIN).unwrap().to_owned();
                let from_psc = [("origin", "https://wallet.esw.esante.gouv.fr"), ("sec-fetch-site", "cross-site")];
                let (_, location, set, _) = common::psc::get_from(app, &path, Some(&cookie), &from_psc).await;
                (location, set.into_iter().find(|c| c.starts_with("promess-compte=")))
            }
        };
        let (location, session) = to_account("sage-femme").await;
        assert_eq!(location, "/compte");
        let mut v = common::browser::Visitor::default();
        let session = session.expect("a session").split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
        v.cookies.insert("promess-compte".into(), session);
        let home = v.get(&app, "/compte").await.html;
        assert!(home.contains("<h1>Mon compte</h1>") && home.contains("connexion (Pro Santé Connect)"), "{home}");
        // Proven again just now: a lost factor is replaced, a forgotten password changed, with no factor asked.
        let csrf = common::csrf_of(&home);
        let add =
            v.post(&app, "/compte/verification", &[("csrf", &csrf), ("action", "ajouter"), ("cible", "totp")]).await;
        assert!(add.html.contains("Ajouter une application d'authentification"), "{}", add.html);
        let change = [("csrf", csrf.as_str()), ("action", "mot_de_passe"), ("cible", "")];
        let form = v.post(&app, "/compte/verification", &change).await.html;
        assert!(form.contains("Nouveau mot de passe") && !form.contains("Mot de passe actuel"), "{form}");
        let new = NEW_PASSWORD;
        let typed = [("mot_de_passe", new), ("mot_de_passe_confirmation", new), ("csrf", csrf.as_str())];
        assert!(v.post(&app, "/compte/mot-de-passe", &typed).await.html.contains("Votre mot de passe est changé"));
        let (location, session) = to_account("sage-femme").await;
        assert_eq!(location, "/compte");
        v.cookies.insert(
            "promess-compte".into(),
            session.unwrap().split(';').next().unwrap().split_once('=').unwrap().1.to_owned(),
        );
        let (location, session) = to_account("infirmier").await;
        assert_eq!((location.as_str(), session), ("/compte?psc=sans_compte", None));
        let said = common::browser::Visitor::default().get(&app, &location).await.html;
        assert!(said.contains("Aucun compte dont l'identité a été prouvée") && said.contains("?pour=compte"), "{said}");
        sqlx::query("UPDATE registrations SET psc_verifiee_le = NULL").execute(&app.db).await.unwrap();
        assert_eq!(to_account("sage-femme").await.0, "/compte?psc=sans_compte", "proven by no one: not this way");
        sqlx::query("UPDATE registrations SET psc_verifiee_le = 1").execute(&app.db).await.unwrap();

        // The directory: the entry carries the national id, and the mailbox opens with the chosen password.
        if let Backend::Sqlite = backend {
            let ldap = Ldap {
                url: mail.ldap_url(),
                bind_dn: ADMIN_DN.into(),
                password: ADMIN_PASSWORD.into(),
                starttls: false,
                tls: None,
            };
            let to = Provisioner {
                directory: Directory::Ldap(Arc::new(ldap)),
                base_dn: PEOPLE.into(),
                webmail: "https://mail.sante-na.fr/".into(),
            };
            assert_eq!(provision_to(&app, &to).await, 2, "the account, then its new password");
            let (conn, mut ldap) = ldap3::LdapConnAsync::new(&mail.ldap_url()).await.unwrap();
            ldap3::drive!(conn);
            ldap.simple_bind(ADMIN_DN, ADMIN_PASSWORD).await.unwrap().success().unwrap();
            let filter = "(employeeNumber=899700771191)";
            let (found, _) =
                ldap.search(PEOPLE, ldap3::Scope::Subtree, filter, vec!["uid"]).await.unwrap().success().unwrap();
            let entry = ldap3::SearchEntry::construct(found.into_iter().next().expect("the entry by its national id"));
            assert_eq!(entry.attrs["uid"], ["cecile.sage"]);
            let login = mail.imap_login("cecile.sage", NEW_PASSWORD);
            assert!(login.is_ok(), "{login:?}\n{}", mail.log());
            assert!(mail.imap_login("cecile.sage", STRONG_PASSWORD).is_err(), "the forgotten password opens nothing");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attacker_s_returns_are_refused_with_a_french_message_and_nothing_stored() {
    let provider = Provider::start(common::ORIGIN);
    let app = psc_app(Backend::Sqlite, "psc_attacks", &provider).await.unwrap();
    let error = |location: &str| handle_of(location).expect_err(location);

    // A state replayed: the first return proves, the same return again is refused.
    let j = begin(&app).await;
    let return_url = at_provider(&browser(), &j.authorize, Some("infirmier")).await;
    let code = param(&return_url, "code").unwrap();
    assert!(handle_of(&back(&app, &return_url, Some(&j.cookie)).await).is_ok());
    assert_eq!(error(&back(&app, &return_url, Some(&j.cookie)).await), "psc_expired");
    // The code used twice, with a state of a new journey of the same browser.
    let second = begin(&app).await;
    let state = param(&second.authorize, "state").unwrap();
    let replayed = format!("/psc/retour?code={code}&state={state}");
    assert_eq!(error(&back(&app, &replayed, Some(&second.cookie)).await), "psc_refused");

    // A missing state, a forged one, and a state of another browser.
    let third = begin(&app).await;
    let return_url = at_provider(&browser(), &third.authorize, Some("infirmier")).await;
    let code = param(&return_url, "code").unwrap();
    assert_eq!(error(&back(&app, &format!("/psc/retour?code={code}"), Some(&third.cookie)).await), "psc_expired");
    let forged = format!("/psc/retour?code={code}&state=forge");
    assert_eq!(error(&back(&app, &forged, Some(&third.cookie)).await), "psc_expired");
    assert_eq!(error(&back(&app, &return_url, Some("promess-psc=autre")).await), "psc_expired");
    assert_eq!(error(&back(&app, &return_url, None).await), "psc_expired");

    // Cancelled at PSC; a level below eidas1; a national id that is neither RPPS nor ADELI.
    assert_eq!(error(&journey(&app, None).await.1), "psc_cancelled");
    assert_eq!(error(&journey(&app, Some("niveau-faible")).await.1), "psc_level_too_low");
    assert_eq!(error(&journey(&app, Some("sans-numero")).await.1), "psc_national_id_invalid");

    // Each code has its French message, shown on step 1.
    for code in ["psc_expired", "psc_refused", "psc_cancelled", "psc_level_too_low", "psc_national_id_invalid"] {
        let text = ErrorCode::from_key(code).unwrap().message(Field::Mode);
        assert!(text.contains("Pro Santé Connect"), "{text}");
    }
    let proven: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM psc_identities").fetch_one(&app.db).await.unwrap();
    assert_eq!(proven, 1, "only the one honest return proved anything");
    assert_eq!(count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_its_settings_psc_is_not_offered_and_its_addresses_refuse() {
    let app = common::test_app(Backend::Sqlite, "psc_off").await.unwrap();
    let (status, _, _, body) = get(&app, "/api/psc", None).await;
    assert_eq!((status, body["disponible"].as_bool()), (StatusCode::OK, Some(false)));
    let (status, location, cookies, _) = get(&app, "/psc/connexion", None).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/#psc-erreur=psc_not_configured"));
    assert!(cookies.is_empty());
    let mut r = request("", "cecile.sage@exemple.fr");
    let id = PscIdentity {
        nom: "SAGE".into(),
        prenom: "CECILE".into(),
        rpps: Some("99700771191".into()),
        ..Default::default()
    };
    r.donnees.fill_from_psc("poignee", &id);
    let (status, body) = post_registration(&app, &r, Some("promess-psc=x")).await;
    assert_eq!((status, mode_error(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "psc_not_configured"));
}
