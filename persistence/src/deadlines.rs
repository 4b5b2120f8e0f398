//! The deadlines repository: keeping the materialised deadlines in step with the events, the
//! case's deadlines, waivers and the coordinators' queue.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::{Case, CaseReference, Stage};
use fourthp_domain::deadline::{Deadline, DeadlineSource, Waiver, WaiverReason};
use fourthp_domain::ids::{ActionId, CaseId, DeadlineId, EventId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Subject;
use fourthp_domain::rules::{definition, DeadlineKind, DeadlineStatus, Definition, StatusTest, OUTSTANDING};
use uuid::Uuid;

use crate::audit;
use crate::case_lock::{load, Lock};
use crate::db::{Db, StoreError};
use crate::rows::DeadlineRow;
use crate::schema::deadlines;

pub mod board;

pub(crate) fn deadline_from(r: DeadlineRow) -> Result<Deadline, StoreError> {
    let corrupt = |what: &str| StoreError::internal(format!("deadline row with invalid {what}"));
    let waiver = match (r.waived_at, r.waived_by, r.waived_reason) {
        (Some(at), Some(by), Some(reason)) => Some(Waiver {
            at,
            by: Subject::parse(&by).map_err(|_| corrupt("waived_by"))?,
            reason: WaiverReason::parse(&reason).map_err(|_| corrupt("waived_reason"))?,
        }),
        _ => None,
    };
    Ok(Deadline {
        id: DeadlineId::from_uuid(r.id),
        case_id: CaseId::from_uuid(r.case_id),
        case_reference: CaseReference::parse(&r.case_reference).map_err(|_| corrupt("case_reference"))?,
        rule_id: r.rule_id,
        rule_version: r.rule_version,
        kind: DeadlineKind::parse(&r.kind).ok_or_else(|| corrupt("kind"))?,
        source: match (r.trigger_event_id, r.action_id) {
            (Some(e), None) => DeadlineSource::Event(EventId::from_uuid(e)),
            (None, Some(a)) => DeadlineSource::Action(ActionId::from_uuid(a)),
            _ => return Err(corrupt("source")),
        },
        due_on: r.due_on,
        met_on: r.met_on,
        support_ended_on: r.support_ended_on,
        explanation: r.explanation,
        waiver,
    })
}

/// The case's deadlines by due date.
pub async fn for_case(db: &Db, case: CaseId) -> Result<Vec<Deadline>, StoreError> {
    let conn = db.conn().await?;
    for_case_on(&conn, case).await
}

pub(crate) async fn for_case_on(mut conn: &AsyncPgConnection, case: CaseId) -> Result<Vec<Deadline>, StoreError> {
    let rows: Vec<DeadlineRow> = deadlines::table
        .filter(deadlines::case_id.eq(case.into_uuid()))
        .order((deadlines::due_on.asc(), deadlines::rule_id.asc()))
        .select(DeadlineRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(deadline_from).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum WaiveError {
    #[error("no such deadline")]
    NotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("the deadline is not outstanding")]
    NotOutstanding(DeadlineStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for WaiveError {
    fn from(e: diesel::result::Error) -> Self {
        WaiveError::Store(e.into())
    }
}

/// Waives an outstanding deadline with a reason, after `authorize` approves for its case.
pub async fn waive<F>(
    db: &Db,
    ctx: &AuditContext,
    id: DeadlineId,
    reason: WaiverReason,
    today: NaiveDate,
    authorize: F,
) -> Result<(Deadline, Case), WaiveError>
where
    F: FnOnce(&Case) -> Result<(), Denial> + Send,
{
    let mut conn = db.conn().await?;
    conn.transaction::<_, WaiveError, _>(async move |conn| {
        let case_id: Uuid =
            deadlines::table.find(id.into_uuid()).select(deadlines::case_id).first(conn).await.optional()?.ok_or(WaiveError::NotFound)?;
        let case = load(conn, CaseId::from_uuid(case_id), Lock::Share).await?.ok_or(WaiveError::NotFound)?;
        authorize(&case).map_err(WaiveError::Denied)?;
        let row: DeadlineRow = deadlines::table.find(id.into_uuid()).select(DeadlineRow::as_select()).for_update().first(conn).await?;
        let deadline = deadline_from(row)?;
        if !deadline.is_waivable(today) {
            return Err(WaiveError::NotOutstanding(deadline.status(today)));
        }
        diesel::update(deadlines::table.find(id.into_uuid()))
            .set((
                deadlines::waived_at.eq(ctx.at),
                deadlines::waived_by.eq(ctx.principal.subject.as_str()),
                deadlines::waived_reason.eq(reason.as_str()),
                deadlines::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        let entry = AuditEntry::change(AuditAction::Update, EntityType::Deadline, id.into_uuid(), Some(case.id), vec!["waived"]);
        audit::record(conn, ctx, entry).await?;
        let waived = Deadline { waiver: Some(Waiver { at: ctx.at, by: ctx.principal.subject.clone(), reason }), ..deadline };
        Ok((waived, case))
    })
    .await
}

/// Filters of the coordinators' queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Empty: outstanding (open, or overdue and unmet).
    pub statuses: Vec<DeadlineStatus>,
    /// Only deadlines due strictly before this date.
    pub due_before: Option<NaiveDate>,
    pub rule: Option<String>,
    pub lead: Option<Subject>,
}

/// Where the queue continues: after this (due date, case reference, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    pub due_on: NaiveDate,
    pub case_reference: String,
    pub id: DeadlineId,
}

/// One row of the queue: the deadline and its case's stage today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub deadline: Deadline,
    pub stage: Stage,
}

#[derive(QueryableByName)]
struct QueueRow {
    #[diesel(embed)]
    deadline: DeadlineRow,
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Date>)]
    stage_advances_on: Option<NaiveDate>,
}

/// One test of a status definition as SQL on a deadline `d`, `$1` being today.
fn test_sql(t: StatusTest) -> &'static str {
    match t {
        StatusTest::Waived(true) => "d.waived_at IS NOT NULL",
        StatusTest::Waived(false) => "d.waived_at IS NULL",
        StatusTest::Kind(DeadlineKind::Deadline) => "d.kind = 'deadline'",
        StatusTest::Kind(DeadlineKind::Milestone) => "d.kind = 'milestone'",
        StatusTest::Unmet => "d.met_on IS NULL",
        StatusTest::MetOnTime => "d.met_on <= d.due_on",
        StatusTest::MetLate => "d.met_on > d.due_on",
        StatusTest::EndedEarly(true) => "d.support_ended_on IS NOT NULL",
        StatusTest::EndedEarly(false) => "d.support_ended_on IS NULL",
        StatusTest::DueBeforeToday => "d.due_on < $1",
        StatusTest::DueOnOrBeforeToday => "d.due_on <= $1",
        StatusTest::DueOnOrAfterToday => "d.due_on >= $1",
        StatusTest::DueAfterToday => "d.due_on > $1",
    }
}

