//! A software FIDO2 authenticator for the API's tests: a P-256 key (ring) per credential, the CBOR of an attestation
//! `none` and the signed assertions, as a security key gives them to the browser and the browser to the page
//! (`toJSON()`). The browser's own ceremonies, with WebDriver's virtual authenticators, are crates/e2e's; this one can
//! also lie, as an attacker's client would: another origin, another relying party, a replay.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair},
};
use serde_json::{Value, json};

pub struct Authenticator {
    key: EcdsaKeyPair,
    pub credential_id: Vec<u8>,
    counter: u32,
}

/// What the authenticator is told a ceremony is for: the page's origin and the relying party it names.
pub struct Ceremony<'a> {
    pub origin: &'a str,
    pub rp_id: &'a str,
}

pub const HONEST: Ceremony<'static> = Ceremony { origin: "http://localhost:8080", rp_id: "localhost" };

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data).as_ref().to_vec()
}

/// The CBOR head of a major type and length (RFC 8949 §3).
fn head(major: u8, n: usize) -> Vec<u8> {
    match n {
        0..=23 => vec![major << 5 | n as u8],
        24..=255 => vec![major << 5 | 24, n as u8],
        _ => {
            let mut v = vec![major << 5 | 25];
            v.extend((n as u16).to_be_bytes());
            v
        }
    }
}

fn int(i: i64) -> Vec<u8> {
    if i >= 0 { head(0, i as usize) } else { head(1, (-1 - i) as usize) }
}

fn bytes(b: &[u8]) -> Vec<u8> {
    [head(2, b.len()), b.to_vec()].concat()
}

fn text(t: &str) -> Vec<u8> {
    [head(3, t.len()), t.as_bytes().to_vec()].concat()
}

impl Authenticator {
    pub fn new() -> Authenticator {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let mut credential_id = vec![0u8; 32];
        getrandom::fill(&mut credential_id).unwrap();
        Authenticator { key, credential_id, counter: 0 }
    }

    fn client_data(kind: &str, options: &Value, ceremony: &Ceremony) -> Vec<u8> {
        let challenge = options["challenge"].as_str().expect("options with a challenge");
        json!({"type": kind, "challenge": challenge, "origin": ceremony.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// The public key as COSE (EC2, P-256, ES256).
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);
        [head(5, 5), int(1), int(2), int(3), int(-7), int(-1), int(1), int(-2), bytes(x), int(-3), bytes(y)].concat()
    }

    fn credential(&self, response: Value) -> Value {
        let id = B64.encode(&self.credential_id);
        json!({"id": id, "rawId": id, "type": "public-key", "response": response, "clientExtensionResults": {}})
    }

    /// `navigator.credentials.create` for these `publicKey` options: the new credential, as `toJSON()` gives it.
    pub fn register(&mut self, options: &Value, ceremony: &Ceremony) -> Value {
        let client_data = Self::client_data("webauthn.create", options, ceremony);
        // Flags: user present, user verified, attested credential data.
        let mut auth_data =
            [sha256(ceremony.rp_id.as_bytes()), vec![0x45], self.counter.to_be_bytes().to_vec()].concat();
        auth_data.extend([0u8; 16]);
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(self.cose_key());
        let attestation =
            [head(5, 3), text("fmt"), text("none"), text("attStmt"), head(5, 0), text("authData"), bytes(&auth_data)]
                .concat();
        self.credential(json!({
            "clientDataJSON": B64.encode(&client_data),
            "attestationObject": B64.encode(&attestation),
            "transports": ["usb"],
        }))
    }

    /// `navigator.credentials.get` for these `publicKey` options: the assertion, signed, its counter one more.
    pub fn assert(&mut self, options: &Value, ceremony: &Ceremony) -> Value {
        self.counter += 1;
        let client_data = Self::client_data("webauthn.get", options, ceremony);
        let auth_data = [sha256(ceremony.rp_id.as_bytes()), vec![0x05], self.counter.to_be_bytes().to_vec()].concat();
        let signed = [auth_data.clone(), sha256(&client_data)].concat();
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        self.credential(json!({
            "clientDataJSON": B64.encode(&client_data),
            "authenticatorData": B64.encode(&auth_data),
            "signature": B64.encode(signature.as_ref()),
            "userHandle": null,
        }))
    }
}
