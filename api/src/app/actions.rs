//! Follow-up actions: listing what the caller may see, and closing one (a partner accepts it
//! as done with a note, or says it will not be done with a reason; or a coordinator does).

use chrono::NaiveDate;
use fourthp_domain::access::{self, may_close_action, CaseAction, Relationship};
use fourthp_domain::action::{Action, ActionChange};
use fourthp_domain::audit::Purpose;
use fourthp_domain::ids::ActionId;
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Role;
use fourthp_domain::time::london_date;
use fourthp_persistence::actions::{self, ActionError, ActionFilter};

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => AppError::NotFound,
            ActionError::Denied(d) => d.into(),
            ActionError::Invalid(errs) => AppError::Invalid(errs),
            ActionError::VersionMismatch => AppError::Stale,
            ActionError::AlreadyClosed(c) => AppError::conflict("action-closed", format!("The action is already {}.", c.0)),
            ActionError::Store(s) => AppError::Store(s),
        }
    }
}

/// The actions `filter` selects that the caller may see: coordinators any; partners only what
/// their agency owes, on cases their agency is on. Each case shown is recorded as read.
pub async fn visible(
    caller: &Caller,
    state: &AppState,
    mut filter: ActionFilter,
    limit: Limit,
    after: Option<(NaiveDate, ActionId)>,
) -> Result<Page<Action, (NaiveDate, ActionId)>, AppError> {
    let p = caller.principal();
    match (p.role, p.agency) {
        (Role::Coordinator, _) => {}
        (Role::Partner, Some(agency)) => {
            filter.owner = Some(agency);
            filter.on_team_of = Some(agency);
        }
        _ => return Err(AppError::Forbidden),
    }
    let page = actions::list(&state.db, &filter, limit, after).await?;
    caller.listed(page.items.iter().map(|a| a.case_id), Purpose::ActionList);
    Ok(page)
}

/// Completes or cancels an action still at `expected` (None: any): coordinators, or partners of
/// the agency that owes it, on a case their agency is on. Audited with the change.
pub async fn close(
    caller: &Caller,
    state: &AppState,
    id: ActionId,
    expected: Option<i32>,
    change: ActionChange,
) -> Result<Action, AppError> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    let today = london_date(caller.ctx.at);
    Ok(actions::close(&state.db, &caller.ctx, id, expected, change, today, |case, action| {
        caller.attempted(case.id);
        let principal = caller.principal();
        may_close_action(principal, action.details.owner_agency_id, Relationship::of(principal, case.team_agencies()))
    })
    .await?)
}
