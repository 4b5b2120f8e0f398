//! Writing and reading audit records. Writes happen inside the caller's transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType};
use fourthp_domain::ids::{AgencyId, AuditId, CaseId};
use fourthp_domain::paging::{Limit, Page};
use uuid::Uuid;

use crate::db::{Db, StoreError};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::rows::{AuditRow, NewAuditRow};
use crate::schema::{audit_details, audit_records};

static SOURCE: OnceLock<String> = OnceLock::new();

/// The service instance that writes records (host and process), fixed on first use.
pub fn source() -> &'static str {
    SOURCE.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
        format!("fourthp@{}:{}", if host.is_empty() { "localhost" } else { &host }, std::process::id())
    })
}

/// Before and after values of a change: personal data, kept beside the chained record (which
/// holds only their hash) so that they can be redacted without breaking verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// JSON with object keys sorted at every level: the canonical form that details are hashed in.
pub fn canonical_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> =
                keys.into_iter().map(|k| format!("{}:{}", serde_json::Value::String(k.clone()), canonical_json(&map[k]))).collect();
            format!("{{{}}}", parts.join(","))
        }
        serde_json::Value::Array(items) => format!("[{}]", items.iter().map(canonical_json).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

impl Details {
    pub fn hash(&self) -> Vec<u8> {
        let doc = serde_json::json!({"before": self.before, "after": self.after});
        Sha256::digest(canonical_json(&doc).as_bytes()).to_vec()
    }
}

/// Who a record names as acting, and for which request.
struct Agent<'a> {
    at: DateTime<Utc>,
    sub: &'a str,
    role: &'a str,
    agency: Option<AgencyId>,
    request_id: &'a str,
    client_address: Option<&'a str>,
}

impl<'a> Agent<'a> {
    fn of(ctx: &'a AuditContext) -> Self {
        Agent {
            at: ctx.at,
            sub: ctx.principal.subject.as_str(),
            role: ctx.principal.role.as_str(),
            agency: ctx.principal.agency,
            request_id: &ctx.request_id,
            client_address: ctx.client_address.as_deref(),
        }
    }

