//! Outcomes: `/api/v1/cases/{id}/outcomes` (coordinators).

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::ids::InterventionId;
use fourthp_domain::outcome::{Outcome, OutcomeKind, Score};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{created, stored};
use crate::app::{self, outcomes::OutcomeFields};
use crate::auth::Caller;
use crate::extract::Create;
use crate::paths::{CaseOutcomePath, CasePath};
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOutcomeRequest {
    /// One of the seven MSCOS core outcomes, or an adverse outcome.
    pub outcome: OutcomeKind,
    #[schema(value_type = String, format = Date)]
    pub achieved_on: String,
    /// What shows it, up to 2,000 characters.
    pub evidence: Option<String>,
    /// Distance travelled, 0 to 10; record again over time.
    pub score: Option<i64>,
    /// Interventions of this case that contributed.
    #[serde(default)]
    pub intervention_ids: Vec<uuid::Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeResponse {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub outcome: OutcomeKind,
    /// One of the seven MSCOS core outcomes (false: adverse).
    pub core: bool,
    pub achieved_on: NaiveDate,
    pub evidence: Option<String>,
    pub score: Option<u8>,
    pub intervention_ids: Vec<uuid::Uuid>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl OutcomeResponse {
    pub fn new(o: &Outcome) -> Self {
        let d = &o.details;
        OutcomeResponse {
            id: o.id.into_uuid(),
            case_id: o.case_id.into_uuid(),
            outcome: d.outcome,
            core: d.outcome.is_core(),
            achieved_on: d.achieved_on,
            evidence: d.evidence.as_ref().map(ToString::to_string),
            score: d.score.map(Score::get),
            intervention_ids: d.intervention_ids.iter().map(|i| i.into_uuid()).collect(),
            recorded_by: o.recorded_by.to_string(),
            recorded_at: o.recorded_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeListResponse {
    /// By the date achieved.
    pub items: Vec<OutcomeResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Record an outcome (coordinators), linking the interventions that contributed.
#[utoipa::path(
    tag = "daily log",
    params(
        CasePath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: a replay returns the first response (kept 24 hours)"),
    ),
    request_body = CreateOutcomeRequest,
    responses((status = 201, description = "Recorded", body = OutcomeResponse, headers(("Location" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases/{id}/outcomes")]
pub async fn create_outcome(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    body: Create<CreateOutcomeRequest>,
) -> Result<HttpResponse, Problem> {
    let key = body.key(&caller);
    let b = body.value;
    let fields = OutcomeFields {
        outcome: b.outcome,
        achieved_on: b.achieved_on,
        evidence: b.evidence,
        score: b.score,
        interventions: b.intervention_ids.into_iter().map(InterventionId::from_uuid).collect(),
    };
    let respond = |o: &Outcome| stored(&OutcomeResponse::new(o), format!("/api/v1/cases/{}/outcomes/{}", o.case_id, o.id), None);
    created(app::outcomes::record(&caller, &state, path.id, key.as_ref(), fields, respond).await?)
}

/// A case's outcomes by date (coordinators).
#[utoipa::path(
    tag = "daily log",
    params(CasePath, super::PageQuery),
    responses((status = 200, description = "A page of the outcomes", body = OutcomeListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/outcomes")]
pub async fn case_outcomes(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: crate::query::ApiQuery<super::PageQuery>,
) -> Result<HttpResponse, Problem> {
    let all = app::outcomes::of_case(&caller, &state, path.id).await?;
    let (page, next_cursor) = super::page_of(all, "outcome", &query.0, |o| format!("{}|{}", o.details.achieved_on, o.id))?;
    Ok(HttpResponse::Ok().json(OutcomeListResponse { items: page.iter().map(OutcomeResponse::new).collect(), next_cursor }))
}

/// One outcome of the case (coordinators).
#[utoipa::path(
    tag = "daily log",
    params(CaseOutcomePath),
    responses((status = 200, description = "The outcome", body = OutcomeResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/outcomes/{outcome_id}")]
pub async fn get_outcome(caller: Caller, state: web::Data<AppState>, path: CaseOutcomePath) -> Result<HttpResponse, Problem> {
    let o = app::outcomes::get(&caller, &state, path.case, path.outcome).await?;
    Ok(HttpResponse::Ok().json(OutcomeResponse::new(&o)))
}
