//! The communes of a postal code, read from the files that scripts/communes writes (public/communes/NN.txt,
//! from @etalab/decoupage-administratif): one line per postal code and commune, `code_postal;departement;nom`.
use crate::{
    postal::{DEPARTEMENTS, Departement, PostalCode},
    slug::fold,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commune {
    pub nom: String,
    pub departement: &'static Departement,
}

/// The file that holds the communes of a postal code: its first two digits (`33` for 33000, `97` for 97400).
pub fn file_of(code: &PostalCode) -> &str {
    &code.as_str()[..2]
}

/// The communes of `code` in a file's `text`, in the file's order. Malformed lines and unknown départements
/// are skipped, so a damaged file gives fewer communes, never a failure.
pub fn communes_of(text: &str, code: &PostalCode) -> Vec<Commune> {
    text.lines()
        .filter_map(|line| {
            let mut cols = line.splitn(3, ';');
            let (postal, departement, nom) = (cols.next()?, cols.next()?, cols.next()?);
            (postal == code.as_str() && !nom.trim().is_empty()).then_some(())?;
            let departement = DEPARTEMENTS.iter().find(|d| d.code == departement)?;
            Some(Commune { nom: nom.trim().to_owned(), departement })
        })
        .collect()
}

/// The commune of the list that `ville` names, accents, case and spacing aside.
pub fn find<'a>(communes: &'a [Commune], ville: &str) -> Option<&'a Commune> {
    let key = |s: &str| fold(&s.split_whitespace().collect::<Vec<_>>().join(" "));
    let ville = key(ville);
    communes.iter().find(|c| key(&c.nom) == ville)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{fs, path::Path};

    fn code(s: &str) -> PostalCode {
        PostalCode::parse(s).unwrap()
    }

    /// The files as the wizard fetches them (public/communes, committed).
    fn lookup(postal: &str) -> Vec<(String, &'static str)> {
        let code = code(postal);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../public/communes/{}.txt", file_of(&code)));
        let text = fs::read_to_string(&path).unwrap_or_default();
        communes_of(&text, &code).into_iter().map(|c| (c.nom, c.departement.code)).collect()
    }

    #[test]
    fn postal_codes_of_the_national_data() {
        assert_eq!(lookup("33000"), [("Bordeaux".to_owned(), "33")], "one commune");
        let several = lookup("01400");
        assert_eq!(several.len(), 10, "{several:?}");
        assert!(several.iter().any(|(n, d)| n == "Châtillon-sur-Chalaronne" && *d == "01"));
        assert_eq!(lookup("20000"), [("Ajaccio".to_owned(), "2A")], "Corse-du-Sud");
        assert!(lookup("20200").iter().any(|(n, d)| n == "Bastia" && *d == "2B"), "Haute-Corse");
        assert_eq!(lookup("97400"), [("Saint-Denis".to_owned(), "974")], "La Réunion");
        assert!(lookup("97200").iter().any(|(n, d)| n == "Fort-de-France" && *d == "972"));
        assert_eq!(lookup("75008"), [("Paris".to_owned(), "75")]);
        // A postal code of a commune in a neighbouring département: the commune's département wins.
        assert!(lookup("05110").iter().any(|(_, d)| *d == "04"));
        assert!(lookup("33999").is_empty(), "an unknown code: no commune, no failure");
    }

    #[test]
    fn every_file_is_well_formed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../public/communes");
        let mut lines = 0;
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let prefix = path.file_stem().unwrap().to_str().unwrap().to_owned();
            for line in fs::read_to_string(&path).unwrap().lines() {
                let cols: Vec<&str> = line.split(';').collect();
                assert_eq!(cols.len(), 3, "{line}");
                assert!(cols[0].len() == 5 && cols[0].starts_with(&prefix), "{line} in {prefix}.txt");
                lines += 1;
            }
        }
        assert!(lines > 35_000, "{lines} lines");
    }

    #[test]
    fn parsing_is_lenient_and_finding_folds() {
        let text = "33000;33;Bordeaux\nbroken line\n33000;XX;Nowhere\n33100;33;Other\n33000;33;  \n";
        let communes = communes_of(text, &code("33000"));
        assert_eq!(communes.len(), 1);
        assert_eq!(communes[0].departement.name, "Gironde");
        assert_eq!(find(&communes, "  BORDEAUX ").map(|c| c.nom.as_str()), Some("Bordeaux"));
        let c = communes_of("01400;01;Châtillon-sur-Chalaronne\n", &code("01400"));
        assert!(find(&c, "chatillon-sur-chalaronne").is_some());
        assert!(find(&c, "Châtillon").is_none());
        assert!(communes_of("", &code("33000")).is_empty());
    }
}
