//! "What happened?" asks: made with a logged conversation, answered from an emailed link (or by
//! a signed-in partner), shown on the case and counted by agency.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{AgencyId, AskId, CaseId, InterventionId};
use fourthp_domain::notify::{Answer, Ask, AskAfter, AskAnswer, AskAnswerText, ASK_UNANSWERED_DAYS};
use fourthp_domain::principal::Subject;
use uuid::Uuid;

use crate::audit;
use crate::db::{Db, StoreError};
use crate::schema::{asks, cases, interventions};

type AskTuple = (
    Uuid,
    Uuid,
    Uuid,
    Uuid,
    NaiveDate,
    String,
    Option<Uuid>,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
);

macro_rules! ask_columns {
    () => {
        (
            asks::id,
            asks::case_id,
            asks::intervention_id,
            asks::agency_id,
            asks::ask_on,
            asks::asked_by,
            asks::asked_by_agency,
            asks::created_at,
            asks::answer_status,
            asks::answer_text,
            asks::answered_by,
            asks::answered_at,
        )
    };
}

pub(crate) fn ask_from(t: AskTuple) -> Result<Ask, StoreError> {
    let corrupt = |what: &str| StoreError::internal(format!("ask row with invalid {what}"));
    let (id, case_id, intervention_id, agency, ask_on, asked_by, asked_by_agency, created_at, status, text, by, at) = t;
    let answer = match (status, by, at) {
        (None, _, _) => None,
        (Some(status), Some(by), Some(at)) => Some(Answer {
            status: AskAnswer::parse(&status).ok_or_else(|| corrupt("answer"))?,
            text: text.as_deref().map(AskAnswerText::parse).transpose().map_err(|_| corrupt("answer text"))?,
            by: Subject::parse(&by).map_err(|_| corrupt("answered_by"))?,
            at,
        }),
        _ => return Err(corrupt("answer")),
    };
    Ok(Ask {
        id: AskId::from_uuid(id),
        case_id: CaseId::from_uuid(case_id),
        intervention_id: InterventionId::from_uuid(intervention_id),
        agency: AgencyId::from_uuid(agency),
        ask_on,
        asked_by: Subject::parse(&asked_by).map_err(|_| corrupt("asked_by"))?,
        asked_by_agency: asked_by_agency.map(AgencyId::from_uuid),
        created_at,
        answer,
    })
}

/// Asks `agency` what happened after the conversation `intervention` (on `conn`, in the
/// logging's transaction), audited.
pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    case: CaseId,
    intervention: InterventionId,
    agency: AgencyId,
    talked_on: NaiveDate,
    after: AskAfter,
) -> Result<Ask, StoreError> {
    let ask = Ask {
        id: AskId::new_at(ctx.at),
        case_id: case,
        intervention_id: intervention,
        agency,
        ask_on: after.ask_on(talked_on),
        asked_by: ctx.principal.subject.clone(),
        asked_by_agency: ctx.principal.agency,
        created_at: ctx.at,
        answer: None,
    };
    diesel::insert_into(asks::table)
        .values((
            asks::id.eq(ask.id.into_uuid()),
            asks::case_id.eq(case.into_uuid()),
            asks::intervention_id.eq(intervention.into_uuid()),
            asks::agency_id.eq(agency.into_uuid()),
            asks::ask_on.eq(ask.ask_on),
            asks::asked_by.eq(ask.asked_by.as_str()),
            asks::asked_by_agency.eq(ask.asked_by_agency.map(AgencyId::into_uuid)),
            asks::created_at.eq(ctx.at),
        ))
        .execute(conn)
        .await?;
    let entry = AuditEntry::change(AuditAction::Create, EntityType::Ask, ask.id.into_uuid(), Some(case), vec!["agency_id", "ask_on"]);
    audit::record(conn, ctx, entry).await?;
    Ok(ask)
}

