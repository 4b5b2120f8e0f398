//! The connection pool, error classification and the embedded migrations.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, Object, Pool, RecycleError, RecycleResult};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, PoolError as ConnectError, RecyclingMethod};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// The version (directory-name prefix, digits only) of the newest embedded migration.
pub const LATEST_MIGRATION: &str = "20261205000019";

/// Key of the advisory lock that serialises migrations between instances starting together.
const MIGRATION_LOCK: i64 = 0x0004_7448_5000_0001;

diesel::define_sql_function! {
    /// PostgreSQL's `pg_try_advisory_xact_lock(bigint)`: the lock, held to the end of the
    /// transaction, or false at once if another transaction holds it. Built from diesel's
    /// expressions, a query using it is prepared once per connection, not on every call.
    fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// A connection idle at least this long is checked with a query before it is handed out again.
const VERIFY_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The shared pool. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Connections>,
}

pub type DbConn = Object<Connections>;

type PoolError = deadpool::managed::PoolError<ConnectError>;

/// diesel-async's connection manager, checking a connection with a query (`SELECT 1`) before
/// reuse only when it has been idle for [`VERIFY_AFTER_IDLE`] or more. Verifying every checkout
/// cost a round trip and a statement on every request (one in twelve of a logged call's); a
/// connection in steady use proved itself with its last query, and one that fails anyway is
/// marked broken by the driver and dropped. After a database restart the connections idle through
/// it are checked and replaced before anyone uses them.
pub struct Connections {
    /// Configured with `RecyclingMethod::Fast`: the driver's broken flag and no open transaction.
    inner: AsyncDieselConnectionManager<AsyncPgConnection>,
}

impl Manager for Connections {
    type Type = AsyncPgConnection;
    type Error = ConnectError;

    async fn create(&self) -> Result<AsyncPgConnection, ConnectError> {
        self.inner.create().await
    }

    async fn recycle(&self, conn: &mut AsyncPgConnection, metrics: &Metrics) -> RecycleResult<ConnectError> {
        self.inner.recycle(conn, metrics).await?;
        if metrics.last_used() >= VERIFY_AFTER_IDLE {
            diesel::select(diesel::IntoSql::into_sql::<diesel::sql_types::Integer>(1_i32))
                .get_result::<i32>(conn)
                .await
                .map_err(|e| RecycleError::Backend(ConnectError::QueryError(e)))?;
        }
        Ok(())
    }
}

/// A storage failure, classified for the caller without carrying any database text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now, or cancelled the work for a conflict that passes;
    /// worth retrying later (503).
    #[error("the database is unavailable")]
    Unavailable,
    /// Anything else: a bug or a corrupt row (500). `what` is safe to log: kinds and names only.
    #[error("storage failure: {what}")]
    Internal { what: String },
}

impl StoreError {
    pub fn internal(what: impl Into<String>) -> Self {
        StoreError::Internal { what: what.into() }
    }
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                StoreError::Unavailable
            }
            DieselError::BrokenTransactionManager => StoreError::Unavailable,
            // A conflict that passes, worth retrying: above all a hot standby cancelling a long
            // read (a report on the replica) that its replay of the primary's changes needs gone.
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => StoreError::Unavailable,
            DieselError::DatabaseError(kind, info) => StoreError::internal(format!(
                "database error {kind:?} (table {:?}, constraint {:?})",
                info.table_name(),
                info.constraint_name()
            )),
            DieselError::NotFound => StoreError::internal("row not found"),
            DieselError::DeserializationError(_) => StoreError::internal("row deserialisation failed"),
            DieselError::SerializationError(_) => StoreError::internal("value serialisation failed"),
            _ => StoreError::internal("query failed"),
        }
    }
}

impl From<PoolError> for StoreError {
    fn from(_: PoolError) -> Self {
        StoreError::Unavailable
    }
}

/// The name of the constraint a write violated, if the error is a violation of `kind`.
pub(crate) fn violated(e: &DieselError, kind: DatabaseErrorKind) -> Option<String> {
    match e {
        DieselError::DatabaseError(k, info) if std::mem::discriminant(k) == std::mem::discriminant(&kind) => {
            Some(info.constraint_name().unwrap_or_default().to_owned())
        }
        _ => None,
    }
}

