//! Prints the page before the app (steps 1 and 2 drawn by the app's components), which scripts/prerender puts in
//! index.html: `prerender shell` prints its step 1, `prerender later` its step 2. See `promess_web::shell`.
fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let page = promess_web::shell::render();
        match std::env::args().nth(1).as_deref() {
            Some("shell") => print!("{}", page.shell),
            Some("later") => print!("{}", page.later),
            _ => {
                eprintln!("usage: prerender shell|later");
                std::process::exit(2);
            }
        }
    }
}
