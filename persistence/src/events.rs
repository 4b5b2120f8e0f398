//! The case-events repository: appending (with the lifecycle check, deadline recomputation and
//! audit in one transaction) and reading the timeline.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::Case;
use fourthp_domain::event::{
    CaseEvent, ClosureReason, CompetentAuthority, CorrectionReason, DatedFact, DecisionOutcome, DisqualificationGround, EventBody,
    EventType, Fact,
};
use fourthp_domain::ids::{AgencyId, CaseId, EventId};
use fourthp_domain::lifecycle::{self, BackdatingWindow, Timeline, Violation};
use fourthp_domain::principal::Subject;
use fourthp_domain::rules::RuleBook;

use crate::audit;
use crate::cases::{load, Lock};
use crate::db::{violated, Db, StoreError};
use crate::deadlines;
use crate::rows::EventRow;
use crate::schema::{case_events, cases};

fn corrupt(what: &str) -> StoreError {
    StoreError::internal(format!("case event row with invalid {what}"))
}

fn fact_from(t: &str, r: &EventRow) -> Result<Fact, StoreError> {
    let outcome = || r.outcome.as_deref().and_then(DecisionOutcome::parse).ok_or_else(|| corrupt("outcome"));
    let authority = || r.competent_authority.as_deref().and_then(CompetentAuthority::parse).ok_or_else(|| corrupt("competent_authority"));
    Ok(match EventType::parse(t).ok_or_else(|| corrupt("type"))? {
        EventType::SupportStarted => Fact::SupportStarted,
        EventType::NrmReferralSubmitted => Fact::NrmReferralSubmitted {
            first_responder: AgencyId::from_uuid(r.first_responder_agency_id.ok_or_else(|| corrupt("first responder"))?),
        },
        EventType::DutyToNotifySubmitted => Fact::DutyToNotifySubmitted,
        EventType::ReasonableGroundsDecision => Fact::ReasonableGroundsDecision { outcome: outcome()?, authority: authority()? },
        EventType::ConclusiveGroundsDecision => Fact::ConclusiveGroundsDecision { outcome: outcome()?, authority: authority()? },
        EventType::ReconsiderationRequested => Fact::ReconsiderationRequested,
        EventType::Disqualified => {
            Fact::Disqualified { ground: r.ground.as_deref().and_then(DisqualificationGround::parse).ok_or_else(|| corrupt("ground"))? }
        }
        EventType::RecoveryNeedsAssessmentSubmitted => Fact::RecoveryNeedsAssessmentSubmitted,
        EventType::CaseClosed => Fact::CaseClosed {
            reason: r.closure_reason.as_deref().and_then(ClosureReason::parse).ok_or_else(|| corrupt("closure_reason"))?,
        },
        EventType::CaseReopened => Fact::CaseReopened,
        EventType::Correction => return Err(corrupt("replacement type")),
    })
}

fn event_from(r: EventRow) -> Result<CaseEvent, StoreError> {
    let dated = |t: &str| -> Result<DatedFact, StoreError> {
        Ok(DatedFact { fact: fact_from(t, &r)?, date: r.event_date.ok_or_else(|| corrupt("date"))? })
    };
    let body = if r.event_type == EventType::Correction.as_str() {
        EventBody::Correction {
            supersedes: EventId::from_uuid(r.supersedes.ok_or_else(|| corrupt("supersedes"))?),
            reason: CorrectionReason::parse(r.correction_reason.as_deref().unwrap_or_default())
                .map_err(|_| corrupt("correction_reason"))?,
            replacement: r.replacement_type.as_deref().map(dated).transpose()?,
        }
    } else {
        EventBody::Fact(dated(&r.event_type)?)
    };
    Ok(CaseEvent {
        id: EventId::from_uuid(r.id),
        body,
        recorded_at: r.recorded_at,
        recorded_by: Subject::parse(&r.recorded_by).map_err(|_| corrupt("recorded_by"))?,
    })
}

