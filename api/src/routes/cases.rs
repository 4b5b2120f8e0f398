//! `/api/v1/cases`: opening, listing, reading and changing cases.

use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, case_list_scope, may_create_case, CaseAction, CaseView};
use fourthp_domain::case::{
    AgeBand, Birth, Case, CaseDetails, CasePatch, CaseSearch, Consent, DataSharing, ExploitationType, Gender, Jurisdiction, KnownAs,
    LocalAuthority, NrmConsent, Stage,
};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::principal::{Principal, Subject};
use fourthp_domain::time::london_date;
use fourthp_persistence::cases::{self, CaseFilter, CreateCaseError, UpdateCaseError};
use fourthp_persistence::write;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, created, decode_cursor, double_option, encode_cursor, parse_date, stored};
use crate::auth::Caller;
use crate::extract::{etag, ApiJson, Create, Precondition};
use crate::paths::CasePath;
use crate::problem::{CreateProblems, Problem, ReadProblems, UpdateProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;
use fourthp_domain::paging::Limit;

/// Consent as recorded; who recorded it is taken from the caller's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub nrm: NrmConsent,
    pub data_sharing: DataSharing,
    /// When consent was recorded (YYYY-MM-DD).
    #[schema(value_type = String, format = Date, example = "2026-11-02")]
    pub recorded_on: String,
}

/// A new case. Pseudonymous by default: an alias or initials and a birth year.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    /// Alias or initials, 1–100 characters.
    #[schema(example = "A.M.")]
    pub known_as: String,
    #[schema(example = 1992)]
    pub birth_year: Option<i64>,
    /// Only with data-sharing consent `share`.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<String>,
    /// Treat as a child although the age is unknown or disputed.
    #[serde(default)]
    pub presumed_child: bool,
    pub gender: Gender,
    /// ISO 3166-1 alpha-2 codes.
    #[serde(default)]
    #[schema(example = json!(["RO"]))]
    pub nationalities: Vec<String>,
    /// ISO 639-1 or 639-3 codes.
    #[serde(default)]
    #[schema(example = json!(["ro"]))]
    pub languages: Vec<String>,
    #[serde(default)]
    pub interpreter_needed: bool,
    pub exploitation_types: Vec<ExploitationType>,
    #[serde(default)]
    pub county_lines: bool,
    pub jurisdiction: Jurisdiction,
    #[schema(example = "Northshire")]
    pub local_authority: String,
    pub consent: ConsentRequest,
    /// The `sub` of the lead coordinator; defaults to the caller.
    pub lead_coordinator: Option<String>,
}

/// Changes to a case; absent fields stay as they are. `birth_year` and `date_of_birth` are
/// replaced together: sending either replaces both (an omitted one becomes null).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCaseRequest {
    pub known_as: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub birth_year: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<Option<String>>,
    pub presumed_child: Option<bool>,
    pub gender: Option<Gender>,
    pub nationalities: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    pub interpreter_needed: Option<bool>,
    pub exploitation_types: Option<Vec<ExploitationType>>,
    pub county_lines: Option<bool>,
    pub jurisdiction: Option<Jurisdiction>,
    pub local_authority: Option<String>,
    pub consent: Option<ConsentRequest>,
    pub lead_coordinator: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentResponse {
    pub nrm: NrmConsent,
    pub data_sharing: DataSharing,
    /// Coordinators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_on: Option<NaiveDate>,
    /// Coordinators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberResponse {
    pub agency_id: uuid::Uuid,
    /// What the agency does on the case; coordinators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub added_at: DateTime<Utc>,
}

/// Which view of a case the response carries.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViewKind {
    /// Every field (coordinators).
    Full,
    /// The partner view.
    Limited,
}

