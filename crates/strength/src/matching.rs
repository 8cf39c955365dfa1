//! The patterns a password may be made of, zxcvbn's matchers: words of the lists or of the user's own (as they are,
//! reversed or in l33t), keyboard walks, repeats, sequences, recent years and dates. Each match carries the
//! guesses its pattern takes ([`crate::scoring`]).
use crate::dictionary::ranked;
use crate::keyboards::{Keyboard, keyboards};
use crate::scoring::{
    date_guesses, dictionary_guesses, most_guessable, sequence_guesses, spatial_guesses, year_guesses,
};
use std::collections::HashMap;

/// The user's own words (lower-case) with their rank: the first given is the likeliest.
pub(crate) type Inputs = HashMap<String, u64>;

/// Characters `i..=j` of the password, a pattern that takes `guesses` guesses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Match {
    pub i: usize,
    pub j: usize,
    pub guesses: u64,
}

/// The fewest guesses that find `password`, this year being `year`.
pub(crate) fn guesses(password: &str, inputs: &Inputs, year: i64) -> u64 {
    most_guessable(password.chars().count(), &omnimatch(password, inputs, year))
}

/// Every pattern found in `password`.
pub(crate) fn omnimatch(password: &str, inputs: &Inputs, year: i64) -> Vec<Match> {
    let chars: Vec<char> = password.chars().collect();
    let mut found = Vec::new();
    dictionary(&chars, inputs, &mut found);
    reversed(&chars, inputs, &mut found);
    l33t(&chars, inputs, &mut found);
    for keyboard in keyboards() {
        spatial(&chars, keyboard, &mut found);
    }
    repeats(&chars, inputs, year, &mut found);
    sequences(&chars, &mut found);
    recent_years(password, year, &mut found);
    dates(&chars, year, &mut found);
    found
}

fn text(chars: &[char]) -> String {
    chars.iter().collect()
}

/// Calls `found(i, j, rank, word)` for every word of the lists or of `inputs` at characters `i..=j` of `password`
/// once lower-cased.
fn words(password: &str, inputs: &Inputs, mut found: impl FnMut(usize, usize, u64, &str)) {
    let lower = password.to_lowercase();
    let starts: Vec<usize> = lower.char_indices().map(|(at, _)| at).collect();
    let n = password.chars().count();
    let ranked = ranked();
    let longest = inputs.keys().map(|w| w.chars().count()).fold(ranked.longest, usize::max);
    for i in 0..n {
        for j in i..n.min(i + longest) {
            let word = &lower[starts[i]..starts.get(j + 1).copied().unwrap_or(lower.len())];
            if let Some(rank) = ranked.rank(word) {
                found(i, j, rank, word);
            }
            if let Some(&rank) = inputs.get(word) {
                found(i, j, rank, word);
            }
        }
    }
}

fn dictionary(chars: &[char], inputs: &Inputs, out: &mut Vec<Match>) {
    words(&text(chars), inputs, |i, j, rank, _| {
        out.push(Match { i, j, guesses: dictionary_guesses(rank, &text(&chars[i..=j]), &[], false) });
    });
}

fn reversed(chars: &[char], inputs: &Inputs, out: &mut Vec<Match>) {
    let n = chars.len();
    let backwards: String = chars.iter().rev().collect();
    words(&backwards, inputs, |i, j, rank, _| {
        let (i, j) = (n - 1 - j, n - 1 - i);
        out.push(Match { i, j, guesses: dictionary_guesses(rank, &text(&chars[i..=j]), &[], true) });
    });
}

/// The letters l33t spelling replaces, with what replaces them.
const L33T: [(char, &str); 12] = [
    ('a', "4@"),
    ('b', "8"),
    ('c', "({[<"),
    ('e', "3"),
    ('g', "69"),
    ('i', "1!|"),
    ('l', "1|7"),
    ('o', "0"),
    ('s', "$5"),
    ('t', "+7"),
    ('x', "%"),
    ('z', "2"),
];

