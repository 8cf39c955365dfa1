//! The backend call: `POST /api/registrations` with the payload type of promess-core.
use crate::card::Js;
use gloo_net::http::{Request, Response};
use js_sys::JSON;
use promess_core::card::{AgentErrorCode, CardProof, Challenge};
use promess_core::{
    FieldErrors, RegistrationRequest,
    factor::{FactorCode, FactorConfirmed, FactorKind, FactorSetup, NewFactor, PasskeySetup},
    lifecycle::{EmailConfirmation, Resend, TokenError},
    registration::{Proposal, RegistrationAccepted},
    wire::WireObject,
};
use wasm_bindgen::JsValue;

pub const REGISTRATIONS: &str = "/api/registrations";
pub const CARD_CHALLENGES: &str = "/api/card-challenges";
pub const CONFIRMATIONS: &str = "/api/confirmations";
pub const RESENDS: &str = "/api/confirmations/renvoi";
pub const FACTORS: &str = "/api/facteurs";

/// Why a submission did not create the account. Every variant keeps the answers as they are.
#[derive(Clone, Debug, PartialEq)]
pub enum SubmitError {
    /// 422: the server refused some answers.
    Invalid(FieldErrors),
    /// 409: the identifier shown was given to someone else meanwhile; here is the next one.
    IdentifierTaken(Proposal),
    /// 429: too many attempts.
    TooMany,
    /// The card's verified session is over (PIN to type again).
    CardSession,
    /// The card could not sign (agent, reader or card missing).
    CardUnavailable,
    /// Anything else: network down, server missing or failing.
    Unavailable,
}

impl SubmitError {
    pub fn message(&self) -> &'static str {
        match self {
            SubmitError::Invalid(_) => {
                "Certaines réponses ont été refusées par le service : corrigez les champs indiqués ci-dessous, puis envoyez à nouveau votre demande."
            }
            SubmitError::IdentifierTaken(_) => {
                "L'identifiant qui vous était proposé vient d'être attribué à une autre personne. Un nouvel identifiant vous est proposé ci-dessus : vérifiez-le, puis envoyez à nouveau votre demande pour le confirmer."
            }
            SubmitError::TooMany => {
                "Trop de demandes ont été envoyées depuis votre poste. Patientez une minute, puis envoyez à nouveau votre demande : vos réponses sont conservées."
            }
            SubmitError::CardSession => {
                "Votre carte CPS doit de nouveau vérifier votre code porteur pour signer votre demande : cliquez sur « Modifier » de l'étape 1 et lisez à nouveau votre carte. Vos réponses sont conservées."
            }
            SubmitError::CardUnavailable => {
                "Votre carte CPS n'a pas pu signer votre demande : vérifiez qu'elle est dans son lecteur et que le logiciel de lecture de carte (ProMess Carte) est démarré, puis envoyez à nouveau votre demande. Vos réponses sont conservées."
            }
            SubmitError::Unavailable => {
                concat!(
                    "Le service d'inscription n'a pas pu enregistrer votre demande pour le moment. Vos réponses sont conservées : réessayez dans quelques instants. Si le problème persiste, contactez l'assistance technique au ",
                    promess_core::support_phone!(),
                    " ou à ",
                    promess_core::support_email!(),
                    "."
                )
            }
        }
    }
}

/// Posts the registration. `key` identifies this request across retries (Idempotency-Key).
pub async fn submit(request: &RegistrationRequest, key: &str) -> Result<RegistrationAccepted, SubmitError> {
    let response = Request::post(REGISTRATIONS)
        .header("Idempotency-Key", key)
        .json(request)
        .map_err(|_| SubmitError::Unavailable)?
        .send()
        .await
        .map_err(|_| SubmitError::Unavailable)?;
    match response.status() {
        202 => {
            let body = json(response).await.ok_or(SubmitError::Unavailable)?;
            RegistrationAccepted::read(&Js(body)).ok_or(SubmitError::Unavailable)
        }
        422 => Err(json(response)
            .await
            .map(|b| SubmitError::Invalid(FieldErrors::read(&Js(b))))
            .unwrap_or(SubmitError::Unavailable)),
        409 => Err(json(response)
            .await
            .and_then(|b| Proposal::read(&Js(b)))
            .map(SubmitError::IdentifierTaken)
            .unwrap_or(SubmitError::Unavailable)),
        429 => Err(SubmitError::TooMany),
        _ => Err(SubmitError::Unavailable),
    }
}

