//! The transactional outbox: what someone must hear about is written in the transaction of the
//! change it tells of, then delivered (email, webhooks) by whichever instance claims it first,
//! at least once. Each message keeps a stable id, so a receiver can drop a repeat.
//!
//! A webhook notice is written once per subscribed endpoint of the agency it concerns. It keeps
//! the notice's facts (ids, the case reference, dates, codes; never personal data), from which
//! the Standard Webhooks envelope (`type`, `timestamp`, `data` with links) is made when it is
//! sent. An email's body is kept only until it is sent (its links carry tokens); afterwards only
//! its subject remains.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{ActionId, AgencyId, AskId, CaseId, ChallengeId, DeadlineId, MessageId, WebhookEndpointId};
use fourthp_domain::notify::{retry_after, Topic, WEBHOOK_GIVE_UP_HOURS};
use futures_util::StreamExt as _;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::db::{Db, StoreError};
use crate::schema::{outbox, webhook_endpoints};

/// What a notice is about. Only ids, the case reference, dates, statuses and rule ids: the
/// payload a partner's system receives is built from this alone.
#[derive(Debug, Clone, Default)]
pub struct About {
    pub case: Option<(CaseId, CaseReference)>,
    /// A network action's challenge, and its number on the board.
    pub challenge: Option<(ChallengeId, i64)>,
    pub action: Option<ActionId>,
    pub deadline: Option<DeadlineId>,
    pub ask: Option<AskId>,
    pub due_on: Option<NaiveDate>,
    /// The action's status, the deadline's rule, the team role: a code, never free text.
    pub status: Option<&'static str>,
    pub rule: Option<String>,
}

impl About {
    /// What a webhook notice keeps in the outbox: ids, the case reference, dates and codes.
    /// The envelope, the agency and the links are made from these and the message's own
    /// columns when it is sent ([`webhook_body`]): each notice is written inside a change's
    /// transaction, and the half of an envelope its columns already hold was half of what
    /// every one of those writes logged.
    fn facts(&self) -> Value {
        let mut data = Map::new();
        if let Some((id, reference)) = &self.case {
            data.insert("case_id".into(), json!(id));
            data.insert("case_reference".into(), json!(reference.as_str()));
        }
        if let Some((id, number)) = &self.challenge {
            data.insert("challenge_id".into(), json!(id));
            data.insert("challenge_number".into(), json!(number));
        }
        if let Some(a) = self.action {
            data.insert("action_id".into(), json!(a));
        }
        if let Some(d) = self.deadline {
            data.insert("deadline_id".into(), json!(d));
        }
        if let Some(k) = self.ask {
            data.insert("ask_id".into(), json!(k));
        }
        if let Some(d) = self.due_on {
            data.insert("due_on".into(), json!(d));
        }
        if let Some(s) = self.status {
            data.insert("status".into(), json!(s));
        }
        if let Some(r) = &self.rule {
            data.insert("rule".into(), json!(r));
        }
        Value::Object(data)
    }
}

