//! Subject access (UK GDPR art. 15): `POST /api/v1/cases/{id}/subject-access-requests` records
//! a person's request (due one calendar month after it was received), `GET` lists a case's,
//! `POST .../{request_id}/answered` marks one answered, `GET /api/v1/cases/{id}/subject-access-copy`
//! is the person's copy of everything held about them, and `GET /api/v1/subject-access-requests`
//! the requests not yet answered. Coordinators and the data protection officer (auditors).

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::event::EventBody;
use fourthp_domain::subject_access::{standing, RequestStanding};
use fourthp_domain::time::london_date;
use fourthp_domain::words::Words;
use fourthp_persistence::subject_access::SubjectAccessRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app;
use crate::app::subject_access::SubjectAccessCopy;
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::paths::{CasePath, CaseSubjectAccessPath};
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::query::parse_date;
use crate::state::AppState;

/// A request the person made.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectAccessRequestBody {
    /// The day the request was received (YYYY-MM-DD): the month to answer runs from it.
    #[schema(format = Date, example = "2026-12-01")]
    pub received_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectAccessRequestResponse {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub received_on: NaiveDate,
    /// One calendar month after it was received, moved on to a working day.
    pub due_on: NaiveDate,
    pub answered_on: Option<NaiveDate>,
    /// `answered`, `due` or `overdue`, today.
    #[schema(example = "due")]
    pub standing: &'static str,
}

