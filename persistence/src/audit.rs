//! Writing and reading audit records. Writes happen inside the caller's transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType};
use fourthp_domain::ids::{AgencyId, AuditId, CaseId};
use uuid::Uuid;

use crate::db::{Db, StoreError};
use crate::rows::{AuditRow, NewAuditRow};
use crate::schema::audit_records;

/// Appends `entry` to the trail on `conn`, which should be in the change's transaction.
pub async fn record(conn: &mut AsyncPgConnection, ctx: &AuditContext, entry: AuditEntry) -> Result<AuditId, StoreError> {
    let millis = u64::try_from(ctx.at.timestamp_millis()).unwrap_or(0);
    let id = AuditId::new_v7(millis);
    let row = NewAuditRow {
        id: id.into_uuid(),
        recorded_at: ctx.at,
        action: entry.action.as_str(),
        outcome: entry.outcome.as_str(),
        agent_sub: ctx.principal.subject.as_str(),
        agent_role: ctx.principal.role.as_str(),
        agent_agency_id: ctx.principal.agency.map(AgencyId::into_uuid),
        entity_type: entry.entity_type.as_str(),
        entity_id: entry.entity_id,
        case_id: entry.case_id.map(CaseId::into_uuid),
        changed_fields: entry.changed_fields.iter().map(|f| (*f).to_owned()).collect(),
        request_id: &ctx.request_id,
        client_address: ctx.client_address.as_deref(),
        purpose: None,
    };
    diesel::insert_into(audit_records::table).values(&row).execute(conn).await?;
    Ok(id)
}

/// A stored audit record as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: AuditId,
    pub recorded_at: DateTime<Utc>,
    pub action: AuditAction,
    pub outcome: AuditOutcome,
    pub agent_sub: String,
    pub agent_role: String,
    pub agent_agency_id: Option<AgencyId>,
    pub entity_type: EntityType,
    pub entity_id: Option<Uuid>,
    pub case_id: Option<CaseId>,
    pub changed_fields: Vec<String>,
    pub request_id: String,
    pub client_address: Option<String>,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> Result<Self, StoreError> {
        let bad = |what: &str| StoreError::internal(format!("audit record with unknown {what}"));
        Ok(AuditRecord {
            id: AuditId::from_uuid(r.id),
            recorded_at: r.recorded_at,
            action: AuditAction::parse(&r.action).ok_or_else(|| bad("action"))?,
            outcome: AuditOutcome::parse(&r.outcome).ok_or_else(|| bad("outcome"))?,
            agent_sub: r.agent_sub,
            agent_role: r.agent_role,
            agent_agency_id: r.agent_agency_id.map(AgencyId::from_uuid),
            entity_type: EntityType::parse(&r.entity_type).ok_or_else(|| bad("entity type"))?,
            entity_id: r.entity_id,
            case_id: r.case_id.map(CaseId::from_uuid),
            changed_fields: r.changed_fields,
            request_id: r.request_id,
            client_address: r.client_address,
        })
    }
}

/// The records about one entity, oldest first.
pub async fn for_entity(db: &Db, entity_type: EntityType, entity_id: Uuid) -> Result<Vec<AuditRecord>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<AuditRow> = audit_records::table
        .filter(audit_records::entity_type.eq(entity_type.as_str()))
        .filter(audit_records::entity_id.eq(entity_id))
        .order(audit_records::id.asc())
        .select(AuditRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(AuditRecord::try_from).collect()
}
