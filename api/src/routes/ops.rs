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

/// The service's metrics in Prometheus's text format: requests by route pattern and status
/// (counts, latency histograms), the connection pool, the audit chain's backlog, the read log's
/// queue, reports waiting, resident memory. No personal data and no ids in any label. When
/// `FOURTHP_METRICS_TOKEN` is set, a scrape must carry it as a bearer token.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain", body = String),
        crate::problem::MetricsProblems,
    )
)]
#[get("/metrics")]
pub async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let authorization = req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !state.metrics.may_scrape(authorization) {
        return Err(Problem::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "The metrics need the scraper's bearer token.",
        )
        .with_header(actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
    }
    let pool = state.db.status();
    let chain_pending = match fourthp_persistence::chain::pending_count(&state.db).await {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the audit chain's backlog could not be read");
            None
        }
    };
    let outbox = match fourthp_persistence::outbox::backlog(&state.db, state.clock.now()).await {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the outbox's backlog could not be read");
            None
        }
    };
    let now = crate::metrics::Snapshot {
        outbox,
        pool_in_use: i64::try_from(pool.open.saturating_sub(pool.idle)).unwrap_or(i64::MAX),
        pool_idle: i64::try_from(pool.idle).unwrap_or(i64::MAX),
        pool_max: i64::try_from(pool.max).unwrap_or(i64::MAX),
        pool_waiters: i64::try_from(pool.waiting).unwrap_or(i64::MAX),
        chain_pending,
        read_log_queue: state.read_log.queued(),
        report_waiters: state.report_gate.waiting(),
        replica_lag_seconds: match &state.report_source.replica {
            None => None,
            Some(replica) => Some(match fourthp_persistence::replica::state(replica).await {
                Ok(s) => s.lag().map_or(f64::NAN, |l| l.num_milliseconds() as f64 / 1000.0),
                Err(_) => f64::NAN,
            }),
        },
    };
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render(&now)))
}
