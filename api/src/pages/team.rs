//! A case's team page (coordinators): which agencies are on the case and what each does there,
//! to add one, change what it does, or take it off, over [`app::team`].

use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::access::CaseAction;
use fourthp_domain::ids::{AgencyId, CaseId};
use serde::Deserialize;

use super::record::{agencies, case_id, case_of, status_of};
use super::view::{long_date, Choice};
use super::{error_for, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::app;
use crate::problem::Problem;
use crate::state::AppState;
use fourthp_domain::time::london_date;

#[derive(Debug, Default, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    role: String,
}

pub struct MemberRow {
    pub agency_id: String,
    pub name: String,
    pub role: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "case_team.html")]
struct TeamPage {
    chrome: Chrome,
    case_id: String,
    reference: String,
    members: Vec<MemberRow>,
    agencies: Vec<Choice>,
    form: TeamForm,
    errors: Vec<FieldError>,
}

impl TeamPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn team_page(page: Page, state: &AppState, id: CaseId, form: TeamForm, errors: Vec<FieldError>) -> Result<HttpResponse, PageError> {
    let (case, _) = case_of(&page, state, id, CaseAction::ManageTeam).await?;
    let all = agencies(&page, state).await?;
    let name = |a: AgencyId| all.iter().find(|x| x.0 == a).map_or_else(|| "An agency".to_owned(), |x| x.1.clone());
    let members = case
        .team
        .iter()
        .map(|m| MemberRow {
            agency_id: m.agency_id.to_string(),
            name: name(m.agency_id),
            role: m.role.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default(),
            since: long_date(london_date(m.added_at)),
        })
        .collect();
    let on_team = |a: AgencyId| case.team.iter().any(|m| m.agency_id == a);
    let agencies = all
        .iter()
        .filter(|a| a.2)
        .map(|(a, n, _)| Choice {
            value: a.to_string(),
            label: if on_team(*a) { format!("{n} (on the team)") } else { n.clone() },
            selected: form.agency == a.to_string(),
        })
        .collect();
    let body = TeamPage {
        chrome: page.chrome,
        case_id: id.to_string(),
        reference: case.reference.as_str().to_owned(),
        members,
        agencies,
        form,
        errors,
    };
    Ok(render(status_of(&body.errors), &body))
}

/// The case's team, to add an agency, change what it does, or take it off.
pub async fn team(page: Page, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = case_id(&id)?;
    team_page(page, &state, id, TeamForm::default(), Vec::new()).await
}

/// Puts an agency on the team, or changes what it does there.
pub async fn put_member(form: PageForm<TeamForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let id = case_id(&id)?;
    let Ok(agency) = AgencyId::parse(&f.agency) else {
        let errors = vec![FieldError::new("agency", "Choose an agency")];
        return team_page(page, &state, id, f, errors).await;
    };
    let role = Some(f.role.trim()).filter(|r| !r.is_empty());
    match app::team::put(&page.caller, &state, id, agency, role).await {
        Ok(_) => Ok(see_other(&format!("/app/cases/{id}/team"))),
        Err(e) => {
            let errors = super::form::form_errors(e, "agency", |field| match field {
                "role" => Some("role"),
                _ => None,
            })?;
            team_page(page, &state, id, f, errors).await
        }
    }
}

/// Takes an agency off the team.
pub async fn remove_member(
    form: PageForm<TeamForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let (case, agency) = path.into_inner();
    let id = case_id(&case)?;
    let agency = AgencyId::parse(&agency).map_err(|_| PageError::Problem(Problem::not_found()))?;
    app::team::remove(&page.caller, &state, id, agency).await?;
    Ok(see_other(&format!("/app/cases/{id}/team")))
}
