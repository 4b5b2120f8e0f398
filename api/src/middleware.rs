//! The outermost middleware: request ids, access logging, security headers, and the guarantee
//! that every error leaves as `application/problem+json`.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};

use crate::access_ledger::{records_for, SharedLedger};
use crate::problem::{Problem, RequestId, PROBLEM_JSON, REQUEST_ID};
use crate::state::{AppState, Limits};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Nothing may be loaded or framed by an API response.
pub const CSP_API: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// HTML (the offline Swagger UI): scripts, styles, images and fonts from this origin only, no
/// inline scripts, no framing. (Swagger UI sets inline styles, hence 'unsafe-inline' for styles.)
pub const CSP_HTML: &str =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
                            connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A caller's request id is kept if it is 1–64 characters of `A-Z a-z 0-9 . _ -`.
fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub async fn middleware(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let method = req.method().clone();
    let scoped_id = id.clone();
    let state = req.app_data::<actix_web::web::Data<AppState>>().cloned();
    // Loading a spreadsheet caseload writes every case through the API's own writers in one
    // transaction: it may take minutes, and is not abandoned at the usual limit.
    let timeout = if req.method() == actix_web::http::Method::POST && req.path().contains("/imports/") && req.path().ends_with("/load") {
        Limits::IMPORT_LOAD_TIMEOUT
    } else {
        state.as_ref().map_or(Limits::DEFAULT_REQUEST_TIMEOUT, |s| s.limits.request_timeout)
    };
    // (The request must not be cloned before routing, so an error that escapes the inner
    // services is turned into a problem here and rendered by actix.)
    let mut res = REQUEST_ID
        .scope(scoped_id, async move {
            match tokio::time::timeout(timeout, next.call(req)).await {
                Ok(Ok(res)) => Ok(ensure_problem(res.map_into_boxed_body())),
                Ok(Err(e)) => Err(Problem::from_status(e.as_response_error().status_code())),
                // Dropping the handler rolls its transaction back: nothing half-done is kept.
                Err(_) => {
                    tracing::warn!("request timed out");
                    let mut p = Problem::unavailable();
                    p.kind = "timeout";
                    p.detail = "The request took too long and was abandoned; nothing was changed. Try again shortly.".to_owned();
                    Err(p)
                }
            }
        })
        .await?;
    // What the request did with case data reaches the trail here, once the response is known.
    let ledger = res.request().extensions().get::<SharedLedger>().cloned();
    if let (Some(ledger), Some(state)) = (ledger, state) {
        if let Ok(l) = ledger.lock() {
            if let Some(ctx) = &l.ctx {
                for entry in records_for(res.request(), res.status(), &l) {
                    state.read_log.record(ctx, entry);
                }
            }
        }
    }
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(request_id = %id, %method, %route, status, elapsed_ms, "request");
    if let Some(state) = res.request().app_data::<actix_web::web::Data<AppState>>() {
        state.metrics.observe(method.as_str(), &route, status, elapsed_ms / 1000.0);
    }

    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(X_REQUEST_ID, v);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The pages say `same-origin`: with `no-referrer`, browsers send `Origin: null` on their
    // forms, and the origin check would refuse every one.
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    // A handler may set a stricter policy of its own (the report page: no scripts at all).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(if html { CSP_HTML } else { CSP_API }));
    }
    Ok(res)
}

/// Marks an error response whose format is fixed elsewhere — OAuth 2.0's token endpoint (RFC 6749
/// §5.2), the web pages' HTML — so it is left as it is rather than made a problem document.
#[derive(Debug, Clone, Copy)]
pub struct StandardErrorFormat;

/// Replaces any error response that is not already a problem document (actix's own 404, 405,
/// payload errors...) with one, keeping its status and `Allow` header.
fn ensure_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let is_problem = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    let standard = res.response().extensions().contains::<StandardErrorFormat>();
    if !(status.is_client_error() || status.is_server_error()) || is_problem || standard {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut replacement = Problem::from_status(status).error_response();
    if let Some(allow) = allow {
        replacement.headers_mut().insert(header::ALLOW, allow);
    }
    res.into_response(replacement)
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn request_ids() {
        assert!(acceptable("abc-123_X.y"));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable("<script>"));
        assert!(!acceptable(&"a".repeat(65)));
    }
}
