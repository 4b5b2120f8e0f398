//! `/api/v1/meetings`: the network's meetings. Coordinators schedule them and record decisions
//! at them; every member agency reads the agenda (prepared from the board and the ledger), the
//! invitation (`.ics`) and the minutes.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::challenge::{Challenge, ChallengeStatus};
use fourthp_domain::ids::ChallengeId;
use fourthp_domain::time::london_date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actions::ActionResponse;
use crate::app;
use crate::app::meetings::MeetingFields;
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::paths::MeetingPath;
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::state::AppState;

/// A meeting to schedule. Times are as clocks in the UK show them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleMeetingRequest {
    #[schema(example = "Northshire anti-slavery network meeting")]
    pub title: String,
    /// `YYYY-MM-DDTHH:MM`, UK time.
    #[schema(example = "2027-01-14T10:00")]
    pub starts_at: String,
    #[schema(example = "2027-01-14T12:00")]
    pub ends_at: String,
    #[schema(example = "Town hall, committee room 2")]
    pub place: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingResponse {
    pub id: uuid::Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
}

impl MeetingResponse {
    fn new(m: &fourthp_domain::meeting::Meeting) -> Self {
        MeetingResponse {
            id: m.id.into_uuid(),
            title: m.details.title.to_string(),
            starts_at: m.details.starts_at,
            ends_at: m.details.ends_at,
            place: m.details.place.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingListResponse {
    pub items: Vec<MeetingResponse>,
}

/// A challenge as an agenda lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaChallenge {
    pub id: uuid::Uuid,
    pub number: i64,
    pub title: String,
    pub status: ChallengeStatus,
}

impl AgendaChallenge {
    fn new(c: &Challenge) -> Self {
        AgendaChallenge { id: c.id.into_uuid(), number: c.number, title: c.details.title.to_string(), status: c.status }
    }
}

/// One published figure of the outcome report, as the agenda carries it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaFigure {
    pub measure: String,
    pub category: Option<String>,
    pub stat: String,
    /// Null when withheld under disclosure control.
    pub value: Option<f64>,
    pub status: fourthp_domain::report::FigureStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaResponse {
    #[serde(flatten)]
    pub meeting: MeetingResponse,
    /// The meeting before, whose date the agenda counts from.
    pub previous_meeting_id: Option<uuid::Uuid>,
    pub new_challenges: Vec<AgendaChallenge>,
    pub in_hand: Vec<AgendaChallenge>,
    /// The network's open actions due by the meeting's day, the overdue first.
    pub actions_due: Vec<ActionResponse>,
    pub resolved: Vec<AgendaChallenge>,
    /// The whole months the figures cover, if any lie between the meetings.
    pub figures_from: Option<NaiveDate>,
    pub figures_to: Option<NaiveDate>,
    /// Disclosure-controlled figures: for those who may pull the outcome report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Vec<AgendaFigure>>,
}

/// A decision recorded against an agenda item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingNoteRequest {
    /// What was decided, up to 2,000 characters.
    pub note: String,
    /// The challenge it is about; none for any other business.
    #[serde(default)]
    pub challenge_id: Option<uuid::Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesNote {
    pub challenge_id: Option<uuid::Uuid>,
    pub note: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesDecision {
    pub challenge_id: uuid::Uuid,
    pub to: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesResponse {
    #[serde(flatten)]
    pub meeting: MeetingResponse,
    pub notes: Vec<MinutesNote>,
    pub decisions: Vec<MinutesDecision>,
    pub actions: Vec<ActionResponse>,
}

/// Schedule a meeting of the network (coordinators).
#[utoipa::path(
    tag = "network",
    request_body = ScheduleMeetingRequest,
    responses((status = 201, description = "Scheduled", body = MeetingResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/meetings")]
pub async fn schedule_meeting(
    caller: Caller,
    state: web::Data<AppState>,
    body: ApiJson<ScheduleMeetingRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let m = app::meetings::schedule(
        &caller,
        &state,
        MeetingFields { title: b.title, starts_at: b.starts_at, ends_at: b.ends_at, place: b.place },
    )
    .await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/meetings/{}", m.id))).json(MeetingResponse::new(&m)))
}

/// The network's meetings, latest first (coordinators and partners).
#[utoipa::path(
    tag = "network",
    responses((status = 200, description = "The meetings", body = MeetingListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/meetings")]
pub async fn list_meetings(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let all = app::meetings::list(&caller, &state).await?;
    Ok(HttpResponse::Ok().json(MeetingListResponse { items: all.iter().map(MeetingResponse::new).collect() }))
}

/// A meeting with its agenda as prepared now.
#[utoipa::path(
    tag = "network",
    params(MeetingPath),
    responses((status = 200, description = "The meeting and its agenda", body = AgendaResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/meetings/{id}")]
pub async fn get_meeting(caller: Caller, state: web::Data<AppState>, path: MeetingPath) -> Result<HttpResponse, Problem> {
    let a = app::meetings::agenda(&caller, &state, path.id).await?;
    let today = london_date(caller.ctx.at);
    let figures = a.figures.as_ref().map(|r| {
        r.measures
            .iter()
            .filter(|m| app::meetings::AGENDA_MEASURES.contains(&m.def.id))
            .flat_map(|m| {
                m.figures.iter().map(|f| AgendaFigure {
                    measure: m.def.id.to_owned(),
                    category: f.category.clone(),
                    stat: f.stat.to_owned(),
                    value: f.value,
                    status: f.status,
                })
            })
            .collect()
    });
    Ok(HttpResponse::Ok().json(AgendaResponse {
        meeting: MeetingResponse::new(&a.meeting),
        previous_meeting_id: a.previous.as_ref().map(|p| p.id.into_uuid()),
        new_challenges: a.new_challenges.iter().map(AgendaChallenge::new).collect(),
        in_hand: a.in_hand.iter().map(AgendaChallenge::new).collect(),
        actions_due: a.actions_due.iter().map(|o| ActionResponse::new(&o.action, today)).collect(),
        resolved: a.resolved.iter().map(AgendaChallenge::new).collect(),
        figures_from: a.months.map(|m| m.0),
        figures_to: a.months.map(|m| m.1),
        figures,
    }))
}

/// The meeting as an iCalendar invitation (RFC 5545).
#[utoipa::path(
    tag = "network",
    params(MeetingPath),
    responses((status = 200, description = "The invitation", content_type = "text/calendar", body = String), ReadProblems),
    security(("bearer" = []))
)]
#[get("/meetings/{id}/invitation.ics")]
pub async fn meeting_invitation(caller: Caller, state: web::Data<AppState>, path: MeetingPath) -> Result<HttpResponse, Problem> {
    let body = app::meetings::invitation(&caller, &state, path.id).await?;
    Ok(HttpResponse::Ok().content_type("text/calendar; charset=utf-8").body(body))
}

/// Record a decision against an agenda item (coordinators).
#[utoipa::path(
    tag = "network",
    params(MeetingPath),
    request_body = MeetingNoteRequest,
    responses((status = 201, description = "Recorded"), CreateProblems),
    security(("bearer" = []))
)]
#[post("/meetings/{id}/notes")]
pub async fn add_meeting_note(
    caller: Caller,
    state: web::Data<AppState>,
    path: MeetingPath,
    body: ApiJson<MeetingNoteRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    app::meetings::note(&caller, &state, path.id, b.challenge_id.map(ChallengeId::from_uuid), &b.note).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/meetings/{}/minutes", path.id))).finish())
}

/// The minutes: what was decided at the meeting, against its items.
#[utoipa::path(
    tag = "network",
    params(MeetingPath),
    responses((status = 200, description = "The minutes", body = MinutesResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/meetings/{id}/minutes")]
pub async fn meeting_minutes(caller: Caller, state: web::Data<AppState>, path: MeetingPath) -> Result<HttpResponse, Problem> {
    let (m, minutes) = app::meetings::minutes(&caller, &state, path.id).await?;
    let today = london_date(caller.ctx.at);
    Ok(HttpResponse::Ok().json(MinutesResponse {
        meeting: MeetingResponse::new(&m),
        notes: minutes
            .notes
            .iter()
            .map(|n| MinutesNote { challenge_id: n.challenge.map(ChallengeId::into_uuid), note: n.note.clone(), at: n.at })
            .collect(),
        decisions: minutes
            .decisions
            .iter()
            .map(|(c, to, note)| MinutesDecision { challenge_id: c.into_uuid(), to: to.clone(), note: note.clone() })
            .collect(),
        actions: minutes.actions.iter().map(|a| ActionResponse::new(a, today)).collect(),
    }))
}
