//! Deadlines: where a case stands (its status: stage, key dates, the next deadline, what the
//! caller's agency owes), a case's deadlines as the caller may see them, the coordinators' queue,
//! and waiving an outstanding deadline with a reason.

use chrono::NaiveDate;
use fourthp_domain::access::{self, CaseAction, CaseView};
use fourthp_domain::action::Action;
use fourthp_domain::audit::EntityType;
use fourthp_domain::case::Case;
use fourthp_domain::deadline::{Deadline, DeadlineSource, WaiverReason};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{CaseId, DeadlineId};
use fourthp_domain::lifecycle::Journey;
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::{Principal, Role};
use fourthp_domain::time::london_date;
use fourthp_persistence::deadlines::{self, QueueCursor, QueueFilter, QueueItem, WaiveError};

use super::access::{authorize, case_at, case_for, checked_id, decide_for};
use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

impl From<WaiveError> for AppError {
    fn from(e: WaiveError) -> Self {
        match e {
            WaiveError::NotFound => AppError::NotFound,
            WaiveError::Denied(d) => d.into(),
            WaiveError::NotOutstanding(status) => {
                AppError::conflict("not-outstanding", format!("Only an outstanding deadline can be waived; this one is {status}."))
            }
            WaiveError::Store(s) => AppError::Store(s),
        }
    }
}

/// The deadlines a partner sees: those the NRM journey sets, and those of the actions its
/// agency owes (`own`).
fn own_deadlines(all: Vec<Deadline>, own: &[Action]) -> Vec<Deadline> {
    all.into_iter()
        .filter(|d| match d.source {
            DeadlineSource::Event(_) => true,
            DeadlineSource::Action(a) => own.iter().any(|o| o.id == a),
        })
        .collect()
}

/// The deadlines of `case` the principal may see: a partner sees the action deadlines of its own
/// agency's actions only.
async fn visible(state: &AppState, principal: &Principal, case: CaseId, all: Vec<Deadline>) -> Result<Vec<Deadline>, AppError> {
    if principal.role != Role::Partner {
        return Ok(all);
    }
    let filter = fourthp_persistence::actions::ActionFilter { owner: principal.agency, ..Default::default() };
    let own = fourthp_persistence::actions::all_of_case(&state.db, case, &filter).await?;
    Ok(own_deadlines(all, &own))
}

/// Where a case stands, as the caller may see it.
#[derive(Debug, Clone)]
pub struct CaseStatus {
    pub case: Case,
    pub journey: Journey,
    /// The deadlines the caller may see (for the warnings of support ended early).
    pub deadlines: Vec<Deadline>,
    /// The soonest outstanding of them.
    pub next_deadline: Option<Deadline>,
    /// The actions the caller's agency owes on the case.
    pub owed: Vec<Action>,
    /// The view partners get of it (coordinators see it whole).
    pub view: CaseView,
}

/// A case's status (partners on the case and coordinators): the case and what the view needs of
/// it are read in one round trip, and nothing but the case is looked at until the access policy
/// has decided on it.
pub async fn status(caller: &Caller, state: &AppState, id: CaseId) -> Result<CaseStatus, AppError> {
    checked_id(caller, id, CaseAction::Read)?;
    let today = london_date(caller.ctx.at);
    let partner = caller.principal().role == Role::Partner;
    let (found, facts) = fourthp_persistence::status::case_with_status_facts(&state.db, id, caller.principal().agency, partner).await?;
    let (case, _) = decide_for(caller, id, CaseAction::Read, found)?;
    let deadlines = if partner { own_deadlines(facts.deadlines, &facts.owned) } else { facts.deadlines };
    let next_deadline = deadlines.iter().filter(|d| d.is_outstanding(today)).min_by_key(|d| d.due_on).cloned();
    let view = CaseView::partner(case.details.consent.data_sharing);
    Ok(CaseStatus { journey: facts.journey, deadlines, next_deadline, owed: facts.owed, view, case })
}

/// A case's deadlines and milestones as the caller may see them, with the view it has.
pub async fn of_case(caller: &Caller, state: &AppState, case: CaseId) -> Result<(Vec<Deadline>, CaseView), AppError> {
    let (id, _, view) = case_at(&state.db, caller, case, CaseAction::Read).await?;
    let all = visible(state, caller.principal(), id, deadlines::for_case(&state.db, id).await?).await?;
    Ok((all, view))
}

/// One deadline of the case: another case's, or that of an action the policy hides from this
/// partner, is a refusal.
pub async fn get(caller: &Caller, state: &AppState, case: CaseId, id: DeadlineId) -> Result<(Deadline, CaseView), AppError> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    let (_, view) = case_for(&state.db, caller, case, CaseAction::Read).await?;
    let Some(d) = deadlines::for_case(&state.db, case).await?.into_iter().find(|d| d.id == id) else {
        return Err(super::child_not_under(caller, state, case, EntityType::Deadline, id.into_uuid()).await);
    };
    if let DeadlineSource::Action(a) = d.source {
        let owner = fourthp_persistence::actions::get(&state.db, a).await?.map(|a| a.details.owner_agency_id);
        if !owner.is_some_and(|o| access::sees_action(caller.principal(), o)) {
            caller.refused_child();
            return Err(AppError::NotFound);
        }
    }
    Ok((d, view))
}

/// The coordinators' queue across open cases, by due date then case reference (coordinators
/// only); each case shown is recorded as read.
pub async fn queue(
    caller: &Caller,
    state: &AppState,
    filter: &QueueFilter,
    limit: Limit,
    after: Option<&QueueCursor>,
) -> Result<Page<QueueItem, QueueCursor>, AppError> {
    if caller.principal().role != Role::Coordinator {
        return Err(AppError::Forbidden);
    }
    let today: NaiveDate = london_date(caller.ctx.at);
    let page = deadlines::queue(&state.db, filter, today, limit, after).await?;
    caller.listed(page.items.iter().map(|i| i.deadline.case_id), fourthp_domain::audit::Purpose::DeadlineQueue);
    Ok(page)
}

/// Waives an outstanding deadline with a reason as typed (coordinators; errors on `reason`).
pub async fn waive(caller: &Caller, state: &AppState, id: DeadlineId, reason: &str) -> Result<Deadline, AppError> {
    caller.concerns(EntityType::Deadline, id.into_uuid());
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let mut errs = FieldErrors::new();
    let Some(reason) = errs.check("reason", WaiverReason::parse(reason)) else { return Err(AppError::Invalid(errs)) };
    let today = london_date(caller.ctx.at);
    let (deadline, _) = deadlines::waive(&state.db, &caller.ctx, id, reason, today, authorize(caller, CaseAction::Update)).await?;
    Ok(deadline)
}
