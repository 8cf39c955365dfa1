//! The operator's console, server-rendered HTML (maud) in French, without JavaScript: sign-in (password and TOTP
//! code), the queue of requests, a request with its national directory check, competing claims and history, the
//! decision, and the audit log. Every page but the sign-in needs a session; every form carries a CSRF token.
use crate::{
    AppState, annuaire,
    lifecycle::{self, Decision, DecisionError, Decisions},
    limit,
    operators::{self, Operator, SignIn},
};
use axum::{
    Extension, Form, Router,
    extract::{ConnectInfo, FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{DOCTYPE, Markup, html};
use promess_core::{
    Field,
    annuaire::{Check, Comparison},
    lifecycle::{RefusalReason, Statut},
    nos,
};
use serde::Deserialize;
use std::net::SocketAddr;

const CSS: &str = include_str!("console.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operateur", get(sign_in_page))
        .route("/operateur/connexion", post(sign_in))
        .route("/operateur/deconnexion", post(sign_out))
        .route("/operateur/demandes", get(queue))
        .route("/operateur/demandes/{id}", get(request_page))
        .route("/operateur/demandes/{id}/decision", post(decide))
        .route("/operateur/journal", get(journal))
        .route("/operateur/console.css", get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // The console's forms post to its own origin, which browsers then name in `Origin` (checked by
        // `limit::same_origin`); under `no-referrer` they would send `Origin: null`.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// The routes that need a session, for the test that walks them all: (method, path).
pub const GUARDED: &[(&str, &str)] = &[
    ("POST", "/operateur/deconnexion"),
    ("GET", "/operateur/demandes"),
    ("GET", "/operateur/demandes/x"),
    ("POST", "/operateur/demandes/x/decision"),
    ("GET", "/operateur/journal"),
];

/// The session cookie's name: `__Host-` (Secure, this host only, path /) when the site is served over HTTPS; over
/// plain HTTP (a developer's machine) browsers refuse that prefix, and the name goes without it.
fn cookie_name(state: &AppState, name: &str) -> String {
    if secure(state) { format!("__Host-{name}") } else { name.to_owned() }
}

fn secure(state: &AppState) -> bool {
    state.origins.iter().any(|o| o.starts_with("https://"))
}

const SESSION: &str = "promess-operateur";
/// The sign-in form's CSRF token, in a cookie and in the form (before any session exists).
const SIGN_IN: &str = "promess-connexion";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if secure(state) { "; Secure" } else { "" };
    let value =
        format!("{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}", cookie_name(state, name));
    HeaderValue::from_str(&value).expect("an ASCII cookie")
}

/// A signed-in operator and their session cookie; without a current session, the sign-in page.
pub struct Signed {
    operator: Operator,
    cookie: String,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, Response> {
        let to_sign_in = || Redirect::to("/operateur").into_response();
        let cookie = cookie(&parts.headers, &cookie_name(state, SESSION)).ok_or_else(to_sign_in)?;
        match operators::session(&state.db, &cookie, state.now()).await {
            Ok(Some(operator)) => Ok(Signed { operator, cookie }),
            Ok(None) => Err(to_sign_in()),
            Err(e) => Err(crate::error::AppError::from(e).into_response()),
        }
    }
}

impl Signed {
    /// The form's CSRF token is the session's, or the request is refused.
    fn check(&self, csrf: &str) -> Result<(), Response> {
        if operators::same_secret(&self.operator.csrf, csrf) {
            Ok(())
        } else {
            Err(page_status(
                StatusCode::FORBIDDEN,
                "Demande refusée",
                None,
                html! {
                    h1 { "Demande refusée" }
                    p { "Ce formulaire a expiré ou ne vient pas de la console. Rechargez la page et recommencez." }
                },
            ))
        }
    }
}

fn page(title: &str, who: Option<&Signed>, body: Markup) -> Response {
    page_status(StatusCode::OK, title, who, body)
}

fn page_status(status: StatusCode, title: &str, who: Option<&Signed>, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Console opérateur ESEA" }
                link rel="stylesheet" href="/operateur/console.css";
            }
            body {
                a.evitement href="#contenu" { "Aller au contenu" }
                header {
                    p.marque { "Messagerie sécurisée Nouvelle-Aquitaine — console opérateur" }
                    @if let Some(who) = who {
                        nav aria-label="Console" {
                            ul {
                                li { a href="/operateur/demandes" { "Demandes" } }
                                li { a href="/operateur/journal" { "Journal" } }
                            }
                            form method="post" action="/operateur/deconnexion" {
                                input type="hidden" name="csrf" value=(who.operator.csrf);
                                span { "Connecté : " strong { (who.operator.login) } " " }
                                button type="submit" { "Se déconnecter" }
                            }
                        }
                    }
                }
                main id="contenu" { (body) }
            }
        }
    };
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string()).into_response()
}

