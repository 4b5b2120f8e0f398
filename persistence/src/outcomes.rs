//! The outcomes repository: what coordination achieved, and which interventions led there.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::Case;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{CaseId, InterventionId, OutcomeId};
use fourthp_domain::outcome::{Evidence, NewOutcome, Outcome, OutcomeKind, Score};
use fourthp_domain::principal::Subject;

use crate::audit;
use crate::case_lock::{load, Lock};
use crate::db::{Db, StoreError};
use crate::interventions;
use crate::rows::{OutcomeInterventionRow, OutcomeRow};
use crate::schema::{outcome_interventions, outcomes};

#[derive(Debug, thiserror::Error)]
pub enum OutcomeError {
    #[error("no such case")]
    NotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("invalid outcome")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for OutcomeError {
    fn from(e: diesel::result::Error) -> Self {
        OutcomeError::Store(e.into())
    }
}

/// Records an outcome on `conn` (in the caller's transaction), after `authorize` approves; every
/// contributing intervention must be one of the case's.
pub async fn create<F>(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    case_id: CaseId,
    new: NewOutcome,
    authorize: F,
) -> Result<Outcome, OutcomeError>
where
    F: FnOnce(&Case) -> Result<(), Denial>,
{
    let case = load(conn, case_id, Lock::Share).await?.ok_or(OutcomeError::NotFound)?;
    authorize(&case).map_err(OutcomeError::Denied)?;
    let known = interventions::of_case(conn, case_id, &new.intervention_ids).await?;
    let mut errs = FieldErrors::new();
    for (i, id) in new.intervention_ids.iter().enumerate() {
        if !known.contains(id) {
            errs.push(format!("intervention_ids[{i}]"), "is not an intervention of this case");
        }
        if new.intervention_ids[..i].contains(id) {
            errs.push(format!("intervention_ids[{i}]"), "is listed twice");
        }
    }
    errs.into_result().map_err(OutcomeError::Invalid)?;
    let outcome =
        Outcome { id: OutcomeId::new_at(ctx.at), case_id, details: new, recorded_by: ctx.principal.subject.clone(), recorded_at: ctx.at };
    let d = &outcome.details;
    let row = OutcomeRow {
        id: outcome.id.into_uuid(),
        case_id: case_id.into_uuid(),
        outcome: d.outcome.as_str().to_owned(),
        achieved_on: d.achieved_on,
        evidence: d.evidence.as_ref().map(|e| e.as_str().to_owned()),
        score: d.score.map(|s| i16::from(s.get())),
        recorded_by: outcome.recorded_by.as_str().to_owned(),
        recorded_at: ctx.at,
    };
    diesel::insert_into(outcomes::table).values(&row).execute(conn).await?;
    let links: Vec<OutcomeInterventionRow> = d
        .intervention_ids
        .iter()
        .map(|i| OutcomeInterventionRow { outcome_id: outcome.id.into_uuid(), intervention_id: i.into_uuid() })
        .collect();
    if !links.is_empty() {
        diesel::insert_into(outcome_interventions::table).values(&links).execute(conn).await?;
    }
    let fields = vec!["outcome", "achieved_on", "evidence", "score", "intervention_ids"];
    audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::Outcome, outcome.id.into_uuid(), Some(case_id), fields))
        .await?;
    Ok(outcome)
}

/// A case's outcomes by date achieved.
pub async fn for_case(db: &Db, case: CaseId) -> Result<Vec<Outcome>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<OutcomeRow> = outcomes::table
        .filter(outcomes::case_id.eq(case.into_uuid()))
        .order((outcomes::achieved_on.asc(), outcomes::id.asc()))
        .select(OutcomeRow::as_select())
        .load(&mut conn)
        .await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let links: Vec<OutcomeInterventionRow> = outcome_interventions::table
        .filter(outcome_interventions::outcome_id.eq_any(&ids))
        .order(outcome_interventions::intervention_id)
        .select(OutcomeInterventionRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let corrupt = |what: &str| StoreError::internal(format!("outcome row with invalid {what}"));
            Ok(Outcome {
                id: OutcomeId::from_uuid(r.id),
                case_id: CaseId::from_uuid(r.case_id),
                details: NewOutcome {
                    outcome: OutcomeKind::parse(&r.outcome).ok_or_else(|| corrupt("outcome"))?,
                    achieved_on: r.achieved_on,
                    evidence: r.evidence.as_deref().map(Evidence::parse).transpose().map_err(|_| corrupt("evidence"))?,
                    score: r.score.map(|s| Score::parse(i64::from(s))).transpose().map_err(|_| corrupt("score"))?,
                    intervention_ids: links
                        .iter()
                        .filter(|l| l.outcome_id == r.id)
                        .map(|l| InterventionId::from_uuid(l.intervention_id))
                        .collect(),
                },
                recorded_by: Subject::parse(&r.recorded_by).map_err(|_| corrupt("recorded_by"))?,
                recorded_at: r.recorded_at,
            })
        })
        .collect()
}
