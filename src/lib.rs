//! ProMess Inscription: the browser wizard.
//!
//! The whole multi-step form runs here, on the rules of `promess-core`; password strength is rated by zxcvbn in a
//! Web Worker (`promess-strength`), so that its 340 KB stay off the first paint. `main.rs` only mounts [`App`].
mod api;
mod app;
pub mod card;
mod communes;
mod deferred;
mod factor;
mod fields;
mod layout;
mod passkey;
mod psc;
mod router;
pub mod shell;
mod split;
mod state;
mod steps;
pub mod storage;
pub mod strength;

pub use app::App;
pub use storage::DRAFT_KEY;
pub use strength::{Estimator, worker_estimator};
