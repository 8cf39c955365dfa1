//! The domain of ProMess Inscription, with no IO: the same rules run in the browser (wasm32) and on the server.
//!
//! Every user-typed value is *parsed* into a type that can only hold a valid value (`PersonName`, `Rpps`,
//! `Phone`…); a failure is an [`ErrorCode`] attached to a [`Field`], with a French message naming the field.

pub mod birth;
pub mod card;
pub mod commune;
pub mod config;
pub mod contact;
pub mod error;
pub mod field;
pub mod identifiers;
pub mod luhn;
pub mod name;
pub mod nos;
pub mod password;
pub mod postal;
pub mod registration;
pub mod slug;

pub use config::OperatorConfig;
pub use error::{ErrorCode, FieldErrors};
pub use field::{Field, Step};
pub use registration::{Draft, Registration, RegistrationRequest};
