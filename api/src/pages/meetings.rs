//! The network's meetings: the list (and, for coordinators, scheduling one), each meeting's
//! agenda as a printable page with its invitation, the forms a coordinator records decisions
//! with at the meeting, and the minutes made from them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::ids::{ChallengeId, MeetingId};
use fourthp_domain::principal::Role;
use fourthp_domain::report::FigureStatus;
use fourthp_domain::time::london_date;
use fourthp_domain::words::{long_date, Words};
use serde::Deserialize;

use super::view::london_time;
use super::{error_for, form, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::app::meetings::MeetingFields;
use crate::app::{self};
use crate::problem::Problem;
use crate::state::AppState;

fn meeting_id(raw: &str) -> Result<MeetingId, PageError> {
    MeetingId::parse(raw).map_err(|_| PageError::Problem(Problem::not_found()))
}

pub struct MeetingRow {
    pub id: String,
    pub title: String,
    pub when: String,
    pub place: String,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    meetings: Vec<MeetingRow>,
    may_schedule: bool,
    form: ScheduleForm,
}

impl MeetingsPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    place: String,
}

fn when(m: &fourthp_domain::meeting::Meeting) -> String {
    let ends = london_time(m.details.ends_at);
    format!("{} to {}", london_time(m.details.starts_at), ends.rsplit(", ").next().unwrap_or(&ends))
}

async fn meetings_page(page: Page, state: &AppState, form: ScheduleForm, errors: Vec<FieldError>) -> Result<HttpResponse, PageError> {
    let all = app::meetings::list(&page.caller, state).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = MeetingsPage {
        may_schedule: page.caller.principal().role == Role::Coordinator,
        meetings: all
            .iter()
            .map(|m| MeetingRow {
                id: m.id.to_string(),
                title: m.details.title.to_string(),
                when: when(m),
                place: m.details.place.to_string(),
            })
            .collect(),
        chrome: page.chrome,
        errors,
        form,
    };
    Ok(render(status, &body))
}

pub async fn list(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    meetings_page(page, &state, ScheduleForm::default(), Vec::new()).await
}

pub async fn schedule(form: PageForm<ScheduleForm>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let fields =
        MeetingFields { title: f.title.clone(), starts_at: f.starts_at.clone(), ends_at: f.ends_at.clone(), place: f.place.clone() };
    match app::meetings::schedule(&page.caller, &state, fields).await {
        Ok(m) => Ok(see_other(&format!("/app/meetings/{}", m.id))),
        Err(e) => {
            let map = |field: &str| match field {
                "starts_at" => Some("starts_at"),
                "ends_at" => Some("ends_at"),
                "place" => Some("place"),
                _ => Some("title"),
            };
            let errors = form::form_errors(e, "title", map)?;
            meetings_page(page, &state, f, errors).await
        }
    }
}

pub struct ItemRow {
    pub id: String,
    pub label: String,
    pub title: String,
    pub status: &'static str,
}

pub struct DueRow {
    pub challenge: String,
    pub description: String,
    pub due: String,
    pub overdue: bool,
}

pub struct FigureRow {
    pub what: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct AgendaPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    id: String,
    title: String,
    when: String,
    place: String,
    since: String,
    new_challenges: Vec<ItemRow>,
    in_hand: Vec<ItemRow>,
    actions_due: Vec<DueRow>,
    resolved: Vec<ItemRow>,
    months: Option<String>,
    figures: Option<Vec<FigureRow>>,
    may_record: bool,
    /// Every challenge on the agenda, for the decision form's choice.
    items: Vec<super::view::Choice>,
}

impl AgendaPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn item(c: &fourthp_domain::challenge::Challenge) -> ItemRow {
    ItemRow { id: c.id.to_string(), label: c.label(), title: c.details.title.to_string(), status: c.status.words() }
}

/// A figure in words: "Police: 12", "withheld (fewer than the threshold)".
fn figure_row(measure: &str, f: &fourthp_domain::report::Figure) -> FigureRow {
    let category = f.category.as_deref().map(|c| fourthp_domain::words::category(measure, c));
    let title = match measure {
        "caseload.new" => "Cases opened",
        "interventions.by_counterpart_kind" => "Interventions with",
        "outcomes.core" => "Outcomes achieved",
        _ => "Adverse outcomes",
    };
    let value = match (f.value, f.status) {
        (_, FigureStatus::Suppressed) | (None, _) => "Withheld: too few to publish".to_owned(),
        (Some(v), FigureStatus::Perturbed) => format!("about {}", v.round()),
        (Some(v), _) => format!("{}", v.round()),
    };
    FigureRow { what: category.map_or_else(|| title.to_owned(), |c| format!("{title}: {c}")), value }
}

