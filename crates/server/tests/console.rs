//! The operator's console, on SQLite and PostgreSQL: sign-in with password and TOTP code (wrong code, replay,
//! lockout), sessions (idle expiry, sign-out), CSRF on every form, every route guarded, and the review: the queue,
//! a request with its directory check, a decision confirmed, the audit log.
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use promess_server::{annuaire, console::GUARDED, operators};
use tower::ServiceExt;

mod common;
use common::{Backend, TestApp, confirm, csrf_of, encode, register, request, test_app, token_of};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("op_{name}")).await
}

on_both!(
    every_console_route_needs_a_session,
    a_sign_in_needs_the_password_and_a_fresh_code_and_ends_on_sign_out,
    five_failures_lock_the_account_for_15_minutes,
    an_idle_session_ends_after_30_minutes,
    the_operator_checks_a_request_against_the_directory_and_decides,
    the_operator_sees_the_accounts_outside_the_directory_and_closes_one_with_a_reason,
    a_professional_who_lost_every_factor_sets_a_new_one_up_once_the_operator_accepts,
);

const LOGIN: &str = "agent.esea";
const PASSWORD: &str = "un mot de passe d'opérateur";

/// A page's answer: status, `Location`, the cookies set (name=value), the HTML.
struct Page {
    status: StatusCode,
    location: Option<String>,
    cookies: Vec<String>,
    html: String,
}

async fn call(app: &TestApp, method: &str, path: &str, cookies: &[String], form: Option<&[(&str, &str)]>) -> Page {
    call_from(app, None, method, path, cookies, form).await
}

/// A request sent by a page of `origin` (a browser names it in `Origin`).
async fn call_from(
    app: &TestApp,
    origin: Option<&str>,
    method: &str,
    path: &str,
    cookies: &[String],
    form: Option<&[(&str, &str)]>,
) -> Page {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if !cookies.is_empty() {
        request = request.header(header::COOKIE, cookies.join("; "));
    }
    let body = match form {
        Some(pairs) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(encode(pairs))
        }
        None => Body::empty(),
    };
    let response = app.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let location = response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned());
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Page { status, location, cookies, html: String::from_utf8_lossy(&bytes).into_owned() }
}

/// The value of the hidden `csrf` field of a page.
/// An operator account; its TOTP secret.
async fn operator(app: &TestApp) -> String {
    operators::add(&app.store, LOGIN, PASSWORD, PASSWORD, app.now()).await.unwrap().unwrap().secret
}

fn code(secret: &str, at: i64) -> String {
    operators::totp(secret, LOGIN).unwrap().generate(at as u64)
}

/// Opens the sign-in page and posts it: the answer.
async fn sign_in_with(app: &TestApp, password: &str, code: &str) -> Page {
    let form = call(app, "GET", "/operateur", &[], None).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = csrf_of(&form.html);
    let pairs = [("login", LOGIN), ("mot_de_passe", password), ("code", code), ("csrf", csrf.as_str())];
    call(app, "POST", "/operateur/connexion", &form.cookies, Some(&pairs)).await
}

/// Signs in (a new TOTP step first): the session's cookies.
async fn signed_in(app: &TestApp, secret: &str) -> Vec<String> {
    app.advance(30);
    let page = sign_in_with(app, PASSWORD, &code(secret, app.now())).await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/operateur/demandes")),
        "{}",
        page.html
    );
    page.cookies.into_iter().filter(|c| c.starts_with("promess-operateur=")).collect()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    operators::audit_lines(&app.store, 100).await.unwrap().into_iter().map(|l| l.action).collect()
}

async fn every_console_route_needs_a_session(app: &TestApp) {
    let secret = operator(app).await;
    let bogus = vec!["promess-operateur=invente".to_owned()];
    for (method, path) in GUARDED {
        for cookies in [&vec![], &bogus] {
            let form: &[(&str, &str)] = &[("csrf", "x"), ("decision", "accepter"), ("confirme", "oui")];
            let page = call(app, method, path, cookies, Some(form)).await;
            assert_eq!(
                (page.status, page.location.as_deref()),
                (StatusCode::SEE_OTHER, Some("/operateur")),
                "{method} {path} without a session"
            );
        }
    }
    // With a session, each answers (the request "x" does not exist: 404, not the sign-in).
    let session = signed_in(app, &secret).await;
    for (method, path) in GUARDED.iter().filter(|(m, _)| *m == "GET") {
        let page = call(app, method, path, &session, None).await;
        assert!(page.status == StatusCode::OK || page.status == StatusCode::NOT_FOUND, "{path}: {}", page.status);
        assert!(page.html.contains("Se déconnecter"), "{path}");
    }
}

