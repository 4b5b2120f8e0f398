//! Telling partners what they owe where they already are: the events a change announces, the
//! daily digest's timing, the "what happened?" ask-back, webhook endpoints and the signing of
//! their deliveries (Standard Webhooks).
//!
//! Nothing here carries personal data: an event names ids, a case reference, what is owed and
//! when, never a name, alias, nationality, date of birth or note.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};

use crate::calendar::Calendar;
use crate::ids::{AgencyId, AskId, CaseId, InterventionId};
use crate::principal::Subject;
use crate::text::bounded_text;

vocabulary!(
    /// What a notification tells of (the Standard Webhooks `type`).
    Topic {
        /// An action was agreed for the agency.
        ActionCreated => "action.created",
        /// An action the agency owes was done or cancelled.
        ActionClosed => "action.closed",
        /// An open action falls due within the next 2 days.
        ActionDueSoon => "action.due_soon",
        /// An open action is past its due date.
        ActionOverdue => "action.overdue",
        /// A case deadline the agency's coordinators keep falls due within 2 days.
        DeadlineDueSoon => "deadline.due_soon",
        /// A case deadline the agency's coordinators keep is past due.
        DeadlineOverdue => "deadline.overdue",
        /// The agency was put on a case's team.
        TeamAdded => "team.added",
        /// The agency was taken off a case's team.
        TeamRemoved => "team.removed",
        /// A coordinator asks the agency what happened after a conversation.
        AskDue => "ask.due",
        /// The agency answered an ask-back.
        AskAnswered => "ask.answered",
        /// The daily (or weekly) digest email.
        Digest => "digest",
    }
);

impl Topic {
    /// The topics an endpoint may subscribe to (the digest is email only).
    pub fn for_webhooks() -> impl Iterator<Item = Topic> {
        Topic::ALL.iter().copied().filter(|t| *t != Topic::Digest)
    }
}

vocabulary!(
    /// How often a person gets the digest.
    DigestFrequency {
        Daily => "daily",
        /// Mondays (or the first working day of the week).
        Weekly => "weekly",
        Off => "off",
    }
);

vocabulary!(
    /// The counterpart's answer to "what happened?".
    AskAnswer {
        Done => "done",
        InProgress => "in_progress",
        CouldNotHelp => "could_not_help",
    }
);

bounded_text!(
    /// What the counterpart says happened.
    AskAnswerText, max = 2000, multiline = true
);

/// "What happened?": a coordinator who logged a conversation asks the counterpart agency to
/// report back on `ask_on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub id: AskId,
    pub case_id: CaseId,
    /// The conversation it follows.
    pub intervention_id: InterventionId,
    /// Who is asked.
    pub agency: AgencyId,
    pub ask_on: NaiveDate,
    pub asked_by: Subject,
    pub asked_by_agency: Option<AgencyId>,
    pub created_at: DateTime<Utc>,
    pub answer: Option<Answer>,
}

/// The counterpart's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: AskAnswer,
    pub text: Option<AskAnswerText>,
    pub by: Subject,
    pub at: DateTime<Utc>,
}

impl Ask {
    /// Unanswered 14 days after its day: shown to the coordinator, counted in the report.
    pub fn unanswered_on(&self, today: NaiveDate) -> bool {
        self.answer.is_none() && today > self.ask_on + chrono::Duration::days(ASK_UNANSWERED_DAYS)
    }

    /// Due to be asked on `today` (and not yet too old to ask).
    pub fn due_on(&self, today: NaiveDate) -> bool {
        self.answer.is_none() && self.ask_on <= today && !self.unanswered_on(today)
    }
}

/// How long an emailed link stays usable.
pub const LINK_DAYS: i64 = 14;
/// An ask-back unanswered this many days after its day is shown to the coordinator as unanswered.
pub const ASK_UNANSWERED_DAYS: i64 = 14;
/// How long a failing webhook endpoint is retried before it is disabled.
pub const WEBHOOK_GIVE_UP_HOURS: i64 = 72;

