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
use crate::case::{Jurisdiction, Stage};
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
    }
);

/// The status of a deadline on `today` (a London date): derived, never stored, so that "missed"
/// needs no batch job.
pub fn status(kind: DeadlineKind, due_on: NaiveDate, met_on: Option<NaiveDate>, waived: bool, today: NaiveDate) -> DeadlineStatus {
    if waived {
        return DeadlineStatus::Waived;
    }
    match (kind, met_on) {
        (DeadlineKind::Milestone, _) if today >= due_on => DeadlineStatus::Met,
        (DeadlineKind::Milestone, _) => DeadlineStatus::Open,
        (DeadlineKind::Deadline, Some(met)) if met <= due_on => DeadlineStatus::Met,
        (DeadlineKind::Deadline, Some(_)) => DeadlineStatus::Missed,
        (DeadlineKind::Deadline, None) if today > due_on => DeadlineStatus::Missed,
        (DeadlineKind::Deadline, None) => DeadlineStatus::Open,
    }
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
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
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
}

impl Length {
    fn describe(self) -> String {
        match self {
            Length::Days(1) => "1 day".to_owned(),
            Length::Days(n) => format!("{n} days"),
            Length::WorkingDays(1) => "1 working day".to_owned(),
            Length::WorkingDays(n) => format!("{n} working days"),
        }
    }

    fn after(self, date: NaiveDate, calendar: Calendar) -> NaiveDate {
        match self {
            Length::Days(n) => date + Duration::days(i64::from(n)),
            Length::WorkingDays(n) => calendar.add_working_days(date, n),
        }
    }
}

/// A period applies to triggers dated within `from..=until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub length: Length,
}

