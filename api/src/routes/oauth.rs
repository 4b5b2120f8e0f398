//! `POST /oauth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4) for partner systems. The
//! client authenticates with HTTP Basic (§2.3.1) and gets a JWT of at most 15 minutes, signed
//! with the service's key and carrying a `jti` and its `client_id`. Errors are RFC 6749 §5.2's
//! (`{"error", "error_description"}`), as OAuth clients expect, not problem documents.

use actix_web::http::{header, StatusCode};
use actix_web::{post, web, HttpRequest, HttpResponse};
use base64::Engine;
use fourthp_domain::ids::ApiClientId;
use fourthp_persistence::api_clients;
use fourthp_persistence::audit::SystemAgent;
use fourthp_persistence::tokens::{IssuedToken, TokenKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{context_for, request_id};
use crate::credentials;
use crate::state::AppState;

/// How long a client-credentials token lives.
pub const TOKEN_MINUTES: i64 = 15;

/// The form a client posts (`application/x-www-form-urlencoded`), authenticating with HTTP Basic.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Always `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: String,
    /// Not used: a client's role and agency are set when it is registered. Absent or empty.
    pub scope: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT: send it as `Authorization: Bearer ...`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until it expires (900).
    #[schema(example = 900)]
    pub expires_in: i64,
}

/// An RFC 6749 §5.2 error.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorResponse {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    #[schema(example = "invalid_client")]
    pub error: &'static str,
    pub error_description: String,
}

/// What went wrong, as RFC 6749 §5.2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OAuthError {
    InvalidRequest(&'static str),
    InvalidClient(&'static str),
    UnsupportedGrantType,
    InvalidScope,
    Internal,
}

impl OAuthError {
    fn respond(self) -> HttpResponse {
        let (status, error, description) = match self {
            OAuthError::InvalidRequest(d) => (StatusCode::BAD_REQUEST, "invalid_request", d),
            OAuthError::InvalidClient(d) => (StatusCode::UNAUTHORIZED, "invalid_client", d),
            OAuthError::UnsupportedGrantType => {
                (StatusCode::BAD_REQUEST, "unsupported_grant_type", "the only grant type offered is client_credentials")
            }
            OAuthError::InvalidScope => (StatusCode::BAD_REQUEST, "invalid_scope", "scopes are not used: leave scope out"),
            OAuthError::Internal => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again shortly"),
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"fourthp\", charset=\"UTF-8\""));
        }
        let mut res = res.json(OAuthErrorResponse { error, error_description: description.to_owned() });
        res.extensions_mut().insert(crate::middleware::StandardErrorFormat);
        res
    }
}

/// The form's parameters, each at most once (RFC 6749 §3.2).
fn form(req: &HttpRequest, body: &[u8]) -> Result<(Option<String>, Option<String>), OAuthError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::InvalidRequest("send the parameters as application/x-www-form-urlencoded"));
    }
    let (mut grant_type, mut scope) = (None, None);
    for (name, value) in form_urlencoded::parse(body) {
        if value.chars().any(char::is_control) {
            return Err(OAuthError::InvalidRequest("a parameter holds a control character"));
        }
        let slot = match name.as_ref() {
            "grant_type" => &mut grant_type,
            "scope" => &mut scope,
            "client_id" | "client_secret" => return Err(OAuthError::InvalidClient("authenticate with HTTP Basic, not in the body")),
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(OAuthError::InvalidRequest("a parameter is repeated"));
        }
    }
    Ok((grant_type, scope))
}

/// The client's id and secret from HTTP Basic (each form-encoded, RFC 6749 §2.3.1).
fn basic(req: &HttpRequest) -> Result<(String, String), OAuthError> {
    let missing = OAuthError::InvalidClient("authenticate with HTTP Basic: the client_id and client_secret");
    let value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or(missing)?;
    let (scheme, encoded) = value.split_once(' ').ok_or(missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(missing);
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| missing)?;
    let decoded = String::from_utf8(decoded).map_err(|_| missing)?;
    let (id, secret) = decoded.split_once(':').ok_or(missing)?;
    let unescape = |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default();
    Ok((unescape(id), unescape(secret)))
}

/// Exchange a partner system's credentials for a token (OAuth 2.0 client credentials). The
/// client authenticates with HTTP Basic (`client_id:client_secret`); the token lives 15 minutes
/// and is refused at once if the client is revoked.
#[utoipa::path(
    tag = "accounts",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token", body = TokenResponse, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthErrorResponse),
        (status = 401, description = "invalid_client: unknown or revoked client, or wrong secret", body = OAuthErrorResponse, headers(("WWW-Authenticate" = String)))
    ),
    security(("client_basic" = []))
)]
#[post("/oauth/token")]
pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    match issue(&req, &state, &body).await {
        Ok(res) => res,
        Err(e) => e.respond(),
    }
}

async fn issue(req: &HttpRequest, state: &AppState, body: &[u8]) -> Result<HttpResponse, OAuthError> {
    let now = state.clock.now();
    let (grant_type, scope) = form(req, body)?;
    let (id, secret) = basic(req)?;
    let agent = SystemAgent { sub: "fourthp-oauth".to_owned(), request_id: request_id(req), at: now };
    let client_id = ApiClientId::parse(&id).ok();
    let found = match client_id {
        Some(id) => api_clients::for_authentication(&state.db, id).await.map_err(|_| OAuthError::Internal)?,
        None => None,
    };
    let client = match found {
        Some((client, hash)) if credentials::same(&credentials::token_hash(&secret), &hash) => client,
        _ => {
            api_clients::record_failure(&state.db, &agent, client_id).await.map_err(|_| OAuthError::Internal)?;
            return Err(OAuthError::InvalidClient("the client is unknown or revoked, or the secret is wrong"));
        }
    };
    match grant_type.as_deref() {
        None => return Err(OAuthError::InvalidRequest("grant_type is required")),
        Some("client_credentials") => {}
        Some(_) => return Err(OAuthError::UnsupportedGrantType),
    }
    if scope.is_some_and(|s| !s.trim().is_empty()) {
        return Err(OAuthError::InvalidScope);
    }
    let principal = client.principal().map_err(|_| OAuthError::Internal)?;
    let ttl = chrono::Duration::minutes(TOKEN_MINUTES);
    let (access_token, jti) =
        state.minter.issue_to_client(&principal, client.id.into_uuid(), now, ttl).map_err(|_| OAuthError::Internal)?;
    let ctx = context_for(req, principal, now);
    let issued =
        IssuedToken { jti, kind: TokenKind::ClientCredentials, subject: ctx.principal.subject.as_str().to_owned(), expires_at: now + ttl };
    if !api_clients::record_token(&state.db, &ctx, client.id, &issued).await.map_err(|_| OAuthError::Internal)? {
        return Err(OAuthError::InvalidClient("the client is unknown or revoked, or the secret is wrong"));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse { access_token, token_type: "Bearer", expires_in: ttl.num_seconds() }))
}
