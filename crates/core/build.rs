//! Compiles the NOS code tables (data/nos/*.csv, see data/nos/SOURCE.md) into static arrays,
//! leaving out the retired codes listed in data/nos/retired.txt, and records each table's OID, version and date
//! as SOURCE.md states them.
use std::{env, fs, path::Path};

const TABLES: &[(&str, &str, &str)] = &[
    ("CIVILITES", "TRE_G03", "TRE_G03-CiviliteCPx.csv"),
    ("CIVILITES_EXERCICE", "TRE_R11", "TRE_R11-CiviliteExercice.csv"),
    ("PROFESSIONS", "TRE_G15", "TRE_G15-ProfessionSante.csv"),
    ("SPECIALITES_RPPS", "TRE_R38", "TRE_R38-SpecialiteOrdinale.csv"),
    ("SPECIALITES_ADELI", "TRE_G12", "TRE_G12-SpecialiteADELI.csv"),
    ("PROFESSIONS_SOCIAL", "TRE_R94", "TRE_R94-ProfessionSocial.csv"),
    ("USAGERS_TITRE", "TRE_R95", "TRE_R95-UsagerTitre.csv"),
];

/// The row of SOURCE.md's table for `file`: `| file | rows | path | url | OID | version | date |`.
fn source_row<'a>(source: &'a str, file: &str) -> Vec<&'a str> {
    let row = source
        .lines()
        .find(|l| l.starts_with(&format!("| {file} |")))
        .unwrap_or_else(|| panic!("SOURCE.md has no row for {file}"));
    let cols: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(cols.len(), 7, "SOURCE.md row of {file}");
    cols
}

fn main() {
    let dir = Path::new("data/nos");
    println!("cargo::rerun-if-changed=data/nos");
    let source = fs::read_to_string(dir.join("SOURCE.md")).expect("SOURCE.md");
    let commit = source
        .split('`')
        .find(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .expect("SOURCE.md names the commit read");
    let retired = fs::read_to_string(dir.join("retired.txt")).expect("retired.txt");
    let retired: Vec<(&str, &str)> = retired
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').expect("`table code` line"))
        .collect();
    let mut out =
        format!("/// The commit of ansforge/IG-NOS every table was read at.\npub const COMMIT: &str = {commit:?};\n");
    let mut sources = String::from("/// Where each table comes from.\npub static SOURCES: &[Source] = &[\n");
    for (name, table, file) in TABLES {
        let csv = fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("code;libelle;libelle_court"), "{file}: header");
        let row = source_row(&source, file);
        let rows = lines.clone().filter(|l| !l.is_empty()).count();
        assert_eq!(row[1], rows.to_string(), "{file}: SOURCE.md's row count");
        let oid = row[4].trim_matches('`').trim_start_matches("urn:oid:");
        sources.push_str(&format!(
            "    Source {{ table: {table:?}, file: {file:?}, oid: {oid:?}, version: {:?}, date: {:?}, codes: {name}, code_list: {name}_CODES }},\n",
            row[5], row[6]
        ));
        let mut codes = String::new();
        out.push_str(&format!("/// {table} ({file}), retired codes left out.\npub static {name}: &[Code] = &[\n"));
        for line in lines.filter(|l| !l.is_empty()) {
            let cols: Vec<&str> = line.split(';').collect();
            assert_eq!(cols.len(), 3, "{file}: {line}");
            if retired.contains(&(*table, cols[0])) {
                continue;
            }
            out.push_str(&format!("    Code {{ code: {:?}, label: {:?} }},\n", cols[0], cols[1]));
            codes.push_str(&format!("{:?}, ", cols[0]));
        }
        out.push_str("];\n");
        // The codes alone, for the rules: the labels stay with the screens that show them (split wasm).
        out.push_str(&format!("/// The codes of {name}.\npub static {name}_CODES: &[&str] = &[{codes}];\n"));
    }
    sources.push_str("];\n");
    out.push_str(&sources);
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("nos_tables.rs");
    fs::write(dest, out).unwrap();
}
