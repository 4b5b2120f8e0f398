//! Deadline rules as versioned data (DESIGN.md §5), and the deadlines they derive from a case's
//! effective timeline.
//!
//! A rule set is a JSON document shipped with the service (`rules/*.json`) or supplied by a
//! deployment; [`RuleBook::parse`] validates it completely, so a bad file stops start-up with a
//! message naming the file and the fault. Each rule says which events trigger it, how long after
//! the trigger it falls due (in days or working days, chosen by the trigger's date where the law
//! changed), what meets it, and optionally what ends it early, what makes it void, and which stage
//! the case reaches when it passes.

use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use crate::calendar::Calendar;
use crate::case::{AgeFacts, Jurisdiction, Stage};
use crate::event::{DecisionOutcome, EffectiveEvent, EventType};
use crate::ids::EventId;
use crate::need::NeedDomain;

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

// ---- The file format -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSetFile {
    /// `england_wales`, `scotland`, `northern_ireland` or `all`.
    applies_to: String,
    /// Shown in explanations: "England & Wales rules".
    label: String,
    version: String,
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    kind: String,
    trigger: Vec<MatcherFile>,
    trigger_label: String,
    periods: Vec<PeriodFile>,
    #[serde(default)]
    met_by: Vec<MetByFile>,
    #[serde(default)]
    ends_early_on: Vec<MatcherFile>,
    #[serde(default)]
    void_by: Vec<MatcherFile>,
    #[serde(default)]
    advances_stage: Option<String>,
    /// `adults`, `children` or `everyone` (the default), by the person's age on the trigger's
    /// date, a presumed child counting as a child.
    #[serde(default)]
    applies_to: Option<String>,
    /// For a milestone: support must not end before it (closing the case earlier is flagged).
    #[serde(default)]
    entitlement: bool,
    /// Where the rule comes from: Act and section, SI, or guidance version and paragraph.
    #[serde(default)]
    source: Option<String>,
    /// The source has not been confirmed against the law or guidance.
    #[serde(default)]
    unconfirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatcherFile {
    event: String,
    #[serde(default)]
    outcome: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetByFile {
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    need_met: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodFile {
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    until: Option<NaiveDate>,
    #[serde(default)]
    days: Option<u32>,
    #[serde(default)]
    working_days: Option<u32>,
    #[serde(default)]
    months: Option<u32>,
    /// This period's length has not been confirmed against the law or guidance.
    #[serde(default)]
    unconfirmed: bool,
}

// ---- Validated rules -------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matcher {
    pub event: EventType,
    pub outcome: Option<DecisionOutcome>,
}

impl Matcher {
    fn matches(&self, e: &EffectiveEvent) -> bool {
        e.fact.event_type() == self.event && self.outcome.is_none_or(|o| e.fact.outcome() == Some(o))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetBy {
    Event(Matcher),
    NeedMet(NeedDomain),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Days(u32),
    WorkingDays(u32),
    /// Calendar months: the same day of the month, or the month's last day where it is shorter.
    Months(u32),
}

impl Length {
    fn describe(self) -> String {
        match self {
            Length::Days(1) => "1 day".to_owned(),
            Length::Days(n) => format!("{n} days"),
            Length::WorkingDays(1) => "1 working day".to_owned(),
            Length::WorkingDays(n) => format!("{n} working days"),
            Length::Months(1) => "1 month".to_owned(),
            Length::Months(n) => format!("{n} months"),
        }
    }

    fn after(self, date: NaiveDate, calendar: Calendar) -> NaiveDate {
        match self {
            Length::Days(n) => date + Duration::days(i64::from(n)),
            Length::WorkingDays(n) => calendar.add_working_days(date, n),
            Length::Months(n) => date.checked_add_months(chrono::Months::new(n)).unwrap_or(NaiveDate::MAX),
        }
    }
}

/// A period applies to triggers dated within `from..=until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub length: Length,
    pub unconfirmed: bool,
}

impl Period {
    fn covers(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && self.until.is_none_or(|u| date <= u)
    }
}

vocabulary!(
    /// Whom a rule applies to, by the person's age on the trigger's date.
    AppliesTo {
        Adults => "adults",
        Children => "children",
        Everyone => "everyone",
    }
);

impl AppliesTo {
    fn covers(self, child: bool) -> bool {
        match self {
            AppliesTo::Adults => !child,
            AppliesTo::Children => child,
            AppliesTo::Everyone => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub kind: DeadlineKind,
    pub applies_to: AppliesTo,
    /// A milestone before which support must not end.
    pub entitlement: bool,
    pub source: String,
    pub unconfirmed: bool,
    pub triggers: Vec<Matcher>,
    pub trigger_label: String,
    pub periods: Vec<Period>,
    pub met_by: Vec<MetBy>,
    pub ends_early_on: Vec<Matcher>,
    pub void_by: Vec<Matcher>,
    pub advances_stage: Option<Stage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    /// `None`: every jurisdiction (local standards).
    pub applies_to: Option<Jurisdiction>,
    pub label: String,
    pub version: String,
    pub rules: Vec<Rule>,
}

/// Every rule set in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleBook {
    pub sets: Vec<RuleSet>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule file {file}: {message}")]
pub struct RuleError {
    pub file: String,
    pub message: String,
}

fn matcher(m: &MatcherFile, at: &str) -> Result<Matcher, String> {
    let event =
        EventType::parse(&m.event).filter(|e| *e != EventType::Correction).ok_or_else(|| format!("{at}: unknown event {:?}", m.event))?;
    let outcome =
        m.outcome.as_deref().map(|o| DecisionOutcome::parse(o).ok_or_else(|| format!("{at}: unknown outcome {o:?}"))).transpose()?;
    if outcome.is_some() && !matches!(event, EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision) {
        return Err(format!("{at}: only decisions have an outcome"));
    }
    Ok(Matcher { event, outcome })
}

fn rule(r: &RuleFile) -> Result<Rule, String> {
    let at = format!("rule {:?}", r.id);
    if r.id.is_empty() || !r.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(format!("{at}: ids are lower-case letters, digits and underscores"));
    }
    let kind = DeadlineKind::parse(&r.kind).ok_or_else(|| format!("{at}: kind must be deadline or milestone"))?;
    if r.trigger.is_empty() {
        return Err(format!("{at}: needs at least one trigger"));
    }
    let triggers = r.trigger.iter().map(|m| matcher(m, &at)).collect::<Result<Vec<_>, _>>()?;
    if r.trigger_label.trim().is_empty() {
        return Err(format!("{at}: trigger_label is required"));
    }
    let mut periods = Vec::new();
    for p in &r.periods {
        let length = match (p.days, p.working_days, p.months) {
            (Some(n), None, None) if n <= 3650 => Length::Days(n),
            (None, Some(n), None) if n <= 3650 => Length::WorkingDays(n),
            (None, None, Some(n)) if n <= 120 => Length::Months(n),
            _ => return Err(format!("{at}: each period has exactly one of days or working_days (at most 3650) or months (at most 120)")),
        };
        if let (Some(f), Some(u)) = (p.from, p.until) {
            if f > u {
                return Err(format!("{at}: a period's from is after its until"));
            }
        }
        periods.push(Period { from: p.from, until: p.until, length, unconfirmed: p.unconfirmed });
    }
    if periods.is_empty() {
        return Err(format!("{at}: needs at least one period"));
    }
    for (i, a) in periods.iter().enumerate() {
        for b in &periods[i + 1..] {
            let starts_before_b_ends = match (a.from, b.until) {
                (Some(af), Some(bu)) => af <= bu,
                _ => true,
            };
            let b_starts_before_a_ends = match (b.from, a.until) {
                (Some(bf), Some(au)) => bf <= au,
                _ => true,
            };
            if starts_before_b_ends && b_starts_before_a_ends {
                return Err(format!("{at}: periods overlap"));
            }
        }
    }
    let met_by = r
        .met_by
        .iter()
        .map(|m| match (&m.event, &m.need_met) {
            (Some(event), None) => matcher(&MatcherFile { event: event.clone(), outcome: m.outcome.clone() }, &at).map(MetBy::Event),
            (None, Some(need)) if m.outcome.is_none() => {
                NeedDomain::parse(need).map(MetBy::NeedMet).ok_or_else(|| format!("{at}: unknown need domain {need:?}"))
            }
            _ => Err(format!("{at}: each met_by names an event (with an optional outcome) or a need_met domain")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if kind == DeadlineKind::Milestone && !met_by.is_empty() {
        return Err(format!("{at}: a milestone is not met by anything: it arrives"));
    }
    if kind == DeadlineKind::Deadline && r.entitlement {
        return Err(format!("{at}: only a milestone can be an entitlement (a deadline is met by something happening)"));
    }
    let applies_to = match r.applies_to.as_deref() {
        None => AppliesTo::Everyone,
        Some(a) => AppliesTo::parse(a).ok_or_else(|| format!("{at}: applies_to must be adults, children or everyone"))?,
    };
    let source = r.source.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let ends_early_on = r.ends_early_on.iter().map(|m| matcher(m, &at)).collect::<Result<Vec<_>, _>>()?;
    let void_by = r.void_by.iter().map(|m| matcher(m, &at)).collect::<Result<Vec<_>, _>>()?;
    let advances_stage = r
        .advances_stage
        .as_deref()
        .map(|s| match Stage::parse(s) {
            Some(Stage::AwaitingCg) => Ok(Stage::AwaitingCg),
            _ => Err(format!("{at}: advances_stage can only be awaiting_cg")),
        })
        .transpose()?;
    Ok(Rule {
        id: r.id.clone(),
        kind,
        applies_to,
        entitlement: r.entitlement,
        source,
        unconfirmed: r.unconfirmed,
        triggers,
        trigger_label: r.trigger_label.trim().to_owned(),
        periods,
        met_by,
        ends_early_on,
        void_by,
        advances_stage,
    })
}

impl RuleSet {
    /// Parses and validates one rule file.
    pub fn parse(file: &str, json: &str) -> Result<RuleSet, RuleError> {
        let err = |message: String| RuleError { file: file.to_owned(), message };
        let raw: RuleSetFile = serde_json::from_str(json).map_err(|e| err(format!("not a valid rule set: {e}")))?;
        let applies_to = match raw.applies_to.as_str() {
            "all" => None,
            j => Some(Jurisdiction::parse(j).ok_or_else(|| err(format!("applies_to {j:?} is not all or a jurisdiction")))?),
        };
        if raw.label.trim().is_empty() || raw.version.trim().is_empty() {
            return Err(err("label and version are required".into()));
        }
        let rules = raw.rules.iter().map(rule).collect::<Result<Vec<_>, _>>().map_err(err)?;
        Ok(RuleSet { applies_to, label: raw.label.trim().to_owned(), version: raw.version.trim().to_owned(), rules })
    }

    fn applies(&self, j: Jurisdiction) -> bool {
        self.applies_to.is_none_or(|a| a == j)
    }
}

impl RuleBook {
    /// Parses every file (name, contents) and checks that no jurisdiction gets two rules with
    /// the same id.
    pub fn parse(files: &[(&str, &str)]) -> Result<RuleBook, RuleError> {
        let sets = files.iter().map(|(name, json)| RuleSet::parse(name, json)).collect::<Result<Vec<_>, _>>()?;
        let book = RuleBook { sets };
        for j in Jurisdiction::ALL {
            let mut seen: Vec<&str> = Vec::new();
            for (set, file) in book.sets.iter().zip(files) {
                if !set.applies(*j) {
                    continue;
                }
                for r in &set.rules {
                    if seen.contains(&r.id.as_str()) {
                        return Err(RuleError { file: file.0.to_owned(), message: format!("rule {:?} is defined twice for {j}", r.id) });
                    }
                    seen.push(&r.id);
                }
            }
        }
        Ok(book)
    }

    /// Derives every deadline of a case from its effective timeline and the needs met so far.
    ///
    /// Each trigger's consequences are looked for in its own journey only (up to the next
    /// `case_reopened`): what voids it, ends it early, meets it, or ends support before it. A
    /// `void_by` event concerns the decision it follows, so it voids a trigger only when no other
    /// decision comes between them: a reconsideration of a negative CG never touches the
    /// positive RG before it.
    pub fn derive(
        &self,
        jurisdiction: Jurisdiction,
        person: AgeFacts,
        timeline: &[EffectiveEvent],
        needs_met: &[(NeedDomain, NaiveDate)],
    ) -> Vec<DerivedDeadline> {
        let calendar = Calendar(jurisdiction);
        let mut out = Vec::new();
        for set in self.sets.iter().filter(|s| s.applies(jurisdiction)) {
            for rule in &set.rules {
                for (i, trigger) in timeline.iter().enumerate() {
                    if !rule.triggers.iter().any(|m| m.matches(trigger)) {
                        continue;
                    }
                    if !rule.applies_to.covers(person.is_child_on(trigger.date)) {
                        continue;
                    }
                    let Some(period) = rule.periods.iter().find(|p| p.covers(trigger.date)) else {
                        continue;
                    };
                    let rest = &timeline[i + 1..];
                    let journey_end = rest.iter().position(|e| e.fact.event_type() == EventType::CaseReopened).unwrap_or(rest.len());
                    let journey = &rest[..journey_end];
                    let concerning = journey.iter().position(|e| e.fact.is_decision()).map_or(journey, |n| &journey[..n]);
                    if concerning.iter().any(|e| rule.void_by.iter().any(|m| m.matches(e))) {
                        continue;
                    }
                    let mut due_on = period.length.after(trigger.date, calendar);
                    let mut explanation = format!("{} after the {} of {}", period.length.describe(), rule.trigger_label, trigger.date);
                    if let Some(early) = journey.iter().find(|e| e.date < due_on && rule.ends_early_on.iter().any(|m| m.matches(e))) {
                        due_on = early.date;
                        explanation.push_str(&format!(
                            ", ended early by the {} of {}",
                            early.fact.event_type().as_str().replace('_', " "),
                            early.date
                        ));
                    }
                    let support_ended_on = if rule.entitlement {
                        journey.iter().find(|e| e.fact.event_type() == EventType::CaseClosed && e.date < due_on).map(|e| e.date)
                    } else {
                        None
                    };
                    if let Some(ended) = support_ended_on {
                        explanation.push_str(&format!(", support ended on {ended}, before this minimum"));
                    }
                    explanation.push_str(&format!(", {} {}; source: {}", set.label, set.version, rule.source));
                    if rule.unconfirmed || period.unconfirmed {
                        explanation.push_str(" (unconfirmed)");
                    }
                    let met_by_event =
                        journey.iter().find(|e| rule.met_by.iter().any(|m| matches!(m, MetBy::Event(x) if x.matches(e)))).map(|e| e.date);
                    let met_by_need = needs_met
                        .iter()
                        .filter(|(domain, on)| *on >= trigger.date && rule.met_by.contains(&MetBy::NeedMet(*domain)))
                        .map(|(_, on)| *on)
                        .min();
                    let met_on = [met_by_event, met_by_need].into_iter().flatten().min();
                    out.push(DerivedDeadline {
                        rule_id: rule.id.clone(),
                        rule_version: set.version.clone(),
                        kind: rule.kind,
                        trigger: trigger.root,
                        due_on,
                        met_on,
                        support_ended_on,
                        explanation,
                        advances_stage: rule.advances_stage,
                    });
                }
            }
        }
        out.sort_by(|a, b| (a.due_on, &a.rule_id).cmp(&(b.due_on, &b.rule_id)));
        out
    }

    /// The rule sets in force, for records that name them: "England & Wales rules 2026-12, ...".
    pub fn versions(&self) -> String {
        self.sets.iter().map(|s| format!("{} {}", s.label, s.version)).collect::<Vec<_>>().join(", ")
    }

    /// The jurisdictions in which a rule with this id is in force.
    pub fn jurisdictions_with(&self, rule_id: &str) -> Vec<Jurisdiction> {
        Jurisdiction::ALL
            .iter()
            .copied()
            .filter(|j| self.sets.iter().any(|s| s.applies(*j) && s.rules.iter().any(|r| r.id == rule_id)))
            .collect()
    }
}

/// A deadline as the rules derive it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedDeadline {
    pub rule_id: String,
    pub rule_version: String,
    pub kind: DeadlineKind,
    /// The root id of the triggering event: the deadline's identity with its rule.
    pub trigger: EventId,
    pub due_on: NaiveDate,
    pub met_on: Option<NaiveDate>,
    /// For an entitlement: when support ended (the case closed) before `due_on`.
    pub support_ended_on: Option<NaiveDate>,
    pub explanation: String,
    pub advances_stage: Option<Stage>,
}

/// When a case in its recovery period moves on to awaiting its CG: the latest milestone that
/// advances the stage.
pub fn stage_advances_on(deadlines: &[DerivedDeadline]) -> Option<NaiveDate> {
    deadlines.iter().filter(|d| d.advances_stage == Some(Stage::AwaitingCg)).map(|d| d.due_on).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: DeadlineKind, due: u32, met: Option<u32>, waived: bool, ended: Option<u32>) -> StatusFacts {
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 1, n).unwrap_or_default();
        StatusFacts { kind, due_on: d(due), met_on: met.map(d), waived, support_ended_on: ended.map(d) }
    }

    #[test]
    fn statuses_on_the_boundary_day_of_each_kind() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 1, n).unwrap_or_default();
        use DeadlineKind::*;
        use DeadlineStatus as S;
        // A deadline is open through its due date, missed the day after.
        assert_eq!(status(&facts(Deadline, 10, None, false, None), d(9)), S::Open);
        assert_eq!(status(&facts(Deadline, 10, None, false, None), d(10)), S::Open);
        assert_eq!(status(&facts(Deadline, 10, None, false, None), d(11)), S::Missed);
        assert_eq!(status(&facts(Deadline, 10, Some(10), false, None), d(20)), S::Met);
        assert_eq!(status(&facts(Deadline, 10, Some(11), false, None), d(20)), S::Missed);
        assert_eq!(status(&facts(Deadline, 10, None, true, None), d(20)), S::Waived);
        // A milestone is met the day it arrives.
        assert_eq!(status(&facts(Milestone, 10, None, false, None), d(9)), S::Open);
        assert_eq!(status(&facts(Milestone, 10, None, false, None), d(10)), S::Met);
        // An entitlement ended early says so, before and after its date.
        assert_eq!(status(&facts(Milestone, 10, None, false, Some(2)), d(3)), S::EndedEarly);
        assert_eq!(status(&facts(Milestone, 10, None, false, Some(2)), d(30)), S::EndedEarly);
        // The queue keeps a milestone until the day before it arrives.
        assert!(holds(OUTSTANDING, &facts(Milestone, 10, None, false, None), d(9)));
        assert!(!holds(OUTSTANDING, &facts(Milestone, 10, None, false, None), d(10)));
        assert!(holds(OUTSTANDING, &facts(Deadline, 10, None, false, None), d(30)));
    }

    proptest::proptest! {
        /// Exactly one status's definition holds for any deadline on any day, so the queue's
        /// filters (the same definitions in SQL) agree with each deadline's own status.
        #[test]
        fn exactly_one_status_holds(
            milestone: bool, due in 1u32..28, met in proptest::option::of(1u32..28), waived: bool,
            ended in proptest::option::of(1u32..28), today in 1u32..28,
        ) {
            let kind = if milestone { DeadlineKind::Milestone } else { DeadlineKind::Deadline };
            // Milestones are never met by anything; support ends early only before the date.
            let met = if milestone { None } else { met };
            let ended = if milestone { ended.filter(|e| *e < due) } else { None };
            let f = facts(kind, due, met, waived, ended);
            let today = NaiveDate::from_ymd_opt(2026, 1, today).unwrap_or_default();
            let holding: Vec<DeadlineStatus> =
                DeadlineStatus::ALL.iter().copied().filter(|s| holds(definition(*s), &f, today)).collect();
            proptest::prop_assert_eq!(holding, vec![status(&f, today)]);
        }
    }

    #[test]
    fn invalid_files_are_refused_with_the_fault() {
        let bad = |json: &str| RuleSet::parse("x.json", json).err().map(|e| e.message).unwrap_or_default();
        let base = |rule: &str| format!(r#"{{"applies_to": "all", "label": "L", "version": "1", "rules": [{rule}]}}"#);
        assert!(bad("{").contains("not a valid rule set"));
        assert!(bad(r#"{"applies_to": "wales", "label": "L", "version": "1", "rules": []}"#).contains("applies_to"));
        let r = |extra: &str| {
            base(&format!(
                r#"{{"id": "r", "kind": "deadline", "trigger": [{{"event": "support_started"}}], "trigger_label": "t", {extra}}}"#
            ))
        };
        assert!(bad(&r(r#""periods": []"#)).contains("at least one period"));
        assert!(bad(&r(r#""periods": [{"days": 1, "working_days": 1}]"#)).contains("exactly one"));
        assert!(bad(&r(r#""periods": [{"days": 1}, {"from": "2020-01-01", "days": 2}]"#)).contains("overlap"));
        assert!(bad(&r(r#""periods": [{"days": 1}], "met_by": [{"need_met": "gp"}]"#)).contains("need domain"));
        assert!(bad(&r(r#""periods": [{"days": 1}], "met_by": [{"event": "support_started", "outcome": "positive"}]"#))
            .contains("only decisions"));
        assert!(bad(&r(r#""periods": [{"days": 1}], "advances_stage": "closed""#)).contains("advances_stage"));
        assert!(bad(&r(r#""periods": [{"days": 1}], "colour": "red""#)).contains("unknown field"));
        assert!(bad(&r(r#""periods": [{"days": 1}], "entitlement": true"#)).contains("only a milestone"));
        assert!(bad(&r(r#""periods": [{"days": 1}], "applies_to": "teenagers""#)).contains("applies_to"));
        assert!(bad(&r(r#""periods": [{"months": 121}]"#)).contains("exactly one"));
        let ok = r(r#""periods": [{"until": "2022-12-12", "days": 45}, {"from": "2022-12-13", "days": 30}]"#);
        assert!(RuleSet::parse("x.json", &ok).is_ok());
        let twice = RuleBook::parse(&[("a.json", &ok), ("b.json", &ok)]);
        assert!(twice.err().is_some_and(|e| e.file == "b.json" && e.message.contains("twice")));
    }
}

/// The jurisdictions' rule files shipped with the service, embedded in the binary.
pub const SHIPPED_JURISDICTIONS: [(&str, &str); 3] = [
    ("rules/england_wales.json", include_str!("../../rules/england_wales.json")),
    ("rules/scotland.json", include_str!("../../rules/scotland.json")),
    ("rules/northern_ireland.json", include_str!("../../rules/northern_ireland.json")),
];

/// The default local standards (a deployment may replace them).
pub const SHIPPED_LOCAL_STANDARDS: (&str, &str) = ("rules/local_standards.json", include_str!("../../rules/local_standards.json"));

/// The rule book of the shipped files, with `local` (name, JSON) in place of the shipped local
/// standards when given.
pub fn shipped_with(local: Option<(&str, &str)>) -> Result<RuleBook, RuleError> {
    let mut files: Vec<(&str, &str)> = SHIPPED_JURISDICTIONS.to_vec();
    files.push(local.unwrap_or(SHIPPED_LOCAL_STANDARDS));
    RuleBook::parse(&files)
}

/// Hand-worked scenarios for every shipped rule in every jurisdiction.
#[cfg(test)]
mod scenarios {
    use super::*;
    use crate::case::Birth;
    use crate::event::tests::{ev, on};
    use crate::event::{CaseEvent, ClosureReason, CompetentAuthority, CorrectionReason, DatedFact, EventBody, Fact};
    use crate::ids::AgencyId;
    use crate::lifecycle::replay;
    use DecisionOutcome::{Negative, Positive};

    fn book() -> RuleBook {
        shipped_with(None).unwrap_or_else(|e| panic!("{e}"))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    const ADULT: AgeFacts = AgeFacts { birth: Birth::Year(1990), presumed_child: false };
    const PRESUMED_CHILD: AgeFacts = AgeFacts { birth: Birth::Unknown, presumed_child: true };

    fn referral() -> Fact {
        Fact::NrmReferralSubmitted { first_responder: AgencyId::new_v7(1) }
    }

    fn rg(o: DecisionOutcome) -> Fact {
        Fact::ReasonableGroundsDecision { outcome: o, authority: CompetentAuthority::Sca }
    }

    fn cg(o: DecisionOutcome) -> Fact {
        Fact::ConclusiveGroundsDecision { outcome: o, authority: CompetentAuthority::Sca }
    }

    fn closed() -> Fact {
        Fact::CaseClosed { reason: ClosureReason::MovedOn }
    }

    fn derive_for(j: Jurisdiction, person: AgeFacts, events: &[CaseEvent]) -> Vec<DerivedDeadline> {
        let t = replay(events).unwrap_or_else(|v| panic!("{v:?}"));
        book().derive(j, person, &t.effective, &[])
    }

    fn derive(j: Jurisdiction, events: &[CaseEvent], needs: &[(NeedDomain, NaiveDate)]) -> Vec<DerivedDeadline> {
        let t = replay(events).unwrap_or_else(|v| panic!("{v:?}"));
        book().derive(j, ADULT, &t.effective, needs)
    }

    fn find<'a>(all: &'a [DerivedDeadline], rule: &str) -> Vec<&'a DerivedDeadline> {
        all.iter().filter(|d| d.rule_id == rule).collect()
    }

    fn status_of(d: &DerivedDeadline, today: NaiveDate) -> DeadlineStatus {
        let facts = StatusFacts { kind: d.kind, due_on: d.due_on, met_on: d.met_on, waived: false, support_ended_on: d.support_ended_on };
        status(&facts, today)
    }

    #[test]
    fn the_shipped_rules_are_valid_cite_their_sources_and_local_standards_can_be_replaced() {
        let b = book();
        assert_eq!(b.sets.len(), 4);
        for set in &b.sets {
            for r in &set.rules {
                assert!(r.source.len() > 40, "{}: every shipped rule cites its source", r.id);
            }
        }
        assert_eq!(
            b.versions(),
            "England & Wales rules 2026-12, Scotland rules 2026-12, Northern Ireland rules 2026-12, Local standards 2026-12"
        );
        // The RG target is the competent authorities', UK-wide.
        assert_eq!(b.jurisdictions_with("rg_decision_expected"), Jurisdiction::ALL.to_vec());
        assert_eq!(b.jurisdictions_with("move_on_end"), vec![Jurisdiction::EnglandWales]);
        // A deployment switching GP access off, or making it 14 days.
        let off = r#"{"applies_to": "all", "label": "Local standards", "version": "x", "rules": []}"#;
        let b = shipped_with(Some(("local.json", off))).unwrap_or_default();
        assert!(derive_with(&b, &[ev(1, on(Fact::SupportStarted, 2026, 11, 2))]).is_empty());
        let fourteen = SHIPPED_LOCAL_STANDARDS.1.replace(r#""days": 10"#, r#""days": 14"#);
        let b = shipped_with(Some(("local.json", &fourteen))).unwrap_or_default();
        assert_eq!(derive_with(&b, &[ev(1, on(Fact::SupportStarted, 2026, 11, 2))])[0].due_on, date(2026, 11, 16));
    }

    fn derive_with(b: &RuleBook, events: &[CaseEvent]) -> Vec<DerivedDeadline> {
        let t = replay(events).unwrap_or_else(|v| panic!("{v:?}"));
        b.derive(Jurisdiction::EnglandWales, ADULT, &t.effective, &[])
    }

    #[test]
    fn rg_expected_five_working_days_after_referral_over_christmas_and_easter() {
        // Referral Monday 21 December 2026: 22, 23, 24, (25 Christmas, 26-27 weekend,
        // 28 Boxing Day substitute) 29, 30 December.
        let all = derive(Jurisdiction::EnglandWales, &[ev(1, on(referral(), 2026, 12, 21))], &[]);
        let rg_due = find(&all, "rg_decision_expected");
        assert_eq!(rg_due[0].due_on, date(2026, 12, 30));
        assert!(rg_due[0].explanation.starts_with(
            "5 working days after the NRM referral of 2026-12-21, England & Wales rules 2026-12; source: Modern Slavery: statutory guidance"
        ));
        // Referral Wednesday 1 April 2026: 2 April, (3 Good Friday, 4-5 weekend, 6 Easter
        // Monday) 7, 8, 9, 10 April.
        let all = derive(Jurisdiction::EnglandWales, &[ev(1, on(referral(), 2026, 4, 1))], &[]);
        assert_eq!(find(&all, "rg_decision_expected")[0].due_on, date(2026, 4, 10));
        // Met by the RG decision, on time or late.
        let events = [ev(1, on(referral(), 2026, 4, 1)), ev(2, on(rg(Positive), 2026, 4, 9))];
        assert_eq!(find(&derive(Jurisdiction::EnglandWales, &events, &[]), "rg_decision_expected")[0].met_on, Some(date(2026, 4, 9)));
        // Scotland: a referral on Friday 27 November 2026 skips St Andrew's Day (Monday 30th):
        // 1, 2, 3, 4, 7 December. Northern Ireland: one on Monday 16 March 2026 skips St
        // Patrick's Day (17th): 18, 19, 20, 23, 24 March.
        let all = derive(Jurisdiction::Scotland, &[ev(1, on(referral(), 2026, 11, 27))], &[]);
        assert_eq!(find(&all, "rg_decision_expected")[0].due_on, date(2026, 12, 7));
        let all = derive(Jurisdiction::NorthernIreland, &[ev(1, on(referral(), 2026, 3, 16))], &[]);
        assert_eq!(find(&all, "rg_decision_expected")[0].due_on, date(2026, 3, 24));
    }

    #[test]
    fn recovery_period_is_45_days_before_the_2022_change_and_30_after() {
        let before = [ev(1, on(referral(), 2022, 12, 1)), ev(2, on(rg(Positive), 2022, 12, 12))];
        let m = derive(Jurisdiction::EnglandWales, &before, &[]);
        let r = find(&m, "recovery_period_minimum_end");
        assert_eq!(r[0].due_on, date(2023, 1, 26));
        assert_eq!(r[0].kind, DeadlineKind::Milestone);
        assert!(r[0].explanation.starts_with(
            "45 days after the positive RG of 2022-12-12, England & Wales rules 2026-12; source: Modern Slavery Act 2015 s.50A"
        ));
        let after = [ev(1, on(referral(), 2022, 12, 1)), ev(2, on(rg(Positive), 2022, 12, 13))];
        let m = derive(Jurisdiction::EnglandWales, &after, &[]);
        assert_eq!(find(&m, "recovery_period_minimum_end")[0].due_on, date(2023, 1, 12));
        assert_eq!(stage_advances_on(&m), Some(date(2023, 1, 12)));
        // It applies to children too (everyone referred).
        let m = derive_for(Jurisdiction::EnglandWales, PRESUMED_CHILD, &after);
        assert_eq!(find(&m, "recovery_period_minimum_end")[0].due_on, date(2023, 1, 12));
    }

    #[test]
    fn move_on_is_an_entitlement_closure_never_meets_it() {
        let events = [ev(1, on(referral(), 2025, 6, 2)), ev(2, on(rg(Positive), 2025, 6, 6)), ev(3, on(cg(Positive), 2026, 3, 2))];
        let all = derive(Jurisdiction::EnglandWales, &events, &[]);
        let m = find(&all, "move_on_end");
        assert_eq!(m[0].due_on, date(2026, 4, 16));
        assert_eq!(m[0].kind, DeadlineKind::Milestone);
        assert!(m[0].explanation.starts_with("45 days after the positive CG of 2026-03-02, England & Wales rules 2026-12; source:"));
        assert!(find(&all, "exit_support_end").is_empty());
        // Kept open on needs-based support past the 45 days: the milestone simply arrived.
        assert_eq!(status_of(m[0], date(2026, 6, 1)), DeadlineStatus::Met);
        // Closed on day 2 of the 45: flagged, not met.
        let mut early = events.to_vec();
        early.push(ev(4, on(closed(), 2026, 3, 4)));
        let all = derive(Jurisdiction::EnglandWales, &early, &[]);
        let m = find(&all, "move_on_end")[0];
        assert_eq!(m.support_ended_on, Some(date(2026, 3, 4)));
        assert_eq!(status_of(m, date(2026, 3, 5)), DeadlineStatus::EndedEarly);
        assert_eq!(status_of(m, date(2026, 6, 1)), DeadlineStatus::EndedEarly);
        assert!(m.explanation.contains("support ended on 2026-03-04, before this minimum"));
        // Closed on the day it arrives: not early.
        let mut on_the_day = events.to_vec();
        on_the_day.push(ev(4, on(closed(), 2026, 4, 16)));
        let all = derive(Jurisdiction::EnglandWales, &on_the_day, &[]);
        assert_eq!(find(&all, "move_on_end")[0].support_ended_on, None);
        // Children are supported by local authorities: no move-on period.
        assert!(find(&derive_for(Jurisdiction::EnglandWales, PRESUMED_CHILD, &events), "move_on_end").is_empty());
    }

    #[test]
    fn exit_support_after_a_negative_decision_over_christmas() {
        // A negative RG on Friday 18 December 2026: 9 working days skip Christmas and New Year:
        // 21, 22, 23, 24, 29, 30, 31 December, 4, 5 January.
        let events = [ev(1, on(referral(), 2026, 12, 14)), ev(2, on(rg(Negative), 2026, 12, 18))];
        let all = derive(Jurisdiction::EnglandWales, &events, &[]);
        let exit = find(&all, "exit_support_end");
        assert_eq!(exit[0].due_on, date(2027, 1, 5));
        assert!(exit[0].explanation.ends_with("(unconfirmed)"));
        // Reconsideration of that decision voids it; an upheld decision starts it again.
        let mut reconsidered = events.to_vec();
        reconsidered.push(ev(3, on(Fact::ReconsiderationRequested, 2026, 12, 21)));
        assert!(find(&derive(Jurisdiction::EnglandWales, &reconsidered, &[]), "exit_support_end").is_empty());
        reconsidered.push(ev(4, on(rg(Negative), 2027, 1, 8)));
        let all = derive(Jurisdiction::EnglandWales, &reconsidered, &[]);
        let exit = find(&all, "exit_support_end");
        assert_eq!(exit.len(), 1);
        assert_eq!(exit[0].trigger, ev(4, on(rg(Negative), 2027, 1, 8)).id);
        // Closing on the 31st is before the entitlement ends.
        let mut closed_early = events.to_vec();
        closed_early.push(ev(3, on(closed(), 2026, 12, 31)));
        let all = derive(Jurisdiction::EnglandWales, &closed_early, &[]);
        assert_eq!(find(&all, "exit_support_end")[0].support_ended_on, Some(date(2026, 12, 31)));
    }

    #[test]
    fn a_reconsideration_after_a_negative_cg_keeps_the_recovery_period() {
        let events = [
            ev(1, on(referral(), 2026, 1, 5)),
            ev(2, on(rg(Positive), 2026, 1, 9)),
            ev(3, on(cg(Negative), 2026, 6, 1)),
            ev(4, on(Fact::ReconsiderationRequested, 2026, 6, 10)),
        ];
        let all = derive(Jurisdiction::EnglandWales, &events, &[]);
        let r = find(&all, "recovery_period_minimum_end");
        assert_eq!(r.len(), 1, "the positive RG stands");
        assert_eq!(r[0].due_on, date(2026, 2, 8));
        assert_eq!(stage_advances_on(&all), Some(date(2026, 2, 8)));
        // The exit support of the reconsidered CG is void.
        assert!(find(&all, "exit_support_end").is_empty());
        // Across a reopening, an earlier journey's reconsideration touches nothing later.
        let events = [
            ev(1, on(referral(), 2025, 1, 6)),
            ev(2, on(rg(Negative), 2025, 1, 20)),
            ev(3, on(closed(), 2025, 2, 10)),
            ev(4, on(Fact::CaseReopened, 2025, 9, 1)),
            ev(5, on(referral(), 2025, 9, 2)),
            ev(6, on(rg(Positive), 2025, 9, 5)),
        ];
        let all = derive(Jurisdiction::EnglandWales, &events, &[]);
        assert_eq!(find(&all, "recovery_period_minimum_end").len(), 1);
        // The first journey's exit support ended early, at its closure... no: 9 working days
        // from 20 January 2025 is 31 January, before the closure on 10 February.
        assert_eq!(find(&all, "exit_support_end")[0].support_ended_on, None);
    }

    #[test]
    fn scotland_ninety_days_for_adults_or_the_cg_if_earlier() {
        let events = [ev(1, on(referral(), 2026, 1, 5)), ev(2, on(rg(Positive), 2026, 1, 9))];
        let all = derive(Jurisdiction::Scotland, &events, &[]);
        let s = find(&all, "support_period_end");
        assert_eq!(s[0].due_on, date(2026, 4, 9));
        assert!(s[0].explanation.starts_with("90 days after the positive RG of 2026-01-09, Scotland rules 2026-12; source: Human Trafficking and Exploitation (Scotland) Act 2015 s.9"));
        assert!(find(&all, "recovery_period_minimum_end").is_empty(), "the E&W rules do not apply");
        let mut early = events.to_vec();
        early.push(ev(3, on(cg(Positive), 2026, 3, 1)));
        let all = derive(Jurisdiction::Scotland, &early, &[]);
        let s = find(&all, "support_period_end");
        assert_eq!(s[0].due_on, date(2026, 3, 1));
        assert!(s[0].explanation.starts_with(
            "90 days after the positive RG of 2026-01-09, ended early by the conclusive grounds decision of 2026-03-01, Scotland rules"
        ));
        // Children are supported under s.10 and children's legislation.
        assert!(find(&derive_for(Jurisdiction::Scotland, PRESUMED_CHILD, &events), "support_period_end").is_empty());
        // Before SSI 2018/90 came into force: 45 days, marked unconfirmed.
        let before = [ev(1, on(referral(), 2018, 3, 1)), ev(2, on(rg(Positive), 2018, 3, 31))];
        let s = derive(Jurisdiction::Scotland, &before, &[]);
        let s = find(&s, "support_period_end")[0];
        assert_eq!(s.due_on, date(2018, 5, 15));
        assert!(s.explanation.ends_with("(unconfirmed)"));
        let from = [ev(1, on(referral(), 2018, 3, 1)), ev(2, on(rg(Positive), 2018, 4, 1))];
        assert_eq!(find(&derive(Jurisdiction::Scotland, &from, &[]), "support_period_end")[0].due_on, date(2018, 6, 30));
    }

    #[test]
    fn northern_ireland_45_days_from_the_positive_rg_then_up_to_12_months_after_a_positive_cg() {
        // Referral 1 July, positive RG 8 July: 45 days from the RG, 22 August (not 15 August).
        let events = [ev(1, on(referral(), 2026, 7, 1)), ev(2, on(rg(Positive), 2026, 7, 8))];
        let all = derive(Jurisdiction::NorthernIreland, &events, &[]);
        let s = find(&all, "support_period_end");
        assert_eq!(s[0].due_on, date(2026, 8, 22));
        assert!(s[0].explanation.starts_with("45 days after the positive RG of 2026-07-08, Northern Ireland rules 2026-12; source:"));
        // A positive CG inside the 45 days runs to their end, then up to 12 months after it.
        let mut cg_in = events.to_vec();
        cg_in.push(ev(3, on(cg(Positive), 2026, 8, 1)));
        let all = derive(Jurisdiction::NorthernIreland, &cg_in, &[]);
        assert_eq!(find(&all, "support_period_end")[0].due_on, date(2026, 8, 22));
        assert_eq!(find(&all, "post_cg_support_end")[0].due_on, date(2027, 8, 1));
        // A negative CG inside the 45 days ends them.
        let mut negative = events.to_vec();
        negative.push(ev(3, on(cg(Negative), 2026, 8, 1)));
        let all = derive(Jurisdiction::NorthernIreland, &negative, &[]);
        assert_eq!(find(&all, "support_period_end")[0].due_on, date(2026, 8, 1));
        assert!(find(&all, "post_cg_support_end").is_empty());
        // A negative RG: no period at all.
        let all = derive(Jurisdiction::NorthernIreland, &[ev(1, on(referral(), 2026, 7, 1)), ev(2, on(rg(Negative), 2026, 7, 8))], &[]);
        assert!(find(&all, "support_period_end").is_empty());
        // Before the 2022 amendment came into force, no post-CG milestone; a CG on 29 February
        // plus 12 months is 28 February.
        let before = [ev(1, on(referral(), 2021, 7, 1)), ev(2, on(rg(Positive), 2021, 7, 8)), ev(3, on(cg(Positive), 2022, 4, 27))];
        assert!(find(&derive(Jurisdiction::NorthernIreland, &before, &[]), "post_cg_support_end").is_empty());
        let leap = [ev(1, on(referral(), 2023, 7, 1)), ev(2, on(rg(Positive), 2023, 7, 8)), ev(3, on(cg(Positive), 2024, 2, 29))];
        assert_eq!(find(&derive(Jurisdiction::NorthernIreland, &leap, &[]), "post_cg_support_end")[0].due_on, date(2025, 2, 28));
        // Adults only.
        assert!(find(&derive_for(Jurisdiction::NorthernIreland, PRESUMED_CHILD, &cg_in), "support_period_end").is_empty());
    }

    #[test]
    fn a_child_turning_18_mid_journey_gets_the_adult_rules_from_that_day() {
        // Born 29 February 2008: a child on 28 February 2026, an adult from 1 March 2026.
        let person = AgeFacts { birth: Birth::Date(date(2008, 2, 29)), presumed_child: false };
        assert!(person.is_child_on(date(2026, 2, 28)));
        assert!(!person.is_child_on(date(2026, 3, 1)));
        // Positive RG at 17 (Scotland): no adult support period. CG in E&W after 18: move-on.
        let events = [ev(1, on(referral(), 2026, 2, 1)), ev(2, on(rg(Positive), 2026, 2, 28)), ev(3, on(cg(Positive), 2026, 3, 1))];
        let scot = derive_for(Jurisdiction::Scotland, person, &events[..2]);
        assert!(find(&scot, "support_period_end").is_empty());
        let later = [ev(1, on(referral(), 2026, 2, 1)), ev(2, on(rg(Positive), 2026, 3, 1))];
        assert_eq!(find(&derive_for(Jurisdiction::Scotland, person, &later), "support_period_end").len(), 1);
        let ew = derive_for(Jurisdiction::EnglandWales, person, &events);
        assert_eq!(find(&ew, "move_on_end")[0].due_on, date(2026, 4, 15));
        // A CG the day before the birthday: still a child's, no move-on entitlement.
        let child_cg = [ev(1, on(referral(), 2026, 1, 1)), ev(2, on(rg(Positive), 2026, 1, 5)), ev(3, on(cg(Positive), 2026, 2, 28))];
        assert!(find(&derive_for(Jurisdiction::EnglandWales, person, &child_cg), "move_on_end").is_empty());
        // A presumed child stays a child whatever the dates.
        assert!(find(&derive_for(Jurisdiction::EnglandWales, PRESUMED_CHILD, &events), "move_on_end").is_empty());
    }

    #[test]
    fn gp_access_in_every_jurisdiction() {
        for j in Jurisdiction::ALL {
            let events = [ev(1, on(Fact::SupportStarted, 2026, 11, 2))];
            let all = derive(*j, &events, &[]);
            let gp = find(&all, "gp_access");
            assert_eq!(gp[0].due_on, date(2026, 11, 12), "{j}");
            assert!(gp[0].explanation.starts_with("10 days after the start of support of 2026-11-02, Local standards 2026-12; source:"));
            // Story 1: registered on day 9 (met); on day 12 it stays missed with the real date.
            let met = derive(*j, &events, &[(NeedDomain::HealthGp, date(2026, 11, 11))]);
            let gp = find(&met, "gp_access")[0];
            assert_eq!(status_of(gp, date(2026, 12, 1)), DeadlineStatus::Met);
            let late = derive(*j, &events, &[(NeedDomain::HealthGp, date(2026, 11, 14)), (NeedDomain::Accommodation, date(2026, 11, 3))]);
            let gp = find(&late, "gp_access")[0];
            assert_eq!(gp.met_on, Some(date(2026, 11, 14)));
            assert_eq!(status_of(gp, date(2026, 12, 1)), DeadlineStatus::Missed);
        }
    }

    #[test]
    fn correcting_an_rg_date_moves_its_deadlines_and_keeps_their_identity() {
        let reason = CorrectionReason::parse("decision letter was dated the 6th").unwrap_or_else(|_| unreachable!());
        let events = vec![ev(1, on(referral(), 2026, 3, 2)), ev(2, on(rg(Positive), 2026, 3, 16))];
        let before = derive(Jurisdiction::EnglandWales, &events, &[]);
        let mut corrected = events.clone();
        corrected.push(ev(
            3,
            EventBody::Correction {
                supersedes: events[1].id,
                reason,
                replacement: Some(DatedFact { fact: rg(Positive), date: date(2026, 3, 6) }),
            },
        ));
        let after = derive(Jurisdiction::EnglandWales, &corrected, &[]);
        let (b, a) = (find(&before, "recovery_period_minimum_end")[0], find(&after, "recovery_period_minimum_end")[0]);
        assert_eq!((b.due_on, a.due_on), (date(2026, 4, 15), date(2026, 4, 5)));
        assert_eq!(a.trigger, b.trigger);
        assert_eq!(find(&after, "rg_decision_expected")[0].met_on, Some(date(2026, 3, 6)));
    }
}