/// Unix seconds as `03/12/2026 à 07:15`, in France's legal time (the operator's staff read their own clock).
pub fn date_time(secs: i64) -> String {
    let t = promess_core::time::Utc::paris(secs);
    format!("{:02}/{:02}/{} à {:02}:{:02}", t.day, t.month, t.year, t.hour, t.minute)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// The sign-in page, with its form's CSRF token in a cookie; a signed-in operator goes to the queue.
async fn sign_in_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(cookie) = cookie(&headers, &cookie_name(&state, SESSION))
        && let Ok(Some(_)) = operators::session(&state.db, &cookie, state.now()).await
    {
        return Redirect::to("/operateur/demandes").into_response();
    }
    sign_in_form(&state, StatusCode::OK, None)
}

fn sign_in_form(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let mut bytes = [0u8; 24];
    if getrandom::fill(&mut bytes).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let token = crate::db::sha256_hex(&bytes);
    let body = html! {
        h1 { "Connexion à la console" }
        @if let Some(error) = error {
            p.erreur role="alert" id="connexion-erreur" { (error) }
        }
        form method="post" action="/operateur/connexion" {
            input type="hidden" name="csrf" value=(token);
            p {
                label for="login" { "Identifiant" }
                input id="login" name="login" type="text" autocomplete="username" required
                    aria-describedby=[error.map(|_| "connexion-erreur")];
            }
            p {
                label for="mot_de_passe" { "Mot de passe" }
                input id="mot_de_passe" name="mot_de_passe" type="password" autocomplete="current-password" required;
            }
            p {
                label for="code" { "Code à 6 chiffres de votre application d'authentification" }
                input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9]{6}" maxlength="6" required;
            }
            button type="submit" { "Se connecter" }
        }
    };
    let mut response = page_status(status, "Connexion", None, body);
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(state, SIGN_IN, &token, 1800));
    response
}

async fn sign_in(
    State(state): State<AppState>,
    connection: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = cookie(&headers, &cookie_name(&state, SIGN_IN)).unwrap_or_default();
    if expected.is_empty() || !operators::same_secret(&expected, &form.csrf) {
        return sign_in_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("Le formulaire a expiré : saisissez à nouveau vos identifiants."),
        );
    }
    if let Some(Extension(ConnectInfo(peer))) = connection {
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let client = limit::client_address(peer.ip(), forwarded, &state.trusted_proxies);
        if let Err(wait) = state.sign_in_limiter.check(client, std::time::Instant::now()) {
            let message =
                format!("Trop de tentatives de connexion depuis cette adresse : réessayez dans {wait} secondes.");
            return sign_in_form(&state, StatusCode::TOO_MANY_REQUESTS, Some(&message));
        }
    }
    let hashing = state.hashing.clone();
    let verify = async move |password: String, hash: String| {
        hashing.run(move || crate::password::verify(&password, &hash)).await.and_then(Result::ok).unwrap_or(false)
    };
    let login = form.login.trim().to_ascii_lowercase();
    match operators::sign_in(&state.db, &login, &form.mot_de_passe, &form.code, verify, state.now()).await {
        Ok(SignIn::Session { cookie, .. }) => {
            let mut response = Redirect::to("/operateur/demandes").into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, set_cookie(&state, SESSION, &cookie, operators::SESSION_MAX_SECS));
            headers.append(header::SET_COOKIE, set_cookie(&state, SIGN_IN, "", 0));
            response
        }
        Ok(SignIn::Refused) => sign_in_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(
                "Identifiant, mot de passe ou code incorrect. Après 5 échecs de suite, le compte est verrouillé 15 minutes.",
            ),
        ),
        Ok(SignIn::Locked { until }) => {
            let message = format!(
                "Ce compte est verrouillé après 5 échecs de suite, jusqu'au {}. Réessayez ensuite, ou demandez à un administrateur.",
                date_time(until)
            );
            sign_in_form(&state, StatusCode::UNAUTHORIZED, Some(&message))
        }
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(State(state): State<AppState>, signed: Signed, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = signed.check(&form.csrf) {
        return refused;
    }
    if let Err(e) = operators::sign_out(&state.db, &signed.cookie, &signed.operator.login, state.now()).await {
        return crate::error::AppError::from(e).into_response();
    }
    let mut response = Redirect::to("/operateur").into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(&state, SESSION, "", 0));
    response
}

