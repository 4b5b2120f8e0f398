//! A person's notifications: how often they get the digest, and their calendar feed (a secret,
//! revocable URL of their agency's actions and their cases' deadlines).

use chrono::{DateTime, Utc};
use fourthp_domain::audit::Purpose;
use fourthp_domain::ids::UserId;
use fourthp_domain::notify::DigestFrequency;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::{Principal, Role};
use fourthp_domain::rules::RuleBook;
use fourthp_domain::time::london_date;
use fourthp_persistence::actions::owed;
use fourthp_persistence::deadlines::board::{self, Grouping, Window};
use fourthp_persistence::deadlines::QueueFilter;
use fourthp_persistence::{calendar, digest};

use super::AppError;
use crate::auth::Caller;
use crate::notify::ics;
use crate::state::AppState;

/// What a person has chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub digest: DigestFrequency,
    /// When their live calendar feed was made, if they have one.
    pub calendar_since: Option<DateTime<Utc>>,
    /// Whether the service sends email at all.
    pub mail_configured: bool,
}

/// The caller's own account: only people signed in with one have preferences.
fn account(caller: &Caller) -> Result<UserId, AppError> {
    caller.user.ok_or(AppError::Forbidden)
}

pub async fn preferences(caller: &Caller, state: &AppState) -> Result<Preferences, AppError> {
    let user = account(caller)?;
    Ok(Preferences {
        digest: digest::preference(&state.db, user).await?.ok_or(AppError::NotFound)?,
        calendar_since: calendar::live_since(&state.db, user).await?,
        mail_configured: state.notifier.mail.is_some(),
    })
}

/// Sets how often the caller gets the digest.
pub async fn set_digest(caller: &Caller, state: &AppState, frequency: DigestFrequency) -> Result<Preferences, AppError> {
    let user = account(caller)?;
    if !digest::set_preference(&state.db, &caller.ctx, user, frequency).await? {
        return Err(AppError::NotFound);
    }
    preferences(caller, state).await
}

/// Makes the caller a new calendar feed (the old URL stops working); returns its URL, shown now.
pub async fn new_calendar(caller: &Caller, state: &AppState) -> Result<String, AppError> {
    let user = account(caller)?;
    if !matches!(caller.principal().role, Role::Coordinator | Role::Partner) {
        return Err(AppError::Forbidden);
    }
    let token =
        crate::credentials::random_token().map_err(|e| AppError::Store(fourthp_persistence::StoreError::internal(e.to_string())))?;
    calendar::create(&state.db, &caller.ctx, user, &crate::credentials::token_hash(&token)).await?;
    Ok(format!("{}/calendar/{token}.ics", state.notifier.public_url))
}

/// Revokes the caller's calendar feed.
pub async fn revoke_calendar(caller: &Caller, state: &AppState) -> Result<(), AppError> {
    let user = account(caller)?;
    if !calendar::revoke(&state.db, &caller.ctx, user).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Whose feed `token` is: the account's principal as it is now (a deactivated account, or a
/// revoked feed, has none).
pub async fn feed_owner(state: &AppState, token: &str) -> Result<Option<Principal>, AppError> {
    if token.len() != 43 {
        return Ok(None);
    }
    let Some(user) = calendar::owner(&state.db, &crate::credentials::token_hash(token)).await? else { return Ok(None) };
    let Some(account) = fourthp_persistence::users::get(&state.db, user).await? else { return Ok(None) };
    Ok(account.principal().ok())
}

/// The most entries a feed holds.
const MOST_ENTRIES: i64 = 500;

/// The feed of `caller` (a feed's owner): their agency's open actions on the cases it is on,
/// and for coordinators the deadlines of the cases they lead; each case shown recorded as read.
pub async fn feed(caller: &Caller, state: &AppState, book: &RuleBook) -> Result<String, AppError> {
    let p = caller.principal();
    let Some(agency) = p.agency else { return Err(AppError::Forbidden) };
    let mut entries = Vec::new();
    let mut cases = Vec::new();
    let mut after = None;
    loop {
        let page = owed::owed(&state.db, agency, Limit::clamped(200), after, None).await?;
        for item in &page.items {
            cases.extend(item.action.on.case());
            entries.push(ics::Entry {
                uid: format!("action-{}@fourthp", item.action.id),
                day: item.action.details.due_on,
                summary: format!("{}: {}", item.about.reference(), item.action.details.description.as_str()),
            });
        }
        after = page.next;
        if after.is_none() || entries.len() as i64 >= MOST_ENTRIES {
            break;
        }
    }
    if p.role == Role::Coordinator {
        let filter = QueueFilter { lead: Some(p.subject.clone()), ..QueueFilter::default() };
        let today = london_date(caller.ctx.at);
        for window in [Window::Overdue, Window::ThisWeek, Window::Later] {
            let (items, _) = board::page(&state.db, &filter, today, window, Grouping::Case, MOST_ENTRIES, 0).await?;
            for item in items.into_iter().filter(|i| i.action.is_none()) {
                let d = item.deadline;
                cases.push(d.case_id);
                entries.push(ics::Entry {
                    uid: format!("deadline-{}@fourthp", d.id),
                    day: d.due_on,
                    summary: format!("{}: {}", d.case_reference.as_str(), book.rule_name(&d.rule_id)),
                });
            }
        }
    }
    caller.listed(cases, Purpose::DeadlineQueue);
    Ok(ics::calendar("FourthP: what is due", &entries, caller.ctx.at))
}
