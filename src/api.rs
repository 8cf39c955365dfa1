//! The backend call: `POST /api/registrations` with the payload type of promess-core.
use gloo_net::http::Request;
use promess_core::{
    FieldErrors, RegistrationRequest,
    registration::{Proposal, RegistrationAccepted},
};

pub const REGISTRATIONS: &str = "/api/registrations";

/// Why a submission did not create the account. Every variant keeps the answers as they are.
#[derive(Clone, Debug, PartialEq)]
pub enum SubmitError {
    /// 422: the server refused some answers.
    Invalid(FieldErrors),
    /// 409: the identifier shown was given to someone else meanwhile; here is the next one.
    IdentifierTaken(Proposal),
    /// 429: too many attempts.
    TooMany,
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
            SubmitError::Unavailable => {
                "Le service d'inscription n'a pas pu enregistrer votre demande pour le moment. Vos réponses sont conservées : réessayez dans quelques instants. Si le problème persiste, contactez l'assistance technique au 05 64 090 090 ou à support@esea-na.fr."
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
        200 | 201 => response.json().await.map_err(|_| SubmitError::Unavailable),
        422 => Err(response.json().await.map(SubmitError::Invalid).unwrap_or(SubmitError::Unavailable)),
        409 => Err(response.json().await.map(SubmitError::IdentifierTaken).unwrap_or(SubmitError::Unavailable)),
        429 => Err(SubmitError::TooMany),
        _ => Err(SubmitError::Unavailable),
    }
}

/// The identifier the server would give now for these names (None when it cannot be asked).
pub async fn propose(prenom: &str, nom: &str) -> Option<Proposal> {
    let response = Request::get("/api/identifiants").query([("prenom", prenom), ("nom", nom)]).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.json().await.ok()
}
