//! `/api/v1/challenges`: the network's challenge board. Anyone at a member agency reads it and
//! raises challenges; coordinators decide on them and give out the network's actions (closed,
//! like every action, with `PATCH /api/v1/actions/{id}`). Partners never see a challenge's
//! linked cases.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::challenge::{Challenge, ChallengeStatus, Urgency};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, MeetingId};
use fourthp_domain::paging::Limit;
use fourthp_domain::time::london_date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::actions::{action_location, ActionResponse};
use super::{bad_query, created, decode_cursor, encode_cursor, stored};
use crate::app;
use crate::app::challenges::{DecisionFields, RaiseFields};
use crate::auth::Caller;
use crate::extract::{etag, ApiJson, Create, Precondition};
use crate::paths::{ChallengeActionPath, ChallengePath};
use crate::problem::{CreateProblems, Problem, ReadProblems, UpdateProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;

/// A challenge to raise. Personal data does not belong on the board: text that looks like it
/// is about a person is refused (409 `personal-data`, naming what was found) until
/// `personal_data_confirmed` is true.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseChallengeRequest {
    /// A line, up to 200 characters.
    #[schema(example = "Housing providers refuse referrals without ID")]
    pub title: String,
    /// What is happening, up to 4,000 characters: the situation, not the people in it.
    pub description: String,
    #[schema(value_type = Urgency)]
    pub urgency: String,
    /// The sectors it touches (agency kinds).
    #[serde(default)]
    #[schema(value_type = Vec<AgencyKind>)]
    pub sectors: Vec<String>,
    /// The member agencies it touches.
    #[serde(default)]
    pub agencies: Vec<uuid::Uuid>,
    /// Case references to link: cases the caller works on; only coordinators see the links.
    #[serde(default)]
    pub cases: Vec<String>,
    #[serde(default)]
    pub personal_data_confirmed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeResponse {
    pub id: uuid::Uuid,
    /// Its number on the board ("Challenge 12").
    pub number: i64,
    pub title: String,
    pub description: String,
    pub urgency: Urgency,
    pub sectors: Vec<AgencyKind>,
    pub agencies: Vec<uuid::Uuid>,
    pub status: ChallengeStatus,
    /// The last decision's words: why declined, what changed, why escalated.
    pub note: Option<String>,
    pub raised_by_agency_id: Option<uuid::Uuid>,
    pub raised_at: DateTime<Utc>,
    pub resolved_on: Option<NaiveDate>,
    /// When it was first taken to the national forum.
    pub escalated_on: Option<NaiveDate>,
    pub version: i32,
}

impl ChallengeResponse {
    fn new(c: &Challenge) -> Self {
        ChallengeResponse {
            id: c.id.into_uuid(),
            number: c.number,
            title: c.details.title.to_string(),
            description: c.details.description.to_string(),
            urgency: c.details.urgency,
            sectors: c.details.sectors.clone(),
            agencies: c.details.agencies.iter().map(|a| a.into_uuid()).collect(),
            status: c.status,
            note: c.note.as_ref().map(ToString::to_string),
            raised_by_agency_id: c.raised_by_agency.map(AgencyId::into_uuid),
            raised_at: c.raised_at,
            resolved_on: c.resolved_on,
            escalated_on: c.escalated_on,
            version: c.version,
        }
    }
}

/// One decision on a challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub from: Option<ChallengeStatus>,
    pub to: ChallengeStatus,
    pub note: Option<String>,
    /// The deciding agency, by name.
    pub by_agency: Option<String>,
    pub at: DateTime<Utc>,
    pub meeting_id: Option<uuid::Uuid>,
}

