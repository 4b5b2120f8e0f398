//! The network's challenge board: the board, raising a challenge (with the warning before
//! anything that looks like a person's details is saved), and a challenge's page with its
//! decisions and the network's actions; coordinators decide and give out actions there.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::challenge::{next_steps, ChallengeStatus, Urgency};
use fourthp_domain::ids::{AgencyId, ChallengeId, MeetingId};
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use fourthp_domain::time::london_date;
use fourthp_domain::words::{long_date, Words};
use serde::Deserialize;

use super::view::{choices, london_time, Choice};
use super::{error_for, form, page_response, render, see_other, sent, Chrome, FieldError, Page, PageError, PageForm, Sent};
use crate::app::challenges::{DecisionFields, RaiseFields};
use crate::app::interventions::FollowUp;
use crate::app::{self, AppError};
use crate::extract::idempotency_key;
use crate::problem::Problem;
use crate::state::AppState;

fn challenge_id(raw: &str) -> Result<ChallengeId, PageError> {
    ChallengeId::parse(raw).map_err(|_| PageError::Problem(Problem::not_found()))
}

pub struct BoardRow {
    pub id: String,
    pub label: String,
    pub title: String,
    pub urgency: &'static str,
    pub status: &'static str,
    pub raised: String,
}

#[derive(Template)]
#[template(path = "challenges.html")]
struct BoardPage {
    chrome: Chrome,
    rows: Vec<BoardRow>,
    statuses: Vec<Choice>,
    more: Option<String>,
    status: String,
}

impl BoardPage {
    /// The filter has no error of its own: an unknown status shows every challenge.
    fn no_error(&self) -> Option<&str> {
        None
    }
}

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    before: Option<i64>,
}

/// The board, newest first, narrowed by status.
pub async fn board(page: Page, state: web::Data<AppState>, q: web::Query<BoardQuery>) -> Result<HttpResponse, PageError> {
    let status = ChallengeStatus::parse(&q.status);
    let list = app::challenges::board(&page.caller, &state, status, Limit::clamped(50), q.before).await?;
    let rows = list
        .items
        .iter()
        .map(|c| BoardRow {
            id: c.id.to_string(),
            label: c.label(),
            title: c.details.title.to_string(),
            urgency: c.details.urgency.words(),
            status: c.status.words(),
            raised: long_date(london_date(c.raised_at)),
        })
        .collect();
    let more = list.next.map(|n| format!("/app/challenges?status={}&before={n}", q.status));
    let body = BoardPage {
        chrome: page.chrome,
        rows,
        statuses: super::view::filter_choices("Any", ChallengeStatus::ALL, &q.status),
        more,
        status: q.status.clone(),
    };
    Ok(render(StatusCode::OK, &body))
}

#[derive(Debug, Default, Deserialize)]
pub struct RaiseForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    cases: String,
    #[serde(default)]
    confirm: Option<String>,
}

#[derive(Template)]
#[template(path = "challenge_new.html")]
struct RaisePage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    form: RaiseForm,
    urgencies: Vec<Choice>,
    sectors: Vec<Choice>,
    /// Coordinators and partners on cases may link cases.
    warned: bool,
}

impl RaisePage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn sector_choices(ticked: &[&str]) -> Vec<Choice> {
    AgencyKind::ALL
        .iter()
        .map(|k| Choice { value: k.as_str().to_owned(), label: k.words().to_owned(), selected: ticked.contains(&k.as_str()) })
        .collect()
}

fn raise_page(page: Page, form: RaiseForm, ticked: &[&str], errors: Vec<FieldError>, warned: bool) -> HttpResponse {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let urgencies = choices(Urgency::ALL, if form.urgency.is_empty() { "routine" } else { &form.urgency });
    render(status, &RaisePage { chrome: page.chrome, errors, urgencies, sectors: sector_choices(ticked), form, warned })
}

pub async fn new_challenge(page: Page) -> Result<HttpResponse, PageError> {
    if fourthp_domain::access::challenge_access(page.caller.principal().role, fourthp_domain::access::ChallengeAction::Raise).is_err() {
        return Err(PageError::Problem(Problem::forbidden()));
    }
    Ok(raise_page(page, RaiseForm::default(), &[], Vec::new(), false))
}

