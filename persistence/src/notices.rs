//! Notices that time, not a change, makes due: an action (a case's or the network's) or a rule's
//! deadline falling due within 2 days or overdue, and a "what happened?" ask on its day. Written
//! once each per endpoint (the outbox's `dedupe`), only for agencies with an endpoint that wants
//! them, for what fell due in the last 30 days.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Nullable, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{ActionId, AgencyId, AskId, CaseId, ChallengeId, DeadlineId};
use fourthp_domain::notify::Topic;
use fourthp_domain::time::london_date;
use uuid::Uuid;

use crate::db::{Db, StoreError};
use crate::deadlines::{bind_outstanding, outstanding_branches, QueueFilter};
use crate::outbox::{self, About};

/// How soon before its due date an action or deadline is announced.
const SOON_DAYS: i64 = 2;
/// How far back an overdue one is still announced (a new endpoint is not flooded).
const LOOK_BACK_DAYS: i64 = 30;

#[derive(QueryableByName)]
struct DueRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    case_id: Uuid,
    #[diesel(sql_type = Text)]
    case_reference: String,
    #[diesel(sql_type = SqlUuid)]
    agency_id: Uuid,
    #[diesel(sql_type = Date)]
    due_on: NaiveDate,
    #[diesel(sql_type = Nullable<Text>)]
    rule: Option<String>,
}

/// An action due: on a case (by its reference) or on a challenge (by its number).
#[derive(QueryableByName)]
struct ActionDueRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    case_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    case_reference: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    challenge_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<BigInt>)]
    number: Option<i64>,
    #[diesel(sql_type = SqlUuid)]
    agency_id: Uuid,
    #[diesel(sql_type = Date)]
    due_on: NaiveDate,
}

const LISTENING: &str = "(SELECT e.agency_id FROM webhook_endpoints e WHERE e.active)";

/// Writes the due, overdue and ask notices that `now` makes due; returns how many messages.
pub async fn announce_due(db: &Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let today = london_date(now);
    let mut conn = db.conn().await?;
    let actions: Vec<ActionDueRow> = diesel::sql_query(format!(
        "SELECT a.id, a.case_id, c.reference AS case_reference, a.challenge_id, h.number, a.owner_agency_id AS agency_id, a.due_on \
         FROM actions a LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN challenges h ON h.id = a.challenge_id \
         WHERE a.status = 'open' AND a.due_on <= $1 + {SOON_DAYS} AND a.due_on >= $1 - {LOOK_BACK_DAYS} \
         AND a.owner_agency_id IN {LISTENING}"
    ))
    .bind::<Date, _>(today)
    .load(&mut conn)
    .await?;
    let asks: Vec<DueRow> = diesel::sql_query(format!(
        "SELECT k.id, k.case_id, c.reference AS case_reference, k.agency_id, k.ask_on AS due_on, NULL::text AS rule \
         FROM asks k JOIN cases c ON c.id = k.case_id \
         WHERE k.answered_at IS NULL AND k.ask_on <= $1 AND k.ask_on >= $1 - {LOOK_BACK_DAYS} AND k.agency_id IN {LISTENING}"
    ))
    .bind::<Date, _>(today)
    .load(&mut conn)
    .await?;
    let filter = QueueFilter { due_before: Some(today + chrono::Duration::days(SOON_DAYS + 1)), ..QueueFilter::default() };
    let branches: Vec<String> = outstanding_branches(&filter)
        .into_iter()
        .map(|cond| {
            format!(
                "SELECT d.id, d.case_id, d.case_reference, u.agency_id, d.due_on, d.rule_id AS rule \
                 FROM deadlines d JOIN cases c ON c.id = d.case_id \
                 JOIN users u ON c.lead_coordinator = 'user:' || u.id::text \
                 WHERE {cond} AND d.action_id IS NULL AND d.due_on >= $1 - {LOOK_BACK_DAYS} AND u.agency_id IN {LISTENING}"
            )
        })
        .collect();
    let deadlines: Vec<DueRow> =
        bind_outstanding(diesel::sql_query(branches.join(" UNION ALL ")).into_boxed(), &filter, today).load(&mut conn).await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let mut written = 0;
        let reference = |r: &DueRow| CaseReference::parse(&r.case_reference).map_err(|_| StoreError::internal("invalid case reference"));
        for r in &actions {
            let topic = if r.due_on < today { Topic::ActionOverdue } else { Topic::ActionDueSoon };
            let case = match (r.case_id, &r.case_reference) {
                (Some(id), Some(reference)) => Some((
                    CaseId::from_uuid(id),
                    CaseReference::parse(reference).map_err(|_| StoreError::internal("invalid case reference"))?,
                )),
                _ => None,
            };
            let about = About {
                case,
                challenge: r.challenge_id.zip(r.number).map(|(id, n)| (ChallengeId::from_uuid(id), n)),
                action: Some(ActionId::from_uuid(r.id)),
                due_on: Some(r.due_on),
                status: Some("open"),
                ..About::default()
            };
            let once = format!("{topic}\n{}", r.id);
            written += outbox::announce(conn, now, topic, AgencyId::from_uuid(r.agency_id), &about, Some(&once)).await?;
        }
        for r in &asks {
            let about = About {
                case: Some((CaseId::from_uuid(r.case_id), reference(r)?)),
                ask: Some(AskId::from_uuid(r.id)),
                due_on: Some(r.due_on),
                ..About::default()
            };
            let once = format!("{}\n{}", Topic::AskDue, r.id);
            written += outbox::announce(conn, now, Topic::AskDue, AgencyId::from_uuid(r.agency_id), &about, Some(&once)).await?;
        }
        for r in &deadlines {
            let topic = if r.due_on < today { Topic::DeadlineOverdue } else { Topic::DeadlineDueSoon };
            let about = About {
                case: Some((CaseId::from_uuid(r.case_id), reference(r)?)),
                deadline: Some(DeadlineId::from_uuid(r.id)),
                due_on: Some(r.due_on),
                rule: r.rule.clone(),
                ..About::default()
            };
            let once = format!("{topic}\n{}", r.id);
            written += outbox::announce(conn, now, topic, AgencyId::from_uuid(r.agency_id), &about, Some(&once)).await?;
        }
        Ok(written)
    })
    .await
}
