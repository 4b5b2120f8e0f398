//! The daily log: logging an intervention with the follow-ups agreed in it (idempotently), and a
//! case's interventions as the caller may see them.

use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, CaseAction};
use fourthp_domain::action::{Action, ActionDescription, NewAction};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId, NeedId};
use fourthp_domain::intervention::{Channel, Direction, DurationMinutes, Intervention, NewIntervention, Summary};
use fourthp_domain::need::NeedDomain;
use fourthp_domain::notify::AskAfter;
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Role;
use fourthp_domain::time::london_date;
use fourthp_persistence::interventions::{self, InterventionCursor, InterventionError, InterventionFilter};
use fourthp_persistence::write::{self, IdempotencyKey, StoredResponse, Written};

use super::access::{authorize, case_for};
use super::AppError;
use crate::auth::Caller;
use crate::query::parse_date;
use crate::state::AppState;

impl From<InterventionError> for AppError {
    fn from(e: InterventionError) -> Self {
        match e {
            InterventionError::NotFound => AppError::NotFound,
            InterventionError::Denied(d) => d.into(),
            InterventionError::Invalid(errs) => AppError::Invalid(errs),
            InterventionError::Store(s) => AppError::Store(s),
        }
    }
}

/// A follow-up as typed: what, who owes it, by when (`YYYY-MM-DD`).
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub description: String,
    pub owner: AgencyId,
    pub due_on: String,
}

/// Follow-ups parsed, each at fault named `<prefix>[i].description` or `.due_on` (`description`
/// and `due_on` with no prefix).
pub fn parse_follow_ups(raw: Vec<FollowUp>, prefix: &str, errs: &mut FieldErrors) -> Vec<NewAction> {
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let at = if prefix.is_empty() { String::new() } else { format!("{prefix}[{i}].") };
            let description = errs.check(&format!("{at}description"), ActionDescription::parse(&a.description));
            let due_on = errs.check(&format!("{at}due_on"), parse_date(&a.due_on));
            Some(NewAction { description: description?, owner_agency_id: a.owner, due_on: due_on? })
        })
        .collect()
}

/// One follow-up on its own (an action agreed apart from a call): errors name `description`
/// and `due_on`.
pub fn parse_follow_up(raw: FollowUp) -> Result<NewAction, AppError> {
    let mut errs = FieldErrors::new();
    let parsed = parse_follow_ups(vec![raw], "", &mut errs);
    errs.into_result()?;
    parsed.into_iter().next().ok_or_else(|| AppError::Store(fourthp_persistence::StoreError::internal("no action parsed")))
}

/// An intervention as an adapter read it. Field errors name `summary`, `duration_minutes` and
/// `actions[i].description` / `actions[i].due_on`.
#[derive(Debug, Clone)]
pub struct LogFields {
    pub channel: Channel,
    pub direction: Direction,
    pub counterpart: AgencyId,
    pub occurred_at: DateTime<Utc>,
    pub need_domain: NeedDomain,
    pub need: Option<NeedId>,
    pub summary: String,
    pub duration_minutes: i64,
    pub follow_ups: Vec<FollowUp>,
    /// Ask the counterpart agency what happened this many days after (coordinators; 1 to 60).
    pub ask_back_days: Option<i64>,
}

/// An intervention as typed, its follow-ups and its ask-back parsed, every field at fault named.
pub fn parse_log(b: LogFields) -> Result<(NewIntervention, Vec<NewAction>, Option<AskAfter>), FieldErrors> {
    let mut errs = FieldErrors::new();
    let summary = errs.check("summary", Summary::parse(&b.summary));
    let duration = errs.check("duration_minutes", DurationMinutes::parse(b.duration_minutes));
    let follow_ups = parse_follow_ups(b.follow_ups, "actions", &mut errs);
    let ask = errs.check_opt("ask_back_days", b.ask_back_days.map(AskAfter::parse)).flatten();
    let (Some(summary), Some(duration_minutes)) = (summary, duration) else { return Err(errs) };
    errs.into_result()?;
    let new = NewIntervention {
        channel: b.channel,
        direction: b.direction,
        counterpart_agency_id: b.counterpart,
        occurred_at: b.occurred_at,
        need_domain: b.need_domain,
        need_id: b.need,
        summary,
        duration_minutes,
    };
    Ok((new, follow_ups, ask))
}

