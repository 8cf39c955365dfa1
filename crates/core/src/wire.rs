//! The JSON the page reads without serde (a serde deserializer weighs about 18 KB brotli in the wasm): each wire
//! type the page reads decodes itself from a `WireObject`, so that its field names exist once, beside its serde
//! derive; tests decode what serde encodes, natively and in the browser.
use crate::{
    ErrorCode, Field, FieldErrors,
    registration::{Proposal, RegistrationAccepted},
};

/// A JSON object as a reader without serde sees it (the page reads the agent's and the server's answers through the
/// browser's own JSON). Each wire type below decodes itself from one, so its field names exist once, here; a test decodes what
/// serde encodes, field by field.
pub trait WireObject: Sized {
    fn text(&self, key: &str) -> Option<String>;
    fn number(&self, key: &str) -> Option<f64>;
    fn flag(&self, key: &str) -> Option<bool>;
    fn object(&self, key: &str) -> Option<Self>;
    fn list(&self, key: &str) -> Vec<Self>;
    /// This value itself, when it is a string (an item of a list).
    fn as_text(&self) -> Option<String>;
}

impl Proposal {
    pub fn read(o: &impl WireObject) -> Option<Proposal> {
        Some(Proposal { identifiant: o.text("identifiant")?, adresse: o.text("adresse")? })
    }
}

impl RegistrationAccepted {
    pub fn read(o: &impl WireObject) -> Option<RegistrationAccepted> {
        Some(RegistrationAccepted {
            identifiant: o.text("identifiant")?,
            adresse: o.text("adresse")?,
            statut: crate::lifecycle::Statut::from_key(&o.text("statut")?)?,
        })
    }
}

impl FieldErrors {
    /// `{"field": ["code", …]}`; unknown fields or codes (a newer server) are skipped.
    pub fn read(o: &impl WireObject) -> FieldErrors {
        let mut errors = FieldErrors::default();
        for field in Field::ALL {
            for code in o.list(field.key()).iter().filter_map(|c| c.as_text()).filter_map(|c| ErrorCode::from_key(&c)) {
                errors.add(*field, code);
            }
        }
        errors
    }
}
