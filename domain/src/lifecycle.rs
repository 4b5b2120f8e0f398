//! The case lifecycle: the stage derived from the effective timeline, and the rules an event
//! must keep (DESIGN.md §4).
//!
//! Stages: intake → nrm_referred → recovery_period (positive RG) → awaiting_cg (the recovery
//! minimum has passed: time-based, see [`stage_on`]) → move_on (positive CG) | exit_support
//! (negative RG or CG, or disqualification) → closed; or dtn_only (an adult declined the NRM).
//! A reconsideration of a negative decision puts the case in awaiting_reconsideration until the
//! reconsidered decision is recorded; it concerns that negative decision only, never an earlier
//! positive one.
//! `case_reopened` starts a new journey at intake, keeping the earlier one on record.

use chrono::{Duration, NaiveDate};

use crate::case::{nrm_start, Stage};
use crate::event::{effective, CaseEvent, CorrectionError, DecisionOutcome, EffectiveEvent, EventBody, EventType, Fact};
use crate::ids::EventId;

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
        let first = replay(existing).ok().and_then(|t| t.effective.first().map(|e| e.date));
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
mod tests {
    use super::*;
    use crate::event::tests::{ev, id, on};
    use crate::event::{ClosureReason, CompetentAuthority, CorrectionReason, DatedFact, DisqualificationGround};
    use crate::ids::AgencyId;
    use DecisionOutcome::{Negative, Positive};
    use LifecycleRule as R;

    fn d(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + Duration::days(n)
    }

    fn rg(outcome: DecisionOutcome) -> Fact {
        Fact::ReasonableGroundsDecision { outcome, authority: CompetentAuthority::Sca }
    }

    fn cg(outcome: DecisionOutcome) -> Fact {
        Fact::ConclusiveGroundsDecision { outcome, authority: CompetentAuthority::Sca }
    }

    fn referral() -> Fact {
        Fact::NrmReferralSubmitted { first_responder: AgencyId::new_v7(1) }
    }

    /// One representative fact of each type.
    fn sample(t: EventType) -> Option<Fact> {
        Some(match t {
            EventType::SupportStarted => Fact::SupportStarted,
            EventType::NrmReferralSubmitted => referral(),
            EventType::DutyToNotifySubmitted => Fact::DutyToNotifySubmitted,
            EventType::ReasonableGroundsDecision => rg(Positive),
            EventType::ConclusiveGroundsDecision => cg(Positive),
            EventType::ReconsiderationRequested => Fact::ReconsiderationRequested,
            EventType::Disqualified => Fact::Disqualified { ground: DisqualificationGround::PublicOrder },
            EventType::RecoveryNeedsAssessmentSubmitted => Fact::RecoveryNeedsAssessmentSubmitted,
            EventType::CaseClosed => Fact::CaseClosed { reason: ClosureReason::MovedOn },
            EventType::CaseReopened => Fact::CaseReopened,
            EventType::Correction => return None,
        })
    }

    /// A journey at each stage reachable by events.
    fn at(stage: Stage) -> Journey {
        let path: Vec<Fact> = match stage {
            Stage::Intake => vec![Fact::SupportStarted],
            Stage::NrmReferred => vec![Fact::SupportStarted, referral()],
            Stage::DtnOnly => vec![Fact::SupportStarted, Fact::DutyToNotifySubmitted],
            Stage::RecoveryPeriod | Stage::AwaitingCg => {
                vec![Fact::SupportStarted, referral(), rg(Positive)]
            }
            Stage::MoveOn => vec![Fact::SupportStarted, referral(), rg(Positive), cg(Positive)],
            Stage::ExitSupport => vec![Fact::SupportStarted, referral(), rg(Negative)],
            Stage::AwaitingReconsideration => vec![Fact::SupportStarted, referral(), rg(Negative), Fact::ReconsiderationRequested],
            Stage::Closed => vec![Fact::SupportStarted, Fact::CaseClosed { reason: ClosureReason::LostContact }],
        };
        let mut j = Journey::default();
        for (i, f) in path.into_iter().enumerate() {
            j = j.apply(f, d(i as i64)).unwrap_or_else(|r| panic!("{stage}: {r}"));
        }
        assert_eq!(j.stage(), if stage == Stage::AwaitingCg { Stage::RecoveryPeriod } else { stage });
        j
    }

