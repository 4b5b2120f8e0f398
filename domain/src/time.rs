//! Local time in Europe/London, by rule.
//!
//! Dates that people work with (deadlines, "today", the year of a case reference) are local dates
//! in Europe/London. Since 1996 the UK changes clocks on the last Sunday of March and of October
//! at 01:00 UTC (British Summer Time = UTC+1 between them). The rule is applied directly rather
//! than through a time-zone database: it is short, exact for every date FourthP handles, and
//! keeps the domain free of I/O.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1)? } else { NaiveDate::from_ymd_opt(year, month + 1, 1)? };
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_signed(Duration::days(i64::from(back)))
}

/// Whether British Summer Time is in force at `instant`.
pub fn is_bst(instant: DateTime<Utc>) -> bool {
    let year = instant.year();
    let (Some(start), Some(end)) = (last_sunday(year, 3), last_sunday(year, 10)) else {
        return false;
    };
    let at_one = |d: NaiveDate| d.and_hms_opt(1, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    match (at_one(start), at_one(end)) {
        (Some(s), Some(e)) => instant >= s && instant < e,
        _ => false,
    }
}

/// The local calendar date in Europe/London at `instant`.
pub fn london_date(instant: DateTime<Utc>) -> NaiveDate {
    london_time(instant).date()
}

/// The local date and time in Europe/London at `instant`.
pub fn london_time(instant: DateTime<Utc>) -> chrono::NaiveDateTime {
    let offset = if is_bst(instant) { Duration::hours(1) } else { Duration::zero() };
    (instant + offset).naive_utc()
}

/// The instant at which clocks in London show `local`: in the autumn's repeated hour the first
/// (BST) reading; a time in the spring's skipped hour reads as BST.
pub fn from_london(local: chrono::NaiveDateTime) -> DateTime<Utc> {
    let as_bst = Utc.from_utc_datetime(&(local - Duration::hours(1)));
    if is_bst(as_bst) {
        as_bst
    } else {
        Utc.from_utc_datetime(&local)
    }
}

/// Whether `date` falls on a Saturday or Sunday.
pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// London's clock reading of an instant leads back to the instant (but in the autumn's
        /// repeated hour, where the first reading is meant).
        #[test]
        fn london_readings_round_trip(secs in 946_684_800i64..4_102_444_800) {
            let instant = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
            let back = from_london(london_time(instant));
            proptest::prop_assert!(back == instant || back == instant - Duration::hours(1), "{instant} {back}");
        }
    }
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn clock_changes_2026() {
        // BST 2026: 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert!(!is_bst(utc("2026-03-29T00:59:59Z")));
        assert!(is_bst(utc("2026-03-29T01:00:00Z")));
        assert!(is_bst(utc("2026-10-25T00:59:59Z")));
        assert!(!is_bst(utc("2026-10-25T01:00:00Z")));
    }

    #[test]
    fn local_date_crosses_midnight_in_summer_only() {
        assert_eq!(london_date(utc("2026-07-01T23:30:00Z")), NaiveDate::from_ymd_opt(2026, 7, 2).unwrap_or_default());
        assert_eq!(london_date(utc("2026-12-31T23:30:00Z")), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default());
        assert_eq!(london_date(utc("2027-01-01T00:00:00Z")), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default());
    }

    #[test]
    fn last_sundays() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(last_sunday(2024, 3), d(2024, 3, 31));
        assert_eq!(last_sunday(2024, 10), d(2024, 10, 27));
        assert_eq!(last_sunday(2025, 3), d(2025, 3, 30));
        assert_eq!(last_sunday(2025, 10), d(2025, 10, 26));
        assert_eq!(last_sunday(2026, 12), d(2026, 12, 27));
    }

    proptest! {
        #[test]
        fn local_date_is_utc_date_or_next(secs in 946_684_800i64..4_102_444_800i64) {
            let t = Utc.timestamp_opt(secs, 0).single().unwrap_or_default();
            let local = london_date(t);
            let d = t.date_naive();
            prop_assert!(local == d || Some(local) == d.succ_opt());
            prop_assert_eq!(local != d, is_bst(t) && t.time() >= chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap_or_default());
        }
    }
}
