//! Accounts: the people who sign in to FourthP, and the rules their credentials follow.
//!
//! Passwords follow the NCSC's guidance: at least 12 characters, no composition rules, checked
//! against a list of common passwords (the 30,000 most common of zxcvbn 4.4.28's list, MIT
//! licence, `domain/data/common-passwords.txt`). Hashing and one-time codes are the adapter's
//! business (`fourthp-api`); this module says what is acceptable.

use chrono::{DateTime, Utc};
use validator::ValidateEmail;

use crate::ids::{AgencyId, ApiClientId, UserId};
use crate::principal::{Principal, PrincipalError, Role, Subject};
use crate::text::bounded_text;

/// An email address, as a person's sign-in name: unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an email address of at most 254 characters")]
pub struct InvalidEmail;

impl Email {
    /// Trims, then checks the address (RFC 5322 as the `validator` crate reads it); the case is
    /// kept as written, and compared without it.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let email = raw.trim();
        if email.len() > 254 || !email.validate_email() {
            return Err(InvalidEmail);
        }
        Ok(Email(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness and at sign-in.
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

bounded_text!(
    /// How a person is shown to others ("Sam Jones, Northshire VCS").
    DisplayName, max = 100, multiline = false
);

/// A person's account as the service holds it (never with its secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub agency: Option<AgencyId>,
    pub active: bool,
    /// When the person completed enrolment (password and a confirmed second factor).
    pub enrolled_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// The subject the audit trail names for this person: stable whatever their email becomes.
    pub fn subject(id: UserId) -> Subject {
        // A UUID after a short prefix always fits a subject.
        Subject::parse(&format!("user:{id}")).unwrap_or_else(|_| unreachable!("a user subject is always valid"))
    }

    /// Who the person is for the access policy, from the account as it is now.
    pub fn principal(&self) -> Result<Principal, PrincipalError> {
        Principal::new(Self::subject(self.id), self.role, self.agency)
    }
}

/// The fields of a new account, checked together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub agency: Option<AgencyId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewUserError {
    #[error("coordinators and partners belong to an agency")]
    AgencyRequired,
}

impl NewUser {
    pub fn new(email: Email, display_name: DisplayName, role: Role, agency: Option<AgencyId>) -> Result<Self, NewUserError> {
        if role.requires_agency() && agency.is_none() {
            return Err(NewUserError::AgencyRequired);
        }
        Ok(NewUser { email, display_name, role, agency })
    }
}

bounded_text!(
    /// What a partner system is called ("Northshire Housing case system").
    ClientName, max = 100, multiline = false
);

/// A partner system registered for OAuth 2.0 client credentials: it acts for one agency in one
/// role, with a secret only it holds (the service keeps a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub id: ApiClientId,
    pub name: ClientName,
    pub role: Role,
    pub agency: Option<AgencyId>,
    /// The subject of the administrator who registered it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When it was revoked: its tokens are refused from then on.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiClient {
    /// The subject the audit trail names for this client's requests.
    pub fn subject(id: ApiClientId) -> Subject {
        Subject::parse(&format!("client:{id}")).unwrap_or_else(|_| unreachable!("a client subject is always valid"))
    }

    /// Who the client is for the access policy.
    pub fn principal(&self) -> Result<Principal, PrincipalError> {
        Principal::new(Self::subject(self.id), self.role, self.agency)
    }
}

/// The fields of a new API client, checked together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiClient {
    pub name: ClientName,
    pub role: Role,
    pub agency: Option<AgencyId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewApiClientError {
    #[error("a partner system cannot be an administrator: administration needs a person who signs in")]
    AdminRole,
    #[error("coordinators and partners belong to an agency")]
    AgencyRequired,
}

impl NewApiClient {
    pub fn new(name: ClientName, role: Role, agency: Option<AgencyId>) -> Result<Self, NewApiClientError> {
        if role == Role::Admin {
            return Err(NewApiClientError::AdminRole);
        }
        if role.requires_agency() && agency.is_none() {
            return Err(NewApiClientError::AgencyRequired);
        }
        Ok(NewApiClient { name, role, agency })
    }
}

/// The shipped list of common passwords, lower case, one per line.
const COMMON: &str = include_str!("../data/common-passwords.txt");

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("must be at least {} characters", NewPassword::MIN_CHARS)]
    TooShort,
    #[error("must be at most {} characters", NewPassword::MAX_CHARS)]
    TooLong,
    #[error("is one of the most common passwords (or made by repeating one): choose another")]
    Common,
    #[error("must not contain your email address")]
    ContainsEmail,
}

