//! The `fourthp` command line.

#![allow(clippy::print_stdout, reason = "standard output is the command line's interface")]

use std::process::ExitCode;

use chrono::{Datelike, Utc};
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::{Principal, Role, Subject};
use fourthp_persistence::cluster::LocalCluster;
use fourthp_persistence::{connect, run_migrations};

use crate::audit_trail::{Checkpoint, SigningKey};
use crate::config::{Config, LogFormat};
use crate::demo::{self, DemoOptions};
use crate::openapi;
use crate::startup::Application;
use crate::token::Minter;

const USAGE: &str = "\
usage: fourthp <command>

commands:
  serve [--demo]         run the service (FOURTHP_BIND, default 127.0.0.1:8080); with --demo, an
                         empty database first gets a small synthetic network, and tokens are printed
  demo-data [--cases N] [--seed S] [--from YEAR]
                         load a synthetic network (default 1000 cases, seed 1, from two years ago)
                         into a database that holds no cases
  migrate                apply pending database migrations
  token --role ROLE [--agency ID] [--ttl 8h] [--sub NAME]
                         print a signed token for the local HS256 key
  openapi                print the OpenAPI document
  audit verify [--checkpoint FILE]
                         verify the audit chain (from the start; through a kept checkpoint)
  audit checkpoint       sign the chain's head and print the checkpoint
  retention apply [--closed-before YYYY-MM-DD] [--dry-run]
                         redact cases closed before the date (default: FOURTHP_RETENTION_YEARS ago)
  retention erase --case ID
                         redact one case on request

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
        "serve" if rest.is_empty() => with_runtime(serve(config, false)),
        "serve" if rest == ["--demo"] => with_runtime(serve(config, true)),
        "demo-data" => with_runtime(demo_data(config, rest.to_vec())),
        "migrate" if rest.is_empty() => with_runtime(migrate(config)),
        "token" => token(&config, rest),
        "audit" => with_runtime(audit_command(config, rest.to_vec())),
        "retention" => with_runtime(retention_command(config, rest.to_vec())),
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

/// Applies pending migrations, then re-derives every case's deadlines if the rule book has
/// changed since they were derived (a new rule set version, corrected rules, other local
/// standards): stored deadlines always follow the rules in force.
async fn migrate_url(url: &str, book: &fourthp_domain::rules::RuleBook) -> Result<(), String> {
    let applied = run_migrations(url).await.map_err(|e| e.to_string())?;
    tracing::info!(applied = applied.len(), "migrations up to date");
    let db = connect(url, 2, std::time::Duration::from_secs(30)).map_err(|e| e.to_string())?;
    match fourthp_persistence::rederive::if_changed(&db, book, Utc::now()).await.map_err(|e| e.to_string())? {
        Some(r) => tracing::info!(
            rule_book = %book.versions(),
            cases = r.cases,
            cases_changed = r.cases_changed,
            deadlines_changed = r.deadlines_changed,
            "deadlines re-derived under the rule book in force"
        ),
        None => tracing::info!(rule_book = %book.versions(), "deadlines follow the rule book in force"),
    }
    Ok(())
}

async fn migrate(config: Config) -> Result<(), String> {
    init_logging(config.log_format);
    let book = config.rule_book()?;
    let (url, cluster) = database(&config).await?;
    let result = migrate_url(&url, &book).await;
    stop(cluster).await?;
    result
}

/// Options of `demo-data`.
fn demo_options(args: &[String]) -> Result<DemoOptions, String> {
    let mut opts = DemoOptions { cases: 1000, seed: 1, from_year: Utc::now().year() - 2, progress: true };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--cases" => opts.cases = value.parse().ok().filter(|n| (1..=999_999).contains(n)).ok_or("--cases must be from 1 to 999999")?,
            "--seed" => opts.seed = value.parse().map_err(|_| "--seed must be a whole number")?,
            "--from" => opts.from_year = value.parse().map_err(|_| "--from must be a year")?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(opts)
}

