//! Configuration from the environment, with safe defaults for a local run (see README).

use std::path::PathBuf;
use std::time::Duration;

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
                Some(v) => {
                    v.parse()
                        .ok()
                        .filter(|n| range.contains(n))
                        .ok_or_else(|| ConfigError {
                            name,
                            problem: format!(
                                "must be a whole number from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        })
                }
            }
        }
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let log_format = match get("FOURTHP_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => {
                return Err(ConfigError {
                    name: "FOURTHP_LOG_FORMAT",
                    problem: "must be text or json".into(),
                })
            }
        };
        Ok(Config {
            database_url: get("DATABASE_URL"),
            data_dir: PathBuf::from(
                get("FOURTHP_DATA_DIR").unwrap_or_else(|| "./fourthp-data".into()),
            ),
            bind: get("FOURTHP_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            workers: number(&get, "FOURTHP_WORKERS", cores, 1..=64)?,
            pool_size: number(&get, "FOURTHP_DB_POOL_SIZE", 16, 1..=500)?,
            db_wait: Duration::from_millis(
                u64::try_from(number(&get, "FOURTHP_DB_WAIT_MS", 5000, 100..=60_000)?)
                    .unwrap_or(5000),
            ),
            body_limit: number(
                &get,
                "FOURTHP_MAX_BODY_BYTES",
                64 * 1024,
                1024..=10 * 1024 * 1024,
            )?,
            log_format,
            jwt_hs256_secret: get("FOURTHP_JWT_HS256_SECRET"),
            jwt_public_keys: get("FOURTHP_JWT_PUBLIC_KEYS").unwrap_or_default(),
            jwt_issuer: get("FOURTHP_JWT_ISSUER").unwrap_or_else(|| "fourthp".into()),
            jwt_audience: get("FOURTHP_JWT_AUDIENCE").unwrap_or_else(|| "fourthp-api".into()),
        })
    }

    /// The HS256 secret: configured, or generated once into the data directory.
    pub fn hs256_secret(&self) -> Result<Vec<u8>, String> {
        if let Some(s) = &self.jwt_hs256_secret {
            return Ok(s.as_bytes().to_vec());
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", self.data_dir.display()))?;
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
    }
}
