//! What every page shows the same way: choices of a list, dates and times as people in the UK
//! read them, how soon something is due, the navigation of each role, and an action's card.
//! Vocabularies are shown in the words of [`fourthp_domain::words`], never as their codes.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fourthp_domain::principal::Role;
use fourthp_domain::time::is_bst;
use fourthp_domain::words::Words;
pub use fourthp_domain::words::{how_due, long_date};

/// An option of a `<select>` or a radio.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A vocabulary's values as choices, in people's words, the one whose code is `selected` chosen.
pub fn choices<T: Words + std::fmt::Display>(values: &[T], selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| {
            let code = v.to_string();
            Choice { selected: code == selected, value: code, label: v.words().to_owned() }
        })
        .collect()
}

/// "Any" and then the vocabulary's values, `selected` the one chosen.
pub fn filter_choices<T: Words + std::fmt::Display>(any: &str, values: &[T], selected: &str) -> Vec<Choice> {
    let mut out = vec![Choice { value: String::new(), label: any.to_owned(), selected: selected.is_empty() }];
    out.extend(choices(values, selected));
    out
}

/// An instant as people in the UK read it: "2 December 2026, 14:05".
pub fn london_time(at: DateTime<Utc>) -> String {
    let local = at + if is_bst(at) { Duration::hours(1) } else { Duration::zero() };
    local.format("%-d %B %Y, %H:%M").to_string()
}

/// Why an agreed action's deadline is there, in words: rendered when read from the action and its
/// owner's name (a stored explanation may name what it was written with).
pub fn action_explanation(description: &str, owner: &str, agreed_on: NaiveDate) -> String {
    format!("Agreed on {} that {owner} would: {description}", long_date(agreed_on))
}

/// A browser's `User-Agent` as a person recognises it: "Firefox on Linux", "Chrome on Windows".
pub fn device(user_agent: &str) -> String {
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari")]
        .iter()
        .find(|(token, _)| user_agent.contains(token))
        .map_or("A browser", |(_, name)| name);
    let system =
        [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"), ("Mac OS X", "a Mac"), ("Linux", "Linux")]
            .iter()
            .find(|(token, _)| user_agent.contains(token))
            .map(|(_, name)| format!(" on {name}"))
            .unwrap_or_default();
    format!("{browser}{system}")
}

/// How something was agreed, after who agreed it: " on a phone call", " by email".
pub fn by_channel(channel: fourthp_domain::intervention::Channel) -> String {
    use fourthp_domain::intervention::Channel;
    let how = match channel {
        Channel::PhoneCall | Channel::VideoCall | Channel::Visit => "on a",
        Channel::Meeting => "at a",
        Channel::Email | Channel::TextMessage | Channel::Letter => "by",
        Channel::Other => return String::new(),
    };
    format!(" {how} {}", channel.words().to_lowercase())
}

/// The navigation each role sees.
pub fn nav_for(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = match role {
        Role::Coordinator => vec![
            ("/app/due", "What is due"),
            ("/app/cases", "Cases"),
            ("/app/challenges", "Challenge board"),
            ("/app/meetings", "Meetings"),
            ("/app/reports", "Outcome report"),
            ("/app/forum", "National forum"),
            ("/app/subject-access", "Subject access"),
        ],
        Role::Partner => vec![
            ("/app/owed", "What we owe"),
            ("/app/cases", "Our cases"),
            ("/app/challenges", "Challenge board"),
            ("/app/meetings", "Meetings"),
        ],
        Role::Commissioner => vec![("/app/reports", "Outcome report")],
        Role::Auditor => vec![("/app/audit", "Audit trail"), ("/app/subject-access", "Subject access")],
        Role::Admin => {
            vec![
                ("/app/admin/users", "Accounts"),
                ("/app/admin/agencies", "Agencies"),
                ("/app/admin/api-clients", "API clients"),
                ("/app/admin/data", "Data in and out"),
                ("/app/forum", "National forum"),
            ]
        }
    };
    nav.push(("/app/account", "Emails and calendar"));
    nav.push(("/app/sessions", "Your sessions"));
    nav
}

/// A link to what an action is owed on, and its name: ("/app/cases/…", "Case 2026-000123") or
/// ("/app/challenges/…", "Challenge 12").
pub fn concerning_link(about: &fourthp_domain::action::Concerning) -> (String, String) {
    use fourthp_domain::action::Concerning;
    let href = match about {
        Concerning::Case(id, _) => format!("/app/cases/{id}"),
        Concerning::Challenge(id, _) => format!("/app/challenges/{id}"),
    };
    (href, about.name())
}

/// The page of what an action is owed on.
pub fn concerning_href(on: &fourthp_domain::action::ActionOn) -> String {
    use fourthp_domain::action::ActionOn;
    match on {
        ActionOn::Case(id) => format!("/app/cases/{id}"),
        ActionOn::Challenge(id) => format!("/app/challenges/{id}"),
    }
}

/// An open action as a card with its closing form (what we owe, the case page).
pub struct ActionCard {
    pub id: String,
    pub version: i32,
    pub description: String,
    pub due: String,
    pub how_due: String,
    pub overdue: bool,
    /// The case or challenge it belongs to, where the list spans them: (link, "Case 2026-000123"
    /// or "Challenge 12").
    pub case: Option<(String, String)>,
    /// "Asked by Sam Jones (Northshire Anti-Slavery Network) on a phone call, 2 December 2026".
    pub asked: Option<String>,
}

impl ActionCard {
    pub fn new(a: &fourthp_domain::action::Action, today: NaiveDate) -> Self {
        ActionCard {
            id: a.id.to_string(),
            version: a.version,
            description: a.details.description.as_str().to_owned(),
            due: long_date(a.details.due_on),
            how_due: how_due(a.details.due_on, today),
            overdue: a.is_overdue(today),
            case: None,
            asked: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_read_as_how_it_was_agreed() {
        use fourthp_domain::intervention::Channel;
        assert_eq!(by_channel(Channel::PhoneCall), " on a phone call");
        assert_eq!(by_channel(Channel::Email), " by email");
        assert_eq!(by_channel(Channel::Meeting), " at a meeting");
        assert_eq!(by_channel(Channel::Other), "");
    }

    #[test]
    fn devices_read_as_words() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(device(chrome), "Chrome on Linux");
        assert_eq!(device("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"), "Firefox on Windows");
        assert_eq!(device("curl/8.0"), "A browser");
    }

    #[test]
    fn how_due_reads_as_words() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default();
        assert_eq!(how_due(today - Duration::days(12), today), "12 days overdue");
        assert_eq!(how_due(today - Duration::days(1), today), "1 day overdue");
        assert_eq!(how_due(today, today), "Due today");
        assert_eq!(how_due(today + Duration::days(1), today), "Due tomorrow");
        assert_eq!(how_due(today + Duration::days(5), today), "Due in 5 days");
    }
}
