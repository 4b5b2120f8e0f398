//! A case's page for coordinators: its stage, deadlines with their explanations, team and
//! timeline, and the "log a call" form — over the same use cases as the API's timeline and
//! `POST /cases/{id}/interventions` (with its idempotency, so a double submit logs once).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use fourthp_domain::access::CaseAction;
use fourthp_domain::ids::CaseId;
use fourthp_domain::intervention::{Channel, Direction};
use fourthp_domain::need::NeedDomain;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use fourthp_domain::time::{is_bst, london_date};
use serde::Deserialize;

use super::view::{action_explanation, choices, london_time, long_date, ActionCard, Choice};
use super::{error_for, page_response, render, see_other, sent, Chrome, FieldError, Page, PageError, PageForm, Sent};
use crate::app::agencies::readable as readable_agencies;
use crate::app::{
    self,
    interventions::{FollowUp, LogFields},
};
use crate::extract::idempotency_key;
use crate::problem::Problem;
use crate::state::AppState;
use fourthp_domain::words::Words;

pub struct Row {
    pub when: String,
    pub what: String,
    pub detail: String,
}

/// An open deadline on the case page, which the coordinator may waive with a reason.
pub struct DeadlineRow {
    pub id: String,
    pub when: String,
    pub what: String,
    pub detail: String,
}

/// A need on the case page: met ones say when; open ones can be marked met.
pub struct NeedRow {
    pub id: String,
    pub version: i32,
    pub domain: String,
    pub identified: String,
    pub met: Option<String>,
}

/// The form's values as typed (shown again with its errors).
#[derive(Debug, Default, Deserialize)]
pub struct LogForm {
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub counterpart: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub need_domain: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub duration: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub follow_up_owner: String,
    #[serde(default)]
    pub follow_up_due: String,
    #[serde(default)]
    pub ask_back: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    case_id: String,
    reference: String,
    known_as: Option<String>,
    stage: String,
    team: Vec<(String, String)>,
    deadlines: Vec<DeadlineRow>,
    actions: Vec<ActionCard>,
    needs: Vec<NeedRow>,
    today: String,
    timeline: Vec<Row>,
    next_page: Option<String>,
    logged: bool,
    log: LogView,
    owners: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl CasePage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Deserialize)]
pub struct CaseQuery {
    cursor: Option<String>,
    logged: Option<String>,
}

/// "2026-12-02T09:30" as a London wall-clock time, to an instant.
fn from_london(text: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M").ok()?;
    let as_utc = naive.and_utc();
    Some(if is_bst(as_utc - Duration::hours(1)) { as_utc - Duration::hours(1) } else { as_utc })
}

fn to_london_input(at: DateTime<Utc>) -> String {
    (at + if is_bst(at) { Duration::hours(1) } else { Duration::zero() }).format("%Y-%m-%dT%H:%M").to_string()
}

/// The log form as shown: its values and the choices of each list.
pub struct LogView {
    pub form: LogForm,
    pub channels: Vec<Choice>,
    pub directions: Vec<Choice>,
    pub counterparts: Vec<Choice>,
    pub domains: Vec<Choice>,
}

impl LogView {
    pub(super) fn new(form: LogForm, counterparts: Vec<Choice>) -> Self {
        let channels = choices(Channel::ALL, &form.channel);
        let directions = choices(Direction::ALL, &form.direction);
        let domains = choices(NeedDomain::ALL, &form.need_domain);
        LogView { form, channels, directions, counterparts, domains }
    }
}

