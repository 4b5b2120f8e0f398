//! The access policy applied to a case: looking a case up for an action (a read of its data, or
//! a refused attempt, on the caller's ledger either way) and the authorisation step a write's
//! repository calls with the locked case. Every use case that touches a case comes through here.

use super::AppError;

/// Looks a case up for `action`, refusing as the access policy says. Every look-up is logged:
/// a read of the case's data, or a refused attempt (which includes asking for a case that does
/// not exist).
pub async fn case_for(
    db: &fourthp_persistence::Db,
    caller: &crate::auth::Caller,
    id: fourthp_domain::ids::CaseId,
    action: fourthp_domain::access::CaseAction,
) -> Result<(fourthp_domain::case::Case, fourthp_domain::access::CaseView), AppError> {
    let found = fourthp_persistence::cases::get(db, id).await?;
    decide_for(caller, id, action, found)
}

/// The access decision on a case looked up (or not found), with its read-log record: a case the
/// caller may not see is 404, like one that does not exist.
pub fn decide_for(
    caller: &crate::auth::Caller,
    id: fourthp_domain::ids::CaseId,
    action: fourthp_domain::access::CaseAction,
    found: Option<fourthp_domain::case::Case>,
) -> Result<(fourthp_domain::case::Case, fourthp_domain::access::CaseView), AppError> {
    use fourthp_domain::audit::{AuditEntry, AuditOutcome, EntityType};
    caller.attempted(id);
    let Some(case) = found else {
        return Err(AppError::NotFound);
    };
    match fourthp_domain::access::decide(caller.principal(), action, case.team_agencies(), case.details.consent.data_sharing) {
        Ok(view) => {
            caller.allowed(id);
            caller.log_read(AuditEntry::read(EntityType::Case, id, AuditOutcome::Success));
            Ok((case, view))
        }
        Err(denial) => Err(denial.into()),
    }
}

/// The case the path names, looked up for `action` as the access policy says:
/// roles that may never do it get 403 before anything is looked up; a case the caller may not
/// see is 404, like one that does not exist.
pub async fn case_at(
    db: &fourthp_persistence::Db,
    caller: &crate::auth::Caller,
    id: fourthp_domain::ids::CaseId,
    action: fourthp_domain::access::CaseAction,
) -> Result<(fourthp_domain::ids::CaseId, fourthp_domain::case::Case, fourthp_domain::access::CaseView), AppError> {
    checked_id(caller, id, action)?;
    let (case, view) = case_for(db, caller, id, action).await?;
    Ok((id, case, view))
}

/// Whether the caller's role may do `action` to some case at all (403 before anything is looked
/// up otherwise), noting the case the path names for the read-log record.
pub fn checked_id(
    caller: &crate::auth::Caller,
    id: fourthp_domain::ids::CaseId,
    action: fourthp_domain::access::CaseAction,
) -> Result<(), AppError> {
    caller.attempted(id);
    fourthp_domain::access::precheck(caller.principal().role, action)?;
    Ok(())
}

/// The authorisation step of a write, for a repository to call with the locked case.
/// The case the write concerns is noted on the caller's ledger, so that a refusal is recorded
/// against it even where the path names only a child (`/deadlines/{id}/waive`).
pub fn authorize(
    caller: &crate::auth::Caller,
    action: fourthp_domain::access::CaseAction,
) -> impl FnOnce(&fourthp_domain::case::Case) -> Result<(), fourthp_domain::access::Denial> + Send + '_ {
    move |case| {
        caller.attempted(case.id);
        fourthp_domain::access::decide(caller.principal(), action, case.team_agencies(), case.details.consent.data_sharing)?;
        caller.allowed(case.id);
        Ok(())
    }
}
