//! How many guesses each pattern takes, and the fewest a whole password takes: zxcvbn's estimates and its search
//! for the most guessable sequence of patterns. Every product saturates or wraps as zxcvbn 3.1.1's native build
//! does, so that the browser and the server give the same score to the same password.
use crate::matching::Match;
use std::cmp::{max, min};

const MIN_YEAR_SPACE: i64 = 20;
const BRUTEFORCE_CARDINALITY: u64 = 10;
const MIN_GUESSES_BEFORE_GROWING_SEQUENCE: u64 = 10_000;
const MIN_SUBMATCH_GUESSES_SINGLE_CHAR: u64 = 10;
const MIN_SUBMATCH_GUESSES_MULTI_CHAR: u64 = 50;

/// The number of ways to choose `k` of `n`, saturating.
pub(crate) fn n_ck(n: usize, k: usize) -> u64 {
    if k > n {
        return 0;
    }
    let (mut r, mut n) = (1u64, n as u64);
    for d in 1..=k as u64 {
        r = r.saturating_mul(n) / d;
        n -= 1;
    }
    r
}

/// The sum of `n_ck(n, i)` for `i` in `1..=k`: the variants with up to `k` of `n` characters changed.
fn variants(n: usize, k: usize) -> u64 {
    (1..=k).fold(0, |sum, i| sum.wrapping_add(n_ck(n, i)))
}

/// A word's capitalisations: all lower 1, a capital first or last letter or all capitals 2, otherwise every way
/// of placing the token's capitals (or its lower-case letters, whichever are fewer).
pub(crate) fn uppercase_variations(token: &str) -> u64 {
    if token.chars().all(char::is_lowercase) || token.to_lowercase() == token {
        return 1;
    }
    let upper = token.chars().filter(|c| c.is_uppercase()).count();
    let (first, last) = (token.chars().next(), token.chars().last());
    if (first.is_some_and(char::is_uppercase) || last.is_some_and(char::is_uppercase)) && upper == 1
        || token.chars().all(char::is_uppercase)
    {
        return 2;
    }
    let lower = token.chars().filter(|c| c.is_lowercase()).count();
    variants(upper + lower, min(upper, lower))
}

/// A word's l33t spellings: for each substitution used (`(l33t, letter)`), double when every such letter is
/// substituted (or none), otherwise every way of substituting some of them.
pub(crate) fn l33t_variations(subs: &[(char, char)], token: &str) -> u64 {
    let token = token.to_lowercase();
    subs.iter().fold(1u64, |product, &(l33t, letter)| {
        let subbed = token.chars().filter(|&c| c == l33t).count();
        let unsubbed = token.chars().filter(|&c| c == letter).count();
        let ways = if subbed == 0 || unsubbed == 0 { 2 } else { variants(subbed + unsubbed, min(subbed, unsubbed)) };
        product.wrapping_mul(ways)
    })
}

/// A word of the lists at `rank`, as spelt in `token`.
pub(crate) fn dictionary_guesses(rank: u64, token: &str, subs: &[(char, char)], reversed: bool) -> u64 {
    rank.wrapping_mul(uppercase_variations(token))
        .wrapping_mul(l33t_variations(subs, token))
        .wrapping_mul(if reversed { 2 } else { 1 })
}

/// A walk on a keyboard: every walk of its length or less with as many turns or fewer, from any key, times the
/// ways of shifting some of its keys.
pub(crate) fn spatial_guesses(starts: u64, degree: u64, len: usize, turns: usize, shifted: usize) -> u64 {
    let mut guesses = 0u64;
    for i in 2..=len {
        for j in 1..=min(turns, i - 1) {
            let walks = n_ck(i - 1, j - 1).saturating_mul(starts).saturating_mul(degree.wrapping_pow(j as u32));
            guesses = guesses.saturating_add(walks);
        }
    }
    if shifted > 0 {
        let unshifted = len - shifted;
        guesses = if unshifted == 0 {
            guesses.saturating_mul(2)
        } else {
            guesses.saturating_mul(variants(len, min(shifted, unshifted)))
        };
    }
    guesses
}

/// A run of characters a fixed step apart (abc, 97531): an obvious start costs less, a descending run twice.
pub(crate) fn sequence_guesses(first: char, len: usize, ascending: bool) -> u64 {
    let base = if "aAzZ019".contains(first) {
        4
    } else if first.is_ascii_digit() {
        10
    } else {
        26
    };
    base * if ascending { 1 } else { 2 } * len as u64
}

/// A year: the distance from this year, at least twenty.
pub(crate) fn year_guesses(year: i64, this_year: i64) -> u64 {
    max((year - this_year).abs(), MIN_YEAR_SPACE) as u64
}

/// A date: its year's guesses times the days of a year, four times more with a separator.
pub(crate) fn date_guesses(year: i64, this_year: i64, separator: bool) -> u64 {
    year_guesses(year, this_year) * 365 * if separator { 4 } else { 1 }
}

/// Characters no pattern explains: ten possibilities each, and always more than a pattern over the same span.
fn bruteforce_guesses(len: usize) -> u64 {
    let guesses = (1..len).fold(BRUTEFORCE_CARDINALITY, |g, _| g.saturating_mul(BRUTEFORCE_CARDINALITY));
    let least = if len == 1 { MIN_SUBMATCH_GUESSES_SINGLE_CHAR } else { MIN_SUBMATCH_GUESSES_MULTI_CHAR };
    max(guesses, least + 1)
}

