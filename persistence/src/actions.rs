//! The actions repository: what agencies owe, and its closing.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::action::{
    Action, ActionChange, ActionDescription, ActionNote, ActionOn, ActionStatus, AlreadyClosed, ClosedAs, Closure, NewAction,
};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::{nrm_start, Case};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{ActionId, AgencyId, CaseId, ChallengeId, InterventionId, MeetingId};
use fourthp_domain::notify::Topic;
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Subject;

use crate::audit;
use crate::case_lock::{load, Lock};
use crate::db::{Db, StoreError};
use crate::outbox::{self, About};
use crate::rows::ActionRow;
use crate::schema::{actions, agencies, case_team};

pub mod owed;

pub(crate) fn action_from(r: ActionRow) -> Result<Action, StoreError> {
    let corrupt = |what: &str| StoreError::internal(format!("action row with invalid {what}"));
    let status = ActionStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?;
    let closure = match (ClosedAs::of(status), r.closure_note, r.closed_by, r.closed_on, r.closed_at) {
        (None, ..) => None,
        (Some(status), Some(note), Some(by), Some(on), Some(at)) => Some(Closure {
            status,
            note: ActionNote::parse(&note).map_err(|_| corrupt("closure note"))?,
            by: Subject::parse(&by).map_err(|_| corrupt("closed_by"))?,
            by_agency: r.closed_by_agency.map(AgencyId::from_uuid),
            on,
            at,
        }),
        _ => return Err(corrupt("closure")),
    };
    Ok(Action {
        id: ActionId::from_uuid(r.id),
        on: ActionOn::from_columns(r.case_id.map(CaseId::from_uuid), r.challenge_id.map(ChallengeId::from_uuid))
            .ok_or_else(|| corrupt("case or challenge"))?,
        meeting: r.meeting_id.map(MeetingId::from_uuid),
        details: NewAction {
            description: ActionDescription::parse(&r.description).map_err(|_| corrupt("description"))?,
            owner_agency_id: AgencyId::from_uuid(r.owner_agency_id),
            due_on: r.due_on,
        },
        from_intervention: r.from_intervention.map(InterventionId::from_uuid),
        closure,
        version: r.version,
        created_by: Subject::parse(&r.created_by).map_err(|_| corrupt("created_by"))?,
        created_at: r.created_at,
    })
}

/// A new open action on `on` (at `meeting`, from the conversation `from`) as the domain holds
/// it and as its row is written: the one place both are built.
pub(crate) fn new_action(
    ctx: &AuditContext,
    on: ActionOn,
    meeting: Option<MeetingId>,
    new: NewAction,
    from: Option<InterventionId>,
) -> (Action, ActionRow) {
    let action = Action {
        id: ActionId::new_at(ctx.at),
        on,
        meeting,
        details: new,
        from_intervention: from,
        closure: None,
        version: 1,
        created_by: ctx.principal.subject.clone(),
        created_at: ctx.at,
    };
    let row = ActionRow {
        id: action.id.into_uuid(),
        case_id: on.case().map(CaseId::into_uuid),
        description: action.details.description.as_str().to_owned(),
        owner_agency_id: action.details.owner_agency_id.into_uuid(),
        due_on: action.details.due_on,
        from_intervention: from.map(InterventionId::into_uuid),
        status: ActionStatus::Open.as_str().to_owned(),
        closure_note: None,
        closed_by: None,
        closed_by_agency: None,
        closed_on: None,
        closed_at: None,
        version: 1,
        created_by: action.created_by.as_str().to_owned(),
        created_at: ctx.at,
        updated_at: ctx.at,
        challenge_id: on.challenge().map(ChallengeId::into_uuid),
        meeting_id: meeting.map(MeetingId::into_uuid),
    };
    (action, row)
}

/// Checks a new action against its case: the owner must be on the team (adding it is the
/// coordinator's explicit step), and the due date sensible.
pub(crate) fn check(case: &Case, a: &NewAction, today: NaiveDate, prefix: &str, errs: &mut FieldErrors) {
    if !case.team_agencies().any(|t| t == a.owner_agency_id) {
        errs.push(format!("{prefix}owner_agency_id"), "is not on the case team: add the agency to the team first");
    }
    if a.due_on < nrm_start() || a.due_on > today + chrono::Duration::days(3660) {
        errs.push(format!("{prefix}due_on"), "must be between 2009-04-01 and ten years from today");
    }
}

