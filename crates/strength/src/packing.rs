//! The word lists packed for the browser: a context-mixing coder made for lists of unique words, a word a line.
//!
//! Brotli stores the six lists (792,702 bytes) in 348,846 bytes; this coder in 295,544, which is what keeps the
//! strength worker lighter than the React peer's zxcvbn chunk (docs/performance.md). `build.rs` packs `data/*.txt`
//! with [`pack`] for the wasm build; the worker unpacks them once with [`unpack`] (a quarter of a second natively).
//!
//! A byte is coded as its path in a Huffman tree of the text's bytes (4.4 binary decisions on average). Each
//! decision is predicted by five context models — the last one, two, three and four bytes, and the word so far —
//! whose predictions a gated linear mixer combines in the logistic domain, refined by an adaptive probability map,
//! then coded by a binary arithmetic coder. Two facts of the lists are contexts too: which list a word is in, and
//! whether the word so far is already a whole word of the lists (words are unique, so it cannot end there again:
//! 56,725 times in the lists). Everything is integer arithmetic, so that the packer (native, at build time) and the
//! unpacker (wasm32, in the browser) make the same predictions bit for bit.
//!
//! Layout: the number of lists (1 byte), then for each its number of words (u32, little endian), the text's length
//! and its FNV-1a 64 checksum (u32, u64), the number of distinct bytes less one (1 byte), those bytes and their
//! code lengths (a byte each), then the coded decisions.
#![allow(dead_code)] // build.rs includes this file for `pack`, the wasm build uses `unpack`, native builds neither.

/// Context models of the last one to four bytes and of the word so far.
const MODELS: usize = 5;
/// Inputs of the mixer: the models' predictions and a bias.
const INPUTS: usize = MODELS + 1;
/// Entries (u16 counters) of each hashed model's table: 8 MB each while unpacking.
const TABLE_BITS: u32 = 22;
/// The order-1 model's table, direct: a block of 32 counters per previous byte and group of five levels of the tree.
const ORDER1_BLOCKS: usize = 256 * 256;
/// A leaf of the code tree: the symbol's index in the alphabet.
const LEAF: u16 = 0x8000;
/// Counters adapt at 1/(n + 1.5) for their n-th update, n up to this bound.
const COUNT_LIMIT: u16 = 15;
/// The mixer's learning rate (× 2⁻¹⁴).
const MIXER_RATE: i32 = 6;
/// The probability map's adaptation (÷ 2⁶).
const MAP_RATE: i32 = 6;

/// The logistic function and its inverse on 12-bit probabilities, ln-odds in 1/256ths (±2047).
struct Logistic {
    squash: Vec<i16>,
    stretch: Vec<i16>,
}

impl Logistic {
    fn new() -> Self {
        // e^(−d/256) in 32-bit fixed point, by repeated multiplication: integers only.
        const E_MINUS_1_256: u64 = 4_278_222_805;
        let mut exp = 1u64 << 32;
        let mut positive = Vec::with_capacity(2049);
        for _ in 0..=2048 {
            positive.push(((4096u64 << 32) / ((1u64 << 32) + exp)).min(4095) as i16);
            exp = (exp * E_MINUS_1_256) >> 32;
        }
        // squash(d) for d in −2048..2048; squash(−d) = 4096 − squash(d).
        let squash: Vec<i16> = (-2048..2048i32)
            .map(|d| if d >= 0 { positive[d as usize] } else { (4096 - positive[(-d) as usize]).max(1) })
            .collect();
        let mut stretch = vec![2047i16; 4096];
        let mut p = 0usize;
        for d in -2047..=2047i32 {
            let up_to = squash[(d + 2048) as usize] as usize;
            while p <= up_to {
                stretch[p] = d as i16;
                p += 1;
            }
        }
        Logistic { squash, stretch }
    }

    fn squash(&self, d: i32) -> i32 {
        i32::from(self.squash[(d.clamp(-2047, 2047) + 2048) as usize])
    }

    fn stretch(&self, p: u16) -> i32 {
        i32::from(self.stretch[usize::from(p)])
    }
}

/// Whole words seen so far, by their hash: a bit each of 2²⁴ (2 MB while unpacking). Two words may share a bit, which
/// only costs a little compression: packer and unpacker see the same bits.
struct Seen(Vec<u64>);