/// One way to cover the password's first `k + 1` characters with `len` patterns, the last one ending at `k`.
#[derive(Clone, Copy)]
struct Cover {
    len: usize,
    /// `len! × product + additive`: what is minimised.
    guesses: u64,
    /// The product of the patterns' guesses.
    product: u64,
    bruteforce: bool,
}

/// The fewest guesses that find a password of `n` characters made of some of `matches` and brute force between
/// them: the minimum over every sequence of `l` patterns of `l! × Π guesses + 10000^(l-1)`.
pub(crate) fn most_guessable(n: usize, matches: &[Match]) -> u64 {
    let mut by_end: Vec<Vec<&Match>> = vec![Vec::new(); n];
    for m in matches {
        by_end[m.j].push(m);
    }
    for ending in &mut by_end {
        ending.sort_by_key(|m| m.i);
    }
    let least = |span: usize| match span {
        _ if span == n => 1,
        1 => MIN_SUBMATCH_GUESSES_SINGLE_CHAR,
        _ => MIN_SUBMATCH_GUESSES_MULTI_CHAR,
    };
    let mut covers: Vec<Vec<Cover>> = vec![Vec::new(); n];
    // Extends the covers of length `len - 1` ending before `i` with a pattern over `i..=k`.
    let update = |covers: &mut Vec<Vec<Cover>>, i: usize, k: usize, guesses: u64, len: usize, bruteforce: bool| {
        let mut product = max(guesses, least(k - i + 1));
        if len > 1 {
            let before = covers[i - 1].iter().find(|c| c.len == len - 1).expect("a shorter cover");
            product = product.saturating_mul(before.product);
        }
        let factorial = (1..=len as u64).fold(1u64, u64::wrapping_mul);
        let additive = if len == 1 {
            1
        } else {
            (2..len)
                .fold(MIN_GUESSES_BEFORE_GROWING_SEQUENCE, |a, _| a.saturating_mul(MIN_GUESSES_BEFORE_GROWING_SEQUENCE))
        };
        let total = factorial.saturating_mul(product).saturating_add(additive);
        if covers[k].iter().any(|c| c.len <= len && c.guesses <= total) {
            return;
        }
        let cover = Cover { len, guesses: total, product, bruteforce };
        match covers[k].iter_mut().find(|c| c.len == len) {
            Some(slot) => *slot = cover,
            None => covers[k].push(cover),
        }
    };
    let lengths = |covers: &[Cover], with_bruteforce: bool| -> Vec<usize> {
        let mut lens: Vec<usize> = covers.iter().filter(|c| with_bruteforce || !c.bruteforce).map(|c| c.len).collect();
        lens.sort_unstable();
        lens
    };
    for (k, ending) in by_end.iter().enumerate() {
        for m in ending {
            if m.i == 0 {
                update(&mut covers, 0, k, m.guesses, 1, false);
            } else {
                for len in lengths(&covers[m.i - 1], true) {
                    update(&mut covers, m.i, k, m.guesses, len + 1, false);
                }
            }
        }
        update(&mut covers, 0, k, bruteforce_guesses(k + 1), 1, true);
        for i in 1..=k {
            // Two brute-force spans side by side are never better than one over both.
            for len in lengths(&covers[i - 1], false) {
                update(&mut covers, i, k, bruteforce_guesses(k - i + 1), len + 1, true);
            }
        }
    }
    covers[n - 1].iter().map(|c| c.guesses).min().unwrap_or(1)
}

/// zxcvbn's score: 0 under a thousand guesses (and five), 1 under a million, 2 under 10⁸, 3 under 10¹⁰, else 4.
pub(crate) fn score(guesses: u64) -> u8 {
    const DELTA: u64 = 5;
    [1_000, 1_000_000, 100_000_000, 10_000_000_000].iter().take_while(|&&t| guesses >= t + DELTA).count() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose() {
        for (n, k, ways) in
            [(0, 0, 1), (1, 0, 1), (5, 0, 1), (0, 1, 0), (0, 5, 0), (2, 1, 2), (4, 2, 6), (33, 7, 4_272_048)]
        {
            assert_eq!(n_ck(n, k), ways, "{n} choose {k}");
        }
    }

    #[test]
    fn capitals_and_l33t_multiply_a_word() {
        assert_eq!(uppercase_variations("paris"), 1);
        assert_eq!(uppercase_variations("Paris"), 2);
        assert_eq!(uppercase_variations("PARIS"), 2);
        assert_eq!(uppercase_variations("PaRis"), n_ck(5, 1) + n_ck(5, 2));
        assert_eq!(l33t_variations(&[('4', 'a')], "p4ris"), 2);
        assert_eq!(l33t_variations(&[('4', 'a')], "p4r4a"), n_ck(3, 1));
        assert_eq!(dictionary_guesses(10, "Sirap", &[], true), 40);
    }

    #[test]
    fn scores_follow_thresholds() {
        assert_eq!([0, 1_004, 1_005, 1_000_005, 100_000_004, 100_000_005, u64::MAX].map(score), [0, 0, 1, 2, 2, 3, 4]);
    }
}
