//! Signing in and out, enrolment, and one's own sessions: the pages over the same use cases as
//! `/api/v1/auth/...` (`app::sessions`, `app::enrolment`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{error_for, page_cookie, render, see_other, Chrome, FieldError, Form, Page, PageError, PageForm, CSRF_COOKIE};
use crate::app::{
    self,
    enrolment::{Outcome, Step},
    AppError,
};
use crate::auth::{same_origin, SESSION_COOKIE};
use crate::credentials::totp;
use crate::problem::Problem;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(super) struct SignInPage {
    pub chrome: Chrome,
    pub email: String,
    pub errors: Vec<FieldError>,
    pub notice: Option<&'static str>,
}

impl SignInPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

pub async fn sign_in_page(req: HttpRequest) -> HttpResponse {
    let notice = match req.query_string() {
        q if q.contains("enrolled=1") => Some("You have set up your account. Sign in with your password and a code from your app."),
        q if q.contains("signed-out=1") => Some("You have signed out."),
        _ => None,
    };
    render(StatusCode::OK, &SignInPage { chrome: Chrome::anonymous(), email: String::new(), errors: Vec::new(), notice })
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn sign_in(req: HttpRequest, state: web::Data<AppState>, form: Form<SignInForm>) -> Result<HttpResponse, PageError> {
    let f = form.0;
    // A sign-in form posted from elsewhere would sign the browser in to someone else's account.
    if !same_origin(&req, &state.accounts.public_url) {
        return Err(PageError::Problem(Problem::forbidden()));
    }
    let code = f.code.split_whitespace().collect::<String>();
    let (totp, recovery_code) =
        if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) { (Some(code), None) } else { (None, Some(code)) };
    let request = app::sessions::SignIn { email: f.email.clone(), password: f.password, totp, recovery_code };
    match app::sessions::sign_in(&crate::auth::origin(&req), &state, request).await {
        Ok(signed_in) => {
            let seconds = state.accounts.session_absolute.num_seconds();
            Ok(HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, "/app"))
                .cookie(page_cookie(SESSION_COOKIE, signed_in.session_id, seconds))
                .cookie(page_cookie(CSRF_COOKIE, signed_in.csrf_token, seconds))
                .finish())
        }
        Err(e @ (AppError::SignInRefused | AppError::TooManyAttempts { .. })) => {
            // The page says what the API says, in the same words.
            let p = Problem::from(e);
            let errors = vec![FieldError::new("email", p.detail.clone())];
            Ok(render(p.status, &SignInPage { chrome: Chrome::anonymous(), email: f.email, errors, notice: None }))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn sign_out(form: PageForm<CsrfOnly>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let handle = page.caller.session.ok_or(PageError::SignIn)?;
    app::sessions::end(&page.caller, &state, handle).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, "/app/sign-in?signed-out=1"))
        .cookie(page_cookie(SESSION_COOKIE, String::new(), 0))
        .cookie(page_cookie(CSRF_COOKIE, String::new(), 0))
        .finish())
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {}

pub struct SessionRow {
    pub id: String,
    pub current: bool,
    pub signed_in: String,
    pub last_seen: String,
    pub from: String,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionRow>,
}

pub async fn sessions_page(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let (all, current) = app::sessions::mine(&page.caller, &state).await?;
    let sessions = all
        .into_iter()
        .map(|s| SessionRow {
            id: s.handle.to_string(),
            current: Some(s.handle) == current,
            signed_in: super::view::london_time(s.created_at),
            last_seen: super::view::london_time(s.last_seen_at),
            from: s.user_agent.as_deref().map_or_else(|| "An unknown browser".to_owned(), super::view::device),
        })
        .collect();
    Ok(render(StatusCode::OK, &SessionsPage { chrome: page.chrome, sessions }))
}

pub async fn end_session(form: PageForm<CsrfOnly>, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let handle = uuid::Uuid::try_parse(&id).map_err(|_| PageError::Problem(Problem::not_found()))?;
    app::sessions::end(&page.caller, &state, handle).await?;
    if Some(handle) == page.caller.session {
        return Ok(see_other("/app/sign-in?signed-out=1"));
    }
    Ok(see_other("/app/sessions"))
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    email: String,
    /// Set once the password is: the authenticator to set up, and the codes (shown once).
    qr_svg: Option<String>,
    secret: String,
    recovery_codes: Vec<String>,
    errors: Vec<FieldError>,
}

