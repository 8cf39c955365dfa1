//! The national code tables (NOS), compiled from `data/nos/` by build.rs; retired codes are left out.
use crate::error::ErrorCode;

/// One concept of a NOS table.
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub label: &'static str,
    pub short: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/nos_tables.rs"));

/// The value the Profession select takes for "Autre" (not a TRE_G15 code).
pub const PROFESSION_AUTRE: &str = "autre";

pub fn find(table: &'static [Code], code: &str) -> Option<&'static Code> {
    table.iter().find(|c| c.code == code)
}

/// Parses a selected code of `table`: empty → Required, unknown → UnknownCode.
pub fn parse(table: &'static [Code], code: &str) -> Result<&'static Code, ErrorCode> {
    match code.trim() {
        "" => Err(ErrorCode::Required),
        code => find(table, code).ok_or(ErrorCode::UnknownCode),
    }
}

/// The label of a code, empty when the code is unknown.
pub fn label(table: &'static [Code], code: &str) -> &'static str {
    find(table, code).map_or("", |c| c.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_without_retired_codes() {
        assert_eq!(PROFESSIONS.len(), 29);
        assert!(find(PROFESSIONS, "93").is_none(), "Psychologue is retired in TRE_G15");
        assert_eq!(find(PROFESSIONS, "50").unwrap().label, "Sage-Femme");
        assert_eq!(CIVILITES.iter().map(|c| c.label).collect::<Vec<_>>(), ["Madame", "Monsieur"]);
        assert_eq!(SPECIALITES_RPPS.len(), 80);
        assert!(find(SPECIALITES_RPPS, "SP01").is_none());
        assert_eq!(SPECIALITES_ADELI.len(), 131);
        assert_eq!(USAGERS_TITRE.iter().map(|c| c.code).collect::<Vec<_>>(), ["71", "72", "73", "93", "97"]);
        assert_eq!(PROFESSIONS_SOCIAL.len(), 12);
    }

    #[test]
    fn parse_codes() {
        assert_eq!(parse(PROFESSIONS, "10").unwrap().label, "Médecin");
        assert_eq!(parse(PROFESSIONS, ""), Err(ErrorCode::Required));
        assert_eq!(parse(PROFESSIONS, "93"), Err(ErrorCode::UnknownCode));
    }
}