    /// Every event type in every stage.
    #[test]
    fn state_machine_table() {
        use EventType as E;
        use Stage as S;
        #[rustfmt::skip]
        let table: &[(Stage, EventType, Result<Stage, LifecycleRule>)] = &[
            (S::Intake, E::SupportStarted, Err(R::SupportAlreadyStarted)),
            (S::Intake, E::NrmReferralSubmitted, Ok(S::NrmReferred)),
            (S::Intake, E::DutyToNotifySubmitted, Ok(S::DtnOnly)),
            (S::Intake, E::ReasonableGroundsDecision, Err(R::DecisionRequiresReferral)),
            (S::Intake, E::ConclusiveGroundsDecision, Err(R::DecisionRequiresReferral)),
            (S::Intake, E::ReconsiderationRequested, Err(R::ReconsiderationRequiresNegativeDecision)),
            (S::Intake, E::Disqualified, Err(R::RequiresPositiveRg)),
            (S::Intake, E::RecoveryNeedsAssessmentSubmitted, Err(R::RequiresPositiveRg)),
            (S::Intake, E::CaseClosed, Ok(S::Closed)),
            (S::Intake, E::CaseReopened, Err(R::ReopenRequiresClosed)),

            (S::NrmReferred, E::SupportStarted, Err(R::SupportAlreadyStarted)),
            (S::NrmReferred, E::NrmReferralSubmitted, Err(R::ReferralAlreadySubmitted)),
            (S::NrmReferred, E::DutyToNotifySubmitted, Err(R::DutyToNotifyAfterReferral)),
            (S::NrmReferred, E::ReasonableGroundsDecision, Ok(S::RecoveryPeriod)),
            (S::NrmReferred, E::ConclusiveGroundsDecision, Err(R::CgRequiresPositiveRg)),
            (S::NrmReferred, E::ReconsiderationRequested, Err(R::ReconsiderationRequiresNegativeDecision)),
            (S::NrmReferred, E::Disqualified, Err(R::RequiresPositiveRg)),
            (S::NrmReferred, E::RecoveryNeedsAssessmentSubmitted, Err(R::RequiresPositiveRg)),
            (S::NrmReferred, E::CaseClosed, Ok(S::Closed)),
            (S::NrmReferred, E::CaseReopened, Err(R::ReopenRequiresClosed)),

            (S::DtnOnly, E::SupportStarted, Err(R::SupportAlreadyStarted)),
            (S::DtnOnly, E::NrmReferralSubmitted, Ok(S::NrmReferred)),
            (S::DtnOnly, E::DutyToNotifySubmitted, Err(R::DutyToNotifyAlreadySubmitted)),
            (S::DtnOnly, E::ReasonableGroundsDecision, Err(R::DecisionRequiresReferral)),
            (S::DtnOnly, E::ConclusiveGroundsDecision, Err(R::DecisionRequiresReferral)),
            (S::DtnOnly, E::ReconsiderationRequested, Err(R::ReconsiderationRequiresNegativeDecision)),
            (S::DtnOnly, E::Disqualified, Err(R::RequiresPositiveRg)),
            (S::DtnOnly, E::RecoveryNeedsAssessmentSubmitted, Err(R::RequiresPositiveRg)),
            (S::DtnOnly, E::CaseClosed, Ok(S::Closed)),
            (S::DtnOnly, E::CaseReopened, Err(R::ReopenRequiresClosed)),

            (S::RecoveryPeriod, E::SupportStarted, Err(R::SupportAlreadyStarted)),
            (S::RecoveryPeriod, E::NrmReferralSubmitted, Err(R::ReferralAlreadySubmitted)),
            (S::RecoveryPeriod, E::DutyToNotifySubmitted, Err(R::DutyToNotifyAfterReferral)),
            (S::RecoveryPeriod, E::ReasonableGroundsDecision, Err(R::SecondLiveRg)),
            (S::RecoveryPeriod, E::ConclusiveGroundsDecision, Ok(S::MoveOn)),
            (S::RecoveryPeriod, E::ReconsiderationRequested, Err(R::ReconsiderationRequiresNegativeDecision)),
            (S::RecoveryPeriod, E::Disqualified, Ok(S::ExitSupport)),
            (S::RecoveryPeriod, E::RecoveryNeedsAssessmentSubmitted, Ok(S::RecoveryPeriod)),
            (S::RecoveryPeriod, E::CaseClosed, Ok(S::Closed)),
            (S::RecoveryPeriod, E::CaseReopened, Err(R::ReopenRequiresClosed)),

            (S::MoveOn, E::SupportStarted, Err(R::SupportAlreadyStarted)),
            (S::MoveOn, E::NrmReferralSubmitted, Err(R::ReferralAlreadySubmitted)),
            (S::MoveOn, E::DutyToNotifySubmitted, Err(R::DutyToNotifyAfterReferral)),
            (S::MoveOn, E::ReasonableGroundsDecision, Err(R::SecondLiveRg)),
            (S::MoveOn, E::ConclusiveGroundsDecision, Err(R::SecondLiveCg)),
            (S::MoveOn, E::ReconsiderationRequested, Err(R::ReconsiderationRequiresNegativeDecision)),
            (S::MoveOn, E::Disqualified, Ok(S::ExitSupport)),
            (S::MoveOn, E::RecoveryNeedsAssessmentSubmitted, Ok(S::MoveOn)),
            (S::MoveOn, E::CaseClosed, Ok(S::Closed)),
            (S::MoveOn, E::CaseReopened, Err(R::ReopenRequiresClosed)),

            (S::ExitSupport, E::SupportStarted, Err(R::SupportAlreadyStarted)),
            (S::ExitSupport, E::NrmReferralSubmitted, Err(R::ReferralAlreadySubmitted)),
            (S::ExitSupport, E::DutyToNotifySubmitted, Err(R::DutyToNotifyAfterReferral)),
            (S::ExitSupport, E::ReasonableGroundsDecision, Err(R::SecondLiveRg)),
            (S::ExitSupport, E::ConclusiveGroundsDecision, Err(R::CgRequiresPositiveRg)),
            (S::ExitSupport, E::ReconsiderationRequested, Ok(S::AwaitingReconsideration)),
            (S::ExitSupport, E::Disqualified, Err(R::RequiresPositiveRg)),
            (S::ExitSupport, E::RecoveryNeedsAssessmentSubmitted, Err(R::RequiresPositiveRg)),
            (S::ExitSupport, E::CaseClosed, Ok(S::Closed)),
            (S::ExitSupport, E::CaseReopened, Err(R::ReopenRequiresClosed)),

            (S::AwaitingReconsideration, E::SupportStarted, Err(R::SupportAlreadyStarted)),
            (S::AwaitingReconsideration, E::NrmReferralSubmitted, Err(R::ReferralAlreadySubmitted)),
            (S::AwaitingReconsideration, E::DutyToNotifySubmitted, Err(R::DutyToNotifyAfterReferral)),
            (S::AwaitingReconsideration, E::ReasonableGroundsDecision, Ok(S::RecoveryPeriod)),
            (S::AwaitingReconsideration, E::ConclusiveGroundsDecision, Err(R::CgRequiresPositiveRg)),
            (S::AwaitingReconsideration, E::ReconsiderationRequested, Err(R::ReconsiderationRequiresNegativeDecision)),
            (S::AwaitingReconsideration, E::Disqualified, Err(R::RequiresPositiveRg)),
            (S::AwaitingReconsideration, E::RecoveryNeedsAssessmentSubmitted, Err(R::RequiresPositiveRg)),
            (S::AwaitingReconsideration, E::CaseClosed, Ok(S::Closed)),
            (S::AwaitingReconsideration, E::CaseReopened, Err(R::ReopenRequiresClosed)),

            (S::Closed, E::SupportStarted, Err(R::CaseClosed)),
            (S::Closed, E::NrmReferralSubmitted, Err(R::CaseClosed)),
            (S::Closed, E::DutyToNotifySubmitted, Err(R::CaseClosed)),
            (S::Closed, E::ReasonableGroundsDecision, Err(R::CaseClosed)),
            (S::Closed, E::ConclusiveGroundsDecision, Err(R::CaseClosed)),
            (S::Closed, E::ReconsiderationRequested, Err(R::CaseClosed)),
            (S::Closed, E::Disqualified, Err(R::CaseClosed)),
            (S::Closed, E::RecoveryNeedsAssessmentSubmitted, Err(R::CaseClosed)),
            (S::Closed, E::CaseClosed, Err(R::CaseClosed)),
            (S::Closed, E::CaseReopened, Ok(S::Intake)),
        ];
        let stages =
            [S::Intake, S::NrmReferred, S::DtnOnly, S::RecoveryPeriod, S::MoveOn, S::ExitSupport, S::AwaitingReconsideration, S::Closed];
        let fact_types: Vec<EventType> = EventType::ALL.iter().copied().filter(|t| *t != E::Correction).collect();
        assert_eq!(table.len(), stages.len() * fact_types.len(), "every stage × event type");
        for (stage, event_type, expected) in table {
            let fact = sample(*event_type).unwrap_or(Fact::SupportStarted);
            let got = at(*stage).apply(fact, d(30)).map(|j| j.stage());
            assert_eq!(got, *expected, "{stage} + {event_type}");
        }
        // awaiting_cg takes events as recovery_period does: it differs only by the calendar.
        assert_eq!(stage_on(S::RecoveryPeriod, Some(d(30)), d(29)), S::RecoveryPeriod);
        assert_eq!(stage_on(S::RecoveryPeriod, Some(d(30)), d(30)), S::AwaitingCg);
        assert_eq!(stage_on(S::MoveOn, Some(d(30)), d(40)), S::MoveOn);
    }

