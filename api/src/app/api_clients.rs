//! Partner systems (administrators): registering one with its secret, listing, reading and
//! revoking them with every token they hold.

use fourthp_domain::account::{ApiClient, NewApiClient};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::ApiClientId;
use fourthp_domain::paging::{Limit, Page};
use fourthp_persistence::api_clients::{self, CreateClientError};

use super::{admin_only, AppError};
use crate::auth::Caller;
use crate::credentials;
use crate::state::AppState;

impl From<CreateClientError> for AppError {
    fn from(e: CreateClientError) -> Self {
        match e {
            CreateClientError::UnknownAgency => AppError::invalid("agency_id", "is not a registered agency"),
            CreateClientError::Store(s) => AppError::Store(s),
        }
    }
}

/// A registered system, with its secret (shown once, stored only as a hash) and where it gets
/// its tokens.
#[derive(Debug)]
pub struct Registered {
    pub client: ApiClient,
    pub secret: String,
    pub token_endpoint: String,
}

/// Registers a partner system (administrators).
pub async fn register(caller: &Caller, state: &AppState, new: Result<NewApiClient, FieldErrors>) -> Result<Registered, AppError> {
    admin_only(caller)?;
    let new = new?;
    let secret = credentials::random_token()
        .map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("no randomness for a client secret")))?;
    let client = api_clients::create(&state.db, &caller.ctx, new, &credentials::token_hash(&secret)).await?;
    Ok(Registered { client, secret, token_endpoint: format!("{}/oauth/token", state.accounts.public_url.trim_end_matches('/')) })
}

/// The registered systems after the id `after`, revoked ones included (administrators).
pub async fn list(caller: &Caller, state: &AppState, limit: Limit, after: Option<uuid::Uuid>) -> Result<Page<ApiClient, String>, AppError> {
    admin_only(caller)?;
    Ok(api_clients::list(&state.db, limit, after).await?)
}

/// One registered system (administrators).
pub async fn get(caller: &Caller, state: &AppState, id: ApiClientId) -> Result<ApiClient, AppError> {
    admin_only(caller)?;
    api_clients::get(&state.db, id).await?.ok_or(AppError::NotFound)
}

/// Revokes a system and the tokens it holds, refused at once here (administrators).
pub async fn revoke(caller: &Caller, state: &AppState, id: ApiClientId) -> Result<(), AppError> {
    admin_only(caller)?;
    let jtis = api_clients::revoke(&state.db, &caller.ctx, id).await?.ok_or(AppError::NotFound)?;
    for jti in jtis {
        state.revoked.insert(jti);
    }
    Ok(())
}
