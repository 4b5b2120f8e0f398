//! The network's challenge board: challenges, their decisions, the cases linked to them (for
//! coordinators' eyes), and the network actions owed on them, on the same `actions` ledger as
//! casework.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::action::{Action, ActionOn, ActionStatus, NewAction};
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::{nrm_start, CaseReference, DataSharing};
use fourthp_domain::challenge::{
    decide as lifecycle, Challenge, ChallengeChange, ChallengeDescription, ChallengeNote, ChallengeStatus, ChallengeTitle, NewChallenge,
    NotAllowed, Urgency,
};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId, ChallengeId, MeetingId};
use fourthp_domain::notify::Topic;
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Subject;
use uuid::Uuid;

use crate::actions::action_from;
use crate::audit;
use crate::db::{Db, StoreError};
use crate::outbox::{self, About};
use crate::rows::ActionRow;
use crate::schema::{actions, agencies, case_team, cases, challenge_cases, challenge_decisions, challenges};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = challenges, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
struct ChallengeRow {
    id: Uuid,
    number: i64,
    title: String,
    description: String,
    urgency: String,
    sectors: Vec<String>,
    agencies: Vec<Uuid>,
    status: String,
    note: Option<String>,
    raised_by: String,
    raised_by_agency: Option<Uuid>,
    raised_at: DateTime<Utc>,
    resolved_on: Option<NaiveDate>,
    escalated_on: Option<NaiveDate>,
    version: i32,
    updated_at: DateTime<Utc>,
}