/// A webhook message's body, the Standard Webhooks envelope: `type` (its topic), `timestamp`
/// (the instant of the change, the one its v7 id was made for, to the millisecond), `data` (its
/// facts, the agency it was written for, and relative links the sender makes absolute). A
/// message written before the outbox kept facts alone holds its whole envelope: sent as it is.
fn webhook_body(id: Uuid, topic: &str, agency: Option<Uuid>, facts: Value) -> Value {
    let Value::Object(mut data) = facts else { return facts };
    if data.contains_key("type") && data.contains_key("data") {
        return Value::Object(data);
    }
    let text = |data: &Map<String, Value>, key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut links = Map::new();
    let case = text(&data, "case_id");
    let challenge = text(&data, "challenge_id");
    if let Some(case) = &case {
        links.insert("case".into(), json!(format!("/api/v1/cases/{case}")));
    }
    if let Some(challenge) = &challenge {
        links.insert("challenge".into(), json!(format!("/api/v1/challenges/{challenge}")));
    }
    if let Some(action) = text(&data, "action_id") {
        if let Some(case) = &case {
            links.insert("action".into(), json!(format!("/api/v1/cases/{case}/actions/{action}")));
        }
        if let Some(challenge) = &challenge {
            links.insert("action".into(), json!(format!("/api/v1/challenges/{challenge}/actions/{action}")));
        }
    }
    if let Some(agency) = agency {
        data.insert("agency_id".into(), json!(agency));
    }
    data.insert("links".into(), Value::Object(links));
    let at = id
        .get_timestamp()
        .map(|t| t.to_unix())
        .and_then(|(secs, nanos)| DateTime::<Utc>::from_timestamp(i64::try_from(secs).ok()?, nanos))
        .unwrap_or_default();
    json!({ "type": topic, "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "data": data })
}

#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_null = true, treat_none_as_default_value = false)]
struct NewMessage {
    id: Uuid,
    channel: &'static str,
    topic: &'static str,
    agency_id: Option<Uuid>,
    endpoint_id: Option<Uuid>,
    recipient: Option<String>,
    dedupe: Option<String>,
    payload: Value,
    status: &'static str,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

/// Announces `topic` about `about` to `agency`'s subscribed webhook endpoints, on `conn` (the
/// change's own transaction). `once`: a name that makes the notice once only per endpoint
/// (time-triggered notices). Returns how many messages were written.
///
/// One statement finds the endpoints and writes a message for each: it runs inside every change
/// that someone must hear about, so it costs one round trip whether or not anyone listens. Each
/// message's id is time-ordered (UUIDv7: the instant's milliseconds from `MessageId::new_at`,
/// the rest random), so the outbox's key grows at its end.
pub async fn announce(
    conn: &mut AsyncPgConnection,
    at: DateTime<Utc>,
    topic: Topic,
    agency: AgencyId,
    about: &About,
    once: Option<&str>,
) -> Result<usize, StoreError> {
    use diesel::sql_types::{Jsonb, Timestamptz, Uuid as SqlUuid};
    let payload = about.facts();
    // `xxxxxxxx-xxxx-` of a v7 id for `at`: the 48 bits of its milliseconds.
    let instant = MessageId::new_at(at).to_string();
    let prefix = instant.get(..14).unwrap_or_default().to_owned();
    // A conflict is possible only on a once-only notice's name: only those pay for ON CONFLICT.
    let conflict = if once.is_some() { " ON CONFLICT DO NOTHING" } else { "" };
    let statement = format!(
        "INSERT INTO outbox (id, channel, topic, agency_id, endpoint_id, recipient, dedupe, payload, status, attempts, next_attempt_at, created_at) \
         SELECT ($1 || '7' || substr(gen_random_uuid()::text, 16))::uuid, 'webhook', $2, $3, e.id, NULL, $4 || E'\\n' || e.id::text, $5, 'pending', 0, $6, $6 \
         FROM webhook_endpoints e \
         WHERE e.agency_id = $3 AND e.active AND e.events @> ARRAY[$2]{conflict}"
    );
    Ok(diesel::sql_query(statement)
        .bind::<Text, _>(prefix)
        .bind::<Text, _>(topic.as_str())
        .bind::<SqlUuid, _>(agency.into_uuid())
        .bind::<Nullable<Text>, _>(once)
        .bind::<Jsonb, _>(payload)
        .bind::<Timestamptz, _>(at)
        .execute(conn)
        .await?)
}

/// An email to send: its parts as built for the recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe address (RFC 8058), when the message is a digest.
    pub unsubscribe: Option<String>,
}

/// Queues `email` on `conn`; `once` makes it once only (a day's digest to one recipient).
/// `false` when that once was already used.
pub async fn queue_email(
    conn: &mut AsyncPgConnection,
    at: DateTime<Utc>,
    topic: Topic,
    agency: Option<AgencyId>,
    email: &Email,
    once: Option<&str>,
) -> Result<bool, StoreError> {
    let row = NewMessage {
        id: MessageId::new_at(at).into_uuid(),
        channel: "email",
        topic: topic.as_str(),
        agency_id: agency.map(AgencyId::into_uuid),
        endpoint_id: None,
        recipient: Some(email.recipient.clone()),
        dedupe: once.map(str::to_owned),
        payload: json!({ "subject": email.subject, "text": email.text, "html": email.html, "unsubscribe": email.unsubscribe }),
        status: "pending",
        attempts: 0,
        next_attempt_at: at,
        created_at: at,
    };
    Ok(diesel::insert_into(outbox::table).values(&row).on_conflict_do_nothing().execute(conn).await? == 1)
}

/// Whether a once-only message was already written (a digest already queued today).
pub async fn already(conn: &mut AsyncPgConnection, once: &str) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(outbox::table.filter(outbox::dedupe.eq(once)))).get_result(conn).await?)
}

