//! RFC 9457 problem responses: the one way any error leaves the service.
//!
//! Bodies carry a stable `type`, a human `title` and `detail` written here (never database or
//! library text, never personal data), the request's `instance`, and for validation the list of
//! fields at fault, named as on the wire.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use fourthp_domain::access::Denial;
use fourthp_domain::error::FieldErrors;
use fourthp_persistence::StoreError;
use serde::Serialize;
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
use utoipa::ToSchema;

tokio::task_local! {
    /// The id of the request being served, for `instance` (set by the outer middleware).
    pub static REQUEST_ID: String;
}

/// The id of the current request, in request extensions (set by [`crate::middleware`]).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field at fault.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field as named on the wire: dotted for nested objects, `[i]` for list items.
    #[schema(example = "consent.nrm")]
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// A URI identifying the kind of problem (`urn:fourthp:problem:<kind>`).
    #[serde(rename = "type")]
    #[schema(example = "urn:fourthp:problem:validation")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Identifies this occurrence: `urn:fourthp:request:<X-Request-Id>`.
    pub instance: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a lifecycle conflict: the rule the request would break.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "cg_requires_positive_rg")]
    pub rule: Option<String>,
}

/// An error on its way to becoming a problem response (boxed: errors travel through many
/// `Result`s and should stay small).
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemParts>);

#[derive(Debug, Clone)]
pub struct ProblemParts {
    pub status: StatusCode,
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    pub headers: Vec<(HeaderName, String)>,
    /// The id of the request being served when the problem arose.
    pub request_id: String,
    pub rule: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        let request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
        Self(Box::new(ProblemParts {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            request_id,
            rule: None,
        }))
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid request", "One or more fields are invalid.");
        p.errors = errors.iter().map(|e| FieldProblem { field: e.field.clone(), message: e.message.clone() }).collect();
        p
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let mut p = Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request", "The request could not be read.");
        p.errors.push(FieldProblem { field: field.to_owned(), message: message.into() });
        p
    }

    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", "There is no such resource, or you may not see it.")
    }

    pub fn forbidden() -> Self {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", "Your role may not do this.")
    }

    pub fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, kind, "Conflict", detail)
    }

    pub fn precondition_failed() -> Self {
        Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            "Precondition failed",
            "The resource has changed since you read it: read it again and reapply your change.",
        )
    }

    pub fn precondition_required() -> Self {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if-match-required",
            "Precondition required",
            "Send the ETag you read in an If-Match header, so that concurrent changes are not lost.",
        )
    }

    pub fn unavailable() -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "The database cannot be reached. Nothing was changed; try again shortly.",
        )
        .with_header(header::RETRY_AFTER, "5")
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side. Nothing was changed.",
        )
    }

    /// A problem for a bare status (unknown route, wrong method...).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Problem::not_found(),
            StatusCode::SERVICE_UNAVAILABLE => Problem::unavailable(),
            s if s.is_server_error() => Problem::internal(),
            s => Problem::new(s, "http", s.canonical_reason().unwrap_or("Error"), s.canonical_reason().unwrap_or("Error")),
        }
    }

    pub fn body(&self) -> ProblemBody {
        ProblemBody {
            kind: format!("urn:fourthp:problem:{}", self.kind),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            instance: format!("urn:fourthp:request:{}", self.request_id),
            errors: self.errors.clone(),
            rule: self.rule.clone(),
        }
    }
}

impl std::ops::Deref for Problem {
    type Target = ProblemParts;

    fn deref(&self) -> &ProblemParts {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemParts {
        &mut self.0
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.kind)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                res.insert_header((name.clone(), v));
            }
        }
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        res.body(body)
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable => {
                tracing::warn!("database unavailable");
                Problem::unavailable()
            }
            StoreError::Internal { what } => {
                tracing::error!(%what, "storage failure");
                Problem::internal()
            }
        }
    }
}

impl From<Denial> for Problem {
    fn from(d: Denial) -> Self {
        match d {
            Denial::Hidden => Problem::not_found(),
            Denial::Forbidden => Problem::forbidden(),
        }
    }
}

