//! `POST /api/v1/auth/revocations`: cutting off a token FourthP issued, at once.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::problem::{CreateProblems, Problem};
use crate::state::AppState;

/// The token to revoke, by the `jti` it carries.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevocationRequest {
    pub jti: uuid::Uuid,
}

/// Revoke a token FourthP issued (administrators): it is refused from now on, on this instance at
/// once and on every other within a second. Unknown (or already revoked) tokens are 404.
#[utoipa::path(
    tag = "accounts",
    request_body = RevocationRequest,
    responses((status = 204, description = "Revoked"), CreateProblems),
    security(("bearer" = []))
)]
#[post("/auth/revocations")]
pub async fn revoke(caller: Caller, state: web::Data<AppState>, body: ApiJson<RevocationRequest>) -> Result<HttpResponse, Problem> {
    crate::app::tokens::revoke(&caller, &state, body.value.jti).await?;
    Ok(HttpResponse::NoContent().finish())
}
