//! Subject access (UK GDPR art. 15): a person's right to a copy of everything held about them,
//! answered without undue delay and at the latest one calendar month after the request was
//! received. The rules here: when the answer is due, and what a copy withholds about other
//! people (third parties, and the staff of other agencies) as the law allows (Data Protection
//! Act 2018, sch. 2 para. 16).

use chrono::{Datelike, Duration, NaiveDate};

use crate::calendar::Calendar;
use crate::challenge::{personal_data_in, Finding};
use crate::forum::withhold;

/// The day the answer is due for a request received on `received`: the same day of the next
/// calendar month, or that month's last day when it has no such day (a request of 31 January
/// is due on 28 or 29 February); moved on to the next working day when it falls on a weekend
/// or a bank holiday (ICO guidance on the time limit for a subject access request).
pub fn answer_due(received: NaiveDate, calendar: Calendar) -> NaiveDate {
    let (year, month) = if received.month() == 12 { (received.year() + 1, 1) } else { (received.year(), received.month() + 1) };
    let mut due = (1..=received.day()).rev().find_map(|d| NaiveDate::from_ymd_opt(year, month, d)).unwrap_or(received + Duration::days(28));
    while !calendar.is_working_day(due) {
        due += Duration::days(1);
    }
    due
}

/// How a request stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStanding {
    Answered,
    Due { days_left: i64 },
    Overdue { days_over: i64 },
}

pub fn standing(due: NaiveDate, answered: bool, today: NaiveDate) -> RequestStanding {
    if answered {
        RequestStanding::Answered
    } else if today > due {
        RequestStanding::Overdue { days_over: (today - due).num_days() }
    } else {
        RequestStanding::Due { days_left: (due - today).num_days() }
    }
}

/// What the person's copy may say of someone else: the subject's own names and reference are
/// theirs; other people's names (another case's, a member of staff's), emails, telephone
/// numbers and other cases' references are withheld.
#[derive(Debug, Clone, Default)]
pub struct ThirdParties {
    /// The names the person is known by in the record (lower case): never withheld.
    pub own_names: Vec<String>,
    /// The person's case reference: never withheld.
    pub own_reference: String,
    /// Names the record's free text holds that belong to someone else (as stored).
    pub others: Vec<String>,
}

impl ThirdParties {
    /// `text` as the person's copy shows it.
    pub fn withheld(&self, text: &str) -> String {
        let found = personal_data_in(text, &self.others);
        let to_withhold: Vec<&str> = found
            .iter()
            .filter(|f| match f {
                Finding::Name(n) => !self.own_names.contains(&n.to_lowercase()),
                Finding::CaseReference(r) => *r != self.own_reference,
                Finding::Email(_) | Finding::Phone(_) => true,
                Finding::Date(_) => false,
            })
            .map(Finding::text)
            .collect();
        withhold(text, &to_withhold)
    }
}

/// The day the record is due to be redacted, when the case is closed: `years` after its
/// closure (the deployment's retention period).
pub fn retained_until(closed_on: Option<NaiveDate>, years: u32) -> Option<NaiveDate> {
    let closed = closed_on?;
    let year = closed.year() + i32::try_from(years).ok()?;
    closed.with_year(year).or_else(|| NaiveDate::from_ymd_opt(year, closed.month(), 28))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Jurisdiction;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    const EW: Calendar = Calendar(Jurisdiction::EnglandWales);

    #[test]
    fn a_month_later_on_the_corresponding_day() {
        // Thursday 3 September 2026 -> Saturday 3 October -> Monday 5 October.
        assert_eq!(answer_due(d(2026, 9, 3), EW), d(2026, 10, 5));
        // Wednesday 4 November 2026 -> Friday 4 December.
        assert_eq!(answer_due(d(2026, 11, 4), EW), d(2026, 12, 4));
    }

    #[test]
    fn the_last_day_of_a_shorter_month() {
        // 31 January 2028 -> 29 February 2028 (a Tuesday, a leap year).
        assert_eq!(answer_due(d(2028, 1, 31), EW), d(2028, 2, 29));
        // 31 January 2027 -> 28 February 2027 is a Sunday -> Monday 1 March.
        assert_eq!(answer_due(d(2027, 1, 31), EW), d(2027, 3, 1));
    }

    #[test]
    fn over_the_year_end_and_its_bank_holidays() {
        // 25 November 2026 -> Friday 25 December is Christmas; 26th Saturday, 28th the Boxing Day
        // substitute -> Tuesday 29 December.
        assert_eq!(answer_due(d(2026, 11, 25), EW), d(2026, 12, 29));
        assert_eq!(answer_due(d(2026, 12, 15), EW), d(2027, 1, 15));
    }

    #[test]
    fn standing_counts_days() {
        let due = d(2026, 12, 4);
        assert_eq!(standing(due, false, d(2026, 12, 1)), RequestStanding::Due { days_left: 3 });
        assert_eq!(standing(due, false, d(2026, 12, 7)), RequestStanding::Overdue { days_over: 3 });
        assert_eq!(standing(due, true, d(2026, 12, 7)), RequestStanding::Answered);
    }

    #[test]
    fn other_people_are_withheld_and_the_person_is_not() {
        let parties = ThirdParties {
            own_names: vec!["aj".to_owned()],
            own_reference: "2026-000123".to_owned(),
            others: vec!["Priya Shah".to_owned(), "Marek".to_owned()],
        };
        let text = "AJ (2026-000123) met Priya Shah on 02/12/2026 with Marek of 2026-000124; call 07700 900123 or priya@example.org.";
        let shown = parties.withheld(text);
        assert!(shown.starts_with("AJ (2026-000123) met [withheld] on 02/12/2026 with [withheld] of [withheld]"), "{shown}");
        assert!(!shown.contains("07700"), "{shown}");
        assert!(!shown.contains("priya@"), "{shown}");
    }

    #[test]
    fn retention_runs_from_closure() {
        assert_eq!(retained_until(Some(d(2026, 3, 1)), 6), Some(d(2032, 3, 1)));
        assert_eq!(retained_until(Some(d(2028, 2, 29)), 1), Some(d(2029, 2, 28)));
        assert_eq!(retained_until(None, 6), None);
    }

    proptest! {
        #[test]
        fn due_within_a_month_and_a_few_days_and_on_a_working_day(days in 0i64..5000) {
            let received = d(2024, 1, 1) + Duration::days(days);
            let due = answer_due(received, EW);
            prop_assert!(EW.is_working_day(due));
            let gap = (due - received).num_days();
            // 28 days at least (February), 31 plus a long weekend and Christmas at most.
            prop_assert!((28..=36).contains(&gap), "{received} -> {due}");
            // Never before the corresponding day (or the month's end).
            let naive_month_later = received.checked_add_months(chrono::Months::new(1)).unwrap_or(received);
            prop_assert!(due >= naive_month_later);
        }

        #[test]
        fn withholding_never_shows_an_email_or_another_reference(n in 1u32..999_999, user in "[a-z]{1,8}") {
            let parties = ThirdParties { own_reference: "2026-000001".to_owned(), ..ThirdParties::default() };
            let other = format!("2026-{n:06}");
            let text = format!("wrote to {user}@example.org about {other}");
            let shown = parties.withheld(&text);
            prop_assert!(!shown.contains('@'));
            if other != "2026-000001" {
                prop_assert!(!shown.contains(&other));
            }
        }
    }
}
