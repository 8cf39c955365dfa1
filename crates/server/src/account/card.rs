//! The account space's sign-in with the CPS card, for accounts whose identity the card or Pro Santé Connect proved:
//! the page's one script asks the local agent (the PIN goes there only) to sign a challenge of the server for this
//! origin, and the server checks the proof exactly as a registration's (certificate, chain, revocation, challenge,
//! origin, signature), spends the challenge, and opens the account of that national id. The card is strong on its
//! own (its PIN and the card itself).
use super::{FORM, failed, open, sign_in_form};
use crate::{AppState, secret::same, store::accounts as rows};
use axum::{
    Extension, Form,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use promess_core::{ErrorCode, Field, card::CardProof};
use serde::Deserialize;

pub const SCRIPT: &str = include_str!("carte.js");

#[derive(Deserialize)]
pub(super) struct CardForm {
    #[serde(default)]
    preuve: String,
    #[serde(default)]
    csrf: String,
}

fn refused(state: &AppState, code: ErrorCode) -> Response {
    let message = format!("La connexion par carte a échoué : {}", code.text(Field::Mode));
    sign_in_form(state, StatusCode::UNAUTHORIZED, Some(&message))
}

/// `POST /compte/carte`: the card's proof, checked; the account of its national id signed in.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    client: Option<Extension<crate::access::Client>>,
    headers: HeaderMap,
    Form(form): Form<CardForm>,
) -> Response {
    let expected = crate::cookies::read(&headers, &state.settings, FORM).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &form.csrf) {
        return sign_in_form(&state, StatusCode::FORBIDDEN, Some("Le formulaire a expiré : recommencez."));
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
    let Some(trust) = state.settings.card_trust.as_ref() else { return refused(&state, ErrorCode::CardNotConfigured) };
    let Ok(proof) = serde_json::from_str::<CardProof>(&form.preuve) else {
        return refused(&state, ErrorCode::CardProofMalformed);
    };
    let now = state.now();
    let certified = match trust.certificate(&proof, now) {
        Ok(certified) => certified,
        Err(code) => return refused(&state, code),
    };
    let checked = async {
        if let Err(code) = crate::store::challenges::usable(&state.store, &proof.nonce, now).await? {
            return Ok(Err(code));
        }
        let card = match certified.signed(&proof, &state.settings.origins) {
            Ok(card) => card,
            Err(code) => return Ok(Err(code)),
        };
        let mut tx = state.store.begin_write().await?;
        if !crate::store::challenges::spend(&mut tx, &proof.nonce, now).await? {
            return Ok(Err(ErrorCode::CardNonceUsed));
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Ok(card.identifiant_national))
    };
    let national = match checked.await {
        Ok(Ok(national)) => national,
        Ok(Err(code)) => return refused(&state, code),
        Err(e) => return failed(e),
    };
    let Some(national) = promess_core::card::NationalId::parse(&national) else {
        return refused(&state, ErrorCode::CardUntrusted);
    };
    match rows::proven_by(&state.store, &national).await {
        Ok(Some(id)) => open(&state, &id, super::CARD).await,
        Ok(None) => sign_in_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(
                "Aucun compte dont l'identité a été prouvée par la carte CPS ou Pro Santé Connect ne correspond à cette carte : connectez-vous avec votre identifiant et votre mot de passe.",
            ),
        ),
        Err(e) => failed(e),
    }
}
