//! `/api/v1/cases/{id}/events`: the case's timeline of NRM facts.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, CaseAction, CaseView};
use fourthp_domain::audit::EntityType;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::event::{
    CaseEvent, ClosureReason, CompetentAuthority, CorrectionReason, DatedFact, DecisionOutcome, DisqualificationGround, EventBody,
    EventType, Fact,
};
use fourthp_domain::ids::{AgencyId, EventId};
use fourthp_domain::lifecycle::Violation;
use fourthp_domain::time::london_date;
use fourthp_persistence::events::{self, AppendEventError, EventRules};
use fourthp_persistence::write;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{authorize, created, parse_date, stored};
use crate::auth::Caller;
use crate::extract::{from_value, Create};
use crate::paths::{CaseEventPath, CasePath};
use crate::problem::{CreateProblems, FieldProblem, Problem, ReadProblems};
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

fn dated(f: FactFields, prefix: &str, errs: &mut FieldErrors) -> Option<DatedFact> {
    let date = errs.check(&format!("{prefix}date"), parse_date(&f.date));
    let before = errs.clone();
    let mut required = |name: &str, present: bool| {
        if !present {
            errs.push(format!("{prefix}{name}"), format!("is required for {}", f.kind));
        }
    };
    let fact = match f.kind {
        EventType::SupportStarted => Some(Fact::SupportStarted),
        EventType::NrmReferralSubmitted => {
            required("first_responder_agency_id", f.first_responder_agency_id.is_some());
            f.first_responder_agency_id.map(|a| Fact::NrmReferralSubmitted { first_responder: AgencyId::from_uuid(a) })
        }
        EventType::DutyToNotifySubmitted => Some(Fact::DutyToNotifySubmitted),
        EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision => {
            required("outcome", f.outcome.is_some());
            required("competent_authority", f.competent_authority.is_some());
            f.outcome.zip(f.competent_authority).map(|(outcome, authority)| match f.kind {
                EventType::ReasonableGroundsDecision => Fact::ReasonableGroundsDecision { outcome, authority },
                _ => Fact::ConclusiveGroundsDecision { outcome, authority },
            })
        }
        EventType::ReconsiderationRequested => Some(Fact::ReconsiderationRequested),
        EventType::Disqualified => {
            required("ground", f.ground.is_some());
            f.ground.map(|ground| Fact::Disqualified { ground })
        }
        EventType::RecoveryNeedsAssessmentSubmitted => Some(Fact::RecoveryNeedsAssessmentSubmitted),
        EventType::CaseClosed => {
            required("reason", f.reason.is_some());
            f.reason.map(|reason| Fact::CaseClosed { reason })
        }
        EventType::CaseReopened => Some(Fact::CaseReopened),
        EventType::Correction => {
            errs.push(format!("{prefix}type"), "a replacement cannot itself be a correction");
            None
        }
    };
    // Fields that do not belong to the type are refused rather than ignored.
    let extra = [
        ("outcome", f.outcome.is_some(), matches!(f.kind, EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision)),
        (
            "competent_authority",
            f.competent_authority.is_some(),
            matches!(f.kind, EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision),
        ),
        ("ground", f.ground.is_some(), f.kind == EventType::Disqualified),
        ("reason", f.reason.is_some(), f.kind == EventType::CaseClosed),
        ("first_responder_agency_id", f.first_responder_agency_id.is_some(), f.kind == EventType::NrmReferralSubmitted),
    ];
    for (name, present, belongs) in extra {
        if present && !belongs {
            errs.push(format!("{prefix}{name}"), format!("is not a field of {}", f.kind));
        }
    }
    if *errs != before {
        return None;
    }
    Some(DatedFact { fact: fact?, date: date? })
}

fn parse_event(value: serde_json::Value) -> Result<EventBody, Problem> {
    let mut errs = FieldErrors::new();
    let body = if value.get("type").and_then(|t| t.as_str()) == Some(EventType::Correction.as_str()) {
        let c: CorrectionRequest = from_value(value)?;
        let reason = errs.check("reason", CorrectionReason::parse(&c.reason));
        let replacement = match c.replacement {
            None => Some(None),
            Some(f) => dated(f, "replacement.", &mut errs).map(Some),
        };
        reason.zip(replacement).map(|(reason, replacement)| EventBody::Correction {
            supersedes: EventId::from_uuid(c.supersedes),
            reason,
            replacement,
        })
    } else {
        dated(from_value(value)?, "", &mut errs).map(EventBody::Fact)
    };
    body.ok_or_else(|| errs.into())
}

/// A lifecycle rule broken: 409, naming the rule.
pub fn violation(v: Violation) -> Problem {
    let mut p = Problem::conflict("lifecycle", v.rule.explain());
    p.rule = Some(v.rule.as_str().to_owned());
    p
}

impl From<AppendEventError> for Problem {
    fn from(e: AppendEventError) -> Self {
        match e {
            AppendEventError::CaseNotFound => Problem::not_found(),
            AppendEventError::Denied(d) => d.into(),
            AppendEventError::Violation(v) => violation(v),
            AppendEventError::UnknownAgency => {
                let mut p =
                    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid request", "One or more fields are invalid.");
                p.errors.push(FieldProblem { field: "first_responder_agency_id".into(), message: "is not a registered agency".into() });
                p
            }
            AppendEventError::Store(s) => s.into(),
        }
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
    created(record_event(&caller, &state, path.id, key, event).await?)
}

/// A fact as a form gives it (the case page's "record an NRM event"), read as the API reads one.
pub fn parse_fact(fields: FactFields) -> Result<EventBody, Problem> {
    let mut errs = FieldErrors::new();
    dated(fields, "", &mut errs).map(EventBody::Fact).ok_or_else(|| errs.into())
}

/// Records an event, once per idempotency key: the case's stage and deadlines follow in the same
/// transaction, and an event the lifecycle refuses is a 409 naming the rule (the API and the
/// case page).
pub async fn record_event(
    caller: &Caller,
    state: &AppState,
    id: fourthp_domain::ids::CaseId,
    key: Option<write::IdempotencyKey>,
    event: EventBody,
) -> Result<write::Written<(CaseEvent, fourthp_domain::case::Case)>, Problem> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let today = london_date(caller.ctx.at);
    let rules = EventRules { book: &state.rules.book, window: state.rules.window, today };
    let ctx = &caller.ctx;
    Ok(write::run(
        &state.db,
        key.as_ref(),
        ctx.at,
        async |conn| events::append(conn, ctx, id, event, rules, authorize(caller, CaseAction::Update)).await,
        |(event, case)| {
            stored(&event_response(event, None, CaseView::FULL), format!("/api/v1/cases/{}/events/{}", case.id, event.id), None)
        },
    )
    .await?)
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
    let (id, _, view) = super::case_at(&state.db, &caller, path.id, CaseAction::Read).await?;
    let events = events::list(&state.db, id).await?;
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
    access::precheck(caller.principal().role, CaseAction::Read)?;
    let id = path.case;
    let child = path.event;
    let (_, view) = super::case_for(&state.db, &caller, id, CaseAction::Read).await?;
    let events = events::list(&state.db, id).await?;
    let Some(event) = events.iter().find(|e| e.id == child) else {
        return Err(crate::app::child_not_under(&caller, &state, id, EntityType::CaseEvent, child.into_uuid()).await.into());
    };
    let superseded_by = events.iter().find_map(|e| match &e.body {
        EventBody::Correction { supersedes, .. } if *supersedes == child => Some(e.id),
        _ => None,
    });
    Ok(HttpResponse::Ok().json(event_response(event, superseded_by, view)))
}
