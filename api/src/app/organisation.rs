//! Signing in with the organisation's own identity provider (OpenID Connect, authorization code
//! flow with PKCE). Administrators set an agency's provider (its issuer, and FourthP's client id
//! and secret there). A person chooses their organisation, signs in at its provider, and comes
//! back with a code; FourthP exchanges it, checks the ID token (signature by the provider's
//! published keys, issuer, audience, expiry, the nonce it sent) and the state it sent, and
//! starts a session for the account linked to the provider's subject: the first time, the
//! account of that agency with the provider's verified email and no FourthP password, linked
//! then; afterwards by the subject alone. The provider's second factor is the account's own.

use chrono::Duration;
use fourthp_domain::ids::AgencyId;
use fourthp_persistence::audit::SystemAgent;
use fourthp_persistence::identity::{self, IdentityProvider, Pending};
use fourthp_persistence::sessions::{self, Attempt, SecondFactor};

use super::sessions::{lock_for, new_session, SignedIn};
use super::{admin_only, AppError, Origin};
use crate::auth::Caller;
use crate::credentials;
use crate::oidc::{issuer_allowed, pkce_challenge};
use crate::state::AppState;

/// How long a person has at their provider before the sign-in must start again.
const PENDING_MINUTES: i64 = 10;

/// The path the provider sends the person back to.
pub const CALLBACK_PATH: &str = "/app/sign-in/organisation/callback";

/// Where the provider sends the person back: this deployment's public URL.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.accounts.public_url)
}

/// Sets an agency's identity provider (administrators). Its discovery document must be
/// reachable and name the same issuer. Fields at fault: `issuer`, `client_id`, `client_secret`.
pub async fn configure(
    caller: &Caller,
    state: &AppState,
    agency: AgencyId,
    issuer: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<(), AppError> {
    admin_only(caller)?;
    fourthp_persistence::agencies::get(&state.db, agency).await?.ok_or(AppError::NotFound)?;
    let issuer = issuer.trim().trim_end_matches('/');
    let mut errs = fourthp_domain::error::FieldErrors::new();
    errs.check("issuer", issuer_allowed(issuer));
    if client_id.trim().is_empty() || client_id.trim().chars().count() > 200 {
        errs.push("client_id", "is required: at most 200 characters, as the provider gave it");
    }
    if client_secret.is_empty() || client_secret.chars().count() > 500 {
        errs.push("client_secret", "is required: at most 500 characters, as the provider gave it");
    }
    errs.into_result()?;
    if let Err(e) = state.providers.discovered(issuer).await {
        tracing::warn!(error = %e, "an identity provider's discovery failed");
        return Err(AppError::invalid(
            "issuer",
            "does not answer as an OpenID provider: its /.well-known/openid-configuration could not be read, or names another issuer",
        ));
    }
    let p = IdentityProvider {
        agency,
        issuer: issuer.to_owned(),
        client_id: client_id.trim().to_owned(),
        client_secret: client_secret.to_owned(),
    };
    Ok(identity::set_provider(&state.db, &caller.ctx, &p).await?)
}

/// An agency's provider as administrators see it: issuer and client id (never the secret).
pub async fn provider(caller: &Caller, state: &AppState, agency: AgencyId) -> Result<Option<(String, String)>, AppError> {
    admin_only(caller)?;
    Ok(identity::provider(&state.db, agency).await?.map(|p| (p.issuer, p.client_id)))
}

/// The organisations whose people sign in through their own provider.
pub async fn organisations(state: &AppState) -> Result<Vec<(AgencyId, String)>, AppError> {
    Ok(identity::agencies_with_providers(&state.db).await?)
}

/// Starts a sign-in at `agency`'s provider: the address to send the person to, carrying a new
/// state, nonce and PKCE challenge (kept, for ten minutes, to check what comes back).
pub async fn begin(state: &AppState, agency: AgencyId) -> Result<String, AppError> {
    let p = identity::provider(&state.db, agency).await?.ok_or(AppError::NotFound)?;
    let d = state.providers.discovered(&p.issuer).await.map_err(|e| {
        tracing::warn!(error = %e, "an identity provider could not be reached");
        AppError::Unavailable {
            kind: "provider-unavailable",
            message: "Your organisation's sign-in service cannot be reached just now. Try again shortly.".to_owned(),
            retry_after_secs: 30,
        }
    })?;
    let random = || credentials::random_token().map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("no randomness")));
    let (state_token, nonce, verifier) = (random()?, random()?, random()?);
    let pending = Pending { agency, nonce: nonce.clone(), code_verifier: verifier.clone(), created_at: state.clock.now() };
    identity::remember(&state.db, &credentials::token_hash(&state_token), &pending).await?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &p.client_id)
        .append_pair("redirect_uri", &redirect_uri(state))
        .append_pair("scope", "openid email profile")
        .append_pair("state", &state_token)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let sep = if d.authorization_endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{}{sep}{query}", d.authorization_endpoint))
}

