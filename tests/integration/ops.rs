//! Health, readiness, request ids, the OpenAPI document and Swagger UI, migrations and the
//! managed PostgreSQL cluster.

use actix_web::http::Method;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_persistence::cluster::LocalCluster;
use fourthp_persistence::run_migrations;

use crate::support::*;

#[actix_web::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::init().spawn().await;
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("ok")));
    let r = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("ready")));
    // A well-formed caller id is kept; anything else is replaced by a fresh UUIDv7.
    let r = app.send(Method::GET, "/healthz", None, None, &[("x-request-id", "abc-123")]).await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("abc-123"));
    let r = app.send(Method::GET, "/healthz", None, None, &[("x-request-id", "<script>")]).await;
    let id = r.header("x-request-id").unwrap();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"));
    // Problems carry the request id as their instance.
    let r = app.send(Method::GET, "/nowhere", None, None, &[("x-request-id", "trace-me")]).await;
    assert_eq!(r.body["instance"], "urn:fourthp:request:trace-me");
}

#[actix_web::test]
async fn readiness_fails_until_migrations_are_applied() {
    let app = TestApp::init().spawn().await;
    app.sql("DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)").await.unwrap();
    app.call(Method::GET, "/readyz", None, None).await.problem(503);
}

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json")).unwrap_or_default();
    let generated = fourthp_api::openapi::document_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -p fourthp-api -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_api_operation_documents_security_and_problems() {
    let doc: serde_json::Value = serde_json::from_str(&fourthp_api::openapi::document_json()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    // Vocabulary enums carry their wire spellings, not the Rust variant names.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Jurisdiction"]["enum"], serde_json::json!(["england_wales", "scotland", "northern_ireland"]));
    assert_eq!(schemas["AuditAction"]["enum"], serde_json::json!(["C", "R", "U", "D", "E"]));
    assert!(schemas["AgencyKind"]["enum"].as_array().unwrap().contains(&serde_json::json!("victim_care_contract_provider")));
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !path.starts_with("/api/v1") {
                continue;
            }
            operations += 1;
            if path.starts_with("/api/v1/auth/enrolments/") || (path == "/api/v1/auth/sessions" && method == "post") {
                // Enrolling (the link's token is the credential) and signing in need no other.
                assert_eq!(op["security"], serde_json::json!([{}]), "{method} {path}");
            } else {
                // A bearer token, a partner system's client-credentials token, or a session.
                let schemes: Vec<&str> =
                    op["security"].as_array().unwrap().iter().flat_map(|r| r.as_object().unwrap().keys()).map(String::as_str).collect();
                assert_eq!(schemes, ["bearer", "oauth2", "session"], "{method} {path}");
            }
            for status in ["401", "403", "404", "503"] {
                let content = &op["responses"][status]["content"]["application/problem+json"];
                assert!(content.is_object(), "{method} {path} lacks a {status} problem");
            }
        }
    }
    assert_eq!(operations, 93);
    // The token endpoint authenticates clients with HTTP Basic; the OAuth2 scheme points at it.
    assert_eq!(doc["paths"]["/oauth/token"]["post"]["security"], serde_json::json!([{"client_basic": []}]));
    let flows = &doc["components"]["securitySchemes"]["oauth2"]["flows"];
    assert_eq!(flows["clientCredentials"]["tokenUrl"], "/oauth/token");
}

#[actix_web::test]
async fn the_spec_and_offline_swagger_ui_are_served() {
    let app = TestApp::init().spawn().await;
    let r = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.body["info"]["title"], "FourthP");
    let r = app.call(Method::GET, "/docs/", None, None).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert!(r.text.contains("swagger-ui"));
    assert!(!r.text.contains("https://") && !r.text.contains("http://"), "Swagger UI must work offline: {}", r.text);
    let r = app.call(Method::GET, "/docs/swagger-ui-bundle.js", None, None).await;
    assert_eq!(r.status.as_u16(), 200);
}

