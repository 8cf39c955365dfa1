//! The account space's factors: the professional adds a passkey or an authenticator app, removes one (never the
//! last), or gets new recovery codes — each only after giving the second factor again, on the same request as the
//! change (`POST /compte/verification`): a session left open on a shared computer changes nothing without it. A new
//! factor is a set-up of the account's own (`factor_setups.registration_id`), confirmed by the new app's code or the
//! new key's credential.
use super::{Asking, FACTOR_REFUSED, ProofForm, asking_page, failed, forbidden, has_passkey, page, prove, refused};
use crate::{
    AppState,
    factors::{self, ISSUER},
    passkeys,
    secret::same,
    store::{
        accounts as rows,
        factors::{self as factor_rows, Confirmation},
    },
};
use axum::{
    Form,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, PreEscaped, html};
use promess_core::factor::{FactorKind, normalized_totp_code};
use serde::Deserialize;

/// How long a set-up begun in the account space waits for its code or key.
const SETUP_SECS: i64 = 10 * 60;
/// How long after a sign-in by Pro Santé Connect its factors may be reset without one.
pub(super) const PSC_RESET_SECS: i64 = 10 * 60;

/// A change of the account's factors, asked for by a form of the account page.
enum Change {
    Remove(String),
    RecoveryCodes,
    Add(FactorKind),
    Password,
    Address,
    Closure,
}

impl Change {
    fn read(action: &str, cible: &str) -> Option<Change> {
        match action {
            "supprimer" if !cible.is_empty() => Some(Change::Remove(cible.to_owned())),
            "codes" => Some(Change::RecoveryCodes),
            "ajouter" => FactorKind::from_key(cible).map(Change::Add),
            "mot_de_passe" => Some(Change::Password),
            "adresse" => Some(Change::Address),
            "fermer" => Some(Change::Closure),
            _ => None,
        }
    }

    /// What the professional is asked the second factor for.
    fn purpose(&self) -> &'static str {
        match self {
            Change::Remove(_) => {
                "Pour supprimer ce second facteur, confirmez votre identité avec un autre de vos facteurs ou un code de secours."
            }
            Change::RecoveryCodes => {
                "Pour obtenir de nouveaux codes de secours (les anciens ne serviront plus), confirmez votre identité avec votre second facteur."
            }
            Change::Add(FactorKind::Cle) => {
                "Pour ajouter une clé d'accès, confirmez d'abord votre identité avec votre second facteur actuel."
            }
            Change::Add(FactorKind::Totp) => {
                "Pour ajouter une application d'authentification, confirmez d'abord votre identité avec votre second facteur actuel."
            }
            Change::Password => {
                "Pour changer votre mot de passe, confirmez d'abord votre identité avec votre second facteur."
            }
            Change::Address => {
                "Pour changer votre adresse de notification, confirmez d'abord votre identité avec votre second facteur."
            }
            Change::Closure => {
                "Pour fermer définitivement votre compte, confirmez votre identité avec votre second facteur. Votre boîte aux lettres sera supprimée de la messagerie et ses messages ne seront plus accessibles ; votre identifiant ne sera attribué à personne d'autre."
            }
        }
    }

    /// Whether a session opened by Pro Santé Connect just now may make it without a factor: its factors and its
    /// password (the professional proved their identity again, having lost them or forgotten it).
    fn by_psc(&self) -> bool {
        matches!(self, Change::Add(_) | Change::RecoveryCodes | Change::Remove(_) | Change::Password)
    }
}

/// A form of the account page that changes a factor: what (`action`, `cible`), and the proof when it comes.
#[derive(Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    cible: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    cle: String,
    #[serde(default)]
    csrf: String,
}

/// A button of the account page asking for a change (the second factor is asked next).
pub(super) fn change_button(csrf: &str, action: &str, cible: &str, label: &str) -> Markup {
    html! {
        form.en-ligne method="post" action="/compte/verification" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="action" value=(action);
            input type="hidden" name="cible" value=(cible);
            button type="submit" { (label) }
        }
    }
}

