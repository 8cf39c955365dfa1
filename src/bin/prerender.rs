//! Prints the page before the app (`promess_web::shell::render`), given trunk's loader of the app as JSON on its
//! standard input (`shell::Loader`): its pieces for index.html's marks `tete`, `coquille` and `suite`, in that
//! order, separated by NUL bytes. scripts/prerender puts each at its mark.
fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let loader = serde_json::from_reader(std::io::stdin()).expect("trunk's loader, as JSON on standard input");
        let page = promess_web::shell::render(&loader);
        print!("{}\0{}\0{}", page.head, page.shell, page.later);
    }
}
