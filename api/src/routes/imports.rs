//! Caseload imports (administrators): `POST /api/v1/imports` starts one with the cases file
//! (the request body; XLSX, ODS or CSV), `POST /api/v1/imports/{id}/files` adds the events or
//! interventions file, `GET /api/v1/imports/{id}` shows its sheets and the mapping their
//! headings suggest, `POST .../dry-run` reads every row (JSON, or the report as CSV with
//! `Accept: text/csv`), `POST .../load` loads it all or nothing.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use fourthp_domain::import::{SheetKind, Target};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app;
use crate::app::imports::{DryRun, ImportView, Mapping, Upload};
use crate::auth::Caller;
use crate::extract::{ApiJson, RawFile};
use crate::paths::ImportPath;
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// The file's name, with its extension (`caseload.xlsx`, `cases.csv`).
    pub name: String,
    /// The agency whose coordinators take the cases on (it joins each case's team).
    #[param(value_type = uuid::Uuid)]
    #[serde(default, deserialize_with = "field::id")]
    pub agency_id: Option<fourthp_domain::ids::AgencyId>,
    /// The sign-in subject of the coordinator who leads the imported cases.
    pub lead_coordinator: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's name, with its extension (`events.csv`).
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportFileResponse {
    pub name: String,
    pub sha256: String,
    pub bytes: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSheetResponse {
    pub name: String,
    #[schema(value_type = SheetKind)]
    pub kind: SheetKind,
    pub headings: Vec<String>,
    /// The field each column would be read into, by its heading (null: not read).
    #[schema(value_type = Vec<Option<Target>>)]
    pub suggested: Vec<Option<Target>>,
    pub rows: usize,
    /// The first three rows, as text, under their headings.
    pub sample: Vec<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub id: uuid::Uuid,
    pub uploaded_at: DateTime<Utc>,
    pub agency_id: uuid::Uuid,
    pub lead_coordinator: String,
    pub files: Vec<ImportFileResponse>,
    /// Empty once loaded (the files' content is dropped).
    pub sheets: Vec<ImportSheetResponse>,
    pub loaded_at: Option<DateTime<Utc>>,
    pub created: Option<i32>,
    pub skipped: Option<i32>,
}

impl ImportResponse {
    fn new(v: &ImportView) -> Self {
        ImportResponse {
            id: v.id.into_uuid(),
            uploaded_at: v.uploaded_at,
            agency_id: v.agency.into_uuid(),
            lead_coordinator: v.lead_coordinator.clone(),
            files: v
                .files
                .iter()
                .map(|(name, sha256, bytes)| ImportFileResponse { name: name.clone(), sha256: sha256.clone(), bytes: *bytes })
                .collect(),
            sheets: v
                .sheets
                .iter()
                .map(|s| ImportSheetResponse {
                    name: s.name.clone(),
                    kind: s.kind,
                    headings: s.headings.clone(),
                    suggested: v.suggested.get(&s.kind).cloned().unwrap_or_default(),
                    rows: s.rows.len(),
                    sample: s.rows.iter().take(3).map(|(_, r)| r.iter().map(fourthp_domain::import::Cell::text).collect()).collect(),
                })
                .collect(),
            loaded_at: v.loaded.map(|(at, _, _)| at),
            created: v.loaded.map(|(_, c, _)| c),
            skipped: v.loaded.map(|(_, _, s)| s),
        }
    }
}

fn upload(name: String, file: RawFile) -> Upload {
    Upload { name, bytes: file.0 }
}

/// Start an import with the cases file as the request body (XLSX or ODS, whose sheets may
/// also hold the events and the interventions; or CSV). The file is kept until it is loaded.
#[utoipa::path(
    tag = "data protection",
    params(StartQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses((status = 201, description = "Started", body = ImportResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/imports")]
pub async fn start_import(
    caller: Caller,
    state: web::Data<AppState>,
    query: ApiQuery<StartQuery>,
    file: RawFile,
) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let agency = q.agency_id.ok_or_else(|| Problem::from(app::AppError::invalid("agency_id", "is required")))?;
    let v = app::imports::start(&caller, &state.db, agency, &q.lead_coordinator, upload(q.name, file)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/imports/{}", v.id))).json(ImportResponse::new(&v)))
}

/// Add the events or the interventions file (CSV) to an import not yet loaded; at most three
/// files in all.
#[utoipa::path(
    tag = "data protection",
    params(ImportPath, FileQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses((status = 200, description = "Added", body = ImportResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/imports/{id}/files")]
pub async fn add_import_file(
    caller: Caller,
    state: web::Data<AppState>,
    path: ImportPath,
    query: ApiQuery<FileQuery>,
    file: RawFile,
) -> Result<HttpResponse, Problem> {
    let v = app::imports::add_file(&caller, &state.db, path.id, upload(query.0.name, file)).await?;
    Ok(HttpResponse::Ok().json(ImportResponse::new(&v)))
}

/// An import: its files (with their SHA-256), its sheets, the field each heading suggests and
/// the first rows.
#[utoipa::path(
    tag = "data protection",
    params(ImportPath),
    responses((status = 200, description = "The import", body = ImportResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/imports/{id}")]
pub async fn get_import(caller: Caller, state: web::Data<AppState>, path: ImportPath) -> Result<HttpResponse, Problem> {
    let v = app::imports::view(&caller, &state.db, path.id).await?;
    Ok(HttpResponse::Ok().json(ImportResponse::new(&v)))
}

/// The columns to read, by kind of sheet: for each column in order, the field it is read into
/// (null: not read). Absent: the mapping the headings suggest.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingRequest {
    /// `{"cases": ["reference", "known_as", null, "gender"], "events": [...], "interventions": [...]}`:
    /// by kind of sheet (`SheetKind`), a field (`Target`) or null for each column.
    #[schema(value_type = Option<Object>, example = json!({"cases": ["reference", "known_as", null, "gender"]}))]
    pub mapping: Option<Mapping>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem {
    pub sheet: String,
    /// The row in the spreadsheet (its headings are row 1).
    pub row: usize,
    pub column: String,
    pub problem: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunResponse {
    pub rows: usize,
    pub new_cases: usize,
    /// Rows whose old reference was loaded before: skipped.
    pub already_loaded: usize,
    pub events: usize,
    pub interventions: usize,
    pub problems: Vec<ImportProblem>,
    /// The mapping read by, as in the request.
    #[schema(value_type = Object)]
    pub mapping: Mapping,
}

impl DryRunResponse {
    fn new(d: &DryRun) -> Self {
        DryRunResponse {
            rows: d.rows,
            new_cases: d.new_cases,
            already_loaded: d.already_loaded,
            events: d.events,
            interventions: d.interventions,
            problems: d
                .problems
                .iter()
                .map(|p| ImportProblem { sheet: p.sheet.clone(), row: p.row, column: p.column.clone(), problem: p.message.clone() })
                .collect(),
            mapping: d.mapping.clone(),
        }
    }
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"))
}

/// Read every row as the load would, through the API's own parsing and the lifecycle's rules,
/// writing nothing: each problem by sheet, row and column in the rule's words. With
/// `Accept: text/csv`, the report as CSV (sheet, row, column, problem).
#[utoipa::path(
    tag = "data protection",
    params(ImportPath),
    request_body = MappingRequest,
    responses(
        (status = 200, description = "The dry run's report", content((DryRunResponse = "application/json"), (String = "text/csv", example = "sheet,row,column,problem"))),
        CreateProblems
    ),
    security(("bearer" = []))
)]
#[post("/imports/{id}/dry-run")]
pub async fn dry_run_import(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: ImportPath,
    body: ApiJson<MappingRequest>,
) -> Result<HttpResponse, Problem> {
    let run = app::imports::dry_run(&caller, &state.db, &state.rules, path.id, body.value.mapping).await?;
    if wants_csv(&req) {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"fourthp-import-{}-report.csv\"", path.id)))
            .body(run.report_csv()));
    }
    Ok(HttpResponse::Ok().json(DryRunResponse::new(&run)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoadResponse {
    pub created: usize,
    pub skipped: usize,
    pub events: usize,
    pub interventions: usize,
}

/// Load the import: the dry run first (refused, 422 `import-has-problems`, if it finds any
/// problem), then every case with its events and interventions in one transaction, all or
/// nothing, its old reference kept as an alias. Rows whose old reference was loaded before are
/// skipped, so loading a corrected file again duplicates nothing. Audited as one import with
/// each file's SHA-256 and the counts.
#[utoipa::path(
    tag = "data protection",
    params(ImportPath),
    request_body = MappingRequest,
    responses((status = 200, description = "Loaded", body = LoadResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/imports/{id}/load")]
pub async fn load_import(
    caller: Caller,
    state: web::Data<AppState>,
    path: ImportPath,
    body: ApiJson<MappingRequest>,
) -> Result<HttpResponse, Problem> {
    let (_, done) = app::imports::load(&caller, &state.db, &state.rules, path.id, body.value.mapping).await?;
    Ok(HttpResponse::Ok().json(LoadResponse {
        created: done.created,
        skipped: done.skipped,
        events: done.events,
        interventions: done.interventions,
    }))
}
