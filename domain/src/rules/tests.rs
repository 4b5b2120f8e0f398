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
        base(&format!(r#"{{"id": "r", "kind": "deadline", "trigger": [{{"event": "support_started"}}], "trigger_label": "t", {extra}}}"#))
    };
    assert!(bad(&r(r#""periods": []"#)).contains("at least one period"));
    assert!(bad(&r(r#""periods": [{"days": 1, "working_days": 1}]"#)).contains("exactly one"));
    assert!(bad(&r(r#""periods": [{"days": 1}, {"from": "2020-01-01", "days": 2}]"#)).contains("overlap"));
    assert!(bad(&r(r#""periods": [{"days": 1}], "met_by": [{"need_met": "gp"}]"#)).contains("need domain"));
    assert!(
        bad(&r(r#""periods": [{"days": 1}], "met_by": [{"event": "support_started", "outcome": "positive"}]"#)).contains("only decisions")
    );
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