impl Period {
    fn covers(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && self.until.is_none_or(|u| date <= u)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub kind: DeadlineKind,
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
        let length = match (p.days, p.working_days) {
            (Some(n), None) if n <= 3650 => Length::Days(n),
            (None, Some(n)) if n <= 3650 => Length::WorkingDays(n),
            _ => return Err(format!("{at}: each period has exactly one of days or working_days, at most 3650")),
        };
        if let (Some(f), Some(u)) = (p.from, p.until) {
            if f > u {
                return Err(format!("{at}: a period's from is after its until"));
            }
        }
        periods.push(Period { from: p.from, until: p.until, length });
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
    pub fn derive(
        &self,
        jurisdiction: Jurisdiction,
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
                    let Some(period) = rule.periods.iter().find(|p| p.covers(trigger.date)) else {
                        continue;
                    };
                    let after = &timeline[i + 1..];
                    if after.iter().any(|e| rule.void_by.iter().any(|m| m.matches(e))) {
                        continue;
                    }
                    let mut due_on = period.length.after(trigger.date, calendar);
                    let mut explanation = format!("{} after the {} of {}", period.length.describe(), rule.trigger_label, trigger.date);
                    if let Some(early) = after.iter().find(|e| e.date < due_on && rule.ends_early_on.iter().any(|m| m.matches(e))) {
                        due_on = early.date;
                        explanation.push_str(&format!(
                            ", ended early by the {} of {}",
                            early.fact.event_type().as_str().replace('_', " "),
                            early.date
                        ));
                    }
                    explanation.push_str(&format!(", {} {}", set.label, set.version));
                    let met_by_event =
                        after.iter().find(|e| rule.met_by.iter().any(|m| matches!(m, MetBy::Event(x) if x.matches(e)))).map(|e| e.date);
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
                        explanation,
                        advances_stage: rule.advances_stage,
                    });
                }
            }
        }
        out.sort_by(|a, b| (a.due_on, &a.rule_id).cmp(&(b.due_on, &b.rule_id)));
        out
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

    #[test]
    fn statuses() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 1, n).unwrap_or_default();
        use DeadlineKind::*;
        assert_eq!(status(Deadline, d(10), None, false, d(10)), DeadlineStatus::Open);
        assert_eq!(status(Deadline, d(10), None, false, d(11)), DeadlineStatus::Missed);
        assert_eq!(status(Deadline, d(10), Some(d(10)), false, d(20)), DeadlineStatus::Met);
        assert_eq!(status(Deadline, d(10), Some(d(12)), false, d(20)), DeadlineStatus::Missed);
        assert_eq!(status(Deadline, d(10), None, true, d(20)), DeadlineStatus::Waived);
        assert_eq!(status(Milestone, d(10), None, false, d(9)), DeadlineStatus::Open);
        assert_eq!(status(Milestone, d(10), None, false, d(10)), DeadlineStatus::Met);
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

    fn referral() -> Fact {
        Fact::NrmReferralSubmitted { first_responder: AgencyId::new_v7(1) }
    }

    fn rg(o: DecisionOutcome) -> Fact {
        Fact::ReasonableGroundsDecision { outcome: o, authority: CompetentAuthority::Sca }
    }

    fn cg(o: DecisionOutcome) -> Fact {
        Fact::ConclusiveGroundsDecision { outcome: o, authority: CompetentAuthority::Sca }
    }

    fn derive(j: Jurisdiction, events: &[CaseEvent], needs: &[(NeedDomain, NaiveDate)]) -> Vec<DerivedDeadline> {
        let t = replay(events).unwrap_or_else(|v| panic!("{v:?}"));
        book().derive(j, &t.effective, needs)
    }

    fn find<'a>(all: &'a [DerivedDeadline], rule: &str) -> Vec<&'a DerivedDeadline> {
        all.iter().filter(|d| d.rule_id == rule).collect()
    }

    #[test]
    fn the_shipped_rules_are_valid_and_local_standards_can_be_replaced() {
        assert_eq!(book().sets.len(), 4);
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
        b.derive(Jurisdiction::EnglandWales, &t.effective, &[])
    }

    #[test]
    fn rg_expected_five_working_days_after_referral_over_christmas_and_easter() {
        // Referral Monday 21 December 2026: 22, 23, 24, (25 Christmas, 26-27 weekend,
        // 28 Boxing Day substitute) 29, 30 December.
        let all = derive(Jurisdiction::EnglandWales, &[ev(1, on(referral(), 2026, 12, 21))], &[]);
        let rg_due = find(&all, "rg_decision_expected");
        assert_eq!(rg_due[0].due_on, date(2026, 12, 30));
        assert_eq!(rg_due[0].explanation, "5 working days after the NRM referral of 2026-12-21, England & Wales rules 2023");
        // Referral Wednesday 1 April 2026: 2 April, (3 Good Friday, 4-5 weekend, 6 Easter
        // Monday) 7, 8, 9, 10 April.
        let all = derive(Jurisdiction::EnglandWales, &[ev(1, on(referral(), 2026, 4, 1))], &[]);
        assert_eq!(find(&all, "rg_decision_expected")[0].due_on, date(2026, 4, 10));
        // Met by the RG decision, on time or late.
        let events = [ev(1, on(referral(), 2026, 4, 1)), ev(2, on(rg(Positive), 2026, 4, 9))];
        assert_eq!(find(&derive(Jurisdiction::EnglandWales, &events, &[]), "rg_decision_expected")[0].met_on, Some(date(2026, 4, 9)));
    }

    #[test]
    fn recovery_period_is_45_days_before_the_2022_change_and_30_after() {
        let before = [ev(1, on(referral(), 2022, 12, 1)), ev(2, on(rg(Positive), 2022, 12, 12))];
        let m = derive(Jurisdiction::EnglandWales, &before, &[]);
        let r = find(&m, "recovery_period_minimum_end");
        assert_eq!(r[0].due_on, date(2023, 1, 26));
        assert_eq!(r[0].kind, DeadlineKind::Milestone);
        assert_eq!(r[0].explanation, "45 days after the positive RG of 2022-12-12, England & Wales rules 2023");
        let after = [ev(1, on(referral(), 2022, 12, 1)), ev(2, on(rg(Positive), 2022, 12, 13))];
        let m = derive(Jurisdiction::EnglandWales, &after, &[]);
        assert_eq!(find(&m, "recovery_period_minimum_end")[0].due_on, date(2023, 1, 12));
        assert_eq!(stage_advances_on(&m), Some(date(2023, 1, 12)));
    }

    #[test]
    fn move_on_and_exit_support() {
        let events = [ev(1, on(referral(), 2025, 6, 2)), ev(2, on(rg(Positive), 2025, 6, 6)), ev(3, on(cg(Positive), 2026, 3, 2))];
        let all = derive(Jurisdiction::EnglandWales, &events, &[]);
        let m = find(&all, "move_on_end");
        assert_eq!(m[0].due_on, date(2026, 4, 16));
        assert_eq!(m[0].explanation, "45 days after the positive CG of 2026-03-02, England & Wales rules 2023");
        assert!(find(&all, "exit_support_end").is_empty());

        // A negative RG on Friday 18 December 2026: 9 working days skip Christmas and New Year:
        // 21, 22, 23, 24, 29, 30, 31 December, 4, 5 January.
        let events = [ev(1, on(referral(), 2026, 12, 14)), ev(2, on(rg(Negative), 2026, 12, 18))];
        let all = derive(Jurisdiction::EnglandWales, &events, &[]);
        assert_eq!(find(&all, "exit_support_end")[0].due_on, date(2027, 1, 5));
        // Reconsideration voids it; closing meets it.
        let mut reconsidered = events.to_vec();
        reconsidered.push(ev(3, on(Fact::ReconsiderationRequested, 2026, 12, 21)));
        assert!(find(&derive(Jurisdiction::EnglandWales, &reconsidered, &[]), "exit_support_end").is_empty());
        let mut closed = events.to_vec();
        closed.push(ev(3, on(Fact::CaseClosed { reason: ClosureReason::ReturnedHome }, 2026, 12, 31)));
        assert_eq!(find(&derive(Jurisdiction::EnglandWales, &closed, &[]), "exit_support_end")[0].met_on, Some(date(2026, 12, 31)));
    }

    #[test]
    fn scotland_ninety_days_or_the_cg_if_earlier() {
        let events = [ev(1, on(referral(), 2026, 1, 5)), ev(2, on(rg(Positive), 2026, 1, 9))];
        let all = derive(Jurisdiction::Scotland, &events, &[]);
        let s = find(&all, "support_period_end");
        assert_eq!(s[0].due_on, date(2026, 4, 9));
        assert_eq!(s[0].explanation, "90 days after the positive RG of 2026-01-09, Scotland rules 2023");
        assert!(find(&all, "rg_decision_expected").is_empty(), "the E&W rules do not apply");
        let mut early = events.to_vec();
        early.push(ev(3, on(cg(Positive), 2026, 3, 1)));
        let all = derive(Jurisdiction::Scotland, &early, &[]);
        let s = find(&all, "support_period_end");
        assert_eq!(s[0].due_on, date(2026, 3, 1));
        assert_eq!(s[0].explanation, "90 days after the positive RG of 2026-01-09, ended early by the conclusive grounds decision of 2026-03-01, Scotland rules 2023");
    }

    #[test]
    fn northern_ireland_45_days_from_referral() {
        let all = derive(Jurisdiction::NorthernIreland, &[ev(1, on(referral(), 2026, 7, 1))], &[]);
        let s = find(&all, "support_period_end");
        assert_eq!(s[0].due_on, date(2026, 8, 15));
        assert_eq!(s[0].explanation, "45 days after the NRM referral of 2026-07-01, Northern Ireland rules 2023");
    }

    #[test]
    fn gp_access_in_every_jurisdiction() {
        for j in Jurisdiction::ALL {
            let events = [ev(1, on(Fact::SupportStarted, 2026, 11, 2))];
            let all = derive(*j, &events, &[]);
            let gp = find(&all, "gp_access");
            assert_eq!(gp[0].due_on, date(2026, 11, 12), "{j}");
            assert_eq!(gp[0].explanation, "10 days after the start of support of 2026-11-02, Local standards 2026");
            // Story 1: registered on day 9 (met); on day 12 it stays missed with the real date.
            let met = derive(*j, &events, &[(NeedDomain::HealthGp, date(2026, 11, 11))]);
            let gp = find(&met, "gp_access")[0];
            assert_eq!(status(gp.kind, gp.due_on, gp.met_on, false, date(2026, 12, 1)), DeadlineStatus::Met);
            let late = derive(*j, &events, &[(NeedDomain::HealthGp, date(2026, 11, 14)), (NeedDomain::Accommodation, date(2026, 11, 3))]);
            let gp = find(&late, "gp_access")[0];
            assert_eq!(gp.met_on, Some(date(2026, 11, 14)));
            assert_eq!(status(gp.kind, gp.due_on, gp.met_on, false, date(2026, 12, 1)), DeadlineStatus::Missed);
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
