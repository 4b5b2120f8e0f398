//! Moving a partnership's spreadsheet caseload in (administrators). An import starts with a
//! file (XLSX or ODS with sheets of cases, events and interventions; or CSV, one file each);
//! its column headings are matched to FourthP's fields by a mapping the administrator confirms;
//! the dry run reads every row through the same parsing and lifecycle rules as the API and
//! reports each problem by row and column in the rule's words; the load writes every case
//! through the API's own writers in one transaction, all or nothing, and can be run again
//! without duplicating (by the old reference, kept as an alias).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{data_access, DataAction};
use fourthp_domain::case::{is_child, Birth, DataSharing, ExploitationType, Gender, Jurisdiction, NrmConsent};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::event::{CaseEvent, ClosureReason, CompetentAuthority, DecisionOutcome, EventBody, EventType};
use fourthp_domain::ids::{AgencyId, CaseImportId, EventId};
use fourthp_domain::import::{date_of, list_of, pick, suggest_all, yes_no, Cell, SheetKind, Target};
use fourthp_domain::intervention::{check_occurred_at, Channel, Direction};
use fourthp_domain::lifecycle;
use fourthp_domain::need::NeedDomain;
use fourthp_domain::principal::{Principal, Subject};
use fourthp_domain::time::{from_london, london_date};
use fourthp_persistence::events::EventRules;
use fourthp_persistence::imports::{self as store, AddFileError, LoadError, LoadRules, Loaded, NewFile, PlannedCase};
use sha2::{Digest, Sha256};

use super::cases::{parse_new_case, CaseFields, ConsentFields};
use super::events::{parse_fact, FactFields};
use super::interventions::{parse_log, LogFields};
use super::AppError;
use crate::auth::Caller;
use crate::state::Rules;
use fourthp_persistence::Db;

/// Days an import's files are kept if it is never loaded.
pub const KEEP_UNLOADED_DAYS: i64 = 7;

/// Most rows read from one sheet.
pub const MAX_ROWS: usize = 50_000;

/// A file as it arrived.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One sheet of the import: a worksheet of a workbook, or a CSV file.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub kind: SheetKind,
    pub headings: Vec<String>,
    /// Each row with its number in the spreadsheet (the headings are row 1).
    pub rows: Vec<NumberedRow>,
}

impl Sheet {
    fn cell(&self, row: &[Cell], column: Option<usize>) -> Cell {
        column.and_then(|c| row.get(c).cloned()).unwrap_or(Cell::Empty)
    }
}

/// A row and its number in the spreadsheet.
type NumberedRow = (usize, Vec<Cell>);

/// An event row read: its date, its row number, its sheet, its event column's heading, and the event.
type ReadEvent = (NaiveDate, usize, String, String, EventBody);

/// Which column each field is read from, per kind of sheet.
pub type Mapping = BTreeMap<SheetKind, Vec<Option<Target>>>;

fn rejected(title: &'static str, message: impl Into<String>) -> AppError {
    AppError::Rejected { kind: "unreadable-file", title, message: message.into() }
}

fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            // An ISO date and time keeps its date.
            let s = s.trim();
            if s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(10).is_none_or(|b| *b == b'T' || *b == b' ') {
                if let Ok(date) = NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d") {
                    return Cell::Date(date);
                }
            }
            Cell::Text(s.to_owned())
        }
        #[allow(clippy::cast_precision_loss)]
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match date_of(&Cell::Number(dt.as_f64().floor())) {
            Ok(date) => Cell::Date(date),
            Err(_) => Cell::Number(dt.as_f64()),
        },
    }
}

/// The kind of each sheet: by its name, the first of the rest holding the cases.
fn kinds(names: &[String]) -> Vec<Option<SheetKind>> {
    let mut cases_taken = false;
    let mut taken = HashSet::new();
    names
        .iter()
        .map(|n| {
            let kind = match SheetKind::by_name(n) {
                Some(k) => Some(k),
                None if !cases_taken => {
                    cases_taken = true;
                    Some(SheetKind::Cases)
                }
                None => None,
            };
            kind.filter(|k| taken.insert(*k))
        })
        .collect()
}

fn sheet_from_rows(name: String, kind: SheetKind, mut rows: Vec<NumberedRow>) -> Result<Sheet, AppError> {
    rows.retain(|(_, r)| r.iter().any(|c| !c.is_empty()));
    if rows.is_empty() {
        return Ok(Sheet { name, kind, headings: Vec::new(), rows });
    }
    let (_, header) = rows.remove(0);
    if rows.len() > MAX_ROWS {
        return Err(rejected("Too many rows", format!("A sheet may hold at most {MAX_ROWS} rows: split the file.")));
    }
    let headings = header.iter().map(Cell::text).collect();
    Ok(Sheet { name, kind, headings, rows })
}

/// The sheets of the files: XLSX and ODS read with calamine (every sheet), anything else as CSV
/// (UTF-8, with or without a byte order mark; comma or semicolon separated). An import needs a
/// sheet of cases among them.
pub fn read_sheets(files: &[(&str, &[u8])]) -> Result<Vec<Sheet>, AppError> {
    let sheets = read_files(files)?;
    if !sheets.iter().any(|s| s.kind == SheetKind::Cases) {
        return Err(rejected("No sheet of cases", "The file has no sheet of cases: one row a case, with its headings in the first row."));
    }
    Ok(sheets)
}