impl Seen {
    fn new() -> Self {
        Seen(vec![0; 1 << 18])
    }
    fn bit(word: u32) -> (usize, u64) {
        let h = word.wrapping_mul(0x9e37_79b1) >> 8;
        ((h >> 6) as usize, 1 << (h & 63))
    }
    fn insert(&mut self, word: u32) {
        let (i, bit) = Self::bit(word);
        self.0[i] |= bit;
    }
    fn contains(&self, word: u32) -> bool {
        let (i, bit) = Self::bit(word);
        self.0[i] & bit != 0
    }
}

/// The probability that the next bit is 1, learnt from the bits before it.
struct Model {
    logistic: Logistic,
    tables: [Vec<u16>; MODELS],
    /// Each model's block of 32 counters (64 bytes) for these five levels of the code tree, and this bit's counter.
    block: [usize; MODELS],
    slot: [usize; MODELS],
    /// Each model's context hash for this byte.
    context: [u32; MODELS],
    rate: [i32; COUNT_LIMIT as usize + 1],
    inputs: [i32; INPUTS],
    weights: Vec<i32>,
    weight_set: usize,
    mixed: i32,
    map: Vec<u16>,
    map_slot: usize,
    map_weight: i32,
    code: Code,
    /// The decision (internal node of the code tree) about to be made, the one that began these five levels, and
    /// the path from it so far after a leading 1.
    node: usize,
    group: usize,
    path: u32,
    /// The last eight bytes.
    history: u64,
    /// The word so far: its hash, its length, whether it is a whole word already seen.
    word: u32,
    position: u32,
    known: bool,
    seen: Seen,
    list: usize,
    words_left: u32,
    counts: Vec<u32>,
}

impl Model {
    fn new(counts: &[u32], code: Code) -> Self {
        let logistic = Logistic::new();
        let mut map = Vec::with_capacity(1024 * 33);
        for _ in 0..1024 {
            map.extend((0..33).map(|j| (logistic.squash((j - 16) * 128) * 16) as u16));
        }
        let table = |entries: usize| vec![2048u16 << 4; entries];
        let mut model = Model {
            logistic,
            tables: [
                table(ORDER1_BLOCKS * 32),
                table(1 << TABLE_BITS),
                table(1 << TABLE_BITS),
                table(1 << TABLE_BITS),
                table(1 << TABLE_BITS),
            ],
            block: [0; MODELS],
            slot: [0; MODELS],
            context: [0; MODELS],
            rate: std::array::from_fn(|n| 131_072 / (2 * n as i32 + 3)),
            inputs: [0; INPUTS],
            weights: vec![1 << 14; INPUTS * 16 * 256],
            weight_set: 0,
            mixed: 2048,
            map,
            map_slot: 0,
            map_weight: 0,
            code,
            node: 0,
            group: 0,
            path: 1,
            history: 0,
            word: 0,
            position: 0,
            known: false,
            seen: Seen::new(),
            list: 0,
            words_left: counts.first().copied().unwrap_or(0),
            counts: counts.to_vec(),
        };
        model.next_list();
        model.byte_contexts();
        model
    }

    /// Skips the lists that are over (or empty).
    fn next_list(&mut self) {
        while self.words_left == 0 && self.list + 1 < self.counts.len() {
            self.list += 1;
            self.words_left = self.counts[self.list];
        }
    }

