//! Follow-up actions: what an agency agreed to do, by when. "You know that conversation we had:
//! what happened?" becomes accountable.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{ActionId, AgencyId, CaseId, ChallengeId, InterventionId, MeetingId};
use crate::principal::Subject;
use crate::text::bounded_text;

vocabulary!(
    ActionStatus {
        Open => "open",
        Done => "done",
        Cancelled => "cancelled",
    }
);

bounded_text!(
    /// What is owed.
    ActionDescription, max = 1000, multiline = true
);
bounded_text!(
    /// How it was done, or why it was cancelled.
    ActionNote, max = 2000, multiline = true
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub description: ActionDescription,
    pub owner_agency_id: AgencyId,
    pub due_on: NaiveDate,
}

/// How a closed action ended: an action is open until it has a [`Closure`], so a closure
/// cannot say "open".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedAs {
    Done,
    Cancelled,
}

impl ClosedAs {
    /// The closed status of `status`, or none for `open`.
    pub fn of(status: ActionStatus) -> Option<ClosedAs> {
        match status {
            ActionStatus::Open => None,
            ActionStatus::Done => Some(ClosedAs::Done),
            ActionStatus::Cancelled => Some(ClosedAs::Cancelled),
        }
    }

    pub fn status(self) -> ActionStatus {
        match self {
            ClosedAs::Done => ActionStatus::Done,
            ClosedAs::Cancelled => ActionStatus::Cancelled,
        }
    }
}

/// How an action was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub status: ClosedAs,
    pub note: ActionNote,
    pub by: Subject,
    pub by_agency: Option<AgencyId>,
    pub on: NaiveDate,
    pub at: DateTime<Utc>,
}

/// What an action is owed on: a case, or a challenge on the network's board. Never neither,
/// never both: one ledger for the casework and the network's own work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionOn {
    Case(CaseId),
    Challenge(ChallengeId),
}

impl ActionOn {
    /// From the two stored columns; none when the row breaks the rule.
    pub fn from_columns(case: Option<CaseId>, challenge: Option<ChallengeId>) -> Option<Self> {
        match (case, challenge) {
            (Some(c), None) => Some(ActionOn::Case(c)),
            (None, Some(c)) => Some(ActionOn::Challenge(c)),
            _ => None,
        }
    }

    pub fn case(self) -> Option<CaseId> {
        match self {
            ActionOn::Case(c) => Some(c),
            ActionOn::Challenge(_) => None,
        }
    }

    pub fn challenge(self) -> Option<ChallengeId> {
        match self {
            ActionOn::Challenge(c) => Some(c),
            ActionOn::Case(_) => None,
        }
    }
}

/// What an action is owed on, as people name it: a case by its reference, a challenge by its
/// number on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concerning {
    Case(CaseId, crate::case::CaseReference),
    Challenge(ChallengeId, i64),
}

impl Concerning {
    /// "case 2026-000123", "Challenge 12".
    pub fn words(&self) -> String {
        match self {
            Concerning::Case(_, reference) => format!("case {}", reference.as_str()),
            Concerning::Challenge(_, number) => crate::challenge::label(*number),
        }
    }

    /// "Case 2026-000123", "Challenge 12": as a heading or a table's cell names it.
    pub fn name(&self) -> String {
        match self {
            Concerning::Case(_, reference) => format!("Case {}", reference.as_str()),
            Concerning::Challenge(_, number) => crate::challenge::label(*number),
        }
    }

    /// The reference or the challenge's label, for a column headed "Case or challenge".
    pub fn reference(&self) -> String {
        match self {
            Concerning::Case(_, reference) => reference.as_str().to_owned(),
            Concerning::Challenge(_, number) => crate::challenge::label(*number),
        }
    }

    pub fn case(&self) -> Option<CaseId> {
        match self {
            Concerning::Case(id, _) => Some(*id),
            Concerning::Challenge(..) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: ActionId,
    pub on: ActionOn,
    /// The network meeting it was given out at.
    pub meeting: Option<MeetingId>,
    pub details: NewAction,
    pub from_intervention: Option<InterventionId>,
    pub closure: Option<Closure>,
    pub version: i32,
    pub created_by: Subject,
    pub created_at: DateTime<Utc>,
}

impl Action {
    pub fn status(&self) -> ActionStatus {
        self.closure.as_ref().map_or(ActionStatus::Open, |c| c.status.status())
    }

    /// Open and past its due date (a London date), derived, never stored.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status() == ActionStatus::Open && today > self.details.due_on
    }
}

/// A request to close an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionChange {
    Complete { note: ActionNote },
    Cancel { reason: ActionNote },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the action is already {0}")]
pub struct AlreadyClosed(pub ActionStatus);

impl Action {
    /// Closes an open action.
    pub fn close(
        &self,
        change: ActionChange,
        by: Subject,
        by_agency: Option<AgencyId>,
        at: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Closure, AlreadyClosed> {
        if self.status() != ActionStatus::Open {
            return Err(AlreadyClosed(self.status()));
        }
        let (status, note) = match change {
            ActionChange::Complete { note } => (ClosedAs::Done, note),
            ActionChange::Cancel { reason } => (ClosedAs::Cancelled, reason),
        };
        Ok(Closure { status, note, by, by_agency, on: today, at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_and_closing() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap_or_default();
        let sub = Subject::parse("housing-1").unwrap_or_else(|_| unreachable!());
        let action = Action {
            id: ActionId::new_v7(1),
            on: ActionOn::Case(CaseId::new_v7(1)),
            meeting: None,
            details: NewAction {
                description: ActionDescription::parse("Find a bed before move-on ends").unwrap_or_else(|_| unreachable!()),
                owner_agency_id: AgencyId::new_v7(2),
                due_on: d(10),
            },
            from_intervention: None,
            closure: None,
            version: 1,
            created_by: sub.clone(),
            created_at: DateTime::<Utc>::default(),
        };
        assert!(!action.is_overdue(d(10)));
        assert!(action.is_overdue(d(11)));
        let note = ActionNote::parse("Bed at Hope House from Monday").unwrap_or_else(|_| unreachable!());
        let closure = action.close(ActionChange::Complete { note }, sub.clone(), None, DateTime::<Utc>::default(), d(12));
        let closed = Action { closure: closure.ok(), ..action };
        assert_eq!(closed.status(), ActionStatus::Done);
        assert!(!closed.is_overdue(d(20)));
        let again = closed.close(
            ActionChange::Cancel { reason: ActionNote::parse("x").unwrap_or_else(|_| unreachable!()) },
            sub,
            None,
            DateTime::<Utc>::default(),
            d(12),
        );
        assert_eq!(again, Err(AlreadyClosed(ActionStatus::Done)));
    }
}
