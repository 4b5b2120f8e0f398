//! The network's meetings: a coordinator schedules them; FourthP prepares each agenda from the
//! board and the ledger since the meeting before (new challenges, the network's actions due and
//! overdue, challenges resolved, the network's figures for the whole months between); at the
//! meeting the coordinator records decisions against the agenda's items, and the minutes are
//! made from them. Everyone at a member agency reads agendas and minutes; the figures are the
//! outcome report's, disclosure-controlled, for those who may pull the report.

use chrono::{DateTime, NaiveDateTime, Utc};
use fourthp_domain::access::{self, ChallengeAction};
use fourthp_domain::audit::EntityType;
use fourthp_domain::challenge::Challenge;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{ChallengeId, MeetingId};
use fourthp_domain::meeting::{whole_months_between, Meeting, MeetingNote, MeetingPlace, MeetingTitle, NewMeeting};
use fourthp_domain::time::{from_london, london_date};
use fourthp_persistence::meetings::{self as store, Minutes};

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

fn allowed(caller: &Caller, action: ChallengeAction) -> Result<(), AppError> {
    Ok(access::challenge_access(caller.principal().role, action)?)
}

/// A meeting as an adapter read it: times as London clocks show them (`YYYY-MM-DDTHH:MM`).
#[derive(Debug, Clone, Default)]
pub struct MeetingFields {
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub place: String,
}

fn london_instant(raw: &str) -> Result<DateTime<Utc>, &'static str> {
    let raw = raw.trim();
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map(from_london)
        .map_err(|_| "must be a date and time such as 2027-01-14T10:00 (UK time)")
}

/// Schedules a meeting (coordinators). Errors name `title`, `starts_at`, `ends_at`, `place`.
pub async fn schedule(caller: &Caller, state: &AppState, f: MeetingFields) -> Result<Meeting, AppError> {
    allowed(caller, ChallengeAction::RunMeetings)?;
    let mut errs = FieldErrors::new();
    let title = errs.check("title", MeetingTitle::parse(&f.title));
    let starts = errs.check("starts_at", london_instant(&f.starts_at));
    let ends = errs.check("ends_at", london_instant(&f.ends_at));
    let place = errs.check("place", MeetingPlace::parse(&f.place));
    let (Some(title), Some(starts), Some(ends), Some(place)) = (title, starts, ends, place) else {
        return Err(AppError::Invalid(errs));
    };
    errs.into_result()?;
    let new = NewMeeting::parse(title, starts, ends, place, caller.ctx.at)?;
    let meeting = store::create(&state.db, &caller.ctx, new).await?;
    caller.concerns(EntityType::Meeting, meeting.id.into_uuid());
    Ok(meeting)
}

/// The meetings, latest first (coordinators and partners).
pub async fn list(caller: &Caller, state: &AppState) -> Result<Vec<Meeting>, AppError> {
    allowed(caller, ChallengeAction::Read)?;
    Ok(store::list(&state.db).await?)
}

async fn meeting(caller: &Caller, state: &AppState, id: MeetingId) -> Result<Meeting, AppError> {
    caller.concerns(EntityType::Meeting, id.into_uuid());
    allowed(caller, ChallengeAction::Read)?;
    store::get(&state.db, id).await?.ok_or(AppError::NotFound)
}

/// What a meeting's agenda holds.
pub struct Agenda {
    pub meeting: Meeting,
    pub previous: Option<Meeting>,
    /// Raised since the meeting before (or in the eight weeks before, for the first).
    pub new_challenges: Vec<Challenge>,
    /// In hand: accepted, being worked, at the national forum.
    pub in_hand: Vec<Challenge>,
    /// The network's open actions due by the meeting's day (the overdue first), with their
    /// challenge's number.
    pub actions_due: Vec<fourthp_persistence::challenges::NetworkOwed>,
    pub resolved: Vec<Challenge>,
    /// The whole months the figures cover, when any lies between the meetings.
    pub months: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// The outcome report for those months, disclosure-controlled: for those who may pull it.
    pub figures: Option<fourthp_domain::report::Report>,
}

