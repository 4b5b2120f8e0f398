//! A use case's refusal as a form shows it: the one mapping of [`AppError`] for the pages.
//! Field errors go beside their fields (named by `map` from the use case's field names to the
//! form's, anything else on `fallback`) in the error summary; what no form can correct (not
//! found, not allowed, the database) becomes an error page.

use fourthp_domain::words::sentence;

use super::{FieldError, PageError};
use crate::app::AppError;

/// The field errors to show again with the form, or the error page to show instead.
pub fn form_errors(e: AppError, fallback: &str, map: impl Fn(&str) -> Option<&'static str>) -> Result<Vec<FieldError>, PageError> {
    let fields = |errs: fourthp_domain::error::FieldErrors| -> Vec<FieldError> {
        errs.iter()
            .map(|e| FieldError::new(map(&e.field).unwrap_or(fallback), format!("{}: {}", field_words(&e.field), e.message)))
            .collect()
    };
    match e {
        AppError::Invalid(errs) => Ok(fields(errs)),
        AppError::Conflict { message, errors, .. } if errors.is_empty() => Ok(vec![FieldError::new(fallback, message)]),
        AppError::Conflict { errors, .. } => Ok(fields(errors)),
        AppError::Rejected { message, .. } => Ok(vec![FieldError::new(fallback, message)]),
        AppError::Stale => Ok(vec![FieldError::new(fallback, "Someone changed this since you opened the page: check it and try again")]),
        other => Err(other.into()),
    }
}

/// A field's name as a person reads it: its last part, as a sentence (`consent.recorded_on` →
/// "Recorded on", `actions[0].due_on` → "Due on").
pub fn field_words(field: &str) -> String {
    let last = field.rsplit(['.', ']']).find(|s| !s.is_empty()).unwrap_or(field);
    sentence(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(field_words("consent.recorded_on"), "Recorded on");
        assert_eq!(field_words("actions[0].due_on"), "Due on");
        assert_eq!(field_words("known_as"), "Known as");
    }
}
