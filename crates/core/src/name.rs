//! A person's name as typed: letters (accents included), spaces, hyphens, apostrophes.
use crate::error::ErrorCode;
use serde::Serialize;

/// Longest accepted surname or given name, in characters.
pub const MAX_NAME_CHARS: usize = 50;

/// A trimmed name with single inner spaces and straight apostrophes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, ErrorCode> {
        let normalized = input.split_whitespace().collect::<Vec<_>>().join(" ").replace(['’', '‘'], "'");
        if normalized.is_empty() {
            return Err(ErrorCode::Required);
        }
        if normalized.chars().count() > MAX_NAME_CHARS {
            return Err(ErrorCode::TooLong);
        }
        let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'');
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
