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

mod demo_accounts;
use demo_accounts::{demo_data, demo_for_serve};

/// FourthP: victim care coordination for regional anti-slavery partnerships.
///
/// Without DATABASE_URL, serve and migrate manage a PostgreSQL cluster in FOURTHP_DATA_DIR
/// (default ./fourthp-data). See README.md for every setting.
#[derive(Debug, clap::Parser)]
#[command(name = "fourthp", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run the service (FOURTHP_BIND, default 127.0.0.1:8080), migrating first.
    Serve {
        /// Give an empty database a small synthetic network first, and print a token per role.
        #[arg(long)]
        demo: bool,
    },
    /// Load a synthetic network into a database that holds no cases.
    DemoData {
        /// How many cases (1 to 999999).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=999_999))]
        cases: u32,
        /// The seed: the same seed (on the same day) gives the same network.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Support starts are spread from 1 January of this year (default: two years ago).
        #[arg(long, value_name = "YEAR")]
        from: Option<i32>,
    },
    /// Apply pending database migrations (and re-derive deadlines if the rules changed).
    Migrate,
    /// Print a signed token for the local HS256 key.
    Token {
        /// coordinator, partner, commissioner, auditor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The caller's agency (required for coordinators and partners).
        #[arg(long, value_parser = parse_agency)]
        agency: Option<AgencyId>,
        /// Lifetime: 30m, 8h... (at most FOURTHP_CLI_TOKEN_MAX_HOURS, default 12h).
        #[arg(long, default_value = "8h", value_parser = parse_ttl_arg)]
        ttl: chrono::Duration,
        /// The subject (`sub`) the token names (default: local-ROLE).
        #[arg(long)]
        sub: Option<String>,
    },
    /// Queue the daily digests that are due (or, with --now, today's for everyone) and send
    /// what the outbox holds.
    Digest {
        /// Today's digests at once, whatever the time and day (operators, tests).
        #[arg(long)]
        now: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// People's accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The audit trail's chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Redaction of closed cases' personal data.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Moving a caseload in from spreadsheets.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Debug, clap::Subcommand)]
enum ImportCommand {
    /// Read a spreadsheet caseload (XLSX or ODS with sheets of cases, events and interventions;
    /// or CSV) and report every problem by row and column; with --load, load it all or nothing
    /// if there is none. Rows whose old reference was loaded before are skipped.
    Cases {
        /// The cases file (XLSX, ODS or CSV).
        file: std::path::PathBuf,
        /// A CSV file of NRM events by old reference.
        #[arg(long, value_name = "FILE")]
        events: Option<std::path::PathBuf>,
        /// A CSV file of interventions by old reference.
        #[arg(long, value_name = "FILE")]
        interventions: Option<std::path::PathBuf>,
        /// The agency whose coordinators take the cases on (its name).
        #[arg(long)]
        agency: String,
        /// The sign-in subject of the coordinator who leads them.
        #[arg(long)]
        lead: String,
        /// Write the dry run's report here as CSV.
        #[arg(long, value_name = "FILE")]
        report: Option<std::path::PathBuf>,
        /// Load the file when the dry run finds no problem.
        #[arg(long)]
        load: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Create an account and print its single-use enrolment link (last line), to pass on to the
    /// person: they set their own password and second factor through it (FOURTHP_PUBLIC_URL).
    Add {
        #[arg(long)]
        email: String,
        /// coordinator, partner, commissioner, auditor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The person's agency (required for coordinators and partners).
        #[arg(long, value_parser = parse_agency)]
        agency: Option<AgencyId>,
        /// How others see the person (default: the email's local part).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Verify the audit chain (from the start; through a kept checkpoint).
    Verify {
        /// A checkpoint kept outside, which the chain must still pass through.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<std::path::PathBuf>,
    },
    /// Sign the chain's head and print the checkpoint, to keep elsewhere.
    Checkpoint,
}

#[derive(Debug, clap::Subcommand)]
enum RetentionCommand {
    /// Redact cases closed before the date (default: FOURTHP_RETENTION_YEARS ago).
    Apply {
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        closed_before: Option<chrono::NaiveDate>,
        /// List what would be redacted, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Redact one case on request.
    Erase {
        #[arg(long = "case", value_name = "ID", value_parser = parse_case)]
        case: fourthp_domain::ids::CaseId,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| "must be coordinator, partner, commissioner, auditor or admin".to_owned())
}

fn parse_agency(raw: &str) -> Result<AgencyId, String> {
    AgencyId::parse(raw).map_err(|_| "must be an agency id (UUID)".to_owned())
}

fn parse_case(raw: &str) -> Result<fourthp_domain::ids::CaseId, String> {
    fourthp_domain::ids::CaseId::parse(raw).map_err(|_| "must be a case id (UUID)".to_owned())
}

fn parse_ttl_arg(raw: &str) -> Result<chrono::Duration, String> {
    parse_ttl(raw).ok_or_else(|| "looks like 30m, 8h or 7d (at most 30d)".to_owned())
}

fn parse_day(raw: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "must be a date YYYY-MM-DD".to_owned())
}

/// Runs the command line; `args` excludes the program name.
pub fn run(args: Vec<String>) -> ExitCode {
    use clap::Parser;
    let cli = match Cli::try_parse_from(std::iter::once("fourthp".to_owned()).chain(args)) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output and succeed; mistakes name the bad flag.
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve { demo } => with_runtime(serve(config, demo)),
        Command::DemoData { cases, seed, from } => {
            let opts = DemoOptions { cases: cases as usize, seed, from_year: from.unwrap_or(Utc::now().year() - 2), progress: true };
            with_runtime(demo_data(config, opts))
        }
        Command::Migrate => with_runtime(migrate(config)),
        Command::Token { role, agency, ttl, sub } => with_runtime(token(config, role, agency, ttl, sub)),
        Command::Audit(c) => with_runtime(audit_command(config, c)),
        Command::Retention(c) => with_runtime(retention_command(config, c)),
        Command::Import(c) => with_runtime(import_command(config, c)),
        Command::User(c) => with_runtime(user_command(config, c)),
        Command::Digest { now } => with_runtime(digest(config, now)),
        Command::Openapi => {
            print!("{}", openapi::document_json());
            Ok(())
        }
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

async fn serve(mut config: Config, demo: bool) -> Result<(), String> {
    init_logging(config.log_format);
    let book = config.rule_book()?;
    let (url, cluster) = database(&config).await?;
    let served = async {
        migrate_url(&url, &book).await?;
        let demo_accounts = if demo { demo_for_serve(&config, &url, &book).await? } else { Vec::new() };
        config.database_url = Some(url.clone());
        let app = Application::build(&config)?;
        let host = config.bind.rsplit_once(':').map_or(config.bind.as_str(), |(h, _)| h);
        let address = format!("{host}:{}", app.port());
        if !demo_accounts.is_empty() {
            // Browsers keep the __Host- session cookie over plain http only for localhost.
            let browser_host = if host == "127.0.0.1" || host == "0.0.0.0" { "localhost" } else { host };
            println!("Sign in at http://{browser_host}:{}/app/sign-in with a demo account:", app.port());
            println!("(add each key to an authenticator app, or compute its code: RFC 6238, SHA-1, 6 digits, 30 s)");
            println!("{:<13} {:<36} {:<22} TOTP key", "role", "email", "password");
            for a in &demo_accounts {
                println!("{:<13} {:<36} {:<22} {}", a.role.as_str(), a.email, a.password, a.totp_secret);
            }
            println!("API tokens for scripts: fourthp token --role ROLE [--agency ID] (at most 12 hours)");
        }
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

async fn audit_command(config: Config, command: AuditCommand) -> Result<(), String> {
    init_logging(config.log_format);
    match command {
        AuditCommand::Checkpoint => {
            let key = SigningKey::load_or_create(&config.audit_key)?;
            let cp =
                with_database(&config, async |db| crate::audit_trail::checkpoint(db, &key, Utc::now()).await.map_err(|e| e.to_string()))
                    .await?;
            println!("{}", serde_json::to_string_pretty(&cp).map_err(|e| e.to_string())?);
            Ok(())
        }
        AuditCommand::Verify { checkpoint } => {
            let checkpoint = match checkpoint {
                None => None,
                Some(file) => {
                    let file = file.display().to_string();
                    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
                    let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| format!("{file} is not a checkpoint: {e}"))?;
                    if !cp.signature_valid() {
                        return Err(format!("{file}: the checkpoint's signature does not verify"));
                    }
                    Some(cp)
                }
            };
            let expect = checkpoint.as_ref().map(|c| (c.seq, crate::audit_trail::unhex(&c.head_hash).unwrap_or_default()));
            let report = with_database(&config, async |db| {
                fourthp_persistence::chain::chain_all(db, Utc::now()).await.map_err(|e| e.to_string())?;
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
    }
}

async fn user_command(config: Config, command: UserCommand) -> Result<(), String> {
    init_logging(config.log_format);
    match command {
        UserCommand::Add { email, role, agency, name } => {
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
            let new = crate::app::users::parse_new_user(&email, &name, role, agency);
            let caller = crate::auth::Caller::local(cli_context("user-add")?);
            let accounts = config.accounts();
            // The same use case as the API's and the accounts page's; its refusals in the
            // command's words (the flags for the fields).
            let (user, invitation) = with_database(&config, async |db| {
                crate::app::users::add(&caller, db, &accounts, new).await.map_err(|e| match e {
                    crate::app::AppError::Invalid(errs) => errs
                        .iter()
                        .map(|e| format!("--{}: {}", e.field.replace("display_name", "name").replace("agency_id", "agency"), e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                    crate::app::AppError::Conflict { message, .. } => message,
                    other => other.to_string(),
                })
            })
            .await?;
            let stored_expires_at = invitation.expires_at;
            let link = invitation.link;
            println!(
                "account {} created for {} ({}); enrolment link valid until {}:",
                user.id,
                user.email,
                user.role,
                stored_expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            println!("{link}");
            Ok(())
        }
    }
}

async fn import_command(config: Config, command: ImportCommand) -> Result<(), String> {
    use crate::app::imports::{self, Upload};
    init_logging(config.log_format);
    let ImportCommand::Cases { file, events, interventions, agency, lead, report, load } = command;
    let read = |path: &std::path::Path| -> Result<Upload, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Upload { name, bytes })
    };
    let first = read(&file)?;
    let more = [events, interventions].into_iter().flatten().map(|p| read(&p)).collect::<Result<Vec<_>, _>>()?;
    let rules = crate::state::Rules { book: config.rule_book()?, window: config.backdating_window() };
    // The same use cases as the API's and the data page's; their refusals in the command's words.
    let words = |e: crate::app::AppError| match e {
        crate::app::AppError::Invalid(errs) => errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "),
        crate::app::AppError::Rejected { message, .. } | crate::app::AppError::Conflict { message, .. } => message,
        other => other.to_string(),
    };
    with_database(&config, async |db| {
        let caller = crate::auth::Caller::local(cli_context("import")?);
        let agencies = fourthp_persistence::agencies::by_name(db).await.map_err(|e| e.to_string())?;
        let (agency, _) =
            agencies.get(&agency.trim().to_lowercase()).copied().ok_or_else(|| format!("--agency: no agency is called {agency}"))?;
        let began = std::time::Instant::now();
        let view = imports::start(&caller, db, agency, &lead, first).await.map_err(words)?;
        for upload in more {
            imports::add_file(&caller, db, view.id, upload).await.map_err(words)?;
        }
        let run = imports::dry_run(&caller, db, &rules, view.id, None).await.map_err(words)?;
        let read_in = began.elapsed();
        println!(
            "import {}: {} rows read in {:.1} s; {} new cases, {} already loaded, {} events, {} interventions; {} problems",
            view.id,
            run.rows,
            read_in.as_secs_f64(),
            run.new_cases,
            run.already_loaded,
            run.events,
            run.interventions,
            run.problems.len()
        );
        for p in run.problems.iter().take(50) {
            println!("{}, row {}, {}: {}", p.sheet, p.row, p.column, p.message);
        }
        if let Some(path) = report {
            std::fs::write(&path, run.report_csv()).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if !run.problems.is_empty() {
            return Err(format!("{} problems: nothing was loaded", run.problems.len()));
        }
        if load {
            let began = std::time::Instant::now();
            let (_, done) = imports::load(&caller, db, &rules, view.id, None).await.map_err(words)?;
            let took = began.elapsed().as_secs_f64();
            println!(
                "loaded in {took:.1} s: {} cases created, {} skipped, {} events, {} interventions ({:.0} cases a second)",
                done.created,
                done.skipped,
                done.events,
                done.interventions,
                f64::from(u32::try_from(done.created).unwrap_or(u32::MAX)) / took.max(0.001)
            );
        }
        Ok(())
    })
    .await
}

async fn digest(config: Config, at_once: bool) -> Result<(), String> {
    init_logging(config.log_format);
    let notifier = crate::notify::Notifier::from_config(&config, &config.hs256_secret()?)?;
    if notifier.mail.is_none() {
        return Err("no mail server is configured: set FOURTHP_SMTP_URL and FOURTHP_MAIL_FROM".to_owned());
    }
    let book = config.rule_book()?;
    with_database(&config, async |db| {
        let clock = crate::state::Clock::default();
        let began = std::time::Instant::now();
        let run = crate::app::digest::run(db, &notifier, &book, clock.now(), at_once, &mut Default::default())
            .await
            .map_err(|e| e.to_string())?;
        let built = began.elapsed();
        let client = crate::notify::webhook::client();
        let pass = crate::notify::deliver::drain(db, &notifier, &client, &clock, u64::MAX, false).await;
        let sent = began.elapsed() - built;
        println!(
            "digests: {} queued, {} with nothing due, {} already queued today, {} not due today; sent {} messages, {} failed",
            run.queued, run.nothing_due, run.already, run.not_today, pass.sent, pass.failed
        );
        println!("built and queued in {} ms; handed to the mail server in {} ms", built.as_millis(), sent.as_millis());
        if pass.failed > 0 {
            return Err(format!("{} messages could not be sent; they stay in the outbox and are tried again", pass.failed));
        }
        Ok(())
    })
    .await
}

async fn retention_command(config: Config, command: RetentionCommand) -> Result<(), String> {
    use fourthp_domain::audit::Purpose;
    use fourthp_persistence::retention;
    init_logging(config.log_format);
    match command {
        RetentionCommand::Erase { case } => {
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
        RetentionCommand::Apply { closed_before, dry_run } => {
            let today = fourthp_domain::time::london_date(Utc::now());
            let years = i32::try_from(config.retention_years).unwrap_or(6);
            let cutoff = closed_before.unwrap_or_else(|| today.with_year(today.year() - years).unwrap_or(today));
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
    }
}

/// Mints a token for the local key and records it (so that it can be revoked); the token alone
/// goes to standard output, its id and expiry to standard error.
async fn token(config: Config, role: Role, agency: Option<AgencyId>, ttl: chrono::Duration, sub: Option<String>) -> Result<(), String> {
    init_logging(config.log_format);
    let max = chrono::Duration::hours(i64::try_from(config.cli_token_max_hours).unwrap_or(12));
    if ttl > max {
        return Err(format!("--ttl is at most {}h here (FOURTHP_CLI_TOKEN_MAX_HOURS)", max.num_hours()));
    }
    let subject = Subject::parse(sub.as_deref().unwrap_or(&format!("local-{role}"))).map_err(|e| format!("--sub {e}"))?;
    let principal = Principal::new(subject, role, agency).map_err(|e| e.to_string())?;
    let secret = config.hs256_secret()?;
    let now = Utc::now();
    let minter = Minter::new(&secret, &config.jwt_issuer, &config.jwt_audience);
    let (token, jti) = minter.issue(&principal, now, ttl).map_err(|e| e.to_string())?;
    let ctx = cli_context("token")?;
    let issued = fourthp_persistence::tokens::IssuedToken {
        jti,
        kind: fourthp_persistence::tokens::TokenKind::Cli,
        subject: principal.subject.as_str().to_owned(),
        expires_at: now + ttl,
    };
    with_database(&config, async |db| fourthp_persistence::tokens::record(db, &ctx, &issued).await.map_err(|e| e.to_string())).await?;
    eprintln!("token {jti} for {} valid until {}", principal.subject.as_str(), issued.expires_at.format("%Y-%m-%d %H:%M UTC"));
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
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn mistakes_name_the_flag() {
        use clap::Parser;
        let parse = |args: &[&str]| Cli::try_parse_from(std::iter::once("fourthp").chain(args.iter().copied()));
        let e = parse(&["token", "--role", "boss"]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("--role"), "{e}");
        let e = parse(&["demo-data", "--cases", "0"]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("--cases"), "{e}");
        assert!(parse(&["retention", "apply", "--closed-before", "2020-01-01", "--dry-run"]).is_ok());
        assert!(parse(&["serve", "--demo"]).is_ok());
    }

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
