//! `/api/v1/agencies/{id}/webhooks`: where an agency's own case system hears about changes
//! (administrators). Deliveries are signed per Standard Webhooks with the endpoint's secret,
//! shown once, when the endpoint is registered.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use fourthp_domain::notify::Topic;
use fourthp_persistence::webhooks::{DeliveryLog, Endpoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app;
use crate::app::webhooks::EndpointFields;
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::paths::{AgencyPath, DeliveryPath, WebhookPath};
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::state::AppState;

/// An endpoint to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// `https://…` (or `http://` on 127.0.0.1 or localhost), without a password or fragment.
    #[schema(example = "https://casework.northshire-housing.example/hooks/fourthp")]
    pub url: String,
    /// The event types it wants; absent or empty: all of them.
    #[serde(default)]
    pub events: Vec<String>,
}

/// Turning an endpoint off or on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchWebhookRequest {
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: uuid::Uuid,
    pub agency_id: uuid::Uuid,
    pub url: String,
    pub events: Vec<Topic>,
    pub active: bool,
    /// Why it is off, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl WebhookResponse {
    fn new(e: &Endpoint) -> Self {
        WebhookResponse {
            id: e.id.into_uuid(),
            agency_id: e.agency.into_uuid(),
            url: e.url.as_str().to_owned(),
            events: e.events.clone(),
            active: e.active,
            disabled_reason: e.disabled_reason.clone(),
            created_at: e.created_at,
        }
    }
}

/// A new endpoint, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookResponse {
    #[serde(flatten)]
    pub endpoint: WebhookResponse,
    /// `whsec_…`: verify each delivery's `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookListResponse {
    pub items: Vec<WebhookResponse>,
}

/// One delivery of the endpoint's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    /// The `webhook-id` it is sent with, the same on every attempt.
    pub id: uuid::Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    /// `pending`, `sent` or `failed` (given up after 3 days).
    pub status: String,
    pub attempts: i32,
    /// The receiver's last HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// When it is tried next, while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl DeliveryResponse {
    fn new(d: &DeliveryLog) -> Self {
        DeliveryResponse {
            id: d.id.into_uuid(),
            event_type: d.topic.clone(),
            status: d.status.clone(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            latency_ms: d.latency_ms,
            created_at: d.created_at,
            sent_at: d.sent_at,
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookLogResponse {
    pub endpoint: WebhookResponse,
    /// The latest 100 deliveries, newest first.
    pub deliveries: Vec<DeliveryResponse>,
}

/// Register a webhook endpoint for an agency (administrators). The response holds its secret,
/// shown only now.
#[utoipa::path(
    tag = "webhooks",
    params(AgencyPath),
    request_body = CreateWebhookRequest,
    responses((status = 201, description = "Registered", body = CreatedWebhookResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/agencies/{id}/webhooks")]
pub async fn create_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: AgencyPath,
    body: ApiJson<CreateWebhookRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let fields = EndpointFields { url: b.url, events: b.events };
    let (endpoint, secret) = app::webhooks::register(&caller, &state, path.id, &fields).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/agencies/{}/webhooks/{}", path.id, endpoint.id)))
        .json(CreatedWebhookResponse { endpoint: WebhookResponse::new(&endpoint), secret }))
}

/// An agency's webhook endpoints (administrators).
#[utoipa::path(
    tag = "webhooks",
    params(AgencyPath),
    responses((status = 200, description = "The endpoints", body = WebhookListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/agencies/{id}/webhooks")]
pub async fn list_webhooks(caller: Caller, state: web::Data<AppState>, path: AgencyPath) -> Result<HttpResponse, Problem> {
    let all = app::webhooks::of_agency(&caller, &state, path.id).await?;
    Ok(HttpResponse::Ok().json(WebhookListResponse { items: all.iter().map(WebhookResponse::new).collect() }))
}

/// One endpoint with its delivery log: status, latency and attempts of each (administrators).
#[utoipa::path(
    tag = "webhooks",
    params(WebhookPath),
    responses((status = 200, description = "The endpoint and its deliveries", body = WebhookLogResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/agencies/{id}/webhooks/{endpoint_id}")]
pub async fn get_webhook(caller: Caller, state: web::Data<AppState>, path: WebhookPath) -> Result<HttpResponse, Problem> {
    let (endpoint, log) = app::webhooks::log(&caller, &state, path.agency, path.endpoint).await?;
    Ok(HttpResponse::Ok().json(WebhookLogResponse {
        endpoint: WebhookResponse::new(&endpoint),
        deliveries: log.iter().map(DeliveryResponse::new).collect(),
    }))
}

/// Turn an endpoint off or on (administrators). On again, it is sent what comes next.
#[utoipa::path(
    tag = "webhooks",
    params(WebhookPath),
    request_body = PatchWebhookRequest,
    responses((status = 200, description = "The endpoint", body = WebhookResponse), CreateProblems),
    security(("bearer" = []))
)]
#[patch("/agencies/{id}/webhooks/{endpoint_id}")]
pub async fn patch_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: WebhookPath,
    body: ApiJson<PatchWebhookRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let endpoint = app::webhooks::set_active(&caller, &state, path.agency, path.endpoint, b.active).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::new(&endpoint)))
}

/// Send one delivery again, now, with its own `webhook-id` (administrators).
#[utoipa::path(
    tag = "webhooks",
    params(DeliveryPath),
    responses((status = 202, description = "Queued to be sent again"), CreateProblems),
    security(("bearer" = []))
)]
#[post("/agencies/{id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")]
pub async fn replay_delivery(caller: Caller, state: web::Data<AppState>, path: DeliveryPath) -> Result<HttpResponse, Problem> {
    app::webhooks::replay(&caller, &state, path.agency, path.endpoint, path.delivery).await?;
    Ok(HttpResponse::Accepted().finish())
}
