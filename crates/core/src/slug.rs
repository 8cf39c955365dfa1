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
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ǎ' => "a",
        'ĉ' => "c",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ǐ' | 'ĩ' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ļ' | 'ŀ' => "l",
        'ņ' | 'ǹ' => "n",
        'ǒ' | 'ơ' => "o",
        'ŗ' => "r",
        'ŝ' => "s",
        'ǔ' | 'ũ' | 'ư' => "u",
        'ȩ' => "e",
        'ŵ' => "w",
        _ => return extended_additional(c),
    })
}

/// Latin Extended Additional (Vietnamese and others: ễ, ạ, ṣ…): the base letter of each run of the block.
fn extended_additional(c: char) -> Option<&'static str> {
    const RUNS: [(u32, u32, &str); 34] = [
        (0x1E00, 0x1E01, "a"),
        (0x1E02, 0x1E07, "b"),
        (0x1E08, 0x1E09, "c"),
        (0x1E0A, 0x1E13, "d"),
        (0x1E14, 0x1E1D, "e"),
        (0x1E1E, 0x1E1F, "f"),
        (0x1E20, 0x1E21, "g"),
        (0x1E22, 0x1E2B, "h"),
        (0x1E2C, 0x1E2F, "i"),
        (0x1E30, 0x1E35, "k"),
        (0x1E36, 0x1E3D, "l"),
        (0x1E3E, 0x1E43, "m"),
        (0x1E44, 0x1E4B, "n"),
        (0x1E4C, 0x1E53, "o"),
        (0x1E54, 0x1E57, "p"),
        (0x1E58, 0x1E5F, "r"),
        (0x1E60, 0x1E69, "s"),
        (0x1E6A, 0x1E71, "t"),
        (0x1E72, 0x1E7B, "u"),
        (0x1E7C, 0x1E7F, "v"),
        (0x1E80, 0x1E89, "w"),
        (0x1E8A, 0x1E8D, "x"),
        (0x1E8E, 0x1E8F, "y"),
        (0x1E90, 0x1E95, "z"),
        (0x1E96, 0x1E96, "h"),
        (0x1E97, 0x1E97, "t"),
        (0x1E98, 0x1E98, "w"),
        (0x1E99, 0x1E99, "y"),
        (0x1EA0, 0x1EB7, "a"),
        (0x1EB8, 0x1EC7, "e"),
        (0x1EC8, 0x1ECB, "i"),
        (0x1ECC, 0x1EE3, "o"),
        (0x1EE4, 0x1EF1, "u"),
        (0x1EF2, 0x1EF9, "y"),
    ];
    let u = c as u32;
    RUNS.iter().find(|(from, to, _)| (*from..=*to).contains(&u)).map(|(_, _, base)| *base)
}

/// Lower case for the Latin letters of names (ASCII, Latin-1, Latin Extended-A); other characters unchanged.
/// Written out rather than `char::to_lowercase`, whose Unicode table would add about 10 KB to the wasm.
pub fn lower(c: char) -> char {
    let u = c as u32;
    let shifted = match u {
        0x41..=0x5A | 0xC0..=0xD6 | 0xD8..=0xDE => u + 0x20,
        0x130 => 'i' as u32,
        0x178 => 0xFF,
        0x100..=0x12F
        | 0x132..=0x137
        | 0x14A..=0x177
        | 0x200..=0x21F
        | 0x222..=0x233
        | 0x1E00..=0x1E95
        | 0x1EA0..=0x1EFF
            if u.is_multiple_of(2) =>
        {
            u + 1
        }
        0x1A0 | 0x1AF => u + 1,
        0x1CD..=0x1DC if u % 2 == 1 => u + 1,
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
        } else if (c.is_whitespace() || matches!(c, '-' | '\'' | '’' | '‘' | '`'))
            && !out.is_empty()
            && !out.ends_with('-')
        {
            out.push('-');
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
            ("Nguyễn", "nguyen"),
            ("NGUYỄN Đặng", "nguyen-dang"),
            ("Ștefan Țurcanu", "stefan-turcanu"),
            ("Ǎlvaro Ơn Ưng", "alvaro-on-ung"),
        ] {
            assert_eq!(slug(input), expected, "{input}");
        }
    }

    #[test]
    fn lower_case_of_latin_letters_matches_unicode() {
        let extended = ['\u{1A0}', '\u{1AF}'].into_iter().chain('\u{1CD}'..='\u{1DC}').chain('\u{200}'..='\u{21F}');
        let additional = ('\u{1E00}'..='\u{1E95}').chain('\u{1EA0}'..='\u{1EFF}');
        let latin = ('\u{0}'..='\u{17F}').chain(extended).chain(additional).filter(|c| c.is_alphabetic());
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