/// Raises the challenge; a warning about personal data shows the form again with what was
/// found, and a box to confirm.
pub async fn raise(form: PageForm<RaiseForm>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, request } = form;
    let ticked: Vec<&str> = request.all("sectors");
    let fields = RaiseFields {
        title: f.title.clone(),
        description: f.description.clone(),
        urgency: f.urgency.clone(),
        sectors: ticked.iter().map(|s| (*s).to_owned()).collect(),
        agencies: Vec::new(),
        cases: f.cases.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        personal_data_confirmed: f.confirm.is_some(),
    };
    match app::challenges::raise(&page.caller, &state, fields).await {
        Ok(c) => Ok(see_other(&format!("/app/challenges/{}", c.id))),
        Err(e) => {
            let warned = matches!(&e, AppError::Conflict { kind: "personal-data", .. });
            let map = |field: &str| match field {
                "title" => Some("title"),
                "description" => Some("description"),
                "urgency" => Some("urgency"),
                f if f.starts_with("cases") => Some("cases"),
                f if f.starts_with("sectors") => Some("sectors"),
                _ => None,
            };
            let errors = form::form_errors(e, "title", map)?;
            let ticked: Vec<&str> = ticked.to_vec();
            Ok(raise_page(page, f, &ticked, errors, warned))
        }
    }
}

pub struct DecisionRow {
    pub to: &'static str,
    pub note: Option<String>,
    pub by: String,
    pub at: String,
}

pub struct ActionRow {
    pub description: String,
    pub owner: String,
    pub due: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "challenge.html")]
struct ChallengePage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    id: String,
    version: i32,
    label: String,
    title: String,
    description: String,
    urgency: &'static str,
    status: &'static str,
    note: Option<String>,
    sectors: String,
    raised: String,
    decisions: Vec<DecisionRow>,
    actions: Vec<ActionRow>,
    /// Coordinators: the linked cases (link, reference).
    cases: Option<Vec<(String, String)>>,
    may_decide: bool,
    steps: Vec<Choice>,
    may_give_actions: bool,
    agencies: Vec<Choice>,
    idempotency_key: String,
    typed: ActionForm,
    /// The meeting the decisions and actions are recorded at (opened from its agenda).
    meeting: Option<String>,
}

impl ChallengePage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn challenge_page(
    page: Page,
    state: &AppState,
    id: ChallengeId,
    errors: Vec<FieldError>,
    typed: ActionForm,
    meeting: Option<MeetingId>,
) -> Result<HttpResponse, PageError> {
    let v = app::challenges::get(&page.caller, state, id).await?;
    let (agencies, _) = app::agencies::readable(&page.caller, state, Limit::clamped(200), None).await?;
    let name_of = |a: AgencyId| agencies.items.iter().find(|x| x.id == a).map_or_else(|| "An agency".to_owned(), |x| x.name.to_string());
    let today = london_date(page.caller.ctx.at);
    let c = &v.challenge;
    let may_decide = page.caller.principal().role == Role::Coordinator;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = ChallengePage {
        id: c.id.to_string(),
        version: c.version,
        label: c.label(),
        title: c.details.title.to_string(),
        description: c.details.description.to_string(),
        urgency: c.details.urgency.words(),
        status: c.status.words(),
        note: c.note.as_ref().map(ToString::to_string),
        sectors: c.details.sectors.iter().map(|s| s.words()).collect::<Vec<_>>().join(", "),
        raised: long_date(london_date(c.raised_at)),
        decisions: v
            .decisions
            .iter()
            .map(|d| DecisionRow {
                to: d.to.words(),
                note: d.note.clone(),
                by: d.by_agency.clone().unwrap_or_else(|| "The network".to_owned()),
                at: london_time(d.at),
            })
            .collect(),
        actions: v
            .actions
            .iter()
            .map(|a| ActionRow {
                description: a.details.description.to_string(),
                owner: name_of(a.details.owner_agency_id),
                due: long_date(a.details.due_on),
                status: match &a.closure {
                    Some(cl) => format!("{}: {}", a.status().words(), cl.note),
                    None if a.is_overdue(today) => "Overdue".to_owned(),
                    None => a.status().words().to_owned(),
                },
            })
            .collect(),
        cases: v.cases.map(|cs| cs.iter().map(|(id, r)| (format!("/app/cases/{id}"), r.as_str().to_owned())).collect()),
        may_decide,
        steps: next_steps(c.status)
            .iter()
            .map(|s| Choice { value: s.as_str().to_owned(), label: step_words(*s).to_owned(), selected: false })
            .collect(),
        may_give_actions: may_decide
            && matches!(c.status, ChallengeStatus::Accepted | ChallengeStatus::BeingWorked | ChallengeStatus::Escalated),
        agencies: agencies
            .items
            .iter()
            .filter(|a| a.active)
            .map(|a| Choice { value: a.id.to_string(), label: a.name.to_string(), selected: typed.owner == a.id.to_string() })
            .collect(),
        idempotency_key: if typed.idempotency_key.is_empty() { uuid::Uuid::now_v7().to_string() } else { typed.idempotency_key.clone() },
        typed,
        errors,
        meeting: meeting.map(|m| m.to_string()),
        chrome: page.chrome,
    };
    Ok(render(status, &body))
}