/// The account page's factors: each with its removal (when it is not the only one), the additions, new codes.
pub(super) async fn section(
    state: &AppState,
    registration_id: &str,
    csrf: &str,
    recovery_left: i64,
) -> Result<Markup, sqlx::Error> {
    let listed = factor_rows::listed(&state.store, registration_id).await?;
    let removable = listed.len() > 1;
    Ok(html! {
        section aria-labelledby="t-facteurs" {
            h2 id="t-facteurs" { "Second facteur" }
            ul id="facteurs" {
                @for f in &listed {
                    @let label = FactorKind::from_key(&f.kind).map_or(f.kind.as_str(), |k| k.label());
                    li {
                        (label) " (ajouté le " (crate::console::date_time(f.created_at)) ")"
                        @if removable { " " (change_button(csrf, "supprimer", &f.id, &format!("Supprimer : {label}"))) }
                    }
                }
                li { (recovery_left) " codes de secours non utilisés" }
            }
            @if !removable { p { "Ajoutez un autre second facteur pour pouvoir supprimer celui-ci : votre compte en garde toujours au moins un." } }
            p {
                @if state.webauthn.is_some() { (change_button(csrf, "ajouter", FactorKind::Cle.key(), "Ajouter une clé d'accès")) " " }
                (change_button(csrf, "ajouter", FactorKind::Totp.key(), "Ajouter une application d'authentification")) " "
                (change_button(csrf, "codes", "", "Obtenir de nouveaux codes de secours"))
            }
        }
    })
}

/// `POST /compte/verification`: a change asked for, then the second factor given for it; the change made.
pub(super) async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Response {
    let (session_hash, session) = match super::current(&state, &headers, true).await {
        Ok(Some(found)) => found,
        Ok(None) => return Redirect::to("/compte").into_response(),
        Err(e) => return failed(e),
    };
    if !same(&session.csrf, &form.csrf) {
        return forbidden();
    }
    let Some(change) = Change::read(&form.action, &form.cible) else { return Redirect::to("/compte").into_response() };
    let id = session.registration_id.clone();
    let purpose = change.purpose();
    let asked = async |status: StatusCode, error: Option<&str>| -> Result<Response, sqlx::Error> {
        let hidden =
            [("csrf", session.csrf.as_str()), ("action", form.action.as_str()), ("cible", form.cible.as_str())];
        let asking = Asking {
            title: "Confirmez votre identité",
            intro: Some(purpose),
            action: "/compte/verification",
            hidden: &hidden,
            passkey: has_passkey(&state, &id).await?,
            error,
            submit: "Confirmer",
            signed: Some(&session.csrf),
            lost: None,
        };
        Ok(asking_page(status, &asking))
    };
    let done = async {
        let psc_recent =
            rows::psc_at(&state.store, &session_hash).await?.is_some_and(|at| at >= state.now() - PSC_RESET_SECS);
        if psc_recent && change.by_psc() && form.code.is_empty() && form.cle.is_empty() {
            return perform(&state, &session_hash, &session, change, "identité prouvée à nouveau").await;
        }
        if form.code.is_empty() && form.cle.is_empty() {
            return asked(StatusCode::OK, None).await;
        }
        let (failures, _) = rows::failures(&state.store, &id).await?;
        let proof = ProofForm { code: form.code.clone(), cle: form.cle.clone(), csrf: form.csrf.clone() };
        let Some(used) = prove(&state, &session_hash, &id, &proof).await? else {
            if let Some(locked) = refused(&state, &id, failures).await? {
                return Ok(locked);
            }
            return asked(StatusCode::UNAUTHORIZED, Some(FACTOR_REFUSED)).await;
        };
        rows::set_failures(&state.store, &id, 0, None).await?;
        perform(&state, &session_hash, &session, change, used).await
    };
    done.await.unwrap_or_else(failed)
}

/// The change, its second factor given (`used`).
async fn perform(
    state: &AppState,
    session_hash: &str,
    session: &rows::Session,
    change: Change,
    used: &str,
) -> Result<Response, sqlx::Error> {
    let id = &session.registration_id;
    let now = state.now();
    match change {
        Change::Password => {
            rows::set_verified(&state.store, session_hash, now).await?;
            // The identity proven again (Pro Santé Connect, the card), a forgotten password need not be typed.
            let proven = rows::psc_at(&state.store, session_hash).await?.is_some_and(|at| at >= now - PSC_RESET_SECS);
            Ok(super::life::change_password_form(session, !proven))
        }
        Change::Address => {
            rows::set_verified(&state.store, session_hash, now).await?;
            Ok(super::life::address_form(session, None))
        }
        Change::Closure => super::life::close(state, session).await,
        Change::Remove(factor) => match factor_rows::remove(&state.store, id, &factor).await? {
            Some(kind) => {
                let label = FactorKind::from_key(&kind).map_or(kind.as_str(), |k| k.label());
                rows::journal(state.store.pool(), id, "facteur_supprime", label, now).await?;
                Ok(Redirect::to("/compte?fait=facteur_supprime").into_response())
            }
            None => Ok(Redirect::to("/compte?fait=dernier_facteur").into_response()),
        },
        Change::RecoveryCodes => {
            let codes = factors::recovery_codes().map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            let hashes: Vec<String> = codes.iter().filter_map(|c| factors::recovery_hash(c)).collect();
            factor_rows::replace_recovery_codes(&state.store, id, &hashes).await?;
            rows::journal(state.store.pool(), id, "codes_secours_renouveles", used, now).await?;
            let body = html! {
                h1 { "Vos nouveaux codes de secours" }
                p { "Les anciens codes ne servent plus. Chacun de ceux-ci ouvre une seule connexion si vous n'avez plus votre second facteur. Ils ne seront plus affichés : imprimez-les ou enregistrez-les en lieu sûr, à l'écart de votre mot de passe." }
                ul id="codes-secours" { @for c in &codes { li { code { (c) } } } }
                p { a href="/compte" { "Retour à mon compte" } }
            };
            Ok(page(StatusCode::OK, "Nouveaux codes de secours", Some(&session.csrf), body))
        }
        Change::Add(kind) => setup_page(state, session, kind, None).await,
    }
}

