//! Deadlines: a case's deadlines, the coordinators' queue, waivers, and the case status view.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, CaseAction, CaseView};
use fourthp_domain::audit::EntityType;
use fourthp_domain::case::{AgeBand, Stage};
use fourthp_domain::deadline::{Deadline, DeadlineSource, WaiverReason};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::event::DecisionOutcome;
use fourthp_domain::ids::{CaseId, DeadlineId};
use fourthp_domain::lifecycle::Decision;
use fourthp_domain::principal::{Role, Subject};
use fourthp_domain::rules::{DeadlineKind, DeadlineStatus};
use fourthp_domain::time::london_date;
use fourthp_persistence::deadlines::{self, QueueCursor, QueueFilter, WaiveError};
use fourthp_persistence::Db;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, decode_cursor, encode_cursor, parse_date};
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::paths::{CaseDeadlinePath, CasePath, DeadlinePath};
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;
use fourthp_domain::paging::Limit;

#[derive(Debug, Serialize, ToSchema)]
pub struct WaiverResponse {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// Support ended before an entitlement's minimum period had passed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportWarningResponse {
    #[schema(example = "move_on_end")]
    pub rule: String,
    /// The day before which support should not have ended.
    pub due_on: NaiveDate,
    pub support_ended_on: NaiveDate,
    pub message: String,
}

impl SupportWarningResponse {
    pub fn all(deadlines: &[Deadline]) -> Vec<Self> {
        fourthp_domain::deadline::support_warnings(deadlines)
            .into_iter()
            .map(|w| SupportWarningResponse { rule: w.rule_id, due_on: w.due_on, support_ended_on: w.support_ended_on, message: w.message })
            .collect()
    }
}

/// A deadline (or milestone) derived from the case's events by a versioned rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineResponse {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    #[schema(example = "2026-000123")]
    pub case_reference: String,
    #[schema(example = "move_on_end")]
    pub rule: String,
    #[schema(example = "2026-12")]
    pub rule_version: String,
    pub kind: DeadlineKind,
    pub due_on: NaiveDate,
    /// Derived from today's date in Europe/London.
    pub status: DeadlineStatus,
    /// How the date was worked out, the rule set and version, and the rule's source in law or
    /// guidance ("(unconfirmed)" where the source is not confirmed).
    #[schema(
        example = "45 days after the positive CG of 2026-03-02, England & Wales rules 2026-12; source: Modern Slavery: statutory guidance for England and Wales (s.49 MSA 2015), chapter 8 ..."
    )]
    pub explanation: String,
    pub met_on: Option<NaiveDate>,
    /// For an entitlement (a minimum period of support): the day support ended, when that was
    /// before `due_on`. The status is then `ended_early`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_ended_on: Option<NaiveDate>,
    /// For `action_due`: the action whose agreed date it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_id: Option<uuid::Uuid>,
    /// Coordinators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverResponse>,
}

