//! Deadline derivation: bringing a case's stored deadlines, stage and stage-advance date in line
//! with its events and needs under the rule book, and the deadlines of follow-up actions. Called
//! by every writer after it has applied its change, inside the writer's transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::action::{ClosedAs, Closure};
use fourthp_domain::audit::AuditAction;
use fourthp_domain::case::Case;
use fourthp_domain::deadline::ACTION_DUE;
use fourthp_domain::ids::{ActionId, DeadlineId};
use fourthp_domain::lifecycle::Timeline;
use fourthp_domain::rules::{stage_advances_on, DeadlineKind, RuleBook};
use uuid::Uuid;

use crate::db::StoreError;
use crate::rows::DeadlineRow;
use crate::schema::{cases, deadlines};

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
    let needs_met = crate::facts::met_for_case(conn, case.id).await?;
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
    // The first event's date changes with the timeline too (an event dated earlier, a
    // correction): kept beside the stage, in the one update, made only when something changed.
    let first_event_on = timeline.first_date();
    let stage_changed: usize = diesel::update(cases::table.find(case.id.into_uuid()))
        .filter(
            cases::stage
                .ne(stage)
                .or(cases::stage_advances_on.is_distinct_from(advances_on))
                .or(cases::first_event_on.is_distinct_from(first_event_on)),
        )
        .set((cases::stage.eq(stage), cases::stage_advances_on.eq(advances_on), cases::first_event_on.eq(first_event_on)))
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
    let timeline = crate::facts::timeline(conn, case.id).await?;
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
