//! Query strings read straight into typed structs: vocabulary fields as their domain enums, ids,
//! dates and limits through the field parsers below. Every field at fault is named (not only
//! the first), with a message that never echoes what was sent.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use chrono::NaiveDate;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

use crate::problem::{FieldProblem, Problem};

/// A query string read into `T`. Unknown parameters are refused.
pub struct ApiQuery<T>(pub T);

impl<T> ApiQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn bad_query(detail: &str, errors: Vec<FieldProblem>) -> Problem {
    let mut p = Problem::new(StatusCode::BAD_REQUEST, "bad-query", "Bad query string", detail);
    p.errors = errors;
    p
}

/// One attempt at reading `pairs` as `T`: the value, or the parameter at fault and why.
fn attempt<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, (String, String)> {
    let encoded = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}

/// The message for a value refused: the field parsers' own ("must ...", "is ..."), or what
/// serde expected, never the value.
fn message_for(raw: &str) -> String {
    if raw.starts_with("unknown variant") {
        return "is not one of the documented values".to_owned();
    }
    if raw.starts_with("must ") || raw.starts_with("is ") {
        return raw.to_owned();
    }
    crate::extract::describe_data_error(raw)
}

/// The fields of the struct `T`, in declaration order (serde names them when asked for a struct).
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Fields(Option<&'static [&'static str]>);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("stop")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = Stop;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit unit_struct
            newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut probe = Fields(None);
    let _ = T::deserialize(&mut probe);
    probe.0.unwrap_or(&[])
}

/// Reads `query` as `T`, naming every parameter at fault: a value refused is noted and left out,
/// and the rest read again, until what remains reads.
pub fn read<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    let Ok(mut pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
        return Err(bad_query("The query string could not be read.", vec![field("query", "is not a valid query string")]));
    };
    // No control character (NUL above all) in any value: nothing the database cannot take gets
    // past the one place every query string is read.
    if let Some((name, _)) = pairs.iter().find(|(_, v)| v.chars().any(char::is_control)) {
        return Err(bad_query("One or more query parameters are invalid.", vec![field(name, "must not contain control characters")]));
    }
    let mut errors = Vec::new();
    loop {
        match attempt::<T>(&pairs) {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => {
                // In the order the struct declares its fields, as a reader of the docs sees them.
                let order = fields_of::<T>();
                errors.sort_by_key(|e: &FieldProblem| order.iter().position(|f| *f == e.field).unwrap_or(usize::MAX));
                return Err(bad_query("One or more query parameters are invalid.", errors));
            }
            Err((name, message)) => {
                // Not a value of one parameter (an unknown or repeated one): the query as a whole.
                let whole = message.starts_with("unknown field") || message.starts_with("duplicate field");
                if whole || !pairs.iter().any(|(k, _)| *k == name) {
                    let all = vec![field("query", &crate::extract::describe_data_error(&message))];
                    return Err(bad_query("The query string could not be read.", all));
                }
                errors.push(field(&name, &message_for(&message)));
                pairs.retain(|(k, _)| *k != name);
            }
        }
    }
}

fn field(name: &str, message: &str) -> FieldProblem {
    FieldProblem { field: name.to_owned(), message: message.to_owned() }
}

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(read(req.query_string()).map(ApiQuery))
    }
}

/// Parses a date written exactly `YYYY-MM-DD` (four-digit year, two-digit month and day): the
/// one date format of the API, in bodies, query strings and cursors.
pub fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    let b = raw.as_bytes();
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped.then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()).flatten().ok_or("must be a date in the form YYYY-MM-DD")
}

/// A date in a query filter: `YYYY-MM-DD`, from 2009-04-01 (when the NRM began) to 9999-12-31.
pub fn parse_query_date(raw: &str) -> Result<NaiveDate, &'static str> {
    let date = parse_date(raw)?;
    if date < fourthp_domain::case::nrm_start() {
        return Err("must be a date from 2009-04-01 (when the NRM began) to 9999-12-31");
    }
    Ok(date)
}

/// Field parsers, for `#[serde(default, deserialize_with = "...")]` on `Option` fields.
pub mod field {
    use fourthp_domain::paging::Limit;

    use super::*;

    /// `limit`: 1–200.
    pub fn limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Limit>, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse::<i64>()
            .ok()
            .and_then(|n| Limit::parse(Some(n)).ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("must be a whole number from {} to {}", Limit::MIN, Limit::MAX)))
    }

    /// A date filter: `YYYY-MM-DD`, from 2009-04-01.
    pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        let raw = String::deserialize(d)?;
        parse_query_date(&raw).map(Some).map_err(D::Error::custom)
    }

    /// A day in the API's one date format, `YYYY-MM-DD` (any year).
    pub fn day<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        let raw = String::deserialize(d)?;
        parse_date(&raw).map(Some).map_err(D::Error::custom)
    }

    /// An id (a UUID in canonical form).
    pub fn id<'de, D: Deserializer<'de>, T: crate::paths::Id>(d: D) -> Result<Option<T>, D::Error> {
        let raw = String::deserialize(d)?;
        T::parse_id(&raw).map(Some).ok_or_else(|| D::Error::custom("must be a UUID"))
    }

    /// `true` or `false`.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match String::deserialize(d)?.as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(D::Error::custom("must be true or false")),
        }
    }
}

#[cfg(test)]
mod tests {
    use fourthp_domain::case::{Jurisdiction, Stage};
    use fourthp_domain::paging::Limit;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Q {
        status: Option<Stage>,
        jurisdiction: Option<Jurisdiction>,
        #[serde(default, deserialize_with = "field::limit")]
        limit: Option<Limit>,
        #[serde(default, deserialize_with = "field::date")]
        from: Option<chrono::NaiveDate>,
    }

    fn fields(query: &str) -> Vec<(String, String)> {
        match read::<Q>(query) {
            Ok(_) => Vec::new(),
            Err(p) => p.errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect(),
        }
    }

    #[test]
    fn typed_values_are_read() {
        let q = read::<Q>("status=nrm_referred&limit=20&from=2026-01-31").unwrap_or_else(|_| panic!("refused"));
        assert_eq!(q.status, Some(Stage::NrmReferred));
        assert_eq!(q.limit.map(Limit::get), Some(20));
        assert_eq!(q.from, chrono::NaiveDate::from_ymd_opt(2026, 1, 31));
        assert!(q.jurisdiction.is_none());
    }

    #[test]
    fn every_field_at_fault_is_named_in_declaration_order_without_its_value() {
        let f = fields("status=Jane%20Doe&limit=0&jurisdiction=mars&from=2001-01-01");
        let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["status", "jurisdiction", "limit", "from"]);
        assert_eq!(f[0].1, "is not one of the documented values");
        assert_eq!(f[2].1, "must be a whole number from 1 to 200");
        assert!(f.iter().all(|(_, m)| !m.contains("Jane") && !m.contains("mars")));
    }

    #[test]
    fn unknown_or_repeated_parameters_refuse_the_query() {
        assert_eq!(fields("colour=red").iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["query"]);
        assert_eq!(fields("limit=1&limit=2").iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["query"]);
        assert_eq!(fields("status=intake%00").iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["status"]);
    }
}
