//! The network's challenge board: raising a challenge (anyone at a member agency), deciding on it
//! (coordinators), the network actions given out on it and their closing, and reading the board.
//! Partners see the board and every challenge's actions, never the cases a challenge is linked
//! to.

use fourthp_domain::access::{self, case_access, CaseAction, ChallengeAction, Relationship};
use fourthp_domain::action::Action;
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::audit::EntityType;
use fourthp_domain::case::CaseReference;
use fourthp_domain::challenge::{
    name_candidates, personal_data_in, Challenge, ChallengeChange, ChallengeDescription, ChallengeNote, ChallengeStatus, ChallengeTitle,
    NewChallenge, Urgency,
};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::ids::{AgencyId, CaseId, ChallengeId, MeetingId};
use fourthp_domain::paging::{Limit, Page};
use fourthp_domain::principal::Role;
use fourthp_domain::time::london_date;
use fourthp_persistence::challenges::{self as store, ChallengeError, Decision, NameScope};
use fourthp_persistence::write::{self, IdempotencyKey, StoredResponse, Written};

use super::interventions::{parse_follow_up, FollowUp};
use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

impl From<ChallengeError> for AppError {
    fn from(e: ChallengeError) -> Self {
        match e {
            ChallengeError::NotFound => AppError::NotFound,
            ChallengeError::Invalid(errs) => AppError::Invalid(errs),
            ChallengeError::VersionMismatch => AppError::Stale,
            ChallengeError::NotAllowed(n) => AppError::Conflict {
                kind: "challenge-lifecycle",
                message: n.to_string(),
                rule: Some("challenge_lifecycle"),
                errors: FieldErrors::new(),
            },
            ChallengeError::Closed(s) => AppError::conflict(
                "challenge-closed",
                match s {
                    ChallengeStatus::Raised => "Accept the challenge for the network before giving out its actions.".to_owned(),
                    _ => format!(
                        "The challenge is {}: the network owes nothing more on it.",
                        fourthp_domain::words::Words::words(s).to_lowercase()
                    ),
                },
            ),
            ChallengeError::Store(s) => AppError::Store(s),
        }
    }
}

/// A challenge as an adapter read it: the raw words, to be parsed here.
#[derive(Debug, Clone, Default)]
pub struct RaiseFields {
    pub title: String,
    pub description: String,
    pub urgency: String,
    pub sectors: Vec<String>,
    pub agencies: Vec<AgencyId>,
    /// Case references to link (the writer must be able to see each).
    pub cases: Vec<String>,
    /// The writer has seen the warning about personal data and saves anyway.
    pub personal_data_confirmed: bool,
}

/// What the board may be asked for.
fn allowed(caller: &Caller, action: ChallengeAction) -> Result<(), AppError> {
    Ok(access::challenge_access(caller.principal().role, action)?)
}

/// Raises a challenge. Fields at fault are named `title`, `description`, `urgency`,
/// `sectors[i]`, `agencies[i]`, `cases[i]`; text that looks like it is about a person is a
/// conflict (`personal-data`) naming what was found, until the writer confirms.
pub async fn raise(caller: &Caller, state: &AppState, f: RaiseFields) -> Result<Challenge, AppError> {
    allowed(caller, ChallengeAction::Raise)?;
    let mut errs = FieldErrors::new();
    let title = errs.check("title", ChallengeTitle::parse(&f.title));
    let description = errs.check("description", ChallengeDescription::parse(&f.description));
    let urgency = errs.check("urgency", Urgency::parse(&f.urgency).ok_or("must be routine, soon or urgent"));
    let mut sectors = Vec::new();
    for (i, s) in f.sectors.iter().enumerate() {
        if let Some(kind) = errs.check(&format!("sectors[{i}]"), AgencyKind::parse(s).ok_or("is not a kind of agency")) {
            if !sectors.contains(&kind) {
                sectors.push(kind);
            }
        }
    }
    let mut agencies = Vec::new();
    for (i, a) in f.agencies.iter().enumerate() {
        match fourthp_persistence::agencies::get(&state.db, *a).await? {
            Some(agency) if agency.active => {
                if !agencies.contains(a) {
                    agencies.push(*a);
                }
            }
            _ => errs.push(format!("agencies[{i}]"), "is not an active member agency"),
        }
    }
    let linked = linkable_cases(caller, state, &f.cases, &mut errs).await?;
    let (Some(title), Some(description), Some(urgency)) = (title, description, urgency) else {
        return Err(AppError::Invalid(errs));
    };
    errs.into_result()?;
    if !f.personal_data_confirmed {
        let warnings = personal_data(caller, state, &[("title", title.as_str()), ("description", description.as_str())]).await?;
        if !warnings.is_empty() {
            return Err(AppError::Conflict {
                kind: "personal-data",
                message: "This looks like it is about a person. The board is seen by every member agency: take it out, or confirm it is not about a person.".to_owned(),
                rule: None,
                errors: warnings,
            });
        }
    }
    let new = NewChallenge { title, description, urgency, sectors, agencies };
    let challenge = store::raise(&state.db, &caller.ctx, new, &linked).await?;
    caller.concerns(EntityType::Challenge, challenge.id.into_uuid());
    Ok(challenge)
}

