//! `/api/v1/agencies`: the network's member agencies.

use actix_web::http::header;
use actix_web::{get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use fourthp_domain::access::AgencyView;
use fourthp_domain::agency::{Agency, AgencyKind, AgencyName, AgencyPatch, ContactEmail, ContactPhone, NewAgency};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::notify::DigestFrequency;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, decode_cursor, double_option, encode_cursor};
use crate::app;
use crate::auth::Caller;
use crate::extract::{etag, ApiJson, Precondition};
use crate::paths::AgencyPath;
use crate::problem::{CreateProblems, Problem, ReadProblems, UpdateProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;
use fourthp_domain::paging::Limit;

/// A new agency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgencyRequest {
    /// 1–200 characters, unique regardless of letter case.
    #[schema(example = "Northshire Police")]
    pub name: String,
    pub kind: AgencyKind,
    #[schema(example = "mash@northshire.police.uk")]
    pub contact_email: Option<String>,
    #[schema(example = "0161 496 0000")]
    pub contact_phone: Option<String>,
    /// The mailbox the agency's daily digest of what it owes goes to (a shared inbox), whether
    /// or not its people have accounts.
    #[schema(example = "safeguarding@northshire.police.uk")]
    pub notify_email: Option<String>,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// Changes to an agency; absent fields stay as they are, `null` clears a contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchAgencyRequest {
    pub name: Option<String>,
    pub kind: Option<AgencyKind>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub contact_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub contact_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notify_email: Option<Option<String>>,
    /// How often the mailbox gets the digest (`off` after it unsubscribed).
    pub notify_digest: Option<DigestFrequency>,
    pub active: Option<bool>,
}

