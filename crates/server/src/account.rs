//! The professional's account space, `/compte`: server-rendered HTML in French, without JavaScript. Sign-in is the
//! identifier (or the secure address) and the password, then the second factor — a passkey or security key (the
//! page's one script, `account/cle.js`, where the account has one), the authenticator app's code, or a recovery
//! code, each once. The password alone opens only a pending session (5 minutes, good for the second
//! factor's form); the second factor opens the session itself under a new id (a session id set before cannot be
//! kept after). A session ends with « Se déconnecter », after 15 minutes idle, or 12 hours after it began. Every
//! form carries a CSRF token. Failures count per account (5 in a row lock it 15 minutes) and per client (the rate
//! limit); an unknown identifier and a wrong password get the same answer in the same time. The journal shows the
//! professional their sign-ins, failures and sign-outs.
use crate::{
    AppState, cookies,
    secret::{same, sha256_hex},
    store::accounts as rows,
};
use axum::{
    Extension, Form, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use promess_core::{
    config::{SUPPORT_EMAIL, SUPPORT_PHONE},
    factor::{normalized_recovery_code, normalized_totp_code},
};
use serde::Deserialize;

/// The session's cookie, and the sign-in form's CSRF token (before any session).
pub(crate) const SESSION: &str = "promess-compte";
pub(crate) const FORM: &str = "promess-compte-formulaire";
/// Failed sign-ins in a row before an account is locked, and for how long.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_SECS: i64 = 15 * 60;
/// A pending session (the password given) waits this long for the second factor.
pub const PENDING_SECS: i64 = 5 * 60;
pub const IDLE_SECS: i64 = 15 * 60;
pub const MAX_SECS: i64 = 12 * 3600;
/// The answer to a second factor refused (wrong, already used, or made for another site).
pub const FACTOR_REFUSED: &str = "Ce second facteur n'est pas valide ou a déjà servi : utilisez votre clé d'accès, le code affiché en ce moment par votre application, ou un code de secours non utilisé.";
/// The same answer to an unknown identifier and a wrong password.
pub const REFUSED: &str = "Identifiant ou mot de passe incorrect.";

/// An argon2id hash of nothing anyone knows, verified for unknown identifiers (the same work as a real account).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W+2Hq6yQHS6BZR/K0eCY3JQ3oEsgqPvSpQCDaFDLJ4I";

mod card;
mod factors;
pub mod life;
mod lost;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/compte", get(home))
        .route("/compte/connexion", post(sign_in))
        .route("/compte/second-facteur", get(second_factor_page).post(second_factor))
        .route("/compte/cle/options", post(passkey_options))
        .route("/compte/verification", post(factors::verify))
        .route("/compte/perte-facteur", post(lost::request))
        .route("/compte/nouveau-facteur", get(lost::setup_page).post(lost::setup))
        .route("/compte/mot-de-passe-oublie", get(life::forgotten_page).post(life::forgotten))
        .route("/compte/reinitialisation", get(life::reset_factor_page))
        .route("/compte/reinitialisation/facteur", post(life::reset_factor))
        .route("/compte/reinitialisation/mot-de-passe", post(life::reset_password))
        .route("/compte/reinitialisation/{jeton}", get(life::reset_page).post(life::reset_begin))
        .route("/compte/mot-de-passe", post(life::change_password))
        .route("/compte/adresse", post(life::new_address))
        .route("/compte/adresse/{jeton}", get(life::address_page).post(life::confirm_address))
        .route("/compte/facteurs/application", post(factors::add))
        .route("/compte/facteurs/cle", post(factors::add))
        .route("/compte/cle.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], PASSKEY_JS) }))
        .route("/compte/force.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], METER_JS) }))
        .route("/compte/force", post(life::meter_verdict))
        .route("/compte/carte", post(card::sign_in))
        .route("/compte/carte.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], card::SCRIPT) }))
        .route("/compte/deconnexion", post(sign_out))
        .route("/compte/compte.css", get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("same-origin"),
        ))
}

/// The console's style, and the wizard's strength meter (the account space's password pages show it).
const CSS: &str = concat!(include_str!("console/console.css"), include_str!("../../../style/jauge.css"));
/// The second factor page's one script: a passkey's assertion, only where the account has a key.
const PASSKEY_JS: &str = include_str!("account/cle.js");
/// The new password's strength meter (step 3's, with the server's verdict).
const METER_JS: &str = include_str!("account/force.js");

pub(crate) fn page(status: StatusCode, title: &str, signed: Option<&str>, body: Markup) -> Response {
    let banner = html! {
        p.marque { "Messagerie sécurisée Nouvelle-Aquitaine — mon compte" }
        @if let Some(csrf) = signed {
            form method="post" action="/compte/deconnexion" {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Se déconnecter" }
            }
        }
    };
    let main = html! {
        (body)
        p.source { "Recommandation : une fois vos opérations terminées, déconnectez-vous et fermez votre navigateur." }
    };
    let site = "Mon compte, messagerie sécurisée de santé";
    crate::html::page(status, title, site, "/compte/compte.css", banner, main)
}

pub(crate) fn failed(e: sqlx::Error) -> Response {
    crate::error::AppError::from(e).into_response()
}

pub(crate) fn token() -> Result<String, Response> {
    crate::secret::token(32).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

pub(crate) fn set(state: &AppState, name: &str, value: &str, max_age: i64) -> axum::http::HeaderValue {
    cookies::set(&state.settings, name, value, max_age, cookies::SameSite::Strict)
}

/// The locked account's message, with the support's contact.
fn locked_message(until: i64) -> String {
    format!(
        "Votre compte est verrouillé après {MAX_FAILURES} échecs de connexion de suite, jusqu'au {}. Réessayez ensuite, ou contactez l'assistance au {SUPPORT_PHONE} ou à {SUPPORT_EMAIL}.",
        crate::console::date_time(until)
    )
}

pub(crate) fn sign_in_form(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let csrf = match token() {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Connexion à mon compte" }
        @if let Some(error) = error { p.erreur role="alert" id="connexion-erreur" { (error) } }
        form method="post" action="/compte/connexion" {
            input type="hidden" name="csrf" value=(csrf);
            p {
                label for="identifiant" { "Identifiant ou adresse de messagerie sécurisée" }
                input id="identifiant" name="identifiant" type="text" autocomplete="username" required
                    aria-describedby=[error.map(|_| "connexion-erreur")];
            }
            p {
                label for="mot_de_passe" { "Mot de passe" }
                input id="mot_de_passe" name="mot_de_passe" type="password" autocomplete="current-password" required;
            }
            button type="submit" { "Continuer" }
        }
        p { a id="oubli" href="/compte/mot-de-passe-oublie" { "Mot de passe oublié ?" } }
        @if state.settings.card_trust.is_some() {
            section aria-labelledby="t-carte" {
                h2 id="t-carte" { "Avec votre carte CPS" }
                p { "Pour les comptes dont l'identité a été prouvée par la carte CPS ou Pro Santé Connect : la carte dans le lecteur, le logiciel de lecture de carte en marche. Votre code porteur ne va qu'à ce logiciel, jamais à nos serveurs." }
                form id="carte-formulaire" method="post" action="/compte/carte"
                    data-agent=(crate::web::agent_of(&state.settings.dist).unwrap_or_else(|| "http://127.0.0.1:8765".into())) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="preuve";
                    p {
                        label for="code-porteur" { "Code porteur de la carte" }
                        input id="code-porteur" type="password" inputmode="numeric" autocomplete="off" aria-describedby="carte-message";
                    }
                    button type="button" id="avec-carte" hidden { "Se connecter avec ma carte CPS" }
                    p id="carte-message" role="status" { "La connexion par carte demande JavaScript." }
                }
                script src="/compte/carte.js" defer {}
            }
        }
        @if state.settings.psc.is_some() {
            section aria-labelledby="t-psc" {
                h2 id="t-psc" { "Votre identité a été prouvée par votre carte CPS ou Pro Santé Connect ?" }
                p { a id="avec-psc" href={ (promess_core::psc::START_PATH) "?pour=compte" } { "Se connecter avec Pro Santé Connect (e-CPS ou carte CPS)" } }
            }
        }
    };
    let mut response = page(status, "Connexion", None, body);
    response.headers_mut().insert(header::SET_COOKIE, set(state, FORM, &csrf, 1800));
    response
}

/// The current session of this request's cookie: complete and fresh (its idle time starts again), or pending and
/// younger than `PENDING_SECS`. Its id's hash with it.
pub(crate) async fn current(
    state: &AppState,
    headers: &HeaderMap,
    complete: bool,
) -> Result<Option<(String, rows::Session)>, sqlx::Error> {
    let Some(cookie) = cookies::read(headers, &state.settings, SESSION) else { return Ok(None) };
    let id_hash = sha256_hex(cookie.as_bytes());
    let Some(session) = rows::session(&state.store, &id_hash).await? else { return Ok(None) };
    let now = state.now();
    let fresh = if session.complete {
        now - session.seen_at <= IDLE_SECS && now - session.created_at <= MAX_SECS
    } else {
        now - session.created_at <= PENDING_SECS
    };
    if !fresh {
        rows::end_session(&state.store, &id_hash).await?;
        return Ok(None);
    }
    if session.complete != complete {
        return Ok(None);
    }
    if complete {
        rows::touch_session(&state.store, &id_hash, now).await?;
    }
    Ok(Some((id_hash, session)))
}

pub(crate) fn forbidden() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Demande refusée",
        None,
        html! {
            h1 { "Demande refusée" }
            p { "Ce formulaire a expiré ou ne vient pas de votre espace. " a href="/compte" { "Recommencez depuis la page de connexion." } }
        },
    )
}

