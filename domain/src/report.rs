//! The outcome report (DESIGN.md §8): what is measured, how each measure is defined, and how the
//! figures are assembled and protected before anyone sees them.
//!
//! Each measure is defined once here, with the definition text the report carries. The database
//! computes raw figures as tidy rows ([`RawFigure`]); [`assemble`] checks them against these
//! definitions, fills in the categories with nothing in them, and applies the disclosure policy.
//! Renderers (JSON, CSV, HTML) only ever see the assembled [`Report`].

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::agency::AgencyKind;
use crate::case::{nrm_start, ExploitationType, Jurisdiction, LocalAuthority};
use crate::deadline::ACTION_DUE;
use crate::disclosure::{Cell, Count, Policy};
use crate::error::FieldErrors;
use crate::event::{ClosureReason, DecisionOutcome};
use crate::intervention::Channel;
use crate::need::NeedDomain;
use crate::outcome::OutcomeKind;
use crate::rules::{DeadlineKind, RuleBook};

vocabulary!(
    /// Adults and children, by age when support started (anyone who may have been under 18 is
    /// counted as a child).
    AgeGroup {
        Adult => "adult",
        Child => "child",
    }
);

vocabulary!(
    /// The report's sections, in order.
    Section {
        Caseload => "caseload",
        People => "people",
        Nrm => "nrm",
        Deadlines => "deadlines",
        Needs => "needs",
        Interventions => "interventions",
        Actions => "actions",
        Outcomes => "outcomes",
    }
);

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Caseload => "Caseload",
            Section::People => "People supported",
            Section::Nrm => "National Referral Mechanism",
            Section::Deadlines => "Deadlines",
            Section::Needs => "Needs met",
            Section::Interventions => "Interventions and partnership",
            Section::Actions => "Follow-up actions",
            Section::Outcomes => "Outcomes (MSCOS)",
        }
    }
}

vocabulary!(
    /// What a figure counts or measures.
    Unit {
        Count => "count",
        Percent => "percent",
        Days => "days",
        PerCase => "per_case",
    }
);

vocabulary!(
    /// How a figure was published.
    FigureStatus {
        /// As computed.
        Exact => "exact",
        /// Perturbed by the cell key method (a commissioner's figure).
        Perturbed => "perturbed",
        /// Withheld: a count from 1 to the threshold, or a statistic of such a cell.
        Suppressed => "suppressed",
        /// Too few values behind it for a median, percentile, mean or share.
        InsufficientData => "insufficient_data",
    }
);

/// Why a protected (commissioner's) report is refused, whatever its figures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtectedReportRefusal {
    /// `from` is not the first day of a month, or `to` not the last (rule `whole_months`).
    #[error("commissioners' reports cover whole calendar months")]
    WholeMonths(FieldErrors),
    /// The filtered scope holds fewer people supported in the period than the policy's minimum.
    #[error("the report's scope is too small to publish")]
    PopulationTooSmall,
}

impl ReportParams {
    /// Whether any filter narrows the report below the whole network.
    pub fn is_filtered(&self) -> bool {
        self.jurisdiction.is_some() || self.local_authority.is_some() || self.exploitation_type.is_some() || self.age_group.is_some()
    }

    /// Commissioners' periods are whole calendar months: `from` the 1st, `to` a month's last day,
    /// so that no two reports differ by a day (or a few) that would single a person out.
    pub fn whole_months(&self) -> Result<(), ProtectedReportRefusal> {
        let mut errs = FieldErrors::new();
        if self.from.day() != 1 {
            errs.push("from", "must be the first day of a month (rule whole_months)");
        }
        if self.to.succ_opt().is_some_and(|next| next.day() != 1) {
            errs.push("to", "must be the last day of a month (rule whole_months)");
        }
        errs.into_result().map_err(ProtectedReportRefusal::WholeMonths)
    }

    /// A filtered report whose scope holds fewer than `policy.min_population` people supported
    /// in the period is refused (from the raw figures, before anything is published).
    pub fn check_population(&self, policy: Policy, raw: &[RawFigure]) -> Result<(), ProtectedReportRefusal> {
        if !policy.perturb || !self.is_filtered() {
            return Ok(());
        }
        let supported = raw
            .iter()
            .find(|r| r.measure == "caseload.supported" && r.category.is_none() && r.stat == "count")
            .map_or(0, |r| u64::try_from(r.n).unwrap_or(0));
        if supported < policy.min_population {
            return Err(ProtectedReportRefusal::PopulationTooSmall);
        }
        Ok(())
    }
}

