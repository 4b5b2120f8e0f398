//! The auditors' pages: verifying the audit trail's hash chain, and who read or tried to read a
//! case — the API's `/audit/verify` and `/cases/{id}/access-log`, by the same functions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::ids::CaseId;
use fourthp_domain::paging::Limit;
use serde::Deserialize;

use super::view::london_time;
use super::{render, Chrome, FieldError, Page, PageError, PageForm};
use crate::app::{self, audit::auditors_only, AppError};
use crate::pages::account::CsrfOnly;
use crate::state::AppState;
use fourthp_domain::audit::Purpose;
use fourthp_domain::principal::Role;
use fourthp_domain::words::Words;

pub struct AccessRow {
    pub when: String,
    pub who: String,
    pub role: String,
    pub what: String,
    pub outcome: String,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    verified: Option<Verified>,
    case: String,
    accesses: Option<Vec<AccessRow>>,
    next: Option<String>,
    errors: Vec<FieldError>,
}

impl AuditPage {
    fn error(&self, field: &str) -> Option<&str> {
        super::error_for(&self.errors, field)
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    case: String,
    cursor: Option<String>,
}

/// What verifying the chain found, as the page shows it.
pub struct Verified {
    pub valid: bool,
    pub records: u64,
    pub head_seq: i64,
    pub head_hash: String,
    pub pending: i64,
    pub orphans: i64,
    pub first_break: Option<i64>,
}

type AccessLog = (
    fourthp_domain::paging::Page<fourthp_persistence::audit::AuditRecord, fourthp_domain::ids::AuditId>,
    std::collections::HashMap<String, String>,
);

/// A page of a case's access log (the cursor is the last record's id), with the names of the
/// people in it.
async fn access_log(caller: &crate::auth::Caller, state: &AppState, id: CaseId, cursor: Option<&str>) -> Result<AccessLog, AppError> {
    let after = cursor.and_then(|c| fourthp_domain::ids::AuditId::parse(c).ok());
    let limit = Limit::clamped(50);
    let list = app::audit::access_log(caller, state, id, limit, after).await?;
    let names = app::audit::names(state, &list.items).await?;
    Ok((list, names))
}

/// The auditors' home: the chain's verification (on request) and a case's access log.
pub async fn home(page: Page, state: web::Data<AppState>, query: web::Query<AuditQuery>) -> Result<HttpResponse, PageError> {
    auditors_only(&page.caller)?;
    let q = query.into_inner();
    let mut body =
        AuditPage { chrome: page.chrome, verified: None, case: q.case.trim().to_owned(), accesses: None, next: None, errors: Vec::new() };
    if !body.case.is_empty() {
        // A reference ("2026-000123") or the case's id.
        let id = match fourthp_domain::case::CaseReference::parse(&body.case) {
            Ok(reference) => match app::audit::case_by_reference(&page.caller, &state, &reference).await {
                Ok(id) => Ok(id),
                Err(AppError::NotFound) => Err("No case has this reference"),
                Err(e) => return Err(e.into()),
            },
            Err(_) => CaseId::parse(&body.case).map_err(|_| "Enter the case's reference, like 2026-000123, or its id"),
        };
        match id {
            Err(message) => body.errors.push(FieldError::new("case", message)),
            Ok(id) => match access_log(&page.caller, &state, id, q.cursor.as_deref()).await {
                Ok((list, names)) => {
                    body.next = list.next.map(|id| id.to_string());
                    body.accesses = Some(
                        list.items
                            .iter()
                            .map(|r| AccessRow {
                                when: london_time(r.recorded_at),
                                who: names.get(&r.agent_sub).cloned().unwrap_or_else(|| r.agent_sub.clone()),
                                role: Role::parse(&r.agent_role).map_or_else(|| r.agent_role.clone(), |x| x.words().to_owned()),
                                what: format!("{}: {}", r.entity_type.words(), r.action.words().to_lowercase()),
                                outcome: r.outcome.words().to_owned(),
                                purpose: r.purpose.as_deref().and_then(Purpose::parse).map(|x| x.words().to_owned()).unwrap_or_default(),
                            })
                            .collect(),
                    );
                }
                Err(AppError::NotFound) => body.errors.push(FieldError::new("case", "No case has this id")),
                Err(e) => return Err(e.into()),
            },
        }
    }
    let status = if body.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render(status, &body))
}

/// Verifies the whole chain now and shows the result.
pub async fn verify(form: PageForm<CsrfOnly>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let report = app::audit::verify(&page.caller, &state).await?;
    let verified = Verified {
        valid: report.is_valid(),
        records: report.records,
        head_seq: report.head_seq,
        head_hash: report.head_hash.iter().map(|b| format!("{b:02x}")).collect(),
        pending: report.pending,
        orphans: report.orphans,
        first_break: report.first_break.map(|b| b.seq),
    };
    let body =
        AuditPage { chrome: page.chrome, verified: Some(verified), case: String::new(), accesses: None, next: None, errors: Vec::new() };
    Ok(render(StatusCode::OK, &body))
}
