//! Agencies: the members of a regional network.

use chrono::{DateTime, Utc};
use validator::ValidateEmail;

use crate::ids::AgencyId;
use crate::notify::DigestFrequency;
use crate::text::bounded_text;

vocabulary!(
    /// What kind of organisation an agency is.
    AgencyKind {
        Police => "police",
        LocalAuthorityAdultSocialCare => "local_authority_adult_social_care",
        LocalAuthorityChildrensServices => "local_authority_childrens_services",
        LocalAuthorityHousing => "local_authority_housing",
        HealthGp => "health_gp",
        HealthHospital => "health_hospital",
        HealthPublicHealth => "health_public_health",
        Ngo => "ngo",
        RedCross => "red_cross",
        VictimCareContractProvider => "victim_care_contract_provider",
        ImmigrationHomeOffice => "immigration_home_office",
        Glaa => "glaa",
        Dwp => "dwp",
        LegalService => "legal_service",
        Business => "business",
        FaithCommunity => "faith_community",
        Other => "other",
    }
);

bounded_text!(
    /// An agency's name, unique in the network regardless of letter case.
    AgencyName, max = 200, multiline = false
);

impl AgencyName {
    /// The key under which names must be unique.
    pub fn uniqueness_key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("must be an email address of at most 254 characters")]
    Email,
    #[error("must be a telephone number: 7 to 15 digits, optionally with a leading +, spaces, hyphens or brackets")]
    Phone,
}

/// An agency's contact email (a shared inbox, ideally: this is an organisation's contact).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct ContactEmail(String);

impl ContactEmail {
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let trimmed = raw.trim();
        if trimmed.len() <= 254 && trimmed.validate_email() {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(ContactError::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An agency's contact telephone number, as written (`0161 496 0000`, `+44 20 7946 0000`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct ContactPhone(String);

impl ContactPhone {
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let trimmed = raw.trim();
        let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let shape_ok = body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'));
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if shape_ok && (7..=15).contains(&digits) && trimmed.len() <= 30 {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(ContactError::Phone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    pub name: AgencyName,
    pub kind: AgencyKind,
    pub contact_email: Option<ContactEmail>,
    pub contact_phone: Option<ContactPhone>,
    /// The mailbox the agency's digest goes to, whether or not its people have accounts.
    pub notify_email: Option<ContactEmail>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: AgencyId,
    pub name: AgencyName,
    pub kind: AgencyKind,
    pub contact_email: Option<ContactEmail>,
    pub contact_phone: Option<ContactPhone>,
    pub notify_email: Option<ContactEmail>,
    /// How often that mailbox gets the digest (`off` once it unsubscribes).
    pub notify_digest: DigestFrequency,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partial update: `None` leaves a field alone; for optional fields `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyPatch {
    pub name: Option<AgencyName>,
    pub kind: Option<AgencyKind>,
    pub contact_email: Option<Option<ContactEmail>>,
    pub contact_phone: Option<Option<ContactPhone>>,
    pub notify_email: Option<Option<ContactEmail>>,
    pub notify_digest: Option<DigestFrequency>,
    pub active: Option<bool>,
}

impl Agency {
    /// Applies `patch`, returning the updated agency and the wire names of the fields whose value
    /// actually changed (for the audit record). Version and timestamps are the store's business.
    pub fn apply(&self, patch: AgencyPatch) -> (Agency, Vec<&'static str>) {
        let mut next = self.clone();
        let mut changed = Vec::new();
        set(&mut next.name, patch.name, "name", &mut changed);
        set(&mut next.kind, patch.kind, "kind", &mut changed);
        set(&mut next.contact_email, patch.contact_email, "contact_email", &mut changed);
        set(&mut next.contact_phone, patch.contact_phone, "contact_phone", &mut changed);
        set(&mut next.notify_email, patch.notify_email, "notify_email", &mut changed);
        set(&mut next.notify_digest, patch.notify_digest, "notify_digest", &mut changed);
        set(&mut next.active, patch.active, "active", &mut changed);
        (next, changed)
    }
}

/// Assigns `new` to `slot` when given and different, noting `name` as changed.
pub(crate) fn set<T: PartialEq>(slot: &mut T, new: Option<T>, name: &'static str, changed: &mut Vec<&'static str>) {
    if let Some(v) = new {
        if *slot != v {
            *slot = v;
            changed.push(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agency() -> Agency {
        Agency {
            id: AgencyId::new_v7(1),
            name: AgencyName::parse("Northshire Police").unwrap_or_else(|_| unreachable!()),
            kind: AgencyKind::Police,
            contact_email: None,
            contact_phone: None,
            notify_email: None,
            notify_digest: DigestFrequency::Daily,
            active: true,
            version: 1,
            created_at: DateTime::<Utc>::default(),
            updated_at: DateTime::<Utc>::default(),
        }
    }

    #[test]
    fn contacts() {
        assert!(ContactEmail::parse("mash@northshire.gov.uk").is_ok());
        assert!(ContactEmail::parse("not an email").is_err());
        assert!(ContactPhone::parse("0161 496 0000").is_ok());
        assert!(ContactPhone::parse("+44 (0)20 7946-0000").is_ok());
        assert!(ContactPhone::parse("12345").is_err());
        assert!(ContactPhone::parse("call 0161 496 0000").is_err());
    }

    #[test]
    fn names_are_unique_case_insensitively() {
        let a = AgencyName::parse("Red Cross").unwrap_or_else(|_| unreachable!());
        let b = AgencyName::parse(" RED CROSS ").unwrap_or_else(|_| unreachable!());
        assert_eq!(a.uniqueness_key(), b.uniqueness_key());
    }

    #[test]
    fn apply_reports_only_real_changes() {
        let a = agency();
        let patch = AgencyPatch { name: Some(a.name.clone()), active: Some(false), contact_email: Some(None), ..AgencyPatch::default() };
        let (next, changed) = a.apply(patch);
        assert_eq!(changed, ["active"]);
        assert!(!next.active);
    }
}
