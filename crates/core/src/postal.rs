//! Postal codes and the département they belong to.
use crate::error::ErrorCode;
use serde::Serialize;

/// How many digits a postal code has.
pub const DIGITS: usize = 5;

/// A French postal code: 5 digits, in a known département.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(input: &str) -> Result<Self, ErrorCode> {
        let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if code.is_empty() {
            return Err(ErrorCode::Required);
        }
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ErrorCode::InvalidFormat);
        }
        let code = PostalCode(code);
        code.departement_code().ok_or(ErrorCode::UnknownPostalCode)?;
        Ok(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code of the département: the first two digits, three overseas (97x, 98x); Corsica 2A below 20200, 2B
    /// from it. The rules need the code only (the names stay with the screens that show them, in the split wasm).
    pub fn departement_code(&self) -> Option<&'static str> {
        let code = &self.0;
        let key = match &code[..2] {
            "20" if code.as_str() < "20200" => "2A",
            "20" => "2B",
            "97" | "98" => &code[..3],
            two => two,
        };
        DEPARTEMENT_CODES.iter().find(|c| **c == key).copied()
    }

    /// The département, with its name.
    pub fn departement(&self) -> Option<&'static Departement> {
        let code = self.departement_code()?;
        DEPARTEMENTS.iter().find(|d| d.code == code)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Departement {
    pub code: &'static str,
    pub name: &'static str,
}

impl std::fmt::Display for Departement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} - {}", self.code, self.name)
    }
}

macro_rules! departements {
    ($($code:literal $name:literal,)*) => {
        /// The départements and overseas collectivities (INSEE codes).
        pub static DEPARTEMENTS: &[Departement] = &[$(Departement { code: $code, name: $name },)*];
        /// Their codes alone.
        pub static DEPARTEMENT_CODES: &[&str] = &[$($code,)*];
    };
}

departements! {
    "01" "Ain", "02" "Aisne", "03" "Allier", "04" "Alpes-de-Haute-Provence", "05" "Hautes-Alpes",
    "06" "Alpes-Maritimes", "07" "Ardèche", "08" "Ardennes", "09" "Ariège", "10" "Aube", "11" "Aude",
    "12" "Aveyron", "13" "Bouches-du-Rhône", "14" "Calvados", "15" "Cantal", "16" "Charente",
    "17" "Charente-Maritime", "18" "Cher", "19" "Corrèze", "2A" "Corse-du-Sud", "2B" "Haute-Corse",
    "21" "Côte-d'Or", "22" "Côtes-d'Armor", "23" "Creuse", "24" "Dordogne", "25" "Doubs", "26" "Drôme",
    "27" "Eure", "28" "Eure-et-Loir", "29" "Finistère", "30" "Gard", "31" "Haute-Garonne", "32" "Gers",
    "33" "Gironde", "34" "Hérault", "35" "Ille-et-Vilaine", "36" "Indre", "37" "Indre-et-Loire", "38" "Isère",
    "39" "Jura", "40" "Landes", "41" "Loir-et-Cher", "42" "Loire", "43" "Haute-Loire", "44" "Loire-Atlantique",
    "45" "Loiret", "46" "Lot", "47" "Lot-et-Garonne", "48" "Lozère", "49" "Maine-et-Loire", "50" "Manche",
    "51" "Marne", "52" "Haute-Marne", "53" "Mayenne", "54" "Meurthe-et-Moselle", "55" "Meuse", "56" "Morbihan",
    "57" "Moselle", "58" "Nièvre", "59" "Nord", "60" "Oise", "61" "Orne", "62" "Pas-de-Calais",
    "63" "Puy-de-Dôme", "64" "Pyrénées-Atlantiques", "65" "Hautes-Pyrénées", "66" "Pyrénées-Orientales",
    "67" "Bas-Rhin", "68" "Haut-Rhin", "69" "Rhône", "70" "Haute-Saône", "71" "Saône-et-Loire", "72" "Sarthe",
    "73" "Savoie", "74" "Haute-Savoie", "75" "Paris", "76" "Seine-Maritime", "77" "Seine-et-Marne",
    "78" "Yvelines", "79" "Deux-Sèvres", "80" "Somme", "81" "Tarn", "82" "Tarn-et-Garonne", "83" "Var",
    "84" "Vaucluse", "85" "Vendée", "86" "Vienne", "87" "Haute-Vienne", "88" "Vosges", "89" "Yonne",
    "90" "Territoire de Belfort", "91" "Essonne", "92" "Hauts-de-Seine", "93" "Seine-Saint-Denis",
    "94" "Val-de-Marne", "95" "Val-d'Oise", "971" "Guadeloupe", "972" "Martinique", "973" "Guyane",
    "974" "La Réunion", "975" "Saint-Pierre-et-Miquelon", "976" "Mayotte", "977" "Saint-Barthélemy",
    "978" "Saint-Martin", "986" "Wallis-et-Futuna", "987" "Polynésie française", "988" "Nouvelle-Calédonie",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (input, expected) in [
            ("33000", Ok("33")),
            (" 33 000 ", Ok("33")),
            ("01000", Ok("01")),
            ("20000", Ok("2A")),
            ("20167", Ok("2A")),
            ("20200", Ok("2B")),
            ("20600", Ok("2B")),
            ("97400", Ok("974")),
            ("97150", Ok("971")),
            ("98800", Ok("988")),
            ("", Err(ErrorCode::Required)),
            ("3300", Err(ErrorCode::InvalidFormat)),
            ("33A00", Err(ErrorCode::InvalidFormat)),
            ("00100", Err(ErrorCode::UnknownPostalCode)),
            ("96000", Err(ErrorCode::UnknownPostalCode)),
            ("98000", Err(ErrorCode::UnknownPostalCode)),
        ] {
            let got = PostalCode::parse(input).map(|p| p.departement().unwrap().code);
            assert_eq!(got, expected, "{input:?}");
        }
        assert_eq!(DEPARTEMENTS.len(), 96 + 11);
        assert_eq!(PostalCode::parse("64000").unwrap().departement().unwrap().to_string(), "64 - Pyrénées-Atlantiques");
    }
}