/// Builds the pool once. Connections are made lazily and checked with a query before reuse when
/// they have been idle (see [`Connections`]), so the pool recovers by itself after a database
/// restart.
pub fn connect(url: &str, max_size: usize, wait_timeout: Duration) -> Result<Db, StoreError> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = Connections { inner: AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config) };
    let pool = Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(wait_timeout))
        .create_timeout(Some(wait_timeout))
        .recycle_timeout(Some(wait_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|_| StoreError::internal("pool configuration"))?;
    Ok(Db { pool })
}

impl Db {
    pub async fn conn(&self) -> Result<DbConn, StoreError> {
        Ok(self.pool.get().await?)
    }

    /// The pool now: (connections open, of them idle, the most it opens, requests waiting).
    pub fn status(&self) -> PoolStatus {
        let s = self.pool.status();
        PoolStatus { open: s.size, idle: s.available, max: s.max_size, waiting: s.waiting }
    }

    /// A connection if one is free (or can be opened) without waiting for another user to give
    /// one back; for work that can run on fewer connections when the pool is busy.
    pub async fn try_conn(&self) -> Option<DbConn> {
        let timeouts = deadpool::managed::Timeouts { wait: Some(Duration::ZERO), ..self.pool.timeouts() };
        self.pool.timeout_get(&timeouts).await.ok()
    }
}

/// The pool's state at one moment.
#[derive(Debug, Clone, Copy)]
pub struct PoolStatus {
    pub open: usize,
    pub idle: usize,
    pub max: usize,
    pub waiting: usize,
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &Db) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(())
}

/// Whether the newest migration this binary knows has been applied.
pub async fn migrations_applied(db: &Db) -> Result<bool, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    let mut conn = db.conn().await?;
    let applied: bool =
        diesel::select(sql::<Bool>(&format!("EXISTS (SELECT 1 FROM __diesel_schema_migrations WHERE version = '{LATEST_MIGRATION}')")))
            .get_result(&mut conn)
            .await?;
    Ok(applied)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database to migrate it")]
    Connect,
    #[error("a migration failed: {0}")]
    Failed(String),
}

/// Applies pending migrations under an advisory lock, so that instances starting together
/// migrate once. Runs on a blocking thread (diesel's migration harness is synchronous).
/// Returns the versions applied.
pub async fn run_migrations(url: &str) -> Result<Vec<String>, MigrationError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).map_err(|_| MigrationError::Connect)?;
        let lock = |conn: &mut AsyncConnectionWrapper<AsyncPgConnection>, f: &str| {
            diesel::RunQueryDsl::execute(diesel::sql_query(format!("SELECT {f}({MIGRATION_LOCK})")), conn)
                .map_err(|e| MigrationError::Failed(StoreError::from(e).to_string()))
        };
        lock(&mut conn, "pg_advisory_lock")?;
        let result = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| MigrationError::Failed(e.to_string()));
        lock(&mut conn, "pg_advisory_unlock")?;
        result
    })
    .await
    .map_err(|_| MigrationError::Failed("the migration task stopped".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::migration::MigrationSource;

    #[test]
    fn latest_migration_constant_matches_the_embedded_set() {
        let migrations = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap_or_default();
        let latest = migrations.iter().map(|m| m.name().version().to_string()).max();
        assert_eq!(latest.as_deref(), Some(LATEST_MIGRATION));
    }

    #[test]
    fn conflicts_that_pass_are_retryable_and_others_are_not() {
        let db_error = |kind| DieselError::DatabaseError(kind, Box::new("detail not to be kept".to_owned()));
        assert_eq!(StoreError::from(db_error(DatabaseErrorKind::SerializationFailure)), StoreError::Unavailable);
        assert_eq!(StoreError::from(db_error(DatabaseErrorKind::ClosedConnection)), StoreError::Unavailable);
        let other = StoreError::from(db_error(DatabaseErrorKind::CheckViolation));
        assert!(matches!(&other, StoreError::Internal { what } if !what.contains("detail not to be kept")), "{other:?}");
    }
}
