//! What the HTCDS export reads of the cases identified in a period, and its audit record.

use chrono::NaiveDate;
use diesel::sql_types::{Array, Bool, Date, Int4, Nullable, Text};
use diesel_async::RunQueryDsl;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType, Purpose};
use fourthp_domain::case::{Birth, ExploitationType, Gender};
use fourthp_domain::codes::CountryCode;
use fourthp_domain::event::{ClosureReason, DecisionOutcome};
use fourthp_domain::htcds::{CaseFacts, Decision};

use crate::audit::{self, Details};
use crate::db::{Db, StoreError};

#[derive(diesel::QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = Nullable<Int4>)]
    birth_year: Option<i32>,
    #[diesel(sql_type = Nullable<Date>)]
    date_of_birth: Option<NaiveDate>,
    #[diesel(sql_type = Bool)]
    presumed_child: bool,
    #[diesel(sql_type = Text)]
    gender: String,
    #[diesel(sql_type = Array<Text>)]
    nationalities: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    exploitation_types: Vec<String>,
    #[diesel(sql_type = Date)]
    identified_on: NaiveDate,
    #[diesel(sql_type = Nullable<Text>)]
    decision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    outcome: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    closure: Option<String>,
}

/// The facts of every case identified (its first event, or the day it was opened) from `from`
/// to `to` inclusive: the latest decision that stands, and why it closed if it is closed.
pub async fn identified_between(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<Vec<CaseFacts>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<FactsRow> = diesel::sql_query(
        "WITH c AS ( \
           SELECT c.*, coalesce(c.first_event_on, (c.created_at AT TIME ZONE 'Europe/London')::date) AS identified_on FROM cases c), \
         standing AS ( \
           SELECT e.*, coalesce(e.replacement_type, e.type) AS effective FROM case_events e \
            WHERE NOT EXISTS (SELECT 1 FROM case_events s WHERE s.supersedes = e.id) AND (e.type <> 'correction' OR e.replacement_type IS NOT NULL)) \
         SELECT c.birth_year, c.date_of_birth, c.presumed_child, c.gender, c.nationalities, c.exploitation_types, c.identified_on, \
                d.effective AS decision, d.outcome, \
                CASE WHEN c.stage = 'closed' THEN k.closure_reason END AS closure \
           FROM c \
           LEFT JOIN LATERAL (SELECT s.effective, s.outcome FROM standing s WHERE s.case_id = c.id \
                 AND s.effective IN ('reasonable_grounds_decision', 'conclusive_grounds_decision') \
                 ORDER BY s.event_date DESC, s.seq DESC LIMIT 1) d ON true \
           LEFT JOIN LATERAL (SELECT s.closure_reason FROM standing s WHERE s.case_id = c.id AND s.effective = 'case_closed' \
                 ORDER BY s.event_date DESC, s.seq DESC LIMIT 1) k ON true \
          WHERE c.identified_on BETWEEN $1 AND $2 \
          ORDER BY c.identified_on, c.id",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(&mut conn)
    .await?;
    let bad = |what: &str| StoreError::internal(format!("case with an invalid {what}"));
    rows.into_iter()
        .map(|r| {
            let birth = match (r.date_of_birth, r.birth_year) {
                (Some(d), _) => Birth::Date(d),
                (None, Some(y)) => Birth::Year(y),
                (None, None) => Birth::Unknown,
            };
            let outcome = r.outcome.as_deref().and_then(DecisionOutcome::parse);
            let decision = match (r.decision.as_deref(), outcome) {
                (Some("reasonable_grounds_decision"), Some(o)) => Some(Decision::ReasonableGrounds(o)),
                (Some("conclusive_grounds_decision"), Some(o)) => Some(Decision::ConclusiveGrounds(o)),
                _ => None,
            };
            Ok(CaseFacts {
                birth,
                presumed_child: r.presumed_child,
                gender: Gender::parse(&r.gender).ok_or_else(|| bad("gender"))?,
                nationalities: r
                    .nationalities
                    .iter()
                    .map(|n| CountryCode::parse(n).map_err(|_| bad("nationality")))
                    .collect::<Result<_, _>>()?,
                exploitation_types: r
                    .exploitation_types
                    .iter()
                    .map(|e| ExploitationType::parse(e).ok_or_else(|| bad("exploitation type")))
                    .collect::<Result<_, _>>()?,
                identified_on: r.identified_on,
                decision,
                closed: r.closure.as_deref().map(|c| ClosureReason::parse(c).unwrap_or(ClosureReason::Other)),
            })
        })
        .collect()
}

/// Audits one export: its period, how many rows it released and how many it suppressed.
pub async fn record_export(db: &Db, ctx: &AuditContext, parameters: serde_json::Value) -> Result<(), StoreError> {
    let entry = AuditEntry {
        action: AuditAction::Execute,
        outcome: AuditOutcome::Success,
        entity_type: EntityType::Report,
        entity_id: None,
        case_id: None,
        changed_fields: Vec::new(),
        purpose: Some(Purpose::DataSharing),
    };
    let mut conn = db.conn().await?;
    audit::record_with(&mut conn, ctx, entry, Some(Details { before: None, after: Some(parameters) })).await?;
    Ok(())
}
