//! The service's background work, started and stopped in one place: the read log's writer, the
//! audit chainer, automatic checkpoints and the idempotency-key sweeper.
//!
//! They run on a pool of their own: a pooled connection is driven by the runtime that opened
//! it, and the request workers' runtimes stop before the read log has drained.

use std::time::Duration;

use actix_web::rt::task::JoinHandle;
use chrono::Utc;
use fourthp_persistence::Db;

use crate::audit_trail::{ReadLog, SigningKey};
use crate::state::Revoked;

/// How often the revoked tokens are read again.
const REVOCATIONS_EVERY: Duration = Duration::from_millis(500);
/// Idempotency keys are kept 24 hours; older ones are forgotten every hour.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How long a clean shutdown waits for the read log to drain.
const DRAIN_WITHIN: Duration = Duration::from_secs(5);

/// Automatic audit checkpoints: the key that signs them and how often.
pub struct Checkpoints {
    pub key: std::sync::Arc<SigningKey>,
    pub every: Duration,
}

/// What the deliverer and the digest need.
pub struct Delivery {
    pub notifier: crate::notify::Notifier,
    pub book: fourthp_domain::rules::RuleBook,
    pub clock: crate::state::Clock,
    /// How long the deliverer waits when the outbox was empty.
    pub idle: Duration,
}

/// How many deliveries between two vacuums of the outbox (see `outbox::vacuum`).
const VACUUM_OUTBOX_EVERY: u64 = 5_000;

/// How often the digest's time is looked for, and due notices written.
const DIGEST_EVERY: Duration = Duration::from_secs(60);

/// The running background jobs.
pub struct Jobs {
    db: Db,
    periodic: Vec<JoinHandle<()>>,
    read_writer: tokio::task::JoinHandle<()>,
}

/// Runs `work` every `period`, the first time `first` after start, until aborted.
fn every<F>(first: Duration, period: Duration, mut work: impl FnMut() -> F + 'static) -> JoinHandle<()>
where
    F: std::future::Future<Output = ()> + 'static,
{
    actix_web::rt::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
        loop {
            ticks.tick().await;
            work().await;
        }
    })
}

impl Jobs {
    /// Starts every job on `db` (the background pool); returns the read log requests write to.
    pub fn start(
        db: Db,
        chain_every: Duration,
        checkpoints: Option<Checkpoints>,
        revoked: Revoked,
        delivery: Option<Delivery>,
    ) -> (ReadLog, Jobs) {
        let (read_log, read_writer) = ReadLog::start(db.clone());
        let mut periodic = Vec::new();
        // Revoked tokens, at once and then every half second: a revocation made on any instance
        // is refused by every other within a second.
        let reader = db.clone();
        periodic.push(every(Duration::ZERO, REVOCATIONS_EVERY, move || {
            let (db, revoked) = (reader.clone(), revoked.clone());
            async move {
                match fourthp_persistence::tokens::revoked(&db, Utc::now()).await {
                    Ok(all) => revoked.replace(all.into_iter().collect()),
                    Err(e) => tracing::warn!(error = %e, "could not read revoked tokens"),
                }
            }
        }));
        let sweeper = db.clone();
        periodic.push(every(SWEEP_EVERY, SWEEP_EVERY, move || {
            let db = sweeper.clone();
            async move {
                if let Err(e) = fourthp_persistence::write::expire_keys(&db, Utc::now()).await {
                    tracing::warn!(error = %e, "could not expire idempotency keys");
                }
                let before = Utc::now() - chrono::Duration::days(crate::app::imports::KEEP_UNLOADED_DAYS);
                if let Err(e) = fourthp_persistence::imports::drop_stale_files(&db, before).await {
                    tracing::warn!(error = %e, "could not drop the files of imports never loaded");
                }
            }
        }));
        // Records are chained within `chain_every` of being written (half a second by default).
        let chainer = db.clone();
        periodic.push(every(chain_every, chain_every, move || {
            let db = chainer.clone();
            async move {
                if let Err(e) = fourthp_persistence::chain::chain_pending(&db, Utc::now()).await {
                    tracing::warn!(error = %e, "could not chain audit records");
                }
            }
        }));
        if let Some(Checkpoints { key, every: period }) = checkpoints {
            let key = std::rc::Rc::new(key);
            let signer = db.clone();
            periodic.push(every(period, period, move || {
                let (db, key) = (signer.clone(), key.clone());
                async move {
                    match crate::audit_trail::checkpoint(&db, &key, Utc::now()).await {
                        Ok(cp) => tracing::info!(seq = cp.seq, head = %cp.head_hash, "audit checkpoint signed"),
                        Err(e) => tracing::warn!(error = %e, "could not sign an audit checkpoint"),
                    }
                }
            }));
        }
        if let Some(d) = delivery {
            let d = std::rc::Rc::new(d);
            // The deliverer: sends what is due, and when nothing is, waits.
            let (sender, deliver) = (db.clone(), d.clone());
            periodic.push(actix_web::rt::spawn(async move {
                let client = crate::notify::webhook::client();
                let mut since_vacuum = 0;
                loop {
                    let pass = crate::notify::deliver::drain(&sender, &deliver.notifier, &client, &deliver.clock, 500, true).await;
                    since_vacuum += pass.sent + pass.failed;
                    if since_vacuum >= VACUUM_OUTBOX_EVERY {
                        since_vacuum = 0;
                        if let Err(e) = fourthp_persistence::outbox::vacuum(&sender).await {
                            tracing::warn!(error = %e, "could not vacuum the outbox");
                        }
                    }
                    if pass.sent + pass.failed == 0 {
                        actix_web::rt::time::sleep(deliver.idle).await;
                    }
                }
            }));
            // The digest at its time, and the due and overdue notices, every minute.
            let (digester, digest) = (db.clone(), d);
            let handled = std::rc::Rc::new(std::cell::RefCell::new(crate::app::digest::Handled::default()));
            periodic.push(every(Duration::from_secs(5), DIGEST_EVERY, move || {
                let (db, d, cell) = (digester.clone(), digest.clone(), handled.clone());
                async move {
                    let now = d.clock.now();
                    // Runs one at a time (the interval waits for each): taken, then put back.
                    let mut handled = cell.take();
                    let ran = crate::app::digest::run(&db, &d.notifier, &d.book, now, false, &mut handled).await;
                    cell.replace(handled);
                    match ran {
                        Ok(run) if run.queued > 0 => tracing::info!(queued = run.queued, "digests queued"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "could not queue the digests"),
                    }
                    if let Err(e) = fourthp_persistence::notices::announce_due(&db, now).await {
                        tracing::warn!(error = %e, "could not write the due and overdue notices");
                    }
                    if let Err(e) = fourthp_persistence::inbox::sweep(&db, now).await {
                        tracing::warn!(error = %e, "could not forget expired links");
                    }
                }
            }));
        }
        (read_log, Jobs { db, periodic, read_writer })
    }

    /// Stops the periodic jobs, lets the read log drain (its senders must be gone: the server
    /// has stopped) and chains the last records.
    pub async fn stop(self) -> Result<(), String> {
        for task in &self.periodic {
            task.abort();
        }
        if actix_web::rt::time::timeout(DRAIN_WITHIN, self.read_writer).await.is_err() {
            tracing::warn!("the read-access log did not drain within 5 s");
        }
        fourthp_persistence::chain::chain_pending(&self.db, Utc::now()).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