/// Where a claimed message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Email { recipient: String, subject: String, text: String, html: String, unsubscribe: Option<String> },
    Webhook { endpoint: WebhookEndpointId, url: String, secret: String, body: Value },
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: MessageId,
    pub topic: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub agency: Option<AgencyId>,
    pub to: Destination,
}

/// How a send went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub ok: bool,
    /// The receiver's status (HTTP status, SMTP reply code).
    pub status: Option<i32>,
    /// What went wrong, in words that carry no personal data.
    pub error: Option<String>,
    pub latency_ms: i32,
}

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Failed; tried again at this time.
    Retry(DateTime<Utc>),
    /// Failed for 3 days: given up, and the webhook endpoint disabled.
    GaveUp {
        endpoint: Option<(WebhookEndpointId, AgencyId)>,
    },
}

/// How many of a claim's messages are sent at once.
const IN_FLIGHT: usize = 32;

#[derive(Queryable)]
struct ClaimRow {
    id: Uuid,
    channel: String,
    topic: String,
    recipient: Option<String>,
    payload: Value,
    attempts: i32,
    created_at: DateTime<Utc>,
    endpoint_id: Option<Uuid>,
    agency_id: Option<Uuid>,
}

/// Claims up to `most` messages due at `now` that no other instance holds (`FOR UPDATE SKIP
/// LOCKED`), sends them with `send` (all at once) while holding them, and records how each went,
/// all in one transaction: a crash before the commit leaves them pending for the next claim
/// (sent again: at least once, under the same ids). Without `email`, emails are left to an
/// instance that has a mail server. Empty when nothing is due.
pub async fn deliver_batch<F>(db: &Db, now: DateTime<Utc>, most: i64, email: bool, send: F) -> Result<Vec<(Claimed, Delivery)>, StoreError>
where
    F: AsyncFn(&Claimed) -> Sent,
{
    let mut conn = db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    // Begun and ended by hand, not with `transaction`: `send` need not be `Send` (an HTTP client
    // of the worker's own runtime).
    AnsiTransactionManager::begin_transaction(conn).await?;
    let outcome = claim_and_send(conn, now, most, email, send).await;
    match &outcome {
        Ok(_) => AnsiTransactionManager::commit_transaction(conn).await?,
        Err(_) => {
            // A failed rollback leaves the connection broken; the pool then discards it.
            let _ = AnsiTransactionManager::rollback_transaction(conn).await;
        }
    }
    outcome
}

