//! The daily digest: at the configured time on working days (or at once, `fourthp digest
//! --now`), each agency mailbox and each person who has not turned it off gets one email of what
//! their agency owes (overdue first, then this week), the "what happened?" asks due, and for
//! coordinators their cases' deadlines. Each action and ask carries its own single-use link.
//! A digest is queued in the outbox with its links in one transaction, once per recipient a day.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fourthp_domain::ids::UserId;
use fourthp_domain::notify::LINK_DAYS;
use fourthp_domain::paging::Limit;
use fourthp_domain::principal::Role;
use fourthp_domain::rules::RuleBook;
use fourthp_domain::time::london_date;
use fourthp_domain::words::{how_due, long_date};
use fourthp_persistence::actions::owed;
use fourthp_persistence::deadlines::board::{self, Grouping, Window};
use fourthp_persistence::deadlines::QueueFilter;
use fourthp_persistence::digest::{self, Recipient};
use fourthp_persistence::inbox::{self, NewLink, Target};
use fourthp_persistence::outbox::{self, Email};
use fourthp_persistence::{asks, Db, StoreError};

use crate::notify::digest_mail::{AskRow, DeadlineRow, DigestContent, OwedRow};
use crate::notify::Notifier;

/// The most actions one digest lists (the rest: "see FourthP").
const MOST_ROWS: u16 = 100;
/// The most deadlines of each window a coordinator's digest lists.
const MOST_DEADLINES: i64 = 50;

/// What a digest run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestRun {
    /// Digests queued for sending.
    pub queued: usize,
    /// Recipients with nothing due: no email.
    pub nothing_due: usize,
    /// Recipients whose digest for the day was queued before.
    pub already: usize,
    /// Recipients who do not get one today (weekly on another day).
    pub not_today: usize,
}

/// The recipients a process has dealt with on a day (queued, already queued, or nothing due):
/// the scheduled run, every minute after the digest's time, skips them rather than reading
/// what they owe again.
#[derive(Debug, Default)]
pub struct Handled {
    day: Option<NaiveDate>,
    keys: std::collections::HashSet<String>,
}

impl Handled {
    fn start(&mut self, day: NaiveDate) {
        if self.day != Some(day) {
            self.day = Some(day);
            self.keys.clear();
        }
    }
}

/// Queues the digests due at `now`: on a working day after the digest time, or, `at_once`,
/// today's whatever the time and day (weekly ones included). Without a mail server, none.
pub async fn run(
    db: &Db,
    notifier: &Notifier,
    book: &RuleBook,
    now: DateTime<Utc>,
    at_once: bool,
    handled: &mut Handled,
) -> Result<DigestRun, StoreError> {
    let mut done = DigestRun::default();
    if notifier.mail.is_none() {
        return Ok(done);
    }
    let day = if at_once {
        london_date(now)
    } else {
        match notifier.schedule.due_at(now) {
            Some(day) => day,
            None => return Ok(done),
        }
    };
    handled.start(day);
    for recipient in digest::recipients(db).await? {
        if !at_once && !notifier.schedule.sends(recipient.frequency(), day) {
            done.not_today += 1;
            continue;
        }
        if !handled.keys.insert(recipient.key()) {
            continue;
        }
        let once = format!("digest\n{day}\n{}", recipient.key());
        {
            let mut conn = db.conn().await?;
            if outbox::already(&mut conn, &once).await? {
                done.already += 1;
                continue;
            }
        }
        match build(db, notifier, book, &recipient, day, now).await? {
            None => done.nothing_due += 1,
            Some((email, links)) => {
                let queued = inbox::queue_with_links(db, now, Some(recipient.agency()), &email, &once, &links).await?;
                if queued {
                    done.queued += 1;
                } else {
                    done.already += 1;
                }
            }
        }
    }
    Ok(done)
}

fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

/// A link of its own for one action or ask: the token (in the email only) and its stored hash.
fn link(notifier: &Notifier, target: Target, recipient: &Recipient, now: DateTime<Utc>) -> Result<(String, NewLink), StoreError> {
    let token = crate::credentials::random_token().map_err(|e| StoreError::internal(e.to_string()))?;
    let user = match recipient {
        Recipient::Person { user, .. } => Some(*user),
        Recipient::Mailbox { .. } => None::<UserId>,
    };
    let new = NewLink {
        token_hash: crate::credentials::token_hash(&token),
        target,
        agency: recipient.agency(),
        recipient: recipient.address().to_owned(),
        user,
        expires_at: now + Duration::days(LINK_DAYS),
    };
    Ok((format!("{}/inbox/{token}", notifier.public_url), new))
}