/// A password that meets the policy. Its text never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 256;

    /// Checks `raw` for the person with `email`: length in characters, not common, not a
    /// common password or one character repeated, not containing the email's local part.
    pub fn parse(raw: &str, email: &Email) -> Result<Self, WeakPassword> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(WeakPassword::TooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(WeakPassword::TooLong);
        }
        let lower = raw.to_lowercase();
        if is_common(&lower) {
            return Err(WeakPassword::Common);
        }
        let local = email.normalised().split('@').next().unwrap_or_default().to_owned();
        if local.chars().count() >= 4 && lower.contains(&local) {
            return Err(WeakPassword::ContainsEmail);
        }
        Ok(NewPassword(raw.to_owned()))
    }

    /// The text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether `lower` is on the list, or a listed password (or one character) repeated.
fn is_common(lower: &str) -> bool {
    let listed = |p: &str| COMMON.lines().any(|c| c == p);
    if listed(lower) {
        return true;
    }
    let chars: Vec<char> = lower.chars().collect();
    (1..=chars.len() / 2).filter(|n| chars.len().is_multiple_of(*n)).any(|n| {
        let unit: String = chars[..n].iter().collect();
        chars.chunks(n).all(|c| c == &chars[..n]) && (n == 1 || listed(&unit) || n < 4)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("Sam.Jones@Northshire.example").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn api_clients_act_for_an_agency_and_never_administer() {
        let name = ClientName::parse("Northshire Housing case system").unwrap_or_else(|_| unreachable!());
        let agency = Some(AgencyId::new_v7(1));
        assert_eq!(NewApiClient::new(name.clone(), Role::Admin, None), Err(NewApiClientError::AdminRole));
        assert_eq!(NewApiClient::new(name.clone(), Role::Partner, None), Err(NewApiClientError::AgencyRequired));
        assert!(NewApiClient::new(name.clone(), Role::Partner, agency).is_ok());
        assert!(NewApiClient::new(name, Role::Commissioner, None).is_ok());
        let id = ApiClientId::new_v7(2);
        assert_eq!(ApiClient::subject(id).as_str(), format!("client:{id}"));
        assert!(ClientName::parse("").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email().normalised(), "sam.jones@northshire.example");
        assert_eq!(Email::parse("  a@b.org ").map(|e| e.as_str().to_owned()), Ok("a@b.org".to_owned()));
        assert!(Email::parse("not an email").is_err());
        assert!(Email::parse("").is_err());
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_follow_the_ncsc_guidance() {
        let e = email();
        assert_eq!(NewPassword::parse("short", &e), Err(WeakPassword::TooShort));
        // Twelve characters, counted as characters not bytes, and no composition rules.
        assert!(NewPassword::parse("correct horse battery", &e).is_ok());
        assert!(NewPassword::parse("ééééééééééé", &e).is_err(), "11 characters (22 bytes) is too short");
        assert!(NewPassword::parse("whiskey tango foxtrot", &e).is_ok());
        assert_eq!(NewPassword::parse("1qaz2wsx3edc", &e), Err(WeakPassword::Common), "a listed password of 12 characters");
        assert_eq!(NewPassword::parse("passwordpassword", &e), Err(WeakPassword::Common), "a listed one repeated");
        assert_eq!(NewPassword::parse("aaaaaaaaaaaaaaaa", &e), Err(WeakPassword::Common));
        assert_eq!(NewPassword::parse("abcabcabcabc", &e), Err(WeakPassword::Common), "a short pattern repeated");
        assert_eq!(NewPassword::parse("my name is sam.jones!", &e), Err(WeakPassword::ContainsEmail));
        assert_eq!(NewPassword::parse(&"x y".repeat(100), &e), Err(WeakPassword::TooLong));
        assert!(!format!("{:?}", NewPassword::parse("correct horse battery", &e)).contains("horse"));
    }

    #[test]
    fn the_list_is_the_shipped_one() {
        assert_eq!(COMMON.lines().count(), 30_000);
        assert!(COMMON.lines().all(|l| !l.is_empty() && l == l.to_lowercase()));
    }

    #[test]
    fn agency_bound_roles_need_an_agency() {
        let name = DisplayName::parse("Sam Jones").unwrap_or_else(|_| unreachable!());
        assert_eq!(NewUser::new(email(), name.clone(), Role::Partner, None), Err(NewUserError::AgencyRequired));
        assert!(NewUser::new(email(), name, Role::Commissioner, None).is_ok());
        assert_eq!(User::subject(UserId::new_v7(1)).as_str().len(), 41);
    }
}