/// The log form's defaults: a phone call we made, now, five minutes, about a GP; a new
/// idempotency key unless the form is shown again with its errors (the same submission).
pub(super) fn defaults(form: &mut LogForm, now: DateTime<Utc>, errors: &[FieldError]) {
    if form.need_domain.is_empty() {
        form.need_domain = "health_gp".to_owned();
    }
    if form.channel.is_empty() {
        form.channel = "phone_call".to_owned();
    }
    if form.direction.is_empty() {
        form.direction = "outbound".to_owned();
    }
    if form.occurred_at.is_empty() {
        form.occurred_at = to_london_input(now);
    }
    if form.duration.is_empty() {
        form.duration = "5".to_owned();
    }
    if form.idempotency_key.is_empty() || errors.is_empty() {
        form.idempotency_key = uuid::Uuid::now_v7().to_string();
    }
}

async fn case_page(
    page: Page,
    state: &AppState,
    id: CaseId,
    cursor: Option<String>,
    mut form: LogForm,
    errors: Vec<FieldError>,
    logged: bool,
) -> Result<(StatusCode, CasePage), PageError> {
    if page.caller.principal().role != Role::Coordinator {
        // The partners' view of a case is their status page; the full record is coordinators'.
        app::access::checked_id(&page.caller, id, CaseAction::Update)?;
    }
    let record = app::timeline::record(&page.caller, state, id).await?;
    // The cursor is the position of the last entry of the page before.
    let (entries, next) = record.page(cursor.as_deref(), 50);
    let next = next.map(|k| form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>());
    let (case, view) = (&record.case, record.view);
    let limit = Limit::clamped(200);
    let (agencies, _) = readable_agencies(&page.caller, state, limit, None).await?;
    let names: HashMap<uuid::Uuid, String> = agencies.items.iter().map(|a| (a.id.into_uuid(), a.name.as_str().to_owned())).collect();
    let name = |id: uuid::Uuid| names.get(&id).cloned().unwrap_or_else(|| "an agency".to_owned());
    let today = london_date(page.caller.ctx.at);
    // Everything below comes from what the timeline read: nothing of the case is read twice.
    let book = &state.rules.book;
    let deadlines = record
        .deadlines
        .iter()
        .filter(|d| d.is_outstanding(today))
        .map(|d| {
            // An agreed action's deadline says what and who, from the action as it is now.
            let action = match d.source {
                fourthp_domain::deadline::DeadlineSource::Action(a) => record.actions.iter().find(|x| x.id == a),
                fourthp_domain::deadline::DeadlineSource::Event(_) => None,
            };
            let (what, detail) = match action {
                Some(a) => (
                    a.details.description.as_str().to_owned(),
                    action_explanation(
                        a.details.description.as_str(),
                        &name(a.details.owner_agency_id.into_uuid()),
                        london_date(a.created_at),
                    ),
                ),
                None => (book.rule_name(&d.rule_id), d.explanation.clone()),
            };
            DeadlineRow { id: d.id.to_string(), when: long_date(d.due_on), what, detail }
        })
        .collect();
    let viewer = page.caller.principal();
    let sees = |agency| fourthp_domain::access::sees_summary(viewer, agency);
    let timeline = entries.iter().rev().map(|e| row(e, &name, book, &sees, today)).collect();
    let mut open: Vec<&fourthp_domain::action::Action> =
        record.actions.iter().filter(|a| a.status() == fourthp_domain::action::ActionStatus::Open).collect();
    open.sort_by_key(|a| (a.details.due_on, a.id));
    let actions = open.into_iter().map(|a| ActionCard::new(a, today)).collect();
    let needs = record
        .needs
        .iter()
        .map(|n| NeedRow {
            id: n.id.to_string(),
            version: n.version,
            domain: n.domain.words().to_owned(),
            identified: long_date(n.state.identified_on),
            met: n.state.met_on.map(long_date),
        })
        .collect();
    // The form remembers, for this case, the last counterpart and need logged.
    let last = record.interventions.iter().max_by_key(|i| i.details.occurred_at);
    if form.counterpart.is_empty() {
        form.counterpart = last.as_ref().map(|i| i.details.counterpart_agency_id.to_string()).unwrap_or_default();
    }
    if form.need_domain.is_empty() {
        form.need_domain = last.as_ref().map_or("health_gp", |i| i.details.need_domain.as_str()).to_owned();
    }
    defaults(&mut form, page.caller.ctx.at, &errors);
    let team_ids: Vec<uuid::Uuid> = case.team.iter().map(|m| m.agency_id.into_uuid()).collect();
    // The team first, then every other agency.
    let mut counterparts: Vec<Choice> =
        team_ids.iter().map(|a| Choice { value: a.to_string(), label: name(*a), selected: form.counterpart == a.to_string() }).collect();
    counterparts.extend(agencies.items.iter().filter(|a| !team_ids.contains(&a.id.into_uuid()) && a.active).map(|a| Choice {
        value: a.id.to_string(),
        label: a.name.as_str().to_owned(),
        selected: form.counterpart == a.id.to_string(),
    }));
    let owners = team_ids
        .iter()
        .map(|a| Choice { value: a.to_string(), label: name(*a), selected: form.follow_up_owner == a.to_string() })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let team = case
        .team
        .iter()
        .map(|m| {
            (name(m.agency_id.into_uuid()), m.role.as_ref().filter(|_| view.restricted).map(|r| r.as_str().to_owned()).unwrap_or_default())
        })
        .collect();
    let body = CasePage {
        chrome: page.chrome,
        case_id: case.id.to_string(),
        reference: case.reference.as_str().to_owned(),
        known_as: view.identifying.then(|| case.details.known_as.as_str().to_owned()),
        stage: case.stage_on(today).words().to_owned(),
        team,
        deadlines,
        actions,
        needs,
        today: today.to_string(),
        timeline,
        next_page: next,
        logged,
        log: LogView::new(form, counterparts),
        owners,
        errors,
    };
    Ok((status, body))
}