/// After how many days the counterpart is asked what happened: 1 to 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AskAfter(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number of days from 1 to 60")]
pub struct InvalidAskAfter;

impl AskAfter {
    pub fn parse(days: i64) -> Result<Self, InvalidAskAfter> {
        u8::try_from(days).ok().filter(|d| (1..=60).contains(d)).map(AskAfter).ok_or(InvalidAskAfter)
    }

    pub fn days(self) -> i64 {
        i64::from(self.0)
    }

    /// The day to ask, counted from the conversation's (London) date.
    pub fn ask_on(self, talked_on: NaiveDate) -> NaiveDate {
        talked_on + chrono::Duration::days(self.days())
    }
}

/// When the digest goes out: a local time on working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestSchedule {
    pub at: NaiveTime,
    pub calendar: Calendar,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a time of day as HH:MM (24-hour clock)")]
pub struct InvalidDigestTime;

impl DigestSchedule {
    /// Parses `HH:MM`.
    pub fn parse_time(text: &str) -> Result<NaiveTime, InvalidDigestTime> {
        let t = text.trim();
        if t.len() != 5 {
            return Err(InvalidDigestTime);
        }
        NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| InvalidDigestTime)
    }

    /// The (London) day whose digest is due at `now`: today, when it is a working day and the
    /// digest time has passed; else none.
    pub fn due_at(self, now: DateTime<Utc>) -> Option<NaiveDate> {
        let local = crate::time::london_time(now);
        let today = local.date();
        (self.calendar.is_working_day(today) && local.time() >= self.at).then_some(today)
    }

    /// Whether `freq` gets a digest on `day` (a working day): daily ones every working day,
    /// weekly ones on the week's first working day.
    pub fn sends(self, freq: DigestFrequency, day: NaiveDate) -> bool {
        match freq {
            DigestFrequency::Off => false,
            DigestFrequency::Daily => true,
            DigestFrequency::Weekly => {
                let monday = day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()));
                let first = (0..5).map(|n| monday + chrono::Duration::days(n)).find(|d| self.calendar.is_working_day(*d));
                first == Some(day) && day.weekday() != Weekday::Sat
            }
        }
    }
}

/// Where an endpoint receives deliveries: `https://`, or `http://` on the loopback interface
/// (a receiver beside the partner's system); no credentials in the URL, no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an https:// address (http:// only for 127.0.0.1 or localhost), without a password or a #fragment")]
pub struct InvalidWebhookUrl;

