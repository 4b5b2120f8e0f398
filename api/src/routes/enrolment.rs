//! `POST /api/v1/auth/enrolments/{token}`: a person sets their password, then confirms their
//! authenticator with its first code. No password ever crosses another channel.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use fourthp_domain::account::NewPassword;
use fourthp_persistence::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::context_for;
use crate::credentials::{self, recovery, totp};
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
    Ok(match enrol_step(&req, &state, &token, step).await? {
        Outcome::Secrets(secrets) => HttpResponse::Ok().json(secrets),
        Outcome::Enrolled(done) => HttpResponse::Created().json(done),
    })
}

/// One step of enrolment.
pub enum Step {
    Password(String),
    Totp(String),
}

/// What a step gives.
pub enum Outcome {
    Secrets(EnrolmentSecretsResponse),
    Enrolled(EnrolledResponse),
}

/// Takes one step of enrolment through the link whose token is `token` (the API and the
/// enrolment pages).
pub async fn enrol_step(req: &HttpRequest, state: &AppState, token: &str, step: Step) -> Result<Outcome, Problem> {
    let token_hash = credentials::token_hash(token);
    let now = state.clock.now();
    let enrolment = users::enrolment(&state.db, &token_hash, now).await?.ok_or_else(Problem::not_found)?;
    let user = enrolment.user;
    match step {
        Step::Password(password) => {
            let password = NewPassword::parse(&password, &user.email)
                .map_err(|e| field_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation", "password", &e.to_string()))?;
            let pepper = state.accounts.pepper.clone();
            // Argon2id takes tens of milliseconds of CPU: off the request worker.
            let hash = actix_web::rt::task::spawn_blocking(move || credentials::hash_password(password.expose(), pepper.as_deref()))
                .await
                .map_err(|_| Problem::internal())?
                .map_err(|_| Problem::internal())?;
            let secret = totp::new_secret().map_err(|_| Problem::internal())?;
            let codes: Vec<String> =
                (0..recovery::COUNT).map(|_| recovery::new_code()).collect::<Result<_, _>>().map_err(|_| Problem::internal())?;
            let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery::hash(c)).collect();
            if !users::set_pending(&state.db, &token_hash, &hash, &secret, &hashes).await? {
                return Err(Problem::not_found());
            }
            Ok(Outcome::Secrets(EnrolmentSecretsResponse {
                totp_secret: totp::base32(&secret),
                otpauth_uri: totp::uri(&state.accounts.issuer, user.email.as_str(), &secret),
                recovery_codes: codes,
            }))
        }
        Step::Totp(code) => {
            let Some((_, secret)) = enrolment.pending else {
                return Err(Problem::conflict("password-first", "Set a password through this link before confirming a code."));
            };
            let step = totp::verify(&secret, &code, now.timestamp(), None).ok_or_else(|| {
                field_problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "totp",
                    "does not match: check the authenticator app was set up with this link's secret and the device's clock",
                )
            })?;
            let principal = user.principal().map_err(|_| Problem::internal())?;
            let ctx = context_for(req, principal, now);
            if !users::complete(&state.db, &ctx, &token_hash, user.id, step).await? {
                return Err(Problem::not_found());
            }
            Ok(Outcome::Enrolled(EnrolledResponse { enrolled: true, email: user.email.to_string() }))
        }
    }
}
