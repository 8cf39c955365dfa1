//! Unix time as a civil date and time in UTC, without a calendar crate: the certificates' dates and the console's.

/// A moment in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl Utc {
    /// The civil date and time of Unix seconds (Howard Hinnant's days-to-civil algorithm).
    pub fn of_unix(secs: i64) -> Utc {
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc { year, month, day, hour: rest / 3600, minute: rest % 3600 / 60, second: rest % 60 }
    }
}

#[cfg(test)]
mod tests {
    use super::Utc;

    #[test]
    fn civil_dates() {
        assert_eq!(Utc::of_unix(0), Utc { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
        assert_eq!(Utc::of_unix(951_782_400), Utc { year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0 });
        let t = Utc::of_unix(1_795_000_000);
        assert_eq!((t.year, t.month, t.day, t.hour, t.minute, t.second), (2026, 11, 18, 11, 6, 40));
    }
}
