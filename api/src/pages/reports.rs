//! The commissioners' report page: a period of whole months and a jurisdiction, then the
//! printable report (with its charts) or its CSV — the API's report, by the same function.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};
use fourthp_domain::case::Jurisdiction;
use fourthp_domain::time::london_date;
use serde::Deserialize;

use super::form::form_errors;
use super::view::Choice;
use super::{error_for, render, Chrome, FieldError, Page, PageError};
use crate::app::{self, AppError};
use crate::report_body::OutcomeReport;
use crate::report_render::{self, Format};
use crate::state::AppState;
use fourthp_domain::words::Words;

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage {
    chrome: Chrome,
    from: String,
    to: String,
    jurisdictions: Vec<Choice>,
    csv: bool,
    errors: Vec<FieldError>,
}

impl ReportPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// "2025-04" as the first day of that month.
fn month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").ok()
}

/// The months a person typed ("2025-04" to "2025-09") as the period's first and last days, or
/// what is wrong with each, beside its field (`from`, `to`).
pub(super) fn months(from_text: &str, to_text: &str) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
    let from = month(from_text);
    let to = month(to_text).and_then(|m| m.checked_add_months(Months::new(1))).and_then(|m| m.pred_opt());
    let mut errors = Vec::new();
    if from.is_none() {
        errors.push(FieldError::new("from", "Enter the first month as a month and year"));
    }
    if to.is_none() {
        errors.push(FieldError::new("to", "Enter the last month as a month and year"));
    }
    match (from, to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(errors),
    }
}

/// Why a period's report (or the forum's bundle made from it) was refused, beside the months'
/// fields.
pub(super) fn period_errors(e: AppError) -> Result<Vec<FieldError>, PageError> {
    let map = |field: &str| match field {
        "from" => Some("from"),
        "to" => Some("to"),
        "jurisdiction" => Some("jurisdiction"),
        _ => None,
    };
    match e {
        AppError::ReportRefused(fourthp_domain::report::ProtectedReportRefusal::WholeMonths(errs)) => {
            form_errors(AppError::Invalid(errs), "from", map)
        }
        e @ AppError::ReportRefused(_) => Ok(vec![FieldError::new("from", crate::problem::Problem::from(e).detail.clone())]),
        e => form_errors(e, "from", map),
    }
}

/// The report form, or (once it is filled in) the report.
pub async fn reports(page: Page, state: web::Data<AppState>, form: web::Query<ReportForm>) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    let today = london_date(page.caller.ctx.at);
    // By default the last twelve whole months.
    let this_month = today.with_day(1).unwrap_or(today);
    let default_from = this_month.checked_sub_months(Months::new(12)).unwrap_or(this_month);
    let default_to = this_month.checked_sub_months(Months::new(1)).unwrap_or(this_month);
    let from_text = f.from.clone().unwrap_or_else(|| default_from.format("%Y-%m").to_string());
    let to_text = f.to.clone().unwrap_or_else(|| default_to.format("%Y-%m").to_string());
    let mut errors = Vec::new();
    if f.from.is_some() || f.to.is_some() {
        match months(&from_text, &to_text) {
            Err(e) => errors = e,
            Ok((from, to)) => {
                let format = if f.format == "csv" { Format::Csv } else { Format::Html };
                let request = app::reports::ReportRequest {
                    from: Some(from),
                    to: Some(to),
                    jurisdiction: Jurisdiction::parse(&f.jurisdiction),
                    format: format.as_str(),
                    ..Default::default()
                };
                match app::reports::outcomes(&page.caller, &state, request).await {
                    Ok(pulled) => {
                        let document = OutcomeReport::new(&pulled.report, page.caller.ctx.at, pulled.data_as_of);
                        return Ok(report_render::respond(&document, format, report_render::Readers::People, &state.rules.book));
                    }
                    Err(e) => errors = period_errors(e)?,
                }
            }
        }
    } else {
        // The form alone: only for those who may pull the report.
        fourthp_domain::access::report_access(page.caller.principal().role, false).map_err(crate::problem::Problem::from)?;
    }
    let mut jurisdictions =
        vec![Choice { value: String::new(), label: "The whole partnership".to_owned(), selected: f.jurisdiction.is_empty() }];
    jurisdictions.extend(Jurisdiction::ALL.iter().map(|j| Choice {
        value: j.as_str().to_owned(),
        label: j.words().to_owned(),
        selected: f.jurisdiction == j.as_str(),
    }));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render(status, &ReportPage { chrome: page.chrome, from: from_text, to: to_text, jurisdictions, csv: f.format == "csv", errors }))
}
