//! The needs repository. Meeting a need can meet a deadline (GP access), so every change
//! re-derives the case's deadlines in the same transaction.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::Case;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{CaseId, NeedId};
use fourthp_domain::need::{Need, NeedDomain, NeedState, NeedStatus};
use fourthp_domain::principal::Subject;
use fourthp_domain::rules::RuleBook;

use crate::audit;
use crate::case_lock::{load, Lock};
use crate::db::{Db, StoreError};
use crate::rows::NeedRow;
use crate::schema::needs;

fn need_from(r: NeedRow) -> Result<Need, StoreError> {
    let corrupt = |what: &str| StoreError::internal(format!("need row with invalid {what}"));
    Ok(Need {
        id: NeedId::from_uuid(r.id),
        case_id: CaseId::from_uuid(r.case_id),
        domain: NeedDomain::parse(&r.domain).ok_or_else(|| corrupt("domain"))?,
        state: NeedState {
            identified_on: r.identified_on,
            status: NeedStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            met_on: r.met_on,
        },
        version: r.version,
        created_by: Subject::parse(&r.created_by).map_err(|_| corrupt("created_by"))?,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum NeedError {
    #[error("no such case or need")]
    NotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("the need has changed since it was read")]
    VersionMismatch,
    #[error("invalid need")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for NeedError {
    fn from(e: diesel::result::Error) -> Self {
        NeedError::Store(e.into())
    }
}

/// Records a need on `conn` (in the caller's transaction), re-deriving the case's deadlines.
pub async fn create<F>(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    case_id: CaseId,
    domain: NeedDomain,
    state: NeedState,
    rules: &RuleBook,
    authorize: F,
) -> Result<Need, NeedError>
where
    F: FnOnce(&Case) -> Result<(), Denial>,
{
    let case = load(conn, case_id, Lock::Update).await?.ok_or(NeedError::NotFound)?;
    authorize(&case).map_err(NeedError::Denied)?;
    let need = Need {
        id: NeedId::new_at(ctx.at),
        case_id,
        domain,
        state,
        version: 1,
        created_by: ctx.principal.subject.clone(),
        created_at: ctx.at,
        updated_at: ctx.at,
    };
    diesel::insert_into(needs::table).values(row_of(&need)).execute(conn).await?;
    crate::derive::resync(conn, &case, rules, ctx.at).await?;
    let entry = AuditEntry::change(
        AuditAction::Create,
        EntityType::Need,
        need.id.into_uuid(),
        Some(case_id),
        vec!["domain", "identified_on", "status", "met_on"],
    );
    audit::record(conn, ctx, entry).await?;
    Ok(need)
}

fn row_of(n: &Need) -> NeedRow {
    NeedRow {
        id: n.id.into_uuid(),
        case_id: n.case_id.into_uuid(),
        domain: n.domain.as_str().to_owned(),
        identified_on: n.state.identified_on,
        status: n.state.status.as_str().to_owned(),
        met_on: n.state.met_on,
        version: n.version,
        created_by: n.created_by.as_str().to_owned(),
        created_at: n.created_at,
        updated_at: n.updated_at,
    }
}

pub async fn get(db: &Db, id: NeedId) -> Result<Option<Need>, StoreError> {
    let mut conn = db.conn().await?;
    let row = needs::table.find(id.into_uuid()).select(NeedRow::as_select()).first(&mut conn).await.optional()?;
    row.map(need_from).transpose()
}

pub async fn for_case(db: &Db, case: CaseId) -> Result<Vec<Need>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<NeedRow> = needs::table
        .filter(needs::case_id.eq(case.into_uuid()))
        .order((needs::identified_on.asc(), needs::id.asc()))
        .select(NeedRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(need_from).collect()
}

/// Changes a need's state if it is still at `expected_version` (None: any), after `authorize`
/// approves for its case; re-derives the case's deadlines; audits.
pub async fn update<F>(
    db: &Db,
    ctx: &AuditContext,
    id: NeedId,
    expected_version: Option<i32>,
    change: impl FnOnce(NeedState) -> Result<NeedState, FieldErrors> + Send,
    rules: &RuleBook,
    authorize: F,
) -> Result<Need, NeedError>
where
    F: FnOnce(&Case) -> Result<(), Denial> + Send,
{
    let mut conn = db.conn().await?;
    conn.transaction::<_, NeedError, _>(async move |conn| {
        let case_id: uuid::Uuid =
            needs::table.find(id.into_uuid()).select(needs::case_id).first(conn).await.optional()?.ok_or(NeedError::NotFound)?;
        let case = load(conn, CaseId::from_uuid(case_id), Lock::Update).await?.ok_or(NeedError::NotFound)?;
        authorize(&case).map_err(NeedError::Denied)?;
        let row: NeedRow = needs::table.find(id.into_uuid()).select(NeedRow::as_select()).for_update().first(conn).await?;
        let current = need_from(row)?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(NeedError::VersionMismatch);
        }
        let state = change(current.state).map_err(NeedError::Invalid)?;
        if state == current.state {
            return Ok(current);
        }
        let mut changed = Vec::new();
        for (name, differs) in [
            ("identified_on", state.identified_on != current.state.identified_on),
            ("status", state.status != current.state.status),
            ("met_on", state.met_on != current.state.met_on),
        ] {
            if differs {
                changed.push(name);
            }
        }
        let next = Need { state, version: current.version + 1, updated_at: ctx.at, ..current };
        diesel::update(needs::table.find(id.into_uuid()))
            .set((
                needs::identified_on.eq(next.state.identified_on),
                needs::status.eq(next.state.status.as_str()),
                needs::met_on.eq(next.state.met_on),
                needs::version.eq(next.version),
                needs::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        crate::derive::resync(conn, &case, rules, ctx.at).await?;
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Update, EntityType::Need, id.into_uuid(), Some(case.id), changed)).await?;
        Ok(next)
    })
    .await
}