#[derive(Deserialize)]
struct HomeQuery {
    #[serde(default)]
    fait: String,
    #[serde(default)]
    psc: String,
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<HomeQuery>,
) -> Response {
    match current(&state, &headers, true).await {
        Ok(Some((_, session))) => account_page(&state, &session, &query.fait).await.unwrap_or_else(failed),
        Ok(None) => sign_in_form(&state, StatusCode::OK, psc_message(&query.psc)),
        Err(e) => failed(e),
    }
}

async fn account_page(state: &AppState, session: &rows::Session, fait: &str) -> Result<Response, sqlx::Error> {
    let Some(o) = rows::overview(&state.store, &session.registration_id).await? else {
        return Ok(Redirect::to("/compte").into_response());
    };
    let journal = rows::journal_lines(state.store.pool(), &session.registration_id, 20).await?;
    let proven = match o.preuve {
        crate::store::registrations::Preuve::Carte => "Identité prouvée par votre carte CPS",
        crate::store::registrations::Preuve::Psc => "Identité prouvée par Pro Santé Connect",
        crate::store::registrations::Preuve::Aucune => {
            "Identité vérifiée par l'opérateur auprès de l'annuaire national"
        }
    };
    let factors = factors::section(state, &session.registration_id, &session.csrf, o.recovery_left).await?;
    let kinds = [crate::store::jobs::Kind::Password];
    let password_on_its_way = crate::store::jobs::waiting(&state.store, &session.registration_id, &kinds).await?;
    let change = |action: &str, label: &str| factors::change_button(&session.csrf, action, "", label);
    let body = html! {
        h1 { "Mon compte" }
        @if let Some((text, good)) = factors::said(fait) {
            p class=(if good { "accord" } else { "erreur" }) role="status" id="fait" { (text) }
        }
        dl id="compte" {
            dt { "Identifiant" } dd id="compte-identifiant" { (o.identifiant) }
            dt { "Adresse de messagerie sécurisée" } dd { (o.adresse) }
            dt { "Adresse de notification" } dd { (o.email) }
            dt { "Identité" } dd { (proven) }
            dt { "Boîte aux lettres" }
            dd { @if o.provisioned { "ouverte dans la messagerie" } @else { "en cours de création dans la messagerie" } }
            dt { "Mot de passe" }
            dd id="mot-de-passe-etat" {
                @if password_on_its_way {
                    "votre nouveau mot de passe est en cours d'enregistrement dans la messagerie : votre logiciel de messagerie l'acceptera dans quelques instants (d'ici là, l'ancien reste valable pour lui)"
                } @else { "enregistré dans la messagerie" }
            }
        }
        p { (change("mot_de_passe", "Changer mon mot de passe")) " " (change("adresse", "Changer mon adresse de notification")) }
        (factors)
        section aria-labelledby="t-journal" {
            h2 id="t-journal" { "Journal de mon compte" }
            ol id="journal" {
                @for (at, event, detail) in &journal {
                    li { (crate::console::date_time(*at)) " : " (event_label(event)) @if !detail.is_empty() { " (" (detail) ")" } }
                }
            }
        }
        section aria-labelledby="t-fermer" {
            h2 id="t-fermer" { "Fermer mon compte" }
            p { "La fermeture est définitive : votre boîte aux lettres est supprimée de la messagerie et ses messages ne sont plus accessibles. Votre identifiant et votre adresse ne seront attribués à personne d'autre." }
            (change("fermer", "Fermer mon compte"))
        }
    };
    Ok(page(StatusCode::OK, "Mon compte", Some(&session.csrf), body))
}