/// A case as the caller may see it. Partners get the `limited` view: no restricted fields, and
/// identifying fields (`known_as`, `gender`, `nationalities`) only where data-sharing consent is
/// `share`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseResponse {
    pub id: uuid::Uuid,
    #[schema(example = "2026-000123")]
    pub reference: String,
    pub view: ViewKind,
    pub stage: Stage,
    /// Anyone who may be under 18 is presumed a child.
    pub is_child: bool,
    pub age_band: AgeBand,
    pub jurisdiction: Jurisdiction,
    pub local_authority: String,
    pub exploitation_types: Vec<ExploitationType>,
    pub county_lines: bool,
    pub interpreter_needed: bool,
    pub languages: Vec<String>,
    pub consent: ConsentResponse,
    pub lead_coordinator: String,
    pub team: Vec<TeamMemberResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationalities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presumed_child: Option<bool>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// On a read of one case: entitlements whose support ended before their minimum period had
    /// passed (closing a case early is allowed, and flagged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<super::deadlines::SupportWarningResponse>,
}

impl CaseResponse {
    pub fn new(c: &Case, view: CaseView, today: NaiveDate) -> Self {
        let d = &c.details;
        let id_field = |show: bool| show && view.identifying;
        CaseResponse {
            id: c.id.into_uuid(),
            reference: c.reference.as_str().to_owned(),
            view: if view.restricted { ViewKind::Full } else { ViewKind::Limited },
            stage: c.stage_on(today),
            is_child: d.is_child(today),
            age_band: d.age_band(today),
            jurisdiction: d.jurisdiction,
            local_authority: d.local_authority.to_string(),
            exploitation_types: d.exploitation_types.clone(),
            county_lines: d.county_lines,
            interpreter_needed: d.interpreter_needed,
            languages: d.languages.iter().map(|l| l.as_str().to_owned()).collect(),
            consent: ConsentResponse {
                nrm: d.consent.nrm,
                data_sharing: d.consent.data_sharing,
                recorded_on: view.restricted.then_some(d.consent.recorded_on),
                recorded_by: view.restricted.then(|| d.consent.recorded_by.to_string()),
            },
            lead_coordinator: d.lead_coordinator.to_string(),
            team: c
                .team
                .iter()
                .map(|m| TeamMemberResponse {
                    agency_id: m.agency_id.into_uuid(),
                    role: m.role.as_ref().filter(|_| view.restricted).map(ToString::to_string),
                    added_at: m.added_at,
                })
                .collect(),
            known_as: id_field(true).then(|| d.known_as.to_string()),
            gender: id_field(true).then_some(d.gender),
            nationalities: id_field(true).then(|| d.nationalities.iter().map(|n| n.as_str().to_owned()).collect()),
            birth_year: d.birth.year().filter(|_| view.restricted),
            date_of_birth: d.birth.date().filter(|_| view.restricted),
            presumed_child: view.restricted.then_some(d.presumed_child),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
            warnings: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseListResponse {
    pub items: Vec<CaseResponse>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseListQuery {
    /// 1–200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// The case stage.
    #[param(value_type = Option<Stage>)]
    pub status: Option<Stage>,
    #[param(value_type = Option<Jurisdiction>)]
    pub jurisdiction: Option<Jurisdiction>,
    #[param(value_type = Option<ExploitationType>)]
    pub exploitation_type: Option<ExploitationType>,
    /// Cases with this agency on the team.
    #[param(value_type = Option<uuid::Uuid>)]
    #[serde(default, deserialize_with = "field::id")]
    pub agency_id: Option<AgencyId>,
    /// The lead coordinator's `sub`, or `me`.
    pub lead: Option<String>,
    /// A case reference or its start ("2026-0001"; digits and dashes only search references), or
    /// part of the name a case is known by (case-insensitive; partners' searches match names
    /// only where they would be shown).
    #[param(max_length = 100)]
    pub q: Option<String>,
}

const CURSOR_KIND: &str = "case";

impl From<CreateCaseError> for Problem {
    fn from(e: CreateCaseError) -> Self {
        match e {
            CreateCaseError::UnknownAgency => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-agency",
                "Unknown agency",
                "Your token's agency_id is not a registered agency: ask an administrator to register it.",
            ),
            CreateCaseError::ReferencesExhausted => {
                tracing::error!("case reference serials exhausted");
                Problem::internal()
            }
            CreateCaseError::Store(s) => s.into(),
        }
    }
}

impl From<UpdateCaseError> for Problem {
    fn from(e: UpdateCaseError) -> Self {
        match e {
            UpdateCaseError::NotFound => Problem::not_found(),
            UpdateCaseError::Denied(d) => d.into(),
            UpdateCaseError::VersionMismatch => Problem::precondition_failed(),
            UpdateCaseError::Invalid(errs) => errs.into(),
            UpdateCaseError::Store(s) => s.into(),
        }
    }
}

fn parse_list<T, E: std::fmt::Display>(
    errs: &mut FieldErrors,
    field: &str,
    raw: &[String],
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<Vec<T>> {
    let before = errs.clone();
    let parsed: Vec<Option<T>> = raw.iter().enumerate().map(|(i, s)| errs.check(&format!("{field}[{i}]"), parse(s))).collect();
    if *errs != before {
        return None;
    }
    parsed.into_iter().collect()
}

fn parse_consent(c: ConsentRequest, by: &Subject, errs: &mut FieldErrors) -> Option<Consent> {
    let recorded_on = errs.check("consent.recorded_on", parse_date(&c.recorded_on))?;
    Some(Consent { nrm: c.nrm, data_sharing: c.data_sharing, recorded_on, recorded_by: by.clone() })
}

fn parse_birth(year: Option<i64>, date: Option<&str>, today: NaiveDate, errs: &mut FieldErrors) -> Option<Birth> {
    let date = errs.check_opt("date_of_birth", date.map(parse_date))?;
    match Birth::from_parts(year, date, today) {
        Ok(b) => Some(b),
        Err(e) => {
            for fe in e.iter() {
                errs.push(fe.field.clone(), fe.message.clone());
            }
            None
        }
    }
}

fn parse_lead(raw: Option<&str>, caller: &Principal, errs: &mut FieldErrors) -> Option<Subject> {
    match raw {
        None => Some(caller.subject.clone()),
        Some(s) => errs.check("lead_coordinator", Subject::parse(s)),
    }
}

fn parse_new_case(b: CreateCaseRequest, caller: &Principal, today: NaiveDate) -> Result<CaseDetails, FieldErrors> {
    let mut errs = FieldErrors::new();
    let known_as = errs.check("known_as", KnownAs::parse(&b.known_as));
    let birth = parse_birth(b.birth_year, b.date_of_birth.as_deref(), today, &mut errs);
    let nationalities = parse_list(&mut errs, "nationalities", &b.nationalities, CountryCode::parse);
    let languages = parse_list(&mut errs, "languages", &b.languages, LanguageCode::parse);
    let local_authority = errs.check("local_authority", LocalAuthority::parse(&b.local_authority));
    let consent = parse_consent(b.consent, &caller.subject, &mut errs);
    let lead_coordinator = parse_lead(b.lead_coordinator.as_deref(), caller, &mut errs);
    let (Some(known_as), Some(birth), Some(nationalities), Some(languages), Some(local_authority), Some(consent), Some(lead_coordinator)) =
        (known_as, birth, nationalities, languages, local_authority, consent, lead_coordinator)
    else {
        return Err(errs);
    };
    CaseDetails {
        known_as,
        birth,
        presumed_child: b.presumed_child,
        gender: b.gender,
        nationalities,
        languages,
        interpreter_needed: b.interpreter_needed,
        exploitation_types: b.exploitation_types,
        county_lines: b.county_lines,
        jurisdiction: b.jurisdiction,
        local_authority,
        consent,
        lead_coordinator,
    }
    .validate(today)
}

fn parse_patch(b: PatchCaseRequest, caller: &Principal, today: NaiveDate) -> Result<CasePatch, FieldErrors> {
    let mut errs = FieldErrors::new();
    let known_as = errs.check_opt("known_as", b.known_as.as_deref().map(KnownAs::parse));
    let birth = if b.birth_year.is_some() || b.date_of_birth.is_some() {
        parse_birth(b.birth_year.flatten(), b.date_of_birth.as_ref().and_then(|d| d.as_deref()), today, &mut errs).map(Some)
    } else {
        Some(None)
    };
    let nationalities = match &b.nationalities {
        None => Some(None),
        Some(raw) => parse_list(&mut errs, "nationalities", raw, CountryCode::parse).map(Some),
    };
    let languages = match &b.languages {
        None => Some(None),
        Some(raw) => parse_list(&mut errs, "languages", raw, LanguageCode::parse).map(Some),
    };
    let local_authority = errs.check_opt("local_authority", b.local_authority.as_deref().map(LocalAuthority::parse));
    let consent = match b.consent {
        None => Some(None),
        Some(c) => parse_consent(c, &caller.subject, &mut errs).map(Some),
    };
    let lead_coordinator = errs.check_opt("lead_coordinator", b.lead_coordinator.as_deref().map(Subject::parse));
    let (Some(known_as), Some(birth), Some(nationalities), Some(languages), Some(local_authority), Some(consent), Some(lead_coordinator)) =
        (known_as, birth, nationalities, languages, local_authority, consent, lead_coordinator)
    else {
        return Err(errs);
    };
    Ok(CasePatch {
        known_as,
        birth,
        presumed_child: b.presumed_child,
        gender: b.gender,
        nationalities,
        languages,
        interpreter_needed: b.interpreter_needed,
        exploitation_types: b.exploitation_types,
        county_lines: b.county_lines,
        jurisdiction: b.jurisdiction,
        local_authority,
        consent,
        lead_coordinator,
    })
}

fn case_response(status: StatusCode, case: &Case, view: CaseView, today: NaiveDate) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::ETAG, etag(case.version))).json(CaseResponse::new(case, view, today))
}

/// Open a case (coordinators). The coordinator's agency joins the team.
#[utoipa::path(
    tag = "cases",
    request_body = CreateCaseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: a replay returns the first response (kept 24 hours)")),
    responses((status = 201, description = "Created", body = CaseResponse, headers(("ETag" = String), ("Location" = String))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/cases")]
pub async fn create_case(caller: Caller, state: web::Data<AppState>, body: Create<CreateCaseRequest>) -> Result<HttpResponse, Problem> {
    let key = body.key(&caller);
    created(open_case(&caller, &state, key, body.value).await?)
}

/// Opens a case, once per idempotency key (the API and the "open a case" page).
pub async fn open_case(
    caller: &Caller,
    state: &AppState,
    key: Option<write::IdempotencyKey>,
    body: CreateCaseRequest,
) -> Result<write::Written<Case>, Problem> {
    may_create_case(caller.principal())?;
    let today = london_date(caller.ctx.at);
    let details = parse_new_case(body, caller.principal(), today)?;
    let ctx = &caller.ctx;
    Ok(write::run(
        &state.db,
        key.as_ref(),
        ctx.at,
        async |conn| cases::create(conn, ctx, details, today).await,
        |case| stored(&CaseResponse::new(case, CaseView::FULL, today), format!("/api/v1/cases/{}", case.id), Some(etag(case.version))),
    )
    .await?)
}

/// List cases, newest first: every case for coordinators, the cases their agency is on for
/// partners.
#[utoipa::path(
    tag = "cases",
    params(CaseListQuery),
    responses((status = 200, description = "A page of cases", body = CaseListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases")]
pub async fn list_cases(caller: Caller, state: web::Data<AppState>, query: ApiQuery<CaseListQuery>) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(case_list(&caller, &state, query.0).await?))
}

/// How many of the cases the caller may list are at each stage today (the coordinators' home).
pub async fn stage_counts(
    caller: &Caller,
    state: &AppState,
    lead: Option<&Subject>,
) -> Result<Vec<(fourthp_domain::case::Stage, i64)>, Problem> {
    let scope = case_list_scope(caller.principal())?;
    Ok(cases::count_by_stage(&state.db, scope, lead, london_date(caller.ctx.at)).await?)
}

/// The cases the caller may list under `q`, each in the view the policy gives (the API's list
/// and the cases page); each case shown is recorded as read.
pub async fn case_list(caller: &Caller, state: &AppState, q: CaseListQuery) -> Result<CaseListResponse, Problem> {
    let scope = case_list_scope(caller.principal())?;
    let mut errs = FieldErrors::new();
    let limit = q.limit.unwrap_or_default();
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs)).and_then(|s| {
        let id = CaseId::parse(&s).ok();
        if id.is_none() {
            errs.push("cursor", "is not a cursor this list returned");
        }
        id
    });
    let (stage, jurisdiction, exploitation_type, team_agency) = (q.status, q.jurisdiction, q.exploitation_type, q.agency_id);
    let lead = match q.lead.as_deref() {
        Some("me") => Some(caller.principal().subject.clone()),
        other => errs.check_opt("lead", other.map(Subject::parse)).flatten(),
    };
    let search = errs.check_opt("q", q.q.as_deref().map(CaseSearch::parse)).flatten().flatten();
    bad_query(errs)?;
    let names_in = access::searchable_names(scope);
    let filter = CaseFilter {
        scope,
        stage,
        jurisdiction,
        exploitation_type,
        team_agency,
        lead,
        search,
        names_in,
        today: london_date(caller.ctx.at),
    };
    let page = cases::list(&state.db, &filter, limit, after).await?;
    let today = london_date(caller.ctx.at);
    let mut items = Vec::with_capacity(page.items.len());
    for case in &page.items {
        // The scope already limits the rows; the policy still decides each one's view.
        let view = access::decide(caller.principal(), CaseAction::Read, case.team_agencies(), case.details.consent.data_sharing)?;
        items.push(CaseResponse::new(case, view, today));
    }
    caller.listed(page.items.iter().map(|c| c.id), fourthp_domain::audit::Purpose::CaseList);
    Ok(CaseListResponse { items, next_cursor: page.next.map(|id| encode_cursor(CURSOR_KIND, &id.to_string())) })
}

/// Read a case, in the view the caller may see.
#[utoipa::path(
    tag = "cases",
    params(CasePath),
    responses((status = 200, description = "The case", body = CaseResponse, headers(("ETag" = String))), ReadProblems),
    security(("bearer" = []))
)]
#[get("/cases/{id}")]
pub async fn get_case(caller: Caller, state: web::Data<AppState>, path: CasePath) -> Result<HttpResponse, Problem> {
    let (_, case, view) = super::case_at(&state.db, &caller, path.id, CaseAction::Read).await?;
    let today = london_date(caller.ctx.at);
    let deadlines = fourthp_persistence::deadlines::for_case(&state.db, case.id).await?;
    let mut body = CaseResponse::new(&case, view, today);
    body.warnings = super::deadlines::SupportWarningResponse::all(&deadlines);
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(case.version))).json(body))
}