/// Why the email link did not confirm: what the server said (`TokenError`), or nothing could be asked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConfirmError {
    Token(TokenError),
    Unavailable,
}

impl ConfirmError {
    pub fn message(self) -> &'static str {
        match self {
            ConfirmError::Token(e) => e.message(),
            ConfirmError::Unavailable => {
                "Le service n'a pas pu confirmer votre adresse électronique pour le moment : réessayez dans quelques instants avec le même lien."
            }
        }
    }
}

/// Confirms the email of the request whose link carried `jeton` (`POST /api/confirmations`).
pub async fn confirm_email(jeton: &str) -> Result<RegistrationAccepted, ConfirmError> {
    let body = EmailConfirmation { jeton: jeton.to_owned() };
    let response = Request::post(CONFIRMATIONS)
        .json(&body)
        .map_err(|_| ConfirmError::Unavailable)?
        .send()
        .await
        .map_err(|_| ConfirmError::Unavailable)?;
    let status = response.status();
    let body = json(response).await.map(Js).ok_or(ConfirmError::Unavailable)?;
    match status {
        200 => RegistrationAccepted::read(&body).ok_or(ConfirmError::Unavailable),
        _ => Err(body
            .text("code")
            .and_then(|c| TokenError::from_key(&c))
            .map_or(ConfirmError::Unavailable, ConfirmError::Token)),
    }
}

/// Asks for the email with the link again (`POST /api/confirmations/renvoi`); the server answers the same whether it
/// sent one or not. False when it could not be asked.
pub async fn resend(identifiant: &str, email: &str) -> bool {
    let body = Resend { identifiant: identifiant.to_owned(), email: email.to_owned() };
    match Request::post(RESENDS).json(&body) {
        Ok(request) => request.send().await.is_ok_and(|r| r.status() == 202),
        Err(_) => false,
    }
}

/// A challenge for the CPS card to sign (`POST /api/card-challenges`).
pub async fn challenge() -> Result<Challenge, SubmitError> {
    let response = Request::post(CARD_CHALLENGES).send().await.map_err(|_| SubmitError::Unavailable)?;
    match response.status() {
        201 => json(response).await.and_then(|b| Challenge::read(&Js(b))).ok_or(SubmitError::Unavailable),
        429 => Err(SubmitError::TooMany),
        _ => Err(SubmitError::Unavailable),
    }
}

/// The card's proof for a new challenge, signed by the card in `reader` (its PIN verified at step 1).
pub async fn card_proof(reader: &str) -> Result<CardProof, SubmitError> {
    let Challenge { nonce, .. } = challenge().await?;
    crate::card::authenticate(&crate::card::agent_url(), reader, nonce).await.map_err(|failure| match failure.code() {
        Some(AgentErrorCode::PinRequired) => SubmitError::CardSession,
        _ => SubmitError::CardUnavailable,
    })
}

/// The identifier the server would give now for these names (None when it cannot be asked).
pub async fn propose(prenom: &str, nom: &str) -> Option<Proposal> {
    let response = Request::get("/api/identifiants").query([("prenom", prenom), ("nom", nom)]).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    Proposal::read(&Js(json(response).await?))
}