fn event_label(event: &str) -> &str {
    match event {
        "connexion" => "connexion",
        "echec_mot_de_passe" => "échec de connexion (mot de passe)",
        "echec_second_facteur" => "échec de connexion (second facteur)",
        "verrouillage" => "compte verrouillé",
        "deconnexion" => "déconnexion",
        "facteur_ajoute" => "second facteur ajouté",
        "facteur_supprime" => "second facteur supprimé",
        "codes_secours_renouveles" => "nouveaux codes de secours",
        "reinitialisation_demandee" => "lien de réinitialisation du mot de passe envoyé",
        "reinitialisation_facteur" => "second facteur donné pour réinitialiser le mot de passe",
        "mot_de_passe_change" => "mot de passe changé",
        "adresse_demandee" => "nouvelle adresse de notification demandée",
        "adresse_changee" => "adresse de notification changée",
        "fermeture" => "compte fermé",
        "perte_facteur_demandee" => "nouveau second facteur demandé à l'opérateur",
        "perte_facteur_acceptee" => "demande de nouveau second facteur acceptée par l'opérateur",
        "perte_facteur_refusee" => "demande de nouveau second facteur refusée par l'opérateur",
        other => other,
    }
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    csrf: String,
}

/// A failed sign-in on a known account: counted, journalled, the account locked at the limit.
async fn count_failure(state: &AppState, id: &str, failures: i64, event: &str) -> Result<Option<i64>, sqlx::Error> {
    let now = state.now();
    let failures = failures + 1;
    let lock = (failures >= MAX_FAILURES).then_some(now + LOCK_SECS);
    rows::set_failures(&state.store, id, if lock.is_some() { 0 } else { failures }, lock).await?;
    rows::journal(state.store.pool(), id, event, "", now).await?;
    if lock.is_some() {
        rows::journal(state.store.pool(), id, "verrouillage", &format!("{MAX_FAILURES} échecs de suite"), now).await?;
    }
    metrics::counter!(crate::metrics::SIGN_IN_FAILURES, "kind" => "compte").increment(1);
    Ok(lock)
}

