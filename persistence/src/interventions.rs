//! The interventions repository, with the follow-up actions agreed in the same breath.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::action::{Action, NewAction};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::{nrm_start, Case};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId, InterventionId, NeedId};
use fourthp_domain::intervention::{check_occurred_at, Channel, Direction, DurationMinutes, Intervention, NewIntervention, Summary};
use fourthp_domain::lifecycle::BackdatingWindow;
use fourthp_domain::need::NeedDomain;
use fourthp_domain::notify::AskAfter;
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Subject;

use crate::actions;
use crate::agencies;
use crate::audit;
use crate::case_lock::{load_dated, Lock};
use crate::db::{Db, StoreError};
use crate::rows::InterventionRow;
use crate::schema::{interventions, needs};

fn intervention_from(r: InterventionRow) -> Result<Intervention, StoreError> {
    let corrupt = |what: &str| StoreError::internal(format!("intervention row with invalid {what}"));
    Ok(Intervention {
        id: InterventionId::from_uuid(r.id),
        case_id: CaseId::from_uuid(r.case_id),
        details: NewIntervention {
            channel: Channel::parse(&r.channel).ok_or_else(|| corrupt("channel"))?,
            direction: Direction::parse(&r.direction).ok_or_else(|| corrupt("direction"))?,
            counterpart_agency_id: AgencyId::from_uuid(r.counterpart_agency_id),
            occurred_at: r.occurred_at,
            need_domain: NeedDomain::parse(&r.need_domain).ok_or_else(|| corrupt("need_domain"))?,
            need_id: r.need_id.map(NeedId::from_uuid),
            summary: Summary::parse(&r.summary).map_err(|_| corrupt("summary"))?,
            duration_minutes: DurationMinutes::parse(i64::from(r.duration_minutes)).map_err(|_| corrupt("duration"))?,
        },
        recorded_by: Subject::parse(&r.recorded_by).map_err(|_| corrupt("recorded_by"))?,
        recorded_by_agency: AgencyId::from_uuid(r.recorded_by_agency),
        recorded_at: r.recorded_at,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum InterventionError {
    #[error("no such case")]
    NotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("invalid intervention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for InterventionError {
    fn from(e: diesel::result::Error) -> Self {
        InterventionError::Store(e.into())
    }
}

/// The earliest date a fact about the case may carry: its first event (`first_event_on`, as
/// [`load_dated`] reads it) less the back-dating window, and never before the NRM began.
pub fn earliest_allowed(first_event_on: Option<NaiveDate>, window: BackdatingWindow) -> NaiveDate {
    first_event_on.map_or(nrm_start(), |d| (d - window.0).max(nrm_start()))
}

/// Records an intervention as the caller's agency, with any follow-up actions, on `conn` (in the
/// caller's transaction), after `authorize` approves. Audits each record.
#[allow(clippy::too_many_arguments, reason = "one use case, its context and its policy")]
pub async fn create<F>(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    case_id: CaseId,
    new: NewIntervention,
    follow_ups: Vec<NewAction>,
    ask: Option<AskAfter>,
    window: BackdatingWindow,
    today: NaiveDate,
    authorize: F,
) -> Result<(Intervention, Vec<Action>), InterventionError>
where
    F: FnOnce(&Case) -> Result<(), Denial>,
{
    let (case, first_event_on) = load_dated(conn, case_id, Lock::Share).await?.ok_or(InterventionError::NotFound)?;
    authorize(&case).map_err(InterventionError::Denied)?;
    let recorder = ctx.principal.agency.ok_or(InterventionError::Denied(Denial::Forbidden))?;
    let mut errs = FieldErrors::new();
    if agencies::is_active(conn, new.counterpart_agency_id).await? != Some(true) {
        errs.push("counterpart_agency_id", "is not a registered, active agency");
    }
    let earliest = earliest_allowed(first_event_on, window);
    errs.check("occurred_at", check_occurred_at(new.occurred_at, ctx.at, earliest));
    if let Some(need) = new.need_id {
        let owner: Option<uuid::Uuid> = needs::table.find(need.into_uuid()).select(needs::case_id).first(conn).await.optional()?;
        if owner != Some(case_id.into_uuid()) {
            errs.push("need_id", "is not a need of this case");
        }
    }
    for (i, a) in follow_ups.iter().enumerate() {
        actions::check(&case, a, today, &format!("actions[{i}]."), &mut errs);
    }
    errs.into_result().map_err(InterventionError::Invalid)?;
    let intervention = Intervention {
        id: InterventionId::new_at(ctx.at),
        case_id,
        details: new,
        recorded_by: ctx.principal.subject.clone(),
        recorded_by_agency: recorder,
        recorded_at: ctx.at,
    };
    let d = &intervention.details;
    let row = InterventionRow {
        id: intervention.id.into_uuid(),
        case_id: case_id.into_uuid(),
        channel: d.channel.as_str().to_owned(),
        direction: d.direction.as_str().to_owned(),
        counterpart_agency_id: d.counterpart_agency_id.into_uuid(),
        occurred_at: d.occurred_at,
        need_domain: d.need_domain.as_str().to_owned(),
        need_id: d.need_id.map(NeedId::into_uuid),
        summary: d.summary.as_str().to_owned(),
        duration_minutes: i32::from(d.duration_minutes.get()),
        recorded_by: intervention.recorded_by.as_str().to_owned(),
        recorded_by_agency: recorder.into_uuid(),
        recorded_at: ctx.at,
    };
    diesel::insert_into(interventions::table).values(&row).execute(conn).await?;
    let fields =
        vec!["channel", "direction", "counterpart_agency_id", "occurred_at", "need_domain", "need_id", "summary", "duration_minutes"];
    audit::record(
        conn,
        ctx,
        AuditEntry::change(AuditAction::Create, EntityType::Intervention, intervention.id.into_uuid(), Some(case_id), fields),
    )
    .await?;
    let mut created = Vec::with_capacity(follow_ups.len());
    for a in follow_ups {
        created.push(actions::insert(conn, ctx, &case, a, Some(intervention.id)).await?);
    }
    if let Some(after) = ask {
        let talked_on = fourthp_domain::time::london_date(intervention.details.occurred_at);
        crate::asks::insert(conn, ctx, case_id, intervention.id, intervention.details.counterpart_agency_id, talked_on, after).await?;
    }
    Ok((intervention, created))
}

pub async fn get(db: &Db, id: InterventionId) -> Result<Option<Intervention>, StoreError> {
    let mut conn = db.conn().await?;
    let row = interventions::table.find(id.into_uuid()).select(InterventionRow::as_select()).first(&mut conn).await.optional()?;
    row.map(intervention_from).transpose()
}

/// Filters for a case's interventions.
#[derive(Debug, Clone, Default)]
pub struct InterventionFilter {
    pub channel: Option<Channel>,
    pub counterpart: Option<AgencyId>,
    pub need_domain: Option<NeedDomain>,
    /// Occurred on or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Where a list of interventions continues: after this (occurred_at, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterventionCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: InterventionId,
}

/// A case's interventions, most recent first.
pub async fn for_case(
    db: &Db,
    case: CaseId,
    filter: &InterventionFilter,
    limit: Limit,
    after: Option<InterventionCursor>,
) -> Result<Page<Intervention, InterventionCursor>, StoreError> {
    let mut conn = db.conn().await?;
    let mut q = interventions::table
        .filter(interventions::case_id.eq(case.into_uuid()))
        .select(InterventionRow::as_select())
        .order((interventions::occurred_at.desc(), interventions::id.desc()))
        .into_boxed();
    if let Some(c) = filter.channel {
        q = q.filter(interventions::channel.eq(c.as_str()));
    }
    if let Some(a) = filter.counterpart {
        q = q.filter(interventions::counterpart_agency_id.eq(a.into_uuid()));
    }
    if let Some(d) = filter.need_domain {
        q = q.filter(interventions::need_domain.eq(d.as_str()));
    }
    if let Some(from) = filter.from {
        q = q.filter(interventions::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(interventions::occurred_at.lt(to));
    }
    if let Some(c) = after {
        q = q.filter(
            interventions::occurred_at
                .lt(c.occurred_at)
                .or(interventions::occurred_at.eq(c.occurred_at).and(interventions::id.lt(c.id.into_uuid()))),
        );
    }
    let rows: Vec<InterventionRow> = q.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let items = rows.into_iter().map(intervention_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |i| InterventionCursor { occurred_at: i.details.occurred_at, id: i.id }))
}

/// Every intervention of a case, oldest first (for the timeline).
pub async fn all_for_case(db: &Db, case: CaseId) -> Result<Vec<Intervention>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<InterventionRow> = interventions::table
        .filter(interventions::case_id.eq(case.into_uuid()))
        .order((interventions::occurred_at.asc(), interventions::id.asc()))
        .select(InterventionRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(intervention_from).collect()
}

/// Which of `ids` are interventions of `case`.
pub(crate) async fn of_case(conn: &mut AsyncPgConnection, case: CaseId, ids: &[InterventionId]) -> Result<Vec<InterventionId>, StoreError> {
    let uuids: Vec<uuid::Uuid> = ids.iter().map(|i| i.into_uuid()).collect();
    let found: Vec<uuid::Uuid> = interventions::table
        .filter(interventions::case_id.eq(case.into_uuid()))
        .filter(interventions::id.eq_any(&uuids))
        .select(interventions::id)
        .load(conn)
        .await?;
    Ok(found.into_iter().map(InterventionId::from_uuid).collect())
}