fn row_of(case: CaseId, e: &CaseEvent) -> EventRow {
    let (event_type, replacement_type, dated) = match &e.body {
        EventBody::Fact(f) => (f.fact.event_type().as_str().to_owned(), None, Some(*f)),
        EventBody::Correction { replacement, .. } => {
            (EventType::Correction.as_str().to_owned(), replacement.map(|r| r.fact.event_type().as_str().to_owned()), *replacement)
        }
    };
    let fact = dated.map(|d| d.fact);
    let (outcome, authority) = match fact {
        Some(Fact::ReasonableGroundsDecision { outcome, authority } | Fact::ConclusiveGroundsDecision { outcome, authority }) => {
            (Some(outcome.as_str().to_owned()), Some(authority.as_str().to_owned()))
        }
        _ => (None, None),
    };
    let (supersedes, correction_reason) = match &e.body {
        EventBody::Correction { supersedes, reason, .. } => (Some(supersedes.into_uuid()), Some(reason.as_str().to_owned())),
        EventBody::Fact(_) => (None, None),
    };
    EventRow {
        id: e.id.into_uuid(),
        case_id: case.into_uuid(),
        seq: 0,
        event_type,
        replacement_type,
        event_date: dated.map(|d| d.date),
        outcome,
        competent_authority: authority,
        ground: match fact {
            Some(Fact::Disqualified { ground }) => Some(ground.as_str().to_owned()),
            _ => None,
        },
        closure_reason: match fact {
            Some(Fact::CaseClosed { reason }) => Some(reason.as_str().to_owned()),
            _ => None,
        },
        first_responder_agency_id: match fact {
            Some(Fact::NrmReferralSubmitted { first_responder }) => Some(first_responder.into_uuid()),
            _ => None,
        },
        supersedes,
        correction_reason,
        recorded_at: e.recorded_at,
        recorded_by: e.recorded_by.as_str().to_owned(),
    }
}

/// The case's events in recording order.
/// Reads through a shared reference, so that it can be pipelined with other reads on the same
/// connection (diesel-async sends them all before waiting for the first).
pub(crate) async fn load_events(mut conn: &AsyncPgConnection, case: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
    let rows: Vec<EventRow> = case_events::table
        .filter(case_events::case_id.eq(case.into_uuid()))
        .order(case_events::seq.asc())
        .select(EventRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(event_from).collect()
}

/// The case's events (recording order) for reading.
pub async fn list(db: &Db, case: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
    let conn = db.conn().await?;
    load_events(&conn, case).await
}

/// What appending needs from the deployment.
#[derive(Debug, Clone, Copy)]
pub struct EventRules<'a> {
    pub book: &'a RuleBook,
    pub window: BackdatingWindow,
    /// The London date of the request.
    pub today: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendEventError {
    #[error("no such case")]
    CaseNotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("the event breaks a lifecycle rule")]
    Violation(Violation),
    #[error("the first responder agency is not registered")]
    UnknownAgency,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for AppendEventError {
    fn from(e: DieselError) -> Self {
        if violated(&e, DatabaseErrorKind::ForeignKeyViolation).is_some_and(|c| c.contains("first_responder")) {
            return AppendEventError::UnknownAgency;
        }
        AppendEventError::Store(e.into())
    }
}

/// Appends `body` to the case's timeline after `authorize` approves and the lifecycle accepts
/// it; recomputes the case's deadlines and stage; audits; all on `conn`, in the caller's
/// transaction. Returns the event and the case as it now stands.
pub async fn append<F>(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    case_id: CaseId,
    body: EventBody,
    rules: EventRules<'_>,
    authorize: F,
) -> Result<(CaseEvent, Case), AppendEventError>
where
    F: FnOnce(&Case) -> Result<(), Denial> + Send,
{
    let event = CaseEvent { id: EventId::new_at(ctx.at), body, recorded_at: ctx.at, recorded_by: ctx.principal.subject.clone() };
    {
        let case = load(conn, case_id, Lock::Update).await?.ok_or(AppendEventError::CaseNotFound)?;
        authorize(&case).map_err(AppendEventError::Denied)?;
        let existing = load_events(conn, case_id).await?;
        let timeline = lifecycle::append(&existing, event.clone(), rules.today, rules.window).map_err(AppendEventError::Violation)?;
        diesel::insert_into(case_events::table).values(row_of(case_id, &event)).execute(conn).await?;
        deadlines::sync(conn, &case, &timeline, rules.book, ctx.at).await?;
        diesel::update(cases::table.find(case_id.into_uuid()))
            .set((cases::version.eq(cases::version + 1), cases::updated_at.eq(ctx.at)))
            .execute(conn)
            .await?;
        let entry = AuditEntry::change(
            AuditAction::Create,
            EntityType::CaseEvent,
            event.id.into_uuid(),
            Some(case_id),
            vec!["type", "date", "stage", "deadlines"],
        );
        audit::record(conn, ctx, entry).await?;
        let case = load(conn, case_id, Lock::None).await?.ok_or_else(|| StoreError::internal("case vanished"))?;
        Ok((event, case))
    }
}

/// The case's timeline as replayed from its stored events (through a shared reference, so that
/// it can be pipelined with other reads).
pub(crate) async fn timeline(conn: &AsyncPgConnection, case: CaseId) -> Result<Timeline, StoreError> {
    let events = load_events(conn, case).await?;
    lifecycle::replay(&events).map_err(|v| StoreError::internal(format!("stored timeline breaks {}", v.rule)))
}
