//! The card's proof, checked before anything it says is believed (after Web eID's token validation): the
//! certificate parsed, within its validity, its key usage allowing digital signature, chained to a configured trust
//! anchor (`PROMESS_CARD_TRUST`), not revoked by a current CRL (`PROMESS_CARD_CRL`, reloaded when its files change;
//! none or a stale one is a refusal); then the challenge (known, unexpired, unused: `db`), the origin (the app's
//! own), and the signature. Only then is the identity read from the certificate. Each check has its own error code.
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use promess_core::{
    ErrorCode,
    card::{CardIdentity, CardProof, SignatureAlgorithm, certificate, signed_value},
};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime, pem::PemObject};
use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, SystemTime},
};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, OwnedCertRevocationList, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The certificate's signatures a chain may use: RSA (IGC-Santé) and ECDSA.
static CHAIN_ALGORITHMS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
];

/// The CRL files, as last read, with what identified their content.
struct Crls {
    seen: Vec<Option<(SystemTime, u64)>>,
    lists: Vec<CertRevocationList<'static>>,
}

/// The authorities whose cards are believed, and their revocation lists.
pub struct CardTrust {
    anchors: Vec<TrustAnchor<'static>>,
    crl_paths: Vec<PathBuf>,
    crls: Mutex<Crls>,
}

/// A proof whose certificate passed its checks: next, the challenge (against the database), then the signature.
#[derive(Debug)]
pub struct Certified {
    pub identity: CardIdentity,
    pub algorithm: SignatureAlgorithm,
    /// The certificate's public key (the SubjectPublicKeyInfo's key bits).
    key: Vec<u8>,
    signature: Vec<u8>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The CRLs of a file, DER or PEM.
fn read_crls(path: &Path) -> Result<Vec<CertRevocationList<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ders: Vec<Vec<u8>> = if bytes.starts_with(b"-----") {
        rustls_pki_types::CertificateRevocationListDer::pem_slice_iter(&bytes)
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e:?}", path.display()))?
    } else {
        vec![bytes]
    };
    ders.iter()
        .map(|der| {
            OwnedCertRevocationList::from_der(der)
                .map(CertRevocationList::from)
                .map_err(|e| format!("{}: not a CRL ({e:?})", path.display()))
        })
        .collect()
}

impl CardTrust {
    /// The trust anchors of a PEM bundle, and the CRL files (read now, and again whenever they change).
    pub fn load(trust: &Path, crl_paths: Vec<PathBuf>) -> Result<CardTrust, String> {
        let pem = std::fs::read(trust).map_err(|e| format!("{}: {e}", trust.display()))?;
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e:?}", trust.display()))?;
        if certificates.is_empty() {
            return Err(format!("{}: no certificate", trust.display()));
        }
        let anchors = certificates
            .iter()
            .map(|c| webpki::anchor_from_trusted_cert(c).map(|a| a.to_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e:?}", trust.display()))?;
        let trust = CardTrust {
            anchors,
            crl_paths: crl_paths.clone(),
            crls: Mutex::new(Crls { seen: vec![None; crl_paths.len()], lists: Vec::new() }),
        };
        trust.refresh_crls();
        Ok(trust)
    }

    /// Reads the CRL files again if any changed. A file that cannot be read leaves its authority without a CRL:
    /// its cards are refused until it can be read.
    fn refresh_crls(&self) {
        let mut crls = self.crls.lock().unwrap_or_else(|p| p.into_inner());
        let seen: Vec<_> = self.crl_paths.iter().map(|p| stamp(p)).collect();
        if seen == crls.seen && seen.iter().all(Option::is_some) {
            return;
        }
        let mut lists = Vec::new();
        for path in &self.crl_paths {
            match read_crls(path) {
                Ok(mut l) => lists.append(&mut l),
                Err(e) => tracing::error!(error = %e, "CRL unreadable: the cards of its authority are refused"),
            }
        }
        *crls = Crls { seen, lists };
    }

