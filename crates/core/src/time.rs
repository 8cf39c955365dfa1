//! Unix time as a civil date and time, without a calendar crate: in UTC (the certificates' dates) and in France's
//! legal time (the console's).

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

    /// The civil date and time in metropolitan France (Europe/Paris): UTC+1, and UTC+2 from the last Sunday of March
    /// to the last Sunday of October, each at 01:00 UTC (the European Union's rule since 1996).
    pub fn paris(secs: i64) -> Utc {
        let year = Utc::of_unix(secs).year;
        let summer = last_sunday_1am(year, 3)..last_sunday_1am(year, 10);
        Utc::of_unix(secs + if summer.contains(&secs) { 7200 } else { 3600 })
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days-from-civil algorithm).
fn days_of_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of 01:00 UTC on the last Sunday of `month` (March or October: 31 days).
fn last_sunday_1am(year: i64, month: i64) -> i64 {
    let last = days_of_civil(year, month, 31);
    // 1970-01-01 was a Thursday: day 0 is 4 days after a Sunday.
    let sunday = last - (last + 4).rem_euclid(7);
    sunday * 86_400 + 3600
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

    #[test]
    fn days_of_civil_is_the_inverse_of_of_unix() {
        for days in [-719_468, -1, 0, 11_016, 20_000, 20_790, 60_000] {
            let t = Utc::of_unix(days * 86_400);
            assert_eq!(super::days_of_civil(t.year, t.month, t.day), days, "{t:?}");
        }
    }

    #[test]
    fn paris_time_changes_on_the_last_sundays_of_march_and_october_at_1_utc() {
        let at = |secs| {
            let t = Utc::paris(secs);
            (t.year, t.month, t.day, t.hour, t.minute)
        };
        // 2026: summer time from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC.
        let (spring, autumn) = (1_774_746_000, 1_792_890_000);
        assert_eq!(at(spring - 60), (2026, 3, 29, 1, 59));
        assert_eq!(at(spring), (2026, 3, 29, 3, 0));
        assert_eq!(at(autumn - 60), (2026, 10, 25, 2, 59));
        assert_eq!(at(autumn), (2026, 10, 25, 2, 0));
        // Winter and summer, and a new year that begins in Paris an hour before it does in UTC.
        assert_eq!(at(1_796_279_700), (2026, 12, 3, 7, 35));
        assert_eq!(at(1_781_000_000), (2026, 6, 9, 12, 13));
        assert_eq!(at(1_798_758_000), (2027, 1, 1, 0, 0));
        // 2027's change is on Sunday 28 March.
        assert_eq!(at(1_806_195_600), (2027, 3, 28, 3, 0));
    }
}
