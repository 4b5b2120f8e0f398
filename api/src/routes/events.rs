//! `/api/v1/cases/{id}/events`: the case's timeline of NRM facts.

use std::collections::HashMap;

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, CaseAction, CaseView};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::event::{
    CaseEvent, ClosureReason, CompetentAuthority, CorrectionReason, DatedFact, DecisionOutcome, DisqualificationGround, EventBody,
    EventType, Fact,
};
use fourthp_domain::ids::{AgencyId, EventId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{created, stored};
use crate::app::{self, events::dated};
use crate::auth::Caller;
use crate::extract::{from_value, Create};
use crate::paths::{CaseEventPath, CasePath};
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::state::AppState;

/// A fact about the case and its date (YYYY-MM-DD, London). (Documents the accepted shapes;
/// requests are read through [`FactFields`] so that every error names its field.)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code, reason = "describes the accepted bodies for the OpenAPI document")]
pub enum FactRequest {
    SupportStarted {
        #[schema(value_type = String, format = Date)]
        date: String,
    },
    NrmReferralSubmitted {
        #[schema(value_type = String, format = Date)]
        date: String,
        /// The first responder organisation that made the referral.
        first_responder_agency_id: uuid::Uuid,
    },
    DutyToNotifySubmitted {
        #[schema(value_type = String, format = Date)]
        date: String,
    },
    ReasonableGroundsDecision {
        #[schema(value_type = String, format = Date)]
        date: String,
        outcome: DecisionOutcome,
        competent_authority: CompetentAuthority,
    },
    ConclusiveGroundsDecision {
        #[schema(value_type = String, format = Date)]
        date: String,
        outcome: DecisionOutcome,
        competent_authority: CompetentAuthority,
    },
    ReconsiderationRequested {
        #[schema(value_type = String, format = Date)]
        date: String,
    },
    Disqualified {
        #[schema(value_type = String, format = Date)]
        date: String,
        ground: DisqualificationGround,
    },
    RecoveryNeedsAssessmentSubmitted {
        #[schema(value_type = String, format = Date)]
        date: String,
    },
    CaseClosed {
        #[schema(value_type = String, format = Date)]
        date: String,
        reason: ClosureReason,
    },
    CaseReopened {
        #[schema(value_type = String, format = Date)]
        date: String,
    },
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionTag {
    Correction,
}

/// Supersedes an event found to be wrong: with a replacement of the same type, or none to
/// withdraw it. The original stays on record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    #[serde(rename = "type")]
    pub tag: CorrectionTag,
    /// The id of the current version of the event (the original, or its latest correction).
    pub supersedes: uuid::Uuid,
    /// Why, up to 500 characters.
    pub reason: String,
    #[schema(value_type = Option<FactRequest>)]
    pub replacement: Option<FactFields>,
}

/// Every field a fact may have; which are required depends on `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactFields {
    #[serde(rename = "type")]
    pub kind: EventType,
    pub date: String,
    pub outcome: Option<DecisionOutcome>,
    pub competent_authority: Option<CompetentAuthority>,
    pub ground: Option<DisqualificationGround>,
    pub reason: Option<ClosureReason>,
    pub first_responder_agency_id: Option<uuid::Uuid>,
}

/// The body of `POST /cases/{id}/events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "describes the accepted bodies for the OpenAPI document")]
pub enum EventRequest {
    Fact(FactRequest),
    Correction(CorrectionRequest),
}

/// A fact as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactResponse {
    #[serde(rename = "type")]
    pub kind: EventType,
    pub date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<DecisionOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competent_authority: Option<CompetentAuthority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground: Option<DisqualificationGround>,
    /// Why the case was closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<ClosureReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_responder_agency_id: Option<uuid::Uuid>,
}

/// An event on the case's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    pub id: uuid::Uuid,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The fact recorded (for a correction, its replacement; absent for a withdrawal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fact: Option<FactResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<uuid::Uuid>,
    /// Why it was corrected; coordinators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction_reason: Option<String>,
    /// The correction that superseded this event, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<uuid::Uuid>,
    pub recorded_at: DateTime<Utc>,
    /// Coordinators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventListResponse {
    /// In recording order.
    pub items: Vec<EventResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn fact_response(d: &DatedFact) -> FactResponse {
    let (outcome, competent_authority) = match d.fact {
        Fact::ReasonableGroundsDecision { outcome, authority } | Fact::ConclusiveGroundsDecision { outcome, authority } => {
            (Some(outcome), Some(authority))
        }
        _ => (None, None),
    };
    FactResponse {
        kind: d.fact.event_type(),
        date: d.date,
        outcome,
        competent_authority,
        ground: match d.fact {
            Fact::Disqualified { ground } => Some(ground),
            _ => None,
        },
        reason: match d.fact {
            Fact::CaseClosed { reason } => Some(reason),
            _ => None,
        },
        first_responder_agency_id: match d.fact {
            Fact::NrmReferralSubmitted { first_responder } => Some(first_responder.into_uuid()),
            _ => None,
        },
    }
}

