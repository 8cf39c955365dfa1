//! The national directory of health professionals (RPPS), as its open-data extract publishes it
//! (`PS_LibreAcces_Personne_activite_<date>.txt`: UTF-8, `|`-separated, each line ending with `|`, one line per
//! activity), and the check of a request against it: help for the operator, never a decision.
use crate::slug::slug;

/// How the extract's header begins: a file that does not is not the extract.
pub const HEADER_START: &str = "Type d'identifiant PP|Identifiant PP|Identification nationale PP|";

/// The columns the check needs, by their header names (the extract's column order has changed over the years:
/// they are found by name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    TypeIdentifiant,
    Identifiant,
    IdentificationNationale,
    NomExercice,
    PrenomExercice,
    CodeProfession,
    LibelleProfession,
    CodeSavoirFaire,
    LibelleSavoirFaire,
    Commune,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::TypeIdentifiant,
        Column::Identifiant,
        Column::IdentificationNationale,
        Column::NomExercice,
        Column::PrenomExercice,
        Column::CodeProfession,
        Column::LibelleProfession,
        Column::CodeSavoirFaire,
        Column::LibelleSavoirFaire,
        Column::Commune,
    ];

    /// The column's name in the header.
    pub fn header(self) -> &'static str {
        match self {
            Column::TypeIdentifiant => "Type d'identifiant PP",
            Column::Identifiant => "Identifiant PP",
            Column::IdentificationNationale => "Identification nationale PP",
            Column::NomExercice => "Nom d'exercice",
            Column::PrenomExercice => "Prénom d'exercice",
            Column::CodeProfession => "Code profession",
            Column::LibelleProfession => "Libellé profession",
            Column::CodeSavoirFaire => "Code savoir-faire",
            Column::LibelleSavoirFaire => "Libellé savoir-faire",
            Column::Commune => "Libellé commune (coord. structure)",
        }
    }

    /// Whether a file without it is refused (the others are shown when present).
    fn required(self) -> bool {
        !matches!(self, Column::CodeSavoirFaire | Column::LibelleSavoirFaire | Column::Commune)
    }
}

/// Why a file is not read as the extract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    NotTheExtract,
    Missing(&'static str),
}

impl HeaderError {
    pub fn message(&self) -> String {
        match self {
            HeaderError::NotTheExtract => format!(
                "Ce fichier n'est pas l'extraction RPPS « PS_LibreAcces_Personne_activite » : sa première ligne doit \
                 commencer par « {HEADER_START} »."
            ),
            HeaderError::Missing(name) => {
                format!("La colonne « {name} » manque dans l'en-tête de l'extraction RPPS : fichier refusé.")
            }
        }
    }
}

/// Where each column is in this file's lines.
#[derive(Clone, Debug)]
pub struct Columns {
    /// For each field of a line up to the last one needed, the column it is (an index of `Column::ALL`).
    by_field: Vec<Option<usize>>,
}

/// One professional's line of the extract (borrowed from the line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// `8`: RPPS; `0`: ADELI.
    pub type_identifiant: &'a str,
    pub identifiant: &'a str,
    pub nom: &'a str,
    pub prenom: &'a str,
    /// TRE_G15 (10 médecin, 50 sage-femme…).
    pub code_profession: &'a str,
    pub libelle_profession: &'a str,
    pub savoir_faire: &'a str,
    pub commune: &'a str,
}

impl Columns {
    /// The columns of a header line (a leading byte-order mark and the line's end are ignored).
    pub fn of_header(line: &str) -> Result<Columns, HeaderError> {
        let line = line.trim_start_matches('\u{feff}').trim_end_matches(['\r', '\n']);
        if !line.starts_with(HEADER_START) {
            return Err(HeaderError::NotTheExtract);
        }
        let names: Vec<&str> = line.split('|').map(str::trim).collect();
        let mut at = [None; Column::ALL.len()];
        for (i, column) in Column::ALL.iter().enumerate() {
            at[i] = names.iter().position(|n| n.eq_ignore_ascii_case(column.header()));
            if at[i].is_none() && column.required() {
                return Err(HeaderError::Missing(column.header()));
            }
        }
        let last = at.iter().flatten().max().copied().unwrap_or(0);
        let by_field = (0..=last).map(|f| at.iter().position(|a| *a == Some(f))).collect();
        Ok(Columns { by_field })
    }

