//! The administrators' page: accounts — add one (its enrolment link shown once, to pass on),
//! deactivate or reactivate one. The API's `/users` operations, by the same functions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use fourthp_domain::ids::UserId;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use serde::Deserialize;

use super::form::form_errors;
use super::view::{choices, london_time, Choice};
use super::{error_for, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::app::{self, AppError};
use crate::problem::Problem;
use crate::state::AppState;
use fourthp_domain::agency::{AgencyName, AgencyPatch, ContactEmail, ContactPhone, NewAgency};
use fourthp_domain::words::Words;
use fourthp_persistence::users::UserPatch;

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
    // The cursor is the last email of the page before.
    let limit = Limit::clamped(100);
    let list = app::users::list(&page.caller, &state.db, limit, cursor.as_deref()).await?;
    let (agencies, _) = app::agencies::readable(&page.caller, state, Limit::clamped(200), None).await?;
    let name_of = |id: Option<uuid::Uuid>| {
        id.and_then(|id| agencies.items.iter().find(|a| a.id.into_uuid() == id)).map(|a| a.name.as_str().to_owned()).unwrap_or_default()
    };
    let users = list
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            version: u.version,
            email: u.email.to_string(),
            name: u.display_name.to_string(),
            role: u.role.words().to_owned(),
            agency: name_of(u.agency.map(|a| a.into_uuid())),
            active: u.active,
            state: match (u.active, u.enrolled_at.is_some(), u.last_sign_in_at) {
                (false, _, _) => "Deactivated".to_owned(),
                (true, false, _) => "Not enrolled yet".to_owned(),
                (true, true, Some(at)) => format!("Last signed in {}", london_time(at)),
                (true, true, None) => "Enrolled, never signed in".to_owned(),
            },
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice { value: r.as_str().to_owned(), label: r.words().to_owned(), selected: form.role == r.as_str() })
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
    let next = list.next.map(|n| form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>());
    let body = UsersPage { chrome: page.chrome, users, next, roles, agencies: agency_choices, form, link, errors };
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
    let agency = if f.agency.is_empty() { None } else { fourthp_domain::ids::AgencyId::parse(&f.agency).ok() };
    let new = app::users::parse_new_user(&f.email, &f.display_name, role, agency);
    match app::users::add(&page.caller, &state.db, &state.accounts, new).await {
        Ok((user, invitation)) => {
            let link = Some((user.email.to_string(), invitation.link));
            users_page(page, &state, None, AddForm::default(), link, Vec::new()).await
        }
        Err(e) => {
            let errors = form_errors(e, "email", |field| match field {
                "email" => Some("email"),
                "display_name" => Some("display_name"),
                "agency_id" => Some("agency"),
                _ => None,
            })?;
            users_page(page, &state, None, f, None, errors).await
        }
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
    let patch = UserPatch { display_name: None, role: None, agency: None, active: Some(f.active == "true") };
    match app::users::change(&page.caller, &state.db, id, f.version, Ok(patch)).await {
        Ok(_) => Ok(see_other("/app/admin/users")),
        Err(AppError::Stale) => {
            let errors = vec![FieldError::new("email", "Someone changed that account meanwhile: check it and try again")];
            users_page(page, &state, None, AddForm::default(), None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Agencies

pub struct AgencyRow {
    pub id: String,
    pub version: i32,
    pub name: String,
    pub kind: String,
    pub contact: String,
    pub active: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct AgencyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    notify_email: String,
}

#[derive(Template)]
#[template(path = "agencies.html")]
struct AgenciesPage {
    chrome: Chrome,
    agencies: Vec<AgencyRow>,
    next: Option<String>,
    kinds: Vec<Choice>,
    form: AgencyForm,
    added: Option<String>,
    errors: Vec<FieldError>,
}

impl AgenciesPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Deserialize)]
pub struct AfterQuery {
    cursor: Option<String>,
    added: Option<String>,
}

async fn agencies_page(
    page: Page,
    state: &AppState,
    cursor: Option<String>,
    form: AgencyForm,
    added: Option<String>,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let limit = Limit::clamped(100);
    // The cursor is the last name of the previous page, as the API's list pages.
    let (listed, view) = app::agencies::readable(&page.caller, state, limit, cursor.as_deref()).await?;
    let agencies = listed
        .items
        .iter()
        .map(|a| {
            // Contacts only where the policy's view shows them.
            let contacts =
                [a.contact_email.as_ref().map(|e| e.as_str().to_owned()), a.contact_phone.as_ref().map(|p| p.as_str().to_owned())];
            AgencyRow {
                id: a.id.to_string(),
                version: a.version,
                name: a.name.to_string(),
                kind: a.kind.words().to_owned(),
                contact: if view.contacts { contacts.into_iter().flatten().collect::<Vec<_>>().join(", ") } else { String::new() },
                active: a.active,
            }
        })
        .collect();
    let kinds = choices(fourthp_domain::agency::AgencyKind::ALL, &form.kind);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let next = listed.next.map(|n| form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>());
    let body = AgenciesPage { chrome: page.chrome, agencies, next, kinds, form, added, errors };
    Ok(render(status, &body))
}

/// The partnership's agencies, and the form to register one.
pub async fn agencies(page: Page, state: web::Data<AppState>, query: web::Query<AfterQuery>) -> Result<HttpResponse, PageError> {
    let q = query.into_inner();
    agencies_page(page, &state, q.cursor, AgencyForm::default(), q.added, Vec::new()).await
}

/// Registers an agency.
pub async fn add_agency(form: PageForm<AgencyForm>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let Some(kind) = fourthp_domain::agency::AgencyKind::parse(&f.kind) else {
        return agencies_page(page, &state, None, f, None, vec![FieldError::new("kind", "Choose what kind of agency it is")]).await;
    };
    let new = {
        let mut errs = fourthp_domain::error::FieldErrors::new();
        fn optional(s: &str) -> Option<&str> {
            Some(s.trim()).filter(|s| !s.is_empty())
        }
        let name = errs.check("name", AgencyName::parse(&f.name));
        let contact_email = errs.check_opt("contact_email", optional(&f.contact_email).map(ContactEmail::parse));
        let contact_phone = errs.check_opt("contact_phone", optional(&f.contact_phone).map(ContactPhone::parse));
        let notify_email = errs.check_opt("notify_email", optional(&f.notify_email).map(ContactEmail::parse));
        match (name, contact_email, contact_phone, notify_email) {
            (Some(name), Some(contact_email), Some(contact_phone), Some(notify_email)) => {
                Ok(NewAgency { name, kind, contact_email, contact_phone, notify_email, active: true })
            }
            _ => Err(errs),
        }
    };
    match app::agencies::register(&page.caller, &state, new).await {
        Ok((agency, _)) => {
            let to = form_urlencoded::Serializer::new(String::new()).append_pair("added", agency.name.as_str()).finish();
            Ok(see_other(&format!("/app/admin/agencies?{to}")))
        }
        Err(e) => {
            let errors = form_errors(e, "name", |field| match field {
                "name" => Some("name"),
                "contact_email" => Some("contact_email"),
                "contact_phone" => Some("contact_phone"),
                "notify_email" => Some("notify_email"),
                _ => None,
            })?;
            agencies_page(page, &state, None, f, None, errors).await
        }
    }
}

/// Deactivates or reactivates an agency.
pub async fn set_agency_active(
    form: PageForm<ActiveForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let id = fourthp_domain::ids::AgencyId::parse(&id).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let patch = AgencyPatch { active: Some(f.active == "true"), ..AgencyPatch::default() };
    match app::agencies::change(&page.caller, &state, id, f.version, Ok(patch)).await {
        Ok(_) => Ok(see_other("/app/admin/agencies")),
        Err(AppError::Stale) => {
            let errors = vec![FieldError::new("name", "Someone changed that agency meanwhile: check it and try again")];
            agencies_page(page, &state, None, AgencyForm::default(), None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// API clients

pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub agency: String,
    pub registered: String,
    pub state: String,
    pub live: bool,
}

/// A client just registered: its secret, shown this once.
pub struct Created {
    pub id: String,
    pub name: String,
    pub secret: String,
    pub token_endpoint: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    agency: String,
}

#[derive(Template)]
#[template(path = "api_clients.html")]
struct ClientsPage {
    chrome: Chrome,
    clients: Vec<ClientRow>,
    next: Option<String>,
    roles: Vec<Choice>,
    agencies: Vec<Choice>,
    form: ClientForm,
    created: Option<Created>,
    errors: Vec<FieldError>,
}

impl ClientsPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn clients_page(
    page: Page,
    state: &AppState,
    cursor: Option<String>,
    form: ClientForm,
    created: Option<Created>,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    // The cursor is the last client id of the page before.
    let limit = Limit::clamped(100);
    let after = cursor.as_deref().and_then(|c| uuid::Uuid::try_parse(c).ok());
    let listed = app::api_clients::list(&page.caller, state, limit, after).await?;
    let (all, _) = app::agencies::readable(&page.caller, state, Limit::clamped(200), None).await?;
    let name_of = |id: Option<uuid::Uuid>| {
        id.and_then(|id| all.items.iter().find(|a| a.id.into_uuid() == id)).map(|a| a.name.as_str().to_owned()).unwrap_or_default()
    };
    let clients = listed
        .items
        .iter()
        .map(|c| ClientRow {
            id: c.id.to_string(),
            name: c.name.to_string(),
            role: c.role.words().to_owned(),
            agency: name_of(c.agency.map(|a| a.into_uuid())),
            registered: london_time(c.created_at),
            state: c.revoked_at.map_or_else(|| "Active".to_owned(), |at| format!("Revoked {}", london_time(at))),
            live: c.revoked_at.is_none(),
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice { value: r.as_str().to_owned(), label: r.words().to_owned(), selected: form.role == r.as_str() })
        .collect();
    let agencies = all
        .items
        .iter()
        .filter(|a| a.active)
        .map(|a| Choice { value: a.id.to_string(), label: a.name.as_str().to_owned(), selected: form.agency == a.id.to_string() })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let body = ClientsPage { chrome: page.chrome, clients, next: listed.next, roles, agencies, form, created, errors };
    Ok(render(status, &body))
}

/// The registered partner systems, and the form to register one.
pub async fn api_clients(page: Page, state: web::Data<AppState>, query: web::Query<UsersQuery>) -> Result<HttpResponse, PageError> {
    clients_page(page, &state, query.into_inner().cursor, ClientForm::default(), None, Vec::new()).await
}

/// Registers a partner system; the page shows its secret once (never redirected to, so it is in
/// no URL or history entry).
pub async fn add_api_client(form: PageForm<ClientForm>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let Some(role) = Role::parse(&f.role) else {
        return clients_page(page, &state, None, f, None, vec![FieldError::new("role", "Choose what the system acts as")]).await;
    };
    let agency = fourthp_domain::ids::AgencyId::parse(&f.agency).ok();
    let new = {
        let mut errs = fourthp_domain::error::FieldErrors::new();
        match errs.check("name", fourthp_domain::account::ClientName::parse(&f.name)) {
            None => Err(errs),
            Some(name) => fourthp_domain::account::NewApiClient::new(name, role, agency).map_err(|e| {
                let field = match e {
                    fourthp_domain::account::NewApiClientError::AdminRole => "role",
                    fourthp_domain::account::NewApiClientError::AgencyRequired => "agency_id",
                };
                errs.push(field, e.to_string());
                errs
            }),
        }
    };
    match app::api_clients::register(&page.caller, &state, new).await {
        Ok(r) => {
            let created = Created {
                id: r.client.id.to_string(),
                name: r.client.name.to_string(),
                secret: r.secret,
                token_endpoint: r.token_endpoint,
            };
            clients_page(page, &state, None, ClientForm::default(), Some(created), Vec::new()).await
        }
        Err(e) => {
            let errors = form_errors(e, "name", |field| match field {
                "name" => Some("name"),
                "role" => Some("role"),
                "agency_id" => Some("agency"),
                _ => None,
            })?;
            clients_page(page, &state, None, f, None, errors).await
        }
    }
}

/// Revokes a partner system and the tokens it holds.
pub async fn revoke_api_client(
    form: PageForm<ClientForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let id = fourthp_domain::ids::ApiClientId::parse(&id).map_err(|_| PageError::Problem(Problem::not_found()))?;
    app::api_clients::revoke(&page.caller, &state, id).await?;
    Ok(see_other("/app/admin/api-clients"))
}
