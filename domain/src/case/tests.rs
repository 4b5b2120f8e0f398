use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn subject(s: &str) -> Subject {
    Subject::parse(s).unwrap_or_else(|_| unreachable!())
}

/// Story 1: the man of 34 from the car wash.
pub(crate) fn car_wash_man() -> CaseDetails {
    CaseDetails {
        known_as: KnownAs::parse("A.M.").unwrap_or_else(|_| unreachable!()),
        birth: Birth::Year(1992),
        presumed_child: false,
        gender: Gender::Male,
        nationalities: vec![CountryCode::parse("RO").unwrap_or(CountryCode::UNITED_KINGDOM)],
        languages: vec![LanguageCode::parse("ro").unwrap_or_else(|_| unreachable!())],
        interpreter_needed: true,
        exploitation_types: vec![ExploitationType::Labour],
        county_lines: false,
        jurisdiction: Jurisdiction::EnglandWales,
        local_authority: LocalAuthority::parse("Northshire").unwrap_or_else(|_| unreachable!()),
        consent: Consent {
            nrm: NrmConsent::Given,
            data_sharing: DataSharing::Confidential,
            recorded_on: d(2026, 11, 2),
            recorded_by: subject("vcc-1"),
        },
        lead_coordinator: subject("vcc-1"),
    }
}

#[test]
fn youngest_age_from_year_or_date() {
    let today = d(2026, 11, 24);
    assert_eq!(Birth::Year(1992).youngest_age(today), Some(33));
    assert_eq!(Birth::Year(1992).youngest_age(d(2026, 12, 31)), Some(34));
    assert_eq!(Birth::Date(d(1992, 6, 1)).youngest_age(today), Some(34));
    assert_eq!(Birth::Date(d(2008, 11, 25)).youngest_age(today), Some(17));
    assert_eq!(Birth::Date(d(2008, 11, 24)).youngest_age(today), Some(18));
    assert_eq!(Birth::Unknown.youngest_age(today), None);
}

#[test]
fn anyone_who_may_be_under_18_is_a_child() {
    let today = d(2026, 11, 24);
    // Born in 2008: may still be 17 until 31 December.
    assert!(is_child(Birth::Year(2008), false, today));
    assert!(!is_child(Birth::Year(2008), false, d(2026, 12, 31)));
    assert!(!is_child(Birth::Year(2007), false, today));
    assert!(is_child(Birth::Unknown, true, today));
    assert!(!is_child(Birth::Unknown, false, today));
    assert_eq!(age_band(Birth::Year(2008), false, today), AgeBand::From16To17);
    assert_eq!(age_band(Birth::Year(1992), false, today), AgeBand::From25To34);
    assert_eq!(age_band(Birth::Unknown, true, today), AgeBand::From16To17);
    assert_eq!(age_band(Birth::Year(1990), true, today), AgeBand::From16To17);
    assert_eq!(age_band(Birth::Unknown, false, today), AgeBand::Unknown);
    assert_eq!(age_band(Birth::Year(2020), false, today), AgeBand::Under12);
}

#[test]
fn a_29_february_birth_comes_of_age_on_1_march() {
    let leapling = Birth::Date(d(2008, 2, 29));
    assert_eq!(leapling.youngest_age(d(2026, 2, 28)), Some(17));
    assert_eq!(leapling.youngest_age(d(2026, 3, 1)), Some(18));
    assert_eq!(leapling.youngest_age(d(2028, 2, 29)), Some(20));
    assert!(is_child(leapling, false, d(2026, 2, 28)));
    assert!(!is_child(leapling, false, d(2026, 3, 1)));
}

#[test]
fn nrm_consent_is_judged_at_the_age_on_the_day_it_was_recorded() {
    // Referred at 16 in 2024 without consent: valid then, and still valid after turning 18.
    let mut child = car_wash_man();
    child.birth = Birth::Year(2008);
    child.consent.nrm = NrmConsent::NotRequiredChild;
    child.consent.recorded_on = d(2024, 5, 1);
    assert!(child.clone().validate(d(2024, 5, 1)).is_ok());
    assert!(child.clone().validate(d(2026, 12, 1)).is_ok(), "a later change after the 18th birthday");
    // Consent recorded after the 18th birthday is an adult's.
    child.consent.recorded_on = d(2027, 1, 1);
    assert!(child.clone().validate(d(2027, 1, 2)).is_err());
    child.consent.nrm = NrmConsent::Given;
    assert!(child.validate(d(2027, 1, 2)).is_ok());
}

#[test]
fn birth_parts_must_agree_and_be_plausible() {
    let today = d(2026, 11, 24);
    assert_eq!(Birth::from_parts(Some(1992), None, today), Ok(Birth::Year(1992)));
    assert_eq!(Birth::from_parts(None, Some(d(1992, 5, 1)), today), Ok(Birth::Date(d(1992, 5, 1))));
    assert_eq!(Birth::from_parts(Some(1992), Some(d(1992, 5, 1)), today), Ok(Birth::Date(d(1992, 5, 1))));
    assert!(Birth::from_parts(Some(1993), Some(d(1992, 5, 1)), today).is_err());
    assert!(Birth::from_parts(Some(2027), None, today).is_err());
    assert!(Birth::from_parts(Some(1899), None, today).is_err());
    assert!(Birth::from_parts(None, Some(d(2026, 11, 25)), today).is_err());
    assert_eq!(Birth::from_parts(None, None, today), Ok(Birth::Unknown));
}

