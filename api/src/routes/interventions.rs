//! `/api/v1/cases/{id}/interventions`: logging the calls and emails, in seconds.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::sees_summary;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, InterventionId, NeedId};
use fourthp_domain::intervention::{Channel, Direction, Intervention};
use fourthp_domain::need::NeedDomain;
use fourthp_domain::principal::Principal;
use fourthp_domain::time::london_date;
use fourthp_persistence::interventions::InterventionCursor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::actions::{ActionResponse, NewActionRequest};
use super::{bad_query, created, decode_cursor, encode_cursor, stored};
use crate::app::{
    self,
    interventions::{FollowUp, LogFields, Logged},
};
use crate::auth::Caller;
use crate::extract::Create;
use crate::paths::{CaseInterventionPath, CasePath};
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;
use fourthp_domain::paging::Limit;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInterventionRequest {
    pub channel: Channel,
    pub direction: Direction,
    /// The agency on the other end: a registered, active agency.
    pub counterpart_agency_id: uuid::Uuid,
    /// When it happened (RFC 3339); at most 5 minutes ahead of the server's clock.
    pub occurred_at: DateTime<Utc>,
    pub need_domain: NeedDomain,
    /// The need it serves, if recorded.
    pub need_id: Option<uuid::Uuid>,
    /// What was said or done, up to 4,000 characters (trimmed).
    pub summary: String,
    /// 0 to 1,440.
    pub duration_minutes: i64,
    /// Follow-up actions agreed (coordinators only), created in the same transaction.
    #[serde(default)]
    pub actions: Vec<NewActionRequest>,
    /// Ask the counterpart agency what happened this many days later (coordinators only, 1 to
    /// 60): its daily email asks on that day, and the answer joins the case's timeline.
    #[schema(minimum = 1, maximum = 60)]
    pub ask_back_after_days: Option<i64>,
}

/// An intervention. Partners see the summary and recorder of their own agency's interventions
/// only; of others, the shared fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct InterventionResponse {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub channel: Channel,
    pub direction: Direction,
    pub counterpart_agency_id: uuid::Uuid,
    pub occurred_at: DateTime<Utc>,
    pub need_domain: NeedDomain,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_id: Option<uuid::Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub duration_minutes: u16,
    pub recorded_by_agency: uuid::Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

impl InterventionResponse {
    pub fn new(i: &Intervention, viewer: &Principal) -> Self {
        let own = sees_summary(viewer, i.recorded_by_agency);
        let d = &i.details;
        InterventionResponse {
            id: i.id.into_uuid(),
            case_id: i.case_id.into_uuid(),
            channel: d.channel,
            direction: d.direction,
            counterpart_agency_id: d.counterpart_agency_id.into_uuid(),
            occurred_at: d.occurred_at,
            need_domain: d.need_domain,
            need_id: d.need_id.filter(|_| own).map(NeedId::into_uuid),
            summary: own.then(|| d.summary.to_string()),
            duration_minutes: d.duration_minutes.get(),
            recorded_by_agency: i.recorded_by_agency.into_uuid(),
            recorded_by: own.then(|| i.recorded_by.to_string()),
            recorded_at: i.recorded_at,
        }
    }
}