/// A challenge with its decisions and the network's actions on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeDetailResponse {
    #[serde(flatten)]
    pub challenge: ChallengeResponse,
    pub decisions: Vec<DecisionResponse>,
    pub actions: Vec<ActionResponse>,
    /// The linked cases' references: coordinators only (absent for everyone else).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_references: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeListResponse {
    pub items: Vec<ChallengeResponse>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChallengeQuery {
    #[param(value_type = Option<ChallengeStatus>)]
    pub status: Option<ChallengeStatus>,
    /// 1 to 200 (default 50).
    #[serde(default, deserialize_with = "field::limit")]
    #[param(value_type = Option<i64>)]
    pub limit: Option<Limit>,
    pub cursor: Option<String>,
}

/// A decision to take on a challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// The step: `accepted`, `declined` (with why), `being_worked`, `resolved` (with what
    /// changed) or `escalated` (to the national forum, with why).
    #[schema(value_type = ChallengeStatus)]
    pub to: String,
    #[serde(default)]
    pub note: Option<String>,
    /// The network meeting it was taken at: it goes into that meeting's minutes.
    #[serde(default)]
    pub meeting_id: Option<uuid::Uuid>,
}

/// A network action to give out on a challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkActionRequest {
    /// What is owed, up to 1,000 characters.
    pub description: String,
    /// The member agency that owes it.
    pub owner_agency_id: uuid::Uuid,
    #[schema(value_type = String, format = Date)]
    pub due_on: String,
    /// The network meeting it was given out at: it goes into that meeting's minutes.
    #[serde(default)]
    pub meeting_id: Option<uuid::Uuid>,
}

const CURSOR_KIND: &str = "challenges";

/// Raise a challenge (coordinators and partners).
#[utoipa::path(
    tag = "network",
    request_body = RaiseChallengeRequest,
    responses((status = 201, description = "Raised", body = ChallengeResponse, headers(("ETag" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/challenges")]
pub async fn raise_challenge(
    caller: Caller,
    state: web::Data<AppState>,
    body: ApiJson<RaiseChallengeRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let fields = RaiseFields {
        title: b.title,
        description: b.description,
        urgency: b.urgency,
        sectors: b.sectors,
        agencies: b.agencies.into_iter().map(AgencyId::from_uuid).collect(),
        cases: b.cases,
        personal_data_confirmed: b.personal_data_confirmed,
    };
    let c = app::challenges::raise(&caller, &state, fields).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/challenges/{}", c.id)))
        .insert_header((header::ETAG, etag(c.version)))
        .json(ChallengeResponse::new(&c)))
}

/// The board, newest first (coordinators and partners).
#[utoipa::path(
    tag = "network",
    params(ChallengeQuery),
    responses((status = 200, description = "A page of challenges", body = ChallengeListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/challenges")]
pub async fn list_challenges(caller: Caller, state: web::Data<AppState>, query: ApiQuery<ChallengeQuery>) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let mut errs = FieldErrors::new();
    let limit = q.limit.unwrap_or_default();
    let before = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs)).and_then(|p| match p.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errs.push("cursor", "is not a cursor this list gave");
            None
        }
    });
    bad_query(errs)?;
    let page = app::challenges::board(&caller, &state, q.status, limit, before).await?;
    Ok(HttpResponse::Ok().json(ChallengeListResponse {
        items: page.items.iter().map(ChallengeResponse::new).collect(),
        next_cursor: page.next.map(|n| encode_cursor(CURSOR_KIND, &n.to_string())),
    }))
}

/// One challenge, its decisions and actions; its linked cases for coordinators.
#[utoipa::path(
    tag = "network",
    params(ChallengePath),
    responses((status = 200, description = "The challenge", body = ChallengeDetailResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/challenges/{id}")]
pub async fn get_challenge(caller: Caller, state: web::Data<AppState>, path: ChallengePath) -> Result<HttpResponse, Problem> {
    let v = app::challenges::get(&caller, &state, path.id).await?;
    let today = london_date(caller.ctx.at);
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(v.challenge.version))).json(ChallengeDetailResponse {
        challenge: ChallengeResponse::new(&v.challenge),
        decisions: v
            .decisions
            .iter()
            .map(|d| DecisionResponse {
                from: d.from,
                to: d.to,
                note: d.note.clone(),
                by_agency: d.by_agency.clone(),
                at: d.at,
                meeting_id: d.meeting.map(MeetingId::into_uuid),
            })
            .collect(),
        actions: v.actions.iter().map(|a| ActionResponse::new(a, today)).collect(),
        case_references: v.cases.map(|cs| cs.iter().map(|c| c.1.as_str().to_owned()).collect()),
    }))
}