#[derive(Deserialize)]
struct QueueQuery {
    statut: Option<String>,
    q: Option<String>,
}

async fn queue(State(state): State<AppState>, signed: Signed, Query(query): Query<QueueQuery>) -> Response {
    // Requests in review by default; "toutes" for every state.
    let filter = match query.statut.as_deref() {
        None | Some("") => Some(Statut::EnVerification),
        Some("toutes") => None,
        Some(key) => Statut::from_key(key).or(Some(Statut::EnVerification)),
    };
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let requests = match lifecycle::list(&state.db, filter, search).await {
        Ok(r) => r,
        Err(e) => return crate::error::AppError::from(e).into_response(),
    };
    let chosen = filter.map_or("toutes", Statut::key);
    let count = requests.len();
    let what = match filter {
        Some(Statut::EnVerification) => "à vérifier".to_owned(),
        Some(s) => format!("« {} »", s.label()),
        None => "en tout".to_owned(),
    };
    let body = html! {
        h1 { "Demandes d'adhésion" }
        form method="get" action="/operateur/demandes" class="filtres" role="search" {
            p {
                label for="statut" { "État" }
                select id="statut" name="statut" {
                    @for s in Statut::ALL {
                        option value=(s.key()) selected[chosen == s.key()] { (s.label()) }
                    }
                    option value="toutes" selected[chosen == "toutes"] { "Tous les états" }
                }
            }
            p {
                label for="q" { "Rechercher (nom, RPPS, ADELI, identifiant, email)" }
                input id="q" name="q" type="search" value=(search.unwrap_or(""));
            }
            button type="submit" { "Filtrer" }
        }
        p id="nombre" { strong { (count) } " demande" @if count > 1 { "s" } " " (what) @if search.is_some() { " pour cette recherche" } "." }
        @if count > 0 {
            table {
                caption { "Demandes, les plus anciennes d'abord" }
                thead { tr {
                    th scope="col" { "Reçue le" } th scope="col" { "Nom" } th scope="col" { "Identifiant" }
                    th scope="col" { "RPPS / ADELI" } th scope="col" { "Identité" } th scope="col" { "État" }
                } }
                tbody {
                    @for r in &requests {
                        tr {
                            td { (date_time(r.created_at)) }
                            td { a href={ "/operateur/demandes/" (r.id) } { (r.prenom) " " (r.nom) } }
                            td { (r.identifiant) }
                            td { (r.rpps.as_deref().or(r.adeli.as_deref()).unwrap_or("—")) }
                            td { @if r.carte { "Carte CPS" } @else { "Sans carte" } }
                            td { (r.statut.label()) }
                        }
                    }
                }
            }
        }
    };
    page("Demandes", Some(&signed), body)
}

/// What a request page shows, read once.
struct Request {
    id: String,
    statut: Statut,
    identifiant: String,
    adresse: String,
    rpps: Option<String>,
    adeli: Option<String>,
    nom: String,
    prenom: String,
    email: String,
    donnees: serde_json::Value,
    carte: Option<(String, String, String, i64)>,
    created_at: i64,
}

