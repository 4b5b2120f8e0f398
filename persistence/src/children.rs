//! Which case a child record (an event, intervention, action, need, outcome or deadline)
//! belongs to: so that one asked for under another case's path is told apart from one that
//! does not exist (the first is a refusal on the audit trail, the second a failed lookup).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use fourthp_domain::audit::EntityType;
use fourthp_domain::ids::CaseId;
use uuid::Uuid;

use crate::db::{Db, StoreError};
use crate::schema::{actions, case_events, deadlines, interventions, needs, outcomes};

/// The case the record of `kind` with this id belongs to; `None` when there is none (or the kind
/// is not a case's child).
pub async fn case_of(db: &Db, kind: EntityType, id: Uuid) -> Result<Option<CaseId>, StoreError> {
    let mut conn = db.conn().await?;
    let case: Option<Uuid> = match kind {
        EntityType::CaseEvent => case_events::table.find(id).select(case_events::case_id).first(&mut conn).await.optional()?,
        EntityType::Intervention => interventions::table.find(id).select(interventions::case_id).first(&mut conn).await.optional()?,
        EntityType::Action => actions::table.find(id).select(actions::case_id).first::<Option<Uuid>>(&mut conn).await.optional()?.flatten(),
        EntityType::Need => needs::table.find(id).select(needs::case_id).first(&mut conn).await.optional()?,
        EntityType::Outcome => outcomes::table.find(id).select(outcomes::case_id).first(&mut conn).await.optional()?,
        EntityType::Deadline => deadlines::table.find(id).select(deadlines::case_id).first(&mut conn).await.optional()?,
        _ => None,
    };
    Ok(case.map(CaseId::from_uuid))
}
