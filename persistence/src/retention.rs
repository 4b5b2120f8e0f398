//! Retention and erasure: redacting the personal data of a case while keeping the anonymous
//! facts that reports need, and leaving the audit chain verifiable (chained records hold no
//! personal data; their before/after values, kept beside them, are redacted too).

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Date, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType, Purpose};
use fourthp_domain::ids::CaseId;

use crate::audit;
use crate::db::{Db, StoreError};

/// What redaction replaces free text and names with.
pub const REDACTED: &str = "[redacted]";

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
}

/// Closed cases whose latest closure is dated before `closed_before`, not yet redacted.
pub async fn due(db: &Db, closed_before: NaiveDate) -> Result<Vec<CaseId>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT c.id FROM cases c WHERE c.stage = 'closed' AND c.known_as <> '[redacted]' AND \
         (SELECT max(e.event_date) FROM case_events e WHERE e.case_id = c.id \
            AND (e.type = 'case_closed' OR e.replacement_type = 'case_closed')) < $1 ORDER BY c.id",
    )
    .bind::<Date, _>(closed_before)
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|r| CaseId::from_uuid(r.id)).collect())
}

/// Redacts one case's personal data in one transaction, and audits it with `purpose`
/// (retention or erasure). Returns false when there is no such case.
pub async fn redact(db: &Db, ctx: &AuditContext, case: CaseId, purpose: Purpose) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let id = case.into_uuid();
        let bind = |sql: &'static str| diesel::sql_query(sql).bind::<SqlUuid, _>(id);
        let found = bind(
            "UPDATE cases SET known_as = '[redacted]', date_of_birth = NULL, gender = 'not_specified', nationalities = '{}', languages = '{}', \
             consent_recorded_by = '[redacted]', version = version + 1 WHERE id = $1",
        )
        .execute(conn)
        .await?;
        if found == 0 {
            return Ok(false);
        }
        bind("UPDATE interventions SET summary = '[redacted]' WHERE case_id = $1").execute(conn).await?;
        bind("UPDATE actions SET description = '[redacted]', closure_note = CASE WHEN closure_note IS NULL THEN NULL ELSE '[redacted]' END WHERE case_id = $1")
            .execute(conn)
            .await?;
        bind("UPDATE outcomes SET evidence = NULL WHERE case_id = $1").execute(conn).await?;
        bind("UPDATE case_team SET role = NULL WHERE case_id = $1").execute(conn).await?;
        bind("UPDATE deadlines SET waived_reason = '[redacted]' WHERE case_id = $1 AND waived_reason IS NOT NULL").execute(conn).await?;
        diesel::sql_query("SET LOCAL fourthp.redaction = 'on'").execute(conn).await?;
        bind("UPDATE case_events SET correction_reason = '[redacted]' WHERE case_id = $1 AND correction_reason IS NOT NULL").execute(conn).await?;
        bind("UPDATE audit_details SET before = NULL, after = NULL, redacted_at = now() WHERE case_id = $1").execute(conn).await?;
        let fields = vec!["known_as", "date_of_birth", "gender", "nationalities", "languages", "free_text", "change_values"];
        let mut entry = AuditEntry::change(AuditAction::Update, EntityType::Case, id, Some(case), fields);
        entry.purpose = Some(purpose);
        audit::record(conn, ctx, entry).await?;
        Ok(true)
    })
    .await
}
