//! An agency's page for administrators: the mailbox its daily email goes to, its webhook
//! endpoints, and each endpoint's delivery log with "send again".

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use fourthp_domain::agency::{AgencyPatch, ContactEmail};
use fourthp_domain::ids::{AgencyId, MessageId, WebhookEndpointId};
use fourthp_domain::notify::{DigestFrequency, Topic};
use fourthp_domain::words::Words;
use serde::Deserialize;

use super::form::form_errors;
use super::view::{london_time, Choice};
use super::{error_for, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::app::webhooks::EndpointFields;
use crate::app::{self, AppError};
use crate::problem::Problem;
use crate::state::AppState;

pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "agency.html")]
struct AgencyPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    id: String,
    version: i32,
    name: String,
    mailbox: String,
    digest_state: String,
    mail_configured: bool,
    endpoints: Vec<EndpointRow>,
    new_secret: Option<String>,
    url: String,
    topics: Vec<Choice>,
    /// The organisation's identity provider: issuer and client id (as saved, or as typed).
    issuer: String,
    client_id: String,
    provider_set: bool,
    redirect_uri: String,
}

impl AgencyPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn agency_id(raw: &str) -> Result<AgencyId, PageError> {
    AgencyId::parse(raw).map_err(|_| PageError::Problem(Problem::not_found()))
}

fn events_words(events: &[Topic]) -> String {
    if events.len() == Topic::for_webhooks().count() {
        return "Everything".to_owned();
    }
    events.iter().map(|t| t.words()).collect::<Vec<_>>().join("; ")
}

