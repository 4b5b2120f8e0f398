//! The case team (coordinators): putting an agency on it, or changing its role there, and
//! taking one off. Partners' access follows the team.

use fourthp_domain::access::{self, CaseAction};
use fourthp_domain::case::{Case, TeamRole};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::principal::Principal;
use fourthp_persistence::cases::{self, TeamChange, TeamChangeError};

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

impl From<TeamChangeError> for AppError {
    fn from(e: TeamChangeError) -> Self {
        match e {
            TeamChangeError::CaseNotFound | TeamChangeError::NotOnTeam => AppError::NotFound,
            TeamChangeError::Denied(d) => d.into(),
            TeamChangeError::UnknownAgency => AppError::invalid("agency_id", "is not a registered agency"),
            TeamChangeError::InactiveAgency => AppError::invalid("agency_id", "is inactive"),
            TeamChangeError::Store(s) => AppError::Store(s),
        }
    }
}

fn authorize_team(principal: &Principal) -> impl FnOnce(&Case) -> Result<(), TeamChangeError> + Send + '_ {
    move |case| {
        access::decide(principal, CaseAction::ManageTeam, case.team_agencies(), case.details.consent.data_sharing)
            .map(|_| ())
            .map_err(TeamChangeError::Denied)
    }
}

/// Puts an agency on a case's team or changes its role there; the role as typed (up to 100
/// characters, errors on `role`).
pub async fn put(caller: &Caller, state: &AppState, case: CaseId, agency: AgencyId, role: Option<&str>) -> Result<TeamChange, AppError> {
    access::precheck(caller.principal().role, CaseAction::ManageTeam)?;
    let mut errs = FieldErrors::new();
    let Some(role) = errs.check_opt("role", role.map(TeamRole::parse)) else { return Err(AppError::Invalid(errs)) };
    let principal = caller.principal().clone();
    Ok(cases::put_team_member(&state.db, &caller.ctx, case, agency, role, authorize_team(&principal)).await?)
}

/// Takes an agency off a case's team.
pub async fn remove(caller: &Caller, state: &AppState, case: CaseId, agency: AgencyId) -> Result<(), AppError> {
    access::precheck(caller.principal().role, CaseAction::ManageTeam)?;
    let principal = caller.principal().clone();
    Ok(cases::remove_team_member(&state.db, &caller.ctx, case, agency, authorize_team(&principal)).await?)
}
