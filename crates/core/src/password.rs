//! The password policy: the rules shown as a checklist, and the strength meter's verdict.
//!
//! The guessability score comes from zxcvbn (0–4), computed elsewhere (a Web Worker in the browser, a blocking
//! thread on the server) with the user's names and identifier as user inputs: this module only judges it.
use crate::{error::ErrorCode, slug::fold};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;
/// The lowest zxcvbn score accepted ("safely unguessable": about 10^8 guesses and more).
pub const MIN_SCORE: u8 = 3;
/// Personal words shorter than this are not looked for in the password.
const MIN_PERSONAL_CHARS: usize = 3;

/// One rule of the checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Length,
    Lowercase,
    Uppercase,
    Digit,
    NoPersonalData,
    Unguessable,
}

impl Rule {
    pub const ALL: [Rule; 6] =
        [Rule::Length, Rule::Lowercase, Rule::Uppercase, Rule::Digit, Rule::NoPersonalData, Rule::Unguessable];

    /// Its name in the meter's answers and pages.
    pub const fn key(self) -> &'static str {
        match self {
            Rule::Length => "longueur",
            Rule::Lowercase => "minuscule",
            Rule::Uppercase => "majuscule",
            Rule::Digit => "chiffre",
            Rule::NoPersonalData => "donnees_personnelles",
            Rule::Unguessable => "difficile_a_deviner",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Rule::Length => "Au moins 12 caractères",
            Rule::Lowercase => "Au moins une lettre minuscule",
            Rule::Uppercase => "Au moins une lettre majuscule",
            Rule::Digit => "Au moins un chiffre",
            Rule::NoPersonalData => "Ni votre nom, ni votre prénom, ni votre identifiant",
            Rule::Unguessable => "Difficile à deviner",
        }
    }

    const fn error(self) -> ErrorCode {
        match self {
            Rule::Length => ErrorCode::PasswordTooShort,
            Rule::Lowercase => ErrorCode::PasswordMissingLowercase,
            Rule::Uppercase => ErrorCode::PasswordMissingUppercase,
            Rule::Digit => ErrorCode::PasswordMissingDigit,
            Rule::NoPersonalData => ErrorCode::PasswordContainsPersonalData,
            Rule::Unguessable => ErrorCode::PasswordTooGuessable,
        }
    }
}

