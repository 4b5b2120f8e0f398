//! The network's challenge board: what member agencies escalate to the network ("people escalate
//! things to us"), and what the network did with it. A challenge belongs to no case; its actions
//! sit on the same ledger as casework's.
//!
//! Lifecycle: raised → accepted (for the network) | declined (with a reason); accepted → being
//! worked → resolved (with what changed); accepted or being worked → escalated to the national
//! forum → being worked again or resolved. Declined and resolved are final.

use chrono::{DateTime, NaiveDate, Utc};

use crate::agency::AgencyKind;
use crate::ids::{AgencyId, ChallengeId};
use crate::principal::Subject;
use crate::text::bounded_text;

vocabulary!(
    /// Where a challenge stands.
    ChallengeStatus {
        Raised => "raised",
        Accepted => "accepted",
        Declined => "declined",
        BeingWorked => "being_worked",
        Resolved => "resolved",
        Escalated => "escalated",
    }
);

vocabulary!(
    /// How soon the network should look at it.
    Urgency {
        Routine => "routine",
        Soon => "soon",
        Urgent => "urgent",
    }
);

bounded_text!(
    /// A challenge's title: a line.
    ChallengeTitle, max = 200, multiline = false
);
bounded_text!(
    /// What is happening: the situation, not the people in it.
    ChallengeDescription, max = 4000, multiline = true
);
bounded_text!(
    /// Why it was declined, what changed when it was resolved, why it goes to the forum.
    ChallengeNote, max = 2000, multiline = true
);

/// A challenge as raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChallenge {
    pub title: ChallengeTitle,
    pub description: ChallengeDescription,
    pub urgency: Urgency,
    /// The sectors it touches (agency kinds), without repeats.
    pub sectors: Vec<AgencyKind>,
    /// The member agencies it touches, without repeats.
    pub agencies: Vec<AgencyId>,
}

/// A challenge on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: ChallengeId,
    /// Its number on the board ("Challenge 12"), in the order raised.
    pub number: i64,
    pub details: NewChallenge,
    pub status: ChallengeStatus,
    /// The last decision's words: the reason declined, what changed, why escalated.
    pub note: Option<ChallengeNote>,
    pub raised_by: Subject,
    pub raised_by_agency: Option<AgencyId>,
    pub raised_at: DateTime<Utc>,
    pub resolved_on: Option<NaiveDate>,
    /// When it was first marked for the national forum.
    pub escalated_on: Option<NaiveDate>,
    pub version: i32,
}

impl Challenge {
    /// "Challenge 12": how people name it (no case reference, no person).
    pub fn label(&self) -> String {
        label(self.number)
    }
}

/// "Challenge 12".
pub fn label(number: i64) -> String {
    format!("Challenge {number}")
}

/// A decision on a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeChange {
    /// Taken on by the network.
    Accept,
    /// Not for the network, and why.
    Decline { reason: ChallengeNote },
    /// The network is working on it (its actions are given out).
    StartWork,
    /// Done with, and what changed.
    Resolve { what_changed: ChallengeNote },
    /// Taken to the national coordinators' forum, and why.
    Escalate { why: ChallengeNote },
}

impl ChallengeChange {
    /// The status the change leads to.
    pub fn to(&self) -> ChallengeStatus {
        match self {
            ChallengeChange::Accept => ChallengeStatus::Accepted,
            ChallengeChange::Decline { .. } => ChallengeStatus::Declined,
            ChallengeChange::StartWork => ChallengeStatus::BeingWorked,
            ChallengeChange::Resolve { .. } => ChallengeStatus::Resolved,
            ChallengeChange::Escalate { .. } => ChallengeStatus::Escalated,
        }
    }

    /// The words kept with the decision.
    pub fn note(&self) -> Option<&ChallengeNote> {
        match self {
            ChallengeChange::Accept | ChallengeChange::StartWork => None,
            ChallengeChange::Decline { reason } => Some(reason),
            ChallengeChange::Resolve { what_changed } => Some(what_changed),
            ChallengeChange::Escalate { why } => Some(why),
        }
    }
}

/// A decision the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", not_allowed_words(*from, *to))]
pub struct NotAllowed {
    pub from: ChallengeStatus,
    pub to: ChallengeStatus,
}

fn not_allowed_words(from: ChallengeStatus, to: ChallengeStatus) -> String {
    use crate::words::Words;
    match from {
        ChallengeStatus::Declined | ChallengeStatus::Resolved => {
            format!("The challenge is already {}: it cannot change again.", from.words().to_lowercase())
        }
        _ => format!(
            "A challenge that is {} cannot be {}.",
            from.words().to_lowercase(),
            match to {
                ChallengeStatus::Raised => "raised again",
                ChallengeStatus::Accepted => "accepted",
                ChallengeStatus::Declined => "declined (only a new one can be)",
                ChallengeStatus::BeingWorked => "worked on before it is accepted",
                ChallengeStatus::Resolved => "resolved before it is accepted",
                ChallengeStatus::Escalated => "escalated before it is accepted",
            }
        ),
    }
}

