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
