//! The national network coordinators' forum: what a network sends it (a bundle of its
//! disclosure-controlled figures and the challenges it took to the forum, for a whole-month
//! period), the checks a bundle passes before the forum accepts it, the networks side by side,
//! and the challenges raised in more than one region grouped together.
//!
//! A bundle is signed by the network (Ed25519, the key of its audit checkpoints) over
//! [`signed_message`]: the format line, then the content as canonical JSON (keys sorted, no
//! whitespace). Nothing in it is below the network's disclosure threshold: the network builds
//! it from the protected report only, and the forum refuses a bundle holding a count from 1 to
//! the threshold, whoever signed it.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::agency::AgencyKind;
use crate::challenge::{ChallengeStatus, Urgency};
use crate::report::{FigureStatus, Report, Section, Unit};

/// The format a bundle declares, and the first line of what is signed.
pub const BUNDLE_FORMAT: &str = "fourthp-forum-bundle-v1";

/// What a network signs for the forum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleContent {
    /// The network's name for itself (the forum shows the name it registered).
    pub network: String,
    pub period: BundlePeriod,
    pub generated_at: DateTime<Utc>,
    /// Counts from 1 to this were withheld by the network.
    pub suppress_up_to: u64,
    /// Statistics need at least this many values behind them.
    pub min_n_for_statistics: u64,
    pub figures: Vec<BundleFigure>,
    /// The challenges the network took to the forum: titles and what is happening, no cases.
    pub challenges: Vec<BundleChallenge>,
}

/// A whole-month period, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundlePeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// One published figure of the network's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleFigure {
    pub section: Section,
    pub measure: String,
    pub title: String,
    pub category: Option<String>,
    pub statistic: String,
    pub unit: Unit,
    /// Null when withheld or when there was too little data.
    #[serde(serialize_with = "whole_as_integer")]
    pub value: Option<f64>,
    pub status: FigureStatus,
}

/// A challenge the network took to the forum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleChallenge {
    /// Its number on the network's board.
    pub number: i64,
    pub title: String,
    /// What is happening, with anything that looked like a person's details withheld.
    pub description: String,
    pub sectors: Vec<AgencyKind>,
    pub urgency: Urgency,
    pub status: ChallengeStatus,
    pub escalated_on: NaiveDate,
}

/// Whole numbers are written as integers (a count reads `12`, not `12.0`), the same way every
/// time, so the signed text is the text re-read.
fn whole_as_integer<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => s.serialize_i64(*x as i64),
        Some(x) => s.serialize_f64(*x),
        None => s.serialize_none(),
    }
}

/// The report's figures as a bundle carries them. Only a protected report may leave.
pub fn figures_of(report: &Report) -> Result<Vec<BundleFigure>, BundleRefusal> {
    if report.exact || !report.policy.perturb {
        return Err(BundleRefusal::NotProtected);
    }
    Ok(report
        .measures
        .iter()
        .flat_map(|m| {
            m.figures.iter().map(|f| BundleFigure {
                section: m.def.section,
                measure: m.def.id.to_owned(),
                title: m.def.title.to_owned(),
                category: f.category.clone(),
                statistic: f.stat.to_owned(),
                unit: f.unit,
                value: f.value,
                status: f.status,
            })
        })
        .collect())
}

/// The bytes a bundle's signature covers: the format line, then `canonical_content`, the
/// content as canonical JSON (object keys sorted, no insignificant whitespace).
pub fn signed_message(canonical_content: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(BUNDLE_FORMAT.len() + 1 + canonical_content.len());
    m.extend_from_slice(BUNDLE_FORMAT.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(canonical_content);
    m
}

/// Why a bundle is not made, or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleRefusal {
    #[error("a bundle is made from the protected report only, never from exact figures")]
    NotProtected,
    #[error("the bundle's format is {0}, not {BUNDLE_FORMAT}")]
    Format(String),
    #[error("the bundle's period must run from the first day of a month to the last day of a month")]
    NotWholeMonths,
    #[error("the bundle holds {measure} {what} of {value}: counts from 1 to {threshold} may not leave a network")]
    BelowThreshold { measure: String, what: String, value: u64, threshold: u64 },
    #[error("the bundle's {field} is empty or longer than {max} characters")]
    Text { field: &'static str, max: usize },
    #[error("the bundle holds more than {0} items")]
    TooBig(usize),
}

/// The longest texts and lists a bundle may hold.
const MAX_NAME: usize = 200;
const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 4000;
const MAX_FIGURES: usize = 5000;
const MAX_CHALLENGES: usize = 500;

/// Whether `from`..=`to` is whole calendar months.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> bool {
    from <= to && from.day() == 1 && to.succ_opt().is_some_and(|next| next.day() == 1)
}

