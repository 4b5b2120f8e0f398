//! The `fourthp` command line.

#![allow(clippy::print_stdout, reason = "standard output is the command line's interface")]

use std::net::TcpListener;
use std::process::ExitCode;

use chrono::Utc;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::{Principal, Role, Subject};
use fourthp_persistence::cluster::LocalCluster;
use fourthp_persistence::{connect, run_migrations};

use crate::app::{server, AppState, Rules};
use crate::auth::{Minter, Verifier};
use crate::config::{Config, LogFormat};
use crate::extract::BodyLimit;
use crate::openapi;

const USAGE: &str = "\
usage: fourthp <command>

commands:
  serve                  run the service (FOURTHP_BIND, default 127.0.0.1:8080)
  migrate                apply pending database migrations
  token --role ROLE [--agency ID] [--ttl 8h] [--sub NAME]
                         print a signed token for the local HS256 key
  openapi                print the OpenAPI document

Without DATABASE_URL, serve and migrate manage a PostgreSQL cluster in FOURTHP_DATA_DIR
(default ./fourthp-data). See README.md for every setting.";

/// Runs the command line; `args` excludes the program name.
pub fn run(args: Vec<String>) -> ExitCode {
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "serve" if rest.is_empty() => with_runtime(serve(config)),
        "migrate" if rest.is_empty() => with_runtime(migrate(config)),
        "token" => token(&config, rest),
        "openapi" if rest.is_empty() => {
            print!("{}", openapi::document_json());
            Ok(())
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown command or arguments: {}\n\n{USAGE}", args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fourthp: {message}");
            ExitCode::FAILURE
        }
    }
}

fn with_runtime(fut: impl std::future::Future<Output = Result<(), String>>) -> Result<(), String> {
    actix_web::rt::System::new().block_on(fut)
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("FOURTHP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The database to use: the configured one, or the managed local cluster (started here).
async fn database(config: &Config) -> Result<(String, Option<LocalCluster>), String> {
    if let Some(url) = &config.database_url {
        return Ok((url.clone(), None));
    }
    let dir = config.data_dir.clone();
    tracing::info!(data_dir = %dir.display(), "no DATABASE_URL: starting the local PostgreSQL cluster");
    let cluster = actix_web::rt::task::spawn_blocking(move || LocalCluster::start(&dir, &[]))
        .await
        .map_err(|_| "the cluster start-up task stopped".to_owned())?
        .map_err(|e| e.to_string())?;
    cluster.ensure_database("fourthp").await.map_err(|e| e.to_string())?;
    tracing::info!(port = cluster.port(), "local PostgreSQL cluster ready");
    Ok((cluster.url("fourthp"), Some(cluster)))
}

async fn stop(cluster: Option<LocalCluster>) -> Result<(), String> {
    let Some(cluster) = cluster else {
        return Ok(());
    };
    tracing::info!("stopping the local PostgreSQL cluster");
    actix_web::rt::task::spawn_blocking(move || cluster.stop())
        .await
        .map_err(|_| "the cluster shutdown task stopped".to_owned())?
        .map_err(|e| e.to_string())
}

async fn migrate_url(url: &str) -> Result<(), String> {
    let applied = run_migrations(url).await.map_err(|e| e.to_string())?;
    tracing::info!(applied = applied.len(), "migrations up to date");
    Ok(())
}

async fn migrate(config: Config) -> Result<(), String> {
    init_logging(config.log_format);
    let (url, cluster) = database(&config).await?;
    let result = migrate_url(&url).await;
    stop(cluster).await?;
    result
}

async fn serve(config: Config) -> Result<(), String> {
    init_logging(config.log_format);
    let secret = config.hs256_secret()?;
    let verifier = Verifier::new(&secret, &config.jwt_public_keys, &config.jwt_issuer, &config.jwt_audience).map_err(|e| e.to_string())?;
    let rules = Rules { book: config.rule_book()?, window: config.backdating_window() };
    let (url, cluster) = database(&config).await?;
    let served = async {
        migrate_url(&url).await?;
        let db = connect(&url, config.pool_size, config.db_wait).map_err(|e| e.to_string())?;
        let listener = TcpListener::bind(&config.bind).map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let state = AppState { db, verifier, body_limit: BodyLimit(config.body_limit), rules };
        let server = server(listener, state, config.workers).map_err(|e| e.to_string())?;
        // Idempotency keys are kept 24 hours; forget older ones every hour.
        let sweeper = connect(&url, 1, config.db_wait).map_err(|e| e.to_string())?;
        actix_web::rt::spawn(async move {
            let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                if let Err(e) = fourthp_persistence::write::expire_keys(&sweeper, Utc::now()).await {
                    tracing::warn!(error = %e, "could not expire idempotency keys");
                }
            }
        });
        tracing::info!(bind = %config.bind, docs = %format!("http://{}/docs/", config.bind), "FourthP is serving");
        server.await.map_err(|e| e.to_string())
    }
    .await;
    stop(cluster).await?;
    served
}

fn token(config: &Config, args: &[String]) -> Result<(), String> {
    let mut role = None;
    let mut agency = None;
    let mut ttl = chrono::Duration::hours(8);
    let mut sub = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--role" => role = Some(Role::parse(value).ok_or("--role must be coordinator, partner, commissioner, auditor or admin")?),
            "--agency" => agency = Some(AgencyId::parse(value).map_err(|_| "--agency must be an agency id (UUID)")?),
            "--ttl" => ttl = parse_ttl(value).ok_or("--ttl looks like 30m, 8h or 7d (at most 30d)")?,
            "--sub" => sub = Some(value.clone()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let role = role.ok_or("--role is required")?;
    let subject = Subject::parse(sub.as_deref().unwrap_or(&format!("local-{role}"))).map_err(|e| format!("--sub {e}"))?;
    let principal = Principal::new(subject, role, agency).map_err(|e| e.to_string())?;
    let secret = config.hs256_secret()?;
    let token =
        Minter::new(&secret, &config.jwt_issuer, &config.jwt_audience).mint(&principal, Utc::now(), ttl).map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

/// `30m`, `8h`, `7d`, `3600s`: at most 30 days.
pub fn parse_ttl(raw: &str) -> Option<chrono::Duration> {
    let (n, unit) = raw.split_at(raw.len().checked_sub(1)?);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let d = match unit {
        "s" => chrono::Duration::try_seconds(n)?,
        "m" => chrono::Duration::try_minutes(n)?,
        "h" => chrono::Duration::try_hours(n)?,
        "d" => chrono::Duration::try_days(n)?,
        _ => return None,
    };
    (d <= chrono::Duration::days(30)).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("8h"), Some(chrono::Duration::hours(8)));
        assert_eq!(parse_ttl("30m"), Some(chrono::Duration::minutes(30)));
        assert_eq!(parse_ttl("30d"), Some(chrono::Duration::days(30)));
        assert_eq!(parse_ttl("31d"), None);
        assert_eq!(parse_ttl("0h"), None);
        assert_eq!(parse_ttl("h"), None);
        assert_eq!(parse_ttl(""), None);
        assert_eq!(parse_ttl("8x"), None);
    }
}