/// The agenda of a meeting, as prepared now.
pub async fn agenda(caller: &Caller, state: &AppState, id: MeetingId) -> Result<Agenda, AppError> {
    let meeting = meeting(caller, state, id).await?;
    let previous = store::previous(&state.db, &meeting).await?;
    let to = meeting.details.starts_at;
    let since = previous.as_ref().map_or(to - chrono::Duration::weeks(8), |p| p.details.starts_at);
    let day = london_date(to);
    let months = whole_months_between(london_date(since), day);
    let may_pull = access::report_access(caller.principal().role, false).is_ok();
    let figures = match (months, may_pull) {
        (Some((from, to)), true) => {
            let q = super::reports::ReportRequest { from: Some(from), to: Some(to), exact: false, format: "html", ..Default::default() };
            match super::reports::outcomes(caller, state, q).await {
                Ok(pulled) => Some(pulled.report),
                // Too few people to publish, or the reporting copy behind: the agenda says so.
                Err(AppError::ReportRefused(_) | AppError::Unavailable { .. }) => None,
                Err(e) => return Err(e),
            }
        }
        _ => None,
    };
    Ok(Agenda {
        new_challenges: fourthp_persistence::challenges::raised_between(&state.db, since, to).await?,
        in_hand: fourthp_persistence::challenges::in_hand(&state.db).await?,
        actions_due: fourthp_persistence::challenges::open_actions_due_by(&state.db, day).await?,
        resolved: fourthp_persistence::challenges::resolved_between(&state.db, since, to).await?,
        months,
        figures,
        previous,
        meeting,
    })
}

/// Records a decision against an agenda item (coordinators): a challenge's, or any other
/// business. Errors name `note` and `challenge`.
pub async fn note(caller: &Caller, state: &AppState, id: MeetingId, challenge: Option<ChallengeId>, text: &str) -> Result<(), AppError> {
    caller.concerns(EntityType::Meeting, id.into_uuid());
    allowed(caller, ChallengeAction::RunMeetings)?;
    let note = MeetingNote::parse(text).map_err(|e| AppError::invalid("note", &e.to_string()))?;
    store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if let Some(c) = challenge {
        if fourthp_persistence::challenges::get(&state.db, c).await?.is_none() {
            return Err(AppError::invalid("challenge", "is not a challenge on the board"));
        }
    }
    Ok(store::add_note(&state.db, &caller.ctx, id, challenge, &note).await?)
}

/// The minutes: what was decided at the meeting, against its items.
pub async fn minutes(caller: &Caller, state: &AppState, id: MeetingId) -> Result<(Meeting, Minutes), AppError> {
    let meeting = meeting(caller, state, id).await?;
    let minutes = store::minutes(&state.db, id).await?;
    Ok((meeting, minutes))
}

/// The meeting a decision or an action is recorded at, when one is named: it must exist.
pub async fn at_meeting(state: &AppState, meeting: Option<MeetingId>) -> Result<Option<MeetingId>, AppError> {
    match meeting {
        None => Ok(None),
        Some(m) if store::get(&state.db, m).await?.is_some() => Ok(Some(m)),
        Some(_) => Err(AppError::invalid("meeting_id", "is not one of the network's meetings")),
    }
}

/// The measures an agenda carries: cases opened, interventions by sector, outcomes.
pub const AGENDA_MEASURES: [&str; 4] = ["caseload.new", "interventions.by_counterpart_kind", "outcomes.core", "outcomes.adverse"];

/// The meeting as an iCalendar invitation (RFC 5545), linking to its agenda.
pub async fn invitation(caller: &Caller, state: &AppState, id: MeetingId) -> Result<String, AppError> {
    let m = meeting(caller, state, id).await?;
    let description = format!("The agenda: {}/app/meetings/{}", state.accounts.public_url, m.id);
    let i = crate::notify::ics::Invitation {
        uid: format!("meeting-{}@fourthp", m.id),
        starts_at: m.details.starts_at,
        ends_at: m.details.ends_at,
        summary: m.details.title.as_str(),
        location: m.details.place.as_str(),
        description: &description,
        sequence: m.version - 1,
    };
    Ok(crate::notify::ics::invitation(&i, caller.ctx.at))
}
