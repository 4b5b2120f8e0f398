//! The outcome report's figures and the audit record of every report pulled.
//!
//! The figures come from two statements, each the common scope (`sql/outcome_report_scope.sql`)
//! followed by one half of the measures (`_people.sql`: caseload, profile and NRM flow;
//! `_activity.sql`: deadlines, needs, interventions, actions and outcomes). They run at once on
//! two connections in repeatable-read transactions sharing one exported snapshot, so every
//! figure still comes from the same instant of the database while the work is spread over two
//! cores. When no second connection is free at once, both run one after the other on the first,
//! in its transaction: the same snapshot, only slower.

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Double, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection, TransactionManager};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType, Purpose};
use fourthp_domain::report::{RawFigure, ReportParams};

use crate::audit::{self, Details};
use crate::{Db, StoreError};

/// The statements the service runs, exported so that a benchmark can run the very same text.
pub const OUTCOME_REPORT_SQL: [&str; 2] = [
    concat!(include_str!("../sql/outcome_report_scope.sql"), include_str!("../sql/outcome_report_people.sql")),
    concat!(include_str!("../sql/outcome_report_scope.sql"), include_str!("../sql/outcome_report_activity.sql")),
];

/// Settings for the report's transactions. JIT compilation of a statement of this many parts
/// costs more (about 2 s) than it saves; the aggregates want more than the default 4 MB of
/// working memory to hash in one batch rather than spill to disk; each query may use at most
/// `parallel_workers` parallel workers (see [`outcome_figures`]).
fn report_settings(parallel_workers: u8) -> String {
    format!("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL max_parallel_workers_per_gather = {parallel_workers}")
}

#[derive(QueryableByName)]
struct FigureRow {
    #[diesel(sql_type = Text)]
    measure: String,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Text)]
    stat: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Double>)]
    value: Option<f64>,
    #[diesel(sql_type = BigInt)]
    key: i64,
}

/// The raw, exact figures for `params`, as at `as_at`, and the instant the data they were read
/// from is from (now on a primary; on a standby, what it had replayed). Each of the report's two
/// queries (run at once on two connections when the pool has a second) may use at most
/// `parallel_workers` parallel workers besides its own backend: 0 keeps a report to two cores at
/// most, whatever PostgreSQL's own setting, leaving the rest to coordinators and partners.
pub async fn outcome_figures(
    db: &Db,
    params: &ReportParams,
    as_at: NaiveDate,
    parallel_workers: u8,
) -> Result<(Vec<RawFigure>, crate::replica::DataState), StoreError> {
    let settings = report_settings(parallel_workers);
    let mut first = db.conn().await?;
    let second = db.try_conn().await;
    let first: &mut AsyncPgConnection = &mut first;
    AnsiTransactionManager::begin_transaction_sql(first, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let figures = async {
        first.batch_execute(&settings).await?;
        // In the figures' own snapshot: the instant they are from.
        let data = crate::replica::state_on(first).await?;
        let [people, activity] = OUTCOME_REPORT_SQL;
        match second {
            Some(mut second) => {
                let snapshot = diesel::sql_query("SELECT pg_export_snapshot() AS snapshot").get_result::<Snapshot>(first).await?.snapshot;
                let (a, b) = futures_util::future::join(figures(first, people, params, as_at), async {
                    let second: &mut AsyncPgConnection = &mut second;
                    AnsiTransactionManager::begin_transaction_sql(second, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
                    let rows = async {
                        // The snapshot id is the server's own text (hex digits and dashes).
                        second.batch_execute(&format!("SET TRANSACTION SNAPSHOT '{}'; {settings}", snapshot.replace('\'', ""))).await?;
                        figures(second, activity, params, as_at).await
                    }
                    .await;
                    let _ = AnsiTransactionManager::rollback_transaction(second).await;
                    rows
                })
                .await;
                let mut rows = a?;
                rows.extend(b?);
                Ok::<_, StoreError>((rows, data))
            }
            None => {
                let mut rows = figures(first, people, params, as_at).await?;
                rows.extend(figures(first, activity, params, as_at).await?);
                Ok((rows, data))
            }
        }
    }
    .await;
    // Read only: nothing to commit. A failed rollback leaves the connection broken; the pool
    // then discards it.
    let _ = AnsiTransactionManager::rollback_transaction(first).await;
    figures
}

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Text)]
    snapshot: String,
}

async fn figures(conn: &mut AsyncPgConnection, sql: &str, params: &ReportParams, as_at: NaiveDate) -> Result<Vec<RawFigure>, StoreError> {
    let rows: Vec<FigureRow> = diesel::sql_query(sql)
        .bind::<Date, _>(params.from)
        .bind::<Date, _>(params.to)
        .bind::<Date, _>(as_at)
        .bind::<Nullable<Text>, _>(params.jurisdiction.map(|j| j.as_str()))
        .bind::<Nullable<Text>, _>(params.local_authority.as_ref().map(|l| l.as_str()))
        .bind::<Nullable<Text>, _>(params.exploitation_type.map(|e| e.as_str()))
        .bind::<Nullable<Text>, _>(params.age_group.map(|a| a.as_str()))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| RawFigure {
            measure: r.measure,
            category: r.category,
            stat: r.stat,
            n: r.n,
            value: r.value,
            key: u32::try_from(r.key).unwrap_or_default(),
        })
        .collect())
}

/// Records that a report was pulled (or refused), with the parameters and format asked for kept
/// beside the chained record.
pub async fn record_pull(db: &Db, ctx: &AuditContext, outcome: AuditOutcome, parameters: serde_json::Value) -> Result<(), StoreError> {
    let entry = AuditEntry {
        action: AuditAction::Execute,
        outcome,
        entity_type: EntityType::Report,
        entity_id: None,
        case_id: None,
        changed_fields: Vec::new(),
        purpose: Some(Purpose::Commissioning),
    };
    let mut conn = db.conn().await?;
    audit::record_with(&mut conn, ctx, entry, Some(Details { before: None, after: Some(parameters) })).await?;
    Ok(())
}
