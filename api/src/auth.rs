//! The `Caller` extractor: who sent a request (from its bearer token or its session cookie),
//! with the request's audit context and access ledger. The principal is built once, from
//! whichever credential came; with a cookie, every state-changing request must also carry the
//! session's CSRF token (`X-CSRF-Token`) and a same-origin `Origin`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::Utc;
use fourthp_domain::audit::AuditContext;
use fourthp_domain::ids::UserId;
use fourthp_domain::principal::Principal;
use futures_util::future::LocalBoxFuture;

use crate::access_ledger::SharedLedger;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;
use crate::token::{AuthError, Bearer};

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        let challenge = match e {
            AuthError::Missing => "Bearer realm=\"fourthp\"".to_owned(),
            _ => format!("Bearer realm=\"fourthp\", error=\"invalid_token\", error_description=\"{e}\""),
        };
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", e.to_string())
            .with_header(header::WWW_AUTHENTICATE, challenge)
    }
}

fn bearer(req: &HttpRequest) -> Result<&str, AuthError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Malformed);
    }
    Ok(token.trim())
}

/// The authenticated caller of a request, with what the audit trail needs to know about it,
/// and the request's access ledger (what it read of which case), written to the trail by the
/// outer middleware once the response is known ([`crate::access_ledger`]).
pub struct Caller {
    /// Who, from where, in which request, when.
    pub ctx: AuditContext,
    /// The account, when the caller signed in with one (a session).
    pub user: Option<UserId>,
    /// The session's handle, when the request came with a session cookie.
    pub session: Option<uuid::Uuid>,
    /// How the account's person is shown ("Sam Jones"), when the caller has an account.
    pub display_name: Option<String>,
    ledger: SharedLedger,
}

/// The session cookie: `__Host-` so that it is only ever set by this origin, over HTTPS, for `/`.
pub const SESSION_COOKIE: &str = "__Host-fourthp_session";

/// The CSRF token a page's form carried in its `csrf_token` field: put on the request by the
/// pages' form extractor before the caller is authenticated, and checked like `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct FormCsrfToken(pub String);

impl Caller {
    /// A caller outside any HTTP request: the command line, acting as `ctx.principal`. Its ledger
    /// is its own (no request to write it after): such a caller reads no case data.
    pub fn local(ctx: AuditContext) -> Self {
        Caller { ctx, user: None, session: None, display_name: None, ledger: SharedLedger::default() }
    }

    /// A caller who holds an emailed link: `principal` is the link's agency, named for the link's
    /// recipient. What it reads and is refused is recorded like a signed-in caller's.
    pub fn for_link(req: &HttpRequest, principal: Principal, at: chrono::DateTime<Utc>) -> Self {
        Self::of_request(req, principal, at, None, None, None)
    }

    /// The caller of `req`, its access ledger put on the request for the middleware to record.
    fn of_request(
        req: &HttpRequest,
        principal: Principal,
        at: chrono::DateTime<Utc>,
        user: Option<UserId>,
        session: Option<uuid::Uuid>,
        display_name: Option<String>,
    ) -> Self {
        let ctx = context_for(req, principal, at);
        let ledger = SharedLedger::default();
        if let Ok(mut l) = ledger.lock() {
            l.ctx = Some(ctx.clone());
        }
        req.extensions_mut().insert(ledger.clone());
        Caller { ctx, user, session, display_name, ledger }
    }

    pub fn principal(&self) -> &Principal {
        &self.ctx.principal
    }

    /// Notes a read of a case's data: recorded if the response shows it (a 2xx).
    pub fn log_read(&self, entry: fourthp_domain::audit::AuditEntry) {
        self.ledger.lock().map(|mut l| l.reads.push(entry)).unwrap_or(());
    }

    /// Notes the case a refusal concerns (one the caller may not see, or that does not exist):
    /// a 403 or 404 response is then recorded as a denied attempt at it.
    pub fn attempted(&self, case: fourthp_domain::ids::CaseId) {
        self.ledger.lock().map(|mut l| l.case = Some(case)).unwrap_or(());
    }

    /// Notes that the caller may see `case`: a 404 after this is a missing child of a case the
    /// caller sees, recorded as a failed lookup rather than a refusal.
    pub fn allowed(&self, case: fourthp_domain::ids::CaseId) {
        self.ledger
            .lock()
            .map(|mut l| {
                l.case = Some(case);
                l.case_visible = true;
            })
            .unwrap_or(());
    }

    /// Notes the cases a list showed: one read per case (however many of its rows were shown),
    /// the list operation as its purpose.
    pub fn listed(&self, cases: impl IntoIterator<Item = fourthp_domain::ids::CaseId>, purpose: fourthp_domain::audit::Purpose) {
        let mut seen = std::collections::HashSet::new();
        if let Ok(mut l) = self.ledger.lock() {
            for case in cases.into_iter().filter(|c| seen.insert(*c)) {
                l.reads.push(fourthp_domain::audit::AuditEntry::listed(case, purpose));
            }
        }
    }

