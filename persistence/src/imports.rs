//! Caseload imports: the files uploaded, the old references of the cases loaded (aliases, so a
//! second run skips them), and the load itself: every case, its events and its interventions
//! through the same writers as the API, in one transaction, all or nothing, audited as one
//! import with each file's SHA-256.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditContext, AuditEntry, EntityType};
use fourthp_domain::case::CaseDetails;
use fourthp_domain::event::EventBody;
use fourthp_domain::ids::{AgencyId, CaseId, CaseImportId};
use fourthp_domain::intervention::NewIntervention;
use fourthp_domain::lifecycle::BackdatingWindow;
use uuid::Uuid;

use crate::audit::{self, Details};
use crate::cases::CreateCaseError;
use crate::db::{Db, StoreError};
use crate::events::{AppendEventError, EventRules};
use crate::interventions::InterventionError;
use crate::schema::{case_aliases, case_import_files, case_imports};

/// A file of an import.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub seq: i32,
    pub name: String,
    pub sha256: Vec<u8>,
    pub size: i32,
    /// None once loaded.
    pub content: Option<Vec<u8>>,
}

/// An import as stored.
#[derive(Debug, Clone)]
pub struct CaseImport {
    pub id: CaseImportId,
    pub uploaded_at: DateTime<Utc>,
    pub agency: AgencyId,
    pub lead_coordinator: String,
    pub loaded_at: Option<DateTime<Utc>>,
    pub created: Option<i32>,
    pub skipped: Option<i32>,
    pub files: Vec<ImportFile>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_imports, check_for_backend(diesel::pg::Pg))]
struct ImportRow {
    id: Uuid,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
    agency_id: Uuid,
    lead_coordinator: String,
    mapping: Option<serde_json::Value>,
    loaded_at: Option<DateTime<Utc>>,
    created: Option<i32>,
    skipped: Option<i32>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_import_files, check_for_backend(diesel::pg::Pg))]
struct FileRow {
    import_id: Uuid,
    seq: i32,
    name: String,
    sha256: Vec<u8>,
    size: i32,
    content: Option<Vec<u8>>,
}

/// A file as uploaded: its name, its bytes and their SHA-256.
pub struct NewFile<'a> {
    pub name: &'a str,
    pub content: &'a [u8],
    pub sha256: Vec<u8>,
}

/// Most files an import holds: the cases, their events, their interventions.
pub const MAX_FILES: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum AddFileError {
    #[error("an import holds at most three files")]
    TooMany,
    #[error("the import is already loaded")]
    Loaded,
    #[error("no such import")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for AddFileError {
    fn from(e: diesel::result::Error) -> Self {
        AddFileError::Store(e.into())
    }
}

/// Starts an import with its first file, audited, in one transaction.
pub async fn start(db: &Db, ctx: &AuditContext, agency: AgencyId, lead: &str, file: NewFile<'_>) -> Result<CaseImportId, StoreError> {
    let id = CaseImportId::new_at(ctx.at);
    let row = ImportRow {
        id: id.into_uuid(),
        uploaded_by: ctx.principal.subject.as_str().to_owned(),
        uploaded_at: ctx.at,
        agency_id: agency.into_uuid(),
        lead_coordinator: lead.to_owned(),
        mapping: None,
        loaded_at: None,
        created: None,
        skipped: None,
    };
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        diesel::insert_into(case_imports::table).values(&row).execute(conn).await?;
        insert_file(conn, row.id, 1, &file).await?;
        let entry = AuditEntry::change(AuditAction::Create, EntityType::CaseImport, row.id, None, vec!["file"]);
        audit::record_with(conn, ctx, entry, Some(Details { before: None, after: Some(file_json(&file)) })).await?;
        Ok(())
    })
    .await?;
    Ok(id)
}

fn file_json(f: &NewFile<'_>) -> serde_json::Value {
    let sha: String = f.sha256.iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({ "name": f.name, "sha256": sha, "bytes": f.content.len() })
}

async fn insert_file(conn: &mut diesel_async::AsyncPgConnection, import: Uuid, seq: i32, f: &NewFile<'_>) -> Result<(), StoreError> {
    let row = FileRow {
        import_id: import,
        seq,
        name: f.name.to_owned(),
        sha256: f.sha256.clone(),
        size: i32::try_from(f.content.len()).map_err(|_| StoreError::internal("file too large"))?,
        content: Some(f.content.to_vec()),
    };
    diesel::insert_into(case_import_files::table).values(&row).execute(conn).await?;
    Ok(())
}

