//! A partner's view of a case their agency is on: its status (stage, key dates, the next
//! deadline, what their agency owes) and the form to log their own call, over
//! [`app::deadlines::status`]; nothing of the person's record.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use fourthp_domain::ids::CaseId;
use fourthp_domain::paging::Limit;
use fourthp_domain::time::london_date;
use fourthp_domain::words::Words;

use super::view::{long_date, Choice};
use super::{error_for, render, Chrome, FieldError, Page, PageError};
use crate::app::{self, agencies::readable as readable_agencies};
use crate::state::AppState;

use super::case::{defaults, LogForm, LogView, Row};

#[derive(Template)]
#[template(path = "case_status.html")]
struct StatusPage {
    chrome: Chrome,
    case_id: String,
    reference: String,
    stage: String,
    key_dates: Vec<(String, String)>,
    next_deadline: Option<Row>,
    owed: Vec<Row>,
    warnings: Vec<String>,
    logged: bool,
    log: LogView,
    errors: Vec<FieldError>,
}

impl StatusPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// A partner's view of a case their agency is on: the status the API gives partners (stage, key
/// dates, the next deadline, what their agency owes), nothing of the person's record.
pub(super) async fn status_page(
    page: Page,
    state: &AppState,
    id: CaseId,
    mut form: LogForm,
    errors: Vec<FieldError>,
    logged: bool,
) -> Result<HttpResponse, PageError> {
    let s = app::deadlines::status(&page.caller, state, id).await?;
    let today = london_date(page.caller.ctx.at);
    // The partner's own call about the case: any active agency at the other end.
    let limit = Limit::clamped(200);
    let (agencies, _) = readable_agencies(&page.caller, state, limit, None).await?;
    defaults(&mut form, page.caller.ctx.at, &errors);
    let counterparts = agencies
        .items
        .iter()
        .filter(|a| a.active)
        .map(|a| Choice { value: a.id.to_string(), label: a.name.as_str().to_owned(), selected: form.counterpart == a.id.to_string() })
        .collect();
    let mut key_dates = Vec::new();
    let k = &s.journey;
    for (what, date) in [
        ("Support started", k.support_started),
        ("Referred to the NRM", k.referral),
        ("Duty to notify", k.duty_to_notify),
        ("Closed", k.closed),
    ] {
        if let Some(d) = date {
            key_dates.push((what.to_owned(), long_date(d)));
        }
    }
    for (what, decision) in [("Reasonable grounds decision", &k.rg), ("Conclusive grounds decision", &k.cg)] {
        if let Some(d) = decision {
            key_dates.push((what.to_owned(), format!("{}: {}", long_date(d.date), d.outcome.words().to_lowercase())));
        }
    }
    let next_deadline = s.next_deadline.as_ref().map(|d| {
        // An agreed action's deadline says what and who; a rule's, why.
        let action = match d.source {
            fourthp_domain::deadline::DeadlineSource::Action(a) => s.owed.iter().find(|x| x.id == a),
            fourthp_domain::deadline::DeadlineSource::Event(_) => None,
        };
        let (what, detail) = match action {
            Some(a) => (a.details.description.as_str().to_owned(), "Your agency agreed to this".to_owned()),
            None => (state.rules.book.rule_name(&d.rule_id), d.explanation.clone()),
        };
        Row { when: long_date(d.due_on), what, detail }
    });
    let owed = s
        .owed
        .iter()
        .map(|a| Row {
            when: long_date(a.details.due_on),
            what: a.details.description.as_str().to_owned(),
            // Only an overdue action is flagged, with how overdue it is.
            detail: if a.is_overdue(today) { super::view::how_due(a.details.due_on, today) } else { String::new() },
        })
        .collect();
    let warnings = fourthp_domain::deadline::support_warnings(&s.deadlines).into_iter().map(|w| w.message).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = StatusPage {
        chrome: page.chrome,
        case_id: id.to_string(),
        reference: s.case.reference.as_str().to_owned(),
        stage: s.case.stage_on(today).words().to_owned(),
        key_dates,
        next_deadline,
        owed,
        warnings,
        logged,
        log: LogView::new(form, counterparts),
        errors,
    };
    Ok(render(status, &body))
}