async fn a_sign_in_needs_the_password_and_a_fresh_code_and_ends_on_sign_out(app: &TestApp) {
    let secret = operator(app).await;
    let now = app.now();
    for (password, code) in [(PASSWORD, "000000"), ("mauvais mot de passe", &code(&secret, now)), (PASSWORD, "")] {
        let page = sign_in_with(app, password, code).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{password} {code}");
        assert!(page.html.contains("Identifiant, mot de passe ou code incorrect"), "{}", page.html);
        assert!(!page.cookies.iter().any(|c| c.starts_with("promess-operateur=")));
    }
    // Without the sign-in form's token (another site's form): refused before anything is checked.
    let pairs = [("login", LOGIN), ("mot_de_passe", PASSWORD), ("code", &code(&secret, now)[..]), ("csrf", "x")];
    let forged = call(app, "POST", "/operateur/connexion", &[], Some(&pairs)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A login far too long: refused like any other, and the journal keeps 64 characters of it.
    let long = "a".repeat(5_000);
    let form = call(app, "GET", "/operateur", &[], None).await;
    let token = csrf_of(&form.html);
    let pairs = [("login", long.as_str()), ("mot_de_passe", PASSWORD), ("code", "123456"), ("csrf", token.as_str())];
    let page = call(app, "POST", "/operateur/connexion", &form.cookies, Some(&pairs)).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let lines = operators::audit_lines(&app.store, 100).await.unwrap();
    assert!(lines.iter().all(|l| l.acteur.chars().count() <= 64), "the journal keeps a long login short");

    app.advance(30);
    let fresh = code(&secret, app.now());
    let page = sign_in_with(app, PASSWORD, &fresh).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let session: Vec<String> = page.cookies.into_iter().filter(|c| c.starts_with("promess-operateur=")).collect();
    assert_eq!(session.len(), 1);
    // The same code again: used once.
    assert_eq!(sign_in_with(app, PASSWORD, &fresh).await.status, StatusCode::UNAUTHORIZED, "a code is used once");
    let queue = call(app, "GET", "/operateur/demandes", &session, None).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.html.contains("Demandes d'adhésion") && queue.html.contains(LOGIN));
    // The session's cookie: only its hash is stored.
    let value = session[0].split_once('=').unwrap().1;
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT id_hash FROM sessions_operateur").fetch_all(&app.db).await.unwrap();
    assert!(
        stored.iter().all(|h| h != value) && stored.contains(&promess_server::secret::sha256_hex(value.as_bytes()))
    );

    // Signing out needs the session's CSRF token.
    let csrf = csrf_of(&queue.html);
    assert_eq!(
        call(app, "POST", "/operateur/deconnexion", &session, Some(&[("csrf", "x")])).await.status,
        StatusCode::FORBIDDEN
    );
    let out = call(app, "POST", "/operateur/deconnexion", &session, Some(&[("csrf", &csrf)])).await;
    assert_eq!(out.location.as_deref(), Some("/operateur"));
    assert_eq!(call(app, "GET", "/operateur/demandes", &session, None).await.location.as_deref(), Some("/operateur"));
    let actions = audit_actions(app).await;
    for action in ["operateur_ajoute", "connexion_refusee", "connexion", "deconnexion"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    // No secret in the audit log.
    let lines = operators::audit_lines(&app.store, 100).await.unwrap();
    let text = format!("{lines:?}");
    assert!(!text.contains(PASSWORD) && !text.contains(&fresh) && !text.contains(value));
}

async fn five_failures_lock_the_account_for_15_minutes(app: &TestApp) {
    let secret = operator(app).await;
    for _ in 0..operators::MAX_FAILURES {
        assert_eq!(sign_in_with(app, "mauvais", "123456").await.status, StatusCode::UNAUTHORIZED);
    }
    app.advance(30);
    let locked = sign_in_with(app, PASSWORD, &code(&secret, app.now())).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(locked.html.contains("verrouillé"), "{}", locked.html);
    assert!(audit_actions(app).await.iter().any(|a| a == "verrouillage"));
    app.advance(operators::LOCK_SECS);
    signed_in(app, &secret).await;
}

async fn an_idle_session_ends_after_30_minutes(app: &TestApp) {
    let secret = operator(app).await;
    let session = signed_in(app, &secret).await;
    app.advance(operators::SESSION_IDLE_SECS - 60);
    assert_eq!(call(app, "GET", "/operateur/demandes", &session, None).await.status, StatusCode::OK, "still active");
    app.advance(operators::SESSION_IDLE_SECS - 60);
    assert_eq!(
        call(app, "GET", "/operateur/demandes", &session, None).await.status,
        StatusCode::OK,
        "each request restarts it"
    );
    app.advance(operators::SESSION_IDLE_SECS + 1);
    assert_eq!(call(app, "GET", "/operateur/demandes", &session, None).await.location.as_deref(), Some("/operateur"));
}

async fn the_operator_checks_a_request_against_the_directory_and_decides(app: &TestApp) {
    let secret = operator(app).await;
    // Two requests in review: Cécile Sage, found in the directory; another on an RPPS it lacks.
    for (rpps, email) in [("99700771191", "cecile.sage@exemple.fr"), ("10003378428", "autre@exemple.fr")] {
        let answer = register(app, &request(rpps, email)).await;
        confirm(app, &token_of(app, answer["identifiant"].as_str().unwrap()).await).await;
    }
    let extract = app.dir.join("PS_LibreAcces_Personne_activite_202611280900.txt");
    let mut out = std::fs::File::create(&extract).unwrap();
    std::io::Write::write_all(&mut out, format!("{}\n", annuaire::synthetic::HEADER).as_bytes()).unwrap();
    annuaire::synthetic::line(&mut out, "8", "99700771191", "SAGE", "CECILE", "50", "Sage-Femme", "BORDEAUX").unwrap();
    annuaire::import(&app.store, &extract, "op", app.now()).await.unwrap();

    let session = signed_in(app, &secret).await;
    let queue = call(app, "GET", "/operateur/demandes", &session, None).await;
    assert!(queue.html.contains("<strong>2</strong> demandes à vérifier"), "{}", queue.html);
    let found = call(app, "GET", "/operateur/demandes?q=99700771191", &session, None).await;
    assert!(found.html.contains("<strong>1</strong> demande à vérifier pour cette recherche"), "{}", found.html);
    let none = call(app, "GET", "/operateur/demandes?q=personne&statut=toutes", &session, None).await;
    assert!(none.html.contains("<strong>0</strong> demande en tout"), "{}", none.html);

    let ids: Vec<(String, String)> =
        sqlx::query_as("SELECT id, rpps FROM registrations ORDER BY created_at, id").fetch_all(&app.db).await.unwrap();
    let (sage, other) = (&ids[0].0, &ids[1].0);
    let page = call(app, "GET", &format!("/operateur/demandes/{sage}"), &session, None).await;
    assert!(
        page.html.contains("Numéro RPPS 99700771191 trouvé : nom, prénom et profession concordent."),
        "{}",
        page.html
    );
    assert!(page.html.contains("Extraction RPPS du 2026-11-28"));
    assert!(page.html.contains("Saisie manuelle, sans carte CPS"));
    // Every answer under its label, none under its JSON key.
    let terms: Vec<&str> = page.html.split("<dt>").skip(1).filter_map(|t| t.split("</dt>").next()).collect();
    assert!(terms.contains(&"Boîte MSSanté") && terms.contains(&"Civilité"), "{terms:?}");
    assert!(!terms.iter().any(|t| t.chars().all(|c| c.is_ascii_lowercase() || c == '_')), "{terms:?}");
    assert!(page.html.contains("autre@exemple.fr") || page.html.contains("Aucune."));
    let missing = call(app, "GET", &format!("/operateur/demandes/{other}"), &session, None).await;
    assert!(missing.html.contains("Numéro RPPS 10003378428 introuvable dans l'extraction."), "{}", missing.html);

    // A decision needs its confirmation, and a refusal its text.
    let csrf = csrf_of(&page.html);
    let path = format!("/operateur/demandes/{sage}/decision");
    let unconfirmed = call(app, "POST", &path, &session, Some(&[("csrf", &csrf), ("decision", "accepter")])).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.html.contains("Cochez la case de confirmation"));
    assert!(
        unconfirmed.html.contains("id=\"confirme\" name=\"confirme\" value=\"oui\" aria-invalid=\"true\""),
        "{}",
        unconfirmed.html
    );
    // Another site's page, even with the session's cookie and token: refused, nothing decided.
    let confirmed = [("csrf", csrf.as_str()), ("decision", "accepter"), ("confirme", "oui")];
    let foreign = call_from(app, Some("https://evil.example"), "POST", &path, &session, Some(&confirmed)).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(common::statut_of(app, "cecile.sage").await.as_deref(), Some("en_verification"));
    let forged =
        call(app, "POST", &path, &session, Some(&[("csrf", "x"), ("decision", "accepter"), ("confirme", "oui")])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no decision without the CSRF token");
    let accepted =
        call(app, "POST", &path, &session, Some(&[("csrf", &csrf), ("decision", "accepter"), ("confirme", "oui")]))
            .await;
    assert_eq!(accepted.location.as_deref(), Some(format!("/operateur/demandes/{sage}?fait=acceptee").as_str()));
    assert_eq!(common::statut_of(app, "cecile.sage").await.as_deref(), Some("active"));
    let again = call(
        app,
        "POST",
        &path,
        &session,
        Some(&[("csrf", &csrf), ("decision", "refuser"), ("motif", "autre"), ("detail", "x"), ("confirme", "oui")]),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "decided already");
    assert!(again.html.contains("n'est pas (ou plus) à vérifier"), "{}", again.html);

    let refuse = format!("/operateur/demandes/{other}/decision");
    let no_text = [
        ("csrf", csrf.as_str()),
        ("decision", "refuser"),
        ("motif", "numero_introuvable"),
        ("detail", " "),
        ("confirme", "oui"),
    ];
    let page = call(app, "POST", &refuse, &session, Some(&no_text)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("Précisez le motif du refus."));
    let with_text = [
        ("csrf", csrf.as_str()),
        ("decision", "refuser"),
        ("motif", "numero_introuvable"),
        ("detail", "Numéro absent de l'annuaire."),
        ("confirme", "oui"),
    ];
    assert_eq!(call(app, "POST", &refuse, &session, Some(&with_text)).await.status, StatusCode::SEE_OTHER);
    let history: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT statut, actor FROM registration_events WHERE registration_id = $1 ORDER BY at, id")
            .bind(other)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(history.last().unwrap(), &("refusee".to_owned(), Some(LOGIN.to_owned())));

    let journal = call(app, "GET", "/operateur/journal", &session, None).await;
    assert!(journal.html.contains(&format!("demande {sage} acceptée")), "{}", journal.html);
    assert!(journal.html.contains("refusée (Numéro RPPS ou ADELI introuvable dans l'annuaire national)"));
}

async fn the_operator_sees_the_accounts_outside_the_directory_and_closes_one_with_a_reason(app: &TestApp) {
    let secret = operator(app).await;
    for (rpps, email) in [("99700771191", "cecile.sage@exemple.fr"), ("10003378428", "autre@exemple.fr")] {
        let answer = register(app, &request(rpps, email)).await;
        let identifiant = answer["identifiant"].as_str().unwrap().to_owned();
        confirm(app, &token_of(app, &identifiant).await).await;
        common::decide(app, &identifiant, promess_server::lifecycle::Decision::Accept).await.unwrap();
    }
    let extract = app.dir.join("PS_LibreAcces_Personne_activite_202612010900.txt");
    let mut out = std::fs::File::create(&extract).unwrap();
    std::io::Write::write_all(&mut out, format!("{}\n", annuaire::synthetic::HEADER).as_bytes()).unwrap();
    annuaire::synthetic::line(&mut out, "8", "99700771191", "SAGE", "CECILE", "50", "Sage-Femme", "BORDEAUX").unwrap();
    annuaire::import(&app.store, &extract, "op", app.now()).await.unwrap();

    let session = signed_in(app, &secret).await;
    let all = call(app, "GET", "/operateur/comptes", &session, None).await;
    assert!(all.html.contains("<strong>2</strong> comptes"), "{}", all.html);
    let outside = call(app, "GET", "/operateur/comptes?hors_annuaire=1", &session, None).await;
    assert!(outside.html.contains("<strong>1</strong> compte dont"), "{}", outside.html);
    assert!(outside.html.contains("10003378428") && !outside.html.contains("99700771191"), "{}", outside.html);
    let id: String =
        sqlx::query_scalar("SELECT id FROM registrations WHERE rpps = '10003378428'").fetch_one(&app.db).await.unwrap();
    let page = call(app, "GET", &format!("/operateur/comptes/{id}"), &session, None).await;
    let csrf = csrf_of(&page.html);
    let path = format!("/operateur/comptes/{id}/fermeture");
    let unconfirmed =
        call(app, "POST", &path, &session, Some(&[("csrf", &csrf), ("motif", "Cessation d'activité")])).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = call(app, "POST", &path, &session, Some(&[("motif", "x"), ("confirme", "oui")])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let form = [("csrf", csrf.as_str()), ("motif", "Cessation d'activité"), ("confirme", "oui")];
    let closed = call(app, "POST", &path, &session, Some(&form)).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.html);
    let statut: String = sqlx::query_scalar("SELECT statut FROM registrations WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(statut, "fermee");
    let told: String = sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE recipient = 'autre@exemple.fr' AND subject LIKE '%fermé%'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(told.contains("Cessation d'activité"), "{told}");
    assert!(audit_actions(app).await.contains(&"fermeture".to_owned()));
    let shown = call(app, "GET", &format!("/operateur/comptes/{id}"), &session, None).await;
    assert!(
        shown.html.contains("Compte fermé") && shown.html.contains("fermeture (par l&#39;opérateur")
            || shown.html.contains("fermeture (par l'opérateur"),
        "{}",
        shown.html
    );
    let left = call(app, "GET", "/operateur/comptes", &session, None).await;
    assert!(left.html.contains("<strong>1</strong> compte."), "{}", left.html);
}

async fn a_professional_who_lost_every_factor_sets_a_new_one_up_once_the_operator_accepts(app: &TestApp) {
    use common::account::{AccountSteps, active_account, signed_in as account_open};
    let (old_secret, old_codes) = active_account(app).await;
    let mut v = common::browser::Visitor::default();
    let password = promess_core::registration::examples::STRONG_PASSWORD;
    v.password(app, "cecile.sage", password).await;
    let asked = v.get(app, "/compte/second-facteur").await;
    assert!(asked.html.contains("Demander un nouveau second facteur"), "{}", asked.html);
    let sent = v.post(app, "/compte/perte-facteur", &[("csrf", &csrf_of(&asked.html))]).await;
    assert!(
        sent.html.contains("transmise à l&#39;équipe") || sent.html.contains("transmise à l'équipe"),
        "{}",
        sent.html
    );
    // Without a decision, the password alone still leads to the second factor only.
    assert_eq!(v.password(app, "cecile.sage", password).await.location, "/compte/second-facteur");

    let secret = operator(app).await;
    let session = signed_in(app, &secret).await;
    let listed = call(app, "GET", "/operateur/pertes", &session, None).await;
    assert!(listed.html.contains("<strong>1</strong> demande en attente"), "{}", listed.html);
    let request: String = sqlx::query_scalar("SELECT id FROM factor_losses").fetch_one(&app.db).await.unwrap();
    let path = format!("/operateur/pertes/{request}");
    let csrf = csrf_of(&listed.html);
    let unconfirmed = call(app, "POST", &path, &session, Some(&[("csrf", &csrf), ("decision", "accepter")])).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let form = [("csrf", csrf.as_str()), ("decision", "accepter"), ("confirme", "oui")];
    assert_eq!(call(app, "POST", &path, &session, Some(&form)).await.status, StatusCode::SEE_OTHER);
    assert!(audit_actions(app).await.contains(&"perte_facteur".to_owned()));
    let factors: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_factors").fetch_one(&app.db).await.unwrap();
    assert_eq!(factors, 0, "the lost factors removed");

    // The next sign-in sets a new app up (a wrong code first), then shows new recovery codes and opens the account.
    let mut v = common::browser::Visitor::default();
    assert_eq!(v.password(app, "cecile.sage", password).await.location, "/compte/nouveau-facteur");
    let page = v.get(app, "/compte/nouveau-facteur").await;
    let key =
        |html: &str| html.split("id=\"cle-secrete\">").nth(1).unwrap().split('<').next().unwrap().replace(' ', "");
    let csrf = csrf_of(&page.html);
    let wrong = [("csrf", csrf.as_str()), ("setup", &common::field_of(&page.html, "setup")), ("code", "000000")];
    let again = v.post(app, "/compte/nouveau-facteur", &wrong).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let new_secret = key(&again.html);
    let code = common::totp_code(&new_secret, app.now());
    let right = [("csrf", csrf.as_str()), ("setup", &common::field_of(&again.html, "setup")), ("code", code.as_str())];
    let done = v.post(app, "/compte/nouveau-facteur", &right).await;
    assert_eq!(done.html.matches("<li><code>").count(), 10, "{}", done.html);
    assert!(account_open(&v.get(app, "/compte").await));
    // The lost ones open nothing any more.
    let mut other = common::browser::Visitor::default();
    assert_eq!(other.password(app, "cecile.sage", password).await.location, "/compte/second-facteur");
    app.advance(30);
    assert_eq!(
        other.second_factor(app, &common::totp_code(&old_secret, app.now())).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(other.second_factor(app, &old_codes[0]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(other.second_factor(app, &common::totp_code(&new_secret, app.now())).await.location, "/compte");
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%demande acceptée%'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(told, 1);
}
