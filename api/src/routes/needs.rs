//! Support needs: `/api/v1/cases/{id}/needs`, `/api/v1/needs/{id}` (coordinators).

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, CaseAction};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::NeedId;
use fourthp_domain::need::{Need, NeedDomain, NeedState, NeedStatus};
use fourthp_domain::time::london_date;
use fourthp_persistence::needs::{self, NeedError};
use fourthp_persistence::{write, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{authorize, case_for, created, double_option, parse_date, stored};
use crate::auth::Caller;
use crate::extract::{etag, ApiJson, Create, Precondition};
use crate::paths::{CaseNeedPath, CasePath, NeedPath};
use crate::problem::{CreateProblems, Problem, ReadProblems, UpdateProblems};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNeedRequest {
    pub domain: NeedDomain,
    #[schema(value_type = String, format = Date)]
    pub identified_on: String,
    /// Defaults to open.
    pub status: Option<NeedStatus>,
    /// Required when (and only when) the status is met.
    #[schema(value_type = Option<String>, format = Date)]
    pub met_on: Option<String>,
}

/// Changes to a need; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchNeedRequest {
    pub status: Option<NeedStatus>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub met_on: Option<Option<String>>,
    #[schema(value_type = Option<String>, format = Date)]
    pub identified_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NeedResponse {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub domain: NeedDomain,
    pub identified_on: NaiveDate,
    pub status: NeedStatus,
    pub met_on: Option<NaiveDate>,
    /// Days from identification to being met.
    pub days_to_meet: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NeedResponse {
    pub fn new(n: &Need) -> Self {
        NeedResponse {
            id: n.id.into_uuid(),
            case_id: n.case_id.into_uuid(),
            domain: n.domain,
            identified_on: n.state.identified_on,
            status: n.state.status,
            met_on: n.state.met_on,
            days_to_meet: n.met().map(|(_, on)| (on - n.state.identified_on).num_days()),
            version: n.version,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NeedListResponse {
    /// By the date identified.
    pub items: Vec<NeedResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl From<NeedError> for Problem {
    fn from(e: NeedError) -> Self {
        match e {
            NeedError::NotFound => Problem::not_found(),
            NeedError::Denied(d) => d.into(),
            NeedError::VersionMismatch => Problem::precondition_failed(),
            NeedError::Invalid(errs) => errs.into(),
            NeedError::Store(s) => s.into(),
        }
    }
}

/// Record a support need (coordinators). A met `health_gp` need meets the case's GP-access
/// deadline.
#[utoipa::path(
    tag = "daily log",
    params(
        CasePath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: a replay returns the first response (kept 24 hours)"),
    ),
    request_body = CreateNeedRequest,
    responses((status = 201, description = "Recorded", body = NeedResponse, headers(("Location" = String), ("ETag" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases/{id}/needs")]
pub async fn create_need(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    body: Create<CreateNeedRequest>,
) -> Result<HttpResponse, Problem> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let id = path.id;
    let key = body.key(&caller);
    let b = body.value;
    let today = london_date(caller.ctx.at);
    let mut errs = FieldErrors::new();
    let identified_on = errs.check("identified_on", parse_date(&b.identified_on));
    let met_on = errs.check_opt("met_on", b.met_on.as_deref().map(parse_date));
    let (Some(identified_on), Some(met_on)) = (identified_on, met_on) else { return Err(errs.into()) };
    let need_state = NeedState { identified_on, status: b.status.unwrap_or(NeedStatus::Open), met_on }.validate(today)?;
    let ctx = &caller.ctx;
    let outcome = write::run(
        &state.db,
        key.as_ref(),
        ctx.at,
        async |conn| needs::create(conn, ctx, id, b.domain, need_state, &state.rules.book, authorize(&caller, CaseAction::Update)).await,
        |n| stored(&NeedResponse::new(n), format!("/api/v1/needs/{}", n.id), Some(etag(n.version))),
    )
    .await?;
    created(outcome)
}

/// A case's needs (coordinators).
#[utoipa::path(
    tag = "daily log",
    params(CasePath, super::PageQuery),
    responses((status = 200, description = "A page of the needs", body = NeedListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/needs")]
pub async fn case_needs(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: crate::query::ApiQuery<super::PageQuery>,
) -> Result<HttpResponse, Problem> {
    let (id, _, _) = super::case_at(&state.db, &caller, path.id, CaseAction::ReadSupportRecord).await?;
    let all = needs::for_case(&state.db, id).await?;
    let (page, next_cursor) = super::page_of(all, "need", &query.0, |n| format!("{}|{}", n.state.identified_on, n.id))?;
    Ok(HttpResponse::Ok().json(NeedListResponse { items: page.iter().map(NeedResponse::new).collect(), next_cursor }))
}

async fn need_of(db: &Db, caller: &Caller, id: NeedId) -> Result<Need, Problem> {
    access::precheck(caller.principal().role, CaseAction::ReadSupportRecord)?;
    let need = needs::get(db, id).await?.ok_or_else(Problem::not_found)?;
    case_for(db, caller, need.case_id, CaseAction::ReadSupportRecord).await?;
    Ok(need)
}

fn need_response(n: &Need) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(n.version))).json(NeedResponse::new(n))
}

/// One need (coordinators).
#[utoipa::path(
    tag = "daily log",
    params(NeedPath),
    responses((status = 200, description = "The need", body = NeedResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/needs/{id}")]
pub async fn get_need(caller: Caller, state: web::Data<AppState>, path: NeedPath) -> Result<HttpResponse, Problem> {
    let id = path.id;
    Ok(need_response(&need_of(&state.db, &caller, id).await?))
}

/// One need of the case (coordinators).
#[utoipa::path(
    tag = "daily log",
    params(CaseNeedPath),
    responses((status = 200, description = "The need", body = NeedResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/needs/{need_id}")]
pub async fn get_case_need(caller: Caller, state: web::Data<AppState>, path: CaseNeedPath) -> Result<HttpResponse, Problem> {
    let case = path.case;
    let id = path.need;
    access::precheck(caller.principal().role, CaseAction::ReadSupportRecord)?;
    case_for(&state.db, &caller, case, CaseAction::ReadSupportRecord).await?;
    let need = match needs::get(&state.db, id).await? {
        Some(n) if n.case_id == case => n,
        Some(_) => {
            caller.refused_child();
            return Err(Problem::not_found());
        }
        None => return Err(Problem::not_found()),
    };
    Ok(need_response(&need))
}

/// Change a need's status (coordinators); requires `If-Match`. Meeting a `health_gp` need meets
/// the GP-access deadline if on or before its due date; otherwise it stays missed, with the real
/// date recorded.
#[utoipa::path(
    tag = "daily log",
    params(
        NeedPath,
        ("If-Match" = String, Header, description = "The ETag of the version being changed"),
    ),
    request_body = PatchNeedRequest,
    responses((status = 200, description = "The updated need", body = NeedResponse, headers(("ETag" = String))), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/needs/{id}")]
pub async fn patch_need(
    caller: Caller,
    state: web::Data<AppState>,
    path: NeedPath,
    precondition: Precondition,
    body: ApiJson<PatchNeedRequest>,
) -> Result<HttpResponse, Problem> {
    let if_match = precondition.get()?;
    let need = change_need(&caller, &state, path.id, if_match.expected(), body.value).await?;
    Ok(need_response(&need))
}

/// Changes a need: its status (met, with the day), when it was identified (the API and the case
/// page's "mark met"). The need's deadline (GP access) is re-derived in the same transaction.
pub async fn change_need(
    caller: &Caller,
    state: &AppState,
    id: fourthp_domain::ids::NeedId,
    expected: Option<i32>,
    b: PatchNeedRequest,
) -> Result<fourthp_domain::need::Need, Problem> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let mut errs = FieldErrors::new();
    let identified_on = errs.check_opt("identified_on", b.identified_on.as_deref().map(parse_date));
    let met_on = b.met_on.map(|m| errs.check_opt("met_on", m.as_deref().map(parse_date)));
    let (Some(identified_on), Some(met_on)) = (identified_on, met_on.map_or(Some(None), |m| m.map(Some))) else { return Err(errs.into()) };
    let today = london_date(caller.ctx.at);
    let status = b.status;
    let change = move |s: NeedState| {
        let status = status.unwrap_or(s.status);
        // Leaving "met" clears the date unless one is sent; the whole is then checked.
        let met_on = match met_on {
            Some(m) => m,
            None if status == NeedStatus::Met => s.met_on,
            None => None,
        };
        NeedState { identified_on: identified_on.unwrap_or(s.identified_on), status, met_on }.validate(today)
    };
    Ok(needs::update(&state.db, &caller.ctx, id, expected, change, &state.rules.book, authorize(caller, CaseAction::Update)).await?)
}
