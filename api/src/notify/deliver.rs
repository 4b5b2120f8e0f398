//! The deliverer: claims what the outbox holds and sends it, one message at a time per task,
//! until nothing is due; then waits. Any number of instances may run it at once: each message
//! is held by one claim (`FOR UPDATE SKIP LOCKED`) and marked sent in the claim's transaction.

use std::time::Duration;

use fourthp_persistence::outbox::{self, Claimed, Delivery, Destination, Sent};
use fourthp_persistence::Db;

use super::{mail, webhook, Notifier};
use crate::state::Clock;

/// What one pass did, for the metrics and the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: u64,
    pub failed: u64,
}

/// How many messages one claim holds at most (the store sends up to 32 of them at a time).
const BATCH: i64 = 128;

/// The least pause between two claims while messages keep coming. A claim has a fixed cost
/// (its transaction, the scan of the pending index, the marking statement, a commit) of about
/// 0.8 ms of CPU, the database's and the service's: claims of 8 messages cost 161 µs a message,
/// claims of 128, 50 µs (BENCHMARKS.md, 2026-12-05). Under a steady flow, waiting this long gathers the
/// next claim's messages; a message written when nothing was pending waits for the idle
/// wait (`FOURTHP_DELIVER_EVERY_MS`, a second by default) as before.
const GATHER: Duration = Duration::from_millis(100);

/// Sends what is due until nothing is, or about `most` messages; returns how that went. With
/// `yield_to_requests` (the service), each batch is followed by a pause as long as it took, and
/// at least [`GATHER`].
pub async fn drain(db: &Db, notifier: &Notifier, client: &awc::Client, clock: &Clock, most: u64, yield_to_requests: bool) -> Pass {
    let mut last = Duration::ZERO;
    let mut pass = Pass::default();
    let mut first = true;
    while pass.sent + pass.failed < most {
        if !std::mem::take(&mut first) && yield_to_requests {
            // Background work yields to people's requests: after each batch, a pause as long
            // as the batch took (half the time at most goes to sending under load), and at
            // least long enough to gather the next claim.
            actix_web::rt::time::sleep(last.max(GATHER)).await;
        }
        let began = std::time::Instant::now();
        let now = clock.now();
        let delivered =
            outbox::deliver_batch(db, now, BATCH, notifier.mail.is_some(), async |claimed: &Claimed| send(notifier, client, claimed).await)
                .await;
        let batch = match delivered {
            Ok(batch) if batch.is_empty() => break,
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "could not deliver from the outbox");
                break;
            }
        };
        last = began.elapsed();
        for (claimed, delivery) in batch {
            match delivery {
                Delivery::Sent => {
                    pass.sent += 1;
                    tracing::debug!(message = %claimed.id, topic = %claimed.topic, "delivered");
                }
                Delivery::Retry(next) => {
                    pass.failed += 1;
                    tracing::warn!(message = %claimed.id, topic = %claimed.topic, attempts = claimed.attempts + 1, %next, "delivery failed; will retry");
                }
                Delivery::GaveUp { endpoint } => {
                    pass.failed += 1;
                    tracing::warn!(message = %claimed.id, topic = %claimed.topic, "delivery failed for 3 days; given up");
                    if let Some((endpoint, agency)) = endpoint {
                        if let Err(e) = crate::app::webhooks::tell_administrators_disabled(db, notifier, endpoint, agency, now).await {
                            tracing::warn!(error = %e, "could not tell the administrators of a disabled endpoint");
                        }
                    }
                }
            }
        }
    }
    pass
}

async fn send(notifier: &Notifier, client: &awc::Client, claimed: &Claimed) -> Sent {
    match &claimed.to {
        Destination::Email { recipient, subject, text, html, unsubscribe } => match &notifier.mail {
            Some(mailer) => {
                let m = mail::Outgoing { id: claimed.id, recipient, subject, text, html, unsubscribe: unsubscribe.as_deref() };
                mailer.send(&m).await
            }
            None => Sent { ok: false, status: None, error: Some("no mail server is configured".to_owned()), latency_ms: 0 },
        },
        Destination::Webhook { url, secret, body, .. } => webhook::send(client, url, secret, claimed.id, body, &notifier.public_url).await,
    }
}

/// How long the deliverer waits when the outbox was empty.
pub fn idle(every_ms: usize) -> Duration {
    Duration::from_millis(u64::try_from(every_ms).unwrap_or(1000))
}