/// One timeline entry in words; an intervention's summary only where `sees_summary` says the
/// reader may see the recording agency's summary.
pub(super) fn row(
    e: &app::timeline::TimelineEntry<'_>,
    name: &impl Fn(uuid::Uuid) -> String,
    book: &fourthp_domain::rules::RuleBook,
    sees_summary: &dyn Fn(fourthp_domain::ids::AgencyId) -> bool,
    today: chrono::NaiveDate,
) -> Row {
    use app::timeline::Entry;
    let when = e.at.map_or_else(|| long_date(e.date), london_time);
    match e.entry {
        Entry::Intervention(v) => {
            let d = &v.details;
            let what = format!(
                "{} with {} ({})",
                d.channel.words(),
                name(d.counterpart_agency_id.into_uuid()),
                d.direction.words().to_lowercase()
            );
            Row { when, what, detail: if sees_summary(v.recorded_by_agency) { d.summary.to_string() } else { String::new() } }
        }
        Entry::Action(a) => {
            let what = format!("Action for {}: {}", name(a.details.owner_agency_id.into_uuid()), a.status().words().to_lowercase());
            let closure = a.closure.as_ref().map(|c| format!(" — {}", c.note)).unwrap_or_default();
            Row { when, what, detail: format!("{} (due {}){closure}", a.details.description, long_date(a.details.due_on)) }
        }
        Entry::Event(ev) => {
            let kind = match &ev.body {
                fourthp_domain::event::EventBody::Fact(f) => f.fact.event_type(),
                fourthp_domain::event::EventBody::Correction { .. } => fourthp_domain::event::EventType::Correction,
            };
            Row { when, what: kind.words().to_owned(), detail: String::new() }
        }
        Entry::Need(n) => Row { when, what: format!("Need: {}", n.domain.words()), detail: n.state.status.words().to_owned() },
        Entry::Outcome(o) => Row {
            when,
            what: format!("Outcome: {}", o.details.outcome.words()),
            detail: o.details.evidence.as_ref().map(ToString::to_string).unwrap_or_default(),
        },
        Entry::Deadline(d) => Row {
            when,
            what: format!("Deadline: {} ({})", book.rule_name(&d.rule_id), d.status(today).words().to_lowercase()),
            detail: d.explanation.clone(),
        },
        Entry::Ask(k) => {
            let who = name(k.agency.into_uuid());
            match &k.answer {
                Some(a) => Row {
                    when,
                    what: format!("What happened? {who} answered: {}", a.status.words().to_lowercase()),
                    detail: a.text.as_ref().map(ToString::to_string).unwrap_or_default(),
                },
                None if k.unanswered_on(today) => Row {
                    when,
                    what: format!("What happened? asked of {who}: no answer"),
                    detail: format!("Asked on {}, unanswered after 14 days", long_date(k.ask_on)),
                },
                None => Row {
                    when,
                    what: format!("What happened? to be asked of {who}"),
                    detail: format!("Asked in their email on {}", long_date(k.ask_on)),
                },
            }
        }
    }
}

