//! The coordinators' forms that change a case beyond the daily log: open a case, record an NRM
//! event, record an outcome, change the team. Each calls the use case the API's handler calls
//! (`open_case`, `record_event`, `record_outcome`, `put_member` and `remove_member`), with the
//! API's idempotency where it has it, so a reload or a double submit records once.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::access::{CaseAction, CaseView};
use fourthp_domain::case::{Case, DataSharing, ExploitationType, Gender, Jurisdiction, NrmConsent};
use fourthp_domain::event::{ClosureReason, CompetentAuthority, DecisionOutcome, DisqualificationGround, EventType};
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::outcome::OutcomeKind;
use fourthp_domain::paging::Limit;
use fourthp_domain::time::london_date;
use serde::Deserialize;

use super::view::london_time;
use super::view::{choices, Choice};
use super::{error_for, page_response, render, see_other, sent, Chrome, FieldError, Page, PageError, PageForm, Sent};
use crate::app::agencies::readable as readable_agencies;
use crate::app::{
    self,
    cases::{CaseFields, ConsentFields},
};
use crate::extract::idempotency_key;
use crate::problem::Problem;
use crate::state::AppState;
use fourthp_domain::words::Words;

/// A form's idempotency key: the one it was sent with when shown again with its errors (the
/// same submission), a new one otherwise.
pub(super) fn key_for(sent: &str, errors: &[FieldError]) -> String {
    if sent.is_empty() || errors.is_empty() {
        uuid::Uuid::now_v7().to_string()
    } else {
        sent.to_owned()
    }
}

pub(super) fn case_id(raw: &str) -> Result<CaseId, PageError> {
    CaseId::parse(raw).map_err(|_| PageError::Problem(Problem::not_found()))
}

/// The case a form is about, looked up for `action` as the access policy says (404 for a case
/// the caller may not see).
pub(super) async fn case_of(page: &Page, state: &AppState, id: CaseId, action: CaseAction) -> Result<(Case, CaseView), PageError> {
    let (_, case, view) = crate::app::access::case_at(&state.db, &page.caller, id, action).await?;
    Ok((case, view))
}

/// The agencies the caller may read, by id, active ones first in name order.
pub(super) async fn agencies(page: &Page, state: &AppState) -> Result<Vec<(AgencyId, String, bool)>, PageError> {
    let limit = Limit::clamped(200);
    let (listed, _) = readable_agencies(&page.caller, state, limit, None).await?;
    let mut all: Vec<(AgencyId, String, bool)> = listed.items.iter().map(|a| (a.id, a.name.as_str().to_owned(), a.active)).collect();
    all.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    Ok(all)
}

pub(super) fn status_of(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

// ---------------------------------------------------------------------------------------------
// Open a case

#[derive(Debug, Default, Deserialize)]
pub struct NewCaseForm {
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    known_as: String,
    #[serde(default)]
    birth_year: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    presumed_child: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    nationalities: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    interpreter_needed: String,
    #[serde(default)]
    county_lines: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    local_authority: String,
    #[serde(default)]
    nrm_consent: String,
    #[serde(default)]
    data_sharing: String,
    #[serde(default)]
    consent_recorded_on: String,
    /// Checkboxes: read from the form's pairs.
    #[serde(skip)]
    exploitation_types: Vec<String>,
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    chrome: Chrome,
    form: NewCaseForm,
    genders: Vec<Choice>,
    exploitation: Vec<Choice>,
    jurisdictions: Vec<Choice>,
    nrm: Vec<Choice>,
    sharing: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl NewCasePage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn new_case_page(chrome: Chrome, mut form: NewCaseForm, errors: Vec<FieldError>, today: chrono::NaiveDate) -> HttpResponse {
    form.idempotency_key = key_for(&form.idempotency_key, &errors);
    if form.consent_recorded_on.is_empty() {
        form.consent_recorded_on = today.to_string();
    }
    let genders = Gender::ALL
        .iter()
        .map(|g| Choice { value: g.as_str().to_owned(), label: g.words().to_owned(), selected: form.gender == g.as_str() })
        .collect();
    let exploitation = ExploitationType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().to_owned(),
            label: t.words().to_owned(),
            selected: form.exploitation_types.iter().any(|s| s == t.as_str()),
        })
        .collect();
    let jurisdictions = choices(Jurisdiction::ALL, &form.jurisdiction);
    let nrm = choices(NrmConsent::ALL, &form.nrm_consent);
    let sharing = choices(DataSharing::ALL, &form.data_sharing);
    let status = status_of(&errors);
    render(status, &NewCasePage { chrome, form, genders, exploitation, jurisdictions, nrm, sharing, errors })
}