/// Every way to read the password's l33t characters back as letters, each as `(l33t, letter)` pairs: each letter
/// read from one of its l33t characters, a character shared by two letters (1 for i or l) read as either.
fn l33t_readings(chars: &[char]) -> Vec<Vec<(char, char)>> {
    let mut readings: Vec<Vec<(char, char)>> = vec![Vec::new()];
    for (letter, l33ts) in L33T {
        let present: Vec<char> = l33ts.chars().filter(|c| chars.contains(c)).collect();
        if present.is_empty() {
            continue;
        }
        let mut next = Vec::new();
        for l33t in present {
            for reading in &readings {
                let mut extended = reading.clone();
                if let Some(taken) = reading.iter().position(|&(c, _)| c == l33t) {
                    // Read as before, or as this letter.
                    extended.remove(taken);
                    next.push(reading.clone());
                }
                extended.push((l33t, letter));
                next.push(extended);
            }
        }
        readings = next
            .into_iter()
            .map(|mut pairs| {
                let mut seen = Vec::with_capacity(pairs.len());
                pairs.retain(|p| {
                    !seen.contains(p) && {
                        seen.push(*p);
                        true
                    }
                });
                pairs
            })
            .collect();
    }
    readings
}

fn l33t(chars: &[char], inputs: &Inputs, out: &mut Vec<Match>) {
    for reading in l33t_readings(chars) {
        if reading.is_empty() {
            break;
        }
        let read: String = chars
            .iter()
            .map(|c| reading.iter().find(|(l33t, _)| l33t == c).map_or(*c, |&(_, letter)| letter))
            .collect();
        words(&read, inputs, |i, j, rank, word| {
            let token = text(&chars[i..=j]);
            if token.to_lowercase() == word {
                return; // no substitution: the plain word is matched already
            }
            let used: Vec<(char, char)> = reading.iter().copied().filter(|(l33t, _)| token.contains(*l33t)).collect();
            out.push(Match { i, j, guesses: dictionary_guesses(rank, &token, &used, false) });
        });
    }
}

/// The characters typed with shift on a typewriter keyboard (with zxcvbn's two brackets).
const SHIFTED: &str = "[~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:\"ZXCVBNM<>?]";

/// Runs of three keys or more, each next to the one before, on `keyboard`.
fn spatial(chars: &[char], keyboard: &Keyboard, out: &mut Vec<Match>) {
    let n = chars.len();
    if n <= 2 {
        return;
    }
    let mut i = 0;
    while i < n - 1 {
        let mut j = i + 1;
        let mut direction = None;
        let mut turns = 0;
        let mut shifted = usize::from(keyboard.typewriter && SHIFTED.contains(chars[i]));
        loop {
            let next = chars.get(j).and_then(|&c| {
                keyboard
                    .keys
                    .get(&chars[j - 1])?
                    .iter()
                    .enumerate()
                    .find_map(|(d, key)| Some((d, key.as_ref()?.find(c)?)))
            });
            let Some((towards, position)) = next else {
                if j - i > 2 {
                    out.push(Match {
                        i,
                        j: j - 1,
                        guesses: spatial_guesses(keyboard.starts, keyboard.degree, j - i, turns, shifted),
                    });
                }
                i = j;
                break;
            };
            // The key's second character is its shifted one.
            shifted += usize::from(position == 1);
            if direction != Some(towards) {
                turns += 1;
                direction = Some(towards);
            }
            j += 1;
        }
    }
}