    /// The record the use case works on: a refusal is recorded against it, whatever the route.
    pub fn concerns(&self, entity: fourthp_domain::audit::EntityType, id: uuid::Uuid) {
        self.ledger.lock().map(|mut l| l.entity = Some((entity, id))).unwrap_or(());
    }

    /// The object asked for under the case exists, but not for the caller there (a child of
    /// another case, or one the policy hides): a 404 after this is recorded as a refusal.
    pub fn refused_child(&self) {
        self.ledger.lock().map(|mut l| l.child_refused = true).unwrap_or(());
    }

    /// The handler has audited its own refusal (report pulls): the ledger adds none.
    pub fn refusal_recorded(&self) {
        self.ledger.lock().map(|mut l| l.refusal_recorded = true).unwrap_or(());
    }
}

impl FromRequest for Caller {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// The audit context of a request made by `principal` (who may have just proved who they are,
/// as at enrolment, without a token yet).
pub fn context_for(req: &HttpRequest, principal: Principal, at: chrono::DateTime<Utc>) -> AuditContext {
    AuditContext { principal, request_id: request_id(req), client_address: client_address(req), at }
}

/// Where a request comes from, for a use case that has no caller yet (signing in, enrolling).
pub fn origin(req: &HttpRequest) -> crate::app::Origin {
    crate::app::Origin {
        request_id: request_id(req),
        client_address: client_address(req),
        user_agent: req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    }
}

/// The id of the request (set by the outer middleware).
pub fn request_id(req: &HttpRequest) -> String {
    req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default()
}

/// The address the request came from, as the audit trail and the sign-in throttle see it: the
/// peer, or behind a trusted reverse proxy the client its `X-Forwarded-For` names.
pub fn client_address(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = match req.app_data::<actix_web::web::Data<crate::state::AppState>>() {
        Some(state) => state.proxies.client(peer, forwarded),
        None => peer,
    };
    Some(client.to_string())
}

fn csrf_refused(detail: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "csrf", "Forbidden", detail.to_owned())
}

/// Whether the request's `Origin` is this service: its public URL, or the host it was sent to.
pub fn same_origin(req: &HttpRequest, public_url: &str) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return false };
    let info = req.connection_info();
    let here = format!("{}://{}", info.scheme(), info.host());
    origin == public_url || origin == here || origin == format!("https://{}", info.host())
}

async fn authenticate(req: &HttpRequest) -> Result<Caller, Problem> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(Problem::internal)?;
    let now = state.clock.now();
    let cookie = req.cookie(SESSION_COOKIE).filter(|c| !c.value().is_empty());
    let (principal, user, session, display_name) = match (req.headers().contains_key(header::AUTHORIZATION), cookie) {
        (false, Some(cookie)) => {
            let hash = crate::credentials::token_hash(cookie.value());
            let live = fourthp_persistence::sessions::live(&state.db, &hash, now, state.accounts.session_idle).await?.ok_or_else(|| {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", "The session has ended: sign in again.")
            })?;
            if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
                let form = req.extensions().get::<FormCsrfToken>().map(|t| t.0.clone());
                let header = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let sent = header.or(form).unwrap_or_default();
                if !crate::credentials::same(&crate::credentials::token_hash(&sent), &live.csrf_hash) {
                    return Err(csrf_refused("A change made in a session needs the session's X-CSRF-Token."));
                }
                if !same_origin(req, &state.accounts.public_url) {
                    return Err(csrf_refused("A change made in a session must come from this service's own pages."));
                }
            }
            // The principal comes from the account as it is now: a new role applies at once.
            let principal = live.user.principal().map_err(|_| Problem::internal())?;
            (principal, Some(live.user.id), Some(live.handle), Some(live.user.display_name.as_str().to_owned()))
        }
        _ => {
            let verified = state.verifier.verify(bearer(req)?, now)?;
            if verified.jti.is_some_and(|jti| state.revoked.contains(&jti)) {
                return Err(Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", "The token has been revoked.")
                    .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"fourthp\", error=\"invalid_token\""));
            }
            match verified.bearer {
                Bearer::Minted(principal) => (principal, None, None, None),
                Bearer::Person { sub, email } => {
                    // As with a session: the principal is the account as it is now.
                    let user =
                        fourthp_persistence::users::for_identity(&state.db, &sub, email.as_deref()).await?.ok_or(AuthError::NoAccount)?;
                    let name = Some(user.display_name.as_str().to_owned());
                    (user.principal().map_err(|_| Problem::internal())?, Some(user.id), None, name)
                }
            }
        }
    };
    Ok(Caller::of_request(req, principal, now, user, session, display_name))
}