/// Adds a file (events, interventions) to an import not yet loaded, audited.
pub async fn add_file(db: &Db, ctx: &AuditContext, id: CaseImportId, file: NewFile<'_>) -> Result<(), AddFileError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, AddFileError, _>(async |conn| {
        let loaded: Option<Option<DateTime<Utc>>> =
            case_imports::table.find(id.into_uuid()).select(case_imports::loaded_at).for_update().first(conn).await.optional()?;
        match loaded {
            None => return Err(AddFileError::NotFound),
            Some(Some(_)) => return Err(AddFileError::Loaded),
            Some(None) => {}
        }
        let count: i64 = case_import_files::table.filter(case_import_files::import_id.eq(id.into_uuid())).count().get_result(conn).await?;
        let seq = i32::try_from(count).unwrap_or(MAX_FILES) + 1;
        if seq > MAX_FILES {
            return Err(AddFileError::TooMany);
        }
        insert_file(conn, id.into_uuid(), seq, &file).await?;
        let entry = AuditEntry::change(AuditAction::Update, EntityType::CaseImport, id.into_uuid(), None, vec!["file"]);
        audit::record_with(conn, ctx, entry, Some(Details { before: None, after: Some(file_json(&file)) })).await?;
        Ok(())
    })
    .await
}

/// An import with its files (their content too, until loaded).
pub async fn get(db: &Db, id: CaseImportId) -> Result<Option<CaseImport>, StoreError> {
    let mut conn = db.conn().await?;
    let row: Option<ImportRow> =
        case_imports::table.find(id.into_uuid()).select(ImportRow::as_select()).first(&mut conn).await.optional()?;
    let Some(row) = row else { return Ok(None) };
    let files: Vec<FileRow> = case_import_files::table
        .filter(case_import_files::import_id.eq(row.id))
        .order(case_import_files::seq.asc())
        .select(FileRow::as_select())
        .load(&mut conn)
        .await?;
    Ok(Some(CaseImport {
        id,
        uploaded_at: row.uploaded_at,
        agency: AgencyId::from_uuid(row.agency_id),
        lead_coordinator: row.lead_coordinator,
        loaded_at: row.loaded_at,
        created: row.created,
        skipped: row.skipped,
        files: files
            .into_iter()
            .map(|f| ImportFile { seq: f.seq, name: f.name, sha256: f.sha256, size: f.size, content: f.content })
            .collect(),
    }))
}

/// An import in the list of imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub id: CaseImportId,
    pub uploaded_at: DateTime<Utc>,
    pub loaded_at: Option<DateTime<Utc>>,
    pub created: Option<i32>,
}

/// The imports, newest first (without their files' content).
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<ImportSummary>, StoreError> {
    let mut conn = db.conn().await?;
    #[allow(clippy::type_complexity, reason = "the four columns selected")]
    let rows: Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>, Option<i32>)> = case_imports::table
        .order(case_imports::uploaded_at.desc())
        .select((case_imports::id, case_imports::uploaded_at, case_imports::loaded_at, case_imports::created))
        .limit(limit)
        .load(&mut conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, uploaded_at, loaded_at, created)| ImportSummary { id: CaseImportId::from_uuid(id), uploaded_at, loaded_at, created })
        .collect())
}

/// Drops the content of files uploaded before `before` and never loaded: a spreadsheet of
/// people's details is not kept for an import nobody finished. Returns how many.
pub async fn drop_stale_files(db: &Db, before: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut conn = db.conn().await?;
    let stale =
        case_imports::table.filter(case_imports::loaded_at.is_null()).filter(case_imports::uploaded_at.lt(before)).select(case_imports::id);
    Ok(diesel::update(
        case_import_files::table.filter(case_import_files::content.is_not_null()).filter(case_import_files::import_id.eq_any(stale)),
    )
    .set(case_import_files::content.eq(None::<Vec<u8>>))
    .execute(&mut conn)
    .await?)
}

/// Which of `references` (any letter case) a case was already imported under, in lower case.
pub async fn known_aliases(db: &Db, references: &[String]) -> Result<HashSet<String>, StoreError> {
    let mut conn = db.conn().await?;
    aliases_among(&mut conn, references).await
}

async fn aliases_among(conn: &mut diesel_async::AsyncPgConnection, references: &[String]) -> Result<HashSet<String>, StoreError> {
    if references.is_empty() {
        return Ok(HashSet::new());
    }
    let lowered: Vec<String> = references.iter().map(|r| r.to_lowercase()).collect();
    let found: Vec<String> = case_aliases::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(alias) = ANY(")
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(lowered)
                .sql(")"),
        )
        .select(case_aliases::alias)
        .load(conn)
        .await?;
    Ok(found.into_iter().map(|a| a.to_lowercase()).collect())
}

/// The case imported under an old reference, if any.
pub async fn case_by_alias(db: &Db, alias: &str) -> Result<Option<CaseId>, StoreError> {
    let mut conn = db.conn().await?;
    let id: Option<Uuid> = case_aliases::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(alias) = lower(")
                .bind::<diesel::sql_types::Text, _>(alias.to_owned())
                .sql(")"),
        )
        .select(case_aliases::case_id)
        .first(&mut conn)
        .await
        .optional()?;
    Ok(id.map(CaseId::from_uuid))
}

/// One case to load: its old reference, its details, its events in order and its interventions.
#[derive(Debug, Clone)]
pub struct PlannedCase {
    pub old_reference: String,
    pub details: CaseDetails,
    pub events: Vec<EventBody>,
    pub interventions: Vec<NewIntervention>,
}