/// A status definition of the domain ([`fourthp_domain::rules::definition`]) as SQL: the queue
/// filters by exactly the definition each deadline's own status comes from.
fn definition_sql(def: Definition) -> String {
    let alternatives: Vec<String> =
        def.iter().map(|all| format!("({})", all.iter().map(|t| test_sql(*t)).collect::<Vec<_>>().join(" AND "))).collect();
    format!("({})", alternatives.join(" OR "))
}

type BoxedSql = diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>;

/// The conditions of the queue on deadline `d` of case `c`: outstanding (or the statuses
/// asked for) on cases not closed (or entitlements that ended early), and the filter's own.
/// `$1` is today; the filter's parameters follow from `$2`, `n` ending at the last used.
pub(crate) fn outstanding_where(filter: &QueueFilter, n: &mut usize) -> String {
    let mut sql = format!("(({}) OR ({})) AND ", OPEN_CASE[0], OPEN_CASE[1]);
    if filter.statuses.is_empty() {
        sql.push_str(&definition_sql(OUTSTANDING));
    } else {
        let parts: Vec<String> = filter.statuses.iter().map(|s| definition_sql(definition(*s))).collect();
        sql.push_str(&format!("({})", parts.join(" OR ")));
    }
    sql.push_str(&filter_sql(filter, n));
    sql
}

/// The cases the queue covers, as two conditions on case `c` and deadline `d` that never both
/// hold: cases not closed, and the entitlements of closed cases whose support ended early.
pub(crate) const OPEN_CASE: [&str; 2] = ["c.stage <> 'closed'", "c.stage = 'closed' AND d.support_ended_on IS NOT NULL"];

