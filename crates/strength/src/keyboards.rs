//! The keyboards a spatial pattern is walked on, drawn as their keys are laid out: each key's neighbours are found
//! from its position, in a fixed order of directions (a pattern's turns are its changes of direction).
use std::collections::HashMap;
use std::sync::OnceLock;

/// A key's neighbours, in the order of [`SLANTED`] or [`ALIGNED`]; `None` past the keyboard's edge.
pub(crate) type Neighbours = Vec<Option<&'static str>>;

/// One keyboard: every character of every key, with the keys next to its key.
pub(crate) struct Keyboard {
    /// A typewriter keyboard (shift gives the key's second character), not a numeric keypad.
    pub typewriter: bool,
    pub keys: HashMap<char, Neighbours>,
    /// The keys a walk may start from and their average number of neighbours (rounded down), as zxcvbn counts them
    /// for this kind of keyboard: QWERTY's for typewriters, the numeric keypad's for keypads.
    pub starts: u64,
    pub degree: u64,
}

/// How many neighbours a key has, on average, rounded down.
fn average_degree(keys: &HashMap<char, Neighbours>) -> u64 {
    let sum: usize = keys.values().map(|n| n.iter().flatten().count()).sum();
    (sum / keys.len()) as u64
}

/// Typewriter rows are each shifted by a third of a key: left, up, up-right, right, down, down-left.
const SLANTED: [(i32, i32); 6] = [(-1, 0), (0, -1), (1, -1), (1, 0), (0, 1), (-1, 1)];
/// Keypad rows are aligned: left, then clockwise round the key.
const ALIGNED: [(i32, i32); 8] = [(-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1)];

const QWERTY: [&str; 4] = [
    "`~ 1! 2@ 3# 4$ 5% 6^ 7& 8* 9( 0) -_ =+",
    "    qQ wW eE rR tT yY uU iI oO pP [{ ]} \\|",
    "     aA sS dD fF gG hH jJ kK lL ;: '\"",
    "      zZ xX cC vV bB nN mM ,< .> /?",
];

const DVORAK: [&str; 4] = [
    "`~ 1! 2@ 3# 4$ 5% 6^ 7& 8* 9( 0) [{ ]}",
    "    '\" ,< .> pP yY fF gG cC rR lL /? =+ \\|",
    "     aA oO eE uU iI dD hH tT nN sS -_",
    "      ;: qQ jJ kK xX bB mM wW vV zZ",
];

const KEYPAD: [&str; 5] = ["  / * -", "7 8 9 +", "4 5 6", "1 2 3", "  0 ."];

const MAC_KEYPAD: [&str; 5] = ["  = / *", "7 8 9 -", "4 5 6 +", "1 2 3", "  0 ."];

/// Reads a drawing: a key's column is its offset in the line (less the row's slant) over the key's width plus one.
fn draw(layout: &[&'static str], typewriter: bool) -> HashMap<char, Neighbours> {
    let mut at: HashMap<(i32, i32), &'static str> = HashMap::new();
    for (y, line) in layout.iter().enumerate() {
        let mut offset = 0;
        for key in line.split_whitespace() {
            let column = offset + line[offset..].find(key).expect("a key of the line");
            offset = column + key.len();
            let slant = if typewriter { y } else { 0 };
            let x = (column - slant) / (key.chars().count() + 1);
            at.insert((x as i32, y as i32), key);
        }
    }
    let directions: &[(i32, i32)] = if typewriter { &SLANTED } else { &ALIGNED };
    let mut keys = HashMap::new();
    for (&(x, y), key) in &at {
        let neighbours: Neighbours = directions.iter().map(|(dx, dy)| at.get(&(x + dx, y + dy)).copied()).collect();
        for c in key.chars() {
            keys.insert(c, neighbours.clone());
        }
    }
    keys
}

/// The four keyboards: QWERTY, Dvorak, the numeric keypad and the Mac's.
pub(crate) fn keyboards() -> &'static [Keyboard; 4] {
    static KEYBOARDS: OnceLock<[Keyboard; 4]> = OnceLock::new();
    KEYBOARDS.get_or_init(|| {
        let (qwerty, keypad) = (draw(&QWERTY, true), draw(&KEYPAD, false));
        let figures = |keys: &HashMap<char, Neighbours>| (keys.len() as u64, average_degree(keys));
        let (typewriter_figures, keypad_figures) = (figures(&qwerty), figures(&keypad));
        let keyboard = |keys, typewriter: bool| {
            let (starts, degree) = if typewriter { typewriter_figures } else { keypad_figures };
            Keyboard { typewriter, keys, starts, degree }
        };
        [
            keyboard(qwerty, true),
            keyboard(draw(&DVORAK, true), true),
            keyboard(keypad, false),
            keyboard(draw(&MAC_KEYPAD, false), false),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_know_their_neighbours() {
        let [qwerty, dvorak, keypad, mac] = keyboards();
        assert_eq!((qwerty.keys.len(), dvorak.keys.len(), keypad.keys.len(), mac.keys.len()), (94, 94, 15, 16));
        assert_eq!(qwerty.keys[&'!'], [Some("`~"), None, None, Some("2@"), Some("qQ"), None]);
        assert_eq!(qwerty.keys[&'g'], [Some("fF"), Some("tT"), Some("yY"), Some("hH"), Some("bB"), Some("vV")]);
        assert_eq!(qwerty.keys[&'"'], [Some(";:"), Some("[{"), Some("]}"), None, None, Some("/?")]);
        assert_eq!(keypad.keys[&'*'], [Some("/"), None, None, None, Some("-"), Some("+"), Some("9"), Some("8")]);
        assert_eq!(keypad.keys[&'5'].iter().flatten().count(), 8);
        assert_eq!((qwerty.starts, qwerty.degree, dvorak.starts, dvorak.degree), (94, 4, 94, 4));
        assert_eq!((keypad.starts, keypad.degree, mac.starts, mac.degree), (15, 5, 15, 5));
    }
}
