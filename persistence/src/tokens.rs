//! Tokens FourthP issues, by their `jti`: recorded when issued, revocable at once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::ApiClientId;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::issued_tokens;

/// What kind of token it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Minted on the command line (`fourthp token`, `serve --demo`).
    Cli,
    /// Issued to an API client (OAuth 2.0 client credentials).
    ClientCredentials,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Cli => "cli",
            TokenKind::ClientCredentials => "client_credentials",
        }
    }
}

/// A token issued.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub jti: uuid::Uuid,
    pub kind: TokenKind,
    pub subject: String,
    pub expires_at: DateTime<Utc>,
}

/// Records an issued token, with its audit record (`ctx`: who issued it).
pub async fn record(db: &Db, ctx: &AuditContext, token: &IssuedToken) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| insert(conn, ctx, token, None).await).await
}

/// Inserts an issued token (of `client`, if an API client holds it) and its audit record, in
/// the caller's transaction.
pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    token: &IssuedToken,
    client: Option<ApiClientId>,
) -> Result<(), StoreError> {
    diesel::insert_into(issued_tokens::table)
        .values((
            issued_tokens::jti.eq(token.jti),
            issued_tokens::kind.eq(token.kind.as_str()),
            issued_tokens::subject.eq(&token.subject),
            issued_tokens::client_id.eq(client.map(ApiClientId::into_uuid)),
            issued_tokens::issued_at.eq(ctx.at),
            issued_tokens::expires_at.eq(token.expires_at),
        ))
        .execute(conn)
        .await?;
    let entry = AuditEntry::change(AuditAction::Create, EntityType::Token, token.jti, None, vec!["subject", "expires_at"]);
    audit::record(conn, ctx, entry).await?;
    Ok(())
}

/// Revokes the token `jti`, audited. Returns false when no such token was issued (or it was
/// revoked already).
pub async fn revoke(db: &Db, ctx: &AuditContext, jti: uuid::Uuid) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let n = diesel::update(issued_tokens::table.find(jti).filter(issued_tokens::revoked_at.is_null()))
            .set((issued_tokens::revoked_at.eq(ctx.at), issued_tokens::revoked_by.eq(ctx.principal.subject.as_str())))
            .execute(conn)
            .await?;
        if n == 0 {
            return Ok(false);
        }
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Delete, EntityType::Token, jti, None, vec!["revoked_at"])).await?;
        Ok(true)
    })
    .await
}

/// The ids of revoked tokens that have not yet expired (the others are refused anyway).
pub async fn revoked(db: &Db, now: DateTime<Utc>) -> Result<Vec<uuid::Uuid>, StoreError> {
    let mut conn = db.conn().await?;
    Ok(issued_tokens::table
        .filter(issued_tokens::revoked_at.is_not_null())
        .filter(issued_tokens::expires_at.gt(now))
        .select(issued_tokens::jti)
        .load(&mut conn)
        .await?)
}