async fn claim_and_send<F>(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    most: i64,
    email: bool,
    send: F,
) -> Result<Vec<(Claimed, Delivery)>, StoreError>
where
    F: AsyncFn(&Claimed) -> Sent,
{
    let channels: &[&str] = if email { &["email", "webhook"] } else { &["webhook"] };
    // The pending index is read in order, from its oldest entry, and the scan stops at the
    // batch's end: the entries of messages already sent are marked dead as it passes them, and
    // later claims skip them without reading the table. A bitmap scan (the planner's choice
    // when it expects few pending rows) reads every entry due, dead ones and their table pages
    // included, on every claim until a vacuum comes, and never marks them.
    diesel::sql_query("SET LOCAL enable_bitmapscan = off").execute(conn).await?;
    let rows: Vec<ClaimRow> = outbox::table
        .filter(outbox::status.eq("pending"))
        .filter(outbox::channel.eq_any(channels))
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::next_attempt_at.asc())
        .select((
            outbox::id,
            outbox::channel,
            outbox::topic,
            outbox::recipient,
            outbox::payload,
            outbox::attempts,
            outbox::created_at,
            outbox::endpoint_id,
            outbox::agency_id,
        ))
        .limit(most)
        .for_update()
        .skip_locked()
        .load(conn)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<Uuid> = rows.iter().filter_map(|r| r.endpoint_id).collect();
    let endpoints: std::collections::HashMap<Uuid, (String, String, bool)> = webhook_endpoints::table
        .filter(webhook_endpoints::id.eq_any(&wanted))
        .select((webhook_endpoints::id, webhook_endpoints::url, webhook_endpoints::secret, webhook_endpoints::active))
        .load::<(Uuid, String, String, bool)>(conn)
        .await?
        .into_iter()
        .map(|(id, url, secret, active)| (id, (url, secret, active)))
        .collect();
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let endpoint = row.endpoint_id.and_then(|e| endpoints.get(&e).cloned());
        if row.channel == "webhook" && !endpoint.as_ref().is_some_and(|e| e.2) {
            // The endpoint was turned off after the message was written: nothing to send to.
            diesel::update(outbox::table.find(row.id))
                .set((outbox::status.eq("failed"), outbox::last_error.eq("the endpoint is turned off")))
                .execute(conn)
                .await?;
            continue;
        }
        claimed.push(claimed_from(row, endpoint)?);
    }
    // All at once, but never more than `IN_FLIGHT` requests open (a partner's receiver is not
    // to be flooded by one claim); in the claim's order.
    let sent: Vec<Sent> = futures_util::stream::iter(claimed.iter().map(|c| send(c))).buffered(IN_FLIGHT).collect().await;
    // What was acknowledged is marked in one statement; each failure on its own.
    let acknowledged: Vec<(Uuid, Option<i32>, i32)> =
        claimed.iter().zip(&sent).filter(|(_, s)| s.ok).map(|(c, s)| (c.id.into_uuid(), s.status, s.latency_ms)).collect();
    mark_sent(conn, now, &acknowledged).await?;
    let mut done = Vec::with_capacity(claimed.len());
    for (claimed, sent) in claimed.into_iter().zip(sent) {
        let delivery = if sent.ok { Delivery::Sent } else { record_failure(conn, now, &claimed, &sent).await? };
        done.push((claimed, delivery));
    }
    Ok(done)
}

