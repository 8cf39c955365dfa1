//! POST /api/registrations: every rule again (promess-core), the password rated and hashed on blocking threads,
//! then one *request* (promess_core::lifecycle), its identifier and address reserved by database constraint, and
//! the email that asks to confirm its address. Several requests may name one RPPS/ADELI: the answer is the same
//! 202 whoever already asked, and only one active account may hold a number.
use crate::{
    AppState,
    error::AppError,
    lifecycle,
    secret::sha256_hex,
    store::{
        challenges, factors,
        registrations::{self, Answer, NewRegistration, Taken, WriteError},
    },
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use promess_core::{
    ErrorCode, Field, Registration, RegistrationRequest,
    lifecycle::{EMAIL_CONFIRMATION_SECS, Statut},
    registration::{CardUse, Mode, Proposal, RegistrationAccepted},
};

/// How many times an identifier taken by a concurrent registration is replaced by the next one.
const MAX_ATTEMPTS: u32 = 20;

/// Longest accepted Idempotency-Key (the wizard sends a UUID).
const MAX_KEY_CHARS: usize = 200;

fn invalid_card(code: ErrorCode) -> AppError {
    AppError::on(Field::Mode, code)
}

/// With the card: its proof checked (certificate, chain, revocation, challenge, origin, signature), then the locked
/// answers compared with what the certificate says. Answers what is recorded, with the challenge to spend.
async fn card_use(state: &AppState, request: &RegistrationRequest) -> Result<(CardUse, String), AppError> {
    let proof = request.preuve_carte.as_ref().ok_or_else(|| invalid_card(ErrorCode::CardProofMissing))?;
    let trust = state.settings.card_trust.as_ref().ok_or_else(|| invalid_card(ErrorCode::CardNotConfigured))?;
    let now = state.now();
    let certified = trust.certificate(proof, now).map_err(invalid_card)?;
    challenges::usable(&state.store, &proof.nonce, now).await?.map_err(invalid_card)?;
    let algorithm = certified.algorithm;
    let card = certified.signed(proof, &state.settings.origins).map_err(invalid_card)?;
    let mismatches = request.donnees.card_mismatches(&card);
    if !mismatches.is_empty() {
        return Err(AppError::Invalid(mismatches));
    }
    let certificat = card.certificat;
    let used = CardUse {
        identifiant_national: card.identifiant_national,
        certificat: certificat.empreinte_sha256,
        emetteur: certificat.emetteur,
        numero_serie: certificat.numero_serie,
        algorithme: algorithm.name().into(),
        verifie_le: now,
    };
    Ok((used, proof.nonce.clone()))
}

use lifecycle::KEY_SECS;

/// The answer stored for this key and this body, replayed as it was; the same key with another body is refused.
async fn replay(state: &AppState, key: Option<&str>, body_hash: &str) -> Result<Option<Response>, AppError> {
    let Some(key) = key else { return Ok(None) };
    let Some(stored) = registrations::answer_of(&state.store, key, state.now() - KEY_SECS).await? else {
        return Ok(None);
    };
    if stored.body_hash.as_deref() != Some(body_hash) {
        return Err(AppError::IdempotencyKeyReused);
    }
    let status = StatusCode::from_u16(stored.status as u16).unwrap_or(StatusCode::ACCEPTED);
    Ok(Some((status, [(header::CONTENT_TYPE, "application/json")], stored.body).into_response()))
}

/// `application/json`, or a `+json` type.
fn json_content(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, AppError> {
    let mut proof = "unknown";
    let answer = register(state, headers, body, &mut proof).await;
    let outcome = match &answer {
        Ok(_) => "accepted",
        Err(AppError::Invalid(_)) => "invalid",
        Err(AppError::IdentifierTaken(_)) => "identifier_taken",
        Err(AppError::Busy) => "busy",
        Err(AppError::Database(_) | AppError::Internal(_)) => "error",
        Err(_) => "bad_request",
    };
    metrics::counter!(crate::metrics::REGISTRATIONS, "proof" => proof, "outcome" => outcome).increment(1);
    answer
}

/// The registration itself; `proof` says, once the body is read, how the identity is to be proven.
async fn register(
    state: AppState,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    proof: &mut &'static str,
) -> Result<Response, AppError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > MAX_KEY_CHARS) {
        return Err(AppError::BadRequest("L'en-tête Idempotency-Key est trop long.".into()));
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        // Not received in time (see `serve`), or cut off.
        _ => AppError::BadRequest("La demande n'a pas été reçue en entier : envoyez-la à nouveau.".into()),
    })?;
    if !json_content(&headers) {
        return Err(AppError::NotJson);
    }
    // The body is a valid registration's JSON before anything is replayed.
    let Json(request) = Json::<RegistrationRequest>::from_bytes(&body)?;
    *proof = match request.donnees.mode {
        Some(Mode::Carte) => "card",
        Some(Mode::Psc) => "psc",
        _ => "manual",
    };
    let body_hash = sha256_hex(&body);
    // A retry of a request already answered (double click, retry after a timeout): the same answer, no new account.
    if let Some(stored) = replay(&state, key, &body_hash).await? {
        return Ok(stored);
    }
    let (password, words) = (request.secret.mot_de_passe.clone(), request.donnees.personal_words());
    // Rated under the same bound as hashing: zxcvbn's matching takes memory too, and 200 registrations at once
    // would otherwise each rate at the same time.
    let rating = state.limits.hashing.run(move || promess_strength::estimate(&password, &words));
    let score = rating.await.ok_or(AppError::Busy)?.map_err(AppError::internal)?;
    let mut registration = Registration::parse(&request, Some(score)).map_err(AppError::Invalid)?;
    // A card registration only on a valid proof of the card: never on what the page says it read.
    let nonce = match registration.mode {
        Mode::Carte => {
            let (used, nonce) = card_use(&state, &request).await?;
            registration.carte = Some(used);
            Some(nonce)
        }
        Mode::Psc | Mode::Manuel => None,
    };
    // The second factor: a set-up the server confirmed (its code checked), unspent.
    let facteur = request.donnees.facteur.trim();
    if let Err(code) = factors::usable(&state.store, facteur, state.now()).await? {
        // Spent by a twin of this request (a double click) answered meanwhile: its answer.
        return match replay(&state, key, &body_hash).await? {
            Some(stored) => Ok(stored),
            None => Err(AppError::on(Field::SecondFacteur, code)),
        };
    }
    // With Pro Santé Connect: only on what the server verified with PSC, for this browser, and the locked answers
    // as PSC said them.
    let handle = request.donnees.psc_poignee.trim();
    if registration.mode == Mode::Psc {
        let (identity, used) = crate::psc::proven(&state, &headers, handle).await?;
        let mismatches = request.donnees.psc_mismatches(&identity);
        if !mismatches.is_empty() {
            return Err(AppError::Invalid(mismatches));
        }
        registration.psc = Some(used);
    }
    let password = request.secret.mot_de_passe.clone();
    let password_hash = state.limits.hashing.hash(password).await.ok_or(AppError::Busy)?.map_err(AppError::internal)?;
    let donnees = serde_json::to_string(&registration).map_err(AppError::internal)?;

    let personal = &registration.personal;
    let mssante = registration.membership.mssante;
    let operator = &state.settings.operator;
    let mut candidate = registrations::free_identifier(&state.store, &registration.identifiant).await?;
    if let Some(confirmed) = &request.identifiant
        && confirmed != candidate.as_str()
    {
        return Err(AppError::IdentifierTaken(Proposal::of(&candidate, operator, mssante)));
    }
    let now = state.now();
    for _ in 0..MAX_ATTEMPTS {
        let adresse = candidate.address(operator, mssante);
        let id = crate::secret::new_id().map_err(AppError::internal)?;
        let (token, token_hash) = lifecycle::new_token().map_err(AppError::internal)?;
        let email =
            lifecycle::confirmation_email(personal.civilite, candidate.as_str(), state.settings.public_url(), &token);
        let row = NewRegistration {
            id: &id,
            identifiant: candidate.as_str(),
            adresse: &adresse,
            rpps: personal.rpps.as_ref().map(|r| r.as_str()),
            adeli: personal.adeli.as_ref().map(|a| a.as_str()),
            civilite: personal.civilite,
            nom: personal.nom.as_str(),
            prenom: personal.prenom.as_str(),
            email_to: personal.email.as_str(),
            email: &email,
            donnees: &donnees,
            password_hash: &password_hash,
            liste_rouge: registration.membership.liste_rouge,
            telephone_annuaire: registration.membership.telephone_publie.as_ref().map(|p| p.as_str()),
            token_hash: &token_hash,
            expires_at: now + EMAIL_CONFIRMATION_SECS,
            carte: registration.carte.as_ref().zip(nonce.as_deref()),
            psc: registration.psc.as_ref().map(|p| (p, handle)),
            facteur,
            now,
        };
        let accepted = RegistrationAccepted {
            identifiant: candidate.to_string(),
            adresse: adresse.clone(),
            statut: Statut::EmailAConfirmer,
        };
        let answer_body = serde_json::to_string(&accepted).map_err(AppError::internal)?;
        let answer = key.map(|k| Answer {
            key: k,
            status: StatusCode::ACCEPTED.as_u16(),
            body: &answer_body,
            body_hash: &body_hash,
            expired_before: now - KEY_SECS,
        });
        match registrations::insert(&state.store, &row, answer).await {
            Ok(()) => {
                tracing::info!(identifiant = %candidate, "request received");
                return Ok((StatusCode::ACCEPTED, Json(accepted)).into_response());
            }
            // The same request, answered meanwhile by a concurrent twin: its answer, and this one rolled back.
            Err(WriteError::Taken(_) | WriteError::Proof(..))
                if key.is_some()
                    && registrations::answer_of(&state.store, key.unwrap_or_default(), 0).await?.is_some() =>
            {
                return replay(&state, key, &body_hash).await?.ok_or_else(|| AppError::internal("answer vanished"));
            }
            Err(WriteError::Taken(Taken::Identifier)) => {
                // Taken by a concurrent registration: the next one, or ask the user to confirm it.
                candidate = registrations::free_identifier(&state.store, &registration.identifiant).await?;
                if request.identifiant.is_some() {
                    return Err(AppError::IdentifierTaken(Proposal::of(&candidate, operator, mssante)));
                }
            }
            Err(WriteError::Proof(field, code)) => return Err(AppError::on(field, code)),
            Err(WriteError::Taken(taken)) => {
                return Err(AppError::internal(format!("a new request broke a uniqueness rule: {taken:?}")));
            }
            Err(WriteError::Db(e)) => return Err(e.into()),
        }
    }
    Err(AppError::internal("no free identifier after many attempts"))
}