/// The sheets of the files, whatever they hold (a file of events alone has no cases).
fn read_files(files: &[(&str, &[u8])]) -> Result<Vec<Sheet>, AppError> {
    let mut named: Vec<(String, Vec<NumberedRow>)> = Vec::new();
    for &(file, bytes) in files {
        if bytes.starts_with(b"PK") {
            let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| {
                rejected("The file cannot be read", format!("{file} is not an XLSX or ODS workbook this service can read."))
            })?;
            for sheet in book.sheet_names() {
                let range = book
                    .worksheet_range(&sheet)
                    .map_err(|_| rejected("The file cannot be read", format!("The sheet {sheet} of {file} cannot be read.")))?;
                let first = range.start().map_or(0, |(r, _)| r as usize);
                let offset = range.start().map_or(0, |(_, c)| c as usize);
                let rows = range
                    .rows()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut cells = vec![Cell::Empty; offset];
                        cells.extend(r.iter().map(cell_of));
                        (first + i + 1, cells)
                    })
                    .collect();
                named.push((sheet, rows));
            }
        } else {
            let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
                .map_err(|_| rejected("The file cannot be read", format!("{file} is neither a workbook nor a CSV file in UTF-8.")))?;
            let first_line = text.lines().next().unwrap_or_default();
            let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() { b';' } else { b',' };
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
            let mut rows = Vec::new();
            for (i, record) in reader.records().enumerate() {
                let record =
                    record.map_err(|_| rejected("The file cannot be read", format!("Row {} of {file} is not valid CSV.", i + 1)))?;
                let cells = record.iter().map(|v| if v.trim().is_empty() { Cell::Empty } else { Cell::Text(v.to_owned()) }).collect();
                rows.push((i + 1, cells));
            }
            named.push((file.trim_end_matches(".csv").to_owned(), rows));
        }
    }
    let names: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
    let mut sheets = Vec::new();
    for ((name, rows), kind) in named.into_iter().zip(kinds(&names)) {
        if let Some(kind) = kind {
            sheets.push(sheet_from_rows(name, kind, rows)?);
        }
    }
    Ok(sheets)
}

/// An import as the administrator sees it.
pub struct ImportView {
    pub id: CaseImportId,
    pub uploaded_at: DateTime<Utc>,
    pub agency: AgencyId,
    pub lead_coordinator: String,
    /// Name, SHA-256 (hex), bytes.
    pub files: Vec<(String, String, i32)>,
    pub sheets: Vec<Sheet>,
    /// The mapping suggested by the headings.
    pub suggested: Mapping,
    pub loaded: Option<(DateTime<Utc>, i32, i32)>,
    /// Never loaded, and its files are no longer kept.
    pub expired: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn not_found_import(e: AddFileError) -> AppError {
    match e {
        AddFileError::NotFound => AppError::NotFound,
        AddFileError::Loaded => AppError::conflict("import-loaded", "This import is loaded: start a new one to add files."),
        AddFileError::TooMany => {
            AppError::conflict("too-many-files", "An import holds at most three files: cases, events and interventions.")
        }
        AddFileError::Store(s) => AppError::Store(s),
    }
}

fn checked_upload(upload: &Upload) -> Result<(), AppError> {
    let name = upload.name.trim();
    if name.is_empty() || name.chars().count() > 255 || name.contains(['/', '\\', '\n', '\r']) {
        return Err(AppError::invalid("file", "must have a file name of at most 255 characters"));
    }
    if upload.bytes.is_empty() {
        return Err(AppError::invalid("file", "is empty"));
    }
    // The file must read on its own before it is kept (whether the import has its sheet of
    // cases is for the import as a whole).
    read_files(&[(name, &upload.bytes)]).map(|_| ())
}

/// Starts an import with the cases file, for `agency`'s coordinators led by `lead` (a
/// coordinator's sign-in subject). Fields at fault: `file`, `agency_id`, `lead_coordinator`.
pub async fn start(caller: &Caller, db: &Db, agency: AgencyId, lead: &str, upload: Upload) -> Result<ImportView, AppError> {
    data_access(caller.principal().role, DataAction::ImportCases)?;
    let mut errs = FieldErrors::new();
    match fourthp_persistence::agencies::get(db, agency).await? {
        Some(a) if a.active => {}
        _ => errs.push("agency_id", "is not a registered, active agency"),
    }
    errs.check("lead_coordinator", Subject::parse(lead.trim()));
    errs.into_result()?;
    checked_upload(&upload)?;
    let file = NewFile { name: upload.name.trim(), content: &upload.bytes, sha256: Sha256::digest(&upload.bytes).to_vec() };
    let id = store::start(db, &caller.ctx, agency, lead.trim(), file).await?;
    view(caller, db, id).await
}

/// Adds the events or interventions file.
pub async fn add_file(caller: &Caller, db: &Db, id: CaseImportId, upload: Upload) -> Result<ImportView, AppError> {
    data_access(caller.principal().role, DataAction::ImportCases)?;
    checked_upload(&upload)?;
    let file = NewFile { name: upload.name.trim(), content: &upload.bytes, sha256: Sha256::digest(&upload.bytes).to_vec() };
    store::add_file(db, &caller.ctx, id, file).await.map_err(not_found_import)?;
    view(caller, db, id).await
}

/// The import: its files, its sheets and the mapping their headings suggest.
pub async fn view(caller: &Caller, db: &Db, id: CaseImportId) -> Result<ImportView, AppError> {
    data_access(caller.principal().role, DataAction::ImportCases)?;
    let import = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    let contents: Vec<(&str, &[u8])> = import.files.iter().filter_map(|f| f.content.as_deref().map(|c| (f.name.as_str(), c))).collect();
    let sheets = if import.loaded_at.is_some() || contents.is_empty() { Vec::new() } else { read_sheets(&contents)? };
    let suggested = sheets.iter().map(|s| (s.kind, suggest_all(s.kind, &s.headings))).collect();
    Ok(ImportView {
        id,
        uploaded_at: import.uploaded_at,
        agency: import.agency,
        lead_coordinator: import.lead_coordinator,
        files: import.files.iter().map(|f| (f.name.clone(), hex(&f.sha256), f.size)).collect(),
        sheets,
        suggested,
        loaded: import.loaded_at.map(|at| (at, import.created.unwrap_or(0), import.skipped.unwrap_or(0))),
        expired: import.loaded_at.is_none() && contents.is_empty(),
    })
}

/// The imports, newest first: id, uploaded, loaded, cases created.
pub async fn recent(caller: &Caller, db: &Db) -> Result<Vec<store::ImportSummary>, AppError> {
    data_access(caller.principal().role, DataAction::ImportCases)?;
    Ok(store::recent(db, 20).await?)
}

/// One thing wrong with the file: where, and what, in the rule's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub sheet: String,
    /// The row's number in the spreadsheet (headings are row 1); 0 for the sheet as a whole.
    pub row: usize,
    /// The column's heading, or the field's name when no column is mapped to it.
    pub column: String,
    pub message: String,
}

