//! Enrolment through a link: a person sets their password, then confirms their authenticator
//! with its first code. No password ever crosses another channel.

use fourthp_domain::account::NewPassword;
use fourthp_persistence::users;

use super::{AppError, Origin};
use crate::credentials::{self, recovery, totp};
use crate::state::AppState;

fn internal(what: &str) -> AppError {
    AppError::Store(fourthp_persistence::StoreError::internal(what))
}

/// Whose the link whose token is `token` is (their email), and the secret of a password step
/// already taken, if any; an unknown, used or expired link is not found.
pub async fn look_up(state: &AppState, token: &str) -> Result<(String, Option<Vec<u8>>), AppError> {
    let hash = credentials::token_hash(token);
    let found = users::enrolment(&state.db, &hash, state.clock.now()).await?.ok_or(AppError::NotFound)?;
    Ok((found.user.email.to_string(), found.pending.map(|(_, secret)| secret)))
}

/// One step of enrolment.
pub enum Step {
    Password(String),
    Totp(String),
}

/// What the person needs to finish enrolling, shown once: the TOTP secret, its `otpauth://`
/// URI for the app, and the single-use recovery codes.
pub struct Secrets {
    pub totp_secret: String,
    pub otpauth_uri: String,
    pub recovery_codes: Vec<String>,
}

/// What a step gives.
pub enum Outcome {
    Secrets(Secrets),
    /// Enrolment is complete: the person (this email) can sign in.
    Enrolled(String),
}

/// Takes one step of enrolment through the link whose token is `token`: an unknown, used or
/// expired link is not found.
pub async fn step(origin: &Origin, state: &AppState, token: &str, step: Step) -> Result<Outcome, AppError> {
    let token_hash = credentials::token_hash(token);
    let now = state.clock.now();
    let enrolment = users::enrolment(&state.db, &token_hash, now).await?.ok_or(AppError::NotFound)?;
    let user = enrolment.user;
    match step {
        Step::Password(password) => {
            let password = NewPassword::parse(&password, &user.email).map_err(|e| AppError::invalid("password", &e.to_string()))?;
            let pepper = state.accounts.pepper.clone();
            // Argon2id takes tens of milliseconds of CPU: off the request worker.
            let hash = actix_web::rt::task::spawn_blocking(move || credentials::hash_password(password.expose(), pepper.as_deref()))
                .await
                .map_err(|_| internal("password hashing"))?
                .map_err(|_| internal("password hashing"))?;
            let secret = totp::new_secret().map_err(|_| internal("no randomness for a secret"))?;
            let codes: Vec<String> = (0..recovery::COUNT)
                .map(|_| recovery::new_code())
                .collect::<Result<_, _>>()
                .map_err(|_| internal("no randomness for codes"))?;
            let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery::hash(c)).collect();
            if !users::set_pending(&state.db, &token_hash, &hash, &secret, &hashes).await? {
                return Err(AppError::NotFound);
            }
            Ok(Outcome::Secrets(Secrets {
                totp_secret: totp::base32(&secret),
                otpauth_uri: totp::uri(&state.accounts.issuer, user.email.as_str(), &secret),
                recovery_codes: codes,
            }))
        }
        Step::Totp(code) => {
            let Some((_, secret)) = enrolment.pending else {
                return Err(AppError::conflict("password-first", "Set a password through this link before confirming a code."));
            };
            let step = totp::verify(&secret, &code, now.timestamp(), None).ok_or_else(|| {
                AppError::invalid(
                    "totp",
                    "does not match: check the authenticator app was set up with this link's secret and the device's clock",
                )
            })?;
            let principal = user.principal().map_err(|_| internal("an account's principal"))?;
            let ctx = origin.context(principal, now);
            if !users::complete(&state.db, &ctx, &token_hash, user.id, step).await? {
                return Err(AppError::NotFound);
            }
            Ok(Outcome::Enrolled(user.email.to_string()))
        }
    }
}
