//! Links in emails that act without signing in. Only the SHA-256 of each link's 256-bit token
//! is kept; a link is bound to one action (or ask), one agency and one recipient, lasts 14 days,
//! and is used once, by a POST. Opening it (a GET) changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::access::Denial;
use fourthp_domain::action::{Action, ActionChange, ActionOn, ActionStatus, Concerning};
use fourthp_domain::audit::AuditContext;
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{ActionId, AgencyId, AskId, UserId};
use fourthp_domain::notify::{Ask, AskAnswer, AskAnswerText, Topic};
use uuid::Uuid;

use crate::actions::{self, ActionError};
use crate::db::{Db, StoreError};
use crate::outbox::{self, About};
use crate::schema::{actions as actions_t, agencies, cases, inbox_links, interventions, users};

/// What a link acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Action(ActionId),
    Ask(AskId),
}

/// A new link, as a digest mints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub token_hash: Vec<u8>,
    pub target: Target,
    pub agency: AgencyId,
    pub recipient: String,
    pub user: Option<UserId>,
    pub expires_at: DateTime<Utc>,
}

/// Stores links on `conn` (the digest's transaction).
pub async fn mint(conn: &mut AsyncPgConnection, links: &[NewLink], now: DateTime<Utc>) -> Result<(), StoreError> {
    for chunk in links.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|l| {
                let (action, ask) = match l.target {
                    Target::Action(a) => (Some(a.into_uuid()), None),
                    Target::Ask(k) => (None, Some(k.into_uuid())),
                };
                (
                    inbox_links::token_hash.eq(l.token_hash.clone()),
                    inbox_links::action_id.eq(action),
                    inbox_links::ask_id.eq(ask),
                    inbox_links::agency_id.eq(l.agency.into_uuid()),
                    inbox_links::recipient.eq(l.recipient.clone()),
                    inbox_links::user_id.eq(l.user.map(UserId::into_uuid)),
                    inbox_links::expires_at.eq(l.expires_at),
                    inbox_links::created_at.eq(now),
                )
            })
            .collect();
        diesel::insert_into(inbox_links::table).values(rows).execute(conn).await?;
    }
    Ok(())
}

/// Queues `email` (once only, by `once`) with the links it carries, in one transaction; `false`
/// when that once was used before (nothing is written then).
pub async fn queue_with_links(
    db: &Db,
    now: DateTime<Utc>,
    agency: Option<AgencyId>,
    email: &outbox::Email,
    once: &str,
    links: &[NewLink],
) -> Result<bool, StoreError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        if !outbox::queue_email(conn, now, Topic::Digest, agency, email, Some(once)).await? {
            return Ok(false);
        }
        mint(conn, links, now).await?;
        Ok(true)
    })
    .await
}

/// A link as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: Target,
    pub agency: AgencyId,
    pub agency_name: String,
    pub recipient: String,
    pub user: Option<UserId>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// The agency and the recipient's account (if any) are still active.
    pub live: bool,
    /// The case (or, for a network action, the challenge) it is about.
    pub about: Concerning,
    /// The action, for an action's link.
    pub action: Option<Action>,
    /// The ask and when the conversation was, for an ask's link.
    pub ask: Option<(Ask, DateTime<Utc>)>,
}

/// Why a link cannot act (or be shown as acting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spent {
    /// No such link.
    Unknown,
    /// Used already, at this time.
    Used(DateTime<Utc>),
    Expired,
    /// The agency, or the recipient's account, was deactivated.
    CutOff,
    /// The action was closed meanwhile (by someone else, or another link).
    ActionClosed(ActionStatus),
    /// The ask was answered meanwhile.
    Answered,
}

type LinkTuple = (Option<Uuid>, Option<Uuid>, Uuid, String, Option<Uuid>, DateTime<Utc>, Option<DateTime<Utc>>, String, bool, Option<bool>);

async fn load(conn: &mut AsyncPgConnection, hash: &[u8], lock: bool) -> Result<Option<Link>, StoreError> {
    if lock {
        // Held to the end of the transaction: two posts of one link act once.
        let found: Option<Vec<u8>> =
            inbox_links::table.find(hash).select(inbox_links::token_hash).for_update().first(conn).await.optional()?;
        if found.is_none() {
            return Ok(None);
        }
    }
    let query = inbox_links::table.inner_join(agencies::table).left_join(users::table).filter(inbox_links::token_hash.eq(hash)).select((
        inbox_links::action_id,
        inbox_links::ask_id,
        inbox_links::agency_id,
        inbox_links::recipient,
        inbox_links::user_id,
        inbox_links::expires_at,
        inbox_links::used_at,
        agencies::name,
        agencies::active,
        users::active.nullable(),
    ));
    let row: Option<LinkTuple> = query.first(conn).await.optional()?;
    let Some((action, ask, agency, recipient, user, expires_at, used_at, agency_name, agency_active, user_active)) = row else {
        return Ok(None);
    };
    let target = match (action, ask) {
        (Some(a), None) => Target::Action(ActionId::from_uuid(a)),
        (None, Some(k)) => Target::Ask(AskId::from_uuid(k)),
        _ => return Err(StoreError::internal("a link without its one target")),
    };
    let (on, action, ask) = match target {
        Target::Action(a) => {
            let row: crate::rows::ActionRow =
                actions_t::table.find(a.into_uuid()).select(crate::rows::ActionRow::as_select()).first(conn).await?;
            let action = actions::action_from(row)?;
            (action.on, Some(action), None)
        }
        Target::Ask(k) => {
            let ask = crate::asks::get_on(conn, k).await?.ok_or_else(|| StoreError::internal("a link to a missing ask"))?;
            let talked_at: DateTime<Utc> =
                interventions::table.find(ask.intervention_id.into_uuid()).select(interventions::occurred_at).first(conn).await?;
            (ActionOn::Case(ask.case_id), None, Some((ask, talked_at)))
        }
    };
    let about = match on {
        ActionOn::Case(case_id) => {
            let reference: String = cases::table.find(case_id.into_uuid()).select(cases::reference).first(conn).await?;
            Concerning::Case(
                case_id,
                CaseReference::parse(&reference).map_err(|_| StoreError::internal("case row with invalid reference"))?,
            )
        }
        ActionOn::Challenge(c) => Concerning::Challenge(c, crate::challenges::number_of(conn, c).await?),
    };
    Ok(Some(Link {
        target,
        agency: AgencyId::from_uuid(agency),
        agency_name,
        recipient,
        user: user.map(UserId::from_uuid),
        expires_at,
        used_at,
        live: agency_active && user_active != Some(false),
        about,
        action,
        ask,
    }))
}

