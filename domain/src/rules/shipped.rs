//! The rule files shipped with the service.

use super::{RuleBook, RuleError};

/// The jurisdictions' rule files shipped with the service, embedded in the binary.
pub const SHIPPED_JURISDICTIONS: [(&str, &str); 3] = [
    ("rules/england_wales.json", include_str!("../../../rules/england_wales.json")),
    ("rules/scotland.json", include_str!("../../../rules/scotland.json")),
    ("rules/northern_ireland.json", include_str!("../../../rules/northern_ireland.json")),
];

/// The default local standards (a deployment may replace them).
pub const SHIPPED_LOCAL_STANDARDS: (&str, &str) = ("rules/local_standards.json", include_str!("../../../rules/local_standards.json"));

/// The rule book of the shipped files, with `local` (name, JSON) in place of the shipped local
/// standards when given.
pub fn shipped_with(local: Option<(&str, &str)>) -> Result<RuleBook, RuleError> {
    let mut files: Vec<(&str, &str)> = SHIPPED_JURISDICTIONS.to_vec();
    files.push(local.unwrap_or(SHIPPED_LOCAL_STANDARDS));
    RuleBook::parse(&files)
}
