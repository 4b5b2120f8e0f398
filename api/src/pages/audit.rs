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
use crate::pages::account::CsrfOnly;
use crate::routes::audit::{auditors_only, case_access_log, case_by_reference, verify_chain, VerifyResponse};
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
    verified: Option<VerifyResponse>,
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

/// The auditors' home: the chain's verification (on request) and a case's access log.
pub async fn home(page: Page, state: web::Data<AppState>, query: web::Query<AuditQuery>) -> Result<HttpResponse, PageError> {
    auditors_only(&page.caller)?;
    let q = query.into_inner();
    let mut body =
        AuditPage { chrome: page.chrome, verified: None, case: q.case.trim().to_owned(), accesses: None, next: None, errors: Vec::new() };
    if !body.case.is_empty() {
        // A reference ("2026-000123") or the case's id.
        let id = match fourthp_domain::case::CaseReference::parse(&body.case) {
            Ok(reference) => match case_by_reference(&page.caller, &state, &reference).await {
                Ok(id) => Ok(id),
                Err(p) if p.status == StatusCode::NOT_FOUND => Err("No case has this reference"),
                Err(p) => return Err(p.into()),
            },
            Err(_) => CaseId::parse(&body.case).map_err(|_| "Enter the case's reference, like 2026-000123, or its id"),
        };
        match id {
            Err(message) => body.errors.push(FieldError::new("case", message)),
            Ok(id) => match case_access_log(&page.caller, &state, id, Limit::parse(Some(50)).ok(), q.cursor.as_deref()).await {
                Ok(list) => {
                    body.next = list.next_cursor;
                    body.accesses = Some(
                        list.items
                            .iter()
                            .map(|r| AccessRow {
                                when: london_time(r.recorded_at),
                                who: r.agent_sub.clone(),
                                role: Role::parse(&r.agent_role).map_or_else(|| r.agent_role.clone(), |x| x.words().to_owned()),
                                what: format!("{}: {}", r.entity_type.words(), r.action.words().to_lowercase()),
                                outcome: r.outcome.words().to_owned(),
                                purpose: r.purpose.as_deref().and_then(Purpose::parse).map(|x| x.words().to_owned()).unwrap_or_default(),
                            })
                            .collect(),
                    );
                }
                Err(p) if p.status == StatusCode::NOT_FOUND => body.errors.push(FieldError::new("case", "No case has this id")),
                Err(p) => return Err(p.into()),
            },
        }
    }
    let status = if body.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render(status, &body))
}

/// Verifies the whole chain now and shows the result.
pub async fn verify(form: PageForm<CsrfOnly>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let verified = verify_chain(&page.caller, &state).await?;
    let body =
        AuditPage { chrome: page.chrome, verified: Some(verified), case: String::new(), accesses: None, next: None, errors: Vec::new() };
    Ok(render(StatusCode::OK, &body))
}
