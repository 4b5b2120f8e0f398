//! Subject access requests: when each was received, when its answer is due and when it was
//! answered; and, for the copy, who has read the record, by agency.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{AgencyId, CaseId, SubjectAccessRequestId};
use uuid::Uuid;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::{cases, subject_access_requests as sar};

/// A subject access request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectAccessRequest {
    pub id: SubjectAccessRequestId,
    pub case_id: CaseId,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub answered_on: Option<NaiveDate>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sar, check_for_backend(diesel::pg::Pg))]
struct Row {
    id: Uuid,
    case_id: Uuid,
    received_on: NaiveDate,
    due_on: NaiveDate,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
    answered_on: Option<NaiveDate>,
    answered_by: Option<String>,
}

fn from_row(r: Row) -> SubjectAccessRequest {
    SubjectAccessRequest {
        id: SubjectAccessRequestId::from_uuid(r.id),
        case_id: CaseId::from_uuid(r.case_id),
        received_on: r.received_on,
        due_on: r.due_on,
        recorded_at: r.recorded_at,
        answered_on: r.answered_on,
    }
}

/// Records a request received on `received_on` for `case`, due on `due_on`, audited, in one
/// transaction.
pub async fn record(
    db: &Db,
    ctx: &AuditContext,
    case: CaseId,
    received_on: NaiveDate,
    due_on: NaiveDate,
) -> Result<SubjectAccessRequest, StoreError> {
    let mut conn = db.conn().await?;
    let row = Row {
        id: SubjectAccessRequestId::new_at(ctx.at).into_uuid(),
        case_id: case.into_uuid(),
        received_on,
        due_on,
        recorded_by: ctx.principal.subject.as_str().to_owned(),
        recorded_at: ctx.at,
        answered_on: None,
        answered_by: None,
    };
    conn.transaction::<_, StoreError, _>(async |conn| {
        diesel::insert_into(sar::table).values(&row).execute(conn).await?;
        let entry =
            AuditEntry::change(AuditAction::Create, EntityType::SubjectAccessRequest, row.id, Some(case), vec!["received_on", "due_on"]);
        audit::record(conn, ctx, entry).await?;
        Ok(())
    })
    .await?;
    Ok(from_row(row))
}

/// How marking a request answered went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    Done(SubjectAccessRequest),
    /// It was answered before (on this day): nothing changed.
    Already(NaiveDate),
    /// No such request on this case.
    Missing,
}

/// Marks `case`'s request `id` answered on `on`, audited, in one transaction.
pub async fn answer(db: &Db, ctx: &AuditContext, case: CaseId, id: SubjectAccessRequestId, on: NaiveDate) -> Result<Answered, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let row: Option<Row> = sar::table
            .filter(sar::id.eq(id.into_uuid()))
            .filter(sar::case_id.eq(case.into_uuid()))
            .select(Row::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(mut row) = row else { return Ok(Answered::Missing) };
        if let Some(on) = row.answered_on {
            return Ok(Answered::Already(on));
        }
        let on = on.max(row.received_on);
        diesel::update(sar::table.filter(sar::id.eq(row.id)))
            .set((sar::answered_on.eq(on), sar::answered_by.eq(ctx.principal.subject.as_str())))
            .execute(conn)
            .await?;
        row.answered_on = Some(on);
        let entry = AuditEntry::change(AuditAction::Update, EntityType::SubjectAccessRequest, row.id, Some(case), vec!["answered_on"]);
        audit::record(conn, ctx, entry).await?;
        Ok(Answered::Done(from_row(row)))
    })
    .await
}

/// A case's requests, latest received first.
pub async fn for_case(db: &Db, case: CaseId) -> Result<Vec<SubjectAccessRequest>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<Row> = sar::table
        .filter(sar::case_id.eq(case.into_uuid()))
        .order((sar::received_on.desc(), sar::id.desc()))
        .select(Row::as_select())
        .load(&mut conn)
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The requests not yet answered, soonest due first, each with its case's reference.
pub async fn open(db: &Db) -> Result<Vec<(SubjectAccessRequest, CaseReference)>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(Row, String)> = sar::table
        .inner_join(cases::table)
        .filter(sar::answered_on.is_null())
        .order((sar::due_on.asc(), sar::id.asc()))
        .select((Row::as_select(), cases::reference))
        .limit(500)
        .load(&mut conn)
        .await?;
    rows.into_iter()
        .map(|(r, reference)| {
            let reference = CaseReference::parse(&reference).map_err(|_| StoreError::internal("case with a malformed reference"))?;
            Ok((from_row(r), reference))
        })
        .collect()
}

/// Who has read a case's record or tried to, by agency and role: how many reads, the first
/// and the last, and how many attempts were refused. Reads by no agency (the command line,
/// administrators) are counted under none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadsBy {
    pub agency: Option<AgencyId>,
    pub role: String,
    pub reads: i64,
    pub refused: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct ReadsRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    agency: Option<Uuid>,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = BigInt)]
    reads: i64,
    #[diesel(sql_type = BigInt)]
    refused: i64,
    #[diesel(sql_type = Timestamptz)]
    first: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    last: DateTime<Utc>,
}

/// The case's read log, by agency and role, earliest first.
pub async fn reads_by_agency(db: &Db, case: CaseId) -> Result<Vec<ReadsBy>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<ReadsRow> = diesel::sql_query(
        "SELECT agent_agency_id AS agency, agent_role AS role, \
                count(*) FILTER (WHERE outcome = 'success') AS reads, \
                count(*) FILTER (WHERE outcome = 'denied') AS refused, \
                min(recorded_at) AS first, max(recorded_at) AS last \
           FROM audit_records WHERE case_id = $1 AND (action = 'R' OR outcome = 'denied') \
          GROUP BY agent_agency_id, agent_role ORDER BY min(recorded_at)",
    )
    .bind::<SqlUuid, _>(case.into_uuid())
    .load(&mut conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReadsBy {
            agency: r.agency.map(AgencyId::from_uuid),
            role: r.role,
            reads: r.reads,
            refused: r.refused,
            first: r.first,
            last: r.last,
        })
        .collect())
}

/// The display names (as stored) among `candidates` (lowered words of a text) that members of
/// staff with accounts are known by.
pub async fn staff_names_in(db: &Db, candidates: &[String]) -> Result<Vec<String>, StoreError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = db.conn().await?;
    Ok(crate::schema::users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(display_name) = ANY(")
                .bind::<diesel::sql_types::Array<Text>, _>(candidates.to_vec())
                .sql(")"),
        )
        .select(crate::schema::users::display_name)
        .distinct()
        .limit(50)
        .load(&mut conn)
        .await?)
}
