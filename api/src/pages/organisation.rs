//! Signing in with the organisation's own identity provider: choosing the organisation, going
//! to its provider, and coming back. The session's cookies are strict same-site, so coming back
//! from the provider (a navigation another site started) answers with a page that moves on to
//! `/app` itself: that next request is same-site and carries them.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use fourthp_domain::ids::AgencyId;
use serde::Deserialize;

use super::account::SignInPage;
use super::{page_cookie, render, Chrome, FieldError, PageError, CSRF_COOKIE};
use crate::app::{self, AppError};
use crate::auth::SESSION_COOKIE;
use crate::problem::Problem;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "sign_in_organisation.html")]
struct OrganisationsPage {
    chrome: Chrome,
    organisations: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

#[derive(Template)]
#[template(path = "signed_in.html")]
struct SignedInPage;

/// The organisations whose people sign in with their own accounts.
pub async fn organisations(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let organisations = app::organisation::organisations(&state).await?.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
    Ok(render(StatusCode::OK, &OrganisationsPage { chrome: Chrome::anonymous(), organisations, errors: Vec::new() }))
}

/// Sends the person to their organisation's provider.
pub async fn go(state: web::Data<AppState>, agency: web::Path<String>) -> Result<HttpResponse, PageError> {
    let agency = AgencyId::parse(&agency).map_err(|_| PageError::Problem(Problem::not_found()))?;
    let to = app::organisation::begin(&state, agency).await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, to)).insert_header((header::CACHE_CONTROL, "no-store")).finish())
}

#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    /// The provider's refusal (`access_denied`, ...), instead of a code.
    #[serde(default)]
    error: String,
}

/// The provider sends the person back: signed in, or the sign-in page saying it did not work.
pub async fn callback(req: HttpRequest, state: web::Data<AppState>, q: web::Query<Callback>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let refused = |p: Problem| {
        let errors = vec![FieldError::new("email", format!("Signing in with your organisation did not work. {}", p.detail))];
        render(p.status, &SignInPage { chrome: Chrome::anonymous(), email: String::new(), errors, notice: None })
    };
    if !q.error.is_empty() || q.code.is_empty() || q.state.is_empty() {
        return Ok(refused(Problem::from(AppError::SignInRefused)));
    }
    match app::organisation::finish(&crate::auth::origin(&req), &state, &q.state, &q.code).await {
        Ok(signed_in) => {
            let seconds = state.accounts.session_absolute.num_seconds();
            let mut res = render(StatusCode::OK, &SignedInPage);
            for cookie in
                [page_cookie(SESSION_COOKIE, signed_in.session_id, seconds), page_cookie(CSRF_COOKIE, signed_in.csrf_token, seconds)]
            {
                res.add_cookie(&cookie).map_err(|_| PageError::Problem(Problem::internal()))?;
            }
            res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Err(e @ (AppError::SignInRefused | AppError::TooManyAttempts { .. })) => Ok(refused(Problem::from(e))),
        Err(e) => Err(e.into()),
    }
}
