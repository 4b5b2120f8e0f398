//! The cases repository: cases and their teams.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::{CaseScope, Denial};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::{
    Case, CaseDetails, CaseReference, CaseSearch, DataSharing, ExploitationType, Jurisdiction, Stage, TeamMember, TeamRole,
};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Subject;
use fourthp_domain::rules::RuleBook;

use crate::agencies;
use crate::audit;
use crate::case_lock::{case_from_rows, load, Lock};
use crate::db::{violated, Db, StoreError};
use crate::outbox::{self, About};
use crate::rows::{CaseDetailsWrite, CaseRow, NewCaseRow, TeamRow};
use crate::schema::{case_team, cases};
use fourthp_domain::notify::Topic;

fn details_write(d: &CaseDetails) -> CaseDetailsWrite<'_> {
    CaseDetailsWrite {
        known_as: d.known_as.as_str(),
        birth_year: d.birth.year(),
        date_of_birth: d.birth.date(),
        presumed_child: d.presumed_child,
        gender: d.gender.as_str(),
        nationalities: d.nationalities.iter().map(CountryCode::as_str).collect(),
        languages: d.languages.iter().map(LanguageCode::as_str).collect(),
        interpreter_needed: d.interpreter_needed,
        exploitation_types: d.exploitation_types.iter().map(|t| t.as_str()).collect(),
        county_lines: d.county_lines,
        jurisdiction: d.jurisdiction.as_str(),
        local_authority: d.local_authority.as_str(),
        nrm_consent: d.consent.nrm.as_str(),
        data_sharing: d.consent.data_sharing.as_str(),
        consent_recorded_on: d.consent.recorded_on,
        consent_recorded_by: d.consent.recorded_by.as_str(),
        lead_coordinator: d.lead_coordinator.as_str(),
    }
}

/// A case's details as on the wire, for the history of changes (kept beside the audit record).
pub(crate) fn details_json(d: &CaseDetails) -> serde_json::Value {
    serde_json::json!({
        "known_as": d.known_as.as_str(),
        "birth_year": d.birth.year(),
        "date_of_birth": d.birth.date(),
        "presumed_child": d.presumed_child,
        "gender": d.gender.as_str(),
        "nationalities": d.nationalities.iter().map(CountryCode::as_str).collect::<Vec<_>>(),
        "languages": d.languages.iter().map(LanguageCode::as_str).collect::<Vec<_>>(),
        "interpreter_needed": d.interpreter_needed,
        "exploitation_types": d.exploitation_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "county_lines": d.county_lines,
        "jurisdiction": d.jurisdiction.as_str(),
        "local_authority": d.local_authority.as_str(),
        "consent": {
            "nrm": d.consent.nrm.as_str(),
            "data_sharing": d.consent.data_sharing.as_str(),
            "recorded_on": d.consent.recorded_on,
            "recorded_by": d.consent.recorded_by.as_str(),
        },
        "lead_coordinator": d.lead_coordinator.as_str(),
    })
}

/// The named fields of a details document.
fn only(doc: &serde_json::Value, fields: &[&str]) -> serde_json::Value {
    serde_json::Value::Object(fields.iter().filter_map(|f| doc.get(*f).map(|v| ((*f).to_owned(), v.clone()))).collect())
}

pub async fn get(db: &Db, id: CaseId) -> Result<Option<Case>, StoreError> {
    let conn = db.conn().await?;
    load(&conn, id, Lock::None).await
}

