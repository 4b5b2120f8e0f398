//! Case events: the append-only timeline of facts that drive a case's stage and deadlines.
//!
//! An event found to be wrong is never edited: a `correction` supersedes it (with a replacement
//! of the same type, or none to withdraw it), and the original stays on record. The *effective*
//! timeline is what remains once corrections are applied, in date order.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{AgencyId, EventId};
use crate::principal::Subject;
use crate::text::bounded_text;

vocabulary!(
    /// The kinds of case event.
    EventType {
        SupportStarted => "support_started",
        NrmReferralSubmitted => "nrm_referral_submitted",
        DutyToNotifySubmitted => "duty_to_notify_submitted",
        ReasonableGroundsDecision => "reasonable_grounds_decision",
        ConclusiveGroundsDecision => "conclusive_grounds_decision",
        ReconsiderationRequested => "reconsideration_requested",
        Disqualified => "disqualified",
        RecoveryNeedsAssessmentSubmitted => "recovery_needs_assessment_submitted",
        CaseClosed => "case_closed",
        CaseReopened => "case_reopened",
        Correction => "correction",
    }
);

vocabulary!(
    DecisionOutcome {
        Positive => "positive",
        Negative => "negative",
    }
);

vocabulary!(
    /// Who decided: the Single Competent Authority, the Immigration Enforcement Competent
    /// Authority, or a devolved child decision-making pilot.
    CompetentAuthority {
        Sca => "sca",
        Ieca => "ieca",
        DevolvedChildPilot => "devolved_child_pilot",
    }
);

vocabulary!(
    DisqualificationGround {
        PublicOrder => "public_order",
        BadFaith => "bad_faith",
    }
);

vocabulary!(
    ClosureReason {
        MovedOn => "moved_on",
        LostContact => "lost_contact",
        DeclinedSupport => "declined_support",
        Transferred => "transferred",
        ReturnedHome => "returned_home",
        Other => "other",
    }
);

bounded_text!(
    /// Why an event was corrected.
    CorrectionReason, max = 500, multiline = true
);

/// What an event asserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    SupportStarted,
    NrmReferralSubmitted { first_responder: AgencyId },
    DutyToNotifySubmitted,
    ReasonableGroundsDecision { outcome: DecisionOutcome, authority: CompetentAuthority },
    ConclusiveGroundsDecision { outcome: DecisionOutcome, authority: CompetentAuthority },
    ReconsiderationRequested,
    Disqualified { ground: DisqualificationGround },
    RecoveryNeedsAssessmentSubmitted,
    CaseClosed { reason: ClosureReason },
    CaseReopened,
}

impl Fact {
    pub fn event_type(&self) -> EventType {
        match self {
            Fact::SupportStarted => EventType::SupportStarted,
            Fact::NrmReferralSubmitted { .. } => EventType::NrmReferralSubmitted,
            Fact::DutyToNotifySubmitted => EventType::DutyToNotifySubmitted,
            Fact::ReasonableGroundsDecision { .. } => EventType::ReasonableGroundsDecision,
            Fact::ConclusiveGroundsDecision { .. } => EventType::ConclusiveGroundsDecision,
            Fact::ReconsiderationRequested => EventType::ReconsiderationRequested,
            Fact::Disqualified { .. } => EventType::Disqualified,
            Fact::RecoveryNeedsAssessmentSubmitted => EventType::RecoveryNeedsAssessmentSubmitted,
            Fact::CaseClosed { .. } => EventType::CaseClosed,
            Fact::CaseReopened => EventType::CaseReopened,
        }
    }

    /// The outcome of a decision, if this is one.
    pub fn outcome(&self) -> Option<DecisionOutcome> {
        match self {
            Fact::ReasonableGroundsDecision { outcome, .. } | Fact::ConclusiveGroundsDecision { outcome, .. } => Some(*outcome),
            _ => None,
        }
    }

    /// A reasonable or conclusive grounds decision.
    pub fn is_decision(&self) -> bool {
        self.outcome().is_some()
    }
}

/// A fact and the date it happened (a London local date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatedFact {
    pub fact: Fact,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBody {
    Fact(DatedFact),
    Correction { supersedes: EventId, reason: CorrectionReason, replacement: Option<DatedFact> },
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub id: EventId,
    pub body: EventBody,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Subject,
}

