//! Stored deadlines, as the queue and the case show them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::case::CaseReference;
use crate::ids::{ActionId, CaseId, DeadlineId, EventId};
use crate::principal::Subject;
use crate::rules::{status, DeadlineKind, DeadlineStatus};
use crate::text::bounded_text;

bounded_text!(
    /// Why a coordinator waived a deadline.
    WaiverReason, max = 500, multiline = true
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub at: DateTime<Utc>,
    pub by: Subject,
    pub reason: WaiverReason,
}

/// What a deadline comes from: a case event (by a rule), or an action's agreed due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineSource {
    /// The root id of the triggering event.
    Event(EventId),
    Action(ActionId),
}

/// The rule id of deadlines that come from actions.
pub const ACTION_DUE: &str = "action_due";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub id: DeadlineId,
    pub case_id: CaseId,
    pub case_reference: CaseReference,
    pub rule_id: String,
    pub rule_version: String,
    pub kind: DeadlineKind,
    pub source: DeadlineSource,
    pub due_on: NaiveDate,
    pub met_on: Option<NaiveDate>,
    pub explanation: String,
    pub waiver: Option<Waiver>,
}

impl Deadline {
    pub fn status(&self, today: NaiveDate) -> DeadlineStatus {
        status(self.kind, self.due_on, self.met_on, self.waiver.is_some(), today)
    }

    /// Whether someone still owes it: a deadline not met or waived (open or overdue).
    pub fn is_outstanding(&self, today: NaiveDate) -> bool {
        self.kind == DeadlineKind::Deadline && self.met_on.is_none() && self.waiver.is_none()
            || self.kind == DeadlineKind::Milestone && self.status(today) == DeadlineStatus::Open
    }
}