/// The longest period one report may cover.
pub const MAX_PERIOD_YEARS: i32 = 20;

/// What a report is asked for: a period (London dates, both inclusive) and optional filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub jurisdiction: Option<Jurisdiction>,
    pub local_authority: Option<LocalAuthority>,
    pub exploitation_type: Option<ExploitationType>,
    pub age_group: Option<AgeGroup>,
}

impl ReportParams {
    /// Checks the period: `from` on or before `to`, neither before the NRM began, at most
    /// [`MAX_PERIOD_YEARS`] long, and starting no later than `today`.
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
        jurisdiction: Option<Jurisdiction>,
        local_authority: Option<LocalAuthority>,
        exploitation_type: Option<ExploitationType>,
        age_group: Option<AgeGroup>,
    ) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        if from < nrm_start() {
            errs.push("from", "must be on or after 2009-04-01, when the NRM began");
        } else if from > today {
            errs.push("from", "must be on or before today");
        }
        if to < from {
            errs.push("to", "must be on or after from");
        } else if from.with_year(from.year() + MAX_PERIOD_YEARS).is_some_and(|limit| to >= limit) {
            errs.push("to", format!("must be less than {MAX_PERIOD_YEARS} years after from"));
        }
        errs.into_result()?;
        Ok(ReportParams { from, to, jurisdiction, local_authority, exploitation_type, age_group })
    }

    /// The date the figures are as at: the period's end, or today while it is still running.
    pub fn as_at(&self, today: NaiveDate) -> NaiveDate {
        self.to.min(today)
    }
}

/// A median, percentile or mean the database computes, and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statistic {
    pub stat: &'static str,
    pub unit: Unit,
}

/// A share (percent) of some parts of a row over others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub stat: &'static str,
    pub numerator: &'static [&'static str],
    pub denominator: &'static [&'static str],
}

/// The categories of a breakdown or the rows of a table.
#[derive(Debug, Clone, Copy)]
pub enum Categories {
    /// A closed list (a vocabulary's wire spellings).
    Of(fn() -> Vec<&'static str>),
    /// The deadline rules in force (rules of kind deadline, and action_due), which are data.
    Rules,
    /// The entitlements in force: milestones before which support must not end.
    Entitlements,
}

/// How a measure's figures are shaped, which decides how they are protected.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// One count (`count`), published unless small, with optional statistics beside it.
    Headline { statistics: &'static [Statistic] },
    /// Counts by category (`count`) and a total (`total`). A person may fall into more than one
    /// category, so the total is computed, not summed. Cells are rounded; small ones suppressed.
    Breakdown { categories: Categories },
    /// Rows (one, or one per category) of parts that add up to the row's total, with shares of
    /// those parts and statistics beside them.
    Table { rows: Option<Categories>, parts: &'static [&'static str], shares: &'static [Share], statistics: &'static [Statistic] },
}

/// One measure: defined once, with the text that says exactly what it counts.
#[derive(Debug, Clone, Copy)]
pub struct MeasureDef {
    pub id: &'static str,
    pub section: Section,
    pub title: &'static str,
    pub definition: &'static str,
    /// Which jurisdictions the measure covers.
    pub covers: Covers,
    pub shape: Shape,
}

