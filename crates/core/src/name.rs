//! A person's name as typed: letters (accents included), spaces, hyphens, apostrophes.
use crate::error::ErrorCode;
use serde::Serialize;

/// Longest accepted surname or given name, in characters.
pub const MAX_NAME_CHARS: usize = 50;

/// For each combining accent, the pairs (base letter, precomposed letter) of the Latin letters it composes.
const COMPOSITIONS: [(char, &str); 8] = [
    ('\u{0300}', "AÀaàEÈeèIÌiìNǸnǹOÒoòUÙuù"),                             // grave
    ('\u{0301}', "AÁaáCĆcćEÉeéIÍiíLĹlĺNŃnńOÓoóRŔrŕSŚsśUÚuúYÝyýZŹzź"),     // acute
    ('\u{0302}', "AÂaâCĈcĉEÊeêIÎiîOÔoôSŜsŝUÛuûYŶyŷ"),                     // circumflex
    ('\u{0303}', "AÃaãIĨiĩNÑnñOÕoõUŨuũ"),                                 // tilde
    ('\u{0308}', "AÄaäEËeëIÏiïOÖoöUÜuüYŸyÿ"),                             // diaeresis
    ('\u{0327}', "CÇcçEȨeȩLĻlļNŅnņRŖrŗSŞsşTŢtţ"),                         // cedilla
    ('\u{030a}', "AÅaåUŮuů"),                                             // ring above
    ('\u{030c}', "AǍaǎCČcčDĎdďEĚeěIǏiǐLĽlľNŇnňOǑoǒRŘrřSŠsšTŤtťUǓuǔZŽzž"), // caron
];

/// Canonical composition (NFC) of the accented Latin letters of names: a letter followed by a combining accent, as
/// decomposed text gives it (copy-paste, some keyboards and systems), becomes the one precomposed letter, so that
/// "Ce\u{301}cile" is "Cécile". A table of the letters names use rather than Unicode's whole: the wasm stays small.
pub fn compose(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        let composed = COMPOSITIONS.iter().find(|(mark, _)| *mark == c).and_then(|(_, pairs)| {
            let base = out.chars().last()?;
            let mut letters = pairs.chars();
            std::iter::from_fn(|| Some((letters.next()?, letters.next()?))).find(|(b, _)| *b == base).map(|(_, p)| p)
        });
        match composed {
            Some(letter) => {
                out.pop();
                out.push(letter);
            }
            None => out.push(c),
        }
    }
    out
}

/// A letter of the Latin script (ASCII, Latin-1, Latin Extended-A and -B, Latin Extended Additional): names are
/// written in it, as in the national directory.
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF) && c != '×' && c != '÷')
}

/// A trimmed name with single inner spaces and straight apostrophes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, ErrorCode> {
        let composed = compose(input);
        let normalized = composed.split_whitespace().collect::<Vec<_>>().join(" ").replace(['’', '‘'], "'");
        if normalized.is_empty() {
            return Err(ErrorCode::Required);
        }
        if normalized.chars().count() > MAX_NAME_CHARS {
            return Err(ErrorCode::TooLong);
        }
        // A letter of another script (Greek, Cyrillic, an invisible Hangul filler…), alone or among Latin ones.
        if normalized.chars().any(|c| c.is_alphabetic() && !is_latin_letter(c)) {
            return Err(ErrorCode::NotLatin);
        }
        let allowed = |c: char| is_latin_letter(c) || matches!(c, ' ' | '-' | '\'');
        let starts_with_letter = normalized.chars().next().is_some_and(char::is_alphabetic);
        let ends_with_letter = normalized.chars().last().is_some_and(char::is_alphabetic);
        let doubled = ["--", "''", "-'", "'-", " -", "- ", " '", "' "].iter().any(|p| normalized.contains(p));
        if !normalized.chars().all(allowed) || !starts_with_letter || !ends_with_letter || doubled {
            return Err(ErrorCode::InvalidCharacters);
        }
        Ok(PersonName(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PersonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (input, expected) in [
            ("  Éloïse ", Ok("Éloïse")),
            ("Jean-Pierre", Ok("Jean-Pierre")),
            ("D’Arc-de  Saint Éxupéry", Ok("D'Arc-de Saint Éxupéry")),
            ("N'Diaye", Ok("N'Diaye")),
            ("Lætitia", Ok("Lætitia")),
            ("", Err(ErrorCode::Required)),
            ("   ", Err(ErrorCode::Required)),
            ("Jean2", Err(ErrorCode::InvalidCharacters)),
            ("Dupont.", Err(ErrorCode::InvalidCharacters)),
            ("-Dupont", Err(ErrorCode::InvalidCharacters)),
            ("Dupont-", Err(ErrorCode::InvalidCharacters)),
            ("Du--pont", Err(ErrorCode::InvalidCharacters)),
            ("Jean - Pierre", Err(ErrorCode::InvalidCharacters)),
            ("<script>", Err(ErrorCode::InvalidCharacters)),
            // Decomposed accents (e + U+0301) are the precomposed letter.
            ("Ce\u{301}cile", Ok("Cécile")),
            ("Franc\u{327}oise Lefe\u{300}vre", Ok("Françoise Lefèvre")),
            ("Nguyễn", Ok("Nguyễn")),
            // Other scripts, lookalikes and fillers.
            ("Σοφία", Err(ErrorCode::NotLatin)),
            ("J\u{435}an", Err(ErrorCode::NotLatin)),
            ("\u{3164}", Err(ErrorCode::NotLatin)),
            ("Ana\u{200b}", Err(ErrorCode::InvalidCharacters)),
            ("e\u{301}\u{301}", Err(ErrorCode::InvalidCharacters)),
        ] {
            assert_eq!(
                PersonName::parse(input).as_ref().map(PersonName::as_str).map_err(|e| *e),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(PersonName::parse(&"a".repeat(51)), Err(ErrorCode::TooLong));
        assert!(PersonName::parse(&"é".repeat(50)).is_ok());
    }
}
