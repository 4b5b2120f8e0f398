//! Stored deadlines, as the queue and the case show them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::case::CaseReference;
use crate::ids::{ActionId, CaseId, DeadlineId, EventId};
use crate::principal::Subject;
use crate::rules::{holds, status, DeadlineKind, DeadlineStatus, StatusFacts, OUTSTANDING};
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
    /// For an entitlement: the day support ended (the case closed) before `due_on`.
    pub support_ended_on: Option<NaiveDate>,
    pub explanation: String,
    pub waiver: Option<Waiver>,
}

impl Deadline {
    /// The explanation without the rule's source (the Act, guidance or standard it cites),
    /// which the case page's deadline shows in full: for lists.
    pub fn explanation_without_source(&self) -> &str {
        self.explanation.split_once("; source: ").map_or(self.explanation.as_str(), |(why, _)| why)
    }

    fn facts(&self) -> StatusFacts {
        StatusFacts {
            kind: self.kind,
            due_on: self.due_on,
            met_on: self.met_on,
            waived: self.waiver.is_some(),
            support_ended_on: self.support_ended_on,
        }
    }

    pub fn status(&self, today: NaiveDate) -> DeadlineStatus {
        status(&self.facts(), today)
    }

    /// Whether it is in the queue by default ([`OUTSTANDING`]): a deadline not met or waived
    /// (open or overdue), or a milestone still to come.
    pub fn is_outstanding(&self, today: NaiveDate) -> bool {
        holds(OUTSTANDING, &self.facts(), today)
    }

    /// Whether a deadline can still be waived: one that someone owes (milestones arrive).
    pub fn is_waivable(&self, today: NaiveDate) -> bool {
        self.kind == DeadlineKind::Deadline && self.is_outstanding(today)
    }
}

/// A warning that support ended before an entitlement's minimum period had passed, for the
/// case, its status view and the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportWarning {
    pub rule_id: String,
    pub due_on: NaiveDate,
    pub support_ended_on: NaiveDate,
    pub message: String,
}

/// The warnings of `deadlines`: one per entitlement whose support ended early, earliest first.
pub fn support_warnings(deadlines: &[Deadline]) -> Vec<SupportWarning> {
    let mut warnings: Vec<SupportWarning> = deadlines
        .iter()
        .filter(|d| d.kind == DeadlineKind::Milestone)
        .filter_map(|d| {
            d.support_ended_on.map(|ended| SupportWarning {
                rule_id: d.rule_id.clone(),
                due_on: d.due_on,
                support_ended_on: ended,
                message: format!(
                    "Support ended on {ended}, before the minimum period ({}) that runs to {}: {}",
                    d.rule_id.replace('_', " "),
                    d.due_on,
                    d.explanation
                ),
            })
        })
        .collect();
    warnings.sort_by_key(|w| (w.support_ended_on, w.due_on));
    warnings
}
