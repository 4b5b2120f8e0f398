//! Test support: the PostgreSQL server, per-test databases, the app, tokens and a client.

use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::http::{header, Method, StatusCode};
use awc::http::header::HeaderMap;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_api::config::Config;
use fourthp_api::startup::Application;
use fourthp_api::token::Minter;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::{Principal, Role, Subject};
use fourthp_persistence::cluster::LocalCluster;
use fourthp_persistence::{connect, run_migrations, Db};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123456789";
pub const ISSUER: &str = "fourthp-test";
pub const AUDIENCE: &str = "fourthp-test-api";
pub const BODY_LIMIT: usize = 16 * 1024;

/// The PostgreSQL server the tests use and the template database they copy.
struct Postgres {
    /// URL of the maintenance database; others are made by replacing its path.
    maintenance_url: String,
    template: String,
}

/// `FOURTHP_TEST_DATABASE_URL` (a maintenance database such as
/// `postgres://postgres@127.0.0.1:5432/postgres`), or else a cluster managed in the temp dir
/// with the same code `fourthp serve` uses. The managed cluster is left running for the next
/// run (stop it with `pg_ctl -D $TMPDIR/fourthp-test-cluster/pg stop`).
fn postgres() -> &'static Postgres {
    static PG: OnceLock<Postgres> = OnceLock::new();
    PG.get_or_init(|| std::thread::spawn(setup).join().expect("PostgreSQL set-up failed"))
}

fn setup() -> Postgres {
    let maintenance_url = match std::env::var("FOURTHP_TEST_DATABASE_URL").ok().filter(|v| !v.is_empty()) {
        Some(url) => url,
        None => {
            let dir = std::env::temp_dir().join("fourthp-test-cluster");
            let settings = [("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"), ("max_connections", "400")];
            let cluster = LocalCluster::start(&dir, &settings).expect("starting the test cluster");
            let url = cluster.url("postgres");
            std::mem::forget(cluster);
            url
        }
    };
    let template = format!("fourthp_tmpl_{}", migrations_digest());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut conn = AsyncPgConnection::establish(&maintenance_url).await.expect("connecting to the test PostgreSQL");
        // Serialise template creation between test processes.
        diesel::sql_query("SELECT pg_advisory_lock(4242424242)").execute(&mut conn).await.unwrap();
        if !database_exists(&mut conn, &template).await {
            let building = format!("{template}_building");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)")).execute(&mut conn).await.unwrap();
            diesel::sql_query(format!("CREATE DATABASE {building}")).execute(&mut conn).await.unwrap();
            run_migrations(&database_url(&maintenance_url, &building)).await.expect("migrating the template");
            retry_busy(&mut conn, &format!("ALTER DATABASE {building} RENAME TO {template}")).await;
        }
        diesel::sql_query("SELECT pg_advisory_unlock(4242424242)").execute(&mut conn).await.unwrap();
    });
    Postgres { maintenance_url, template }
}

/// A digest of every migration file, so a changed migration gets a fresh template.
fn migrations_digest() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files: Vec<_> = walk(&root);
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap());
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir).unwrap().flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Found>(conn)
        .await
        .unwrap()
        .found
}

/// Runs a statement that fails while another session is still leaving the source database.
async fn retry_busy(conn: &mut AsyncPgConnection, sql: &str) {
    for attempt in 0.. {
        match diesel::sql_query(sql).execute(conn).await {
            Ok(_) => return,
            Err(e) if attempt < 100 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
}

pub fn database_url(maintenance_url: &str, database: &str) -> String {
    let (base, _) = maintenance_url.rsplit_once('/').unwrap();
    format!("{base}/{database}")
}

/// A running app with its own database.
pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub db_url: String,
    database: String,
    handle: actix_web::dev::ServerHandle,
    runner: Option<std::thread::JoinHandle<Result<(), String>>>,
    client: awc::Client,
    /// The service's clock: `app.clock.advance(..)` moves it forward (expiry, back-off).
    pub clock: fourthp_api::state::Clock,
}

/// What an HTTP exchange returned.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts a problem response of `status` and returns its field names.
    pub fn problem(&self, status: u16) -> Vec<String> {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"), "{}", self.text);
        assert_eq!(self.body["status"], status);
        for key in ["type", "title", "detail", "instance"] {
            assert!(self.body[key].is_string(), "problem lacks {key}: {}", self.text);
        }
        assert!(self.body["instance"].as_str().unwrap().starts_with("urn:fourthp:request:"));
        self.body["errors"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()).unwrap_or_default()
    }
}