/// Inserts a checked action and its deadline, and audits it.
pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    case: &Case,
    new: NewAction,
    from: Option<InterventionId>,
) -> Result<Action, StoreError> {
    let (action, row) = new_action(ctx, ActionOn::Case(case.id), None, new, from);
    diesel::insert_into(actions::table).values(&row).execute(conn).await?;
    let owner: String = agencies::table.find(action.details.owner_agency_id.into_uuid()).select(agencies::name).first(conn).await?;
    let agreed = fourthp_domain::time::london_date(ctx.at);
    let explanation = format!("the due date agreed on {agreed} for an action owed by {owner}");
    crate::derive::add_for_action(conn, case, action.id, action.details.due_on, explanation, ctx.at).await?;
    let fields = vec!["description", "owner_agency_id", "due_on"];
    audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::Action, action.id.into_uuid(), Some(case.id), fields))
        .await?;
    let about = About {
        case: Some((case.id, case.reference.clone())),
        action: Some(action.id),
        due_on: Some(action.details.due_on),
        status: Some(ActionStatus::Open.as_str()),
        ..About::default()
    };
    outbox::announce(conn, ctx.at, Topic::ActionCreated, action.details.owner_agency_id, &about, None).await?;
    Ok(action)
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no such case or action")]
    NotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("invalid action")]
    Invalid(FieldErrors),
    #[error("the action has changed since it was read")]
    VersionMismatch,
    #[error(transparent)]
    AlreadyClosed(AlreadyClosed),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ActionError {
    fn from(e: diesel::result::Error) -> Self {
        ActionError::Store(e.into())
    }
}

/// Records an action on `conn` (in the caller's transaction), after `authorize` approves.
pub async fn create<F>(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    case_id: CaseId,
    new: NewAction,
    today: NaiveDate,
    authorize: F,
) -> Result<Action, ActionError>
where
    F: FnOnce(&Case) -> Result<(), Denial>,
{
    let case = load(conn, case_id, Lock::Share).await?.ok_or(ActionError::NotFound)?;
    authorize(&case).map_err(ActionError::Denied)?;
    let mut errs = FieldErrors::new();
    check(&case, &new, today, "", &mut errs);
    errs.into_result().map_err(ActionError::Invalid)?;
    Ok(insert(conn, ctx, &case, new, None).await?)
}

pub async fn get(db: &Db, id: ActionId) -> Result<Option<Action>, StoreError> {
    let mut conn = db.conn().await?;
    let row = actions::table.find(id.into_uuid()).select(ActionRow::as_select()).first(&mut conn).await.optional()?;
    row.map(action_from).transpose()
}

/// Filters for lists of actions.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub case: Option<CaseId>,
    /// Only actions this agency owes.
    pub owner: Option<AgencyId>,
    /// Only on cases this agency is on, or on the network's challenges (a partner's scope).
    pub on_team_of: Option<AgencyId>,
    pub status: Option<ActionStatus>,
    /// Only open actions past their due date on this (London) date.
    pub overdue_on: Option<NaiveDate>,
}

/// Actions by due date then id.
pub async fn list(
    db: &Db,
    f: &ActionFilter,
    limit: Limit,
    after: Option<(NaiveDate, ActionId)>,
) -> Result<Page<Action, (NaiveDate, ActionId)>, StoreError> {
    let conn = db.conn().await?;
    list_on(&conn, f, limit, after).await
}

type ActionQuery = actions::BoxedQuery<'static, diesel::pg::Pg, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<ActionRow, diesel::pg::Pg>>>;

/// The actions `f` selects, in due-date order.
fn filtered(f: &ActionFilter) -> ActionQuery {
    let mut q = actions::table.select(ActionRow::as_select()).order((actions::due_on.asc(), actions::id.asc())).into_boxed();
    if let Some(c) = f.case {
        q = q.filter(actions::case_id.eq(c.into_uuid()));
    }
    if let Some(o) = f.owner {
        q = q.filter(actions::owner_agency_id.eq(o.into_uuid()));
    }
    if let Some(a) = f.on_team_of {
        // Network actions are the whole network's: on no case's team, and in every member's scope.
        q = q.filter(
            actions::case_id
                .assume_not_null()
                .eq_any(case_team::table.filter(case_team::agency_id.eq(a.into_uuid())).select(case_team::case_id))
                .or(actions::challenge_id.is_not_null()),
        );
    }
    if let Some(s) = f.status {
        q = q.filter(actions::status.eq(s.as_str()));
    }
    if let Some(today) = f.overdue_on {
        q = q.filter(actions::status.eq(ActionStatus::Open.as_str())).filter(actions::due_on.lt(today));
    }
    q
}