/// The cases `references` name, each one the caller may see: a reference the caller may not see
/// reads as one that does not exist.
async fn linkable_cases(caller: &Caller, state: &AppState, references: &[String], errs: &mut FieldErrors) -> Result<Vec<CaseId>, AppError> {
    let mut linked = Vec::new();
    for (i, raw) in references.iter().enumerate().filter(|(_, r)| !r.trim().is_empty()) {
        let field = format!("cases[{i}]");
        let Some(reference) =
            errs.check(&field, CaseReference::parse(raw.trim()).map_err(|_| "is not a case reference (like 2026-000123)"))
        else {
            continue;
        };
        let found = match fourthp_persistence::cases::id_by_reference(&state.db, &reference).await? {
            Some(id) => fourthp_persistence::cases::get(&state.db, id).await?,
            None => None,
        };
        let visible = found.filter(|case| {
            let principal = caller.principal();
            case_access(
                principal.role,
                CaseAction::Read,
                Relationship::of(principal, case.team_agencies()),
                case.details.consent.data_sharing,
            )
            .is_ok()
        });
        match visible {
            Some(case) if !linked.contains(&case.id) => linked.push(case.id),
            Some(_) => {}
            None => errs.push(field, "is not a case you work on"),
        }
    }
    Ok(linked)
}

/// What in `texts` (field, text) looks like it is about a person, as field errors: references,
/// contact details, dates, and the names of cases the caller may see (never others: the
/// warning must not tell anyone a case exists).
async fn personal_data(caller: &Caller, state: &AppState, texts: &[(&str, &str)]) -> Result<FieldErrors, AppError> {
    let p = caller.principal();
    let scope = match (p.role, p.agency) {
        (Role::Coordinator, _) => NameScope::All,
        (_, Some(agency)) => NameScope::TeamOf(agency, access::searchable_names(access::CaseScope::TeamOf(agency))),
        (_, None) => NameScope::TeamOf(AgencyId::from_uuid(uuid::Uuid::nil()), Vec::new()),
    };
    let mut errs = FieldErrors::new();
    for (field, text) in texts {
        let names = store::names_known(&state.db, &name_candidates(text), &scope).await?;
        for finding in personal_data_in(text, &names) {
            errs.push(*field, finding.words());
        }
    }
    Ok(errs)
}

/// The board, newest first.
pub async fn board(
    caller: &Caller,
    state: &AppState,
    status: Option<ChallengeStatus>,
    limit: Limit,
    before: Option<i64>,
) -> Result<Page<Challenge, i64>, AppError> {
    allowed(caller, ChallengeAction::Read)?;
    Ok(store::list(&state.db, status, limit, before).await?)
}

/// A challenge with what the caller may see of it.
#[derive(Debug, Clone)]
pub struct ChallengeView {
    pub challenge: Challenge,
    pub decisions: Vec<Decision>,
    pub actions: Vec<Action>,
    /// The linked cases: coordinators only (none for anyone else).
    pub cases: Option<Vec<(CaseId, CaseReference)>>,
}

