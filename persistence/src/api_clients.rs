//! Partner systems' API clients (OAuth 2.0 client credentials): registered by administrators,
//! authenticated by a secret kept only as its SHA-256, revocable with every token they hold.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::account::{ApiClient, ClientName, NewApiClient};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType};
use fourthp_domain::ids::{AgencyId, ApiClientId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Role;

use crate::audit::{self, SystemAgent};
use crate::db::{violated, Db, StoreError};
use crate::schema::{api_clients, issued_tokens};
use crate::tokens::{self, IssuedToken};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = api_clients, check_for_backend(diesel::pg::Pg))]
struct ClientRow {
    id: uuid::Uuid,
    name: String,
    role: String,
    agency_id: Option<uuid::Uuid>,
    created_by: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<ClientRow> for ApiClient {
    type Error = StoreError;

    fn try_from(r: ClientRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::internal(format!("api client row with invalid {what}"));
        Ok(ApiClient {
            id: ApiClientId::from_uuid(r.id),
            name: ClientName::parse(&r.name).map_err(|_| corrupt("name"))?,
            role: Role::parse(&r.role).ok_or_else(|| corrupt("role"))?,
            agency: r.agency_id.map(AgencyId::from_uuid),
            created_by: r.created_by,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateClientError {
    #[error("the agency is not registered")]
    UnknownAgency,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for CreateClientError {
    fn from(e: DieselError) -> Self {
        match violated(&e, DatabaseErrorKind::ForeignKeyViolation) {
            Some(_) => CreateClientError::UnknownAgency,
            None => CreateClientError::Store(e.into()),
        }
    }
}

/// Registers a client whose secret hashes to `secret_hash`, audited (never the secret).
pub async fn create(db: &Db, ctx: &AuditContext, new: NewApiClient, secret_hash: &[u8]) -> Result<ApiClient, CreateClientError> {
    let client = ApiClient {
        id: ApiClientId::new_at(ctx.at),
        name: new.name,
        role: new.role,
        agency: new.agency,
        created_by: ctx.principal.subject.as_str().to_owned(),
        created_at: ctx.at,
        revoked_at: None,
    };
    let mut conn = db.conn().await?;
    conn.transaction::<_, CreateClientError, _>(async |conn| {
        diesel::insert_into(api_clients::table)
            .values((
                api_clients::id.eq(client.id.into_uuid()),
                api_clients::name.eq(client.name.as_str()),
                api_clients::role.eq(client.role.as_str()),
                api_clients::agency_id.eq(client.agency.map(AgencyId::into_uuid)),
                api_clients::secret_hash.eq(secret_hash),
                api_clients::created_by.eq(&client.created_by),
                api_clients::created_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        let fields = vec!["name", "role", "agency_id", "secret"];
        let entry = AuditEntry::change(AuditAction::Create, EntityType::ApiClient, client.id.into_uuid(), None, fields);
        audit::record(conn, ctx, entry).await?;
        Ok(())
    })
    .await?;
    Ok(client)
}

pub async fn get(db: &Db, id: ApiClientId) -> Result<Option<ApiClient>, StoreError> {
    let mut conn = db.conn().await?;
    let row = api_clients::table.find(id.into_uuid()).select(ClientRow::as_select()).first(&mut conn).await.optional()?;
    row.map(ApiClient::try_from).transpose()
}

/// Clients in the order they were registered (ids are time-ordered); the cursor is the last id.
pub async fn list(db: &Db, limit: Limit, after: Option<uuid::Uuid>) -> Result<Page<ApiClient, String>, StoreError> {
    let mut conn = db.conn().await?;
    let mut query = api_clients::table.select(ClientRow::as_select()).order(api_clients::id.asc()).into_boxed();
    if let Some(after) = after {
        query = query.filter(api_clients::id.gt(after));
    }
    let rows: Vec<ClientRow> = query.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let clients = rows.into_iter().map(ApiClient::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(clients, limit, |c| c.id.to_string()))
}

/// A client that has not been revoked, with the hash of its secret (for authenticating it).
pub async fn for_authentication(db: &Db, id: ApiClientId) -> Result<Option<(ApiClient, Vec<u8>)>, StoreError> {
    let mut conn = db.conn().await?;
    let row: Option<(ClientRow, Vec<u8>)> = api_clients::table
        .find(id.into_uuid())
        .filter(api_clients::revoked_at.is_null())
        .select((ClientRow::as_select(), api_clients::secret_hash))
        .first(&mut conn)
        .await
        .optional()?;
    row.map(|(r, hash)| ApiClient::try_from(r).map(|c| (c, hash))).transpose()
}

/// Records a failed client authentication (an unknown or revoked client, or a wrong secret),
/// as the service's token endpoint: never the secret that was sent.
pub async fn record_failure(db: &Db, agent: &SystemAgent, client: Option<ApiClientId>) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    let entry = AuditEntry {
        action: AuditAction::Execute,
        outcome: AuditOutcome::Failed,
        entity_type: EntityType::ApiClient,
        entity_id: client.map(ApiClientId::into_uuid),
        case_id: None,
        changed_fields: vec!["client_credentials"],
        purpose: None,
    };
    audit::record_system(&mut conn, agent, entry, None).await?;
    Ok(())
}

/// Records a token issued to `client` (`ctx`: the client itself), unless the client has been
/// revoked meanwhile: its row is locked against a concurrent revocation, so a token is either
/// recorded before the revocation (and revoked with it) or not issued. False when revoked.
pub async fn record_token(db: &Db, ctx: &AuditContext, client: ApiClientId, token: &IssuedToken) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let live: Option<uuid::Uuid> = api_clients::table
            .find(client.into_uuid())
            .filter(api_clients::revoked_at.is_null())
            .select(api_clients::id)
            .for_share()
            .first(conn)
            .await
            .optional()?;
        if live.is_none() {
            return Ok(false);
        }
        tokens::insert(conn, ctx, token, Some(client)).await?;
        Ok(true)
    })
    .await
}

/// Revokes a client and every unexpired token it holds, audited. `None` when no such client
/// exists; otherwise the ids of the tokens revoked with it (none if it was revoked already).
pub async fn revoke(db: &Db, ctx: &AuditContext, id: ApiClientId) -> Result<Option<Vec<uuid::Uuid>>, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let found: Option<Option<DateTime<Utc>>> =
            api_clients::table.find(id.into_uuid()).select(api_clients::revoked_at).for_update().first(conn).await.optional()?;
        match found {
            None => return Ok(None),
            Some(Some(_)) => return Ok(Some(Vec::new())),
            Some(None) => {}
        }
        diesel::update(api_clients::table.find(id.into_uuid())).set(api_clients::revoked_at.eq(ctx.at)).execute(conn).await?;
        let jtis: Vec<uuid::Uuid> = diesel::update(
            issued_tokens::table
                .filter(issued_tokens::client_id.eq(id.into_uuid()))
                .filter(issued_tokens::revoked_at.is_null())
                .filter(issued_tokens::expires_at.gt(ctx.at)),
        )
        .set((issued_tokens::revoked_at.eq(ctx.at), issued_tokens::revoked_by.eq(ctx.principal.subject.as_str())))
        .returning(issued_tokens::jti)
        .get_results(conn)
        .await?;
        let entry = AuditEntry::change(AuditAction::Delete, EntityType::ApiClient, id.into_uuid(), None, vec!["revoked_at"]);
        audit::record(conn, ctx, entry).await?;
        Ok(Some(jtis))
    })
    .await
}
