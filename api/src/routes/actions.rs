//! Follow-up actions: `/api/v1/cases/{id}/actions`, `/api/v1/actions`.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, CaseAction};
use fourthp_domain::action::{Action, ActionChange, ActionNote, ActionStatus};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{ActionId, AgencyId};
use fourthp_domain::time::london_date;
use fourthp_persistence::actions::{ActionError, ActionFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, created, decode_cursor, encode_cursor, stored};
use crate::app;
use crate::auth::Caller;
use crate::extract::{etag, ApiJson, Create, Precondition};
use crate::paths::{ActionPath, CaseActionPath, CasePath};
use crate::problem::{CreateProblems, FieldProblem, Problem, ReadProblems, UpdateProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;
use fourthp_domain::paging::Limit;

/// A follow-up action agreed in the same conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActionRequest {
    /// What is owed, up to 1,000 characters.
    pub description: String,
    /// The agency that owes it; it must be on the case team.
    pub owner_agency_id: uuid::Uuid,
    #[schema(value_type = String, format = Date)]
    pub due_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureResponse {
    pub note: String,
    pub by: String,
    pub by_agency: Option<uuid::Uuid>,
    pub on: NaiveDate,
}

/// An action an agency owes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResponse {
    pub id: uuid::Uuid,
    /// The case it is owed on; null for a network action.
    pub case_id: Option<uuid::Uuid>,
    /// The network challenge it is owed on; null for a case's action.
    pub challenge_id: Option<uuid::Uuid>,
    /// The network meeting it was given out at, if any.
    pub meeting_id: Option<uuid::Uuid>,
    pub description: String,
    pub owner_agency_id: uuid::Uuid,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    /// Open and past its due date (Europe/London).
    pub overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_intervention_id: Option<uuid::Uuid>,
    /// How it was completed, or why it was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closure: Option<ClosureResponse>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// Where an action lives in the API: under its case, or under its challenge.
pub fn action_location(a: &Action) -> String {
    match a.on {
        fourthp_domain::action::ActionOn::Case(c) => format!("/api/v1/cases/{c}/actions/{}", a.id),
        fourthp_domain::action::ActionOn::Challenge(c) => format!("/api/v1/challenges/{c}/actions/{}", a.id),
    }
}

impl ActionResponse {
    pub fn new(a: &Action, today: NaiveDate) -> Self {
        ActionResponse {
            id: a.id.into_uuid(),
            case_id: a.on.case().map(|c| c.into_uuid()),
            challenge_id: a.on.challenge().map(|c| c.into_uuid()),
            meeting_id: a.meeting.map(|m| m.into_uuid()),
            description: a.details.description.to_string(),
            owner_agency_id: a.details.owner_agency_id.into_uuid(),
            due_on: a.details.due_on,
            status: a.status(),
            overdue: a.is_overdue(today),
            from_intervention_id: a.from_intervention.map(|i| i.into_uuid()),
            closure: a.closure.as_ref().map(|c| ClosureResponse {
                note: c.note.to_string(),
                by: c.by.to_string(),
                by_agency: c.by_agency.map(AgencyId::into_uuid),
                on: c.on,
            }),
            version: a.version,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionListResponse {
    pub items: Vec<ActionResponse>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    #[param(value_type = Option<ActionStatus>)]
    pub status: Option<ActionStatus>,
    /// `true`: only open actions past their due date.
    #[param(value_type = Option<bool>)]
    #[serde(default, deserialize_with = "field::flag")]
    pub overdue: Option<bool>,
    /// Coordinators: only actions this agency owes.
    #[param(value_type = Option<uuid::Uuid>)]
    #[serde(default, deserialize_with = "field::id")]
    pub owner_agency_id: Option<AgencyId>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    pub cursor: Option<String>,
}

/// Complete an action with a note, or cancel it with a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchActionRequest {
    /// `done` or `cancelled`.
    pub status: ActionStatus,
    /// How it was done (with `done`).
    pub note: Option<String>,
    /// Why it was cancelled (with `cancelled`).
    pub reason: Option<String>,
}

impl From<ActionError> for Problem {
    fn from(e: ActionError) -> Self {
        crate::app::AppError::from(e).into()
    }
}

/// Agree an action on a case (coordinators): its owner must be on the team. Its due date joins
/// the deadline queue as `action_due`.
#[utoipa::path(
    tag = "daily log",
    params(
        CasePath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: a replay returns the first response (kept 24 hours)"),
    ),
    request_body = NewActionRequest,
    responses((status = 201, description = "Agreed", body = ActionResponse, headers(("Location" = String), ("ETag" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases/{id}/actions")]
pub async fn create_action(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    body: Create<NewActionRequest>,
) -> Result<HttpResponse, Problem> {
    let key = body.key(&caller);
    let today = london_date(caller.ctx.at);
    let respond = |a: &Action| stored(&ActionResponse::new(a, today), action_location(a), Some(etag(a.version)));
    let follow_up = super::interventions::follow_up(body.value);
    created(app::actions::create(&caller, &state, path.id, key.as_ref(), follow_up, respond).await?)
}

const CURSOR_KIND: &str = "action";

fn parse_query(
    q: ActionQuery,
    caller: &Caller,
    errs: &mut FieldErrors,
) -> (ActionFilter, fourthp_domain::paging::Limit, Option<(NaiveDate, ActionId)>) {
    let limit = q.limit.unwrap_or_default();
    let (status, overdue, owner) = (q.status, q.overdue.unwrap_or(false), q.owner_agency_id);
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, errs)).and_then(|s| {
        let parsed = s.split_once('|').and_then(|(d, id)| Some((super::parse_date(d).ok()?, ActionId::parse(id).ok()?)));
        if parsed.is_none() {
            errs.push("cursor", "is not a cursor this list returned");
        }
        parsed
    });
    let today = london_date(caller.ctx.at);
    let filter = ActionFilter { case: None, owner, on_team_of: None, status, overdue_on: overdue.then_some(today) };
    (filter, limit, after)
}

fn page_response(page: fourthp_domain::paging::Page<Action, (NaiveDate, ActionId)>, today: NaiveDate) -> HttpResponse {
    HttpResponse::Ok().json(ActionListResponse {
        items: page.items.iter().map(|a| ActionResponse::new(a, today)).collect(),
        next_cursor: page.next.map(|(d, id)| encode_cursor(CURSOR_KIND, &format!("{d}|{id}"))),
    })
}

/// A case's actions: all for coordinators, a partner's own agency's for partners.
#[utoipa::path(
    tag = "daily log",
    params(CasePath, ActionQuery),
    responses((status = 200, description = "A page of actions", body = ActionListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/actions")]
pub async fn case_actions(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: ApiQuery<ActionQuery>,
) -> Result<HttpResponse, Problem> {
    let mut errs = FieldErrors::new();
    let (filter, limit, after) = parse_query(query.0, &caller, &mut errs);
    bad_query(errs)?;
    let page = app::actions::of_case(&caller, &state, path.id, filter, limit, after).await?;
    Ok(page_response(page, london_date(caller.ctx.at)))
}

/// Actions across cases: every action for coordinators; for partners, those their agency owes
/// on cases it is on (`?status=open&overdue=true` for what is late).
#[utoipa::path(
    tag = "daily log",
    params(ActionQuery),
    responses((status = 200, description = "A page of actions", body = ActionListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/actions")]
pub async fn list_actions(caller: Caller, state: web::Data<AppState>, query: ApiQuery<ActionQuery>) -> Result<HttpResponse, Problem> {
    let mut errs = FieldErrors::new();
    let (filter, limit, after) = parse_query(query.0, &caller, &mut errs);
    bad_query(errs)?;
    let page = crate::app::actions::visible(&caller, &state, filter, limit, after).await?;
    Ok(page_response(page, london_date(caller.ctx.at)))
}

/// One action of the case.
#[utoipa::path(
    tag = "daily log",
    params(CaseActionPath),
    responses((status = 200, description = "The action", body = ActionResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/actions/{action_id}")]
pub async fn get_action(caller: Caller, state: web::Data<AppState>, path: CaseActionPath) -> Result<HttpResponse, Problem> {
    let a = app::actions::get(&caller, &state, path.case, path.action).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(a.version))).json(ActionResponse::new(&a, london_date(caller.ctx.at))))
}

/// Complete an action with a note or cancel it with a reason: coordinators, or the owning
/// agency's partners. Requires `If-Match`.
#[utoipa::path(
    tag = "daily log",
    params(
        ActionPath,
        ("If-Match" = String, Header, description = "The ETag of the version being changed"),
    ),
    request_body = PatchActionRequest,
    responses((status = 200, description = "The closed action", body = ActionResponse, headers(("ETag" = String))), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/actions/{id}")]
pub async fn patch_action(
    caller: Caller,
    state: web::Data<AppState>,
    path: ActionPath,
    precondition: Precondition,
    body: ApiJson<PatchActionRequest>,
) -> Result<HttpResponse, Problem> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    let id = path.id;
    let b = body.value;
    let mut errs = FieldErrors::new();
    let text = |errs: &mut FieldErrors, field: &str, v: Option<String>| match v {
        Some(t) => errs.check(field, ActionNote::parse(&t)),
        None => {
            errs.push(field, "is required");
            None
        }
    };
    let change = match b.status {
        ActionStatus::Done if b.reason.is_none() => text(&mut errs, "note", b.note).map(|note| ActionChange::Complete { note }),
        ActionStatus::Cancelled if b.note.is_none() => text(&mut errs, "reason", b.reason).map(|reason| ActionChange::Cancel { reason }),
        ActionStatus::Done | ActionStatus::Cancelled => {
            let field = if b.status == ActionStatus::Done { "reason" } else { "note" };
            let mut p = Problem::validation(FieldErrors::new());
            p.errors.push(FieldProblem { field: field.into(), message: format!("does not go with status {}", b.status) });
            return Err(p);
        }
        ActionStatus::Open => {
            errs.push("status", "must be done or cancelled");
            None
        }
    };
    let Some(change) = change else { return Err(errs.into()) };
    let if_match = precondition.get()?;
    let action = crate::app::actions::close(&caller, &state, id, if_match.expected(), change).await?;
    let today = london_date(caller.ctx.at);
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(action.version))).json(ActionResponse::new(&action, today)))
}
