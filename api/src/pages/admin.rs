//! The administrators' page: accounts — add one (its enrolment link shown once, to pass on),
//! deactivate or reactivate one. The API's `/users` operations, by the same functions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::ids::UserId;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use serde::Deserialize;

use super::case::Choice;
use super::work::london_time;
use super::{error_for, field_errors, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::problem::Problem;
use crate::routes::agencies::readable_agencies;
use crate::routes::users::{add_user, change_user, user_list, CreateUserRequest, PatchUserRequest, UserListQuery};
use crate::state::AppState;

pub struct UserRow {
    pub id: String,
    pub version: i32,
    pub email: String,
    pub name: String,
    pub role: String,
    pub agency: String,
    pub active: bool,
    pub state: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    next: Option<String>,
    roles: Vec<Choice>,
    agencies: Vec<Choice>,
    form: AddForm,
    link: Option<(String, String)>,
    errors: Vec<FieldError>,
}

impl UsersPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub agency: String,
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    cursor: Option<String>,
}

async fn users_page(
    page: Page,
    state: &AppState,
    cursor: Option<String>,
    form: AddForm,
    link: Option<(String, String)>,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let list = user_list(&page.caller, state, UserListQuery { limit: Limit::parse(Some(100)).ok(), cursor }).await?;
    let (agencies, _) = readable_agencies(&page.caller, state, Limit::parse(Some(200)).map_err(|_| Problem::internal())?, None).await?;
    let name_of = |id: Option<uuid::Uuid>| {
        id.and_then(|id| agencies.items.iter().find(|a| a.id.into_uuid() == id)).map(|a| a.name.as_str().to_owned()).unwrap_or_default()
    };
    let users = list
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            version: u.version,
            email: u.email.clone(),
            name: u.display_name.clone(),
            role: u.role.as_str().to_owned(),
            agency: name_of(u.agency_id),
            active: u.active,
            state: match (u.active, u.enrolled, u.last_sign_in_at) {
                (false, _, _) => "Deactivated".to_owned(),
                (true, false, _) => "Not enrolled yet".to_owned(),
                (true, true, Some(at)) => format!("Last signed in {}", london_time(at)),
                (true, true, None) => "Enrolled, never signed in".to_owned(),
            },
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice { value: r.as_str().to_owned(), label: r.as_str().to_owned(), selected: form.role == r.as_str() })
        .collect();
    let mut agency_choices = vec![Choice {
        value: String::new(),
        label: "No agency (commissioners, auditors, administrators)".to_owned(),
        selected: form.agency.is_empty(),
    }];
    agency_choices.extend(agencies.items.iter().filter(|a| a.active).map(|a| Choice {
        value: a.id.to_string(),
        label: a.name.as_str().to_owned(),
        selected: form.agency == a.id.to_string(),
    }));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = UsersPage { chrome: page.chrome, users, next: list.next_cursor, roles, agencies: agency_choices, form, link, errors };
    Ok(render(status, &body))
}

/// The accounts, and the form to add one.
pub async fn users(page: Page, state: web::Data<AppState>, query: web::Query<UsersQuery>) -> Result<HttpResponse, PageError> {
    users_page(page, &state, query.into_inner().cursor, AddForm::default(), None, Vec::new()).await
}

/// Adds an account; the page shows its enrolment link once.
pub async fn add(form: PageForm<AddForm>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: form, page, .. } = form;
    let f = form;
    let Some(role) = Role::parse(&f.role) else {
        return users_page(page, &state, None, f, None, vec![FieldError::new("role", "Choose a role")]).await;
    };
    let agency = if f.agency.is_empty() { None } else { uuid::Uuid::try_parse(&f.agency).ok() };
    let request = CreateUserRequest { email: f.email.clone(), display_name: f.display_name.clone(), role, agency_id: agency };
    match add_user(&page.caller, &state, request).await {
        Ok((user, enrolment)) => {
            let link = Some((user.email.to_string(), enrolment.enrolment_link));
            users_page(page, &state, None, AddForm::default(), link, Vec::new()).await
        }
        Err(p) if p.status == StatusCode::UNPROCESSABLE_ENTITY || p.status == StatusCode::CONFLICT => {
            let errors = field_errors(&p, "email", |field| match field {
                "email" => Some("email"),
                "display_name" => Some("display_name"),
                "agency_id" => Some("agency"),
                _ => None,
            });
            users_page(page, &state, None, f, None, errors).await
        }
        Err(p) => Err(p.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
    version: Option<i32>,
}

/// Deactivates (ending every session at once) or reactivates an account.
pub async fn set_active(form: PageForm<ActiveForm>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { value: form, page, .. } = form;
    let id = UserId::parse(&id).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let f = form;
    let patch = PatchUserRequest { display_name: None, role: None, agency_id: None, active: Some(f.active == "true") };
    match change_user(&page.caller, &state, id, f.version, patch).await {
        Ok(_) => Ok(see_other("/app/admin/users")),
        Err(p) if p.status == StatusCode::PRECONDITION_FAILED => {
            let errors = vec![FieldError::new("email", "Someone changed that account meanwhile: check it and try again")];
            users_page(page, &state, None, AddForm::default(), None, errors).await
        }
        Err(p) => Err(p.into()),
    }
}
