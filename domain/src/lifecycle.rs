//! The case lifecycle: the stage derived from the effective timeline, and the rules an event
//! must keep.
//!
//! Stages: intake → nrm_referred → recovery_period (positive RG) → awaiting_cg (the recovery
//! minimum has passed: time-based, see [`stage_on`]) → move_on (positive CG) | exit_support
//! (negative RG or CG, or disqualification) → closed; or dtn_only (an adult declined the NRM).
//! A reconsideration of a negative decision puts the case in awaiting_reconsideration until the
//! reconsidered decision is recorded; it concerns that negative decision only, never an earlier
//! positive one.
//! `case_reopened` starts a new journey at intake, keeping the earlier one on record.

use chrono::{Duration, NaiveDate};

use crate::event::{effective, CaseEvent, CorrectionError, DecisionOutcome, EffectiveEvent, EventBody, EventType, Fact};
use crate::ids::EventId;

vocabulary!(
    /// Where the case is in its journey; derived from case events, never set by hand.
    Stage {
        Intake => "intake",
        NrmReferred => "nrm_referred",
        DtnOnly => "dtn_only",
        RecoveryPeriod => "recovery_period",
        AwaitingCg => "awaiting_cg",
        MoveOn => "move_on",
        ExitSupport => "exit_support",
        /// Reconsideration of a negative decision has been requested: awaiting the new decision.
        AwaitingReconsideration => "awaiting_reconsideration",
        Closed => "closed",
    }
);

/// The first day of the National Referral Mechanism: no case fact can predate it.
pub fn nrm_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2009, 4, 1).unwrap_or(NaiveDate::MIN)
}

vocabulary!(
    /// The rules of the lifecycle, named in the problem an illegal event gets.
    LifecycleRule {
        DateInFuture => "date_in_future",
        DateBeforeNrm => "date_before_nrm",
        OutsideBackdatingWindow => "outside_backdating_window",
        CaseClosed => "case_closed",
        ReopenRequiresClosed => "reopen_requires_closed",
        SupportAlreadyStarted => "support_already_started",
        ReferralAlreadySubmitted => "referral_already_submitted",
        DutyToNotifyAfterReferral => "duty_to_notify_after_referral",
        DutyToNotifyAlreadySubmitted => "duty_to_notify_already_submitted",
        DecisionRequiresReferral => "decision_requires_referral",
        DecisionBeforeReferral => "decision_before_referral",
        SecondLiveRg => "second_live_rg",
        CgRequiresPositiveRg => "cg_requires_positive_rg",
        CgBeforeRg => "cg_before_rg",
        SecondLiveCg => "second_live_cg",
        ReconsiderationRequiresNegativeDecision => "reconsideration_requires_negative_decision",
        RequiresPositiveRg => "requires_positive_rg",
        CorrectionTargetUnknown => "correction_target_unknown",
        CorrectionChangesType => "correction_changes_type",
    }
);

impl LifecycleRule {
    /// What the rule says, for people.
    pub fn explain(self) -> &'static str {
        match self {
            LifecycleRule::DateInFuture => "An event cannot be dated in the future.",
            LifecycleRule::DateBeforeNrm => "No event can predate the National Referral Mechanism (2009-04-01).",
            LifecycleRule::OutsideBackdatingWindow => {
                "The date is earlier than the case's first event by more than the allowed back-dating window."
            }
            LifecycleRule::CaseClosed => "A closed case takes no events except case_reopened.",
            LifecycleRule::ReopenRequiresClosed => "Only a closed case can be reopened.",
            LifecycleRule::SupportAlreadyStarted => "Support has already started in this journey.",
            LifecycleRule::ReferralAlreadySubmitted => "The case already has an NRM referral in this journey.",
            LifecycleRule::DutyToNotifyAfterReferral => {
                "A Duty to Notify is for adults who decline the NRM; this case has an NRM referral."
            }
            LifecycleRule::DutyToNotifyAlreadySubmitted => "A Duty to Notify has already been submitted in this journey.",
            LifecycleRule::DecisionRequiresReferral => "A decision needs an NRM referral first.",
            LifecycleRule::DecisionBeforeReferral => "A decision cannot be dated before the NRM referral.",
            LifecycleRule::SecondLiveRg => "The case already has a live reasonable grounds decision; request reconsideration first.",
            LifecycleRule::CgRequiresPositiveRg => "A conclusive grounds decision needs a positive reasonable grounds decision first.",
            LifecycleRule::CgBeforeRg => "A conclusive grounds decision cannot be dated before its reasonable grounds decision.",
            LifecycleRule::SecondLiveCg => "The case already has a live conclusive grounds decision; request reconsideration first.",
            LifecycleRule::ReconsiderationRequiresNegativeDecision => "Reconsideration can only be requested of a live negative decision.",
            LifecycleRule::RequiresPositiveRg => "This event needs a live positive reasonable grounds decision.",
            LifecycleRule::CorrectionTargetUnknown => "A correction must supersede a current event of this case.",
            LifecycleRule::CorrectionChangesType => "A correction's replacement must be an event of the same type as the one it corrects.",
        }
    }
}

