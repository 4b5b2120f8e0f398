//! Who gets the digest, and how often: every active agency's mailbox, and every active person
//! who has not turned it off; their preferences; the administrators who are told of failures.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::{AgencyId, UserId};
use fourthp_domain::notify::DigestFrequency;
use fourthp_domain::principal::{Role, Subject};
use uuid::Uuid;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::{agencies, users};

/// Who a digest goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// An agency's shared mailbox: what the agency owes.
    Mailbox { agency: AgencyId, agency_name: String, address: String, frequency: DigestFrequency },
    /// A person: what their agency owes; for coordinators, their cases' deadlines too.
    Person {
        user: UserId,
        subject: Subject,
        role: Role,
        agency: AgencyId,
        agency_name: String,
        address: String,
        frequency: DigestFrequency,
    },
}

impl Recipient {
    pub fn address(&self) -> &str {
        match self {
            Recipient::Mailbox { address, .. } | Recipient::Person { address, .. } => address,
        }
    }

    pub fn frequency(&self) -> DigestFrequency {
        match self {
            Recipient::Mailbox { frequency, .. } | Recipient::Person { frequency, .. } => *frequency,
        }
    }

    pub fn agency(&self) -> AgencyId {
        match self {
            Recipient::Mailbox { agency, .. } | Recipient::Person { agency, .. } => *agency,
        }
    }

    /// `agency:<id>` or `user:<id>`: what its unsubscribe link names.
    pub fn key(&self) -> String {
        match self {
            Recipient::Mailbox { agency, .. } => format!("agency:{agency}"),
            Recipient::Person { user, .. } => format!("user:{user}"),
        }
    }
}

/// Everyone who may get a digest (frequency not `off`), mailboxes first.
pub async fn recipients(db: &Db) -> Result<Vec<Recipient>, StoreError> {
    let mut conn = db.conn().await?;
    let boxes: Vec<(Uuid, String, Option<String>, String)> = agencies::table
        .filter(agencies::active.eq(true))
        .filter(agencies::notify_email.is_not_null())
        .filter(agencies::notify_digest.ne("off"))
        .order(agencies::name.asc())
        .select((agencies::id, agencies::name, agencies::notify_email, agencies::notify_digest))
        .load(&mut conn)
        .await?;
    let people: Vec<(Uuid, String, String, Uuid, String, String)> = users::table
        .inner_join(agencies::table)
        .filter(users::active.eq(true))
        .filter(agencies::active.eq(true))
        .filter(users::enrolled_at.is_not_null())
        .filter(users::digest.ne("off"))
        .filter(users::role.eq_any([Role::Coordinator.as_str(), Role::Partner.as_str()]))
        .order(users::email.asc())
        .select((users::id, users::email, users::role, agencies::id, agencies::name, users::digest))
        .load(&mut conn)
        .await?;
    let corrupt = || StoreError::internal("a digest preference that is not daily, weekly or off");
    let mut all = Vec::with_capacity(boxes.len() + people.len());
    for (agency, agency_name, address, frequency) in boxes {
        let Some(address) = address else { continue };
        all.push(Recipient::Mailbox {
            agency: AgencyId::from_uuid(agency),
            agency_name,
            address,
            frequency: DigestFrequency::parse(&frequency).ok_or_else(corrupt)?,
        });
    }
    for (user, address, role, agency, agency_name, frequency) in people {
        let user = UserId::from_uuid(user);
        all.push(Recipient::Person {
            subject: Subject::parse(&format!("user:{user}")).map_err(|_| StoreError::internal("an account id that is no subject"))?,
            user,
            role: Role::parse(&role).ok_or_else(|| StoreError::internal("user row with an invalid role"))?,
            agency: AgencyId::from_uuid(agency),
            agency_name,
            address,
            frequency: DigestFrequency::parse(&frequency).ok_or_else(corrupt)?,
        });
    }
    Ok(all)
}

/// The addresses of the active administrators.
pub async fn administrators(db: &Db) -> Result<Vec<String>, StoreError> {
    let mut conn = db.conn().await?;
    Ok(users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::enrolled_at.is_not_null())
        .select(users::email)
        .load(&mut conn)
        .await?)
}

/// A person's digest preference.
pub async fn preference(db: &Db, user: UserId) -> Result<Option<DigestFrequency>, StoreError> {
    let mut conn = db.conn().await?;
    let found: Option<String> = users::table.find(user.into_uuid()).select(users::digest).first(&mut conn).await.optional()?;
    Ok(found.as_deref().and_then(DigestFrequency::parse))
}

/// Sets a person's digest preference, audited; `false` when there is no such account.
pub async fn set_preference(db: &Db, ctx: &AuditContext, user: UserId, frequency: DigestFrequency) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    diesel_async::AsyncConnection::transaction::<_, StoreError, _>(&mut conn, async |conn| {
        let changed = diesel::update(users::table.find(user.into_uuid()))
            .set((users::digest.eq(frequency.as_str()), users::updated_at.eq(ctx.at)))
            .execute(conn)
            .await?;
        if changed == 1 {
            audit::record(conn, ctx, AuditEntry::change(AuditAction::Update, EntityType::User, user.into_uuid(), None, vec!["digest"]))
                .await?;
        }
        Ok(changed == 1)
    })
    .await
}

/// Turns an agency mailbox's digest off (its unsubscribe link), audited; `false` when there is
/// no such agency.
pub async fn mailbox_off(db: &Db, ctx: &AuditContext, agency: AgencyId) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    diesel_async::AsyncConnection::transaction::<_, StoreError, _>(&mut conn, async |conn| {
        let changed = diesel::update(agencies::table.find(agency.into_uuid()))
            .set((
                agencies::notify_digest.eq(DigestFrequency::Off.as_str()),
                agencies::version.eq(agencies::version + 1),
                agencies::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        if changed == 1 {
            let entry = AuditEntry::change(AuditAction::Update, EntityType::Agency, agency.into_uuid(), None, vec!["notify_digest"]);
            audit::record(conn, ctx, entry).await?;
        }
        Ok(changed == 1)
    })
    .await
}