/// Which decisions each status allows.
pub fn allowed(from: ChallengeStatus, to: ChallengeStatus) -> bool {
    use ChallengeStatus::*;
    matches!(
        (from, to),
        (Raised, Accepted | Declined)
            | (Accepted, BeingWorked | Resolved | Escalated)
            | (BeingWorked, Resolved | Escalated)
            | (Escalated, BeingWorked | Resolved)
    )
}

/// The decisions open to a challenge in `status`, in the order a page offers them.
pub fn next_steps(status: ChallengeStatus) -> Vec<ChallengeStatus> {
    ChallengeStatus::ALL.iter().copied().filter(|to| allowed(status, *to)).collect()
}

/// Checks `change` against the lifecycle.
pub fn decide(status: ChallengeStatus, change: &ChallengeChange) -> Result<ChallengeStatus, NotAllowed> {
    let to = change.to();
    if allowed(status, to) {
        Ok(to)
    } else {
        Err(NotAllowed { from: status, to })
    }
}

/// Something in a challenge's text that looks like it is about a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Shaped like a case reference (`2026-000123`), whether or not such a case exists.
    CaseReference(String),
    /// A name a case the writer may see is known by.
    Name(String),
    /// An email address.
    Email(String),
    /// A telephone number.
    Phone(String),
    /// A full date, as a date of birth is written.
    Date(String),
}

impl Finding {
    /// The words found, as they stand in the text (a name as stored).
    pub fn text(&self) -> &str {
        match self {
            Finding::CaseReference(t) | Finding::Name(t) | Finding::Email(t) | Finding::Phone(t) | Finding::Date(t) => t,
        }
    }

    /// In words, for the warning shown before saving.
    pub fn words(&self) -> String {
        match self {
            Finding::CaseReference(t) => format!("“{t}” looks like a case reference"),
            Finding::Name(t) => format!("“{t}” is the name a case you can see is known by"),
            Finding::Email(t) => format!("“{t}” looks like an email address"),
            Finding::Phone(t) => format!("“{t}” looks like a telephone number"),
            Finding::Date(t) => format!("“{t}” looks like a date of birth"),
        }
    }
}

/// The words of `text`, lowered, as runs of one to three words: what a stored name is compared
/// with (a name is matched whole, never inside another word).
pub fn name_candidates(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('.').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for n in 1..=3 {
        for run in words.windows(n) {
            let candidate = run.join(" ");
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out
}

/// What in `text` looks like it is about a person: case references, emails, telephone numbers,
/// full dates, and any of `names` (names the writer may see, as stored) standing as words.
pub fn personal_data_in(text: &str, names: &[String]) -> Vec<Finding> {
    let mut found = Vec::new();
    for token in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '“' | '”')) {
        let token = token.trim_end_matches(['.', ':', '!', '?']);
        if token.is_empty() {
            continue;
        }
        let digits = token.chars().filter(char::is_ascii_digit).count();
        if crate::case::CaseReference::parse(token).is_ok() {
            found.push(Finding::CaseReference(token.to_owned()));
        } else if token.contains('@') && token.contains('.') && !token.starts_with('@') {
            found.push(Finding::Email(token.to_owned()));
        } else if is_date(token) {
            found.push(Finding::Date(token.to_owned()));
        } else if digits >= 10 && token.chars().all(|c| c.is_ascii_digit() || c == '+' || c == '-') {
            found.push(Finding::Phone(token.to_owned()));
        }
    }
    // Telephone numbers written with spaces: runs of digit groups of 10 or more digits.
    let mut run = String::new();
    let mut run_digits = 0;
    for raw in text.split_whitespace().chain(std::iter::once("|")) {
        let opened = raw.trim_start_matches('(');
        let token = opened.trim_end_matches(['.', ',', ';', ':', ')']);
        let ends_sentence = token.len() != opened.len();
        if !token.is_empty() && token.chars().all(|c| c.is_ascii_digit() || c == '+') {
            run_digits += token.chars().filter(char::is_ascii_digit).count();
            if !run.is_empty() {
                run.push(' ');
            }
            run.push_str(token);
            if ends_sentence {
                if run_digits >= 10 && run.contains(' ') {
                    found.push(Finding::Phone(std::mem::take(&mut run)));
                }
                run.clear();
                run_digits = 0;
            }
        } else {
            if run_digits >= 10 && run.contains(' ') {
                found.push(Finding::Phone(std::mem::take(&mut run)));
            }
            run.clear();
            run_digits = 0;
        }
    }
    let candidates = name_candidates(text);
    for name in names {
        let lowered = name.trim().trim_matches('.').to_lowercase();
        if lowered.chars().count() >= 2 && candidates.contains(&lowered) && !found.iter().any(|f| f == &Finding::Name(name.clone())) {
            found.push(Finding::Name(name.clone()));
        }
    }
    found
}