/// What a load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub created: usize,
    pub skipped: usize,
    pub events: usize,
    pub interventions: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no such import")]
    NotFound,
    #[error("the import was loaded before")]
    AlreadyLoaded,
    #[error("case {reference}: {error}")]
    Case { reference: String, error: CreateCaseError },
    #[error("case {reference}: an event: {error}")]
    Event { reference: String, error: AppendEventError },
    #[error("case {reference}: an intervention: {error}")]
    Intervention { reference: String, error: InterventionError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for LoadError {
    fn from(e: diesel::result::Error) -> Self {
        LoadError::Store(e.into())
    }
}

/// What the writers of a load go by.
pub struct LoadRules<'a> {
    pub events: EventRules<'a>,
    pub window: BackdatingWindow,
    pub today: NaiveDate,
}

/// Loads the planned cases in one transaction, skipping those whose old reference is already
/// an alias; records the mapping and the counts, drops the files' content, and audits the
/// import with each file's SHA-256. Any failure undoes the whole load.
pub async fn load(
    db: &Db,
    ctx: &AuditContext,
    id: CaseImportId,
    plan: &[PlannedCase],
    rules: LoadRules<'_>,
    mapping: serde_json::Value,
) -> Result<Loaded, LoadError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, LoadError, _>(async |conn| {
        let loaded: Option<Option<DateTime<Utc>>> =
            case_imports::table.find(id.into_uuid()).select(case_imports::loaded_at).for_update().first(conn).await.optional()?;
        match loaded {
            None => return Err(LoadError::NotFound),
            Some(Some(_)) => return Err(LoadError::AlreadyLoaded),
            Some(None) => {}
        }
        // Loads of the same references at once queue here rather than both create.
        diesel::sql_query("LOCK TABLE case_aliases IN SHARE ROW EXCLUSIVE MODE").execute(conn).await?;
        let references: Vec<String> = plan.iter().map(|p| p.old_reference.clone()).collect();
        let known = aliases_among(conn, &references).await?;
        let mut done = Loaded { created: 0, skipped: 0, events: 0, interventions: 0 };
        for p in plan {
            if known.contains(&p.old_reference.to_lowercase()) {
                done.skipped += 1;
                continue;
            }
            let reference = || p.old_reference.clone();
            let case = crate::cases::create(conn, ctx, p.details.clone(), rules.today)
                .await
                .map_err(|error| LoadError::Case { reference: reference(), error })?;
            diesel::insert_into(case_aliases::table)
                .values((
                    case_aliases::alias.eq(&p.old_reference),
                    case_aliases::case_id.eq(case.id.into_uuid()),
                    case_aliases::import_id.eq(id.into_uuid()),
                ))
                .execute(conn)
                .await?;
            for body in &p.events {
                let event_rules = EventRules { book: rules.events.book, window: rules.events.window, today: rules.events.today };
                crate::events::append(conn, ctx, case.id, body.clone(), event_rules, |_| Ok(()))
                    .await
                    .map_err(|error| LoadError::Event { reference: reference(), error })?;
                done.events += 1;
            }
            for new in &p.interventions {
                crate::interventions::create(conn, ctx, case.id, new.clone(), Vec::new(), None, rules.window, rules.today, |_| Ok(()))
                    .await
                    .map_err(|error| LoadError::Intervention { reference: reference(), error })?;
                done.interventions += 1;
            }
            done.created += 1;
        }
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        diesel::update(case_imports::table.find(id.into_uuid()))
            .set((
                case_imports::loaded_at.eq(ctx.at),
                case_imports::created.eq(count(done.created)),
                case_imports::skipped.eq(count(done.skipped)),
                case_imports::mapping.eq(&mapping),
            ))
            .execute(conn)
            .await?;
        let files: Vec<(String, Vec<u8>, i32)> = case_import_files::table
            .filter(case_import_files::import_id.eq(id.into_uuid()))
            .order(case_import_files::seq.asc())
            .select((case_import_files::name, case_import_files::sha256, case_import_files::size))
            .load(conn)
            .await?;
        diesel::update(case_import_files::table.filter(case_import_files::import_id.eq(id.into_uuid())))
            .set(case_import_files::content.eq(None::<Vec<u8>>))
            .execute(conn)
            .await?;
        let after = serde_json::json!({
            "files": files.iter().map(|(name, sha, size)| serde_json::json!({
                "name": name,
                "sha256": sha.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                "bytes": size,
            })).collect::<Vec<_>>(),
            "rows": plan.len(),
            "created": done.created,
            "skipped": done.skipped,
            "events": done.events,
            "interventions": done.interventions,
            "mapping": mapping,
        });
        let entry =
            AuditEntry::change(AuditAction::Execute, EntityType::CaseImport, id.into_uuid(), None, vec!["loaded_at", "created", "skipped"]);
        audit::record_with(conn, ctx, entry, Some(Details { before: None, after: Some(after) })).await?;
        Ok(done)
    })
    .await
}
