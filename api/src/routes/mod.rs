//! The JSON adapter: HTTP handlers, one module per resource, with their request and response
//! types and the OpenAPI document's annotations. A handler reads its request into a use case's
//! input, calls the use case in [`crate::app`] (which holds the access checks, the audit and the
//! persistence calls), and shapes its result or error (`Problem`, mapped once) as the response.

pub mod actions;
pub mod agencies;
pub mod api_clients;
pub mod audit;
pub mod cases;
pub mod challenges;
pub mod deadlines;
pub mod enrolment;
pub mod events;
pub mod exports;
pub mod forum;
pub mod imports;
pub mod interventions;
pub mod meetings;
pub mod needs;
pub mod notifications;
pub mod oauth;
pub mod ops;
pub mod outcomes;
pub mod reports;
pub mod sessions;
pub mod subject_access;
pub mod team;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod webhooks;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::paging::Limit;
use serde::{Deserialize, Serialize};

use crate::problem::Problem;
use crate::query::field;
pub use crate::query::{parse_date, parse_query_date};

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or a value.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Opaque cursors: a kind tag and a position, base64url-encoded.
pub fn encode_cursor(kind: &str, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{position}"))
}

pub fn decode_cursor(kind: &str, raw: &str, errs: &mut FieldErrors) -> Option<String> {
    // A cursor is ours, but a client can forge one: no control character survives decoding.
    let decoded = URL_SAFE_NO_PAD.decode(raw).ok().and_then(|b| String::from_utf8(b).ok()).filter(|s| !s.chars().any(char::is_control));
    match decoded.as_deref().and_then(|s| s.strip_prefix(kind)).and_then(|s| s.strip_prefix(':')) {
        Some(position) => Some(position.to_owned()),
        None => {
            errs.push("cursor", "is not a cursor this list returned");
            None
        }
    }
}

/// `limit` and `cursor` of a list that one case's records make up.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "field::limit")]
    pub limit: Option<Limit>,
    /// `next_cursor` of the page before.
    pub cursor: Option<String>,
}

/// One page of a list read whole (one case's records: never more than a case holds), in the
/// order of `key` (a string that sorts as the list should), after the `cursor` of `query`.
/// Returns the page and the cursor of the next, if any.
pub fn page_of<T>(items: Vec<T>, kind: &str, query: &PageQuery, key: impl Fn(&T) -> String) -> Result<(Vec<T>, Option<String>), Problem> {
    let mut errs = FieldErrors::new();
    let limit = query.limit.unwrap_or_default();
    let after = query.cursor.as_deref().and_then(|raw| decode_cursor(kind, raw, &mut errs));
    bad_query(errs)?;
    let mut keyed: Vec<(String, T)> =
        items.into_iter().map(|t| (key(&t), t)).filter(|(k, _)| after.as_ref().is_none_or(|a| k > a)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.truncate(usize::from(limit.get()) + 1);
    let page = fourthp_domain::paging::Page::from_overfetch(keyed, limit, |(k, _)| k.clone());
    Ok((page.items.into_iter().map(|(_, t)| t).collect(), page.next.map(|k| encode_cursor(kind, &k))))
}

/// Turns accumulated field errors into a 400 (for query strings and paths).
pub fn bad_query(errs: FieldErrors) -> Result<(), Problem> {
    errs.into_result().map_err(bad_query_problem)
}

/// The 400 of a query string whose fields `errs` names.
pub fn bad_query_problem(errs: FieldErrors) -> Problem {
    let mut p = Problem::validation(errs);
    p.status = actix_web::http::StatusCode::BAD_REQUEST;
    p.kind = "bad-query";
    p.title = "Bad query string";
    p.detail = "One or more query parameters are invalid.".to_owned();
    p
}

/// The response to store for a created resource.
pub fn stored<T: Serialize>(body: &T, location: String, etag: Option<String>) -> fourthp_persistence::write::StoredResponse {
    fourthp_persistence::write::StoredResponse {
        status: 201,
        body: serde_json::to_value(body).unwrap_or(serde_json::Value::Null),
        location: Some(location),
        etag,
    }
}

/// Renders the outcome of an idempotent write: the response (first time or replayed), or why
/// the request did not run.
pub fn created<T>(
    outcome: Result<(T, fourthp_persistence::write::StoredResponse), fourthp_persistence::write::Replay>,
) -> Result<actix_web::HttpResponse, Problem> {
    use actix_web::http::{header, StatusCode};
    use fourthp_persistence::write::Replay;
    let (response, replayed) = match outcome {
        Ok((_, r)) => (r, false),
        Err(Replay::Stored(r)) => (r, true),
        Err(Replay::InFlight) => {
            return Err(Problem::conflict(
                "idempotency-in-flight",
                "A request with this Idempotency-Key is still being processed: retry shortly.",
            )
            .with_header(header::RETRY_AFTER, "1"))
        }
        Err(Replay::Mismatch) => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-mismatch",
                "Idempotency key reused",
                "This Idempotency-Key was used for a different request: use a new key for a new request.",
            ))
        }
    };
    let mut res = actix_web::HttpResponse::build(StatusCode::from_u16(response.status).unwrap_or(StatusCode::CREATED));
    if let Some(l) = response.location {
        res.insert_header((header::LOCATION, l));
    }
    if let Some(e) = response.etag {
        res.insert_header((header::ETAG, e));
    }
    if replayed {
        res.insert_header(("idempotent-replayed", "true"));
    }
    Ok(res.json(response.body))
}