/// What the dry run found.
pub struct DryRun {
    pub rows: usize,
    pub problems: Vec<RowProblem>,
    /// Cases the load would create.
    pub new_cases: usize,
    /// Rows whose old reference is already loaded: skipped, with their events and interventions.
    pub already_loaded: usize,
    pub events: usize,
    pub interventions: usize,
    pub mapping: Mapping,
    plan: Vec<PlannedCase>,
    /// Who the load writes as: the caller, for the import's agency.
    importer: Principal,
    lead_coordinator: String,
}

impl DryRun {
    /// The report as CSV: sheet, row, column, problem.
    pub fn report_csv(&self) -> String {
        let mut out = String::from("sheet,row,column,problem\r\n");
        for p in &self.problems {
            for (i, v) in [p.sheet.as_str(), &p.row.to_string(), p.column.as_str(), p.message.as_str()].iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                crate::report_render::csv_field(&mut out, v);
            }
            out.push_str("\r\n");
        }
        out
    }
}

/// The column of each field on a sheet.
fn columns(sheet: &Sheet, mapping: &Mapping) -> HashMap<Target, usize> {
    mapping
        .get(&sheet.kind)
        .map(|m| m.iter().enumerate().filter_map(|(i, t)| t.map(|t| (t, i))).filter(|(_, i)| *i < sheet.headings.len()).collect())
        .unwrap_or_default()
}

/// Checks the mapping: each field once, on its own kind of sheet, the required ones there.
fn mapping_problems(sheets: &[Sheet], mapping: &Mapping) -> Vec<RowProblem> {
    let mut out = Vec::new();
    for sheet in sheets {
        let mut seen = HashSet::new();
        let given = mapping.get(&sheet.kind).cloned().unwrap_or_default();
        if given.len() > sheet.headings.len() {
            out.push(RowProblem {
                sheet: sheet.name.clone(),
                row: 1,
                column: String::new(),
                message: format!("the mapping names {} columns; the sheet has {}", given.len(), sheet.headings.len()),
            });
        }
        for (i, t) in given.iter().enumerate() {
            let Some(t) = t else { continue };
            let heading = sheet.headings.get(i).cloned().unwrap_or_default();
            if !t.on(sheet.kind) {
                out.push(RowProblem {
                    sheet: sheet.name.clone(),
                    row: 1,
                    column: heading.clone(),
                    message: format!("“{}” is a field of the {} sheet", fourthp_domain::words::Words::words(*t), t.sheet()),
                });
            }
            if !seen.insert(*t) {
                out.push(RowProblem {
                    sheet: sheet.name.clone(),
                    row: 1,
                    column: heading,
                    message: format!("“{}” is chosen for two columns", fourthp_domain::words::Words::words(*t)),
                });
            }
        }
        for t in Target::ALL.iter().filter(|t| t.on(sheet.kind) && t.required()) {
            if !seen.contains(t) {
                out.push(RowProblem {
                    sheet: sheet.name.clone(),
                    row: 1,
                    column: fourthp_domain::words::Words::words(*t).to_owned(),
                    message: "no column is chosen for this field, which every row needs".to_owned(),
                });
            }
        }
    }
    out
}

