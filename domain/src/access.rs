//! The access policy: who may do what to which case, and which fields they see.
//!
//! Every handler asks here before touching data. Denials come in two kinds: `Hidden` (answered
//! 404, indistinguishable from a case that does not exist) when the caller's role may work with
//! cases but this one is not theirs, and `Forbidden` (403) when the caller's role may never do
//! the action at all, which reveals nothing about any particular record.

use crate::case::DataSharing;
use crate::ids::AgencyId;
use crate::principal::{Principal, Role};

/// What the caller wants to do with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAction {
    /// Read the case record (the view depends on the role).
    Read,
    /// Change the case's details.
    Update,
    /// Add, change or remove an agency on the case team.
    ManageTeam,
    /// Record an intervention (as the caller's own agency).
    LogIntervention,
    /// Read the coordinators' support record: needs and outcomes.
    ReadSupportRecord,
}

impl CaseAction {
    pub const ALL: [CaseAction; 5] =
        [CaseAction::Read, CaseAction::Update, CaseAction::ManageTeam, CaseAction::LogIntervention, CaseAction::ReadSupportRecord];
}

/// How the caller's agency stands to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    OnTeam,
    NotOnTeam,
}

impl Relationship {
    pub fn of(principal: &Principal, team: impl IntoIterator<Item = AgencyId>) -> Self {
        match principal.agency {
            Some(own) if team.into_iter().any(|a| a == own) => Relationship::OnTeam,
            _ => Relationship::NotOnTeam,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Answer as if the record did not exist (404).
    Hidden,
    /// The role may not do this to any record (403).
    Forbidden,
}

/// Which of a case's fields the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseView {
    /// `known_as`, `gender`, `nationalities`: who the person is.
    pub identifying: bool,
    /// Birth details, who recorded consent, free-text team roles: the coordinator's working
    /// record.
    pub restricted: bool,
}

impl CaseView {
    pub const FULL: CaseView = CaseView { identifying: true, restricted: true };

    /// A partner's view: never the restricted fields; identifying fields only with consent.
    pub fn partner(sharing: DataSharing) -> Self {
        CaseView { identifying: sharing == DataSharing::Share, restricted: false }
    }
}

/// Which cases a list shows the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseScope {
    All,
    TeamOf(AgencyId),
}

/// Whose names a case search in `scope` may match: only names the caller would be shown in the
/// list (a partner sees a case's name only under data-sharing consent `share`), so that a search
/// cannot confirm a name the list would withhold. References are matched in every case in scope.
pub fn searchable_names(scope: CaseScope) -> Vec<DataSharing> {
    match scope {
        CaseScope::All => DataSharing::ALL.to_vec(),
        CaseScope::TeamOf(_) => DataSharing::ALL.iter().copied().filter(|s| CaseView::partner(*s).identifying).collect(),
    }
}

/// May `principal` open a new case?
pub fn may_create_case(principal: &Principal) -> Result<(), Denial> {
    match principal.role {
        Role::Coordinator => Ok(()),
        Role::Partner | Role::Commissioner | Role::Auditor | Role::Admin => Err(Denial::Forbidden),
    }
}

/// Which cases `principal` may list.
pub fn case_list_scope(principal: &Principal) -> Result<CaseScope, Denial> {
    match (principal.role, principal.agency) {
        (Role::Coordinator, _) => Ok(CaseScope::All),
        (Role::Partner, Some(agency)) => Ok(CaseScope::TeamOf(agency)),
        (Role::Partner, None) | (Role::Commissioner | Role::Auditor | Role::Admin, _) => Err(Denial::Forbidden),
    }
}

/// The decision for one action on one case.
pub fn case_access(role: Role, action: CaseAction, relationship: Relationship, sharing: DataSharing) -> Result<CaseView, Denial> {
    match (role, action, relationship) {
        (Role::Coordinator, _, _) => Ok(CaseView::FULL),
        (Role::Partner, _, Relationship::NotOnTeam) => Err(Denial::Hidden),
        (Role::Partner, CaseAction::Read | CaseAction::LogIntervention, Relationship::OnTeam) => Ok(CaseView::partner(sharing)),
        (Role::Partner, CaseAction::Update | CaseAction::ManageTeam | CaseAction::ReadSupportRecord, Relationship::OnTeam) => {
            Err(Denial::Forbidden)
        }
        (Role::Commissioner | Role::Auditor | Role::Admin, _, _) => Err(Denial::Forbidden),
    }
}