/// A new factor's set-up for the account: the app's QR code and key with its code's form, or the key's creation.
async fn setup_page(
    state: &AppState,
    session: &rows::Session,
    kind: FactorKind,
    error: Option<&str>,
) -> Result<Response, sqlx::Error> {
    let id = &session.registration_id;
    let Some(overview) = rows::overview(&state.store, id).await? else {
        return Ok(Redirect::to("/compte").into_response());
    };
    let label = factors::label(&overview.identifiant);
    let handle = crate::secret::token(32).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let expires = state.now() + SETUP_SECS;
    let csrf = &session.csrf;
    let error_markup = html! { @if let Some(error) = error { p.erreur role="alert" id="ajout-erreur" { (error) } } };
    let body = match kind {
        FactorKind::Totp => {
            let form = app_setup(state, (id, &label), "/compte/facteurs/application", csrf).await?;
            html! {
                h1 { "Ajouter une application d'authentification" }
                (error_markup)
                (form)
                p { a href="/compte" { "Annuler" } }
            }
        }
        FactorKind::Cle => {
            let Some(webauthn) = state.webauthn.as_deref() else { return Ok(Redirect::to("/compte").into_response()) };
            let existing: Vec<String> = rows::keys(&state.store, id).await?.into_iter().map(|(_, k)| k).collect();
            let (options, ceremony) =
                passkeys::registration(webauthn, &label, &existing).map_err(sqlx::Error::Protocol)?;
            factor_rows::begin_for_account(&state.store, &handle, kind.key(), &ceremony, &label, id, expires).await?;
            html! {
                h1 { "Ajouter une clé d'accès" }
                (error_markup)
                p { "Votre ordinateur ou votre téléphone (empreinte, visage ou code de déverrouillage) ou une clé de sécurité FIDO2 branchée sur le poste." }
                script type="application/json" id="cle-creation" { (PreEscaped(options.to_string().replace('<', "\\u003c"))) }
                form id="cle-ajout" method="post" action="/compte/facteurs/cle" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="setup" value=(handle);
                    input type="hidden" name="cle";
                    button type="button" id="creer-cle" hidden { "Créer la clé d'accès" }
                    p id="cle-message" role="status" { "Votre navigateur ne permet pas de créer une clé d'accès ici : ajoutez plutôt une application d'authentification." }
                }
                script src="/compte/cle.js" defer {}
                p { a href="/compte" { "Annuler" } }
            }
        }
    };
    Ok(page(StatusCode::OK, "Ajouter un second facteur", Some(csrf), body))
}

/// An authenticator app's set-up for the account (`id`, labelled `label`), begun: its QR code and key, and the form
/// (to `action`) of the code it then shows.
pub(super) async fn app_setup(
    state: &AppState,
    (id, label): (&str, &str),
    action: &str,
    csrf: &str,
) -> Result<Markup, sqlx::Error> {
    let handle = crate::secret::token(32).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let secret = factors::new_secret();
    let uri = factors::totp(&secret, label, ISSUER).map_err(sqlx::Error::Protocol)?.get_url();
    let qr = factors::qr_svg(&uri).map_err(sqlx::Error::Protocol)?;
    let expires = state.now() + SETUP_SECS;
    factor_rows::begin_for_account(&state.store, &handle, FactorKind::Totp.key(), &secret, label, id, expires).await?;
    let grouped =
        promess_core::factor::FactorSetup { id: String::new(), secret, uri, qr_svg: String::new() }.grouped_secret();
    Ok(html! {
        p { "Scannez ce QR code avec votre application, ou saisissez-y la clé ci-dessous (compte de type « basé sur le temps »)." }
        div.qr-code role="img" aria-label="QR code de configuration de votre application d'authentification" { (PreEscaped(qr)) }
        p { "Clé à saisir dans l'application : " code id="cle-secrete" { (grouped) } }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="setup" value=(handle);
            p {
                label for="code" { "Code à 6 chiffres affiché par l'application" }
                input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required;
            }
            button type="submit" { "Ajouter cette application" }
        }
    })
}

