//! The day's work: each role's home, the coordinators' "what is due", the partners' "what we
//! owe" — adapters over the use cases of [`crate::app::worklists`] and [`crate::app::actions`].

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use fourthp_domain::action::{ActionChange, ActionNote};
use fourthp_domain::ids::ActionId;
use fourthp_domain::principal::Role;
use fourthp_domain::words::Words;
use fourthp_persistence::deadlines::board::{Grouping, Window};
use serde::Deserialize;

use super::view::{action_explanation, how_due, long_date, ActionCard, Choice};
use super::{error_for, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::app::worklists::{self, BoardQuery};
use crate::app::{actions, AppError};
use crate::problem::Problem;
use crate::state::AppState;

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

/// One row of what is due.
pub struct DueRow {
    pub case_id: String,
    pub case_reference: String,
    pub stage: &'static str,
    /// The action's own words, or the rule's name.
    pub what: String,
    /// Who owes it: the agency, or nobody named for a rule's deadline (the coordinator).
    pub owed_by: Option<String>,
    pub due: String,
    pub how_due: String,
    pub why: String,
}

/// Rows under one heading: a case, or an agency.
pub struct DueGroup {
    pub heading: String,
    /// The case's page, when grouped by case.
    pub link: Option<String>,
    pub rows: Vec<DueRow>,
}

/// A window of the board, as a tab.
pub struct Tab {
    pub code: &'static str,
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "due.html")]
struct DuePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    window_label: &'static str,
    groups: Vec<DueGroup>,
    by_agency: bool,
    mine_only: bool,
    rules: Vec<Choice>,
    stages: Vec<(String, String, i64)>,
    /// The query string every link keeps (rule, mine, grouping, window), without the page.
    keep: String,
    page: u32,
    more: bool,
    /// What the network owes on its challenges (overdue or due within a week).
    network: Vec<NetworkRow>,
    /// Subject access requests not yet answered.
    subject_access: Vec<super::subject_access::RequestRow>,
}

pub struct NetworkRow {
    pub href: String,
    pub challenge: String,
    pub what: String,
    pub owed_by: String,
    pub how_due: String,
    pub due: String,
}

#[derive(Debug, Deserialize)]
pub struct DueQuery {
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    show: Option<String>,
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

fn window_of(code: &str) -> Option<Window> {
    match code {
        "overdue" => Some(Window::Overdue),
        "week" => Some(Window::ThisWeek),
        "later" => Some(Window::Later),
        _ => None,
    }
}

fn window_code(w: Window) -> &'static str {
    match w {
        Window::Overdue => "overdue",
        Window::ThisWeek => "week",
        Window::Later => "later",
    }
}

fn window_label(w: Window) -> &'static str {
    match w {
        Window::Overdue => "Overdue",
        Window::ThisWeek => "Due in the next 7 days",
        Window::Later => "Later",
    }
}

