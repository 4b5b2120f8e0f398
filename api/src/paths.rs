//! Typed path extractors: each names its segments, parses them into domain ids and documents
//! itself for the OpenAPI document (`params(CasePath)`), so a handler never sees a raw segment.
//!
//! The order every handler answers in: authentication (401), then the request's shape — path,
//! query string and body, each by its extractor (400, 415, 422) — then the caller's role (403),
//! then what the path names (404). A malformed request is told so before it is judged.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use fourthp_domain::ids::{
    ActionId, AgencyId, ApiClientId, AuditId, CaseId, CaseImportId, ChallengeId, DeadlineId, EventId, InterventionId, MeetingId, MessageId,
    NeedId, OutcomeId, SubjectAccessRequestId, UserId, WebhookEndpointId,
};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::Required;

use crate::problem::Problem;

/// An id a request may name (in its path or query string).
pub trait Id: Sized {
    fn parse_id(raw: &str) -> Option<Self>;
}

macro_rules! ids {
    ($($ty:ty),+) => {
        $(impl Id for $ty {
            fn parse_id(raw: &str) -> Option<Self> {
                <$ty>::parse(raw).ok()
            }
        })+
    };
}

ids!(
    ActionId,
    AgencyId,
    ApiClientId,
    CaseId,
    ChallengeId,
    MeetingId,
    DeadlineId,
    EventId,
    InterventionId,
    NeedId,
    OutcomeId,
    AuditId,
    UserId,
    WebhookEndpointId,
    MessageId,
    SubjectAccessRequestId,
    CaseImportId
);

impl Id for uuid::Uuid {
    fn parse_id(raw: &str) -> Option<Self> {
        (raw.len() == 36).then(|| uuid::Uuid::try_parse(raw).ok()).flatten()
    }
}

/// The `name` segment of the matched route, as an id.
fn segment<T: Id>(req: &HttpRequest, name: &str) -> Result<T, Problem> {
    let raw = req.match_info().get(name).ok_or_else(Problem::internal)?;
    T::parse_id(raw).ok_or_else(|| Problem::bad_request(name, "must be a UUID"))
}

/// The documentation of a UUID path segment.
fn uuid_param(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .description(Some(description))
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))))
        .build()
}

macro_rules! typed_path {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty = $segment:literal, $description:literal);+ $(;)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name {
            $(pub $field: $ty),+
        }

        impl FromRequest for $name {
            type Error = Problem;
            type Future = Ready<Result<Self, Problem>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready((|| Ok($name { $($field: segment::<$ty>(req, $segment)?),+ }))())
            }
        }

        impl utoipa::IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                vec![$(uuid_param($segment, $description)),+]
            }
        }
    };
}

typed_path!(
    /// `/cases/{id}...`
    CasePath { id: CaseId = "id", "Case id" }
);
typed_path!(
    /// `/agencies/{id}`
    AgencyPath { id: AgencyId = "id", "Agency id" }
);
typed_path!(
    /// `/needs/{id}`
    NeedPath { id: NeedId = "id", "Need id" }
);
typed_path!(
    /// `/actions/{id}`
    ActionPath { id: ActionId = "id", "Action id" }
);
typed_path!(
    /// `/deadlines/{id}`
    DeadlinePath { id: DeadlineId = "id", "Deadline id" }
);
typed_path!(
    /// `/users/{id}`
    UserPath { id: UserId = "id", "User id" }
);
typed_path!(
    /// `/api-clients/{id}`
    ApiClientPath { id: ApiClientId = "id", "API client id (its client_id)" }
);
typed_path!(
    /// `/cases/{id}/team/{agency_id}`
    CaseAgencyPath { case: CaseId = "id", "Case id"; agency: AgencyId = "agency_id", "Agency id" }
);
typed_path!(
    /// `/cases/{id}/events/{event_id}`
    CaseEventPath { case: CaseId = "id", "Case id"; event: EventId = "event_id", "Event id" }
);
typed_path!(
    /// `/cases/{id}/needs/{need_id}`
    CaseNeedPath { case: CaseId = "id", "Case id"; need: NeedId = "need_id", "Need id" }
);
typed_path!(
    /// `/cases/{id}/actions/{action_id}`
    CaseActionPath { case: CaseId = "id", "Case id"; action: ActionId = "action_id", "Action id" }
);
typed_path!(
    /// `/cases/{id}/deadlines/{deadline_id}`
    CaseDeadlinePath { case: CaseId = "id", "Case id"; deadline: DeadlineId = "deadline_id", "Deadline id" }
);
typed_path!(
    /// `/cases/{id}/interventions/{intervention_id}`
    CaseInterventionPath { case: CaseId = "id", "Case id"; intervention: InterventionId = "intervention_id", "Intervention id" }
);
typed_path!(
    /// `/imports/{id}`
    ImportPath { id: CaseImportId = "id", "Import id" }
);
typed_path!(
    /// `/cases/{id}/subject-access-requests/{request_id}`
    CaseSubjectAccessPath { case: CaseId = "id", "Case id"; request: SubjectAccessRequestId = "request_id", "Subject access request id" }
);
typed_path!(
    /// `/cases/{id}/outcomes/{outcome_id}`
    CaseOutcomePath { case: CaseId = "id", "Case id"; outcome: OutcomeId = "outcome_id", "Outcome id" }
);
typed_path!(
    /// `/challenges/{id}`
    ChallengePath { id: ChallengeId = "id", "Challenge id" }
);
typed_path!(
    /// `/meetings/{id}`
    MeetingPath { id: MeetingId = "id", "Meeting id" }
);
typed_path!(
    /// `/challenges/{id}/actions/{action_id}`
    ChallengeActionPath { challenge: ChallengeId = "id", "Challenge id"; action: ActionId = "action_id", "Action id" }
);
typed_path!(
    /// `/agencies/{id}/webhooks/{endpoint_id}`
    WebhookPath { agency: AgencyId = "id", "Agency id"; endpoint: WebhookEndpointId = "endpoint_id", "Webhook endpoint id" }
);
typed_path!(
    /// `/agencies/{id}/webhooks/{endpoint_id}/deliveries/{delivery_id}`
    DeliveryPath {
        agency: AgencyId = "id", "Agency id";
        endpoint: WebhookEndpointId = "endpoint_id", "Webhook endpoint id";
        delivery: MessageId = "delivery_id", "Delivery id (the webhook-id header)"
    }
);