/// The column a field error is about: its heading, or the field's words.
fn column_of(sheet: &Sheet, cols: &HashMap<Target, usize>, target: Target) -> String {
    cols.get(&target)
        .and_then(|i| sheet.headings.get(*i).cloned())
        .unwrap_or_else(|| fourthp_domain::words::Words::words(target).to_owned())
}

/// One row of a sheet as the dry run reads it: its cells by field, its problems by row and column.
struct RowAt<'a> {
    sheet: &'a Sheet,
    cols: &'a HashMap<Target, usize>,
    number: usize,
    row: &'a [Cell],
}

impl RowAt<'_> {
    fn cell(&self, t: Target) -> Cell {
        self.sheet.cell(self.row, self.cols.get(&t).copied())
    }

    fn problem(&self, t: Target, message: impl Into<String>) -> RowProblem {
        RowProblem {
            sheet: self.sheet.name.clone(),
            row: self.number,
            column: column_of(self.sheet, self.cols, t),
            message: message.into(),
        }
    }
}

/// The rows of every sheet of `kind`, in order.
fn rows_of<'a>(sheets: &'a [Sheet], cols: &'a [HashMap<Target, usize>], kind: SheetKind) -> impl Iterator<Item = RowAt<'a>> {
    sheets
        .iter()
        .zip(cols)
        .filter(move |(s, _)| s.kind == kind)
        .flat_map(|(sheet, cols)| sheet.rows.iter().map(move |(number, row)| RowAt { sheet, cols, number: *number, row }))
}

/// The case an event's or an intervention's row names by its old reference (None, with the
/// problem noted if the cases sheet does not hold it; None silently if its row had problems).
fn case_named(
    r: &RowAt<'_>,
    by_reference: &HashMap<String, usize>,
    case_rows: &HashMap<String, usize>,
    problems: &mut Vec<RowProblem>,
) -> Option<usize> {
    let reference = r.cell(Target::Reference).text().to_lowercase();
    let found = by_reference.get(&reference).copied();
    if found.is_none() && !case_rows.contains_key(&reference) {
        problems.push(r.problem(Target::Reference, "names no case on the cases sheet"));
    }
    found
}

/// The field a case's field error names.
fn case_target(field: &str) -> Target {
    let head = field.split(['[', '.']).next().unwrap_or(field);
    match (head, field) {
        (_, "consent.nrm") => Target::NrmConsent,
        (_, "consent.data_sharing") => Target::DataSharing,
        ("consent", _) => Target::ConsentRecordedOn,
        ("birth_year", _) => Target::BirthYear,
        ("date_of_birth", _) => Target::DateOfBirth,
        ("nationalities", _) => Target::Nationalities,
        ("languages", _) => Target::Languages,
        ("local_authority", _) => Target::LocalAuthority,
        _ => Target::KnownAs,
    }
}

fn event_target(field: &str) -> Target {
    match field {
        "date" => Target::EventDate,
        "outcome" => Target::Outcome,
        "competent_authority" => Target::CompetentAuthority,
        "first_responder_agency_id" => Target::FirstResponder,
        "reason" | "ground" => Target::ClosureReason,
        _ => Target::EventType,
    }
}

fn intervention_target(field: &str) -> Target {
    match field {
        "duration_minutes" => Target::DurationMinutes,
        _ => Target::Summary,
    }
}