/// Marks messages sent, with the receiver's status and the time taken; an email keeps only its
/// subject (its body and links are not kept once sent).
async fn mark_sent(conn: &mut AsyncPgConnection, now: DateTime<Utc>, acknowledged: &[(Uuid, Option<i32>, i32)]) -> Result<(), StoreError> {
    if acknowledged.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = acknowledged.iter().map(|a| a.0).collect();
    let statuses: Vec<Option<i32>> = acknowledged.iter().map(|a| a.1).collect();
    let latencies: Vec<i32> = acknowledged.iter().map(|a| a.2).collect();
    diesel::sql_query(
        "UPDATE outbox o SET status = 'sent', attempts = o.attempts + 1, sent_at = $1, last_status = u.s, last_error = NULL, \
         latency_ms = u.l, payload = CASE WHEN o.channel = 'email' THEN jsonb_build_object('subject', o.payload -> 'subject') ELSE o.payload END \
         FROM unnest($2::uuid[], $3::int4[], $4::int4[]) AS u(id, s, l) WHERE o.id = u.id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<diesel::sql_types::Array<Nullable<diesel::sql_types::Int4>>, _>(statuses)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Int4>, _>(latencies)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed send: to be retried, or given up after 3 days (a webhook endpoint is then
/// turned off).
async fn record_failure(conn: &mut AsyncPgConnection, now: DateTime<Utc>, claimed: &Claimed, sent: &Sent) -> Result<Delivery, StoreError> {
    let attempts = claimed.attempts + 1;
    let id = claimed.id.into_uuid();
    if now - claimed.created_at >= chrono::Duration::hours(WEBHOOK_GIVE_UP_HOURS) {
        diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq("failed"),
                outbox::attempts.eq(attempts),
                outbox::last_status.eq(sent.status),
                outbox::last_error.eq(sent.error.clone()),
                outbox::latency_ms.eq(Some(sent.latency_ms)),
            ))
            .execute(conn)
            .await?;
        let endpoint = match (&claimed.to, claimed.agency) {
            (Destination::Webhook { endpoint, .. }, Some(agency)) => {
                let turned_off =
                    diesel::update(webhook_endpoints::table.find(endpoint.into_uuid()).filter(webhook_endpoints::active.eq(true)))
                        .set((
                            webhook_endpoints::active.eq(false),
                            webhook_endpoints::disabled_reason.eq(Some(format!(
                                "Turned off on {}: deliveries failed for {WEBHOOK_GIVE_UP_HOURS} hours.",
                                fourthp_domain::time::london_date(now)
                            ))),
                            webhook_endpoints::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await?;
                // Told once, by the delivery that turned it off.
                (turned_off == 1).then_some((*endpoint, agency))
            }
            _ => None,
        };
        return Ok(Delivery::GaveUp { endpoint });
    }
    let next = now + retry_after(attempts);
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(next),
            outbox::last_status.eq(sent.status),
            outbox::last_error.eq(sent.error.clone()),
            outbox::latency_ms.eq(Some(sent.latency_ms)),
        ))
        .execute(conn)
        .await?;
    Ok(Delivery::Retry(next))
}

fn claimed_from(row: ClaimRow, endpoint: Option<(String, String, bool)>) -> Result<Claimed, StoreError> {
    let text = |key: &str| row.payload.get(key).and_then(Value::as_str).map(str::to_owned);
    let to = match (row.channel.as_str(), row.recipient.clone(), row.endpoint_id, endpoint) {
        ("email", Some(recipient), ..) => Destination::Email {
            recipient,
            subject: text("subject").unwrap_or_default(),
            text: text("text").ok_or_else(|| StoreError::internal("an email in the outbox without its text"))?,
            html: text("html").unwrap_or_default(),
            unsubscribe: text("unsubscribe"),
        },
        ("webhook", _, Some(endpoint), Some((url, secret, _))) => {
            let body = webhook_body(row.id, &row.topic, row.agency_id, row.payload);
            Destination::Webhook { endpoint: WebhookEndpointId::from_uuid(endpoint), url, secret, body }
        }
        _ => return Err(StoreError::internal("an outbox message without its destination")),
    };
    Ok(Claimed {
        id: MessageId::from_uuid(row.id),
        topic: row.topic,
        attempts: row.attempts,
        created_at: row.created_at,
        agency: row.agency_id.map(AgencyId::from_uuid),
        to,
    })
}

/// Vacuums the outbox: every message marked sent leaves a dead entry in the pending index that
/// each claim reads past until a vacuum removes it (autovacuum, busy with the large tables,
/// may not come for many minutes). `VACUUM` runs outside a transaction.
pub async fn vacuum(db: &Db) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    diesel::sql_query("VACUUM (SKIP_LOCKED) outbox").execute(&mut conn).await?;
    Ok(())
}

/// The outbox's state for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlog {
    /// (channel, pending messages, of which have failed at least once, failed for good).
    pub by_channel: Vec<(String, i64, i64, i64)>,
    /// Seconds the oldest pending message has waited.
    pub oldest_pending_seconds: i64,
}

