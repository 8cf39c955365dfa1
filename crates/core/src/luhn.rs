//! The Luhn key used by RPPS and ADELI numbers.

/// True when `digits` (ASCII digits only, check digit last) satisfies the Luhn check.
pub fn is_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn table() {
        for (input, ok) in [
            ("10005173140", true),
            ("99700771191", true),
            ("10003461033", false),
            ("10102727017", false),
            ("789310596", true),
            ("789310597", false),
            ("010003820", true),
            ("", false),
            ("12a", false),
        ] {
            assert_eq!(is_valid(input), ok, "{input}");
        }
    }
}
