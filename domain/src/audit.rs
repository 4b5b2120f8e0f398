//! The audit vocabulary (FHIR AuditEvent / IHE ATNA shape).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ids::CaseId;
use crate::principal::Principal;

vocabulary!(
    /// FHIR AuditEvent.action.
    AuditAction {
        Create => "C",
        Read => "R",
        Update => "U",
        Delete => "D",
        Execute => "E",
    }
);

vocabulary!(
    AuditOutcome {
        Success => "success",
        Denied => "denied",
        Failed => "failed",
    }
);

vocabulary!(
    /// What kind of record an audit entry is about.
    EntityType {
        Agency => "agency",
        Case => "case",
        CaseTeam => "case_team",
        CaseEvent => "case_event",
        Deadline => "deadline",
        Intervention => "intervention",
        Action => "action",
        Need => "need",
        Outcome => "outcome",
        Report => "report",
        /// The audit trail itself (its query and verification).
        AuditTrail => "audit_trail",
        /// A person's account (enrolment, sign-in, sign-out, reset, lock-out, changes).
        User => "user",
        /// A browser session.
        Session => "session",
        /// A partner system's API client.
        ApiClient => "api_client",
        /// A token FourthP issued.
        Token => "token",
        /// An agency's webhook endpoint.
        WebhookEndpoint => "webhook_endpoint",
        /// A "what happened?" ask-back.
        Ask => "ask",
        /// A person's calendar feed.
        CalendarFeed => "calendar_feed",
        /// A notification in the outbox (a replayed webhook delivery, a digest run).
        Notification => "notification",
        /// A challenge on the network's board.
        Challenge => "challenge",
        /// One of the network's meetings.
        Meeting => "meeting",
        /// A bundle of figures for the national forum (made, or imported by the forum).
        ForumBundle => "forum_bundle",
        /// A network registered with the national forum.
        ForumNetwork => "forum_network",
        /// A person's request for everything held about them, and its answer.
        SubjectAccessRequest => "subject_access_request",
        /// One import of a spreadsheet caseload.
        CaseImport => "case_import",
    }
);

vocabulary!(
    /// Why data was used (a subset of the HL7 PurposeOfUse codes, by meaning).
    Purpose {
        Treatment => "care_coordination",
        Oversight => "audit",
        Retention => "retention",
        Erasure => "erasure",
        /// Reports for the commissioning and oversight of the service.
        Commissioning => "commissioning",
        /// A case shown in the list of cases.
        CaseList => "case_list",
        /// A case whose actions were shown in a list of actions.
        ActionList => "action_list",
        /// A case whose deadlines were shown in the coordinators' queue.
        DeadlineQueue => "deadline_queue",
        /// A case's record put together for the person it is about (UK GDPR art. 15).
        SubjectAccess => "subject_access",
        /// Cases written out, pseudonymised, in the Human Trafficking Case Data Standard.
        DataSharing => "htcds_export",
    }
);

/// Who is acting, for which request, from where and when: stamped on every audit record.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub principal: Principal,
    pub request_id: String,
    pub client_address: Option<String>,
    pub at: DateTime<Utc>,
}

/// One audit entry, apart from its context. Holds ids and field names only, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub action: AuditAction,
    pub outcome: AuditOutcome,
    pub entity_type: EntityType,
    pub entity_id: Option<Uuid>,
    pub case_id: Option<CaseId>,
    pub changed_fields: Vec<&'static str>,
    pub purpose: Option<Purpose>,
}

impl AuditEntry {
    /// A successful change to one entity.
    pub fn change(
        action: AuditAction,
        entity_type: EntityType,
        entity_id: Uuid,
        case_id: Option<CaseId>,
        changed_fields: Vec<&'static str>,
    ) -> Self {
        Self { action, outcome: AuditOutcome::Success, entity_type, entity_id: Some(entity_id), case_id, changed_fields, purpose: None }
    }

    /// A case shown in a list: one read per case, the list operation as its purpose.
    pub fn listed(case_id: CaseId, purpose: Purpose) -> Self {
        Self { purpose: Some(purpose), ..Self::read(EntityType::Case, case_id, AuditOutcome::Success) }
    }

    /// A read of a case's data (outcome success) or a refused attempt (denied).
    pub fn read(entity_type: EntityType, case_id: CaseId, outcome: AuditOutcome) -> Self {
        Self {
            action: AuditAction::Read,
            outcome,
            entity_type,
            entity_id: Some(*case_id.as_uuid()),
            case_id: Some(case_id),
            changed_fields: Vec::new(),
            purpose: Some(Purpose::Treatment),
        }
    }
}