async fn demo_data(config: Config, args: Vec<String>) -> Result<(), String> {
    init_logging(config.log_format);
    let opts = demo_options(&args)?;
    let book = config.rule_book()?;
    let (url, cluster) = database(&config).await?;
    let result = async {
        migrate_url(&url, &book).await?;
        let s = demo::load(&url, &book, opts, Utc::now()).await?;
        println!(
            "loaded {} cases, {} events, {} needs, {} interventions, {} actions, {} deadlines and {} outcomes with {} agencies in {:.1} s",
            s.cases, s.events, s.needs, s.interventions, s.actions, s.deadlines, s.outcomes, s.agencies, s.seconds
        );
        Ok(())
    }
    .await;
    stop(cluster).await?;
    result
}

/// Loads a small demo network into an empty database and prints a token for each role.
async fn demo_for_serve(config: &Config, url: &str, book: &fourthp_domain::rules::RuleBook) -> Result<(), String> {
    let db = fourthp_persistence::bulk::BulkLoader::connect(url).await.map_err(|e| e.to_string())?;
    let empty = db.count("SELECT count(*) FROM cases").await.map_err(|e| e.to_string())? == 0;
    if empty {
        let opts = DemoOptions { cases: 400, seed: 1, from_year: Utc::now().year() - 2, progress: false };
        let s = demo::load(url, book, opts, Utc::now()).await?;
        tracing::info!(cases = s.cases, interventions = s.interventions, "demo network loaded");
    }
    let vcc = AgencyId::from_uuid(demo::coordinator_agency(&db).await?);
    let gp = db
        .pairs("SELECT id::text, name FROM agencies WHERE kind = 'health_gp' ORDER BY name LIMIT 1")
        .await
        .map_err(|e| e.to_string())?
        .first()
        .and_then(|(id, _)| AgencyId::parse(id).ok());
    let secret = config.hs256_secret()?;
    let minter = Minter::new(&secret, &config.jwt_issuer, &config.jwt_audience);
    println!("Demo tokens (8 hours); send as Authorization: Bearer <token>");
    for (role, agency, sub) in [
        (Role::Coordinator, Some(vcc), "vcc-01"),
        (Role::Partner, gp, "gp-practice-manager"),
        (Role::Commissioner, None, "commissioner"),
        (Role::Auditor, None, "auditor"),
        (Role::Admin, None, "admin"),
    ] {
        let principal = Principal::new(Subject::parse(sub).map_err(|e| e.to_string())?, role, agency).map_err(|e| e.to_string())?;
        let token = minter.mint(&principal, Utc::now(), chrono::Duration::hours(8)).map_err(|e| e.to_string())?;
        println!("{:<13} {token}", role.as_str());
    }
    Ok(())
}

async fn serve(mut config: Config, demo: bool) -> Result<(), String> {
    init_logging(config.log_format);
    let book = config.rule_book()?;
    let (url, cluster) = database(&config).await?;
    let served = async {
        migrate_url(&url, &book).await?;
        if demo {
            demo_for_serve(&config, &url, &book).await?;
        }
        config.database_url = Some(url.clone());
        let app = Application::build(&config)?;
        let host = config.bind.rsplit_once(':').map_or(config.bind.as_str(), |(h, _)| h);
        let address = format!("{host}:{}", app.port());
        tracing::info!(bind = %address, docs = %format!("http://{address}/docs/"), "FourthP is serving");
        app.run_until_stopped().await
    }
    .await;
    stop(cluster).await?;
    served
}

/// The audit context of a command-line operation.
fn cli_context(what: &str) -> Result<fourthp_domain::audit::AuditContext, String> {
    let principal = Principal::new(Subject::parse(&format!("fourthp-cli:{what}")).map_err(|e| e.to_string())?, Role::Admin, None)
        .map_err(|e| e.to_string())?;
    Ok(fourthp_domain::audit::AuditContext {
        principal,
        request_id: format!("cli-{}", uuid::Uuid::now_v7()),
        client_address: None,
        at: Utc::now(),
    })
}

async fn with_database<T>(config: &Config, work: impl AsyncFnOnce(&fourthp_persistence::Db) -> Result<T, String>) -> Result<T, String> {
    let book = config.rule_book()?;
    let (url, cluster) = database(config).await?;
    let result = async {
        migrate_url(&url, &book).await?;
        let db = connect(&url, 2, config.db_wait).map_err(|e| e.to_string())?;
        work(&db).await
    }
    .await;
    stop(cluster).await?;
    result
}

