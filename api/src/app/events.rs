//! The case's lifecycle: recording an event (a fact, or the correction of one) idempotently,
//! with the stage and deadlines following in the same transaction; and reading the events.

use fourthp_domain::access::{self, CaseAction, CaseView};
use fourthp_domain::case::Case;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::event::{
    CaseEvent, ClosureReason, CompetentAuthority, DatedFact, DecisionOutcome, DisqualificationGround, EventBody, EventType, Fact,
};
use fourthp_domain::ids::{AgencyId, CaseId, EventId};
use fourthp_domain::lifecycle::Violation;
use fourthp_domain::time::london_date;
use fourthp_persistence::events::{self, AppendEventError, EventRules};
use fourthp_persistence::write::{self, IdempotencyKey, StoredResponse, Written};

use super::access::{authorize, case_at, case_for};
use super::AppError;
use crate::auth::Caller;
use crate::query::parse_date;
use crate::state::AppState;

/// A lifecycle rule broken: a conflict naming the rule.
pub fn violation(v: Violation) -> AppError {
    AppError::Conflict { kind: "lifecycle", message: v.rule.explain().to_owned(), rule: Some(v.rule.as_str()), errors: FieldErrors::new() }
}

impl From<AppendEventError> for AppError {
    fn from(e: AppendEventError) -> Self {
        match e {
            AppendEventError::CaseNotFound => AppError::NotFound,
            AppendEventError::Denied(d) => d.into(),
            AppendEventError::Violation(v) => violation(v),
            AppendEventError::UnknownAgency => AppError::invalid("first_responder_agency_id", "is not a registered agency"),
            AppendEventError::Store(s) => AppError::Store(s),
        }
    }
}

/// Every field a fact may have, as an adapter read it; which are required depends on `kind`.
/// Errors name `date`, `outcome`, `competent_authority`, `ground`, `reason` and
/// `first_responder_agency_id` (after a prefix, for a correction's replacement).
#[derive(Debug, Clone)]
pub struct FactFields {
    pub kind: EventType,
    pub date: String,
    pub outcome: Option<DecisionOutcome>,
    pub competent_authority: Option<CompetentAuthority>,
    pub ground: Option<DisqualificationGround>,
    pub reason: Option<ClosureReason>,
    pub first_responder: Option<AgencyId>,
}

/// A fact read from its fields, every field at fault named.
pub fn parse_fact(fields: FactFields) -> Result<EventBody, FieldErrors> {
    let mut errs = FieldErrors::new();
    dated(fields, "", &mut errs).map(EventBody::Fact).ok_or(errs)
}

pub fn dated(f: FactFields, prefix: &str, errs: &mut FieldErrors) -> Option<DatedFact> {
    let date = errs.check(&format!("{prefix}date"), parse_date(&f.date));
    let before = errs.clone();
    let mut required = |name: &str, present: bool| {
        if !present {
            errs.push(format!("{prefix}{name}"), format!("is required for {}", f.kind));
        }
    };
    let fact = match f.kind {
        EventType::SupportStarted => Some(Fact::SupportStarted),
        EventType::NrmReferralSubmitted => {
            required("first_responder_agency_id", f.first_responder.is_some());
            f.first_responder.map(|first_responder| Fact::NrmReferralSubmitted { first_responder })
        }
        EventType::DutyToNotifySubmitted => Some(Fact::DutyToNotifySubmitted),
        EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision => {
            required("outcome", f.outcome.is_some());
            required("competent_authority", f.competent_authority.is_some());
            f.outcome.zip(f.competent_authority).map(|(outcome, authority)| match f.kind {
                EventType::ReasonableGroundsDecision => Fact::ReasonableGroundsDecision { outcome, authority },
                _ => Fact::ConclusiveGroundsDecision { outcome, authority },
            })
        }
        EventType::ReconsiderationRequested => Some(Fact::ReconsiderationRequested),
        EventType::Disqualified => {
            required("ground", f.ground.is_some());
            f.ground.map(|ground| Fact::Disqualified { ground })
        }
        EventType::RecoveryNeedsAssessmentSubmitted => Some(Fact::RecoveryNeedsAssessmentSubmitted),
        EventType::CaseClosed => {
            required("reason", f.reason.is_some());
            f.reason.map(|reason| Fact::CaseClosed { reason })
        }
        EventType::CaseReopened => Some(Fact::CaseReopened),
        EventType::Correction => {
            errs.push(format!("{prefix}type"), "a replacement cannot itself be a correction");
            None
        }
    };
    // Fields that do not belong to the type are refused rather than ignored.
    let extra = [
        ("outcome", f.outcome.is_some(), matches!(f.kind, EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision)),
        (
            "competent_authority",
            f.competent_authority.is_some(),
            matches!(f.kind, EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision),
        ),
        ("ground", f.ground.is_some(), f.kind == EventType::Disqualified),
        ("reason", f.reason.is_some(), f.kind == EventType::CaseClosed),
        ("first_responder_agency_id", f.first_responder.is_some(), f.kind == EventType::NrmReferralSubmitted),
    ];
    for (name, present, belongs) in extra {
        if present && !belongs {
            errs.push(format!("{prefix}{name}"), format!("is not a field of {}", f.kind));
        }
    }
    if *errs != before {
        return None;
    }
    Some(DatedFact { fact: fact?, date: date? })
}

/// Records an event (coordinators), once per idempotency key: the case's stage and deadlines
/// follow in the same transaction, and an event the lifecycle refuses is a conflict naming the
/// rule. `respond` is what a replay of the key answers.
pub async fn record(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    key: Option<&IdempotencyKey>,
    event: Result<EventBody, FieldErrors>,
    respond: impl FnOnce(&(CaseEvent, Case)) -> StoredResponse,
) -> Result<Written<(CaseEvent, Case)>, AppError> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let event = event?;
    let today = london_date(caller.ctx.at);
    let rules = EventRules { book: &state.rules.book, window: state.rules.window, today };
    let ctx = &caller.ctx;
    write::run(
        &state.db,
        key,
        ctx.at,
        async |conn| events::append(conn, ctx, case, event, rules, authorize(caller, CaseAction::Update)).await.map_err(AppError::from),
        respond,
    )
    .await
}

/// The case's events in recording order, corrections included, with the view the caller has.
pub async fn list(caller: &Caller, state: &AppState, case: CaseId) -> Result<(Vec<CaseEvent>, CaseView), AppError> {
    let (id, _, view) = case_at(&state.db, caller, case, CaseAction::Read).await?;
    Ok((events::list(&state.db, id).await?, view))
}

/// One event of the case, with the correction that supersedes it if any.
pub async fn get(caller: &Caller, state: &AppState, case: CaseId, id: EventId) -> Result<(CaseEvent, Option<EventId>, CaseView), AppError> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    let (_, view) = case_for(&state.db, caller, case, CaseAction::Read).await?;
    let events = events::list(&state.db, case).await?;
    let Some(event) = events.iter().find(|e| e.id == id).cloned() else {
        return Err(super::child_not_under(caller, state, case, fourthp_domain::audit::EntityType::CaseEvent, id.into_uuid()).await);
    };
    let superseded_by = events.iter().find_map(|e| match &e.body {
        EventBody::Correction { supersedes, .. } if *supersedes == id => Some(e.id),
        _ => None,
    });
    Ok((event, superseded_by, view))
}
