//! The national forum's store: the networks it accepts bundles from (by their Ed25519 public
//! key) and the bundles it imported, one per network and period, each with its signature.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::forum::BundleContent;
use fourthp_domain::ids::{ForumBundleId, ForumNetworkId};
use uuid::Uuid;

use crate::audit;
use crate::db::{violated, Db, StoreError};
use crate::schema::{forum_bundles, forum_networks};

/// A network the forum accepts bundles from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForumNetwork {
    pub id: ForumNetworkId,
    pub name: String,
    /// Its Ed25519 public key (32 bytes).
    pub public_key: Vec<u8>,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = forum_networks, check_for_backend(diesel::pg::Pg))]
struct NetworkRow {
    id: Uuid,
    name: String,
    public_key: Vec<u8>,
    registered_by: String,
    registered_at: DateTime<Utc>,
}

fn network_from(r: NetworkRow) -> ForumNetwork {
    ForumNetwork { id: ForumNetworkId::from_uuid(r.id), name: r.name, public_key: r.public_key, registered_at: r.registered_at }
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterNetworkError {
    #[error("a network with this name is registered")]
    NameTaken,
    #[error("a network with this public key is registered")]
    KeyTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for RegisterNetworkError {
    fn from(e: DieselError) -> Self {
        match violated(&e, DatabaseErrorKind::UniqueViolation).as_deref() {
            Some("forum_networks_name_idx") => RegisterNetworkError::NameTaken,
            Some("forum_networks_key_idx") => RegisterNetworkError::KeyTaken,
            _ => RegisterNetworkError::Store(e.into()),
        }
    }
}

/// Registers a network by its name and public key, audited, in one transaction.
pub async fn register_network(db: &Db, ctx: &AuditContext, name: &str, public_key: &[u8]) -> Result<ForumNetwork, RegisterNetworkError> {
    let mut conn = db.conn().await?;
    let row = NetworkRow {
        id: ForumNetworkId::new_at(ctx.at).into_uuid(),
        name: name.to_owned(),
        public_key: public_key.to_vec(),
        registered_by: ctx.principal.subject.as_str().to_owned(),
        registered_at: ctx.at,
    };
    conn.transaction::<_, RegisterNetworkError, _>(async |conn| {
        diesel::insert_into(forum_networks::table).values(&row).execute(conn).await?;
        let entry = AuditEntry::change(AuditAction::Create, EntityType::ForumNetwork, row.id, None, vec!["name", "public_key"]);
        audit::record(conn, ctx, entry).await?;
        Ok(())
    })
    .await?;
    Ok(network_from(row))
}

/// The registered networks, by name.
pub async fn networks(db: &Db) -> Result<Vec<ForumNetwork>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<NetworkRow> =
        forum_networks::table.order(forum_networks::name.asc()).select(NetworkRow::as_select()).load(&mut conn).await?;
    Ok(rows.into_iter().map(network_from).collect())
}

/// The network registered with `public_key`, if any.
pub async fn network_by_key(db: &Db, public_key: &[u8]) -> Result<Option<ForumNetwork>, StoreError> {
    let mut conn = db.conn().await?;
    let row: Option<NetworkRow> = forum_networks::table
        .filter(forum_networks::public_key.eq(public_key))
        .select(NetworkRow::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    Ok(row.map(network_from))
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The network already sent a bundle covering some of this period.
    #[error("the network's bundle for {from} to {to} covers part of this period")]
    Repeated { from: NaiveDate, to: NaiveDate },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for ImportError {
    fn from(e: DieselError) -> Self {
        ImportError::Store(e.into())
    }
}

/// Keeps a verified bundle of `network`, audited, unless the network already sent one whose
/// period overlaps it: the network's row is locked first, so two imports of the same period
/// at once keep one.
pub async fn import(
    db: &Db,
    ctx: &AuditContext,
    network: ForumNetworkId,
    content: &serde_json::Value,
    period: (NaiveDate, NaiveDate),
    signature: &[u8],
) -> Result<ForumBundleId, ImportError> {
    let mut conn = db.conn().await?;
    let id = ForumBundleId::new_at(ctx.at);
    conn.transaction::<_, ImportError, _>(async |conn| {
        forum_networks::table
            .filter(forum_networks::id.eq(network.into_uuid()))
            .select(forum_networks::id)
            .for_update()
            .first::<Uuid>(conn)
            .await?;
        let overlapping: Option<(NaiveDate, NaiveDate)> = forum_bundles::table
            .filter(forum_bundles::network_id.eq(network.into_uuid()))
            .filter(forum_bundles::period_from.le(period.1).and(forum_bundles::period_to.ge(period.0)))
            .select((forum_bundles::period_from, forum_bundles::period_to))
            .first(conn)
            .await
            .optional()?;
        if let Some((from, to)) = overlapping {
            return Err(ImportError::Repeated { from, to });
        }
        diesel::insert_into(forum_bundles::table)
            .values((
                forum_bundles::id.eq(id.into_uuid()),
                forum_bundles::network_id.eq(network.into_uuid()),
                forum_bundles::period_from.eq(period.0),
                forum_bundles::period_to.eq(period.1),
                forum_bundles::content.eq(content),
                forum_bundles::signature.eq(signature),
                forum_bundles::imported_by.eq(ctx.principal.subject.as_str()),
                forum_bundles::imported_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        let entry = AuditEntry::change(AuditAction::Create, EntityType::ForumBundle, id.into_uuid(), None, vec!["network", "period"]);
        audit::record(conn, ctx, entry).await?;
        Ok(())
    })
    .await?;
    Ok(id)
}

/// A bundle kept, with its network.
#[derive(Debug, Clone)]
pub struct KeptBundle {
    pub id: ForumBundleId,
    pub network: String,
    pub content: BundleContent,
    pub imported_at: DateTime<Utc>,
}

/// The bundles for exactly `from`..=`to`, by network name.
pub async fn bundles_for(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<Vec<KeptBundle>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(Uuid, String, serde_json::Value, DateTime<Utc>)> = forum_bundles::table
        .inner_join(forum_networks::table)
        .filter(forum_bundles::period_from.eq(from).and(forum_bundles::period_to.eq(to)))
        .order(forum_networks::name.asc())
        .select((forum_bundles::id, forum_networks::name, forum_bundles::content, forum_bundles::imported_at))
        .load(&mut conn)
        .await?;
    rows.into_iter()
        .map(|(id, network, content, imported_at)| {
            let content = serde_json::from_value(content).map_err(|_| StoreError::internal("forum bundle row with invalid content"))?;
            Ok(KeptBundle { id: ForumBundleId::from_uuid(id), network, content, imported_at })
        })
        .collect()
}

/// The periods bundles were imported for, newest first, with how many networks sent one.
pub async fn periods(db: &Db) -> Result<Vec<(NaiveDate, NaiveDate, i64)>, StoreError> {
    let mut conn = db.conn().await?;
    Ok(forum_bundles::table
        .group_by((forum_bundles::period_from, forum_bundles::period_to))
        .select((forum_bundles::period_from, forum_bundles::period_to, diesel::dsl::count_star()))
        .order((forum_bundles::period_from.desc(), forum_bundles::period_to.desc()))
        .load(&mut conn)
        .await?)
}