async fn load(db: &sqlx::AnyPool, id: &str) -> Result<Option<Request>, sqlx::Error> {
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        i64,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, statut, identifiant, adresse, rpps, adeli, nom, prenom, email, donnees, carte_emetteur, \
         carte_numero_serie, carte_empreinte, carte_verifiee_le, created_at FROM registrations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(
        |(
            id,
            statut,
            identifiant,
            adresse,
            rpps,
            adeli,
            nom,
            prenom,
            email,
            donnees,
            emetteur,
            serie,
            empreinte,
            le,
            created_at,
        )| {
            Request {
                id,
                statut: Statut::from_key(&statut).unwrap_or(Statut::EnVerification),
                identifiant,
                adresse,
                rpps,
                adeli,
                nom,
                prenom,
                email,
                donnees: serde_json::from_str(&donnees).unwrap_or_default(),
                carte: emetteur.zip(serie).zip(empreinte).zip(le).map(|(((e, s), f), l)| (e, s, f, l)),
                created_at,
            }
        },
    ))
}

/// A value of the stored answers as the operator reads it.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::Bool(true) => "oui".into(),
        serde_json::Value::Bool(false) => "non".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => o.values().map(shown).collect::<Vec<_>>().join("/"),
        other => other.to_string(),
    }
}

/// An answer as the operator reads it: codes with their labels.
fn answer(key: &str, value: &serde_json::Value) -> String {
    let code = shown(value);
    let label = match key {
        "civilite" => nos::label(nos::CIVILITE_TABLES, &code),
        "profession" => nos::label(&[nos::PROFESSIONS], &code),
        _ => "",
    };
    if label.is_empty() { code } else { format!("{label} ({code})") }
}

/// The directory check's part of a request page.
async fn directory_check(db: &sqlx::AnyPool, r: &Request) -> Result<Markup, sqlx::Error> {
    let Some(import) = annuaire::current(db).await? else {
        return Ok(
            html! { p { "Aucune extraction de l'annuaire national n'est importée : " code { "promess-server annuaire importer FICHIER" } "." } },
        );
    };
    let date = import.date_extraction.clone().unwrap_or_else(|| "date inconnue".into());
    let source = html! { p.source { "Extraction RPPS du " (date) " (" (import.fichier) ", " (import.entrees) " professionnels)." } };
    let (kind, number, label) = match (&r.rpps, &r.adeli) {
        (Some(rpps), _) => ("8", rpps.as_str(), "RPPS"),
        (None, Some(adeli)) if import.entrees_adeli == 0 => {
            return Ok(
                html! { (source) p.avertissement { "Non vérifiable : la demande ne donne qu'un numéro ADELI (" (adeli) ") et l'extraction ne contient pas de numéros ADELI. Vérifiez-le par un autre moyen." } },
            );
        }
        (None, Some(adeli)) => ("0", adeli.as_str(), "ADELI"),
        (None, None) => return Ok(html! { (source) p { "La demande ne donne ni RPPS ni ADELI." } }),
    };
    let found = annuaire::lookup(db, kind, number).await?;
    let profession = shown(&r.donnees["personal"]["profession"]);
    let profession_label = |code: &str| {
        let label = nos::label(&[nos::PROFESSIONS], code);
        if label.is_empty() { code.to_owned() } else { format!("{label} ({code})") }
    };
    Ok(html! {
        (source)
        @if found.is_empty() {
            p.difference id="annuaire-resultat" { "Numéro " (label) " " (number) " introuvable dans l'extraction." }
        }
        @for entry in &found {
            @let check = Check::of(&r.nom, &r.prenom, &profession, &entry.nom, &entry.prenom, &entry.code_profession);
            p id="annuaire-resultat" class=(if check.all_same() { "accord" } else { "difference" }) {
                "Numéro " (label) " " (number) " trouvé : "
                @if check.all_same() { "nom, prénom et profession concordent." } @else { "au moins une réponse diffère." }
            }
            table {
                caption { "Comparaison avec l'annuaire national" }
                thead { tr { th scope="col" { "Réponse" } th scope="col" { "Demande" } th scope="col" { "Annuaire" } th scope="col" { "Comparaison" } } }
                tbody {
                    (comparison_row("Nom d'exercice", &r.nom, &entry.nom, check.nom))
                    (comparison_row("Prénom d'exercice", &r.prenom, &entry.prenom, check.prenom))
                    (comparison_row("Profession", &profession_label(&profession), &format!("{} ({})", entry.libelle_profession, entry.code_profession), check.profession))
                }
            }
            @if !entry.savoir_faire.is_empty() || !entry.commune.is_empty() {
                p { "Savoir-faire : " (entry.savoir_faire) " — commune d'exercice : " (entry.commune) }
            }
        }
        p.aide { "Cette comparaison aide à décider ; elle ne décide pas." }
    })
}