#[actix_web::test]
async fn instances_starting_together_migrate_once() {
    // A fresh, empty database migrated by two racing instances.
    let app = TestApp::init().spawn().await;
    let name = format!("fourthp_mig_{}", uuid::Uuid::now_v7().simple());
    app.sql(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = database_url(&app.db_url, &name);
    let (a, b) = tokio::join!(run_migrations(&url), run_migrations(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations")).unwrap().count();
    assert_eq!(a.len() + b.len(), migrations, "{a:?} {b:?}");
    assert!(run_migrations(&url).await.unwrap().is_empty());
    app.sql(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
}

#[actix_web::test]
async fn the_managed_cluster_keeps_its_data_across_restarts() {
    let dir = std::env::temp_dir().join(format!("fourthp-cluster-{}", uuid::Uuid::now_v7().simple()));
    let start = |dir: std::path::PathBuf| async move {
        actix_web::rt::task::spawn_blocking(move || LocalCluster::start(&dir, &[])).await.unwrap().unwrap()
    };
    let cluster = start(dir.clone()).await;
    cluster.ensure_database("fourthp").await.unwrap();
    run_migrations(&cluster.url("fourthp")).await.unwrap();
    {
        let mut conn = AsyncPgConnection::establish(&cluster.url("fourthp")).await.unwrap();
        diesel::sql_query("CREATE TABLE kept (n int)").execute(&mut conn).await.unwrap();
        diesel::sql_query("INSERT INTO kept VALUES (42)").execute(&mut conn).await.unwrap();
    }
    // Attaching to a running cluster reuses it; only the starter stops it.
    let attached = start(dir.clone()).await;
    assert_eq!(attached.port(), cluster.port());
    attached.stop().unwrap();
    let port = cluster.port();
    actix_web::rt::task::spawn_blocking(move || cluster.stop()).await.unwrap().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the server should have stopped");

    let again = start(dir.clone()).await;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        n: i32,
    }
    let mut conn = AsyncPgConnection::establish(&again.url("fourthp")).await.unwrap();
    let row: N = diesel::sql_query("SELECT n FROM kept").get_result(&mut conn).await.unwrap();
    assert_eq!(row.n, 42);
    drop(conn);
    actix_web::rt::task::spawn_blocking(move || again.stop()).await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `/metrics` speaks Prometheus's text format: requests by route pattern (never an id), method
/// and status, latency histograms, the pool, the chain's backlog, the read log's queue, reports
/// waiting, memory; with `FOURTHP_METRICS_TOKEN` set, only a scrape carrying it may read them.
#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_need_the_configured_token() {
    let app = TestApp::init().with_setting("FOURTHP_METRICS_TOKEN", "scraper-token-for-tests-0123456789").spawn().await;
    let (_, vcc) = app.coordinator().await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let id = case["id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/api/v1/cases/{id}"), &vcc).await.status.as_u16(), 200);
    }
    assert_eq!(app.get(&format!("/api/v1/cases/{}", uuid::Uuid::now_v7()), &vcc).await.status.as_u16(), 404);

    let refused = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(refused.problem(401), Vec::<String>::new());
    assert_eq!(refused.header("www-authenticate").as_deref(), Some("Bearer"));
    assert_eq!(app.call(Method::GET, "/metrics", Some("not-the-token"), None).await.status.as_u16(), 401);

    let r = app.call(Method::GET, "/metrics", Some("scraper-token-for-tests-0123456789"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let m = &r.text;
    assert!(m.contains(r#"fourthp_http_requests_total{method="GET",route="/api/v1/cases/{id}",status="200"} 3"#), "{m}");
    assert!(m.contains(r#"fourthp_http_requests_total{method="GET",route="/api/v1/cases/{id}",status="404"} 1"#), "{m}");
    assert!(m.contains(r#"fourthp_http_request_duration_seconds_count{method="GET",route="/api/v1/cases/{id}",status="200"} 3"#), "{m}");
    for gauge in [
        "fourthp_db_pool_connections{state=\"in_use\"}",
        "fourthp_db_pool_max_connections",
        "fourthp_db_pool_waiters",
        "fourthp_audit_chain_pending_records",
        "fourthp_read_log_queue_records",
        "fourthp_report_gate_waiters",
        "fourthp_process_resident_memory_bytes",
    ] {
        assert!(m.contains(gauge), "{gauge} missing: {m}");
    }
    // No id, no email, nothing a person typed: only patterns and numbers.
    assert!(!m.contains(&id) && !m.contains("A.M."), "{m}");
    let uuid = regex_lite_uuid(m);
    assert!(!uuid, "an id in the metrics: {m}");
}

/// Whether `text` holds anything shaped like a UUID.
fn regex_lite_uuid(text: &str) -> bool {
    text.as_bytes()
        .windows(36)
        .any(|w| w.iter().enumerate().all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { *b == b'-' } else { b.is_ascii_hexdigit() }))
}

/// The service writes `None` as `NULL` rather than `DEFAULT` (so that its inserts are prepared
/// once per connection, not parsed on every request); that is the same row only while no nullable
/// column has a default of its own. A migration adding one must change the row type first.
#[actix_web::test]
async fn no_nullable_column_has_a_default_other_than_null() {
    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let app = TestApp::init().spawn().await;
    let mut conn = app.db.conn().await.unwrap();
    let defaulted: Vec<Column> = diesel::sql_query(
        "SELECT table_name || '.' || column_name AS name FROM information_schema.columns \
         WHERE table_schema = 'public' AND is_nullable = 'YES' AND column_default IS NOT NULL",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<String> = defaulted.into_iter().map(|c| c.name).collect();
    assert!(names.is_empty(), "nullable columns with a default: {names:?}");
}