/// An event of the effective timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveEvent {
    /// The event first recorded for this fact; corrections keep it, so derived records (such as
    /// deadlines) follow a corrected fact instead of being replaced.
    pub root: EventId,
    /// The event that carries the current version (the root, or the latest correction).
    pub id: EventId,
    /// Recording order of the root, to order events of the same date.
    pub order: usize,
    pub fact: Fact,
    pub date: NaiveDate,
}

/// Why a correction could not be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionError {
    /// `supersedes` names no current event of the case.
    UnknownTarget,
    /// The replacement is of another type than the event it corrects.
    ChangesType,
}

/// Applies corrections to `events` (in recording order) and returns the effective timeline in
/// date order (recording order within a date).
pub fn effective(events: &[CaseEvent]) -> Result<Vec<EffectiveEvent>, (EventId, CorrectionError)> {
    let mut current: Vec<EffectiveEvent> = Vec::new();
    for (order, event) in events.iter().enumerate() {
        match &event.body {
            EventBody::Fact(f) => current.push(EffectiveEvent { root: event.id, id: event.id, order, fact: f.fact, date: f.date }),
            EventBody::Correction { supersedes, replacement, .. } => {
                let at = current.iter().position(|e| e.id == *supersedes).ok_or((event.id, CorrectionError::UnknownTarget))?;
                match replacement {
                    None => {
                        current.remove(at);
                    }
                    Some(r) if r.fact.event_type() != current[at].fact.event_type() => {
                        return Err((event.id, CorrectionError::ChangesType))
                    }
                    Some(r) => {
                        let slot = &mut current[at];
                        slot.id = event.id;
                        slot.fact = r.fact;
                        slot.date = r.date;
                    }
                }
            }
        }
    }
    current.sort_by_key(|e| (e.date, e.order));
    Ok(current)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn id(n: u128) -> EventId {
        EventId::from_uuid(uuid::Uuid::from_u128(n))
    }

    pub fn ev(n: u128, body: EventBody) -> CaseEvent {
        CaseEvent {
            id: id(n),
            body,
            recorded_at: DateTime::<Utc>::default(),
            recorded_by: Subject::parse("vcc").unwrap_or_else(|_| unreachable!()),
        }
    }

    pub fn on(fact: Fact, y: i32, m: u32, d: u32) -> EventBody {
        EventBody::Fact(DatedFact { fact, date: NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default() })
    }

    #[test]
    fn corrections_replace_or_withdraw_and_keep_the_root() {
        let rg = Fact::ReasonableGroundsDecision { outcome: DecisionOutcome::Positive, authority: CompetentAuthority::Sca };
        let reason = CorrectionReason::parse("typed the wrong date").unwrap_or_else(|_| unreachable!());
        let events = vec![
            ev(1, on(Fact::SupportStarted, 2026, 3, 1)),
            ev(2, on(rg, 2026, 3, 20)),
            ev(3, on(Fact::RecoveryNeedsAssessmentSubmitted, 2026, 3, 10)),
            ev(
                4,
                EventBody::Correction {
                    supersedes: id(2),
                    reason: reason.clone(),
                    replacement: Some(DatedFact { fact: rg, date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap_or_default() }),
                },
            ),
            ev(5, EventBody::Correction { supersedes: id(3), reason: reason.clone(), replacement: None }),
        ];
        let eff = effective(&events).unwrap_or_default();
        assert_eq!(eff.len(), 2);
        assert_eq!(eff[1].root, id(2));
        assert_eq!(eff[1].id, id(4));
        assert_eq!(eff[1].date, NaiveDate::from_ymd_opt(2026, 3, 5).unwrap_or_default());
        // The superseded version can no longer be corrected; the current one can.
        let mut again = events.clone();
        again.push(ev(6, EventBody::Correction { supersedes: id(2), reason: reason.clone(), replacement: None }));
        assert_eq!(effective(&again), Err((id(6), CorrectionError::UnknownTarget)));
        let mut typed = events;
        typed.push(ev(
            7,
            EventBody::Correction {
                supersedes: id(4),
                reason,
                replacement: Some(DatedFact { fact: Fact::SupportStarted, date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap_or_default() }),
            },
        ));
        assert_eq!(effective(&typed), Err((id(7), CorrectionError::ChangesType)));
    }
}
