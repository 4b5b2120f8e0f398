//! The network's meetings: scheduling, what an agenda is made from (challenges raised and
//! resolved since the meeting before, the network's actions due), and the decisions recorded
//! at a meeting (its minutes).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::action::Action;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::ids::{ChallengeId, MeetingId};
use fourthp_domain::meeting::{Meeting, MeetingNote, MeetingPlace, MeetingTitle, NewMeeting};
use fourthp_domain::principal::Subject;
use uuid::Uuid;

use crate::actions::action_from;
use crate::audit;
use crate::db::{Db, StoreError};
use crate::rows::ActionRow;
use crate::schema::{actions, challenge_decisions, challenges, meeting_notes, meetings};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = meetings, check_for_backend(diesel::pg::Pg))]
struct MeetingRow {
    id: Uuid,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    place: String,
    created_by: String,
    created_at: DateTime<Utc>,
    version: i32,
    updated_at: DateTime<Utc>,
}

fn meeting_from(r: MeetingRow) -> Result<Meeting, StoreError> {
    let corrupt = |what: &str| StoreError::internal(format!("meeting row with invalid {what}"));
    Ok(Meeting {
        id: MeetingId::from_uuid(r.id),
        details: NewMeeting {
            title: MeetingTitle::parse(&r.title).map_err(|_| corrupt("title"))?,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            place: MeetingPlace::parse(&r.place).map_err(|_| corrupt("place"))?,
        },
        created_by: Subject::parse(&r.created_by).map_err(|_| corrupt("created_by"))?,
        created_at: r.created_at,
        version: r.version,
    })
}

/// Schedules a meeting, audited.
pub async fn create(db: &Db, ctx: &AuditContext, new: NewMeeting) -> Result<Meeting, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async move |conn| {
        let row = MeetingRow {
            id: MeetingId::new_at(ctx.at).into_uuid(),
            title: new.title.as_str().to_owned(),
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            place: new.place.as_str().to_owned(),
            created_by: ctx.principal.subject.as_str().to_owned(),
            created_at: ctx.at,
            version: 1,
            updated_at: ctx.at,
        };
        diesel::insert_into(meetings::table).values(&row).execute(conn).await?;
        let fields = vec!["title", "starts_at", "ends_at", "place"];
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::Meeting, row.id, None, fields)).await?;
        meeting_from(row)
    })
    .await
}

pub async fn get(db: &Db, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
    let mut conn = db.conn().await?;
    let row = meetings::table.find(id.into_uuid()).select(MeetingRow::as_select()).first(&mut conn).await.optional()?;
    row.map(meeting_from).transpose()
}

/// The latest meetings, soonest to come first then the most recent (up to 100).
pub async fn list(db: &Db) -> Result<Vec<Meeting>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<MeetingRow> = meetings::table
        .select(MeetingRow::as_select())
        .order((meetings::starts_at.desc(), meetings::id.desc()))
        .limit(100)
        .load(&mut conn)
        .await?;
    rows.into_iter().map(meeting_from).collect()
}

/// The meeting before `meeting`, if any.
pub async fn previous(db: &Db, meeting: &Meeting) -> Result<Option<Meeting>, StoreError> {
    let mut conn = db.conn().await?;
    let row = meetings::table
        .filter(meetings::starts_at.lt(meeting.details.starts_at))
        .select(MeetingRow::as_select())
        .order(meetings::starts_at.desc())
        .first(&mut conn)
        .await
        .optional()?;
    row.map(meeting_from).transpose()
}

/// Records a decision against an agenda item (a challenge, or none: any other business).
pub async fn add_note(
    db: &Db,
    ctx: &AuditContext,
    meeting: MeetingId,
    challenge: Option<ChallengeId>,
    note: &MeetingNote,
) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async move |conn| {
        diesel::insert_into(meeting_notes::table)
            .values((
                meeting_notes::id.eq(Uuid::now_v7()),
                meeting_notes::meeting_id.eq(meeting.into_uuid()),
                meeting_notes::challenge_id.eq(challenge.map(ChallengeId::into_uuid)),
                meeting_notes::note.eq(note.as_str()),
                meeting_notes::recorded_by.eq(ctx.principal.subject.as_str()),
                meeting_notes::recorded_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        let entry = AuditEntry::change(AuditAction::Update, EntityType::Meeting, meeting.into_uuid(), None, vec!["notes"]);
        audit::record(conn, ctx, entry).await?;
        Ok(())
    })
    .await
}

/// A decision recorded at a meeting, against its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub challenge: Option<ChallengeId>,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// What was decided at a meeting: its notes, the challenge decisions taken there (challenge,
/// the status it led to, the words), and the actions given out there.
#[derive(Debug, Clone, Default)]
pub struct Minutes {
    pub notes: Vec<Note>,
    pub decisions: Vec<(ChallengeId, String, Option<String>)>,
    pub actions: Vec<Action>,
    /// Every challenge the minutes name, by its number and title.
    pub challenges: std::collections::HashMap<ChallengeId, (i64, String)>,
}

pub async fn minutes(db: &Db, meeting: MeetingId) -> Result<Minutes, StoreError> {
    let mut conn = db.conn().await?;
    let notes: Vec<(Option<Uuid>, String, DateTime<Utc>)> = meeting_notes::table
        .filter(meeting_notes::meeting_id.eq(meeting.into_uuid()))
        .order((meeting_notes::recorded_at.asc(), meeting_notes::id.asc()))
        .select((meeting_notes::challenge_id, meeting_notes::note, meeting_notes::recorded_at))
        .load(&mut conn)
        .await?;
    let decisions: Vec<(Uuid, String, Option<String>)> = challenge_decisions::table
        .filter(challenge_decisions::meeting_id.eq(meeting.into_uuid()))
        .order((challenge_decisions::decided_at.asc(), challenge_decisions::id.asc()))
        .select((challenge_decisions::challenge_id, challenge_decisions::to_status, challenge_decisions::note))
        .load(&mut conn)
        .await?;
    let rows: Vec<ActionRow> = actions::table
        .filter(actions::meeting_id.eq(meeting.into_uuid()))
        .order((actions::due_on.asc(), actions::id.asc()))
        .select(ActionRow::as_select())
        .load(&mut conn)
        .await?;
    let named: Vec<Uuid> =
        notes.iter().filter_map(|n| n.0).chain(decisions.iter().map(|d| d.0)).chain(rows.iter().filter_map(|a| a.challenge_id)).collect();
    let challenges: Vec<(Uuid, i64, String)> = challenges::table
        .filter(challenges::id.eq_any(named))
        .select((challenges::id, challenges::number, challenges::title))
        .load(&mut conn)
        .await?;
    Ok(Minutes {
        challenges: challenges.into_iter().map(|(id, n, title)| (ChallengeId::from_uuid(id), (n, title))).collect(),
        notes: notes.into_iter().map(|(c, note, at)| Note { challenge: c.map(ChallengeId::from_uuid), note, at }).collect(),
        decisions: decisions.into_iter().map(|(c, to, note)| (ChallengeId::from_uuid(c), to, note)).collect(),
        actions: rows.into_iter().map(action_from).collect::<Result<_, _>>()?,
    })
}
