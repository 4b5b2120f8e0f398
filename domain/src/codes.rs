//! ISO code lists: ISO 3166-1 alpha-2 countries and ISO 639-1 / 639-3 languages.
//!
//! The lists in `domain/data/` are generated from pycountry 26.2.16 (the ISO registries'
//! published lists), one code per line, sorted.

use std::sync::LazyLock;

static COUNTRIES: LazyLock<Vec<&'static str>> = LazyLock::new(|| load(include_str!("../data/iso3166-1-alpha2.txt")));
static LANGUAGES_1: LazyLock<Vec<&'static str>> = LazyLock::new(|| load(include_str!("../data/iso639-1.txt")));
static LANGUAGES_3: LazyLock<Vec<&'static str>> = LazyLock::new(|| load(include_str!("../data/iso639-3.txt")));

fn load(text: &'static str) -> Vec<&'static str> {
    let mut codes: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    codes.sort_unstable();
    codes
}

fn listed(list: &[&str], code: &str) -> bool {
    list.binary_search(&code).is_ok()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("must be an ISO 3166-1 alpha-2 country code such as GB")]
    Country,
    #[error("must be an ISO 639-1 or ISO 639-3 language code such as en or ron")]
    Language,
}

/// A nationality as an ISO 3166-1 alpha-2 code, upper case (`GB`, `AL`, `VN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub const UNITED_KINGDOM: CountryCode = CountryCode(*b"GB");

    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        let bytes = raw.as_bytes();
        match bytes {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() && listed(&COUNTRIES, raw) => Ok(Self([*a, *b])),
            _ => Err(CodeError::Country),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// A language as an ISO 639-1 (`en`) or ISO 639-3 (`ron`) code, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        let ok = match raw.len() {
            2 => listed(&LANGUAGES_1, raw),
            3 => listed(&LANGUAGES_3, raw),
            _ => false,
        };
        if ok && raw.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CodeError::Language)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries() {
        assert_eq!(COUNTRIES.len(), 249);
        for ok in ["GB", "AL", "VN", "ER", "RO", "SD"] {
            assert_eq!(CountryCode::parse(ok).map(|c| c.as_str().to_owned()), Ok(ok.to_owned()));
        }
        for bad in ["gb", "UK", "XX", "G", "GBR", "", "É"] {
            assert_eq!(CountryCode::parse(bad), Err(CodeError::Country), "{bad}");
        }
    }

    #[test]
    fn languages() {
        for ok in ["en", "ro", "sq", "vi", "ron", "tir", "pcm"] {
            assert!(LanguageCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["EN", "english", "xx", "zzz", "", "e"] {
            assert_eq!(LanguageCode::parse(bad), Err(CodeError::Language), "{bad}");
        }
    }
}
