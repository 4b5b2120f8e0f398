//! Subject access pages: the requests not yet answered (and a case found by its reference),
//! and a case's page: its requests, recording one and marking one answered, and the person's
//! copy, laid out to print.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{CaseId, SubjectAccessRequestId};
use fourthp_domain::principal::Role;
use fourthp_domain::subject_access::{standing, RequestStanding};
use fourthp_domain::time::london_date;
use fourthp_domain::words::{long_date, Words};
use fourthp_persistence::subject_access::SubjectAccessRequest;
use serde::Deserialize;

use super::case::{row, Row};
use super::form::form_errors;
use super::view::london_time;
use super::{error_for, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::app::{self, AppError};
use crate::problem::Problem;
use crate::state::AppState;

pub struct RequestRow {
    pub id: String,
    pub case_id: String,
    pub reference: String,
    pub received: String,
    pub due: String,
    pub standing: String,
    pub open: bool,
    pub overdue: bool,
}

pub(super) fn request_row(r: &SubjectAccessRequest, reference: &str, today: NaiveDate) -> RequestRow {
    let s = standing(r.due_on, r.answered_on.is_some(), today);
    RequestRow {
        id: r.id.to_string(),
        case_id: r.case_id.to_string(),
        reference: reference.to_owned(),
        received: long_date(r.received_on),
        due: long_date(r.due_on),
        standing: standing_words(s, r.answered_on),
        open: r.answered_on.is_none(),
        overdue: matches!(s, RequestStanding::Overdue { .. }),
    }
}

/// How a request stands, in words.
pub fn standing_words(s: RequestStanding, answered_on: Option<NaiveDate>) -> String {
    match (s, answered_on) {
        (RequestStanding::Answered, Some(on)) => format!("Answered on {}", long_date(on)),
        (RequestStanding::Answered, None) => "Answered".to_owned(),
        (RequestStanding::Due { days_left: 0 }, _) => "Due today".to_owned(),
        (RequestStanding::Due { days_left: 1 }, _) => "Due tomorrow".to_owned(),
        (RequestStanding::Due { days_left }, _) => format!("Due in {days_left} days"),
        (RequestStanding::Overdue { days_over: 1 }, _) => "Overdue by 1 day".to_owned(),
        (RequestStanding::Overdue { days_over }, _) => format!("Overdue by {days_over} days"),
    }
}

#[derive(Template)]
#[template(path = "subject_access_list.html")]
struct ListPage {
    chrome: Chrome,
    open: Vec<RequestRow>,
    reference: String,
    errors: Vec<FieldError>,
}

impl ListPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct FindQuery {
    #[serde(default)]
    reference: String,
}

/// The requests not yet answered, soonest due first, and a case found by the reference on the
/// person's letter.
pub async fn list(page: Page, state: web::Data<AppState>, q: web::Query<FindQuery>) -> Result<HttpResponse, PageError> {
    let reference = q.into_inner().reference.trim().to_owned();
    let mut errors = Vec::new();
    if !reference.is_empty() {
        match CaseReference::parse(&reference) {
            Err(_) => errors.push(FieldError::new("reference", "Enter the case's reference, like 2026-000123")),
            Ok(r) => match app::subject_access::case_by_reference(&page.caller, &state, &r).await {
                Ok(id) => return Ok(see_other(&format!("/app/cases/{id}/subject-access"))),
                Err(AppError::NotFound) => errors.push(FieldError::new("reference", "No case has this reference")),
                Err(e) => return Err(e.into()),
            },
        }
    }
    let open = app::subject_access::open(&page.caller, &state).await?;
    let today = london_date(page.caller.ctx.at);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = ListPage {
        chrome: page.chrome,
        open: open.iter().map(|(r, reference)| request_row(r, reference.as_str(), today)).collect(),
        reference,
        errors,
    };
    Ok(render(status, &body))
}

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct ReadRow {
    pub who: String,
    pub reads: i64,
    pub refused: i64,
    pub first: String,
    pub last: String,
}

#[derive(Template)]
#[template(path = "subject_access.html")]
struct CopyPage {
    chrome: Chrome,
    case_id: String,
    reference: String,
    requests: Vec<RequestRow>,
    received_on: String,
    errors: Vec<FieldError>,
    about: String,
    person: Vec<Fact>,
    team: Vec<(String, String)>,
    timeline: Vec<Row>,
    reads: Vec<ReadRow>,
    retention: String,
    prepared: String,
}

impl CopyPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.to_owned()
}