/// A use case's error as the API answers it: the one mapping of [`crate::app::AppError`].
impl From<crate::app::AppError> for Problem {
    fn from(e: crate::app::AppError) -> Self {
        use crate::app::AppError;
        match e {
            AppError::Invalid(errs) => Problem::validation(errs),
            AppError::Forbidden => Problem::forbidden(),
            AppError::NotFound => Problem::not_found(),
            AppError::Conflict { kind, message, rule, errors } => {
                let mut p = Problem::conflict(kind, message);
                p.rule = rule.map(str::to_owned);
                p.errors = errors.iter().map(|e| FieldProblem { field: e.field.clone(), message: e.message.clone() }).collect();
                p
            }
            AppError::Rejected { kind, title, message } => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, kind, title, message),
            AppError::SignInRefused => Problem::new(
                StatusCode::UNAUTHORIZED,
                "sign-in-failed",
                "Sign-in failed",
                "The email, password or code is not right, or the account cannot sign in now.",
            ),
            AppError::TooManyAttempts { retry_after_secs } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-sign-ins",
                "Too many sign-ins",
                "Too many failed sign-ins from here: wait a few minutes.",
            )
            .with_header(header::RETRY_AFTER, retry_after_secs.to_string()),
            AppError::ReportRefused(fourthp_domain::report::ProtectedReportRefusal::WholeMonths(errs)) => {
                let mut p = Problem::validation(errs);
                p.rule = Some("whole_months".to_owned());
                p
            }
            AppError::ReportRefused(fourthp_domain::report::ProtectedReportRefusal::PopulationTooSmall) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "population-too-small",
                    "Scope too small to report",
                    "Too few people are in this report's scope to publish figures about them: widen the filters or the period.",
                );
                p.rule = Some("minimum_population".to_owned());
                p
            }
            AppError::Unavailable { kind, message, retry_after_secs } => {
                let mut p = Problem::unavailable();
                p.kind = kind;
                p.detail = message;
                p.with_header(header::RETRY_AFTER, retry_after_secs.to_string())
            }
            AppError::Stale => Problem::precondition_failed(),
            AppError::Store(s) => s.into(),
        }
    }
}

impl From<FieldErrors> for Problem {
    fn from(e: FieldErrors) -> Self {
        Problem::validation(e)
    }
}

/// Declares a set of problem responses for the OpenAPI document, by status.
macro_rules! problem_responses {
    ($(#[$meta:meta])* $name:ident: $($status:literal => $desc:literal),+ $(,)?) => {
        $(#[$meta])*
        pub struct $name;
        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                let mut map = BTreeMap::new();
                $( map.insert($status.to_string(), problem_response($desc)); )+
                map
            }
        }
    };
}

fn problem_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("Problem"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content(PROBLEM_JSON, content).build())
}

problem_responses!(
    /// Errors any authenticated read can return.
    ReadProblems:
    400 => "Malformed path id or query",
    401 => "Missing, malformed, expired or otherwise invalid bearer token (with `WWW-Authenticate: Bearer`)",
    403 => "The caller's role may not do this",
    404 => "No such resource, or one the caller may not see",
    503 => "The database is unreachable (with `Retry-After`)",
);

problem_responses!(
    /// Errors any creating request can return.
    CreateProblems:
    400 => "Malformed JSON or path id",
    401 => "Missing, malformed, expired or otherwise invalid bearer token (with `WWW-Authenticate: Bearer`)",
    403 => "The caller's role may not do this",
    404 => "No such parent resource, or one the caller may not see",
    409 => "Conflicts with existing data",
    413 => "The body is larger than the limit",
    415 => "The body is not JSON",
    422 => "Invalid fields (listed in `errors`)",
    503 => "The database is unreachable (with `Retry-After`)",
);

problem_responses!(
    /// Errors a conditional update can return.
    UpdateProblems:
    400 => "Malformed JSON or path id",
    401 => "Missing, malformed, expired or otherwise invalid bearer token (with `WWW-Authenticate: Bearer`)",
    403 => "The caller's role may not do this",
    404 => "No such resource, or one the caller may not see",
    409 => "Conflicts with existing data",
    412 => "The If-Match ETag is stale",
    413 => "The body is larger than the limit",
    415 => "The body is not JSON",
    422 => "Invalid fields (listed in `errors`)",
    428 => "If-Match is required",
    503 => "The database is unreachable (with `Retry-After`)",
);

problem_responses!(
    /// Errors of the operational endpoints.
    OpsProblems:
    503 => "Not ready: the database is unreachable or not migrated",
);

problem_responses!(
    /// Errors of `/metrics`.
    MetricsProblems:
    401 => "A metrics token is configured (`FOURTHP_METRICS_TOKEN`) and the request did not carry it as a bearer token",
);
