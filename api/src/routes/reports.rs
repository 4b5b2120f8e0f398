//! The outcome report: `GET /api/v1/reports/outcomes` (commissioners and coordinators), one
//! report definition rendered as JSON, CSV or a printable HTML page with charts.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};
use fourthp_domain::access::{report_access, ReportDisclosure};
use fourthp_domain::audit::AuditOutcome;
use fourthp_domain::case::{ExploitationType, Jurisdiction, LocalAuthority};
use fourthp_domain::disclosure::Policy;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::report::{assemble, AgeGroup, ProtectedReportRefusal, ReportParams, ReportRules};
use fourthp_domain::time::london_date;
use fourthp_persistence::reports;
use serde::Deserialize;
use utoipa::IntoParams;

use super::bad_query;
use crate::auth::Caller;
use crate::problem::{Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::report_body::OutcomeReport;
use crate::report_render;
use crate::state::AppState;
use chrono::NaiveDate;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day of the period (YYYY-MM-DD, London date).
    #[param(required = true, value_type = String, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub from: Option<NaiveDate>,
    /// Last day of the period, inclusive (YYYY-MM-DD).
    #[param(required = true, value_type = String, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub to: Option<NaiveDate>,
    #[param(value_type = Option<Jurisdiction>)]
    pub jurisdiction: Option<Jurisdiction>,
    /// A local authority exactly as recorded on cases.
    pub local_authority: Option<String>,
    /// Cases with this type of exploitation among theirs.
    #[param(value_type = Option<ExploitationType>)]
    pub exploitation_type: Option<ExploitationType>,
    /// By age when support started.
    #[param(value_type = Option<AgeGroup>)]
    pub age_group: Option<AgeGroup>,
    /// Exact figures, without disclosure control (coordinators only).
    #[param(value_type = Option<bool>)]
    #[serde(default, deserialize_with = "field::flag")]
    pub exact: Option<bool>,
    /// Overrides `Accept`.
    #[param(value_type = Option<String>, pattern = "^(json|csv|html)$")]
    pub format: Option<Format>,
}

/// The format a report is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Html,
}

impl Format {
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
    state: web::Data<AppState>,
    query: ApiQuery<ReportQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let format = match q.format {
        Some(f) => Some(f),
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

    let Some(format) = format else { return Err(Problem::internal()) };
    report_response(&caller, &state, q, format).await
}

/// The outcome report for `q`, in `format` (the API's report and the commissioners' report
/// page): who may pull it and how exact, the parameters' checks, disclosure control, the audit
/// record of the pull.
pub async fn report_response(caller: &Caller, state: &AppState, q: ReportQuery, format: Format) -> Result<HttpResponse, Problem> {
    let mut errs = FieldErrors::new();
    let exact = q.exact.unwrap_or(false);
    let disclosure = match report_access(caller.principal().role, exact) {
        Ok(d) => d,
        Err(_) => {
            let asked = serde_json::json!({ "exact": exact, "format": format.as_str() });
            reports::record_pull(&state.db, &caller.ctx, AuditOutcome::Denied, asked).await?;
            caller.refusal_recorded();
            return Err(Problem::forbidden());
        }
    };

    let (from, to) = (q.from, q.to);
    if q.from.is_none() {
        errs.push("from", "is required");
    }
    if q.to.is_none() {
        errs.push("to", "is required");
    }
    let jurisdiction = q.jurisdiction;
    let local_authority = errs.check_opt("local_authority", q.local_authority.as_deref().map(LocalAuthority::parse)).flatten();
    let (exploitation_type, age_group) = (q.exploitation_type, q.age_group);
    let now = caller.ctx.at;
    let today = london_date(now);
    let params = match (from, to) {
        (Some(from), Some(to)) if errs.is_empty() => {
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
    let Some(params) = params else {
        return Err(Problem::internal());
    };

    let policy = match disclosure {
        ReportDisclosure::Exact => Policy::EXACT,
        ReportDisclosure::Protected => state.disclosure,
    };
    if policy.perturb {
        params.whole_months().map_err(|e| refusal_problem(&e))?;
    }
    let as_at = params.as_at(today);
    let (raw, data) = {
        let _turn = state.report_gate.turn().await.ok_or_else(Problem::internal)?;
        let source = report_source(state).await?;
        reports::outcome_figures(source, &params, as_at, state.report_source.parallel_workers).await?
    };
    if let Err(e) = params.check_population(policy, &raw) {
        let asked = serde_json::json!({ "from": params.from, "to": params.to, "refused": "population_too_small" });
        reports::record_pull(&state.db, &caller.ctx, AuditOutcome::Denied, asked).await?;
        return Err(refusal_problem(&e));
    }
    let report = assemble(params, as_at, policy, &ReportRules::of(&state.rules.book), &raw).map_err(|e| {
        tracing::error!(error = %e, "outcome report");
        Problem::internal()
    })?;
    let document = OutcomeReport::new(&report, now, data.as_of.unwrap_or(data.now).min(now));
    let parameters = serde_json::json!({
        "from": document.period.from,
        "to": document.period.to,
        "as_at": document.as_at,
        "filters": &document.filters,
        "exact": report.exact,
        "format": format.as_str(),
    });
    reports::record_pull(&state.db, &caller.ctx, AuditOutcome::Success, parameters).await?;

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

/// The database a report reads: the reporting replica when one is configured and no further
/// behind than allowed; else the primary if so configured; else a 503 to retry later. The
/// interactive service never waits behind a report on the replica.
async fn report_source(state: &AppState) -> Result<&fourthp_persistence::Db, Problem> {
    let source = &state.report_source;
    let Some(replica) = &source.replica else { return Ok(&state.db) };
    let why = match fourthp_persistence::replica::state(replica).await {
        Ok(s) => match s.lag() {
            Some(lag) if lag.to_std().unwrap_or_default() <= source.max_lag => return Ok(replica),
            Some(lag) => format!("is {} s behind, more than the {} s allowed", lag.num_seconds(), source.max_lag.as_secs()),
            None => "has not replayed anything yet".to_owned(),
        },
        Err(_) => "cannot be reached".to_owned(),
    };
    if source.fallback_to_primary {
        tracing::warn!(reason = %why, "report read from the primary: the reporting replica is not usable");
        return Ok(&state.db);
    }
    tracing::warn!(reason = %why, "report refused: the reporting replica is not usable");
    let mut p = Problem::unavailable();
    p.kind = "report-replica-behind";
    p.detail = format!("The reporting copy of the database {why}; nothing was computed. Try again shortly.");
    Err(p.with_header(header::RETRY_AFTER, "30"))
}
