//! Accent folding and the lower-case ASCII slugs that identifiers and addresses are made of.

/// Folds one lower-case letter to ASCII (é → e, œ → oe, ß → ss); None for anything else non-ASCII.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Lower case for the Latin letters of names (ASCII, Latin-1, Latin Extended-A); other characters unchanged.
/// Written out rather than `char::to_lowercase`, whose Unicode table would add about 10 KB to the wasm.
pub fn lower(c: char) -> char {
    let u = c as u32;
    let shifted = match u {
        0x41..=0x5A | 0xC0..=0xD6 | 0xD8..=0xDE => u + 0x20,
        0x130 => 'i' as u32,
        0x178 => 0xFF,
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 if u % 2 == 0 => u + 1,
        0x139..=0x148 | 0x179..=0x17E if u % 2 == 1 => u + 1,
        _ => u,
    };
    char::from_u32(shifted).unwrap_or(c)
}

/// Lower case with accents folded to ASCII; characters with no ASCII form are kept as they are.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(lower) {
        match fold_char(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    out
}

/// The slug of a name: lower-case ASCII letters and single inner hyphens.
/// Spaces, apostrophes and hyphens become one hyphen; none at either edge.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in fold(name).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c.is_whitespace() || matches!(c, '-' | '\'' | '’' | '‘' | '`') {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        // Anything else (a letter with no ASCII form) is dropped.
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for (input, expected) in [
            ("Jean-Pierre", "jean-pierre"),
            ("D'Arc-de Saint Éxupéry", "d-arc-de-saint-exupery"),
            ("François", "francois"),
            ("Lætitia", "laetitia"),
            ("Cœur", "coeur"),
            ("  Anne   Marie  ", "anne-marie"),
            ("O’Connor", "o-connor"),
            ("ÉLODIE", "elodie"),
            ("Müller--Straße", "muller-strasse"),
            ("-Zoé-", "zoe"),
        ] {
            assert_eq!(slug(input), expected, "{input}");
        }
    }

    #[test]
    fn lower_case_of_latin_letters_matches_unicode() {
        let latin = ('\u{0}'..='\u{17F}').filter(|c| c.is_alphabetic());
        for c in latin {
            let expected: Vec<char> = c.to_lowercase().collect();
            if expected.len() == 1 {
                assert_eq!(lower(c), expected[0], "{c} U+{:04X}", c as u32);
            }
        }
        assert_eq!(lower('Œ'), 'œ');
        assert_eq!(lower('Ÿ'), 'ÿ');
        assert_eq!(lower('Σ'), 'Σ', "outside Latin: unchanged");
    }

    #[test]
    fn fold_keeps_non_letters() {
        assert_eq!(fold("Éric 2024!"), "eric 2024!");
    }
}