#[derive(Debug, thiserror::Error)]
pub enum CreateCaseError {
    #[error("the creating coordinator's agency is not registered")]
    UnknownAgency,
    #[error("case references for the year are exhausted")]
    ReferencesExhausted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for CreateCaseError {
    fn from(e: DieselError) -> Self {
        if violated(&e, DatabaseErrorKind::ForeignKeyViolation).is_some() {
            return CreateCaseError::UnknownAgency;
        }
        CreateCaseError::Store(e.into())
    }
}

/// Opens a case with the creator's agency on its team, and audits it, on `conn` (in the caller's
/// transaction). `today` is the London date of `ctx.at`: its year starts the reference.
pub async fn create(
    conn: &mut AsyncPgConnection,
    ctx: &AuditContext,
    details: CaseDetails,
    today: NaiveDate,
) -> Result<Case, CreateCaseError> {
    use chrono::Datelike;
    let agency = ctx.principal.agency.ok_or(CreateCaseError::UnknownAgency)?;
    let id = CaseId::new_at(ctx.at);
    {
        let serial: i64 =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("nextval('case_reference_seq')")).get_result(conn).await?;
        let reference = CaseReference::new(today.year(), serial).map_err(|_| CreateCaseError::ReferencesExhausted)?;
        let row = NewCaseRow {
            id: id.into_uuid(),
            reference: reference.as_str(),
            details: details_write(&details),
            stage: Stage::Intake.as_str(),
            version: 1,
            created_by: ctx.principal.subject.as_str(),
            created_at: ctx.at,
            updated_at: ctx.at,
        };
        diesel::insert_into(cases::table).values(&row).execute(conn).await?;
        let team = TeamRow { case_id: id.into_uuid(), agency_id: agency.into_uuid(), role: None, added_at: ctx.at };
        diesel::insert_into(case_team::table).values(&team).execute(conn).await?;
        let about = About { case: Some((id, reference.clone())), ..About::default() };
        outbox::announce(conn, ctx.at, Topic::TeamAdded, agency, &about, None).await?;
        let fields = vec![
            "known_as",
            "birth_year",
            "date_of_birth",
            "presumed_child",
            "gender",
            "nationalities",
            "languages",
            "interpreter_needed",
            "exploitation_types",
            "county_lines",
            "jurisdiction",
            "local_authority",
            "consent",
            "lead_coordinator",
            "team",
        ];
        let details = audit::Details { before: None, after: Some(details_json(&details)) };
        audit::record_with(
            conn,
            ctx,
            AuditEntry::change(AuditAction::Create, EntityType::Case, id.into_uuid(), Some(id), fields),
            Some(details),
        )
        .await?;
        load(conn, id, Lock::None).await?.ok_or_else(|| StoreError::internal("created case not found").into())
    }
}

/// Filters for listing cases. `scope` comes from the access policy.
#[derive(Debug, Clone)]
pub struct CaseFilter {
    pub scope: CaseScope,
    pub stage: Option<Stage>,
    pub jurisdiction: Option<Jurisdiction>,
    pub exploitation_type: Option<ExploitationType>,
    pub team_agency: Option<AgencyId>,
    pub lead: Option<Subject>,
    /// A reference (or its start), or part of a name: names only under the consents in
    /// `names_in` (those whose names the caller may see).
    pub search: Option<CaseSearch>,
    pub names_in: Vec<DataSharing>,
    /// The London date the stage filter is judged on (recovery period vs awaiting CG).
    pub today: NaiveDate,
}

/// The id of the case with `reference`, if any.
pub async fn id_by_reference(db: &Db, reference: &CaseReference) -> Result<Option<CaseId>, StoreError> {
    let mut conn = db.conn().await?;
    let id: Option<uuid::Uuid> =
        cases::table.filter(cases::reference.eq(reference.as_str())).select(cases::id).first(&mut conn).await.optional()?;
    Ok(id.map(CaseId::from_uuid))
}