/// The "open a case" form (coordinators).
pub async fn new_case(page: Page) -> Result<HttpResponse, PageError> {
    fourthp_domain::access::may_create_case(page.caller.principal()).map_err(Problem::from)?;
    let today = london_date(page.caller.ctx.at);
    Ok(new_case_page(page.chrome, NewCaseForm::default(), Vec::new(), today))
}

/// Comma- or space-separated codes as typed, in their usual case.
fn codes(text: &str, upper: bool) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| if upper { s.to_uppercase() } else { s.to_lowercase() })
        .collect()
}

/// Opens the case, then shows it.
pub async fn open_case(form: PageForm<NewCaseForm>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: mut f, request, page } = form;
    f.exploitation_types = request.all("exploitation_types").into_iter().map(str::to_owned).collect();
    let today = london_date(page.caller.ctx.at);
    let mut errors = Vec::new();
    let mut need = |field: &str, ok: bool, message: &str| {
        if !ok {
            errors.push(FieldError::new(field, message));
        }
    };
    let birth_year = match f.birth_year.trim() {
        "" => Some(None),
        y => y.parse::<i64>().ok().map(Some),
    };
    need("birth_year", birth_year.is_some(), "Enter the year of birth as a number, like 1992, or leave it blank");
    let gender = Gender::parse(&f.gender);
    need("gender", gender.is_some(), "Choose a gender, or Not specified/unknown");
    let types: Vec<Option<ExploitationType>> = f.exploitation_types.iter().map(|t| ExploitationType::parse(t)).collect();
    need("exploitation_types", types.iter().all(Option::is_some), "Choose forms of exploitation from the list");
    let jurisdiction = Jurisdiction::parse(&f.jurisdiction);
    need("jurisdiction", jurisdiction.is_some(), "Choose which UK rules apply");
    let nrm = NrmConsent::parse(&f.nrm_consent);
    need("nrm_consent", nrm.is_some(), "Choose whether the person consented to the NRM");
    let sharing = DataSharing::parse(&f.data_sharing);
    need("data_sharing", sharing.is_some(), "Choose what may be shared with partner agencies");
    let (Some(birth_year), Some(gender), Some(jurisdiction), Some(nrm), Some(data_sharing), true) =
        (birth_year, gender, jurisdiction, nrm, sharing, errors.is_empty())
    else {
        return Ok(new_case_page(page.chrome, f, errors, today));
    };
    let fields = CaseFields {
        known_as: f.known_as.clone(),
        birth_year,
        date_of_birth: Some(f.date_of_birth.trim().to_owned()).filter(|d| !d.is_empty()),
        presumed_child: f.presumed_child == "1",
        gender,
        nationalities: codes(&f.nationalities, true),
        languages: codes(&f.languages, false),
        interpreter_needed: f.interpreter_needed == "1",
        exploitation_types: types.into_iter().flatten().collect(),
        county_lines: f.county_lines == "1",
        jurisdiction,
        local_authority: f.local_authority.clone(),
        consent: ConsentFields { nrm, data_sharing, recorded_on: f.consent_recorded_on.trim().to_owned() },
        lead_coordinator: None,
    };
    let key = (!f.idempotency_key.is_empty()).then(|| idempotency_key(&page.caller, f.idempotency_key.clone(), request.hash.clone()));
    let written =
        app::cases::open(&page.caller, &state, key.as_ref(), fields, |case| page_response(format!("/app/cases/{}", case.id))).await;
    let opened = sent(written, &mut f.idempotency_key, "known_as", |field| match field {
        "known_as" => Some("known_as"),
        "birth_year" => Some("birth_year"),
        "date_of_birth" => Some("date_of_birth"),
        "exploitation_types" => Some("exploitation_types"),
        "local_authority" => Some("local_authority"),
        "consent.recorded_on" => Some("consent_recorded_on"),
        "consent.nrm" => Some("nrm_consent"),
        "consent.data_sharing" => Some("data_sharing"),
        f if f.starts_with("nationalities") => Some("nationalities"),
        f if f.starts_with("languages") => Some("languages"),
        _ => None,
    })?;
    match opened {
        Sent::Now(case) => Ok(see_other(&format!("/app/cases/{}", case.id))),
        // The case this form opened the first time.
        Sent::Before(first) => Ok(see_other(&first.and_then(|r| r.location).unwrap_or_else(|| "/app/cases".to_owned()))),
        Sent::Refused(errors) => Ok(new_case_page(page.chrome, f, errors, today)),
    }
}

// ---------------------------------------------------------------------------------------------
// Record an NRM event

#[derive(Debug, Default, Deserialize)]
pub struct EventForm {
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    event_date: String,
    #[serde(default)]
    decision_outcome: String,
    #[serde(default)]
    competent_authority: String,
    #[serde(default)]
    ground: String,
    #[serde(default)]
    closure_reason: String,
    #[serde(default)]
    first_responder: String,
}

