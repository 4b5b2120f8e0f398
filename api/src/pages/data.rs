//! The administrators' data page: the anonymised dataset for the Counter Trafficking Data
//! Collaborative (HTCDS v2.0) for a period, downloaded as a CSV file.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::access::{data_access, DataAction};
use serde::Deserialize;

use super::form::form_errors;
use super::{error_for, render, Chrome, FieldError, Page, PageError};
use crate::app::{self, AppError};
use crate::problem::Problem;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage {
    chrome: Chrome,
    form: PeriodForm,
    errors: Vec<FieldError>,
}

impl DataPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn data_page(page: Page, form: PeriodForm, errors: Vec<FieldError>) -> HttpResponse {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &DataPage { chrome: page.chrome, form, errors })
}

/// The page, with the export's period form.
pub async fn show(page: Page) -> Result<HttpResponse, PageError> {
    data_access(page.caller.principal().role, DataAction::ExportHtcds).map_err(|d| Problem::from(AppError::from(d)))?;
    Ok(data_page(page, PeriodForm::default(), Vec::new()))
}

/// The period's file, or the page with what is wrong with the period.
pub async fn htcds(page: Page, state: web::Data<AppState>, q: web::Query<PeriodForm>) -> Result<HttpResponse, PageError> {
    let form = q.into_inner();
    let day = |raw: &str| crate::query::parse_date(raw.trim()).ok();
    let mut errors = Vec::new();
    if !form.from.trim().is_empty() && day(&form.from).is_none() {
        errors.push(FieldError::new("from", "Enter the first day as a date, like 2026-01-01"));
    }
    if !form.to.trim().is_empty() && day(&form.to).is_none() {
        errors.push(FieldError::new("to", "Enter the last day as a date, like 2026-12-31"));
    }
    if errors.is_empty() {
        match app::exports::htcds(&page.caller, &state, day(&form.from), day(&form.to)).await {
            Ok(export) => {
                return Ok(HttpResponse::Ok()
                    .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
                    .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", export.file_name())))
                    .insert_header(("FourthP-Suppressed-Rows", export.anonymised.suppressed.to_string()))
                    .body(export.csv()));
            }
            Err(e) => errors = form_errors(e, "from", |f| Some(if f == "to" { "to" } else { "from" }))?,
        }
    }
    Ok(data_page(page, form, errors))
}
