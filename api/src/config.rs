//! Configuration from the environment, with safe defaults for a local run (see README).

use std::path::PathBuf;
use std::time::Duration;

use fourthp_domain::lifecycle::BackdatingWindow;
use fourthp_domain::rules::RuleBook;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// An existing PostgreSQL server; when absent FourthP manages its own in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub bind: String,
    pub workers: usize,
    pub pool_size: usize,
    pub db_wait: Duration,
    pub body_limit: usize,
    pub log_format: LogFormat,
    pub jwt_hs256_secret: Option<String>,
    pub jwt_public_keys: String,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// A JSON rule set replacing the shipped local standards (GP access).
    pub local_rules: Option<PathBuf>,
    /// How far before a case's first event a new event may be dated, in days.
    pub backdating_days: usize,
    /// The Ed25519 key (PKCS#8) that signs audit checkpoints.
    pub audit_key: PathBuf,
    /// Milliseconds between runs of the audit chainer in `serve`.
    pub chain_every_ms: usize,
    /// Minutes between automatic checkpoints in `serve` (0: none).
    pub checkpoint_minutes: usize,
    /// Years after closure before `retention apply` redacts a case.
    pub retention_years: usize,
    /// Longest time a request may take, in milliseconds, before it is abandoned with a 503.
    pub request_timeout_ms: usize,
    /// Most open connections per worker.
    pub max_connections: usize,
    /// Disclosure control for commissioners' reports.
    pub disclosure: fourthp_domain::disclosure::Policy,
    /// Where people reach the service: enrolment links are built on it.
    pub public_url: String,
    /// A secret mixed into password hashes (optional; keep it outside the database).
    pub password_pepper: Option<String>,
    /// How long an enrolment link stays usable, in hours.
    pub enrolment_hours: usize,
    /// The longest lifetime `fourthp token` gives, in hours.
    pub cli_token_max_hours: usize,
    /// Minutes a session may go unused before it ends.
    pub session_idle_minutes: usize,
    /// Hours after sign-in a session ends at the latest.
    pub session_hours: usize,
    /// A bearer token `/metrics` asks for (none: open, for a scraper on a private network).
    pub metrics_token: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::state::TrustedProxies,
    /// A hot standby that reports read from (none: the primary).
    pub report_database_url: Option<String>,
    /// The furthest behind the report replica may be, in seconds.
    pub report_max_lag_seconds: usize,
    /// Whether reports fall back to the primary when the replica is behind or down.
    pub report_fallback_to_primary: bool,
    /// The most parallel workers each report query may use.
    pub report_parallel_workers: usize,
    /// The SMTP server email goes through (`smtp://host:port`, `smtps://user:password@host`,
    /// `?tls=required` for STARTTLS); none: no email is sent.
    pub smtp_url: Option<String>,
    /// The sender of FourthP's email (`FourthP <fourthp@network.example>`).
    pub mail_from: Option<String>,
    /// When the digest goes out (Europe/London), on the jurisdiction's working days.
    pub digest_at: chrono::NaiveTime,
    /// Whose bank holidays are not working days for the digest.
    pub jurisdiction: fourthp_domain::case::Jurisdiction,
    /// Milliseconds between looks at the outbox when it was empty.
    pub deliver_every_ms: usize,
    /// Whether this instance sends what the outbox holds (`off`: it writes to the outbox and
    /// leaves sending to other instances).
    pub delivery: bool,
    /// `network` (the default) or `forum`: a deployment run for the national forum.
    pub mode: crate::state::Mode,
    /// The network's name in the bundles it signs for the forum.
    pub network_name: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        fn number(
            get: &impl Fn(&str) -> Option<String>,
            name: &'static str,
            default: usize,
            range: std::ops::RangeInclusive<usize>,
        ) -> Result<usize, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| ConfigError {
                    name,
                    problem: format!("must be a whole number from {} to {}", range.start(), range.end()),
                }),
            }
        }
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let log_format = match get("FOURTHP_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(ConfigError { name: "FOURTHP_LOG_FORMAT", problem: "must be text or json".into() }),
        };
        let data_dir = PathBuf::from(get("FOURTHP_DATA_DIR").unwrap_or_else(|| "./fourthp-data".into()));
        Ok(Config {
            database_url: get("DATABASE_URL"),
            bind: get("FOURTHP_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            workers: number(&get, "FOURTHP_WORKERS", cores, 1..=64)?,
            pool_size: number(&get, "FOURTHP_DB_POOL_SIZE", 16, 1..=500)?,
            db_wait: Duration::from_millis(u64::try_from(number(&get, "FOURTHP_DB_WAIT_MS", 5000, 100..=60_000)?).unwrap_or(5000)),
            // The forum takes networks' bundles (about 100 KB each): its default is larger.
            body_limit: number(
                &get,
                "FOURTHP_MAX_BODY_BYTES",
                if get("FOURTHP_MODE").as_deref() == Some("forum") { 1024 * 1024 } else { 64 * 1024 },
                1024..=10 * 1024 * 1024,
            )?,
            log_format,
            jwt_hs256_secret: get("FOURTHP_JWT_HS256_SECRET"),
            jwt_public_keys: get("FOURTHP_JWT_PUBLIC_KEYS").unwrap_or_default(),
            jwt_issuer: get("FOURTHP_JWT_ISSUER").unwrap_or_else(|| "fourthp".into()),
            jwt_audience: get("FOURTHP_JWT_AUDIENCE").unwrap_or_else(|| "fourthp-api".into()),
            local_rules: get("FOURTHP_LOCAL_RULES").map(PathBuf::from),
            backdating_days: number(&get, "FOURTHP_BACKDATING_DAYS", 731, 0..=36_500)?,
            audit_key: get("FOURTHP_AUDIT_KEY").map(PathBuf::from).unwrap_or_else(|| data_dir.join("audit-ed25519.pk8")),
            chain_every_ms: number(&get, "FOURTHP_AUDIT_CHAIN_MS", 500, 100..=3_600_000)?,
            checkpoint_minutes: number(&get, "FOURTHP_AUDIT_CHECKPOINT_MINUTES", 0, 0..=10_080)?,
            retention_years: number(&get, "FOURTHP_RETENTION_YEARS", 6, 1..=100)?,
            request_timeout_ms: number(&get, "FOURTHP_REQUEST_TIMEOUT_MS", 30_000, 100..=600_000)?,
            max_connections: number(&get, "FOURTHP_MAX_CONNECTIONS", 1024, 1..=100_000)?,
            disclosure: fourthp_domain::disclosure::Policy {
                suppress_up_to: number(&get, "FOURTHP_REPORT_SUPPRESS_UP_TO", 7, 0..=1000)? as u64,
                min_n_for_statistics: number(&get, "FOURTHP_REPORT_MIN_N", 10, 1..=10_000)? as u64,
                min_population: number(&get, "FOURTHP_REPORT_MIN_POPULATION", 20, 1..=1_000_000)? as u64,
                perturb: true,
            },
            public_url: get("FOURTHP_PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:8080".into()),
            password_pepper: get("FOURTHP_PASSWORD_PEPPER"),
            enrolment_hours: number(&get, "FOURTHP_ENROLMENT_HOURS", 72, 1..=720)?,
            cli_token_max_hours: number(&get, "FOURTHP_CLI_TOKEN_MAX_HOURS", 12, 1..=720)?,
            session_idle_minutes: number(&get, "FOURTHP_SESSION_IDLE_MINUTES", 30, 1..=1440)?,
            session_hours: number(&get, "FOURTHP_SESSION_HOURS", 12, 1..=168)?,
            metrics_token: get("FOURTHP_METRICS_TOKEN"),
            report_database_url: get("FOURTHP_REPORT_DATABASE_URL"),
            report_max_lag_seconds: number(&get, "FOURTHP_REPORT_MAX_LAG_SECONDS", 60, 1..=86_400)?,
            report_parallel_workers: number(&get, "FOURTHP_REPORT_PARALLEL_WORKERS", 0, 0..=64)?,
            report_fallback_to_primary: match get("FOURTHP_REPORT_FALLBACK").as_deref() {
                None | Some("none") => false,
                Some("primary") => true,
                Some(_) => return Err(ConfigError { name: "FOURTHP_REPORT_FALLBACK", problem: "must be `primary` or `none`".to_owned() }),
            },
            trusted_proxies: crate::state::TrustedProxies::parse(&get("FOURTHP_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|problem| ConfigError { name: "FOURTHP_TRUSTED_PROXIES", problem })?,
            smtp_url: get("FOURTHP_SMTP_URL"),
            mail_from: get("FOURTHP_MAIL_FROM"),
            digest_at: fourthp_domain::notify::DigestSchedule::parse_time(&get("FOURTHP_DIGEST_AT").unwrap_or_else(|| "07:30".into()))
                .map_err(|e| ConfigError { name: "FOURTHP_DIGEST_AT", problem: e.to_string() })?,
            jurisdiction: match get("FOURTHP_JURISDICTION") {
                None => fourthp_domain::case::Jurisdiction::EnglandWales,
                Some(j) => fourthp_domain::case::Jurisdiction::parse(&j).ok_or_else(|| ConfigError {
                    name: "FOURTHP_JURISDICTION",
                    problem: "must be england_wales, scotland or northern_ireland".to_owned(),
                })?,
            },
            deliver_every_ms: number(&get, "FOURTHP_DELIVER_EVERY_MS", 1000, 50..=60_000)?,
            delivery: match get("FOURTHP_DELIVERY").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(_) => return Err(ConfigError { name: "FOURTHP_DELIVERY", problem: "must be on or off".to_owned() }),
            },
            mode: match get("FOURTHP_MODE").as_deref() {
                None | Some("network") => crate::state::Mode::Network,
                Some("forum") => crate::state::Mode::Forum,
                Some(_) => return Err(ConfigError { name: "FOURTHP_MODE", problem: "must be network or forum".to_owned() }),
            },
            network_name: match get("FOURTHP_NETWORK_NAME") {
                None => "FourthP network".to_owned(),
                Some(n) if (1..=200).contains(&n.trim().chars().count()) && !n.contains(['\n', '\r']) => n.trim().to_owned(),
                Some(_) => {
                    return Err(ConfigError { name: "FOURTHP_NETWORK_NAME", problem: "must be one line of 1 to 200 characters".to_owned() })
                }
            },
            data_dir,
        })
    }

    /// When the digest goes out.
    pub fn digest_schedule(&self) -> fourthp_domain::notify::DigestSchedule {
        fourthp_domain::notify::DigestSchedule { at: self.digest_at, calendar: fourthp_domain::calendar::Calendar(self.jurisdiction) }
    }

    /// The deadline rules in force: the shipped files, with the deployment's local standards.
    /// Any fault stops start-up with the file and the problem named.
    pub fn rule_book(&self) -> Result<RuleBook, String> {
        let local = match &self.local_rules {
            None => None,
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| format!("FOURTHP_LOCAL_RULES: cannot read {}: {e}", path.display()))?;
                Some((path.display().to_string(), text))
            }
        };
        fourthp_domain::rules::shipped_with(local.as_ref().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|e| e.to_string())
    }

    pub fn accounts(&self) -> crate::state::Accounts {
        crate::state::Accounts {
            public_url: self.public_url.trim_end_matches('/').to_owned(),
            enrolment_hours: i64::try_from(self.enrolment_hours).unwrap_or(72),
            pepper: self.password_pepper.as_ref().map(|p| p.as_bytes().to_vec()),
            issuer: "FourthP".to_owned(),
            session_idle: chrono::Duration::minutes(i64::try_from(self.session_idle_minutes).unwrap_or(30)),
            session_absolute: chrono::Duration::hours(i64::try_from(self.session_hours).unwrap_or(12)),
            dummy: Default::default(),
        }
    }

    pub fn backdating_window(&self) -> BackdatingWindow {
        BackdatingWindow(chrono::Duration::days(i64::try_from(self.backdating_days).unwrap_or(731)))
    }

    /// The HS256 secret: configured, or generated once into the data directory.
    pub fn hs256_secret(&self) -> Result<Vec<u8>, String> {
        if let Some(s) = &self.jwt_hs256_secret {
            return Ok(s.as_bytes().to_vec());
        }
        std::fs::create_dir_all(&self.data_dir).map_err(|e| format!("cannot create {}: {e}", self.data_dir.display()))?;
        fourthp_persistence::cluster::read_or_create_secret(&self.data_dir.join("jwt-hs256.key"))
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.body_limit, 65536);
        assert!(c.database_url.is_none());
        let bad = Config::from_lookup(|n| (n == "FOURTHP_DB_POOL_SIZE").then(|| "0".to_owned()));
        assert!(bad.is_err());
        let bad = Config::from_lookup(|n| (n == "FOURTHP_LOG_FORMAT").then(|| "xml".to_owned()));
        assert!(bad.is_err());
        assert_eq!(c.rule_book().map(|b| b.sets.len()), Ok(4));
        assert_eq!(c.backdating_window(), BackdatingWindow::default());
    }

    #[test]
    fn a_bad_local_rules_file_stops_start_up_with_its_name() {
        let path = std::env::temp_dir().join(format!("fourthp-bad-rules-{}.json", std::process::id()));
        let _ = std::fs::write(&path, r#"{"applies_to": "all", "label": "L", "version": "1", "rules": [{"id": "Bad Id"}]}"#);
        let p = path.display().to_string();
        let c = Config::from_lookup(|n| (n == "FOURTHP_LOCAL_RULES").then(|| p.clone())).unwrap_or_else(|e| panic!("{e}"));
        let err = c.rule_book().err().unwrap_or_default();
        assert!(err.contains(&p), "{err}");
        let _ = std::fs::remove_file(path);
    }
}
