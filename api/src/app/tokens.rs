//! Revoking a token FourthP issued (administrators): refused from then on, on this instance at
//! once and on every other within a second.

use fourthp_persistence::tokens;

use super::{admin_only, AppError};
use crate::auth::Caller;
use crate::state::AppState;

/// Revokes the token whose `jti` this is; an unknown or already revoked one is not found.
pub async fn revoke(caller: &Caller, state: &AppState, jti: uuid::Uuid) -> Result<(), AppError> {
    admin_only(caller)?;
    if !tokens::revoke(&state.db, &caller.ctx, jti).await? {
        return Err(AppError::NotFound);
    }
    state.revoked.insert(jti);
    Ok(())
}