fn comparison_row(what: &str, request: &str, directory: &str, c: Comparison) -> Markup {
    html! {
        tr {
            th scope="row" { (what) }
            td { (request) }
            td { (directory) }
            td class=(if c == Comparison::Same { "accord" } else { "difference" }) { (c.label()) }
        }
    }
}

/// The other requests on the same number or email.
async fn competing(db: &sqlx::AnyPool, r: &Request) -> Result<Vec<Competing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, identifiant, statut, email, created_at FROM registrations WHERE id <> $1 AND \
         ((rpps IS NOT NULL AND rpps = $2) OR (adeli IS NOT NULL AND adeli = $3) OR LOWER(email) = LOWER($4)) \
         ORDER BY created_at",
    )
    .bind(&r.id)
    .bind(&r.rpps)
    .bind(&r.adeli)
    .bind(&r.email)
    .fetch_all(db)
    .await
}

#[derive(Deserialize, Default)]
struct Flash {
    fait: Option<String>,
}

async fn request_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let done = match flash.fait.as_deref() {
        Some("acceptee") => {
            Some("Demande acceptée : le compte est activé ; son email d'acceptation part dès que la boîte est créée.")
        }
        Some("refusee") => Some("Demande refusée : l'email de refus, avec son motif, est envoyé au professionnel."),
        _ => None,
    };
    render_request(&state, &signed, &id, StatusCode::OK, done.map(Notice::Done)).await
}

