//! The domain of ProMess Inscription, with no IO: the same rules run in the browser (wasm32) and on the server.
//!
//! Every user-typed value is *parsed* into a type that can only hold a valid value (`PersonName`, `Rpps`,
//! `Phone`…); a failure is an [`ErrorCode`] attached to a [`Field`], with a French message naming the field.

/// An enum of stable codes: each variant's snake_case key is its serde name (tested), with `ALL`, `key` and
/// `from_key`.
macro_rules! stable_codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $key:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// The stable name (the same as serde's).
            pub const fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)* }
            }

            pub fn from_key(key: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|c| c.key() == key)
            }
        }
    };
}

pub mod annuaire;
pub mod birth;
pub mod card;
pub mod commune;
pub mod config;
pub mod contact;
pub mod error;
pub mod factor;
pub mod field;
pub mod identifiers;
pub mod lifecycle;
pub mod luhn;
pub mod name;
pub mod nos;
pub mod password;
pub mod postal;
pub mod psc;
pub mod registration;
pub mod routes;
pub mod slug;
pub mod time;
pub mod wire;

pub use config::OperatorConfig;
pub use error::{ErrorCode, FieldErrors};
pub use field::{Field, Step};
pub use registration::{Draft, Registration, RegistrationRequest};
