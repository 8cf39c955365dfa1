//! The national code tables (NOS), compiled from `data/nos/` by build.rs; retired codes are left out.
//!
//! Each table comes twice: `NAME: &[Code]` (codes and labels, for the screens) and `NAME_CODES: &[&str]` (for the
//! rules). The rules only check codes, so the wasm that checks answers does not carry the labels.
use crate::error::ErrorCode;

/// One concept of a NOS table.
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub label: &'static str,
}

/// A table as compiled, with where it comes from (data/nos/SOURCE.md).
#[derive(Debug)]
pub struct Source {
    pub table: &'static str,
    pub file: &'static str,
    pub oid: &'static str,
    pub version: &'static str,
    pub date: &'static str,
    pub codes: &'static [Code],
    /// The same codes alone (`NAME_CODES`).
    pub code_list: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/nos_tables.rs"));

/// The value the Profession select takes for "Autre" (not a TRE_G15 code).
pub const PROFESSION_AUTRE: &str = "autre";

/// Civilité: TRE_G03 (Madame, Monsieur) or a civilité d'exercice of TRE_R11 (Docteur, Professeur…).
pub static CIVILITE_TABLES: &[&[Code]] = &[CIVILITES, CIVILITES_EXERCICE];
pub static CIVILITE_CODES: &[&[&str]] = &[CIVILITES_CODES, CIVILITES_EXERCICE_CODES];

/// Profession (autre): the non-PS titles, TRE_R95 (usagers de titre) and TRE_R94 (professions du social).
pub static PROFESSION_AUTRE_TABLES: &[&[Code]] = &[USAGERS_TITRE, PROFESSIONS_SOCIAL];
pub static PROFESSION_AUTRE_CODES: &[&[&str]] = &[USAGERS_TITRE_CODES, PROFESSIONS_SOCIAL_CODES];

pub fn find(tables: &[&'static [Code]], code: &str) -> Option<&'static Code> {
    tables.iter().flat_map(|t| t.iter()).find(|c| c.code == code)
}

/// Parses a selected code of `tables` (codes): empty → Required, unknown → UnknownCode.
pub fn parse(tables: &[&'static [&'static str]], code: &str) -> Result<&'static str, ErrorCode> {
    match code.trim() {
        "" => Err(ErrorCode::Required),
        code => tables.iter().flat_map(|t| t.iter()).find(|c| **c == code).copied().ok_or(ErrorCode::UnknownCode),
    }
}

/// The label of a code, empty when the code is unknown.
pub fn label(tables: &[&'static [Code]], code: &str) -> &'static str {
    find(tables, code).map_or("", |c| c.label)
}

/// The TRE_R38 code prefix of the specialties of a TRE_G15 profession: SM médecin, SCD chirurgien-dentiste,
/// SI infirmier (pratique avancée), SP pharmacien. Other professions have no ordinal specialty.
fn specialty_prefix(profession: &str) -> Option<&'static str> {
    match profession {
        "10" => Some("SM"),
        "40" => Some("SCD"),
        "60" | "69" => Some("SI"),
        "21" => Some("SP"),
        _ => None,
    }
}

/// Whether a TRE_R38 code is a specialty of the profession whose prefix is given.
fn is_specialty_of(prefix: Option<&str>, code: &str) -> bool {
    prefix.is_some_and(|p| code.strip_prefix(p).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
}

/// The TRE_R38 specialties of a profession (none for a profession without one).
pub fn specialites_rpps(profession: &str) -> impl Iterator<Item = &'static Code> {
    let prefix = specialty_prefix(profession);
    SPECIALITES_RPPS.iter().filter(move |c| is_specialty_of(prefix, c.code))
}

/// A specialty's label without the table's profession suffix, e.g. "Chirurgie orale (SCD)" → "Chirurgie orale".
pub fn short_label(code: &Code) -> &'static str {
    match code.label.rfind(" (") {
        Some(i)
            if code.label.ends_with(')')
                && code.label[i + 2..].bytes().all(|b| b.is_ascii_uppercase() || b == b')') =>
        {
            &code.label[..i]
        }
        _ => code.label,
    }
}

/// Parses the Spécialité RPPS of a profession: a TRE_R38 code whose prefix is the profession's.
pub fn parse_specialite_rpps(profession: &str, code: &str) -> Result<&'static str, ErrorCode> {
    let found = parse(&[SPECIALITES_RPPS_CODES], code)?;
    if is_specialty_of(specialty_prefix(profession), found) {
        Ok(found)
    } else {
        Err(ErrorCode::SpecialtyOfOtherProfession)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_without_retired_codes() {
        for source in SOURCES {
            assert_eq!(source.codes.iter().map(|c| c.code).collect::<Vec<_>>(), source.code_list, "{}", source.table);
        }
        assert_eq!(PROFESSIONS.len(), 29);
        assert!(find(&[PROFESSIONS], "93").is_none(), "Psychologue is retired in TRE_G15");
        assert_eq!(find(&[PROFESSIONS], "50").unwrap().label, "Sage-Femme");
        assert_eq!(CIVILITES.iter().map(|c| c.label).collect::<Vec<_>>(), ["Madame", "Monsieur"]);
        assert_eq!(CIVILITES_EXERCICE.iter().map(|c| c.code).collect::<Vec<_>>(), ["DR", "MC", "MG", "PC", "PG", "PR"]);
        assert_eq!(SPECIALITES_RPPS.len(), 80);
        assert!(find(&[SPECIALITES_RPPS], "SP01").is_none());
        assert_eq!(SPECIALITES_ADELI.len(), 131);
        assert_eq!(USAGERS_TITRE.iter().map(|c| c.code).collect::<Vec<_>>(), ["71", "72", "73", "93", "97"]);
        assert_eq!(PROFESSIONS_SOCIAL.len(), 12);
        assert!(PROFESSIONS_SOCIAL.iter().all(|c| !c.code.starts_with('2')), "retired 2xx codes");
    }

    #[test]
    fn sources_are_recorded() {
        assert_eq!(COMMIT, "b8b0cc32cc5e1471d417d6d3a3dd17bfb0fce3e9");
        assert_eq!(SOURCES.len(), 7);
        let g15 = SOURCES.iter().find(|s| s.table == "TRE_G15").unwrap();
        assert_eq!((g15.oid, g15.version, g15.date), ("1.2.250.1.71.1.2.7", "0.1.0", "2021-12-17T12:00:00+01:00"));
        assert_eq!(g15.codes.len(), PROFESSIONS.len());
        let r38 = SOURCES.iter().find(|s| s.table == "TRE_R38").unwrap();
        assert_eq!((r38.oid, r38.date), ("1.2.250.1.213.2.28", "2022-08-26T12:00:00+01:00"));
    }

    #[test]
    fn parse_codes() {
        assert_eq!(parse(&[PROFESSIONS_CODES], " 10 "), Ok("10"));
        assert_eq!(label(&[PROFESSIONS], "10"), "Médecin");
        assert_eq!(parse(&[PROFESSIONS_CODES], ""), Err(ErrorCode::Required));
        assert_eq!(parse(&[PROFESSIONS_CODES], "93"), Err(ErrorCode::UnknownCode));
        assert_eq!(parse(CIVILITE_CODES, "DR"), Ok("DR"));
        assert_eq!(label(CIVILITE_TABLES, "DR"), "Docteur");
        assert_eq!(label(CIVILITE_TABLES, "22"), "Madame");
        assert_eq!(parse(CIVILITE_CODES, "23"), Err(ErrorCode::UnknownCode), "Mademoiselle is retired");
        assert_eq!(label(PROFESSION_AUTRE_TABLES, "71"), "Ostéopathe");
        assert_eq!(parse(PROFESSION_AUTRE_CODES, "41"), Ok("41"));
        assert_eq!(label(PROFESSION_AUTRE_TABLES, "41"), "Assistant de service social");
        assert_eq!(parse(PROFESSION_AUTRE_CODES, "171"), Err(ErrorCode::UnknownCode));
        assert_eq!(parse(PROFESSION_AUTRE_CODES, "10"), Err(ErrorCode::UnknownCode), "a PS profession is not autre");
    }

    #[test]
    fn specialties_follow_the_profession() {
        let codes = |p| specialites_rpps(p).map(|c| c.code).collect::<Vec<_>>();
        assert_eq!(codes("10").len(), 72, "SM01–SM72");
        assert!(codes("10").iter().all(|c| c.starts_with("SM")));
        assert_eq!(codes("40"), ["SCD01", "SCD02", "SCD03"]);
        assert_eq!(codes("60"), ["SI01", "SI02", "SI03", "SI04", "SI05"]);
        assert!(codes("21").is_empty(), "the SP specialties are all retired");
        assert!(codes("50").is_empty() && codes(PROFESSION_AUTRE).is_empty());
        assert_eq!(parse_specialite_rpps("10", "SM26"), Ok("SM26"));
        assert_eq!(parse_specialite_rpps("40", "SM26"), Err(ErrorCode::SpecialtyOfOtherProfession));
        assert_eq!(parse_specialite_rpps("50", "SI01"), Err(ErrorCode::SpecialtyOfOtherProfession));
        assert_eq!(parse_specialite_rpps("10", "XX"), Err(ErrorCode::UnknownCode));
        assert_eq!(short_label(find(&[SPECIALITES_RPPS], "SCD02").unwrap()), "Chirurgie orale");
        assert_eq!(
            short_label(find(&[SPECIALITES_RPPS], "SI05").unwrap()),
            find(&[SPECIALITES_RPPS], "SI05").unwrap().label
        );
    }
}
