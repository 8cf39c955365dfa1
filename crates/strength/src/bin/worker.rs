//! The password-strength Web Worker: a wasm of its own, loaded by the wizard when step 3 needs it.
use gloo_worker::Registrable;
use promess_strength::StrengthWorker;

fn main() {
    StrengthWorker::registrar().register();
}