    #[test]
    fn decisions_must_follow_their_predecessors_in_time() {
        let j = at(Stage::NrmReferred); // referral on d(1)
        assert_eq!(j.apply(rg(Positive), d(0)), Err(R::DecisionBeforeReferral));
        let j = j.apply(rg(Positive), d(10)).unwrap_or_default();
        assert_eq!(j.apply(cg(Positive), d(9)), Err(R::CgBeforeRg));
        assert_eq!(j.apply(cg(Negative), d(10)).map(|j| j.stage()), Ok(Stage::ExitSupport));
        // A negative CG reconsidered: awaiting the reconsidered CG, the positive RG standing.
        let j = j.apply(cg(Negative), d(200)).unwrap_or_default();
        let j = j.apply(Fact::ReconsiderationRequested, d(210)).unwrap_or_default();
        assert_eq!(j.stage(), Stage::AwaitingReconsideration);
        assert_eq!(stage_on(j.stage(), Some(d(40)), d(400)), Stage::AwaitingReconsideration, "never stuck in the recovery period");
        assert!(j.live_positive_rg().is_some());
        assert_eq!(j.apply(cg(Positive), d(300)).map(|j| j.stage()), Ok(Stage::MoveOn));
        // Upheld: a new negative CG, exit support again.
        assert_eq!(j.apply(cg(Negative), d(300)).map(|j| j.stage()), Ok(Stage::ExitSupport));
    }

