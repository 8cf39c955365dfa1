//! Pro Santé Connect (PSC): the server is the OpenID Connect client, a confidential one (its secret never reaches the
//! browser). `GET /psc/connexion` sends the browser to PSC with a `state`, a `nonce` and PKCE bound to this browser
//! (a cookie; only hashes and the single-use journey are stored); `GET /psc/retour` takes the journey once, exchanges
//! the code, checks the ID token (issuer, audience, expiry, issue time, nonce, the signature by the provider's
//! published keys with an allow-list of algorithms, `acr` at eidas1), reads userinfo for the same `sub`, and keeps
//! what PSC proved on the server. The page gets a one-time handle in the URL's fragment and reads the identity back
//! (`GET /api/psc/identites/{handle}`, same browser only); the registration that carries the handle is believed only
//! for what PSC said (`routes::registrations`).
//!
//! Every failure sends the browser back to step 1 with a code (`#psc-erreur=…`) that the page shows in French; the
//! log says why, without a secret.
use crate::{
    AppState, cookies,
    error::AppError,
    secret::{self, sha256_hex},
    store,
};
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use openidconnect::{
    AdditionalClaims, AuthenticationContextClass, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError,
    ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKeySet, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, UserInfoClaims, UserInfoError,
    core::{
        CoreClient, CoreGenderClaim, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    },
    reqwest,
};
use promess_core::{
    ErrorCode, Field, Step,
    psc::{self, PscClaims, PscIdentity, PscUse},
    routes,
};
use serde::{Deserialize, Serialize};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

/// The cookie that binds a journey to PSC, and what it proved, to the browser that began it. `SameSite=Lax`: it
/// must come back with PSC's redirect, a top-level navigation from another site.
pub const BROWSER_COOKIE: &str = "promess-psc";
/// How long the provider's configuration and keys are kept before they are read again (a key PSC has just
/// published is fetched at once: see `verified`).
const METADATA_SECS: u64 = 600;
/// The longest a call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// The signature algorithms believed: asymmetric only. Never `none`, never HMAC (with which an attacker would sign
/// with the provider's public key, or with our own client secret).
const ALGORITHMS: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
];
/// An ID token issued further in the future than this (clocks apart) is refused.
const CLOCK_SKEW_SECS: i64 = 120;

/// PSC's claims in userinfo, read by the `openidconnect` crate (promess_core's type, wrapped for its trait).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(transparent)]
struct Claims(PscClaims);
impl AdditionalClaims for Claims {}

/// The client of one provider: its issuer, our client id and secret, and its configuration once read.
pub struct Psc {
    issuer: IssuerUrl,
    discovery_url: String,
    client_id: ClientId,
    client_secret: ClientSecret,
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(Arc<CoreProviderMetadata>, Instant)>>,
}

/// Why the provider's configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderError(String);

impl Psc {
    /// The client of the provider `issuer`, whose configuration is at `discovery` (default: the issuer's
    /// `/.well-known/openid-configuration`; PSC publishes a `wallet-openid-configuration` too).
    pub fn new(
        issuer: &str,
        discovery: Option<&str>,
        client_id: &str,
        client_secret: String,
    ) -> Result<Psc, ProviderError> {
        let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|e| ProviderError(format!("issuer {issuer}: {e}")))?;
        let discovery_url = match discovery {
            Some(url) => url.to_owned(),
            None => format!("{}/.well-known/openid-configuration", issuer.as_str().trim_end_matches('/')),
        };
        let http = reqwest::ClientBuilder::new()
            // Following redirects would let a provider's answer send the server elsewhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| ProviderError(e.to_string()))?;
        Ok(Psc {
            issuer,
            discovery_url,
            client_id: ClientId::new(client_id.to_owned()),
            client_secret: ClientSecret::new(client_secret),
            http,
            metadata: tokio::sync::Mutex::new(None),
        })
    }

    /// The provider's configuration and keys: kept `METADATA_SECS`, read again before (`fresh`) when a token is
    /// signed by a key not seen yet.
    async fn metadata(&self, fresh: bool) -> Result<Arc<CoreProviderMetadata>, ProviderError> {
        let mut kept = self.metadata.lock().await;
        if let Some((metadata, at)) = kept.as_ref()
            && !fresh
            && at.elapsed() < Duration::from_secs(METADATA_SECS)
        {
            return Ok(metadata.clone());
        }
        let failed = |what: &str, e: &dyn std::fmt::Display| ProviderError(format!("{what}: {e}"));
        let answer = self.http.get(&self.discovery_url).send().await.map_err(|e| failed(&self.discovery_url, &e))?;
        if !answer.status().is_success() {
            return Err(failed(&self.discovery_url, &answer.status()));
        }
        let body = answer.bytes().await.map_err(|e| failed(&self.discovery_url, &e))?;
        let metadata: CoreProviderMetadata =
            serde_json::from_slice(&body).map_err(|e| failed(&self.discovery_url, &e))?;
        // The configuration must be the configured issuer's (OpenID Connect Discovery, 4.3).
        if metadata.issuer() != &self.issuer {
            return Err(ProviderError(format!(
                "{} names the issuer {}, not {}",
                self.discovery_url,
                metadata.issuer().as_str(),
                self.issuer.as_str()
            )));
        }
        let jwks = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| failed(metadata.jwks_uri().as_str(), &e))?;
        let metadata = Arc::new(metadata.set_jwks(jwks));
        *kept = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// Whether the provider's configuration can be read now (for the page: the choice is offered only then).
    pub async fn reachable(&self) -> bool {
        self.metadata(false).await.is_ok()
    }
}

