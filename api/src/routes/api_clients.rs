//! `/api/v1/api-clients`: partner systems registered for OAuth 2.0 client credentials
//! (administrators). The secret is shown once, at registration; the service keeps its hash.

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use fourthp_domain::account::{ApiClient, ClientName, NewApiClient};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, decode_cursor, encode_cursor};
use crate::app;
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::paths::ApiClientPath;
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;

/// A partner system to register: it will act for one agency in one role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiClientRequest {
    /// 1–100 characters, for people to recognise it.
    #[schema(example = "Northshire Housing case system")]
    pub name: String,
    /// Any role but admin.
    pub role: Role,
    /// Required for coordinators and partners.
    pub agency_id: Option<uuid::Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientResponse {
    /// The `client_id` the system authenticates with.
    pub client_id: uuid::Uuid,
    pub name: String,
    pub role: Role,
    pub agency_id: Option<uuid::Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When it was revoked; its tokens are refused from then on.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiClientResponse {
    fn new(c: &ApiClient) -> Self {
        ApiClientResponse {
            client_id: c.id.into_uuid(),
            name: c.name.as_str().to_owned(),
            role: c.role,
            agency_id: c.agency.map(AgencyId::into_uuid),
            created_by: c.created_by.clone(),
            created_at: c.created_at,
            revoked_at: c.revoked_at,
        }
    }
}

/// A registered client and its secret, shown this once: pass both to the partner's system.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiClientResponse {
    #[serde(flatten)]
    pub client: ApiClientResponse,
    /// 256 random bits, base64url; the service keeps only its hash.
    pub client_secret: String,
    /// Where the system exchanges its credentials for a token.
    pub token_endpoint: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientListResponse {
    /// In the order they were registered.
    pub items: Vec<ApiClientResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiClientListQuery {
    /// 1–200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const CURSOR_KIND: &str = "api-client";

/// The system a request asks to register, checked field by field.
fn new_client(b: CreateApiClientRequest) -> Result<NewApiClient, FieldErrors> {
    let mut errs = FieldErrors::new();
    let Some(name) = errs.check("name", ClientName::parse(&b.name)) else { return Err(errs) };
    NewApiClient::new(name, b.role, b.agency_id.map(AgencyId::from_uuid)).map_err(|e| {
        let field = match e {
            fourthp_domain::account::NewApiClientError::AdminRole => "role",
            fourthp_domain::account::NewApiClientError::AgencyRequired => "agency_id",
        };
        let mut errs = FieldErrors::new();
        errs.push(field, e.to_string());
        errs
    })
}

/// Register a partner system (administrators). The answer holds its `client_id` and
/// `client_secret` (shown once); the system exchanges them at `POST /oauth/token` for tokens of
/// at most 15 minutes.
#[utoipa::path(
    tag = "accounts",
    request_body = CreateApiClientRequest,
    responses((status = 201, description = "Registered", body = CreatedApiClientResponse, headers(("Location" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/api-clients")]
pub async fn create_api_client(
    caller: Caller,
    state: web::Data<AppState>,
    body: ApiJson<CreateApiClientRequest>,
) -> Result<HttpResponse, Problem> {
    let r = app::api_clients::register(&caller, &state, new_client(body.value)).await?;
    let created =
        CreatedApiClientResponse { client: ApiClientResponse::new(&r.client), client_secret: r.secret, token_endpoint: r.token_endpoint };
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/api-clients/{}", created.client.client_id))).json(created))
}

/// Registered partner systems, revoked ones included (administrators).
#[utoipa::path(
    tag = "accounts",
    params(ApiClientListQuery),
    responses((status = 200, description = "A page of API clients", body = ApiClientListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/api-clients")]
pub async fn list_api_clients(
    caller: Caller,
    state: web::Data<AppState>,
    query: ApiQuery<ApiClientListQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let mut errs = FieldErrors::new();
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs));
    let after = after.and_then(|a| match uuid::Uuid::try_parse(&a) {
        Ok(id) => Some(id),
        Err(_) => {
            errs.push("cursor", "is not a cursor this service gave");
            None
        }
    });
    bad_query(errs)?;
    let page = app::api_clients::list(&caller, &state, q.limit.unwrap_or_default(), after).await?;
    Ok(HttpResponse::Ok().json(ApiClientListResponse {
        items: page.items.iter().map(ApiClientResponse::new).collect(),
        next_cursor: page.next.map(|k| encode_cursor(CURSOR_KIND, &k)),
    }))
}

/// One registered partner system (administrators).
#[utoipa::path(
    tag = "accounts",
    params(ApiClientPath),
    responses((status = 200, description = "The API client", body = ApiClientResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/api-clients/{id}")]
pub async fn get_api_client(caller: Caller, state: web::Data<AppState>, path: ApiClientPath) -> Result<HttpResponse, Problem> {
    let client = app::api_clients::get(&caller, &state, path.id).await?;
    Ok(HttpResponse::Ok().json(ApiClientResponse::new(&client)))
}

/// Revoke a partner system (administrators): it can get no more tokens, and the tokens it holds
/// are refused at once on this instance and within a second on every other. Revoking a revoked
/// client changes nothing.
#[utoipa::path(
    tag = "accounts",
    params(ApiClientPath),
    responses((status = 204, description = "Revoked"), ReadProblems),
    security(("bearer" = []))
)]
#[delete("/api-clients/{id}")]
pub async fn revoke_api_client(caller: Caller, state: web::Data<AppState>, path: ApiClientPath) -> Result<HttpResponse, Problem> {
    app::api_clients::revoke(&caller, &state, path.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