impl BundleContent {
    /// The checks the forum makes of a bundle whose signature verified: whole months, sane
    /// sizes, and no count from 1 to the threshold (the larger of the network's and the
    /// forum's own), so that nothing below it is kept or shown even if a network let it out.
    pub fn check(&self, forum_threshold: u64) -> Result<(), BundleRefusal> {
        if !whole_months(self.period.from, self.period.to) {
            return Err(BundleRefusal::NotWholeMonths);
        }
        let text = |field: &'static str, value: &str, max: usize| {
            let n = value.trim().chars().count();
            if n == 0 || n > max {
                Err(BundleRefusal::Text { field, max })
            } else {
                Ok(())
            }
        };
        text("network", &self.network, MAX_NAME)?;
        if self.figures.len() > MAX_FIGURES {
            return Err(BundleRefusal::TooBig(MAX_FIGURES));
        }
        if self.challenges.len() > MAX_CHALLENGES {
            return Err(BundleRefusal::TooBig(MAX_CHALLENGES));
        }
        let threshold = forum_threshold.max(self.suppress_up_to);
        for f in &self.figures {
            text("figure's measure", &f.measure, MAX_TITLE)?;
            text("figure's title", &f.title, MAX_TITLE)?;
            text("figure's statistic", &f.statistic, MAX_TITLE)?;
            if let Some(c) = &f.category {
                text("figure's category", c, MAX_TITLE)?;
            }
            if f.unit == Unit::Count {
                if let Some(v) = f.value {
                    let whole = v.max(0.0).round() as u64;
                    if v > 0.0 && whole <= threshold {
                        let what = match &f.category {
                            Some(c) => format!("{} ({c})", f.statistic),
                            None => f.statistic.clone(),
                        };
                        return Err(BundleRefusal::BelowThreshold { measure: f.measure.clone(), what, value: whole, threshold });
                    }
                }
            }
        }
        for c in &self.challenges {
            text("challenge's title", &c.title, MAX_TITLE)?;
            text("challenge's description", &c.description, MAX_DESCRIPTION)?;
        }
        Ok(())
    }
}

/// The networks side by side: one row per figure any of them published, with each network's
/// value (`None` where that network's bundle has no such figure).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub networks: Vec<String>,
    pub rows: Vec<ComparisonRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    pub section: Section,
    pub measure: String,
    pub title: String,
    pub category: Option<String>,
    pub statistic: String,
    pub unit: Unit,
    pub values: Vec<Option<(Option<f64>, FigureStatus)>>,
}

/// Lines the networks' figures up, in the order they first appear.
pub fn compare(bundles: &[(String, &BundleContent)]) -> Comparison {
    let mut rows: Vec<ComparisonRow> = Vec::new();
    let mut index: std::collections::HashMap<(String, Option<String>, String), usize> = std::collections::HashMap::new();
    for (i, (_, content)) in bundles.iter().enumerate() {
        for f in &content.figures {
            let key = (f.measure.clone(), f.category.clone(), f.statistic.clone());
            let at = *index.entry(key).or_insert_with(|| {
                rows.push(ComparisonRow {
                    section: f.section,
                    measure: f.measure.clone(),
                    title: f.title.clone(),
                    category: f.category.clone(),
                    statistic: f.statistic.clone(),
                    unit: f.unit,
                    values: vec![None; bundles.len()],
                });
                rows.len() - 1
            });
            if let Some(slot) = rows.get_mut(at).and_then(|r| r.values.get_mut(i)) {
                *slot = Some((f.value, f.status));
            }
        }
    }
    Comparison { networks: bundles.iter().map(|(n, _)| n.clone()).collect(), rows }
}