/// Take a decision on a challenge (coordinators): accept, decline, work on, resolve, escalate.
/// Requires `If-Match`: a decision taken meanwhile is not overruled unseen.
#[utoipa::path(
    tag = "network",
    params(ChallengePath, ("If-Match" = String, Header, description = "The ETag of the version decided on")),
    request_body = DecisionRequest,
    responses((status = 200, description = "The challenge as decided", body = ChallengeResponse, headers(("ETag" = String))), UpdateProblems),
    security(("bearer" = []))
)]
#[post("/challenges/{id}/decisions")]
pub async fn decide_challenge(
    caller: Caller,
    state: web::Data<AppState>,
    path: ChallengePath,
    precondition: Precondition,
    body: ApiJson<DecisionRequest>,
) -> Result<HttpResponse, Problem> {
    // The role before the precondition: a partner is told it may not, not to send If-Match.
    caller.concerns(fourthp_domain::audit::EntityType::Challenge, path.id.into_uuid());
    fourthp_domain::access::challenge_access(caller.principal().role, fourthp_domain::access::ChallengeAction::Decide)
        .map_err(app::AppError::from)?;
    let b = body.value;
    let fields = DecisionFields { to: b.to, note: b.note.unwrap_or_default(), meeting: b.meeting_id.map(MeetingId::from_uuid) };
    let change = app::challenges::parse_decision(&fields)?;
    let expected = precondition.get()?.expected();
    let c = app::challenges::decide(&caller, &state, path.id, expected, change, fields.meeting).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(c.version))).json(ChallengeResponse::new(&c)))
}

/// Give out a network action on a challenge (coordinators): owed by a member agency, on its
/// "what we owe" list and in its daily email at once. Closed with `PATCH /api/v1/actions/{id}`.
#[utoipa::path(
    tag = "network",
    params(ChallengePath, ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe retries")),
    request_body = NetworkActionRequest,
    responses((status = 201, description = "Given out", body = ActionResponse, headers(("ETag" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/challenges/{id}/actions")]
pub async fn add_challenge_action(
    caller: Caller,
    state: web::Data<AppState>,
    path: ChallengePath,
    body: Create<NetworkActionRequest>,
) -> Result<HttpResponse, Problem> {
    let key = body.key(&caller);
    let today = london_date(caller.ctx.at);
    let b = body.value;
    let follow_up =
        app::interventions::FollowUp { description: b.description, owner: AgencyId::from_uuid(b.owner_agency_id), due_on: b.due_on };
    let respond = |a: &fourthp_domain::action::Action| stored(&ActionResponse::new(a, today), action_location(a), Some(etag(a.version)));
    let meeting = b.meeting_id.map(MeetingId::from_uuid);
    created(app::challenges::add_action(&caller, &state, path.id, key.as_ref(), follow_up, meeting, respond).await?)
}

/// One network action of a challenge (coordinators and partners).
#[utoipa::path(
    tag = "network",
    params(ChallengeActionPath),
    responses((status = 200, description = "The action", body = ActionResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/challenges/{id}/actions/{action_id}")]
pub async fn get_challenge_action(caller: Caller, state: web::Data<AppState>, path: ChallengeActionPath) -> Result<HttpResponse, Problem> {
    let a = app::challenges::action(&caller, &state, path.challenge, path.action).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(a.version))).json(ActionResponse::new(&a, london_date(caller.ctx.at))))
}