async fn copy_page(
    page: Page,
    state: &AppState,
    id: CaseId,
    received_on: String,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let copy = app::subject_access::copy(&page.caller, state, id).await?;
    let today = copy.prepared_on;
    let c = &copy.record.case;
    let d = &c.details;
    let names: HashMap<uuid::Uuid, String> = copy.agencies.iter().map(|(k, v)| (k.into_uuid(), v.clone())).collect();
    let name = |id: uuid::Uuid| names.get(&id).cloned().unwrap_or_else(|| "An agency no longer in the network".to_owned());
    let list = |items: Vec<String>| if items.is_empty() { "None recorded".to_owned() } else { items.join(", ") };
    let person = vec![
        Fact { label: "Reference", value: c.reference.as_str().to_owned() },
        Fact { label: "Known as", value: d.known_as.as_str().to_owned() },
        Fact {
            label: "Born",
            value: match (d.birth.date(), d.birth.year()) {
                (Some(date), _) => long_date(date),
                (None, Some(year)) => format!("In {year}"),
                (None, None) => "Not known".to_owned(),
            },
        },
        Fact { label: "Treated as a child", value: yes_no(d.presumed_child) },
        Fact { label: "Gender", value: d.gender.words().to_owned() },
        Fact { label: "Nationalities", value: list(d.nationalities.iter().map(|n| n.name().to_owned()).collect()) },
        Fact { label: "Languages", value: list(d.languages.iter().map(|n| n.name().to_owned()).collect()) },
        Fact { label: "Needs an interpreter", value: yes_no(d.interpreter_needed) },
        Fact { label: "Kinds of exploitation", value: list(d.exploitation_types.iter().map(|x| x.words().to_owned()).collect()) },
        Fact { label: "County lines", value: yes_no(d.county_lines) },
        Fact { label: "Law that applies", value: d.jurisdiction.words().to_owned() },
        Fact { label: "Local authority area", value: d.local_authority.as_str().to_owned() },
        Fact { label: "Consent to the NRM referral", value: d.consent.nrm.words().to_owned() },
        Fact { label: "Consent to share information", value: d.consent.data_sharing.words().to_owned() },
        Fact { label: "Consent recorded on", value: long_date(d.consent.recorded_on) },
        Fact { label: "Where the case stands", value: c.stage_on(today).words().to_owned() },
        Fact { label: "Case opened", value: london_time(c.created_at) },
    ];
    let team = c
        .team
        .iter()
        .map(|m| (name(m.agency_id.into_uuid()), m.role.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default()))
        .collect();
    let all = |_| true;
    let timeline = copy.record.timeline().iter().map(|e| row(e, &name, &state.rules.book, &all, today)).collect();
    let reads = copy
        .reads
        .iter()
        .map(|r| {
            let role = Role::parse(&r.role).map_or_else(|| r.role.clone(), |x| x.words().to_owned());
            ReadRow {
                who: match r.agency {
                    Some(a) => format!("{} ({})", copy.agency(a), role.to_lowercase()),
                    None => format!("FourthP's {}", role.to_lowercase()),
                },
                reads: r.reads,
                refused: r.refused,
                first: london_time(r.first),
                last: london_time(r.last),
            }
        })
        .collect();
    let retention = match copy.retained_until {
        Some(on) => format!("The person's details will be redacted on {}. {}", long_date(on), copy.retention_rule()),
        None => copy.retention_rule(),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = CopyPage {
        chrome: page.chrome,
        case_id: c.id.to_string(),
        reference: c.reference.as_str().to_owned(),
        requests: copy.requests.iter().map(|r| request_row(r, c.reference.as_str(), today)).collect(),
        received_on: if received_on.is_empty() { today.to_string() } else { received_on },
        errors,
        about: copy.about(),
        person,
        team,
        timeline,
        reads,
        retention,
        prepared: long_date(today),
    };
    Ok(render(status, &body))
}

fn case_id(raw: &str) -> Result<CaseId, PageError> {
    CaseId::parse(raw).map_err(|_| PageError::Problem(Problem::not_found()))
}

/// A case's requests and the person's copy.
pub async fn show(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = case_id(&id)?;
    copy_page(page, &state, id, String::new(), Vec::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    received_on: String,
}

/// Records a request received on the day given.
pub async fn record(form: PageForm<RequestForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let id = case_id(&id)?;
    let result = match crate::query::parse_date(f.received_on.trim()) {
        Ok(on) => app::subject_access::request(&page.caller, &state, id, on).await,
        Err(_) => Err(AppError::invalid("received_on", "must be a date, like 2026-12-01")),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/app/cases/{id}/subject-access"))),
        Err(e) => {
            let errors = form_errors(e, "received_on", |_| Some("received_on"))?;
            copy_page(page, &state, id, f.received_on, errors).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AnsweredForm {}

/// Marks a request answered today.
pub async fn answered(
    form: PageForm<AnsweredForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let (case, request) = path.into_inner();
    let id = case_id(&case)?;
    let request = SubjectAccessRequestId::parse(&request).map_err(|_| PageError::Problem(Problem::not_found()))?;
    match app::subject_access::answer(&page.caller, &state, id, request).await {
        Ok(_) => Ok(see_other(&format!("/app/cases/{id}/subject-access"))),
        Err(e) => {
            let errors = form_errors(e, "received_on", |_| Some("received_on"))?;
            copy_page(page, &state, id, String::new(), errors).await
        }
    }
}
