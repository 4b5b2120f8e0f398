//! What deadline derivation and the status view read of a case: its events (and the timeline
//! they replay to) and its met needs. Reads only: the writers and deadline derivation use them, they
//! use no writer.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::event::{
    CaseEvent, ClosureReason, CompetentAuthority, CorrectionReason, DatedFact, DecisionOutcome, DisqualificationGround, EventBody,
    EventType, Fact,
};
use fourthp_domain::ids::{AgencyId, CaseId, EventId};
use fourthp_domain::lifecycle::{self, Timeline};
use fourthp_domain::need::{NeedDomain, NeedStatus};
use fourthp_domain::principal::Subject;

use crate::db::StoreError;
use crate::rows::EventRow;
use crate::schema::{case_events, needs};

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

/// The case's timeline as replayed from its stored events (through a shared reference, so that
/// it can be pipelined with other reads).
pub(crate) async fn timeline(conn: &AsyncPgConnection, case: CaseId) -> Result<Timeline, StoreError> {
    let events = load_events(conn, case).await?;
    lifecycle::replay(&events).map_err(|v| StoreError::internal(format!("stored timeline breaks {}", v.rule)))
}

/// The needs of a case that were met, and when (for deadlines met by a need).
pub(crate) async fn met_for_case(conn: &mut AsyncPgConnection, case: CaseId) -> Result<Vec<(NeedDomain, NaiveDate)>, StoreError> {
    let rows: Vec<(String, Option<NaiveDate>)> = needs::table
        .filter(needs::case_id.eq(case.into_uuid()))
        .filter(needs::status.eq(NeedStatus::Met.as_str()))
        .select((needs::domain, needs::met_on))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(d, on)| Some((NeedDomain::parse(&d)?, on?))).collect())
}