impl SubjectAccessRequestResponse {
    fn new(r: &SubjectAccessRequest, today: NaiveDate) -> Self {
        SubjectAccessRequestResponse {
            id: r.id.into_uuid(),
            case_id: r.case_id.into_uuid(),
            received_on: r.received_on,
            due_on: r.due_on,
            answered_on: r.answered_on,
            standing: match standing(r.due_on, r.answered_on.is_some(), today) {
                RequestStanding::Answered => "answered",
                RequestStanding::Due { .. } => "due",
                RequestStanding::Overdue { .. } => "overdue",
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectAccessRequestListResponse {
    pub items: Vec<SubjectAccessRequestResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenSubjectAccessRequest {
    #[serde(flatten)]
    pub request: SubjectAccessRequestResponse,
    #[schema(example = "2026-000123")]
    pub case_reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenSubjectAccessRequestListResponse {
    pub items: Vec<OpenSubjectAccessRequest>,
}

/// Record a subject access request the person made (coordinators and the data protection
/// officer): its answer is due one calendar month after it was received, moved on to a
/// working day, and the coordinators' board shows it until it is marked answered.
#[utoipa::path(
    tag = "data protection",
    params(CasePath),
    request_body = SubjectAccessRequestBody,
    responses((status = 201, description = "Recorded", body = SubjectAccessRequestResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases/{id}/subject-access-requests")]
pub async fn record_request(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    body: ApiJson<SubjectAccessRequestBody>,
) -> Result<HttpResponse, Problem> {
    let received_on = parse_date(&body.value.received_on).map_err(|m| Problem::from(app::AppError::invalid("received_on", m)))?;
    let r = app::subject_access::request(&caller, &state, path.id, received_on).await?;
    Ok(HttpResponse::Created().json(SubjectAccessRequestResponse::new(&r, london_date(caller.ctx.at))))
}

/// A case's subject access requests, latest received first.
#[utoipa::path(
    tag = "data protection",
    params(CasePath),
    responses((status = 200, description = "The requests", body = SubjectAccessRequestListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/subject-access-requests")]
pub async fn list_requests(caller: Caller, state: web::Data<AppState>, path: CasePath) -> Result<HttpResponse, Problem> {
    let all = app::subject_access::requests(&caller, &state, path.id).await?;
    let today = london_date(caller.ctx.at);
    Ok(HttpResponse::Ok()
        .json(SubjectAccessRequestListResponse { items: all.iter().map(|r| SubjectAccessRequestResponse::new(r, today)).collect() }))
}

/// Mark a subject access request answered, today. 409 `already-answered` if it was.
#[utoipa::path(
    tag = "data protection",
    params(CaseSubjectAccessPath),
    responses((status = 200, description = "Answered", body = SubjectAccessRequestResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases/{id}/subject-access-requests/{request_id}/answered")]
pub async fn answer_request(caller: Caller, state: web::Data<AppState>, path: CaseSubjectAccessPath) -> Result<HttpResponse, Problem> {
    let r = app::subject_access::answer(&caller, &state, path.case, path.request).await?;
    Ok(HttpResponse::Ok().json(SubjectAccessRequestResponse::new(&r, london_date(caller.ctx.at))))
}

/// The subject access requests not yet answered, soonest due first.
#[utoipa::path(
    tag = "data protection",
    responses((status = 200, description = "The open requests", body = OpenSubjectAccessRequestListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/subject-access-requests")]
pub async fn open_requests(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let open = app::subject_access::open(&caller, &state).await?;
    let today = london_date(caller.ctx.at);
    Ok(HttpResponse::Ok().json(OpenSubjectAccessRequestListResponse {
        items: open
            .iter()
            .map(|(r, reference)| OpenSubjectAccessRequest {
                request: SubjectAccessRequestResponse::new(r, today),
                case_reference: reference.as_str().to_owned(),
            })
            .collect(),
    }))
}

/// A code of a vocabulary and its plain words.
#[derive(Debug, Serialize, ToSchema)]
pub struct Coded {
    pub code: String,
    pub words: String,
}

fn coded<T: Words + std::fmt::Display>(v: T) -> Coded {
    Coded { code: v.to_string(), words: v.words().to_owned() }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyPerson {
    pub reference: String,
    pub known_as: String,
    pub birth_year: Option<i32>,
    pub date_of_birth: Option<NaiveDate>,
    pub presumed_child: bool,
    pub gender: Coded,
    /// ISO 3166-1 alpha-2.
    pub nationalities: Vec<String>,
    /// ISO 639.
    pub languages: Vec<String>,
    pub interpreter_needed: bool,
    pub exploitation_types: Vec<Coded>,
    pub county_lines: bool,
    pub jurisdiction: Coded,
    pub local_authority: String,
    pub nrm_consent: Coded,
    pub data_sharing_consent: Coded,
    pub consent_recorded_on: NaiveDate,
    pub stage: Coded,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyTeamMember {
    pub agency: String,
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyEvent {
    pub date: NaiveDate,
    pub what: Coded,
    /// Why it was corrected, for a correction.
    pub correction_reason: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyIntervention {
    pub occurred_at: DateTime<Utc>,
    pub channel: Coded,
    pub direction: Coded,
    pub with_agency: String,
    pub recorded_by_agency: String,
    pub need: Coded,
    pub summary: String,
    pub duration_minutes: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyAction {
    pub description: String,
    pub owed_by: String,
    pub agreed_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub status: Coded,
    pub closed_on: Option<NaiveDate>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyNeed {
    pub need: Coded,
    pub identified_on: NaiveDate,
    pub status: Coded,
    pub met_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyOutcome {
    pub outcome: Coded,
    pub achieved_on: NaiveDate,
    pub score: Option<u8>,
    pub evidence: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyDeadline {
    pub what: String,
    pub due_on: NaiveDate,
    pub status: Coded,
    pub explanation: String,
    pub waived_because: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyAsk {
    pub asked_of: String,
    pub ask_on: NaiveDate,
    pub answer: Option<Coded>,
    pub answered_at: Option<DateTime<Utc>>,
    pub text: Option<String>,
}

/// Who read the record (or tried to and was refused), by agency and role: from the read log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopyReads {
    /// None: the service itself or its administrators, who belong to no agency.
    pub agency: Option<String>,
    pub role: String,
    pub reads: i64,
    pub refused: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopyRetention {
    /// The day the record's personal data will be redacted; none while the case is open.
    pub redacted_on: Option<NaiveDate>,
    pub rule: String,
}

/// Everything held about the person, as the person's copy shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectAccessCopyResponse {
    #[schema(example = "fourthp-subject-access-v1")]
    pub format: &'static str,
    pub prepared_on: NaiveDate,
    /// What the copy holds and what it withholds, in plain words.
    pub about_this_copy: String,
    pub person: CopyPerson,
    pub team: Vec<CopyTeamMember>,
    pub events: Vec<CopyEvent>,
    pub interventions: Vec<CopyIntervention>,
    pub actions: Vec<CopyAction>,
    pub needs: Vec<CopyNeed>,
    pub outcomes: Vec<CopyOutcome>,
    pub deadlines: Vec<CopyDeadline>,
    pub asks: Vec<CopyAsk>,
    pub read_by: Vec<CopyReads>,
    pub retention: CopyRetention,
    pub requests: Vec<SubjectAccessRequestResponse>,
}

impl SubjectAccessCopyResponse {
    pub fn new(copy: &SubjectAccessCopy, book: &fourthp_domain::rules::RuleBook) -> Self {
        let r = &copy.record;
        let c = &r.case;
        let d = &c.details;
        let today = copy.prepared_on;
        SubjectAccessCopyResponse {
            format: "fourthp-subject-access-v1",
            prepared_on: copy.prepared_on,
            about_this_copy: copy.about(),
            person: CopyPerson {
                reference: c.reference.as_str().to_owned(),
                known_as: d.known_as.as_str().to_owned(),
                birth_year: d.birth.year(),
                date_of_birth: d.birth.date(),
                presumed_child: d.presumed_child,
                gender: coded(d.gender),
                nationalities: d.nationalities.iter().map(|x| x.as_str().to_owned()).collect(),
                languages: d.languages.iter().map(|x| x.as_str().to_owned()).collect(),
                interpreter_needed: d.interpreter_needed,
                exploitation_types: d.exploitation_types.iter().copied().map(coded).collect(),
                county_lines: d.county_lines,
                jurisdiction: coded(d.jurisdiction),
                local_authority: d.local_authority.as_str().to_owned(),
                nrm_consent: coded(d.consent.nrm),
                data_sharing_consent: coded(d.consent.data_sharing),
                consent_recorded_on: d.consent.recorded_on,
                stage: coded(c.stage_on(today)),
                opened_at: c.created_at,
            },
            team: c
                .team
                .iter()
                .map(|m| CopyTeamMember { agency: copy.agency(m.agency_id), role: m.role.as_ref().map(|x| x.as_str().to_owned()) })
                .collect(),
            events: r
                .events
                .iter()
                .map(|e| match &e.body {
                    EventBody::Fact(f) => {
                        CopyEvent { date: f.date, what: coded(f.fact.event_type()), correction_reason: None, recorded_at: e.recorded_at }
                    }
                    EventBody::Correction { reason, replacement, .. } => CopyEvent {
                        date: replacement.map_or(london_date(e.recorded_at), |x| x.date),
                        what: coded(fourthp_domain::event::EventType::Correction),
                        correction_reason: Some(reason.as_str().to_owned()),
                        recorded_at: e.recorded_at,
                    },
                })
                .collect(),
            interventions: r
                .interventions
                .iter()
                .map(|i| CopyIntervention {
                    occurred_at: i.details.occurred_at,
                    channel: coded(i.details.channel),
                    direction: coded(i.details.direction),
                    with_agency: copy.agency(i.details.counterpart_agency_id),
                    recorded_by_agency: copy.agency(i.recorded_by_agency),
                    need: coded(i.details.need_domain),
                    summary: i.details.summary.as_str().to_owned(),
                    duration_minutes: u32::from(i.details.duration_minutes.get()),
                })
                .collect(),
            actions: r
                .actions
                .iter()
                .map(|a| CopyAction {
                    description: a.details.description.as_str().to_owned(),
                    owed_by: copy.agency(a.details.owner_agency_id),
                    agreed_at: a.created_at,
                    due_on: a.details.due_on,
                    status: coded(a.status()),
                    closed_on: a.closure.as_ref().map(|x| x.on),
                    note: a.closure.as_ref().map(|x| x.note.as_str().to_owned()),
                })
                .collect(),
            needs: r
                .needs
                .iter()
                .map(|n| CopyNeed {
                    need: coded(n.domain),
                    identified_on: n.state.identified_on,
                    status: coded(n.state.status),
                    met_on: n.state.met_on,
                })
                .collect(),
            outcomes: r
                .outcomes
                .iter()
                .map(|o| CopyOutcome {
                    outcome: coded(o.details.outcome),
                    achieved_on: o.details.achieved_on,
                    score: o.details.score.map(|s| s.get()),
                    evidence: o.details.evidence.as_ref().map(|e| e.as_str().to_owned()),
                })
                .collect(),
            deadlines: r
                .deadlines
                .iter()
                .map(|x| CopyDeadline {
                    what: book.rule_name(&x.rule_id),
                    due_on: x.due_on,
                    status: coded(x.status(today)),
                    explanation: x.explanation.clone(),
                    waived_because: x.waiver.as_ref().map(|w| w.reason.as_str().to_owned()),
                })
                .collect(),
            asks: r
                .asks
                .iter()
                .map(|k| CopyAsk {
                    asked_of: copy.agency(k.agency),
                    ask_on: k.ask_on,
                    answer: k.answer.as_ref().map(|a| coded(a.status)),
                    answered_at: k.answer.as_ref().map(|a| a.at),
                    text: k.answer.as_ref().and_then(|a| a.text.as_ref()).map(|t| t.as_str().to_owned()),
                })
                .collect(),
            read_by: copy
                .reads
                .iter()
                .map(|x| CopyReads {
                    agency: x.agency.map(|a| copy.agency(a)),
                    role: x.role.clone(),
                    reads: x.reads,
                    refused: x.refused,
                    first: x.first,
                    last: x.last,
                })
                .collect(),
            retention: CopyRetention { redacted_on: copy.retained_until, rule: copy.retention_rule() },
            requests: copy.requests.iter().map(|x| SubjectAccessRequestResponse::new(x, today)).collect(),
        }
    }
}

/// The person's copy of everything held about them: the whole record (whichever agency could
/// see which part), free text with other people's names, emails and telephone numbers and other
/// cases' references withheld, staff named by their agency only, who has read the record by
/// agency (from the read log, refused attempts included), and when it will be redacted.
/// Recorded in the read log as read for subject access.
#[utoipa::path(
    tag = "data protection",
    params(CasePath),
    responses((status = 200, description = "The person's copy", body = SubjectAccessCopyResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}/subject-access-copy")]
pub async fn subject_access_copy(caller: Caller, state: web::Data<AppState>, path: CasePath) -> Result<HttpResponse, Problem> {
    let copy = app::subject_access::copy(&caller, &state, path.id).await?;
    Ok(HttpResponse::Ok().json(SubjectAccessCopyResponse::new(&copy, &state.rules.book)))
}