/// The check to make before looking a case up: refuses roles that no case could ever admit, so
/// that their refusal does not depend on (and so cannot reveal) whether the case exists.
pub fn precheck(role: Role, action: CaseAction) -> Result<(), Denial> {
    let never = [Relationship::OnTeam, Relationship::NotOnTeam]
        .iter()
        .flat_map(|rel| DataSharing::ALL.iter().map(move |s| (*rel, *s)))
        .all(|(rel, sharing)| case_access(role, action, rel, sharing) == Err(Denial::Forbidden));
    if never {
        Err(Denial::Forbidden)
    } else {
        Ok(())
    }
}

/// The decision for one case, given the principal and the case's team and consent.
pub fn decide(
    principal: &Principal,
    action: CaseAction,
    team: impl IntoIterator<Item = AgencyId>,
    sharing: DataSharing,
) -> Result<CaseView, Denial> {
    case_access(principal.role, action, Relationship::of(principal, team), sharing)
}

/// Whether the caller sees the free-text summary of an intervention recorded by `recorder`:
/// coordinators see all; partners only their own agency's.
pub fn sees_summary(principal: &Principal, recorder: AgencyId) -> bool {
    match principal.role {
        Role::Coordinator => true,
        Role::Partner => principal.agency == Some(recorder),
        Role::Commissioner | Role::Auditor | Role::Admin => false,
    }
}

/// Whether the caller sees an action owed by `owner` on a case it may read: coordinators see
/// all; partners the actions their own agency owes.
pub fn sees_action(principal: &Principal, owner: AgencyId) -> bool {
    sees_summary(principal, owner)
}

/// May the caller complete or cancel an action owed by `owner` on a case it stands to as
/// `relationship`? Coordinators may; a partner may for its own agency's actions.
pub fn may_close_action(principal: &Principal, owner: AgencyId, relationship: Relationship) -> Result<(), Denial> {
    match (principal.role, relationship) {
        (Role::Coordinator, _) => Ok(()),
        (Role::Partner, Relationship::NotOnTeam) => Err(Denial::Hidden),
        (Role::Partner, Relationship::OnTeam) if principal.agency == Some(owner) => Ok(()),
        // Another agency's action on a case the partner works on: it may not see it at all.
        (Role::Partner, Relationship::OnTeam) => Err(Denial::Hidden),
        (Role::Commissioner | Role::Auditor | Role::Admin, _) => Err(Denial::Forbidden),
    }
}

/// What the caller wants to do on the network's challenge board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeAction {
    /// See the board and a challenge (its actions included; its case links are apart).
    Read,
    Raise,
    /// Accept, decline, work on, resolve, escalate; give out the network's actions.
    Decide,
    /// See which cases a challenge is linked to.
    SeeCaseLinks,
    /// Schedule the network's meetings and record their decisions.
    RunMeetings,
}

/// The board is the network's: anyone at a member agency (coordinators and partners) reads it
/// and raises challenges; the coordinators decide, run the meetings and alone see the cases a
/// challenge is linked to. Commissioners see the network's figures in the report, not the board;
/// auditors the trail; administrators the accounts.
pub fn challenge_access(role: Role, action: ChallengeAction) -> Result<(), Denial> {
    match (role, action) {
        (Role::Coordinator, _) | (Role::Partner, ChallengeAction::Read | ChallengeAction::Raise) => Ok(()),
        (Role::Partner, ChallengeAction::Decide | ChallengeAction::SeeCaseLinks | ChallengeAction::RunMeetings)
        | (Role::Commissioner | Role::Auditor | Role::Admin, _) => Err(Denial::Forbidden),
    }
}

/// May the caller close a network action owed by `owner`? Coordinators may; a partner may for
/// its own agency's.
pub fn may_close_network_action(principal: &Principal, owner: AgencyId) -> Result<(), Denial> {
    match principal.role {
        Role::Coordinator => Ok(()),
        Role::Partner if principal.agency == Some(owner) => Ok(()),
        Role::Partner | Role::Commissioner | Role::Auditor | Role::Admin => Err(Denial::Forbidden),
    }
}

