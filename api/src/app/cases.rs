//! Cases: opening one (idempotently), listing those the caller may see, counting them by stage,
//! reading one with its support warnings, and changing its details.

use chrono::NaiveDate;
use fourthp_domain::access::{self, case_list_scope, may_create_case, CaseAction, CaseScope, CaseView};
use fourthp_domain::case::{
    Birth, Case, CaseDetails, CasePatch, CaseSearch, Consent, DataSharing, ExploitationType, Gender, Jurisdiction, KnownAs, LocalAuthority,
    NrmConsent, Stage,
};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::deadline::Deadline;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::{Principal, Subject};
use fourthp_domain::time::london_date;
use fourthp_persistence::cases::{self, CaseFilter, CreateCaseError, UpdateCaseError};
use fourthp_persistence::write::{self, IdempotencyKey, StoredResponse, Written};

use super::AppError;
use crate::auth::Caller;
use crate::query::parse_date;
use crate::state::AppState;

impl From<CreateCaseError> for AppError {
    fn from(e: CreateCaseError) -> Self {
        match e {
            CreateCaseError::UnknownAgency => AppError::Rejected {
                kind: "unknown-agency",
                title: "Unknown agency",
                message: "Your token's agency_id is not a registered agency: ask an administrator to register it.".to_owned(),
            },
            CreateCaseError::ReferencesExhausted => {
                tracing::error!("case reference serials exhausted");
                AppError::Store(fourthp_persistence::StoreError::internal("case reference serials exhausted"))
            }
            CreateCaseError::Store(s) => AppError::Store(s),
        }
    }
}

impl From<UpdateCaseError> for AppError {
    fn from(e: UpdateCaseError) -> Self {
        match e {
            UpdateCaseError::NotFound => AppError::NotFound,
            UpdateCaseError::Denied(d) => d.into(),
            UpdateCaseError::VersionMismatch => AppError::Stale,
            UpdateCaseError::Invalid(errs) => AppError::Invalid(errs),
            UpdateCaseError::Store(s) => AppError::Store(s),
        }
    }
}

/// Consent as typed; who recorded it is the caller.
#[derive(Debug, Clone)]
pub struct ConsentFields {
    pub nrm: NrmConsent,
    pub data_sharing: DataSharing,
    /// `YYYY-MM-DD`.
    pub recorded_on: String,
}

/// A new case as an adapter read it: choices already made, text and dates as typed. Field errors
/// name `known_as`, `birth_year`, `date_of_birth`, `nationalities[i]`, `languages[i]`,
/// `local_authority`, `consent.recorded_on`, `lead_coordinator`.
#[derive(Debug, Clone)]
pub struct CaseFields {
    pub known_as: String,
    pub birth_year: Option<i64>,
    pub date_of_birth: Option<String>,
    pub presumed_child: bool,
    pub gender: Gender,
    pub nationalities: Vec<String>,
    pub languages: Vec<String>,
    pub interpreter_needed: bool,
    pub exploitation_types: Vec<ExploitationType>,
    pub county_lines: bool,
    pub jurisdiction: Jurisdiction,
    pub local_authority: String,
    pub consent: ConsentFields,
    /// Absent: the caller leads the case.
    pub lead_coordinator: Option<String>,
}