/// What logging wrote: the intervention and the actions agreed with it.
pub type Logged = (Intervention, Vec<Action>);

/// Logs an intervention as the caller's agency (coordinators, and partners on the case; only
/// coordinators agree follow-ups), once per idempotency key: `respond` is what a replay of the
/// key answers.
pub async fn log(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    key: Option<&IdempotencyKey>,
    b: LogFields,
    respond: impl FnOnce(&Logged) -> StoredResponse,
) -> Result<Written<Logged>, AppError> {
    access::precheck(caller.principal().role, CaseAction::LogIntervention)?;
    if (!b.follow_ups.is_empty() || b.ask_back_days.is_some()) && caller.principal().role != Role::Coordinator {
        return Err(AppError::Forbidden);
    }
    let (new, follow_ups, ask) = parse_log(b)?;
    let ctx = &caller.ctx;
    let today = london_date(ctx.at);
    let window = state.rules.window;
    write::run(
        &state.db,
        key,
        ctx.at,
        async |conn| {
            interventions::create(conn, ctx, case, new, follow_ups, ask, window, today, authorize(caller, CaseAction::LogIntervention))
                .await
                .map_err(AppError::from)
        },
        respond,
    )
    .await
}

/// Which of a case's interventions, read by the adapter.
#[derive(Debug, Clone, Default)]
pub struct InterventionQuery {
    pub channel: Option<Channel>,
    pub counterpart: Option<AgencyId>,
    pub need_domain: Option<NeedDomain>,
    /// Occurred on or after this London date.
    pub from: Option<NaiveDate>,
    /// Occurred before this London date.
    pub to: Option<NaiveDate>,
    pub limit: Limit,
    pub after: Option<InterventionCursor>,
}

/// Midnight at the start of a London date, as an instant.
fn london_midnight(date: NaiveDate) -> Option<DateTime<Utc>> {
    let naive = date.and_hms_opt(0, 0, 0)?;
    let utc = naive.and_utc();
    // During BST London midnight is 23:00 UTC the day before.
    Some(if fourthp_domain::time::is_bst(utc) { utc - chrono::Duration::hours(1) } else { utc })
}

/// A page of a case's interventions under `q`, most recent first, for the caller to see (each
/// agency sees only its own summaries: the adapter shows them through the policy's view).
pub async fn of_case(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    q: InterventionQuery,
) -> Result<Page<Intervention, InterventionCursor>, AppError> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    case_for(&state.db, caller, case, CaseAction::Read).await?;
    let filter = InterventionFilter {
        channel: q.channel,
        counterpart: q.counterpart,
        need_domain: q.need_domain,
        from: q.from.and_then(london_midnight),
        to: q.to.and_then(london_midnight),
    };
    Ok(interventions::for_case(&state.db, case, &filter, q.limit, q.after).await?)
}

/// One intervention of the case.
pub async fn get(
    caller: &Caller,
    state: &AppState,
    case: CaseId,
    id: fourthp_domain::ids::InterventionId,
) -> Result<Intervention, AppError> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    case_for(&state.db, caller, case, CaseAction::Read).await?;
    match interventions::get(&state.db, id).await? {
        Some(i) if i.case_id == case => Ok(i),
        // Another case's intervention asked for under this one: a refusal.
        Some(_) => {
            caller.refused_child();
            Err(AppError::NotFound)
        }
        None => Err(AppError::NotFound),
    }
}
