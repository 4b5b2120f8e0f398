//! The case team: `PUT`/`DELETE /api/v1/cases/{id}/team/{agency_id}` (coordinators).

use actix_web::http::StatusCode;
use actix_web::{delete, put, web, HttpResponse};
use fourthp_persistence::cases::TeamChange;
use serde::Deserialize;
use utoipa::ToSchema;

use super::cases::TeamMemberResponse;
use crate::app;
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::paths::CaseAgencyPath;
use crate::problem::{Problem, ReadProblems, UpdateProblems};
use crate::state::AppState;

/// Body of `PUT /cases/{id}/team/{agency_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberRequest {
    /// What the agency does on this case, up to 100 characters ("GP practice").
    #[schema(example = "GP practice")]
    pub role: Option<String>,
}

/// Put an agency on the case team, or change its role there (coordinators).
#[utoipa::path(
    tag = "cases",
    params(CaseAgencyPath),
    request_body = TeamMemberRequest,
    responses(
        (status = 201, description = "The agency joined the team", body = TeamMemberResponse),
        (status = 200, description = "The agency was on the team; its role is as sent", body = TeamMemberResponse),
        UpdateProblems
    ),
    security(("bearer" = []))
)]
#[put("/cases/{id}/team/{agency_id}")]
pub async fn put_team_member(
    caller: Caller,
    state: web::Data<AppState>,
    path: CaseAgencyPath,
    body: ApiJson<TeamMemberRequest>,
) -> Result<HttpResponse, Problem> {
    let CaseAgencyPath { case: case_id, agency: agency_id } = path;
    let change = app::team::put(&caller, &state, case_id, agency_id, body.value.role.as_deref()).await?;
    let (status, member) = match change {
        TeamChange::Added(m) => (StatusCode::CREATED, m),
        TeamChange::Changed(m) | TeamChange::Unchanged(m) => (StatusCode::OK, m),
    };
    Ok(HttpResponse::build(status).json(TeamMemberResponse {
        agency_id: member.agency_id.into_uuid(),
        role: member.role.map(|r| r.to_string()),
        added_at: member.added_at,
    }))
}

/// Take an agency off the case team (coordinators).
#[utoipa::path(
    tag = "cases",
    params(CaseAgencyPath),
    responses((status = 204, description = "Removed"), ReadProblems),
    security(("bearer" = []))
)]
#[delete("/cases/{id}/team/{agency_id}")]
pub async fn delete_team_member(caller: Caller, state: web::Data<AppState>, path: CaseAgencyPath) -> Result<HttpResponse, Problem> {
    app::team::remove(&caller, &state, path.case, path.agency).await?;
    Ok(HttpResponse::NoContent().finish())
}