/// Which jurisdictions a measure covers: some count what a rule sets, and a rule may be in force
/// in some jurisdictions only.
#[derive(Debug, Clone, Copy)]
pub enum Covers {
    All,
    /// Where this rule is in force.
    Rule(&'static str),
    /// Where any of the table's rules is in force (each row's rule names its own).
    Rules,
}

fn names<T: Copy>(all: &'static [T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

const MEDIAN_DAYS: Statistic = Statistic { stat: "median_days", unit: Unit::Days };
const P90_DAYS: Statistic = Statistic { stat: "p90_days", unit: Unit::Days };

/// Every measure of the outcome report, in the order it is shown.
pub static MEASURES: &[MeasureDef] = &[
    MeasureDef {
        id: "caseload.new",
        section: Section::Caseload,
        title: "New cases",
        definition: "Cases whose first recorded event (normally support_started) falls in the period.",
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
        definition: "case_closed events dated in the period, by the reason recorded. A case closed twice counts twice.",
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
        definition: "People supported in the period: uk if any nationality recorded is British (GB), non_uk if others are recorded, \
                     not_recorded if none is.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| vec!["uk", "non_uk", "not_recorded"]) },
    },
    MeasureDef {
        id: "nrm.referrals",
        section: Section::Nrm,
        title: "NRM referrals",
        definition: "nrm_referral_submitted events dated in the period.",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "nrm.duty_to_notify",
        section: Section::Nrm,
        title: "Duty to Notify reports",
        definition: "duty_to_notify_submitted events dated in the period (adults who declined an NRM referral).",
        covers: Covers::All,
        shape: Shape::Headline { statistics: &[] },
    },
    MeasureDef {
        id: "nrm.rg_decisions",
        section: Section::Nrm,
        title: "Reasonable grounds decisions, by outcome",
        definition: "reasonable_grounds_decision events dated in the period, by outcome.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(DecisionOutcome::ALL, DecisionOutcome::as_str)) },
    },
    MeasureDef {
        id: "nrm.cg_decisions",
        section: Section::Nrm,
        title: "Conclusive grounds decisions, by outcome",
        definition: "conclusive_grounds_decision events dated in the period, by outcome.",
        covers: Covers::All,
        shape: Shape::Breakdown { categories: Categories::Of(|| names(DecisionOutcome::ALL, DecisionOutcome::as_str)) },
    },
    MeasureDef {
        id: "nrm.rg_timeliness",
        section: Section::Nrm,
        title: "Reasonable grounds decisions within 5 working days",
        definition: "Reasonable grounds decisions recorded in the period that met an rg_decision_expected deadline (the \
                     competent authorities' UK-wide target of a decision within 5 working days of referral, in the statutory \
                     guidance for England and Wales and the non-statutory guidance for Scotland and Northern Ireland; working \
                     days by each jurisdiction's bank holidays): within_5_working_days if made by its due date, later \
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
                     (met late, or unmet after the due date), waived with a reason, or still open. share_met is met over met \
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
        definition: "gp_access deadlines (the local standard: registered with a GP within 10 days of support starting) falling \
                     due in the period: within_10_days if the health_gp need was met by the due date, later if met after it, \
                     not_met if unmet after it, open if not yet due; waived ones are left out. share_within is within_10_days \
                     over those three. median_days is from support starting to the need being met, for those met.",
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
                     Northern Ireland's support periods) falling due in the period, by rule: ended_early if the case was closed \
                     before the minimum had passed, kept otherwise. share_ended_early is ended_early over both.",
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
        definition: "Needs identified in the period, by domain and their status now: met, not_met, withdrawn, open. share_met is \
                     met over all of them; median_days and p90_days are the days from identification to being met, for those met.",
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
                     due, or cancelled. share_on_time is done by the due date over those done or overdue.",
        covers: Covers::All,
        shape: Shape::Table {
            rows: None,
            parts: &["done_by_due_date", "done_late", "overdue", "not_yet_due", "cancelled"],
            shares: &[Share {
                stat: "share_on_time",
                numerator: &["done_by_due_date"],
                denominator: &["done_by_due_date", "done_late", "overdue"],
            }],
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
];

fn core_outcomes() -> Vec<&'static str> {
    OutcomeKind::ALL.iter().filter(|k| k.is_core()).map(|k| k.as_str()).collect()
}

fn adverse_outcomes() -> Vec<&'static str> {
    OutcomeKind::ALL.iter().filter(|k| !k.is_core()).map(|k| k.as_str()).collect()
}

/// One raw figure as the database computed it (exact, unprotected).
#[derive(Debug, Clone, PartialEq)]
pub struct RawFigure {
    pub measure: String,
    pub category: Option<String>,
    pub stat: String,
    /// A count, or for a statistic the number of values behind it.
    pub n: i64,
    /// A statistic's value; none for counts.
    pub value: Option<f64>,
    /// The cell key of a count: the sum, modulo 2^32, of the record keys of exactly the records
    /// it counts ([`crate::disclosure`]).
    pub key: u32,
}

/// One published figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub category: Option<String>,
    pub stat: &'static str,
    pub unit: Unit,
    pub value: Option<f64>,
    pub status: FigureStatus,
}

/// A measure's published figures.
#[derive(Debug, Clone)]
pub struct MeasureResult {
    pub def: &'static MeasureDef,
    /// The jurisdictions the figures cover (within the report's jurisdiction filter).
    pub jurisdictions: Vec<Jurisdiction>,
    pub figures: Vec<Figure>,
}

/// The rules a report's tables list, and where each is in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRules {
    /// Rules of kind deadline (and `action_due`), with the jurisdictions of each.
    pub deadlines: Vec<(String, Vec<Jurisdiction>)>,
    /// Entitlements: milestones before which support must not end.
    pub entitlements: Vec<(String, Vec<Jurisdiction>)>,
}

