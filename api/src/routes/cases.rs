//! `/api/v1/cases`: opening, listing, reading and changing cases.

use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, CaseAction, CaseView};
use fourthp_domain::case::{
    AgeBand, Case, CasePatch, CaseSearch, DataSharing, ExploitationType, Gender, Jurisdiction, KnownAs, LocalAuthority, NrmConsent, Stage,
};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::principal::{Principal, Subject};
use fourthp_domain::time::london_date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bad_query, created, decode_cursor, double_option, encode_cursor, stored};
use crate::app::{
    self,
    cases::{parse_birth, parse_consent, parse_list, CaseFields, ConsentFields},
};
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

/// The case a request asks to open, as the use case takes it.
fn case_fields(b: CreateCaseRequest) -> CaseFields {
    CaseFields {
        known_as: b.known_as,
        birth_year: b.birth_year,
        date_of_birth: b.date_of_birth,
        presumed_child: b.presumed_child,
        gender: b.gender,
        nationalities: b.nationalities,
        languages: b.languages,
        interpreter_needed: b.interpreter_needed,
        exploitation_types: b.exploitation_types,
        county_lines: b.county_lines,
        jurisdiction: b.jurisdiction,
        local_authority: b.local_authority,
        consent: consent_fields(b.consent),
        lead_coordinator: b.lead_coordinator,
    }
}

fn consent_fields(c: ConsentRequest) -> ConsentFields {
    ConsentFields { nrm: c.nrm, data_sharing: c.data_sharing, recorded_on: c.recorded_on }
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
        Some(c) => parse_consent(consent_fields(c), &caller.subject, &mut errs).map(Some),
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
    let today = london_date(caller.ctx.at);
    let respond = |case: &Case| {
        stored(&CaseResponse::new(case, CaseView::FULL, today), format!("/api/v1/cases/{}", case.id), Some(etag(case.version)))
    };
    created(app::cases::open(&caller, &state, key.as_ref(), case_fields(body.value), respond).await?)
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
    let q = query.0;
    let mut errs = FieldErrors::new();
    let after = q.cursor.as_deref().and_then(|c| decode_cursor(CURSOR_KIND, c, &mut errs)).and_then(|s| {
        let id = CaseId::parse(&s).ok();
        if id.is_none() {
            errs.push("cursor", "is not a cursor this list returned");
        }
        id
    });
    let lead = match q.lead.as_deref() {
        Some("me") => Some(caller.principal().subject.clone()),
        other => errs.check_opt("lead", other.map(Subject::parse)).flatten(),
    };
    let search = errs.check_opt("q", q.q.as_deref().map(CaseSearch::parse)).flatten().flatten();
    bad_query(errs)?;
    let request = app::cases::CaseQuery {
        limit: q.limit.unwrap_or_default(),
        after,
        stage: q.status,
        jurisdiction: q.jurisdiction,
        exploitation_type: q.exploitation_type,
        team_agency: q.agency_id,
        lead,
        search,
    };
    let page = app::cases::list(&caller, &state, request).await?;
    let today = london_date(caller.ctx.at);
    Ok(HttpResponse::Ok().json(CaseListResponse {
        items: page.items.iter().map(|(case, view)| CaseResponse::new(case, *view, today)).collect(),
        next_cursor: page.next.map(|id| encode_cursor(CURSOR_KIND, &id.to_string())),
    }))
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
    let (case, view, deadlines) = app::cases::get(&caller, &state, path.id).await?;
    let today = london_date(caller.ctx.at);
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
    let case = app::cases::change(&caller, &state, id, if_match.expected(), Ok(patch)).await?;
    Ok(case_response(StatusCode::OK, &case, CaseView::FULL, today))
}
