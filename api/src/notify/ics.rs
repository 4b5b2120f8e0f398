//! iCalendar (RFC 5545) feeds: one all-day event per action or deadline, named by the case's
//! reference and the wording only.

use chrono::{DateTime, NaiveDate, Utc};

/// One all-day entry.
pub struct Entry {
    /// Stable across fetches, so a calendar updates the event rather than adding another.
    pub uid: String,
    pub day: NaiveDate,
    pub summary: String,
}

/// Escapes a TEXT value (RFC 5545 3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a character; CRLF-ended.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The feed: a VCALENDAR named `name` with `entries`, stamped `now`.
pub fn calendar(name: &str, entries: &[Entry], now: DateTime<Utc>) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::new();
    for line in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//FourthP//Deadlines//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"] {
        fold(line, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", text(name)), &mut out);
    for e in entries {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", text(&e.uid)), &mut out);
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(&format!("DTSTART;VALUE=DATE:{}", e.day.format("%Y%m%d")), &mut out);
        fold(&format!("DTEND;VALUE=DATE:{}", e.day.succ_opt().unwrap_or(e.day).format("%Y%m%d")), &mut out);
        fold(&format!("SUMMARY:{}", text(&e.summary)), &mut out);
        fold("TRANSP:TRANSPARENT", &mut out);
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

/// A meeting invitation: one timed VEVENT (times in UTC), with where and what it is about.
pub struct Invitation<'a> {
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    /// Bumped when the meeting changes, so calendars take the new one.
    pub sequence: i32,
}

/// The invitation as an iCalendar object (`METHOD:PUBLISH`: added to a calendar, no replies).
pub fn invitation(i: &Invitation<'_>, now: DateTime<Utc>) -> String {
    let utc = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::new();
    for line in
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//FourthP//Meetings//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT"]
    {
        fold(line, &mut out);
    }
    fold(&format!("UID:{}", text(&i.uid)), &mut out);
    fold(&format!("DTSTAMP:{}", utc(now)), &mut out);
    fold(&format!("DTSTART:{}", utc(i.starts_at)), &mut out);
    fold(&format!("DTEND:{}", utc(i.ends_at)), &mut out);
    fold(&format!("SEQUENCE:{}", i.sequence), &mut out);
    fold(&format!("SUMMARY:{}", text(i.summary)), &mut out);
    fold(&format!("LOCATION:{}", text(i.location)), &mut out);
    fold(&format!("DESCRIPTION:{}", text(i.description)), &mut out);
    fold("END:VEVENT", &mut out);
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_folds_as_rfc_5545_says() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).unwrap_or_default();
        let long = "Find emergency accommodation; then confirm, with the GP, a registration \u{2013} and the move-in date".to_owned();
        let feed = calendar("FourthP", &[Entry { uid: "a@fourthp".into(), day, summary: long }], DateTime::<Utc>::default());
        assert!(feed.contains("DTSTART;VALUE=DATE:20261209\r\n"));
        assert!(feed.contains("DTEND;VALUE=DATE:20261210\r\n"));
        assert!(feed.contains("accommodation\\; then confirm\\, with"));
        assert!(feed.lines().all(|l| l.len() <= 76), "{feed}");
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
    }
}
