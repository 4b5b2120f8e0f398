//! The administrators' data page: a spreadsheet caseload moving in (upload, the columns
//! confirmed, a dry run with its report, the load), and the anonymised dataset for the Counter
//! Trafficking Data Collaborative (HTCDS v2.0) for a period, downloaded as a CSV file.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::access::{data_access, DataAction};
use serde::Deserialize;

use fourthp_domain::ids::CaseImportId;
use fourthp_domain::import::Target;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use fourthp_domain::words::Words;

use super::form::form_errors;
use super::view::{london_time, Choice};
use super::{error_for, render, see_other, Chrome, FieldError, Page, PageError, PageForm, PageUpload};
use crate::app::imports::{DryRun, ImportView, Mapping, Upload};
use crate::app::{self, AppError};
use crate::problem::Problem;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct ImportLine {
    pub href: String,
    pub uploaded: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage {
    chrome: Chrome,
    form: PeriodForm,
    errors: Vec<FieldError>,
    agencies: Vec<Choice>,
    coordinators: Vec<Choice>,
    imports: Vec<ImportLine>,
}

impl DataPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn data_page(page: Page, state: &AppState, form: PeriodForm, errors: Vec<FieldError>) -> Result<HttpResponse, PageError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let (agencies, _) = app::agencies::readable(&page.caller, state, Limit::clamped(200), None).await?;
    let agencies = agencies
        .items
        .iter()
        .filter(|a| a.active)
        .map(|a| Choice { value: a.id.to_string(), label: a.name.as_str().to_owned(), selected: false })
        .collect();
    let users = app::users::list(&page.caller, &state.db, Limit::clamped(200), None).await?;
    let coordinators = users
        .items
        .iter()
        .filter(|u| u.role == Role::Coordinator && u.active)
        .map(|u| Choice {
            value: fourthp_domain::account::User::subject(u.id).as_str().to_owned(),
            label: u.display_name.as_str().to_owned(),
            selected: false,
        })
        .collect();
    let imports = app::imports::recent(&page.caller, &state.db)
        .await?
        .iter()
        .map(|i| ImportLine {
            href: format!("/app/admin/data/imports/{}", i.id),
            uploaded: london_time(i.uploaded_at),
            state: match (i.loaded_at, i.created) {
                (Some(at), created) => format!("loaded {}: {} cases created", london_time(at), created.unwrap_or(0)),
                (None, _) => "not loaded".to_owned(),
            },
        })
        .collect();
    Ok(render(status, &DataPage { chrome: page.chrome, form, errors, agencies, coordinators, imports }))
}

/// The page: moving a caseload in, and the export's period form.
pub async fn show(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    data_access(page.caller.principal().role, DataAction::ExportHtcds).map_err(|d| Problem::from(AppError::from(d)))?;
    data_page(page, &state, PeriodForm::default(), Vec::new()).await
}

/// The period's file, or the page with what is wrong with the period.
pub async fn htcds(page: Page, state: web::Data<AppState>, q: web::Query<PeriodForm>) -> Result<HttpResponse, PageError> {
    let form = q.into_inner();
    let day = |raw: &str| crate::query::parse_date(raw.trim()).ok();
    let mut errors = Vec::new();
    if !form.from.trim().is_empty() && day(&form.from).is_none() {
        errors.push(FieldError::new("from", "Enter the first day as a date, like 2026-01-01"));
    }
    if !form.to.trim().is_empty() && day(&form.to).is_none() {
        errors.push(FieldError::new("to", "Enter the last day as a date, like 2026-12-31"));
    }
    if errors.is_empty() {
        match app::exports::htcds(&page.caller, &state, day(&form.from), day(&form.to)).await {
            Ok(export) => {
                return Ok(HttpResponse::Ok()
                    .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
                    .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", export.file_name())))
                    .insert_header(("FourthP-Suppressed-Rows", export.anonymised.suppressed.to_string()))
                    .body(export.csv()));
            }
            Err(e) => errors = form_errors(e, "from", |f| Some(if f == "to" { "to" } else { "from" }))?,
        }
    }
    data_page(page, &state, form, errors).await
}