/// The coordinator's home: what is overdue, due this week or later, grouped by case or by the
/// agency that owes it, a page at a time; each row says what is due, for which case, and how
/// overdue.
pub async fn due(page: Page, state: web::Data<AppState>, query: web::Query<DueQuery>) -> Result<HttpResponse, PageError> {
    let q = query.into_inner();
    let mine_only = q.mine.as_deref() == Some("1");
    let book = &state.rules.book;
    let mut rule_ids: Vec<&str> = book.rule_ids();
    rule_ids.push(fourthp_domain::deadline::ACTION_DUE);
    // Only a rule the book has: anything else shows every rule.
    let rule = q.rule.as_deref().filter(|r| rule_ids.contains(r)).map(str::to_owned);
    let mut named: Vec<(String, &str)> = rule_ids.iter().map(|r| (book.rule_name(r), *r)).collect();
    named.sort();
    let mut rules = vec![Choice { value: String::new(), label: "Every kind".to_owned(), selected: rule.is_none() }];
    rules.extend(named.into_iter().map(|(label, r)| Choice { value: r.to_owned(), label, selected: rule.as_deref() == Some(r) }));
    let by_agency = q.by.as_deref() == Some("agency");
    let request = BoardQuery {
        window: q.show.as_deref().and_then(window_of),
        grouping: Some(if by_agency { Grouping::Agency } else { Grouping::Case }),
        page: q.page.as_deref().and_then(|p| p.parse().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1),
        rule: rule.clone(),
        lead: mine_only.then(|| page.caller.principal().subject.clone()),
    };
    let board = worklists::due_board(&page.caller, &state, request).await?;
    let stages = board.stages.iter().map(|(s, n)| (s.as_str().to_owned(), s.words().to_owned(), *n)).collect();
    let mut groups: Vec<DueGroup> = Vec::new();
    for item in &board.items {
        let d = &item.deadline;
        let (what, owed_by, why) = match &item.action {
            Some(a) => (a.description.clone(), Some(a.owner_name.clone()), action_explanation(&a.description, &a.owner_name, a.agreed_on)),
            None => (book.rule_name(&d.rule_id), None, d.explanation_without_source().to_owned()),
        };
        let (heading, link) = if by_agency {
            (owed_by.clone().unwrap_or_else(|| "Deadlines from the rules".to_owned()), None)
        } else {
            (d.case_reference.as_str().to_owned(), Some(format!("/app/cases/{}", d.case_id)))
        };
        let row = DueRow {
            case_id: d.case_id.to_string(),
            case_reference: d.case_reference.as_str().to_owned(),
            stage: item.stage.words(),
            what,
            owed_by,
            due: long_date(d.due_on),
            how_due: how_due(d.due_on, board.today),
            why,
        };
        match groups.last_mut() {
            Some(g) if g.heading == heading => g.rows.push(row),
            _ => groups.push(DueGroup { heading, link, rows: vec![row] }),
        }
    }
    // The query every link keeps: the window shown, the kind, whose, the grouping.
    let keep_with = |show: Window| {
        let mut keep = form_urlencoded::Serializer::new(String::new());
        keep.append_pair("show", window_code(show));
        if let Some(r) = &rule {
            keep.append_pair("rule", r);
        }
        if mine_only {
            keep.append_pair("mine", "1");
        }
        if by_agency {
            keep.append_pair("by", "agency");
        }
        keep.finish()
    };
    let tabs = [(Window::Overdue, board.counts.overdue), (Window::ThisWeek, board.counts.this_week), (Window::Later, board.counts.later)]
        .into_iter()
        .map(|(w, count)| Tab {
            code: window_code(w),
            href: format!("/app/due?{}", keep_with(w)),
            label: window_label(w),
            count,
            current: w == board.window,
        })
        .collect();
    let body = DuePage {
        chrome: page.chrome,
        tabs,
        window_label: window_label(board.window),
        groups,
        by_agency,
        mine_only,
        rules,
        stages,
        keep: keep_with(board.window),
        page: board.page,
        more: board.more,
        network: board
            .network
            .iter()
            .map(|o| NetworkRow {
                href: super::view::concerning_href(&o.action.on),
                challenge: fourthp_domain::challenge::label(o.number),
                what: o.action.details.description.to_string(),
                owed_by: o.owner.clone(),
                how_due: how_due(o.action.details.due_on, board.today),
                due: long_date(o.action.details.due_on),
            })
            .collect(),
        subject_access: board
            .subject_access
            .iter()
            .map(|(r, reference)| super::subject_access::request_row(r, reference.as_str(), board.today))
            .collect(),
    };
    Ok(render(StatusCode::OK, &body))
}

#[derive(Template)]
#[template(path = "owed.html")]
struct OwedPage {
    chrome: Chrome,
    actions: Vec<ActionCard>,
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

async fn owed_page(
    page: Page,
    state: &AppState,
    errors: Vec<FieldError>,
    closed: bool,
    after: Option<(NaiveDate, ActionId)>,
) -> Result<OwedPage, PageError> {
    let today = fourthp_domain::time::london_date(page.caller.ctx.at);
    let listed = worklists::owed_by_my_agency(&page.caller, state, after).await?;
    let next = listed.next.map(|(d, id)| format!("{d}_{id}"));
    let actions = listed
        .items
        .iter()
        .map(|i| {
            let who = match (&i.asked_by, &i.asked_by_agency) {
                (Some(p), Some(a)) => format!("{p} ({a})"),
                (Some(p), None) => p.clone(),
                (None, Some(a)) => a.clone(),
                (None, None) => "the victim care coordinator".to_owned(),
            };
            let how = i.channel.map(super::view::by_channel).unwrap_or_default();
            let agreed = super::view::london_time(i.agreed_at);
            ActionCard {
                case: Some(super::view::concerning_link(&i.about)),
                asked: Some(format!("Asked by {who}{how}, {agreed}")),
                ..ActionCard::new(&i.action, today)
            }
        })
        .collect();
    Ok(OwedPage { chrome: page.chrome, actions, errors, closed, next })
}

/// The partner's home: the open actions their agency owes, overdue first, each with its case,
/// who asked and when, to complete with a note or cancel with a reason.
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
    let PageForm { value: f, page, .. } = form;
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
                Some(change) => match actions::close(&page.caller, &state, id, f.version, change).await {
                    // Back to where it was closed from: the case page for coordinators.
                    Ok(action) if page.caller.principal().role == Role::Coordinator => {
                        return Ok(see_other(&super::view::concerning_href(&action.on)))
                    }
                    Ok(_) => return Ok(see_other("/app/owed?closed=1")),
                    Err(AppError::Conflict { message, .. }) => refuse(&message),
                    Err(AppError::Stale) => refuse("Someone changed this action since you opened the page: check it and try again"),
                    Err(AppError::Invalid(errs)) => errs.iter().map(|e| FieldError::new(&field, e.message.clone())).collect(),
                    Err(e) => return Err(e.into()),
                },
            }
        }
    };
    if page.caller.principal().role == Role::Coordinator {
        // A coordinator closes actions from the case page; an error there is rare enough to show
        // on the page it names.
        return Err(Problem::conflict("action-closed", errors.first().map(|e| e.message.clone()).unwrap_or_default()).into());
    }
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &owed_page(page, &state, errors, false, None).await?))
}
