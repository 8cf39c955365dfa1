//! The word lists (`data/`), named here once: native builds (the server, the tests) include their text
//! (`lists.rs`, read by `src/dictionary.rs`); the wasm build gets them packed (`lists.packed`, `src/packing.rs`),
//! and the worker unpacks them once at start.
#[path = "src/packing.rs"]
mod packing;

const LISTS: [&str; 6] = ["passwords", "english_wikipedia", "female_names", "male_names", "surnames", "us_tv_and_film"];

fn main() {
    println!("cargo::rerun-if-changed=src/packing.rs");
    for name in LISTS {
        println!("cargo::rerun-if-changed=data/{name}.txt");
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let data = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("data");
    let path = |name: &str| data.join(format!("{name}.txt"));
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        let texts: Vec<String> =
            LISTS.iter().map(|name| std::fs::read_to_string(path(name)).expect("a word list")).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        std::fs::write(out.join("lists.packed"), packing::pack(&texts)).expect("the packed lists written");
    } else {
        let includes: Vec<String> = LISTS.iter().map(|name| format!("include_str!({:?})", path(name))).collect();
        std::fs::write(out.join("lists.rs"), format!("[{}]", includes.join(", "))).expect("lists.rs written");
    }
}
