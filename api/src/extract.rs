//! Request extractors whose every failure is a problem response: JSON bodies, the
//! `Idempotency-Key` of a creating request and `If-Match` (query strings: [`crate::query`];
//! paths: [`crate::paths`]).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use fourthp_persistence::write::IdempotencyKey;

use crate::auth::Caller;
use crate::problem::{FieldProblem, Problem};
use crate::state::{AppState, Limits};

/// A JSON request body (`application/json`, or `application/merge-patch+json` for PATCH).
pub struct ApiJson<T> {
    /// The body, parsed.
    pub value: T,
    /// The body as sent (for the idempotency key's request hash).
    pub raw: web::Bytes,
}

fn too_large(limit: usize) -> Problem {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Payload too large", format!("Request bodies are limited to {limit} bytes."))
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<AppState>>().map_or(Limits::DEFAULT_BODY_BYTES, |s| s.limits.body_bytes);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .is_some_and(|mime| mime == "application/json" || mime == "application/merge-patch+json");
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "Send the body as application/json.",
                ));
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| Problem::bad_request("body", "the body could not be read"))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let body = body.freeze();
            parse_json(&body).map(|value| ApiJson { value, raw: body })
        })
    }
}

/// Parses JSON, naming the field at fault without echoing the value sent.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(path_problem)?;
    de.end().map_err(|_| Problem::bad_request("body", "unexpected data after the JSON value"))?;
    Ok(value)
}

/// Reads an already-parsed JSON value as `T`, naming the field at fault.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(path_problem)
}

fn path_problem(e: serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_data() || inner.line() == 0 {
        let field = if path == "." { "body".to_owned() } else { path };
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid request", "One or more fields are invalid.");
        p.errors.push(FieldProblem { field, message: describe_data_error(&inner.to_string()) });
        p
    } else {
        let detail = format!("The body is not valid JSON (line {}, column {}).", inner.line(), inner.column());
        let mut p = Problem::new(StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON", detail);
        p.errors.push(FieldProblem { field: "body".to_owned(), message: "malformed JSON".to_owned() });
        p
    }
}

/// serde's messages for type errors quote the value sent, which may be personal data: keep only
/// what was expected.
pub(crate) fn describe_data_error(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    let expected = message.rsplit_once(", expected ").map(|(_, e)| e);
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        return format!("invalid value: expected {}", expected.unwrap_or("another value"));
    }
    if message.starts_with("unknown variant") {
        return format!("unknown value: expected {}", expected.unwrap_or("one of the documented values"));
    }
    if message.starts_with("unknown field")
        || message.starts_with("missing field")
        || message.starts_with("duplicate field")
        || message.starts_with("invalid length")
    {
        return message.to_owned();
    }
    "invalid value".to_owned()
}

/// A creating request (`POST`): its JSON body and the `Idempotency-Key` it carries, if any, bound
/// to the request's method, path and body (the same key with another request is refused).
pub struct Create<T> {
    /// The body, parsed.
    pub value: T,
    key: Option<String>,
    request_hash: Vec<u8>,
}

impl<T> Create<T> {
    /// The idempotency key of this request from `caller`, if one was sent.
    pub fn key(&self, caller: &Caller) -> Option<IdempotencyKey> {
        Some(idempotency_key(caller, self.key.clone()?, self.request_hash.clone()))
    }
}

/// An idempotency key of `caller`'s: the same key from another caller is another key.
pub fn idempotency_key(caller: &Caller, key: String, request_hash: Vec<u8>) -> IdempotencyKey {
    let p = caller.principal();
    IdempotencyKey {
        principal: format!("{}:{}:{}", p.role, p.agency.map(|a| a.to_string()).unwrap_or_default(), p.subject),
        key,
        request_hash,
    }
}

/// The hash a request is recognised by on a retry: its method, path and body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher.finalize().to_vec()
}

impl<T: DeserializeOwned + 'static> FromRequest for Create<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let header = IdempotencyHeader::from_request(req, payload).into_inner();
        let (method, path) = (req.method().as_str().to_owned(), req.path().to_owned());
        let body = ApiJson::<T>::from_request(req, payload);
        Box::pin(async move {
            let IdempotencyHeader(key) = header?;
            let ApiJson { value, raw } = body.await?;
            Ok(Create { value, key, request_hash: request_hash(&method, &path, &raw) })
        })
    }
}