/// The meeting a form names (from the agenda it was opened from).
fn meeting_of(raw: &str) -> Result<Option<MeetingId>, PageError> {
    if raw.is_empty() {
        return Ok(None);
    }
    MeetingId::parse(raw).map(Some).map_err(|_| PageError::Problem(Problem::not_found()))
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    meeting: String,
}

/// A decision as the form offers it.
fn step_words(s: ChallengeStatus) -> &'static str {
    match s {
        ChallengeStatus::Raised => "Raised",
        ChallengeStatus::Accepted => "Accept it for the network",
        ChallengeStatus::Declined => "Decline it (say why)",
        ChallengeStatus::BeingWorked => "The network is working on it",
        ChallengeStatus::Resolved => "Resolved (say what changed)",
        ChallengeStatus::Escalated => "Take it to the national forum (say why)",
    }
}

pub async fn show(
    page: Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    let id = challenge_id(&id)?;
    let meeting = meeting_of(&q.meeting)?;
    challenge_page(page, &state, id, Vec::new(), ActionForm::default(), meeting).await
}

fn back_to(id: ChallengeId, meeting: Option<MeetingId>) -> String {
    match meeting {
        Some(m) => format!("/app/challenges/{id}?meeting={m}"),
        None => format!("/app/challenges/{id}"),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    version: Option<i32>,
    #[serde(default)]
    meeting: String,
}

pub async fn decide(form: PageForm<DecisionForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let id = challenge_id(&id)?;
    let meeting = meeting_of(&f.meeting)?;
    let fields = DecisionFields { to: f.to, note: f.note, meeting };
    let decided = match app::challenges::parse_decision(&fields) {
        Ok(change) => app::challenges::decide(&page.caller, &state, id, f.version, change, meeting).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match decided {
        Ok(()) => Ok(see_other(&back_to(id, meeting))),
        Err(e) => {
            let map = |field: &str| match field {
                "note" => Some("note"),
                _ => Some("to"),
            };
            let errors = form::form_errors(e, "to", map)?;
            challenge_page(page, &state, id, errors, ActionForm::default(), meeting).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    meeting: String,
}

pub async fn give_action(form: PageForm<ActionForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: mut f, page, request } = form;
    let id = challenge_id(&id)?;
    let meeting = meeting_of(&f.meeting)?;
    let Ok(owner) = AgencyId::parse(&f.owner) else {
        let errors = vec![FieldError::new("owner", "Owed by: choose the agency that owes it")];
        return challenge_page(page, &state, id, errors, f, meeting).await;
    };
    let follow_up = FollowUp { description: f.description.clone(), owner, due_on: f.due_on.clone() };
    let key = (!f.idempotency_key.is_empty()).then(|| idempotency_key(&page.caller, f.idempotency_key.clone(), request.hash));
    let written =
        app::challenges::add_action(&page.caller, &state, id, key.as_ref(), follow_up, meeting, |_| page_response(back_to(id, meeting)))
            .await;
    let map = |field: &str| match field {
        "description" => Some("description"),
        "due_on" => Some("due_on"),
        _ => Some("owner"),
    };
    match sent(written, &mut f.idempotency_key, "description", map)? {
        Sent::Now(_) | Sent::Before(_) => Ok(see_other(&back_to(id, meeting))),
        Sent::Refused(errors) => challenge_page(page, &state, id, errors, f, meeting).await,
    }
}
