//! Acting from the inbox: the page an emailed link opens (which changes nothing), and its
//! forms, which close the action ("Done", "We can't do this") or answer "what happened?" as the
//! link's agency, "by emailed link to" its recipient. Each use is audited; a used, expired or
//! cut-off link says what happened.

use chrono::{DateTime, Utc};
use fourthp_domain::action::{Action, ActionChange, ActionNote};
use fourthp_domain::audit::{AuditEntry, AuditOutcome, EntityType};
use fourthp_domain::error::FieldErrors;
use fourthp_domain::notify::{Ask, AskAnswer, AskAnswerText};
use fourthp_domain::principal::{Principal, Role, Subject};
use fourthp_domain::time::london_date;
use fourthp_persistence::inbox::{self, Link, Spent, UseError};
use fourthp_persistence::StoreError;

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

/// Why a link did not act.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the link cannot act")]
    Spent(Spent),
    #[error("invalid answer")]
    Invalid(FieldErrors),
    #[error("the agency is no longer on the case's team")]
    NotOnTeam,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        LinkError::App(AppError::Store(e))
    }
}

impl From<UseError> for LinkError {
    fn from(e: UseError) -> Self {
        match e {
            UseError::Spent(s) => LinkError::Spent(s),
            UseError::NotOnTeam => LinkError::NotOnTeam,
            UseError::Action(a) => LinkError::App(a.into()),
            UseError::Store(s) => LinkError::App(AppError::Store(s)),
        }
    }
}

/// The link a token names, as it is now; reading it changes nothing.
pub async fn find(state: &AppState, token: &str) -> Result<Option<Link>, AppError> {
    if token.len() != 43 {
        return Ok(None);
    }
    Ok(inbox::find(&state.db, &crate::credentials::token_hash(token)).await?)
}

/// Who acts through a link: a partner of the link's agency, named for the recipient.
pub fn principal_of(link: &Link) -> Result<Principal, AppError> {
    let subject = Subject::parse(&format!("emailed link to {}", link.recipient))
        .map_err(|_| AppError::Store(StoreError::internal("a link's recipient that names no subject")))?;
    Principal::new(subject, Role::Partner, Some(link.agency)).map_err(|_| AppError::Store(StoreError::internal("a link's principal")))
}

/// What the link's page shows, or why it cannot act. The case's reference and what is owed
/// are a read of the case: recorded as the link's.
pub fn show(caller: &Caller, link: &Link, now: DateTime<Utc>) -> Option<Spent> {
    let entity = if link.action.is_some() { EntityType::Action } else { EntityType::Ask };
    if let Some(case) = link.about.case() {
        caller.log_read(AuditEntry::read(entity, case, AuditOutcome::Success));
    }
    link.spent(now)
}

/// What the holder of an action's link says.
#[derive(Debug, Clone)]
pub enum Closing {
    /// Done, with an optional note.
    Done(String),
    /// Cannot be done, with the reason (required).
    Cannot(String),
}

/// Closes the link's action as its agency. The policy decides as for a signed-in partner of
/// that agency: the agency must still owe it and be on the case's team.
pub async fn close(caller: &Caller, state: &AppState, token: &str, closing: Closing) -> Result<Action, LinkError> {
    let change = match closing {
        Closing::Done(note) if note.trim().is_empty() => {
            ActionChange::Complete { note: ActionNote::parse("Marked done from the emailed link.").map_err(|_| AppError::Forbidden)? }
        }
        Closing::Done(note) => ActionChange::Complete { note: parse_note("note", &note)? },
        Closing::Cannot(reason) if reason.trim().is_empty() => {
            let mut errs = FieldErrors::new();
            errs.push("reason", "Say why it can't be done, so the coordinator can find another way");
            return Err(LinkError::Invalid(errs));
        }
        Closing::Cannot(reason) => ActionChange::Cancel { reason: parse_note("reason", &reason)? },
    };
    let hash = crate::credentials::token_hash(token);
    let today = london_date(caller.ctx.at);
    let closed =
        inbox::close_action(&state.db, &caller.ctx, &hash, change, today, |case, action| super::actions::closing(caller, case, action))
            .await;
    if matches!(closed, Err(UseError::NotOnTeam)) {
        caller.refused_child();
    }
    Ok(closed?)
}

fn parse_note(field: &str, text: &str) -> Result<ActionNote, LinkError> {
    ActionNote::parse(text).map_err(|e| {
        let mut errs = FieldErrors::new();
        errs.push(field, e.to_string());
        LinkError::Invalid(errs)
    })
}

/// Answers the link's "what happened?" as its agency.
pub async fn answer(caller: &Caller, state: &AppState, token: &str, status: Option<AskAnswer>, text: &str) -> Result<Ask, LinkError> {
    let mut errs = FieldErrors::new();
    if status.is_none() {
        errs.push("answer", "Choose whether it is done, still in progress, or you could not help");
    }
    let text = match text.trim() {
        "" => None,
        t => errs.check("text", AskAnswerText::parse(t)),
    };
    let Some(status) = status else { return Err(LinkError::Invalid(errs)) };
    errs.into_result().map_err(LinkError::Invalid)?;
    let hash = crate::credentials::token_hash(token);
    Ok(inbox::answer_ask(&state.db, &caller.ctx, &hash, status, text).await?)
}