/// Each of a list's items parsed, named `field[i]` when at fault.
pub fn parse_list<T, E: std::fmt::Display>(
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

pub fn parse_consent(c: ConsentFields, by: &Subject, errs: &mut FieldErrors) -> Option<Consent> {
    let recorded_on = errs.check("consent.recorded_on", parse_date(&c.recorded_on))?;
    Some(Consent { nrm: c.nrm, data_sharing: c.data_sharing, recorded_on, recorded_by: by.clone() })
}

pub fn parse_birth(year: Option<i64>, date: Option<&str>, today: NaiveDate, errs: &mut FieldErrors) -> Option<Birth> {
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

/// A new case's details, every field at fault named.
pub fn parse_new_case(b: CaseFields, caller: &Principal, today: NaiveDate) -> Result<CaseDetails, FieldErrors> {
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

/// Opens a case (coordinators; the coordinator's agency joins the team), once per idempotency
/// key: `respond` is what a replay of the key answers (the adapter's own representation).
pub async fn open(
    caller: &Caller,
    state: &AppState,
    key: Option<&IdempotencyKey>,
    fields: CaseFields,
    respond: impl FnOnce(&Case) -> StoredResponse,
) -> Result<Written<Case>, AppError> {
    may_create_case(caller.principal())?;
    let today = london_date(caller.ctx.at);
    let details = parse_new_case(fields, caller.principal(), today)?;
    let ctx = &caller.ctx;
    write::run(&state.db, key, ctx.at, async |conn| cases::create(conn, ctx, details, today).await.map_err(AppError::from), respond).await
}

/// What a list of cases asks for, already read by the adapter.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub limit: Limit,
    pub after: Option<CaseId>,
    pub stage: Option<Stage>,
    pub jurisdiction: Option<Jurisdiction>,
    pub exploitation_type: Option<ExploitationType>,
    /// Cases with this agency on the team.
    pub team_agency: Option<AgencyId>,
    pub lead: Option<Subject>,
    pub search: Option<CaseSearch>,
}

/// The cases the caller may list under `q`, newest first, each in the view the policy gives it;
/// each case shown is recorded as read.
pub async fn list(caller: &Caller, state: &AppState, q: CaseQuery) -> Result<Page<(Case, CaseView), CaseId>, AppError> {
    let scope = case_list_scope(caller.principal())?;
    let filter = CaseFilter {
        scope,
        stage: q.stage,
        jurisdiction: q.jurisdiction,
        exploitation_type: q.exploitation_type,
        team_agency: q.team_agency,
        lead: q.lead,
        search: q.search,
        names_in: access::searchable_names(scope),
        today: london_date(caller.ctx.at),
    };
    let page = cases::list(&state.db, &filter, q.limit, q.after).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for case in page.items {
        // The scope already limits the rows; the policy still decides each one's view.
        let view = access::decide(caller.principal(), CaseAction::Read, case.team_agencies(), case.details.consent.data_sharing)?;
        items.push((case, view));
    }
    caller.listed(items.iter().map(|(c, _)| c.id), fourthp_domain::audit::Purpose::CaseList);
    Ok(Page { items, next: page.next })
}

/// How many of the cases the caller may list are at each stage today (those `lead` leads, when
/// given).
pub async fn stage_counts(caller: &Caller, state: &AppState, lead: Option<&Subject>) -> Result<Vec<(Stage, i64)>, AppError> {
    let scope: CaseScope = case_list_scope(caller.principal())?;
    Ok(cases::count_by_stage(&state.db, scope, lead, london_date(caller.ctx.at)).await?)
}

/// A case as the caller may see it, with its deadlines (for the warnings of support ended
/// early).
pub async fn get(caller: &Caller, state: &AppState, id: CaseId) -> Result<(Case, CaseView, Vec<Deadline>), AppError> {
    let (_, case, view) = super::access::case_at(&state.db, caller, id, CaseAction::Read).await?;
    let deadlines = fourthp_persistence::deadlines::for_case(&state.db, case.id).await?;
    Ok((case, view, deadlines))
}

/// Changes a case's details, if it is still at version `expected` when given (coordinators).
pub async fn change(
    caller: &Caller,
    state: &AppState,
    id: CaseId,
    expected: Option<i32>,
    patch: Result<CasePatch, FieldErrors>,
) -> Result<Case, AppError> {
    access::precheck(caller.principal().role, CaseAction::Update)?;
    let patch = patch?;
    let today = london_date(caller.ctx.at);
    let principal = caller.principal().clone();
    Ok(cases::update(&state.db, &caller.ctx, id, &state.rules.book, move |current| {
        let view = access::decide(&principal, CaseAction::Update, current.team_agencies(), current.details.consent.data_sharing)
            .map_err(UpdateCaseError::Denied)?;
        debug_assert_eq!(view, CaseView::FULL);
        if expected.is_some_and(|v| v != current.version) {
            return Err(UpdateCaseError::VersionMismatch);
        }
        current.details.apply(patch, today).map_err(UpdateCaseError::Invalid)
    })
    .await?)
}