impl ReportRules {
    /// The rules of `book`, by id.
    pub fn of(book: &RuleBook) -> Self {
        let mut deadlines: Vec<(String, Vec<Jurisdiction>)> = Vec::new();
        let mut entitlements: Vec<(String, Vec<Jurisdiction>)> = Vec::new();
        for rule in book.sets.iter().flat_map(|s| &s.rules) {
            let list = match rule.kind {
                DeadlineKind::Deadline => &mut deadlines,
                DeadlineKind::Milestone if rule.entitlement => &mut entitlements,
                DeadlineKind::Milestone => continue,
            };
            if !list.iter().any(|(id, _)| *id == rule.id) {
                list.push((rule.id.clone(), book.jurisdictions_with(&rule.id)));
            }
        }
        deadlines.push((ACTION_DUE.to_owned(), Jurisdiction::ALL.to_vec()));
        deadlines.sort();
        entitlements.sort();
        ReportRules { deadlines, entitlements }
    }

    fn jurisdictions_of(&self, rule: &str) -> Vec<Jurisdiction> {
        self.deadlines.iter().chain(&self.entitlements).find(|(id, _)| id == rule).map(|(_, j)| j.clone()).unwrap_or_default()
    }
}

/// The assembled, protected report.
#[derive(Debug, Clone)]
pub struct Report {
    pub params: ReportParams,
    pub as_at: NaiveDate,
    pub policy: Policy,
    pub exact: bool,
    pub measures: Vec<MeasureResult>,
}

/// The database returned a figure no measure defines: the query and the definitions disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the report query returned a figure no measure defines: {measure}/{stat}")]
pub struct UnknownFigure {
    pub measure: String,
    pub stat: String,
}

fn count_figure(category: Option<&str>, stat: &'static str, cell: Cell) -> Figure {
    let (value, status) = match cell {
        Cell::Exact(n) => (Some(n as f64), FigureStatus::Exact),
        Cell::Perturbed(n) => (Some(n as f64), FigureStatus::Perturbed),
        Cell::Suppressed => (None, FigureStatus::Suppressed),
    };
    Figure { category: category.map(str::to_owned), stat, unit: Unit::Count, value, status }
}

/// A statistic: withheld when the cell of values behind it is suppressed, or when it has too
/// few of them; rounded as the policy says.
fn statistic_figure(category: Option<&str>, s: &Statistic, policy: Policy, raw: Option<&RawFigure>) -> Figure {
    let n = raw.map_or(0, |r| u64::try_from(r.n).unwrap_or(0));
    let describes = policy.count(Count { n, key: raw.map_or(0, |r| r.key) });
    let (value, status) = if describes == Cell::Suppressed {
        (None, FigureStatus::Suppressed)
    } else {
        let value = policy.statistic(n, raw.and_then(|r| r.value));
        (value, if value.is_some() { FigureStatus::Exact } else { FigureStatus::InsufficientData })
    };
    Figure { category: category.map(str::to_owned), stat: s.stat, unit: s.unit, value, status }
}

type Key<'a> = (&'a str, Option<&'a str>, &'a str);