/// How a test's app is set up: `TestApp::init()`, then `with_...`, then `spawn()`. The app is
/// built and run by [`Application`], the one start-up path `fourthp serve` takes.
pub struct TestAppBuilder {
    public_keys: String,
    settings: Vec<(&'static str, String)>,
    database: TestDatabase,
}

enum TestDatabase {
    /// A fresh database copied from the migrated template (the default).
    Fresh,
    /// An existing, migrated database.
    At(String),
    /// A server that is not there.
    Unreachable,
}

impl TestApp {
    pub fn init() -> TestAppBuilder {
        TestAppBuilder { public_keys: String::new(), settings: Vec::new(), database: TestDatabase::Fresh }
    }
}

impl TestAppBuilder {
    /// Extra public keys for tokens from an identity provider (`kid=ALG:/path;...`).
    pub fn with_public_keys(mut self, keys: &str) -> Self {
        self.public_keys = keys.to_owned();
        self
    }

    /// A setting as `fourthp serve` reads it from the environment (README lists them).
    pub fn with_setting(mut self, name: &'static str, value: &str) -> Self {
        self.settings.push((name, value.to_owned()));
        self
    }

    /// Runs against the database at `url` (already migrated) instead of a fresh one.
    pub fn on_database(mut self, url: &str) -> Self {
        self.database = TestDatabase::At(url.to_owned());
        self
    }

    /// Runs against a database server that cannot be reached.
    pub fn without_database(mut self) -> Self {
        self.database = TestDatabase::Unreachable;
        self
    }

    pub async fn spawn(self) -> TestApp {
        let (db_url, database, wait_ms) = match self.database {
            TestDatabase::Fresh => {
                let pg = postgres();
                let database = format!("fourthp_t_{}", uuid::Uuid::now_v7().simple());
                let mut conn = AsyncPgConnection::establish(&pg.maintenance_url).await.unwrap();
                retry_busy(&mut conn, &format!("CREATE DATABASE {database} TEMPLATE {}", pg.template)).await;
                (database_url(&pg.maintenance_url, &database), database, "5000")
            }
            TestDatabase::At(url) => (url, String::new(), "2000"),
            TestDatabase::Unreachable => {
                let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
                (format!("postgres://nobody@127.0.0.1:{port}/nothing"), String::new(), "500")
            }
        };
        let secret = String::from_utf8(SECRET.to_vec()).unwrap();
        // Each app its own signing key, as each deployment has.
        let audit_key = std::env::temp_dir().join(format!("fourthp-key-{}.pk8", uuid::Uuid::now_v7().simple())).display().to_string();
        let body_limit = BODY_LIMIT.to_string();
        let mut settings: Vec<(&str, &str)> = vec![
            ("DATABASE_URL", &db_url),
            ("FOURTHP_BIND", "127.0.0.1:0"),
            ("FOURTHP_WORKERS", "1"),
            ("FOURTHP_DB_POOL_SIZE", "4"),
            ("FOURTHP_DB_WAIT_MS", wait_ms),
            ("FOURTHP_MAX_BODY_BYTES", &body_limit),
            ("FOURTHP_JWT_HS256_SECRET", &secret),
            ("FOURTHP_JWT_PUBLIC_KEYS", &self.public_keys),
            ("FOURTHP_JWT_ISSUER", ISSUER),
            ("FOURTHP_JWT_AUDIENCE", AUDIENCE),
            ("FOURTHP_AUDIT_KEY", &audit_key),
        ];
        settings.extend(self.settings.iter().map(|(n, v)| (*n, v.as_str())));
        let config = Config::from_lookup(|name| {
            settings.iter().rev().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()).filter(|v| !v.is_empty())
        })
        .unwrap();
        // The app runs on a thread and runtime of its own, as it would in its own process: a
        // test blocking its runtime (dropping its database) cannot stall the app's background
        // jobs half-way through connecting.
        let (started, ready) = std::sync::mpsc::channel();
        let runner = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(&config).unwrap();
                started.send((app.port(), app.handle(), app.clock())).unwrap();
                app.run_until_stopped().await
            })
        });
        let (port, handle, clock) = ready.recv().expect("the app did not start");
        let address = format!("http://127.0.0.1:{port}");
        let db = connect(&db_url, 2, Duration::from_secs(5)).unwrap();
        let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
        TestApp { address, db, db_url, database, handle, runner: Some(runner), client, clock }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the app and let it finish its background work before the database goes.
        drop(self.handle.stop(false));
        if let Some(runner) = self.runner.take() {
            let _ = runner.join();
        }
        if self.database.is_empty() {
            return;
        }
        let database = self.database.clone();
        let url = postgres().maintenance_url.clone();
        // Dropping needs a runtime of its own: the test's is ending.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = AsyncPgConnection::establish(&url).await {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

