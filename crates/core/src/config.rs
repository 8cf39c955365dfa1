//! What an operator configures: its mail domains and support contact.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorConfig {
    /// Domain of the operator's secure mailboxes (prenom.nom@<domain>).
    pub domain: String,
    /// Domain used when the professional asks for an MSSanté mailbox.
    pub mssante_domain: String,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        Self { domain: "sante-na.fr".into(), mssante_domain: "na.mssante.fr".into() }
    }
}

impl OperatorConfig {
    /// The secure mailbox of an identifier: identifier@domain, the MSSanté domain when asked for.
    pub fn address(&self, identifiant: &str, mssante: bool) -> String {
        let domain = if mssante { &self.mssante_domain } else { &self.domain };
        format!("{identifiant}@{domain}")
    }
}

/// The support contact named by the procedure, as a literal for `concat!` in texts written at compile time.
#[macro_export]
macro_rules! support_phone {
    () => {
        "05 64 090 090"
    };
}

#[macro_export]
macro_rules! support_email {
    () => {
        "support@esea-na.fr"
    };
}

/// The support contact named by the procedure.
pub const SUPPORT_PHONE: &str = support_phone!();
pub const SUPPORT_EMAIL: &str = support_email!();
