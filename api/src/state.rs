//! What every request handler shares: one [`AppState`], built once by
//! [`crate::startup::Application::build`] and handed to every worker behind an `Arc`
//! (`web::Data<AppState>`). This module depends on nothing else of the API crate's handlers or
//! start-up, so that every other module may use it.

use std::time::Duration;

use fourthp_domain::disclosure::Policy;
use fourthp_domain::lifecycle::BackdatingWindow;
use fourthp_domain::rules::RuleBook;
use fourthp_persistence::Db;

use crate::audit_trail::ReadLog;
use crate::token::{Minter, Verifier};

/// The state of a running service.
pub struct AppState {
    /// The pool request handlers use.
    pub db: Db,
    /// Checks the bearer tokens of requests.
    pub verifier: Verifier,
    /// Signs the tokens the service issues to API clients.
    pub minter: Minter,
    /// The time the service goes by.
    pub clock: Clock,
    /// Reads of case data and refused attempts, on their way to the audit trail.
    pub read_log: ReadLog,
    /// The deadline rules and the back-dating window.
    pub rules: Rules,
    pub limits: Limits,
    /// The disclosure thresholds commissioners' reports are published under (configurable).
    pub disclosure: Policy,
    /// One report computed at a time.
    pub report_gate: ReportGate,
    /// The documented routes, for answering 405 with `Allow`.
    pub routes: KnownRoutes,
    pub accounts: Accounts,
    /// Ids of revoked tokens that have not expired yet.
    pub revoked: Revoked,
    /// What `/metrics` reports.
    pub metrics: crate::metrics::Metrics,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub proxies: TrustedProxies,
    /// Where reports read their figures.
    pub report_source: ReportSource,
    /// Email and webhooks: how the service tells people and partners' systems.
    pub notifier: crate::notify::Notifier,
    /// The deployment's Ed25519 key: it signs the audit checkpoints and the forum's bundles.
    pub signing_key: std::sync::Arc<crate::audit_trail::SigningKey>,
    /// A network's service, or the national forum's.
    pub mode: Mode,
    /// The network's name in the bundles it signs for the forum.
    pub network_name: String,
    /// Years after closure before a case is redacted (`FOURTHP_RETENTION_YEARS`): the retention
    /// date a subject access copy states.
    pub retention_years: u32,
    /// Agencies' identity providers: their discovery documents and signing keys.
    pub providers: crate::oidc::ProviderCache,
}

/// What a deployment is run for (`FOURTHP_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A regional network: its cases, board and meetings (the default).
    Network,
    /// The national network coordinators' forum: it also registers networks, imports their
    /// signed bundles and compares them.
    Forum,
}

/// Where reports read: a hot-standby replica (`FOURTHP_REPORT_DATABASE_URL`), so that a year's
/// report does not slow everyone else down, or the primary.
pub struct ReportSource {
    pub replica: Option<Db>,
    /// The furthest behind the replica may be for a report to be read from it.
    pub max_lag: Duration,
    /// Read from the primary when the replica is behind or down (else refuse with 503).
    pub fallback_to_primary: bool,
    /// The most parallel workers each report query may use (`FOURTHP_REPORT_PARALLEL_WORKERS`).
    pub parallel_workers: u8,
}

/// The reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` header names the
/// client: a request from anywhere else is from its peer address, whatever it claims, so that
/// nobody can choose the address the audit trail and the sign-in throttle see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(std::net::IpAddr, u8)>);

impl TrustedProxies {
    /// `10.0.0.5, 10.1.0.0/16, ::1`: comma-separated addresses or ranges; empty: none.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let addr: std::net::IpAddr = addr.parse().map_err(|_| format!("{item} is not an address or CIDR range"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| format!("{item} has no valid prefix length"))?,
            };
            out.push((addr, bits));
        }
        Ok(TrustedProxies(out))
    }

    fn trusts(&self, ip: std::net::IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| in_range(ip, *net, *bits))
    }

    /// The client of a request from `peer` carrying `forwarded_for`: the peer, unless it is a
    /// trusted proxy; then the nearest address in the header that is not one (read from the
    /// right, as each proxy appends the address it heard from).
    pub fn client(&self, peer: std::net::IpAddr, forwarded_for: Option<&str>) -> std::net::IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.unwrap_or_default().rsplit(',').map(str::trim) {
            match hop.parse::<std::net::IpAddr>() {
                Ok(ip) if self.trusts(ip) => client = ip,
                Ok(ip) => return ip,
                // Something no proxy of ours wrote: the last address it vouched for stands.
                Err(_) => return client,
            }
        }
        client
    }
}