/// Words too common to say two challenges are about the same thing.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "being",
    "by",
    "can",
    "for",
    "from",
    "has",
    "have",
    "in",
    "into",
    "is",
    "it",
    "its",
    "no",
    "not",
    "of",
    "on",
    "or",
    "our",
    "the",
    "their",
    "them",
    "they",
    "this",
    "to",
    "too",
    "was",
    "were",
    "when",
    "who",
    "will",
    "with",
    "without",
    "after",
    "before",
    "people",
    "person",
    "survivor",
    "survivors",
    "victim",
    "victims",
    "case",
    "cases",
];

/// The stems of a title's meaningful words: lowered, common words dropped, a plural `s`
/// dropped, cut to five letters ("registration", "register" and "registering" meet at "regis").
pub fn stems(title: &str) -> BTreeSet<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2 && !STOPWORDS.contains(&w.as_str()))
        .map(|w| {
            let w = if w.chars().count() > 3 && w.ends_with('s') && !w.ends_with("ss") { w[..w.len() - 1].to_owned() } else { w };
            w.chars().take(5).collect()
        })
        .collect()
}

/// Whether two challenges' titles say the same thing: at least two stems in common, and at
/// least half of the shorter title's.
pub fn alike(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let shared = a.intersection(b).count();
    let shorter = a.len().min(b.len());
    shared >= 2 && shared * 2 >= shorter
}