/// An illegal event: the rule it breaks and, where known, the event that breaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    pub rule: LifecycleRule,
    pub event: Option<EventId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub date: NaiveDate,
    pub outcome: DecisionOutcome,
    /// False once reconsideration has been requested.
    pub live: bool,
}

/// One support journey: from intake (or reopening) to closure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Journey {
    pub support_started: Option<NaiveDate>,
    pub referral: Option<NaiveDate>,
    pub duty_to_notify: Option<NaiveDate>,
    pub rg: Option<Decision>,
    pub cg: Option<Decision>,
    pub disqualified: Option<NaiveDate>,
    /// A reconsideration requested and not yet decided.
    pub reconsideration: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
}

impl Journey {
    /// The stage this journey is at, by events alone.
    pub fn stage(&self) -> Stage {
        let live = |d: Option<Decision>| d.filter(|d| d.live);
        if self.closed.is_some() {
            return Stage::Closed;
        }
        if self.disqualified.is_some() {
            return Stage::ExitSupport;
        }
        if self.reconsideration.is_some() {
            return Stage::AwaitingReconsideration;
        }
        match (live(self.rg), live(self.cg)) {
            (_, Some(cg)) if cg.outcome == DecisionOutcome::Positive => Stage::MoveOn,
            (_, Some(_)) => Stage::ExitSupport,
            (Some(rg), None) if rg.outcome == DecisionOutcome::Positive => Stage::RecoveryPeriod,
            (Some(_), None) => Stage::ExitSupport,
            (None, None) if self.referral.is_some() => Stage::NrmReferred,
            (None, None) if self.duty_to_notify.is_some() => Stage::DtnOnly,
            (None, None) => Stage::Intake,
        }
    }

    fn live_positive_rg(&self) -> Option<Decision> {
        self.rg.filter(|d| d.live && d.outcome == DecisionOutcome::Positive)
    }

    /// Applies one fact, or names the rule it breaks.
    pub fn apply(&self, fact: Fact, date: NaiveDate) -> Result<Journey, LifecycleRule> {
        use LifecycleRule as R;
        let mut next = *self;
        if self.closed.is_some() {
            return match fact {
                Fact::CaseReopened => Ok(Journey::default()),
                _ => Err(R::CaseClosed),
            };
        }
        match fact {
            Fact::CaseReopened => return Err(R::ReopenRequiresClosed),
            Fact::CaseClosed { .. } => next.closed = Some(date),
            Fact::SupportStarted => {
                if self.support_started.is_some() {
                    return Err(R::SupportAlreadyStarted);
                }
                next.support_started = Some(date);
            }
            Fact::NrmReferralSubmitted { .. } => {
                if self.referral.is_some() {
                    return Err(R::ReferralAlreadySubmitted);
                }
                next.referral = Some(date);
            }
            Fact::DutyToNotifySubmitted => {
                if self.referral.is_some() {
                    return Err(R::DutyToNotifyAfterReferral);
                }
                if self.duty_to_notify.is_some() {
                    return Err(R::DutyToNotifyAlreadySubmitted);
                }
                next.duty_to_notify = Some(date);
            }
            Fact::ReasonableGroundsDecision { outcome, .. } => {
                let referral = self.referral.ok_or(R::DecisionRequiresReferral)?;
                if self.rg.is_some_and(|d| d.live) {
                    return Err(R::SecondLiveRg);
                }
                if date < referral {
                    return Err(R::DecisionBeforeReferral);
                }
                next.rg = Some(Decision { date, outcome, live: true });
                next.cg = None;
                next.reconsideration = None;
            }
            Fact::ConclusiveGroundsDecision { outcome, .. } => {
                if self.referral.is_none() {
                    return Err(R::DecisionRequiresReferral);
                }
                let rg = self.live_positive_rg().ok_or(R::CgRequiresPositiveRg)?;
                if self.cg.is_some_and(|d| d.live) {
                    return Err(R::SecondLiveCg);
                }
                if date < rg.date {
                    return Err(R::CgBeforeRg);
                }
                next.cg = Some(Decision { date, outcome, live: true });
                next.reconsideration = None;
            }
            Fact::ReconsiderationRequested => {
                let negative = |d: Option<Decision>| d.is_some_and(|d| d.live && d.outcome == DecisionOutcome::Negative);
                if negative(self.cg) {
                    next.cg = self.cg.map(|d| Decision { live: false, ..d });
                } else if negative(self.rg) && !self.cg.is_some_and(|d| d.live) {
                    next.rg = self.rg.map(|d| Decision { live: false, ..d });
                } else {
                    return Err(R::ReconsiderationRequiresNegativeDecision);
                }
                next.reconsideration = Some(date);
            }
            Fact::Disqualified { .. } => {
                self.live_positive_rg().ok_or(R::RequiresPositiveRg)?;
                next.disqualified = Some(date);
            }
            Fact::RecoveryNeedsAssessmentSubmitted => {
                self.live_positive_rg().ok_or(R::RequiresPositiveRg)?;
            }
        }
        Ok(next)
    }
}