/// The new app's code for the account's set-up `setup`: its time step, if the code is right (a wrong one counted).
pub(super) async fn app_code_step(
    state: &AppState,
    setup: &factor_rows::Setup,
    handle: &str,
    code: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let app = factors::totp(&setup.secret, &setup.label, ISSUER).map_err(sqlx::Error::Protocol)?;
    let step = normalized_totp_code(code).and_then(|c| factors::code_step(&app, &c, state.now()));
    if step.is_none() {
        factor_rows::wrong_code(&state.store, handle).await?;
    }
    Ok(step)
}

/// A new factor's confirmation: the set-up's handle, and the new app's code or the new key's credential.
#[derive(Deserialize)]
pub(super) struct AddForm {
    #[serde(default)]
    setup: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    cle: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /compte/facteurs/application` and `/compte/facteurs/cle`: the set-up (the account's own) confirmed, the
/// factor added.
pub(super) async fn add(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<AddForm>) -> Response {
    let session = match super::current(&state, &headers, true).await {
        Ok(Some((_, session))) => session,
        Ok(None) => return Redirect::to("/compte").into_response(),
        Err(e) => return failed(e),
    };
    if !same(&session.csrf, &form.csrf) {
        return forbidden();
    }
    let added = async {
        let id = &session.registration_id;
        let now = state.now();
        let Some(setup) = factor_rows::account_setup(&state.store, &form.setup, id, now).await? else {
            return Ok(Redirect::to("/compte?fait=ajout_expire").into_response());
        };
        let kind = FactorKind::from_key(&setup.kind).unwrap_or(FactorKind::Totp);
        let confirmed = match kind {
            FactorKind::Totp => match app_code_step(&state, &setup, &form.setup, &form.code).await? {
                Some(step) => {
                    factor_rows::add_to_account(&state.store, &form.setup, id, Confirmation::Step(step), now).await?
                }
                None => {
                    let error = "Ce code ne correspond pas : une nouvelle clé vous est proposée, ajoutez-la à votre application et saisissez le code qu'elle affiche.";
                    return setup_page(&state, &session, kind, Some(error)).await;
                }
            },
            FactorKind::Cle => {
                let webauthn = state.webauthn.as_deref();
                let made = webauthn.and_then(|w| {
                    serde_json::from_str(&form.cle)
                        .ok()
                        .and_then(|cle| passkeys::registered(w, &setup.secret, cle).ok())
                });
                let Some((key, credential_id)) = made else {
                    return Ok(Redirect::to("/compte?fait=cle_refusee").into_response());
                };
                if factor_rows::credential_taken(&state.store, &credential_id).await? {
                    return Ok(Redirect::to("/compte?fait=cle_refusee").into_response());
                }
                let key = Confirmation::Key { key: &key, credential_id: &credential_id };
                factor_rows::add_to_account(&state.store, &form.setup, id, key, now).await?
            }
        };
        if !confirmed {
            return Ok(Redirect::to("/compte?fait=ajout_expire").into_response());
        }
        rows::journal(state.store.pool(), id, "facteur_ajoute", kind.label(), now).await?;
        Ok::<_, sqlx::Error>(Redirect::to("/compte?fait=facteur_ajoute").into_response())
    };
    added.await.unwrap_or_else(failed)
}

/// What the account page says after a change (`?fait=`).
pub(super) fn said(fait: &str) -> Option<(&'static str, bool)> {
    Some(match fait {
        "adresse_envoyee" => (
            "Un lien de confirmation vient d'être envoyé à votre nouvelle adresse : ouvrez-le connecté à votre compte.",
            true,
        ),
        "adresse_changee" => {
            ("Votre nouvelle adresse de notification est enregistrée ; l'ancienne en a été informée.", true)
        }
        "facteur_a_redonner" => {
            ("Ce changement demande de donner à nouveau votre second facteur : recommencez-le.", false)
        }
        "facteur_ajoute" => ("Votre nouveau second facteur est ajouté.", true),
        "facteur_supprime" => ("Le second facteur est supprimé.", true),
        "dernier_facteur" => {
            ("Ce second facteur n'a pas été supprimé : votre compte en garde toujours au moins un.", false)
        }
        "cle_refusee" => (
            "La clé d'accès n'a pas été ajoutée (opération annulée, délai dépassé ou clé déjà enregistrée) : réessayez.",
            false,
        ),
        "ajout_expire" => ("L'ajout a expiré ou a déjà été fait : recommencez-le si besoin.", false),
        _ => return None,
    })
}
