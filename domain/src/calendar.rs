//! Working-day calendars for the three UK jurisdictions, computed by rule.
//!
//! Bank holidays: New Year's Day, Good Friday, Easter Monday (not Scotland), the first Monday of
//! May, the last Monday of May, the summer bank holiday (last Monday of August; first Monday of
//! August in Scotland), Christmas Day and Boxing Day; 2 January and St Andrew's Day in Scotland;
//! St Patrick's Day and 12 July in Northern Ireland. A fixed-date holiday falling on a weekend
//! (or on another holiday) moves to the next free weekday. One-off changes by proclamation are
//! listed in [`ONE_OFFS`].

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::case::Jurisdiction;
use crate::time::is_weekend;

/// A one-off change: `added` is a holiday that year; `replaces`, if any, is the regular holiday
/// it moved from.
#[derive(Debug, Clone, Copy)]
pub struct OneOff {
    pub added: (i32, u32, u32),
    pub replaces: Option<(i32, u32, u32)>,
}

/// One-off bank holidays. They were proclaimed for the whole UK; the list in the
/// design names them for England & Wales, and FourthP applies them in all three jurisdictions.
pub const ONE_OFFS: [OneOff; 8] = [
    OneOff { added: (2011, 4, 29), replaces: None },               // Royal wedding
    OneOff { added: (2012, 6, 4), replaces: Some((2012, 5, 28)) }, // late May moved
    OneOff { added: (2012, 6, 5), replaces: None },                // Diamond Jubilee
    OneOff { added: (2020, 5, 8), replaces: Some((2020, 5, 4)) },  // early May moved (VE Day)
    OneOff { added: (2022, 6, 2), replaces: Some((2022, 5, 30)) }, // late May moved
    OneOff { added: (2022, 6, 3), replaces: None },                // Platinum Jubilee
    OneOff { added: (2022, 9, 19), replaces: None },               // State funeral
    OneOff { added: (2023, 5, 8), replaces: None },                // Coronation
];

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Easter Sunday of `year` (Gregorian computus, the anonymous algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn first_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
}

fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 5)
        .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 4))
}

/// The bank holidays of `year` in `jurisdiction`, sorted.
pub fn bank_holidays(jurisdiction: Jurisdiction, year: i32) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = Vec::new();
    // Fixed-date holidays, in order, each moved to the next free weekday when it cannot fall on
    // its own date.
    let fixed: Vec<(u32, u32)> = match jurisdiction {
        Jurisdiction::EnglandWales => vec![(1, 1), (12, 25), (12, 26)],
        Jurisdiction::Scotland => vec![(1, 1), (1, 2), (11, 30), (12, 25), (12, 26)],
        Jurisdiction::NorthernIreland => vec![(1, 1), (3, 17), (7, 12), (12, 25), (12, 26)],
    };
    for (m, d) in fixed {
        let Some(mut day) = ymd(year, m, d) else {
            continue;
        };
        while is_weekend(day) || days.contains(&day) {
            day += Duration::days(1);
        }
        days.push(day);
    }
    if let Some(easter) = easter_sunday(year) {
        days.push(easter - Duration::days(2));
        if jurisdiction != Jurisdiction::Scotland {
            days.push(easter + Duration::days(1));
        }
    }
    days.extend(first_monday(year, 5));
    days.extend(last_monday(year, 5));
    days.extend(match jurisdiction {
        Jurisdiction::Scotland => first_monday(year, 8),
        _ => last_monday(year, 8),
    });
    for one_off in ONE_OFFS {
        let (y, m, d) = one_off.added;
        if y != year {
            continue;
        }
        if let Some((ry, rm, rd)) = one_off.replaces {
            if let Some(replaced) = ymd(ry, rm, rd) {
                days.retain(|day| *day != replaced);
            }
        }
        days.extend(ymd(y, m, d));
    }
    days.sort();
    days.dedup();
    days
}

/// Working days: weekdays that are not bank holidays in the jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar(pub Jurisdiction);

impl Calendar {
    pub fn is_bank_holiday(self, date: NaiveDate) -> bool {
        bank_holidays(self.0, date.year()).contains(&date)
    }

    pub fn is_working_day(self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_bank_holiday(date)
    }

