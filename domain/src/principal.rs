//! Who is calling: the verified claims of a token, as domain values.

use crate::ids::AgencyId;
use crate::text::bounded_text;

vocabulary!(
    /// What the caller does in the partnership.
    Role {
        Coordinator => "coordinator",
        Partner => "partner",
        Commissioner => "commissioner",
        Auditor => "auditor",
        Admin => "admin",
    }
);

impl Role {
    /// Roles whose work is tied to one agency: their tokens must name it.
    pub const fn requires_agency(self) -> bool {
        matches!(self, Role::Coordinator | Role::Partner)
    }
}

bounded_text!(
    /// The token's `sub`: a stable identifier of a member of staff, never of a victim.
    Subject, max = 200, multiline = false
);

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: Subject,
    pub role: Role,
    pub agency: Option<AgencyId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    #[error("the role {0} requires an agency_id claim")]
    AgencyRequired(Role),
}

impl Principal {
    /// Builds a principal, refusing agency-bound roles without an agency.
    pub fn new(subject: Subject, role: Role, agency: Option<AgencyId>) -> Result<Self, PrincipalError> {
        if role.requires_agency() && agency.is_none() {
            return Err(PrincipalError::AgencyRequired(role));
        }
        Ok(Self { subject, role, agency })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_bound_roles_need_an_agency() {
        let sub = Subject::parse("vcc-1").unwrap_or_else(|_| unreachable!());
        for role in Role::ALL {
            let r = Principal::new(sub.clone(), *role, None);
            assert_eq!(r.is_err(), role.requires_agency(), "{role}");
        }
        assert!(Principal::new(sub, Role::Partner, Some(AgencyId::new_v7(1))).is_ok());
    }
}
