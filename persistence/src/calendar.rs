//! People's calendar feeds: a secret URL per person (only its token's SHA-256 is kept), made
//! anew (the old one stops) or revoked.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::UserId;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::{calendar_feeds, users};

/// Makes `user`'s feed with the token hash `hash`, revoking any earlier one; audited.
pub async fn create(db: &Db, ctx: &AuditContext, user: UserId, hash: &[u8]) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        diesel::update(
            calendar_feeds::table.filter(calendar_feeds::user_id.eq(user.into_uuid())).filter(calendar_feeds::revoked_at.is_null()),
        )
        .set(calendar_feeds::revoked_at.eq(Some(ctx.at)))
        .execute(conn)
        .await?;
        diesel::insert_into(calendar_feeds::table)
            .values((
                calendar_feeds::token_hash.eq(hash),
                calendar_feeds::user_id.eq(user.into_uuid()),
                calendar_feeds::created_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::CalendarFeed, user.into_uuid(), None, vec!["token"]))
            .await?;
        Ok(())
    })
    .await
}

/// Revokes `user`'s feed; `false` when there was none.
pub async fn revoke(db: &Db, ctx: &AuditContext, user: UserId) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let n = diesel::update(
            calendar_feeds::table.filter(calendar_feeds::user_id.eq(user.into_uuid())).filter(calendar_feeds::revoked_at.is_null()),
        )
        .set(calendar_feeds::revoked_at.eq(Some(ctx.at)))
        .execute(conn)
        .await?;
        if n > 0 {
            audit::record(
                conn,
                ctx,
                AuditEntry::change(AuditAction::Delete, EntityType::CalendarFeed, user.into_uuid(), None, vec!["token"]),
            )
            .await?;
        }
        Ok(n > 0)
    })
    .await
}

/// Whether `user` has a live feed, and since when.
pub async fn live_since(db: &Db, user: UserId) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut conn = db.conn().await?;
    Ok(calendar_feeds::table
        .filter(calendar_feeds::user_id.eq(user.into_uuid()))
        .filter(calendar_feeds::revoked_at.is_null())
        .select(calendar_feeds::created_at)
        .first(&mut conn)
        .await
        .optional()?)
}

/// The active account whose live feed has the token hash `hash`.
pub async fn owner(db: &Db, hash: &[u8]) -> Result<Option<UserId>, StoreError> {
    let mut conn = db.conn().await?;
    let found: Option<uuid::Uuid> = calendar_feeds::table
        .inner_join(users::table)
        .filter(calendar_feeds::token_hash.eq(hash))
        .filter(calendar_feeds::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select(users::id)
        .first(&mut conn)
        .await
        .optional()?;
    Ok(found.map(UserId::from_uuid))
}
