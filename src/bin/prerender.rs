//! Prints the page before the app (steps 1 and 2 drawn by the app's components), which scripts/split puts in
//! index.html: see `promess_web::shell`.
fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    print!("{}", promess_web::shell::render());
}
