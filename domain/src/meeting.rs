//! The network's meetings, every six to eight weeks: scheduled by a coordinator, each with an
//! agenda FourthP prepares from the board and the ledger since the meeting before, and minutes
//! made from what was decided against the agenda's items.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::FieldErrors;
use crate::ids::MeetingId;
use crate::principal::Subject;
use crate::text::bounded_text;

bounded_text!(
    /// "Northshire anti-slavery network meeting".
    MeetingTitle, max = 200, multiline = false
);
bounded_text!(
    /// Where: a room, or "Online (Teams)".
    MeetingPlace, max = 500, multiline = false
);
bounded_text!(
    /// A decision recorded against an agenda item.
    MeetingNote, max = 2000, multiline = true
);

/// A meeting as scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub title: MeetingTitle,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: MeetingPlace,
}

/// The longest a meeting may last.
pub const LONGEST_HOURS: i64 = 12;

impl NewMeeting {
    /// Checks the parts together: it ends after it starts, within a day's length, and is not
    /// scheduled more than two years ahead or before the NRM began. Errors name `ends_at` and
    /// `starts_at`.
    pub fn parse(
        title: MeetingTitle,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        place: MeetingPlace,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        if ends_at <= starts_at {
            errs.push("ends_at", "must be after the start");
        } else if ends_at - starts_at > chrono::Duration::hours(LONGEST_HOURS) {
            errs.push("ends_at", format!("must be within {LONGEST_HOURS} hours of the start"));
        }
        if starts_at > now + chrono::Duration::days(731) {
            errs.push("starts_at", "must be within two years from today");
        }
        if starts_at.date_naive() < crate::case::nrm_start() {
            errs.push("starts_at", "must be after 1 April 2009");
        }
        errs.into_result()?;
        Ok(NewMeeting { title, starts_at, ends_at, place })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: MeetingId,
    pub details: NewMeeting,
    pub created_by: Subject,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

/// The whole months between two meetings: from the first day of the month after the previous
/// meeting's to the last day of the month before this one's. Figures are published for whole
/// months only (the report's disclosure rule). None when no whole month lies between.
pub fn whole_months_between(previous: NaiveDate, this: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    let first_after = |d: NaiveDate| {
        let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
        NaiveDate::from_ymd_opt(y, m, 1)
    };
    let from = first_after(previous)?;
    let this_month = NaiveDate::from_ymd_opt(this.year(), this.month(), 1)?;
    let to = this_month.pred_opt()?;
    (from <= to).then_some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn figures_cover_the_whole_months_between() {
        assert_eq!(whole_months_between(d(2026, 10, 15), d(2026, 12, 3)), Some((d(2026, 11, 1), d(2026, 11, 30))));
        assert_eq!(whole_months_between(d(2026, 11, 30), d(2026, 12, 29)), None);
        assert_eq!(whole_months_between(d(2026, 11, 2), d(2027, 1, 20)), Some((d(2026, 12, 1), d(2026, 12, 31))));
    }

    #[test]
    fn a_meeting_ends_after_it_starts() {
        let at = |h| DateTime::<Utc>::from_naive_utc_and_offset(d(2026, 12, 10).and_hms_opt(h, 0, 0).unwrap_or_default(), Utc);
        let title = MeetingTitle::parse("Network meeting").unwrap_or_else(|_| unreachable!());
        let place = MeetingPlace::parse("Town hall, room 2").unwrap_or_else(|_| unreachable!());
        assert!(NewMeeting::parse(title.clone(), at(10), at(12), place.clone(), at(0)).is_ok());
        let errs = NewMeeting::parse(title, at(12), at(10), place, at(0)).err().unwrap_or_default();
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["ends_at"]);
    }

    proptest! {
        /// The window is whole months, after the previous meeting and before this one.
        #[test]
        fn windows_are_whole_months_between(a in 0i64..2000, gap in 0i64..200) {
            let previous = d(2020, 1, 1) + chrono::Duration::days(a);
            let this = previous + chrono::Duration::days(gap);
            if let Some((from, to)) = whole_months_between(previous, this) {
                use chrono::Datelike;
                prop_assert!(from > previous && to < this && from <= to);
                prop_assert_eq!(from.day(), 1);
                prop_assert_eq!(to.succ_opt().map(|n| n.day()), Some(1));
            }
        }
    }
}
