//! The OpenAPI 3.1 document, generated from the registered handlers (so it cannot drift).

use actix_web::dev::{ServiceFactory, ServiceRequest};
use actix_web::App;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{scope, AppExt, UtoipaApp};

use crate::problem::{FieldProblem, ProblemBody};
use crate::routes::{
    actions, agencies, api_clients, audit, cases, challenges, deadlines, enrolment, events, exports, forum, imports, interventions,
    meetings, needs, notifications, oauth, ops, outcomes, reports, sessions, subject_access, team, timeline, tokens, users, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "FourthP",
        description = "Case coordination for regional anti-slavery partnerships: cases, the agencies around them, \
                       and an audit trail of every change. Every error is an RFC 9457 problem document \
                       (`application/problem+json`). Lists are paginated with `limit` (1–200, default 50) and the \
                       opaque `next_cursor`. Updates need `If-Match` with the ETag read.",
        license(name = "AGPL-3.0-only")
    ),
    servers((url = "/", description = "This server")),
    components(schemas(ProblemBody, FieldProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "agencies", description = "The network's member agencies"),
        (name = "cases", description = "Victim-care cases and their teams"),
        (name = "lifecycle", description = "NRM events, derived stages and deadlines, the coordinators' queue"),
        (name = "daily log", description = "Interventions, follow-up actions, needs, outcomes and the case timeline"),
        (name = "reports", description = "Outcome reports for commissioners, with disclosure control"),
        (name = "audit", description = "The tamper-evident audit trail, who read a record, and its change history"),
        (name = "accounts", description = "People's accounts (administrators) and enrolment: a password and a second factor set by the person through a single-use link"),
        (name = "network", description = "The network's own work: the challenge board, the actions given out on it, and the meetings with their agendas and minutes"),
        (name = "forum", description = "The national network coordinators' forum: a network's signed bundle of protected figures and national challenges, and, at the forum's deployment, the networks registered, their bundles imported and compared side by side"),
        (name = "data protection", description = "A person's right to a copy of everything held about them (UK GDPR art. 15): requests, their one-month deadline and the copy; the anonymised dataset in the Human Trafficking Case Data Standard; and a spreadsheet caseload moving in"),
        (name = "webhooks", description = "Signed webhooks (Standard Webhooks) to agencies' own systems, their delivery logs and replays"),
        (name = "notifications", description = "A person's daily email and calendar feed"),
        (name = "operations", description = "Health and readiness")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A JWT with iss, aud, sub, exp, iat, role and (for coordinators and partners) agency_id"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "A registered API client's client_id and client_secret (RFC 6749 §2.3.1), at the token endpoint only",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new("/oauth/token", Scopes::new()))],
                "Partner systems: OAuth 2.0 client credentials. POST /oauth/token with HTTP Basic gives a bearer JWT \
                 of at most 15 minutes; send it as the bearer token.",
            )),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-fourthp_session",
                "The session cookie set by POST /api/v1/auth/sessions. With it, every request that changes anything \
                 must also send the session's csrf_token in X-CSRF-Token and a same-origin Origin.",
            ))),
        );
    }
}

/// Registers every documented route on `app`.
pub fn register<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.service(
        scope::scope("/api/v1")
            .service(agencies::create_agency)
            .service(agencies::list_agencies)
            .service(agencies::get_agency)
            .service(agencies::patch_agency)
            .service(cases::create_case)
            .service(cases::list_cases)
            .service(cases::get_case)
            .service(cases::patch_case)
            .service(team::put_team_member)
            .service(team::delete_team_member)
            .service(events::create_event)
            .service(events::list_events)
            .service(deadlines::case_status)
            .service(deadlines::case_deadlines)
            .service(deadlines::queue)
            .service(deadlines::waive)
            .service(deadlines::get_case_deadline)
            .service(events::get_event)
            .service(interventions::create_intervention)
            .service(interventions::list_interventions)
            .service(interventions::get_intervention)
            .service(actions::create_action)
            .service(actions::case_actions)
            .service(actions::list_actions)
            .service(actions::get_action)
            .service(actions::patch_action)
            .service(needs::create_need)
            .service(needs::case_needs)
            .service(needs::get_need)
            .service(needs::get_case_need)
            .service(needs::patch_need)
            .service(outcomes::create_outcome)
            .service(outcomes::case_outcomes)
            .service(outcomes::get_outcome)
            .service(reports::outcome_report)
            .service(timeline::timeline)
            .service(audit::list_audit)
            .service(audit::verify)
            .service(audit::access_log)
            .service(audit::history)
            .service(users::create_user)
            .service(users::list_users)
            .service(users::get_user)
            .service(users::patch_user)
            .service(users::reset_user)
            .service(enrolment::enrol)
            .service(sessions::sign_in)
            .service(sessions::list_sessions)
            .service(sessions::end_session)
            .service(tokens::revoke)
            .service(api_clients::create_api_client)
            .service(api_clients::list_api_clients)
            .service(api_clients::get_api_client)
            .service(api_clients::revoke_api_client)
            .service(webhooks::create_webhook)
            .service(webhooks::list_webhooks)
            .service(webhooks::get_webhook)
            .service(webhooks::patch_webhook)
            .service(webhooks::replay_delivery)
            .service(challenges::raise_challenge)
            .service(challenges::list_challenges)
            .service(challenges::get_challenge)
            .service(challenges::decide_challenge)
            .service(challenges::add_challenge_action)
            .service(challenges::get_challenge_action)
            .service(meetings::schedule_meeting)
            .service(meetings::list_meetings)
            .service(meetings::get_meeting)
            .service(meetings::meeting_invitation)
            .service(meetings::add_meeting_note)
            .service(meetings::meeting_minutes)
            .service(notifications::get_notifications)
            .service(notifications::put_notifications)
            .service(notifications::create_calendar_feed)
            .service(notifications::revoke_calendar_feed)
            .service(forum::forum_bundle)
            .service(forum::register_network)
            .service(forum::list_networks)
            .service(forum::import_bundle)
            .service(forum::comparison)
            .service(subject_access::record_request)
            .service(subject_access::list_requests)
            .service(subject_access::answer_request)
            .service(subject_access::open_requests)
            .service(subject_access::subject_access_copy)
            .service(exports::htcds_export)
            .service(imports::start_import)
            .service(imports::add_import_file)
            .service(imports::get_import)
            .service(imports::dry_run_import)
            .service(imports::load_import)
            .service(agencies::put_identity_provider)
            .service(agencies::get_identity_provider),
    )
    .service(forum::signing_key)
    .service(oauth::token)
    .service(ops::healthz)
    .service(ops::readyz)
    .service(ops::metrics)
}

/// The document as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = register(App::new().into_utoipa_app().openapi(ApiDoc::openapi())).split_for_parts();
    session_alternative(&mut doc);
    doc
}

/// The document as pretty-printed JSON with a trailing newline.
pub fn document_json() -> String {
    let mut text = document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// Every operation that takes a bearer token takes a client-credentials token (a bearer token
/// from `/oauth/token`) or the session cookie instead.
fn session_alternative(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            let takes_bearer = op.security.as_ref().is_some_and(|s| {
                serde_json::to_value(s).is_ok_and(|v| v.as_array().is_some_and(|a| a.iter().any(|r| r.get("bearer").is_some())))
            });
            if takes_bearer {
                if let Some(security) = op.security.as_mut() {
                    security.push(SecurityRequirement::new("oauth2", Vec::<String>::new()));
                    security.push(SecurityRequirement::new("session", Vec::<String>::new()));
                }
            }
        }
    }
}