impl EnrolPage {
    /// The first step: the password.
    fn new(email: String) -> Self {
        EnrolPage {
            chrome: Chrome::anonymous(),
            email,
            qr_svg: None,
            secret: String::new(),
            recovery_codes: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The QR code of an `otpauth://` URI, as inline SVG (no script, no style attribute).
fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#0b0c0c"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Inline in HTML: without the XML declaration, and named for assistive technology.
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen("<svg", "<svg role=\"img\" aria-label=\"QR code for your authenticator app\"", 1))
}

async fn enrolment_email(state: &AppState, token: &str) -> Result<(String, Option<Vec<u8>>), PageError> {
    Ok(app::enrolment::look_up(state, token).await?)
}

pub async fn enrol_page(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, PageError> {
    let (email, _) = enrolment_email(&state, &token).await?;
    Ok(render(StatusCode::OK, &EnrolPage::new(email)))
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    password: Option<String>,
    code: Option<String>,
}

pub async fn enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: Form<EnrolForm>,
) -> Result<HttpResponse, PageError> {
    let (email, pending) = enrolment_email(&state, &token).await?;
    let mut page = EnrolPage::new(email);
    let step = match (form.0.password, form.0.code) {
        (Some(p), None) => Step::Password(p),
        (None, Some(c)) => Step::Totp(c.split_whitespace().collect()),
        _ => return Err(PageError::Problem(Problem::bad_request("form", "could not be read"))),
    };
    let confirming = matches!(step, Step::Totp(_));
    match app::enrolment::step(&crate::auth::origin(&req), &state, &token, step).await {
        Ok(Outcome::Secrets(s)) => {
            page.qr_svg = qr_svg(&s.otpauth_uri);
            page.secret = s.totp_secret;
            page.recovery_codes = s.recovery_codes;
            Ok(render(StatusCode::OK, &page))
        }
        Ok(Outcome::Enrolled(_)) => Ok(see_other("/app/sign-in?enrolled=1")),
        Err(e) => {
            page.errors = super::form::form_errors(e, if confirming { "code" } else { "password" }, |f| match f {
                "password" => Some("password"),
                "totp" => Some("code"),
                _ => None,
            })?;
            if confirming {
                if let Some(secret) = pending {
                    page.qr_svg = qr_svg(&totp::uri(&state.accounts.issuer, &page.email, &secret));
                    page.secret = totp::base32(&secret);
                }
            }
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    errors: Vec<super::FieldError>,
    mail_configured: bool,
    coordinator: bool,
    may_have_feed: bool,
    frequencies: Vec<super::view::Choice>,
    feed_since: Option<String>,
    new_feed: Option<String>,
}

async fn account_page(
    page: Page,
    state: &AppState,
    notice: Option<&'static str>,
    new_feed: Option<String>,
) -> Result<HttpResponse, PageError> {
    let prefs = app::notifications::preferences(&page.caller, state).await?;
    let role = page.caller.principal().role;
    let body = AccountPage {
        notice,
        errors: Vec::new(),
        mail_configured: prefs.mail_configured,
        coordinator: role == fourthp_domain::principal::Role::Coordinator,
        may_have_feed: matches!(role, fourthp_domain::principal::Role::Coordinator | fourthp_domain::principal::Role::Partner),
        frequencies: super::view::choices(fourthp_domain::notify::DigestFrequency::ALL, prefs.digest.as_str()),
        feed_since: prefs.calendar_since.map(super::view::london_time),
        new_feed,
        chrome: page.chrome,
    };
    Ok(render(StatusCode::OK, &body))
}

/// The person's daily email and calendar feed.
pub async fn account(page: Page, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let notice = req.query_string().contains("saved=1").then_some("Saved.");
    account_page(page, &state, notice, None).await
}

#[derive(Debug, Deserialize)]
pub struct DigestForm {
    #[serde(default)]
    digest: String,
}

pub async fn set_digest(form: PageForm<DigestForm>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let Some(frequency) = fourthp_domain::notify::DigestFrequency::parse(&f.digest) else {
        return Err(PageError::Problem(Problem::bad_request("digest", "must be daily, weekly or off")));
    };
    app::notifications::set_digest(&page.caller, &state, frequency).await?;
    Ok(see_other("/app/account?saved=1"))
}

/// Makes a calendar feed and shows its address, once.
pub async fn new_calendar(form: PageForm<CsrfOnly>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    let url = app::notifications::new_calendar(&page.caller, &state).await?;
    account_page(page, &state, None, Some(url)).await
}

pub async fn revoke_calendar(form: PageForm<CsrfOnly>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { page, .. } = form;
    app::notifications::revoke_calendar(&page.caller, &state).await?;
    Ok(see_other("/app/account?saved=1"))
}