    /// The date `n` working days after `date`: the day itself never counts, so a referral on a
    /// Saturday + 1 working day is the Monday. `n = 0` gives `date` unchanged.
    pub fn add_working_days(self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dates(list: &[(i32, u32, u32)]) -> Vec<NaiveDate> {
        list.iter().filter_map(|(y, m, d)| ymd(*y, *m, *d)).collect()
    }

    type Ymd = (i32, u32, u32);

    /// England & Wales, as published by the UK Government for 2020–2027.
    #[test]
    fn england_and_wales_2020_to_2027() {
        let published: [(i32, Vec<Ymd>); 8] = [
            (
                2020,
                vec![
                    (2020, 1, 1),
                    (2020, 4, 10),
                    (2020, 4, 13),
                    (2020, 5, 8),
                    (2020, 5, 25),
                    (2020, 8, 31),
                    (2020, 12, 25),
                    (2020, 12, 28),
                ],
            ),
            (
                2021,
                vec![(2021, 1, 1), (2021, 4, 2), (2021, 4, 5), (2021, 5, 3), (2021, 5, 31), (2021, 8, 30), (2021, 12, 27), (2021, 12, 28)],
            ),
            (
                2022,
                vec![
                    (2022, 1, 3),
                    (2022, 4, 15),
                    (2022, 4, 18),
                    (2022, 5, 2),
                    (2022, 6, 2),
                    (2022, 6, 3),
                    (2022, 8, 29),
                    (2022, 9, 19),
                    (2022, 12, 26),
                    (2022, 12, 27),
                ],
            ),
            (
                2023,
                vec![
                    (2023, 1, 2),
                    (2023, 4, 7),
                    (2023, 4, 10),
                    (2023, 5, 1),
                    (2023, 5, 8),
                    (2023, 5, 29),
                    (2023, 8, 28),
                    (2023, 12, 25),
                    (2023, 12, 26),
                ],
            ),
            (
                2024,
                vec![(2024, 1, 1), (2024, 3, 29), (2024, 4, 1), (2024, 5, 6), (2024, 5, 27), (2024, 8, 26), (2024, 12, 25), (2024, 12, 26)],
            ),
            (
                2025,
                vec![
                    (2025, 1, 1),
                    (2025, 4, 18),
                    (2025, 4, 21),
                    (2025, 5, 5),
                    (2025, 5, 26),
                    (2025, 8, 25),
                    (2025, 12, 25),
                    (2025, 12, 26),
                ],
            ),
            (
                2026,
                vec![(2026, 1, 1), (2026, 4, 3), (2026, 4, 6), (2026, 5, 4), (2026, 5, 25), (2026, 8, 31), (2026, 12, 25), (2026, 12, 28)],
            ),
            (
                2027,
                vec![
                    (2027, 1, 1),
                    (2027, 3, 26),
                    (2027, 3, 29),
                    (2027, 5, 3),
                    (2027, 5, 31),
                    (2027, 8, 30),
                    (2027, 12, 27),
                    (2027, 12, 28),
                ],
            ),
        ];
        for (year, expected) in published {
            assert_eq!(bank_holidays(Jurisdiction::EnglandWales, year), dates(&expected), "{year}");
        }
        // 2012: late May moved to 4 June, plus the Diamond Jubilee.
        let y2012 = bank_holidays(Jurisdiction::EnglandWales, 2012);
        assert!(y2012.contains(&NaiveDate::from_ymd_opt(2012, 6, 4).unwrap_or_default()));
        assert!(!y2012.contains(&NaiveDate::from_ymd_opt(2012, 5, 28).unwrap_or_default()));
    }

    #[test]
    fn scotland_and_northern_ireland() {
        // Scotland 2026: 2 January, no Easter Monday, first Monday of August, St Andrew's Day
        // (a Monday that year).
        let s = bank_holidays(Jurisdiction::Scotland, 2026);
        assert_eq!(
            s,
            dates(&[
                (2026, 1, 1),
                (2026, 1, 2),
                (2026, 4, 3),
                (2026, 5, 4),
                (2026, 5, 25),
                (2026, 8, 3),
                (2026, 11, 30),
                (2026, 12, 25),
                (2026, 12, 28)
            ])
        );
        // 2022: New Year's Day a Saturday, 2 January a Sunday: Monday 3 and Tuesday 4.
        let s = bank_holidays(Jurisdiction::Scotland, 2022);
        assert!(s.contains(&ymd(2022, 1, 3).unwrap_or_default()) && s.contains(&ymd(2022, 1, 4).unwrap_or_default()));
        // St Andrew's Day on a Saturday (2024) moves to Monday 2 December.
        assert!(bank_holidays(Jurisdiction::Scotland, 2024).contains(&ymd(2024, 12, 2).unwrap_or_default()));
        // Northern Ireland 2026: St Patrick's Day (Tuesday), 12 July a Sunday: Monday 13.
        let ni = bank_holidays(Jurisdiction::NorthernIreland, 2026);
        assert!(ni.contains(&ymd(2026, 3, 17).unwrap_or_default()));
        assert!(ni.contains(&ymd(2026, 7, 13).unwrap_or_default()));
        assert!(ni.contains(&ymd(2026, 4, 6).unwrap_or_default()));
        assert_eq!(ni.len(), 10);
    }

    #[test]
    fn easter() {
        let expected = [(2019, 4, 21), (2020, 4, 12), (2024, 3, 31), (2025, 4, 20), (2026, 4, 5), (2038, 4, 25), (2285, 3, 22)];
        for (y, m, d) in expected {
            assert_eq!(easter_sunday(y), ymd(y, m, d), "{y}");
        }
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let ew = Calendar(Jurisdiction::EnglandWales);
        // Referral on Monday 21 Dec 2026: Tue 22, Wed 23, Thu 24, (25 Fri, 26-27 weekend,
        // 28 Mon substitute) Tue 29, Wed 30.
        assert_eq!(ew.add_working_days(ymd(2026, 12, 21).unwrap_or_default(), 5), ymd(2026, 12, 30).unwrap_or_default());
        // Over Easter 2026: Thursday 2 April + 1 working day skips Good Friday, the weekend and
        // Easter Monday.
        assert_eq!(ew.add_working_days(ymd(2026, 4, 2).unwrap_or_default(), 1), ymd(2026, 4, 7).unwrap_or_default());
        // Scotland works on Easter Monday.
        let sc = Calendar(Jurisdiction::Scotland);
        assert_eq!(sc.add_working_days(ymd(2026, 4, 2).unwrap_or_default(), 1), ymd(2026, 4, 6).unwrap_or_default());
    }

    fn arb_date() -> impl Strategy<Value = NaiveDate> {
        (2009i32..2040, 1u32..=366)
            .prop_map(|(y, d)| NaiveDate::from_yo_opt(y, d).or_else(|| NaiveDate::from_yo_opt(y, 365)).unwrap_or_default())
    }

    fn arb_jurisdiction() -> impl Strategy<Value = Jurisdiction> {
        prop::sample::select(Jurisdiction::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn adding_working_days_lands_on_a_working_day(j in arb_jurisdiction(), d in arb_date(), n in 1u32..40) {
            let cal = Calendar(j);
            let end = cal.add_working_days(d, n);
            prop_assert!(cal.is_working_day(end));
            prop_assert!(!is_weekend(end));
            prop_assert!(end >= d);
        }

        #[test]
        fn adding_working_days_is_monotonic(j in arb_jurisdiction(), d in arb_date(), n in 0u32..40) {
            let cal = Calendar(j);
            prop_assert!(cal.add_working_days(d, n) < cal.add_working_days(d, n + 1));
        }

        #[test]
        fn adding_zero_to_a_working_day_is_the_identity(j in arb_jurisdiction(), d in arb_date()) {
            let cal = Calendar(j);
            if cal.is_working_day(d) {
                prop_assert_eq!(cal.add_working_days(d, 0), d);
            }
        }

        #[test]
        fn every_year_has_its_holidays_on_weekdays(j in arb_jurisdiction(), y in 2009i32..2100) {
            let days = bank_holidays(j, y);
            prop_assert!(days.len() >= 8);
            prop_assert!(days.iter().all(|d| !is_weekend(*d) && d.year() == y));
        }
    }
}