/// Where PSC sends the browser back: the first allowed origin's `/psc/retour`.
fn redirect_url(state: &AppState) -> Result<RedirectUrl, ErrorCode> {
    let url = format!("{}{}", state.settings.public_url().trim_end_matches('/'), psc::RETURN_PATH);
    RedirectUrl::new(url).map_err(|_| ErrorCode::PscNotConfigured)
}

/// The browser's way back to step 1, with the reason shown there.
fn to_step_1(code: ErrorCode) -> Response {
    let to = format!("{}#{}={}", routes::route(Step::Carte), psc::ERROR_KEY, code.key());
    see_other(&to, None)
}

fn see_other(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// Counted by outcome (`psc_retours_total`), and logged with the reason.
fn outcome(result: &Result<Proven, (ErrorCode, String)>) -> &'static str {
    match result {
        Ok(_) => "prouvee",
        Err((code, _)) => code.key(),
    }
}

/// The journey's two addresses; a client begins as many journeys a minute as it may send registrations.
pub fn router(state: &AppState) -> Router<AppState> {
    let limited = axum::middleware::from_fn_with_state(state.limits.psc.clone(), crate::limit::limit);
    Router::new().route(psc::START_PATH, get(start).route_layer(limited)).route(psc::RETURN_PATH, get(back))
}

/// What a journey is for: `?pour=compte` signs in to the account space; otherwise a registration.
#[derive(Deserialize)]
pub struct Start {
    pour: Option<String>,
}

/// The account space's journeys.
pub const FOR_ACCOUNT: &str = "compte";
const FOR_REGISTRATION: &str = "inscription";

/// Where a journey that failed goes back to, with why.
fn refused_to(purpose: &str, code: ErrorCode) -> Response {
    if purpose == FOR_ACCOUNT { crate::account::psc_refused(code) } else { to_step_1(code) }
}

/// `GET /psc/connexion`: to PSC's authorization endpoint.
async fn start(State(state): State<AppState>, Query(start): Query<Start>) -> Response {
    let purpose = if start.pour.as_deref() == Some(FOR_ACCOUNT) { FOR_ACCOUNT } else { FOR_REGISTRATION };
    match begin(&state, purpose).await {
        Ok(response) => response,
        Err((code, why)) => {
            tracing::warn!(reason = %why, code = code.key(), "Pro Santé Connect: the journey could not begin");
            refused_to(purpose, code)
        }
    }
}

