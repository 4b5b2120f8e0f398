//! ISO code lists: ISO 3166-1 alpha-2 countries and ISO 639 languages.
//!
//! The lists in `domain/data/` are generated from pycountry 26.2.16 (the ISO registries'
//! published lists), one code (or one pair of codes, tab-separated) per line, sorted. The names
//! (`iso3166-1-names.tsv`, `iso639-3-names.tsv`) are the registries' common names, a dozen
//! countries' put the way people write them ("Democratic Republic of the Congo", not "Congo,
//! The Democratic Republic of the").

use std::sync::LazyLock;

static COUNTRIES: LazyLock<Vec<&'static str>> = LazyLock::new(|| load(include_str!("../data/iso3166-1-alpha2.txt")));
static LANGUAGES_3: LazyLock<Vec<&'static str>> = LazyLock::new(|| load(include_str!("../data/iso639-3.txt")));
/// ISO 639-1 code → ISO 639-3 code (184 languages).
static LANGUAGES_1_TO_3: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| pairs(include_str!("../data/iso639-1-to-3.tsv")));
/// ISO 639-2 bibliographic code → ISO 639-2 terminology (= ISO 639-3) code, for the 20 languages
/// whose two ISO 639-2 codes differ (`fre` → `fra`, `ger` → `deu`, ...).
static LANGUAGES_2B_TO_3: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| pairs(include_str!("../data/iso639-2b-to-3.tsv")));

/// ISO 3166-1 alpha-2 code → the country's name in English.
static COUNTRY_NAMES: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| pairs(include_str!("../data/iso3166-1-names.tsv")));
/// ISO 639-3 code → the language's name in English.
static LANGUAGE_NAMES: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| pairs(include_str!("../data/iso639-3-names.tsv")));

fn pairs(text: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut pairs: Vec<(&str, &str)> = text.lines().filter_map(|l| l.split_once('\t')).collect();
    pairs.sort_unstable();
    pairs
}

fn mapped(list: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    list.binary_search_by(|(from, _)| (*from).cmp(code)).ok().map(|i| list[i].1)
}

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
    #[error("must be an ISO 639-1, ISO 639-2 or ISO 639-3 language code such as en, rum or ron")]
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

    /// The country's name in English ("Romania"), for people; the code where none is listed.
    pub fn name(&self) -> &'static str {
        mapped(&COUNTRY_NAMES, self.as_str()).unwrap_or("another country")
    }
}

/// A language, stored and shown as its ISO 639-3 code, lower case (`ron`, `eng`, `tir`).
///
/// Accepted on input as ISO 639-1 (`ro`), ISO 639-2 bibliographic (`rum`) or terminology (`ron`),
/// or ISO 639-3 (`ron`); every form is turned into the one ISO 639-3 code, so a language is
/// recorded one way however it was entered. The HTCDS v2.0 asks for ISO 639-2: for individual
/// languages an ISO 639-2/T code is the ISO 639-3 code, so the stored value serves it as it is;
/// ISO 639-2 collective codes (`sla`, Slavic languages) have no ISO 639-3 code and are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        if !raw.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(CodeError::Language);
        }
        let code = match raw.len() {
            2 => mapped(&LANGUAGES_1_TO_3, raw),
            3 => mapped(&LANGUAGES_2B_TO_3, raw).or_else(|| LANGUAGES_3.binary_search(&raw).ok().map(|i| LANGUAGES_3[i])),
            _ => None,
        };
        code.map(|c| Self(c.to_owned())).ok_or(CodeError::Language)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language's name in English ("Romanian"), for people.
    pub fn name(&self) -> &'static str {
        mapped(&LANGUAGE_NAMES, self.as_str()).unwrap_or("another language")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_name() {
        assert_eq!(COUNTRY_NAMES.len(), COUNTRIES.len());
        for c in COUNTRIES.iter() {
            assert!(mapped(&COUNTRY_NAMES, c).is_some(), "{c}");
        }
        for l in LANGUAGES_3.iter() {
            assert!(mapped(&LANGUAGE_NAMES, l).is_some(), "{l}");
        }
        let name = |c: &str| CountryCode::parse(c).map(|c| c.name()).unwrap_or_default();
        assert_eq!(
            (name("GB"), name("RO"), name("CD"), name("VN")),
            ("United Kingdom", "Romania", "Democratic Republic of the Congo", "Vietnam")
        );
        let lang = |c: &str| LanguageCode::parse(c).map(|c| c.name()).unwrap_or_default();
        assert_eq!((lang("ro"), lang("tir"), lang("pcm")), ("Romanian", "Tigrinya", "Nigerian Pidgin"));
    }

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
        for (input, stored) in [("en", "eng"), ("ro", "ron"), ("rum", "ron"), ("ron", "ron"), ("sq", "sqi"), ("alb", "sqi")] {
            assert_eq!(LanguageCode::parse(input).map(|c| c.as_str().to_owned()), Ok(stored.to_owned()), "{input}");
        }
        for ok in ["vi", "tir", "pcm", "fre", "ger", "chi"] {
            assert!(LanguageCode::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(LANGUAGES_1_TO_3.len(), 184);
        assert_eq!(LANGUAGES_2B_TO_3.len(), 20);
        // Every mapping lands on a listed ISO 639-3 code.
        for (_, to) in LANGUAGES_1_TO_3.iter().chain(LANGUAGES_2B_TO_3.iter()) {
            assert!(listed(&LANGUAGES_3, to), "{to}");
        }
        for bad in ["EN", "english", "xx", "zzz", "", "e", "sla"] {
            assert_eq!(LanguageCode::parse(bad), Err(CodeError::Language), "{bad}");
        }
    }
}
