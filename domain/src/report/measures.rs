//! The catalogue of the outcome report's measures: what each counts, exactly, and how it is
//! shown.

use crate::agency::AgencyKind;
use crate::case::ExploitationType;
use crate::event::{ClosureReason, DecisionOutcome};
use crate::intervention::Channel;
use crate::need::NeedDomain;
use crate::outcome::OutcomeKind;

use super::{AgeGroup, Categories, Covers, MeasureDef, Section, Shape, Share, Statistic, Unit};

fn names<T: Copy>(all: &'static [T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// Actions by how they stood against their due date, and the share on time.
const ON_TIME_PARTS: &[&str] = &["done_by_due_date", "done_late", "overdue", "not_yet_due", "cancelled"];
const ON_TIME_SHARES: &[Share] =
    &[Share { stat: "share_on_time", numerator: &["done_by_due_date"], denominator: &["done_by_due_date", "done_late", "overdue"] }];

const MEDIAN_DAYS: Statistic = Statistic { stat: "median_days", unit: Unit::Days };
const P90_DAYS: Statistic = Statistic { stat: "p90_days", unit: Unit::Days };

/// Every measure of the outcome report, in the order it is shown.
pub static MEASURES: &[MeasureDef] = &[
    MeasureDef {
        id: "caseload.new",
        section: Section::Caseload,
        title: "New cases",
        definition: "Cases whose first recorded event (normally the start of support) falls in the period.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "caseload.supported",
        section: Section::Caseload,
        title: "People supported",
        definition: "Cases open at any time in the period: started on or before its last day and not closed before its first day \
                     (or reopened during it).",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "caseload.open_at_end",
        section: Section::Caseload,
        title: "Open at the end of the period",
        definition: "Cases started on or before the period's last day whose latest closure or reopening on or before that day is \
                     not a closure.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "caseload.closed_by_reason",
        section: Section::Caseload,
        title: "Cases closed, by reason",
        definition: "Cases closed in the period, by the reason recorded. A case closed twice counts twice.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(ClosureReason::ALL, ClosureReason::as_str)) },
    },
    MeasureDef {
        id: "people.exploitation_type",
        section: Section::People,
        title: "People supported, by type of exploitation",
        definition: "People supported in the period, by each type of exploitation recorded on their case. A person subjected to \
                     more than one type counts under each, so the categories add up to more than the total.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(ExploitationType::ALL, ExploitationType::as_str)) },
    },
    MeasureDef {
        id: "people.age_group",
        section: Section::People,
        title: "People supported, adults and children",
        definition: "People supported in the period, by age when support started. Anyone who may have been under 18 then, or whom \
                     the coordinator presumed a child, counts as a child.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(AgeGroup::ALL, AgeGroup::as_str)) },
    },
    MeasureDef {
        id: "people.nationality",
        section: Section::People,
        title: "People supported, UK and non-UK nationals",
        definition: "People supported in the period: UK nationals if any nationality recorded is British (GB), other \
                     nationalities if others are recorded, not recorded if none is.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| vec!["uk", "non_uk", "not_recorded"]) },
    },
    MeasureDef {
        id: "nrm.referrals",
        section: Section::Nrm,
        title: "NRM referrals",
        definition: "NRM referrals submitted in the period.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "nrm.duty_to_notify",
        section: Section::Nrm,
        title: "Duty to Notify reports",
        definition: "Duty to Notify reports submitted in the period (adults who declined an NRM referral).",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "nrm.rg_decisions",
        section: Section::Nrm,
        title: "Reasonable grounds decisions, by outcome",
        definition: "Reasonable grounds decisions dated in the period, by outcome.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(DecisionOutcome::ALL, DecisionOutcome::as_str)) },
    },
    MeasureDef {
        id: "nrm.cg_decisions",
        section: Section::Nrm,
        title: "Conclusive grounds decisions, by outcome",
        definition: "Conclusive grounds decisions dated in the period, by outcome.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(DecisionOutcome::ALL, DecisionOutcome::as_str)) },
    },
    MeasureDef {
        id: "nrm.rg_timeliness",
        section: Section::Nrm,
        title: "Reasonable grounds decisions within 5 working days",
        definition: "Reasonable grounds decisions recorded in the period that had a deadline for the decision (the \
                     competent authorities' UK-wide target of a decision within 5 working days of referral, in the statutory \
                     guidance for England and Wales and the non-statutory guidance for Scotland and Northern Ireland; working \
                     days by each jurisdiction's bank holidays): within 5 working days if made by its due date, later \
                     otherwise. Waived deadlines are left out.",
        covers: Covers::Rule("rg_decision_expected"),
        shape: Shape::Table {
            rows: None,
            parts: &["within_5_working_days", "later"],
            shares: &[Share {
                stat: "share_within",
                numerator: &["within_5_working_days"],
                denominator: &["within_5_working_days", "later"],
            }],
            statistics: &[],
        },
    },
    MeasureDef {
        id: "nrm.days_referral_to_rg",
        section: Section::Nrm,
        title: "Days from referral to reasonable grounds decision",
        definition: "For reasonable grounds decisions dated in the period: calendar days from the case's latest NRM referral on or \
                     before the decision. count is the number of decisions.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[MEDIAN_DAYS, P90_DAYS] },
    },
    MeasureDef {
        id: "nrm.days_rg_to_cg",
        section: Section::Nrm,
        title: "Days from reasonable grounds to conclusive grounds decision",
        definition: "For conclusive grounds decisions dated in the period: calendar days from the case's latest reasonable grounds \
                     decision on or before it. count is the number of decisions.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[MEDIAN_DAYS, P90_DAYS] },
    },
    MeasureDef {
        id: "nrm.awaiting_cg_over_a_year",
        section: Section::Nrm,
        title: "Waiting over a year for a conclusive grounds decision",
        definition: "Cases open at the end of the period (or today, while it runs) whose latest reasonable grounds decision is \
                     positive, more than 365 days old, and not yet followed by a conclusive grounds decision or disqualification.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "deadlines.by_rule",
        section: Section::Deadlines,
        title: "Deadlines met and missed, by rule",
        definition: "Deadlines (not milestones: a milestone, such as the end of a minimum period of support, simply arrives and \
                     is never met or missed) falling due in the period, by the rule that set them: met by the due date, missed \
                     (met late, or unmet after the due date), waived with a reason, or still open. The share met is met over met \
                     and missed.",
        covers: Covers::Rules,
        shape: Shape::Table {
            rows: Some(Categories::Rules),
            parts: &["met", "missed", "waived", "open"],
            shares: &[Share { stat: "share_met", numerator: &["met"], denominator: &["met", "missed"] }],
            statistics: &[],
        },
    },
    MeasureDef {
        id: "deadlines.gp_access",
        section: Section::Deadlines,
        title: "Access to a GP within 10 days",
        definition: "GP registration deadlines (the local standard: registered with a GP within 10 days of support starting) falling \
                     due in the period: within 10 days if the GP registration need was met by the due date, later if met after it, \
                     not met if unmet after it, still open if not yet due; waived ones are left out. The share within is within 10 days \
                     over those three. The median days are from support starting to the need being met, for those met.",
        covers: Covers::Rule("gp_access"),
        shape: Shape::Table {
            rows: None,
            parts: &["within_10_days", "later", "not_met", "open"],
            shares: &[Share { stat: "share_within", numerator: &["within_10_days"], denominator: &["within_10_days", "later", "not_met"] }],
            statistics: &[MEDIAN_DAYS],
        },
    },
    MeasureDef {
        id: "deadlines.support_ended_early",
        section: Section::Deadlines,
        title: "Support ended before the minimum period",
        definition: "Entitlements (minimum periods of support: the recovery period, move-on and exit support, Scotland's and \
                     Northern Ireland's support periods) falling due in the period, by rule: ended early if the case was closed \
                     before the minimum had passed, kept otherwise. The share ended early is those ended early over both.",
        covers: Covers::Rules,
        shape: Shape::Table {
            rows: Some(Categories::Entitlements),
            parts: &["ended_early", "kept"],
            shares: &[Share { stat: "share_ended_early", numerator: &["ended_early"], denominator: &["ended_early", "kept"] }],
            statistics: &[],
        },
    },
    MeasureDef {
        id: "needs.by_domain",
        section: Section::Needs,
        title: "Time to meet needs, by domain",
        definition: "Needs identified in the period, by domain and their status now: met, not met, withdrawn, open. The share met is \
                     met over all of them; the median days and the days for 9 in 10 are the days from identification to being met, for those met.",
        covers: Covers::All,
        shape: Shape::Table {
            rows: Some(Categories::Of(|| names(NeedDomain::ALL, NeedDomain::as_str))),
            parts: &["met", "not_met", "withdrawn", "open"],
            shares: &[Share { stat: "share_met", numerator: &["met"], denominator: &["met", "not_met", "withdrawn", "open"] }],
            statistics: &[MEDIAN_DAYS, P90_DAYS],
        },
    },
    MeasureDef {
        id: "interventions.by_channel",
        section: Section::Interventions,
        title: "Interventions, by channel",
        definition: "Interventions that took place in the period (London time), by channel.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(Channel::ALL, Channel::as_str)) },
    },
    MeasureDef {
        id: "interventions.by_counterpart_kind",
        section: Section::Interventions,
        title: "Interventions, by kind of counterpart agency",
        definition: "Interventions that took place in the period, by the kind of agency on the other end.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(AgencyKind::ALL, AgencyKind::as_str)) },
    },
    MeasureDef {
        id: "interventions.per_case",
        section: Section::Interventions,
        title: "Interventions per case",
        definition: "Over the cases with at least one intervention in the period (count): the mean and median number of \
                     interventions each.",
        covers: Covers::All,
        shape: Shape::Headline {
            statistics: &[Statistic { stat: "mean", unit: Unit::PerCase }, Statistic { stat: "median", unit: Unit::PerCase }],
        },
    },
    MeasureDef {
        id: "interventions.agencies_per_case",
        section: Section::Interventions,
        title: "Agencies engaged per case",
        definition: "The partnership's breadth: over the cases with at least one intervention in the period (count), the mean and \
                     median number of distinct counterpart agencies engaged.",
        covers: Covers::All,
        shape: Shape::Headline {
            statistics: &[Statistic { stat: "mean", unit: Unit::PerCase }, Statistic { stat: "median", unit: Unit::PerCase }],
        },
    },
    MeasureDef {
        id: "actions.by_due_date",
        section: Section::Actions,
        title: "Follow-up actions completed by their due date",
        definition: "Actions falling due in the period: done by the due date, done late, overdue (still open after it), not yet \
                     due, or cancelled. The share on time is done by the due date over those done or overdue.",
        covers: Covers::All,
        shape: Shape::Table {
            rows: None,
            parts: ON_TIME_PARTS,
            shares: ON_TIME_SHARES,
            statistics: &[],
        },
    },
    MeasureDef {
        id: "actions.asks_by_agency_kind",
        section: Section::Actions,
        title: "\u{201c}What happened?\u{201d} answered, by kind of agency",
        definition: "Asks due in the period (a coordinator asking an agency to report back after a conversation), by the kind of \
                     agency asked: answered, unanswered (no answer 14 days after the day it was asked), or still waiting. The share \
                     answered is answered over answered and unanswered.",
        covers: Covers::All,
        shape: Shape::Table {
            rows: Some(Categories::Of(|| names(AgencyKind::ALL, AgencyKind::as_str))),
            parts: &["answered", "unanswered", "waiting"],
            shares: &[Share { stat: "share_answered", numerator: &["answered"], denominator: &["answered", "unanswered"] }],
            statistics: &[],
        },
    },
    MeasureDef {
        id: "outcomes.core",
        section: Section::Outcomes,
        title: "People reaching each MSCOS core outcome",
        definition: "Distinct cases with the outcome recorded as achieved in the period, for each of the seven core outcomes of \
                     the Modern Slavery Core Outcome Set (2023); total is the cases reaching any of them.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(core_outcomes) },
    },
    MeasureDef {
        id: "outcomes.adverse",
        section: Section::Outcomes,
        title: "People with an adverse outcome",
        definition: "Distinct cases with an adverse outcome (re-exploited, lost contact, detained, removed) recorded in the \
                     period; total is the cases with any of them.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(adverse_outcomes) },
    },
    MeasureDef {
        id: "network.challenges",
        section: Section::Network,
        title: "Challenges raised on the network's board, and where they stand",
        definition: "Challenges raised by member agencies in the period, by where they stand now: still waiting for the \
                     network's decision, declined, in hand (accepted, being worked, or at the national forum), or resolved. The \
                     whole network's, whatever the report's filters.",
        covers: Covers::All,
        shape: Shape::Table {
            rows: None,
            parts: &["waiting", "declined", "in_hand", "resolved"],
            shares: &[Share { stat: "share_resolved", numerator: &["resolved"], denominator: &["waiting", "declined", "in_hand", "resolved"] }],
            statistics: &[],
        },
    },
    MeasureDef {
        id: "network.days_to_resolve",
        section: Section::Network,
        title: "Days from raising a challenge to resolving it",
        definition: "For challenges resolved in the period: calendar days from the day raised to the day resolved. count is the \
                     number resolved. The whole network's, whatever the report's filters.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[MEDIAN_DAYS, P90_DAYS] },
    },
    MeasureDef {
        id: "network.actions_by_agency_kind",
        section: Section::Network,
        title: "The network's actions done by their due date, by kind of agency",
        definition: "Actions given out on the network's challenges (at its meetings or on the board) falling due in the period, by \
                     the kind of agency that owes them: done by the due date, done late, overdue, not yet due, or cancelled. The \
                     share on time is done by the due date over those done or overdue. The whole network's, whatever the \
                     report's filters.",
        covers: Covers::All,
        shape: Shape::Table {
            rows: Some(Categories::Of(|| names(AgencyKind::ALL, AgencyKind::as_str))),
            parts: ON_TIME_PARTS,
            shares: ON_TIME_SHARES,
            statistics: &[],
        },
    },
];

pub(super) fn core_outcomes() -> Vec<&'static str> {
    OutcomeKind::ALL.iter().filter(|k| k.is_core()).map(|k| k.as_str()).collect()
}

pub(super) fn adverse_outcomes() -> Vec<&'static str> {
    OutcomeKind::ALL.iter().filter(|k| !k.is_core()).map(|k| k.as_str()).collect()
}
