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

use super::access::{authorize, case_for};
use super::interventions::{parse_follow_up, FollowUp};
use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;
use fourthp_domain::ids::CaseId;
use fourthp_persistence::write::{self, IdempotencyKey, StoredResponse, Written};

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
    caller.listed(page.items.iter().filter_map(|a| a.on.case()), Purpose::ActionList);
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
    caller.concerns(fourthp_domain::audit::EntityType::Action, id.into_uuid());
    access::precheck(caller.principal().role, CaseAction::Read)?;
    let today = london_date(caller.ctx.at);
    Ok(actions::close(&state.db, &caller.ctx, id, expected, change, today, |case, action| closing(caller, case, action)).await?)
}

/// The policy's word on closing `action`: on a case, by the caller's place on its team (the
/// attempt recorded against the case); a network action, by the owner alone.
pub(crate) fn closing(caller: &Caller, case: Option<&fourthp_domain::case::Case>, action: &Action) -> Result<(), access::Denial> {
    let principal = caller.principal();
    match case {
        Some(case) => {
            caller.attempted(case.id);
            may_close_action(principal, action.details.owner_agency_id, Relationship::of(principal, case.team_agencies()))
        }
        None => access::may_close_network_action(principal, action.details.owner_agency_id),
    }
}

/// Agrees an action on a case (coordinators): its owner must be on the team, and its due date
/// joins the deadline queue. Once per idempotency key; `respond` is what a replay answers.
/// Errors name `description` and `due_on`.
pub async fn create(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    key: Option<&IdempotencyKey>,
    follow_up: FollowUp,
    respond: impl FnOnce(&Action) -> StoredResponse,
) -> Result<Written<Action>, AppError> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let new = parse_follow_up(follow_up)?;
    let ctx = &caller.ctx;
    let today = london_date(ctx.at);
    write::run(
        &state.db,
        key,
        ctx.at,
        async |conn| actions::create(conn, ctx, case, new, today, authorize(caller, CaseAction::Update)).await.map_err(AppError::from),
        respond,
    )
    .await
}

/// A case's actions under `filter`: all for coordinators, their own agency's for partners.
pub async fn of_case(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    mut filter: ActionFilter,
    limit: Limit,
    after: Option<(NaiveDate, ActionId)>,
) -> Result<Page<Action, (NaiveDate, ActionId)>, AppError> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    case_for(&state.db, caller, case, CaseAction::Read).await?;
    filter.case = Some(case);
    if caller.principal().role == Role::Partner {
        filter.owner = caller.principal().agency;
    }
    Ok(actions::list(&state.db, &filter, limit, after).await?)
}

/// One action of the case: another case's, or one the policy hides from this partner, is a
/// refusal.
pub async fn get(caller: &Caller, state: &AppState, case: CaseId, id: ActionId) -> Result<Action, AppError> {
    caller.concerns(fourthp_domain::audit::EntityType::Action, id.into_uuid());
    access::precheck(caller.principal().role, CaseAction::Read)?;
    case_for(&state.db, caller, case, CaseAction::Read).await?;
    match actions::get(&state.db, id).await? {
        Some(a) if a.on.case() == Some(case) && access::sees_action(caller.principal(), a.details.owner_agency_id) => Ok(a),
        Some(_) => {
            caller.refused_child();
            Err(AppError::NotFound)
        }
        None => Err(AppError::NotFound),
    }
}
