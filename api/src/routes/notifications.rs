//! `/api/v1/me/notifications` and `/api/v1/me/calendar-feed`: a signed-in person's daily email
//! and calendar feed.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use fourthp_domain::notify::DigestFrequency;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app;
use crate::app::notifications::Preferences;
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsResponse {
    /// How often the daily email of what is owed comes.
    pub digest: DigestFrequency,
    /// When the live calendar feed was made (its URL is shown only then); absent: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_feed_since: Option<DateTime<Utc>>,
    /// False when the service has no mail server: nothing is emailed.
    pub email_configured: bool,
}

impl From<Preferences> for NotificationsResponse {
    fn from(p: Preferences) -> Self {
        NotificationsResponse { digest: p.digest, calendar_feed_since: p.calendar_since, email_configured: p.mail_configured }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutNotificationsRequest {
    pub digest: DigestFrequency,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedResponse {
    /// The secret address to subscribe to (Outlook, Google Calendar): shown this once.
    pub url: String,
}

/// The caller's notification choices (people signed in with an account).
#[utoipa::path(
    tag = "notifications",
    responses((status = 200, description = "The choices", body = NotificationsResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/me/notifications")]
pub async fn get_notifications(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(NotificationsResponse::from(app::notifications::preferences(&caller, &state).await?)))
}

/// Choose how often the daily email comes: `daily`, `weekly` (the week's first working day) or `off`.
#[utoipa::path(
    tag = "notifications",
    request_body = PutNotificationsRequest,
    responses((status = 200, description = "The choices", body = NotificationsResponse), CreateProblems),
    security(("bearer" = []))
)]
#[put("/me/notifications")]
pub async fn put_notifications(
    caller: Caller,
    state: web::Data<AppState>,
    body: ApiJson<PutNotificationsRequest>,
) -> Result<HttpResponse, Problem> {
    let chosen = app::notifications::set_digest(&caller, &state, body.value.digest).await?;
    Ok(HttpResponse::Ok().json(NotificationsResponse::from(chosen)))
}

/// Make a calendar feed (coordinators and partners): a new secret URL; any earlier one stops.
#[utoipa::path(
    tag = "notifications",
    responses((status = 201, description = "Made", body = CalendarFeedResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/me/calendar-feed")]
pub async fn create_calendar_feed(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let url = app::notifications::new_calendar(&caller, &state).await?;
    Ok(HttpResponse::Created().json(CalendarFeedResponse { url }))
}

/// Revoke the calendar feed: its URL stops at once.
#[utoipa::path(
    tag = "notifications",
    responses((status = 204, description = "Revoked"), ReadProblems),
    security(("bearer" = []))
)]
#[delete("/me/calendar-feed")]
pub async fn revoke_calendar_feed(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    app::notifications::revoke_calendar(&caller, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}
