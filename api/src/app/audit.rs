//! The audit trail: the trail itself and its verification (auditors), a case's access log ("who
//! looked at this person's record", auditors and coordinators), a case's change history
//! (coordinators), and who the people in it are.

use std::collections::HashMap;

use fourthp_domain::access::CaseAction;
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{AuditId, CaseId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Role;
use fourthp_persistence::audit::{self, AuditFilter, AuditRecord, Details};
use fourthp_persistence::{cases, chain};

use super::access::case_at;
use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

/// The trail as a whole is for auditors only.
pub fn auditors_only(caller: &Caller) -> Result<(), AppError> {
    if caller.principal().role != Role::Auditor {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

fn access_log_readers(caller: &Caller) -> Result<(), AppError> {
    if !matches!(caller.principal().role, Role::Auditor | Role::Coordinator) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// The trail under `filter`, newest first (auditors).
pub async fn trail(
    caller: &Caller,
    state: &AppState,
    filter: AuditFilter,
    limit: Limit,
    after: Option<AuditId>,
) -> Result<Page<AuditRecord, AuditId>, AppError> {
    auditors_only(caller)?;
    Ok(audit::query(&state.db, &filter, limit, after).await?)
}

/// Who read or tried to read a case, newest first (auditors and coordinators).
pub async fn access_log(
    caller: &Caller,
    state: &AppState,
    id: CaseId,
    limit: Limit,
    after: Option<AuditId>,
) -> Result<Page<AuditRecord, AuditId>, AppError> {
    access_log_readers(caller)?;
    cases::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let filter = AuditFilter { case: Some(id), accesses_only: true, ..AuditFilter::default() };
    Ok(audit::query(&state.db, &filter, limit, after).await?)
}

/// The case a reference names, for those who may read access logs: auditors know cases by the
/// reference on a complaint or a letter, not by id.
pub async fn case_by_reference(caller: &Caller, state: &AppState, reference: &CaseReference) -> Result<CaseId, AppError> {
    access_log_readers(caller)?;
    cases::id_by_reference(&state.db, reference).await?.ok_or(AppError::NotFound)
}

/// The names of the people behind the records' subjects, where they have accounts (the rest are
/// systems and tokens, shown as their subject).
pub async fn names(state: &AppState, records: &[AuditRecord]) -> Result<HashMap<String, String>, AppError> {
    let subjects: Vec<String> = records.iter().map(|r| r.agent_sub.clone()).collect();
    Ok(fourthp_persistence::users::names_of(&state.db, &subjects).await?)
}

/// The case's field-level change history, oldest first (coordinators).
pub async fn history(
    caller: &Caller,
    state: &AppState,
    id: CaseId,
) -> Result<Vec<(AuditRecord, Details, Option<chrono::DateTime<chrono::Utc>>)>, AppError> {
    let (id, _, _) = case_at(&state.db, caller, id, CaseAction::Update).await?;
    Ok(audit::history(&state.db, id).await?)
}

/// Chains what is pending, then verifies the whole chain (auditors).
pub async fn verify(caller: &Caller, state: &AppState) -> Result<chain::VerifyReport, AppError> {
    auditors_only(caller)?;
    chain::chain_all(&state.db, caller.ctx.at).await?;
    Ok(chain::verify(&state.db, None).await?)
}