/// A case's asks, oldest first.
pub async fn for_case(db: &Db, case: CaseId) -> Result<Vec<Ask>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<AskTuple> =
        asks::table.filter(asks::case_id.eq(case.into_uuid())).order(asks::created_at.asc()).select(ask_columns!()).load(&mut conn).await?;
    rows.into_iter().map(ask_from).collect()
}

pub async fn get_on(conn: &mut AsyncPgConnection, id: AskId) -> Result<Option<Ask>, StoreError> {
    let row: Option<AskTuple> = asks::table.find(id.into_uuid()).select(ask_columns!()).first(conn).await.optional()?;
    row.map(ask_from).transpose()
}

/// An ask as a digest shows it: the case's reference and the day of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAsk {
    pub ask: Ask,
    pub case_reference: CaseReference,
    pub talked_at: DateTime<Utc>,
}

/// The asks `agency` is to answer on `today`: due, unanswered, not yet 14 days late.
pub async fn due_for(db: &Db, agency: AgencyId, today: NaiveDate) -> Result<Vec<DueAsk>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(AskTuple, String, DateTime<Utc>)> = asks::table
        .inner_join(cases::table)
        .inner_join(interventions::table)
        .filter(asks::agency_id.eq(agency.into_uuid()))
        .filter(asks::answered_at.is_null())
        .filter(asks::ask_on.le(today))
        .filter(asks::ask_on.ge(today - chrono::Duration::days(ASK_UNANSWERED_DAYS)))
        .order((asks::ask_on.asc(), asks::id.asc()))
        .select((ask_columns!(), cases::reference, interventions::occurred_at))
        .load(&mut conn)
        .await?;
    rows.into_iter()
        .map(|(t, reference, talked_at)| {
            Ok(DueAsk {
                ask: ask_from(t)?,
                case_reference: CaseReference::parse(&reference).map_err(|_| StoreError::internal("case row with invalid reference"))?,
                talked_at,
            })
        })
        .collect()
}

/// Records the answer to an open ask on `conn`, audited; `None` when it was answered already.
pub(crate) async fn answer_on(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    id: AskId,
    status: AskAnswer,
    text: Option<&AskAnswerText>,
) -> Result<Option<Ask>, StoreError> {
    let changed = diesel::update(asks::table.find(id.into_uuid()).filter(asks::answered_at.is_null()))
        .set((
            asks::answer_status.eq(status.as_str()),
            asks::answer_text.eq(text.map(AskAnswerText::as_str)),
            asks::answered_by.eq(ctx.principal.subject.as_str()),
            asks::answered_at.eq(ctx.at),
        ))
        .execute(conn)
        .await?;
    if changed == 0 {
        return Ok(None);
    }
    let ask = get_on(conn, id).await?.ok_or_else(|| StoreError::internal("the ask went while it was answered"))?;
    let entry =
        AuditEntry::change(AuditAction::Update, EntityType::Ask, id.into_uuid(), Some(ask.case_id), vec!["answer_status", "answer_text"]);
    audit::record(conn, ctx, entry).await?;
    Ok(Some(ask))
}

/// Answered and unanswered asks by agency, for asks due in `[from, to)` (unanswered: 14 days
/// after their day without an answer, by `today`).
pub async fn counts_by_agency(db: &Db, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<Vec<(AgencyId, i64, i64)>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(Uuid, Option<DateTime<Utc>>, NaiveDate)> = asks::table
        .filter(asks::ask_on.ge(from))
        .filter(asks::ask_on.lt(to))
        .select((asks::agency_id, asks::answered_at, asks::ask_on))
        .load(&mut conn)
        .await?;
    let mut by: std::collections::BTreeMap<Uuid, (i64, i64)> = std::collections::BTreeMap::new();
    for (agency, answered, ask_on) in rows {
        let entry = by.entry(agency).or_default();
        if answered.is_some() {
            entry.0 += 1;
        } else if today > ask_on + chrono::Duration::days(ASK_UNANSWERED_DAYS) {
            entry.1 += 1;
        }
    }
    Ok(by.into_iter().map(|(a, (answered, unanswered))| (AgencyId::from_uuid(a), answered, unanswered)).collect())
}
