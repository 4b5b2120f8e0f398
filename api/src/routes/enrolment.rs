//! `POST /api/v1/auth/enrolments/{token}`: a person sets their password, then confirms their
//! authenticator with its first code. No password ever crosses another channel.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::{
    self,
    enrolment::{Outcome, Step},
};
use crate::extract::ApiJson;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;

/// One step of enrolment: first `password`, then `totp` (a code from the authenticator app set
/// up with the secret the first step returned). Exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    /// At least 12 characters; not one of the most common passwords. No other rules.
    pub password: Option<String>,
    /// Six digits from the authenticator app.
    #[schema(example = "123456")]
    pub totp: Option<String>,
}

/// What the person needs to finish enrolling, shown once: the TOTP secret (RFC 6238: SHA-1, six
/// digits, 30 s), its `otpauth://` URI for the app, and ten single-use recovery codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentSecretsResponse {
    /// Base32, for typing into an authenticator app.
    pub totp_secret: String,
    pub otpauth_uri: String,
    /// Each signs in once in place of a TOTP code; keep them somewhere safe.
    pub recovery_codes: Vec<String>,
}

/// Enrolment is complete: the person can sign in.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolledResponse {
    pub enrolled: bool,
    pub email: String,
}

fn field_problem(status: StatusCode, kind: &'static str, field: &str, message: &str) -> Problem {
    let mut p = Problem::new(status, kind, "Invalid request", "One or more fields are invalid.");
    p.errors.push(FieldProblem { field: field.to_owned(), message: message.to_owned() });
    p
}

/// Set a password, then confirm the second factor, through an enrolment link. The link stays
/// usable until the first TOTP code confirms it (or it expires after 72 hours); setting the
/// password again replaces the secrets of the first attempt. An unknown, used or expired link
/// is 404.
#[utoipa::path(
    tag = "accounts",
    params(("token" = String, Path, description = "The token at the end of the enrolment link")),
    request_body = EnrolmentRequest,
    responses(
        (status = 200, description = "After the password: the secrets to set up the authenticator. After the code: enrolled.",
            body = EnrolmentSecretsResponse),
        (status = 201, description = "Enrolment complete", body = EnrolledResponse),
        crate::problem::UpdateProblems
    ),
    security(())
)]
#[post("/auth/enrolments/{token}")]
pub async fn enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: ApiJson<EnrolmentRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let step = match (b.password, b.totp) {
        (Some(password), None) => Step::Password(password),
        (None, Some(code)) => Step::Totp(code),
        _ => return Err(field_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation", "body", "send exactly one of password and totp")),
    };
    Ok(match app::enrolment::step(&crate::auth::origin(&req), &state, &token, step).await? {
        Outcome::Secrets(s) => HttpResponse::Ok().json(EnrolmentSecretsResponse {
            totp_secret: s.totp_secret,
            otpauth_uri: s.otpauth_uri,
            recovery_codes: s.recovery_codes,
        }),
        Outcome::Enrolled(email) => HttpResponse::Created().json(EnrolledResponse { enrolled: true, email }),
    })
}