async fn sign_in(
    State(state): State<AppState>,
    client: Option<Extension<crate::access::Client>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = cookies::read(&headers, &state.settings, FORM).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &form.csrf) {
        return sign_in_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("Le formulaire a expiré : saisissez à nouveau vos identifiants."),
        );
    }
    if let Some(Extension(crate::access::Client(client))) = client {
        match state.limits.account_sign_ins.check(client, crate::queue::now_secs()).await {
            Ok(Ok(())) => {}
            Ok(Err(wait)) => {
                let message =
                    format!("Trop de tentatives de connexion depuis cette adresse : réessayez dans {wait} secondes.");
                return sign_in_form(&state, StatusCode::TOO_MANY_REQUESTS, Some(&message));
            }
            Err(e) => return failed(e),
        }
    }
    let account = match rows::by_login(&state.store, &form.identifiant).await {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let now = state.now();
    if let Some(until) = account.as_ref().and_then(|a| a.locked_until).filter(|u| *u > now) {
        return sign_in_form(&state, StatusCode::UNAUTHORIZED, Some(&locked_message(until)));
    }
    // The same work whether the account exists or not: an argon2id verification.
    let hash = account.as_ref().map_or(DUMMY_HASH.to_owned(), |a| a.password_hash.clone());
    let password = form.mot_de_passe.clone();
    let verified = state.limits.hashing.run(move || crate::password::verify(&password, &hash)).await;
    let Some(verified) = verified.and_then(Result::ok) else {
        return crate::error::AppError::Busy.into_response();
    };
    let Some(account) = account.filter(|_| verified) else {
        if let Some(a) = rows::by_login(&state.store, &form.identifiant).await.ok().flatten() {
            match count_failure(&state, &a.id, a.failures, "echec_mot_de_passe").await {
                Ok(Some(until)) => return sign_in_form(&state, StatusCode::UNAUTHORIZED, Some(&locked_message(until))),
                Ok(None) => {}
                Err(e) => return failed(e),
            }
        }
        return sign_in_form(&state, StatusCode::UNAUTHORIZED, Some(REFUSED));
    };
    let (cookie, csrf) = match (token(), token()) {
        (Ok(cookie), Ok(csrf)) => (cookie, csrf),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    if let Err(e) =
        rows::open_session(&state.store, &sha256_hex(cookie.as_bytes()), &account.id, &csrf, false, now).await
    {
        return failed(e);
    }
    // Its lost factors removed by the operator: a new one is set up first.
    let next = match rows::factor_to_redo(&state.store, &account.id).await {
        Ok(true) => "/compte/nouveau-facteur",
        Ok(false) => "/compte/second-facteur",
        Err(e) => return failed(e),
    };
    let mut response = Redirect::to(next).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, set(&state, SESSION, &cookie, PENDING_SECS));
    headers.append(header::SET_COOKIE, set(&state, FORM, "", 0));
    response
}