#[derive(Template)]
#[template(path = "case_event.html")]
struct EventPage {
    chrome: Chrome,
    case_id: String,
    reference: String,
    stage: String,
    form: EventForm,
    types: Vec<Choice>,
    outcomes: Vec<Choice>,
    authorities: Vec<Choice>,
    responders: Vec<Choice>,
    grounds: Vec<Choice>,
    reasons: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl EventPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn event_page(
    page: Page,
    state: &AppState,
    id: CaseId,
    mut form: EventForm,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let (case, _) = case_of(&page, state, id, CaseAction::Update).await?;
    let today = london_date(page.caller.ctx.at);
    form.idempotency_key = key_for(&form.idempotency_key, &errors);
    if form.event_date.is_empty() {
        form.event_date = today.to_string();
    }
    let recordable: Vec<EventType> = EventType::ALL.iter().copied().filter(|t| *t != EventType::Correction).collect();
    let types = choices(&recordable, &form.event_type);
    let responders = agencies(&page, state)
        .await?
        .into_iter()
        .filter(|a| a.2)
        .map(|(a, name, _)| Choice { value: a.to_string(), label: name, selected: form.first_responder == a.to_string() })
        .collect();
    let body = EventPage {
        case_id: id.to_string(),
        reference: case.reference.as_str().to_owned(),
        stage: case.stage_on(today).words().to_owned(),
        types,
        outcomes: choices(DecisionOutcome::ALL, &form.decision_outcome),
        authorities: choices(CompetentAuthority::ALL, &form.competent_authority),
        grounds: choices(DisqualificationGround::ALL, &form.ground),
        reasons: choices(ClosureReason::ALL, &form.closure_reason),
        responders,
        form,
        chrome: page.chrome,
        errors,
    };
    Ok(render(status_of(&body.errors), &body))
}

/// The "record an NRM event" form.
pub async fn event_form(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = case_id(&id)?;
    event_page(page, &state, id, EventForm::default(), Vec::new()).await
}

/// Records the event; a refusal of the lifecycle is shown beside "what happened", in the
/// problem's words.
pub async fn record_event(form: PageForm<EventForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: mut f, request, page } = form;
    let id = case_id(&id)?;
    let Some(kind) = EventType::parse(&f.event_type).filter(|t| *t != EventType::Correction) else {
        let errors = vec![FieldError::new("event_type", "Choose what happened")];
        return event_page(page, &state, id, f, errors).await;
    };
    let mut errors = Vec::new();
    let mut pick = |field: &str, raw: &str, parsed: bool| {
        if !raw.is_empty() && !parsed {
            errors.push(FieldError::new(field, "Choose from the list"));
        }
    };
    let outcome = DecisionOutcome::parse(&f.decision_outcome);
    pick("decision_outcome", &f.decision_outcome, outcome.is_some());
    let authority = CompetentAuthority::parse(&f.competent_authority);
    pick("competent_authority", &f.competent_authority, authority.is_some());
    let ground = DisqualificationGround::parse(&f.ground);
    pick("ground", &f.ground, ground.is_some());
    let reason = ClosureReason::parse(&f.closure_reason);
    pick("closure_reason", &f.closure_reason, reason.is_some());
    let responder = fourthp_domain::ids::AgencyId::parse(&f.first_responder).ok();
    pick("first_responder", &f.first_responder, responder.is_some());
    if !errors.is_empty() {
        return event_page(page, &state, id, f, errors).await;
    }
    let fields = app::events::FactFields {
        kind,
        date: f.event_date.trim().to_owned(),
        outcome,
        competent_authority: authority,
        ground,
        reason,
        first_responder: responder,
    };
    let map = |field: &str| match field {
        "date" => Some("event_date"),
        "outcome" => Some("decision_outcome"),
        "competent_authority" => Some("competent_authority"),
        "ground" => Some("ground"),
        "reason" => Some("closure_reason"),
        "first_responder_agency_id" => Some("first_responder"),
        _ => None,
    };
    let key = (!f.idempotency_key.is_empty()).then(|| idempotency_key(&page.caller, f.idempotency_key.clone(), request.hash.clone()));
    let event = app::events::parse_fact(fields);
    let respond =
        |(_, case): &(fourthp_domain::event::CaseEvent, fourthp_domain::case::Case)| page_response(format!("/app/cases/{}", case.id));
    let written = app::events::record(&page.caller, &state, id, key.as_ref(), event, respond).await;
    match sent(written, &mut f.idempotency_key, "event_type", map)? {
        Sent::Now(_) | Sent::Before(_) => Ok(see_other(&format!("/app/cases/{id}"))),
        Sent::Refused(errors) => event_page(page, &state, id, f, errors).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Record an outcome

#[derive(Debug, Default, Deserialize)]
pub struct OutcomeForm {
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    achieved_on: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    score: String,
    /// Checkboxes: read from the form's pairs.
    #[serde(skip)]
    interventions: Vec<String>,
}

#[derive(Template)]
#[template(path = "case_outcome.html")]
struct OutcomePage {
    chrome: Chrome,
    case_id: String,
    reference: String,
    form: OutcomeForm,
    kinds: Vec<Choice>,
    interventions: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl OutcomePage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn outcome_page(
    page: Page,
    state: &AppState,
    id: CaseId,
    mut form: OutcomeForm,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let (case, _) = case_of(&page, state, id, CaseAction::Update).await?;
    let today = london_date(page.caller.ctx.at);
    form.idempotency_key = key_for(&form.idempotency_key, &errors);
    if form.achieved_on.is_empty() {
        form.achieved_on = today.to_string();
    }
    let query = app::interventions::InterventionQuery { limit: Limit::clamped(50), ..Default::default() };
    let logged = app::interventions::of_case(&page.caller, state, id, query).await?;
    let names: HashMap<uuid::Uuid, String> = agencies(&page, state).await?.into_iter().map(|(a, n, _)| (a.into_uuid(), n)).collect();
    let interventions = logged
        .items
        .iter()
        .map(|i| {
            let d = &i.details;
            let with = names.get(&d.counterpart_agency_id.into_uuid()).map_or("an agency", String::as_str);
            let own = fourthp_domain::access::sees_summary(page.caller.principal(), i.recorded_by_agency);
            let summary = if own { format!(": {}", d.summary) } else { String::new() };
            Choice {
                value: i.id.to_string(),
                label: format!("{}, {} with {with}{summary}", london_time(d.occurred_at), d.channel.words().to_lowercase()),
                selected: form.interventions.iter().any(|s| *s == i.id.to_string()),
            }
        })
        .collect();
    let kinds = OutcomeKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_owned(),
            label: if k.is_core() { k.words().to_owned() } else { format!("{} (adverse)", k.words()) },
            selected: form.outcome == k.as_str(),
        })
        .collect();
    let body = OutcomePage {
        chrome: page.chrome,
        case_id: id.to_string(),
        reference: case.reference.as_str().to_owned(),
        form,
        kinds,
        interventions,
        errors,
    };
    Ok(render(status_of(&body.errors), &body))
}

/// The "record an outcome" form, listing the case's recent interventions to link.
pub async fn outcome_form(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = case_id(&id)?;
    outcome_page(page, &state, id, OutcomeForm::default(), Vec::new()).await
}

/// Records the outcome with the interventions ticked.
pub async fn record_outcome(
    form: PageForm<OutcomeForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: mut f, request, page } = form;
    f.interventions = request.all("intervention").into_iter().map(str::to_owned).collect();
    let id = case_id(&id)?;
    let mut errors = Vec::new();
    let kind = OutcomeKind::parse(&f.outcome);
    if kind.is_none() {
        errors.push(FieldError::new("outcome", "Choose the outcome"));
    }
    let score = match f.score.trim() {
        "" => Some(None),
        s => s.parse::<i64>().ok().map(Some),
    };
    if score.is_none() {
        errors.push(FieldError::new("score", "Enter the distance travelled as a whole number from 0 to 10, or leave it blank"));
    }
    let linked: Vec<Option<fourthp_domain::ids::InterventionId>> =
        f.interventions.iter().map(|i| fourthp_domain::ids::InterventionId::parse(i).ok()).collect();
    if linked.iter().any(Option::is_none) {
        errors.push(FieldError::new("intervention", "Choose interventions from the list"));
    }
    let (Some(outcome), Some(score), true) = (kind, score, errors.is_empty()) else {
        return outcome_page(page, &state, id, f, errors).await;
    };
    let fields = app::outcomes::OutcomeFields {
        outcome,
        achieved_on: f.achieved_on.trim().to_owned(),
        evidence: Some(f.evidence.clone()).filter(|e| !e.trim().is_empty()),
        score,
        interventions: linked.into_iter().flatten().collect(),
    };
    let key = (!f.idempotency_key.is_empty()).then(|| idempotency_key(&page.caller, f.idempotency_key.clone(), request.hash.clone()));
    let respond = |o: &fourthp_domain::outcome::Outcome| page_response(format!("/app/cases/{}", o.case_id));
    let written = app::outcomes::record(&page.caller, &state, id, key.as_ref(), fields, respond).await;
    let map = |field: &str| match field {
        "achieved_on" => Some("achieved_on"),
        "evidence" => Some("evidence"),
        "score" => Some("score"),
        f if f.starts_with("intervention") => Some("intervention"),
        _ => None,
    };
    match sent(written, &mut f.idempotency_key, "outcome", map)? {
        Sent::Now(_) | Sent::Before(_) => Ok(see_other(&format!("/app/cases/{id}"))),
        Sent::Refused(errors) => outcome_page(page, &state, id, f, errors).await,
    }
}
