//! Signing in with an agency's own identity provider (OpenID Connect): the provider each agency
//! uses, the sign-ins on their way through a provider (state, nonce, PKCE verifier, taken once),
//! and the accounts linked to a provider's subject.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::account::User;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::AgencyId;
use uuid::Uuid;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::{agencies, agency_identity_providers as idp, oidc_sign_ins, users};
use crate::users::UserRow;

/// An agency's identity provider and FourthP's client there.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    pub agency: AgencyId,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for IdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the client secret.
        f.debug_struct("IdentityProvider")
            .field("agency", &self.agency)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// Sets (or replaces) an agency's provider, audited (never the secret), in one transaction.
pub async fn set_provider(db: &Db, ctx: &AuditContext, p: &IdentityProvider) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let values = (
            idp::agency_id.eq(p.agency.into_uuid()),
            idp::issuer.eq(&p.issuer),
            idp::client_id.eq(&p.client_id),
            idp::client_secret.eq(&p.client_secret),
            idp::updated_by.eq(ctx.principal.subject.as_str()),
            idp::updated_at.eq(ctx.at),
        );
        diesel::insert_into(idp::table).values(values).on_conflict(idp::agency_id).do_update().set(values).execute(conn).await?;
        let entry = AuditEntry::change(
            AuditAction::Update,
            EntityType::Agency,
            p.agency.into_uuid(),
            None,
            vec!["identity_provider.issuer", "identity_provider.client_id", "identity_provider.client_secret"],
        );
        audit::record(conn, ctx, entry).await?;
        Ok(())
    })
    .await
}

/// The agency's provider, if it has one.
pub async fn provider(db: &Db, agency: AgencyId) -> Result<Option<IdentityProvider>, StoreError> {
    let mut conn = db.conn().await?;
    let row: Option<(Uuid, String, String, String)> = idp::table
        .find(agency.into_uuid())
        .select((idp::agency_id, idp::issuer, idp::client_id, idp::client_secret))
        .first(&mut conn)
        .await
        .optional()?;
    Ok(row.map(|(a, issuer, client_id, client_secret)| IdentityProvider {
        agency: AgencyId::from_uuid(a),
        issuer,
        client_id,
        client_secret,
    }))
}

/// The active agencies whose people sign in with their own provider, by name.
pub async fn agencies_with_providers(db: &Db) -> Result<Vec<(AgencyId, String)>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(Uuid, String)> = idp::table
        .inner_join(agencies::table)
        .filter(agencies::active.eq(true))
        .order(agencies::name.asc())
        .select((agencies::id, agencies::name))
        .load(&mut conn)
        .await?;
    Ok(rows.into_iter().map(|(id, name)| (AgencyId::from_uuid(id), name)).collect())
}

/// A sign-in sent to a provider: what must come back with it.
#[derive(Clone)]
pub struct Pending {
    pub agency: AgencyId,
    pub nonce: String,
    pub code_verifier: String,
    pub created_at: DateTime<Utc>,
}

/// Keeps a sign-in on its way, by the hash of its state.
pub async fn remember(db: &Db, state_hash: &[u8], p: &Pending) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    diesel::insert_into(oidc_sign_ins::table)
        .values((
            oidc_sign_ins::state_hash.eq(state_hash),
            oidc_sign_ins::agency_id.eq(p.agency.into_uuid()),
            oidc_sign_ins::nonce.eq(&p.nonce),
            oidc_sign_ins::code_verifier.eq(&p.code_verifier),
            oidc_sign_ins::created_at.eq(p.created_at),
        ))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Takes the sign-in with this state, if it was sent after `not_before`: once only. Sign-ins
/// older than that are forgotten on the way.
pub async fn take(db: &Db, state_hash: &[u8], not_before: DateTime<Utc>) -> Result<Option<Pending>, StoreError> {
    let mut conn = db.conn().await?;
    diesel::delete(oidc_sign_ins::table.filter(oidc_sign_ins::created_at.lt(not_before))).execute(&mut conn).await?;
    let row: Option<(Uuid, String, String, DateTime<Utc>)> = diesel::delete(oidc_sign_ins::table.find(state_hash))
        .returning((oidc_sign_ins::agency_id, oidc_sign_ins::nonce, oidc_sign_ins::code_verifier, oidc_sign_ins::created_at))
        .get_result(&mut conn)
        .await
        .optional()?;
    Ok(row.map(|(agency, nonce, code_verifier, created_at)| Pending {
        agency: AgencyId::from_uuid(agency),
        nonce,
        code_verifier,
        created_at,
    }))
}

/// An account a provider's sign-in may be for.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub user: User,
    /// Linked already to this subject (else found by email, to be linked).
    pub linked: bool,
    /// Has a FourthP password or second factor: it signs in with those, never through a provider.
    pub has_password: bool,
    /// Linked to another subject of some provider.
    pub linked_elsewhere: bool,
}

/// The account linked to `issuer` + `subject`; failing that, the one whose email is `email`.
pub async fn candidate(db: &Db, issuer: &str, subject: &str, email: Option<&str>) -> Result<Option<Candidate>, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let mut conn = db.conn().await?;
    let linked: Option<UserRow> = users::table
        .filter(users::oidc_issuer.eq(issuer))
        .filter(users::oidc_subject.eq(subject))
        .select(UserRow::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    if let Some(row) = linked {
        return Ok(Some(Candidate { user: User::try_from(row)?, linked: true, has_password: false, linked_elsewhere: false }));
    }
    let Some(email) = email else { return Ok(None) };
    #[allow(clippy::type_complexity, reason = "one row")]
    let found: Option<(UserRow, Option<String>, Option<Vec<u8>>, Option<String>)> = users::table
        .filter(sql::<Bool>("lower(email) = ").bind::<Text, _>(email.to_lowercase()))
        .select((UserRow::as_select(), users::password_hash, users::totp_secret, users::oidc_subject))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((row, password, totp, other)) = found else { return Ok(None) };
    Ok(Some(Candidate {
        user: User::try_from(row)?,
        linked: false,
        has_password: password.is_some() || totp.is_some(),
        linked_elsewhere: other.is_some(),
    }))
}
