//! The outcome report: what is measured, how each measure is defined, and how the
//! figures are assembled and protected before anyone sees them.
//!
//! Each measure is defined once here, with the definition text the report carries. The database
//! computes raw figures as tidy rows ([`RawFigure`]); [`assemble`] checks them against these
//! definitions, fills in the categories with nothing in them, and applies the disclosure policy.
//! Renderers (JSON, CSV, HTML) only ever see the assembled [`Report`].

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::case::{nrm_start, ExploitationType, Jurisdiction, LocalAuthority};
use crate::deadline::ACTION_DUE;
use crate::disclosure::{Cell, Count, Policy};
use crate::error::FieldErrors;
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
        /// The network's own work: its challenge board and the actions given out on it.
        Network => "network",
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
            Section::Network => "The network's own work",
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

mod measures;

pub use measures::MEASURES;

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
mod tests;
