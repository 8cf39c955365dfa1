//! How guessable a password is, with the user's own words as user inputs: zxcvbn's estimate, written here without
//! regular expressions (its matchers in [`matching`], its estimates and search in [`scoring`]) and scored as the
//! `zxcvbn` crate 3.1.1 scores (`tests/zxcvbn.rs` compares the two on a large generated set).
//!
//! Its word lists weigh about 296 KB in wasm, packed by [`packing`]: the browser runs [`estimate`] in a Web Worker
//! ([`worker`], built as its own wasm by trunk) so that it never weighs on the wizard's first paint.
//! The server calls [`estimate`] directly.
use std::collections::HashMap;

mod dictionary;
mod keyboards;

#[cfg(not(target_arch = "wasm32"))]
pub use dictionary::LISTS as WORD_LISTS;
mod matching;
mod packing;
mod scoring;

/// zxcvbn looks at the first 100 characters only; longer inputs cost time for nothing.
const MAX_ESTIMATED_CHARS: usize = 100;

/// A request to rate a password. `seq` lets the caller drop answers that are not the latest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrengthRequest {
    pub seq: u64,
    pub password: String,
    pub user_inputs: Vec<String>,
}

/// The zxcvbn score (0–4) of the request numbered `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrengthReply {
    pub seq: u64,
    pub score: u8,
}

/// The zxcvbn score, 0 to 4, of `password`, counting `user_inputs` (names, identifier) as known words.
pub fn estimate(password: &str, user_inputs: &[String]) -> u8 {
    if password.is_empty() {
        return 0;
    }
    let end = password.char_indices().nth(MAX_ESTIMATED_CHARS).map_or(password.len(), |(i, _)| i);
    let mut inputs = HashMap::with_capacity(user_inputs.len());
    for (rank, input) in (1..).zip(user_inputs) {
        inputs.insert(input.to_lowercase(), rank);
    }
    scoring::score(matching::guesses(&password[..end], &inputs, this_year()))
}

/// This year, which dates and years are counted from.
#[cfg(target_arch = "wasm32")]
fn this_year() -> i64 {
    i64::from(js_sys::Date::new_0().get_full_year())
}

/// This year (UTC), which dates and years are counted from.
#[cfg(not(target_arch = "wasm32"))]
fn this_year() -> i64 {
    let days = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    year_of_day(days as i64)
}

/// The Gregorian year of a day counted from 1970-01-01 (the civil calendar's 400-year cycles of 146,097 days,
/// counted from 0000-03-01 so that a leap day ends its year).
#[cfg(not(target_arch = "wasm32"))]
fn year_of_day(days: i64) -> i64 {
    let from_march_0000 = days + 719_468;
    let era = from_march_0000.div_euclid(146_097);
    let day_of_era = from_march_0000 - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Days 306 and after (January and February) belong to the next calendar year.
    era * 400 + year_of_era + i64::from(day_of_year >= 306)
}

/// The word lists as `build.rs` packs them for the wasm build: for the tests that look for them in the built files.
#[cfg(not(target_arch = "wasm32"))]
pub fn packed_word_lists() -> Vec<u8> {
    packing::pack(&WORD_LISTS)
}

/// Unpacks and indexes the word lists now rather than at the first estimate: the worker does it before saying it
/// is ready.
pub fn prepare() {
    dictionary::ranked();
}

/// Answers a request.
pub fn answer(request: &StrengthRequest) -> StrengthReply {
    StrengthReply { seq: request.seq, score: estimate(&request.password, &request.user_inputs) }
}

#[cfg(feature = "worker")]
pub mod worker;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_guessability() {
        let none: Vec<String> = vec![];
        assert_eq!(estimate("", &none), 0);
        assert!(estimate("password123", &none) <= 1);
        assert!(estimate("Correct-Cheval-Batterie-42", &none) >= 3);
    }

    #[test]
    fn user_inputs_lower_the_score() {
        let pw = "Aquitaine2024";
        let inputs = vec!["aquitaine".to_owned()];
        assert!(estimate(pw, &inputs) <= estimate(pw, &[]));
        assert!(estimate("cecile.sage", &["cecile.sage".to_owned()]) == 0);
    }

    #[test]
    fn days_fall_in_their_year() {
        let days = [
            (0, 1970),
            (364, 1970),
            (365, 1971),
            (10_957, 2000),
            (11_016, 2000),
            (11_381, 2001),
            (20_818, 2026),
            (20_819, 2027),
        ];
        for (day, year) in days {
            assert_eq!(year_of_day(day), year, "day {day}");
        }
    }

    #[test]
    fn an_attacker_s_worst_password_is_rated_in_bounded_time() {
        // Every l33t character, many times: the most readings of the password as words (about 80 ms natively;
        // zxcvbn 3.1.1 takes 800). The server rates what anyone posts.
        let worst = "4@8({[<369!|1|7$5+7%2".repeat(5);
        let started = std::time::Instant::now();
        assert_eq!(estimate(&worst, &[]), 4);
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    }

    #[test]
    fn long_passwords_are_cut_at_100_characters() {
        let long = "é".repeat(300);
        assert_eq!(estimate(&long, &[]), estimate(&"é".repeat(100), &[]));
        let reply = answer(&StrengthRequest { seq: 7, password: "x".into(), user_inputs: vec![] });
        assert_eq!(reply.seq, 7);
    }
}
