//! A deadline's status: one definition per status, each a list of conjunctions of plain tests,
//! evaluated here and rendered as SQL by persistence for the queue, so both agree by construction.

use chrono::NaiveDate;

vocabulary!(
    /// A deadline is met (or missed) by something happening; a milestone simply arrives.
    DeadlineKind {
        Deadline => "deadline",
        Milestone => "milestone",
    }
);

vocabulary!(
    DeadlineStatus {
        Open => "open",
        Met => "met",
        Missed => "missed",
        Waived => "waived",
        /// An entitlement whose support ended (the case was closed) before its date.
        EndedEarly => "ended_early",
    }
);

/// What a deadline's status depends on, besides today's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFacts {
    pub kind: DeadlineKind,
    pub due_on: NaiveDate,
    pub met_on: Option<NaiveDate>,
    pub waived: bool,
    /// For an entitlement: the date support ended before `due_on`.
    pub support_ended_on: Option<NaiveDate>,
}

/// One test of a status definition: each is a plain comparison, so that the database can
/// evaluate exactly the same definition (persistence renders these as SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusTest {
    Waived(bool),
    Kind(DeadlineKind),
    /// Not met.
    Unmet,
    /// Met on or before the due date.
    MetOnTime,
    /// Met after the due date.
    MetLate,
    /// Support ended before the due date (or not).
    EndedEarly(bool),
    DueBeforeToday,
    DueOnOrBeforeToday,
    DueOnOrAfterToday,
    DueAfterToday,
}

impl StatusTest {
    pub fn holds(self, f: &StatusFacts, today: NaiveDate) -> bool {
        match self {
            StatusTest::Waived(w) => f.waived == w,
            StatusTest::Kind(k) => f.kind == k,
            StatusTest::Unmet => f.met_on.is_none(),
            StatusTest::MetOnTime => f.met_on.is_some_and(|m| m <= f.due_on),
            StatusTest::MetLate => f.met_on.is_some_and(|m| m > f.due_on),
            StatusTest::EndedEarly(e) => f.support_ended_on.is_some() == e,
            StatusTest::DueBeforeToday => f.due_on < today,
            StatusTest::DueOnOrBeforeToday => f.due_on <= today,
            StatusTest::DueOnOrAfterToday => f.due_on >= today,
            StatusTest::DueAfterToday => f.due_on > today,
        }
    }
}

/// A definition: any of its alternatives, each a conjunction of tests.
pub type Definition = &'static [&'static [StatusTest]];

/// The one definition of each status. Exactly one holds for any deadline on any day (a property
/// test checks it); the queue's filters are these definitions rendered as SQL.
pub fn definition(s: DeadlineStatus) -> Definition {
    use DeadlineKind::{Deadline, Milestone};
    use StatusTest::*;
    match s {
        DeadlineStatus::Waived => &[&[Waived(true)]],
        DeadlineStatus::EndedEarly => &[&[Waived(false), Kind(Milestone), EndedEarly(true)]],
        DeadlineStatus::Met => &[
            &[Waived(false), Kind(Deadline), MetOnTime],
            // A milestone is met the day it arrives.
            &[Waived(false), Kind(Milestone), EndedEarly(false), DueOnOrBeforeToday],
        ],
        DeadlineStatus::Missed => &[&[Waived(false), Kind(Deadline), MetLate], &[Waived(false), Kind(Deadline), Unmet, DueBeforeToday]],
        DeadlineStatus::Open => &[
            // A deadline is open through its due date.
            &[Waived(false), Kind(Deadline), Unmet, DueOnOrAfterToday],
            // (A milestone is never met: saying so lets the queue use its index of unmet rows.)
            &[Waived(false), Kind(Milestone), Unmet, EndedEarly(false), DueAfterToday],
        ],
    }
}

/// What the queue lists by default: deadlines nobody has met or waived (open or overdue), and
/// milestones still to come, including entitlements whose support ended early while the
/// entitlement would still run.
pub const OUTSTANDING: Definition = &[
    &[StatusTest::Waived(false), StatusTest::Kind(DeadlineKind::Deadline), StatusTest::Unmet],
    &[StatusTest::Waived(false), StatusTest::Kind(DeadlineKind::Milestone), StatusTest::Unmet, StatusTest::DueAfterToday],
];

/// Whether `definition` holds for `facts` on `today`.
pub fn holds(definition: Definition, facts: &StatusFacts, today: NaiveDate) -> bool {
    definition.iter().any(|all| all.iter().all(|t| t.holds(facts, today)))
}

/// The status of a deadline on `today` (a London date): derived, never stored, so that "missed"
/// needs no batch job.
pub fn status(facts: &StatusFacts, today: NaiveDate) -> DeadlineStatus {
    DeadlineStatus::ALL.iter().copied().find(|s| holds(definition(*s), facts, today)).unwrap_or(DeadlineStatus::Open)
}
