//! The day's work: each role's home, the coordinators' "what is due", the partners' "what we
//! owe" — over the same use cases as the API's deadline queue and action list.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use fourthp_domain::action::{ActionChange, ActionNote};
use fourthp_domain::ids::ActionId;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use fourthp_domain::time::{is_bst, london_date};
use fourthp_persistence::actions::ActionFilter;
use fourthp_persistence::deadlines::QueueFilter;
use serde::Deserialize;

use super::{error_for, field_errors, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::problem::Problem;
use crate::routes::actions::{close_action as close, visible_actions};
use crate::routes::deadlines::due as queue;
use crate::state::AppState;

/// The navigation each role sees.
pub fn nav_for(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = match role {
        Role::Coordinator => vec![("/app/due", "What is due"), ("/app/cases", "Cases"), ("/app/reports", "Outcome report")],
        Role::Partner => vec![("/app/owed", "What we owe"), ("/app/cases", "Our cases")],
        Role::Commissioner => vec![("/app/reports", "Outcome report")],
        Role::Auditor => vec![("/app/audit", "Audit trail")],
        Role::Admin => {
            vec![("/app/admin/users", "Accounts"), ("/app/admin/agencies", "Agencies"), ("/app/admin/api-clients", "API clients")]
        }
    };
    nav.push(("/app/sessions", "Your sessions"));
    nav
}

/// An instant as people in the UK read it: "2 December 2026, 14:05".
pub fn london_time(at: DateTime<Utc>) -> String {
    let local = at + if is_bst(at) { Duration::hours(1) } else { Duration::zero() };
    local.format("%-d %B %Y, %H:%M").to_string()
}

/// A date as people in the UK read it: "2 December 2026".
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// Each role's home after sign-in.
pub async fn home(page: Page) -> HttpResponse {
    match page.caller.principal().role {
        Role::Coordinator => see_other("/app/due"),
        Role::Partner => see_other("/app/owed"),
        Role::Commissioner => see_other("/app/reports"),
        Role::Auditor => see_other("/app/audit"),
        Role::Admin => see_other("/app/admin/users"),
    }
}

pub struct DueRow {
    pub case_id: String,
    pub case_reference: String,
    pub what: String,
    pub due: String,
    pub explanation: String,
    pub stage: String,
}

#[derive(Template)]
#[template(path = "due.html")]
struct DuePage {
    chrome: Chrome,
    overdue: Vec<DueRow>,
    this_week: Vec<DueRow>,
    later: Vec<DueRow>,
    mine_only: bool,
    more: bool,
    rules: Vec<super::case::Choice>,
    stages: Vec<(String, String, i64)>,
}

#[derive(Debug, Deserialize)]
pub struct DueQuery {
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    rule: Option<String>,
}

/// The coordinator's home: overdue first, then due this week, then the rest, each with its
/// explanation (the deadline queue, in due-date order).
pub async fn due(page: Page, state: web::Data<AppState>, query: web::Query<DueQuery>) -> Result<HttpResponse, PageError> {
    let mine_only = query.mine.as_deref() == Some("1");
    let lead = mine_only.then(|| page.caller.principal().subject.clone());
    let mut rule_ids: Vec<&str> = state.rules.book.rule_ids();
    rule_ids.push("action_due");
    rule_ids.sort_unstable();
    // Only a rule the book has: anything else shows every rule.
    let rule = query.rule.as_deref().filter(|r| rule_ids.contains(r)).map(str::to_owned);
    let mut rules = vec![super::case::Choice { value: String::new(), label: "Every rule".to_owned(), selected: rule.is_none() }];
    rules.extend(rule_ids.iter().map(|r| super::case::Choice {
        value: (*r).to_owned(),
        label: r.replace('_', " "),
        selected: rule.as_deref() == Some(*r),
    }));
    let stages = crate::routes::cases::stage_counts(&page.caller, &state, lead.as_ref())
        .await?
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), s.as_str().replace('_', " "), n))
        .collect();
    let filter = QueueFilter { statuses: Vec::new(), due_before: None, rule: rule.clone(), lead };
    let limit = Limit::parse(Some(200)).map_err(|_| Problem::internal())?;
    let items = queue(&page.caller, &state, &filter, limit, None).await?;
    let today = london_date(page.caller.ctx.at);
    let week = today + Duration::days(7);
    let (mut overdue, mut this_week, mut later) = (Vec::new(), Vec::new(), Vec::new());
    for i in &items.items {
        let d = &i.deadline;
        let row = DueRow {
            case_id: d.case_id.to_string(),
            case_reference: d.case_reference.as_str().to_owned(),
            what: d.rule_id.replace('_', " "),
            due: long_date(d.due_on),
            explanation: d.explanation.clone(),
            stage: i.stage.as_str().replace('_', " "),
        };
        match d.due_on {
            on if on < today => overdue.push(row),
            on if on <= week => this_week.push(row),
            _ => later.push(row),
        }
    }
    let more = items.next.is_some();
    Ok(render(StatusCode::OK, &DuePage { chrome: page.chrome, overdue, this_week, later, mine_only, more, rules, stages }))
}

