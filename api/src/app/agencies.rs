//! The network's member agencies: registering, listing, reading and changing them.

use fourthp_domain::access::{agency_access, AgencyAction, AgencyView};
use fourthp_domain::agency::{Agency, AgencyPatch, NewAgency};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::paging::{Limit, Page};
use fourthp_persistence::agencies::{self, CreateAgencyError, UpdateAgencyError};

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

fn duplicate_name() -> AppError {
    let mut errors = FieldErrors::new();
    errors.push("name", "is already taken (names are compared ignoring case)");
    AppError::Conflict { kind: "duplicate-name", message: "Another agency already has this name.".to_owned(), rule: None, errors }
}

impl From<CreateAgencyError> for AppError {
    fn from(e: CreateAgencyError) -> Self {
        match e {
            CreateAgencyError::DuplicateName => duplicate_name(),
            CreateAgencyError::Store(s) => AppError::Store(s),
        }
    }
}

impl From<UpdateAgencyError> for AppError {
    fn from(e: UpdateAgencyError) -> Self {
        match e {
            UpdateAgencyError::NotFound => AppError::NotFound,
            UpdateAgencyError::VersionMismatch => AppError::Stale,
            UpdateAgencyError::DuplicateName => duplicate_name(),
            UpdateAgencyError::Store(s) => AppError::Store(s),
        }
    }
}

/// Registers an agency (administrators). `new` is the agency as the adapter read it: its field
/// errors are answered only to those who may register one.
pub async fn register(caller: &Caller, state: &AppState, new: Result<NewAgency, FieldErrors>) -> Result<(Agency, AgencyView), AppError> {
    let view = agency_access(caller.principal().role, AgencyAction::Create)?;
    Ok((agencies::create(&state.db, &caller.ctx, new?).await?, view))
}

/// The network's agencies, by name, as the caller may see them (every role).
pub async fn readable(
    caller: &Caller,
    state: &AppState,
    limit: Limit,
    after: Option<&str>,
) -> Result<(Page<Agency, String>, AgencyView), AppError> {
    let view = agency_access(caller.principal().role, AgencyAction::Read)?;
    Ok((agencies::list(&state.db, limit, after).await?, view))
}

/// One agency (every role).
pub async fn get(caller: &Caller, state: &AppState, id: AgencyId) -> Result<(Agency, AgencyView), AppError> {
    let view = agency_access(caller.principal().role, AgencyAction::Read)?;
    let agency = agencies::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok((agency, view))
}

/// Changes an agency, if it is still at version `expected` when given (administrators).
pub async fn change(
    caller: &Caller,
    state: &AppState,
    id: AgencyId,
    expected: Option<i32>,
    patch: Result<AgencyPatch, FieldErrors>,
) -> Result<(Agency, AgencyView), AppError> {
    let view = agency_access(caller.principal().role, AgencyAction::Update)?;
    Ok((agencies::update(&state.db, &caller.ctx, id, expected, patch?).await?, view))
}