impl DeadlineResponse {
    pub fn new(d: &Deadline, today: NaiveDate, view: CaseView) -> Self {
        DeadlineResponse {
            id: d.id.into_uuid(),
            case_id: d.case_id.into_uuid(),
            case_reference: d.case_reference.as_str().to_owned(),
            rule: d.rule_id.clone(),
            rule_version: d.rule_version.clone(),
            kind: d.kind,
            due_on: d.due_on,
            status: d.status(today),
            explanation: d.explanation.clone(),
            met_on: d.met_on,
            support_ended_on: d.support_ended_on,
            action_id: match d.source {
                DeadlineSource::Action(a) => Some(a.into_uuid()),
                DeadlineSource::Event(_) => None,
            },
            waiver: d.waiver.as_ref().filter(|_| view.restricted).map(|w| WaiverResponse {
                at: w.at,
                by: w.by.to_string(),
                reason: w.reason.to_string(),
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineListResponse {
    /// By due date.
    pub items: Vec<DeadlineResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// One row of the queue: a deadline and its case's stage today.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItemResponse {
    #[serde(flatten)]
    pub deadline: DeadlineResponse,
    pub case_stage: Stage,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueResponse {
    pub items: Vec<QueueItemResponse>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `status` of the queue: comma-separated deadline statuses.
fn statuses<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<DeadlineStatus>>, D::Error> {
    let raw = String::deserialize(d)?;
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(DeadlineStatus::parse)
        .collect::<Option<Vec<_>>>()
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("must be open, met, missed, waived or ended_early (comma-separated)"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Comma-separated statuses (open, met, missed, waived, ended_early); default: outstanding,
    /// that is deadlines not met or waived (open or overdue) and milestones still to come, which
    /// include entitlements whose support ended early (their cases closed) while they would still
    /// run. Each status filter is the definition each deadline's own `status` comes from.
    #[param(value_type = Option<String>)]
    #[serde(default, deserialize_with = "statuses")]
    pub status: Option<Vec<DeadlineStatus>>,
    /// Only deadlines due before this date (YYYY-MM-DD, from 2009-04-01 to 9999-12-31).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "field::date")]
    pub due_before: Option<NaiveDate>,
    /// A rule id, such as `gp_access`.
    pub rule: Option<String>,
    /// The lead coordinator's `sub`, or `me`.
    pub lead: Option<String>,
    /// 1–200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiveRequest {
    /// Why the deadline no longer applies, up to 500 characters.
    pub reason: String,
}

impl From<WaiveError> for Problem {
    fn from(e: WaiveError) -> Self {
        match e {
            WaiveError::NotFound => Problem::not_found(),
            WaiveError::Denied(d) => d.into(),
            WaiveError::NotOutstanding(status) => {
                Problem::conflict("not-outstanding", format!("Only an outstanding deadline can be waived; this one is {status}."))
            }
            WaiveError::Store(s) => s.into(),
        }
    }
}

/// The deadlines the caller may see: a partner sees the action deadlines of its own agency's
/// actions only.
async fn visible(
    db: &Db,
    principal: &fourthp_domain::principal::Principal,
    case: CaseId,
    all: Vec<Deadline>,
) -> Result<Vec<Deadline>, Problem> {
    if principal.role != Role::Partner {
        return Ok(all);
    }
    let filter = fourthp_persistence::actions::ActionFilter { owner: principal.agency, ..Default::default() };
    let own = fourthp_persistence::actions::all_of_case(db, case, &filter).await?;
    Ok(own_deadlines(all, &own))
}

/// The deadlines a partner sees: those the NRM journey sets, and those of the actions its
/// agency owes (`own`).
fn own_deadlines(all: Vec<Deadline>, own: &[fourthp_domain::action::Action]) -> Vec<Deadline> {
    all.into_iter()
        .filter(|d| match d.source {
            DeadlineSource::Event(_) => true,
            DeadlineSource::Action(a) => own.iter().any(|o| o.id == a),
        })
        .collect()
}

/// The case's deadlines and milestones, with the rule and explanation of each.
#[utoipa::path(
    tag = "lifecycle",
    params(CasePath, super::PageQuery),
    responses((status = 200, description = "A page of the deadlines", body = DeadlineListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/deadlines")]
pub async fn case_deadlines(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    query: ApiQuery<super::PageQuery>,
) -> Result<HttpResponse, Problem> {
    let (id, _, view) = super::case_at(&state.db, &caller, path.id, CaseAction::Read).await?;
    let today = london_date(caller.ctx.at);
    let all = visible(&state.db, caller.principal(), id, deadlines::for_case(&state.db, id).await?).await?;
    let (page, next_cursor) = super::page_of(all, "case-deadline", &query.0, |d| format!("{}|{}", d.due_on, d.id))?;
    let items = page.iter().map(|d| DeadlineResponse::new(d, today, view)).collect();
    Ok(HttpResponse::Ok().json(DeadlineListResponse { items, next_cursor }))
}

const CURSOR_KIND: &str = "deadline";

/// The coordinators' queue across open cases, by due date then case reference.
#[utoipa::path(
    tag = "lifecycle",
    params(QueueQuery),
    responses((status = 200, description = "A page of the queue", body = QueueResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/deadlines")]
pub async fn queue(caller: Caller, state: web::Data<AppState>, query: ApiQuery<QueueQuery>) -> Result<HttpResponse, Problem> {
    if caller.principal().role != Role::Coordinator {
        return Err(Problem::forbidden());
    }
    let q = query.0;
    let mut errs = FieldErrors::new();
    let limit = q.limit.unwrap_or_default();
    let statuses = q.status.unwrap_or_default();
    let due_before = q.due_before;
    let lead = match q.lead.as_deref() {
        Some("me") => Some(caller.principal().subject.clone()),
        other => errs.check_opt("lead", other.map(Subject::parse)).flatten(),
    };
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs)).and_then(|s| {
        let mut parts = s.splitn(3, '|');
        let parsed = (|| {
            let due_on = parse_date(parts.next()?).ok()?;
            let case_reference = parts.next()?.to_owned();
            let id = DeadlineId::parse(parts.next()?).ok()?;
            Some(QueueCursor { due_on, case_reference, id })
        })();
        if parsed.is_none() {
            errs.push("cursor", "is not a cursor this list returned");
        }
        parsed
    });
    bad_query(errs)?;
    let filter = QueueFilter { statuses, due_before, rule: q.rule, lead };
    let today = london_date(caller.ctx.at);
    let page = due(&caller, &state, &filter, limit, after.as_ref()).await?;
    let items = page
        .items
        .iter()
        .map(|i| QueueItemResponse { deadline: DeadlineResponse::new(&i.deadline, today, CaseView::FULL), case_stage: i.stage })
        .collect();
    let next_cursor = page.next.map(|c| encode_cursor(CURSOR_KIND, &format!("{}|{}|{}", c.due_on, c.case_reference, c.id)));
    Ok(HttpResponse::Ok().json(QueueResponse { items, next_cursor }))
}

/// The coordinators' queue of what is due (the API's queue and the coordinators' home page):
/// coordinators only; each case shown is recorded as read.
pub async fn due(
    caller: &Caller,
    state: &AppState,
    filter: &QueueFilter,
    limit: Limit,
    after: Option<&QueueCursor>,
) -> Result<fourthp_domain::paging::Page<deadlines::QueueItem, QueueCursor>, Problem> {
    if caller.principal().role != Role::Coordinator {
        return Err(Problem::forbidden());
    }
    let today = london_date(caller.ctx.at);
    let page = deadlines::queue(&state.db, filter, today, limit, after).await?;
    caller.listed(page.items.iter().map(|i| i.deadline.case_id), fourthp_domain::audit::Purpose::DeadlineQueue);
    Ok(page)
}

/// Waive an outstanding deadline with a reason (coordinators).
#[utoipa::path(
    tag = "lifecycle",
    params(DeadlinePath),
    request_body = WaiveRequest,
    responses((status = 200, description = "Waived", body = DeadlineResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/deadlines/{id}/waive")]
pub async fn waive(
    caller: Caller,
    state: web::Data<AppState>,
    path: DeadlinePath,
    body: ApiJson<WaiveRequest>,
) -> Result<HttpResponse, Problem> {
    let deadline = waive_deadline(&caller, &state, path.id, &body.value.reason).await?;
    Ok(HttpResponse::Ok().json(DeadlineResponse::new(&deadline, london_date(caller.ctx.at), CaseView::FULL)))
}

/// Waives an outstanding deadline with a reason (coordinators; the API and the case page).
pub async fn waive_deadline(
    caller: &Caller,
    state: &AppState,
    id: fourthp_domain::ids::DeadlineId,
    reason: &str,
) -> Result<fourthp_domain::deadline::Deadline, Problem> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let mut errs = FieldErrors::new();
    let Some(reason) = errs.check("reason", WaiverReason::parse(reason)) else { return Err(errs.into()) };
    let today = london_date(caller.ctx.at);
    let (deadline, _) = deadlines::waive(&state.db, &caller.ctx, id, reason, today, super::authorize(caller, CaseAction::Update)).await?;
    Ok(deadline)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub date: NaiveDate,
    pub outcome: DecisionOutcome,
    /// False once reconsideration has been requested.
    pub live: bool,
}

impl From<Decision> for DecisionResponse {
    fn from(d: Decision) -> Self {
        DecisionResponse { date: d.date, outcome: d.outcome, live: d.live }
    }
}

/// The key dates of the case's current journey.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyDates {
    pub support_started: Option<NaiveDate>,
    pub nrm_referral: Option<NaiveDate>,
    pub duty_to_notify: Option<NaiveDate>,
    pub reasonable_grounds: Option<DecisionResponse>,
    pub conclusive_grounds: Option<DecisionResponse>,
    pub closed: Option<NaiveDate>,
}

/// What a partner on the case may know of where it stands: no free text, nothing identifying.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseStatusResponse {
    pub id: uuid::Uuid,
    pub reference: String,
    pub stage: Stage,
    pub is_child: bool,
    pub age_band: AgeBand,
    pub key_dates: KeyDates,
    /// The earliest outstanding deadline or milestone.
    pub next_deadline: Option<DeadlineResponse>,
    /// Open actions the caller's agency owes on this case.
    pub actions_owed: Vec<super::actions::ActionResponse>,
    /// Entitlements whose support ended before their minimum period had passed.
    pub warnings: Vec<SupportWarningResponse>,
}

/// Where the case stands: stage, key dates and the next deadline (partners on the case and
/// coordinators).
#[utoipa::path(
    tag = "lifecycle",
    params(CasePath),
    responses((status = 200, description = "The case's status", body = CaseStatusResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/status")]
pub async fn case_status(caller: Caller, state: web::Data<AppState>, path: CasePath) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(status_of(&caller, &state, path.id).await?))
}

/// A case's status as the caller may see it (the API's status and the partners' case page).
pub async fn status_of(caller: &Caller, state: &AppState, id: fourthp_domain::ids::CaseId) -> Result<CaseStatusResponse, Problem> {
    super::checked_id(caller, id, CaseAction::Read)?;
    let today = london_date(caller.ctx.at);
    // The case and what the view needs of it, read in one round trip; nothing but the case is
    // looked at until the access policy has decided on it.
    let partner = caller.principal().role == Role::Partner;
    let (found, facts) = fourthp_persistence::status::case_with_status_facts(&state.db, id, caller.principal().agency, partner).await?;
    let (case, _) = super::decide_for(caller, id, CaseAction::Read, found)?;
    let journey = facts.journey;
    let all = if partner { own_deadlines(facts.deadlines, &facts.owned) } else { facts.deadlines };
    let warnings = SupportWarningResponse::all(&all);
    let next_deadline = all.into_iter().filter(|d| d.is_outstanding(today)).min_by_key(|d| d.due_on);
    // The actions the caller's agency owes on this case.
    let owed = facts.owed;
    Ok(CaseStatusResponse {
        id: case.id.into_uuid(),
        reference: case.reference.as_str().to_owned(),
        stage: case.stage_on(today),
        is_child: case.details.is_child(today),
        age_band: case.details.age_band(today),
        key_dates: KeyDates {
            support_started: journey.support_started,
            nrm_referral: journey.referral,
            duty_to_notify: journey.duty_to_notify,
            reasonable_grounds: journey.rg.map(Into::into),
            conclusive_grounds: journey.cg.map(Into::into),
            closed: journey.closed,
        },
        next_deadline: next_deadline.map(|d| DeadlineResponse::new(&d, today, CaseView::partner(case.details.consent.data_sharing))),
        actions_owed: owed.iter().map(|a| super::actions::ActionResponse::new(a, today)).collect(),
        warnings,
    })
}

/// One deadline of the case.
#[utoipa::path(
    tag = "lifecycle",
    params(CaseDeadlinePath),
    responses((status = 200, description = "The deadline", body = DeadlineResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/deadlines/{deadline_id}")]
pub async fn get_case_deadline(caller: Caller, state: web::Data<AppState>, path: CaseDeadlinePath) -> Result<HttpResponse, Problem> {
    access::precheck(caller.principal().role, CaseAction::Read)?;
    let id = path.case;
    let child = path.deadline;
    let (_, view) = super::case_for(&state.db, &caller, id, CaseAction::Read).await?;
    let today = london_date(caller.ctx.at);
    let Some(d) = deadlines::for_case(&state.db, id).await?.into_iter().find(|d| d.id == child) else {
        return Err(crate::app::child_not_under(&caller, &state, id, EntityType::Deadline, child.into_uuid()).await.into());
    };
    if let DeadlineSource::Action(a) = d.source {
        let owner = fourthp_persistence::actions::get(&state.db, a).await?.map(|a| a.details.owner_agency_id);
        if !owner.is_some_and(|o| access::sees_action(caller.principal(), o)) {
            // The deadline of an action the policy hides from this partner: a refusal.
            caller.refused_child();
            return Err(Problem::not_found());
        }
    }
    Ok(HttpResponse::Ok().json(DeadlineResponse::new(&d, today, view)))
}