async fn audit_command(config: Config, args: Vec<String>) -> Result<(), String> {
    init_logging(config.log_format);
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["checkpoint"] => {
            let key = SigningKey::load_or_create(&config.audit_key)?;
            let cp =
                with_database(&config, async |db| crate::audit_trail::checkpoint(db, &key, Utc::now()).await.map_err(|e| e.to_string()))
                    .await?;
            println!("{}", serde_json::to_string_pretty(&cp).map_err(|e| e.to_string())?);
            Ok(())
        }
        ["verify", rest @ ..] => {
            let checkpoint = match rest {
                [] => None,
                ["--checkpoint", file] => {
                    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
                    let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| format!("{file} is not a checkpoint: {e}"))?;
                    if !cp.signature_valid() {
                        return Err(format!("{file}: the checkpoint's signature does not verify"));
                    }
                    Some(cp)
                }
                _ => return Err("usage: fourthp audit verify [--checkpoint FILE]".into()),
            };
            let expect = checkpoint.as_ref().map(|c| (c.seq, crate::audit_trail::unhex(&c.head_hash).unwrap_or_default()));
            let report = with_database(&config, async |db| {
                fourthp_persistence::chain::chain_pending(db, Utc::now()).await.map_err(|e| e.to_string())?;
                fourthp_persistence::chain::verify(db, expect.as_ref().map(|(s, h)| (*s, h.as_slice()))).await.map_err(|e| e.to_string())
            })
            .await?;
            let valid = report.is_valid();
            let response = crate::routes::audit::VerifyResponse::from(report);
            println!("{}", serde_json::to_string_pretty(&response).map_err(|e| e.to_string())?);
            if valid {
                Ok(())
            } else {
                Err("the audit trail does not verify".into())
            }
        }
        _ => Err("usage: fourthp audit verify [--checkpoint FILE] | fourthp audit checkpoint".into()),
    }
}

async fn retention_command(config: Config, args: Vec<String>) -> Result<(), String> {
    use fourthp_domain::audit::Purpose;
    use fourthp_persistence::retention;
    init_logging(config.log_format);
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["erase", "--case", id] => {
            let case = fourthp_domain::ids::CaseId::parse(id).map_err(|_| "--case must be a case id (UUID)")?;
            let ctx = cli_context("erasure")?;
            let found =
                with_database(&config, async |db| retention::redact(db, &ctx, case, Purpose::Erasure).await.map_err(|e| e.to_string()))
                    .await?;
            if !found {
                return Err(format!("no case {case}"));
            }
            println!("case {case} erased");
            Ok(())
        }
        ["apply", rest @ ..] => {
            let mut closed_before = None;
            let mut dry_run = false;
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                match *arg {
                    "--dry-run" => dry_run = true,
                    "--closed-before" => {
                        let d = it.next().ok_or("--closed-before needs a date")?;
                        closed_before =
                            Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| "--closed-before must be YYYY-MM-DD")?);
                    }
                    other => return Err(format!("unknown option {other}")),
                }
            }
            let today = fourthp_domain::time::london_date(Utc::now());
            let years = i32::try_from(config.retention_years).unwrap_or(6);
            let cutoff = closed_before.unwrap_or_else(|| today.with_year(chrono::Datelike::year(&today) - years).unwrap_or(today));
            let ctx = cli_context("retention")?;
            let done = with_database(&config, async |db| {
                let due = retention::due(db, cutoff).await.map_err(|e| e.to_string())?;
                if !dry_run {
                    for case in &due {
                        retention::redact(db, &ctx, *case, Purpose::Retention).await.map_err(|e| e.to_string())?;
                    }
                }
                Ok(due)
            })
            .await?;
            for case in &done {
                println!("{case}");
            }
            println!("{} case(s) closed before {cutoff} {}", done.len(), if dry_run { "would be redacted (dry run)" } else { "redacted" });
            Ok(())
        }
        _ => Err("usage: fourthp retention apply [--closed-before YYYY-MM-DD] [--dry-run] | fourthp retention erase --case ID".into()),
    }
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