/// Reads every row through the API's parsing and the lifecycle's rules, without writing.
pub async fn dry_run(caller: &Caller, db: &Db, rules: &Rules, id: CaseImportId, mapping: Option<Mapping>) -> Result<DryRun, AppError> {
    let import = view(caller, db, id).await?;
    if import.loaded.is_some() {
        return Err(AppError::conflict("import-loaded", "This import is loaded already."));
    }
    if import.expired {
        return Err(AppError::conflict(
            "import-expired",
            format!("The files of an import never loaded are kept {KEEP_UNLOADED_DAYS} days, and these are gone: upload them again."),
        ));
    }
    let mapping = mapping.unwrap_or_else(|| import.suggested.clone());
    let mut problems = mapping_problems(&import.sheets, &mapping);
    let today = london_date(caller.ctx.at);
    let agencies = fourthp_persistence::agencies::by_name(db).await?;
    let agency_named = |name: &str| -> Result<AgencyId, String> {
        match agencies.get(&name.trim().to_lowercase()) {
            Some((id, true)) => Ok(*id),
            Some((_, false)) => Err(format!("“{}” is an agency that is no longer active", name.trim())),
            None => Err(format!("no agency in the network is called “{}”: add it on the Agencies page first", name.trim())),
        }
    };
    let importer = Principal::new(caller.principal().subject.clone(), caller.principal().role, Some(import.agency))
        .map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("importer")))?;
    let cols: Vec<HashMap<Target, usize>> = import.sheets.iter().map(|s| columns(s, &mapping)).collect();
    let rows = import.sheets.iter().map(|s| s.rows.len()).sum();
    // Cases, by old reference in lower case.
    let mut plan: Vec<PlannedCase> = Vec::new();
    let mut by_reference: HashMap<String, usize> = HashMap::new();
    let mut case_rows: HashMap<String, usize> = HashMap::new();
    for r in rows_of(&import.sheets, &cols, SheetKind::Cases) {
        let mut here = Vec::new();
        let reference = r.cell(Target::Reference).text();
        if reference.is_empty() {
            here.push(r.problem(Target::Reference, "is required: the case's reference in the spreadsheet"));
        } else if reference.chars().count() > 100 {
            here.push(r.problem(Target::Reference, "must be at most 100 characters"));
        } else if let Some(first) = case_rows.insert(reference.to_lowercase(), r.number) {
            here.push(r.problem(Target::Reference, format!("is the same reference as row {first}")));
        }
        match case_fields(&r, today, &mut here).map(|f| parse_new_case(f, &importer, today)) {
            Some(Ok(details)) if here.is_empty() => {
                by_reference.insert(reference.to_lowercase(), plan.len());
                plan.push(PlannedCase { old_reference: reference, details, events: Vec::new(), interventions: Vec::new() });
            }
            Some(Err(errs)) => here.extend(errs.iter().map(|e| r.problem(case_target(&e.field), e.message.clone()))),
            _ => {}
        }
        problems.extend(here);
    }
    // Events, then each case's timeline replayed through the lifecycle in date order.
    let mut dated_events: HashMap<usize, Vec<ReadEvent>> = HashMap::new();
    for r in rows_of(&import.sheets, &cols, SheetKind::Events) {
        let Some(case) = case_named(&r, &by_reference, &case_rows, &mut problems) else { continue };
        let mut here = Vec::new();
        match event_fields(&r, &agency_named, &mut here).map(parse_fact) {
            Some(Ok(EventBody::Fact(fact))) if here.is_empty() => {
                let read =
                    (fact.date, r.number, r.sheet.name.clone(), column_of(r.sheet, r.cols, Target::EventType), EventBody::Fact(fact));
                dated_events.entry(case).or_default().push(read);
            }
            Some(Err(errs)) => here.extend(errs.iter().map(|e| r.problem(event_target(&e.field), e.message.clone()))),
            _ => {}
        }
        problems.extend(here);
    }
    let window = rules.window;
    for (case, mut events) in dated_events {
        events.sort_by_key(|(date, order, ..)| (*date, *order));
        let mut so_far: Vec<CaseEvent> = Vec::new();
        for (_, number, sheet, column, body) in events {
            let event = CaseEvent {
                id: EventId::new_at(caller.ctx.at),
                body: body.clone(),
                recorded_at: caller.ctx.at,
                recorded_by: importer.subject.clone(),
            };
            match lifecycle::append(&so_far, event.clone(), today, window) {
                Ok(_) => {
                    so_far.push(event);
                    if let Some(p) = plan.get_mut(case) {
                        p.events.push(body);
                    }
                }
                Err(v) => problems.push(RowProblem { sheet, row: number, column, message: v.rule.explain().to_owned() }),
            }
        }
    }
    // Interventions.
    for r in rows_of(&import.sheets, &cols, SheetKind::Interventions) {
        let Some(case) = case_named(&r, &by_reference, &case_rows, &mut problems) else { continue };
        let mut here = Vec::new();
        match intervention_fields(&r, &agency_named, &mut here).map(parse_log) {
            Some(Ok((new, _, _))) if here.is_empty() => {
                let first = plan
                    .get(case)
                    .and_then(|p| p.events.iter().filter_map(|e| if let EventBody::Fact(f) = e { Some(f.date) } else { None }).min());
                let earliest = fourthp_persistence::interventions::earliest_allowed(first, window);
                match check_occurred_at(new.occurred_at, caller.ctx.at, earliest) {
                    Ok(()) => {
                        if let Some(p) = plan.get_mut(case) {
                            p.interventions.push(new);
                        }
                    }
                    Err(e) => here.push(r.problem(Target::OccurredAt, e.to_string())),
                }
            }
            Some(Err(errs)) => here.extend(errs.iter().map(|e| r.problem(intervention_target(&e.field), e.message.clone()))),
            _ => {}
        }
        problems.extend(here);
    }
    let references: Vec<String> = plan.iter().map(|p| p.old_reference.clone()).collect();
    let known = store::known_aliases(db, &references).await?;
    let already_loaded = plan.iter().filter(|p| known.contains(&p.old_reference.to_lowercase())).count();
    let loading = plan.iter().filter(|p| !known.contains(&p.old_reference.to_lowercase()));
    let (events, interventions) = loading.fold((0, 0), |(e, i), p| (e + p.events.len(), i + p.interventions.len()));
    problems.sort_by(|a, b| (a.sheet.as_str(), a.row).cmp(&(b.sheet.as_str(), b.row)));
    Ok(DryRun {
        rows,
        problems,
        new_cases: plan.len() - already_loaded,
        already_loaded,
        events,
        interventions,
        mapping,
        plan,
        importer,
        lead_coordinator: import.lead_coordinator,
    })
}

