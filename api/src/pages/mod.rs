//! The web pages under `/app`: server-rendered HTML (askama templates, checked at compile time),
//! plain forms that work without JavaScript, a strict Content-Security-Policy. They are another
//! adapter over the same use cases as the REST API: every page calls the functions the API's
//! handlers call (which hold the access policy and the queries), and signs in through the same
//! sessions. Nothing here queries the database or decides access by itself.

mod account;
mod admin;
mod audit;
mod calendar;
mod case;
mod cases;
mod challenges;
mod data;
mod form;
mod forum;
mod inbox;
mod meetings;
mod organisation;
mod record;
mod reports;
mod status;
mod subject_access;
mod team;
mod unsubscribe;
mod view;
mod webhooks;
mod work;

use actix_web::body::BoxBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::auth::{Caller, FormCsrfToken};
use crate::problem::Problem;
use crate::state::{AppState, Limits};
use fourthp_persistence::write::{Replay, StoredResponse, Written};

/// The pages' policy: scripts and styles from this origin only, no inline script or style,
/// forms post only here, never framed.
pub const CSP_PAGES: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                             form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The cookie that holds the session's CSRF token for the pages' forms (HttpOnly: only the
/// server reads it, to put it in the forms it renders).
pub const CSRF_COOKIE: &str = "__Host-fourthp_csrf";

const STYLESHEET: &str = include_str!("../../assets/app.css");

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/app/assets/app.css", web::get().to(stylesheet))
        .route("/app", web::get().to(work::home))
        .route("/app/", web::get().to(work::home))
        .route("/app/sign-in", web::get().to(account::sign_in_page))
        .route("/app/sign-in", web::post().to(account::sign_in))
        .route("/app/sign-in/organisation", web::get().to(organisation::organisations))
        .route("/app/sign-in/organisation/callback", web::get().to(organisation::callback))
        .route("/app/sign-in/organisation/{agency}", web::get().to(organisation::go))
        .route("/app/sign-out", web::post().to(account::sign_out))
        .route("/app/sessions", web::get().to(account::sessions_page))
        .route("/app/account", web::get().to(account::account))
        .route("/app/account/digest", web::post().to(account::set_digest))
        .route("/app/account/calendar", web::post().to(account::new_calendar))
        .route("/app/account/calendar/revoke", web::post().to(account::revoke_calendar))
        .route("/app/sessions/{id}/end", web::post().to(account::end_session))
        .route("/app/enrol/{token}", web::get().to(account::enrol_page))
        .route("/app/enrol/{token}", web::post().to(account::enrol))
        .route("/app/due", web::get().to(work::due))
        .route("/app/reports", web::get().to(reports::reports))
        .route("/app/audit", web::get().to(audit::home))
        .route("/app/admin/users", web::get().to(admin::users))
        .route("/app/admin/users", web::post().to(admin::add))
        .route("/app/admin/users/{id}/active", web::post().to(admin::set_active))
        .route("/app/admin/agencies", web::get().to(admin::agencies))
        .route("/app/admin/agencies", web::post().to(admin::add_agency))
        .route("/app/admin/agencies/{id}/active", web::post().to(admin::set_agency_active))
        .route("/app/admin/agencies/{id}", web::get().to(webhooks::show))
        .route("/app/admin/agencies/{id}/mailbox", web::post().to(webhooks::set_mailbox))
        .route("/app/admin/agencies/{id}/identity-provider", web::post().to(webhooks::set_provider))
        .route("/app/admin/agencies/{id}/webhooks", web::post().to(webhooks::add_endpoint))
        .route("/app/admin/agencies/{id}/webhooks/{endpoint}", web::get().to(webhooks::log))
        .route("/app/admin/agencies/{id}/webhooks/{endpoint}/active", web::post().to(webhooks::set_active))
        .route("/app/admin/agencies/{id}/webhooks/{endpoint}/deliveries/{delivery}/replay", web::post().to(webhooks::replay))
        .route("/app/admin/data", web::get().to(data::show))
        .route("/app/admin/data/htcds", web::get().to(data::htcds))
        .route("/app/admin/data/imports", web::post().to(data::upload))
        .route("/app/admin/data/imports/{id}", web::get().to(data::import))
        .route("/app/admin/data/imports/{id}/check", web::post().to(data::check))
        .route("/app/admin/data/imports/{id}/report.csv", web::post().to(data::report))
        .route("/app/admin/data/imports/{id}/load", web::post().to(data::load))
        .route("/app/admin/api-clients", web::get().to(admin::api_clients))
        .route("/app/admin/api-clients", web::post().to(admin::add_api_client))
        .route("/app/admin/api-clients/{id}/revoke", web::post().to(admin::revoke_api_client))
        .route("/app/audit/verify", web::post().to(audit::verify))
        .route("/app/cases", web::get().to(cases::list))
        .route("/app/cases/new", web::get().to(record::new_case))
        .route("/app/cases/new", web::post().to(record::open_case))
        .route("/app/cases/{id}", web::get().to(case::show))
        .route("/app/cases/{id}/event", web::get().to(record::event_form))
        .route("/app/cases/{id}/event", web::post().to(record::record_event))
        .route("/app/cases/{id}/outcome", web::get().to(record::outcome_form))
        .route("/app/cases/{id}/outcome", web::post().to(record::record_outcome))
        .route("/app/cases/{id}/team", web::get().to(team::team))
        .route("/app/cases/{id}/team", web::post().to(team::put_member))
        .route("/app/cases/{id}/team/{agency}/remove", web::post().to(team::remove_member))
        .route("/app/cases/{id}/interventions", web::post().to(case::log_intervention))
        .route("/app/cases/{id}/needs/{need}/met", web::post().to(case::need_met))
        .route("/app/cases/{id}/deadlines/{deadline}/waive", web::post().to(case::waive))
        .route("/app/challenges", web::get().to(challenges::board))
        .route("/app/challenges", web::post().to(challenges::raise))
        .route("/app/challenges/new", web::get().to(challenges::new_challenge))
        .route("/app/challenges/{id}", web::get().to(challenges::show))
        .route("/app/challenges/{id}/decisions", web::post().to(challenges::decide))
        .route("/app/challenges/{id}/actions", web::post().to(challenges::give_action))
        .route("/app/meetings", web::get().to(meetings::list))
        .route("/app/meetings", web::post().to(meetings::schedule))
        .route("/app/meetings/{id}", web::get().to(meetings::show))
        .route("/app/meetings/{id}/notes", web::post().to(meetings::note))
        .route("/app/meetings/{id}/minutes", web::get().to(meetings::minutes))
        .route("/app/meetings/{id}/invitation.ics", web::get().to(meetings::invitation))
        .route("/app/owed", web::get().to(work::owed))
        .route("/app/subject-access", web::get().to(subject_access::list))
        .route("/app/cases/{id}/subject-access", web::get().to(subject_access::show))
        .route("/app/cases/{id}/subject-access", web::post().to(subject_access::record))
        .route("/app/cases/{id}/subject-access/{request}/answered", web::post().to(subject_access::answered))
        .route("/app/forum", web::get().to(forum::forum))
        .route("/app/forum/bundle", web::get().to(forum::bundle))
        .route("/app/forum/networks", web::post().to(forum::register))
        .route("/app/forum/bundles", web::post().to(forum::import))
        .route("/app/actions/{id}/close", web::post().to(work::close_action))
        .route("/inbox/{token}", web::get().to(inbox::open))
        .route("/inbox", web::post().to(inbox::act))
        .route("/calendar/{file}", web::get().to(calendar::feed))
        .route("/unsubscribe/{kind}/{id}/{code}", web::get().to(unsubscribe::confirm))
        .route("/unsubscribe/{kind}/{id}/{code}", web::post().to(unsubscribe::unsubscribe));
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

/// What every page's layout shows: who is signed in, and the navigation for their role.
pub struct Chrome {
    pub signed_in: Option<SignedInAs>,
    pub csrf: String,
}

pub struct SignedInAs {
    pub name: String,
    pub role: &'static str,
    pub nav: Vec<(&'static str, &'static str)>,
}

impl Chrome {
    /// A page nobody is signed in to.
    pub fn anonymous() -> Self {
        Chrome { signed_in: None, csrf: String::new() }
    }
}

/// A page answered as HTML, with the pages' policy and never cached.
pub fn render<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    match page.render() {
        Ok(html) => html_response(status, html),
        Err(_) => PageError::Problem(Problem::internal()).error_response(),
    }
}

