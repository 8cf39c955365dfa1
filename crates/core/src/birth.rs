//! Day and month of birth (no year: the procedure asks for "Jour/Mois de naissance").
use crate::error::ErrorCode;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BirthDayMonth {
    pub day: u8,
    pub month: u8,
}

pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Days in a month of a leap year, so that 29 February is accepted.
const fn days_in_month(month: u8) -> u8 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl BirthDayMonth {
    pub fn parse(day: &str, month: &str) -> Result<Self, ErrorCode> {
        let (day, month) = (day.trim(), month.trim());
        if day.is_empty() || month.is_empty() {
            return Err(ErrorCode::Required);
        }
        let day: u8 = day.parse().map_err(|_| ErrorCode::InvalidDate)?;
        let month: u8 = month.parse().map_err(|_| ErrorCode::InvalidDate)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(month) {
            return Err(ErrorCode::InvalidDate);
        }
        Ok(BirthDayMonth { day, month })
    }
}

impl std::fmt::Display for BirthDayMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.day, MONTHS[usize::from(self.month - 1)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (day, month, ok) in [
            ("1", "1", Ok(())),
            ("29", "2", Ok(())),
            ("31", "12", Ok(())),
            ("30", "4", Ok(())),
            ("31", "2", Err(ErrorCode::InvalidDate)),
            ("30", "2", Err(ErrorCode::InvalidDate)),
            ("31", "4", Err(ErrorCode::InvalidDate)),
            ("0", "5", Err(ErrorCode::InvalidDate)),
            ("12", "13", Err(ErrorCode::InvalidDate)),
            ("x", "1", Err(ErrorCode::InvalidDate)),
            ("", "1", Err(ErrorCode::Required)),
            ("1", "", Err(ErrorCode::Required)),
        ] {
            assert_eq!(BirthDayMonth::parse(day, month).map(|_| ()), ok, "{day}/{month}");
        }
        assert_eq!(BirthDayMonth::parse("29", "2").unwrap().to_string(), "29 février");
    }
}
