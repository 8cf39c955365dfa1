//! Passkeys and FIDO2 security keys (WebAuthn, with `webauthn-rs`): a second factor beside the password, so user
//! verification is preferred (a key's PIN or the device's lock when it has one) and no attestation is asked. The
//! relying party is the first of the app's origins (`PROMESS_ORIGINS`) whose host is a domain name (browsers refuse
//! WebAuthn on an IP address); the other origins of that domain are allowed too. The ceremonies' state is kept in the
//! store between their two requests (a registration's set-up, a sign-in's pending session): each is used once.
use promess_core::ErrorCode;
use serde_json::Value;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, SecurityKey,
    SecurityKeyAuthentication, SecurityKeyRegistration, Url, Uuid,
};

pub use webauthn_rs::Webauthn;

/// The relying party of these origins, if one of them is a domain name: its id, and the origins allowed.
pub fn relying_party(origins: &[String]) -> Option<Webauthn> {
    let urls: Vec<Url> = origins.iter().filter_map(|o| Url::parse(o).ok()).collect();
    let first = urls.iter().find(|u| u.domain().is_some())?;
    let rp_id = first.domain()?.to_owned();
    let mut builder = webauthn_rs::WebauthnBuilder::new(&rp_id, first).ok()?.rp_name(crate::factors::ISSUER);
    for other in urls.iter().filter(|u| *u != first && u.domain() == Some(rp_id.as_str())) {
        builder = builder.append_allowed_origin(other);
    }
    builder.build().ok()
}

/// What the browser may not be sent: `null` members (the JSON forms of the WebAuthn API refuse them).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// A new credential's options for the account labelled `label` (never another of its credentials, `exclude`): the
/// `publicKey` options for the browser, and the ceremony's state to keep.
pub fn registration(webauthn: &Webauthn, label: &str, exclude: &[String]) -> Result<(Value, String), String> {
    let exclude: Vec<_> = keys(exclude).iter().map(|k| k.cred_id().clone()).collect();
    let (CreationChallengeResponse { mut public_key }, state) = webauthn
        .start_securitykey_registration(Uuid::new_v4(), label, label, Some(exclude), None, None)
        .map_err(|e| e.to_string())?;
    // A passkey of the device (platform) or a security key, as the professional chooses: no hint either way.
    public_key.hints = None;
    // Its credential protection (user verification required to use it) contradicts a verification only preferred:
    // Chromium refuses the two together. A second factor beside the password needs no more than preferred.
    if let Some(extensions) = public_key.extensions.as_mut() {
        extensions.cred_protect = None;
    }
    let options = serde_json::to_value(public_key).map_err(|e| e.to_string())?;
    Ok((without_nulls(options), serde_json::to_string(&state).map_err(|e| e.to_string())?))
}

/// The credential the browser made, checked against the ceremony's `state`: the key to keep (JSON) and its
/// credential id (base64url), or why not.
pub fn registered(webauthn: &Webauthn, state: &str, credential: Value) -> Result<(String, String), ErrorCode> {
    let state: SecurityKeyRegistration = serde_json::from_str(state).map_err(|_| ErrorCode::FactorUnknown)?;
    let credential: RegisterPublicKeyCredential =
        serde_json::from_value(credential).map_err(|_| ErrorCode::PasskeyRefused)?;
    let key = webauthn.finish_securitykey_registration(&credential, &state).map_err(|e| {
        tracing::info!(error = %e, "passkey registration refused");
        ErrorCode::PasskeyRefused
    })?;
    let id = credential_id(&key);
    Ok((serde_json::to_string(&key).map_err(|_| ErrorCode::PasskeyRefused)?, id))
}

fn credential_id(key: &SecurityKey) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.cred_id().as_slice())
}

/// The keys an account keeps (JSON), read back.
fn keys(stored: &[String]) -> Vec<SecurityKey> {
    stored.iter().filter_map(|k| serde_json::from_str(k).ok()).collect()
}

/// A sign-in's options for these keys: the `publicKey` options for the browser, and the ceremony's state to keep.
pub fn authentication(webauthn: &Webauthn, stored: &[String]) -> Result<(Value, String), String> {
    let (RequestChallengeResponse { mut public_key, .. }, state) =
        webauthn.start_securitykey_authentication(&keys(stored)).map_err(|e| e.to_string())?;
    public_key.hints = None;
    let options = serde_json::to_value(public_key).map_err(|e| e.to_string())?;
    Ok((without_nulls(options), serde_json::to_string(&state).map_err(|e| e.to_string())?))
}

/// The assertion the browser made, checked against the ceremony's `state` (its challenge, this relying party and
/// origin, a key of the account, its signature): the index of the key among `stored` and the key as it is now
/// (its counter moved on), or None.
pub fn authenticated(webauthn: &Webauthn, state: &str, stored: &[String], assertion: Value) -> Option<(usize, String)> {
    let state: SecurityKeyAuthentication = serde_json::from_str(state).ok()?;
    let assertion: PublicKeyCredential = serde_json::from_value(assertion).ok()?;
    let result = webauthn
        .finish_securitykey_authentication(&assertion, &state)
        .inspect_err(|e| tracing::info!(error = %e, "passkey sign-in refused"))
        .ok()?;
    stored.iter().enumerate().find_map(|(i, k)| {
        let mut key: SecurityKey = serde_json::from_str(k).ok()?;
        (key.cred_id() == result.cred_id()).then(|| {
            key.update_credential(&result);
            (i, serde_json::to_string(&key).unwrap_or_else(|_| k.clone()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_first_domain_among_the_origins() {
        let origins = |o: &[&str]| o.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(relying_party(&origins(&["http://127.0.0.1:8080"])).is_none(), "an IP address is no relying party");
        let rp = relying_party(&origins(&["http://127.0.0.1:8080", "http://localhost:8080", "http://localhost:8081"]))
            .unwrap();
        let allowed: Vec<String> = rp.get_allowed_origins().iter().map(|u| u.origin().ascii_serialization()).collect();
        assert_eq!(allowed, ["http://localhost:8080", "http://localhost:8081"]);
        let (options, _) = registration(&rp, "cecile.sage", &[]).unwrap();
        assert_eq!(options["rp"]["id"], "localhost");
        assert_eq!(options["authenticatorSelection"]["userVerification"], "preferred");
        assert_eq!(options["attestation"], "none");
        assert!(options.get("hints").is_none() && options.get("excludeCredentials").is_some());
        assert!(options["extensions"].get("credentialProtectionPolicy").is_none(), "{options}");
    }
}