/// An agency. Contact details are shown to administrators and coordinators only.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyResponse {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: AgencyKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<String>,
    /// Shown with the contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_digest: Option<DigestFrequency>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AgencyResponse {
    pub fn new(a: &Agency, view: AgencyView) -> Self {
        AgencyResponse {
            id: a.id.into_uuid(),
            name: a.name.to_string(),
            kind: a.kind,
            contact_email: a.contact_email.as_ref().filter(|_| view.contacts).map(|e| e.as_str().to_owned()),
            contact_phone: a.contact_phone.as_ref().filter(|_| view.contacts).map(|p| p.as_str().to_owned()),
            notify_email: a.notify_email.as_ref().filter(|_| view.contacts).map(|e| e.as_str().to_owned()),
            notify_digest: Some(a.notify_digest).filter(|_| view.contacts),
            active: a.active,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyListResponse {
    pub items: Vec<AgencyResponse>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgencyListQuery {
    /// 1–200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const CURSOR_KIND: &str = "agency";

fn respond(status: actix_web::http::StatusCode, agency: &Agency, view: AgencyView) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::ETAG, etag(agency.version))).json(AgencyResponse::new(agency, view))
}

/// Register an agency (administrators).
#[utoipa::path(
    tag = "agencies",
    request_body = CreateAgencyRequest,
    responses((status = 201, description = "Created", body = AgencyResponse, headers(("ETag" = String), ("Location" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/agencies")]
pub async fn create_agency(
    caller: Caller,
    state: web::Data<AppState>,
    body: ApiJson<CreateAgencyRequest>,
) -> Result<HttpResponse, Problem> {
    let (agency, view) = app::agencies::register(&caller, &state, new_agency(body.value)).await?;
    let mut res = respond(actix_web::http::StatusCode::CREATED, &agency, view);
    if let Ok(v) = header::HeaderValue::from_str(&format!("/api/v1/agencies/{}", agency.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// The agency a request asks for, checked field by field.
fn new_agency(b: CreateAgencyRequest) -> Result<NewAgency, FieldErrors> {
    let mut errs = FieldErrors::new();
    let name = errs.check("name", AgencyName::parse(&b.name));
    let contact_email = errs.check_opt("contact_email", b.contact_email.as_deref().map(ContactEmail::parse));
    let contact_phone = errs.check_opt("contact_phone", b.contact_phone.as_deref().map(ContactPhone::parse));
    let notify_email = errs.check_opt("notify_email", b.notify_email.as_deref().map(ContactEmail::parse));
    let (Some(name), Some(contact_email), Some(contact_phone), Some(notify_email)) = (name, contact_email, contact_phone, notify_email)
    else {
        return Err(errs);
    };
    Ok(NewAgency { name, kind: b.kind, contact_email, contact_phone, notify_email, active: b.active.unwrap_or(true) })
}

/// List the network's agencies by name (every role).
#[utoipa::path(
    tag = "agencies",
    params(AgencyListQuery),
    responses((status = 200, description = "A page of agencies", body = AgencyListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/agencies")]
pub async fn list_agencies(caller: Caller, state: web::Data<AppState>, query: ApiQuery<AgencyListQuery>) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let mut errs = FieldErrors::new();
    let limit = q.limit.unwrap_or_default();
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs));
    bad_query(errs)?;
    let (page, view) = app::agencies::readable(&caller, &state, limit, after.as_deref()).await?;
    Ok(HttpResponse::Ok().json(AgencyListResponse {
        items: page.items.iter().map(|a| AgencyResponse::new(a, view)).collect(),
        next_cursor: page.next.map(|key| encode_cursor(CURSOR_KIND, &key)),
    }))
}

/// Read one agency (every role).
#[utoipa::path(
    tag = "agencies",
    params(AgencyPath),
    responses((status = 200, description = "The agency", body = AgencyResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/agencies/{id}")]
pub async fn get_agency(caller: Caller, state: web::Data<AppState>, path: AgencyPath) -> Result<HttpResponse, Problem> {
    let (agency, view) = app::agencies::get(&caller, &state, path.id).await?;
    Ok(respond(actix_web::http::StatusCode::OK, &agency, view))
}

/// Change an agency (administrators); requires `If-Match` with the ETag read.
#[utoipa::path(
    tag = "agencies",
    params(
        AgencyPath,
        ("If-Match" = String, Header, description = "The ETag of the version being changed"),
    ),
    request_body = PatchAgencyRequest,
    responses((status = 200, description = "The updated agency", body = AgencyResponse, headers(("ETag" = String))), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/agencies/{id}")]
pub async fn patch_agency(
    caller: Caller,
    state: web::Data<AppState>,
    path: AgencyPath,
    precondition: Precondition,
    body: ApiJson<PatchAgencyRequest>,
) -> Result<HttpResponse, Problem> {
    let if_match = precondition.get()?;
    let (agency, view) = app::agencies::change(&caller, &state, path.id, if_match.expected(), agency_patch(body.value)).await?;
    Ok(respond(actix_web::http::StatusCode::OK, &agency, view))
}

/// The changes a request asks for, checked field by field.
fn agency_patch(b: PatchAgencyRequest) -> Result<AgencyPatch, FieldErrors> {
    let mut errs = FieldErrors::new();
    let name = errs.check_opt("name", b.name.as_deref().map(AgencyName::parse));
    let email = b.contact_email.map(|v| errs.check_opt("contact_email", v.as_deref().map(ContactEmail::parse)));
    let phone = b.contact_phone.map(|v| errs.check_opt("contact_phone", v.as_deref().map(ContactPhone::parse)));
    let notify = b.notify_email.map(|v| errs.check_opt("notify_email", v.as_deref().map(ContactEmail::parse)));
    errs.into_result()?;
    Ok(AgencyPatch {
        name: name.flatten(),
        kind: b.kind,
        contact_email: email.flatten(),
        contact_phone: phone.flatten(),
        notify_email: notify.flatten(),
        notify_digest: b.notify_digest,
        active: b.active,
    })
}

/// An agency's identity provider: its issuer, and FourthP's client there.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderRequest {
    /// The provider's issuer (https; its `/.well-known/openid-configuration` is read to check it).
    #[schema(example = "https://login.microsoftonline.com/your-tenant-id/v2.0")]
    pub issuer: String,
    pub client_id: String,
    /// Never shown again.
    pub client_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityProviderResponse {
    pub issuer: String,
    pub client_id: String,
    /// The redirect URI to register with the provider.
    pub redirect_uri: String,
}

/// Set the agency's OpenID Connect provider (administrators), so its people sign in with
/// their organisation's accounts (authorization code flow with PKCE). The provider's discovery
/// document must answer and name the same issuer (else 422 on `issuer`).
#[utoipa::path(
    tag = "accounts",
    params(AgencyPath),
    request_body = IdentityProviderRequest,
    responses((status = 200, description = "Set", body = IdentityProviderResponse), CreateProblems),
    security(("bearer" = []))
)]
#[put("/agencies/{id}/identity-provider")]
pub async fn put_identity_provider(
    caller: Caller,
    state: web::Data<AppState>,
    path: AgencyPath,
    body: ApiJson<IdentityProviderRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    app::organisation::configure(&caller, &state, path.id, &b.issuer, &b.client_id, &b.client_secret).await?;
    let (issuer, client_id) = app::organisation::provider(&caller, &state, path.id).await?.unwrap_or_default();
    Ok(HttpResponse::Ok().json(IdentityProviderResponse { issuer, client_id, redirect_uri: app::organisation::redirect_uri(&state) }))
}

/// The agency's OpenID Connect provider (administrators; never its secret). 404 when none is set.
#[utoipa::path(
    tag = "accounts",
    params(AgencyPath),
    responses((status = 200, description = "The provider", body = IdentityProviderResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/agencies/{id}/identity-provider")]
pub async fn get_identity_provider(caller: Caller, state: web::Data<AppState>, path: AgencyPath) -> Result<HttpResponse, Problem> {
    let (issuer, client_id) = app::organisation::provider(&caller, &state, path.id).await?.ok_or_else(Problem::not_found)?;
    Ok(HttpResponse::Ok().json(IdentityProviderResponse { issuer, client_id, redirect_uri: app::organisation::redirect_uri(&state) }))
}