fn in_range(ip: std::net::IpAddr, net: std::net::IpAddr, bits: u8) -> bool {
    use std::net::IpAddr::{V4, V6};
    match (ip, net) {
        (V4(ip), V4(net)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (V6(ip), V6(net)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        // An IPv4 client through an IPv6 listener arrives mapped: compare it as IPv4.
        (V6(ip), V4(_)) => ip.to_ipv4_mapped().is_some_and(|v4| in_range(std::net::IpAddr::V4(v4), net, bits)),
        (V4(_), V6(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::TrustedProxies;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() -> Result<(), String> {
        let proxies = TrustedProxies::parse("10.0.0.5, 10.1.0.0/16, ::1")?;
        // Not a proxy of ours: its claim is ignored.
        assert_eq!(proxies.client(ip("203.0.113.9"), Some("198.51.100.1")), ip("203.0.113.9"));
        // Through our proxy: the address it heard from.
        assert_eq!(proxies.client(ip("10.0.0.5"), Some("198.51.100.1")), ip("198.51.100.1"));
        // A client's own forged entry sits to the left of what our proxies appended.
        assert_eq!(proxies.client(ip("10.0.0.5"), Some("6.6.6.6, 198.51.100.1, 10.1.4.4")), ip("198.51.100.1"));
        // Our proxy without the header, or with garbage: the proxy itself.
        assert_eq!(proxies.client(ip("10.0.0.5"), None), ip("10.0.0.5"));
        assert_eq!(proxies.client(ip("10.0.0.5"), Some("not-an-address")), ip("10.0.0.5"));
        assert_eq!(proxies.client(ip("::1"), Some("2001:db8::7")), ip("2001:db8::7"));
        assert_eq!(proxies.client(ip("::ffff:10.1.2.3"), Some("198.51.100.2")), ip("198.51.100.2"));
        // No proxies configured: always the peer.
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.5"), Some("198.51.100.1")), ip("10.0.0.5"));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
        Ok(())
    }
}

/// The clock requests are judged by (sessions' expiry, lock-outs, enrolment links, the time
/// of every record): the system's, moved forward by an offset only tests set, so that expiry
/// and back-off are tested without sleeping.
#[derive(Debug, Clone, Default)]
pub struct Clock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl Clock {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::milliseconds(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Moves the clock forward by `by` (tests).
    pub fn advance(&self, by: chrono::Duration) {
        self.0.fetch_add(by.num_milliseconds(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// The ids of revoked tokens: refreshed from the database every half second by a background
/// job (so a revocation on any instance applies on every other within a second), and at once
/// on the instance that revoked.
#[derive(Debug, Clone, Default)]
pub struct Revoked(std::sync::Arc<std::sync::RwLock<std::collections::HashSet<uuid::Uuid>>>);

impl Revoked {
    pub fn contains(&self, jti: &uuid::Uuid) -> bool {
        self.0.read().map(|s| s.contains(jti)).unwrap_or(true)
    }

    pub fn insert(&self, jti: uuid::Uuid) {
        if let Ok(mut s) = self.0.write() {
            s.insert(jti);
        }
    }

    pub fn replace(&self, all: std::collections::HashSet<uuid::Uuid>) {
        if let Ok(mut s) = self.0.write() {
            *s = all;
        }
    }
}

/// How accounts are enrolled and their passwords kept.
#[derive(Clone)]
pub struct Accounts {
    /// Where people reach the service (enrolment links are built on it).
    pub public_url: String,
    /// How long an enrolment link stays usable.
    pub enrolment_hours: i64,
    /// A secret mixed into every password hash (kept outside the database), if configured.
    pub pepper: Option<Vec<u8>>,
    /// The issuer authenticator apps show beside the code.
    pub issuer: String,
    /// A session unused this long ends.
    pub session_idle: chrono::Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_absolute: chrono::Duration,
    /// A hash of nothing anyone knows, verified when no account matches a sign-in (made on
    /// first use: Argon2id takes tens of milliseconds).
    pub dummy: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

impl Accounts {
    /// The dummy password hash (see `dummy`).
    pub async fn dummy_hash(&self) -> Result<String, String> {
        let pepper = self.pepper.clone();
        self.dummy
            .get_or_try_init(|| async move {
                let token = crate::credentials::random_token().map_err(|e| e.to_string())?;
                actix_web::rt::task::spawn_blocking(move || crate::credentials::hash_password(&token, pepper.as_deref()))
                    .await
                    .map_err(|e| e.to_string())?
            })
            .await
            .cloned()
    }
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("public_url", &self.public_url)
            .field("enrolment_hours", &self.enrolment_hours)
            .finish_non_exhaustive()
    }
}

/// Request size, time and connection limits (see README).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body accepted, in bytes.
    pub body_bytes: usize,
    /// How long a request may take before it is abandoned (with a 503 problem).
    pub request_timeout: Duration,
    /// Most open connections per worker.
    pub max_connections: usize,
}

impl Limits {
    pub const DEFAULT_BODY_BYTES: usize = 64 * 1024;
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// How long loading an imported caseload may take.
    pub const IMPORT_LOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);
    /// The largest file an import takes (a spreadsheet of 50,000 rows).
    pub const IMPORT_FILE_BYTES: usize = 32 * 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits { body_bytes: Self::DEFAULT_BODY_BYTES, request_timeout: Self::DEFAULT_REQUEST_TIMEOUT, max_connections: 1024 }
    }
}

/// The deadline rules and the back-dating window, for the handlers that record events.
pub struct Rules {
    pub book: RuleBook,
    pub window: BackdatingWindow,
}

/// One report computed at a time. A report at national scale keeps two cores and two pooled
/// connections busy (BENCHMARKS.md has the figures); reports pulled together would only share
/// that, while leaving the coordinators' and partners' requests less of the machine and of the
/// pool. The rest wait their turn, within the request timeout.
pub struct ReportGate {
    turns: tokio::sync::Semaphore,
    /// Requests waiting for their turn now (`/metrics`).
    waiting: std::sync::atomic::AtomicI64,
}

impl ReportGate {
    /// Waits for this request's turn; the turn ends when the permit is dropped.
    pub async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        struct Waiting<'a>(&'a std::sync::atomic::AtomicI64);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        self.waiting.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Counted until the turn comes, or the request is abandoned while it waits.
        let _waiting = Waiting(&self.waiting);
        self.turns.acquire().await.ok()
    }

    /// Requests waiting for their turn now.
    pub fn waiting(&self) -> i64 {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Default for ReportGate {
    fn default() -> Self {
        ReportGate { turns: tokio::sync::Semaphore::new(1), waiting: std::sync::atomic::AtomicI64::new(0) }
    }
}

/// The documented routes: path templates and their methods, for answering 405 (with `Allow`)
/// to a method no route takes on a path that exists.
#[derive(Debug, Default)]
pub struct KnownRoutes(Vec<(Vec<String>, Vec<String>)>);

impl KnownRoutes {
    pub fn from_document(doc: &utoipa::openapi::OpenApi) -> Self {
        let value = serde_json::to_value(&doc.paths).unwrap_or_default();
        let routes = value
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let segments = path.split('/').map(str::to_owned).collect();
                        let methods = item.as_object().map(|m| m.keys().map(|k| k.to_uppercase()).collect()).unwrap_or_default();
                        (segments, methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        KnownRoutes(routes)
    }

    /// The methods of the documented route `path` matches, if any.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(template, methods)| {
            let fits = template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| if t.starts_with('{') { !p.is_empty() } else { t == p });
            fits.then(|| methods.join(", "))
        })
    }
}