impl OwedRow {
    pub fn new(a: &fourthp_domain::action::Action, today: NaiveDate) -> Self {
        OwedRow {
            id: a.id.to_string(),
            version: a.version,
            description: a.details.description.as_str().to_owned(),
            due: long_date(a.details.due_on),
            overdue: a.is_overdue(today),
        }
    }
}

pub struct OwedRow {
    pub id: String,
    pub version: i32,
    pub description: String,
    pub due: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "owed.html")]
struct OwedPage {
    chrome: Chrome,
    actions: Vec<OwedRow>,
    errors: Vec<FieldError>,
    closed: bool,
    /// Where the next page starts (`<due date>_<action id>`).
    next: Option<String>,
}

impl OwedPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// Actions shown on one page of "what we owe" (each comes with its form: the page stays light).
const OWED_PER_PAGE: i64 = 40;

async fn owed_page(
    page: Page,
    state: &AppState,
    errors: Vec<FieldError>,
    closed: bool,
    after: Option<(NaiveDate, ActionId)>,
) -> Result<OwedPage, PageError> {
    let today = london_date(page.caller.ctx.at);
    let filter = ActionFilter {
        case: None,
        owner: None,
        on_team_of: None,
        status: Some(fourthp_domain::action::ActionStatus::Open),
        overdue_on: None,
    };
    let limit = Limit::parse(Some(OWED_PER_PAGE)).map_err(|_| Problem::internal())?;
    let listed = visible_actions(&page.caller, state, filter, limit, after).await?;
    let next = listed.next.map(|(d, id)| format!("{d}_{id}"));
    let actions: Vec<OwedRow> = listed.items.iter().map(|a| OwedRow::new(a, today)).collect();
    // In due-date order: the overdue come first, on the first pages.
    Ok(OwedPage { chrome: page.chrome, actions, errors, closed, next })
}

/// The partner's home: the open actions their agency owes, overdue first, each to complete
/// with a note or cancel with a reason.
pub async fn owed(page: Page, state: web::Data<AppState>, query: web::Query<OwedQuery>) -> Result<HttpResponse, PageError> {
    let closed = query.closed.as_deref() == Some("1");
    let after = query.after.as_deref().and_then(|a| {
        let (d, id) = a.split_once('_')?;
        Some((NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?, ActionId::parse(id).ok()?))
    });
    Ok(render(StatusCode::OK, &owed_page(page, &state, Vec::new(), closed, after).await?))
}

#[derive(Debug, Deserialize)]
pub struct OwedQuery {
    #[serde(default)]
    closed: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    version: Option<i32>,
}

/// Completes an action with a note, or says why it will not be done (cancels it with a reason).
pub async fn close_action(form: PageForm<CloseForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: form, page, .. } = form;
    let f = form;
    let id = ActionId::parse(&id).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let field = format!("note-{id}");
    let refuse = |message: &str| vec![FieldError::new(&field, message.to_owned())];
    let errors = match ActionNote::parse(&f.note) {
        Err(e) => refuse(&format!("Enter a note: it {e}")),
        Ok(note) => {
            let change = match f.outcome.as_str() {
                "done" => Some(ActionChange::Complete { note }),
                "cancelled" => Some(ActionChange::Cancel { reason: note }),
                _ => None,
            };
            match change {
                None => refuse("Choose whether it is done or will not be done"),
                Some(change) => match close(&page.caller, &state, id, f.version, change).await {
                    // Back to where it was closed from: the case page for coordinators.
                    Ok(action) if page.caller.principal().role == Role::Coordinator => {
                        return Ok(see_other(&format!("/app/cases/{}", action.case_id)))
                    }
                    Ok(_) => return Ok(see_other("/app/owed?closed=1")),
                    Err(p)
                        if p.status == StatusCode::CONFLICT
                            || p.status == StatusCode::PRECONDITION_FAILED
                            || p.status == StatusCode::UNPROCESSABLE_ENTITY =>
                    {
                        field_errors(&p, &field, |_| None)
                    }
                    Err(p) => return Err(p.into()),
                },
            }
        }
    };
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &owed_page(page, &state, errors, false, None).await?))
}
