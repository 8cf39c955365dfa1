//! The password-strength Web Worker: a wasm of its own, loaded by the wizard when step 3 needs it.
fn main() {
    promess_strength::worker::serve();
}
