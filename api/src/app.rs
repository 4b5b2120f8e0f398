//! Building and running the HTTP server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use fourthp_domain::lifecycle::BackdatingWindow;
use fourthp_domain::rules::RuleBook;
use fourthp_persistence::Db;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::Verifier;
use crate::extract::BodyLimit;
use crate::problem::Problem;
use crate::{openapi, request_id};

/// What every worker shares. Built once, outside the server factory.
pub struct AppState {
    pub db: Db,
    pub verifier: Verifier,
    pub body_limit: BodyLimit,
    pub rules: Rules,
    pub read_log: crate::audit_trail::ReadLog,
    pub limits: Limits,
    /// Disclosure control for commissioners' reports.
    pub disclosure: fourthp_domain::disclosure::Policy,
}

/// Connection and time limits (see README).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub request_timeout: std::time::Duration,
    /// Most open connections per worker.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { request_timeout: crate::request_id::RequestTimeout::DEFAULT, max_connections: 1024 }
    }
}

/// The deadline rules and the back-dating window, shared by the handlers that record events.
pub struct Rules {
    pub book: RuleBook,
    pub window: BackdatingWindow,
}

/// The documented routes: path templates and their methods, for answering 405 (with `Allow`)
/// to a method no route takes on a path that exists.
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
    fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(template, methods)| {
            let fits = template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| if t.starts_with('{') { !p.is_empty() } else { t == p });
            fits.then(|| methods.join(", "))
        })
    }
}

async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, Problem> {
    let allowed = req.app_data::<web::Data<KnownRoutes>>().and_then(|k| k.allowed(req.path()));
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

/// Starts serving on `listener` (bound by the caller, so tests can use port 0). The returned
/// server stops gracefully on SIGINT/SIGTERM.
pub fn server(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Server> {
    let db = web::Data::new(state.db);
    let verifier = web::Data::new(state.verifier);
    let limit = web::Data::new(state.body_limit);
    let rules = web::Data::new(state.rules);
    let read_log = web::Data::new(state.read_log);
    let disclosure = web::Data::new(crate::routes::reports::Disclosure(state.disclosure));
    let report_gate = web::Data::new(crate::routes::reports::ReportGate::default());
    let timeout = web::Data::new(crate::request_id::RequestTimeout(state.limits.request_timeout));
    let doc = openapi::document();
    let known = web::Data::new(KnownRoutes::from_document(&doc));
    let server = HttpServer::new(move || {
        let (app, _) = openapi::register(App::new().into_utoipa_app()).split_for_parts();
        app.app_data(db.clone())
            .app_data(verifier.clone())
            .app_data(limit.clone())
            .app_data(rules.clone())
            .app_data(read_log.clone())
            .app_data(disclosure.clone())
            .app_data(report_gate.clone())
            .app_data(timeout.clone())
            .app_data(known.clone())
            .app_data(web::PathConfig::default().error_handler(|_, _| Problem::bad_request("path", "is not a valid path").into()))
            .app_data(web::QueryConfig::default().error_handler(|_, _| Problem::bad_request("query", "is not a valid query string").into()))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
            .default_service(web::to(not_found))
            .wrap(from_fn(request_id::middleware))
    })
    .workers(workers)
    .max_connections(state.limits.max_connections)
    .client_request_timeout(std::time::Duration::from_secs(10))
    .keep_alive(std::time::Duration::from_secs(30))
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
