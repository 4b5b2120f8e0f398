//! People's accounts (administrators): adding one with its enrolment link, listing, changing,
//! and issuing a new link. The API, the accounts page and `fourthp user add` all come here.

use chrono::{DateTime, Utc};
use fourthp_domain::account::{DisplayName, Email, NewUser, User};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, UserId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Role;
use fourthp_persistence::users::{self, CreateUserError, EnrolmentLink, UpdateUserError, UserPatch};
use fourthp_persistence::Db;

use super::{admin_only, AppError};
use crate::auth::Caller;
use crate::credentials;
use crate::state::Accounts;

impl From<CreateUserError> for AppError {
    fn from(e: CreateUserError) -> Self {
        match e {
            CreateUserError::DuplicateEmail => AppError::conflict("duplicate-email", "An account with this email exists."),
            CreateUserError::UnknownAgency => AppError::invalid("agency_id", "is not a registered agency"),
            CreateUserError::Store(s) => AppError::Store(s),
        }
    }
}

impl From<UpdateUserError> for AppError {
    fn from(e: UpdateUserError) -> Self {
        match e {
            UpdateUserError::NotFound => AppError::NotFound,
            UpdateUserError::VersionMismatch => AppError::Stale,
            UpdateUserError::AgencyRequired => AppError::invalid("agency_id", "is required for coordinators and partners"),
            UpdateUserError::UnknownAgency => AppError::invalid("agency_id", "is not a registered agency"),
            UpdateUserError::Store(s) => AppError::Store(s),
        }
    }
}

/// An enrolment link to give the person, shown once: through it they set their password and
/// second factor.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

/// A new enrolment link for the service at `public_url`, valid `hours`: the link (shown once)
/// and what is stored (the token's hash).
pub fn new_enrolment_link(public_url: &str, hours: i64, now: DateTime<Utc>) -> Result<(String, EnrolmentLink), credentials::NoRandomness> {
    let token = credentials::random_token()?;
    let link = format!("{}/app/enrol/{token}", public_url.trim_end_matches('/'));
    Ok((link, EnrolmentLink { token_hash: credentials::token_hash(&token), expires_at: now + chrono::Duration::hours(hours) }))
}

/// A new account's fields, each at fault named as `email`, `display_name` or `agency_id`.
pub fn parse_new_user(email: &str, display_name: &str, role: Role, agency: Option<AgencyId>) -> Result<NewUser, FieldErrors> {
    let mut errs = FieldErrors::new();
    let email = errs.check("email", Email::parse(email));
    let name = errs.check("display_name", DisplayName::parse(display_name));
    let (Some(email), Some(name)) = (email, name) else { return Err(errs) };
    NewUser::new(email, name, role, agency).map_err(|e| {
        let mut errs = FieldErrors::new();
        errs.push("agency_id", e.to_string());
        errs
    })
}

fn invitation(accounts: &Accounts, now: DateTime<Utc>) -> Result<(Invitation, EnrolmentLink), AppError> {
    let (link, stored) = new_enrolment_link(&accounts.public_url, accounts.enrolment_hours, now)
        .map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("no randomness for an enrolment link")))?;
    Ok((Invitation { link, expires_at: stored.expires_at }, stored))
}

/// Adds an account with its enrolment link (administrators).
pub async fn add(caller: &Caller, db: &Db, accounts: &Accounts, new: Result<NewUser, FieldErrors>) -> Result<(User, Invitation), AppError> {
    admin_only(caller)?;
    let new = new?;
    let (invitation, stored) = invitation(accounts, caller.ctx.at)?;
    let user = users::create(db, &caller.ctx, new, &stored).await?;
    Ok((user, invitation))
}

/// Accounts by email, after the email `after` (administrators).
pub async fn list(caller: &Caller, db: &Db, limit: Limit, after: Option<&str>) -> Result<Page<User, String>, AppError> {
    admin_only(caller)?;
    Ok(users::list(db, limit, after).await?)
}

/// One account (administrators).
pub async fn get(caller: &Caller, db: &Db, id: UserId) -> Result<User, AppError> {
    admin_only(caller)?;
    users::get(db, id).await?.ok_or(AppError::NotFound)
}

/// Changes an account still at version `expected` when given (administrators): deactivating
/// ends its sessions at once.
pub async fn change(
    caller: &Caller,
    db: &Db,
    id: UserId,
    expected: Option<i32>,
    patch: Result<UserPatch, FieldErrors>,
) -> Result<User, AppError> {
    admin_only(caller)?;
    Ok(users::update(db, &caller.ctx, id, expected, patch?).await?)
}

/// A new enrolment link for an account (administrators): its password, second factor and
/// recovery codes stop working and its sessions end until the person enrols again.
pub async fn reset(caller: &Caller, db: &Db, accounts: &Accounts, id: UserId) -> Result<Invitation, AppError> {
    admin_only(caller)?;
    let (invitation, stored) = invitation(accounts, caller.ctx.at)?;
    if !users::reset(db, &caller.ctx, id, &stored).await? {
        return Err(AppError::NotFound);
    }
    Ok(invitation)
}
