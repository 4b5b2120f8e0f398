//! The deadlines repository: keeping the materialised deadlines in step with the events, the
//! case's deadlines, waivers and the coordinators' queue.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::action::Action;
use fourthp_domain::action::{ActionStatus, ClosedAs, Closure};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::{Case, CaseReference, Stage};
use fourthp_domain::deadline::{Deadline, DeadlineSource, Waiver, WaiverReason, ACTION_DUE};
use fourthp_domain::ids::{ActionId, AgencyId, CaseId, DeadlineId, EventId};
use fourthp_domain::lifecycle::{Journey, Timeline};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Subject;
use fourthp_domain::rules::{definition, stage_advances_on, DeadlineKind, DeadlineStatus, Definition, RuleBook, StatusTest, OUTSTANDING};
use uuid::Uuid;

use crate::audit;
use crate::cases::{load, Lock};
use crate::db::{Db, StoreError};
use crate::rows::DeadlineRow;
use crate::schema::{cases, deadlines};

fn deadline_from(r: DeadlineRow) -> Result<Deadline, StoreError> {
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

/// One stored deadline that [`sync`] created, changed or removed, with its values before and
/// after (for the audit of a re-derivation).
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineChange {
    pub action: AuditAction,
    pub id: DeadlineId,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

fn snapshot(rule_version: &str, kind: &str, due_on: NaiveDate, met_on: Option<NaiveDate>, ended: Option<NaiveDate>) -> serde_json::Value {
    serde_json::json!({"rule_version": rule_version, "kind": kind, "due_on": due_on, "met_on": met_on, "support_ended_on": ended})
}

/// What [`sync`] did: the deadlines it changed, and whether the case's stage changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncOutcome {
    pub changes: Vec<DeadlineChange>,
    pub stage_changed: bool,
}

/// Brings the case's stored deadlines, stage and stage-advance date in line with `timeline`
/// under `book`. Deadlines keep their id (and any waiver) while their rule and trigger stay;
/// ones the rules no longer derive are removed. The caller bumps the case's version.
pub(crate) async fn sync(
    conn: &mut AsyncPgConnection,
    case: &Case,
    timeline: &Timeline,
    book: &RuleBook,
    now: DateTime<Utc>,
) -> Result<SyncOutcome, StoreError> {
    let needs_met = crate::needs::met_for_case(conn, case.id).await?;
    let derived = book.derive(case.details.jurisdiction, case.details.age_facts(), &timeline.effective, &needs_met);
    let mut changes = Vec::new();
    // Deadlines from actions are the actions' own business: leave them be.
    let existing: Vec<DeadlineRow> = deadlines::table
        .filter(deadlines::case_id.eq(case.id.into_uuid()))
        .filter(deadlines::trigger_event_id.is_not_null())
        .select(DeadlineRow::as_select())
        .load(conn)
        .await?;
    let mut by_key: HashMap<(String, Option<Uuid>), DeadlineRow> =
        existing.into_iter().map(|r| ((r.rule_id.clone(), r.trigger_event_id), r)).collect();
    for d in &derived {
        match by_key.remove(&(d.rule_id.clone(), Some(d.trigger.into_uuid()))) {
            Some(row) => {
                let same = row.rule_version == d.rule_version
                    && row.kind == d.kind.as_str()
                    && row.due_on == d.due_on
                    && row.met_on == d.met_on
                    && row.support_ended_on == d.support_ended_on
                    && row.explanation == d.explanation;
                if !same {
                    // A waiver stays with its deadline; a milestone cannot carry one.
                    let keep_waiver = d.kind == DeadlineKind::Deadline;
                    diesel::update(deadlines::table.find(row.id))
                        .set((
                            deadlines::rule_version.eq(&d.rule_version),
                            deadlines::kind.eq(d.kind.as_str()),
                            deadlines::due_on.eq(d.due_on),
                            deadlines::met_on.eq(d.met_on),
                            deadlines::support_ended_on.eq(d.support_ended_on),
                            deadlines::explanation.eq(&d.explanation),
                            deadlines::waived_at.eq(row.waived_at.filter(|_| keep_waiver)),
                            deadlines::waived_by.eq(row.waived_by.as_deref().filter(|_| keep_waiver)),
                            deadlines::waived_reason.eq(row.waived_reason.as_deref().filter(|_| keep_waiver)),
                            deadlines::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await?;
                    changes.push(DeadlineChange {
                        action: AuditAction::Update,
                        id: DeadlineId::from_uuid(row.id),
                        before: Some(snapshot(&row.rule_version, &row.kind, row.due_on, row.met_on, row.support_ended_on)),
                        after: Some(snapshot(&d.rule_version, d.kind.as_str(), d.due_on, d.met_on, d.support_ended_on)),
                    });
                }
            }
            None => {
                let row = DeadlineRow {
                    id: DeadlineId::new_at(now).into_uuid(),
                    case_id: case.id.into_uuid(),
                    case_reference: case.reference.as_str().to_owned(),
                    rule_id: d.rule_id.clone(),
                    rule_version: d.rule_version.clone(),
                    kind: d.kind.as_str().to_owned(),
                    trigger_event_id: Some(d.trigger.into_uuid()),
                    due_on: d.due_on,
                    met_on: d.met_on,
                    explanation: d.explanation.clone(),
                    waived_at: None,
                    waived_by: None,
                    waived_reason: None,
                    created_at: now,
                    updated_at: now,
                    action_id: None,
                    support_ended_on: d.support_ended_on,
                };
                diesel::insert_into(deadlines::table).values(&row).execute(conn).await?;
                changes.push(DeadlineChange {
                    action: AuditAction::Create,
                    id: DeadlineId::from_uuid(row.id),
                    before: None,
                    after: Some(snapshot(&d.rule_version, d.kind.as_str(), d.due_on, d.met_on, d.support_ended_on)),
                });
            }
        }
    }
    let gone: Vec<DeadlineRow> = by_key.into_values().collect();
    if !gone.is_empty() {
        diesel::delete(deadlines::table.filter(deadlines::id.eq_any(gone.iter().map(|r| r.id).collect::<Vec<_>>()))).execute(conn).await?;
    }
    for row in gone {
        changes.push(DeadlineChange {
            action: AuditAction::Delete,
            id: DeadlineId::from_uuid(row.id),
            before: Some(snapshot(&row.rule_version, &row.kind, row.due_on, row.met_on, row.support_ended_on)),
            after: None,
        });
    }
    let stage = timeline.stage().as_str();
    let advances_on = stage_advances_on(&derived);
    let stage_changed: usize = diesel::update(cases::table.find(case.id.into_uuid()))
        .filter(cases::stage.ne(stage).or(cases::stage_advances_on.is_distinct_from(advances_on)))
        .set((cases::stage.eq(stage), cases::stage_advances_on.eq(advances_on)))
        .execute(conn)
        .await?;
    Ok(SyncOutcome { changes, stage_changed: stage_changed > 0 })
}

/// Re-derives the case's deadlines and stage from its stored events (after a need changes, or
/// the jurisdiction does).
pub(crate) async fn resync(
    conn: &mut AsyncPgConnection,
    case: &Case,
    book: &RuleBook,
    now: DateTime<Utc>,
) -> Result<SyncOutcome, StoreError> {
    let timeline = crate::events::timeline(conn, case.id).await?;
    sync(conn, case, &timeline, book, now).await
}

/// Records the deadline of a new action: its agreed due date.
pub(crate) async fn add_for_action(
    conn: &mut AsyncPgConnection,
    case: &Case,
    action: ActionId,
    due_on: NaiveDate,
    explanation: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = DeadlineRow {
        id: DeadlineId::new_at(now).into_uuid(),
        case_id: case.id.into_uuid(),
        case_reference: case.reference.as_str().to_owned(),
        rule_id: ACTION_DUE.to_owned(),
        rule_version: "1".to_owned(),
        kind: DeadlineKind::Deadline.as_str().to_owned(),
        trigger_event_id: None,
        due_on,
        met_on: None,
        explanation,
        waived_at: None,
        waived_by: None,
        waived_reason: None,
        created_at: now,
        updated_at: now,
        action_id: Some(action.into_uuid()),
        support_ended_on: None,
    };
    diesel::insert_into(deadlines::table).values(&row).execute(conn).await?;
    Ok(())
}

/// Settles an action's deadline when the action closes: met on completion, waived (with the
/// reason) on cancellation.
pub(crate) async fn settle_for_action(conn: &mut AsyncPgConnection, action: ActionId, closure: &Closure) -> Result<(), StoreError> {
    let target = deadlines::table.filter(deadlines::action_id.eq(action.into_uuid()));
    match closure.status {
        ClosedAs::Done => {
            diesel::update(target).set((deadlines::met_on.eq(closure.on), deadlines::updated_at.eq(closure.at))).execute(conn).await?;
        }
        ClosedAs::Cancelled => {
            diesel::update(target)
                .set((
                    deadlines::waived_at.eq(closure.at),
                    deadlines::waived_by.eq(closure.by.as_str()),
                    deadlines::waived_reason
                        .eq(format!("action cancelled: {}", closure.note.as_str()).chars().take(500).collect::<String>()),
                    deadlines::updated_at.eq(closure.at),
                ))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// The case's deadlines by due date.
pub async fn for_case(db: &Db, case: CaseId) -> Result<Vec<Deadline>, StoreError> {
    let conn = db.conn().await?;
    for_case_on(&conn, case).await
}

async fn for_case_on(mut conn: &AsyncPgConnection, case: CaseId) -> Result<Vec<Deadline>, StoreError> {
    let rows: Vec<DeadlineRow> = deadlines::table
        .filter(deadlines::case_id.eq(case.into_uuid()))
        .order((deadlines::due_on.asc(), deadlines::rule_id.asc()))
        .select(DeadlineRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(deadline_from).collect()
}

/// What the case status view reads, on one connection: the journey, the deadlines, and the
/// actions `owner` owes on the case (all of them, for filtering the deadlines a partner sees,
/// and the open ones).
#[derive(Debug)]
pub struct StatusFacts {
    pub journey: Journey,
    pub deadlines: Vec<Deadline>,
    pub owned: Vec<Action>,
    pub owed: Vec<Action>,
}

/// The case (as [`crate::cases::get`] reads it) and its [`StatusFacts`], in one round trip: all
/// six reads are pipelined on one connection. The caller decides access on the case before
/// using anything else.
pub async fn case_with_status_facts(
    db: &Db,
    case: CaseId,
    owner: Option<AgencyId>,
    all_owned: bool,
) -> Result<(Option<Case>, StatusFacts), StoreError> {
    let conn = db.conn().await?;
    let conn: &AsyncPgConnection = &conn;
    futures_util::future::try_join(crate::cases::load(conn, case, Lock::None), status_facts_on(conn, case, owner, all_owned)).await
}

async fn status_facts_on(
    conn: &AsyncPgConnection,
    case: CaseId,
    owner: Option<AgencyId>,
    all_owned: bool,
) -> Result<StatusFacts, StoreError> {
    // Four independent reads, pipelined: sent together, answered in one round trip.
    let filter = owner.map(|o| crate::actions::ActionFilter { case: Some(case), owner: Some(o), ..Default::default() });
    let open = filter.clone().map(|f| crate::actions::ActionFilter { status: Some(ActionStatus::Open), ..f });
    let actions = |f: Option<crate::actions::ActionFilter>, wanted: bool| async move {
        match f {
            Some(f) if wanted => crate::actions::all_on(conn, &f).await,
            _ => Ok(Vec::new()),
        }
    };
    let (timeline, deadlines, owned, owed) = futures_util::future::try_join4(
        crate::events::timeline(conn, case),
        for_case_on(conn, case),
        actions(filter, all_owned),
        actions(open, true),
    )
    .await?;
    Ok(StatusFacts { journey: timeline.journey, deadlines, owned, owed })
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

/// The queue across every case not closed (and the entitlements of closed cases whose support
/// ended early, so that they are seen), by due date then case reference.
pub async fn queue(
    db: &Db,
    filter: &QueueFilter,
    today: NaiveDate,
    limit: Limit,
    after: Option<&QueueCursor>,
) -> Result<Page<QueueItem, QueueCursor>, StoreError> {
    let mut sql = String::from(
        "SELECT d.*, c.stage, c.stage_advances_on FROM deadlines d JOIN cases c ON c.id = d.case_id \
         WHERE (c.stage <> 'closed' OR d.support_ended_on IS NOT NULL) AND ",
    );
    if filter.statuses.is_empty() {
        sql.push_str(&definition_sql(OUTSTANDING));
    } else {
        let parts: Vec<String> = filter.statuses.iter().map(|s| definition_sql(definition(*s))).collect();
        sql.push_str(&format!("({})", parts.join(" OR ")));
    }
    let mut n = 1;
    let mut next = || {
        n += 1;
        n
    };
    let due_before = filter.due_before.map(|_| next());
    let rule = filter.rule.as_ref().map(|_| next());
    let lead = filter.lead.as_ref().map(|_| next());
    let cursor = after.map(|_| (next(), next(), next()));
    if let Some(i) = due_before {
        sql.push_str(&format!(" AND d.due_on < ${i}"));
    }
    if let Some(i) = rule {
        sql.push_str(&format!(" AND d.rule_id = ${i}"));
    }
    if let Some(i) = lead {
        sql.push_str(&format!(" AND c.lead_coordinator = ${i}"));
    }
    if let Some((a, b, c)) = cursor {
        sql.push_str(&format!(" AND (d.due_on, d.case_reference, d.id) > (${a}, ${b}, ${c})"));
    }
    sql.push_str(&format!(" ORDER BY d.due_on, d.case_reference, d.id LIMIT {}", i64::from(limit.get()) + 1));

    let mut query = diesel::sql_query(sql).into_boxed().bind::<Date, _>(today);
    if let Some(d) = filter.due_before {
        query = query.bind::<Date, _>(d);
    }
    if let Some(r) = &filter.rule {
        query = query.bind::<Text, _>(r.clone());
    }
    if let Some(l) = &filter.lead {
        query = query.bind::<Text, _>(l.as_str().to_owned());
    }
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