async fn begin(state: &AppState, purpose: &str) -> Result<Response, (ErrorCode, String)> {
    let psc = state.settings.psc.as_ref().ok_or((ErrorCode::PscNotConfigured, "not configured".into()))?;
    let metadata = psc.metadata(false).await.map_err(|e| (ErrorCode::PscUnavailable, e.0))?;
    let redirect = redirect_url(state).map_err(|code| (code, "redirect URL".into()))?;
    let client =
        CoreClient::from_provider_metadata((*metadata).clone(), psc.client_id.clone(), None).set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(psc::SCOPES.iter().filter(|s| **s != "openid").map(|s| Scope::new((*s).to_owned())))
        .add_auth_context_value(AuthenticationContextClass::new(psc::ACR_EIDAS1.to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = secret::token(32).map_err(|e| (ErrorCode::PscUnavailable, e.to_string()))?;
    let expires_at = state.now() + psc::FLOW_SECS;
    let flow = (nonce.secret().as_str(), verifier.secret().as_str(), purpose);
    store::psc::begin(&state.store, csrf.secret(), &sha256_hex(browser.as_bytes()), flow, expires_at)
        .await
        .map_err(|e| (ErrorCode::PscUnavailable, e.to_string()))?;
    let cookie = cookies::set(&state.settings, BROWSER_COOKIE, &browser, psc::IDENTITY_SECS, cookies::SameSite::Lax);
    Ok(see_other(url.as_str(), Some(cookie)))
}

/// What PSC sends back: a code and the state, or an error and the state.
#[derive(Deserialize)]
pub struct Back {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// The issuer of the answer (RFC 9207), when the provider names it: it must be ours.
    iss: Option<String>,
}

/// `GET /psc/retour`: on success, step 2 with the handle in the fragment (or, for the account space, its session);
/// else where the journey began, with the reason.
async fn back(State(state): State<AppState>, headers: HeaderMap, Query(answer): Query<Back>) -> Response {
    let mut purpose = FOR_REGISTRATION.to_owned();
    let result = finish(&state, &headers, answer, &mut purpose).await;
    metrics::counter!(crate::metrics::PSC_RETURNS, "outcome" => outcome(&result)).increment(1);
    match result {
        Ok(Proven::Handle(handle)) => {
            let to = format!("{}#{}={handle}", routes::route(Step::Donnees), psc::HANDLE_KEY);
            see_other(&to, None)
        }
        Ok(Proven::Account(national_id)) => crate::account::psc_sign_in(&state, &national_id).await,
        Err((code, why)) => {
            tracing::warn!(reason = %why, code = code.key(), "Pro Santé Connect: the return is refused");
            refused_to(&purpose, code)
        }
    }
}

/// What a return proved: for a registration, the identity kept behind the page's handle; for the account space, the
/// national id.
enum Proven {
    Handle(String),
    Account(String),
}

type Refusal = (ErrorCode, String);

fn refused(e: impl std::fmt::Display) -> Refusal {
    (ErrorCode::PscRefused, e.to_string())
}

async fn finish(state: &AppState, headers: &HeaderMap, answer: Back, purpose: &mut String) -> Result<Proven, Refusal> {
    let psc = state.settings.psc.as_ref().ok_or((ErrorCode::PscNotConfigured, "not configured".into()))?;
    let now = state.now();
    let expired = |why: &str| (ErrorCode::PscExpired, why.to_owned());
    let browser = cookies::read(headers, &state.settings, BROWSER_COOKIE).ok_or_else(|| expired("no cookie"))?;
    let sent_state = answer.state.ok_or_else(|| expired("no state"))?;
    let flow = store::psc::take(&state.store, &sent_state, now)
        .await
        .map_err(|e| (ErrorCode::PscUnavailable, e.to_string()))?
        .ok_or_else(|| expired("unknown, expired or used state"))?;
    purpose.clone_from(&flow.purpose);
    if !secret::same(&flow.browser_hash, &sha256_hex(browser.as_bytes())) {
        return Err(expired("the state of another browser"));
    }
    if answer.iss.as_deref().is_some_and(|iss| iss != psc.issuer.as_str()) {
        return Err(refused(format!("an answer of another issuer: {:?}", answer.iss)));
    }
    if let Some(error) = answer.error {
        let code = if error == "access_denied" { ErrorCode::PscCancelled } else { ErrorCode::PscRefused };
        return Err((code, format!("the provider answered {error}")));
    }
    let code = answer.code.ok_or_else(|| refused("no code"))?;
    let metadata = psc.metadata(false).await.map_err(|e| (ErrorCode::PscUnavailable, e.0))?;
    let redirect = redirect_url(state).map_err(|code| (code, "redirect URL".into()))?;
    let client =
        CoreClient::from_provider_metadata((*metadata).clone(), psc.client_id.clone(), Some(psc.client_secret.clone()))
            .set_redirect_uri(redirect.clone());
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(refused)?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier))
        .request_async(&psc.http)
        .await
        .map_err(|e| match e {
            RequestTokenError::Request(e) => (ErrorCode::PscUnavailable, e.to_string()),
            RequestTokenError::ServerResponse(r) => refused(format!("token endpoint: {}", r.error())),
            other => refused(format!("token endpoint: {other}")),
        })?;
    let id_token = token.id_token().ok_or_else(|| refused("no ID token"))?;
    let nonce = Nonce::new(flow.nonce);
    let claims: CoreIdTokenClaims = match verified(psc, &metadata, id_token, &nonce, now) {
        // A key not seen yet (the provider rotated its keys): read them again, once.
        Err(ClaimsVerificationError::SignatureVerification(_)) => {
            let fresh = psc.metadata(true).await.map_err(|e| (ErrorCode::PscUnavailable, e.0))?;
            verified(psc, &fresh, id_token, &nonce, now)
        }
        other => other,
    }
    .map_err(|e| refused(format!("ID token: {e}")))?;
    let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned());
    if !psc::sufficient_acr(acr.as_deref()) {
        return Err((ErrorCode::PscLevelTooLow, format!("acr {acr:?}")));
    }
    let info: UserInfoClaims<Claims, CoreGenderClaim> = client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .map_err(refused)?
        .request_async(&psc.http)
        .await
        .map_err(|e| match e {
            UserInfoError::Request(e) => (ErrorCode::PscUnavailable, e.to_string()),
            other => refused(format!("userinfo: {other}")),
        })?;
    let name = |n: Option<&str>| n.map(str::to_owned);
    let family = name(info.family_name().and_then(|n| n.get(None)).map(|n| n.as_str()));
    let given = name(info.given_name().and_then(|n| n.get(None)).map(|n| n.as_str()));
    let identity = info
        .additional_claims()
        .0
        .identity(family.as_deref(), given.as_deref())
        .map_err(|code| (code, "no RPPS or ADELI in SubjectNameID".to_owned()))?;
    if flow.purpose == FOR_ACCOUNT {
        tracing::info!(sub = %claims.subject().as_str(), "Pro Santé Connect: identity proven for the account space");
        return Ok(Proven::Account(identity.identifiant_national));
    }
    let proof = PscUse {
        identifiant_national: identity.identifiant_national.clone(),
        emetteur: psc.issuer.as_str().to_owned(),
        sujet: claims.subject().as_str().to_owned(),
        acr: acr.unwrap_or_default(),
        authentifie_le: claims.auth_time().unwrap_or_else(|| claims.issue_time()).timestamp(),
        jeton: sha256_hex(id_token.to_string().as_bytes()),
        verifie_le: now,
    };
    let handle = secret::token(32).map_err(|e| (ErrorCode::PscUnavailable, e.to_string()))?;
    let identite = serde_json::to_string(&identity).map_err(|e| (ErrorCode::PscUnavailable, e.to_string()))?;
    let browser_hash = sha256_hex(browser.as_bytes());
    store::psc::prove(&state.store, &handle, &browser_hash, &identite, &proof, now + psc::IDENTITY_SECS)
        .await
        .map_err(|e| (ErrorCode::PscUnavailable, e.to_string()))?;
    tracing::info!(sub = %proof.sujet, "Pro Santé Connect: identity proven");
    Ok(Proven::Handle(handle))
}