/// A case row as the API's case fields, or None with the problems noted.
fn case_fields(r: &RowAt<'_>, today: NaiveDate, here: &mut Vec<RowProblem>) -> Option<CaseFields> {
    let cell = |t: Target| r.cell(t);
    let mut ok = true;
    let mut bad = |t: Target, m: &str| {
        here.push(r.problem(t, m));
        ok = false;
    };
    let yes = |t: Target, bad: &mut dyn FnMut(Target, &str)| {
        yes_no(&cell(t)).unwrap_or_else(|m| {
            bad(t, m);
            false
        })
    };
    let birth_year = match cell(Target::BirthYear) {
        c if c.is_empty() => None,
        c => match c.text().parse::<i64>() {
            Ok(y) => Some(y),
            Err(_) => {
                bad(Target::BirthYear, "must be a year, like 1992");
                None
            }
        },
    };
    let date_of_birth = match cell(Target::DateOfBirth) {
        c if c.is_empty() => None,
        c => match date_of(&c) {
            Ok(d) => Some(d.to_string()),
            Err(m) => {
                bad(Target::DateOfBirth, m);
                None
            }
        },
    };
    let presumed_child = yes(Target::PresumedChild, &mut bad);
    let gender_text = cell(Target::Gender).text();
    let gender = if gender_text.is_empty() {
        Gender::NotSpecified
    } else {
        let also = [
            ("m", Gender::Male),
            ("man", Gender::Male),
            ("f", Gender::Female),
            ("woman", Gender::Female),
            ("unknown", Gender::NotSpecified),
            ("not known", Gender::NotSpecified),
        ];
        pick(Gender::ALL, &gender_text, &also).unwrap_or_else(|| {
            bad(Target::Gender, "must be one of female, male, transgender female, transgender male, non-conforming or not specified");
            Gender::NotSpecified
        })
    };
    let mut exploitation_types = Vec::new();
    for item in list_of(&cell(Target::ExploitationTypes)) {
        match pick(
            ExploitationType::ALL,
            &item,
            &[("criminal exploitation", ExploitationType::Criminal), ("forced labour", ExploitationType::Labour)],
        ) {
            Some(e) if !exploitation_types.contains(&e) => exploitation_types.push(e),
            Some(_) => {}
            None => bad(
                Target::ExploitationTypes,
                "must be kinds of exploitation: labour, sexual, criminal, domestic servitude, organ harvesting, other or unknown",
            ),
        }
    }
    if exploitation_types.is_empty() {
        exploitation_types.push(ExploitationType::Unknown);
    }
    let jurisdiction_text = cell(Target::Jurisdiction).text();
    let jurisdiction = if jurisdiction_text.is_empty() {
        Jurisdiction::EnglandWales
    } else {
        let also = [
            ("england", Jurisdiction::EnglandWales),
            ("wales", Jurisdiction::EnglandWales),
            ("e&w", Jurisdiction::EnglandWales),
            ("ni", Jurisdiction::NorthernIreland),
        ];
        pick(Jurisdiction::ALL, &jurisdiction_text, &also).unwrap_or_else(|| {
            bad(Target::Jurisdiction, "must be England and Wales, Scotland or Northern Ireland");
            Jurisdiction::EnglandWales
        })
    };
    // Judged as the API judges it, on the birth as given (a birth it refuses is named below).
    let given_dob = date_of_birth.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let child_now = Birth::from_parts(birth_year, given_dob, today).is_ok_and(|b| is_child(b, presumed_child, today)) || presumed_child;
    let nrm_text = cell(Target::NrmConsent).text();
    let nrm = if nrm_text.is_empty() && child_now {
        NrmConsent::NotRequiredChild
    } else {
        let also = [
            ("yes", NrmConsent::Given),
            ("y", NrmConsent::Given),
            ("consented", NrmConsent::Given),
            ("no", NrmConsent::Declined),
            ("n", NrmConsent::Declined),
            ("child", NrmConsent::NotRequiredChild),
            ("n/a child", NrmConsent::NotRequiredChild),
        ];
        pick(NrmConsent::ALL, &nrm_text, &also).unwrap_or_else(|| {
            bad(
                Target::NrmConsent,
                if nrm_text.is_empty() {
                    "is required for an adult: given or declined"
                } else {
                    "must be given, declined or not required (a child)"
                },
            );
            NrmConsent::Given
        })
    };
    let sharing_text = cell(Target::DataSharing).text();
    let data_sharing = if sharing_text.is_empty() {
        DataSharing::Confidential
    } else {
        pick(DataSharing::ALL, &sharing_text, &[("yes", DataSharing::Share), ("no", DataSharing::Confidential)]).unwrap_or_else(|| {
            bad(Target::DataSharing, "must be share, confidential or anonymous");
            DataSharing::Confidential
        })
    };
    let recorded_on = match cell(Target::ConsentRecordedOn) {
        c if c.is_empty() => today.to_string(),
        c => match date_of(&c) {
            Ok(d) => d.to_string(),
            Err(m) => {
                bad(Target::ConsentRecordedOn, m);
                today.to_string()
            }
        },
    };
    // Without consent to share, a date of birth is kept as its year only (the API's rule).
    let (birth_year, date_of_birth) = match (data_sharing, date_of_birth) {
        (DataSharing::Share, dob) => (birth_year, dob),
        (_, Some(dob)) => (birth_year.or_else(|| dob.get(..4).and_then(|y| y.parse().ok())), None),
        (_, None) => (birth_year, None),
    };
    let fields = CaseFields {
        known_as: cell(Target::KnownAs).text(),
        birth_year,
        date_of_birth,
        presumed_child,
        gender,
        nationalities: list_of(&cell(Target::Nationalities)).into_iter().map(|n| n.to_uppercase()).collect(),
        languages: list_of(&cell(Target::Languages)).into_iter().map(|n| n.to_lowercase()).collect(),
        interpreter_needed: yes(Target::InterpreterNeeded, &mut bad),
        exploitation_types,
        county_lines: yes(Target::CountyLines, &mut bad),
        jurisdiction,
        local_authority: cell(Target::LocalAuthority).text(),
        consent: ConsentFields { nrm, data_sharing, recorded_on },
        lead_coordinator: None,
    };
    ok.then_some(fields)
}