/// A text file of the app (e.g. reference data): Ok(None) when there is none (404), Err when it cannot be had.
pub async fn text(url: &str) -> Result<Option<String>, ()> {
    let response = Request::get(url).send().await.map_err(|_| ())?;
    match response.status() {
        200 => response.text().await.map(Some).map_err(|_| ()),
        404 => Ok(None),
        _ => Err(()),
    }
}

// The server's answers are read with the browser's JSON parser into promess-core's types (promess_core::wire).

pub(crate) async fn json(response: Response) -> Option<JsValue> {
    JSON::parse(&response.text().await.ok()?).ok()
}

/// POSTs `body` as JSON; a network failure is the service's being unavailable.
async fn post_json(url: &str, body: &impl serde::Serialize) -> Result<Response, SubmitError> {
    Request::post(url)
        .json(body)
        .map_err(|_| SubmitError::Unavailable)?
        .send()
        .await
        .map_err(|_| SubmitError::Unavailable)
}

/// A factor call's answer: `read` of its body when it has the status `ok`, the field's errors on 422.
async fn factor_answer<T>(response: Response, ok: u16, read: impl FnOnce(Js) -> Option<T>) -> Result<T, SubmitError> {
    match response.status() {
        status if status == ok => json(response).await.and_then(|b| read(Js(b))).ok_or(SubmitError::Unavailable),
        422 => Err(SubmitError::Invalid(json(response).await.map(|b| FieldErrors::read(&Js(b))).unwrap_or_default())),
        429 => Err(SubmitError::TooMany),
        _ => Err(SubmitError::Unavailable),
    }
}

/// A new set-up of `kind` for the proposed identifier (`POST /api/facteurs`): its answer, read by `read`.
async fn begin<T>(kind: FactorKind, identifiant: &str, read: impl FnOnce(Js) -> Option<T>) -> Result<T, SubmitError> {
    let body = NewFactor { kind, identifiant: identifiant.to_owned() };
    factor_answer(post_json(FACTORS, &body).await?, 201, read).await
}

/// A new authenticator-app set-up: its secret, URI and QR code.
pub async fn begin_factor(identifiant: &str) -> Result<FactorSetup, SubmitError> {
    begin(FactorKind::Totp, identifiant, |b| FactorSetup::read(&b)).await
}

/// A new passkey set-up: its handle and the creation options (`publicKey`, JSON) for the browser.
pub async fn begin_passkey(identifiant: &str) -> Result<PasskeySetup<JsValue>, SubmitError> {
    let read =
        |b: Js| Some(PasskeySetup { id: b.text("id")?, options: js_sys::Reflect::get(&b.0, &"options".into()).ok()? });
    begin(FactorKind::Cle, identifiant, read).await
}

fn confirmation_url(id: &str) -> String {
    format!("{FACTORS}/{id}/confirmation")
}

/// The code the app shows, checked by the server: the recovery codes, or why not.
pub async fn confirm_factor(id: &str, code: &str) -> Result<FactorConfirmed, SubmitError> {
    let response = post_json(&confirmation_url(id), &FactorCode { code: code.to_owned() }).await?;
    factor_answer(response, 200, |b| FactorConfirmed::read(&b)).await
}

/// The credential the browser made (its `toJSON()`), checked by the server: the recovery codes, or why not.
pub async fn confirm_passkey(id: &str, credential: JsValue) -> Result<FactorConfirmed, SubmitError> {
    let body = js_sys::Object::new();
    js_sys::Reflect::set(&body, &"cle".into(), &credential).map_err(|_| SubmitError::Unavailable)?;
    let text: String = JSON::stringify(&body).map_err(|_| SubmitError::Unavailable)?.into();
    let response = Request::post(&confirmation_url(id))
        .header("Content-Type", "application/json")
        .body(text)
        .map_err(|_| SubmitError::Unavailable)?
        .send()
        .await
        .map_err(|_| SubmitError::Unavailable)?;
    factor_answer(response, 200, |b| FactorConfirmed::read(&b)).await
}
