//! Sign-in for people: `/api/v1/auth/sessions`. A session lives in the `__Host-fourthp_session`
//! cookie (HttpOnly, Secure, SameSite=Strict); its id is stored only as a hash. Wrong
//! credentials of any kind get one and the same 401.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use fourthp_domain::account::User;
use fourthp_domain::principal::Role;
use fourthp_persistence::audit::SystemAgent;
use fourthp_persistence::sessions::{self, Attempt, NewSession, SecondFactor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{client_address, context_for, request_id, Caller, SESSION_COOKIE};
use crate::credentials::{self, recovery, totp};
use crate::extract::ApiJson;
use crate::problem::{Problem, ReadProblems};
use crate::state::AppState;

/// Failures from one address within this window count towards its limit.
const ADDRESS_WINDOW_MINUTES: i64 = 15;
/// More failures than this from one address within the window, and it must wait.
const ADDRESS_LIMIT: i64 = 20;

/// How long an account waits after `failed` consecutive failures: nothing for the first four,
/// then 30 s doubling with each further failure, at most an hour.
pub fn lock_for(failed: i32) -> Option<Duration> {
    let beyond = u32::try_from(failed - 5).ok()?;
    Some(Duration::seconds(30i64.saturating_mul(1i64 << beyond.min(7))).min(Duration::hours(1)))
}

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

/// The one answer to every failed sign-in, whatever was wrong.
fn refused() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "sign-in-failed",
        "Sign-in failed",
        "The email, password or code is not right, or the account cannot sign in now.",
    )
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
    let signed_in = start_session(&req, &state, body.value).await?;
    Ok(HttpResponse::Created().cookie(session_cookie(signed_in.session_id, state.accounts.session_absolute)).json(signed_in.response))
}

/// A new session: the cookie's value (the session id, shown to nobody else) and what the person
/// is told.
pub struct SignedIn {
    pub session_id: String,
    pub response: SessionResponse,
}

/// Signs a person in (the API's `POST /auth/sessions` and the sign-in page): checks the address's
/// limit, the password (or a dummy hash), the lock-out and the second factor; records every
/// failure; starts the session.
pub async fn start_session(req: &HttpRequest, state: &AppState, b: SignInRequest) -> Result<SignedIn, Problem> {
    let now = state.clock.now();
    let address = client_address(req).unwrap_or_default();
    if sessions::failures_from(&state.db, &address, now - Duration::minutes(ADDRESS_WINDOW_MINUTES)).await? > ADDRESS_LIMIT {
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-sign-ins",
            "Too many sign-ins",
            "Too many failed sign-ins from here: wait a few minutes.",
        )
        .with_header(header::RETRY_AFTER, (ADDRESS_WINDOW_MINUTES * 60).to_string()));
    }
    let facts = sessions::sign_in_facts(&state.db, &b.email).await?;
    // A password hash is always verified, the account's or one nobody knows, so that an email
    // without an account takes as long to refuse as a wrong password.
    let usable = facts.as_ref().filter(|f| f.user.active && f.user.enrolled_at.is_some());
    let hash = match usable.and_then(|f| f.password_hash.clone()) {
        Some(h) => h,
        None => state.accounts.dummy_hash().await.map_err(|_| Problem::internal())?,
    };
    let pepper = state.accounts.pepper.clone();
    let password = b.password;
    let password_ok = actix_web::rt::task::spawn_blocking(move || credentials::verify_password(&hash, &password, pepper.as_deref()))
        .await
        .map_err(|_| Problem::internal())?;
    let Some(facts) = usable else {
        let agent = SystemAgent { sub: "fourthp-sign-in".to_owned(), request_id: request_id(req), at: now };
        sessions::record_failure(&state.db, Attempt::Unknown(&agent), &address, now, lock_for).await?;
        return Err(refused());
    };
    let principal = facts.user.principal().map_err(|_| Problem::internal())?;
    let ctx = context_for(req, principal, now);
    let locked = facts.locked_until.is_some_and(|until| until > now);
    let factor = match (&b.totp, &b.recovery_code, &facts.totp_secret) {
        (Some(code), None, Some(secret)) => totp::verify(secret, code, now.timestamp(), facts.totp_last_step).map(SecondFactor::Totp),
        (None, Some(code), _) => Some(SecondFactor::Recovery(recovery::hash(code))),
        _ => None,
    };
    let (Some(factor), true, false) = (factor, password_ok, locked) else {
        let attempt = if locked { Attempt::WhileLocked(&ctx, facts.user.id) } else { Attempt::Account(&ctx, facts.user.id) };
        sessions::record_failure(&state.db, attempt, &address, now, lock_for).await?;
        return Err(refused());
    };
    let id = credentials::random_token().map_err(|_| Problem::internal())?;
    let csrf = credentials::random_token().map_err(|_| Problem::internal())?;
    let new = NewSession {
        id_hash: credentials::token_hash(&id),
        handle: uuid::Uuid::now_v7(),
        csrf_hash: credentials::token_hash(&csrf),
        expires_at: now + state.accounts.session_absolute,
        client_address: Some(address.clone()).filter(|a| !a.is_empty()),
        user_agent: req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|v| v.chars().take(300).collect()),
    };
    if !sessions::start(&state.db, &ctx, facts.user.id, &factor, &new).await? {
        // A recovery code not (or no longer) valid.
        sessions::record_failure(&state.db, Attempt::Account(&ctx, facts.user.id), &address, now, lock_for).await?;
        return Err(refused());
    }
    let user: &User = &facts.user;
    Ok(SignedIn {
        session_id: id,
        response: SessionResponse {
            session_id: new.handle,
            user_id: user.id.into_uuid(),
            email: user.email.to_string(),
            display_name: user.display_name.as_str().to_owned(),
            role: user.role,
            agency_id: user.agency.map(|a| a.into_uuid()),
            csrf_token: csrf,
            expires_at: new.expires_at,
        },
    })
}