/// `dd/mm/yyyy`, `d/m/yy`, `yyyy-mm-dd`, with `/`, `-` or `.`: a full date.
fn is_date(token: &str) -> bool {
    let parts: Vec<&str> = token.split(['/', '-', '.']).collect();
    if parts.len() != 3 || !parts.iter().all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let (y, m, d) = if parts[0].len() == 4 { (n[0], n[1], n[2]) } else { (n[2], n[1], n[0]) };
    let y = if y < 100 { y + 1900 } else { y };
    (1..=12).contains(&m) && (1..=31).contains(&d) && (1900..=2100).contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ChallengeStatus::*;

    fn note(s: &str) -> ChallengeNote {
        ChallengeNote::parse(s).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn the_lifecycle() {
        assert_eq!(decide(Raised, &ChallengeChange::Accept), Ok(Accepted));
        assert_eq!(decide(Raised, &ChallengeChange::Decline { reason: note("A case matter") }), Ok(Declined));
        assert_eq!(decide(Accepted, &ChallengeChange::StartWork), Ok(BeingWorked));
        assert_eq!(decide(BeingWorked, &ChallengeChange::Escalate { why: note("Seen in three regions") }), Ok(Escalated));
        assert_eq!(decide(Escalated, &ChallengeChange::Resolve { what_changed: note("New protocol") }), Ok(Resolved));
        let refused = decide(Raised, &ChallengeChange::Resolve { what_changed: note("x") });
        assert_eq!(refused, Err(NotAllowed { from: Raised, to: Resolved }));
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("A challenge that is raised cannot be resolved before it is accepted.".to_owned())
        );
        assert_eq!(
            decide(Resolved, &ChallengeChange::StartWork).map_err(|e| e.to_string()),
            Err("The challenge is already resolved: it cannot change again.".to_owned())
        );
        assert_eq!(next_steps(Raised), vec![Accepted, Declined]);
        assert!(next_steps(Declined).is_empty());
    }

    proptest! {
        /// Final states stay final; nothing leads back to raised; every status but the final ones
        /// has a way forward.
        #[test]
        fn final_states_are_final(from in proptest::sample::select(ChallengeStatus::ALL.to_vec()), to in proptest::sample::select(ChallengeStatus::ALL.to_vec())) {
            if matches!(from, Declined | Resolved) || to == Raised || from == to {
                prop_assert!(!allowed(from, to));
            }
            prop_assert_eq!(next_steps(from).is_empty(), matches!(from, Declined | Resolved));
        }

        /// A case reference anywhere in the text is found, whatever surrounds it.
        #[test]
        fn references_are_found(before in "[a-z ]{0,20}", year in 2009i32..2100, n in 1i64..999_999, after in "[a-z ]{0,20}") {
            let reference = format!("{year}-{n:06}");
            let text = format!("{before} {reference}, {after}");
            prop_assert!(personal_data_in(&text, &[]).contains(&Finding::CaseReference(reference)));
        }
    }

    #[test]
    fn personal_data_is_found() {
        let names = vec!["A.B.".to_owned(), "Ana".to_owned(), "Tom Reid".to_owned()];
        let text =
            "Ana and tom reid were moved on 03/04/1990; call 07700 900123 or ana@example.org about 2026-000123. Banana, or (01632 960001).";
        let found = personal_data_in(text, &names);
        assert!(found.contains(&Finding::CaseReference("2026-000123".into())));
        assert!(found.contains(&Finding::Date("03/04/1990".into())));
        assert!(found.contains(&Finding::Phone("07700 900123".into())));
        assert!(found.contains(&Finding::Phone("01632 960001".into())));
        assert!(found.contains(&Finding::Email("ana@example.org".into())));
        assert!(found.contains(&Finding::Name("Ana".into())));
        assert!(found.contains(&Finding::Name("Tom Reid".into())));
        assert!(!found.contains(&Finding::Name("A.B.".into())));
        let clean = "Housing providers in the north of the county are refusing referrals without ID.";
        assert_eq!(personal_data_in(clean, &names), vec![]);
    }
}
