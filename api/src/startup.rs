//! Building and running the service: one path, used by `fourthp serve`, the benchmarks and
//! every integration test.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use fourthp_persistence::connect;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::audit_trail::SigningKey;
use crate::config::Config;
use crate::jobs::{Checkpoints, Jobs};
use crate::problem::Problem;
use crate::state::{AppState, Clock, KnownRoutes, Limits, ReportGate, Revoked, Rules};
use crate::token::{Minter, Verifier};
use crate::{middleware, openapi};

/// Connections the background jobs may hold (read log, chainer, checkpoints, sweeper, the
/// deliverer and the digest).
const BACKGROUND_POOL: usize = 6;

/// A built service, listening but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    jobs: Jobs,
    clock: Clock,
}

impl Application {
    /// Builds the service from `config` on the (already migrated) database at
    /// `config.database_url`, bound to `config.bind` (port 0: any free port).
    pub fn build(config: &Config) -> Result<Application, String> {
        let url = config.database_url.as_deref().ok_or("no database is configured")?;
        let secret = config.hs256_secret()?;
        let verifier =
            Verifier::new(&secret, &config.jwt_public_keys, &config.jwt_issuer, &config.jwt_audience).map_err(|e| e.to_string())?;
        let rules = Rules { book: config.rule_book()?, window: config.backdating_window() };
        // One key signs the audit checkpoints and the national forum's bundles.
        let signing_key = std::sync::Arc::new(SigningKey::load_or_create(&config.audit_key)?);
        let checkpoints = match config.checkpoint_minutes {
            0 => None,
            minutes => {
                Some(Checkpoints { key: signing_key.clone(), every: Duration::from_secs(60 * u64::try_from(minutes).unwrap_or(60)) })
            }
        };
        let db = connect(url, config.pool_size, config.db_wait).map_err(|e| e.to_string())?;
        let background = connect(url, BACKGROUND_POOL, config.db_wait).map_err(|e| e.to_string())?;
        // Reports compute one at a time: a small pool on the replica is enough (two connections
        // share a report's snapshot).
        let report_replica = match &config.report_database_url {
            Some(replica) => Some(connect(replica, 4, config.db_wait).map_err(|e| e.to_string())?),
            None => None,
        };
        let listener = TcpListener::bind(&config.bind).map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let chain_every = Duration::from_millis(u64::try_from(config.chain_every_ms).unwrap_or(500));
        let revoked = Revoked::default();
        let clock = Clock::default();
        let notifier = crate::notify::Notifier::from_config(config, &secret)?;
        let delivery = crate::jobs::Delivery {
            notifier: notifier.clone(),
            book: rules.book.clone(),
            clock: clock.clone(),
            idle: crate::notify::deliver::idle(config.deliver_every_ms),
        };
        let (read_log, jobs) = Jobs::start(background, chain_every, checkpoints, revoked.clone(), config.delivery.then_some(delivery));
        let limits = Limits {
            body_bytes: config.body_limit,
            request_timeout: Duration::from_millis(u64::try_from(config.request_timeout_ms).unwrap_or(30_000)),
            max_connections: config.max_connections,
        };
        let doc = openapi::document();
        let state = AppState {
            db,
            verifier,
            minter: Minter::new(&secret, &config.jwt_issuer, &config.jwt_audience),
            clock: clock.clone(),
            read_log,
            rules,
            limits,
            disclosure: config.disclosure,
            report_gate: ReportGate::default(),
            routes: KnownRoutes::from_document(&doc),
            accounts: config.accounts(),
            revoked,
            metrics: crate::metrics::Metrics::new(config.metrics_token.as_deref()).map_err(|e| format!("metrics: {e}"))?,
            proxies: config.trusted_proxies.clone(),
            report_source: crate::state::ReportSource {
                replica: report_replica,
                max_lag: Duration::from_secs(u64::try_from(config.report_max_lag_seconds).unwrap_or(60)),
                fallback_to_primary: config.report_fallback_to_primary,
                parallel_workers: u8::try_from(config.report_parallel_workers).unwrap_or(0),
            },
            notifier,
            signing_key,
            mode: config.mode,
            network_name: config.network_name.clone(),
            retention_years: u32::try_from(config.retention_years).unwrap_or(6),
            providers: crate::oidc::ProviderCache::default(),
        };
        let server = server(listener, state, doc, config.workers).map_err(|e| e.to_string())?;
        Ok(Application { port, server, jobs, clock })
    }

    /// The service's clock (tests move it forward).
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// The port the service listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (gracefully, or not).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM, or the handle), then stops the background jobs:
    /// the read log drains and the last audit records are chained.
    pub async fn run_until_stopped(self) -> Result<(), String> {
        let served = self.server.await.map_err(|e| e.to_string());
        let stopped = self.jobs.stop().await;
        served.and(stopped)
    }
}

async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, Problem> {
    if req.path() == "/app" || req.path().starts_with("/app/") {
        // The pages' own "Page not found", as a page.
        return Ok(actix_web::ResponseError::error_response(&crate::pages::PageError::Problem(Problem::not_found())));
    }
    let allowed = req.app_data::<web::Data<AppState>>().and_then(|s| s.routes.allowed(req.path()));
    match allowed {
        Some(methods) => Err(Problem::new(
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!("This resource takes {methods}."),
        )
        .with_header(actix_web::http::header::ALLOW, methods)),
        None => Err(Problem::not_found()),
    }
}

/// The HTTP server over `state`, on `listener`. It stops gracefully on SIGINT/SIGTERM.
fn server(listener: TcpListener, state: AppState, doc: utoipa::openapi::OpenApi, workers: usize) -> std::io::Result<Server> {
    let max_connections = state.limits.max_connections;
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        let (app, _) = openapi::register(App::new().into_utoipa_app()).split_for_parts();
        app.app_data(state.clone())
            .app_data(web::PathConfig::default().error_handler(|_, _| Problem::bad_request("path", "is not a valid path").into()))
            .app_data(web::QueryConfig::default().error_handler(|_, _| Problem::bad_request("query", "is not a valid query string").into()))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
            .configure(crate::pages::configure)
            .default_service(web::to(not_found))
            .wrap(from_fn(middleware::middleware))
    })
    .workers(workers)
    .max_connections(max_connections)
    .client_request_timeout(Duration::from_secs(10))
    .keep_alive(Duration::from_secs(30))
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
