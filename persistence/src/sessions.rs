//! Sign-in and browser sessions. Session ids and CSRF tokens arrive hashed (SHA-256); the
//! password and second factor are checked by the caller against what [`sign_in_facts`] reads.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::account::User;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType};
use fourthp_domain::ids::UserId;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::{recovery_codes, sessions, sign_in_failures, users};
use crate::users::UserRow;

/// What checking a sign-in needs to know of the account with an email.
#[derive(Debug, Clone)]
pub struct SignInFacts {
    pub user: User,
    pub password_hash: Option<String>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub failed_sign_ins: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The account whose email is `email` (compared without case), if any.
pub async fn sign_in_facts(db: &Db, email: &str) -> Result<Option<SignInFacts>, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let mut conn = db.conn().await?;
    #[allow(clippy::type_complexity, reason = "one row")]
    let row: Option<(UserRow, Option<String>, Option<Vec<u8>>, Option<i64>, i32, Option<DateTime<Utc>>)> = users::table
        .filter(sql::<Bool>("lower(email) = ").bind::<Text, _>(email.to_lowercase()))
        .select((
            UserRow::as_select(),
            users::password_hash,
            users::totp_secret,
            users::totp_last_step,
            users::failed_sign_ins,
            users::locked_until,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((row, password_hash, totp_secret, totp_last_step, failed_sign_ins, locked_until)) = row else { return Ok(None) };
    Ok(Some(SignInFacts { user: User::try_from(row)?, password_hash, totp_secret, totp_last_step, failed_sign_ins, locked_until }))
}

/// Failed sign-ins from `address` since `since` (for the per-address limit).
pub async fn failures_from(db: &Db, address: &str, since: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut conn = db.conn().await?;
    Ok(sign_in_failures::table
        .filter(sign_in_failures::client_address.eq(address))
        .filter(sign_in_failures::at.gt(since))
        .count()
        .get_result(&mut conn)
        .await?)
}

/// Who a failed sign-in was for: an account (audited as its own principal), or an email no
/// account has (audited as the service's sign-in, with no entity).
#[derive(Debug, Clone)]
pub enum Attempt<'a> {
    Account(&'a AuditContext, UserId),
    /// An attempt at an account while it waits out a lock-out: refused and audited, but it
    /// does not lengthen the wait (nobody can keep another locked out by trying).
    WhileLocked(&'a AuditContext, UserId),
    Unknown(&'a audit::SystemAgent),
}

/// Records a failed sign-in: against the address, and against the account if there is one
/// (its failure count, and the lock-out `lock_for` gives for that count), with its audit record.
pub async fn record_failure(
    db: &Db,
    attempt: Attempt<'_>,
    address: &str,
    at: DateTime<Utc>,
    lock_for: fn(i32) -> Option<Duration>,
) -> Result<(), StoreError> {
    let (user, counts) = match attempt {
        Attempt::Account(_, id) => (Some(id), true),
        Attempt::WhileLocked(_, id) => (Some(id), false),
        Attempt::Unknown(_) => (None, false),
    };
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        diesel::insert_into(sign_in_failures::table)
            .values((sign_in_failures::client_address.eq(address), sign_in_failures::at.eq(at)))
            .execute(conn)
            .await?;
        // Kept a day: older failures no longer count towards anything.
        diesel::delete(sign_in_failures::table.filter(sign_in_failures::at.lt(at - Duration::days(1)))).execute(conn).await?;
        let mut fields = vec!["sign_in"];
        if let (Some(user), true) = (user, counts) {
            let failed: i32 = diesel::update(users::table.find(user.into_uuid()))
                .set(users::failed_sign_ins.eq(users::failed_sign_ins + 1))
                .returning(users::failed_sign_ins)
                .get_result(conn)
                .await?;
            if let Some(wait) = lock_for(failed) {
                diesel::update(users::table.find(user.into_uuid())).set(users::locked_until.eq(at + wait)).execute(conn).await?;
                fields.push("locked_until");
            }
        }
        let entry = AuditEntry {
            action: AuditAction::Execute,
            outcome: AuditOutcome::Failed,
            entity_type: EntityType::User,
            entity_id: user.map(UserId::into_uuid),
            case_id: None,
            changed_fields: fields,
            purpose: None,
        };
        match attempt {
            Attempt::Account(ctx, _) | Attempt::WhileLocked(ctx, _) => audit::record(conn, ctx, entry).await?,
            Attempt::Unknown(agent) => audit::record_system(conn, agent, entry, None).await?,
        };
        Ok(())
    })
    .await
}

/// The second factor a sign-in was confirmed with.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    /// A TOTP code of this time step (later codes only, from now on).
    Totp(i64),
    /// A recovery code, by its hash: used up by this sign-in.
    Recovery(Vec<u8>),
    /// The organisation's identity provider vouched for the person (its second factor is its
    /// own): the account is linked to its subject now if it was not yet, and only if it has no
    /// password and no other subject.
    Provider { issuer: String, subject: String },
}

/// A new session's stored parts.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: Vec<u8>,
    pub handle: uuid::Uuid,
    pub csrf_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Starts a session after a successful sign-in, in one transaction with its audit record: the
/// account's failures are forgotten, the TOTP step or recovery code is used up (a code already
/// used makes this return false and start nothing).
pub async fn start(db: &Db, ctx: &AuditContext, user: UserId, factor: &SecondFactor, new: &NewSession) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let used = match factor {
            SecondFactor::Totp(step) => {
                diesel::update(users::table.find(user.into_uuid()))
                    .filter(users::totp_last_step.is_null().or(users::totp_last_step.lt(*step)))
                    .set(users::totp_last_step.eq(*step))
                    .execute(conn)
                    .await?
            }
            SecondFactor::Recovery(hash) => {
                diesel::update(recovery_codes::table.find((user.into_uuid(), hash)))
                    .filter(recovery_codes::used_at.is_null())
                    .set(recovery_codes::used_at.eq(ctx.at))
                    .execute(conn)
                    .await?
            }
            SecondFactor::Provider { issuer, subject } => {
                let linked = users::oidc_issuer.eq(issuer).and(users::oidc_subject.eq(subject));
                let unlinked = users::oidc_subject.is_null().and(users::password_hash.is_null()).and(users::totp_secret.is_null());
                diesel::update(users::table.find(user.into_uuid()))
                    .filter(users::active.eq(true))
                    .filter(linked.or(unlinked))
                    .set((users::oidc_issuer.eq(issuer), users::oidc_subject.eq(subject)))
                    .execute(conn)
                    .await?
            }
        };
        if used != 1 {
            return Ok(false);
        }
        if let SecondFactor::Provider { .. } = factor {
            // Linked: an enrolment link still out would let a password in beside the provider.
            diesel::delete(crate::schema::enrolments::table.filter(crate::schema::enrolments::user_id.eq(user.into_uuid())))
                .execute(conn)
                .await?;
        }
        diesel::update(users::table.find(user.into_uuid()))
            .set((users::failed_sign_ins.eq(0), users::locked_until.eq(None::<DateTime<Utc>>), users::last_sign_in_at.eq(ctx.at)))
            .execute(conn)
            .await?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::id_hash.eq(&new.id_hash),
                sessions::handle.eq(new.handle),
                sessions::user_id.eq(user.into_uuid()),
                sessions::csrf_hash.eq(&new.csrf_hash),
                sessions::created_at.eq(ctx.at),
                sessions::last_seen_at.eq(ctx.at),
                sessions::expires_at.eq(new.expires_at),
                sessions::client_address.eq(new.client_address.as_deref()),
                sessions::user_agent.eq(new.user_agent.as_deref()),
            ))
            .execute(conn)
            .await?;
        let fields = match factor {
            SecondFactor::Totp(_) => vec!["sign_in", "totp"],
            SecondFactor::Recovery(_) => vec!["sign_in", "recovery_code"],
            SecondFactor::Provider { .. } => vec!["sign_in", "organisation_identity_provider"],
        };
        let entry = AuditEntry::change(AuditAction::Execute, EntityType::Session, new.handle, None, fields);
        audit::record(conn, ctx, entry).await?;
        Ok(true)
    })
    .await
}