/// The first repeat in `chars`, as zxcvbn's `(.+)\1+` (greedy) or `(.+?)\1+` (lazy) finds it: its start, the
/// repeated unit's length and the whole repeat's length.
fn repeat(chars: &[char], lazy: bool) -> Option<(usize, usize, usize)> {
    for start in 0..chars.len() {
        let line = chars[start..].iter().position(|&c| c == '\n').unwrap_or(chars.len() - start);
        let most = line.min((chars.len() - start) / 2);
        let mut units: Box<dyn Iterator<Item = usize>> =
            if lazy { Box::new(1..=most) } else { Box::new((1..=most).rev()) };
        let unit = |len: usize| &chars[start..start + len];
        if let Some(len) = units.find(|&len| unit(len) == &chars[start + len..start + 2 * len]) {
            let mut end = start + 2 * len;
            while chars.get(end..end + len) == Some(unit(len)) {
                end += len;
            }
            return Some((start, len, end - start));
        }
    }
    None
}

/// The shortest unit `whole` is a repeat of.
fn period(whole: &[char]) -> usize {
    (1..whole.len())
        .find(|&len| whole.len().is_multiple_of(len) && whole.chunks(len).all(|chunk| chunk == &whole[..len]))
        .unwrap_or(whole.len())
}

fn repeats(chars: &[char], inputs: &Inputs, year: i64, out: &mut Vec<Match>) {
    let mut from = 0;
    while from < chars.len() {
        let rest = &chars[from..];
        let Some((start, _, greedy_len)) = repeat(rest, false) else { break };
        let (_, lazy_unit, lazy_len) = repeat(rest, true).expect("a lazy repeat where a greedy one is");
        // 'aabaab' is 'aab' twice (greedy), 'aaaaa' is 'a' five times (lazy).
        let (len, unit) = if greedy_len > lazy_len {
            (greedy_len, period(&rest[start..start + greedy_len]))
        } else {
            (lazy_len, lazy_unit)
        };
        let base = text(&rest[start..start + unit]);
        let base_guesses = guesses(&base, inputs, year);
        let i = from + start;
        out.push(Match { i, j: i + len - 1, guesses: base_guesses.saturating_mul((len / unit) as u64) });
        from = i + len;
    }
}

/// Runs of characters a fixed step (1 to 5) apart.
fn sequences(chars: &[char], out: &mut Vec<Match>) {
    let n = chars.len();
    if n <= 1 {
        return;
    }
    let mut push = |i: usize, j: usize, delta: i32| {
        let step = delta.abs();
        if (j - i > 1 || step == 1) && (1..=5).contains(&step) {
            out.push(Match { i, j, guesses: sequence_guesses(chars[i], j - i + 1, delta > 0) });
        }
    };
    let (mut i, mut last) = (0, 0);
    for k in 1..n {
        let delta = chars[k] as i32 - chars[k - 1] as i32;
        if last == 0 {
            last = delta;
        }
        if last == delta {
            continue;
        }
        push(i, k - 1, last);
        i = k - 1;
        last = delta;
    }
    push(i, n - 1, last);
}

/// Years 1900 to 2099, left to right without overlap.
fn recent_years(password: &str, this_year: i64, out: &mut Vec<Match>) {
    let bytes = password.as_bytes();
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let four = &bytes[at..at + 4];
        if matches!(&four[..2], b"19" | b"20") && four[2..].iter().all(u8::is_ascii_digit) {
            let i = password[..at].chars().count();
            let year = four.iter().fold(0, |y, d| y * 10 + i64::from(d - b'0'));
            out.push(Match { i, j: i + 3, guesses: year_guesses(year, this_year) });
            at += 4;
        } else {
            at += 1;
        }
    }
}

const DATE_MIN_YEAR: u16 = 1000;
const DATE_MAX_YEAR: u16 = 2050;

/// Where a date of 4 to 8 digits may be cut into its three numbers.
fn date_cuts(len: usize) -> &'static [(usize, usize)] {
    match len {
        4 => &[(1, 2), (2, 3)],
        5 => &[(1, 3), (2, 3)],
        6 => &[(1, 2), (2, 4), (4, 5)],
        7 => &[(1, 3), (2, 3), (4, 5), (4, 6)],
        _ => &[(2, 4), (4, 6)],
    }
}