/// The challenges raised in more than one region: groups (indexes into `items`, each a
/// network's index and the title) of challenges from at least two different networks, linked
/// by [`alike`] titles. A challenge is in one group at most; groups and their members are in
/// the order of `items`.
pub fn group_across_networks(items: &[(usize, &str)]) -> Vec<Vec<usize>> {
    let stems: Vec<BTreeSet<String>> = items.iter().map(|(_, t)| stems(t)).collect();
    // Union-find over the pairs from different networks that are alike.
    let mut parent: Vec<usize> = (0..items.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..items.len() {
        for j in (i + 1)..items.len() {
            if items[i].0 != items[j].0 && alike(&stems[i], &stems[j]) {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                if ri != rj {
                    parent[ri.max(rj)] = ri.min(rj);
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_root: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for i in 0..items.len() {
        let r = root(&mut parent, i);
        let g = *group_of_root.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups.into_iter().filter(|g| g.iter().map(|&i| items[i].0).collect::<BTreeSet<_>>().len() >= 2).collect()
}

/// `text` with every occurrence of each of `found` (whole words, letter case aside) replaced
/// by "[withheld]": what a bundle's free text becomes before it leaves the network.
pub fn withhold(text: &str, found: &[&str]) -> String {
    let mut out = text.to_owned();
    for needle in found.iter().filter(|n| !n.is_empty()) {
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = find_word(rest, needle) {
            result.push_str(&rest[..at]);
            result.push_str("[withheld]");
            rest = &rest[at + needle.len()..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Where `needle` stands in `haystack` as a whole word (ASCII letter case aside).
fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    (0..haystack.len()).find(|&i| {
        haystack.is_char_boundary(i)
            && haystack.is_char_boundary((i + n).min(haystack.len()))
            && i + n <= haystack.len()
            && haystack[i..i + n].eq_ignore_ascii_case(needle)
            && !haystack[..i].chars().next_back().is_some_and(char::is_alphanumeric)
            && !haystack[i + n..].chars().next().is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn content(figures: Vec<BundleFigure>) -> BundleContent {
        BundleContent {
            network: "West Yorkshire".to_owned(),
            period: BundlePeriod {
                from: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default(),
                to: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default(),
            },
            generated_at: DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            suppress_up_to: 7,
            min_n_for_statistics: 10,
            figures,
            challenges: Vec::new(),
        }
    }

    fn count(value: Option<f64>) -> BundleFigure {
        BundleFigure {
            section: Section::Caseload,
            measure: "caseload.opened".to_owned(),
            title: "Cases opened".to_owned(),
            category: None,
            statistic: "count".to_owned(),
            unit: Unit::Count,
            value,
            status: if value.is_some() { FigureStatus::Perturbed } else { FigureStatus::Suppressed },
        }
    }

    #[test]
    fn a_small_count_never_passes_the_forum() {
        assert_eq!(content(vec![count(Some(0.0)), count(Some(8.0)), count(None)]).check(7), Ok(()));
        assert!(matches!(content(vec![count(Some(3.0))]).check(7), Err(BundleRefusal::BelowThreshold { value: 3, .. })));
        // The forum's own threshold counts when it is the higher.
        assert!(matches!(content(vec![count(Some(9.0))]).check(10), Err(BundleRefusal::BelowThreshold { threshold: 10, .. })));
        // Shares and days are not counts of people.
        let mut share = count(Some(4.0));
        share.unit = Unit::Percent;
        assert_eq!(content(vec![share]).check(7), Ok(()));
    }

    #[test]
    fn a_period_is_whole_months() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
        assert!(whole_months(d(2, 1), d(2, 28)));
        assert!(whole_months(d(1, 1), d(12, 31)));
        assert!(!whole_months(d(2, 2), d(2, 28)));
        assert!(!whole_months(d(2, 1), d(2, 27)));
        assert!(!whole_months(d(3, 1), d(2, 28)));
        let mut c = content(Vec::new());
        c.period.to = d(11, 29);
        assert_eq!(c.check(7), Err(BundleRefusal::NotWholeMonths));
    }

    #[test]
    fn the_same_problem_in_two_regions_is_grouped() {
        let items = [
            (0, "GP practices refusing registration without proof of address"),
            (1, "Survivors refused GP registration: no proof of address"),
            (2, "Safe house places for men in the north"),
            (1, "No safe house places for men"),
            (0, "Interpreters for Vietnamese speakers at police interviews"),
            (0, "GP registration refused without address"),
        ];
        let groups = group_across_networks(&items);
        assert_eq!(groups, vec![vec![0, 1, 5], vec![2, 3]]);
        // One network alone is not "more than one region".
        assert!(group_across_networks(&[(0, "GP registration refused"), (0, "GP registration refused again")]).is_empty());
    }

    #[test]
    fn free_text_leaving_the_network_has_personal_details_withheld() {
        assert_eq!(
            withhold("Anna (2026-000123) and anna's brother met ANNA; Annabel not.", &["2026-000123", "Anna"]),
            "[withheld] ([withheld]) and [withheld]'s brother met [withheld]; Annabel not."
        );
        assert_eq!(withhold("Zoë called", &["Zoë"]), "[withheld] called");
        assert_eq!(withhold("nothing here", &[""]), "nothing here");
    }

    #[test]
    fn the_signed_message_starts_with_the_format() {
        assert_eq!(signed_message(b"{}"), b"fourthp-forum-bundle-v1\n{}".to_vec());
    }

    proptest! {
        #[test]
        fn grouping_never_makes_a_one_region_group_or_repeats_a_challenge(
            items in proptest::collection::vec((0usize..4, "(gp|registration|address|housing|men|safe|interpreter|police|refused| ){1,8}"), 0..12)
        ) {
            let refs: Vec<(usize, &str)> = items.iter().map(|(n, t)| (*n, t.as_str())).collect();
            let groups = group_across_networks(&refs);
            let mut seen = BTreeSet::new();
            for g in &groups {
                prop_assert!(g.iter().map(|&i| refs[i].0).collect::<BTreeSet<_>>().len() >= 2);
                for &i in g {
                    prop_assert!(seen.insert(i));
                }
            }
        }

        #[test]
        fn alike_is_symmetric(a in "[a-z ]{0,40}", b in "[a-z ]{0,40}") {
            prop_assert_eq!(alike(&stems(&a), &stems(&b)), alike(&stems(&b), &stems(&a)));
        }

        #[test]
        fn withheld_text_no_longer_holds_the_word(prefix in "[a-z ]{0,10}", suffix in "[a-z ]{0,10}") {
            let text = format!("{prefix} 2026-000123 {suffix}");
            prop_assert!(!withhold(&text, &["2026-000123"]).contains("2026-000123"));
        }

        #[test]
        fn no_count_from_one_to_the_threshold_passes(n in 1u64..=7) {
            prop_assert!(content(vec![count(Some(n as f64))]).check(7).is_err());
        }
    }
}