/// Finishes a sign-in the provider sent back: the state taken once, the code exchanged, the ID
/// token checked, the account found (and linked the first time), the session started. Every
/// failure is the same [`AppError::SignInRefused`], recorded.
pub async fn finish(origin: &Origin, state: &AppState, state_token: &str, code: &str) -> Result<SignedIn, AppError> {
    let now = state.clock.now();
    let address = origin.client_address.clone().unwrap_or_default();
    let agent = SystemAgent { sub: "fourthp-organisation-sign-in".to_owned(), request_id: origin.request_id.clone(), at: now };
    let refuse = async |why: &str| -> Result<SignedIn, AppError> {
        tracing::warn!(reason = why, "a sign-in through an organisation's provider was refused");
        sessions::record_failure(&state.db, Attempt::Unknown(&agent), &address, now, lock_for).await?;
        Err(AppError::SignInRefused)
    };
    let pending = identity::take(&state.db, &credentials::token_hash(state_token), now - Duration::minutes(PENDING_MINUTES)).await?;
    let Some(pending) = pending else { return refuse("an unknown, used or expired state").await };
    let Some(p) = identity::provider(&state.db, pending.agency).await? else { return refuse("the agency has no provider now").await };
    let claims = async {
        let d = state.providers.discovered(&p.issuer).await?;
        let tokens =
            state.providers.exchange(&d, &p.client_id, &p.client_secret, code, &pending.code_verifier, &redirect_uri(state)).await?;
        let mut claims = state.providers.verify(&p.issuer, &p.client_id, &tokens.id_token, &pending.nonce).await?;
        // Providers that keep the email out of the ID token give it at their userinfo endpoint.
        if claims.email.is_none() {
            if let Some(access) = &tokens.access_token {
                if let Some((email, verified)) = state.providers.userinfo_email(&d, access, &claims.sub).await? {
                    claims.email = Some(email);
                    claims.email_verified = Some(verified);
                }
            }
        }
        Ok::<_, crate::oidc::OidcError>(claims)
    }
    .await;
    let claims = match claims {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "an organisation's ID token was refused");
            return refuse("the code or the ID token").await;
        }
    };
    // The email links an account the first time only, and only when the provider vouches for it.
    let email = claims.email.as_deref().filter(|_| claims.email_verified == Some(true));
    let Some(candidate) = identity::candidate(&state.db, &p.issuer, &claims.sub, email).await? else {
        return refuse("no account for this person").await;
    };
    let user = candidate.user;
    let principal = user.principal().map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("an account's principal")))?;
    let ctx = origin.context(principal, now);
    let allowed =
        user.active && user.agency == Some(p.agency) && (candidate.linked || (!candidate.has_password && !candidate.linked_elsewhere));
    if !allowed {
        tracing::warn!(
            reason = "the account may not sign in through this provider",
            "a sign-in through an organisation's provider was refused"
        );
        sessions::record_failure(&state.db, Attempt::Account(&ctx, user.id), &address, now, lock_for).await?;
        return Err(AppError::SignInRefused);
    }
    let (id, csrf, new) = new_session(origin, state, now)?;
    let factor = SecondFactor::Provider { issuer: p.issuer.clone(), subject: claims.sub.clone() };
    if !sessions::start(&state.db, &ctx, user.id, &factor, &new).await? {
        sessions::record_failure(&state.db, Attempt::Account(&ctx, user.id), &address, now, lock_for).await?;
        return Err(AppError::SignInRefused);
    }
    Ok(SignedIn { session_id: id, handle: new.handle, user, csrf_token: csrf, expires_at: new.expires_at })
}