/// A message above a request's decision.
enum Notice<'a> {
    Done(&'a str),
    /// A decision not applied, and the field it concerns (`confirme`, `detail`), if any.
    Error(String, Option<&'static str>),
}

async fn render_request(
    state: &AppState,
    signed: &Signed,
    id: &str,
    status: StatusCode,
    notice: Option<Notice<'_>>,
) -> Response {
    let result: Result<Response, sqlx::Error> = async {
        let Some(r) = load(&state.db, id).await? else {
            return Ok(page_status(StatusCode::NOT_FOUND, "Demande introuvable", Some(signed), html! {
                h1 { "Demande introuvable" }
                p { "Cette demande n'existe pas ou plus (une demande non confirmée ou refusée est supprimée après son délai)." }
                p { a href="/operateur/demandes" { "Retour aux demandes" } }
            }));
        };
        let check = directory_check(&state.db, &r).await?;
        let others = competing(&state.db, &r).await?;
        let history: Vec<History> = sqlx::query_as(
            "SELECT at, statut, actor, detail FROM registration_events WHERE registration_id = $1 ORDER BY at, id",
        )
        .bind(&r.id)
        .fetch_all(&state.db)
        .await?;
        let body = request_markup(&r, check, &others, &history, notice.as_ref(), &signed.operator.csrf);
        Ok(page_status(status, &format!("Demande de {} {}", r.prenom, r.nom), Some(signed), body))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::AppError::from(e).into_response())
}

type History = (i64, String, Option<String>, Option<String>);

/// A stored state's label (its key when unknown).
fn state_label(key: &str) -> &str {
    Statut::from_key(key).map_or(key, |s| s.label())
}
type Competing = (String, String, String, String, i64);

/// A request's page body.
fn request_markup(
    r: &Request,
    check: Markup,
    others: &[Competing],
    history: &[History],
    notice: Option<&Notice>,
    csrf: &str,
) -> Markup {
    let (error, field) = match notice {
        Some(Notice::Error(message, field)) => (Some(message.as_str()), *field),
        _ => (None, None),
    };
    let invalid = |name: &str| field == Some(name);
    let personal = r.donnees["personal"].as_object().cloned().unwrap_or_default();
    let membership = r.donnees["membership"].as_object().cloned().unwrap_or_default();
    let answers: Vec<(&String, &serde_json::Value)> = personal.iter().chain(membership.iter()).collect();
    html! {
            p { a href="/operateur/demandes" { "← Retour aux demandes" } }
            h1 { "Demande de " (r.prenom) " " (r.nom) }
            p id="etat" { "État : " strong { (r.statut.label()) } " — reçue le " (date_time(r.created_at)) "." }
            @if let Some(Notice::Done(message)) = notice { p.accord role="status" { (message) } }
        @if r.statut != Statut::EnVerification { @if let Some(error) = error { p.erreur role="alert" { (error) } } }
            section aria-labelledby="t-identite" {
                h2 id="t-identite" { "Identité" }
                @if let Some((emetteur, serie, empreinte, le)) = &r.carte {
                    p { "Établie par la carte CPS, dont la preuve a été vérifiée le " (date_time(*le)) " : certificat émis par " (emetteur) ", numéro de série " (serie) "." }
                    p.source { "Empreinte SHA-256 du certificat : " code { (empreinte) } }
                } @else {
                    p { "Saisie manuelle, sans carte CPS : à vérifier auprès de l'annuaire national." }
                }
            }
            section aria-labelledby="t-annuaire" {
                h2 id="t-annuaire" { "Vérification dans l'annuaire national" }
                (check)
            }
            section aria-labelledby="t-reponses" {
                h2 id="t-reponses" { "Réponses" }
                dl {
                    dt { "Identifiant" } dd { (r.identifiant) }
                    dt { "Adresse sécurisée" } dd { (r.adresse) }
                    @for (key, value) in &answers {
                        dt { (Field::from_key(key).map_or(key.as_str(), |f| f.label())) }
                        dd { (answer(key, value)) }
                    }
                }
            }
            section aria-labelledby="t-concurrentes" {
                h2 id="t-concurrentes" { "Autres demandes sur ce numéro ou cette adresse électronique" }
                @if others.is_empty() { p { "Aucune." } } @else {
                    ul { @for (oid, identifiant, statut, email, at) in others {
                        li { a href={ "/operateur/demandes/" (oid) } { (identifiant) } " — " (state_label(statut)) " — " (email) " — " (date_time(*at)) }
                    } }
                }
            }
            section aria-labelledby="t-historique" {
                h2 id="t-historique" { "Historique" }
                ol { @for (at, statut, actor, detail) in history {
                    li { (date_time(*at)) " : " (state_label(statut))
                        @if let Some(actor) = actor { " (" (actor) ")" }
                        @if let Some(detail) = detail { " — " (detail) } }
                } }
            }
            @if r.statut == Statut::EnVerification {
                section aria-labelledby="t-decision" {
                    h2 id="t-decision" { "Décision" }
                    @if let Some(error) = error { p.erreur role="alert" id="decision-erreur" { (error) } }
                    form method="post" action={ "/operateur/demandes/" (r.id) "/decision" } {
                        input type="hidden" name="csrf" value=(csrf);
                        fieldset {
                            legend { "Décision" }
                            p { input type="radio" id="decision-accepter" name="decision" value="accepter" required; label for="decision-accepter" { "Accepter : le compte est activé et sa boîte créée" } }
                            p { input type="radio" id="decision-refuser" name="decision" value="refuser"; label for="decision-refuser" { "Refuser" } }
                        }
                        p {
                            label for="motif" { "Motif du refus" }
                            select id="motif" name="motif" {
                                @for reason in RefusalReason::ALL { option value=(reason.key()) { (reason.label()) } }
                            }
                        }
                        p {
                            label for="detail" { "Précisions envoyées au professionnel (obligatoires pour un refus)" }
                            textarea id="detail" name="detail" rows="3" maxlength="1000"
                                aria-invalid=[invalid("detail").then_some("true")]
                                aria-describedby=[invalid("detail").then_some("decision-erreur")] {}
                        }
                        p {
                            input type="checkbox" id="confirme" name="confirme" value="oui"
                                aria-invalid=[invalid("confirme").then_some("true")]
                                aria-describedby=[invalid("confirme").then_some("decision-erreur")];
                            label for="confirme" { "Je confirme cette décision pour " (r.prenom) " " (r.nom) " (" (r.identifiant) ")" }
                        }
                        button type="submit" { "Enregistrer la décision" }
                    }
                }
            }
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    detail: String,
    confirme: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Err(refused) = signed.check(&form.csrf) {
        return refused;
    }
    let invalid = |message: &str, field| Some(Notice::Error(message.to_owned(), field));
    let decision = match form.decision.as_str() {
        "accepter" => Decision::Accept,
        "refuser" => match RefusalReason::from_key(&form.motif) {
            Some(reason) => Decision::Refuse { reason, detail: &form.detail },
            None => {
                return render_request(
                    &state,
                    &signed,
                    &id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    invalid("Choisissez un motif de refus.", None),
                )
                .await;
            }
        },
        _ => {
            return render_request(
                &state,
                &signed,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                invalid("Choisissez « Accepter » ou « Refuser ».", None),
            )
            .await;
        }
    };
    if form.confirme.as_deref() != Some("oui") {
        let message = "Cochez la case de confirmation pour enregistrer la décision.";
        return render_request(
            &state,
            &signed,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            invalid(message, Some("confirme")),
        )
        .await;
    }
    let now = state.now();
    let settings = Decisions { refused_retention_secs: state.refused_retention_secs };
    let login = signed.operator.login.clone();
    match lifecycle::decide(&state.db, &id, decision, &login, &settings, now).await {
        Ok(Ok(statut)) => {
            let what = match decision {
                Decision::Accept => "acceptée".to_owned(),
                Decision::Refuse { reason, .. } => format!("refusée ({})", reason.label()),
            };
            if let Err(e) = operators::audit(&state.db, &login, "decision", &format!("demande {id} {what}"), now).await
            {
                return crate::error::AppError::from(e).into_response();
            }
            let fait = if statut == Statut::Active { "acceptee" } else { "refusee" };
            Redirect::to(&format!("/operateur/demandes/{id}?fait={fait}")).into_response()
        }
        Ok(Err(e)) => {
            let (status, field) = match e {
                DecisionError::DetailRequired => (StatusCode::UNPROCESSABLE_ENTITY, Some("detail")),
                DecisionError::NotFound => (StatusCode::NOT_FOUND, None),
                _ => (StatusCode::CONFLICT, None),
            };
            render_request(&state, &signed, &id, status, Some(Notice::Error(e.message(), field))).await
        }
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}

async fn journal(State(state): State<AppState>, signed: Signed) -> Response {
    let lines = match operators::audit_lines(&state.db, 500).await {
        Ok(lines) => lines,
        Err(e) => return crate::error::AppError::from(e).into_response(),
    };
    let body = html! {
        h1 { "Journal" }
        p { "Connexions, échecs, verrouillages, décisions et imports, les plus récents d'abord (500 au plus). Le journal ne fait que s'allonger." }
        table {
            caption { "Journal des actions" }
            thead { tr { th scope="col" { "Quand" } th scope="col" { "Qui" } th scope="col" { "Action" } th scope="col" { "Détail" } } }
            tbody { @for l in &lines {
                tr { td { (date_time(l.at)) } td { (l.acteur) } td { (l.action) } td { (l.detail.as_deref().unwrap_or("")) } }
            } }
        }
    };
    page("Journal", Some(&signed), body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_in_france_s_legal_time() {
        assert_eq!(super::date_time(0), "01/01/1970 à 01:00");
        assert_eq!(super::date_time(1_796_279_700), "03/12/2026 à 07:35");
        assert_eq!(super::date_time(1_781_000_000), "09/06/2026 à 12:13");
        assert_eq!(super::date_time(951_782_400), "29/02/2000 à 01:00");
    }
}