/// Builds the report from the raw figures: every defined figure appears (missing counts are zero),
/// protected by `policy` (use [`Policy::EXACT`] for exact figures). `rules` lists the rules in
/// force, so a rule with nothing due still shows its zeros, and says where each applies.
pub fn assemble(
    params: ReportParams,
    as_at: NaiveDate,
    policy: Policy,
    rules: &ReportRules,
    raw: &[RawFigure],
) -> Result<Report, UnknownFigure> {
    let mut by_key: BTreeMap<Key<'_>, &RawFigure> = BTreeMap::new();
    let mut rule_rows: Vec<&str> = rules.deadlines.iter().map(|(id, _)| id.as_str()).collect();
    let entitlement_rows: Vec<&str> = rules.entitlements.iter().map(|(id, _)| id.as_str()).collect();
    for r in raw {
        let def = MEASURES.iter().find(|m| m.id == r.measure);
        let known = def.is_some_and(|d| match d.shape {
            Shape::Headline { statistics } => r.stat == "count" || statistics.iter().any(|s| s.stat == r.stat),
            Shape::Breakdown { .. } => r.stat == "count" || r.stat == "total",
            Shape::Table { parts, statistics, .. } => parts.contains(&r.stat.as_str()) || statistics.iter().any(|s| s.stat == r.stat),
        });
        if !known {
            return Err(UnknownFigure { measure: r.measure.clone(), stat: r.stat.clone() });
        }
        if let (Some(d), Some(c)) = (def, r.category.as_deref()) {
            if matches!(d.shape, Shape::Table { rows: Some(Categories::Rules), .. }) && !rule_rows.contains(&c) {
                rule_rows.push(c);
            }
        }
        by_key.insert((r.measure.as_str(), r.category.as_deref(), r.stat.as_str()), r);
    }
    rule_rows.sort_unstable();
    rule_rows.dedup();
    let get = |m: &str, c: Option<&str>, s: &str| by_key.get(&(m, c, s)).copied();
    let count = |m: &str, c: Option<&str>, s: &str| {
        get(m, c, s).map_or(Count::default(), |r| Count { n: u64::try_from(r.n).unwrap_or(0), key: r.key })
    };
    let listed = |c: &Categories| -> Vec<&str> {
        match c {
            Categories::Of(f) => f(),
            Categories::Rules => rule_rows.clone(),
            Categories::Entitlements => entitlement_rows.clone(),
        }
    };
    let within_filter = |js: Vec<Jurisdiction>| -> Vec<Jurisdiction> {
        js.into_iter().filter(|j| params.jurisdiction.is_none_or(|only| only == *j)).collect()
    };
    let coverage = |def: &MeasureDef| -> Vec<Jurisdiction> {
        let mut js: Vec<Jurisdiction> = match def.covers {
            Covers::All => Jurisdiction::ALL.to_vec(),
            Covers::Rule(rule) => rules.jurisdictions_of(rule),
            Covers::Rules => {
                let rows = match def.shape {
                    Shape::Table { rows: Some(c), .. } => listed(&c),
                    _ => Vec::new(),
                };
                rows.iter().flat_map(|r| rules.jurisdictions_of(r)).collect()
            }
        };
        js.sort_by_key(|j| Jurisdiction::ALL.iter().position(|x| x == j));
        js.dedup();
        within_filter(js)
    };

    let mut measures = Vec::with_capacity(MEASURES.len());
    for def in MEASURES {
        let id = def.id;
        let mut figures = Vec::new();
        match def.shape {
            Shape::Headline { statistics } => {
                figures.push(count_figure(None, "count", policy.count(count(id, None, "count"))));
                for s in statistics {
                    figures.push(statistic_figure(None, s, policy, get(id, None, s.stat)));
                }
            }
            Shape::Breakdown { categories } => {
                let cats = listed(&categories);
                // A person may be in more than one category: the total is its own cell.
                figures.extend(cats.iter().map(|c| count_figure(Some(c), "count", policy.count(count(id, Some(c), "count")))));
                figures.push(count_figure(None, "total", policy.count(count(id, None, "total"))));
            }
            Shape::Table { rows, parts, shares, statistics } => {
                let row_keys: Vec<Option<&str>> = match rows {
                    None => vec![None],
                    Some(c) => listed(&c).into_iter().map(Some).collect(),
                };
                for row in row_keys {
                    // The parts are disjoint: the row's total is their cell taken together.
                    let cells: Vec<Count> = parts.iter().map(|p| count(id, row, p)).collect();
                    let out: Vec<Cell> = cells.iter().map(|c| policy.count(*c)).collect();
                    for (p, cell) in parts.iter().zip(&out) {
                        figures.push(count_figure(row, p, *cell));
                    }
                    figures.push(count_figure(row, "total", policy.count(Count::sum(&cells))));
                    for s in shares {
                        // Shares of the published figures, so that they agree with them.
                        let sum = |names: &[&str]| -> (u64, bool) {
                            names.iter().filter_map(|n| parts.iter().position(|p| p == n)).fold((0, false), |(acc, hidden), i| {
                                (acc + out[i].shown().unwrap_or(0), hidden || out[i] == Cell::Suppressed)
                            })
                        };
                        let (num, num_hidden) = sum(s.numerator);
                        let (den, den_hidden) = sum(s.denominator);
                        let (value, status) = if num_hidden || den_hidden {
                            (None, FigureStatus::Suppressed)
                        } else {
                            match policy.share(num, den) {
                                Ok(v) => (Some(v), FigureStatus::Exact),
                                Err(status) => (None, status),
                            }
                        };
                        figures.push(Figure { category: row.map(str::to_owned), stat: s.stat, unit: Unit::Percent, value, status });
                    }
                    for s in statistics {
                        figures.push(statistic_figure(row, s, policy, get(id, row, s.stat)));
                    }
                }
            }
        }
        measures.push(MeasureResult { def, jurisdictions: coverage(def), figures });
    }
    Ok(Report { params, as_at, policy, exact: policy == Policy::EXACT, measures })
}

