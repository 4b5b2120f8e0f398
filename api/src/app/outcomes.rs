//! Outcomes: recording one with the interventions that contributed (idempotently), and reading
//! a case's outcomes (coordinators).

use fourthp_domain::access::{self, CaseAction};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{CaseId, InterventionId, OutcomeId};
use fourthp_domain::outcome::{Evidence, NewOutcome, Outcome, OutcomeKind, Score};
use fourthp_domain::time::london_date;
use fourthp_persistence::outcomes::{self, OutcomeError};
use fourthp_persistence::write::{self, IdempotencyKey, StoredResponse, Written};

use super::access::{authorize, case_at, case_for};
use super::AppError;
use crate::auth::Caller;
use crate::query::parse_date;
use crate::state::AppState;

impl From<OutcomeError> for AppError {
    fn from(e: OutcomeError) -> Self {
        match e {
            OutcomeError::NotFound => AppError::NotFound,
            OutcomeError::Denied(d) => d.into(),
            OutcomeError::Invalid(errs) => AppError::Invalid(errs),
            OutcomeError::Store(s) => AppError::Store(s),
        }
    }
}

/// An outcome as an adapter read it. Errors name `achieved_on`, `evidence`, `score` and
/// `intervention_ids[i]`.
#[derive(Debug, Clone)]
pub struct OutcomeFields {
    pub outcome: OutcomeKind,
    /// `YYYY-MM-DD`.
    pub achieved_on: String,
    pub evidence: Option<String>,
    pub score: Option<i64>,
    pub interventions: Vec<InterventionId>,
}

/// Records an outcome (coordinators), once per idempotency key; `respond` is what a replay of the
/// key answers.
pub async fn record(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    key: Option<&IdempotencyKey>,
    b: OutcomeFields,
    respond: impl FnOnce(&Outcome) -> StoredResponse,
) -> Result<Written<Outcome>, AppError> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let today = london_date(caller.ctx.at);
    let mut errs = FieldErrors::new();
    let achieved_on = errs.check(
        "achieved_on",
        parse_date(&b.achieved_on).and_then(|d| {
            if d > today || d < fourthp_domain::case::nrm_start() {
                Err("must be between 2009-04-01 and today")
            } else {
                Ok(d)
            }
        }),
    );
    let evidence = errs.check_opt("evidence", b.evidence.as_deref().map(Evidence::parse));
    let score = errs.check_opt("score", b.score.map(Score::parse));
    let (Some(achieved_on), Some(evidence), Some(score)) = (achieved_on, evidence, score) else { return Err(AppError::Invalid(errs)) };
    let new = NewOutcome { outcome: b.outcome, achieved_on, evidence, score, intervention_ids: b.interventions };
    let ctx = &caller.ctx;
    write::run(
        &state.db,
        key,
        ctx.at,
        async |conn| outcomes::create(conn, ctx, case, new, authorize(caller, CaseAction::Update)).await.map_err(AppError::from),
        respond,
    )
    .await
}

/// A case's outcomes by date (coordinators).
pub async fn of_case(caller: &Caller, state: &AppState, case: CaseId) -> Result<Vec<Outcome>, AppError> {
    let (id, _, _) = case_at(&state.db, caller, case, CaseAction::ReadSupportRecord).await?;
    Ok(outcomes::for_case(&state.db, id).await?)
}

/// One outcome of the case (coordinators).
pub async fn get(caller: &Caller, state: &AppState, case: CaseId, id: OutcomeId) -> Result<Outcome, AppError> {
    access::precheck(caller.principal().role, CaseAction::ReadSupportRecord)?;
    case_for(&state.db, caller, case, CaseAction::ReadSupportRecord).await?;
    match outcomes::for_case(&state.db, case).await?.into_iter().find(|o| o.id == id) {
        Some(o) => Ok(o),
        None => Err(super::child_not_under(caller, state, case, fourthp_domain::audit::EntityType::Outcome, id.into_uuid()).await),
    }
}