    /// A data line's entry; None for a line too short to hold the required columns.
    pub fn entry<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let mut values: [Option<&'a str>; Column::ALL.len()] = [None; Column::ALL.len()];
        let fields = line.trim_end_matches(['\r', '\n']).split('|');
        for (column, field) in self.by_field.iter().zip(fields) {
            if let Some(c) = column {
                values[*c] = Some(field.trim());
            }
        }
        let get = |c: Column| values[c as usize];
        Some(Entry {
            type_identifiant: get(Column::TypeIdentifiant)?,
            identifiant: get(Column::Identifiant)?,
            nom: get(Column::NomExercice)?,
            prenom: get(Column::PrenomExercice)?,
            code_profession: get(Column::CodeProfession)?,
            libelle_profession: get(Column::LibelleProfession)?,
            savoir_faire: get(Column::LibelleSavoirFaire).or(get(Column::CodeSavoirFaire)).unwrap_or(""),
            commune: get(Column::Commune).unwrap_or(""),
        })
    }
}

/// Two names the same once case, accents, hyphens, apostrophes and spaces are folded (`Jean-Pierre d'Arc` is
/// `JEAN PIERRE D ARC`).
pub fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (slug(a), slug(b));
    !a.is_empty() && a == b
}

/// How one answer of the request compares with the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Same,
    Different,
}

impl Comparison {
    fn of(same: bool) -> Comparison {
        if same { Comparison::Same } else { Comparison::Different }
    }

    pub fn label(self) -> &'static str {
        match self {
            Comparison::Same => "identique",
            Comparison::Different => "différent",
        }
    }
}

/// The request's surname, given name and profession against one line of the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    pub nom: Comparison,
    pub prenom: Comparison,
    pub profession: Comparison,
}

impl Check {
    pub fn of(
        nom: &str,
        prenom: &str,
        profession: &str,
        entry_nom: &str,
        entry_prenom: &str,
        entry_profession: &str,
    ) -> Check {
        Check {
            nom: Comparison::of(same_name(nom, entry_nom)),
            prenom: Comparison::of(same_name(prenom, entry_prenom)),
            profession: Comparison::of(profession == entry_profession),
        }
    }

    /// Every answer matches.
    pub fn all_same(&self) -> bool {
        [self.nom, self.prenom, self.profession].iter().all(|c| *c == Comparison::Same)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|\
        Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|\
        Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|\
        Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Libellé commune (coord. structure)|";

    #[test]
    fn the_header_is_checked_and_its_columns_found_by_name() {
        assert_eq!(Columns::of_header("nom|prenom|").unwrap_err(), HeaderError::NotTheExtract);
        let without = HEADER.replace("Nom d'exercice|", "");
        assert_eq!(Columns::of_header(&without).unwrap_err(), HeaderError::Missing("Nom d'exercice"));
        assert!(HeaderError::Missing("Nom d'exercice").message().contains("« Nom d'exercice » manque"));
        let columns = Columns::of_header(&format!("\u{feff}{HEADER}\r\n")).unwrap();
        let line = "8|10005173140|810005173140|DR|Docteur|M|Monsieur|MARTIN|PAUL|10|Médecin|C|Civil|S|Spécialité \
                    ordinale|SM54|Médecine générale|BORDEAUX|\r\n";
        let entry = columns.entry(line).unwrap();
        assert_eq!(
            (entry.type_identifiant, entry.identifiant, entry.nom, entry.prenom, entry.code_profession),
            ("8", "10005173140", "MARTIN", "PAUL", "10")
        );
        assert_eq!((entry.savoir_faire, entry.commune), ("Médecine générale", "BORDEAUX"));
        assert!(columns.entry("8|100|").is_none(), "a short line");
    }

    #[test]
    fn names_are_compared_folded() {
        assert!(same_name("Jean-Pierre", "JEAN PIERRE"));
        assert!(same_name("d'Arc de Saint-Exupéry", "D ARC DE SAINT EXUPERY"));
        assert!(same_name("Cécile", "CECILE"));
        assert!(!same_name("Cécile", "CELINE"));
        assert!(!same_name("", ""));
        let check = Check::of("Sage", "Cécile", "50", "SAGE", "CECILE", "60");
        assert_eq!(
            (check.nom, check.prenom, check.profession),
            (Comparison::Same, Comparison::Same, Comparison::Different)
        );
        assert!(!check.all_same());
    }
}