    /// The checks of the proof's certificate, in order; `now` in Unix seconds.
    pub fn certificate(&self, proof: &CardProof, now: i64) -> Result<Certified, ErrorCode> {
        let certificate_der = BASE64.decode(&proof.certificat).map_err(|_| ErrorCode::CardProofMalformed)?;
        let signature = BASE64.decode(&proof.signature).map_err(|_| ErrorCode::CardProofMalformed)?;
        let algorithm = SignatureAlgorithm::from_name(&proof.algorithme).ok_or(ErrorCode::CardProofMalformed)?;
        if proof.format != CardProof::FORMAT {
            return Err(ErrorCode::CardProofMalformed);
        }
        // certificate parsed
        let (_, cert) =
            X509Certificate::from_der(&certificate_der).map_err(|_| ErrorCode::CardCertificateUnreadable)?;
        let identity =
            certificate::identity(&cert, &certificate_der).map_err(|_| ErrorCode::CardCertificateUnreadable)?;
        if certificate::algorithm_of(&cert) != Ok(algorithm) {
            return Err(ErrorCode::CardProofMalformed);
        }
        // within its validity
        let validity = cert.validity();
        if now < validity.not_before.timestamp() {
            return Err(ErrorCode::CardCertificateNotYetValid);
        }
        if now > validity.not_after.timestamp() {
            return Err(ErrorCode::CardCertificateExpired);
        }
        // key usage allows digital signature
        match cert.key_usage() {
            Ok(Some(usage)) if usage.value.digital_signature() => {}
            _ => return Err(ErrorCode::CardKeyUsage),
        }
        // chains to a trust anchor
        let der = CertificateDer::from(certificate_der.as_slice());
        let end_entity = EndEntityCert::try_from(&der).map_err(|_| ErrorCode::CardCertificateUnreadable)?;
        let time = UnixTime::since_unix_epoch(Duration::from_secs(now.max(0) as u64));
        let usage = KeyUsage::client_auth();
        end_entity
            .verify_for_usage(CHAIN_ALGORITHMS, &self.anchors, &[], time, usage, None, None)
            .map_err(|_| ErrorCode::CardUntrusted)?;
        // not revoked, by a current CRL of its authority
        self.refresh_crls();
        {
            let crls = self.crls.lock().unwrap_or_else(|p| p.into_inner());
            let lists: Vec<&CertRevocationList<'_>> = crls.lists.iter().collect();
            let options = RevocationOptionsBuilder::new(&lists)
                .map_err(|_| ErrorCode::CardRevocationUnknown)?
                .with_depth(RevocationCheckDepth::EndEntity)
                .with_status_policy(UnknownStatusPolicy::Deny)
                .with_expiration_policy(ExpirationPolicy::Enforce)
                .build();
            match end_entity.verify_for_usage(CHAIN_ALGORITHMS, &self.anchors, &[], time, usage, Some(options), None) {
                Ok(_) => {}
                Err(webpki::Error::CertRevoked) => return Err(ErrorCode::CardRevoked),
                Err(_) => return Err(ErrorCode::CardRevocationUnknown),
            }
        }
        let key = cert.public_key().subject_public_key.data.to_vec();
        Ok(Certified { identity, algorithm, key, signature })
    }
}

impl Certified {
    /// After the challenge's check: the origin is the app's own (`origins`), and the signature is the
    /// certificate's key's, of this origin and nonce.
    pub fn signed(self, proof: &CardProof, origins: &[String]) -> Result<CardIdentity, ErrorCode> {
        if !origins.contains(&proof.origin) {
            return Err(ErrorCode::CardOriginMismatch);
        }
        let verifier: &dyn ring::signature::VerificationAlgorithm = match self.algorithm {
            SignatureAlgorithm::Rs256 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            SignatureAlgorithm::Es256 => &ring::signature::ECDSA_P256_SHA256_FIXED,
        };
        ring::signature::UnparsedPublicKey::new(verifier, &self.key)
            .verify(&signed_value(&proof.origin, &proof.nonce), &self.signature)
            .map_err(|_| ErrorCode::CardSignatureInvalid)?;
        Ok(self.identity)
    }
}