impl WebhookUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidWebhookUrl> {
        let url = raw.trim();
        if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains('#') {
            return Err(InvalidWebhookUrl);
        }
        let (scheme, rest) = url.split_once("://").ok_or(InvalidWebhookUrl)?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return Err(InvalidWebhookUrl);
        }
        let host = match authority.rsplit_once(':') {
            Some((h, port)) if !h.ends_with(']') || authority.starts_with('[') => {
                if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) || port.parse::<u16>().is_err() {
                    return Err(InvalidWebhookUrl);
                }
                h
            }
            _ => authority,
        };
        let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
        let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
        match scheme {
            "https" if host_ok => Ok(WebhookUrl(url.to_owned())),
            "http" if loopback => Ok(WebhookUrl(url.to_owned())),
            _ => Err(InvalidWebhookUrl),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What is signed for a delivery: `{id}.{timestamp}.{body}` (Standard Webhooks).
pub fn signed_content(message_id: &str, timestamp: i64, body: &str) -> String {
    format!("{message_id}.{timestamp}.{body}")
}

/// The wait before retry `attempt` (1-based) of a failed webhook delivery: 30 s doubling to
/// at most 6 hours, so that 3 days hold about 21 attempts.
pub fn retry_after(attempt: i32) -> chrono::Duration {
    let doubling = attempt.clamp(1, 20) - 1;
    let seconds = 30_i64.saturating_mul(1_i64 << doubling.min(12));
    chrono::Duration::seconds(seconds.min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Jurisdiction;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn schedule() -> DigestSchedule {
        DigestSchedule { at: NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default(), calendar: Calendar(Jurisdiction::EnglandWales) }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap_or_default()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_digest_is_due_after_half_past_seven_london_time_on_working_days() {
        let s = schedule();
        // Friday 4 December 2026, GMT: 07:29 is too early, 07:30 is due.
        assert_eq!(s.due_at(utc(2026, 12, 4, 7, 29)), None);
        assert_eq!(s.due_at(utc(2026, 12, 4, 7, 30)), Some(date(2026, 12, 4)));
        // Summer time: 07:30 in London is 06:30 UTC.
        assert_eq!(s.due_at(utc(2026, 7, 1, 6, 30)), Some(date(2026, 7, 1)));
        assert_eq!(s.due_at(utc(2026, 7, 1, 6, 29)), None);
        // Saturday, and Christmas Day (a Friday in 2026): none.
        assert_eq!(s.due_at(utc(2026, 12, 5, 9, 0)), None);
        assert_eq!(s.due_at(utc(2026, 12, 25, 9, 0)), None);
    }

    #[test]
    fn weekly_digests_go_on_the_first_working_day_of_the_week() {
        let s = schedule();
        assert!(s.sends(DigestFrequency::Weekly, date(2026, 11, 30)));
        assert!(!s.sends(DigestFrequency::Weekly, date(2026, 12, 1)));
        // Easter Monday 2027 (29 March) is a bank holiday: the Tuesday.
        assert!(s.sends(DigestFrequency::Weekly, date(2027, 3, 30)));
        assert!(!s.sends(DigestFrequency::Off, date(2026, 11, 30)));
        assert!(s.sends(DigestFrequency::Daily, date(2026, 12, 1)));
    }

    #[test]
    fn webhook_urls_are_https_or_loopback_http() {
        assert!(WebhookUrl::parse("https://partner.example.org/hooks/fourthp").is_ok());
        assert!(WebhookUrl::parse("https://partner.example.org:8443/h?x=1").is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook").is_ok());
        assert!(WebhookUrl::parse("http://localhost/hook").is_ok());
        for bad in [
            "http://partner.example.org/hook",
            "https://user:pw@partner.example.org/",
            "https://partner.example.org/#x",
            "ftp://partner.example.org/",
            "https:///nohost",
            "https://partner.example.org:99999/",
            "https://part ner.example.org/",
            "javascript:alert(1)",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn asks_are_between_one_and_sixty_days() {
        assert!(AskAfter::parse(0).is_err());
        assert!(AskAfter::parse(61).is_err());
        assert_eq!(AskAfter::parse(7).map(|a| a.ask_on(date(2026, 12, 2))), Ok(date(2026, 12, 9)));
    }

    #[test]
    fn webhook_retries_back_off_and_fit_about_twenty_one_into_three_days() {
        assert_eq!(retry_after(1), chrono::Duration::seconds(30));
        assert_eq!(retry_after(2), chrono::Duration::seconds(60));
        let mut total = chrono::Duration::zero();
        let mut n = 0;
        while total < chrono::Duration::hours(WEBHOOK_GIVE_UP_HOURS) {
            n += 1;
            total += retry_after(n);
        }
        assert!((19..=23).contains(&n), "{n} attempts");
    }

    proptest! {
        #[test]
        fn retry_waits_never_shrink_and_never_exceed_six_hours(a in 1_i32..200) {
            prop_assert!(retry_after(a + 1) >= retry_after(a));
            prop_assert!(retry_after(a) <= chrono::Duration::hours(6));
        }

        #[test]
        fn a_weekly_digest_goes_exactly_once_in_any_week_with_a_working_day(monday_offset in 0_i64..2000) {
            let s = schedule();
            let monday = date(2024, 1, 1) + chrono::Duration::weeks(monday_offset);
            let sent = (0..7).map(|n| monday + chrono::Duration::days(n))
                .filter(|d| s.calendar.is_working_day(*d) && s.sends(DigestFrequency::Weekly, *d)).count();
            prop_assert_eq!(sent, 1);
        }
    }
}
