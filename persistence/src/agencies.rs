//! The agencies repository.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::agency::{Agency, AgencyKind, AgencyName, AgencyPatch, ContactEmail, ContactPhone, NewAgency};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::AgencyId;
use fourthp_domain::notify::DigestFrequency;
use fourthp_domain::paging::{Limit, Page};

use crate::audit;
use crate::db::{violated, Db, StoreError};
use crate::rows::{AgencyRow, AgencyWrite};
use crate::schema::agencies;

const NAME_KEY: &str = "agencies_name_key";

impl TryFrom<AgencyRow> for Agency {
    type Error = StoreError;

    fn try_from(r: AgencyRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::internal(format!("agency row with invalid {what}"));
        Ok(Agency {
            id: AgencyId::from_uuid(r.id),
            name: AgencyName::parse(&r.name).map_err(|_| corrupt("name"))?,
            kind: AgencyKind::parse(&r.kind).ok_or_else(|| corrupt("kind"))?,
            contact_email: r.contact_email.as_deref().map(ContactEmail::parse).transpose().map_err(|_| corrupt("email"))?,
            contact_phone: r.contact_phone.as_deref().map(ContactPhone::parse).transpose().map_err(|_| corrupt("phone"))?,
            notify_email: r.notify_email.as_deref().map(ContactEmail::parse).transpose().map_err(|_| corrupt("notify email"))?,
            notify_digest: DigestFrequency::parse(&r.notify_digest).ok_or_else(|| corrupt("notify digest"))?,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn write_of(a: &Agency) -> AgencyWrite<'_> {
    AgencyWrite {
        id: a.id.into_uuid(),
        name: a.name.as_str(),
        kind: a.kind.as_str(),
        contact_email: a.contact_email.as_ref().map(ContactEmail::as_str),
        contact_phone: a.contact_phone.as_ref().map(ContactPhone::as_str),
        notify_email: a.notify_email.as_ref().map(ContactEmail::as_str),
        notify_digest: a.notify_digest.as_str(),
        active: a.active,
        version: a.version,
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAgencyError {
    #[error("an agency with this name exists")]
    DuplicateName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for CreateAgencyError {
    fn from(e: DieselError) -> Self {
        match violated(&e, DatabaseErrorKind::UniqueViolation) {
            Some(c) if c == NAME_KEY => CreateAgencyError::DuplicateName,
            _ => CreateAgencyError::Store(e.into()),
        }
    }
}

/// Registers an agency and audits it, in one transaction.
pub async fn create(db: &Db, ctx: &AuditContext, new: NewAgency) -> Result<Agency, CreateAgencyError> {
    let agency = Agency {
        id: AgencyId::new_at(ctx.at),
        name: new.name,
        kind: new.kind,
        contact_email: new.contact_email,
        contact_phone: new.contact_phone,
        notify_email: new.notify_email,
        notify_digest: DigestFrequency::Daily,
        active: new.active,
        version: 1,
        created_at: ctx.at,
        updated_at: ctx.at,
    };
    let mut conn = db.conn().await?;
    conn.transaction::<_, CreateAgencyError, _>(async move |conn| {
        diesel::insert_into(agencies::table).values(write_of(&agency)).execute(conn).await?;
        let fields = vec!["name", "kind", "contact_email", "contact_phone", "notify_email", "active"];
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::Agency, agency.id.into_uuid(), None, fields)).await?;
        Ok(agency)
    })
    .await
}

pub async fn get(db: &Db, id: AgencyId) -> Result<Option<Agency>, StoreError> {
    let mut conn = db.conn().await?;
    let row = agencies::table.find(id.into_uuid()).select(AgencyRow::as_select()).first(&mut conn).await.optional()?;
    row.map(Agency::try_from).transpose()
}

/// Whether the agency exists and is active, seen from inside a transaction.
pub(crate) async fn is_active(conn: &mut AsyncPgConnection, id: AgencyId) -> Result<Option<bool>, StoreError> {
    Ok(agencies::table.find(id.into_uuid()).select(agencies::active).first(conn).await.optional()?)
}

/// Agencies ordered by name (case-insensitively); the cursor is the last name's key.
/// The names of the agencies `ids` (those that exist).
pub async fn names_of(db: &Db, ids: &[AgencyId]) -> Result<std::collections::HashMap<AgencyId, String>, StoreError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let mut conn = db.conn().await?;
    let uuids: Vec<uuid::Uuid> = ids.iter().map(|a| a.into_uuid()).collect();
    let rows: Vec<(uuid::Uuid, String)> =
        agencies::table.filter(agencies::id.eq_any(&uuids)).select((agencies::id, agencies::name)).load(&mut conn).await?;
    Ok(rows.into_iter().map(|(id, name)| (AgencyId::from_uuid(id), name)).collect())
}

/// Every agency by its name in lower case: its id and whether it is active.
pub async fn by_name(db: &Db) -> Result<std::collections::HashMap<String, (AgencyId, bool)>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(uuid::Uuid, String, bool)> =
        agencies::table.select((agencies::id, agencies::name, agencies::active)).load(&mut conn).await?;
    Ok(rows.into_iter().map(|(id, name, active)| (name.to_lowercase(), (AgencyId::from_uuid(id), active))).collect())
}

pub async fn list(db: &Db, limit: Limit, after: Option<&str>) -> Result<Page<Agency, String>, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    let mut conn = db.conn().await?;
    let lower_name = sql::<Text>("lower(name)");
    let mut query = agencies::table.select(AgencyRow::as_select()).order(lower_name.clone().asc()).into_boxed();
    if let Some(after) = after {
        query = query.filter(lower_name.gt(after.to_owned()));
    }
    let rows: Vec<AgencyRow> = query.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let agencies = rows.into_iter().map(Agency::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(agencies, limit, |a| a.name.uniqueness_key()))
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateAgencyError {
    #[error("no such agency")]
    NotFound,
    #[error("the agency has changed since it was read")]
    VersionMismatch,
    #[error("an agency with this name exists")]
    DuplicateName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for UpdateAgencyError {
    fn from(e: DieselError) -> Self {
        match violated(&e, DatabaseErrorKind::UniqueViolation) {
            Some(c) if c == NAME_KEY => UpdateAgencyError::DuplicateName,
            _ => UpdateAgencyError::Store(e.into()),
        }
    }
}

/// Applies `patch` if the agency is still at `expected_version` (None: any); audits the changed fields.
/// A patch that changes nothing leaves the agency (and its version) as it is.
pub async fn update(
    db: &Db,
    ctx: &AuditContext,
    id: AgencyId,
    expected_version: Option<i32>,
    patch: AgencyPatch,
) -> Result<Agency, UpdateAgencyError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, UpdateAgencyError, _>(async move |conn| {
        let row: AgencyRow = agencies::table
            .find(id.into_uuid())
            .select(AgencyRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(UpdateAgencyError::NotFound)?;
        let current = Agency::try_from(row)?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(UpdateAgencyError::VersionMismatch);
        }
        let (mut next, changed) = current.apply(patch);
        if changed.is_empty() {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at = ctx.at;
        diesel::update(agencies::table.find(id.into_uuid())).set(write_of(&next)).execute(conn).await?;
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Update, EntityType::Agency, id.into_uuid(), None, changed)).await?;
        Ok(next)
    })
    .await
}
