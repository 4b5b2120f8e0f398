//! Loading a case for a use case: the case row and its team, read pipelined, with the lock the use
//! case needs on the case row for the rest of its transaction. Every write starts here: lock the
//! case, apply the change, derive its deadlines (the `derive` module), audit.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use fourthp_domain::case::{
    Birth, Case, CaseDetails, CaseReference, Consent, DataSharing, ExploitationType, Gender, Jurisdiction, KnownAs, LocalAuthority,
    NrmConsent, Stage, TeamMember, TeamRole,
};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::principal::Subject;

use crate::db::StoreError;
use crate::rows::{CaseRow, TeamRow};
use crate::schema::{case_team, cases};

fn corrupt(what: &str) -> StoreError {
    StoreError::internal(format!("case row with invalid {what}"))
}

fn parse_all<T, E>(items: &[String], parse: impl Fn(&str) -> Result<T, E>, what: &str) -> Result<Vec<T>, StoreError> {
    items.iter().map(|s| parse(s).map_err(|_| corrupt(what))).collect()
}

pub(crate) fn case_from_rows(r: CaseRow, team: Vec<TeamRow>) -> Result<Case, StoreError> {
    let birth = match (r.date_of_birth, r.birth_year) {
        (Some(d), _) => Birth::Date(d),
        (None, Some(y)) => Birth::Year(y),
        (None, None) => Birth::Unknown,
    };
    let details = CaseDetails {
        known_as: KnownAs::parse(&r.known_as).map_err(|_| corrupt("known_as"))?,
        birth,
        presumed_child: r.presumed_child,
        gender: Gender::parse(&r.gender).ok_or_else(|| corrupt("gender"))?,
        nationalities: parse_all(&r.nationalities, CountryCode::parse, "nationalities")?,
        languages: parse_all(&r.languages, LanguageCode::parse, "languages")?,
        interpreter_needed: r.interpreter_needed,
        exploitation_types: parse_all(&r.exploitation_types, |s| ExploitationType::parse(s).ok_or(()), "exploitation_types")?,
        county_lines: r.county_lines,
        jurisdiction: Jurisdiction::parse(&r.jurisdiction).ok_or_else(|| corrupt("jurisdiction"))?,
        local_authority: LocalAuthority::parse(&r.local_authority).map_err(|_| corrupt("local_authority"))?,
        consent: Consent {
            nrm: NrmConsent::parse(&r.nrm_consent).ok_or_else(|| corrupt("nrm_consent"))?,
            data_sharing: DataSharing::parse(&r.data_sharing).ok_or_else(|| corrupt("data_sharing"))?,
            recorded_on: r.consent_recorded_on,
            recorded_by: Subject::parse(&r.consent_recorded_by).map_err(|_| corrupt("consent_recorded_by"))?,
        },
        lead_coordinator: Subject::parse(&r.lead_coordinator).map_err(|_| corrupt("lead_coordinator"))?,
    };
    let team = team
        .into_iter()
        .map(|t| {
            Ok(TeamMember {
                agency_id: AgencyId::from_uuid(t.agency_id),
                role: t.role.as_deref().map(TeamRole::parse).transpose().map_err(|_| corrupt("team role"))?,
                added_at: t.added_at,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Case {
        id: CaseId::from_uuid(r.id),
        reference: CaseReference::parse(&r.reference).map_err(|_| corrupt("reference"))?,
        details,
        stage: Stage::parse(&r.stage).ok_or_else(|| corrupt("stage"))?,
        stage_advances_on: r.stage_advances_on,
        team,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// Loads a case and its team, optionally locking the case row for the rest of the transaction.
/// How a use case holds the case row for the rest of its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    None,
    /// Adding records to the case: many at once, but no change to the case (or its team) meanwhile.
    Share,
    /// Changing the case itself.
    Update,
}

pub(crate) async fn load(conn: &AsyncPgConnection, id: CaseId, lock: Lock) -> Result<Option<Case>, StoreError> {
    Ok(load_dated(conn, id, lock).await?.map(|(case, _)| case))
}

/// [`load`], with the date of the case's first effective event (`cases.first_event_on`, kept by
/// `derive::sync`) read in the same statement: what a back-dated record is checked against.
pub(crate) async fn load_dated(conn: &AsyncPgConnection, id: CaseId, lock: Lock) -> Result<Option<(Case, Option<NaiveDate>)>, StoreError> {
    // The case and its team are read pipelined: both queries are sent before the first answer
    // is awaited, the case's (and its lock) first.
    let (mut for_case, mut for_team): (&AsyncPgConnection, &AsyncPgConnection) = (conn, conn);
    let query = cases::table.find(id.into_uuid()).select((CaseRow::as_select(), cases::first_event_on));
    let row = async move {
        match lock {
            Lock::None => query.first(&mut for_case).await.optional(),
            Lock::Share => query.for_share().first(&mut for_case).await.optional(),
            Lock::Update => query.for_update().first(&mut for_case).await.optional(),
        }
    };
    let team = case_team::table
        .filter(case_team::case_id.eq(id.into_uuid()))
        .order(case_team::added_at.asc())
        .select(TeamRow::as_select())
        .load::<TeamRow>(&mut for_team);
    let (row, team) = futures_util::future::try_join(row, team).await?;
    let Some((row, first_event_on)) = row else { return Ok(None) };
    Ok(Some((case_from_rows(row, team)?, first_event_on)))
}
