//! Agencies' webhook endpoints: registering, turning off and on, the delivery log, and replaying
//! one delivery.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::{AgencyId, MessageId, WebhookEndpointId};
use fourthp_domain::notify::{Topic, WebhookUrl};
use uuid::Uuid;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::{agencies, outbox, webhook_endpoints};

/// An endpoint, without its secret (shown once, when it is made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: WebhookEndpointId,
    pub agency: AgencyId,
    pub url: WebhookUrl,
    pub events: Vec<Topic>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

type EndpointTuple = (Uuid, Uuid, String, Vec<String>, bool, Option<String>, DateTime<Utc>);

fn endpoint_from(t: EndpointTuple) -> Result<Endpoint, StoreError> {
    let (id, agency, url, events, active, disabled_reason, created_at) = t;
    Ok(Endpoint {
        id: WebhookEndpointId::from_uuid(id),
        agency: AgencyId::from_uuid(agency),
        url: WebhookUrl::parse(&url).map_err(|_| StoreError::internal("endpoint row with an invalid url"))?,
        events: events
            .iter()
            .map(|e| Topic::parse(e).ok_or_else(|| StoreError::internal("endpoint row with an unknown event")))
            .collect::<Result<_, _>>()?,
        active,
        disabled_reason,
        created_at,
    })
}

macro_rules! endpoint_columns {
    () => {
        (
            webhook_endpoints::id,
            webhook_endpoints::agency_id,
            webhook_endpoints::url,
            webhook_endpoints::events,
            webhook_endpoints::active,
            webhook_endpoints::disabled_reason,
            webhook_endpoints::created_at,
        )
    };
}

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("no such agency or endpoint")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for EndpointError {
    fn from(e: diesel::result::Error) -> Self {
        EndpointError::Store(e.into())
    }
}

/// Registers an endpoint for `agency` with its `secret`, audited.
pub async fn create(
    db: &Db,
    ctx: &AuditContext,
    agency: AgencyId,
    url: &WebhookUrl,
    events: &[Topic],
    secret: &str,
) -> Result<Endpoint, EndpointError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, EndpointError, _>(async |conn| {
        let exists: bool = diesel::select(diesel::dsl::exists(agencies::table.find(agency.into_uuid()))).get_result(conn).await?;
        if !exists {
            return Err(EndpointError::NotFound);
        }
        let id = WebhookEndpointId::new_at(ctx.at);
        diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::id.eq(id.into_uuid()),
                webhook_endpoints::agency_id.eq(agency.into_uuid()),
                webhook_endpoints::url.eq(url.as_str()),
                webhook_endpoints::events.eq(events.iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>()),
                webhook_endpoints::secret.eq(secret),
                webhook_endpoints::active.eq(true),
                webhook_endpoints::disabled_reason.eq(None::<String>),
                webhook_endpoints::created_by.eq(ctx.principal.subject.as_str()),
                webhook_endpoints::created_at.eq(ctx.at),
                webhook_endpoints::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        let entry =
            AuditEntry::change(AuditAction::Create, EntityType::WebhookEndpoint, id.into_uuid(), None, vec!["url", "events", "secret"]);
        audit::record(conn, ctx, entry).await?;
        Ok(Endpoint { id, agency, url: url.clone(), events: events.to_vec(), active: true, disabled_reason: None, created_at: ctx.at })
    })
    .await
}

/// An agency's endpoints, newest first.
pub async fn of_agency(db: &Db, agency: AgencyId) -> Result<Vec<Endpoint>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<EndpointTuple> = webhook_endpoints::table
        .filter(webhook_endpoints::agency_id.eq(agency.into_uuid()))
        .order(webhook_endpoints::created_at.desc())
        .select(endpoint_columns!())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(endpoint_from).collect()
}

pub async fn get(db: &Db, id: WebhookEndpointId) -> Result<Option<Endpoint>, StoreError> {
    let mut conn = db.conn().await?;
    let row: Option<EndpointTuple> =
        webhook_endpoints::table.find(id.into_uuid()).select(endpoint_columns!()).first(&mut conn).await.optional()?;
    row.map(endpoint_from).transpose()
}

/// Turns an endpoint on or off (an administrator), audited. Turning it on clears why it was off.
pub async fn set_active(db: &Db, ctx: &AuditContext, id: WebhookEndpointId, active: bool) -> Result<Endpoint, EndpointError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, EndpointError, _>(async |conn| {
        let reason = (!active).then(|| format!("Turned off by an administrator on {}.", fourthp_domain::time::london_date(ctx.at)));
        let changed = diesel::update(webhook_endpoints::table.find(id.into_uuid()))
            .set((
                webhook_endpoints::active.eq(active),
                webhook_endpoints::disabled_reason.eq(reason),
                webhook_endpoints::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        if changed == 0 {
            return Err(EndpointError::NotFound);
        }
        let entry = AuditEntry::change(AuditAction::Update, EntityType::WebhookEndpoint, id.into_uuid(), None, vec!["active"]);
        audit::record(conn, ctx, entry).await?;
        let row: EndpointTuple = webhook_endpoints::table.find(id.into_uuid()).select(endpoint_columns!()).first(conn).await?;
        Ok(endpoint_from(row)?)
    })
    .await
}

/// One delivery as its endpoint's log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLog {
    pub id: MessageId,
    pub topic: String,
    /// pending, sent or failed.
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub latency_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

type LogTuple = (Uuid, String, String, i32, Option<i32>, Option<String>, Option<i32>, DateTime<Utc>, Option<DateTime<Utc>>, DateTime<Utc>);

/// The endpoint's latest deliveries, newest first.
pub async fn deliveries(db: &Db, endpoint: WebhookEndpointId, limit: i64) -> Result<Vec<DeliveryLog>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<LogTuple> = outbox::table
        .filter(outbox::endpoint_id.eq(endpoint.into_uuid()))
        .order(outbox::created_at.desc())
        .select((
            outbox::id,
            outbox::topic,
            outbox::status,
            outbox::attempts,
            outbox::last_status,
            outbox::last_error,
            outbox::latency_ms,
            outbox::created_at,
            outbox::sent_at,
            outbox::next_attempt_at,
        ))
        .limit(limit)
        .load(&mut conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, topic, status, attempts, last_status, last_error, latency_ms, created_at, sent_at, next_attempt_at)| DeliveryLog {
            id: MessageId::from_uuid(id),
            topic,
            status,
            attempts,
            last_status,
            last_error,
            latency_ms,
            created_at,
            sent_at,
            next_attempt_at,
        })
        .collect())
}

/// Sends one of the endpoint's deliveries again, with the same id (a receiver that kept it drops
/// it), now; audited.
pub async fn replay(db: &Db, ctx: &AuditContext, endpoint: WebhookEndpointId, message: MessageId) -> Result<(), EndpointError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, EndpointError, _>(async |conn| {
        let changed =
            diesel::update(outbox::table.filter(outbox::id.eq(message.into_uuid())).filter(outbox::endpoint_id.eq(endpoint.into_uuid())))
                .set((outbox::status.eq("pending"), outbox::next_attempt_at.eq(ctx.at), outbox::created_at.eq(ctx.at)))
                .execute(conn)
                .await?;
        if changed == 0 {
            return Err(EndpointError::NotFound);
        }
        let entry = AuditEntry::change(AuditAction::Update, EntityType::Notification, message.into_uuid(), None, vec!["status"]);
        audit::record(conn, ctx, entry).await?;
        Ok(())
    })
    .await
}