/// A page asking for the second factor: where its forms post and what they carry besides the proof.
pub(crate) struct Asking<'a> {
    pub title: &'a str,
    pub intro: Option<&'a str>,
    /// The forms' address, and their hidden fields (the CSRF token among them).
    pub action: &'a str,
    pub hidden: &'a [(&'a str, &'a str)],
    /// The account has a passkey, and the service is its relying party.
    pub passkey: bool,
    pub error: Option<&'a str>,
    /// The code form's button.
    pub submit: &'a str,
    /// The CSRF token of a complete session (its sign-out form), when the page is for one signed in.
    pub signed: Option<&'a str>,
    /// The sign-in's page: a professional who lost every factor may ask the operator for a new one (this form's
    /// CSRF token).
    pub lost: Option<&'a str>,
}

/// The second factor's forms: the passkey (the page's one script relays its assertion in `cle`), or a code (`code`:
/// the app's or a recovery code).
pub(crate) fn asking_page(status: StatusCode, a: &Asking) -> Response {
    let hidden = html! { @for (name, value) in a.hidden { input type="hidden" name=(name) value=(value); } };
    let body = html! {
        h1 { (a.title) }
        @if let Some(intro) = a.intro { p { (intro) } }
        @if let Some(error) = a.error { p.erreur role="alert" id="facteur-erreur" { (error) } }
        @if a.passkey {
            section aria-labelledby="t-cle" {
                h2 id="t-cle" { "Avec votre clé d'accès ou clé de sécurité" }
                form id="cle-formulaire" method="post" action=(a.action) {
                    (hidden)
                    input type="hidden" name="cle" id="cle-reponse";
                    button type="button" id="utiliser-cle" hidden { "Utiliser ma clé d'accès" }
                    p id="cle-message" role="status" {
                        "Votre navigateur ne permet pas d'utiliser une clé d'accès ici : saisissez plutôt un code ci-dessous."
                    }
                }
            }
            script src="/compte/cle.js" defer {}
            h2 { "Avec un code" }
        }
        form method="post" action=(a.action) {
            (hidden)
            p {
                label for="code" { "Code à 6 chiffres de votre application d'authentification, ou l'un de vos codes de secours" }
                input id="code" name="code" type="text" autocomplete="one-time-code" required
                    aria-describedby=[a.error.map(|_| "facteur-erreur")];
            }
            button type="submit" { (a.submit) }
        }
        @if let Some(csrf) = a.lost {
            section aria-labelledby="t-perte" {
                h2 id="t-perte" { "Vous avez perdu votre second facteur et vos codes de secours ?" }
                p { "Si votre identité a été prouvée par votre carte CPS ou Pro Santé Connect, connectez-vous plutôt avec Pro Santé Connect depuis la page de connexion : vous remplacerez aussitôt votre second facteur. Sinon, l'équipe de l'opérateur vérifiera votre identité (elle peut vous appeler) avant de vous permettre d'en configurer un nouveau." }
                form method="post" action="/compte/perte-facteur" {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Demander un nouveau second facteur à l'opérateur" }
                }
            }
        }
        p { "Une question ? Contactez l'assistance au " (SUPPORT_PHONE) " ou à " (SUPPORT_EMAIL) "." }
    };
    page(status, a.title, a.signed, body)
}