/// An event row as the API's fact fields.
fn event_fields(r: &RowAt<'_>, agency_named: &impl Fn(&str) -> Result<AgencyId, String>, here: &mut Vec<RowProblem>) -> Option<FactFields> {
    let cell = |t: Target| r.cell(t);
    let problem = |t: Target, m: String| r.problem(t, m);
    let also = [
        ("intake", EventType::SupportStarted),
        ("referred to the nrm", EventType::NrmReferralSubmitted),
        ("nrm referral", EventType::NrmReferralSubmitted),
        ("dtn", EventType::DutyToNotifySubmitted),
        ("rg", EventType::ReasonableGroundsDecision),
        ("reasonable grounds", EventType::ReasonableGroundsDecision),
        ("cg", EventType::ConclusiveGroundsDecision),
        ("conclusive grounds", EventType::ConclusiveGroundsDecision),
        ("closed", EventType::CaseClosed),
        ("reopened", EventType::CaseReopened),
    ];
    let kind_text = cell(Target::EventType).text();
    let Some(kind) = pick(EventType::ALL, &kind_text, &also).filter(|k| *k != EventType::Correction) else {
        here.push(problem(
            Target::EventType,
            "must be an NRM event: support started, NRM referral submitted, a reasonable or conclusive grounds decision, case closed …"
                .to_owned(),
        ));
        return None;
    };
    let date = match date_of(&cell(Target::EventDate)) {
        Ok(d) => d.to_string(),
        Err(m) => {
            here.push(problem(Target::EventDate, m.to_owned()));
            return None;
        }
    };
    let decision = matches!(kind, EventType::ReasonableGroundsDecision | EventType::ConclusiveGroundsDecision);
    let outcome_text = cell(Target::Outcome).text();
    let outcome = if decision && !outcome_text.is_empty() {
        let o = pick(DecisionOutcome::ALL, &outcome_text, &[("+", DecisionOutcome::Positive), ("-", DecisionOutcome::Negative)]);
        if o.is_none() {
            here.push(problem(Target::Outcome, "must be positive or negative".to_owned()));
        }
        o
    } else {
        None
    };
    let authority_text = cell(Target::CompetentAuthority).text();
    // A decision with no authority named was the Single Competent Authority's.
    let competent_authority = if !decision {
        None
    } else if authority_text.is_empty() {
        Some(CompetentAuthority::Sca)
    } else {
        let a = pick(
            CompetentAuthority::ALL,
            &authority_text,
            &[("single competent authority", CompetentAuthority::Sca), ("home office", CompetentAuthority::Sca)],
        );
        if a.is_none() {
            here.push(problem(
                Target::CompetentAuthority,
                "must be the SCA, the IECA or a devolved child decision-making pilot".to_owned(),
            ));
        }
        a
    };
    let responder_text = cell(Target::FirstResponder).text();
    let first_responder = if kind == EventType::NrmReferralSubmitted && !responder_text.is_empty() {
        match agency_named(&responder_text) {
            Ok(a) => Some(a),
            Err(m) => {
                here.push(problem(Target::FirstResponder, m));
                None
            }
        }
    } else {
        None
    };
    let reason_text = cell(Target::ClosureReason).text();
    let reason = if kind == EventType::CaseClosed && !reason_text.is_empty() {
        let r = pick(ClosureReason::ALL, &reason_text, &[]);
        if r.is_none() {
            here.push(problem(
                Target::ClosureReason,
                "must be moved on, lost contact, declined support, transferred, returned home or other".to_owned(),
            ));
        }
        r
    } else {
        None
    };
    Some(FactFields { kind, date, outcome, competent_authority, ground: None, reason, first_responder })
}

