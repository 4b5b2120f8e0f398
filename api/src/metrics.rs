//! What a running service says about itself at `/metrics`, in Prometheus's text exposition
//! format: requests by route pattern and status (counts and latency), the connection pool, the
//! audit chain's backlog, the read log's queue, reports waiting for their turn, and the process's
//! memory. Labels carry route patterns (`/api/v1/cases/{id}`), methods and status codes only:
//! never an id, a name or anything a person typed.

use std::sync::Arc;

use prometheus::{Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

/// Latency buckets, in seconds: from a cached page (a few milliseconds) to a year's report.
const BUCKETS: &[f64] = &[0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The service's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    /// The SHA-256 of the bearer token a scrape must carry, if one is configured.
    token_hash: Option<Vec<u8>>,
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    pool_max: IntGauge,
    pool_waiters: IntGauge,
    chain_pending: IntGauge,
    read_log_queue: IntGauge,
    report_waiters: IntGauge,
    rss: IntGauge,
    replica_lag: Gauge,
    outbox: IntGaugeVec,
    outbox_oldest: IntGauge,
}

/// What a scrape reads from the rest of the service.
pub struct Snapshot {
    pub pool_in_use: i64,
    pub pool_idle: i64,
    pub pool_max: i64,
    pub pool_waiters: i64,
    /// Audit records not yet in the hash chain (`None`: could not be read just now).
    pub chain_pending: Option<i64>,
    pub read_log_queue: i64,
    pub report_waiters: i64,
    /// How far behind the report replica is, in seconds (`None`: no replica, or unknown).
    pub replica_lag_seconds: Option<f64>,
    /// The outbox: messages waiting, retrying and failed for good, by channel.
    pub outbox: Option<fourthp_persistence::outbox::Backlog>,
}

impl Metrics {
    /// Builds the registry; scrapes must then carry `token` as a bearer token, when given.
    /// Fails only if the metric definitions are inconsistent (a programming error, found at
    /// start-up).
    pub fn new(token: Option<&str>) -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("fourthp".to_owned()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered, by method, route pattern and status code"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time from request to response, by method, route pattern and status code")
                .buckets(BUCKETS.to_vec()),
            &["method", "route", "status"],
        )?;
        let pool = IntGaugeVec::new(Opts::new("db_pool_connections", "Database connections of the pool, by state"), &["state"])?;
        let pool_max = IntGauge::new("db_pool_max_connections", "The pool's maximum size")?;
        let pool_waiters = IntGauge::new("db_pool_waiters", "Requests waiting for a database connection")?;
        let chain_pending = IntGauge::new("audit_chain_pending_records", "Audit records committed but not yet in the hash chain")?;
        let read_log_queue = IntGauge::new("read_log_queue_records", "Read-access records queued for the audit trail")?;
        let report_waiters = IntGauge::new("report_gate_waiters", "Report requests waiting for the one report computed at a time")?;
        let rss = IntGauge::new("process_resident_memory_bytes", "Resident memory of the process")?;
        let outbox = IntGaugeVec::new(
            Opts::new(
                "outbox_messages",
                "Notifications in the outbox by channel (email, webhook) and state: pending (waiting to be sent), retrying (pending after a failed attempt), failed (given up after 3 days)",
            ),
            &["channel", "state"],
        )?;
        let outbox_oldest = IntGauge::new("outbox_oldest_pending_seconds", "How long the oldest unsent notification has waited")?;
        // Not registered: it is shown only when a replica is configured (the registry's prefix
        // is given here instead).
        let replica_lag = Gauge::with_opts(
            Opts::new(
                "report_replica_lag_seconds",
                "How far behind the primary the report replica's data is (absent without a replica; NaN when unknown)",
            )
            .namespace("fourthp"),
        )?;
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool.clone()),
            Box::new(pool_max.clone()),
            Box::new(pool_waiters.clone()),
            Box::new(chain_pending.clone()),
            Box::new(read_log_queue.clone()),
            Box::new(report_waiters.clone()),
            Box::new(rss.clone()),
            Box::new(outbox.clone()),
            Box::new(outbox_oldest.clone()),
        ] {
            registry.register(c)?;
        }
        Ok(Metrics(Arc::new(Inner {
            token_hash: token.map(crate::credentials::token_hash),
            registry,
            requests,
            latency,
            pool,
            pool_max,
            pool_waiters,
            chain_pending,
            read_log_queue,
            report_waiters,
            rss,
            replica_lag,
            outbox,
            outbox_oldest,
        })))
    }

    /// Whether a scrape with this `Authorization` header may read the metrics.
    pub fn may_scrape(&self, authorization: Option<&str>) -> bool {
        let Some(expected) = &self.0.token_hash else { return true };
        let given = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(crate::credentials::token_hash);
        given.is_some_and(|g| crate::credentials::same(&g, expected))
    }

    /// Counts one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.0.requests.with_label_values(&labels).inc();
        self.0.latency.with_label_values(&labels).observe(seconds);
    }

    /// The text exposition of every metric, with the gauges read now.
    pub fn render(&self, now: &Snapshot) -> String {
        let i = &self.0;
        i.pool.with_label_values(&["in_use"]).set(now.pool_in_use);
        i.pool.with_label_values(&["idle"]).set(now.pool_idle);
        i.pool_max.set(now.pool_max);
        i.pool_waiters.set(now.pool_waiters);
        if let Some(n) = now.chain_pending {
            i.chain_pending.set(n);
        }
        i.read_log_queue.set(now.read_log_queue);
        i.report_waiters.set(now.report_waiters);
        if let Some(b) = &now.outbox {
            for (channel, pending, retrying, failed) in &b.by_channel {
                i.outbox.with_label_values(&[channel.as_str(), "pending"]).set(*pending);
                i.outbox.with_label_values(&[channel.as_str(), "retrying"]).set(*retrying);
                i.outbox.with_label_values(&[channel.as_str(), "failed"]).set(*failed);
            }
            i.outbox_oldest.set(b.oldest_pending_seconds);
        }
        if let Some(rss) = resident_bytes() {
            i.rss.set(rss);
        }
        let mut families = i.registry.gather();
        if let Some(lag) = now.replica_lag_seconds {
            i.replica_lag.set(lag);
            families.extend(prometheus::core::Collector::collect(&i.replica_lag));
        }
        let mut out = Vec::new();
        if TextEncoder::new().encode(&families, &mut out).is_err() {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The process's resident memory, from `/proc/self/statm` (Linux; `None` elsewhere).
fn resident_bytes() -> Option<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // The page size of every Linux platform the service runs on.
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_routes_not_ids() -> Result<(), prometheus::Error> {
        let m = Metrics::new(None)?;
        m.observe("GET", "/api/v1/cases/{id}", 200, 0.004);
        m.observe("GET", "/api/v1/cases/{id}", 404, 0.003);
        let text = m.render(&Snapshot {
            pool_in_use: 2,
            pool_idle: 3,
            pool_max: 16,
            pool_waiters: 0,
            chain_pending: Some(7),
            read_log_queue: 1,
            report_waiters: 1,
            replica_lag_seconds: Some(2.5),
            outbox: Some(fourthp_persistence::outbox::Backlog {
                by_channel: vec![("email".to_owned(), 12, 2, 1), ("webhook".to_owned(), 0, 0, 3)],
                oldest_pending_seconds: 42,
            }),
        });
        assert!(text.contains(r#"fourthp_http_requests_total{method="GET",route="/api/v1/cases/{id}",status="200"} 1"#), "{text}");
        assert!(
            text.contains(
                r#"fourthp_http_request_duration_seconds_bucket{method="GET",route="/api/v1/cases/{id}",status="404",le="0.005"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains("fourthp_db_pool_connections{state=\"in_use\"} 2"), "{text}");
        assert!(text.contains("fourthp_audit_chain_pending_records 7"), "{text}");
        assert!(text.contains("fourthp_report_gate_waiters 1"), "{text}");
        assert!(text.contains("fourthp_report_replica_lag_seconds 2.5"), "{text}");
        assert!(text.contains("fourthp_process_resident_memory_bytes "), "{text}");
        assert!(text.contains(r#"fourthp_outbox_messages{channel="email",state="pending"} 12"#), "{text}");
        assert!(text.contains(r#"fourthp_outbox_messages{channel="webhook",state="failed"} 3"#), "{text}");
        assert!(text.contains("fourthp_outbox_oldest_pending_seconds 42"), "{text}");
        Ok(())
    }

    #[test]
    fn a_configured_token_is_required() -> Result<(), prometheus::Error> {
        let m = Metrics::new(Some("s3cret-scraper-token"))?;
        assert!(m.may_scrape(Some("Bearer s3cret-scraper-token")));
        assert!(!m.may_scrape(Some("Bearer wrong")));
        assert!(!m.may_scrape(None));
        assert!(Metrics::new(None)?.may_scrape(None));
        Ok(())
    }
}