/// A live session and the account behind it, as it is now.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub user: User,
    pub handle: uuid::Uuid,
    pub csrf_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// The session with this id hash, if it has not ended, passed its absolute expiry, or been idle
/// longer than `idle`, and its account is active. Notes the session as seen (at most once a
/// minute, to spare the database a write per request).
pub async fn live(db: &Db, id_hash: &[u8], now: DateTime<Utc>, idle: Duration) -> Result<Option<LiveSession>, StoreError> {
    let mut conn = db.conn().await?;
    #[allow(clippy::type_complexity, reason = "one row of a join")]
    let row: Option<(UserRow, uuid::Uuid, Vec<u8>, DateTime<Utc>, DateTime<Utc>)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::id_hash.eq(id_hash))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - idle))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), sessions::handle, sessions::csrf_hash, sessions::expires_at, sessions::last_seen_at))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((row, handle, csrf_hash, expires_at, last_seen)) = row else { return Ok(None) };
    if now - last_seen > Duration::seconds(60) {
        diesel::update(sessions::table.find(id_hash)).set(sessions::last_seen_at.eq(now)).execute(&mut conn).await?;
    }
    Ok(Some(LiveSession { user: User::try_from(row)?, handle, csrf_hash, expires_at }))
}

/// One of a person's sessions, for listing.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub handle: uuid::Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

/// The person's sessions that have not ended or expired, newest first.
pub async fn of_user(db: &Db, user: UserId, now: DateTime<Utc>, idle: Duration) -> Result<Vec<SessionSummary>, StoreError> {
    let mut conn = db.conn().await?;
    #[allow(clippy::type_complexity, reason = "rows of one table")]
    let rows: Vec<(uuid::Uuid, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, Option<String>, Option<String>)> = sessions::table
        .filter(sessions::user_id.eq(user.into_uuid()))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - idle))
        .order(sessions::created_at.desc())
        .select((
            sessions::handle,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::expires_at,
            sessions::client_address,
            sessions::user_agent,
        ))
        .load(&mut conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(handle, created_at, last_seen_at, expires_at, client_address, user_agent)| SessionSummary {
            handle,
            created_at,
            last_seen_at,
            expires_at,
            client_address,
            user_agent,
        })
        .collect())
}

/// Ends one of `user`'s sessions (signing out, or ending another device's), audited. Returns
/// false when the user has no such live session.
pub async fn end(db: &Db, ctx: &AuditContext, user: UserId, handle: uuid::Uuid) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let n = diesel::update(
            sessions::table
                .filter(sessions::handle.eq(handle))
                .filter(sessions::user_id.eq(user.into_uuid()))
                .filter(sessions::ended_at.is_null()),
        )
        .set(sessions::ended_at.eq(ctx.at))
        .execute(conn)
        .await?;
        if n == 0 {
            return Ok(false);
        }
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Delete, EntityType::Session, handle, None, vec!["ended_at"])).await?;
        Ok(true)
    })
    .await
}