/// The sign-in's second factor page.
fn second_factor_form(status: StatusCode, csrf: &str, passkey: bool, error: Option<&str>) -> Response {
    let asking = Asking {
        title: "Second facteur",
        intro: None,
        action: "/compte/second-facteur",
        hidden: &[("csrf", csrf)],
        passkey,
        error,
        submit: "Se connecter",
        signed: None,
        lost: Some(csrf),
    };
    asking_page(status, &asking)
}

/// Whether this account can use a passkey here: it has one, and the service is a WebAuthn relying party.
pub(crate) async fn has_passkey(state: &AppState, registration_id: &str) -> Result<bool, sqlx::Error> {
    Ok(state.webauthn.is_some() && !rows::keys(&state.store, registration_id).await?.is_empty())
}

async fn second_factor_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let shown = async {
        let Some((_, session)) = current(&state, &headers, false).await?.filter(|(_, s)| s.reset.is_none()) else {
            return Ok(Redirect::to("/compte").into_response());
        };
        let passkey = has_passkey(&state, &session.registration_id).await?;
        Ok(second_factor_form(StatusCode::OK, &session.csrf, passkey, None))
    };
    shown.await.unwrap_or_else(failed)
}

/// A second factor's form: a code, or a passkey's assertion (JSON), and the form's CSRF token.
#[derive(Deserialize)]
pub(crate) struct ProofForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub cle: String,
    #[serde(default)]
    pub csrf: String,
}

/// The second factor given on the session `session_hash`'s form: a passkey's assertion, checked against the ceremony
/// kept in that session (taken once: an assertion replayed finds none) for one of the account's keys; or the app's
/// code (a time step taken once) or an unused recovery code. What proved it, if valid.
pub(crate) async fn prove(
    state: &AppState,
    session_hash: &str,
    registration_id: &str,
    form: &ProofForm,
) -> Result<Option<&'static str>, sqlx::Error> {
    let now = state.now();
    if !form.cle.is_empty() {
        let Some(webauthn) = state.webauthn.as_deref() else { return Ok(None) };
        let Some(ceremony) = rows::take_ceremony(&state.store, session_hash).await? else { return Ok(None) };
        let Ok(assertion) = serde_json::from_str(&form.cle) else { return Ok(None) };
        let keys = rows::keys(&state.store, registration_id).await?;
        let stored: Vec<String> = keys.iter().map(|(_, key)| key.clone()).collect();
        let Some((i, key)) = crate::passkeys::authenticated(webauthn, &ceremony, &stored, assertion) else {
            return Ok(None);
        };
        rows::update_key(&state.store, &keys[i].0, &key).await?;
        return Ok(Some("clé d'accès"));
    }
    if let Some(code) = normalized_totp_code(&form.code) {
        for (factor, secret) in rows::totps(&state.store, registration_id).await? {
            let app = crate::factors::totp(&secret, "compte", crate::factors::ISSUER).map_err(sqlx::Error::Protocol)?;
            if let Some(step) = crate::factors::code_step(&app, &code, now) {
                return Ok(rows::take_step(&state.store, &factor, step)
                    .await?
                    .then_some("application d'authentification"));
            }
        }
        return Ok(None);
    }
    if let Some(hash) = normalized_recovery_code(&form.code).and_then(|c| crate::factors::recovery_hash(&c)) {
        return Ok(rows::use_recovery_code(&state.store, registration_id, &hash, now)
            .await?
            .then_some("code de secours"));
    }
    Ok(None)
}

