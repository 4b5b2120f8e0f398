//! The outcome report as the API publishes it: the one shape the JSON, CSV and HTML renderings
//! are made from.

use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::case::{ExploitationType, Jurisdiction};
use fourthp_domain::report::{AgeGroup, FigureStatus, Report, Section, Unit};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

/// The period a report covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportFilters {
    pub jurisdiction: Option<Jurisdiction>,
    pub local_authority: Option<String>,
    pub exploitation_type: Option<ExploitationType>,
    pub age_group: Option<AgeGroup>,
}

/// How the figures were protected.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDisclosureInfo {
    /// True: exact figures (a coordinator's request); false: disclosure control applied.
    pub exact: bool,
    /// Counts from 1 to this are never published (they read `suppressed`).
    pub suppress_up_to: u64,
    /// Medians, percentiles, means and shares need at least this many values.
    pub min_n_for_statistics: u64,
    /// A filtered report needs at least this many people supported in its scope.
    pub min_population: u64,
    /// How counts are protected: `cell_key` (perturbed by the cell key method, see
    /// docs/disclosure-control.md) or `exact`.
    pub method: String,
    pub note: String,
}

/// One published figure: a count, share or statistic, for the whole measure (`category` null)
/// or one category of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportFigure {
    pub category: Option<String>,
    /// `count`, `total`, a part of a table (`met`, `missed`...), a share or a statistic.
    pub statistic: String,
    pub unit: Unit,
    /// Null when suppressed or when there is too little data.
    #[serde(serialize_with = "number")]
    #[schema(value_type = Option<f64>)]
    pub value: Option<f64>,
    pub status: FigureStatus,
}

fn number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => s.serialize_i64(*x as i64),
        Some(x) => s.serialize_f64(*x),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportMeasure {
    pub id: String,
    pub title: String,
    /// Exactly what is counted.
    pub definition: String,
    /// The jurisdictions the figures cover: a measure that counts what a rule sets covers only
    /// those where the rule is in force (within the report's jurisdiction filter).
    pub jurisdictions: Vec<fourthp_domain::case::Jurisdiction>,
    pub figures: Vec<ReportFigure>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSection {
    pub id: Section,
    pub title: String,
    pub measures: Vec<ReportMeasure>,
}

/// The outcome report.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeReport {
    pub title: String,
    pub generated_at: DateTime<Utc>,
    /// The instant the data the figures were read from is from: when the report was generated,
    /// or, read from a reporting replica that is behind, the last change it had replayed.
    pub data_as_of: DateTime<Utc>,
    pub period: ReportPeriod,
    /// The date the figures stand at: the period's end, or today while it runs.
    pub as_at: NaiveDate,
    pub filters: ReportFilters,
    pub disclosure: ReportDisclosureInfo,
    pub sections: Vec<ReportSection>,
}

impl OutcomeReport {
    pub fn new(r: &Report, generated_at: DateTime<Utc>, data_as_of: DateTime<Utc>) -> Self {
        let p = &r.params;
        let mut sections: Vec<ReportSection> = Vec::new();
        for m in &r.measures {
            if sections.last().is_none_or(|s| s.id != m.def.section) {
                sections.push(ReportSection { id: m.def.section, title: m.def.section.title().to_owned(), measures: Vec::new() });
            }
            let measure = ReportMeasure {
                id: m.def.id.to_owned(),
                title: m.def.title.to_owned(),
                definition: m.def.definition.to_owned(),
                jurisdictions: m.jurisdictions.clone(),
                figures: m
                    .figures
                    .iter()
                    .map(|f| ReportFigure {
                        category: f.category.clone(),
                        statistic: f.stat.to_owned(),
                        unit: f.unit,
                        value: f.value,
                        status: f.status,
                    })
                    .collect(),
            };
            if let Some(s) = sections.last_mut() {
                s.measures.push(measure);
            }
        }
        let note = if r.exact {
            "Exact figures for the coordinators of this network: not for publication.".to_owned()
        } else {
            format!(
                "Every count, totals included, is perturbed by the cell key method: by up to 2, the same way each time the same \
                 records are counted, so comparing reports gives noise, not people. Counts from 1 to {} are not published; zeros \
                 are. Medians, percentiles, means and shares are rounded and given only where at least {} values lie behind \
                 them; shares are of the published counts. Periods are whole months, and a filtered report needs at least {} \
                 people supported in its scope.",
                r.policy.suppress_up_to, r.policy.min_n_for_statistics, r.policy.min_population
            )
        };
        OutcomeReport {
            title: "FourthP outcome report".to_owned(),
            generated_at,
            data_as_of,
            period: ReportPeriod { from: p.from, to: p.to },
            as_at: r.as_at,
            filters: ReportFilters {
                jurisdiction: p.jurisdiction,
                local_authority: p.local_authority.as_ref().map(ToString::to_string),
                exploitation_type: p.exploitation_type,
                age_group: p.age_group,
            },
            disclosure: ReportDisclosureInfo {
                exact: r.exact,
                suppress_up_to: r.policy.suppress_up_to,
                min_n_for_statistics: r.policy.min_n_for_statistics,
                min_population: r.policy.min_population,
                method: if r.policy.perturb { "cell_key" } else { "exact" }.to_owned(),
                note,
            },
            sections,
        }
    }
}
