//! The account's life after registration, in the account space: a forgotten password (a link to the notification
//! address, then the second factor, then the new password), a new password while signed in, a new notification
//! address (confirmed by a link to it, signed in), and closure. Every change the mail system must know is a job of
//! the queue (`provisioning::PasswordWriter`, `provisioning::Remover`), queued in the change's transaction.
use super::{
    Asking, FACTOR_REFUSED, FORM, ProofForm, SESSION, asking_page, current, failed, forbidden, has_passkey, page,
    prove, refused, set, token,
};
use crate::{
    AppState,
    email::{Email, Kind},
    secret::{same, sha256_hex},
    store::{accounts as rows, registrations},
};
use axum::{
    Extension, Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};
use promess_core::{ErrorCode, Field, config::SUPPORT_EMAIL, config::SUPPORT_PHONE};
use serde::Deserialize;

/// How long a forgotten password's link is valid.
pub const RESET_SECS: i64 = 30 * 60;
/// How long a new notification address's link is valid.
pub const ADDRESS_SECS: i64 = 48 * 3600;
/// How long the second factor given again allows its change.
pub const VERIFIED_SECS: i64 = 5 * 60;
/// The forgotten password's answer, whether an account matched or not.
pub const RESET_SENT: &str = "Si un compte correspond, un message vient d'être envoyé à son adresse de notification avec un lien pour choisir un nouveau mot de passe, valable 30 minutes. Pensez à regarder dans vos courriers indésirables.";

fn link(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.settings.public_url().trim_end_matches('/'))
}

/// A form of these pages that has only its CSRF token.
#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The forgotten password's form; `sent`: the answer shown above it.
fn forgotten_form(state: &AppState, status: StatusCode, said: Option<(&str, bool)>) -> Response {
    let Ok(csrf) = token() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let body = html! {
        h1 { "Mot de passe oublié" }
        @if let Some((text, good)) = said {
            p class=(if good { "accord" } else { "erreur" }) role=(if good { "status" } else { "alert" }) id="oubli-message" { (text) }
        }
        p { "Saisissez votre identifiant, votre adresse de messagerie sécurisée ou votre adresse de notification : un lien pour choisir un nouveau mot de passe sera envoyé à votre adresse de notification. Votre second facteur vous sera demandé." }
        form method="post" action="/compte/mot-de-passe-oublie" {
            input type="hidden" name="csrf" value=(csrf);
            p {
                label for="identifiant" { "Identifiant ou adresse électronique" }
                input id="identifiant" name="identifiant" type="text" autocomplete="username" required;
            }
            button type="submit" { "Recevoir le lien" }
        }
        p { a href="/compte" { "Retour à la connexion" } }
    };
    let mut response = page(status, "Mot de passe oublié", None, body);
    response.headers_mut().insert(header::SET_COOKIE, set(state, FORM, &csrf, 1800));
    response
}