/// The filter's own conditions (` AND ...` each), its parameters numbered after `n`.
pub(crate) fn filter_sql(filter: &QueueFilter, n: &mut usize) -> String {
    let mut sql = String::new();
    let mut next = || {
        *n += 1;
        *n
    };
    if filter.due_before.is_some() {
        sql.push_str(&format!(" AND d.due_on < ${}", next()));
    }
    if filter.rule.is_some() {
        sql.push_str(&format!(" AND d.rule_id = ${}", next()));
    }
    if filter.lead.is_some() {
        sql.push_str(&format!(" AND c.lead_coordinator = ${}", next()));
    }
    sql
}

/// The queue's conditions as branches that never overlap, for a `UNION ALL` each branch of
/// which an index answers by a range: one per alternative of the status definition (outstanding,
/// unless the filter names statuses) and per kind of case in [`OPEN_CASE`], each with the
/// filter's own conditions. `$1` is today; the filter's parameters follow from `$2`.
pub(crate) fn outstanding_branches(filter: &QueueFilter) -> Vec<String> {
    let mut n = 1;
    let own = filter_sql(filter, &mut n);
    let alternatives: Vec<String> = if filter.statuses.is_empty() {
        OUTSTANDING.iter().map(|alt| definition_sql(std::slice::from_ref(alt))).collect()
    } else {
        // Named statuses may overlap: one branch of them all.
        vec![format!("({})", filter.statuses.iter().map(|s| definition_sql(definition(*s))).collect::<Vec<_>>().join(" OR "))]
    };
    alternatives
        .iter()
        .flat_map(|alt| OPEN_CASE.iter().map(move |case| format!("{alt} AND {case}")))
        .map(|cond| format!("{cond}{own}"))
        .collect()
}

/// Binds today and the filter's parameters, in [`outstanding_where`]'s order.
pub(crate) fn bind_outstanding(query: BoxedSql, filter: &QueueFilter, today: NaiveDate) -> BoxedSql {
    let mut query = query.bind::<Date, _>(today);
    if let Some(d) = filter.due_before {
        query = query.bind::<Date, _>(d);
    }
    if let Some(r) = &filter.rule {
        query = query.bind::<Text, _>(r.clone());
    }
    if let Some(l) = &filter.lead {
        query = query.bind::<Text, _>(l.as_str().to_owned());
    }
    query
}

/// The queue across every case not closed (and the entitlements of closed cases whose support
/// ended early, so that they are seen), by due date then case reference.
pub async fn queue(
    db: &Db,
    filter: &QueueFilter,
    today: NaiveDate,
    limit: Limit,
    after: Option<&QueueCursor>,
) -> Result<Page<QueueItem, QueueCursor>, StoreError> {
    let mut sql = String::from("SELECT d.*, c.stage, c.stage_advances_on FROM deadlines d JOIN cases c ON c.id = d.case_id WHERE ");
    let mut n = 1;
    sql.push_str(&outstanding_where(filter, &mut n));
    let cursor = after.map(|_| (n + 1, n + 2, n + 3));
    if let Some((a, b, c)) = cursor {
        sql.push_str(&format!(" AND (d.due_on, d.case_reference, d.id) > (${a}, ${b}, ${c})"));
    }
    sql.push_str(&format!(" ORDER BY d.due_on, d.case_reference, d.id LIMIT {}", i64::from(limit.get()) + 1));
    let mut query = bind_outstanding(diesel::sql_query(sql).into_boxed(), filter, today);
    if let Some(c) = after {
        query = query.bind::<Date, _>(c.due_on).bind::<Text, _>(c.case_reference.clone()).bind::<SqlUuid, _>(c.id.into_uuid());
    }
    let mut conn = db.conn().await?;
    let rows: Vec<QueueRow> = query.load(&mut conn).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let stage = Stage::parse(&r.stage).ok_or_else(|| StoreError::internal("case row with invalid stage"))?;
            Ok(QueueItem {
                stage: fourthp_domain::lifecycle::stage_on(stage, r.stage_advances_on, today),
                deadline: deadline_from(r.deadline)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_overfetch(items, limit, |i| QueueCursor {
        due_on: i.deadline.due_on,
        case_reference: i.deadline.case_reference.as_str().to_owned(),
        id: i.deadline.id,
    }))
}