impl Policy {
    /// A share `num / den` as a percentage to one decimal place, or why it is withheld: too few
    /// behind it, or a small count on either side of it (`num` itself or `den - num`), which a
    /// reader could work out from the share and the total.
    pub fn share(self, num: u64, den: u64) -> Result<f64, FigureStatus> {
        if den == 0 || den < self.min_n_for_statistics {
            return Err(FigureStatus::InsufficientData);
        }
        let small = |n: u64| n >= 1 && n <= self.suppress_up_to;
        if small(num) || small(den.saturating_sub(num)) {
            return Err(FigureStatus::Suppressed);
        }
        let share = (num as f64) * 100.0 / (den as f64);
        Ok(if self.perturb { share.round() } else { (share * 10.0).round() / 10.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn params() -> ReportParams {
        ReportParams::new(d("2025-04-01"), d("2026-03-31"), d("2026-11-24"), None, None, None, None).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn raw(measure: &str, category: Option<&str>, stat: &str, n: i64, value: Option<f64>) -> RawFigure {
        // A key that depends on the cell, as the database's would.
        let key = (measure.len() as u32).wrapping_mul(2_654_435_761).wrapping_add(n as u32 * 40_503).wrapping_add(stat.len() as u32 * 977);
        RawFigure { measure: measure.into(), category: category.map(Into::into), stat: stat.into(), n, value, key }
    }

    fn figure<'a>(r: &'a Report, measure: &str, category: Option<&str>, stat: &str) -> &'a Figure {
        r.measures
            .iter()
            .find(|m| m.def.id == measure)
            .and_then(|m| m.figures.iter().find(|f| f.category.as_deref() == category && f.stat == stat))
            .unwrap_or_else(|| panic!("no {measure}/{category:?}/{stat}"))
    }

    #[test]
    fn periods_are_checked() {
        let today = d("2026-11-24");
        let bad = |from, to| {
            ReportParams::new(d(from), d(to), today, None, None, None, None)
                .err()
                .map(|e| e.iter().map(|f| f.field.clone()).collect::<Vec<_>>().join(","))
        };
        assert_eq!(bad("2026-02-01", "2026-01-31"), Some("to".to_owned()));
        assert_eq!(bad("2009-03-31", "2010-01-01"), Some("from".to_owned()));
        assert_eq!(bad("2026-11-25", "2026-12-31"), Some("from".to_owned()));
        assert_eq!(bad("2010-01-01", "2030-01-01"), Some("to".to_owned()));
        assert_eq!(bad("2026-01-01", "2026-12-31"), None);
        assert_eq!(params().as_at(today), d("2026-03-31"));
        let running =
            ReportParams::new(d("2026-01-01"), d("2026-12-31"), today, None, None, None, None).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(running.as_at(today), today);
    }

    #[test]
    fn measure_ids_are_unique_and_every_part_named_in_a_share_exists() {
        let mut ids: Vec<&str> = MEASURES.iter().map(|m| m.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), MEASURES.len());
        for m in MEASURES {
            assert!(m.id.starts_with(m.section.as_str()), "{} is not in section {}", m.id, m.section);
            if let Shape::Table { parts, shares, .. } = m.shape {
                for s in shares {
                    assert!(s.numerator.iter().chain(s.denominator).all(|p| parts.contains(p)), "{}", m.id);
                }
            }
        }
        assert_eq!(core_outcomes().len(), 7);
        assert_eq!(adverse_outcomes(), ["re_exploited", "lost_contact", "detained", "removed"]);
    }

    fn rules_for_tests() -> ReportRules {
        ReportRules::of(&crate::rules::shipped_with(None).unwrap_or_default())
    }

    #[test]
    fn measures_say_which_jurisdictions_they_cover() {
        let rules = rules_for_tests();
        assert_eq!(
            rules.entitlements.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            ["exit_support_end", "move_on_end", "recovery_period_minimum_end", "support_period_end"]
        );
        assert!(rules.deadlines.iter().all(|(id, _)| !id.ends_with("_end")), "entitlements are never met or missed");
        let r = assemble(params(), d("2026-03-31"), Policy::EXACT, &rules, &[]).unwrap_or_else(|e| panic!("{e}"));
        let covers = |id: &str| r.measures.iter().find(|m| m.def.id == id).map(|m| m.jurisdictions.clone()).unwrap_or_default();
        assert_eq!(covers("nrm.rg_timeliness"), Jurisdiction::ALL.to_vec());
        assert_eq!(covers("deadlines.gp_access"), Jurisdiction::ALL.to_vec());
        assert_eq!(covers("deadlines.support_ended_early"), Jurisdiction::ALL.to_vec());
        // Filtered to Scotland, a measure covers Scotland at most.
        let mut scotland = params();
        scotland.jurisdiction = Some(Jurisdiction::Scotland);
        let r = assemble(scotland, d("2026-03-31"), Policy::EXACT, &rules, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.measures.iter().all(|m| m.jurisdictions == [Jurisdiction::Scotland]));
        // A rule in force in one jurisdiction only.
        let book = crate::rules::shipped_with(None).unwrap_or_default();
        let only_ew = ReportRules::of(&book);
        assert_eq!(only_ew.jurisdictions_of("move_on_end"), [Jurisdiction::EnglandWales]);
    }

    #[test]
    fn every_figure_appears_with_zeros_filled_in() {
        let r = assemble(params(), d("2026-03-31"), Policy::EXACT, &rules_for_tests(), &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figure(&r, "caseload.new", None, "count").value, Some(0.0));
        assert_eq!(figure(&r, "interventions.by_channel", Some("email"), "count").value, Some(0.0));
        assert_eq!(figure(&r, "deadlines.by_rule", Some("gp_access"), "met").value, Some(0.0));
        assert_eq!(figure(&r, "deadlines.support_ended_early", Some("move_on_end"), "ended_early").value, Some(0.0));
        assert_eq!(figure(&r, "needs.by_domain", Some("health_gp"), "median_days").status, FigureStatus::InsufficientData);
        assert_eq!(figure(&r, "actions.by_due_date", None, "share_on_time").status, FigureStatus::InsufficientData);
        assert!(r.exact);
    }

    #[test]
    fn unknown_figures_are_refused() {
        let e = assemble(
            params(),
            d("2026-03-31"),
            Policy::EXACT,
            &ReportRules::default(),
            &[raw("caseload.new", None, "median", 3, Some(1.0))],
        );
        assert!(e.is_err());
        let e =
            assemble(params(), d("2026-03-31"), Policy::EXACT, &ReportRules::default(), &[raw("caseload.lost", None, "count", 3, None)]);
        assert!(e.is_err());
    }

    #[test]
    fn commissioners_never_see_a_small_count() {
        let rows = vec![
            raw("caseload.new", None, "count", 7, None),
            raw("caseload.supported", None, "count", 8, None),
            raw("caseload.closed_by_reason", Some("moved_on"), "count", 30, None),
            raw("caseload.closed_by_reason", Some("lost_contact"), "count", 3, None),
            raw("caseload.closed_by_reason", Some("transferred"), "count", 12, None),
            raw("caseload.closed_by_reason", None, "total", 45, None),
            raw("actions.by_due_date", None, "done_by_due_date", 40, None),
            raw("actions.by_due_date", None, "done_late", 2, None),
            raw("actions.by_due_date", None, "overdue", 9, None),
            raw("nrm.days_referral_to_rg", None, "count", 9, None),
            raw("nrm.days_referral_to_rg", None, "median_days", 9, Some(6.0)),
            raw("deadlines.by_rule", Some("gp_access"), "met", 50, None),
            raw("deadlines.by_rule", Some("gp_access"), "missed", 10, None),
        ];
        let r = assemble(params(), d("2026-03-31"), Policy::default(), &ReportRules::default(), &rows).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figure(&r, "caseload.new", None, "count").status, FigureStatus::Suppressed);
        assert_eq!(figure(&r, "caseload.new", None, "count").value, None);
        let near = |f: &Figure, n: f64| f.value.is_some_and(|v| (v - n).abs() <= 2.0) && f.status == FigureStatus::Perturbed;
        assert!(near(figure(&r, "caseload.supported", None, "count"), 8.0));
        // 3 is withheld; the others, totals included, are perturbed by their cell keys.
        assert_eq!(figure(&r, "caseload.closed_by_reason", Some("lost_contact"), "count").status, FigureStatus::Suppressed);
        assert!(near(figure(&r, "caseload.closed_by_reason", Some("transferred"), "count"), 12.0));
        assert!(near(figure(&r, "caseload.closed_by_reason", Some("moved_on"), "count"), 30.0));
        assert!(near(figure(&r, "caseload.closed_by_reason", None, "total"), 45.0));
        // A share whose parts are hidden is hidden too.
        assert_eq!(figure(&r, "actions.by_due_date", None, "share_on_time").status, FigureStatus::Suppressed);
        // Statistics need ten values; the count of 9 behind this one is itself published.
        assert_eq!(figure(&r, "nrm.days_referral_to_rg", None, "median_days").status, FigureStatus::InsufficientData);
        assert!(near(figure(&r, "nrm.days_referral_to_rg", None, "count"), 9.0));
        // A rule the query reports is listed even if the rule book no longer has it; its share
        // is of the published figures, rounded.
        let share = figure(&r, "deadlines.by_rule", Some("gp_access"), "share_met").value.unwrap_or_default();
        assert!((share - 83.0).abs() <= 4.0 && share.fract() == 0.0, "{share}");
        for m in &r.measures {
            for f in &m.figures {
                if f.unit == Unit::Count {
                    if let Some(v) = f.value {
                        assert!(v == 0.0 || v > 7.0, "{} {:?} {} = {v}", m.def.id, f.category, f.stat);
                    }
                }
            }
        }
    }

