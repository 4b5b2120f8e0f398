//! The cases page: the cases the caller may see (coordinators: all, or those they lead;
//! partners: those their agency is on), found by reference or name and filtered, over
//! [`app::cases::list`].

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::ids::CaseId;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use fourthp_domain::time::london_date;
use fourthp_domain::words::Words;
use serde::Deserialize;

use super::view::{filter_choices, Choice};
use super::{error_for, render, Chrome, FieldError, Page, PageError};
use crate::app::{self, agencies::readable as readable_agencies};
use crate::state::AppState;

pub struct CaseRow {
    pub id: String,
    pub reference: String,
    pub known_as: String,
    pub stage: String,
    pub age_band: String,
    pub where_: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    chrome: Chrome,
    cases: Vec<CaseRow>,
    q: String,
    stages: Vec<Choice>,
    jurisdictions: Vec<Choice>,
    types: Vec<Choice>,
    agencies: Vec<Choice>,
    mine: bool,
    coordinator: bool,
    next: Option<String>,
    errors: Vec<FieldError>,
}

impl CasesPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Deserialize)]
pub struct CasesQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    exploitation_type: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    mine: String,
    cursor: Option<String>,
}

/// The cases the caller may see (coordinators: all, or the ones they lead; partners: those their
/// agency is on), found by reference or name and filtered as the API's case list filters.
pub async fn list(page: Page, state: web::Data<AppState>, query: web::Query<CasesQuery>) -> Result<HttpResponse, PageError> {
    use fourthp_domain::case::{ExploitationType, Jurisdiction, Stage};
    let q = query.into_inner();
    let coordinator = page.caller.principal().role == Role::Coordinator;
    let stage = Stage::parse(&q.stage);
    let jurisdiction = Jurisdiction::parse(&q.jurisdiction);
    let exploitation_type = ExploitationType::parse(&q.exploitation_type);
    let agency = fourthp_domain::ids::AgencyId::parse(&q.agency).ok().filter(|_| coordinator);
    let mine = q.mine == "1" && coordinator;
    // The cursor is the last case id of the page before.
    let after = q.cursor.as_deref().filter(|c| !c.is_empty()).and_then(|c| CaseId::parse(c).ok());
    let mut errors = Vec::new();
    let search = match fourthp_domain::case::CaseSearch::parse(&q.q) {
        Ok(search) => search,
        Err(e) => {
            errors.push(FieldError::new("q", format!("Search: {e}")));
            None
        }
    };
    let request = app::cases::CaseQuery {
        limit: Limit::clamped(50),
        after,
        stage,
        jurisdiction,
        exploitation_type,
        team_agency: agency,
        lead: mine.then(|| page.caller.principal().subject.clone()),
        search,
    };
    let listed = if errors.is_empty() {
        app::cases::list(&page.caller, &state, request).await?
    } else {
        fourthp_domain::paging::Page { items: Vec::new(), next: None }
    };
    let today = london_date(page.caller.ctx.at);
    let cases = listed
        .items
        .iter()
        .map(|(c, view)| CaseRow {
            id: c.id.to_string(),
            reference: c.reference.as_str().to_owned(),
            known_as: if view.identifying { c.details.known_as.to_string() } else { String::new() },
            stage: c.stage_on(today).words().to_owned(),
            age_band: c.details.age_band(today).words().to_owned(),
            where_: format!("{}, {}", c.details.local_authority, c.details.jurisdiction.words()),
        })
        .collect();
    let agencies = if coordinator {
        let limit = Limit::clamped(200);
        let (all, _) = readable_agencies(&page.caller, &state, limit, None).await?;
        let mut out = vec![Choice { value: String::new(), label: "Any agency".to_owned(), selected: agency.is_none() }];
        out.extend(all.items.iter().map(|a| Choice {
            value: a.id.to_string(),
            label: a.name.as_str().to_owned(),
            selected: Some(a.id) == agency,
        }));
        out
    } else {
        Vec::new()
    };
    // The next page's link keeps the filters.
    let next = listed.next.map(|cursor| {
        let cursor = cursor.to_string();
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", q.q.as_str()),
            ("stage", stage.map_or("", |s| s.as_str())),
            ("jurisdiction", jurisdiction.map_or("", |s| s.as_str())),
            ("exploitation_type", exploitation_type.map_or("", |s| s.as_str())),
            ("agency", if agency.is_some() { q.agency.as_str() } else { "" }),
            ("mine", if mine { "1" } else { "" }),
            ("cursor", cursor.as_str()),
        ] {
            if !v.is_empty() {
                url.append_pair(k, v);
            }
        }
        url.finish()
    });
    let body = CasesPage {
        chrome: page.chrome,
        cases,
        q: q.q.clone(),
        stages: filter_choices("Any stage", Stage::ALL, stage.map_or("", |s| s.as_str())),
        jurisdictions: filter_choices("Anywhere", Jurisdiction::ALL, jurisdiction.map_or("", |s| s.as_str())),
        types: filter_choices("Any form", ExploitationType::ALL, exploitation_type.map_or("", |s| s.as_str())),
        agencies,
        mine,
        coordinator,
        next,
        errors,
    };
    Ok(render(if body.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST }, &body))
}