/// How many cases are at each stage on `today` (London), within `scope` and, if given, led by
/// `lead`: a recovery period whose milestone has passed counts as awaiting the CG, as the list's
/// stage filter reads it.
pub async fn count_by_stage(db: &Db, scope: CaseScope, lead: Option<&Subject>, today: NaiveDate) -> Result<Vec<(Stage, i64)>, StoreError> {
    use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text, Uuid as SqlUuid};
    #[derive(QueryableByName)]
    struct StageCount {
        #[diesel(sql_type = Text)]
        stage: String,
        #[diesel(sql_type = Bool)]
        advanced: bool,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = db.conn().await?;
    let team = match scope {
        CaseScope::TeamOf(agency) => Some(agency.into_uuid()),
        CaseScope::All => None,
    };
    let rows: Vec<StageCount> = diesel::sql_query(
        "SELECT stage, coalesce(stage = 'recovery_period' AND stage_advances_on <= $1, false) AS advanced, count(*) AS n \
         FROM cases \
         WHERE ($2::uuid IS NULL OR id IN (SELECT case_id FROM case_team WHERE agency_id = $2)) \
           AND ($3::text IS NULL OR lead_coordinator = $3) \
         GROUP BY 1, 2",
    )
    .bind::<Date, _>(today)
    .bind::<Nullable<SqlUuid>, _>(team)
    .bind::<Nullable<Text>, _>(lead.map(|l| l.as_str().to_owned()))
    .load(&mut conn)
    .await?;
    let rows: Vec<(String, bool, i64)> = rows.into_iter().map(|r| (r.stage, r.advanced, r.n)).collect();
    let mut counts: Vec<(Stage, i64)> = Vec::new();
    for (stage, advanced, n) in rows {
        let stage = if advanced {
            Stage::AwaitingCg
        } else {
            Stage::parse(&stage).ok_or_else(|| StoreError::internal("case row with an invalid stage"))?
        };
        match counts.iter_mut().find(|(s, _)| *s == stage) {
            Some((_, total)) => *total += n,
            None => counts.push((stage, n)),
        }
    }
    counts.sort_by_key(|(s, _)| Stage::ALL.iter().position(|x| x == s));
    Ok(counts)
}

/// Cases newest first (ids are UUIDv7), after the cursor's case id.
pub async fn list(db: &Db, filter: &CaseFilter, limit: Limit, after: Option<CaseId>) -> Result<Page<Case, CaseId>, StoreError> {
    let mut conn = db.conn().await?;
    let mut query = cases::table.select(CaseRow::as_select()).order(cases::id.desc()).into_boxed();
    let on_team = |agency: AgencyId| case_team::table.filter(case_team::agency_id.eq(agency.into_uuid())).select(case_team::case_id);
    if let CaseScope::TeamOf(agency) = filter.scope {
        query = query.filter(cases::id.eq_any(on_team(agency)));
    }
    if let Some(agency) = filter.team_agency {
        query = query.filter(cases::id.eq_any(on_team(agency)));
    }
    match filter.stage {
        None => {}
        // A case in its recovery period is awaiting its CG once the recovery milestone passed.
        Some(Stage::AwaitingCg) => {
            query = query.filter(
                cases::stage
                    .eq(Stage::AwaitingCg.as_str())
                    .or(cases::stage.eq(Stage::RecoveryPeriod.as_str()).and(cases::stage_advances_on.le(filter.today))),
            );
        }
        Some(Stage::RecoveryPeriod) => {
            query = query.filter(
                cases::stage
                    .eq(Stage::RecoveryPeriod.as_str())
                    .and(cases::stage_advances_on.is_null().or(cases::stage_advances_on.gt(filter.today))),
            );
        }
        Some(stage) => query = query.filter(cases::stage.eq(stage.as_str())),
    }
    if let Some(j) = filter.jurisdiction {
        query = query.filter(cases::jurisdiction.eq(j.as_str()));
    }
    if let Some(t) = filter.exploitation_type {
        query = query.filter(cases::exploitation_types.contains(vec![t.as_str()]));
    }
    if let Some(lead) = &filter.lead {
        query = query.filter(cases::lead_coordinator.eq(lead.as_str().to_owned()));
    }
    match &filter.search {
        None => {}
        // A reference's start: a range of the references' unique index.
        Some(search) if let Some((first, last)) = search.reference_range() => {
            query = query.filter(cases::reference.ge(first).and(cases::reference.le(last)));
        }
        Some(search) => {
            let names_in: Vec<&str> = filter.names_in.iter().map(|s| s.as_str()).collect();
            // An imported case is found by the reference it had in the spreadsheet, too.
            let by_old_reference = crate::schema::case_aliases::table
                .filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>("lower(alias) = ")
                        .bind::<diesel::sql_types::Text, _>(search.as_str().to_owned()),
                )
                .select(crate::schema::case_aliases::case_id);
            query = query.filter(
                cases::reference
                    .like(search.reference_prefix())
                    .or(cases::known_as.ilike(search.containing()).and(cases::data_sharing.eq_any(names_in)))
                    .or(cases::id.eq_any(by_old_reference)),
            );
        }
    }
    if let Some(after) = after {
        query = query.filter(cases::id.lt(after.into_uuid()));
    }
    let rows: Vec<CaseRow> = query.limit(i64::from(limit.get()) + 1).load(&mut conn).await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let mut teams: Vec<TeamRow> = case_team::table
        .filter(case_team::case_id.eq_any(&ids))
        .order((case_team::case_id, case_team::added_at))
        .select(TeamRow::as_select())
        .load(&mut conn)
        .await?;
    let mut cases = Vec::with_capacity(rows.len());
    for row in rows {
        let (mine, rest): (Vec<TeamRow>, Vec<TeamRow>) = teams.into_iter().partition(|t| t.case_id == row.id);
        teams = rest;
        cases.push(case_from_rows(row, mine)?);
    }
    Ok(Page::from_overfetch(cases, limit, |c| c.id))
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateCaseError {
    #[error("no such case")]
    NotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("the case has changed since it was read")]
    VersionMismatch,
    #[error("invalid update")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for UpdateCaseError {
    fn from(e: DieselError) -> Self {
        UpdateCaseError::Store(e.into())
    }
}

