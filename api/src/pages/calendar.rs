//! The calendar feed a person subscribes to: `/calendar/{token}.ics` (RFC 5545), read as its
//! owner; a revoked feed or a deactivated account answers 404.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::PageError;
use crate::app::notifications;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::state::AppState;

pub async fn feed(req: HttpRequest, state: web::Data<AppState>, file: web::Path<String>) -> Result<HttpResponse, PageError> {
    let token = file.strip_suffix(".ics").unwrap_or_default();
    let Some(owner) = notifications::feed_owner(&state, token).await? else { return Err(PageError::Problem(Problem::not_found())) };
    let caller = Caller::for_link(&req, owner, state.clock.now());
    let body = notifications::feed(&caller, &state, &state.rules.book).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, max-age=900"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body))
}
