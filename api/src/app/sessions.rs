//! Sessions in the browser: signing in (password and a second factor, with a limit per address
//! and a lock-out per account), the person's own sessions, and ending one.

use chrono::{DateTime, Duration, Utc};
use fourthp_domain::account::User;
use fourthp_domain::ids::UserId;
use fourthp_persistence::audit::SystemAgent;
use fourthp_persistence::sessions::{self, Attempt, NewSession, SecondFactor, SessionSummary};

use super::{AppError, Origin};
use crate::auth::Caller;
use crate::credentials::{self, recovery, totp};
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

fn internal(what: &str) -> AppError {
    AppError::Store(fourthp_persistence::StoreError::internal(what))
}

/// What a person signs in with: email, password, and a TOTP code or (instead) a recovery code.
pub struct SignIn {
    pub email: String,
    pub password: String,
    pub totp: Option<String>,
    pub recovery_code: Option<String>,
}

/// A new session: the cookie's value (the session id, shown to nobody else), its handle, who it
/// is, and the token every state-changing request of the session must carry.
pub struct SignedIn {
    pub session_id: String,
    pub handle: uuid::Uuid,
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs a person in: checks the address's limit, the password (or a dummy hash), the lock-out
/// and the second factor; records every failure; starts the session. Every failure is the same
/// [`AppError::SignInRefused`], whatever was wrong.
pub async fn sign_in(origin: &Origin, state: &AppState, b: SignIn) -> Result<SignedIn, AppError> {
    let now = state.clock.now();
    let address = origin.client_address.clone().unwrap_or_default();
    if sessions::failures_from(&state.db, &address, now - Duration::minutes(ADDRESS_WINDOW_MINUTES)).await? > ADDRESS_LIMIT {
        return Err(AppError::TooManyAttempts { retry_after_secs: ADDRESS_WINDOW_MINUTES * 60 });
    }
    let facts = sessions::sign_in_facts(&state.db, &b.email).await?;
    // A password hash is always verified, the account's or one nobody knows, so that an email
    // without an account takes as long to refuse as a wrong password.
    let usable = facts.as_ref().filter(|f| f.user.active && f.user.enrolled_at.is_some());
    let hash = match usable.and_then(|f| f.password_hash.clone()) {
        Some(h) => h,
        None => state.accounts.dummy_hash().await.map_err(|_| internal("the dummy password hash"))?,
    };
    let pepper = state.accounts.pepper.clone();
    let password = b.password;
    let password_ok = actix_web::rt::task::spawn_blocking(move || credentials::verify_password(&hash, &password, pepper.as_deref()))
        .await
        .map_err(|_| internal("password verification"))?;
    let Some(facts) = usable else {
        let agent = SystemAgent { sub: "fourthp-sign-in".to_owned(), request_id: origin.request_id.clone(), at: now };
        sessions::record_failure(&state.db, Attempt::Unknown(&agent), &address, now, lock_for).await?;
        return Err(AppError::SignInRefused);
    };
    let principal = facts.user.principal().map_err(|_| internal("an account's principal"))?;
    let ctx = origin.context(principal, now);
    let locked = facts.locked_until.is_some_and(|until| until > now);
    let factor = match (&b.totp, &b.recovery_code, &facts.totp_secret) {
        (Some(code), None, Some(secret)) => totp::verify(secret, code, now.timestamp(), facts.totp_last_step).map(SecondFactor::Totp),
        (None, Some(code), _) => Some(SecondFactor::Recovery(recovery::hash(code))),
        _ => None,
    };
    let (Some(factor), true, false) = (factor, password_ok, locked) else {
        let attempt = if locked { Attempt::WhileLocked(&ctx, facts.user.id) } else { Attempt::Account(&ctx, facts.user.id) };
        sessions::record_failure(&state.db, attempt, &address, now, lock_for).await?;
        return Err(AppError::SignInRefused);
    };
    let (id, csrf, new) = new_session(origin, state, now)?;
    if !sessions::start(&state.db, &ctx, facts.user.id, &factor, &new).await? {
        // A recovery code not (or no longer) valid.
        sessions::record_failure(&state.db, Attempt::Account(&ctx, facts.user.id), &address, now, lock_for).await?;
        return Err(AppError::SignInRefused);
    }
    Ok(SignedIn { session_id: id, handle: new.handle, user: facts.user.clone(), csrf_token: csrf, expires_at: new.expires_at })
}

/// A new session's id, CSRF token and stored parts, for a person who has just signed in.
pub(super) fn new_session(origin: &Origin, state: &AppState, now: DateTime<Utc>) -> Result<(String, String, NewSession), AppError> {
    let id = credentials::random_token().map_err(|_| internal("no randomness for a session"))?;
    let csrf = credentials::random_token().map_err(|_| internal("no randomness for a session"))?;
    let new = NewSession {
        id_hash: credentials::token_hash(&id),
        handle: uuid::Uuid::now_v7(),
        csrf_hash: credentials::token_hash(&csrf),
        expires_at: now + state.accounts.session_absolute,
        client_address: origin.client_address.clone().filter(|a| !a.is_empty()),
        user_agent: origin.user_agent.as_ref().map(|v| v.chars().take(300).collect()),
    };
    Ok((id, csrf, new))
}

/// The person's own account and current session (a session of theirs, not a token).
pub fn own(caller: &Caller) -> Result<(UserId, Option<uuid::Uuid>), AppError> {
    let user = caller.user.ok_or(AppError::Forbidden)?;
    Ok((user, caller.session))
}

/// The caller's own live sessions, newest first, and which is this one.
pub async fn mine(caller: &Caller, state: &AppState) -> Result<(Vec<SessionSummary>, Option<uuid::Uuid>), AppError> {
    let (user, current) = own(caller)?;
    Ok((sessions::of_user(&state.db, user, caller.ctx.at, state.accounts.session_idle).await?, current))
}

/// Ends one of the caller's own sessions.
pub async fn end(caller: &Caller, state: &AppState, handle: uuid::Uuid) -> Result<(), AppError> {
    let (user, _) = own(caller)?;
    if !sessions::end(&state.db, &caller.ctx, user, handle).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
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