/// A pending session (the password given) of this request, its form's CSRF token right and its account unlocked:
/// its id's hash and row, and the account's failures so far. Otherwise the answer to give.
pub(crate) async fn pending(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(String, rows::Session, i64), Response> {
    let (pending, session) = match current(state, headers, false).await {
        // A forgotten password's session is never a sign-in's: its password was not given.
        Ok(Some(found)) if found.1.reset.is_none() => found,
        Ok(_) => return Err(Redirect::to("/compte").into_response()),
        Err(e) => return Err(failed(e)),
    };
    if !same(&session.csrf, csrf) {
        return Err(forbidden());
    }
    let (failures, locked) = rows::failures(&state.store, &session.registration_id).await.map_err(failed)?;
    if let Some(until) = locked.filter(|u| *u > state.now()) {
        let _ = rows::end_session(&state.store, &pending).await;
        return Err(sign_in_form(state, StatusCode::UNAUTHORIZED, Some(&locked_message(until))));
    }
    Ok((pending, session, failures))
}

/// A second factor refused: counted (and journalled) against the account; at the limit the account is locked and
/// every session of it ends (the sign-in page, saying so). None: the failure is counted, the form to show again.
pub(crate) async fn refused(
    state: &AppState,
    registration_id: &str,
    failures: i64,
) -> Result<Option<Response>, sqlx::Error> {
    Ok(match count_failure(state, registration_id, failures, "echec_second_facteur").await? {
        Some(until) => {
            rows::end_sessions(&state.store, registration_id).await?;
            let mut response = sign_in_form(state, StatusCode::UNAUTHORIZED, Some(&locked_message(until)));
            response.headers_mut().append(header::SET_COOKIE, set(state, SESSION, "", 0));
            Some(response)
        }
        None => None,
    })
}

/// The second factor checked (`used`: what proved it, or None): the session opened under a new id, or the failure
/// counted and the form shown again.
async fn conclude(
    state: &AppState,
    (pending, session, failures): (String, rows::Session, i64),
    used: Option<&'static str>,
) -> Response {
    let id = session.registration_id.clone();
    let Some(used) = used else {
        return match refused(state, &id, failures).await {
            Ok(Some(locked)) => locked,
            Ok(None) => match has_passkey(state, &id).await {
                Ok(passkey) => {
                    second_factor_form(StatusCode::UNAUTHORIZED, &session.csrf, passkey, Some(FACTOR_REFUSED))
                }
                Err(e) => failed(e),
            },
            Err(e) => failed(e),
        };
    };
    // The pending session ends; the session itself has a new id (a cookie set before sign-in is never kept after).
    match rows::end_session(&state.store, &pending).await {
        Ok(true) => open(state, &id, used).await,
        Ok(false) => Redirect::to("/compte").into_response(),
        Err(e) => failed(e),
    }
}

/// A session opened for the account `id`, proven by `used` (journalled): its new random id in the cookie.
pub(crate) async fn open(state: &AppState, id: &str, used: &str) -> Response {
    match open_cookie(state, id, used).await {
        Ok(cookie) => {
            let mut response = Redirect::to("/compte").into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(response) => response,
    }
}

/// A session opened for the account `id`, proven by `used` (journalled): the cookie of its new random id.
pub(crate) async fn open_cookie(state: &AppState, id: &str, used: &str) -> Result<axum::http::HeaderValue, Response> {
    let (cookie, csrf) = (token()?, token()?);
    let now = state.now();
    let opened = async {
        let id_hash = sha256_hex(cookie.as_bytes());
        rows::open_session(&state.store, &id_hash, id, &csrf, true, now).await?;
        if used == PSC || used == CARD {
            // The identity proven again (Pro Santé Connect, the card): its factors may be replaced and a forgotten
            // password changed at once (a lost phone or key).
            rows::set_psc(&state.store, &id_hash, now).await?;
        }
        rows::set_failures(&state.store, id, 0, None).await?;
        rows::journal(state.store.pool(), id, "connexion", used, now).await
    };
    opened.await.map_err(failed)?;
    Ok(set(state, SESSION, &cookie, MAX_SECS))
}

/// What a sign-in by Pro Santé Connect, or by the card, is journalled as.
pub(crate) const PSC: &str = "Pro Santé Connect";
pub(crate) const CARD: &str = "carte CPS";

/// Pro Santé Connect proved `national_id` (e-CPS or the card, eIDAS substantial): the account proven so (by the card
/// or PSC) with that national id is signed in, strong on its own; otherwise the sign-in page says why.
pub async fn psc_sign_in(state: &AppState, national_id: &str) -> Response {
    let Some(national) = promess_core::card::NationalId::parse(national_id) else {
        return psc_refused_key("sans_compte");
    };
    match rows::proven_by(&state.store, &national).await {
        Ok(Some(id)) => open(state, &id, PSC).await,
        Ok(None) => psc_refused_key("sans_compte"),
        Err(e) => failed(e),
    }
}

/// A sign-in by Pro Santé Connect that did not succeed: the sign-in page, saying so.
pub fn psc_refused(code: promess_core::ErrorCode) -> Response {
    psc_refused_key(code.key())
}

fn psc_refused_key(key: &str) -> Response {
    Redirect::to(&format!("/compte?psc={key}")).into_response()
}

/// What the sign-in page says after a sign-in by Pro Santé Connect that did not succeed (`?psc=`).
fn psc_message(key: &str) -> Option<&'static str> {
    match key {
        "" => None,
        "sans_compte" => Some(
            "Aucun compte dont l'identité a été prouvée par la carte CPS ou Pro Santé Connect ne correspond à cette identité : connectez-vous avec votre identifiant et votre mot de passe.",
        ),
        "psc_cancelled" => Some(
            "La connexion par Pro Santé Connect a été annulée : réessayez, ou connectez-vous avec votre identifiant et votre mot de passe.",
        ),
        _ => Some(
            "La connexion par Pro Santé Connect n'a pas abouti : réessayez, ou connectez-vous avec votre identifiant et votre mot de passe.",
        ),
    }
}

async fn second_factor(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<ProofForm>) -> Response {
    let checked = match pending(&state, &headers, &form.csrf).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    match prove(&state, &checked.0, &checked.1.registration_id, &form).await {
        Ok(used) => conclude(&state, checked, used).await,
        Err(e) => failed(e),
    }
}

/// `POST /compte/cle/options`: a passkey's options for this session's account (its keys; pending at sign-in, or
/// signed in and asked for its second factor again), the ceremony's state kept in that session until its assertion
/// comes.
async fn passkey_options(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<ProofForm>) -> Response {
    let found = match current(&state, &headers, false).await {
        Ok(None) => current(&state, &headers, true).await,
        other => other,
    };
    let (session_hash, session) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return failed(e),
    };
    if !same(&session.csrf, &form.csrf) {
        return forbidden();
    }
    let Some(webauthn) = state.webauthn.as_deref() else { return StatusCode::NOT_FOUND.into_response() };
    let keys = match rows::keys(&state.store, &session.registration_id).await {
        Ok(keys) => keys,
        Err(e) => return failed(e),
    };
    let stored: Vec<String> = keys.into_iter().map(|(_, key)| key).collect();
    if stored.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Ok((options, ceremony)) = crate::passkeys::authentication(webauthn, &stored) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match rows::set_ceremony(&state.store, &session_hash, &ceremony).await {
        Ok(()) => axum::Json(options).into_response(),
        Err(e) => failed(e),
    }
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<ProofForm>) -> Response {
    let (id_hash, session) = match current(&state, &headers, true).await {
        Ok(Some(found)) => found,
        Ok(None) => return Redirect::to("/compte").into_response(),
        Err(e) => return failed(e),
    };
    if !same(&session.csrf, &form.csrf) {
        return forbidden();
    }
    let ended = async {
        rows::end_session(&state.store, &id_hash).await?;
        rows::journal(state.store.pool(), &session.registration_id, "deconnexion", "", state.now()).await
    };
    if let Err(e) = ended.await {
        return failed(e);
    }
    let mut response = Redirect::to("/compte").into_response();
    response.headers_mut().insert(header::SET_COOKIE, set(&state, SESSION, "", 0));
    response
}