fn challenge_from(r: ChallengeRow) -> Result<Challenge, StoreError> {
    let corrupt = |what: &str| StoreError::internal(format!("challenge row with invalid {what}"));
    Ok(Challenge {
        id: ChallengeId::from_uuid(r.id),
        number: r.number,
        details: NewChallenge {
            title: ChallengeTitle::parse(&r.title).map_err(|_| corrupt("title"))?,
            description: ChallengeDescription::parse(&r.description).map_err(|_| corrupt("description"))?,
            urgency: Urgency::parse(&r.urgency).ok_or_else(|| corrupt("urgency"))?,
            sectors: r.sectors.iter().map(|s| AgencyKind::parse(s).ok_or_else(|| corrupt("sector"))).collect::<Result<_, _>>()?,
            agencies: r.agencies.into_iter().map(AgencyId::from_uuid).collect(),
        },
        status: ChallengeStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
        note: r.note.as_deref().map(ChallengeNote::parse).transpose().map_err(|_| corrupt("note"))?,
        raised_by: Subject::parse(&r.raised_by).map_err(|_| corrupt("raised_by"))?,
        raised_by_agency: r.raised_by_agency.map(AgencyId::from_uuid),
        raised_at: r.raised_at,
        resolved_on: r.resolved_on,
        escalated_on: r.escalated_on,
        version: r.version,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ChallengeError {
    #[error("no such challenge")]
    NotFound,
    #[error("invalid challenge")]
    Invalid(FieldErrors),
    #[error("the challenge has changed since it was read")]
    VersionMismatch,
    #[error(transparent)]
    NotAllowed(NotAllowed),
    /// Declined or resolved: the network owes nothing more on it.
    #[error("the challenge is {0}: no more actions")]
    Closed(ChallengeStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ChallengeError {
    fn from(e: diesel::result::Error) -> Self {
        ChallengeError::Store(e.into())
    }
}

/// Whose names a warning may compare a text with: a writer is warned only of names of cases
/// they may see, so the warning never tells anyone that a case exists.
#[derive(Debug, Clone)]
pub enum NameScope {
    All,
    /// Cases the agency is on whose sharing lets partners see the name.
    TeamOf(AgencyId, Vec<DataSharing>),
}

/// The names (as stored) among `candidates` (lowered words of a text) that cases in `scope`
/// are known by.
pub async fn names_known(db: &Db, candidates: &[String], scope: &NameScope) -> Result<Vec<String>, StoreError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = db.conn().await?;
    let mut q = cases::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(known_as) = ANY(")
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(candidates.to_vec())
                .sql(")"),
        )
        .select(cases::known_as)
        .distinct()
        .into_boxed();
    if let NameScope::TeamOf(agency, sharing) = scope {
        q = q
            .filter(cases::id.eq_any(case_team::table.filter(case_team::agency_id.eq(agency.into_uuid())).select(case_team::case_id)))
            .filter(cases::data_sharing.eq_any(sharing.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    Ok(q.limit(50).load(&mut conn).await?)
}

/// Raises a challenge, linked to `linked` cases (already checked against the writer's access),
/// and audits it; in one transaction.
pub async fn raise(db: &Db, ctx: &AuditContext, new: NewChallenge, linked: &[CaseId]) -> Result<Challenge, ChallengeError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, ChallengeError, _>(async move |conn| {
        let id = ChallengeId::new_at(ctx.at);
        let number: i64 =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("nextval('challenge_number_seq')")).get_result(conn).await?;
        let row = ChallengeRow {
            id: id.into_uuid(),
            number,
            title: new.title.as_str().to_owned(),
            description: new.description.as_str().to_owned(),
            urgency: new.urgency.as_str().to_owned(),
            sectors: new.sectors.iter().map(|s| s.as_str().to_owned()).collect(),
            agencies: new.agencies.iter().map(|a| a.into_uuid()).collect(),
            status: ChallengeStatus::Raised.as_str().to_owned(),
            note: None,
            raised_by: ctx.principal.subject.as_str().to_owned(),
            raised_by_agency: ctx.principal.agency.map(AgencyId::into_uuid),
            raised_at: ctx.at,
            resolved_on: None,
            escalated_on: None,
            version: 1,
            updated_at: ctx.at,
        };
        diesel::insert_into(challenges::table).values(&row).execute(conn).await?;
        record_decision(conn, ctx, id, None, ChallengeStatus::Raised, None, None).await?;
        for case in linked {
            diesel::insert_into(challenge_cases::table)
                .values((
                    challenge_cases::challenge_id.eq(id.into_uuid()),
                    challenge_cases::case_id.eq(case.into_uuid()),
                    challenge_cases::linked_by.eq(ctx.principal.subject.as_str()),
                    challenge_cases::linked_at.eq(ctx.at),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        let fields = vec!["title", "description", "urgency", "sectors", "agencies"];
        audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::Challenge, id.into_uuid(), None, fields)).await?;
        for case in linked {
            // The link is recorded on the case's own trail too: a case's record shows every
            // place it was mentioned.
            let entry = AuditEntry::change(AuditAction::Update, EntityType::Challenge, id.into_uuid(), Some(*case), vec!["linked_case"]);
            audit::record(conn, ctx, entry).await?;
        }
        Ok(challenge_from(row)?)
    })
    .await
}

async fn record_decision(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    id: ChallengeId,
    from: Option<ChallengeStatus>,
    to: ChallengeStatus,
    note: Option<&ChallengeNote>,
    meeting: Option<MeetingId>,
) -> Result<(), StoreError> {
    diesel::insert_into(challenge_decisions::table)
        .values((
            challenge_decisions::id.eq(Uuid::now_v7()),
            challenge_decisions::challenge_id.eq(id.into_uuid()),
            challenge_decisions::from_status.eq(from.map(|s| s.as_str())),
            challenge_decisions::to_status.eq(to.as_str()),
            challenge_decisions::note.eq(note.map(|n| n.as_str())),
            challenge_decisions::decided_by.eq(ctx.principal.subject.as_str()),
            challenge_decisions::decided_by_agency.eq(ctx.principal.agency.map(AgencyId::into_uuid)),
            challenge_decisions::decided_at.eq(ctx.at),
            challenge_decisions::meeting_id.eq(meeting.map(MeetingId::into_uuid)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(db: &Db, id: ChallengeId) -> Result<Option<Challenge>, StoreError> {
    let mut conn = db.conn().await?;
    let row = challenges::table.find(id.into_uuid()).select(ChallengeRow::as_select()).first(&mut conn).await.optional()?;
    row.map(challenge_from).transpose()
}

/// The board, newest first (by number), after `before` (a number); `status` narrows it.
pub async fn list(db: &Db, status: Option<ChallengeStatus>, limit: Limit, before: Option<i64>) -> Result<Page<Challenge, i64>, StoreError> {
    let mut conn = db.conn().await?;
    let mut q = challenges::table.select(ChallengeRow::as_select()).order(challenges::number.desc()).into_boxed();
    if let Some(s) = status {
        q = q.filter(challenges::status.eq(s.as_str()));
    }
    if let Some(b) = before {
        q = q.filter(challenges::number.lt(b));
    }
    let rows: Vec<ChallengeRow> = q.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let items = rows.into_iter().map(challenge_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |c| c.number))
}

/// The cases a challenge is linked to, with their references.
pub async fn linked_cases(db: &Db, id: ChallengeId) -> Result<Vec<(CaseId, CaseReference)>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(Uuid, String)> = challenge_cases::table
        .inner_join(cases::table)
        .filter(challenge_cases::challenge_id.eq(id.into_uuid()))
        .select((cases::id, cases::reference))
        .order(cases::reference.asc())
        .load(&mut conn)
        .await?;
    rows.into_iter()
        .map(|(id, r)| {
            Ok((CaseId::from_uuid(id), CaseReference::parse(&r).map_err(|_| StoreError::internal("case row with invalid reference"))?))
        })
        .collect()
}

/// One decision on a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub from: Option<ChallengeStatus>,
    pub to: ChallengeStatus,
    pub note: Option<String>,
    pub by: String,
    /// The decider's agency, by name.
    pub by_agency: Option<String>,
    pub at: DateTime<Utc>,
    pub meeting: Option<MeetingId>,
}

type DecisionTuple = (Option<String>, String, Option<String>, String, Option<String>, DateTime<Utc>, Option<Uuid>);

/// A challenge's decisions, oldest first.
pub async fn decisions(db: &Db, id: ChallengeId) -> Result<Vec<Decision>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<DecisionTuple> = challenge_decisions::table
        .left_join(agencies::table.on(agencies::id.nullable().eq(challenge_decisions::decided_by_agency)))
        .filter(challenge_decisions::challenge_id.eq(id.into_uuid()))
        .order((challenge_decisions::decided_at.asc(), challenge_decisions::id.asc()))
        .select((
            challenge_decisions::from_status,
            challenge_decisions::to_status,
            challenge_decisions::note,
            challenge_decisions::decided_by,
            agencies::name.nullable(),
            challenge_decisions::decided_at,
            challenge_decisions::meeting_id,
        ))
        .load(&mut conn)
        .await?;
    rows.into_iter()
        .map(|(from, to, note, by, by_agency, at, meeting)| {
            Ok(Decision {
                from: from.as_deref().and_then(ChallengeStatus::parse),
                to: ChallengeStatus::parse(&to).ok_or_else(|| StoreError::internal("decision with invalid status"))?,
                note,
                by,
                by_agency,
                at,
                meeting: meeting.map(MeetingId::from_uuid),
            })
        })
        .collect()
}

/// Takes a decision on a challenge still at `expected` (None: any), under the lifecycle, at
/// `meeting` if one; audited in the same transaction.
pub async fn decide(
    db: &Db,
    ctx: &AuditContext,
    id: ChallengeId,
    expected: Option<i32>,
    change: ChallengeChange,
    today: NaiveDate,
    meeting: Option<MeetingId>,
) -> Result<Challenge, ChallengeError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, ChallengeError, _>(async move |conn| {
        let row: ChallengeRow = challenges::table
            .find(id.into_uuid())
            .select(ChallengeRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(ChallengeError::NotFound)?;
        let challenge = challenge_from(row)?;
        if expected.is_some_and(|v| v != challenge.version) {
            return Err(ChallengeError::VersionMismatch);
        }
        let to = lifecycle(challenge.status, &change).map_err(ChallengeError::NotAllowed)?;
        let note = change.note().cloned().or(challenge.note.clone());
        let resolved_on = (to == ChallengeStatus::Resolved).then_some(today);
        let escalated_on = challenge.escalated_on.or((to == ChallengeStatus::Escalated).then_some(today));
        diesel::update(challenges::table.find(id.into_uuid()))
            .set((
                challenges::status.eq(to.as_str()),
                challenges::note.eq(note.as_ref().map(|n| n.as_str())),
                challenges::resolved_on.eq(resolved_on),
                challenges::escalated_on.eq(escalated_on),
                challenges::version.eq(challenge.version + 1),
                challenges::updated_at.eq(ctx.at),
            ))
            .execute(conn)
            .await?;
        record_decision(conn, ctx, id, Some(challenge.status), to, change.note(), meeting).await?;
        let entry = AuditEntry::change(AuditAction::Update, EntityType::Challenge, id.into_uuid(), None, vec!["status", "note"]);
        audit::record(conn, ctx, entry).await?;
        Ok(Challenge { status: to, note, resolved_on, escalated_on, version: challenge.version + 1, ..challenge })
    })
    .await
}

/// The number of a challenge, for notices.
pub(crate) async fn number_of(conn: &mut AsyncPgConnection, id: ChallengeId) -> Result<i64, StoreError> {
    Ok(challenges::table.find(id.into_uuid()).select(challenges::number).first(conn).await?)
}

/// Gives out a network action on a challenge (on `conn`, the caller's transaction): owed by an
/// active member agency, due on a sensible date, on a challenge the network took on (accepted,
/// being worked or escalated); at `meeting` if one. Audited, and the owner's endpoints told.
pub async fn add_action(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    id: ChallengeId,
    new: NewAction,
    today: NaiveDate,
    meeting: Option<MeetingId>,
) -> Result<Action, ChallengeError> {
    let row: ChallengeRow = challenges::table
        .find(id.into_uuid())
        .select(ChallengeRow::as_select())
        .for_share()
        .first(conn)
        .await
        .optional()?
        .ok_or(ChallengeError::NotFound)?;
    let challenge = challenge_from(row)?;
    match challenge.status {
        ChallengeStatus::Accepted | ChallengeStatus::BeingWorked | ChallengeStatus::Escalated => {}
        s @ (ChallengeStatus::Raised | ChallengeStatus::Declined | ChallengeStatus::Resolved) => return Err(ChallengeError::Closed(s)),
    }
    let mut errs = FieldErrors::new();
    let owner_active: Option<bool> =
        agencies::table.find(new.owner_agency_id.into_uuid()).select(agencies::active).first(conn).await.optional()?;
    if owner_active != Some(true) {
        errs.push("owner_agency_id", "is not an active member agency of the network");
    }
    if new.due_on < nrm_start() || new.due_on > today + chrono::Duration::days(3660) {
        errs.push("due_on", "must be between 2009-04-01 and ten years from today");
    }
    errs.into_result().map_err(ChallengeError::Invalid)?;
    let (action, row) = crate::actions::new_action(ctx, ActionOn::Challenge(id), meeting, new, None);
    diesel::insert_into(actions::table).values(&row).execute(conn).await?;
    let fields = vec!["description", "owner_agency_id", "due_on"];
    audit::record(conn, ctx, AuditEntry::change(AuditAction::Create, EntityType::Action, action.id.into_uuid(), None, fields)).await?;
    let about = About {
        challenge: Some((id, challenge.number)),
        action: Some(action.id),
        due_on: Some(action.details.due_on),
        status: Some(ActionStatus::Open.as_str()),
        ..About::default()
    };
    outbox::announce(conn, ctx.at, Topic::ActionCreated, action.details.owner_agency_id, &about, None).await?;
    Ok(action)
}

/// A challenge's actions, by due date.
pub async fn actions_of(db: &Db, id: ChallengeId) -> Result<Vec<Action>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<ActionRow> = actions::table
        .filter(actions::challenge_id.eq(id.into_uuid()))
        .select(ActionRow::as_select())
        .order((actions::due_on.asc(), actions::id.asc()))
        .load(&mut conn)
        .await?;
    rows.into_iter().map(action_from).collect()
}

/// Challenges raised in `[from, to)`, in the order raised: an agenda's new challenges.
pub async fn raised_between(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Challenge>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<ChallengeRow> = challenges::table
        .filter(challenges::raised_at.ge(from).and(challenges::raised_at.lt(to)))
        .order(challenges::number.asc())
        .select(ChallengeRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(challenge_from).collect()
}

/// Challenges resolved in `[from, to)`: an agenda's "resolved since we last met".
pub async fn resolved_between(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Challenge>, StoreError> {
    let mut conn = db.conn().await?;
    let resolved = challenge_decisions::table
        .filter(challenge_decisions::to_status.eq(ChallengeStatus::Resolved.as_str()))
        .filter(challenge_decisions::decided_at.ge(from).and(challenge_decisions::decided_at.lt(to)))
        .select(challenge_decisions::challenge_id);
    let rows: Vec<ChallengeRow> = challenges::table
        .filter(challenges::id.eq_any(resolved))
        .filter(challenges::status.eq(ChallengeStatus::Resolved.as_str()))
        .order(challenges::number.asc())
        .select(ChallengeRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(challenge_from).collect()
}

/// The challenges a forum bundle for `from`..=`to` carries: those taken to the national forum
/// in the period, and those still at the forum that were taken there before it ended.
pub async fn for_forum(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<Vec<Challenge>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<ChallengeRow> = challenges::table
        .filter(challenges::escalated_on.le(to))
        .filter(challenges::escalated_on.ge(from).or(challenges::status.eq(ChallengeStatus::Escalated.as_str())))
        .order(challenges::number.asc())
        .select(ChallengeRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(challenge_from).collect()
}

/// Challenges the network has in hand (accepted, being worked, at the national forum).
pub async fn in_hand(db: &Db) -> Result<Vec<Challenge>, StoreError> {
    let mut conn = db.conn().await?;
    let open = [ChallengeStatus::Accepted, ChallengeStatus::BeingWorked, ChallengeStatus::Escalated].map(|s| s.as_str());
    let rows: Vec<ChallengeRow> = challenges::table
        .filter(challenges::status.eq_any(open))
        .order(challenges::number.asc())
        .select(ChallengeRow::as_select())
        .load(&mut conn)
        .await?;
    rows.into_iter().map(challenge_from).collect()
}

/// A network action still owed, with its challenge's number and the owing agency's name.
#[derive(Debug, Clone)]
pub struct NetworkOwed {
    pub action: Action,
    pub number: i64,
    pub owner: String,
}

/// The network's open actions due by `by`, soonest first.
pub async fn open_actions_due_by(db: &Db, by: NaiveDate) -> Result<Vec<NetworkOwed>, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<(ActionRow, i64, String)> = actions::table
        .inner_join(challenges::table)
        .inner_join(agencies::table.on(agencies::id.eq(actions::owner_agency_id)))
        .filter(actions::status.eq(ActionStatus::Open.as_str()))
        .filter(actions::due_on.le(by))
        .order((actions::due_on.asc(), actions::id.asc()))
        .select((ActionRow::as_select(), challenges::number, agencies::name))
        .load(&mut conn)
        .await?;
    rows.into_iter().map(|(a, number, owner)| Ok(NetworkOwed { action: action_from(a)?, number, owner })).collect()
}