async fn agency_page(
    page: Page,
    state: &AppState,
    id: AgencyId,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    new_secret: Option<String>,
    typed: (Option<String>, String, Option<(String, String)>),
) -> Result<HttpResponse, PageError> {
    let (agency, _) = app::agencies::get(&page.caller, state, id).await?;
    let endpoints = app::webhooks::of_agency(&page.caller, state, id).await?;
    let digest_state = match (&agency.notify_email, agency.notify_digest) {
        (None, _) => "No mailbox is set.".to_owned(),
        (Some(_), DigestFrequency::Off) => {
            "The mailbox turned the email off from its link; save the mailbox again to turn it back on.".to_owned()
        }
        (Some(_), f) => format!("It comes: {}.", f.words().to_lowercase()),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let saved_provider = app::organisation::provider(&page.caller, state, id).await?;
    let provider_set = saved_provider.is_some();
    let (issuer, client_id) = typed.2.or(saved_provider).unwrap_or_default();
    let body = AgencyPage {
        issuer,
        client_id,
        provider_set,
        redirect_uri: app::organisation::redirect_uri(state),
        notice,
        id: id.to_string(),
        version: agency.version,
        name: agency.name.to_string(),
        mailbox: typed.0.unwrap_or_else(|| agency.notify_email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default()),
        digest_state,
        mail_configured: state.notifier.mail.is_some(),
        endpoints: endpoints
            .iter()
            .map(|e| EndpointRow {
                id: e.id.to_string(),
                url: e.url.as_str().to_owned(),
                events: events_words(&e.events),
                state: if e.active { "On".to_owned() } else { format!("Off. {}", e.disabled_reason.clone().unwrap_or_default()) },
            })
            .collect(),
        new_secret,
        url: typed.1,
        topics: Topic::for_webhooks()
            .map(|t| Choice { value: t.as_str().to_owned(), label: t.words().to_owned(), selected: false })
            .collect(),
        errors,
        chrome: page.chrome,
    };
    Ok(render(status, &body))
}

pub async fn show(page: Page, state: web::Data<AppState>, id: web::Path<String>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let id = agency_id(&id)?;
    let notice = req.query_string().contains("saved=1").then_some("Saved.");
    agency_page(page, &state, id, notice, Vec::new(), None, (None, String::new(), None)).await
}

#[derive(Debug, Deserialize)]
pub struct MailboxForm {
    #[serde(default)]
    notify_email: String,
    version: Option<i32>,
}

/// Sets (or clears) the agency's mailbox; saving it turns its daily email back on.
pub async fn set_mailbox(
    form: PageForm<MailboxForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let id = agency_id(&id)?;
    let typed = f.notify_email.trim().to_owned();
    let mailbox = if typed.is_empty() { Ok(None) } else { ContactEmail::parse(&typed).map(Some) };
    let patch = match mailbox {
        Ok(m) => Ok(AgencyPatch { notify_email: Some(m), notify_digest: Some(DigestFrequency::Daily), ..AgencyPatch::default() }),
        Err(e) => {
            let mut errs = fourthp_domain::error::FieldErrors::new();
            errs.push("notify_email", e.to_string());
            Err(errs)
        }
    };
    match app::agencies::change(&page.caller, &state, id, f.version, patch).await {
        Ok(_) => Ok(see_other(&format!("/app/admin/agencies/{id}?saved=1"))),
        Err(AppError::Invalid(errs)) => {
            let errors = errs.iter().map(|e| FieldError::new(&e.field, format!("The mailbox {}", e.message))).collect();
            agency_page(page, &state, id, None, errors, None, (Some(typed), String::new(), None)).await
        }
        Err(AppError::Stale) => {
            let errors = vec![FieldError::new("notify_email", "Someone changed this agency meanwhile: check it and save again")];
            agency_page(page, &state, id, None, errors, None, (Some(typed), String::new(), None)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds an endpoint and shows its secret, once.
pub async fn add_endpoint(
    form: PageForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: pairs, page, .. } = form;
    let id = agency_id(&id)?;
    let url = pairs.iter().find(|(k, _)| k == "url").map(|(_, v)| v.clone()).unwrap_or_default();
    let events = pairs.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).collect();
    match app::webhooks::register(&page.caller, &state, id, &EndpointFields { url: url.clone(), events }).await {
        Ok((_, secret)) => {
            agency_page(page, &state, id, Some("The endpoint is added."), Vec::new(), Some(secret), (None, String::new(), None)).await
        }
        Err(AppError::Invalid(errs)) => {
            let errors = errs
                .iter()
                .map(|e| match e.field.as_str() {
                    "url" => {
                        FieldError::new("url", "Enter an https:// address (http:// only for 127.0.0.1 or localhost), without a password")
                    }
                    _ => FieldError::new(&e.field, e.message.clone()),
                })
                .collect();
            agency_page(page, &state, id, None, errors, None, (None, url, None)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct DeliveryRow {
    pub id: String,
    pub written: String,
    pub event: String,
    pub state: String,
    pub attempts: i32,
    pub answer: String,
    pub latency: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    agency_id: String,
    agency: String,
    id: String,
    url: String,
    state: String,
    active: bool,
    deliveries: Vec<DeliveryRow>,
}

type EndpointParts = web::Path<(String, String)>;

fn endpoint_ids(parts: &(String, String)) -> Result<(AgencyId, WebhookEndpointId), PageError> {
    let not_found = || PageError::Problem(Problem::not_found());
    Ok((AgencyId::parse(&parts.0).map_err(|_| not_found())?, WebhookEndpointId::parse(&parts.1).map_err(|_| not_found())?))
}

/// One endpoint's delivery log.
pub async fn log(page: Page, state: web::Data<AppState>, parts: EndpointParts, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let (agency_id, id) = endpoint_ids(&parts)?;
    let (agency, _) = app::agencies::get(&page.caller, &state, agency_id).await?;
    let (endpoint, log) = app::webhooks::log(&page.caller, &state, agency_id, id).await?;
    let notice = match req.query_string() {
        q if q.contains("replayed=1") => Some("It will be sent again within moments, with the same id."),
        q if q.contains("saved=1") => Some("Saved."),
        _ => None,
    };
    let deliveries = log
        .iter()
        .map(|d| DeliveryRow {
            id: d.id.to_string(),
            written: london_time(d.created_at),
            event: Topic::parse(&d.topic).map_or_else(|| d.topic.clone(), |t| t.words().to_owned()),
            state: match d.status.as_str() {
                "sent" => d.sent_at.map_or_else(|| "Sent".to_owned(), |at| format!("Sent {}", london_time(at))),
                "failed" => "Given up".to_owned(),
                _ if d.attempts > 0 => format!("Failing: next try {}", london_time(d.next_attempt_at)),
                _ => "Waiting to be sent".to_owned(),
            },
            attempts: d.attempts,
            answer: match (d.last_status, &d.last_error) {
                (_, Some(e)) => e.clone(),
                (Some(s), None) => format!("HTTP {s}"),
                (None, None) => String::new(),
            },
            latency: d.latency_ms.map(|ms| format!("{ms} ms")).unwrap_or_default(),
        })
        .collect();
    let body = WebhookPage {
        chrome: page.chrome,
        notice,
        agency_id: agency_id.to_string(),
        agency: agency.name.to_string(),
        id: id.to_string(),
        url: endpoint.url.as_str().to_owned(),
        state: if endpoint.active {
            "It is on: each change is sent as it happens.".to_owned()
        } else {
            format!("It is off. {}", endpoint.disabled_reason.clone().unwrap_or_default())
        },
        active: endpoint.active,
        deliveries,
    };
    Ok(render(StatusCode::OK, &body))
}

#[derive(Debug, Deserialize)]
pub struct EndpointActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    form: PageForm<EndpointActiveForm>,
    state: web::Data<AppState>,
    parts: EndpointParts,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let (agency, id) = endpoint_ids(&parts)?;
    app::webhooks::set_active(&page.caller, &state, agency, id, f.active == "true").await?;
    Ok(see_other(&format!("/app/admin/agencies/{agency}/webhooks/{id}?saved=1")))
}

pub async fn replay(
    form: PageForm<super::account::CsrfOnly>,
    state: web::Data<AppState>,
    parts: web::Path<(String, String, String)>,
) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let (agency, id) = endpoint_ids(&(parts.0.clone(), parts.1.clone()))?;
    let message = MessageId::parse(&parts.2).map_err(|_| PageError::Problem(Problem::not_found()))?;
    app::webhooks::replay(&page.caller, &state, agency, id, message).await?;
    Ok(see_other(&format!("/app/admin/agencies/{agency}/webhooks/{id}?replayed=1")))
}

#[derive(Debug, Deserialize)]
pub struct ProviderForm {
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

/// Sets the organisation's identity provider, so its people sign in with their own accounts.
pub async fn set_provider(
    form: PageForm<ProviderForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let id = agency_id(&id)?;
    match app::organisation::configure(&page.caller, &state, id, &f.issuer, &f.client_id, &f.client_secret).await {
        Ok(()) => Ok(see_other(&format!("/app/admin/agencies/{id}?saved=1"))),
        Err(e) => {
            let errors = form_errors(e, "issuer", |f| match f {
                "client_id" => Some("client_id"),
                "client_secret" => Some("client_secret"),
                _ => Some("issuer"),
            })?;
            agency_page(page, &state, id, None, errors, None, (None, String::new(), Some((f.issuer, f.client_id)))).await
        }
    }
}
