//! `/api/v1/users`: people's accounts (administrators), and their enrolment links.

use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use fourthp_domain::account::{DisplayName, User};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use fourthp_persistence::users::UserPatch;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, decode_cursor, double_option, encode_cursor};
use crate::app;
use crate::auth::Caller;
use crate::extract::{etag, ApiJson, Precondition};
use crate::paths::UserPath;
use crate::problem::{CreateProblems, Problem, ReadProblems, UpdateProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;

/// A new account. The person sets their own password and second factor through the enrolment
/// link the response carries: no password is ever sent to anyone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Unique regardless of letter case; the person signs in with it.
    #[schema(example = "sam.jones@northshire-vcs.example")]
    pub email: String,
    /// 1–100 characters.
    #[schema(example = "Sam Jones")]
    pub display_name: String,
    pub role: Role,
    /// Required for coordinators and partners.
    pub agency_id: Option<uuid::Uuid>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserRequest {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// Null removes it (not for coordinators and partners).
    #[serde(default, deserialize_with = "double_option")]
    pub agency_id: Option<Option<uuid::Uuid>>,
    /// False deactivates the account and ends its sessions at once.
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: uuid::Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: Option<uuid::Uuid>,
    pub active: bool,
    /// Whether the person has completed enrolment (password and second factor).
    pub enrolled: bool,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserResponse {
    pub fn new(u: &User) -> Self {
        UserResponse {
            id: u.id.into_uuid(),
            email: u.email.to_string(),
            display_name: u.display_name.as_str().to_owned(),
            role: u.role,
            agency_id: u.agency.map(AgencyId::into_uuid),
            active: u.active,
            enrolled: u.enrolled_at.is_some(),
            last_sign_in_at: u.last_sign_in_at,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A single-use enrolment link, shown once: the administrator passes it on to the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentLinkResponse {
    pub enrolment_link: String,
    pub expires_at: DateTime<Utc>,
}

/// A new account and its enrolment link.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserResponse {
    #[serde(flatten)]
    pub user: UserResponse,
    #[serde(flatten)]
    pub enrolment: EnrolmentLinkResponse,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserListResponse {
    /// By email.
    pub items: Vec<UserResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// 1–200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const CURSOR_KIND: &str = "user";

/// Create an account (administrators). The response holds a single-use enrolment link, valid
/// 72 hours, through which the person sets their password and second factor.
#[utoipa::path(
    tag = "accounts",
    request_body = CreateUserRequest,
    responses((status = 201, description = "Created", body = CreatedUserResponse, headers(("Location" = String), ("ETag" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(caller: Caller, state: web::Data<AppState>, body: ApiJson<CreateUserRequest>) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let new = app::users::parse_new_user(&b.email, &b.display_name, b.role, b.agency_id.map(AgencyId::from_uuid));
    let (user, invitation) = app::users::add(&caller, &state.db, &state.accounts, new).await?;
    let enrolment = EnrolmentLinkResponse { enrolment_link: invitation.link, expires_at: invitation.expires_at };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .insert_header((header::ETAG, etag(user.version)))
        .json(CreatedUserResponse { user: UserResponse::new(&user), enrolment }))
}

/// Accounts, by email (administrators).
#[utoipa::path(
    tag = "accounts",
    params(UserListQuery),
    responses((status = 200, description = "A page of accounts", body = UserListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(caller: Caller, state: web::Data<AppState>, query: ApiQuery<UserListQuery>) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let mut errs = FieldErrors::new();
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs));
    bad_query(errs)?;
    let page = app::users::list(&caller, &state.db, q.limit.unwrap_or_default(), after.as_deref()).await?;
    Ok(HttpResponse::Ok().json(UserListResponse {
        items: page.items.iter().map(UserResponse::new).collect(),
        next_cursor: page.next.map(|k| encode_cursor(CURSOR_KIND, &k)),
    }))
}

fn respond(status: StatusCode, u: &User) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::ETAG, etag(u.version))).json(UserResponse::new(u))
}

/// One account (administrators).
#[utoipa::path(
    tag = "accounts",
    params(UserPath),
    responses((status = 200, description = "The account", body = UserResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(caller: Caller, state: web::Data<AppState>, path: UserPath) -> Result<HttpResponse, Problem> {
    let user = app::users::get(&caller, &state.db, path.id).await?;
    Ok(respond(StatusCode::OK, &user))
}

/// Change an account (administrators); requires `If-Match`. A new role or agency applies from
/// the person's next request; deactivating ends their sessions at once.
#[utoipa::path(
    tag = "accounts",
    params(UserPath, ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    request_body = PatchUserRequest,
    responses((status = 200, description = "The updated account", body = UserResponse, headers(("ETag" = String))), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn patch_user(
    caller: Caller,
    state: web::Data<AppState>,
    path: UserPath,
    precondition: Precondition,
    body: ApiJson<PatchUserRequest>,
) -> Result<HttpResponse, Problem> {
    let expected = precondition.get()?.expected();
    let b = body.value;
    let mut errs = FieldErrors::new();
    let display_name = errs.check_opt("display_name", b.display_name.as_deref().map(DisplayName::parse));
    let patch = match display_name {
        Some(display_name) => {
            Ok(UserPatch { display_name, role: b.role, agency: b.agency_id.map(|a| a.map(AgencyId::from_uuid)), active: b.active })
        }
        None => Err(errs),
    };
    let user = app::users::change(&caller, &state.db, path.id, expected, patch).await?;
    Ok(respond(StatusCode::OK, &user))
}

/// Issue a new enrolment link (administrators): the account's password, second factor and
/// recovery codes stop working and its sessions end, until the person enrols again. For a
/// forgotten password, a lost authenticator, or a locked-out account.
#[utoipa::path(
    tag = "accounts",
    params(UserPath),
    responses((status = 201, description = "A new enrolment link, shown once", body = EnrolmentLinkResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/users/{id}/enrolment")]
pub async fn reset_user(caller: Caller, state: web::Data<AppState>, path: UserPath) -> Result<HttpResponse, Problem> {
    let invitation = app::users::reset(&caller, &state.db, &state.accounts, path.id).await?;
    Ok(HttpResponse::Created().json(EnrolmentLinkResponse { enrolment_link: invitation.link, expires_at: invitation.expires_at }))
}
