//! The audit trail for auditors and data protection officers: queries, verification, the access
//! log of a case and its change history.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use fourthp_domain::audit::{AuditAction, AuditOutcome, EntityType};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, AuditId, CaseId};
use fourthp_persistence::audit::{AuditFilter, AuditRecord};
use fourthp_persistence::chain;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, decode_cursor, encode_cursor};
use crate::app;
use crate::audit_trail::hex;
use crate::auth::Caller;
use crate::paths::CasePath;
use crate::state::AppState;
use chrono::NaiveDate;
use fourthp_domain::paging::Limit;

use crate::problem::{Problem, ReadProblems};
use crate::query::{field, ApiQuery};

/// One audit record (FHIR AuditEvent shape). Holds no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordResponse {
    pub id: uuid::Uuid,
    pub recorded_at: DateTime<Utc>,
    /// C, R, U, D or E.
    pub action: AuditAction,
    pub outcome: AuditOutcome,
    pub agent_sub: String,
    pub agent_role: String,
    pub agent_agency_id: Option<uuid::Uuid>,
    pub entity_type: EntityType,
    pub entity_id: Option<uuid::Uuid>,
    pub case_id: Option<uuid::Uuid>,
    pub changed_fields: Vec<String>,
    pub purpose: Option<String>,
    pub request_id: String,
    pub client_address: Option<String>,
    /// The service instance that wrote it.
    pub source: Option<String>,
}