#[test]
fn cross_field_rules() {
    let today = d(2026, 11, 24);
    assert!(car_wash_man().validate(today).is_ok());

    // Story 4: a 16-year-old in county lines: consent not required, criminal exploitation.
    let mut child = car_wash_man();
    child.birth = Birth::Year(2010);
    child.nationalities = vec![CountryCode::UNITED_KINGDOM];
    child.exploitation_types = vec![ExploitationType::Criminal];
    child.county_lines = true;
    let err = child.clone().validate(today).err().unwrap_or_default();
    assert_eq!(err.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["consent.nrm"]);
    child.consent.nrm = NrmConsent::NotRequiredChild;
    assert!(child.clone().validate(today).is_ok());
    assert!(child.is_uk_national());

    let mut bad = car_wash_man();
    bad.birth = Birth::Date(d(1992, 3, 3));
    bad.county_lines = true;
    bad.exploitation_types = vec![ExploitationType::Labour, ExploitationType::Labour];
    bad.consent.nrm = NrmConsent::NotRequiredChild;
    bad.consent.recorded_on = d(2026, 11, 25);
    let err = bad.validate(today).err().unwrap_or_default();
    let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["date_of_birth", "consent.nrm", "consent.recorded_on", "exploitation_types", "county_lines"]);
}

#[test]
fn patch_reports_changes_and_revalidates() {
    let today = d(2026, 11, 24);
    let case = car_wash_man();
    let patch = CasePatch {
        known_as: Some(case.known_as.clone()),
        interpreter_needed: Some(false),
        birth: Some(Birth::Year(1991)),
        ..CasePatch::default()
    };
    let (next, changed) = case.apply(patch, today).unwrap_or_else(|_| (case.clone(), vec![]));
    assert_eq!(changed, ["birth_year", "interpreter_needed"]);
    assert_eq!(next.birth, Birth::Year(1991));

    let patch = CasePatch { county_lines: Some(true), ..CasePatch::default() };
    assert!(case.apply(patch, today).is_err());
}

#[test]
fn references() {
    assert_eq!(CaseReference::new(2026, 123).map(|r| r.as_str().to_owned()), Ok("2026-000123".to_owned()));
    assert!(CaseReference::new(2026, 0).is_err());
    assert!(CaseReference::new(2026, 1_000_000).is_err());
    assert!(CaseReference::parse("2026-12").is_err());
    assert!(CaseReference::parse("2026-00012a").is_err());
}

#[test]
fn searches() {
    assert_eq!(CaseSearch::parse("  "), Ok(None));
    let s = CaseSearch::parse(" A.M. ").ok().flatten();
    assert_eq!(s.as_ref().map(CaseSearch::as_str), Some("a.m."));
    let wild = CaseSearch::parse("50%_a\\b").ok().flatten();
    assert_eq!(wild.as_ref().map(CaseSearch::containing), Some("%50\\%\\_a\\\\b%".to_owned()));
    assert_eq!(wild.map(|w| w.reference_prefix()), Some("50\\%\\_a\\\\b%".to_owned()));
    assert!(CaseSearch::parse(&"x".repeat(101)).is_err());
    assert!(CaseSearch::parse("2026-0001").ok().flatten().is_some_and(|s| s.is_reference()));
    assert!(!CaseSearch::parse("a.m.").ok().flatten().is_some_and(|s| s.is_reference()));
    assert!(!CaseSearch::parse("-").ok().flatten().is_some_and(|s| s.is_reference()));
    let range = |t: &str| CaseSearch::parse(t).ok().flatten().and_then(|s| s.reference_range());
    assert_eq!(range("2026-0001"), Some(("2026-000100".to_owned(), "2026-000199".to_owned())));
    assert_eq!(range("2026-"), Some(("2026-000000".to_owned(), "2026-999999".to_owned())));
    assert_eq!(range("20"), Some(("2000-000000".to_owned(), "2099-999999".to_owned())));
    assert_eq!(range("2026-000123"), Some(("2026-000123".to_owned(), "2026-000123".to_owned())));
    assert_eq!(range("2026000123"), None);
    assert_eq!(range("2026-0001234"), None);
    assert!(CaseSearch::parse("a\nb").is_err());
}

proptest! {
    /// Whatever is typed, the pattern has no wildcard but the two it adds.
    #[test]
    fn a_search_is_literal(text in "\\PC{1,100}") {
        if let Ok(Some(s)) = CaseSearch::parse(&text) {
            let p = s.containing();
            let inner = &p[1..p.len() - 1];
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    prop_assert!(matches!(chars.next(), Some('%' | '_' | '\\')));
                } else {
                    prop_assert!(c != '%' && c != '_');
                }
            }
        }
    }

    #[test]
    fn reference_round_trips(year in 2009i32..=9999, n in 1i64..=999_999) {
        let r = CaseReference::new(year, n).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(CaseReference::parse(r.as_str()), Ok(r));
    }

    #[test]
    fn age_from_year_brackets_age_from_any_date_that_year(
        by in 1930i32..2026, month in 1u32..=12, day in 1u32..=28,
        ty in 2026i32..2040, tdoy in 1u32..=365
    ) {
        let birthday = d(by, month, day);
        let today = NaiveDate::from_yo_opt(ty, tdoy).unwrap_or_default();
        let exact = Birth::Date(birthday).youngest_age(today);
        let from_year = Birth::Year(by).youngest_age(today);
        prop_assert!(from_year <= exact);
        prop_assert!(exact.zip(from_year).is_some_and(|(e, y)| e - y <= 1));
        // The presumption never calls a possible child an adult.
        if exact.is_some_and(|a| a < 18) {
            prop_assert!(is_child(Birth::Year(by), false, today));
        }
    }
}
