//! The accounts repository: users, their enrolment links and recovery codes. Secrets arrive
//! here already hashed (Argon2id for passwords, SHA-256 for tokens and codes); none is ever
//! audited.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::account::{DisplayName, Email, NewUser, User};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::{AgencyId, UserId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Role;

use crate::audit;
use crate::db::{violated, Db, StoreError};
use crate::schema::{enrolments, recovery_codes, sessions, users};

const EMAIL_KEY: &str = "users_email_key";

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub(crate) struct UserRow {
    id: uuid::Uuid,
    email: String,
    display_name: String,
    role: String,
    agency_id: Option<uuid::Uuid>,
    active: bool,
    enrolled_at: Option<DateTime<Utc>>,
    last_sign_in_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::internal(format!("user row with invalid {what}"));
        Ok(User {
            id: UserId::from_uuid(r.id),
            email: Email::parse(&r.email).map_err(|_| corrupt("email"))?,
            display_name: DisplayName::parse(&r.display_name).map_err(|_| corrupt("display_name"))?,
            role: Role::parse(&r.role).ok_or_else(|| corrupt("role"))?,
            agency: r.agency_id.map(AgencyId::from_uuid),
            active: r.active,
            enrolled_at: r.enrolled_at,
            last_sign_in_at: r.last_sign_in_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A single-use enrolment link: the SHA-256 of its token, and when it stops working.
#[derive(Debug, Clone)]
pub struct EnrolmentLink {
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("an account with this email exists")]
    DuplicateEmail,
    #[error("the agency is not registered")]
    UnknownAgency,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for CreateUserError {
    fn from(e: DieselError) -> Self {
        match (violated(&e, DatabaseErrorKind::UniqueViolation), violated(&e, DatabaseErrorKind::ForeignKeyViolation)) {
            (Some(c), _) if c == EMAIL_KEY => CreateUserError::DuplicateEmail,
            (_, Some(_)) => CreateUserError::UnknownAgency,
            _ => CreateUserError::Store(e.into()),
        }
    }
}

async fn insert_link(conn: &mut AsyncPgConnection, user: UserId, link: &EnrolmentLink, now: DateTime<Utc>) -> Result<(), DieselError> {
    // A new link replaces any earlier one that was not used.
    diesel::delete(enrolments::table.filter(enrolments::user_id.eq(user.into_uuid())).filter(enrolments::used_at.is_null()))
        .execute(conn)
        .await?;
    diesel::insert_into(enrolments::table)
        .values((
            enrolments::token_hash.eq(&link.token_hash),
            enrolments::user_id.eq(user.into_uuid()),
            enrolments::created_at.eq(now),
            enrolments::expires_at.eq(link.expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates an account with its enrolment link, and audits it, in one transaction.
pub async fn create(db: &Db, ctx: &AuditContext, new: NewUser, link: &EnrolmentLink) -> Result<User, CreateUserError> {
    let user = User {
        id: UserId::new_at(ctx.at),
        email: new.email,
        display_name: new.display_name,
        role: new.role,
        agency: new.agency,
        active: true,
        enrolled_at: None,
        last_sign_in_at: None,
        version: 1,
        created_at: ctx.at,
        updated_at: ctx.at,
    };
    let mut conn = db.conn().await?;
    conn.transaction::<_, CreateUserError, _>(async |conn| {
        diesel::insert_into(users::table)
            .values((
                users::id.eq(user.id.into_uuid()),
                users::email.eq(user.email.as_str()),
                users::display_name.eq(user.display_name.as_str()),
                users::role.eq(user.role.as_str()),
                users::agency_id.eq(user.agency.map(AgencyId::into_uuid)),
                users::active.eq(true),
                users::created_at.eq(ctx.at),
                users::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        insert_link(conn, user.id, link, ctx.at).await?;
        let fields = vec!["email", "display_name", "role", "agency_id", "active", "enrolment_link"];
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::User, user.id.into_uuid(), None, fields)).await?;
        Ok(())
    })
    .await?;
    Ok(user)
}

pub async fn get(db: &Db, id: UserId) -> Result<Option<User>, StoreError> {
    let mut conn = db.conn().await?;
    let row = users::table.find(id.into_uuid()).select(UserRow::as_select()).first(&mut conn).await.optional()?;
    row.map(User::try_from).transpose()
}

/// The active account an identity provider's token names: by `sub` when it is the account's
/// own subject (`user:<id>`, or the bare id), else by email (the `email` claim, or a `sub` that
/// is an email address), compared without case. None when no such account is active.
pub async fn for_identity(db: &Db, sub: &str, email: Option<&str>) -> Result<Option<User>, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let mut conn = db.conn().await?;
    if let Ok(id) = uuid::Uuid::try_parse(sub.strip_prefix("user:").unwrap_or(sub)) {
        let row = users::table.find(id).filter(users::active).select(UserRow::as_select()).first(&mut conn).await.optional()?;
        if let Some(row) = row {
            return User::try_from(row).map(Some);
        }
    }
    let Some(email) = email.or_else(|| sub.contains('@').then_some(sub)) else { return Ok(None) };
    let row = users::table
        .filter(sql::<Bool>("lower(email) = ").bind::<Text, _>(email.to_lowercase()))
        .filter(users::active)
        .select(UserRow::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    row.map(User::try_from).transpose()
}

/// Accounts by email (case-insensitively); the cursor is the last email, lower case.
pub async fn list(db: &Db, limit: Limit, after: Option<&str>) -> Result<Page<User, String>, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    let mut conn = db.conn().await?;
    let key = sql::<Text>("lower(email)");
    let mut query = users::table.select(UserRow::as_select()).order(key.clone().asc()).into_boxed();
    if let Some(after) = after {
        query = query.filter(key.gt(after.to_owned()));
    }
    let rows: Vec<UserRow> = query.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let users = rows.into_iter().map(User::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(users, limit, |u| u.email.normalised()))
}

/// Changes to an account; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<DisplayName>,
    pub role: Option<Role>,
    /// `Some(None)` removes the agency.
    pub agency: Option<Option<AgencyId>>,
    pub active: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateUserError {
    #[error("no such user")]
    NotFound,
    #[error("the account has changed since it was read")]
    VersionMismatch,
    #[error("coordinators and partners belong to an agency")]
    AgencyRequired,
    #[error("the agency is not registered")]
    UnknownAgency,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for UpdateUserError {
    fn from(e: DieselError) -> Self {
        match violated(&e, DatabaseErrorKind::ForeignKeyViolation) {
            Some(_) => UpdateUserError::UnknownAgency,
            None => UpdateUserError::Store(e.into()),
        }
    }
}

/// Ends every live session of `user` (deactivation, reset): their next request is refused.
pub(crate) async fn end_sessions(conn: &mut AsyncPgConnection, user: UserId, now: DateTime<Utc>) -> Result<usize, DieselError> {
    diesel::update(sessions::table.filter(sessions::user_id.eq(user.into_uuid())).filter(sessions::ended_at.is_null()))
        .set(sessions::ended_at.eq(now))
        .execute(conn)
        .await
}

/// Changes an account (administrators), if it is at `expected` version (`None`: any). A role or
/// agency change takes effect on the person's next request; deactivation ends their sessions.
pub async fn update(db: &Db, ctx: &AuditContext, id: UserId, expected: Option<i32>, patch: UserPatch) -> Result<User, UpdateUserError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, UpdateUserError, _>(async |conn| {
        let row: UserRow = users::table
            .find(id.into_uuid())
            .select(UserRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(UpdateUserError::NotFound)?;
        let current = User::try_from(row)?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(UpdateUserError::VersionMismatch);
        }
        let mut next = current.clone();
        let mut changed = Vec::new();
        if let Some(n) = patch.display_name.filter(|n| *n != current.display_name) {
            next.display_name = n;
            changed.push("display_name");
        }
        if let Some(r) = patch.role.filter(|r| *r != current.role) {
            next.role = r;
            changed.push("role");
        }
        if let Some(a) = patch.agency.filter(|a| *a != current.agency) {
            next.agency = a;
            changed.push("agency_id");
        }
        if let Some(a) = patch.active.filter(|a| *a != current.active) {
            next.active = a;
            changed.push("active");
        }
        if next.role.requires_agency() && next.agency.is_none() {
            return Err(UpdateUserError::AgencyRequired);
        }
        if changed.is_empty() {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = ctx.at;
        diesel::update(users::table.find(id.into_uuid()))
            .set((
                users::display_name.eq(next.display_name.as_str()),
                users::role.eq(next.role.as_str()),
                users::agency_id.eq(next.agency.map(AgencyId::into_uuid)),
                users::active.eq(next.active),
                users::version.eq(next.version),
                users::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        if !next.active {
            end_sessions(conn, id, ctx.at).await?;
        }
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Update, EntityType::User, id.into_uuid(), None, changed)).await?;
        Ok(next)
    })
    .await
}

/// Issues a new enrolment link (an administrator's reset): the account's credentials and
/// recovery codes are cleared and its sessions ended, so nobody signs in until the person has
/// enrolled again. Returns false when there is no such account.
pub async fn reset(db: &Db, ctx: &AuditContext, id: UserId, link: &EnrolmentLink) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let n = diesel::update(users::table.find(id.into_uuid()))
            .set((
                users::password_hash.eq(None::<String>),
                users::totp_secret.eq(None::<Vec<u8>>),
                users::totp_last_step.eq(None::<i64>),
                users::enrolled_at.eq(None::<DateTime<Utc>>),
                // Enrolling again with a password ends signing in through the organisation.
                users::oidc_issuer.eq(None::<String>),
                users::oidc_subject.eq(None::<String>),
                users::failed_sign_ins.eq(0),
                users::locked_until.eq(None::<DateTime<Utc>>),
                users::version.eq(users::version + 1),
                users::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        if n == 0 {
            return Ok(false);
        }
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(id.into_uuid()))).execute(conn).await?;
        end_sessions(conn, id, ctx.at).await?;
        insert_link(conn, id, link, ctx.at).await?;
        let fields = vec!["credentials", "enrolment_link"];
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Execute, EntityType::User, id.into_uuid(), None, fields)).await?;
        Ok(true)
    })
    .await
}

/// An enrolment link as found: whose, and what the person has set so far.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub user: User,
    pub expires_at: DateTime<Utc>,
    /// Set by the first step (the password), until a TOTP code confirms it.
    pub pending: Option<(String, Vec<u8>)>,
}

/// The unused, unexpired link with this token hash, for an active account.
pub async fn enrolment(db: &Db, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<Enrolment>, StoreError> {
    let mut conn = db.conn().await?;
    #[allow(clippy::type_complexity, reason = "one row of a join")]
    let found: Option<(UserRow, DateTime<Utc>, Option<String>, Option<Vec<u8>>)> = enrolments::table
        .inner_join(users::table)
        .filter(enrolments::token_hash.eq(token_hash))
        .filter(enrolments::used_at.is_null())
        .filter(enrolments::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), enrolments::expires_at, enrolments::pending_password_hash, enrolments::pending_totp_secret))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((row, expires_at, password, secret)) = found else { return Ok(None) };
    Ok(Some(Enrolment { user: User::try_from(row)?, expires_at, pending: password.zip(secret) }))
}