impl From<&AuditRecord> for AuditRecordResponse {
    fn from(r: &AuditRecord) -> Self {
        AuditRecordResponse {
            id: r.id.into_uuid(),
            recorded_at: r.recorded_at,
            action: r.action,
            outcome: r.outcome,
            agent_sub: r.agent_sub.clone(),
            agent_role: r.agent_role.clone(),
            agent_agency_id: r.agent_agency_id.map(AgencyId::into_uuid),
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            case_id: r.case_id.map(CaseId::into_uuid),
            changed_fields: r.changed_fields.clone(),
            purpose: r.purpose.clone(),
            request_id: r.request_id.clone(),
            client_address: r.client_address.clone(),
            source: r.source.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditListResponse {
    pub items: Vec<AuditRecordResponse>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub agent_sub: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    #[serde(default, deserialize_with = "field::id")]
    pub agency_id: Option<AgencyId>,
    #[param(value_type = Option<EntityType>)]
    pub entity_type: Option<EntityType>,
    #[param(value_type = Option<uuid::Uuid>)]
    #[serde(default, deserialize_with = "field::id")]
    pub entity_id: Option<uuid::Uuid>,
    #[param(value_type = Option<uuid::Uuid>)]
    #[serde(default, deserialize_with = "field::id")]
    pub case_id: Option<CaseId>,
    #[param(value_type = Option<AuditAction>)]
    pub action: Option<AuditAction>,
    #[param(value_type = Option<AuditOutcome>)]
    pub outcome: Option<AuditOutcome>,
    /// Recorded on or after this date (YYYY-MM-DD, UTC; from 2009-04-01 to 9999-12-31).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "field::date")]
    pub from: Option<NaiveDate>,
    /// Recorded before this date (YYYY-MM-DD, UTC; from 2009-04-01 to 9999-12-31).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "field::date")]
    pub to: Option<NaiveDate>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    pub cursor: Option<String>,
}

const CURSOR_KIND: &str = "audit";

/// The cursor of a page of the trail: the last record's id.
fn after_of(cursor: Option<&str>) -> Result<Option<AuditId>, Problem> {
    let mut errs = FieldErrors::new();
    let after = cursor.and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs)).and_then(|s| {
        let id = AuditId::parse(&s).ok();
        if id.is_none() {
            errs.push("cursor", "is not a cursor this list returned");
        }
        id
    });
    bad_query(errs)?;
    Ok(after)
}

fn list_response(page: fourthp_domain::paging::Page<AuditRecord, AuditId>) -> AuditListResponse {
    AuditListResponse {
        items: page.items.iter().map(AuditRecordResponse::from).collect(),
        next_cursor: page.next.map(|id| encode_cursor(CURSOR_KIND, &id.to_string())),
    }
}

/// The audit trail, newest first, with filters (auditors).
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of audit records", body = AuditListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn list_audit(caller: Caller, state: web::Data<AppState>, query: ApiQuery<AuditQuery>) -> Result<HttpResponse, Problem> {
    app::audit::auditors_only(&caller)?;
    let q = query.into_inner();
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let filter = AuditFilter {
        agent_sub: q.agent_sub,
        agency: q.agency_id,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        case: q.case_id,
        action: q.action,
        outcome: q.outcome,
        from: q.from.and_then(midnight),
        to: q.to.and_then(midnight),
        accesses_only: false,
    };
    let after = after_of(q.cursor.as_deref())?;
    let page = app::audit::trail(&caller, &state, filter, q.limit.unwrap_or_default(), after).await?;
    Ok(HttpResponse::Ok().json(list_response(page)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    pub cursor: Option<String>,
}

/// Who looked at this person's record, and who tried and was refused, newest first (auditors
/// and coordinators).
#[utoipa::path(
    tag = "audit",
    params(CasePath, PageQuery),
    responses((status = 200, description = "A page of reads and refused attempts", body = AuditListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/access-log")]
pub async fn access_log(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let after = after_of(query.0.cursor.as_deref())?;
    let page = app::audit::access_log(&caller, &state, path.id, query.0.limit.unwrap_or_default(), after).await?;
    Ok(HttpResponse::Ok().json(list_response(page)))
}

/// One field's change.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub from: Option<serde_json::Value>,
    pub to: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub audit_id: uuid::Uuid,
    pub recorded_at: DateTime<Utc>,
    pub action: AuditAction,
    pub agent_sub: String,
    pub agent_role: String,
    /// Empty once the values have been redacted (retention or erasure).
    pub changes: Vec<FieldChange>,
    pub redacted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    pub items: Vec<HistoryEntry>,
}

/// The case's field-level change history, oldest first: from, to, who and when (coordinators).
#[utoipa::path(
    tag = "audit",
    params(CasePath),
    responses((status = 200, description = "The change history", body = HistoryResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/history")]
pub async fn history(caller: Caller, state: web::Data<AppState>, path: CasePath) -> Result<HttpResponse, Problem> {
    let items = app::audit::history(&caller, &state, path.id)
        .await?
        .into_iter()
        .map(|(r, d, redacted_at)| {
            let empty = serde_json::Map::new();
            let after = d.after.as_ref().and_then(|a| a.as_object()).unwrap_or(&empty);
            let before = d.before.as_ref().and_then(|b| b.as_object());
            let changes = after
                .iter()
                .map(|(field, to)| FieldChange {
                    field: field.clone(),
                    from: before.and_then(|b| b.get(field)).cloned(),
                    to: Some(to.clone()),
                })
                .collect();
            HistoryEntry {
                audit_id: r.id.into_uuid(),
                recorded_at: r.recorded_at,
                action: r.action,
                agent_sub: r.agent_sub,
                agent_role: r.agent_role,
                changes,
                redacted_at,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(HistoryResponse { items }))
}

/// The outcome of verifying the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    /// Records verified, from the first.
    pub records: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// Records written but not yet chained.
    pub pending: i64,
    /// Records neither chained nor pending (a sign of tampering).
    pub orphans: i64,
    /// The first broken record, exactly.
    pub first_break: Option<BreakResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakResponse {
    pub seq: i64,
    pub problem: String,
}

impl From<chain::VerifyReport> for VerifyResponse {
    fn from(r: chain::VerifyReport) -> Self {
        VerifyResponse {
            valid: r.is_valid(),
            records: r.records,
            head_seq: r.head_seq,
            head_hash: hex(&r.head_hash),
            pending: r.pending,
            orphans: r.orphans,
            first_break: r.first_break.map(|b| BreakResponse { seq: b.seq, problem: b.problem }),
        }
    }
}

/// Verify the whole audit chain, after chaining what is pending (auditors).
#[utoipa::path(
    tag = "audit",
    responses((status = 200, description = "The verification report (`valid` false names the first broken record)", body = VerifyResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/audit/verify")]
pub async fn verify(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(VerifyResponse::from(app::audit::verify(&caller, &state).await?)))
}
