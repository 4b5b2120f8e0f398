//! Support needs: `/api/v1/cases/{id}/needs`, `/api/v1/needs/{id}` (coordinators).

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::need::{Need, NeedDomain, NeedStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{created, double_option, stored};
use crate::app::{
    self,
    needs::{NeedChange, NeedFields},
};
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
    let key = body.key(&caller);
    let b = body.value;
    let fields = NeedFields { domain: b.domain, identified_on: b.identified_on, status: b.status, met_on: b.met_on };
    let respond = |n: &Need| stored(&NeedResponse::new(n), format!("/api/v1/needs/{}", n.id), Some(etag(n.version)));
    created(app::needs::record(&caller, &state, path.id, key.as_ref(), fields, respond).await?)
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
    let all = app::needs::of_case(&caller, &state, path.id).await?;
    let (page, next_cursor) = super::page_of(all, "need", &query.0, |n| format!("{}|{}", n.state.identified_on, n.id))?;
    Ok(HttpResponse::Ok().json(NeedListResponse { items: page.iter().map(NeedResponse::new).collect(), next_cursor }))
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
    Ok(need_response(&app::needs::get(&caller, &state, path.id).await?))
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
    let need = app::needs::get_of_case(&caller, &state, path.case, path.need).await?;
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
    let b = body.value;
    let change = NeedChange { status: b.status, met_on: b.met_on, identified_on: b.identified_on };
    let need = app::needs::change(&caller, &state, path.id, if_match.expected(), change).await?;
    Ok(need_response(&need))
}