/// The signed bundle for the national forum: the network's coordinators and administrators.
pub fn forum_bundle_access(role: Role) -> Result<(), Denial> {
    match role {
        Role::Coordinator | Role::Admin => Ok(()),
        Role::Partner | Role::Commissioner | Role::Auditor => Err(Denial::Forbidden),
    }
}

/// What the caller wants to do at the national forum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForumAction {
    /// Register a network whose bundles the forum accepts (its name and public key).
    RegisterNetwork,
    /// Import a network's signed bundle.
    Import,
    /// See the networks side by side, and the registered networks.
    Compare,
}

/// At a deployment run for the forum, its administrators register the networks; the
/// coordinators (the networks' own, who sit on the forum) and the administrators import
/// bundles and compare; commissioners see the comparison, protected figures only as it holds.
pub fn forum_access(role: Role, action: ForumAction) -> Result<(), Denial> {
    match (role, action) {
        (Role::Admin, _) | (Role::Coordinator, ForumAction::Import | ForumAction::Compare) | (Role::Commissioner, ForumAction::Compare) => {
            Ok(())
        }
        (Role::Coordinator | Role::Commissioner, _) | (Role::Partner | Role::Auditor, _) => Err(Denial::Forbidden),
    }
}

/// A person's request for everything held about them (UK GDPR art. 15) is handled by the
/// coordinators who hold the record and by the data protection officer (the auditor's role):
/// they record the request, put the copy together and mark it answered. The copy is the
/// whole record, whoever on the team could see which part of it.
pub fn subject_access(role: Role) -> Result<(), Denial> {
    match role {
        Role::Coordinator | Role::Auditor => Ok(()),
        Role::Partner | Role::Commissioner | Role::Admin => Err(Denial::Forbidden),
    }
}

/// What the caller wants to do with the network's data as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataAction {
    /// Load a spreadsheet caseload (dry run or load).
    ImportCases,
    /// Write the period's cases out, pseudonymised, in the Human Trafficking Case Data Standard.
    ExportHtcds,
}

/// Moving a caseload in and sending the anonymised dataset out are the administrators' work:
/// both touch every case at once, which no one else's role does.
pub fn data_access(role: Role, _action: DataAction) -> Result<(), Denial> {
    match role {
        Role::Admin => Ok(()),
        Role::Coordinator | Role::Partner | Role::Commissioner | Role::Auditor => Err(Denial::Forbidden),
    }
}

/// What the caller wants to do with agencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgencyAction {
    Read,
    Create,
    Update,
}

/// Which of an agency's fields the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgencyView {
    /// Contact email and telephone.
    pub contacts: bool,
}

/// Everybody may see the network's members by name and kind; administrators and coordinators
/// also see their contact details; only administrators change them.
pub fn agency_access(role: Role, action: AgencyAction) -> Result<AgencyView, Denial> {
    match (role, action) {
        (Role::Admin, _) | (Role::Coordinator, AgencyAction::Read) => Ok(AgencyView { contacts: true }),
        (Role::Partner | Role::Commissioner | Role::Auditor, AgencyAction::Read) => Ok(AgencyView { contacts: false }),
        (Role::Coordinator | Role::Partner | Role::Commissioner | Role::Auditor, AgencyAction::Create | AgencyAction::Update) => {
            Err(Denial::Forbidden)
        }
    }
}

/// How much of the outcome report the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportDisclosure {
    /// Disclosure control applied: small counts suppressed, breakdowns rounded.
    Protected,
    /// Exact figures: coordinators, for their own network.
    Exact,
}