/// The effective timeline of a case and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub effective: Vec<EffectiveEvent>,
    /// The current journey.
    pub journey: Journey,
}

impl Timeline {
    pub fn stage(&self) -> Stage {
        self.journey.stage()
    }

    /// The date of the case's earliest effective event: the back-dating window is measured from
    /// it. Kept on the case (`cases.first_event_on`) so that a write need not replay the timeline.
    pub fn first_date(&self) -> Option<NaiveDate> {
        self.effective.first().map(|e| e.date)
    }
}

/// Replays `events` (in recording order) into a timeline, or the first rule broken.
pub fn replay(events: &[CaseEvent]) -> Result<Timeline, Violation> {
    let effective = effective(events).map_err(|(id, e)| Violation {
        rule: match e {
            CorrectionError::UnknownTarget => LifecycleRule::CorrectionTargetUnknown,
            CorrectionError::ChangesType => LifecycleRule::CorrectionChangesType,
        },
        event: Some(id),
    })?;
    let mut journey = Journey::default();
    for (i, e) in effective.iter().enumerate() {
        journey = journey.apply(e.fact, e.date).map_err(|rule| {
            // Replayed in date order, a decision dated before its predecessor meets it "missing";
            // name the real fault when the predecessor comes later.
            let later = |t: EventType| effective[i + 1..].iter().any(|l| l.fact.event_type() == t);
            let rule = match rule {
                LifecycleRule::DecisionRequiresReferral if later(EventType::NrmReferralSubmitted) => LifecycleRule::DecisionBeforeReferral,
                LifecycleRule::CgRequiresPositiveRg if later(EventType::ReasonableGroundsDecision) => LifecycleRule::CgBeforeRg,
                other => other,
            };
            Violation { rule, event: Some(e.id) }
        })?;
    }
    Ok(Timeline { effective, journey })
}

/// How far back from a case's first event a new event may be dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackdatingWindow(pub Duration);

impl Default for BackdatingWindow {
    /// Two years.
    fn default() -> Self {
        BackdatingWindow(Duration::days(731))
    }
}

/// Checks a new event against `existing` (in recording order) and returns the timeline with it.
/// Dates are checked first (future, before the NRM, outside the back-dating window measured
/// from the case's earliest effective event), then the whole timeline is replayed.
pub fn append(existing: &[CaseEvent], new: CaseEvent, today: NaiveDate, window: BackdatingWindow) -> Result<Timeline, Violation> {
    let new_date = match &new.body {
        EventBody::Fact(f) => Some(f.date),
        EventBody::Correction { replacement, .. } => replacement.map(|r| r.date),
    };
    if let Some(date) = new_date {
        let broken = |rule| Err(Violation { rule, event: Some(new.id) });
        if date > today {
            return broken(LifecycleRule::DateInFuture);
        }
        if date < nrm_start() {
            return broken(LifecycleRule::DateBeforeNrm);
        }
        let first = replay(existing).ok().and_then(|t| t.first_date());
        if first.is_some_and(|first| date < first - window.0) {
            return broken(LifecycleRule::OutsideBackdatingWindow);
        }
    }
    let mut all = existing.to_vec();
    all.push(new);
    replay(&all)
}

/// The stage on `today`: a case in its recovery period is awaiting its CG once the milestone
/// that ends the period (`advances_on`) has been reached.
pub fn stage_on(stage: Stage, advances_on: Option<NaiveDate>, today: NaiveDate) -> Stage {
    match (stage, advances_on) {
        (Stage::RecoveryPeriod, Some(on)) if today >= on => Stage::AwaitingCg,
        _ => stage,
    }
}

#[cfg(test)]
mod tests;
