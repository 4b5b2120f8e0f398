//! Where a database's data stands in time: a primary's is now; a hot standby's is now when it
//! has replayed all the WAL it received and replay is running, else the commit time of the last
//! transaction it replayed (`pg_last_xact_replay_timestamp()`). Reports read from a standby say
//! this instant, and refuse when it is too far behind.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Bool, Nullable, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::{Db, StoreError};

/// The instant a database's data is from (NULL: a standby that has replayed nothing yet).
pub(crate) const DATA_AS_OF: &str = "CASE WHEN NOT pg_is_in_recovery() THEN now() \
     WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() AND NOT pg_is_wal_replay_paused() THEN now() \
     ELSE pg_last_xact_replay_timestamp() END";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataState {
    /// A hot standby (read-only, replaying a primary's WAL).
    pub standby: bool,
    /// The instant its data is from; `None` when unknown (a standby that has replayed nothing).
    pub as_of: Option<DateTime<Utc>>,
    /// The database's clock now (lag is measured against it).
    pub now: DateTime<Utc>,
}

impl DataState {
    /// How far behind now its data is; `None` when unknown.
    pub fn lag(&self) -> Option<chrono::Duration> {
        self.as_of.map(|at| (self.now - at).max(chrono::Duration::zero()))
    }
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Bool)]
    standby: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    as_of: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
}

/// The state of `db`'s data now.
pub async fn state(db: &Db) -> Result<DataState, StoreError> {
    let mut conn = db.conn().await?;
    state_on(&mut conn).await
}

/// The state of the data a connection (or its open transaction) sees.
pub(crate) async fn state_on(conn: &mut AsyncPgConnection) -> Result<DataState, StoreError> {
    let row: Row =
        diesel::sql_query(format!("SELECT pg_is_in_recovery() AS standby, {DATA_AS_OF} AS as_of, now() AS now")).get_result(conn).await?;
    Ok(DataState { standby: row.standby, as_of: row.as_of, now: row.now })
}
