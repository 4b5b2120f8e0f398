//! The anonymised dataset shared with the Counter Trafficking Data Collaborative: one row per
//! case in the field names and value names of the IOM Human Trafficking Case Data Standard
//! v2.0 (`HTCDS Field Standards 2.0`), pseudonymised (no name, alias, reference or exact date
//! of birth: the year of birth and the month of identification only), and k-anonymous over the
//! quasi-identifiers (age band, gender, citizenship, exploitation types, year of
//! identification) by suppressing every row whose class is smaller than k.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::case::{age_band, AgeBand, Birth, ExploitationType, Gender};
use crate::codes::CountryCode;
use crate::event::{ClosureReason, DecisionOutcome};

/// The smallest class a released row may belong to.
pub const MIN_K: usize = 11;

/// The file's columns, HTCDS v2.0 field names with their table prefix, in order.
pub const COLUMNS: [&str; 8] = [
    "prs_Gender",
    "prs_Birthdate",
    "prs_Citizenship",
    "vic_TypeOfExploitation",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "cas_Status",
    "cas_IncomingReferralDate",
];

/// The value names HTCDS v2.0 gives each picklist column (multiselect values are separated by
/// `;`); the other columns are ISO 8601 dates of reduced precision or ISO 3166 codes.
pub const PICKLISTS: [(&str, &[&str]); 5] = [
    ("prs_Gender", &["Feminine", "Masculine", "TransgenderFeminine", "TransgenderMasculine", "NonConforming", "NonSpecifiedUnknown"]),
    (
        "vic_TypeOfExploitation",
        &[
            "ForcedLabour",
            "SexualExploitation",
            "ChildLabour",
            "ForcedMarriage",
            "Servitude",
            "ForcedMilitaryByNonStateActors",
            "OrganRemoval",
            "ForcedBegging",
            "ForcedAdoption",
            "Surrogacy",
            "Other",
        ],
    ),
    ("vic_TraffickingStatus", &["PossibleVictimOfTrafficking", "ActualVictimOfTrafficking", "NotAVictimOfTrafficking"]),
    ("vic_TraffickingStatusDecisionMakingOrg", &["Police", "NGO", "CourtOrProsecution", "NonPoliceGovernmentalOrganization", "Other"]),
    ("cas_Status", &["Active", "FollowUp", "Closed", "ClosedReferred"]),
];

/// `prs_Gender`'s value name.
pub fn gender(g: Gender) -> &'static str {
    match g {
        Gender::Female => "Feminine",
        Gender::Male => "Masculine",
        Gender::TransgenderFemale => "TransgenderFeminine",
        Gender::TransgenderMale => "TransgenderMasculine",
        Gender::NonConforming => "NonConforming",
        Gender::NotSpecified => "NonSpecifiedUnknown",
    }
}

/// `vic_TypeOfExploitation`'s value name: criminal exploitation (county lines among it) has no
/// value of its own in v2.0, so it is `Other`; an unknown type is left out.
pub fn exploitation(e: ExploitationType) -> Option<&'static str> {
    match e {
        ExploitationType::Labour => Some("ForcedLabour"),
        ExploitationType::Sexual => Some("SexualExploitation"),
        ExploitationType::DomesticServitude => Some("Servitude"),
        ExploitationType::OrganHarvesting => Some("OrganRemoval"),
        ExploitationType::Criminal | ExploitationType::Other => Some("Other"),
        ExploitationType::Unknown => None,
    }
}

/// The latest decision on a case that stands (not superseded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    ReasonableGrounds(DecisionOutcome),
    ConclusiveGrounds(DecisionOutcome),
}

/// What the export reads of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub birth: Birth,
    pub presumed_child: bool,
    pub gender: Gender,
    pub nationalities: Vec<CountryCode>,
    pub exploitation_types: Vec<ExploitationType>,
    /// The day the person was identified: the case's first event, or the day it was opened.
    pub identified_on: NaiveDate,
    pub decision: Option<Decision>,
    /// Why the case closed, if it is closed.
    pub closed: Option<ClosureReason>,
}

/// The class a row belongs to for k-anonymity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuasiIdentifier {
    pub age_band: AgeBand,
    pub gender: Gender,
    pub citizenship: Vec<CountryCode>,
    pub exploitation: Vec<&'static str>,
    pub year: i32,
}

/// One row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub values: [String; 8],
    pub class: QuasiIdentifier,
}

/// A case's row: the standard's value names, the birth year alone, the month of
/// identification alone.
pub fn row_of(c: &CaseFacts) -> Row {
    let mut citizenship = c.nationalities.clone();
    citizenship.sort();
    citizenship.dedup();
    let mut kinds: Vec<&'static str> = c.exploitation_types.iter().filter_map(|e| exploitation(*e)).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let (status, decided_by) = match c.decision {
        None => ("PossibleVictimOfTrafficking", ""),
        Some(Decision::ReasonableGrounds(DecisionOutcome::Positive)) => {
            ("PossibleVictimOfTrafficking", "NonPoliceGovernmentalOrganization")
        }
        Some(Decision::ConclusiveGrounds(DecisionOutcome::Positive)) => ("ActualVictimOfTrafficking", "NonPoliceGovernmentalOrganization"),
        Some(Decision::ReasonableGrounds(DecisionOutcome::Negative) | Decision::ConclusiveGrounds(DecisionOutcome::Negative)) => {
            ("NotAVictimOfTrafficking", "NonPoliceGovernmentalOrganization")
        }
    };
    let case_status = match c.closed {
        None => "Active",
        Some(ClosureReason::Transferred) => "ClosedReferred",
        Some(_) => "Closed",
    };
    let values = [
        gender(c.gender).to_owned(),
        c.birth.year().map(|y| format!("{y:04}")).unwrap_or_default(),
        citizenship.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(";"),
        kinds.join(";"),
        status.to_owned(),
        decided_by.to_owned(),
        case_status.to_owned(),
        format!("{:04}-{:02}", c.identified_on.year(), c.identified_on.month()),
    ];
    let class = QuasiIdentifier {
        age_band: age_band(c.birth, c.presumed_child, c.identified_on),
        gender: c.gender,
        citizenship,
        exploitation: kinds,
        year: c.identified_on.year(),
    };
    Row { values, class }
}