/// HTML with the pages' headers. Marked so that an error status (a form shown again with its
/// errors, a not-found page) stays a page rather than becoming a problem document.
fn html_response(status: StatusCode, html: String) -> HttpResponse {
    let mut res = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP_PAGES))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html);
    res.extensions_mut().insert(crate::middleware::StandardErrorFormat);
    res
}

/// A redirect after a form (303: the browser follows with a GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

/// A cookie for the pages' session (HttpOnly, Secure, SameSite=Strict, `/`).
pub fn page_cookie(name: &'static str, value: String, seconds: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(seconds))
        .finish()
}

/// Why a page cannot be shown: the person must sign in, or a problem (shown as a page).
#[derive(Debug)]
pub enum PageError {
    SignIn,
    Problem(Problem),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn => f.write_str("sign in"),
            PageError::Problem(p) => write!(f, "{}", p.status),
        }
    }
}

impl From<crate::app::AppError> for PageError {
    fn from(e: crate::app::AppError) -> Self {
        PageError::Problem(e.into())
    }
}

impl From<Problem> for PageError {
    fn from(p: Problem) -> Self {
        if p.status == StatusCode::UNAUTHORIZED {
            PageError::SignIn
        } else {
            PageError::Problem(p)
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: String,
    detail: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn => StatusCode::SEE_OTHER,
            PageError::Problem(p) => p.status,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let p = match self {
            PageError::SignIn => return see_other("/app/sign-in"),
            PageError::Problem(p) => p,
        };
        let (title, detail) = match p.status {
            StatusCode::NOT_FOUND => (
                "Page not found".to_owned(),
                "If you typed the web address, check it is correct. If you followed a link to a case, it may not be one your agency is on."
                    .to_owned(),
            ),
            StatusCode::FORBIDDEN => (
                "You cannot use this page".to_owned(),
                "Your role does not include this. Ask your partnership's administrator if you think it should.".to_owned(),
            ),
            s if s.is_server_error() => ("Sorry, there is a problem with the service".to_owned(), p.detail.clone()),
            _ => (p.title.to_owned(), p.detail.clone()),
        };
        let page = ErrorPage { chrome: Chrome::anonymous(), title, detail };
        let html = page
            .render()
            .unwrap_or_else(|_| "<!doctype html><title>Error</title><p>Sorry, there is a problem with the service.</p>".to_owned());
        html_response(p.status, html)
    }
}

/// The signed-in person a page is for: their caller (the same as the API's) and the layout.
pub struct Page {
    pub caller: Caller,
    pub chrome: Chrome,
}

impl FromRequest for Page {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        let csrf = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
        Box::pin(async move {
            let caller = caller.await?;
            // Pages are for people with an account, signed in here.
            if caller.session.is_none() {
                return Err(PageError::SignIn);
            }
            let role = caller.principal().role;
            let nav = view::nav_for(role);
            let name = caller.display_name.clone().unwrap_or_default();
            let chrome = Chrome { signed_in: Some(SignedInAs { name, role: fourthp_domain::words::Words::words(role), nav }), csrf };
            Ok(Page { caller, chrome })
        })
    }
}

