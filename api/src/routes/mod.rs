//! HTTP handlers, one module per resource. Handlers parse, ask the access policy, call a
//! repository, and shape the response; rules live in `fourthp-domain`, SQL in
//! `fourthp-persistence`.

pub mod agencies;
pub mod cases;
pub mod deadlines;
pub mod events;
pub mod ops;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::paging::Limit;
use serde::Deserialize;

use crate::problem::Problem;

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or a value.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Parses `limit` from a query parameter.
pub fn parse_limit(raw: Option<&str>, errs: &mut FieldErrors) -> Limit {
    let parsed = match raw {
        None => Ok(Limit::DEFAULT),
        Some(s) => s.parse::<i64>().ok().map_or(Err(()), |n| Limit::parse(Some(n)).map_err(|_| ())),
    };
    parsed.unwrap_or_else(|()| {
        errs.push("limit", format!("must be a whole number from {} to {}", Limit::MIN, Limit::MAX));
        Limit::DEFAULT
    })
}

/// Opaque cursors: a kind tag and a position, base64url-encoded.
pub fn encode_cursor(kind: &str, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{position}"))
}

pub fn decode_cursor(kind: &str, raw: &str, errs: &mut FieldErrors) -> Option<String> {
    let decoded = URL_SAFE_NO_PAD.decode(raw).ok().and_then(|b| String::from_utf8(b).ok());
    match decoded.as_deref().and_then(|s| s.strip_prefix(kind)).and_then(|s| s.strip_prefix(':')) {
        Some(position) => Some(position.to_owned()),
        None => {
            errs.push("cursor", "is not a cursor this list returned");
            None
        }
    }
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "must be a date in the form YYYY-MM-DD")
}

/// Turns accumulated field errors into a 400 (for query strings and paths).
pub fn bad_query(errs: FieldErrors) -> Result<(), Problem> {
    errs.into_result().map_err(|e| {
        let mut p = Problem::validation(e);
        p.status = actix_web::http::StatusCode::BAD_REQUEST;
        p.kind = "bad-query";
        p.title = "Bad query string";
        p.detail = "One or more query parameters are invalid.".to_owned();
        p
    })
}
