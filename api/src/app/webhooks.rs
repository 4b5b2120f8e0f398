//! Agencies' webhook endpoints (administrators): registering one with the events it wants (its
//! secret shown once), turning it off and on, its delivery log, and replaying one delivery.
//! When deliveries fail for 3 days the endpoint is turned off and the administrators are told.

use chrono::{DateTime, Utc};
use fourthp_domain::access::{agency_access, AgencyAction};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, MessageId, WebhookEndpointId};
use fourthp_domain::notify::{Topic, WebhookUrl};
use fourthp_persistence::outbox::{self, Email};
use fourthp_persistence::webhooks::{self, DeliveryLog, Endpoint, EndpointError};
use fourthp_persistence::{Db, StoreError};

use super::AppError;
use crate::auth::Caller;
use crate::notify::Notifier;
use crate::state::AppState;

impl From<EndpointError> for AppError {
    fn from(e: EndpointError) -> Self {
        match e {
            EndpointError::NotFound => AppError::NotFound,
            EndpointError::Store(s) => AppError::Store(s),
        }
    }
}

/// A new endpoint, as the adapter read it.
#[derive(Debug, Clone, Default)]
pub struct EndpointFields {
    pub url: String,
    /// Event type names (`action.created`, …); empty: all of them.
    pub events: Vec<String>,
}

fn parse(fields: &EndpointFields) -> Result<(WebhookUrl, Vec<Topic>), FieldErrors> {
    let mut errs = FieldErrors::new();
    let url = errs.check("url", WebhookUrl::parse(&fields.url));
    let mut events = Vec::new();
    for e in &fields.events {
        match Topic::parse(e).filter(|t| *t != Topic::Digest) {
            Some(t) if !events.contains(&t) => events.push(t),
            Some(_) => {}
            None => errs.push("events", "names an event that is not sent to webhooks"),
        }
    }
    if fields.events.is_empty() {
        events = Topic::for_webhooks().collect();
    }
    errs.into_result()?;
    Ok((url.ok_or_else(FieldErrors::new)?, events))
}

/// Registers an endpoint for `agency`; returns it with its secret, which is shown only now.
pub async fn register(
    caller: &Caller,
    state: &AppState,
    agency: AgencyId,
    fields: &EndpointFields,
) -> Result<(Endpoint, String), AppError> {
    agency_access(caller.principal().role, AgencyAction::Update)?;
    let (url, events) = parse(fields)?;
    let secret = crate::notify::webhook::new_secret().map_err(StoreError::internal)?;
    let endpoint = webhooks::create(&state.db, &caller.ctx, agency, &url, &events, &secret).await?;
    Ok((endpoint, secret))
}

/// An agency's endpoints.
pub async fn of_agency(caller: &Caller, state: &AppState, agency: AgencyId) -> Result<Vec<Endpoint>, AppError> {
    agency_access(caller.principal().role, AgencyAction::Update)?;
    Ok(webhooks::of_agency(&state.db, agency).await?)
}

/// One endpoint of `agency`, with its latest deliveries (newest first).
pub async fn log(
    caller: &Caller,
    state: &AppState,
    agency: AgencyId,
    id: WebhookEndpointId,
) -> Result<(Endpoint, Vec<DeliveryLog>), AppError> {
    agency_access(caller.principal().role, AgencyAction::Update)?;
    let endpoint = webhooks::get(&state.db, id).await?.filter(|e| e.agency == agency).ok_or(AppError::NotFound)?;
    let log = webhooks::deliveries(&state.db, id, 100).await?;
    Ok((endpoint, log))
}

/// Turns an endpoint of `agency` off or on.
pub async fn set_active(
    caller: &Caller,
    state: &AppState,
    agency: AgencyId,
    id: WebhookEndpointId,
    active: bool,
) -> Result<Endpoint, AppError> {
    agency_access(caller.principal().role, AgencyAction::Update)?;
    webhooks::get(&state.db, id).await?.filter(|e| e.agency == agency).ok_or(AppError::NotFound)?;
    Ok(webhooks::set_active(&state.db, &caller.ctx, id, active).await?)
}

/// Sends one delivery of the endpoint again, now, with its own id.
pub async fn replay(
    caller: &Caller,
    state: &AppState,
    agency: AgencyId,
    id: WebhookEndpointId,
    message: MessageId,
) -> Result<(), AppError> {
    agency_access(caller.principal().role, AgencyAction::Update)?;
    let endpoint = webhooks::get(&state.db, id).await?.filter(|e| e.agency == agency).ok_or(AppError::NotFound)?;
    if !endpoint.active {
        return Err(AppError::conflict("endpoint-disabled", "The endpoint is turned off: turn it on before sending again."));
    }
    Ok(webhooks::replay(&state.db, &caller.ctx, id, message).await?)
}

/// Emails every active administrator that an endpoint was turned off after 3 days of failures.
pub async fn tell_administrators_disabled(
    db: &Db,
    notifier: &Notifier,
    endpoint: WebhookEndpointId,
    agency: AgencyId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if notifier.mail.is_none() {
        return Ok(());
    }
    let name = fourthp_persistence::agencies::get(db, agency).await?.map(|a| a.name.to_string()).unwrap_or_default();
    let admins = fourthp_persistence::digest::administrators(db).await?;
    let link = format!("{}/app/admin/agencies/{agency}/webhooks/{endpoint}", notifier.public_url);
    let text = format!(
        "FourthP turned off a webhook endpoint of {name}: its deliveries failed for 3 days.\n\n\
         See its delivery log, and turn it on again when the receiver works: {link}\n"
    );
    let html = format!(
        "<p>FourthP turned off a webhook endpoint of {}: its deliveries failed for 3 days.</p>\
         <p><a href=\"{link}\">See its delivery log</a>, and turn it on again when the receiver works.</p>",
        crate::report_render::escape(&name)
    );
    let mut conn = db.conn().await?;
    for address in admins {
        let email = Email {
            recipient: address,
            subject: "A webhook endpoint was turned off".to_owned(),
            text: text.clone(),
            html: html.clone(),
            unsubscribe: None,
        };
        outbox::queue_email(&mut conn, now, Topic::Digest, Some(agency), &email, None).await?;
    }
    Ok(())
}
