//! The use cases: one home for each command and query, whichever adapter calls it (the JSON
//! routes, the HTML pages, the command line, and the email links to come). A use case takes the
//! caller (who, from where, and the request's access ledger), the service's state and its own
//! input in domain types; it asks the access policy, reads or writes through `persistence`
//! (its audit record in the same transaction), notes what it read, and returns its own result
//! or an [`AppError`]. No use case takes or returns an adapter's type: no HTTP request, JSON
//! body, form, `Problem` or response.
//!
//! The adapters map [`AppError`] once: `routes` to an RFC 9457 problem (`impl From<AppError>
//! for Problem`), `pages` to the form's errors or an error page.
//!
//! Adding one: README, "Adding a use case". What stays outside: the OAuth token exchange
//! (`routes/oauth.rs`, with OAuth's own errors) and the service's health and metrics
//! (`routes/ops.rs`).

pub mod access;
pub mod actions;
pub mod agencies;
pub mod api_clients;
pub mod audit;
pub mod cases;
pub mod challenges;
pub mod deadlines;
pub mod digest;
pub mod enrolment;
pub mod events;
pub mod exports;
pub mod forum;
pub mod imports;
pub mod inbox;
pub mod interventions;
pub mod meetings;
pub mod needs;
pub mod notifications;
pub mod organisation;
pub mod outcomes;
pub mod reports;
pub mod sessions;
pub mod subject_access;
pub mod team;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod worklists;

use fourthp_domain::access::Denial;
use fourthp_domain::audit::EntityType;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::CaseId;
use fourthp_persistence::StoreError;

/// Why a use case did not do what was asked, in the use case's terms.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input breaks the domain's rules, field by field.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The caller's role may never do this (a 403).
    #[error("not allowed")]
    Forbidden,
    /// There is no such thing, or the caller may not know there is (a 404).
    #[error("not found")]
    NotFound,
    /// The thing is not in a state that allows this: `kind` says which conflict, `message` says
    /// it to a person, `rule` names a lifecycle rule broken, `errors` the fields at fault.
    #[error("{message}")]
    Conflict { kind: &'static str, message: String, rule: Option<&'static str>, errors: FieldErrors },
    /// The request cannot be done as it stands for a reason no single field holds (a 422):
    /// `kind` and `title` name it, `message` says what to do.
    #[error("{message}")]
    Rejected { kind: &'static str, title: &'static str, message: String },
    /// A sign-in refused, whatever was wrong (a 401 that says no more).
    #[error("sign-in refused")]
    SignInRefused,
    /// Too many failed attempts from here: wait this long (a 429).
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: i64 },
    /// A protected report its rules refuse (whole months; a population too small to publish).
    #[error(transparent)]
    ReportRefused(fourthp_domain::report::ProtectedReportRefusal),
    /// A part the use case needs is not usable now (a reporting replica too far behind): retry
    /// after this long (a 503).
    #[error("{message}")]
    Unavailable { kind: &'static str, message: String, retry_after_secs: u32 },
    /// The thing changed since the caller read it.
    #[error("changed since read")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// A conflict with no rule or field to name.
    pub fn conflict(kind: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict { kind, message: message.into(), rule: None, errors: FieldErrors::new() }
    }

    /// One field at fault.
    pub fn invalid(field: &str, message: &str) -> Self {
        let mut errs = FieldErrors::new();
        errs.push(field, message);
        AppError::Invalid(errs)
    }
}

/// Where a request without a caller yet (signing in, enrolling) came from, as the adapter knows
/// it: for the audit trail and the sign-in throttle.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub request_id: String,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// The audit context of `principal` acting from here at `at`.
    pub fn context(
        &self,
        principal: fourthp_domain::principal::Principal,
        at: chrono::DateTime<chrono::Utc>,
    ) -> fourthp_domain::audit::AuditContext {
        fourthp_domain::audit::AuditContext {
            principal,
            request_id: self.request_id.clone(),
            client_address: self.client_address.clone(),
            at,
        }
    }
}

/// Refuses anyone but an administrator.
pub fn admin_only(caller: &crate::auth::Caller) -> Result<(), AppError> {
    if caller.principal().role == fourthp_domain::principal::Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

impl From<Denial> for AppError {
    fn from(d: Denial) -> Self {
        match d {
            Denial::Hidden => AppError::NotFound,
            Denial::Forbidden => AppError::Forbidden,
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

/// The answer to a child record of `kind` asked for under `case` and not found there: a
/// refusal on the trail when it belongs to another case, a failed lookup when it is nowhere.
/// Either way the caller learns only that it is not there.
pub async fn child_not_under(
    caller: &crate::auth::Caller,
    state: &crate::state::AppState,
    case: CaseId,
    kind: EntityType,
    id: uuid::Uuid,
) -> AppError {
    match fourthp_persistence::children::case_of(&state.db, kind, id).await {
        Ok(Some(other)) if other != case => {
            caller.refused_child();
            AppError::NotFound
        }
        Ok(_) => AppError::NotFound,
        Err(e) => AppError::Store(e),
    }
}
