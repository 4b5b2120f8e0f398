//! Running a creating use case in one transaction, with its idempotency key.
//!
//! With an `Idempotency-Key`, the first response is stored in the same transaction as the write,
//! keyed by (principal, key). A later request with the same key gets the stored response back
//! (or a mismatch when its body differs); one arriving while the first is still running finds the
//! key's advisory lock held and is told so at once. Keys are kept for 24 hours.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};

use crate::db::{pg_try_advisory_xact_lock, Db, StoreError};
use crate::rows::IdempotencyRow;
use crate::schema::idempotency_keys;

/// How long a key is remembered.
pub const KEY_LIFETIME: Duration = Duration::hours(24);

/// A request's idempotency key: whose, which, and a hash of what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub principal: String,
    pub key: String,
    pub request_hash: Vec<u8>,
}

/// A response as stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: serde_json::Value,
    pub location: Option<String>,
    pub etag: Option<String>,
}

/// Why the work did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// The key was used before for the same request: here is the first response.
    Stored(StoredResponse),
    /// The key is being used right now by a request that has not finished.
    InFlight,
    /// The key was used before for a different request.
    Mismatch,
}

/// What an idempotent write gives: what it wrote with its response, or why it did not run.
pub type Written<T> = Result<(T, StoredResponse), Replay>;

/// Runs `work` in a transaction, storing `respond(&result)` under `key` when given. Returns the
/// result and its response, or why the work did not run.
pub async fn run<T, E>(
    db: &Db,
    key: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, E>,
    respond: impl FnOnce(&T) -> StoredResponse,
) -> Result<Result<(T, StoredResponse), Replay>, E>
where
    E: From<StoreError>,
{
    let mut conn = db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    AnsiTransactionManager::begin_transaction(conn).await.map_err(StoreError::from)?;
    let outcome = inside(conn, key, now, work, respond).await;
    match &outcome {
        Ok(Ok(_)) => AnsiTransactionManager::commit_transaction(conn).await.map_err(StoreError::from)?,
        _ => {
            // A failed rollback leaves the connection broken; the pool then discards it.
            let _ = AnsiTransactionManager::rollback_transaction(conn).await;
        }
    }
    outcome
}

async fn inside<T, E>(
    conn: &mut AsyncPgConnection,
    key: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, E>,
    respond: impl FnOnce(&T) -> StoredResponse,
) -> Result<Result<(T, StoredResponse), Replay>, E>
where
    E: From<StoreError>,
{
    if let Some(k) = key {
        if let Some(replay) = claim(conn, k, now).await? {
            return Ok(Err(replay));
        }
    }
    let value = work(conn).await?;
    let response = respond(&value);
    if let Some(k) = key {
        let row = IdempotencyRow {
            principal: k.principal.clone(),
            key: k.key.clone(),
            request_hash: k.request_hash.clone(),
            response_status: i16::try_from(response.status).unwrap_or(500),
            response_body: response.body.clone(),
            response_location: response.location.clone(),
            response_etag: response.etag.clone(),
            created_at: now,
        };
        diesel::insert_into(idempotency_keys::table).values(&row).execute(conn).await.map_err(StoreError::from)?;
    }
    Ok(Ok((value, response)))
}

diesel::define_sql_function! {
    /// PostgreSQL's `hashtextextended(text, bigint)`: a 64-bit hash of the text.
    fn hashtextextended(text: Text, seed: BigInt) -> BigInt;
}

/// Takes the key's transaction-scoped advisory lock and looks for an earlier use. `None`: go on.
async fn claim(conn: &mut AsyncPgConnection, k: &IdempotencyKey, now: DateTime<Utc>) -> Result<Option<Replay>, StoreError> {
    // A query built from diesel's expressions, not raw SQL: the connection prepares it once and
    // reuses the statement (raw SQL is parsed and planned again on every request).
    let locked: bool =
        diesel::select(pg_try_advisory_xact_lock(hashtextextended(format!("idempotency\n{}\n{}", k.principal, k.key), 42_i64)))
            .get_result(conn)
            .await?;
    if !locked {
        return Ok(Some(Replay::InFlight));
    }
    let found: Option<IdempotencyRow> =
        idempotency_keys::table.find((&k.principal, &k.key)).select(IdempotencyRow::as_select()).first(conn).await.optional()?;
    match found {
        None => Ok(None),
        Some(row) if row.created_at <= now - KEY_LIFETIME => {
            diesel::delete(idempotency_keys::table.find((&k.principal, &k.key))).execute(conn).await?;
            Ok(None)
        }
        Some(row) if row.request_hash != k.request_hash => Ok(Some(Replay::Mismatch)),
        Some(row) => Ok(Some(Replay::Stored(StoredResponse {
            status: u16::try_from(row.response_status).unwrap_or(500),
            body: row.response_body,
            location: row.response_location,
            etag: row.response_etag,
        }))),
    }
}

/// Forgets keys older than their lifetime; returns how many.
pub async fn expire_keys(db: &Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut conn = db.conn().await?;
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.le(now - KEY_LIFETIME))).execute(&mut conn).await?)
}

#[cfg(test)]
mod tests {
    use crate::rows::tests::reused;

    use super::*;

    #[test]
    fn the_keys_lock_and_look_up_are_prepared_once_not_on_every_request() {
        assert!(reused(&diesel::select(pg_try_advisory_xact_lock(hashtextextended("idempotency\np\nk".to_owned(), 42_i64)))));
        assert!(reused(&idempotency_keys::table.find(("p", "k")).select(IdempotencyRow::as_select())));
    }
}
