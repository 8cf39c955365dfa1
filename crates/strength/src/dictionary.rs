//! The ranked words (`data/`): a word's rank in its list is how many guesses it takes an attacker who tries the
//! list in order.
use std::collections::HashMap;
use std::sync::OnceLock;

/// The six ranked lists, one word a line, most common first: passwords, English Wikipedia, female names, male
/// names, surnames, US television and film (`build.rs` names their files).
#[cfg(not(target_arch = "wasm32"))]
pub const LISTS: [&str; 6] = include!(concat!(env!("OUT_DIR"), "/lists.rs"));

#[cfg(not(target_arch = "wasm32"))]
fn lists() -> Vec<&'static str> {
    LISTS.to_vec()
}

/// In the browser the lists come packed (`build.rs`, `crate::packing`): unpacked once, kept for the worker's life.
#[cfg(target_arch = "wasm32")]
fn lists() -> Vec<&'static str> {
    let packed = include_bytes!(concat!(env!("OUT_DIR"), "/lists.packed"));
    let lists = crate::packing::unpack(packed).expect("the word lists that build.rs packed");
    lists.into_iter().map(|list| &*Box::leak(list.into_boxed_str())).collect()
}

/// Every word of the lists with its best rank, and the longest word's length in characters.
pub(crate) struct Ranked {
    words: HashMap<&'static str, u64>,
    pub longest: usize,
}

impl Ranked {
    pub fn rank(&self, word: &str) -> Option<u64> {
        self.words.get(word).copied()
    }
}

pub(crate) fn ranked() -> &'static Ranked {
    static RANKED: OnceLock<Ranked> = OnceLock::new();
    RANKED.get_or_init(|| {
        let lists = lists();
        let mut words = HashMap::with_capacity(lists.iter().map(|l| l.len() / 8).sum());
        let mut longest = 0;
        for list in lists {
            for (rank, word) in (1..).zip(list.lines()) {
                let best = words.entry(word).or_insert(rank);
                *best = (*best).min(rank);
                longest = longest.max(word.chars().count());
            }
        }
        Ranked { words, longest }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_have_their_rank() {
        let ranked = super::ranked();
        assert_eq!(ranked.rank("123456"), Some(1));
        assert_eq!(ranked.rank("password"), Some(2));
        assert_eq!(ranked.rank("pic's"), Some(6523));
        assert_eq!(ranked.rank("the"), Some(1), "first of the English list");
        assert_eq!(ranked.rank("zzzzqqqq"), None);
        assert_eq!(ranked.longest, 23);
        assert_eq!(super::LISTS.iter().map(|l| l.lines().count()).sum::<usize>(), 93_855);
    }
}