/// Locks the case, lets `decide` (access policy, version check, domain rules) produce the new
/// details and changed field names, then writes and audits them in the same transaction. A new
/// jurisdiction brings its own rules: the deadlines are derived again under `rules`.
pub async fn update<F>(db: &Db, ctx: &AuditContext, id: CaseId, rules: &RuleBook, decide: F) -> Result<Case, UpdateCaseError>
where
    F: FnOnce(&Case) -> Result<(CaseDetails, Vec<&'static str>), UpdateCaseError> + Send,
{
    let mut conn = db.conn().await?;
    conn.transaction::<_, UpdateCaseError, _>(async move |conn| {
        let current = load(conn, id, Lock::Update).await?.ok_or(UpdateCaseError::NotFound)?;
        let (details, changed) = decide(&current)?;
        if changed.is_empty() {
            return Ok(current);
        }
        diesel::update(cases::table.find(id.into_uuid()))
            .set((details_write(&details), cases::version.eq(cases::version + 1), cases::updated_at.eq(ctx.at)))
            .execute(conn)
            .await?;
        let jurisdiction_changed = changed.contains(&"jurisdiction");
        let values = audit::Details {
            before: Some(only(&details_json(&current.details), &changed)),
            after: Some(only(&details_json(&details), &changed)),
        };
        audit::record_with(
            conn,
            ctx,
            AuditEntry::change(AuditAction::Update, EntityType::Case, id.into_uuid(), Some(id), changed),
            Some(values),
        )
        .await?;
        let updated = load(conn, id, Lock::None).await?.ok_or_else(|| StoreError::internal("updated case not found"))?;
        if !jurisdiction_changed {
            return Ok(updated);
        }
        crate::derive::resync(conn, &updated, rules, ctx.at).await?;
        load(conn, id, Lock::None).await?.ok_or_else(|| StoreError::internal("updated case not found").into())
    })
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum TeamChangeError {
    #[error("no such case")]
    CaseNotFound,
    #[error("access denied")]
    Denied(Denial),
    #[error("no such agency")]
    UnknownAgency,
    #[error("the agency is inactive")]
    InactiveAgency,
    #[error("the agency is not on the case team")]
    NotOnTeam,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for TeamChangeError {
    fn from(e: DieselError) -> Self {
        TeamChangeError::Store(e.into())
    }
}

/// What a team change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamChange {
    Added(TeamMember),
    Changed(TeamMember),
    Unchanged(TeamMember),
}

async fn bump_case(conn: &mut AsyncPgConnection, ctx: &AuditContext, id: CaseId) -> Result<(), DieselError> {
    diesel::update(cases::table.find(id.into_uuid()))
        .set((cases::version.eq(cases::version + 1), cases::updated_at.eq(ctx.at)))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Puts `agency` on the case team with `role` (or changes its role), after `authorize` approves.
pub async fn put_team_member<F>(
    db: &Db,
    ctx: &AuditContext,
    id: CaseId,
    agency: AgencyId,
    role: Option<TeamRole>,
    authorize: F,
) -> Result<TeamChange, TeamChangeError>
where
    F: FnOnce(&Case) -> Result<(), TeamChangeError> + Send,
{
    let mut conn = db.conn().await?;
    conn.transaction::<_, TeamChangeError, _>(async move |conn| {
        let case = load(conn, id, Lock::Update).await?.ok_or(TeamChangeError::CaseNotFound)?;
        authorize(&case)?;
        let existing = case.team.iter().find(|m| m.agency_id == agency).cloned();
        let (change, action, fields) = match existing {
            Some(m) if m.role == role => return Ok(TeamChange::Unchanged(m)),
            Some(m) => {
                diesel::update(case_team::table.find((id.into_uuid(), agency.into_uuid())))
                    .set(case_team::role.eq(role.as_ref().map(TeamRole::as_str)))
                    .execute(conn)
                    .await?;
                (TeamChange::Changed(TeamMember { role, ..m }), AuditAction::Update, vec!["role"])
            }
            None => {
                match agencies::is_active(conn, agency).await? {
                    None => return Err(TeamChangeError::UnknownAgency),
                    Some(false) => return Err(TeamChangeError::InactiveAgency),
                    Some(true) => {}
                }
                let row = TeamRow {
                    case_id: id.into_uuid(),
                    agency_id: agency.into_uuid(),
                    role: role.as_ref().map(|r| r.as_str().to_owned()),
                    added_at: ctx.at,
                };
                diesel::insert_into(case_team::table).values(&row).execute(conn).await?;
                let fields = if role.is_some() { vec!["agency_id", "role"] } else { vec!["agency_id"] };
                (TeamChange::Added(TeamMember { agency_id: agency, role, added_at: ctx.at }), AuditAction::Create, fields)
            }
        };
        bump_case(conn, ctx, id).await?;
        audit::record(conn, ctx, AuditEntry::change(action, EntityType::CaseTeam, agency.into_uuid(), Some(id), fields)).await?;
        if let TeamChange::Added(_) = change {
            let about = About { case: Some((case.id, case.reference.clone())), ..About::default() };
            outbox::announce(conn, ctx.at, Topic::TeamAdded, agency, &about, None).await?;
        }
        Ok(change)
    })
    .await
}

/// Takes `agency` off the case team, after `authorize` approves.
pub async fn remove_team_member<F>(db: &Db, ctx: &AuditContext, id: CaseId, agency: AgencyId, authorize: F) -> Result<(), TeamChangeError>
where
    F: FnOnce(&Case) -> Result<(), TeamChangeError> + Send,
{
    let mut conn = db.conn().await?;
    conn.transaction::<_, TeamChangeError, _>(async move |conn| {
        let case = load(conn, id, Lock::Update).await?.ok_or(TeamChangeError::CaseNotFound)?;
        authorize(&case)?;
        let removed = diesel::delete(case_team::table.find((id.into_uuid(), agency.into_uuid()))).execute(conn).await?;
        if removed == 0 {
            return Err(TeamChangeError::NotOnTeam);
        }
        bump_case(conn, ctx, id).await?;
        let entry = AuditEntry::change(AuditAction::Delete, EntityType::CaseTeam, agency.into_uuid(), Some(id), vec!["agency_id"]);
        audit::record(conn, ctx, entry).await?;
        let about = About { case: Some((case.id, case.reference.clone())), ..About::default() };
        outbox::announce(conn, ctx.at, Topic::TeamRemoved, agency, &about, None).await?;
        Ok(())
    })
    .await
}