pub(super) async fn forgotten_page(State(state): State<AppState>) -> Response {
    forgotten_form(&state, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub(super) struct ForgottenForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /compte/mot-de-passe-oublie`: the same answer, in the same work, whether an account matches or not; a link
/// sent at most `RESETS_PER_HOUR` times an hour to one account.
pub(super) async fn forgotten(
    State(state): State<AppState>,
    client: Option<Extension<crate::access::Client>>,
    headers: HeaderMap,
    Form(form): Form<ForgottenForm>,
) -> Response {
    let expected = crate::cookies::read(&headers, &state.settings, FORM).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &form.csrf) {
        return forgotten_form(
            &state,
            StatusCode::FORBIDDEN,
            Some(("Le formulaire a expiré : saisissez à nouveau votre identifiant.", false)),
        );
    }
    if let Some(Extension(crate::access::Client(client))) = client {
        match state.limits.account_sign_ins.check(client, crate::queue::now_secs()).await {
            Ok(Ok(())) => {}
            Ok(Err(wait)) => {
                let message = format!("Trop de demandes depuis cette adresse : réessayez dans {wait} secondes.");
                return forgotten_form(&state, StatusCode::TOO_MANY_REQUESTS, Some((&message, false)));
            }
            Err(e) => return failed(e),
        }
    }
    match rows::reset_requested(&state.store, &form.identifiant, state.now()).await {
        Ok(()) => forgotten_form(&state, StatusCode::OK, Some((RESET_SENT, true))),
        Err(e) => failed(e),
    }
}

/// The queue's job of a forgotten-password request: when it matches an active account (not sent too many this
/// hour), the link (30 minutes, once; only its hash kept) and its email, to the notification address.
#[derive(Clone)]
pub struct ResetLinks {
    /// The site's address, the links' beginning.
    pub public_url: String,
}

impl crate::queue::Job for ResetLinks {
    const KIND: crate::queue::Kind = crate::queue::Kind::ResetLink;
    const MAX_ATTEMPTS: i64 = 10;
    const WHAT: (&'static str, &'static str) = ("reset link", "promess-server outbox");

    async fn run(&self, _: &crate::store::Store, _: &crate::store::jobs::Due) -> Result<(), crate::queue::Failure> {
        Ok(()) // Its work is its transaction's (`done`): the link and its email are written together.
    }

    async fn done(
        &self,
        tx: &mut sqlx::AnyConnection,
        job: &crate::store::jobs::Due,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let Some((id, identifiant, recipient, civilite)) = rows::reset_account(tx, &job.id, now).await? else {
            return Ok(());
        };
        let token = crate::secret::token(32).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let url = format!("{}/compte/reinitialisation/{token}", self.public_url.trim_end_matches('/'));
        let email =
            Email { civilite: &civilite, identifiant: &identifiant, kind: Kind::PasswordReset { link: &url } }.render();
        let link = (sha256_hex(token.as_bytes()), now + RESET_SECS);
        rows::reset_link(tx, &id, (&link.0, link.1), (&recipient, &email), now).await
    }
}

/// Sends the links of the forgotten-password requests due at `now` (the server's worker does it every few seconds).
pub async fn send_reset_links(state: &AppState, now: i64) -> Result<usize, sqlx::Error> {
    let job = ResetLinks { public_url: state.settings.public_url().to_owned() };
    crate::queue::run_due(&state.store, &job, now).await
}

/// A link that is no longer valid (used, expired, or never sent).
fn link_gone(what: &str, again: Option<(&str, &str)>) -> Response {
    let body = html! {
        h1 { "Ce lien n'est plus valable" }
        p { (what) }
        @if let Some((href, label)) = again { p { a href=(href) { (label) } } }
        p { "Pour toute question, contactez l'assistance au " (SUPPORT_PHONE) " ou à " (SUPPORT_EMAIL) "." }
    };
    page(StatusCode::GONE, "Lien expiré", None, body)
}

fn reset_gone() -> Response {
    link_gone(
        "Un lien de réinitialisation est valable 30 minutes et ne sert qu'une fois. Demandez-en un nouveau.",
        Some(("/compte/mot-de-passe-oublie", "Mot de passe oublié")),
    )
}

/// `GET /compte/reinitialisation/{jeton}`: the link's page; it changes nothing (a mail scanner may open it).
pub(super) async fn reset_page(State(state): State<AppState>, Path(jeton): Path<String>) -> Response {
    let found = rows::token(&state.store, &sha256_hex(jeton.as_bytes()), rows::Purpose::Password, state.now()).await;
    match found {
        Ok(Some(_)) => {
            let Ok(csrf) = token() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
            let body = html! {
                h1 { "Choisir un nouveau mot de passe" }
                p { "Votre second facteur (clé d'accès, application d'authentification ou code de secours) vous sera demandé, puis votre nouveau mot de passe." }
                form method="post" action={ "/compte/reinitialisation/" (jeton) } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Continuer" }
                }
            };
            let mut response = page(StatusCode::OK, "Nouveau mot de passe", None, body);
            response.headers_mut().insert(header::SET_COOKIE, set(&state, FORM, &csrf, RESET_SECS));
            response
        }
        Ok(None) => reset_gone(),
        Err(e) => failed(e),
    }
}

/// `POST /compte/reinitialisation/{jeton}`: the link taken up in a pending session of its own (not a sign-in's),
/// whose second factor is asked next.
pub(super) async fn reset_begin(
    State(state): State<AppState>,
    Path(jeton): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let expected = crate::cookies::read(&headers, &state.settings, FORM).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &form.csrf) {
        return forbidden();
    }
    let link_hash = sha256_hex(jeton.as_bytes());
    let now = state.now();
    let (cookie, csrf) = match (token(), token()) {
        (Ok(cookie), Ok(csrf)) => (cookie, csrf),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let opened = async {
        let Some(found) = rows::token(&state.store, &link_hash, rows::Purpose::Password, now).await? else {
            return Ok(false);
        };
        let id_hash = sha256_hex(cookie.as_bytes());
        rows::open_reset_session(&state.store, &id_hash, &found.registration_id, &csrf, &link_hash, now).await?;
        Ok::<_, sqlx::Error>(true)
    };
    match opened.await {
        Ok(true) => {
            let mut response = Redirect::to("/compte/reinitialisation").into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, set(&state, SESSION, &cookie, super::PENDING_SECS));
            headers.append(header::SET_COOKIE, set(&state, FORM, "", 0));
            response
        }
        Ok(false) => reset_gone(),
        Err(e) => failed(e),
    }
}

/// The reset's pending session of this request, its link still valid.
async fn reset_session(state: &AppState, headers: &HeaderMap) -> Result<Option<(String, rows::Session)>, sqlx::Error> {
    let Some((id_hash, session)) = current(state, headers, false).await? else { return Ok(None) };
    let Some(link) = session.reset.clone() else { return Ok(None) };
    let valid = rows::token(&state.store, &link, rows::Purpose::Password, state.now()).await?;
    Ok(valid.filter(|t| t.registration_id == session.registration_id).map(|_| (id_hash, session)))
}

async fn reset_asking(
    state: &AppState,
    session: &rows::Session,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, sqlx::Error> {
    let asking = Asking {
        title: "Confirmez votre identité",
        intro: Some("Pour choisir un nouveau mot de passe, donnez votre second facteur."),
        action: "/compte/reinitialisation/facteur",
        hidden: &[("csrf", session.csrf.as_str())],
        passkey: has_passkey(state, &session.registration_id).await?,
        error,
        submit: "Continuer",
        signed: None,
        lost: None,
    };
    Ok(asking_page(status, &asking))
}

/// `GET /compte/reinitialisation`: the reset's second factor.
pub(super) async fn reset_factor_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let shown = async {
        match reset_session(&state, &headers).await? {
            Some((_, session)) => reset_asking(&state, &session, StatusCode::OK, None).await,
            None => Ok(reset_gone()),
        }
    };
    shown.await.unwrap_or_else(failed)
}

/// `POST /compte/reinitialisation/facteur`: the second factor; given, the new password's form.
pub(super) async fn reset_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ProofForm>,
) -> Response {
    let done = async {
        let Some((id_hash, session)) = reset_session(&state, &headers).await? else { return Ok(reset_gone()) };
        if !same(&session.csrf, &form.csrf) {
            return Ok(forbidden());
        }
        let id = &session.registration_id;
        let (failures, locked) = rows::failures(&state.store, id).await?;
        if locked.is_some_and(|until| until > state.now()) {
            rows::end_session(&state.store, &id_hash).await?;
            return Ok(reset_gone());
        }
        let Some(used) = prove(&state, &id_hash, id, &form).await? else {
            if let Some(locked) = refused(&state, id, failures).await? {
                return Ok(locked);
            }
            return reset_asking(&state, &session, StatusCode::UNAUTHORIZED, Some(FACTOR_REFUSED)).await;
        };
        rows::set_failures(&state.store, id, 0, None).await?;
        rows::set_verified(&state.store, &id_hash, state.now()).await?;
        rows::journal(state.store.pool(), id, "reinitialisation_facteur", used, state.now()).await?;
        Ok(password_form(StatusCode::OK, "/compte/reinitialisation/mot-de-passe", &session.csrf, false, &[], None))
    };
    done.await.unwrap_or_else(failed)
}

/// A field of the password forms: its name, label and autocomplete.
const CURRENT: (&str, &str, &str) = ("mot_de_passe_actuel", "Mot de passe actuel", "current-password");
const NEW: (&str, &str, &str) = ("mot_de_passe", "Nouveau mot de passe", "new-password");
const AGAIN: (&str, &str, &str) = ("mot_de_passe_confirmation", "Confirmation du nouveau mot de passe", "new-password");

/// The new password's form (`current`: the current password asked too), with the errors of a try (by field name).
fn password_form(
    status: StatusCode,
    action: &str,
    csrf: &str,
    current: bool,
    errors: &[(&str, String)],
    signed: Option<&str>,
) -> Response {
    let field = |(id, label, autocomplete): (&str, &str, &str)| -> Markup {
        let error = errors.iter().find(|(f, _)| *f == id).map(|(_, message)| message);
        html! {
            p {
                label for=(id) { (label) }
                input id=(id) name=(id) type="password" autocomplete=(autocomplete) required
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-erreur"))];
                @if let Some(error) = error { span.erreur id={ (id) "-erreur" } { (error) } }
            }
        }
    };
    let body = html! {
        h1 { "Nouveau mot de passe" }
        @if !errors.is_empty() { p.erreur role="alert" { "Le mot de passe n'a pas été changé : corrigez les champs indiqués." } }
        p { "Les mêmes règles qu'à l'inscription : au moins 12 caractères, des minuscules, des majuscules et des chiffres, ni vos nom, prénom ou identifiant, et difficile à deviner. Il sert aussi à votre logiciel de messagerie." }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            @if current { (field(CURRENT)) }
            (field(NEW))
            (meter())
            (field(AGAIN))
            button type="submit" { "Changer mon mot de passe" }
        }
    };
    page(status, "Nouveau mot de passe", signed, body)
}

/// Step 3's strength meter and checklist, empty: `/compte/force.js` keeps it up to date as the password is typed,
/// from the server's verdict (the same rules and zxcvbn, the account's own words).
fn meter() -> Markup {
    use promess_core::password::{Assessment, Rule, meter_text};
    let empty = Assessment::new("", &[], None);
    html! {
        div #jauge .jauge.insuffisante role="meter" aria-label="Sécurité du mot de passe" aria-valuemin="0" aria-valuemax="4"
            aria-valuenow="0" aria-valuetext=(meter_text(true, &empty)) {
            div.jauge-barre aria-hidden="true" data-niveau="0" { span {} }
            p.jauge-texte aria-live="polite" { (meter_text(true, &empty)) }
        }
        ul.regles aria-label="Règles du mot de passe" {
            @for rule in Rule::ALL {
                li.regle.attente data-regle=(rule.key()) { span.marque-regle aria-hidden="true" { "…" } (rule.label()) span.sr-only { " : en cours d'évaluation" } }
            }
        }
        script src="/compte/force.js" defer {}
    }
}

#[derive(Deserialize)]
pub(super) struct MeterForm {
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /compte/force`: the meter's verdict on a password being typed, for this session's account (a reset's
/// pending session or a signed-in one), with its own words: the level, the text, each rule held or not.
pub(super) async fn meter_verdict(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<MeterForm>,
) -> Response {
    use promess_core::password::{Assessment, Rule, meter_level, meter_text};
    let found = match current(&state, &headers, true).await {
        Ok(None) => current(&state, &headers, false).await.map(|s| s.filter(|(_, s)| s.reset.is_some())),
        other => other,
    };
    let session = match found {
        Ok(Some((_, session))) if same(&session.csrf, &form.csrf) => session,
        Ok(_) => return StatusCode::FORBIDDEN.into_response(),
        Err(e) => return failed(e),
    };
    let person = match registrations::person(state.store.pool(), &session.registration_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return StatusCode::FORBIDDEN.into_response(),
        Err(e) => return failed(e),
    };
    let words = promess_core::password::personal_words(&person.prenom, &person.nom, &person.identifiant);
    let password = form.mot_de_passe;
    let rated = state
        .limits
        .hashing
        .run(move || {
            let score = (!password.is_empty()).then(|| promess_strength::estimate(&password, &words));
            let a = Assessment::new(&password, &words, score);
            let rules: Vec<serde_json::Value> =
                Rule::ALL.iter().map(|r| serde_json::json!({ "regle": r.key(), "tient": a.holds(*r) })).collect();
            serde_json::json!({
                "niveau": meter_level(password.is_empty(), &a),
                "score": a.score,
                "satisfaisant": a.satisfactory(),
                "texte": meter_text(password.is_empty(), &a),
                "regles": rules,
            })
        })
        .await;
    match rated.and_then(Result::ok) {
        Some(verdict) => axum::Json(verdict).into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    mot_de_passe_actuel: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    mot_de_passe_confirmation: String,
    #[serde(default)]
    csrf: String,
}

/// The new password checked against step 3's rules (zxcvbn with the person's words, as the registration does), and
/// hashed: the hash, or the errors by field.
async fn new_password(
    state: &AppState,
    id: &str,
    form: &PasswordForm,
) -> Result<Result<String, Vec<(&'static str, String)>>, sqlx::Error> {
    let Some(p) = registrations::person(state.store.pool(), id).await? else {
        return Ok(Err(vec![(NEW.0, ErrorCode::Required.message(Field::MotDePasse))]));
    };
    let words = promess_core::password::personal_words(&p.prenom, &p.nom, &p.identifiant);
    let (password, again) = (form.mot_de_passe.clone(), form.mot_de_passe_confirmation.clone());
    let checked = state
        .limits
        .hashing
        .run(move || {
            let score = promess_strength::estimate(&password, &words);
            let mut errors = Vec::new();
            if let Err(code) = promess_core::password::check(&password, &words, Some(score)) {
                errors.push((NEW.0, code.message(Field::MotDePasse)));
            }
            if password != again {
                let code = ErrorCode::PasswordMismatch;
                errors.push((AGAIN.0, code.message(Field::MotDePasseConfirmation)));
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            crate::password::hash(&password).map_err(|e| vec![(NEW.0, e)])
        })
        .await;
    let busy = || Err(vec![(NEW.0, "Le service est très sollicité : réessayez dans un instant.".to_owned())]);
    Ok(checked.and_then(Result::ok).unwrap_or_else(busy))
}

/// The password changed: the page that says so (every session is over).
fn password_changed(state: &AppState) -> Response {
    let body = html! {
        h1 { "Votre mot de passe est changé" }
        p role="status" { "Toutes vos sessions sont fermées et un message le confirme à votre adresse de notification. Votre logiciel de messagerie acceptera le nouveau mot de passe dès qu'il sera enregistré dans la messagerie (quelques instants)." }
        p { a href="/compte" { "Se connecter à mon compte" } }
    };
    let mut response = page(StatusCode::OK, "Mot de passe changé", None, body);
    response.headers_mut().insert(header::SET_COOKIE, set(state, SESSION, "", 0));
    response
}

/// Writes a new password (`link`: the reset's, used by it): its transaction, then the page.
async fn write_password(state: &AppState, id: &str, hash: &str, link: Option<&str>) -> Result<Response, sqlx::Error> {
    let Some((_, email, civilite)) = rows::credentials(&state.store, id).await? else { return Ok(reset_gone()) };
    let Some(p) = registrations::person(state.store.pool(), id).await? else { return Ok(reset_gone()) };
    let rendered = Email { civilite: &civilite, identifiant: &p.identifiant, kind: Kind::PasswordChanged }.render();
    if !rows::set_password(&state.store, id, hash, link, (&email, &rendered), state.now()).await? {
        return Ok(reset_gone());
    }
    Ok(password_changed(state))
}

/// `POST /compte/reinitialisation/mot-de-passe`: the new password, the second factor given in this reset's session
/// within `VERIFIED_SECS`.
pub(super) async fn reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let done = async {
        let Some((_, session)) = reset_session(&state, &headers).await? else { return Ok(reset_gone()) };
        if !same(&session.csrf, &form.csrf) {
            return Ok(forbidden());
        }
        if session.verified_at.is_none_or(|at| at < state.now() - VERIFIED_SECS) {
            return reset_asking(&state, &session, StatusCode::UNAUTHORIZED, None).await;
        }
        let action = "/compte/reinitialisation/mot-de-passe";
        match new_password(&state, &session.registration_id, &form).await? {
            Err(errors) => {
                Ok(password_form(StatusCode::UNPROCESSABLE_ENTITY, action, &session.csrf, false, &errors, None))
            }
            Ok(hash) => write_password(&state, &session.registration_id, &hash, session.reset.as_deref()).await,
        }
    };
    done.await.unwrap_or_else(failed)
}

/// After the second factor given again (`factors::verify`): the form of the change asked for.
pub(super) fn change_password_form(session: &rows::Session, current: bool) -> Response {
    password_form(StatusCode::OK, "/compte/mot-de-passe", &session.csrf, current, &[], Some(&session.csrf))
}

/// The complete session of this request, its form's token right, and its second factor given again within
/// `VERIFIED_SECS` (taken: once), or the answer to give.
async fn verified_session(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    take: bool,
) -> Result<Result<(String, rows::Session), Response>, sqlx::Error> {
    let Some((id_hash, session)) = current(state, headers, true).await? else {
        return Ok(Err(Redirect::to("/compte").into_response()));
    };
    if !same(&session.csrf, csrf) {
        return Ok(Err(forbidden()));
    }
    let since = state.now() - VERIFIED_SECS;
    let fresh = if take {
        rows::take_verified(&state.store, &id_hash, since).await?
    } else {
        session.verified_at.is_some_and(|at| at >= since)
    };
    if !fresh {
        return Ok(Err(Redirect::to("/compte?fait=facteur_a_redonner").into_response()));
    }
    Ok(Ok((id_hash, session)))
}

/// `POST /compte/mot-de-passe`: the current password and the new one, the second factor given again.
pub(super) async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let done = async {
        let (id_hash, session) = match verified_session(&state, &headers, &form.csrf, false).await? {
            Ok(found) => found,
            Err(response) => return Ok(response),
        };
        let id = &session.registration_id;
        let Some((hash, ..)) = rows::credentials(&state.store, id).await? else {
            return Ok(Redirect::to("/compte").into_response());
        };
        // A session proven again by Pro Santé Connect just now changes a forgotten password without it.
        let since = state.now() - super::factors::PSC_RESET_SECS;
        let by_psc = rows::psc_at(&state.store, &id_hash).await?.is_some_and(|at| at >= since);
        let typed = form.mot_de_passe_actuel.clone();
        let right = by_psc
            || state
                .limits
                .hashing
                .run(move || crate::password::verify(&typed, &hash))
                .await
                .and_then(Result::ok)
                .unwrap_or(false);
        let errors = match (right, new_password(&state, id, &form).await?) {
            (true, Ok(hash)) => return write_password(&state, id, &hash, None).await,
            (true, Err(errors)) => errors,
            (false, checked) => {
                let mut errors = vec![(CURRENT.0, "Ce n'est pas votre mot de passe actuel.".to_owned())];
                errors.extend(checked.err().unwrap_or_default());
                errors
            }
        };
        Ok(password_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/compte/mot-de-passe",
            &session.csrf,
            !by_psc,
            &errors,
            Some(&session.csrf),
        ))
    };
    done.await.unwrap_or_else(failed)
}

/// After the second factor given again: the new notification address's form.
pub(super) fn address_form(session: &rows::Session, error: Option<&str>) -> Response {
    let body = html! {
        h1 { "Nouvelle adresse de notification" }
        @if let Some(error) = error { p.erreur role="alert" id="adresse-erreur" { (error) } }
        p { "Les notifications et les liens de réinitialisation de mot de passe y seront envoyés. Un lien de confirmation y sera envoyé ; ouvrez-le connecté à votre compte." }
        form method="post" action="/compte/adresse" {
            input type="hidden" name="csrf" value=(session.csrf);
            p {
                label for="email" { "Nouvelle adresse électronique" }
                input id="email" name="email" type="email" autocomplete="email" required aria-describedby=[error.map(|_| "adresse-erreur")];
            }
            p {
                label for="email_confirmation" { "Confirmation de la nouvelle adresse" }
                input id="email_confirmation" name="email_confirmation" type="email" autocomplete="email" required;
            }
            button type="submit" { "Recevoir le lien de confirmation" }
        }
        p { a href="/compte" { "Annuler" } }
    };
    page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "Nouvelle adresse",
        Some(&session.csrf),
        body,
    )
}

#[derive(Deserialize)]
pub(super) struct AddressForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_confirmation: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /compte/adresse`: a new notification address, its link sent to it.
pub(super) async fn new_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Response {
    let done = async {
        let (id_hash, session) = match verified_session(&state, &headers, &form.csrf, false).await? {
            Ok(found) => found,
            Err(response) => return Ok(response),
        };
        let email = form.email.trim().to_lowercase();
        let invalid = if let Err(code) = promess_core::contact::Email::parse(&email) {
            Some(code.message(Field::Email))
        } else if email != form.email_confirmation.trim().to_lowercase() {
            Some(ErrorCode::EmailMismatch.message(Field::EmailConfirmation))
        } else {
            None
        };
        if let Some(error) = invalid {
            return Ok(address_form(&session, Some(&error)));
        }
        rows::take_verified(&state.store, &id_hash, 0).await?;
        let id = &session.registration_id;
        let Some(p) = registrations::person(state.store.pool(), id).await? else {
            return Ok(Redirect::to("/compte").into_response());
        };
        let token = crate::secret::token(32).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let url = link(&state, &format!("/compte/adresse/{token}"));
        let rendered =
            Email { civilite: &p.civilite, identifiant: &p.identifiant, kind: Kind::NewAddress { link: &url } }
                .render();
        let now = state.now();
        rows::new_address_requested(
            &state.store,
            id,
            &email,
            (&sha256_hex(token.as_bytes()), now + ADDRESS_SECS),
            &rendered,
            now,
        )
        .await?;
        Ok(Redirect::to("/compte?fait=adresse_envoyee").into_response())
    };
    done.await.unwrap_or_else(failed)
}

/// `GET /compte/adresse/{jeton}`: the new address's link; only its account, signed in, confirms it (a button: the
/// page changes nothing).
pub(super) async fn address_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(jeton): Path<String>,
) -> Response {
    let shown = async {
        let Some(found) =
            rows::token(&state.store, &sha256_hex(jeton.as_bytes()), rows::Purpose::Address, state.now()).await?
        else {
            return Ok(address_gone());
        };
        let Some((_, session)) =
            current(&state, &headers, true).await?.filter(|(_, s)| s.registration_id == found.registration_id)
        else {
            let body = html! {
                h1 { "Confirmer votre nouvelle adresse" }
                p role="alert" { "Connectez-vous d'abord à votre compte, puis ouvrez à nouveau le lien du message." }
                p { a href="/compte" { "Se connecter à mon compte" } }
            };
            return Ok(page(StatusCode::UNAUTHORIZED, "Confirmer votre adresse", None, body));
        };
        let new_email = found.new_email.unwrap_or_default();
        let body = html! {
            h1 { "Confirmer votre nouvelle adresse" }
            p { "Les notifications de votre compte seront envoyées à " strong { (new_email) } "." }
            form method="post" action={ "/compte/adresse/" (jeton) } {
                input type="hidden" name="csrf" value=(session.csrf);
                button type="submit" { "Confirmer ma nouvelle adresse" }
            }
        };
        Ok(page(StatusCode::OK, "Confirmer votre adresse", Some(&session.csrf), body))
    };
    shown.await.unwrap_or_else(failed)
}

fn address_gone() -> Response {
    link_gone(
        "Un lien de confirmation d'adresse est valable 48 heures et ne sert qu'une fois. Demandez-en un nouveau depuis votre compte.",
        Some(("/compte", "Mon compte")),
    )
}

/// `POST /compte/adresse/{jeton}`: the new address confirmed by its account, signed in; the old one told.
pub(super) async fn confirm_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(jeton): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let done = async {
        let link_hash = sha256_hex(jeton.as_bytes());
        let Some(found) = rows::token(&state.store, &link_hash, rows::Purpose::Address, state.now()).await? else {
            return Ok(address_gone());
        };
        let Some((_, session)) = current(&state, &headers, true).await? else {
            return Ok(Redirect::to("/compte").into_response());
        };
        if session.registration_id != found.registration_id || !same(&session.csrf, &form.csrf) {
            return Ok(forbidden());
        }
        let id = &session.registration_id;
        let Some(p) = registrations::person(state.store.pool(), id).await? else {
            return Ok(Redirect::to("/compte").into_response());
        };
        let new_email = found.new_email.unwrap_or_default();
        let rendered = Email {
            civilite: &p.civilite,
            identifiant: &p.identifiant,
            kind: Kind::AddressChanged { new: &new_email },
        }
        .render();
        if !rows::change_address(&state.store, id, &link_hash, (&new_email, &p.email), &rendered, state.now()).await? {
            return Ok(address_gone());
        }
        Ok(Redirect::to("/compte?fait=adresse_changee").into_response())
    };
    done.await.unwrap_or_else(failed)
}

/// After the second factor given again: the account closed by its professional.
pub(super) async fn close(state: &AppState, session: &rows::Session) -> Result<Response, sqlx::Error> {
    let id = &session.registration_id;
    let Some(p) = registrations::person(state.store.pool(), id).await? else {
        return Ok(Redirect::to("/compte").into_response());
    };
    let rendered =
        Email { civilite: &p.civilite, identifiant: &p.identifiant, kind: Kind::Closed { reason: None } }.render();
    rows::close(&state.store, id, ("professionnel", None), (&p.email, &rendered), state.now()).await?;
    let body = html! {
        h1 { "Votre compte est fermé" }
        p role="status" { "Votre boîte aux lettres est supprimée de la messagerie et un message le confirme à votre adresse de notification. Votre identifiant et votre adresse de messagerie ne seront attribués à personne d'autre." }
    };
    let mut response = page(StatusCode::OK, "Compte fermé", None, body);
    response.headers_mut().insert(header::SET_COOKIE, set(state, SESSION, "", 0));
    Ok(response)
}