/// The person's own sessions (a session of theirs, not a token).
pub fn own_sessions(caller: &Caller) -> Result<(fourthp_domain::ids::UserId, Option<uuid::Uuid>), Problem> {
    let user = caller.user.ok_or_else(Problem::forbidden)?;
    Ok((user, caller.session))
}

/// Ends one of the caller's own sessions (the API and the sign-out and sessions pages).
pub async fn end_one(caller: &Caller, state: &AppState, handle: uuid::Uuid) -> Result<(), Problem> {
    let (user, _) = own_sessions(caller)?;
    if !sessions::end(&state.db, &caller.ctx, user, handle).await? {
        return Err(Problem::not_found());
    }
    Ok(())
}

/// My sessions that are still live, newest first.
#[utoipa::path(
    tag = "accounts",
    responses((status = 200, description = "My live sessions", body = SessionListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/auth/sessions")]
pub async fn list_sessions(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let (user, current) = own_sessions(&caller)?;
    let all = sessions::of_user(&state.db, user, caller.ctx.at, state.accounts.session_idle).await?;
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
    let (_, current) = own_sessions(&caller)?;
    let handle = match session.as_str() {
        "current" => current.ok_or_else(Problem::not_found)?,
        other => uuid::Uuid::try_parse(other).map_err(|_| Problem::bad_request("session", "must be current or a session id"))?,
    };
    end_one(&caller, &state, handle).await?;
    let mut res = HttpResponse::NoContent();
    if Some(handle) == current {
        res.cookie(session_cookie(String::new(), Duration::zero()));
    }
    Ok(res.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_waits_longer_with_each_failure_after_the_fifth() {
        assert_eq!(lock_for(4), None);
        assert_eq!(lock_for(5), Some(Duration::seconds(30)));
        assert_eq!(lock_for(6), Some(Duration::seconds(60)));
        assert_eq!(lock_for(9), Some(Duration::seconds(480)));
        assert_eq!(lock_for(12), Some(Duration::hours(1)), "at most an hour");
        assert_eq!(lock_for(1000), Some(Duration::hours(1)));
    }
}
