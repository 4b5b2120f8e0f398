use super::measures::{adverse_outcomes, core_outcomes};
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
    let running = ReportParams::new(d("2026-01-01"), d("2026-12-31"), today, None, None, None, None).unwrap_or_else(|e| panic!("{e:?}"));
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
    let e =
        assemble(params(), d("2026-03-31"), Policy::EXACT, &ReportRules::default(), &[raw("caseload.new", None, "median", 3, Some(1.0))]);
    assert!(e.is_err());
    let e = assemble(params(), d("2026-03-31"), Policy::EXACT, &ReportRules::default(), &[raw("caseload.lost", None, "count", 3, None)]);
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