/// A form (`application/x-www-form-urlencoded`) that needs no session (signing in, enrolling),
/// its fields as typed: the handler parses them into domain values and shows what is wrong
/// beside each.
pub struct Form<T>(pub T, pub FormRequest);

/// What a form's request is recognised by on a resubmission (see [`crate::extract::request_hash`]).
pub struct FormRequest {
    pub hash: Vec<u8>,
    /// Every field as sent, in order (checkboxes send one name many times).
    pub pairs: Vec<(String, String)>,
}

impl FormRequest {
    /// Every value sent under `name` (the boxes ticked of a group of checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<AppState>>().map_or(Limits::DEFAULT_BODY_BYTES, |s| s.limits.body_bytes);
        let form_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            let bad = || PageError::Problem(Problem::bad_request("form", "could not be read"));
            if !form_type {
                return Err(bad());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| bad())?;
                if body.len() + chunk.len() > limit {
                    return Err(bad());
                }
                body.extend_from_slice(&chunk);
            }
            let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            if let Some((_, token)) = pairs.iter().find(|(k, _)| k == "csrf_token") {
                req.extensions_mut().insert(FormCsrfToken(token.clone()));
            }
            let value = serde_urlencoded::from_bytes::<T>(&body).map_err(|_| bad())?;
            let hash = crate::extract::request_hash(req.method().as_str(), req.path(), &body);
            Ok(Form(value, FormRequest { hash, pairs }))
        })
    }
}