/// A logged intervention and the actions agreed with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInterventionResponse {
    #[serde(flatten)]
    pub intervention: InterventionResponse,
    pub actions: Vec<ActionResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterventionListResponse {
    pub items: Vec<InterventionResponse>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InterventionQuery {
    #[param(value_type = Option<Channel>)]
    pub channel: Option<Channel>,
    #[param(value_type = Option<uuid::Uuid>)]
    #[serde(default, deserialize_with = "field::id")]
    pub counterpart_agency_id: Option<AgencyId>,
    #[param(value_type = Option<NeedDomain>)]
    pub need_domain: Option<NeedDomain>,
    /// Occurred on or after this date (YYYY-MM-DD, London; from 2009-04-01 to 9999-12-31).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "field::date")]
    pub from: Option<NaiveDate>,
    /// Occurred before this date (YYYY-MM-DD, London; from 2009-04-01 to 9999-12-31).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "field::date")]
    pub to: Option<NaiveDate>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    pub cursor: Option<String>,
}

/// Log an intervention on a case, as the caller's agency (coordinators, and partners on the
/// case). Follow-up actions may be agreed in the same request.
#[utoipa::path(
    tag = "daily log",
    params(
        CasePath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: a replay returns the first response (kept 24 hours)"),
    ),
    request_body = CreateInterventionRequest,
    responses((status = 201, description = "Logged", body = CreatedInterventionResponse, headers(("Location" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases/{id}/interventions")]
pub async fn create_intervention(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    body: Create<CreateInterventionRequest>,
) -> Result<HttpResponse, Problem> {
    let key = body.key(&caller);
    let b = body.value;
    let fields = LogFields {
        channel: b.channel,
        direction: b.direction,
        counterpart: AgencyId::from_uuid(b.counterpart_agency_id),
        occurred_at: b.occurred_at,
        need_domain: b.need_domain,
        need: b.need_id.map(NeedId::from_uuid),
        summary: b.summary,
        duration_minutes: b.duration_minutes,
        follow_ups: b.actions.into_iter().map(follow_up).collect(),
        ask_back_days: b.ask_back_after_days,
    };
    let principal = caller.principal().clone();
    let today = london_date(caller.ctx.at);
    let respond = |(intervention, actions): &Logged| {
        let body = CreatedInterventionResponse {
            intervention: InterventionResponse::new(intervention, &principal),
            actions: actions.iter().map(|a| ActionResponse::new(a, today)).collect(),
        };
        stored(&body, format!("/api/v1/cases/{}/interventions/{}", intervention.case_id, intervention.id), None)
    };
    created(app::interventions::log(&caller, &state, path.id, key.as_ref(), fields, respond).await?)
}

/// A follow-up agreed in a request, as the use case takes it.
pub fn follow_up(a: NewActionRequest) -> FollowUp {
    FollowUp { description: a.description, owner: AgencyId::from_uuid(a.owner_agency_id), due_on: a.due_on }
}

const CURSOR_KIND: &str = "intervention";

/// A case's interventions, most recent first, as the caller may see them.
#[utoipa::path(
    tag = "daily log",
    params(CasePath, InterventionQuery),
    responses((status = 200, description = "A page of interventions", body = InterventionListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/interventions")]
pub async fn list_interventions(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: ApiQuery<InterventionQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let mut errs = FieldErrors::new();
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs)).and_then(|s| {
        let parsed = s.split_once('|').and_then(|(at, id)| {
            Some(InterventionCursor {
                occurred_at: DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
                id: InterventionId::parse(id).ok()?,
            })
        });
        if parsed.is_none() {
            errs.push("cursor", "is not a cursor this list returned");
        }
        parsed
    });
    bad_query(errs)?;
    let request = app::interventions::InterventionQuery {
        channel: q.channel,
        counterpart: q.counterpart_agency_id,
        need_domain: q.need_domain,
        from: q.from,
        to: q.to,
        limit: q.limit.unwrap_or_default(),
        after,
    };
    let page = app::interventions::of_case(&caller, &state, path.id, request).await?;
    Ok(HttpResponse::Ok().json(InterventionListResponse {
        items: page.items.iter().map(|i| InterventionResponse::new(i, caller.principal())).collect(),
        next_cursor: page.next.map(|c| encode_cursor(CURSOR_KIND, &format!("{}|{}", c.occurred_at.to_rfc3339(), c.id))),
    }))
}

/// One intervention of the case.
#[utoipa::path(
    tag = "daily log",
    params(CaseInterventionPath),
    responses((status = 200, description = "The intervention", body = InterventionResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/interventions/{intervention_id}")]
pub async fn get_intervention(caller: Caller, state: web::Data<AppState>, path: CaseInterventionPath) -> Result<HttpResponse, Problem> {
    let i = app::interventions::get(&caller, &state, path.case, path.intervention).await?;
    Ok(HttpResponse::Ok().json(InterventionResponse::new(&i, caller.principal())))
}
