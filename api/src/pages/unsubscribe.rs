//! Turning the digest off from the email: the `List-Unsubscribe` address (RFC 8058). A GET shows
//! a button and changes nothing; the POST (the mail client's one-click, or the button) acts.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{render, Chrome, PageError};
use crate::app::digest::{self, Unsubscriber};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    chrome: Chrome,
    title: &'static str,
    valid: bool,
    done: bool,
    person: bool,
    action: String,
}

type Parts = web::Path<(String, String, String)>;

fn page(who: Option<Unsubscriber>, done: bool, action: String) -> HttpResponse {
    let (status, title) = match (who, done) {
        (None, _) => (StatusCode::NOT_FOUND, "This link does not work"),
        (Some(_), true) => (StatusCode::OK, "You will not get these emails"),
        (Some(_), false) => (StatusCode::OK, "Stop the daily email"),
    };
    let body = UnsubscribePage {
        chrome: Chrome::anonymous(),
        title,
        valid: who.is_some(),
        done,
        person: matches!(who, Some(Unsubscriber::User(_))),
        action,
    };
    render(status, &body)
}

/// The link's page: a button, nothing more.
pub async fn confirm(req: HttpRequest, state: web::Data<AppState>, parts: Parts) -> HttpResponse {
    let (kind, id, code) = parts.into_inner();
    page(digest::unsubscriber(&state.notifier, &kind, &id, &code), false, req.path().to_owned())
}

/// One click: the digest is off for the link's recipient.
pub async fn unsubscribe(req: HttpRequest, state: web::Data<AppState>, parts: Parts) -> Result<HttpResponse, PageError> {
    let (kind, id, code) = parts.into_inner();
    let Some(who) = digest::unsubscriber(&state.notifier, &kind, &id, &code) else { return Ok(page(None, false, String::new())) };
    let done = digest::unsubscribe(&state, &crate::auth::origin(&req), who).await?;
    Ok(page(done.then_some(who), done, String::new()))
}