/// Starts an import with the files chosen, then shows its columns.
pub async fn upload(form: PageUpload, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let agency = fourthp_domain::ids::AgencyId::parse(form.field("agency_id"));
    let lead = form.field("lead_coordinator").to_owned();
    let PageUpload { page, files, .. } = form;
    let mut files = files.into_iter();
    let mut errors = Vec::new();
    let Ok(agency) = agency else {
        errors.push(FieldError::new("agency_id", "Choose the agency whose coordinators take the cases on"));
        return data_page(page, &state, PeriodForm::default(), errors).await;
    };
    let Some((_, name, bytes)) = files.next() else {
        errors.push(FieldError::new("caseload", "Choose the caseload's file"));
        return data_page(page, &state, PeriodForm::default(), errors).await;
    };
    let result = match app::imports::start(&page.caller, &state.db, agency, &lead, Upload { name, bytes }).await {
        Ok(view) => {
            let mut added = Ok(view);
            for (_, name, bytes) in files {
                if let Ok(v) = &added {
                    added = app::imports::add_file(&page.caller, &state.db, v.id, Upload { name, bytes }).await;
                }
            }
            added
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(view) => Ok(see_other(&format!("/app/admin/data/imports/{}", view.id))),
        Err(e) => {
            let errors = form_errors(e, "caseload", |f| match f {
                "agency_id" => Some("agency_id"),
                "lead_coordinator" => Some("lead_coordinator"),
                _ => Some("caseload"),
            })?;
            data_page(page, &state, PeriodForm::default(), errors).await
        }
    }
}

pub struct ColumnLine {
    pub field: String,
    pub heading: String,
    pub choices: Vec<Choice>,
    pub sample: String,
}

pub struct SheetLine {
    pub name: String,
    pub kind: String,
    pub rows: usize,
    pub columns: Vec<ColumnLine>,
}

pub struct ProblemLine {
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub problem: String,
}

pub struct RunSummary {
    pub rows: usize,
    pub new_cases: usize,
    pub already_loaded: usize,
    pub events: usize,
    pub interventions: usize,
    pub problems: Vec<ProblemLine>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    id: String,
    uploaded: String,
    files: Vec<(String, String, String)>,
    sheets: Vec<SheetLine>,
    run: Option<RunSummary>,
    loaded: Option<String>,
    errors: Vec<FieldError>,
}

fn import_page(page: Page, view: &ImportView, mapping: &Mapping, run: Option<&DryRun>, errors: Vec<FieldError>) -> HttpResponse {
    let sheets = view
        .sheets
        .iter()
        .map(|s| SheetLine {
            name: s.name.clone(),
            kind: s.kind.words().to_owned(),
            rows: s.rows.len(),
            columns: s
                .headings
                .iter()
                .enumerate()
                .map(|(i, heading)| {
                    let chosen = mapping.get(&s.kind).and_then(|m| m.get(i).copied()).flatten();
                    let mut choices = vec![Choice { value: String::new(), label: "Not read".to_owned(), selected: chosen.is_none() }];
                    choices.extend(Target::ALL.iter().filter(|t| t.on(s.kind)).map(|t| Choice {
                        value: t.as_str().to_owned(),
                        label: t.words().to_owned(),
                        selected: chosen == Some(*t),
                    }));
                    ColumnLine {
                        field: format!("map_{}_{i}", s.kind.as_str()),
                        heading: if heading.is_empty() { format!("Column {}", i + 1) } else { heading.clone() },
                        choices,
                        sample: s
                            .rows
                            .iter()
                            .take(3)
                            .map(|(_, r)| r.get(i).map(fourthp_domain::import::Cell::text).unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(" · "),
                    }
                })
                .collect(),
        })
        .collect();
    let run = run.map(|r| RunSummary {
        rows: r.rows,
        new_cases: r.new_cases,
        already_loaded: r.already_loaded,
        events: r.events,
        interventions: r.interventions,
        problems: r
            .problems
            .iter()
            .map(|p| ProblemLine { sheet: p.sheet.clone(), row: p.row, column: p.column.clone(), problem: p.message.clone() })
            .collect(),
    });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = ImportPage {
        chrome: page.chrome,
        id: view.id.to_string(),
        uploaded: london_time(view.uploaded_at),
        files: view.files.iter().map(|(n, sha, size)| (n.clone(), sha.clone(), format!("{:.1} KB", f64::from(*size) / 1024.0))).collect(),
        sheets,
        run,
        loaded: view.loaded.map(|(at, created, skipped)| {
            format!("Loaded {}: {created} cases created, {skipped} already here and left as they were.", london_time(at))
        }),
        errors,
    };
    render(status, &body)
}

fn import_id(raw: &str) -> Result<CaseImportId, PageError> {
    CaseImportId::parse(raw).map_err(|_| PageError::Problem(Problem::not_found()))
}

/// An import: its files and its columns, each with the field it is read into.
pub async fn import(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = import_id(&id)?;
    let view = app::imports::view(&page.caller, &state.db, id).await?;
    let mapping = view.suggested.clone();
    Ok(import_page(page, &view, &mapping, None, Vec::new()))
}

/// The mapping as the form chose it: `map_<sheet>_<column>` = a field, or empty.
fn mapping_of(view: &ImportView, pairs: &[(String, String)]) -> Mapping {
    let mut mapping = Mapping::new();
    for s in &view.sheets {
        let columns = (0..s.headings.len())
            .map(|i| {
                let name = format!("map_{}_{i}", s.kind.as_str());
                pairs.iter().find(|(k, _)| *k == name).and_then(|(_, v)| Target::parse(v))
            })
            .collect();
        mapping.insert(s.kind, columns);
    }
    mapping
}

#[derive(Debug, Default, Deserialize)]
pub struct MappingForm {}

async fn with_mapping(form: &PageForm<MappingForm>, state: &AppState, id: CaseImportId) -> Result<(ImportView, Mapping), PageError> {
    let view = app::imports::view(&form.page.caller, &state.db, id).await?;
    let mapping = mapping_of(&view, &form.request.pairs);
    Ok((view, mapping))
}

/// The dry run with the columns chosen: its summary and every problem.
pub async fn check(form: PageForm<MappingForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = import_id(&id)?;
    let (view, mapping) = with_mapping(&form, &state, id).await?;
    match app::imports::dry_run(&form.page.caller, &state.db, &state.rules, id, Some(mapping.clone())).await {
        Ok(run) => Ok(import_page(form.page, &view, &mapping, Some(&run), Vec::new())),
        Err(e) => {
            let errors = form_errors(e, "import", |_| Some("import"))?;
            Ok(import_page(form.page, &view, &mapping, None, errors))
        }
    }
}

/// The dry run's report as CSV.
pub async fn report(form: PageForm<MappingForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = import_id(&id)?;
    let (_, mapping) = with_mapping(&form, &state, id).await?;
    let run = app::imports::dry_run(&form.page.caller, &state.db, &state.rules, id, Some(mapping)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"fourthp-import-{id}-report.csv\"")))
        .body(run.report_csv()))
}

/// Loads the import with the columns chosen, or shows why not.
pub async fn load(form: PageForm<MappingForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = import_id(&id)?;
    let (view, mapping) = with_mapping(&form, &state, id).await?;
    match app::imports::load(&form.page.caller, &state.db, &state.rules, id, Some(mapping.clone())).await {
        Ok(_) => Ok(see_other(&format!("/app/admin/data/imports/{id}"))),
        Err(e) => {
            let run = app::imports::dry_run(&form.page.caller, &state.db, &state.rules, id, Some(mapping.clone())).await.ok();
            let errors = form_errors(e, "import", |_| Some("import"))?;
            Ok(import_page(form.page, &view, &mapping, run.as_ref(), errors))
        }
    }
}