/// [`list`] on a connection the caller holds.
pub(crate) async fn list_on(
    mut conn: &AsyncPgConnection,
    f: &ActionFilter,
    limit: Limit,
    after: Option<(NaiveDate, ActionId)>,
) -> Result<Page<Action, (NaiveDate, ActionId)>, StoreError> {
    let mut q = filtered(f);
    if let Some((due, id)) = after {
        q = q.filter(actions::due_on.gt(due).or(actions::due_on.eq(due).and(actions::id.gt(id.into_uuid()))));
    }
    let rows: Vec<ActionRow> = q.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let items = rows.into_iter().map(action_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |a| (a.details.due_on, a.id)))
}

/// Every action of one case that `f` selects, however many: for what derives from all of them
/// (a partner's deadlines, the timeline), never for a list a person pages through.
pub async fn all_of_case(db: &Db, case: CaseId, f: &ActionFilter) -> Result<Vec<Action>, StoreError> {
    let conn = db.conn().await?;
    all_on(&conn, &ActionFilter { case: Some(case), ..f.clone() }).await
}

/// [`all_of_case`] on a connection the caller holds; `f` names the case.
pub(crate) async fn all_on(mut conn: &AsyncPgConnection, f: &ActionFilter) -> Result<Vec<Action>, StoreError> {
    if f.case.is_none() {
        return Err(StoreError::internal("reading all actions needs a case"));
    }
    let rows: Vec<ActionRow> = filtered(f).load(&mut conn).await?;
    rows.into_iter().map(action_from).collect()
}

/// Completes or cancels an action still at `expected_version` (None: any), after `authorize`
/// approves for its case (none for a network action) and owner; settles its deadline; audits.
pub async fn close<F>(
    db: &Db,
    ctx: &AuditContext,
    id: ActionId,
    expected_version: Option<i32>,
    change: ActionChange,
    today: NaiveDate,
    authorize: F,
) -> Result<Action, ActionError>
where
    F: FnOnce(Option<&Case>, &Action) -> Result<(), Denial> + Send,
{
    let mut conn = db.conn().await?;
    conn.transaction::<_, ActionError, _>(async move |conn| close_on(conn, ctx, id, expected_version, change, today, authorize).await).await
}

/// [`close`] on `conn`, in the caller's transaction.
pub(crate) async fn close_on<F>(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    id: ActionId,
    expected_version: Option<i32>,
    change: ActionChange,
    today: NaiveDate,
    authorize: F,
) -> Result<Action, ActionError>
where
    F: FnOnce(Option<&Case>, &Action) -> Result<(), Denial>,
{
    {
        let case_id: Option<uuid::Uuid> =
            actions::table.find(id.into_uuid()).select(actions::case_id).first(conn).await.optional()?.ok_or(ActionError::NotFound)?;
        // A case action holds its case (share) before the action, as every case change does.
        let case = match case_id {
            Some(c) => Some(load(conn, CaseId::from_uuid(c), Lock::Share).await?.ok_or(ActionError::NotFound)?),
            None => None,
        };
        let row: ActionRow = actions::table.find(id.into_uuid()).select(ActionRow::as_select()).for_update().first(conn).await?;
        let action = action_from(row)?;
        authorize(case.as_ref(), &action).map_err(ActionError::Denied)?;
        if expected_version.is_some_and(|v| v != action.version) {
            return Err(ActionError::VersionMismatch);
        }
        let closure =
            action.close(change, ctx.principal.subject.clone(), ctx.principal.agency, ctx.at, today).map_err(ActionError::AlreadyClosed)?;
        diesel::update(actions::table.find(id.into_uuid()))
            .set((
                actions::status.eq(closure.status.status().as_str()),
                actions::closure_note.eq(closure.note.as_str()),
                actions::closed_by.eq(closure.by.as_str()),
                actions::closed_by_agency.eq(closure.by_agency.map(AgencyId::into_uuid)),
                actions::closed_on.eq(closure.on),
                actions::closed_at.eq(closure.at),
                actions::version.eq(action.version + 1),
                actions::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        crate::derive::settle_for_action(conn, id, &closure).await?;
        let entry = AuditEntry::change(
            AuditAction::Update,
            EntityType::Action,
            id.into_uuid(),
            case.as_ref().map(|c| c.id),
            vec!["status", "closure_note"],
        );
        audit::record(conn, ctx, entry).await?;
        let about = About {
            case: case.as_ref().map(|c| (c.id, c.reference.clone())),
            challenge: match action.on {
                ActionOn::Challenge(c) => Some((c, crate::challenges::number_of(conn, c).await?)),
                ActionOn::Case(_) => None,
            },
            action: Some(id),
            due_on: Some(action.details.due_on),
            status: Some(closure.status.status().as_str()),
            ..About::default()
        };
        outbox::announce(conn, ctx.at, Topic::ActionClosed, action.details.owner_agency_id, &about, None).await?;
        Ok(Action { closure: Some(closure), version: action.version + 1, ..action })
    }
}
