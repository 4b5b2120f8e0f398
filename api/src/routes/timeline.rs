//! `/api/v1/cases/{id}/timeline`: everything about a case in time order, as the caller may see it.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::time::london_date;
use serde::Serialize;
use utoipa::ToSchema;

use super::actions::ActionResponse;
use super::deadlines::DeadlineResponse;
use super::events::{event_response, EventResponse};
use super::interventions::InterventionResponse;
use super::needs::NeedResponse;
use super::outcomes::OutcomeResponse;
use super::{bad_query, decode_cursor, encode_cursor, PageQuery};
use crate::app::{self, timeline::Entry};
use crate::auth::Caller;
use crate::paths::CasePath;
use crate::problem::{Problem, ReadProblems};
use crate::query::ApiQuery;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Event,
    Intervention,
    Action,
    Need,
    Outcome,
    Deadline,
    Ask,
}

/// A "what happened?" asked of an agency after a conversation, and its answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AskResponse {
    pub id: uuid::Uuid,
    /// The conversation it follows.
    pub intervention_id: uuid::Uuid,
    /// The agency asked.
    pub agency_id: uuid::Uuid,
    /// The day it is asked in the agency's daily email.
    pub ask_on: NaiveDate,
    /// True once 14 days have passed since that day without an answer.
    pub unanswered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<AnswerResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerResponse {
    pub status: fourthp_domain::notify::AskAnswer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub at: DateTime<Utc>,
}

impl AskResponse {
    pub fn new(k: &fourthp_domain::notify::Ask, today: NaiveDate) -> Self {
        AskResponse {
            id: k.id.into_uuid(),
            intervention_id: k.intervention_id.into_uuid(),
            agency_id: k.agency.into_uuid(),
            ask_on: k.ask_on,
            unanswered: k.unanswered_on(today),
            answer: k.answer.as_ref().map(|a| AnswerResponse {
                status: a.status,
                text: a.text.as_ref().map(|t| t.as_str().to_owned()),
                at: a.at,
            }),
        }
    }
}

/// One entry; exactly one of the detail fields is present, named by `kind`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineItem {
    pub kind: TimelineKind,
    /// The London date the entry belongs to (event date, when an intervention happened, when an
    /// action was agreed, a need identified, an outcome achieved, a deadline due).
    pub date: NaiveDate,
    /// The instant, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervention: Option<InterventionResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<NeedResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ask: Option<AskResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineResponse {
    pub items: Vec<TimelineItem>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

const CURSOR_KIND: &str = "timeline";

/// The case's events, interventions, actions, needs, outcomes and deadlines in time order,
/// filtered by what the caller may see (partners: no needs or outcomes, only their own
/// agency's actions and intervention summaries), a page at a time.
#[utoipa::path(
    tag = "daily log",
    params(CasePath, PageQuery),
    responses((status = 200, description = "The timeline", body = TimelineResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/timeline")]
pub async fn timeline(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let mut errs = FieldErrors::new();
    let limit = query.0.limit.unwrap_or_default();
    let after = query.0.cursor.as_deref().and_then(|raw| decode_cursor(CURSOR_KIND, raw, &mut errs));
    bad_query(errs)?;
    let record = app::timeline::record(&caller, &state, path.id).await?;
    let (entries, next) = record.page(after.as_deref(), usize::from(limit.get()));
    let (p, view, today) = (caller.principal(), record.view, london_date(caller.ctx.at));
    let items = entries
        .iter()
        .map(|e| {
            let mut item = TimelineItem {
                kind: TimelineKind::Event,
                date: e.date,
                at: e.at,
                event: None,
                intervention: None,
                action: None,
                need: None,
                outcome: None,
                deadline: None,
                ask: None,
            };
            match e.entry {
                Entry::Event(ev) => item.event = Some(event_response(ev, record.superseded_by.get(&ev.id).copied(), view)),
                Entry::Intervention(i) => {
                    item.kind = TimelineKind::Intervention;
                    item.intervention = Some(InterventionResponse::new(i, p));
                }
                Entry::Action(a) => {
                    item.kind = TimelineKind::Action;
                    item.action = Some(ActionResponse::new(a, today));
                }
                Entry::Need(n) => {
                    item.kind = TimelineKind::Need;
                    item.need = Some(NeedResponse::new(n));
                }
                Entry::Outcome(o) => {
                    item.kind = TimelineKind::Outcome;
                    item.outcome = Some(OutcomeResponse::new(o));
                }
                Entry::Deadline(d) => {
                    item.kind = TimelineKind::Deadline;
                    item.deadline = Some(DeadlineResponse::new(d, today, view));
                }
                Entry::Ask(k) => {
                    item.kind = TimelineKind::Ask;
                    item.ask = Some(AskResponse::new(k, today));
                }
            }
            item
        })
        .collect();
    Ok(HttpResponse::Ok().json(TimelineResponse { items, next_cursor: next.map(|k| encode_cursor(CURSOR_KIND, &k)) }))
}