/// Change a case's details (coordinators); requires `If-Match` with the ETag read.
#[utoipa::path(
    tag = "cases",
    params(
        CasePath,
        ("If-Match" = String, Header, description = "The ETag of the version being changed"),
    ),
    request_body = PatchCaseRequest,
    responses((status = 200, description = "The updated case", body = CaseResponse, headers(("ETag" = String))), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/cases/{id}")]
pub async fn patch_case(
    caller: Caller,
    state: web::Data<AppState>,
    path: CasePath,
    precondition: Precondition,
    body: ApiJson<PatchCaseRequest>,
) -> Result<HttpResponse, Problem> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let id = path.id;
    let today = london_date(caller.ctx.at);
    let patch = parse_patch(body.value, caller.principal(), today)?;
    let if_match = precondition.get()?;
    let principal = caller.principal().clone();
    let case = cases::update(&state.db, &caller.ctx, id, &state.rules.book, move |current| {
        let view = access::decide(&principal, CaseAction::Update, current.team_agencies(), current.details.consent.data_sharing)
            .map_err(UpdateCaseError::Denied)?;
        debug_assert_eq!(view, CaseView::FULL);
        if !if_match.matches(current.version) {
            return Err(UpdateCaseError::VersionMismatch);
        }
        current.details.apply(patch, today).map_err(UpdateCaseError::Invalid)
    })
    .await?;
    Ok(case_response(StatusCode::OK, &case, CaseView::FULL, today))
}