fn number(digits: &[char]) -> u16 {
    digits.iter().fold(0, |n, d| n * 10 + d.to_digit(10).unwrap_or(0) as u16)
}

/// A day and month from two numbers, either way round: `(month, day)`.
fn month_day(first: u16, second: u16) -> Option<(u16, u16)> {
    [(first, second), (second, first)]
        .into_iter()
        .find(|&(d, m)| (1..=31).contains(&d) && (1..=12).contains(&m))
        .map(|(d, m)| (m, d))
}

/// The year of three numbers that can be a date (day, month and a year of 2 or 4 digits, in any usual order).
fn date_year(first: u16, second: u16, third: u16) -> Option<u16> {
    if second > 31 || second == 0 {
        return None;
    }
    let all = [first, second, third];
    if all.iter().any(|&n| 99 < n && n < DATE_MIN_YEAR || n > DATE_MAX_YEAR) {
        return None;
    }
    let count = |over: fn(u16) -> bool| all.iter().filter(|&&n| over(n)).count();
    if count(|n| n > 31) >= 2 || count(|n| n > 12) == 3 || count(|n| n == 0) >= 2 {
        return None;
    }
    let splits = [(third, first, second), (first, second, third)];
    if let Some(&(year, a, b)) = splits.iter().find(|(year, ..)| (DATE_MIN_YEAR..=DATE_MAX_YEAR).contains(year)) {
        return month_day(a, b).map(|_| year);
    }
    let (year, ..) = splits.into_iter().find(|&(_, a, b)| month_day(a, b).is_some())?;
    Some(match year {
        0..=50 => year + 2000,
        51..=99 => year + 1900,
        _ => year,
    })
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || "/\\_.-".contains(c)
}

/// `d{1,4} s d{1,2} s d{1,4}`, the same separator twice: the three numbers.
fn separated(token: &[char]) -> Option<(u16, u16, u16)> {
    let (mut numbers, mut separators, mut at) = ([0; 3], ['\0'; 2], 0);
    for (k, widest) in [4, 2, 4].into_iter().enumerate() {
        let len = token[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=widest).contains(&len) {
            return None;
        }
        numbers[k] = number(&token[at..at + len]);
        at += len;
        if k < 2 {
            separators[k] = *token.get(at).filter(|&&c| is_separator(c))?;
            at += 1;
        }
    }
    (at == token.len() && separators[0] == separators[1]).then_some((numbers[0], numbers[1], numbers[2]))
}

fn dates(chars: &[char], this_year: i64, out: &mut Vec<Match>) {
    let n = chars.len();
    let mut found: Vec<Match> = Vec::new();
    let distance = |year: u16| (i64::from(year) - this_year).abs();
    for i in 0..n.saturating_sub(3) {
        for j in i + 3..(i + 8).min(n) {
            let token = &chars[i..=j];
            if !token.iter().all(char::is_ascii_digit) {
                continue;
            }
            let years = date_cuts(token.len())
                .iter()
                .filter_map(|&(k, l)| date_year(number(&token[..k]), number(&token[k..l]), number(&token[l..])));
            if let Some(year) = years.min_by_key(|&y| distance(y)) {
                found.push(Match { i, j, guesses: date_guesses(year.into(), this_year, false) });
            }
        }
    }
    for i in 0..n.saturating_sub(5) {
        for j in i + 5..(i + 10).min(n) {
            if let Some(year) = separated(&chars[i..=j]).and_then(|(a, b, c)| date_year(a, b, c)) {
                found.push(Match { i, j, guesses: date_guesses(year.into(), this_year, true) });
            }
        }
    }
    // A date inside a longer one is not a date of its own.
    let inside = |x: &Match| found.iter().any(|y| (y.i, y.j) != (x.i, x.j) && y.i <= x.i && y.j >= x.j);
    out.extend(found.iter().filter(|x| !inside(x)).cloned());
}