/// An intervention row as the API's log fields.
fn intervention_fields(
    r: &RowAt<'_>,
    agency_named: &impl Fn(&str) -> Result<AgencyId, String>,
    here: &mut Vec<RowProblem>,
) -> Option<LogFields> {
    let cell = |t: Target| r.cell(t);
    let problem = |t: Target, m: String| r.problem(t, m);
    let before = here.len();
    let occurred_at = match cell(Target::OccurredAt) {
        Cell::Text(t) if t.trim().len() > 10 => {
            // "31/01/2026 14:30": the date as read, the time in London.
            let (day, time) = t.trim().split_once(' ').unwrap_or((t.trim(), ""));
            match (date_of(&Cell::Text(day.to_owned())), chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M")) {
                (Ok(d), Ok(tm)) => Some(from_london(d.and_time(tm))),
                _ => None,
            }
        }
        c => date_of(&c).ok().map(|d| from_london(d.and_time(chrono::NaiveTime::MIN) + chrono::Duration::hours(12))),
    };
    if occurred_at.is_none() {
        here.push(problem(Target::OccurredAt, "must be a date, or a date and time, like 31/01/2026 14:30".to_owned()));
    }
    let counterpart = match agency_named(&cell(Target::Counterpart).text()) {
        Ok(a) => Some(a),
        Err(m) => {
            here.push(problem(Target::Counterpart, m));
            None
        }
    };
    let channel_text = cell(Target::Channel).text();
    let channel = if channel_text.is_empty() {
        Channel::Other
    } else {
        pick(
            Channel::ALL,
            &channel_text,
            &[
                ("phone", Channel::PhoneCall),
                ("call", Channel::PhoneCall),
                ("text", Channel::TextMessage),
                ("sms", Channel::TextMessage),
                ("video", Channel::VideoCall),
            ],
        )
        .unwrap_or_else(|| {
            here.push(problem(
                Target::Channel,
                "must be a phone call, email, meeting, video call, text message, letter, visit or other".to_owned(),
            ));
            Channel::Other
        })
    };
    let direction_text = cell(Target::Direction).text();
    let direction = if direction_text.is_empty() {
        Direction::Outbound
    } else {
        pick(Direction::ALL, &direction_text, &[("out", Direction::Outbound), ("in", Direction::Inbound)]).unwrap_or_else(|| {
            here.push(problem(Target::Direction, "must be outbound (we contacted them) or inbound (they contacted us)".to_owned()));
            Direction::Outbound
        })
    };
    let need_text = cell(Target::NeedDomain).text();
    let need_domain = if need_text.is_empty() {
        NeedDomain::Practical
    } else {
        pick(
            NeedDomain::ALL,
            &need_text,
            &[("gp", NeedDomain::HealthGp), ("housing", NeedDomain::Accommodation), ("benefits", NeedDomain::FinancesBenefits)],
        )
        .unwrap_or_else(|| {
            here.push(problem(Target::NeedDomain, "must be one of the support needs, like accommodation or GP registration".to_owned()));
            NeedDomain::Practical
        })
    };
    let minutes = match cell(Target::DurationMinutes) {
        c if c.is_empty() => 0,
        c => c.text().parse::<i64>().unwrap_or_else(|_| {
            here.push(problem(Target::DurationMinutes, "must be a whole number of minutes".to_owned()));
            0
        }),
    };
    if here.len() > before {
        return None;
    }
    Some(LogFields {
        channel,
        direction,
        counterpart: counterpart?,
        occurred_at: occurred_at?,
        need_domain,
        need: None,
        summary: cell(Target::Summary).text(),
        duration_minutes: minutes,
        follow_ups: Vec::new(),
        ask_back_days: None,
    })
}

/// Loads the import if its dry run finds nothing wrong: every case, its events and its
/// interventions in one transaction. Refused (422 `import-has-problems`) otherwise.
pub async fn load(
    caller: &Caller,
    db: &Db,
    rules: &Rules,
    id: CaseImportId,
    mapping: Option<Mapping>,
) -> Result<(DryRun, Loaded), AppError> {
    let run = dry_run(caller, db, rules, id, mapping).await?;
    if !run.problems.is_empty() {
        return Err(AppError::Rejected {
            kind: "import-has-problems",
            title: "The file has problems",
            message: format!(
                "The dry run found {} {}: correct the file (or the columns chosen) and try again. Nothing was loaded.",
                run.problems.len(),
                if run.problems.len() == 1 { "problem" } else { "problems" }
            ),
        });
    }
    let ctx = fourthp_domain::audit::AuditContext { principal: run.importer.clone(), ..caller.ctx.clone() };
    let today = london_date(ctx.at);
    let mut plan = run.plan.clone();
    let lead = Subject::parse(&run.lead_coordinator).map_err(|_| AppError::invalid("lead_coordinator", "is not a sign-in subject"))?;
    for p in &mut plan {
        p.details.lead_coordinator = lead.clone();
    }
    let rules = LoadRules { events: EventRules { book: &rules.book, window: rules.window, today }, window: rules.window, today };
    let mapping_json = serde_json::to_value(&run.mapping).unwrap_or_default();
    let loaded = store::load(db, &ctx, id, &plan, rules, mapping_json).await.map_err(|e| match e {
        LoadError::NotFound => AppError::NotFound,
        LoadError::AlreadyLoaded => AppError::conflict("import-loaded", "This import is loaded already."),
        LoadError::Store(s) => AppError::Store(s),
        // The dry run read these rows through the same rules: a refusal now is the record
        // changing underneath (an agency deactivated meanwhile), said without the row's data.
        other => AppError::conflict("import-refused", format!("The load stopped and nothing was loaded: {other}.")),
    })?;
    Ok((run, loaded))
}
