//! The outcome report: `GET /api/v1/reports/outcomes` (commissioners and coordinators), one
//! report definition rendered as JSON, CSV or a printable HTML page with charts.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{report_access, ReportDisclosure};
use fourthp_domain::audit::AuditOutcome;
use fourthp_domain::case::{ExploitationType, Jurisdiction, LocalAuthority};
use fourthp_domain::disclosure::Policy;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::report::{assemble, AgeGroup, FigureStatus, ProtectedReportRefusal, Report, ReportParams, ReportRules, Section, Unit};
use fourthp_domain::time::london_date;
use fourthp_persistence::{reports, Db};
use serde::{Deserialize, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, parse_date};
use crate::app::Rules;
use crate::auth::Caller;
use crate::extract::ApiQuery;
use crate::problem::{Problem, ReadProblems};
use crate::report_render;

/// The disclosure thresholds commissioners' reports are published under (configurable).
#[derive(Debug, Clone, Copy)]
pub struct Disclosure(pub Policy);

/// One report computed at a time. A report at national scale keeps two cores and two pooled
/// connections busy (BENCHMARKS.md has the figures); reports pulled together would only share
/// that, while leaving the coordinators' and partners' requests less of the machine and of the
/// pool. The rest wait their turn, within the request timeout.
pub struct ReportGate(tokio::sync::Semaphore);

impl Default for ReportGate {
    fn default() -> Self {
        ReportGate(tokio::sync::Semaphore::new(1))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day of the period (YYYY-MM-DD, London date).
    #[param(required = true, value_type = String, format = Date)]
    pub from: Option<String>,
    /// Last day of the period, inclusive (YYYY-MM-DD).
    #[param(required = true, value_type = String, format = Date)]
    pub to: Option<String>,
    #[param(value_type = Option<Jurisdiction>)]
    pub jurisdiction: Option<String>,
    /// A local authority exactly as recorded on cases.
    pub local_authority: Option<String>,
    /// Cases with this type of exploitation among theirs.
    #[param(value_type = Option<ExploitationType>)]
    pub exploitation_type: Option<String>,
    /// By age when support started.
    #[param(value_type = Option<AgeGroup>)]
    pub age_group: Option<String>,
    /// Exact figures, without disclosure control (coordinators only).
    #[param(value_type = Option<bool>)]
    pub exact: Option<String>,
    /// Overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^(json|csv|html)$")]
    pub format: Option<String>,
}

/// The format a report is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Html,
}

impl Format {
    fn parse(raw: &str) -> Option<Format> {
        match raw {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }

    /// The best format `Accept` asks for (highest q, then the order given); JSON when there is
    /// no `Accept` or it takes anything; `None` when it takes none of the three.
    pub fn negotiate(accept: Option<&str>) -> Option<Format> {
        let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
            return Some(Format::Json);
        };
        let mut best: Option<(f32, Format)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let format = match media.as_str() {
                "application/json" | "application/*" | "*/*" => Format::Json,
                "text/csv" => Format::Csv,
                "text/html" | "text/*" => Format::Html,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, format));
            }
        }
        best.map(|(_, f)| f)
    }
}

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
    pub period: ReportPeriod,
    /// The date the figures stand at: the period's end, or today while it runs.
    pub as_at: NaiveDate,
    pub filters: ReportFilters,
    pub disclosure: ReportDisclosureInfo,
    pub sections: Vec<ReportSection>,
}

