//! The password-strength Web Worker: a wasm of its own, loaded by the wizard from step 2 on, for step 3.
fn main() {
    promess_strength::worker::serve();
}
