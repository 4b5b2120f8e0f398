//! Typed identifiers. All are UUIDv7 (time-ordered, so the primary-key index also orders by age).

use std::fmt;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a UUID")]
pub struct InvalidId;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id for an instant given in milliseconds since the epoch.
            pub fn new_v7(unix_millis: u64) -> Self {
                let ts = uuid::Timestamp::from_unix(uuid::NoContext, unix_millis / 1000, ((unix_millis % 1000) * 1_000_000) as u32);
                Self(Uuid::new_v7(ts))
            }

            /// A new time-ordered id for the instant `at` (a record's creation time).
            pub fn new_at(at: chrono::DateTime<chrono::Utc>) -> Self {
                Self::new_v7(u64::try_from(at.timestamp_millis()).unwrap_or(0))
            }

            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            pub const fn into_uuid(self) -> Uuid {
                self.0
            }

            /// Parses the canonical hyphenated form (what the API emits); other spellings are refused.
            pub fn parse(text: &str) -> Result<Self, InvalidId> {
                if text.len() != 36 {
                    return Err(InvalidId);
                }
                Uuid::try_parse(text).map(Self).map_err(|_| InvalidId)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

typed_id!(
    /// A network member agency.
    AgencyId
);
typed_id!(
    /// A victim-care case.
    CaseId
);
typed_id!(
    /// One audit record.
    AuditId
);
typed_id!(
    /// One event on a case's timeline.
    EventId
);
typed_id!(
    /// One materialised deadline.
    DeadlineId
);
typed_id!(
    /// One intervention.
    InterventionId
);
typed_id!(
    /// One follow-up action.
    ActionId
);
typed_id!(
    /// One support need.
    NeedId
);
typed_id!(
    /// One recorded outcome.
    OutcomeId
);
typed_id!(
    /// A person's account.
    UserId
);
typed_id!(
    /// A partner system's API client.
    ApiClientId
);
typed_id!(
    /// An agency's webhook endpoint.
    WebhookEndpointId
);
typed_id!(
    /// One message in the outbox: the stable id a receiver drops a repeat by.
    MessageId
);
typed_id!(
    /// A "what happened?" ask-back.
    AskId
);
typed_id!(
    /// A challenge raised on the network's board.
    ChallengeId
);
typed_id!(
    /// One of the network's meetings.
    MeetingId
);
typed_id!(
    /// A network whose bundles the national forum accepts.
    ForumNetworkId
);
typed_id!(
    /// A bundle the national forum imported.
    ForumBundleId
);
typed_id!(
    /// A person's request for everything held about them (UK GDPR art. 15).
    SubjectAccessRequestId
);
typed_id!(
    /// One import of a partnership's spreadsheet caseload.
    CaseImportId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_canonical_uuids() {
        let id = CaseId::new_v7(1_700_000_000_123);
        assert_eq!(CaseId::parse(&id.to_string()), Ok(id));
        assert_eq!(id.as_uuid().get_version_num(), 7);
        assert!(CaseId::parse("not-a-uuid").is_err());
        assert!(CaseId::parse("").is_err());
        assert!(CaseId::parse(&id.as_uuid().simple().to_string()).is_err());
    }

    #[test]
    fn v7_ids_sort_by_time() {
        let a = AgencyId::new_v7(1_700_000_000_000);
        let b = AgencyId::new_v7(1_700_000_001_000);
        assert!(a < b);
    }
}