/// The `Idempotency-Key` of a creating request, if sent: 1–255 visible ASCII characters.
#[derive(Debug, Clone)]
struct IdempotencyHeader(Option<String>);

impl FromRequest for IdempotencyHeader {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get("idempotency-key") else { return ready(Ok(IdempotencyHeader(None))) };
        let key = value.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()));
        ready(match key {
            Some(k) => Ok(IdempotencyHeader(Some(k.to_owned()))),
            None => Err(Problem::bad_request("Idempotency-Key", "must be 1 to 255 visible ASCII characters")),
        })
    }
}

/// The version a conditional request expects, from `If-Match: "<version>"`.
#[derive(Debug, Clone, Copy)]
pub enum IfMatch {
    /// `If-Match: *`: any current version.
    Any,
    Version(i32),
}

impl IfMatch {
    /// The version expected, if any (`*`: none in particular).
    pub fn expected(self) -> Option<i32> {
        match self {
            IfMatch::Any => None,
            IfMatch::Version(v) => Some(v),
        }
    }

    pub fn matches(self, current: i32) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Version(v) => v == current,
        }
    }
}

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The `If-Match` of a conditional request, read when the handler asks for it: after the path
/// and body have been checked, so that a malformed request is told so before its precondition
/// is judged.
pub struct Precondition(Result<IfMatch, Problem>);

impl Precondition {
    pub fn get(self) -> Result<IfMatch, Problem> {
        self.0
    }
}

impl FromRequest for Precondition {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Precondition(if_match(req))))
    }
}

fn if_match(req: &HttpRequest) -> Result<IfMatch, Problem> {
    {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return Err(Problem::precondition_required());
        };
        let value = value.to_str().unwrap_or("").trim();
        if value == "*" {
            return Ok(IfMatch::Any);
        }
        // Not an entity tag at all (empty, unquoted): a malformed request.
        let is_tag = |t: &str| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t);
            t.len() >= 2 && t.starts_with('"') && t.ends_with('"')
        };
        if value.is_empty() || !value.split(',').all(is_tag) {
            return Err(Problem::bad_request("If-Match", "must be an entity tag such as \"3\", as sent in ETag"));
        }
        // A tag that cannot be one of ours can never match: 412, like any stale tag.
        let parsed = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).and_then(|v| v.parse::<i32>().ok());
        parsed.map(IfMatch::Version).ok_or_else(Problem::precondition_failed)
    }
}

/// A file sent as the whole request body (a spreadsheet to import): any media type, at most
/// [`Limits::IMPORT_FILE_BYTES`].
pub struct RawFile(pub Vec<u8>);

impl FromRequest for RawFile {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = Limits::IMPORT_FILE_BYTES;
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| Problem::bad_request("body", "the body could not be read"))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawFile(body))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_never_echo_values() {
        let m = describe_data_error("invalid type: string \"Jane Doe\", expected u16 at line 1 column 20");
        assert_eq!(m, "invalid value: expected u16");
        let m = describe_data_error("unknown variant `Jane`, expected one of `share`, `confidential` at line 1 column 5");
        assert_eq!(m, "unknown value: expected one of `share`, `confidential`");
        assert_eq!(describe_data_error("missing field `kind` at line 1 column 2"), "missing field `kind`");
        assert_eq!(describe_data_error("something new \"secret\""), "invalid value");
    }

    #[test]
    fn json_problems() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            #[allow(dead_code)]
            inner: Inner,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Inner {
            #[allow(dead_code)]
            n: u8,
        }
        let p = parse_json::<Body>(br#"{"inner": {"n": "Jane"}}"#).err();
        let p = p.map(|p| (p.status, p.errors[0].field.clone(), p.errors[0].message.clone()));
        assert_eq!(p, Some((StatusCode::UNPROCESSABLE_ENTITY, "inner.n".to_owned(), "invalid value: expected u8".to_owned())));
        let p = parse_json::<Body>(b"{\"inner\": ").err().map(|p| p.status);
        assert_eq!(p, Some(StatusCode::BAD_REQUEST));
        let p = parse_json::<Body>(br#"{"inner": {"n": 1}} x"#).err().map(|p| p.status);
        assert_eq!(p, Some(StatusCode::BAD_REQUEST));
    }
}
