//! The outcome report: `GET /api/v1/reports/outcomes` (commissioners and coordinators), one
//! report definition rendered as JSON, CSV or a printable HTML page with charts.

use actix_web::http::header::{self};
use actix_web::{get, web, HttpRequest, HttpResponse};
use fourthp_domain::case::{ExploitationType, Jurisdiction};
use fourthp_domain::report::AgeGroup;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app;
use crate::auth::Caller;
use crate::problem::{Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::report_body::OutcomeReport;
use crate::report_render;
pub use crate::report_render::Format;
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
        (status = 422, description = "The period breaks one of the report's rules, named in `rule` (protected figures need whole months)", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
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

/// The outcome report for `q`, in `format`: its query's errors are a bad query string (400).
async fn report_response(caller: &Caller, state: &AppState, q: ReportQuery, format: Format) -> Result<HttpResponse, Problem> {
    let request = app::reports::ReportRequest {
        from: q.from,
        to: q.to,
        jurisdiction: q.jurisdiction,
        local_authority: q.local_authority,
        exploitation_type: q.exploitation_type,
        age_group: q.age_group,
        exact: q.exact.unwrap_or(false),
        format: format.as_str(),
    };
    let pulled = match app::reports::outcomes(caller, state, request).await {
        Ok(p) => p,
        // The report is asked for in a query string: its fields at fault are a bad query.
        Err(app::AppError::Invalid(errs)) => return Err(super::bad_query_problem(errs)),
        Err(e) => return Err(e.into()),
    };
    let document = OutcomeReport::new(&pulled.report, caller.ctx.at, pulled.data_as_of);
    Ok(report_render::respond(&document, format, report_render::Readers::Programs, &state.rules.book))
}
