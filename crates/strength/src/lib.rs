//! How guessable a password is, by zxcvbn, with the user's own words as user inputs.
//!
//! zxcvbn and its dictionaries weigh about 440 KB (brotli) in wasm: the browser runs [`estimate`] in a Web Worker
//! ([`StrengthWorker`], built as its own wasm by trunk) so that it never weighs on the wizard's first paint.
//! The server calls [`estimate`] directly.
use serde::{Deserialize, Serialize};

/// zxcvbn looks at the first 100 characters only; longer inputs cost time for nothing.
const MAX_ESTIMATED_CHARS: usize = 100;

/// A request to rate a password. `seq` lets the caller drop answers that are not the latest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrengthRequest {
    pub seq: u64,
    pub password: String,
    pub user_inputs: Vec<String>,
}

/// The zxcvbn score (0–4) of the request numbered `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    let inputs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
    u8::from(zxcvbn::zxcvbn(&password[..end], &inputs).score())
}

/// Answers a request.
pub fn answer(request: &StrengthRequest) -> StrengthReply {
    StrengthReply { seq: request.seq, score: estimate(&request.password, &request.user_inputs) }
}

#[cfg(feature = "worker")]
mod worker {
    use super::{StrengthReply, StrengthRequest, answer};
    use gloo_worker::{HandlerId, Worker, WorkerScope};

    /// The Web Worker that rates passwords off the main thread.
    pub struct StrengthWorker;

    impl Worker for StrengthWorker {
        type Message = ();
        type Input = StrengthRequest;
        type Output = StrengthReply;

        fn create(_scope: &WorkerScope<Self>) -> Self {
            StrengthWorker
        }

        fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

        fn received(&mut self, scope: &WorkerScope<Self>, request: StrengthRequest, id: HandlerId) {
            scope.respond(id, answer(&request));
        }
    }
}

#[cfg(feature = "worker")]
pub use worker::StrengthWorker;

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
    fn long_passwords_are_cut_at_100_characters() {
        let long = "é".repeat(300);
        assert_eq!(estimate(&long, &[]), estimate(&"é".repeat(100), &[]));
        let reply = answer(&StrengthRequest { seq: 7, password: "x".into(), user_inputs: vec![] });
        assert_eq!(reply.seq, 7);
    }
}