/// The recipient's digest for `day` and its links, or none when nothing is due.
async fn build(
    db: &Db,
    notifier: &Notifier,
    book: &RuleBook,
    recipient: &Recipient,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<(Email, Vec<NewLink>)>, StoreError> {
    let agency = recipient.agency();
    let week_end = day + Duration::days(7);
    let owed = owed::owed(db, agency, Limit::clamped(MOST_ROWS), None, Some(week_end)).await?;
    let mut links = Vec::new();
    let (mut overdue, mut this_week) = (Vec::new(), Vec::new());
    for item in owed.items {
        let (url, new) = link(notifier, Target::Action(item.action.id), recipient, now)?;
        links.push(new);
        let due_on = item.action.details.due_on;
        let row = OwedRow {
            about: item.about.name(),
            what: item.action.details.description.as_str().to_owned(),
            due: long_date(due_on),
            how_due: sentence_case(&how_due(due_on, day)),
            link: url,
        };
        if due_on < day {
            overdue.push(row)
        } else {
            this_week.push(row)
        }
    }
    let mut ask_rows = Vec::new();
    for due in asks::due_for(db, agency, day).await? {
        let (url, new) = link(notifier, Target::Ask(due.ask.id), recipient, now)?;
        links.push(new);
        ask_rows.push(AskRow {
            case_reference: due.case_reference.as_str().to_owned(),
            question: format!(
                "You spoke with the coordinator about case {} on {}: what happened?",
                due.case_reference.as_str(),
                long_date(london_date(due.talked_at))
            ),
            link: url,
        });
    }
    let mut deadlines = Vec::new();
    let (name, why, preferences) = match recipient {
        Recipient::Person { subject, role, agency_name, .. } => {
            if *role == Role::Coordinator {
                let filter = QueueFilter { lead: Some(subject.clone()), ..QueueFilter::default() };
                for window in [Window::Overdue, Window::ThisWeek] {
                    let (items, _) = board::page(db, &filter, day, window, Grouping::Case, MOST_DEADLINES, 0).await?;
                    for item in items {
                        let d = &item.deadline;
                        let what = match &item.action {
                            Some(a) => format!("{} ({})", a.description, a.owner_name),
                            None => book.rule_name(&d.rule_id),
                        };
                        deadlines.push(DeadlineRow {
                            case_reference: d.case_reference.as_str().to_owned(),
                            what,
                            due: long_date(d.due_on),
                            how_due: sentence_case(&how_due(d.due_on, day)),
                        });
                    }
                }
            }
            (
                agency_name.clone(),
                "You get this email because you have a FourthP account.".to_owned(),
                Some(format!("{}/app/account", notifier.public_url)),
            )
        }
        Recipient::Mailbox { agency_name, .. } => (
            agency_name.clone(),
            format!("This mailbox gets this email because the partnership's administrators named it for {agency_name}."),
            None,
        ),
    };
    let content = DigestContent {
        subject: subject_line(&name, overdue.len(), this_week.len(), ask_rows.len(), deadlines.len()),
        heading: format!("What {name} owes, {}", long_date(day)),
        intro: "Update each one from its link: mark it done, or say it can't be done and why. You don't need to sign in.".to_owned(),
        overdue,
        this_week,
        asks: ask_rows,
        deadlines,
        board_link: format!("{}/app/due", notifier.public_url),
        why,
        unsubscribe: unsubscribe_url(notifier, &recipient.key()),
        preferences,
    };
    if content.is_empty() {
        return Ok(None);
    }
    let (text, html) = content.render().map_err(|e| StoreError::internal(format!("the digest could not be rendered: {e}")))?;
    let unsubscribe = Some(content.unsubscribe.clone());
    Ok(Some((Email { recipient: recipient.address().to_owned(), subject: content.subject, text, html, unsubscribe }, links)))
}

/// The one-click unsubscribe address for `key` (`user:<id>` or `agency:<id>`).
pub fn unsubscribe_url(notifier: &Notifier, key: &str) -> String {
    let (kind, id) = key.split_once(':').unwrap_or(("user", key));
    format!("{}/unsubscribe/{kind}/{id}/{}", notifier.public_url, notifier.unsubscribe_code(key))
}

fn subject_line(name: &str, overdue: usize, week: usize, asks: usize, deadlines: usize) -> String {
    let mut parts = Vec::new();
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    if overdue > 0 {
        parts.push(plural(overdue, "action overdue", "actions overdue"));
    }
    if week > 0 {
        parts.push(plural(week, "action due this week", "actions due this week"));
    }
    if asks > 0 {
        parts.push(plural(asks, "\"what happened?\"", "\"what happened?\" questions"));
    }
    if deadlines > 0 {
        parts.push(plural(deadlines, "case deadline", "case deadlines"));
    }
    format!("FourthP for {name}: {}", parts.join(", "))
}

/// Whose digest an unsubscribe link turns off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscriber {
    User(UserId),
    Mailbox(fourthp_domain::ids::AgencyId),
}

/// The recipient an unsubscribe link names, if its code is right.
pub fn unsubscriber(notifier: &Notifier, kind: &str, id: &str, code: &str) -> Option<Unsubscriber> {
    let who = match kind {
        "user" => Unsubscriber::User(UserId::parse(id).ok()?),
        "agency" => Unsubscriber::Mailbox(fourthp_domain::ids::AgencyId::parse(id).ok()?),
        _ => return None,
    };
    notifier.unsubscribe_code_is(&format!("{kind}:{id}"), code).then_some(who)
}

/// Turns the digest off for the link's recipient (RFC 8058 one-click, or the page's button),
/// audited as that recipient; `false` when the account or agency is gone.
pub async fn unsubscribe(state: &crate::state::AppState, origin: &super::Origin, who: Unsubscriber) -> Result<bool, super::AppError> {
    use fourthp_domain::notify::DigestFrequency;
    use fourthp_domain::principal::{Principal, Subject};
    let at = state.clock.now();
    fn internal<E>(_: E) -> super::AppError {
        super::AppError::Store(StoreError::internal("an unsubscriber's principal"))
    }
    match who {
        Unsubscriber::User(user) => {
            let Some(account) = fourthp_persistence::users::get(&state.db, user).await? else { return Ok(false) };
            let ctx = origin.context(account.principal().map_err(internal)?, at);
            Ok(digest::set_preference(&state.db, &ctx, user, DigestFrequency::Off).await?)
        }
        Unsubscriber::Mailbox(agency) => {
            let subject = Subject::parse(&format!("unsubscribe link of agency:{agency}")).map_err(internal)?;
            let ctx = origin.context(Principal::new(subject, Role::Partner, Some(agency)).map_err(internal)?, at);
            Ok(digest::mailbox_off(&state.db, &ctx, agency).await?)
        }
    }
}
