//! Deadline rules as versioned data, and the deadlines they derive from a case's
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

mod shipped;
mod status;

pub use shipped::{shipped_with, SHIPPED_JURISDICTIONS, SHIPPED_LOCAL_STANDARDS};
pub use status::{definition, holds, status, DeadlineKind, DeadlineStatus, Definition, StatusFacts, StatusTest, OUTSTANDING};

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
    /// What people call it ("GP registration within 10 days"); without one, the id as a sentence.
    #[serde(default)]
    name: Option<String>,
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
    /// What people call it, on pages and in emails.
    pub name: String,
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
    let name = match r.name.as_deref().map(str::trim) {
        Some("") => return Err(format!("{at}: name, when given, must not be empty")),
        Some(n) => n.to_owned(),
        None => crate::words::sentence(&r.id),
    };
    Ok(Rule {
        id: r.id.clone(),
        name,
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

    /// What people call the rule with this id (the first rule set's name for it), or the id as a
    /// sentence when no set has it; `action_due` is an agreed action's due date.
    pub fn rule_name(&self, id: &str) -> String {
        if id == crate::deadline::ACTION_DUE {
            return "Agreed action due".to_owned();
        }
        self.sets
            .iter()
            .flat_map(|s| s.rules.iter())
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| crate::words::sentence(id))
    }

    /// Whether a rule of the book (or an agreed action's due date) has this id.
    pub fn is_rule(&self, id: &str) -> bool {
        id == crate::deadline::ACTION_DUE || self.sets.iter().any(|s| s.rules.iter().any(|r| r.id == id))
    }

    /// Every rule's id, once each, in alphabetical order (for choosing one).
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.sets.iter().flat_map(|s| s.rules.iter().map(|r| r.id.as_str())).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
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
mod tests;

/// Hand-worked scenarios for every shipped rule in every jurisdiction.
#[cfg(test)]
mod scenarios;
