//! Sign-in for people: `/api/v1/auth/sessions`. A session lives in the `__Host-fourthp_session`
//! cookie (HttpOnly, Secure, SameSite=Strict); its id is stored only as a hash. Wrong
//! credentials of any kind get one and the same 401.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use fourthp_domain::principal::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::extract::ApiJson;
use crate::problem::{Problem, ReadProblems};
use crate::state::AppState;

/// Email, password, and a TOTP code or (instead) a recovery code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
    /// Six digits from the authenticator app.
    pub totp: Option<String>,
    /// One of the recovery codes given at enrolment, in place of a TOTP code (single use).
    pub recovery_code: Option<String>,
}

/// Who signed in, and the token every state-changing request of the session must carry in
/// `X-CSRF-Token`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// This session's handle (for listing and ending sessions; not the cookie).
    pub session_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: Option<uuid::Uuid>,
    pub csrf_token: String,
    /// When the session ends at the latest (it ends sooner after 30 minutes unused).
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionSummaryResponse {
    pub session_id: uuid::Uuid,
    /// The session this request was made in.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionListResponse {
    /// Newest first.
    pub items: Vec<SessionSummaryResponse>,
}

/// The cookie that carries a session id (an empty value and no lifetime removes it).
pub fn session_cookie(value: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age.num_seconds()))
        .finish()
}

/// Sign in with email, password and a TOTP code (or a recovery code): a session cookie and the
/// CSRF token. After five failures an account waits (30 s, doubling, at most an hour); an
/// address with more than twenty failures in fifteen minutes waits too (429).
#[utoipa::path(
    tag = "accounts",
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in", body = SessionResponse, headers(("Set-Cookie" = String, description = "__Host-fourthp_session=...; Path=/; Secure; HttpOnly; SameSite=Strict"))),
        (status = 429, description = "Too many failed sign-ins from this address", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        crate::problem::UpdateProblems
    ),
    security(())
)]
#[post("/auth/sessions")]
pub async fn sign_in(req: HttpRequest, state: web::Data<AppState>, body: ApiJson<SignInRequest>) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let request = app::sessions::SignIn { email: b.email, password: b.password, totp: b.totp, recovery_code: b.recovery_code };
    let s = app::sessions::sign_in(&crate::auth::origin(&req), &state, request).await?;
    let user = &s.user;
    let response = SessionResponse {
        session_id: s.handle,
        user_id: user.id.into_uuid(),
        email: user.email.to_string(),
        display_name: user.display_name.as_str().to_owned(),
        role: user.role,
        agency_id: user.agency.map(|a| a.into_uuid()),
        csrf_token: s.csrf_token,
        expires_at: s.expires_at,
    };
    Ok(HttpResponse::Created().cookie(session_cookie(s.session_id, state.accounts.session_absolute)).json(response))
}

/// My sessions that are still live, newest first.
#[utoipa::path(
    tag = "accounts",
    responses((status = 200, description = "My live sessions", body = SessionListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/auth/sessions")]
pub async fn list_sessions(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let (all, current) = app::sessions::mine(&caller, &state).await?;
    Ok(HttpResponse::Ok().json(SessionListResponse {
        items: all
            .into_iter()
            .map(|s| SessionSummaryResponse {
                session_id: s.handle,
                current: Some(s.handle) == current,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                client_address: s.client_address,
                user_agent: s.user_agent,
            })
            .collect(),
    }))
}

/// Sign out: end this session (`current`) or another of mine (its `session_id`).
#[utoipa::path(
    tag = "accounts",
    params(("session" = String, Path, description = "`current`, or a session_id of mine")),
    responses((status = 204, description = "Ended"), ReadProblems),
    security(("bearer" = []))
)]
#[delete("/auth/sessions/{session}")]
pub async fn end_session(caller: Caller, state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, Problem> {
    let (_, current) = app::sessions::own(&caller)?;
    let handle = match session.as_str() {
        "current" => current.ok_or_else(Problem::not_found)?,
        other => uuid::Uuid::try_parse(other).map_err(|_| Problem::bad_request("session", "must be current or a session id"))?,
    };
    app::sessions::end(&caller, &state, handle).await?;
    let mut res = HttpResponse::NoContent();
    if Some(handle) == current {
        res.cookie(session_cookie(String::new(), Duration::zero()));
    }
    Ok(res.finish())
}
