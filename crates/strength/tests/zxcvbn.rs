//! Our estimator against the judge, the `zxcvbn` crate 3.1.1, on a large generated set: every password gets the
//! crate's score. The set is drawn (with a fixed seed) from what people type: words of every list at every rank,
//! capitalised, in capitals, reversed, in l33t, with digits, years, dates and symbols; French words and phrases;
//! the user's own names; keyboard walks; repeats; sequences; dates in every usual format; random strings over
//! several alphabets (accents, German, Turkish, Greek); and passwords over zxcvbn's 100-character cut.
use promess_strength::{WORD_LISTS, estimate};

/// A small deterministic generator (xorshift64*): the set is the same on every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
    /// `least` to `least + spread - 1` characters of `alphabet`.
    fn chars(&mut self, alphabet: &str, least: usize, spread: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let len = least + self.below(spread);
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }
}

const FRENCH: [&str; 40] = [
    "soleil",
    "bonjour",
    "motdepasse",
    "doudou",
    "chouchou",
    "marseille",
    "toulouse",
    "bordeaux",
    "medecin",
    "infirmiere",
    "sagefemme",
    "pharmacie",
    "hopital",
    "cabinet",
    "patient",
    "ordonnance",
    "stethoscope",
    "croissant",
    "fromage",
    "baguette",
    "chocolat",
    "vacances",
    "bretagne",
    "aquitaine",
    "girondins",
    "maison",
    "jardin",
    "rouge",
    "vert",
    "bleu",
    "chat",
    "chien",
    "amour",
    "famille",
    "liberte",
    "egalite",
    "fraternite",
    "printemps",
    "été",
    "noël",
];

const WALKS: [&str; 12] = [
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc",
    "azertyuiop",
    "qsdfghjklm",
    "poiuytreza",
    "1234567890",
    "7894561230",
    "/*-+",
    "',.pyfgcrl",
    "aoeuidhtns",
];

const SYMBOLS: &str = "!@#$%^&*()_+-=[]{};:'\",.<>/?\\|`~";
const ALPHABETS: [&str; 6] = [
    "abcdefghijklmnopqrstuvwxyz",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "abcdefghijklmnopqrstuvwxyz0123456789!@#$%&*-_.",
    "aeiouéèêàâçùûôîïëAEIOUÉÈÀÇ",
    "ßäöüÄÖÜİıΣσςλΛ",
    "0123456789",
];

