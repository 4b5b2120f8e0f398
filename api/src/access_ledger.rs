//! What a request did with case data, written to the audit trail in one place once the response
//! is known (by the outer middleware), so that no handler can forget it:
//!
//! - a 2xx response: every read the handler noted (a case shown, one read per case in a list);
//! - a 403 or 404 to an authenticated caller: exactly one record, `denied` for a refusal of the
//!   access policy (or a case that does not exist), `failed` for a child that is not there under
//!   a case the caller may see, with the operation (C/R/U/D by method) and the entity asked for,
//!   never the body; a child that is there but under another case (or hidden from the caller by
//!   the policy) is a refusal, `denied`, with the path's case and the object;
//! - anything else: nothing (no case data was shown, nothing was refused).
//!
//! Records go through the buffered read log ([`crate::audit_trail::ReadLog`]), outside the
//! request's transaction: a refused write rolls back, its record stays.

use std::sync::{Arc, Mutex};

use actix_web::http::{Method, StatusCode};
use actix_web::HttpRequest;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType, Purpose};
use fourthp_domain::ids::CaseId;

/// The ledger of one request.
#[derive(Debug, Default)]
pub struct AccessLedger {
    pub ctx: Option<AuditContext>,
    pub reads: Vec<AuditEntry>,
    /// The case the request concerned, once known.
    pub case: Option<CaseId>,
    /// The access policy let the caller see `case`.
    pub case_visible: bool,
    /// The handler audited its own refusal.
    pub refusal_recorded: bool,
    /// The object asked for exists but not for the caller under the path's case (a child of
    /// another case, or an action a partner may not see): a 404 is then a refusal, not a failed
    /// lookup.
    pub child_refused: bool,
    /// The record the use case works on, as it said (`Caller::concerns`); else the route's
    /// pattern is read for it.
    pub entity: Option<(EntityType, uuid::Uuid)>,
}

pub type SharedLedger = Arc<Mutex<AccessLedger>>;

/// The operation a method performs, for the record.
fn action_of(method: &Method) -> AuditAction {
    match *method {
        Method::POST => AuditAction::Create,
        Method::PUT | Method::PATCH => AuditAction::Update,
        Method::DELETE => AuditAction::Delete,
        _ => AuditAction::Read,
    }
}

/// The entity a route pattern names, by its last fixed segment: for a refusal where the use case
/// did not say what it worked on (`Caller::concerns`).
pub fn entity_of(pattern: &str) -> EntityType {
    if pattern.starts_with("/api/v1/reports") {
        return EntityType::Report;
    }
    if pattern.starts_with("/api/v1/audit") {
        return EntityType::AuditTrail;
    }
    let last = pattern.split('/').rev().find(|s| !s.is_empty() && !s.starts_with('{')).unwrap_or("");
    match last {
        "events" => EntityType::CaseEvent,
        "team" => EntityType::CaseTeam,
        "interventions" => EntityType::Intervention,
        "actions" => EntityType::Action,
        "needs" => EntityType::Need,
        "outcomes" => EntityType::Outcome,
        "deadlines" | "waive" => EntityType::Deadline,
        "agencies" => EntityType::Agency,
        _ => EntityType::Case,
    }
}

/// The records a response leaves in the trail, per the rules above.
pub fn records_for(req: &HttpRequest, status: StatusCode, ledger: &AccessLedger) -> Vec<AuditEntry> {
    if status.is_success() {
        return ledger.reads.clone();
    }
    if !(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND) || ledger.refusal_recorded {
        return Vec::new();
    }
    let Some(pattern) = req.match_pattern() else { return Vec::new() };
    let params = req.match_info();
    let under_case = pattern.starts_with("/api/v1/cases/{id}");
    let path_case = if under_case { params.get("id").and_then(|id| CaseId::parse(id).ok()) } else { None };
    let case = ledger.case.or(path_case);
    // The entity asked for: the last id in the path, else the case.
    let last_id = pattern
        .rsplit('/')
        .find_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .and_then(|name| params.get(name))
        .and_then(|v| uuid::Uuid::parse_str(v).ok());
    let outcome = if ledger.case_visible && !ledger.child_refused { AuditOutcome::Failed } else { AuditOutcome::Denied };
    let (entity_type, entity_id) = match ledger.entity {
        Some((kind, id)) => (kind, Some(id)),
        None => (entity_of(&pattern), last_id.or(case.map(|c| *c.as_uuid()))),
    };
    vec![AuditEntry {
        action: action_of(req.method()),
        outcome,
        entity_type,
        entity_id,
        case_id: case,
        changed_fields: Vec::new(),
        purpose: Some(Purpose::Treatment),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_by_route() {
        assert_eq!(entity_of("/api/v1/cases/{id}"), EntityType::Case);
        assert_eq!(entity_of("/api/v1/cases/{id}/status"), EntityType::Case);
        assert_eq!(entity_of("/api/v1/cases/{id}/team/{agency_id}"), EntityType::CaseTeam);
        assert_eq!(entity_of("/api/v1/cases/{id}/needs/{need_id}"), EntityType::Need);
        assert_eq!(entity_of("/api/v1/deadlines/{id}/waive"), EntityType::Deadline);
        assert_eq!(entity_of("/api/v1/reports/outcomes"), EntityType::Report);
        assert_eq!(entity_of("/api/v1/audit/verify"), EntityType::AuditTrail);
        assert_eq!(action_of(&Method::PATCH), AuditAction::Update);
    }
}