impl Link {
    /// Whether the link may act at `now`, and if not why.
    pub fn spent(&self, now: DateTime<Utc>) -> Option<Spent> {
        if let Some(at) = self.used_at {
            return Some(Spent::Used(at));
        }
        if !self.live {
            return Some(Spent::CutOff);
        }
        if let Some(status) = self.action.as_ref().and_then(|a| a.closure.as_ref()).map(|c| c.status.status()) {
            return Some(Spent::ActionClosed(status));
        }
        if self.ask.as_ref().is_some_and(|(a, _)| a.answer.is_some()) {
            return Some(Spent::Answered);
        }
        if now >= self.expires_at {
            return Some(Spent::Expired);
        }
        None
    }
}

/// The link with the token hash `hash`, as it is now (reading changes nothing).
pub async fn find(db: &Db, hash: &[u8]) -> Result<Option<Link>, StoreError> {
    let mut conn = db.conn().await?;
    load(&mut conn, hash, false).await
}

#[derive(Debug, thiserror::Error)]
pub enum UseError {
    #[error("the link cannot act")]
    Spent(Spent),
    #[error("the agency is no longer on the case's team")]
    NotOnTeam,
    #[error(transparent)]
    Action(ActionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for UseError {
    fn from(e: diesel::result::Error) -> Self {
        UseError::Store(e.into())
    }
}

async fn claim(conn: &mut AsyncPgConnection, hash: &[u8], now: DateTime<Utc>) -> Result<Link, UseError> {
    let link = load(conn, hash, true).await?.ok_or(UseError::Spent(Spent::Unknown))?;
    if let Some(spent) = link.spent(now) {
        return Err(UseError::Spent(spent));
    }
    diesel::update(inbox_links::table.find(hash)).set(inbox_links::used_at.eq(Some(now))).execute(conn).await?;
    Ok(link)
}

/// Closes the link's action (done with a note, or cannot be done with a reason) as `ctx` (the
/// link's agency, "by emailed link to" its recipient), and uses the link up, in one transaction.
/// `authorize` is the access policy's decision for the case and action.
pub async fn close_action<F>(
    db: &Db,
    ctx: &AuditContext,
    hash: &[u8],
    change: ActionChange,
    today: NaiveDate,
    authorize: F,
) -> Result<Action, UseError>
where
    F: FnOnce(Option<&fourthp_domain::case::Case>, &Action) -> Result<(), Denial> + Send,
{
    let mut conn = db.conn().await?;
    conn.transaction::<_, UseError, _>(async move |conn| {
        let link = claim(conn, hash, ctx.at).await?;
        let Target::Action(id) = link.target else { return Err(UseError::Spent(Spent::Unknown)) };
        actions::close_on(conn, ctx, id, None, change, today, authorize).await.map_err(|e| match e {
            ActionError::Denied(_) => UseError::NotOnTeam,
            other => UseError::Action(other),
        })
    })
    .await
}

/// Records the answer to the link's ask as `ctx`, uses the link up, and tells the asking
/// agency's webhooks, in one transaction.
pub async fn answer_ask(db: &Db, ctx: &AuditContext, hash: &[u8], status: AskAnswer, text: Option<AskAnswerText>) -> Result<Ask, UseError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, UseError, _>(async move |conn| {
        let link = claim(conn, hash, ctx.at).await?;
        let Target::Ask(id) = link.target else { return Err(UseError::Spent(Spent::Unknown)) };
        let ask = crate::asks::answer_on(conn, ctx, id, status, text.as_ref()).await?.ok_or(UseError::Spent(Spent::Answered))?;
        if let Some(asker) = ask.asked_by_agency {
            let case = match &link.about {
                Concerning::Case(id, reference) => Some((*id, reference.clone())),
                Concerning::Challenge(..) => None,
            };
            let about = About { case, ask: Some(ask.id), status: Some(status.as_str()), ..About::default() };
            outbox::announce(conn, ctx.at, Topic::AskAnswered, asker, &about, None).await?;
        }
        Ok(ask)
    })
    .await
}

/// Forgets links that expired more than 30 days ago; returns how many.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut conn = db.conn().await?;
    Ok(diesel::delete(inbox_links::table.filter(inbox_links::expires_at.lt(now - chrono::Duration::days(30)))).execute(&mut conn).await?)
}
