//! The lists a person works from: the coordinators' board of what is due, and what a partner
//! agency owes. Each case shown is recorded as read.

use chrono::NaiveDate;
use fourthp_domain::audit::Purpose;
use fourthp_domain::case::Stage;
use fourthp_domain::ids::ActionId;
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::{Role, Subject};
use fourthp_domain::time::london_date;
use fourthp_persistence::actions::owed::{self, OwedItem};
use fourthp_persistence::deadlines::board::{self, BoardItem, Grouping, Window, WindowCounts};
use fourthp_persistence::deadlines::QueueFilter;

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

/// Rows on one page of the board: a morning's work, and a page well under 100 KB.
pub const BOARD_PAGE: i64 = 50;

/// What the coordinator asks the board for.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    /// `None`: the first window with something in it, overdue first.
    pub window: Option<Window>,
    pub grouping: Option<Grouping>,
    /// From 1.
    pub page: u32,
    /// Only this rule's deadlines (`action_due` for agreed actions).
    pub rule: Option<String>,
    /// Only the cases this coordinator leads.
    pub lead: Option<Subject>,
}

/// One page of the board and where it stands.
#[derive(Debug, Clone)]
pub struct Board {
    pub today: NaiveDate,
    pub counts: WindowCounts,
    pub window: Window,
    pub grouping: Grouping,
    pub page: u32,
    pub items: Vec<BoardItem>,
    pub more: bool,
    /// Open cases by stage (of the cases the coordinator leads, with `lead`).
    pub stages: Vec<(Stage, i64)>,
    /// What the network owes on its challenges, overdue or due within a week: on no case, so
    /// beside the board rather than in it.
    pub network: Vec<fourthp_persistence::challenges::NetworkOwed>,
    /// Subject access requests not yet answered, soonest due first: on a case, but owed by the
    /// network as a whole, so beside the board too.
    pub subject_access: Vec<(fourthp_persistence::subject_access::SubjectAccessRequest, fourthp_domain::case::CaseReference)>,
}

/// The coordinators' board of what is due (coordinators only).
pub async fn due_board(caller: &Caller, state: &AppState, q: BoardQuery) -> Result<Board, AppError> {
    if caller.principal().role != Role::Coordinator {
        return Err(AppError::Forbidden);
    }
    let today = london_date(caller.ctx.at);
    let filter = QueueFilter { statuses: Vec::new(), due_before: None, rule: q.rule, lead: q.lead };
    let counts = board::counts(&state.db, &filter, today).await?;
    let window = q.window.unwrap_or(match counts {
        c if c.overdue > 0 => Window::Overdue,
        c if c.this_week > 0 => Window::ThisWeek,
        _ => Window::Later,
    });
    let grouping = q.grouping.unwrap_or(Grouping::Case);
    let page = q.page.max(1);
    let offset = i64::from(page - 1) * BOARD_PAGE;
    let (items, more) = board::page(&state.db, &filter, today, window, grouping, BOARD_PAGE, offset).await?;
    let stages = super::cases::stage_counts(caller, state, filter.lead.as_ref()).await?;
    caller.listed(items.iter().map(|i| i.deadline.case_id), Purpose::DeadlineQueue);
    let network = fourthp_persistence::challenges::open_actions_due_by(&state.db, today + chrono::Duration::days(7)).await?;
    let subject_access = fourthp_persistence::subject_access::open(&state.db).await?;
    caller.listed(subject_access.iter().map(|(r, _)| r.case_id), Purpose::SubjectAccess);
    Ok(Board { today, counts, window, grouping, page, items, more, stages, network, subject_access })
}

/// Actions on one page of what an agency owes (each with its form: the page stays light).
pub const OWED_PAGE: u16 = 40;

/// What the caller's agency owes on the cases it is on (partners only), soonest due first.
pub async fn owed_by_my_agency(
    caller: &Caller,
    state: &AppState,
    after: Option<(NaiveDate, ActionId)>,
) -> Result<Page<OwedItem, (NaiveDate, ActionId)>, AppError> {
    let p = caller.principal();
    let (Role::Partner, Some(agency)) = (p.role, p.agency) else { return Err(AppError::Forbidden) };
    let limit = Limit::clamped(OWED_PAGE);
    let page = owed::owed(&state.db, agency, limit, after, None).await?;
    caller.listed(page.items.iter().filter_map(|i| i.action.on.case()), Purpose::ActionList);
    Ok(page)
}