/// The ID token's claims, checked against these keys: issuer, audience (and `azp` when several), expiry, nonce,
/// signature by an allowed algorithm, and an issue time not in the future.
fn verified(
    psc: &Psc,
    metadata: &CoreProviderMetadata,
    id_token: &openidconnect::core::CoreIdToken,
    nonce: &Nonce,
    now: i64,
) -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
    let client =
        CoreClient::from_provider_metadata(metadata.clone(), psc.client_id.clone(), Some(psc.client_secret.clone()));
    let verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS).set_issue_time_verifier_fn(move |iat| {
        if iat.timestamp() > now + CLOCK_SKEW_SECS { Err("issued in the future".to_owned()) } else { Ok(()) }
    });
    id_token.claims(&verifier, nonce).cloned()
}

/// `GET /api/psc`: whether the page offers Pro Santé Connect.
pub async fn offer(State(state): State<AppState>) -> Json<psc::PscOffer> {
    Json(psc::PscOffer { disponible: state.settings.psc.is_some() })
}

/// `GET /api/psc/identites/{handle}`: what PSC proved, for the browser that went there.
pub async fn identity(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Json<PscIdentity>, AppError> {
    let (identity, _) = proven(&state, &headers, &handle).await?;
    Ok(Json(identity))
}

/// A refusal of the PSC path, on the step 1 choice.
fn invalid(code: ErrorCode) -> AppError {
    AppError::on(Field::Mode, code)
}

/// What PSC proved for `handle`, unspent, for this browser only.
pub async fn proven(state: &AppState, headers: &HeaderMap, handle: &str) -> Result<(PscIdentity, PscUse), AppError> {
    if state.settings.psc.is_none() {
        return Err(invalid(ErrorCode::PscNotConfigured));
    }
    let browser = cookies::read(headers, &state.settings, BROWSER_COOKIE).unwrap_or_default();
    let handle = handle.trim();
    if handle.is_empty() || browser.is_empty() {
        return Err(invalid(ErrorCode::PscHandleUnknown));
    }
    let found = store::psc::proven(&state.store, handle, &sha256_hex(browser.as_bytes()), state.now()).await?;
    let found = found.ok_or_else(|| invalid(ErrorCode::PscHandleUnknown))?;
    if found.spent {
        return Err(invalid(ErrorCode::PscHandleUsed));
    }
    let identity = serde_json::from_str(&found.identite).map_err(AppError::internal)?;
    Ok((identity, found.proof))
}
