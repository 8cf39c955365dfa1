//! Compiles the NOS code tables (data/nos/*.csv, see data/nos/SOURCE.md) into static arrays,
//! leaving out the retired codes listed in data/nos/retired.txt.
use std::{env, fs, path::Path};

const TABLES: &[(&str, &str, &str)] = &[
    ("CIVILITES", "TRE_G03", "TRE_G03-CiviliteCPx.csv"),
    ("PROFESSIONS", "TRE_G15", "TRE_G15-ProfessionSante.csv"),
    ("SPECIALITES_RPPS", "TRE_R38", "TRE_R38-SpecialiteOrdinale.csv"),
    ("SPECIALITES_ADELI", "TRE_G12", "TRE_G12-SpecialiteADELI.csv"),
    ("PROFESSIONS_SOCIAL", "TRE_R94", "TRE_R94-ProfessionSocial.csv"),
    ("USAGERS_TITRE", "TRE_R95", "TRE_R95-UsagerTitre.csv"),
];

fn main() {
    let dir = Path::new("data/nos");
    println!("cargo::rerun-if-changed=data/nos");
    let retired = fs::read_to_string(dir.join("retired.txt")).expect("retired.txt");
    let retired: Vec<(&str, &str)> = retired
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').expect("`table code` line"))
        .collect();
    let mut out = String::new();
    for (name, table, file) in TABLES {
        let csv = fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("code;libelle;libelle_court"), "{file}: header");
        out.push_str(&format!("/// {table} ({file}), retired codes left out.\npub static {name}: &[Code] = &[\n"));
        for line in lines.filter(|l| !l.is_empty()) {
            let cols: Vec<&str> = line.split(';').collect();
            assert_eq!(cols.len(), 3, "{file}: {line}");
            if retired.contains(&(*table, cols[0])) {
                continue;
            }
            out.push_str(&format!("    Code {{ code: {:?}, label: {:?}, short: {:?} }},\n", cols[0], cols[1], cols[2]));
        }
        out.push_str("];\n");
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("nos_tables.rs");
    fs::write(dest, out).unwrap();
}