pub fn principal(role: Role, agency: Option<AgencyId>, sub: &str) -> Principal {
    Principal::new(Subject::parse(sub).unwrap(), role, agency).unwrap()
}

/// A valid token for the test key.
pub fn token(role: Role, agency: Option<AgencyId>) -> String {
    token_for(&principal(role, agency, &format!("{role}-1")))
}

pub fn token_for(p: &Principal) -> String {
    Minter::new(SECRET, ISSUER, AUDIENCE).mint(p, chrono::Utc::now(), chrono::Duration::hours(1)).unwrap()
}

impl TestApp {
    /// Sends a request; `body` may be JSON (sent as application/json) or `None`.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let raw = body.map(|b| (b.to_string().into_bytes(), "application/json"));
        self.send(method, path, token, raw, &[]).await
    }

    /// Sends raw bytes with an explicit content type and extra headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(Vec<u8>, &str)>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.address));
        if let Some(t) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut res = match body {
            Some((bytes, content_type)) => req.insert_header((header::CONTENT_TYPE, content_type)).send_body(bytes).await,
            None => req.send().await,
        }
        .unwrap();
        let bytes = res.body().limit(10 * 1024 * 1024).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply { status: res.status(), headers: res.headers().clone(), body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), text }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, etag: &str, body: Value) -> Reply {
        let raw = Some((body.to_string().into_bytes(), "application/json"));
        self.send(Method::PATCH, path, Some(token), raw, &[("if-match", etag)]).await
    }

    /// Registers an agency (as an administrator) and returns its id.
    pub async fn agency(&self, name: &str, kind: &str) -> AgencyId {
        let admin = token(Role::Admin, None);
        let r = self.post("/api/v1/agencies", &admin, json!({"name": name, "kind": kind, "contact_email": "team@example.org"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        AgencyId::parse(r.body["id"].as_str().unwrap()).unwrap()
    }

    /// A coordinator at a new victim-care agency: (agency, token).
    pub async fn coordinator(&self) -> (AgencyId, String) {
        // A name a person would read on the pages (the browser stories check them for raw ids).
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let agency = self.agency(&format!("Northshire Victim Care Team {n}"), "victim_care_contract_provider").await;
        (agency, token(Role::Coordinator, Some(agency)))
    }

    /// Opens a case from `body` as `coordinator` and returns the response body.
    pub async fn open_case(&self, coordinator: &str, body: Value) -> Value {
        let r = self.post("/api/v1/cases", coordinator, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    /// Runs one SQL query returning a single bigint (counts), on the test database.
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = AsyncPgConnection::establish(&self.db_url).await.unwrap();
        diesel::sql_query(sql).get_result::<N>(&mut conn).await.unwrap().n
    }

    /// Runs one SQL query returning a text column `v`, on the test database.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct V {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let mut conn = AsyncPgConnection::establish(&self.db_url).await.unwrap();
        diesel::sql_query(sql).load::<V>(&mut conn).await.unwrap().into_iter().map(|r| r.v).collect()
    }

    /// The agency of this name.
    pub async fn agency_named(&self, name: &str) -> AgencyId {
        let ids = self.strings(&format!("SELECT id::text AS v FROM agencies WHERE name = '{}'", name.replace('\'', "''"))).await;
        AgencyId::parse(&ids[0]).unwrap()
    }

    /// Executes SQL on the test database, returning the error text if it fails.
    pub async fn sql(&self, sql: &str) -> Result<usize, String> {
        let mut conn = AsyncPgConnection::establish(&self.db_url).await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.map_err(|e| e.to_string())
    }
}

/// Story 1: the man of 34 found at a car wash (adult, labour, consent given, confidential).
pub fn car_wash_man() -> Value {
    json!({
        "known_as": "A.M.",
        "birth_year": 1992,
        "gender": "male",
        "nationalities": ["RO"],
        "languages": ["ro"],
        "interpreter_needed": true,
        "exploitation_types": ["labour"],
        "jurisdiction": "england_wales",
        "local_authority": "Northshire",
        "consent": {"nrm": "given", "data_sharing": "confidential", "recorded_on": "2026-11-02"}
    })
}

/// Story 4: a 16-year-old UK national in county lines; no NRM consent needed.
pub fn county_lines_child() -> Value {
    use chrono::Datelike;
    // Born 17 years before this year: 16 or 17 today, so a child in the 16-17 band.
    let birth_year = chrono::Utc::now().year() - 17;
    json!({
        "known_as": "J.",
        "birth_year": birth_year,
        "gender": "male",
        "nationalities": ["GB"],
        "languages": ["en"],
        "exploitation_types": ["criminal"],
        "county_lines": true,
        "jurisdiction": "england_wales",
        "local_authority": "Northshire",
        "consent": {"nrm": "not_required_child", "data_sharing": "share", "recorded_on": "2026-10-20"}
    })
}

/// Today in Europe/London, and a date `days` from it (negative: in the past), as YYYY-MM-DD.
pub fn today() -> chrono::NaiveDate {
    fourthp_domain::time::london_date(chrono::Utc::now())
}

pub fn day(days: i64) -> String {
    (today() + chrono::Duration::days(days)).to_string()
}

impl TestApp {
    /// Records an event on a case.
    pub async fn event(&self, case: &str, token: &str, body: Value) -> Reply {
        self.post(&format!("/api/v1/cases/{case}/events"), token, body).await
    }

    /// Records an event that must be accepted; returns its id.
    pub async fn event_ok(&self, case: &str, token: &str, body: Value) -> String {
        let r = self.event(case, token, body).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// The case's deadlines, keyed by rule (the last of each rule wins).
    pub async fn deadlines(&self, case: &str, token: &str) -> std::collections::HashMap<String, Value> {
        let r = self.get(&format!("/api/v1/cases/{case}/deadlines"), token).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        r.body["items"].as_array().unwrap().iter().map(|d| (d["rule"].as_str().unwrap().to_owned(), d.clone())).collect()
    }
}

/// A `fourthp serve` process of its own (the test package's copy of the binary), on `port`
/// and `db_url`, that a test can kill (SIGKILL) and start again.
pub struct ServiceProcess {
    child: Option<std::process::Child>,
    pub port: u16,
    db_url: String,
    data_dir: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl ServiceProcess {
    pub fn new(port: u16, db_url: &str, data_dir: std::path::PathBuf) -> Self {
        ServiceProcess { child: None, port, db_url: db_url.to_owned(), data_dir, env: Vec::new() }
    }

    /// A setting of its own (after the defaults, so it wins).
    pub fn with_setting(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn start(&mut self) {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fourthp-service"));
        command
            .arg("serve")
            .env("DATABASE_URL", &self.db_url)
            .env("FOURTHP_BIND", format!("127.0.0.1:{}", self.port))
            .env("FOURTHP_DATA_DIR", &self.data_dir)
            .env("FOURTHP_JWT_HS256_SECRET", std::str::from_utf8(SECRET).unwrap())
            .env("FOURTHP_JWT_ISSUER", ISSUER)
            .env("FOURTHP_JWT_AUDIENCE", AUDIENCE)
            .env("FOURTHP_WORKERS", "2")
            .env("FOURTHP_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in &self.env {
            command.env(k, v);
        }
        self.child = Some(command.spawn().expect("starting the service"));
    }

    /// SIGKILL: no graceful stop, no drained queue.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Waits until the service on `port` is ready (30 s at most).
pub async fn wait_ready(client: &awc::Client, port: u16) {
    let began = std::time::Instant::now();
    while began.elapsed() < Duration::from_secs(30) {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service did not become ready");
}
