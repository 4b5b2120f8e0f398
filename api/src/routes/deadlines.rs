//! Deadlines: a case's deadlines, the coordinators' queue, waivers, and the case status view.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::CaseView;
use fourthp_domain::case::{AgeBand, Stage};
use fourthp_domain::deadline::{Deadline, DeadlineSource};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::event::DecisionOutcome;
use fourthp_domain::ids::DeadlineId;
use fourthp_domain::lifecycle::Decision;
use fourthp_domain::principal::{Role, Subject};
use fourthp_domain::rules::{DeadlineKind, DeadlineStatus};
use fourthp_domain::time::london_date;
use fourthp_persistence::deadlines::{QueueCursor, QueueFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, decode_cursor, encode_cursor, parse_date};
use crate::app;
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
    let (all, view) = app::deadlines::of_case(&caller, &state, path.id).await?;
    let today = london_date(caller.ctx.at);
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
    let page = app::deadlines::queue(&caller, &state, &filter, limit, after.as_ref()).await?;
    let items = page
        .items
        .iter()
        .map(|i| QueueItemResponse { deadline: DeadlineResponse::new(&i.deadline, today, CaseView::FULL), case_stage: i.stage })
        .collect();
    let next_cursor = page.next.map(|c| encode_cursor(CURSOR_KIND, &format!("{}|{}|{}", c.due_on, c.case_reference, c.id)));
    Ok(HttpResponse::Ok().json(QueueResponse { items, next_cursor }))
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
    let deadline = app::deadlines::waive(&caller, &state, path.id, &body.value.reason).await?;
    Ok(HttpResponse::Ok().json(DeadlineResponse::new(&deadline, london_date(caller.ctx.at), CaseView::FULL)))
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
    let s = app::deadlines::status(&caller, &state, path.id).await?;
    let today = london_date(caller.ctx.at);
    let (case, journey) = (&s.case, &s.journey);
    Ok(HttpResponse::Ok().json(CaseStatusResponse {
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
        next_deadline: s.next_deadline.as_ref().map(|d| DeadlineResponse::new(d, today, s.view)),
        actions_owed: s.owed.iter().map(|a| super::actions::ActionResponse::new(a, today)).collect(),
        warnings: SupportWarningResponse::all(&s.deadlines),
    }))
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
    let (d, view) = app::deadlines::get(&caller, &state, path.case, path.deadline).await?;
    let today = london_date(caller.ctx.at);
    Ok(HttpResponse::Ok().json(DeadlineResponse::new(&d, today, view)))
}
