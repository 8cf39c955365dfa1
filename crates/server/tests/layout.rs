//! The server's layout, as docs/architecture.md describes it: every SQL statement lives in `src/store/`.
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_sql_statement_is_in_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let (mut in_store, mut elsewhere) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let statements = ["sqlx::query", "query_as(", "query_scalar(", "copy_in_raw("]
            .iter()
            .map(|s| text.matches(s).count())
            .sum::<usize>();
        if file.starts_with(src.join("store")) {
            in_store += statements;
        } else if statements > 0 {
            elsewhere.push(file.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    assert!(elsewhere.is_empty(), "SQL outside src/store/: {elsewhere:?}");
    assert!(in_store > 50, "the store's statements were not found ({in_store}): is this test reading the right tree?");
}

#[test]
fn release_builds_unwind_so_that_a_job_s_panic_is_caught() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml")).unwrap();
    let release = manifest.split("[profile.release]").nth(1).expect("a release profile");
    let release = release.split("\n[").next().unwrap();
    let settings: Vec<&str> = release.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    assert!(!settings.iter().any(|l| l.replace(' ', "") == "panic=\"abort\""), "{settings:?}");
}
