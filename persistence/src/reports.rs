//! The outcome report's figures, computed by one statement (`sql/outcome_report.sql`), and the
//! audit record of every report pulled.

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Double, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, AuditOutcome, EntityType, Purpose};
use fourthp_domain::report::{RawFigure, ReportParams};

use crate::audit::{self, Details};
use crate::{Db, StoreError};

/// The statement the service runs, exported so that a benchmark can run the very same text.
pub const OUTCOME_REPORT_SQL: &str = include_str!("../sql/outcome_report.sql");

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
}

/// The raw, exact figures for `params`, as at `as_at`.
pub async fn outcome_figures(db: &Db, params: &ReportParams, as_at: NaiveDate) -> Result<Vec<RawFigure>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<FigureRow> = diesel::sql_query(OUTCOME_REPORT_SQL)
        .bind::<Date, _>(params.from)
        .bind::<Date, _>(params.to)
        .bind::<Date, _>(as_at)
        .bind::<Nullable<Text>, _>(params.jurisdiction.map(|j| j.as_str()))
        .bind::<Nullable<Text>, _>(params.local_authority.as_ref().map(|l| l.as_str()))
        .bind::<Nullable<Text>, _>(params.exploitation_type.map(|e| e.as_str()))
        .bind::<Nullable<Text>, _>(params.age_group.map(|a| a.as_str()))
        .load(&mut conn)
        .await?;
    Ok(rows.into_iter().map(|r| RawFigure { measure: r.measure, category: r.category, stat: r.stat, n: r.n, value: r.value }).collect())
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
