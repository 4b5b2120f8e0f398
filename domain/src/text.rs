//! Bounded, trimmed text: the building block of every free-text and name field.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Trims `raw` and checks it is 1..=`max` characters with no control characters other than
/// newlines and tabs (allowed only when `multiline`).
pub fn bounded(raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\t' || c == '\r');
    if trimmed.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

/// Declares a newtype over `String` whose only constructor is `parse`, applying [`bounded`].
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, max = $max:expr, multiline = $ml:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, $crate::text::TextError> {
                $crate::text::bounded(raw, $max, $ml).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use bounded_text;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(bounded("  A.B. ", 10, false), Ok("A.B.".to_owned()));
        assert_eq!(bounded("   ", 10, false), Err(TextError::Empty));
        assert_eq!(bounded("abcdef", 5, false), Err(TextError::TooLong { max: 5 }));
        assert_eq!(bounded("ééééé", 5, false), Ok("ééééé".to_owned()));
        assert_eq!(bounded("a\u{0}b", 5, false), Err(TextError::ControlCharacter));
        assert_eq!(bounded("a\nb", 5, false), Err(TextError::ControlCharacter));
        assert_eq!(bounded("a\nb", 5, true), Ok("a\nb".to_owned()));
    }

    proptest! {
        #[test]
        fn accepted_text_is_trimmed_and_within_bounds(s in "\\PC{0,60}") {
            if let Ok(t) = bounded(&s, 40, false) {
                prop_assert_eq!(t.trim(), t.as_str());
                prop_assert!(!t.is_empty());
                prop_assert!(t.chars().count() <= 40);
            }
        }
    }
}