pub async fn show(
    page: Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<CaseQuery>,
) -> Result<HttpResponse, PageError> {
    let id = CaseId::parse(&id).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let q = query.into_inner();
    let logged = q.logged.as_deref() == Some("1");
    if page.caller.principal().role != Role::Coordinator {
        return super::status::status_page(page, &state, id, LogForm::default(), Vec::new(), logged).await;
    }
    let (status, body) = case_page(page, &state, id, q.cursor, LogForm::default(), Vec::new(), logged).await?;
    Ok(render(status, &body))
}

/// The page a log form came from, shown again with its errors: the case page for coordinators,
/// the case's status page for partners.
async fn form_again(page: Page, state: &AppState, id: CaseId, f: LogForm, errors: Vec<FieldError>) -> Result<HttpResponse, PageError> {
    if page.caller.principal().role != Role::Coordinator {
        return super::status::status_page(page, state, id, f, errors, false).await;
    }
    let (status, body) = case_page(page, state, id, None, f, errors, false).await?;
    Ok(render(status, &body))
}

/// Logs a call (or email, meeting...) from the case page, with an optional follow-up action.
pub async fn log_intervention(
    form: PageForm<LogForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: form, request, page } = form;
    let id = CaseId::parse(&id).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let mut f = form;
    let mut errors = Vec::new();
    let channel = Channel::parse(&f.channel);
    let direction = Direction::parse(&f.direction);
    let need_domain = NeedDomain::parse(&f.need_domain);
    let counterpart = fourthp_domain::ids::AgencyId::parse(&f.counterpart).ok();
    let occurred_at = from_london(&f.occurred_at);
    let duration = f.duration.trim().parse::<i64>().ok();
    let ask_back = match f.ask_back.trim() {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(FieldError::new("ask_back", "Enter the number of days, from 1 to 60, or leave it empty"));
                None
            }
        },
    };
    if channel.is_none() {
        errors.push(FieldError::new("channel", "Choose how you were in touch"));
    }
    if counterpart.is_none() {
        errors.push(FieldError::new("counterpart", "Choose the agency you were in touch with"));
    }
    if occurred_at.is_none() {
        errors.push(FieldError::new("occurred_at", "Enter when it happened, as a date and time"));
    }
    if need_domain.is_none() {
        errors.push(FieldError::new("need_domain", "Choose the need it was about"));
    }
    if duration.is_none() {
        errors.push(FieldError::new("duration", "Enter how many minutes it took, as a number"));
    }
    let actions = if f.follow_up.trim().is_empty() {
        Vec::new()
    } else {
        match fourthp_domain::ids::AgencyId::parse(&f.follow_up_owner) {
            Ok(owner) => vec![FollowUp { description: f.follow_up.clone(), owner, due_on: f.follow_up_due.trim().to_owned() }],
            Err(_) => {
                errors.push(FieldError::new("follow_up_owner", "Choose the agency that owes the follow-up"));
                Vec::new()
            }
        }
    };
    let (Some(channel), Some(direction), Some(counterpart), Some(occurred_at), Some(need_domain), Some(duration), true) =
        (channel, direction, counterpart, occurred_at, need_domain, duration, errors.is_empty())
    else {
        if direction.is_none() {
            errors.push(FieldError::new("direction", "Choose whether you called them or they called you"));
        }
        return form_again(page, &state, id, f, errors).await;
    };
    let fields = LogFields {
        channel,
        direction,
        counterpart,
        occurred_at,
        need_domain,
        need: None,
        summary: f.summary.clone(),
        duration_minutes: duration,
        follow_ups: actions,
        ask_back_days: ask_back,
    };
    let key = (!f.idempotency_key.is_empty()).then(|| idempotency_key(&page.caller, f.idempotency_key.clone(), request.hash));
    let respond = |(i, _): &app::interventions::Logged| page_response(format!("/app/cases/{}", i.case_id));
    let written = app::interventions::log(&page.caller, &state, id, key.as_ref(), fields, respond).await;
    let map = |field: &str| match field {
        "summary" => Some("summary"),
        "duration_minutes" => Some("duration"),
        "occurred_at" => Some("occurred_at"),
        "counterpart_agency_id" => Some("counterpart"),
        "ask_back_days" => Some("ask_back"),
        f if f.ends_with("due_on") => Some("follow_up_due"),
        f if f.ends_with("description") => Some("follow_up"),
        f if f.ends_with("owner_agency_id") => Some("follow_up_owner"),
        _ => None,
    };
    match sent(written, &mut f.idempotency_key, "summary", map)? {
        // Logged now, or a resubmission of the same form (logged once, the first time).
        Sent::Now(_) | Sent::Before(_) => Ok(see_other(&format!("/app/cases/{id}?logged=1"))),
        Sent::Refused(errors) => form_again(page, &state, id, f, errors).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct MetForm {
    #[serde(default)]
    met_on: String,
    version: Option<i32>,
}

/// Marks a need met on a day (the GP-access deadline it carries is then met, or missed).
pub async fn need_met(
    form: PageForm<MetForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: form, page, .. } = form;
    let (case, need) = path.into_inner();
    let case = CaseId::parse(&case).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let need = fourthp_domain::ids::NeedId::parse(&need).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let f = form;
    let change = app::needs::NeedChange {
        status: Some(fourthp_domain::need::NeedStatus::Met),
        met_on: Some(Some(f.met_on.trim().to_owned())),
        identified_on: None,
    };
    match app::needs::change(&page.caller, &state, need, f.version, change).await {
        Ok(_) => Ok(see_other(&format!("/app/cases/{case}"))),
        Err(e) => {
            let errors = super::form::form_errors(e, &format!("met-{need}"), |_| None)?;
            let (status, body) = case_page(page, &state, case, None, LogForm::default(), errors, false).await?;
            Ok(render(status, &body))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WaiveForm {
    #[serde(default)]
    reason: String,
}

/// Waives an open deadline with the coordinator's reason.
pub async fn waive(
    form: PageForm<WaiveForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: form, page, .. } = form;
    let (case, deadline) = path.into_inner();
    let case = CaseId::parse(&case).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let deadline = fourthp_domain::ids::DeadlineId::parse(&deadline).map_err(|_| PageError::Problem(Problem::not_found()))?;
    match app::deadlines::waive(&page.caller, &state, deadline, &form.reason).await {
        Ok(_) => Ok(see_other(&format!("/app/cases/{case}"))),
        Err(e) => {
            // Every error of the waiver goes beside that deadline's reason.
            let field = format!("waive-{deadline}");
            let errors = super::form::form_errors(e, &field, |_| None)?;
            let (status, body) = case_page(page, &state, case, None, LogForm::default(), errors, false).await?;
            Ok(render(status, &body))
        }
    }
}