    #[test]
    fn appending_checks_dates_and_replays_the_timeline() {
        let today = d(100);
        let window = BackdatingWindow::default();
        let existing = vec![ev(1, on(Fact::SupportStarted, 2026, 3, 1)), ev(2, on(referral(), 2026, 3, 1))];
        let future = ev(3, on(rg(Positive), 2026, 12, 31));
        assert_eq!(append(&existing, future, today, window).map(|_| ()), Err(Violation { rule: R::DateInFuture, event: Some(id(3)) }));
        let ancient = ev(3, on(Fact::CaseReopened, 2008, 1, 1));
        assert_eq!(append(&existing, ancient, today, window).map(|_| ()).map_err(|v| v.rule), Err(R::DateBeforeNrm));
        let too_early = ev(3, on(Fact::RecoveryNeedsAssessmentSubmitted, 2024, 2, 28));
        assert_eq!(append(&existing, too_early, today, window).map_err(|v| v.rule).map(|_| ()), Err(R::OutsideBackdatingWindow));
        // Late entry of a past decision within the window is normal.
        let t = append(&existing, ev(3, on(rg(Positive), 2026, 3, 4)), today, window).unwrap_or_else(|v| panic!("{v:?}"));
        assert_eq!(t.stage(), Stage::RecoveryPeriod);
        // A back-dated event that makes the timeline illegal is refused by the rule it breaks.
        let existing = vec![ev(1, on(referral(), 2026, 3, 1)), ev(2, on(rg(Positive), 2026, 3, 4))];
        let dtn = ev(3, on(Fact::DutyToNotifySubmitted, 2026, 3, 2));
        assert_eq!(append(&existing, dtn, today, window).map_err(|v| v.rule).map(|_| ()), Err(R::DutyToNotifyAfterReferral));
        // Correcting the RG to a date before the referral breaks the rule too.
        let reason = CorrectionReason::parse("wrong date").unwrap_or_else(|_| unreachable!());
        let wrong = ev(
            4,
            EventBody::Correction {
                supersedes: id(2),
                reason,
                replacement: Some(DatedFact { fact: rg(Positive), date: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap_or_default() }),
            },
        );
        assert_eq!(append(&existing, wrong, today, window).map_err(|v| v.rule).map(|_| ()), Err(R::DecisionBeforeReferral));
    }

    #[test]
    fn reopening_starts_a_new_journey() {
        let events = vec![
            ev(1, on(referral(), 2025, 1, 6)),
            ev(2, on(rg(Negative), 2025, 1, 20)),
            ev(3, on(Fact::CaseClosed { reason: ClosureReason::LostContact }, 2025, 2, 10)),
            ev(4, on(Fact::CaseReopened, 2025, 9, 1)),
            ev(5, on(referral(), 2025, 9, 2)),
        ];
        let t = replay(&events).unwrap_or_else(|v| panic!("{v:?}"));
        assert_eq!(t.stage(), Stage::NrmReferred);
        assert_eq!(t.journey.referral, NaiveDate::from_ymd_opt(2025, 9, 2));
        assert_eq!(t.effective.len(), 5);
    }
}
