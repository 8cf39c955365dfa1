//! Prints the page before the app (steps 1 and 2 drawn by the app's components), which scripts/prerender puts in
//! index.html: its step 1, a NUL byte, then its step 2. See `promess_web::shell`.
fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let page = promess_web::shell::render();
        print!("{}\0{}", page.shell, page.later);
    }
}
