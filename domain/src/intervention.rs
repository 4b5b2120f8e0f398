//! Interventions: single acts of coordination, mostly "just a phone call or an email".

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::ids::{AgencyId, CaseId, InterventionId, NeedId};
use crate::need::NeedDomain;
use crate::principal::Subject;
use crate::text::bounded_text;

vocabulary!(
    Channel {
        PhoneCall => "phone_call",
        Email => "email",
        Meeting => "meeting",
        VideoCall => "video_call",
        TextMessage => "text_message",
        Letter => "letter",
        Visit => "visit",
        Other => "other",
    }
);

vocabulary!(
    Direction {
        Outbound => "outbound",
        Inbound => "inbound",
    }
);

bounded_text!(
    /// What was said or done: free text, restricted to the recording agency and coordinators.
    Summary, max = 4000, multiline = true
);

/// Minutes spent, 0 to 1,440 (a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DurationMinutes(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number of minutes from 0 to 1440")]
pub struct InvalidDuration;

impl DurationMinutes {
    pub fn parse(n: i64) -> Result<Self, InvalidDuration> {
        u16::try_from(n).ok().filter(|n| *n <= 1440).map(DurationMinutes).ok_or(InvalidDuration)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// How far ahead of the server's clock an intervention may be timed (clock skew, typing ahead).
pub const FUTURE_TOLERANCE_MINUTES: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OccurredAtError {
    #[error("must not be more than 5 minutes in the future")]
    Future,
    #[error("is earlier than the case's first event by more than the back-dating window")]
    TooEarly,
}

/// Checks when an intervention happened against now and the earliest date the case allows
/// (its first event minus the back-dating window, or the NRM's start).
pub fn check_occurred_at(occurred_at: DateTime<Utc>, now: DateTime<Utc>, earliest: NaiveDate) -> Result<(), OccurredAtError> {
    if occurred_at > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        return Err(OccurredAtError::Future);
    }
    if crate::time::london_date(occurred_at) < earliest {
        return Err(OccurredAtError::TooEarly);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntervention {
    pub channel: Channel,
    pub direction: Direction,
    pub counterpart_agency_id: AgencyId,
    pub occurred_at: DateTime<Utc>,
    pub need_domain: NeedDomain,
    pub need_id: Option<NeedId>,
    pub summary: Summary,
    pub duration_minutes: DurationMinutes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervention {
    pub id: InterventionId,
    pub case_id: CaseId,
    pub details: NewIntervention,
    pub recorded_by: Subject,
    pub recorded_by_agency: AgencyId,
    pub recorded_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert!(DurationMinutes::parse(0).is_ok() && DurationMinutes::parse(1440).is_ok());
        assert!(DurationMinutes::parse(-1).is_err() && DurationMinutes::parse(1441).is_err());
        let now = DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default();
        let earliest = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        assert_eq!(check_occurred_at(now + Duration::minutes(5), now, earliest), Ok(()));
        assert_eq!(check_occurred_at(now + Duration::minutes(6), now, earliest), Err(OccurredAtError::Future));
        assert_eq!(check_occurred_at(now - Duration::days(800), now, earliest), Err(OccurredAtError::TooEarly));
    }
}
