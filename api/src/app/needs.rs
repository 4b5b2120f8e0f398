//! Support needs (coordinators): recording one (idempotently), reading them, and changing one's
//! status; a need's deadline (GP access) is re-derived in the same transaction.

use fourthp_domain::access::{self, CaseAction};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{CaseId, NeedId};
use fourthp_domain::need::{Need, NeedDomain, NeedState, NeedStatus};
use fourthp_domain::time::london_date;
use fourthp_persistence::needs::{self, NeedError};
use fourthp_persistence::write::{self, IdempotencyKey, StoredResponse, Written};

use super::access::{authorize, case_at, case_for};
use super::AppError;
use crate::auth::Caller;
use crate::query::parse_date;
use crate::state::AppState;

impl From<NeedError> for AppError {
    fn from(e: NeedError) -> Self {
        match e {
            NeedError::NotFound => AppError::NotFound,
            NeedError::Denied(d) => d.into(),
            NeedError::VersionMismatch => AppError::Stale,
            NeedError::Invalid(errs) => AppError::Invalid(errs),
            NeedError::Store(s) => AppError::Store(s),
        }
    }
}

/// A new need as an adapter read it; errors name `identified_on` and `met_on`.
#[derive(Debug, Clone)]
pub struct NeedFields {
    pub domain: NeedDomain,
    pub identified_on: String,
    pub status: Option<NeedStatus>,
    pub met_on: Option<String>,
}

/// Records a need (coordinators), once per idempotency key; a met `health_gp` need meets the
/// case's GP-access deadline. `respond` is what a replay of the key answers.
pub async fn record(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    key: Option<&IdempotencyKey>,
    b: NeedFields,
    respond: impl FnOnce(&Need) -> StoredResponse,
) -> Result<Written<Need>, AppError> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let today = london_date(caller.ctx.at);
    let mut errs = FieldErrors::new();
    let identified_on = errs.check("identified_on", parse_date(&b.identified_on));
    let met_on = errs.check_opt("met_on", b.met_on.as_deref().map(parse_date));
    let (Some(identified_on), Some(met_on)) = (identified_on, met_on) else { return Err(AppError::Invalid(errs)) };
    let need_state = NeedState { identified_on, status: b.status.unwrap_or(NeedStatus::Open), met_on }.validate(today)?;
    let ctx = &caller.ctx;
    write::run(
        &state.db,
        key,
        ctx.at,
        async |conn| {
            needs::create(conn, ctx, case, b.domain, need_state, &state.rules.book, authorize(caller, CaseAction::Update))
                .await
                .map_err(AppError::from)
        },
        respond,
    )
    .await
}

/// A case's needs (coordinators).
pub async fn of_case(caller: &Caller, state: &AppState, case: CaseId) -> Result<Vec<Need>, AppError> {
    let (id, _, _) = case_at(&state.db, caller, case, CaseAction::ReadSupportRecord).await?;
    Ok(needs::for_case(&state.db, id).await?)
}

/// One need, by its own id (coordinators).
pub async fn get(caller: &Caller, state: &AppState, id: NeedId) -> Result<Need, AppError> {
    access::precheck(caller.principal().role, CaseAction::ReadSupportRecord)?;
    let need = needs::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    case_for(&state.db, caller, need.case_id, CaseAction::ReadSupportRecord).await?;
    Ok(need)
}

/// One need of the case (coordinators); another case's need asked for under this one is a
/// refusal.
pub async fn get_of_case(caller: &Caller, state: &AppState, case: CaseId, id: NeedId) -> Result<Need, AppError> {
    access::precheck(caller.principal().role, CaseAction::ReadSupportRecord)?;
    case_for(&state.db, caller, case, CaseAction::ReadSupportRecord).await?;
    match needs::get(&state.db, id).await? {
        Some(n) if n.case_id == case => Ok(n),
        Some(_) => {
            caller.refused_child();
            Err(AppError::NotFound)
        }
        None => Err(AppError::NotFound),
    }
}

/// What to change of a need, as an adapter read it: absent fields stay as they are; `met_on`
/// `Some(None)` clears the date. Errors name `identified_on` and `met_on`.
#[derive(Debug, Clone, Default)]
pub struct NeedChange {
    pub status: Option<NeedStatus>,
    pub met_on: Option<Option<String>>,
    pub identified_on: Option<String>,
}

/// Changes a need still at version `expected` when given (coordinators): its status (met, with
/// the day) or when it was identified.
pub async fn change(caller: &Caller, state: &AppState, id: NeedId, expected: Option<i32>, b: NeedChange) -> Result<Need, AppError> {
    caller.concerns(fourthp_domain::audit::EntityType::Need, id.into_uuid());
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let mut errs = FieldErrors::new();
    let identified_on = errs.check_opt("identified_on", b.identified_on.as_deref().map(parse_date));
    let met_on = b.met_on.map(|m| errs.check_opt("met_on", m.as_deref().map(parse_date)));
    let (Some(identified_on), Some(met_on)) = (identified_on, met_on.map_or(Some(None), |m| m.map(Some))) else {
        return Err(AppError::Invalid(errs));
    };
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