/// Commissioners and coordinators may pull the outcome report; partners, auditors and
/// administrators may not. Only coordinators may ask for exact figures (`exact`).
pub fn report_access(role: Role, exact: bool) -> Result<ReportDisclosure, Denial> {
    match (role, exact) {
        (Role::Coordinator, true) => Ok(ReportDisclosure::Exact),
        (Role::Coordinator | Role::Commissioner, false) => Ok(ReportDisclosure::Protected),
        (Role::Commissioner, true) | (Role::Partner | Role::Auditor | Role::Admin, _) => Err(Denial::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::Subject;

    use CaseAction::*;
    use DataSharing::*;
    use Relationship::*;
    use Role::*;

    #[test]
    fn subject_access_is_the_coordinators_and_the_data_protection_officers() {
        for &role in Role::ALL {
            assert_eq!(subject_access(role).is_ok(), matches!(role, Coordinator | Auditor), "{role:?}");
            for action in [DataAction::ImportCases, DataAction::ExportHtcds] {
                assert_eq!(data_access(role, action).is_ok(), role == Admin, "{role:?}");
            }
        }
    }

    #[test]
    fn the_board_is_the_networks() {
        for action in [ChallengeAction::Read, ChallengeAction::Raise] {
            assert_eq!(challenge_access(Partner, action), Ok(()));
        }
        for action in [ChallengeAction::Decide, ChallengeAction::SeeCaseLinks, ChallengeAction::RunMeetings] {
            assert_eq!(challenge_access(Partner, action), Err(Denial::Forbidden));
            assert_eq!(challenge_access(Coordinator, action), Ok(()));
        }
        for role in [Commissioner, Auditor, Admin] {
            assert_eq!(challenge_access(role, ChallengeAction::Read), Err(Denial::Forbidden));
        }
        assert_eq!(forum_bundle_access(Admin), Ok(()));
        assert_eq!(forum_bundle_access(Partner), Err(Denial::Forbidden));
    }

    #[test]
    fn the_forum_registers_networks_by_its_administrators() {
        assert_eq!(forum_access(Admin, ForumAction::RegisterNetwork), Ok(()));
        for role in [Coordinator, Commissioner, Partner, Auditor] {
            assert_eq!(forum_access(role, ForumAction::RegisterNetwork), Err(Denial::Forbidden));
        }
        assert_eq!(forum_access(Coordinator, ForumAction::Import), Ok(()));
        assert_eq!(forum_access(Commissioner, ForumAction::Import), Err(Denial::Forbidden));
        assert_eq!(forum_access(Commissioner, ForumAction::Compare), Ok(()));
        assert_eq!(forum_access(Partner, ForumAction::Compare), Err(Denial::Forbidden));
    }

    const FULL: Result<CaseView, Denial> = Ok(CaseView::FULL);
    const HIDDEN: Result<CaseView, Denial> = Err(Denial::Hidden);
    const FORBIDDEN: Result<CaseView, Denial> = Err(Denial::Forbidden);
    const LIMITED: Result<CaseView, Denial> = Ok(CaseView { identifying: false, restricted: false });
    const LIMITED_ID: Result<CaseView, Denial> = Ok(CaseView { identifying: true, restricted: false });

    type Row = (Role, CaseAction, Relationship, DataSharing, Result<CaseView, Denial>);

    #[test]
    fn a_search_matches_only_names_the_list_would_show() {
        let partner = CaseScope::TeamOf(crate::ids::AgencyId::from_uuid(uuid::Uuid::nil()));
        assert_eq!(searchable_names(partner), vec![Share]);
        assert_eq!(searchable_names(CaseScope::All).len(), DataSharing::ALL.len());
        for s in DataSharing::ALL {
            assert_eq!(searchable_names(partner).contains(s), CaseView::partner(*s).identifying);
        }
    }

    /// The whole decision table: every role × action × relationship × consent.
    #[test]
    fn decision_table() {
        #[rustfmt::skip]
        let table: &[Row] = &[
            (Coordinator, Read, OnTeam, Share, FULL), (Coordinator, Read, OnTeam, Confidential, FULL), (Coordinator, Read, OnTeam, Anonymous, FULL),
            (Coordinator, Read, NotOnTeam, Share, FULL), (Coordinator, Read, NotOnTeam, Confidential, FULL), (Coordinator, Read, NotOnTeam, Anonymous, FULL),
            (Coordinator, Update, OnTeam, Share, FULL), (Coordinator, Update, OnTeam, Confidential, FULL), (Coordinator, Update, OnTeam, Anonymous, FULL),
            (Coordinator, Update, NotOnTeam, Share, FULL), (Coordinator, Update, NotOnTeam, Confidential, FULL), (Coordinator, Update, NotOnTeam, Anonymous, FULL),
            (Coordinator, ManageTeam, OnTeam, Share, FULL), (Coordinator, ManageTeam, OnTeam, Confidential, FULL), (Coordinator, ManageTeam, OnTeam, Anonymous, FULL),
            (Coordinator, ManageTeam, NotOnTeam, Share, FULL), (Coordinator, ManageTeam, NotOnTeam, Confidential, FULL), (Coordinator, ManageTeam, NotOnTeam, Anonymous, FULL),
            (Partner, Read, OnTeam, Share, LIMITED_ID), (Partner, Read, OnTeam, Confidential, LIMITED), (Partner, Read, OnTeam, Anonymous, LIMITED),
            (Partner, Read, NotOnTeam, Share, HIDDEN), (Partner, Read, NotOnTeam, Confidential, HIDDEN), (Partner, Read, NotOnTeam, Anonymous, HIDDEN),
            (Partner, Update, OnTeam, Share, FORBIDDEN), (Partner, Update, OnTeam, Confidential, FORBIDDEN), (Partner, Update, OnTeam, Anonymous, FORBIDDEN),
            (Partner, Update, NotOnTeam, Share, HIDDEN), (Partner, Update, NotOnTeam, Confidential, HIDDEN), (Partner, Update, NotOnTeam, Anonymous, HIDDEN),
            (Partner, ManageTeam, OnTeam, Share, FORBIDDEN), (Partner, ManageTeam, OnTeam, Confidential, FORBIDDEN), (Partner, ManageTeam, OnTeam, Anonymous, FORBIDDEN),
            (Partner, ManageTeam, NotOnTeam, Share, HIDDEN), (Partner, ManageTeam, NotOnTeam, Confidential, HIDDEN), (Partner, ManageTeam, NotOnTeam, Anonymous, HIDDEN),
            (Coordinator, LogIntervention, OnTeam, Share, FULL), (Coordinator, LogIntervention, OnTeam, Confidential, FULL), (Coordinator, LogIntervention, OnTeam, Anonymous, FULL),
            (Coordinator, LogIntervention, NotOnTeam, Share, FULL), (Coordinator, LogIntervention, NotOnTeam, Confidential, FULL), (Coordinator, LogIntervention, NotOnTeam, Anonymous, FULL),
            (Partner, LogIntervention, OnTeam, Share, LIMITED_ID), (Partner, LogIntervention, OnTeam, Confidential, LIMITED), (Partner, LogIntervention, OnTeam, Anonymous, LIMITED),
            (Partner, LogIntervention, NotOnTeam, Share, HIDDEN), (Partner, LogIntervention, NotOnTeam, Confidential, HIDDEN), (Partner, LogIntervention, NotOnTeam, Anonymous, HIDDEN),
            (Coordinator, ReadSupportRecord, OnTeam, Share, FULL), (Coordinator, ReadSupportRecord, OnTeam, Confidential, FULL), (Coordinator, ReadSupportRecord, OnTeam, Anonymous, FULL),
            (Coordinator, ReadSupportRecord, NotOnTeam, Share, FULL), (Coordinator, ReadSupportRecord, NotOnTeam, Confidential, FULL), (Coordinator, ReadSupportRecord, NotOnTeam, Anonymous, FULL),
            (Partner, ReadSupportRecord, OnTeam, Share, FORBIDDEN), (Partner, ReadSupportRecord, OnTeam, Confidential, FORBIDDEN), (Partner, ReadSupportRecord, OnTeam, Anonymous, FORBIDDEN),
            (Partner, ReadSupportRecord, NotOnTeam, Share, HIDDEN), (Partner, ReadSupportRecord, NotOnTeam, Confidential, HIDDEN), (Partner, ReadSupportRecord, NotOnTeam, Anonymous, HIDDEN),
        ];
        for (role, action, rel, sharing, expected) in table {
            assert_eq!(case_access(*role, *action, *rel, *sharing), *expected, "{role} {action:?} {rel:?} {sharing}");
        }
        // Roles that never read cases: forbidden whatever the relationship or consent.
        for role in [Commissioner, Auditor, Admin] {
            for action in CaseAction::ALL {
                for rel in [OnTeam, NotOnTeam] {
                    for sharing in DataSharing::ALL {
                        assert_eq!(case_access(role, action, rel, *sharing), FORBIDDEN, "{role} {action:?} {rel:?}");
                    }
                }
            }
        }
        // The table above is complete for the two case-working roles.
        assert_eq!(table.len(), 2 * CaseAction::ALL.len() * 2 * DataSharing::ALL.len());
    }

    #[test]
    fn precheck_refuses_only_roles_no_case_admits() {
        for role in Role::ALL {
            for action in CaseAction::ALL {
                let expected = if matches!(role, Commissioner | Auditor | Admin) { Err(Denial::Forbidden) } else { Ok(()) };
                assert_eq!(precheck(*role, action), expected, "{role} {action:?}");
            }
        }
    }

    fn principal(role: Role, agency: Option<AgencyId>) -> Principal {
        Principal { subject: Subject::parse("someone").unwrap_or_else(|_| unreachable!()), role, agency }
    }

    #[test]
    fn relationship_follows_the_team() {
        let gp = AgencyId::new_v7(10);
        let police = AgencyId::new_v7(20);
        let p = principal(Partner, Some(gp));
        assert_eq!(Relationship::of(&p, [police, gp]), OnTeam);
        assert_eq!(Relationship::of(&p, [police]), NotOnTeam);
        assert_eq!(Relationship::of(&principal(Admin, None), [police]), NotOnTeam);
        assert_eq!(decide(&p, Read, [police], Share), HIDDEN);
    }

    #[test]
    fn creating_and_listing() {
        let agency = AgencyId::new_v7(1);
        for role in Role::ALL {
            let p = principal(*role, Some(agency));
            assert_eq!(may_create_case(&p).is_ok(), *role == Coordinator, "{role}");
            let scope = case_list_scope(&p);
            match role {
                Coordinator => assert_eq!(scope, Ok(CaseScope::All)),
                Partner => assert_eq!(scope, Ok(CaseScope::TeamOf(agency))),
                _ => assert_eq!(scope, Err(Denial::Forbidden)),
            }
        }
    }

    #[test]
    fn intervention_summaries_and_actions_follow_the_agency() {
        let gp = AgencyId::new_v7(10);
        let police = AgencyId::new_v7(20);
        let partner = principal(Partner, Some(gp));
        assert!(sees_summary(&partner, gp) && !sees_summary(&partner, police));
        assert!(sees_summary(&principal(Coordinator, Some(police)), gp));
        assert!(!sees_summary(&principal(Commissioner, None), gp));
        assert_eq!(may_close_action(&partner, gp, OnTeam), Ok(()));
        assert_eq!(may_close_action(&partner, police, OnTeam), Err(Denial::Hidden));
        assert_eq!(may_close_action(&partner, gp, NotOnTeam), Err(Denial::Hidden));
        assert_eq!(may_close_action(&principal(Coordinator, Some(police)), gp, NotOnTeam), Ok(()));
        assert_eq!(may_close_action(&principal(Auditor, None), gp, OnTeam), Err(Denial::Forbidden));
        assert!(sees_action(&partner, gp) && !sees_action(&partner, police));
    }

    #[test]
    fn agency_table() {
        use AgencyAction as A;
        for role in Role::ALL {
            for action in [A::Read, A::Create, A::Update] {
                let expected = match (role, action) {
                    (Admin, _) | (Coordinator, A::Read) => Ok(AgencyView { contacts: true }),
                    (_, A::Read) => Ok(AgencyView { contacts: false }),
                    _ => Err(Denial::Forbidden),
                };
                assert_eq!(agency_access(*role, action), expected, "{role} {action:?}");
            }
        }
    }

    #[test]
    fn reports_for_commissioners_and_coordinators_exact_figures_for_coordinators_only() {
        assert_eq!(report_access(Coordinator, true), Ok(ReportDisclosure::Exact));
        assert_eq!(report_access(Coordinator, false), Ok(ReportDisclosure::Protected));
        assert_eq!(report_access(Commissioner, false), Ok(ReportDisclosure::Protected));
        assert_eq!(report_access(Commissioner, true), Err(Denial::Forbidden));
        for role in [Partner, Auditor, Admin] {
            assert_eq!(report_access(role, false), Err(Denial::Forbidden));
        }
    }
}
