//! The case-events repository: appending (with the lifecycle check, deadline recomputation and
//! audit in one transaction) and reading the timeline.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::Case;
use fourthp_domain::event::{CaseEvent, EventBody, EventType, Fact};
use fourthp_domain::ids::{CaseId, EventId};
use fourthp_domain::lifecycle::{self, BackdatingWindow, Violation};
use fourthp_domain::rules::RuleBook;

use crate::audit;
use crate::case_lock::{load, Lock};
use crate::db::{violated, Db, StoreError};
use crate::facts::load_events;
use crate::rows::EventRow;
use crate::schema::{case_events, cases};

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
        crate::derive::sync(conn, &case, &timeline, rules.book, ctx.at).await?;
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