async fn agenda_page(page: Page, state: &AppState, id: MeetingId, errors: Vec<FieldError>) -> Result<HttpResponse, PageError> {
    let a = app::meetings::agenda(&page.caller, state, id).await?;
    let today = london_date(page.caller.ctx.at);
    let m = &a.meeting;
    let mut items: Vec<super::view::Choice> =
        vec![super::view::Choice { value: String::new(), label: "Any other business".to_owned(), selected: true }];
    for c in a.new_challenges.iter().chain(&a.in_hand).chain(&a.resolved) {
        if !items.iter().any(|i| i.value == c.id.to_string()) {
            items.push(super::view::Choice {
                value: c.id.to_string(),
                label: format!("{}: {}", c.label(), c.details.title),
                selected: false,
            });
        }
    }
    let figures = a.figures.as_ref().map(|r| {
        r.measures
            .iter()
            .filter(|x| app::meetings::AGENDA_MEASURES.contains(&x.def.id))
            .flat_map(|x| x.figures.iter().filter(|f| f.stat == "count").map(|f| figure_row(x.def.id, f)))
            .collect()
    });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = AgendaPage {
        id: m.id.to_string(),
        title: m.details.title.to_string(),
        when: when(m),
        place: m.details.place.to_string(),
        since: a.previous.as_ref().map_or_else(
            || "the last eight weeks".to_owned(),
            |p| format!("the meeting of {}", long_date(london_date(p.details.starts_at))),
        ),
        new_challenges: a.new_challenges.iter().map(item).collect(),
        in_hand: a.in_hand.iter().map(item).collect(),
        actions_due: a
            .actions_due
            .iter()
            .map(|o| DueRow {
                challenge: fourthp_domain::challenge::label(o.number),
                description: format!("{} ({})", o.action.details.description, o.owner),
                due: long_date(o.action.details.due_on),
                overdue: o.action.is_overdue(today),
            })
            .collect(),
        resolved: a.resolved.iter().map(item).collect(),
        months: a.months.map(|(f, t)| format!("{} to {}", long_date(f), long_date(t))),
        figures,
        may_record: page.caller.principal().role == Role::Coordinator,
        items,
        errors,
        chrome: page.chrome,
    };
    Ok(render(status, &body))
}

pub async fn show(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = meeting_id(&id)?;
    agenda_page(page, &state, id, Vec::new()).await
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    item: String,
    #[serde(default)]
    note: String,
}

pub async fn note(form: PageForm<NoteForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let id = meeting_id(&id)?;
    let challenge =
        if f.item.is_empty() { None } else { Some(ChallengeId::parse(&f.item).map_err(|_| PageError::Problem(Problem::not_found()))?) };
    match app::meetings::note(&page.caller, &state, id, challenge, &f.note).await {
        Ok(()) => Ok(see_other(&format!("/app/meetings/{id}/minutes"))),
        Err(e) => {
            let errors = form::form_errors(e, "note", |f| if f == "note" { Some("note") } else { Some("item") })?;
            agenda_page(page, &state, id, errors).await
        }
    }
}

pub struct MinuteRow {
    pub item: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "minutes.html")]
struct MinutesPage {
    chrome: Chrome,
    id: String,
    title: String,
    when: String,
    place: String,
    rows: Vec<MinuteRow>,
    actions: Vec<DueRow>,
}

pub async fn minutes(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = meeting_id(&id)?;
    let (m, minutes) = app::meetings::minutes(&page.caller, &state, id).await?;
    let today = london_date(page.caller.ctx.at);
    let label = |c: Option<ChallengeId>| {
        c.and_then(|c| minutes.challenges.get(&c))
            .map_or_else(|| "Any other business".to_owned(), |(n, title)| format!("{}: {title}", fourthp_domain::challenge::label(*n)))
    };
    let mut rows: Vec<MinuteRow> = minutes
        .decisions
        .iter()
        .map(|(c, to, note)| MinuteRow {
            item: label(Some(*c)),
            text: format!(
                "{}{}",
                fourthp_domain::challenge::ChallengeStatus::parse(to).map_or("Decided", |s| s.words()),
                note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
            ),
        })
        .collect();
    rows.extend(minutes.notes.iter().map(|n| MinuteRow { item: label(n.challenge), text: n.note.clone() }));
    let body = MinutesPage {
        id: m.id.to_string(),
        title: m.details.title.to_string(),
        when: when(&m),
        place: m.details.place.to_string(),
        rows,
        actions: minutes
            .actions
            .iter()
            .map(|a| DueRow {
                challenge: label(a.on.challenge()),
                description: a.details.description.to_string(),
                due: long_date(a.details.due_on),
                overdue: a.is_overdue(today),
            })
            .collect(),
        chrome: page.chrome,
    };
    Ok(render(StatusCode::OK, &body))
}

/// The invitation, to add to a calendar.
pub async fn invitation(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = meeting_id(&id)?;
    let body = app::meetings::invitation(&page.caller, &state, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"meeting.ics\""))
        .body(body))
}
