//! `/api/v1/cases/{id}/timeline`: everything about a case in time order, as the caller may see it.

use std::collections::{HashMap, HashSet};

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, sees_action, CaseAction};
use fourthp_domain::deadline::DeadlineSource;
use fourthp_domain::event::EventBody;
use fourthp_domain::ids::EventId;
use fourthp_domain::time::london_date;
use fourthp_persistence::actions::{self, ActionFilter};
use fourthp_persistence::{deadlines, events, interventions, needs, outcomes};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::ActionResponse;
use super::deadlines::DeadlineResponse;
use super::events::{event_response, EventResponse};
use super::interventions::InterventionResponse;
use super::needs::NeedResponse;
use super::outcomes::OutcomeResponse;
use super::{page_of, PageQuery};
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
    /// The entry's place in the timeline: date, instant (entries without one first), kind and
    /// id, as a string that sorts in that order.
    #[serde(skip)]
    key: String,
}

impl TimelineItem {
    fn new(kind: TimelineKind, id: Uuid, date: NaiveDate, at: Option<DateTime<Utc>>) -> Self {
        TimelineItem {
            kind,
            date,
            at,
            event: None,
            intervention: None,
            action: None,
            need: None,
            outcome: None,
            deadline: None,
            key: format!("{date}|{}|{}|{id}", at.map_or_else(|| "-".to_owned(), |t| format!("{:020}", t.timestamp_micros())), kind as u8),
        }
    }
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
    let record = timeline_of(&caller, &state, path.id, &query.0).await?;
    Ok(HttpResponse::Ok().json(TimelineResponse { items: record.items, next_cursor: record.next_cursor }))
}

/// A case's record as the caller may see it: one page of its timeline, and the whole lists the
/// timeline was built from (what the caller may see of them), so that the case page reads each once.
pub struct CaseRecord {
    pub case: fourthp_domain::case::Case,
    pub view: fourthp_domain::access::CaseView,
    pub items: Vec<TimelineItem>,
    pub next_cursor: Option<String>,
    pub interventions: Vec<fourthp_domain::intervention::Intervention>,
    /// The actions the caller may see.
    pub actions: Vec<fourthp_domain::action::Action>,
    /// Empty unless the caller may read the support record.
    pub needs: Vec<fourthp_domain::need::Need>,
    /// Without the deadlines of actions the caller may not see.
    pub deadlines: Vec<fourthp_domain::deadline::Deadline>,
}

/// A case's timeline as the caller may see it, one page of it (the API's timeline and the case
/// page), with what it was built from.
pub async fn timeline_of(
    caller: &Caller,
    state: &AppState,
    case_id: fourthp_domain::ids::CaseId,
    query: &PageQuery,
) -> Result<CaseRecord, Problem> {
    let (id, case, view) = super::case_at(&state.db, caller, case_id, CaseAction::Read).await?;
    let p = caller.principal();
    let today = london_date(caller.ctx.at);
    let mut items = Vec::new();

    let evs = events::list(&state.db, id).await?;
    let superseded_by: HashMap<EventId, EventId> = evs
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Correction { supersedes, .. } => Some((*supersedes, e.id)),
            EventBody::Fact(_) => None,
        })
        .collect();
    for e in &evs {
        let date = match &e.body {
            EventBody::Fact(f) => f.date,
            EventBody::Correction { replacement, .. } => replacement.map_or(london_date(e.recorded_at), |r| r.date),
        };
        let mut item = TimelineItem::new(TimelineKind::Event, e.id.into_uuid(), date, Some(e.recorded_at));
        item.event = Some(event_response(e, superseded_by.get(&e.id).copied(), view));
        items.push(item);
    }
    let all_interventions = interventions::all_for_case(&state.db, id).await?;
    for i in &all_interventions {
        let mut item = TimelineItem::new(
            TimelineKind::Intervention,
            i.id.into_uuid(),
            london_date(i.details.occurred_at),
            Some(i.details.occurred_at),
        );
        item.intervention = Some(InterventionResponse::new(i, p));
        items.push(item);
    }
    let mut seen_actions = actions::all_of_case(&state.db, id, &ActionFilter::default()).await?;
    seen_actions.retain(|a| sees_action(p, a.details.owner_agency_id));
    let visible_actions: HashSet<_> = seen_actions.iter().map(|a| a.id).collect();
    for a in &seen_actions {
        let mut item = TimelineItem::new(TimelineKind::Action, a.id.into_uuid(), london_date(a.created_at), Some(a.created_at));
        item.action = Some(ActionResponse::new(a, today));
        items.push(item);
    }
    let support_record = access::decide(p, CaseAction::ReadSupportRecord, case.team_agencies(), case.details.consent.data_sharing).is_ok();
    let mut all_needs = Vec::new();
    if support_record {
        all_needs = needs::for_case(&state.db, id).await?;
        for n in &all_needs {
            let mut item = TimelineItem::new(TimelineKind::Need, n.id.into_uuid(), n.state.identified_on, None);
            item.need = Some(NeedResponse::new(n));
            items.push(item);
        }
        for o in outcomes::for_case(&state.db, id).await? {
            let mut item = TimelineItem::new(TimelineKind::Outcome, o.id.into_uuid(), o.details.achieved_on, Some(o.recorded_at));
            item.outcome = Some(OutcomeResponse::new(&o));
            items.push(item);
        }
    }
    let mut seen_deadlines = deadlines::for_case(&state.db, id).await?;
    seen_deadlines.retain(|d| !matches!(d.source, DeadlineSource::Action(a) if !visible_actions.contains(&a)));
    for d in &seen_deadlines {
        let mut item = TimelineItem::new(TimelineKind::Deadline, d.id.into_uuid(), d.due_on, None);
        item.deadline = Some(DeadlineResponse::new(d, today, view));
        items.push(item);
    }
    let (items, next_cursor) = page_of(items, CURSOR_KIND, query, |i| i.key.clone())?;
    Ok(CaseRecord {
        case,
        view,
        items,
        next_cursor,
        interventions: all_interventions,
        actions: seen_actions,
        needs: all_needs,
        deadlines: seen_deadlines,
    })
}