pub fn event_response(e: &CaseEvent, superseded_by: Option<EventId>, view: CaseView) -> EventResponse {
    let (kind, fact, supersedes, correction_reason) = match &e.body {
        EventBody::Fact(f) => (f.fact.event_type(), Some(fact_response(f)), None, None),
        EventBody::Correction { supersedes, reason, replacement } => (
            EventType::Correction,
            replacement.as_ref().map(fact_response),
            Some(supersedes.into_uuid()),
            view.restricted.then(|| reason.to_string()),
        ),
    };
    EventResponse {
        id: e.id.into_uuid(),
        kind,
        fact,
        supersedes,
        correction_reason,
        superseded_by: superseded_by.map(EventId::into_uuid),
        recorded_at: e.recorded_at,
        recorded_by: view.restricted.then(|| e.recorded_by.to_string()),
    }
}

fn parse_event(value: serde_json::Value) -> Result<EventBody, Problem> {
    let mut errs = FieldErrors::new();
    let body = if value.get("type").and_then(|t| t.as_str()) == Some(EventType::Correction.as_str()) {
        let c: CorrectionRequest = from_value(value)?;
        let reason = errs.check("reason", CorrectionReason::parse(&c.reason));
        let replacement = match c.replacement {
            None => Some(None),
            Some(f) => dated(fact_fields(f), "replacement.", &mut errs).map(Some),
        };
        reason.zip(replacement).map(|(reason, replacement)| EventBody::Correction {
            supersedes: EventId::from_uuid(c.supersedes),
            reason,
            replacement,
        })
    } else {
        dated(fact_fields(from_value(value)?), "", &mut errs).map(EventBody::Fact)
    };
    body.ok_or_else(|| errs.into())
}

/// A fact as the use case reads it.
fn fact_fields(f: FactFields) -> app::events::FactFields {
    app::events::FactFields {
        kind: f.kind,
        date: f.date,
        outcome: f.outcome,
        competent_authority: f.competent_authority,
        ground: f.ground,
        reason: f.reason,
        first_responder: f.first_responder_agency_id.map(AgencyId::from_uuid),
    }
}

/// Record an event on the case's timeline (coordinators). The case's stage and deadlines follow
/// in the same transaction; an event that breaks a lifecycle rule is refused with 409 and the
/// rule's name in `rule`.
#[utoipa::path(
    tag = "lifecycle",
    params(
        CasePath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: a replay returns the first response (kept 24 hours)"),
    ),
    request_body(content = EventRequest, description = "A fact (`type` and `date` and the type's fields) or a correction"),
    responses((status = 201, description = "Recorded", body = EventResponse, headers(("Location" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases/{id}/events")]
pub async fn create_event(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    body: Create<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let key = body.key(&caller);
    let event = parse_event(body.value)?;
    let respond = |(event, case): &(CaseEvent, fourthp_domain::case::Case)| {
        stored(&event_response(event, None, CaseView::FULL), format!("/api/v1/cases/{}/events/{}", case.id, event.id), None)
    };
    created(app::events::record(&caller, &state, path.id, key.as_ref(), Ok(event), respond).await?)
}

/// The case's events in recording order, corrections included.
#[utoipa::path(
    tag = "lifecycle",
    params(CasePath, super::PageQuery),
    responses((status = 200, description = "A page of the events", body = EventListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/events")]
pub async fn list_events(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: crate::query::ApiQuery<super::PageQuery>,
) -> Result<HttpResponse, Problem> {
    let (events, view) = app::events::list(&caller, &state, path.id).await?;
    let superseded_by: HashMap<EventId, EventId> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Correction { supersedes, .. } => Some((*supersedes, e.id)),
            EventBody::Fact(_) => None,
        })
        .collect();
    // Events are only ever appended: their place in recording order is their cursor.
    let numbered: Vec<(usize, &CaseEvent)> = events.iter().enumerate().collect();
    let (page, next_cursor) = super::page_of(numbered, "event", &query.0, |(n, _)| format!("{n:010}"))?;
    let items = page.iter().map(|(_, e)| event_response(e, superseded_by.get(&e.id).copied(), view)).collect();
    Ok(HttpResponse::Ok().json(EventListResponse { items, next_cursor }))
}

/// One event of the case.
#[utoipa::path(
    tag = "lifecycle",
    params(CaseEventPath),
    responses((status = 200, description = "The event", body = EventResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/events/{event_id}")]
pub async fn get_event(caller: Caller, state: web::Data<AppState>, path: CaseEventPath) -> Result<HttpResponse, Problem> {
    let (event, superseded_by, view) = app::events::get(&caller, &state, path.case, path.event).await?;
    Ok(HttpResponse::Ok().json(event_response(&event, superseded_by, view)))
}