/// The words of a user that a password must not contain: each part of the names and the identifier, each once, in
/// that order (a handful of words: no sorting code in the wasm for them).
pub fn personal_words(prenom: &str, nom: &str, identifiant: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let parts = [prenom, nom]
        .into_iter()
        .flat_map(|n| fold(n).split(|c: char| !c.is_alphanumeric()).map(str::to_owned).collect::<Vec<_>>())
        .chain(std::iter::once(fold(identifiant)));
    for word in parts {
        if word.chars().count() >= MIN_PERSONAL_CHARS && !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// The state of every rule for a password. `score` is None while zxcvbn has not answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub rules: Vec<(Rule, Option<bool>)>,
    pub score: Option<u8>,
    pub symbol: bool,
}

impl Assessment {
    pub fn new(password: &str, personal: &[String], score: Option<u8>) -> Self {
        let folded = fold(password);
        let rules = Rule::ALL
            .iter()
            .map(|&rule| {
                let holds = match rule {
                    Rule::Length => Some(password.chars().count() >= MIN_CHARS),
                    Rule::Lowercase => Some(password.chars().any(char::is_lowercase)),
                    Rule::Uppercase => Some(password.chars().any(char::is_uppercase)),
                    Rule::Digit => Some(password.chars().any(|c| c.is_ascii_digit())),
                    Rule::NoPersonalData => Some(!personal.iter().any(|w| folded.contains(w.as_str()))),
                    Rule::Unguessable => score.map(|s| s >= MIN_SCORE),
                };
                (rule, holds)
            })
            .collect();
        let symbol = password.chars().any(|c| !c.is_alphanumeric());
        Assessment { rules, score, symbol }
    }

    pub fn holds(&self, rule: Rule) -> Option<bool> {
        self.rules.iter().find(|(r, _)| *r == rule).and_then(|(_, h)| *h)
    }

    /// Green only when every rule holds.
    pub fn satisfactory(&self) -> bool {
        self.rules.iter().all(|(_, h)| *h == Some(true))
    }

    /// The codes of the broken rules, the first one first; an unevaluated score is an error too.
    pub fn errors(&self) -> Vec<ErrorCode> {
        self.rules
            .iter()
            .filter_map(|(rule, holds)| match holds {
                Some(true) => None,
                Some(false) => Some(rule.error()),
                None => Some(ErrorCode::PasswordNotEvaluated),
            })
            .collect()
    }
}

/// Checks the password (not its confirmation) against the whole policy.
pub fn check(password: &str, personal: &[String], score: Option<u8>) -> Result<(), ErrorCode> {
    if password.is_empty() {
        return Err(ErrorCode::Required);
    }
    if password.chars().count() > MAX_CHARS {
        return Err(ErrorCode::PasswordTooLong);
    }
    Assessment::new(password, personal, score).errors().into_iter().next().map_or(Ok(()), Err)
}

/// What the strength meter says of a password (`empty`: none typed yet), read aloud and shown under its bar.
pub fn meter_text(empty: bool, assessment: &Assessment) -> String {
    if empty {
        return "Sécurité du mot de passe : saisissez un mot de passe".to_owned();
    }
    let verdict = if assessment.satisfactory() { "satisfaisante" } else { "insuffisante" };
    match assessment.score {
        Some(s) => format!("Sécurité du mot de passe : {verdict} ({})", score_label(s)),
        None => format!("Sécurité du mot de passe : {verdict} (évaluation en cours…)"),
    }
}

/// The meter's bar: 0 empty, then the zxcvbn score plus one.
pub fn meter_level(empty: bool, assessment: &Assessment) -> u8 {
    if empty { 0 } else { assessment.score.unwrap_or(0) + 1 }
}

/// The meter's text for a zxcvbn score.
pub const fn score_label(score: u8) -> &'static str {
    match score {
        0 => "Très faible",
        1 => "Faible",
        2 => "Moyen",
        3 => "Fort",
        _ => "Très fort",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Vec<String> {
        personal_words("Jean-Pierre", "D'Arc", "jean-pierre.d-arc")
    }

    #[test]
    fn personal_words_are_folded_parts() {
        assert_eq!(words(), ["jean", "pierre", "arc", "jean-pierre.d-arc"]);
        assert_eq!(personal_words("Anne", "Anne", "anne.anne"), ["anne", "anne.anne"]);
        assert_eq!(personal_words("Éloïse", "Lé", "eloise.le"), ["eloise", "eloise.le"]);
    }

    #[test]
    fn table() {
        use ErrorCode::*;
        for (password, score, expected) in [
            ("", Some(4), Err(Required)),
            ("Court1a", Some(4), Err(PasswordTooShort)),
            ("SANSMINUSCULE123", Some(4), Err(PasswordMissingLowercase)),
            ("sansmajuscule123", Some(4), Err(PasswordMissingUppercase)),
            ("SansChiffreDuTout", Some(4), Err(PasswordMissingDigit)),
            ("Pierre-Tournesol-1984", Some(4), Err(PasswordContainsPersonalData)),
            ("Tournesol-PÎERRE-1984", Some(4), Err(PasswordContainsPersonalData)),
            ("Motdepasse123", Some(1), Err(PasswordTooGuessable)),
            ("Motdepasse123", None, Err(PasswordNotEvaluated)),
            ("Correct-Cheval-Batterie-42", Some(4), Ok(())),
            ("Vol7-nuage-Orbite", Some(3), Ok(())),
        ] {
            assert_eq!(check(password, &words(), score), expected, "{password}");
        }
        assert_eq!(check(&"Aa1".repeat(43), &words(), Some(4)), Err(PasswordTooLong));
    }

    #[test]
    fn meter_is_green_only_when_every_rule_holds() {
        let a = Assessment::new("Correct-Cheval-Batterie-42", &words(), Some(4));
        assert!(a.satisfactory());
        assert!(a.symbol);
        let weak_score = Assessment::new("Correct-Cheval-Batterie-42", &words(), Some(2));
        assert!(!weak_score.satisfactory());
        assert_eq!(weak_score.holds(Rule::Unguessable), Some(false));
        let pending = Assessment::new("Correct-Cheval-Batterie-42", &words(), None);
        assert!(!pending.satisfactory());
        assert_eq!(pending.holds(Rule::Unguessable), None);
        let strong_but_short = Assessment::new("Zq8!x", &words(), Some(4));
        assert!(!strong_but_short.satisfactory());
    }
}