    fn row(&self, id: AuditId, entry: &'a AuditEntry, details_hash: Option<Vec<u8>>) -> NewAuditRow<'a> {
        NewAuditRow {
            id: id.into_uuid(),
            recorded_at: self.at,
            action: entry.action.as_str(),
            outcome: entry.outcome.as_str(),
            agent_sub: self.sub,
            agent_role: self.role,
            agent_agency_id: self.agency.map(AgencyId::into_uuid),
            entity_type: entry.entity_type.as_str(),
            entity_id: entry.entity_id,
            case_id: entry.case_id.map(CaseId::into_uuid),
            changed_fields: entry.changed_fields.iter().map(|f| (*f).to_owned()).collect(),
            request_id: self.request_id,
            client_address: self.client_address,
            purpose: entry.purpose.map(|p| p.as_str()),
            source: Some(source()),
            details_hash,
        }
    }
}

fn new_row<'a>(id: AuditId, ctx: &'a AuditContext, entry: &'a AuditEntry, details_hash: Option<Vec<u8>>) -> NewAuditRow<'a> {
    Agent::of(ctx).row(id, entry, details_hash)
}

/// Appends `entry` to the trail on `conn`, which should be in the change's transaction.
pub async fn record(conn: &mut AsyncPgConnection, ctx: &AuditContext, entry: AuditEntry) -> Result<AuditId, StoreError> {
    record_with(conn, ctx, entry, None).await
}

/// Like [`record`], keeping the change's before and after values beside the record.
pub async fn record_with(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    entry: AuditEntry,
    details: Option<Details>,
) -> Result<AuditId, StoreError> {
    let id = AuditId::new_at(ctx.at);
    let row = new_row(id, ctx, &entry, details.as_ref().map(Details::hash));
    insert(conn, row, entry.case_id, details).await?;
    Ok(id)
}

/// The service itself, acting on no one's request: a re-derivation under a changed rule book.
#[derive(Debug, Clone)]
pub struct SystemAgent {
    /// `fourthp-rule-book`, for example.
    pub sub: String,
    pub request_id: String,
    pub at: DateTime<Utc>,
}

/// Appends `entry` as a change made by the service itself (agent role `system`), with details.
pub async fn record_system(
    conn: &mut AsyncPgConnection,
    agent: &SystemAgent,
    entry: AuditEntry,
    details: Option<Details>,
) -> Result<AuditId, StoreError> {
    let id = AuditId::new_at(agent.at);
    let system = Agent { at: agent.at, sub: &agent.sub, role: "system", agency: None, request_id: &agent.request_id, client_address: None };
    let row = system.row(id, &entry, details.as_ref().map(Details::hash));
    insert(conn, row, entry.case_id, details).await?;
    Ok(id)
}

async fn insert(
    conn: &mut AsyncPgConnection,
    row: NewAuditRow<'_>,
    case_id: Option<CaseId>,
    details: Option<Details>,
) -> Result<(), StoreError> {
    let id = row.id;
    diesel::insert_into(audit_records::table).values(&row).execute(conn).await?;
    if let Some(d) = details {
        diesel::insert_into(audit_details::table)
            .values((
                audit_details::audit_id.eq(id),
                audit_details::case_id.eq(case_id.map(CaseId::into_uuid)),
                audit_details::before.eq(d.before),
                audit_details::after.eq(d.after),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Appends many records at once, each in its own context (the buffered read log).
pub async fn record_many(db: &Db, entries: &[(AuditContext, AuditEntry)]) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let ids: Vec<AuditId> = entries.iter().map(|(c, _)| AuditId::new_at(c.at)).collect();
    let rows: Vec<NewAuditRow<'_>> = entries.iter().zip(&ids).map(|((ctx, entry), id)| new_row(*id, ctx, entry, None)).collect();
    let mut conn = db.conn().await?;
    diesel::insert_into(audit_records::table).values(&rows).execute(&mut conn).await?;
    Ok(())
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
    pub purpose: Option<String>,
    pub source: Option<String>,
    pub details_hash: Option<Vec<u8>>,
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
            purpose: r.purpose,
            source: r.source,
            details_hash: r.details_hash,
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

/// Filters of the audit trail query.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub agent_sub: Option<String>,
    pub agency: Option<AgencyId>,
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<Uuid>,
    pub case: Option<CaseId>,
    pub action: Option<AuditAction>,
    pub outcome: Option<AuditOutcome>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only reads and refused attempts (the access log).
    pub accesses_only: bool,
}

/// Audit records, newest first (ids are time-ordered), after the cursor's id.
pub async fn query(db: &Db, f: &AuditFilter, limit: Limit, after: Option<AuditId>) -> Result<Page<AuditRecord, AuditId>, StoreError> {
    let mut conn = db.conn().await?;
    let mut q = audit_records::table.select(AuditRow::as_select()).order(audit_records::id.desc()).into_boxed();
    if let Some(s) = &f.agent_sub {
        q = q.filter(audit_records::agent_sub.eq(s.clone()));
    }
    if let Some(a) = f.agency {
        q = q.filter(audit_records::agent_agency_id.eq(a.into_uuid()));
    }
    if let Some(t) = f.entity_type {
        q = q.filter(audit_records::entity_type.eq(t.as_str()));
    }
    if let Some(e) = f.entity_id {
        q = q.filter(audit_records::entity_id.eq(e));
    }
    if let Some(c) = f.case {
        q = q.filter(audit_records::case_id.eq(c.into_uuid()));
    }
    if let Some(a) = f.action {
        q = q.filter(audit_records::action.eq(a.as_str()));
    }
    if let Some(o) = f.outcome {
        q = q.filter(audit_records::outcome.eq(o.as_str()));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_records::recorded_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit_records::recorded_at.lt(to));
    }
    if f.accesses_only {
        q = q.filter(audit_records::action.eq(AuditAction::Read.as_str()).or(audit_records::outcome.eq(AuditOutcome::Denied.as_str())));
    }
    if let Some(a) = after {
        q = q.filter(audit_records::id.lt(a.into_uuid()));
    }
    let rows: Vec<AuditRow> = q.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let items = rows.into_iter().map(AuditRecord::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |r| r.id))
}

/// Before, after, and when they were redacted.
type DetailsColumns = (Option<serde_json::Value>, Option<serde_json::Value>, Option<DateTime<Utc>>);

/// The changes to a case that kept their values, oldest first: (record, details).
pub async fn history(db: &Db, case: CaseId) -> Result<Vec<(AuditRecord, Details, Option<DateTime<Utc>>)>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(AuditRow, DetailsColumns)> = audit_records::table
        .inner_join(audit_details::table.on(audit_details::audit_id.eq(audit_records::id)))
        .filter(audit_details::case_id.eq(case.into_uuid()))
        .order(audit_records::id.asc())
        .select((AuditRow::as_select(), (audit_details::before, audit_details::after, audit_details::redacted_at)))
        .load(&mut conn)
        .await?;
    rows.into_iter().map(|(r, (before, after, redacted))| Ok((AuditRecord::try_from(r)?, Details { before, after }, redacted))).collect()
}