/// The rows released and how many were suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anonymised {
    pub rows: Vec<Row>,
    pub suppressed: usize,
    pub k: usize,
}

/// Keeps the rows whose class has at least `k` rows (never fewer than [`MIN_K`]), in their
/// order; the others are suppressed.
pub fn k_anonymise(rows: Vec<Row>, k: usize) -> Anonymised {
    let k = k.max(MIN_K);
    let mut sizes: HashMap<QuasiIdentifier, usize> = HashMap::new();
    for r in &rows {
        *sizes.entry(r.class.clone()).or_default() += 1;
    }
    let total = rows.len();
    let kept: Vec<Row> = rows.into_iter().filter(|r| sizes.get(&r.class).copied().unwrap_or(0) >= k).collect();
    Anonymised { suppressed: total - kept.len(), rows: kept, k }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn facts() -> CaseFacts {
        CaseFacts {
            birth: Birth::Date(d(1992, 3, 14)),
            presumed_child: false,
            gender: Gender::Male,
            nationalities: vec![CountryCode::parse("RO").unwrap_or(CountryCode::UNITED_KINGDOM)],
            exploitation_types: vec![ExploitationType::Labour, ExploitationType::Unknown],
            identified_on: d(2026, 11, 2),
            decision: Some(Decision::ReasonableGrounds(DecisionOutcome::Positive)),
            closed: None,
        }
    }

    #[test]
    fn a_row_in_the_standards_words_with_no_exact_dates() {
        let r = row_of(&facts());
        assert_eq!(
            r.values,
            [
                "Masculine",
                "1992",
                "RO",
                "ForcedLabour",
                "PossibleVictimOfTrafficking",
                "NonPoliceGovernmentalOrganization",
                "Active",
                "2026-11"
            ]
            .map(str::to_owned)
        );
        assert_eq!(r.class.age_band, AgeBand::From25To34);
        assert_eq!(r.class.year, 2026);
    }

    #[test]
    fn every_value_is_in_the_standards_picklists() {
        for g in Gender::ALL {
            assert!(PICKLISTS[0].1.contains(&gender(*g)));
        }
        for e in ExploitationType::ALL {
            assert!(exploitation(*e).is_none_or(|v| PICKLISTS[1].1.contains(&v)));
        }
    }

    #[test]
    fn a_transfer_is_closed_referred_and_a_negative_decision_not_a_victim() {
        let mut f = facts();
        f.closed = Some(ClosureReason::Transferred);
        f.decision = Some(Decision::ConclusiveGrounds(DecisionOutcome::Negative));
        let r = row_of(&f);
        assert_eq!((r.values[4].as_str(), r.values[6].as_str()), ("NotAVictimOfTrafficking", "ClosedReferred"));
    }

    #[test]
    fn small_classes_are_suppressed_and_counted() {
        let mut rows: Vec<Row> = (0..11).map(|_| row_of(&facts())).collect();
        let mut lone = facts();
        lone.gender = Gender::Female;
        rows.push(row_of(&lone));
        let a = k_anonymise(rows, 5);
        assert_eq!((a.rows.len(), a.suppressed, a.k), (11, 1, 11), "k is never below 11");
    }

    fn arbitrary_facts() -> impl Strategy<Value = CaseFacts> {
        (0usize..3, 0usize..2, 1980i32..2010, 0usize..3, 2024i32..2027).prop_map(|(g, n, born, e, year)| {
            let codes = ["RO", "AL", "VN"];
            CaseFacts {
                birth: Birth::Year(born),
                presumed_child: false,
                gender: Gender::ALL[g],
                nationalities: vec![CountryCode::parse(codes[n]).unwrap_or(CountryCode::UNITED_KINGDOM)],
                exploitation_types: vec![ExploitationType::ALL[e]],
                identified_on: d(year, 6, 1),
                decision: None,
                closed: None,
            }
        })
    }

    proptest! {
        #[test]
        fn every_released_class_has_at_least_k_rows(cases in proptest::collection::vec(arbitrary_facts(), 0..200), k in 0usize..20) {
            let total = cases.len();
            let a = k_anonymise(cases.iter().map(row_of).collect(), k);
            prop_assert_eq!(a.rows.len() + a.suppressed, total);
            let mut sizes: HashMap<&QuasiIdentifier, usize> = HashMap::new();
            for r in &a.rows {
                *sizes.entry(&r.class).or_default() += 1;
            }
            prop_assert!(sizes.values().all(|n| *n >= a.k && *n >= MIN_K));
        }
    }
}