/// One challenge, its decisions and actions; its linked cases for coordinators.
pub async fn get(caller: &Caller, state: &AppState, id: ChallengeId) -> Result<ChallengeView, AppError> {
    caller.concerns(EntityType::Challenge, id.into_uuid());
    allowed(caller, ChallengeAction::Read)?;
    let challenge = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let cases = if access::challenge_access(caller.principal().role, ChallengeAction::SeeCaseLinks).is_ok() {
        let cases = store::linked_cases(&state.db, id).await?;
        caller.listed(cases.iter().map(|c| c.0), fourthp_domain::audit::Purpose::CaseList);
        Some(cases)
    } else {
        None
    };
    Ok(ChallengeView {
        decisions: store::decisions(&state.db, id).await?,
        actions: store::actions_of(&state.db, id).await?,
        challenge,
        cases,
    })
}

/// A decision as an adapter read it: the step (a status's code) and its words.
#[derive(Debug, Clone, Default)]
pub struct DecisionFields {
    pub to: String,
    pub note: String,
    pub meeting: Option<MeetingId>,
}

/// The change `f` asks for; errors name `to` and `note`.
pub fn parse_decision(f: &DecisionFields) -> Result<ChallengeChange, AppError> {
    let mut errs = FieldErrors::new();
    let to = errs.check("to", ChallengeStatus::parse(&f.to).ok_or("must be a step the board knows"));
    let note = |errs: &mut FieldErrors, what: &str| {
        errs.check(
            "note",
            ChallengeNote::parse(&f.note).map_err(|e| if f.note.trim().is_empty() { format!("Say {what}") } else { e.to_string() }),
        )
    };
    let change = match to {
        Some(ChallengeStatus::Accepted) => Some(ChallengeChange::Accept),
        Some(ChallengeStatus::BeingWorked) => Some(ChallengeChange::StartWork),
        Some(ChallengeStatus::Declined) => note(&mut errs, "why the network declines it").map(|reason| ChallengeChange::Decline { reason }),
        Some(ChallengeStatus::Resolved) => note(&mut errs, "what changed").map(|what_changed| ChallengeChange::Resolve { what_changed }),
        Some(ChallengeStatus::Escalated) => {
            note(&mut errs, "why it goes to the national forum").map(|why| ChallengeChange::Escalate { why })
        }
        Some(ChallengeStatus::Raised) => {
            errs.push("to", "a challenge is raised once");
            None
        }
        None => None,
    };
    errs.into_result()?;
    change.ok_or_else(|| AppError::invalid("to", "must be a step the board knows"))
}

/// Takes a decision on a challenge (coordinators) still at `expected`.
pub async fn decide(
    caller: &Caller,
    state: &AppState,
    id: ChallengeId,
    expected: Option<i32>,
    change: ChallengeChange,
    meeting: Option<MeetingId>,
) -> Result<Challenge, AppError> {
    caller.concerns(EntityType::Challenge, id.into_uuid());
    allowed(caller, ChallengeAction::Decide)?;
    let meeting = super::meetings::at_meeting(state, meeting).await?;
    let today = london_date(caller.ctx.at);
    Ok(store::decide(&state.db, &caller.ctx, id, expected, change, today, meeting).await?)
}

/// Gives out a network action on a challenge (coordinators), once per idempotency key. Errors
/// name `description`, `owner_agency_id` and `due_on`.
pub async fn add_action(
    caller: &Caller,
    state: &AppState,
    id: ChallengeId,
    key: Option<&IdempotencyKey>,
    follow_up: FollowUp,
    meeting: Option<MeetingId>,
    respond: impl FnOnce(&Action) -> StoredResponse,
) -> Result<Written<Action>, AppError> {
    caller.concerns(EntityType::Challenge, id.into_uuid());
    allowed(caller, ChallengeAction::Decide)?;
    let meeting = super::meetings::at_meeting(state, meeting).await?;
    let new = parse_follow_up(follow_up)?;
    let ctx = &caller.ctx;
    let today = london_date(ctx.at);
    write::run(
        &state.db,
        key,
        ctx.at,
        async |conn| store::add_action(conn, ctx, id, new, today, meeting).await.map_err(AppError::from),
        respond,
    )
    .await
}

/// One network action of a challenge: another challenge's (or a case's) is not found here.
pub async fn action(caller: &Caller, state: &AppState, id: ChallengeId, action: fourthp_domain::ids::ActionId) -> Result<Action, AppError> {
    caller.concerns(EntityType::Action, action.into_uuid());
    allowed(caller, ChallengeAction::Read)?;
    match fourthp_persistence::actions::get(&state.db, action).await? {
        Some(a) if a.on.challenge() == Some(id) => Ok(a),
        _ => Err(AppError::NotFound),
    }
}
