//! `GET /api/v1/exports/htcds`: the period's cases for the Counter Trafficking Data
//! Collaborative, in the Human Trafficking Case Data Standard v2.0 (administrators).

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app;
use crate::auth::Caller;
use crate::problem::{Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HtcdsQuery {
    /// First day of the period: cases identified (first event, or opened) on or after it.
    #[param(required = true, value_type = String, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub from: Option<NaiveDate>,
    /// Last day of the period, inclusive.
    #[param(required = true, value_type = String, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub to: Option<NaiveDate>,
}

/// The cases identified in the period, one row each, in HTCDS v2.0 field names and value names
/// (`prs_Gender`, `prs_Birthdate` as the year of birth only, `prs_Citizenship` as ISO 3166
/// codes separated by `;`, `vic_TypeOfExploitation`, `vic_TraffickingStatus`,
/// `vic_TraffickingStatusDecisionMakingOrg`, `cas_Status`, `cas_IncomingReferralDate` as the month
/// only): no name, alias, reference or exact date. Every row's class over the quasi-identifiers
/// (age band, gender, citizenship, exploitation types, year of identification) has at least 11
/// rows; smaller classes are suppressed and counted in `FourthP-Suppressed-Rows`. Audited.
#[utoipa::path(
    tag = "data protection",
    params(HtcdsQuery),
    responses(
        (status = 200, description = "The file",
            content((String = "text/csv", example = "prs_Gender,prs_Birthdate,prs_Citizenship,vic_TypeOfExploitation,vic_TraffickingStatus,vic_TraffickingStatusDecisionMakingOrg,cas_Status,cas_IncomingReferralDate")),
            headers(
                ("FourthP-Released-Rows" = u64, description = "Rows in the file"),
                ("FourthP-Suppressed-Rows" = u64, description = "Cases identified in the period left out to keep every class at k or more"),
                ("FourthP-K" = u64, description = "The smallest class released")
            )
        ),
        ReadProblems
    ),
    security(("bearer" = []))
)]
#[get("/exports/htcds")]
pub async fn htcds_export(caller: Caller, state: web::Data<AppState>, query: ApiQuery<HtcdsQuery>) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let export = match app::exports::htcds(&caller, &state, q.from, q.to).await {
        Ok(e) => e,
        Err(app::AppError::Invalid(errs)) => return Err(super::bad_query_problem(errs)),
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", export.file_name())))
        .insert_header(("FourthP-Released-Rows", export.anonymised.rows.len().to_string()))
        .insert_header(("FourthP-Suppressed-Rows", export.anonymised.suppressed.to_string()))
        .insert_header(("FourthP-K", export.anonymised.k.to_string()))
        .body(export.csv()))
}