impl OutcomeReport {
    pub fn new(r: &Report, generated_at: DateTime<Utc>) -> Self {
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

/// The problem for a protected report refused by its rules: the rule named, nothing else said.
fn refusal_problem(e: &ProtectedReportRefusal) -> Problem {
    match e {
        ProtectedReportRefusal::WholeMonths(errs) => {
            let mut p = Problem::validation(errs.clone());
            p.rule = Some("whole_months".to_owned());
            p
        }
        ProtectedReportRefusal::PopulationTooSmall => {
            let mut p = Problem::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "population-too-small",
                "Scope too small to report",
                "Too few people are in this report's scope to publish figures about them: widen the filters or the period.",
            );
            p.rule = Some("minimum_population".to_owned());
            p
        }
    }
}

fn vocab<T>(errs: &mut FieldErrors, field: &str, raw: Option<&str>, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    errs.check_opt(field, raw.map(|r| parse(r).ok_or("is not one of the documented values"))).flatten()
}

/// The outcome report for a period, for commissioners (with disclosure control) and
/// coordinators (exact figures on request). JSON, CSV (one tidy row per figure) or a printable
/// HTML page with charts, by `Accept` or `format`. Every report pulled is audited.
#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report",
            content(
                (OutcomeReport = "application/json"),
                (String = "text/csv", example = "section,measure,measure_title,category,statistic,unit,value,status,definition,jurisdictions"),
                (String = "text/html")
            )
        ),
        (status = 406, description = "None of JSON, CSV or HTML is acceptable", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        ReadProblems
    ),
    security(("bearer" = []))
)]
#[get("/reports/outcomes")]
pub async fn outcome_report(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    rules: web::Data<Rules>,
    configured: web::Data<Disclosure>,
    gate: web::Data<ReportGate>,
    query: ApiQuery<ReportQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let mut errs = FieldErrors::new();
    let exact = errs
        .check_opt(
            "exact",
            q.exact.as_deref().map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err("must be true or false"),
            }),
        )
        .flatten()
        .unwrap_or(false);
    let format = match q.format.as_deref() {
        Some(f) => vocab(&mut errs, "format", Some(f), Format::parse),
        None => {
            let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
            match Format::negotiate(accept) {
                Some(f) => Some(f),
                None => {
                    return Err(Problem::new(
                        actix_web::http::StatusCode::NOT_ACCEPTABLE,
                        "not-acceptable",
                        "Not acceptable",
                        "The report is available as application/json, text/csv or text/html (or use ?format=).",
                    ))
                }
            }
        }
    };

    let disclosure = match report_access(caller.principal().role, exact) {
        Ok(d) => d,
        Err(_) => {
            let asked = serde_json::json!({ "exact": exact, "format": format.map(Format::as_str) });
            reports::record_pull(&db, &caller.0, AuditOutcome::Denied, asked).await?;
            caller.refusal_recorded();
            return Err(Problem::forbidden());
        }
    };

    let from = errs.check_opt("from", q.from.as_deref().map(parse_date)).flatten();
    let to = errs.check_opt("to", q.to.as_deref().map(parse_date)).flatten();
    if q.from.is_none() {
        errs.push("from", "is required");
    }
    if q.to.is_none() {
        errs.push("to", "is required");
    }
    let jurisdiction = vocab(&mut errs, "jurisdiction", q.jurisdiction.as_deref(), Jurisdiction::parse);
    let local_authority = errs.check_opt("local_authority", q.local_authority.as_deref().map(LocalAuthority::parse)).flatten();
    let exploitation_type = vocab(&mut errs, "exploitation_type", q.exploitation_type.as_deref(), ExploitationType::parse);
    let age_group = vocab(&mut errs, "age_group", q.age_group.as_deref(), AgeGroup::parse);
    let now = Utc::now();
    let today = london_date(now);
    let params = match (from, to, format) {
        (Some(from), Some(to), Some(_)) if errs.is_empty() => {
            match ReportParams::new(from, to, today, jurisdiction, local_authority, exploitation_type, age_group) {
                Ok(p) => Some(p),
                Err(e) => {
                    for f in e.iter() {
                        errs.push(f.field.clone(), f.message.clone());
                    }
                    None
                }
            }
        }
        _ => None,
    };
    bad_query(errs)?;
    let (Some(params), Some(format)) = (params, format) else {
        return Err(Problem::internal());
    };

    let policy = match disclosure {
        ReportDisclosure::Exact => Policy::EXACT,
        ReportDisclosure::Protected => configured.0,
    };
    if policy.perturb {
        params.whole_months().map_err(|e| refusal_problem(&e))?;
    }
    let as_at = params.as_at(today);
    let raw = {
        let _turn = gate.0.acquire().await.map_err(|_| Problem::internal())?;
        reports::outcome_figures(&db, &params, as_at).await?
    };
    if let Err(e) = params.check_population(policy, &raw) {
        let asked = serde_json::json!({ "from": params.from, "to": params.to, "refused": "population_too_small" });
        reports::record_pull(&db, &caller.0, AuditOutcome::Denied, asked).await?;
        return Err(refusal_problem(&e));
    }
    let report = assemble(params, as_at, policy, &ReportRules::of(&rules.book), &raw).map_err(|e| {
        tracing::error!(error = %e, "outcome report");
        Problem::internal()
    })?;
    let document = OutcomeReport::new(&report, now);
    let parameters = serde_json::json!({
        "from": document.period.from,
        "to": document.period.to,
        "as_at": document.as_at,
        "filters": &document.filters,
        "exact": report.exact,
        "format": format.as_str(),
    });
    reports::record_pull(&db, &caller.0, AuditOutcome::Success, parameters).await?;

    let vary = (header::VARY, HeaderValue::from_static("Accept"));
    Ok(match format {
        Format::Json => HttpResponse::Ok().insert_header(vary).json(&document),
        Format::Csv => HttpResponse::Ok()
            .insert_header(vary)
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"fourthp-outcomes-{}-{}.csv\"", document.period.from, document.period.to),
            ))
            .body(report_render::csv(&document)),
        Format::Html => HttpResponse::Ok()
            .insert_header(vary)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CONTENT_SECURITY_POLICY, report_render::HTML_CSP))
            .body(report_render::html(&document)),
    })
}
