//! Operational endpoints, outside `/api/v1` and without authentication.

use actix_web::{get, web, HttpResponse};
use fourthp_persistence::{migrations_applied, ping};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{OpsProblems, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = HealthResponse)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// Readiness: the database answers and every migration this build knows is applied.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Ready", body = HealthResponse), OpsProblems))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    ping(&state.db).await?;
    if !migrations_applied(&state.db).await? {
        let mut p = Problem::unavailable();
        p.detail = "The database schema is not up to date: run `fourthp migrate`.".to_owned();
        return Err(p);
    }
    Ok(HttpResponse::Ok().json(HealthResponse { status: "ready" }))
}