    fn byte_contexts(&mut self) {
        let h = self.history;
        let hash = |x: u64, model: u64| ((x ^ (model << 56)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32;
        self.context = [
            (h & 0xff) as u32,
            hash(h & 0xffff | (self.list as u64) << 48, 1),
            hash(h & 0xff_ffff, 2),
            hash(h & 0xffff_ffff, 3),
            hash(u64::from(self.word) | u64::from(self.known) << 32, 4),
        ];
        self.blocks();
    }

    /// Each model's block of counters for the five levels of the code tree from `group` down.
    fn blocks(&mut self) {
        let group = self.group as u32;
        self.block[0] = (self.context[0] as usize * 256 + self.group) * 32;
        let mask = (1u32 << TABLE_BITS) - 32;
        for m in 1..MODELS {
            self.block[m] =
                ((self.context[m] ^ group.wrapping_mul(0x2545_f491)).wrapping_mul(0x9e37_79b1) & mask) as usize;
        }
    }

    /// The probability (12 bits, 1 to 4095) that the next bit is 1.
    fn predict(&mut self) -> u32 {
        for m in 0..MODELS {
            self.slot[m] = self.block[m] + self.path as usize;
            self.inputs[m] = self.logistic.stretch(self.tables[m][self.slot[m]] >> 4);
        }
        self.inputs[MODELS] = 256;
        let set = self.position.min(7) as usize * 2 + usize::from(self.known);
        self.weight_set = (set * 256 + self.node) * INPUTS;
        let weights = &self.weights[self.weight_set..self.weight_set + INPUTS];
        let dot: i64 = weights.iter().zip(&self.inputs).map(|(&w, &x)| i64::from(w) * i64::from(x)).sum();
        let d = ((dot >> 16) as i32).clamp(-2047, 2047);
        self.mixed = self.logistic.squash(d);
        // The map interpolates between the two of its 33 points around the mixer's ln-odds.
        let context = (usize::from(self.known) * 2 + usize::from(self.position == 0)) * 256 + self.node;
        self.map_weight = (d + 2048) & 127;
        self.map_slot = context * 33 + ((d + 2048) >> 7) as usize;
        let (low, high) = (i32::from(self.map[self.map_slot]), i32::from(self.map[self.map_slot + 1]));
        let mapped = (low * (128 - self.map_weight) + high * self.map_weight) >> 11;
        ((self.mixed + 3 * mapped) >> 2).clamp(1, 4095) as u32
    }

    /// Learns the bit; the byte, when the bit ends one.
    fn update(&mut self, bit: u32) -> Option<u8> {
        let target = if bit == 1 { 4095 } else { 0 };
        for m in 0..MODELS {
            let counter = &mut self.tables[m][self.slot[m]];
            let (p, n) = (i32::from(*counter >> 4), *counter & 15);
            let p = p + (((target - p) * self.rate[usize::from(n)]) >> 16);
            *counter = ((p as u16) << 4) | (n + u16::from(n < COUNT_LIMIT));
        }
        let error = ((bit as i32) << 12) - self.mixed;
        let weights = &mut self.weights[self.weight_set..self.weight_set + INPUTS];
        for (w, &x) in weights.iter_mut().zip(&self.inputs) {
            *w += (x * error * MIXER_RATE) >> 14;
        }
        let goal = if bit == 1 { 65535 } else { 0 };
        for (slot, share) in [(self.map_slot, 128 - self.map_weight), (self.map_slot + 1, self.map_weight)] {
            let v = i32::from(self.map[slot]);
            self.map[slot] = (v + ((goal - v) >> MAP_RATE) * share / 128) as u16;
        }

        let next = self.code.children[self.node][bit as usize];
        if next & LEAF == 0 {
            self.node = usize::from(next);
            self.path = (self.path << 1) | bit;
            if self.path >= 32 {
                (self.group, self.path) = (self.node, 1);
                self.blocks();
            }
            return None;
        }
        let byte = self.code.symbols[usize::from(next & !LEAF)];
        self.history = (self.history << 8) | u64::from(byte);
        if byte == b'\n' {
            self.seen.insert(self.word);
            (self.word, self.position) = (0, 0);
            self.words_left = self.words_left.saturating_sub(1);
            self.next_list();
        } else {
            self.word = (self.word ^ u32::from(byte)).wrapping_mul(0x0100_0193).wrapping_add(1);
            self.position += 1;
        }
        self.known = self.seen.contains(self.word);
        (self.node, self.group, self.path) = (0, 0, 1);
        self.byte_contexts();
        Some(byte)
    }
}

/// The bytes of the text and their codes (canonical Huffman): a byte is coded as the decisions on its path from the
/// tree's root, a frequent byte in fewer decisions (4.4 on average for the lists instead of 8, the unpacking's time
/// about halved).
struct Code {
    symbols: Vec<u8>,
    /// Each symbol's code, first decision in the most significant bit, and its length.
    codes: Vec<(u64, u8)>,
    /// For each decision (internal node; the root first), its two children: a decision, or `LEAF | symbol`.
    children: Vec<[u16; 2]>,
}

impl Code {
    /// The canonical code of these symbols with these code lengths, if they make a complete prefix code.
    fn new(symbols: Vec<u8>, lengths: &[u8]) -> Option<Code> {
        if symbols.len() < 2 || lengths.len() != symbols.len() || lengths.iter().any(|&l| l == 0 || l > 32) {
            return None;
        }
        if lengths.iter().map(|&l| 1u64 << (32 - l)).sum::<u64>() != 1 << 32 {
            return None;
        }
        let mut order: Vec<usize> = (0..symbols.len()).collect();
        order.sort_by_key(|&i| (lengths[i], symbols[i]));
        let mut codes = vec![(0, 0); symbols.len()];
        let (mut next, mut length) = (0u64, lengths[order[0]]);
        for &i in &order {
            next <<= lengths[i] - length;
            length = lengths[i];
            codes[i] = (next, length);
            next += 1;
        }
        let mut children = vec![[0u16; 2]];
        for (symbol, &(code, length)) in codes.iter().enumerate() {
            let mut node = 0;
            for k in (0..length).rev() {
                let bit = (code >> k & 1) as usize;
                if k == 0 {
                    children[node][bit] = LEAF | symbol as u16;
                } else {
                    if children[node][bit] == 0 {
                        children.push([0; 2]);
                        children[node][bit] = (children.len() - 1) as u16;
                    }
                    node = usize::from(children[node][bit]);
                }
            }
        }
        Some(Code { symbols, codes, children })
    }

    /// Huffman's code lengths for these frequencies: the two lightest groups of symbols merged until one is left.
    fn lengths(frequencies: &[u64]) -> Vec<u8> {
        let mut groups: Vec<(u64, Vec<usize>)> = frequencies.iter().enumerate().map(|(i, &f)| (f, vec![i])).collect();
        let mut lengths = vec![0u8; frequencies.len()];
        while groups.len() > 1 {
            groups.sort_by_key(|group| std::cmp::Reverse(group.0));
            let (Some((light, mut a)), Some((lighter, b))) = (groups.pop(), groups.pop()) else { break };
            a.extend(b);
            a.iter().for_each(|&i| lengths[i] += 1);
            groups.push((light + lighter, a));
        }
        lengths
    }
}

/// FNV-1a, 64 bits: the unpacked text is checked against the packed one's.
fn checksum(text: &[u8]) -> u64 {
    text.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Packs lists of words (a word a line, no word twice).
pub fn pack(lists: &[&str]) -> Vec<u8> {
    let counts: Vec<u32> = lists.iter().map(|list| list.lines().count() as u32).collect();
    let mut text = Vec::new();
    for line in lists.iter().flat_map(|list| list.lines()) {
        text.extend_from_slice(line.as_bytes());
        text.push(b'\n');
    }
    let mut frequencies = [0u64; 256];
    text.iter().for_each(|&b| frequencies[usize::from(b)] += 1);
    let mut symbols: Vec<u8> = (0..=255).filter(|&b| frequencies[usize::from(b)] > 0).collect();
    // A code needs two symbols at least.
    symbols.extend((0..=255u8).filter(|b| !text.contains(b)).take(2usize.saturating_sub(symbols.len())));
    symbols.sort_unstable();
    let lengths = Code::lengths(&symbols.iter().map(|&b| frequencies[usize::from(b)]).collect::<Vec<_>>());

    let mut out = vec![lists.len() as u8];
    counts.iter().for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(&text).to_le_bytes());
    out.push((symbols.len() - 1) as u8);
    out.extend_from_slice(&symbols);
    out.extend_from_slice(&lengths);

    let code = Code::new(symbols, &lengths).expect("Huffman's lengths make a complete code");
    // Each byte's code, by the byte.
    let mut codes = [(0u64, 0u8); 256];
    code.symbols.iter().zip(&code.codes).for_each(|(&b, &c)| codes[usize::from(b)] = c);
    let mut model = Model::new(&counts, code);
    let (mut low, mut high) = (0u32, u32::MAX);
    for &byte in &text {
        let (bits, length) = codes[usize::from(byte)];
        for k in (0..length).rev() {
            let bit = (bits >> k & 1) as u32;
            let middle = low + ((high - low) >> 12) * model.predict();
            if bit == 1 {
                high = middle;
            } else {
                low = middle + 1;
            }
            model.update(bit);
            while (low ^ high) & 0xff00_0000 == 0 {
                out.push((high >> 24) as u8);
                low <<= 8;
                high = (high << 8) | 255;
            }
        }
    }
    out.extend_from_slice(&low.to_be_bytes());
    out
}

/// The lists that [`pack`] packed, each as its text (a word a line), or `None` if the bytes are not such a packing.
pub fn unpack(packed: &[u8]) -> Option<Vec<String>> {
    let (&lists, rest) = packed.split_first()?;
    let u32_at = |bytes: &[u8], i: usize| Some(u32::from_le_bytes(bytes.get(i * 4..i * 4 + 4)?.try_into().ok()?));
    let counts: Vec<u32> = (0..usize::from(lists)).map(|i| u32_at(rest, i)).collect::<Option<_>>()?;
    let rest = &rest[usize::from(lists) * 4..];
    let length = u32_at(rest, 0)? as usize;
    let expected = u64::from_le_bytes(rest.get(4..12)?.try_into().ok()?);
    let symbols = usize::from(*rest.get(12)?) + 1;
    let code = Code::new(rest.get(13..13 + symbols)?.to_vec(), rest.get(13 + symbols..13 + 2 * symbols)?)?;
    let coded = &rest[13 + 2 * symbols..];

    let mut model = Model::new(&counts, code);
    let mut input = coded.iter().copied();
    let mut next = || u32::from(input.next().unwrap_or(0));
    let (mut low, mut high) = (0u32, u32::MAX);
    let mut x = (0..4).fold(0u32, |x, _| (x << 8) | next());
    let mut text = Vec::with_capacity(length.min(coded.len() * 16));
    while text.len() < length {
        let middle = low + ((high - low) >> 12) * model.predict();
        let bit = u32::from(x <= middle);
        if bit == 1 {
            high = middle;
        } else {
            low = middle + 1;
        }
        if let Some(byte) = model.update(bit) {
            text.push(byte);
        }
        while (low ^ high) & 0xff00_0000 == 0 {
            low <<= 8;
            high = (high << 8) | 255;
            x = (x << 8) | next();
        }
    }
    if checksum(&text) != expected {
        return None;
    }
    let text = String::from_utf8(text).ok()?;
    let mut lists = Vec::with_capacity(counts.len());
    let mut start = 0;
    for &count in &counts {
        let mut end = start;
        for _ in 0..count {
            end += text.as_bytes()[end..].iter().position(|&b| b == b'\n')? + 1;
        }
        lists.push(text[start..end].to_string());
        start = end;
    }
    Some(lists)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_unpack_to_themselves() {
        let lists = crate::dictionary::LISTS;
        let packed = pack(&lists);
        let unpacked = unpack(&packed).expect("unpacks");
        assert_eq!(unpacked.len(), 6);
        for (list, text) in lists.iter().zip(&unpacked) {
            assert!(list.lines().eq(text.lines()), "a list changed");
        }
        // The reason the coder exists: well under brotli's 348,846 bytes.
        assert!(packed.len() < 300_000, "{} bytes", packed.len());
    }

    #[test]
    fn small_lists_and_odd_bytes_round_trip() {
        let lists = ["é\nà bientôt\n", "", "x\n", "mot\nmots\nmotus\n"];
        let unpacked = unpack(&pack(&lists)).expect("unpacks");
        assert_eq!(unpacked, ["é\nà bientôt\n", "", "x\n", "mot\nmots\nmotus\n"]);
    }

    #[test]
    fn damaged_or_cut_packings_are_refused() {
        let mut packed = pack(&["alpha\nbeta\ngamma\ndelta\n"]);
        assert!(unpack(&packed[..3]).is_none());
        let last = packed.len() - 6;
        packed[last] ^= 0x40;
        assert!(unpack(&packed).is_none());
        assert!(unpack(&[]).is_none());
    }

    #[test]
    fn the_logistic_tables_are_monotonic_and_symmetric() {
        let l = Logistic::new();
        assert_eq!(l.squash(0), 2048);
        assert_eq!(l.squash(2047) + l.squash(-2047), 4096);
        assert!((-2047..2047).all(|d| l.squash(d) <= l.squash(d + 1)));
        // ln(4095) × 256 ≈ 2129: the ends saturate.
        assert!(l.squash(2047) >= 4094 && l.squash(-2047) <= 2);
        assert!((1..=4094).all(|p| l.squash(l.stretch(p)) >= i32::from(p)));
    }
}