/// A signed-in person's form: read whole first, then the person authenticated with the form's
/// `csrf_token` checked like `X-CSRF-Token` — in that order, in one extractor, because actix
/// polls a handler's extractors together and the check must not run before the body is read.
pub struct PageForm<T> {
    pub value: T,
    pub request: FormRequest,
    pub page: Page,
}

impl<T: DeserializeOwned + 'static> FromRequest for PageForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = Form::<T>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let Form(value, request) = form.await?;
            let page = Page::from_request(&req, &mut Payload::None).await?;
            Ok(PageForm { value, request, page })
        })
    }
}

/// A signed-in person's form with files (`multipart/form-data`): every field read whole (at
/// most [`Limits::IMPORT_FILE_BYTES`] in all), then the person authenticated with the form's
/// `csrf_token`, as [`PageForm`] does.
pub struct PageUpload {
    /// The text fields, in order.
    pub fields: Vec<(String, String)>,
    /// The files chosen: field name, file name, content (fields left empty are left out).
    pub files: Vec<(String, String, Vec<u8>)>,
    pub page: Page,
}

impl PageUpload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

impl FromRequest for PageUpload {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mut multipart = actix_multipart::Multipart::new(req.headers(), payload.take());
        let req = req.clone();
        Box::pin(async move {
            let bad = || PageError::Problem(Problem::bad_request("form", "could not be read"));
            let mut total = 0usize;
            let mut fields = Vec::new();
            let mut files = Vec::new();
            while let Some(field) = multipart.next().await {
                let mut field = field.map_err(|_| bad())?;
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|_| bad())?;
                    total += chunk.len();
                    if total > Limits::IMPORT_FILE_BYTES {
                        return Err(PageError::Problem(Problem::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too-large",
                            "Payload too large",
                            format!("Files are limited to {} MB.", Limits::IMPORT_FILE_BYTES / (1024 * 1024)),
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                match file_name {
                    Some(f) if !f.is_empty() && !bytes.is_empty() => files.push((name, f, bytes)),
                    Some(_) => {}
                    None => fields.push((name, String::from_utf8(bytes).map_err(|_| bad())?)),
                }
            }
            if let Some((_, token)) = fields.iter().find(|(k, _)| k == "csrf_token") {
                req.extensions_mut().insert(FormCsrfToken(token.clone()));
            }
            let page = Page::from_request(&req, &mut Payload::None).await?;
            Ok(PageUpload { fields, files, page })
        })
    }
}

/// What a form's write came to.
pub enum Sent<T> {
    /// Written now.
    Now(T),
    /// This form was sent before and written then (its first response, if finished).
    Before(Option<StoredResponse>),
    /// Refused: the errors to show beside the form's fields.
    Refused(Vec<FieldError>),
}

/// A write's outcome for a form sent with idempotency key `key`: refusals a person can correct
/// (invalid fields, a lifecycle rule broken, a changed record) become errors beside the fields
/// (`map` turns the API's field names into the form's; the rest go on `fallback`), in the
/// problem's own words. A key already used with other details is cleared, so that the form
/// shown again carries a new one and can be sent.
pub fn sent<T>(
    written: Result<Written<T>, crate::app::AppError>,
    key: &mut String,
    fallback: &str,
    map: impl Fn(&str) -> Option<&'static str>,
) -> Result<Sent<T>, PageError> {
    match written {
        Ok(Ok((value, _))) => Ok(Sent::Now(value)),
        Ok(Err(Replay::Stored(first))) => Ok(Sent::Before(Some(first))),
        Ok(Err(Replay::InFlight)) => Ok(Sent::Before(None)),
        Ok(Err(Replay::Mismatch)) => {
            key.clear();
            Ok(Sent::Refused(vec![FieldError::new(
                fallback,
                "This form was already sent with other details. Check the case, then send it again.",
            )]))
        }
        Err(e) => Ok(Sent::Refused(form::form_errors(e, fallback, map)?)),
    }
}

/// What the pages keep for a form's idempotency key: where the record it wrote is shown, so that
/// the same form sent again leads there.
pub fn page_response(location: String) -> StoredResponse {
    StoredResponse { status: 201, body: serde_json::Value::Null, location: Some(location), etag: None }
}

/// A field's error for the error summary and beside the field (GOV.UK pattern).
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The field's `id`, for the summary's link.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_owned(), message: message.into() }
    }
}

/// The message for `field` among `errors`, if any (templates show it beside the field).
pub fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}