#[derive(diesel::QueryableByName)]
struct BacklogRow {
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    retrying: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    oldest: Option<i64>,
}

/// How many messages wait, retry and have failed, by channel.
pub async fn backlog(db: &Db, now: DateTime<Utc>) -> Result<Backlog, StoreError> {
    let mut conn = db.conn().await?;
    let rows: Vec<BacklogRow> = diesel::sql_query(
        "SELECT c.channel, \
         (SELECT count(*) FROM outbox WHERE status = 'pending' AND channel = c.channel) AS pending, \
         (SELECT count(*) FROM outbox WHERE status = 'pending' AND channel = c.channel AND attempts > 0) AS retrying, \
         (SELECT count(*) FROM outbox WHERE status = 'failed' AND channel = c.channel) AS failed, \
         (SELECT extract(epoch FROM $1 - min(created_at))::bigint FROM outbox WHERE status = 'pending' AND channel = c.channel) AS oldest \
         FROM (VALUES ('email'), ('webhook')) AS c(channel)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .load(&mut conn)
    .await?;
    Ok(Backlog {
        oldest_pending_seconds: rows.iter().filter_map(|r| r.oldest).max().unwrap_or(0).max(0),
        by_channel: rows.into_iter().map(|r| (r.channel, r.pending, r.retrying, r.failed)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about() -> (CaseId, ActionId, About) {
        let (case, action) = (CaseId::new_v7(1_764_000_000_000), ActionId::new_v7(1_764_000_000_001));
        let reference = CaseReference::parse("2026-000123").ok();
        let about = About {
            case: reference.map(|r| (case, r)),
            action: Some(action),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 14),
            status: Some("open"),
            ..About::default()
        };
        (case, action, about)
    }

    #[test]
    fn the_envelope_is_made_from_the_facts_and_the_columns() {
        let (case, action, about) = about();
        let at = DateTime::parse_from_rfc3339("2026-12-02T09:15:30.123Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        let id = MessageId::new_at(at).into_uuid();
        let agency = AgencyId::new_v7(1_700_000_000_000).into_uuid();
        let facts = about.facts();
        assert!(facts.get("links").is_none() && facts.get("agency_id").is_none() && facts.get("type").is_none());
        let body = webhook_body(id, "action.created", Some(agency), facts);
        assert_eq!(
            body,
            json!({
                "type": "action.created",
                "timestamp": "2026-12-02T09:15:30.123Z",
                "data": {
                    "case_id": case, "case_reference": "2026-000123", "action_id": action, "due_on": "2026-12-14", "status": "open",
                    "agency_id": agency,
                    "links": { "case": format!("/api/v1/cases/{case}"), "action": format!("/api/v1/cases/{case}/actions/{action}") },
                }
            })
        );
    }

    #[test]
    fn a_network_action_links_to_its_challenge() {
        let (challenge, action) = (ChallengeId::new_v7(1_764_000_000_000), ActionId::new_v7(1_764_000_000_001));
        let about = About { challenge: Some((challenge, 3)), action: Some(action), ..About::default() };
        let body = webhook_body(MessageId::new_v7(1_764_000_000_002).into_uuid(), "action.created", None, about.facts());
        assert_eq!(body["data"]["challenge_number"], 3);
        assert_eq!(body["data"]["links"]["challenge"], format!("/api/v1/challenges/{challenge}"));
        assert_eq!(body["data"]["links"]["action"], format!("/api/v1/challenges/{challenge}/actions/{action}"));
        assert!(body["data"].get("case_id").is_none() && body["data"]["links"].get("case").is_none());
    }

    #[test]
    fn a_message_written_whole_is_sent_as_it_was_written() {
        let whole = json!({ "type": "action.created", "timestamp": "2026-12-01T08:00:00.000Z", "data": { "links": {} } });
        assert_eq!(webhook_body(Uuid::nil(), "action.changed", None, whole.clone()), whole);
    }
}