fn l33t(word: &str, draw: &mut Draw) -> String {
    let subs = [
        ('a', "4@"),
        ('e', "3"),
        ('i', "1!|"),
        ('l', "1|7"),
        ('o', "0"),
        ('s', "$5"),
        ('t', "+7"),
        ('g', "69"),
        ('b', "8"),
        ('z', "2"),
        ('c', "({[<"),
        ('x', "%"),
    ];
    word.chars()
        .map(|c| match subs.iter().find(|(letter, _)| *letter == c) {
            Some((_, l33ts)) if draw.below(3) > 0 => l33ts.chars().nth(draw.below(l33ts.len())).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn vary(word: &str, draw: &mut Draw) -> String {
    let mut w = match draw.below(6) {
        0 => word.to_owned(),
        1 => word.chars().enumerate().map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c }).collect(),
        2 => word.to_uppercase(),
        3 => word.chars().rev().collect(),
        4 => l33t(word, draw),
        _ => word.chars().map(|c| if draw.below(3) == 0 { c.to_ascii_uppercase() } else { c }).collect(),
    };
    match draw.below(7) {
        0 => w.push_str(&draw.below(100).to_string()),
        1 => w.push_str(&(1940 + draw.below(100)).to_string()),
        2 => w.push_str("123"),
        3 => w.push_str(&draw.chars(SYMBOLS, 1, 1)),
        4 => w.push_str(&format!("{:02}{:02}", 1 + draw.below(31), 1 + draw.below(12))),
        _ => {}
    }
    w
}

fn date(draw: &mut Draw) -> String {
    let (d, m, y) = (1 + draw.below(31), 1 + draw.below(12), 1930 + draw.below(120));
    let sep = draw.pick(&["", "/", "-", ".", " ", "_", "\\"]);
    match draw.below(5) {
        0 => format!("{d:02}{sep}{m:02}{sep}{y}"),
        1 => format!("{y}{sep}{m:02}{sep}{d:02}"),
        2 => format!("{d}{sep}{m}{sep}{:02}", y % 100),
        3 => format!("{m}{sep}{d}{sep}{y}"),
        _ => format!("{d:02}{m:02}{:02}", y % 100),
    }
}

fn password(draw: &mut Draw, words: &[Vec<&str>]) -> String {
    let word = |draw: &mut Draw| {
        let list = &words[draw.below(words.len())];
        // Every rank: the first hundred often, the rest evenly.
        let rank = if draw.below(3) == 0 { draw.below(100.min(list.len())) } else { draw.below(list.len()) };
        list[rank].to_owned()
    };
    match draw.below(14) {
        0 | 1 => vary(&word(draw), draw),
        2 => vary(draw.pick(&FRENCH), draw),
        3 => {
            let sep = draw.pick(&["", "-", ".", " ", "_", "1", "!"]);
            let count = 2 + draw.below(3);
            (0..count)
                .map(|_| if draw.below(2) == 0 { word(draw) } else { draw.pick(&FRENCH).to_owned() })
                .collect::<Vec<_>>()
                .join(sep)
        }
        4 => vary(draw.pick(&["cecile", "sage", "cecile.sage", "Cécile", "egas", "c3c1l3"]), draw),
        5 => {
            let walk = draw.pick(&WALKS);
            let (a, len) = (draw.below(walk.len() - 2), 3 + draw.below(8));
            let part: String = walk.chars().skip(a).take(len).collect();
            vary(&part, draw)
        }
        6 => {
            let alphabet = draw.pick(&ALPHABETS[..3]);
            let unit = draw.chars(alphabet, 1, 4);
            let times = 2 + draw.below(4);
            let (before, after) = (draw.chars(ALPHABETS[0], 0, 3), draw.chars(ALPHABETS[5], 0, 3));
            format!("{before}{}{after}", unit.repeat(times))
        }
        7 => {
            let (start, step) = (draw.pick(&["a", "A", "z", "0", "1", "9", "m", "5", "é", "α"]), 1 + draw.below(5));
            let up = draw.below(2) == 0;
            let first = start.chars().next().unwrap_or('a') as u32;
            let run: String = (0..3 + draw.below(6))
                .filter_map(|k| {
                    char::from_u32(if up { first + (k * step) as u32 } else { first.saturating_sub((k * step) as u32) })
                })
                .collect();
            vary(&run, draw)
        }
        8 | 9 => {
            // Accented letters before a date or a year: positions counted in characters, not bytes.
            let letters = draw.pick(&[ALPHABETS[1], ALPHABETS[3]]);
            let (before, date, after) = (draw.chars(letters, 0, 4), date(draw), draw.chars(SYMBOLS, 0, 2));
            format!("{before}{date}{after}")
        }
        10 | 11 => {
            let alphabet = draw.pick(&ALPHABETS);
            draw.chars(alphabet, 1, 20)
        }
        12 => {
            let len = 2 + draw.below(5);
            (0..len).map(|_| vary(&word(draw), draw)).collect::<Vec<_>>().join(draw.pick(&["", " ", "-"]))
        }
        _ => {
            // Over zxcvbn's cut of 100 characters, and newlines inside.
            let (word, tail) = (word(draw), draw.chars(ALPHABETS[2], 1, 8));
            let base = format!("{word}\n{tail}");
            base.repeat(1 + draw.below(14))
        }
    }
}

#[test]
fn scores_are_zxcvbns() {
    let words: Vec<Vec<&str>> = WORD_LISTS.iter().map(|l| l.lines().collect()).collect();
    let inputs = ["cecile", "sage", "cecile.sage"].map(str::to_owned).to_vec();
    let judge_inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let count: usize = std::env::var("PROMESS_ZXCVBN_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let mut draw = Draw(0x5eed_cafe_f00d_0001);
    let mut differ = Vec::new();
    let mut scores = [0usize; 5];
    for _ in 0..count {
        let password = password(&mut draw, &words);
        let judge: u8 = zxcvbn::zxcvbn(&password, &judge_inputs).score().into();
        let ours = estimate(&password, &inputs);
        scores[usize::from(judge)] += 1;
        if ours != judge {
            differ.push(format!("{password:?}: zxcvbn {judge}, ours {ours}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {count} scores differ:\n{}",
        differ.len(),
        differ[..differ.len().min(40)].join("\n")
    );
    // The set spans every score, each well represented.
    assert!(scores.iter().all(|&n| n > count / 50), "scores {scores:?}");
}