/// Keeps the password hash, TOTP secret and recovery code hashes chosen at enrolment until a
/// code confirms them (choosing again replaces them).
pub async fn set_pending(
    db: &Db,
    token_hash: &[u8],
    password_hash: &str,
    totp_secret: &[u8],
    recovery_hashes: &[Vec<u8>],
) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    let n = diesel::update(enrolments::table.find(token_hash).filter(enrolments::used_at.is_null()))
        .set((
            enrolments::pending_password_hash.eq(password_hash),
            enrolments::pending_totp_secret.eq(totp_secret),
            enrolments::pending_recovery.eq(recovery_hashes),
        ))
        .execute(&mut conn)
        .await?;
    Ok(n == 1)
}

/// Completes an enrolment confirmed by a TOTP code of `step`: the pending credentials become
/// the account's, the recovery codes replace any earlier ones, the link is used up. Audited as
/// the person themself (`ctx`). Returns false if the link was used or changed meanwhile.
pub async fn complete(db: &Db, ctx: &AuditContext, token_hash: &[u8], user: UserId, step: i64) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        #[allow(clippy::type_complexity, reason = "one row")]
        let pending: Option<(Option<String>, Option<Vec<u8>>, Option<Vec<Vec<u8>>>)> = enrolments::table
            .find(token_hash)
            .filter(enrolments::used_at.is_null())
            .filter(enrolments::user_id.eq(user.into_uuid()))
            .select((enrolments::pending_password_hash, enrolments::pending_totp_secret, enrolments::pending_recovery))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((Some(password_hash), Some(secret), Some(recovery_hashes))) = pending else { return Ok(false) };
        diesel::update(enrolments::table.find(token_hash)).set(enrolments::used_at.eq(ctx.at)).execute(conn).await?;
        // An account that signs in through its organisation's provider has no password.
        let enrolled = diesel::update(users::table.find(user.into_uuid()))
            .filter(users::oidc_issuer.is_null())
            .set((
                users::password_hash.eq(&password_hash),
                users::totp_secret.eq(&secret),
                users::totp_last_step.eq(step),
                users::enrolled_at.eq(ctx.at),
                users::failed_sign_ins.eq(0),
                users::locked_until.eq(None::<DateTime<Utc>>),
                users::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        if enrolled != 1 {
            return Ok(false);
        }
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user.into_uuid()))).execute(conn).await?;
        let rows: Vec<_> =
            recovery_hashes.iter().map(|h| (recovery_codes::user_id.eq(user.into_uuid()), recovery_codes::code_hash.eq(h))).collect();
        diesel::insert_into(recovery_codes::table).values(rows).execute(conn).await?;
        let fields = vec!["password", "totp", "recovery_codes"];
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Update, EntityType::User, user.into_uuid(), None, fields)).await?;
        Ok(true)
    })
    .await
}

/// The names of the people the audit subjects `subjects` are (`user:<id>`), for showing who
/// did something: subjects of no account (a partner system, a token, the command line) are left
/// out.
pub async fn names_of(db: &Db, subjects: &[String]) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let ids: Vec<uuid::Uuid> =
        subjects.iter().filter_map(|s| s.strip_prefix("user:")).filter_map(|id| uuid::Uuid::try_parse(id).ok()).collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let mut conn = db.conn().await?;
    let rows: Vec<(uuid::Uuid, String)> =
        users::table.filter(users::id.eq_any(&ids)).select((users::id, users::display_name)).load(&mut conn).await?;
    Ok(rows.into_iter().map(|(id, name)| (format!("user:{id}"), name)).collect())
}