    #[test]
    fn coordinators_see_exact_figures() {
        let rows = vec![
            raw("caseload.new", None, "count", 7, None),
            raw("actions.by_due_date", None, "done_by_due_date", 4, None),
            raw("actions.by_due_date", None, "overdue", 1, None),
            raw("nrm.days_referral_to_rg", None, "median_days", 3, Some(6.25)),
        ];
        let r = assemble(params(), d("2026-03-31"), Policy::EXACT, &ReportRules::default(), &rows).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figure(&r, "caseload.new", None, "count").value, Some(7.0));
        assert_eq!(figure(&r, "actions.by_due_date", None, "total").value, Some(5.0));
        assert_eq!(figure(&r, "actions.by_due_date", None, "share_on_time").value, Some(80.0));
        assert_eq!(figure(&r, "nrm.days_referral_to_rg", None, "median_days").value, Some(6.3));
    }

    #[test]
    fn commissioners_periods_are_whole_months_and_small_scopes_are_refused() {
        let with = |from: &str, to: &str| {
            ReportParams::new(d(from), d(to), d("2026-11-24"), None, None, None, None).unwrap_or_else(|e| panic!("{e:?}"))
        };
        assert!(with("2025-04-01", "2026-03-31").whole_months().is_ok());
        assert!(with("2024-02-01", "2024-02-29").whole_months().is_ok());
        let refused = |from: &str, to: &str| match with(from, to).whole_months() {
            Err(ProtectedReportRefusal::WholeMonths(e)) => e.iter().map(|f| f.field.clone()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(refused("2015-06-02", "2015-06-30"), ["from"]);
        assert_eq!(refused("2015-06-01", "2015-06-14"), ["to"]);
        assert_eq!(refused("2024-02-01", "2024-02-28"), ["to"]);
        // A filtered scope of 19 people is refused; 20 is published; the whole network always.
        let supported = |n| vec![raw("caseload.supported", None, "count", n, None)];
        let mut filtered = params();
        filtered.jurisdiction = Some(Jurisdiction::NorthernIreland);
        assert_eq!(filtered.check_population(Policy::default(), &supported(19)), Err(ProtectedReportRefusal::PopulationTooSmall));
        assert_eq!(filtered.check_population(Policy::default(), &supported(20)), Ok(()));
        assert_eq!(params().check_population(Policy::default(), &supported(1)), Ok(()));
        assert_eq!(filtered.check_population(Policy::EXACT, &supported(1)), Ok(()));
    }

    #[test]
    fn shares_hide_small_counts_on_either_side() {
        let p = Policy::default();
        assert_eq!(p.share(3, 50), Err(FigureStatus::Suppressed));
        assert_eq!(p.share(47, 50), Err(FigureStatus::Suppressed));
        assert_eq!(p.share(8, 9), Err(FigureStatus::InsufficientData));
        assert_eq!(p.share(0, 50), Ok(0.0));
        assert_eq!(p.share(50, 50), Ok(100.0));
        assert_eq!(p.share(20, 30), Ok(67.0));
        assert_eq!(Policy::EXACT.share(1, 3), Ok(33.3));
        assert_eq!(Policy::EXACT.share(0, 0), Err(FigureStatus::InsufficientData));
    }
}
