//! Validation failures, named by the field as it is spelt on the wire.

use std::fmt;

/// One rejected field: `field` is the wire name (dotted for nested objects, `[i]` for list items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// An accumulator so that one response lists every problem with a request, not just the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value of a successful parse; records the message of a failed one under `field`.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(field, e.to_string());
                None
            }
        }
    }

    /// Like [`check`](Self::check) for an optional input: absent stays absent.
    pub fn check_opt<T, E: fmt::Display>(&mut self, field: &str, result: Option<Result<T, E>>) -> Option<Option<T>> {
        match result {
            None => Some(None),
            Some(r) => self.check(field, r).map(Some),
        }
    }

    /// Merges errors reported by a nested parse, prefixing their field names.
    pub fn extend_prefixed(&mut self, prefix: &str, other: FieldErrors) {
        for e in other.0 {
            self.push(format!("{prefix}.{}", e.field), e.message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|e| e.field.as_str()).collect();
        write!(f, "invalid fields: {}", names.join(", "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_collects_every_failure() {
        let mut errs = FieldErrors::new();
        let a: Option<u8> = errs.check("a", "x".parse::<u8>());
        let b: Option<u8> = errs.check("b", "7".parse::<u8>());
        let c: Option<Option<u8>> = errs.check_opt("c", None::<Result<u8, String>>);
        assert_eq!((a, b, c), (None, Some(7), Some(None)));
        let mut inner = FieldErrors::new();
        inner.push("data_sharing", "unknown value");
        errs.extend_prefixed("consent", inner);
        let fields: Vec<_> = errs.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, ["a", "consent.data_sharing"]);
        assert!(errs.into_result().is_err());
    }
}
