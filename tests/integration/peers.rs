//! Real peers the tests start: an SMTP server (aiosmtpd), an HTTP receiver for webhooks, and
//! independent implementations to check what FourthP sent (Python's email package, the
//! standardwebhooks package, the icalendar package). `scripts/ensure-peers` installs them.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

fn peers_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A real SMTP server on a loopback port, keeping every message it accepts.
pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    /// Starts one; `slow_ms` delays each acceptance (0: none).
    pub fn start(slow_ms: u64) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("fourthp-smtp-{}", uuid::Uuid::now_v7().simple()));
        let mut child = Command::new("python3")
            .arg(peers_dir().join("smtp_sink.py"))
            .arg(port.to_string())
            .arg(&dir)
            .env("SLOW_MS", slow_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/ensure-peers)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        SmtpSink { port, dir, child }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, parsed by Python's email package.
    pub fn messages(&self) -> Vec<Value> {
        let out = Command::new("python3").arg(peers_dir().join("read_mail.py")).arg(&self.dir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().cloned().unwrap_or_default()
    }

    /// Waits until at least `n` messages arrived (30 s at most).
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let began = std::time::Instant::now();
        loop {
            let count = std::fs::read_dir(&self.dir)
                .map(|d| d.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "eml")).count())
                .unwrap_or(0);
            if count >= n {
                return self.messages();
            }
            assert!(began.elapsed() < Duration::from_secs(30), "only {count} of {n} messages arrived");
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request a receiver got: its headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: std::collections::BTreeMap<String, String>,
    pub body: String,
}

/// A real HTTP server that records what is posted to it and answers with `status` (changeable).
pub struct Receiver {
    pub port: u16,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<std::sync::atomic::AtomicU16>,
    /// Milliseconds each request waits before it is answered (and recorded).
    pub delay_ms: Arc<std::sync::atomic::AtomicU64>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    pub fn start() -> Self {
        use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(std::sync::atomic::AtomicU16::new(204));
        let delay_ms = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (g, s, d) = (got.clone(), status.clone(), delay_ms.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let (g, s, d) = (g.clone(), s.clone(), d.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (g, s, d) = (g.clone(), s.clone(), d.clone());
                async move {
                    let wait = d.load(std::sync::atomic::Ordering::SeqCst);
                    if wait > 0 {
                        actix_web::rt::time::sleep(Duration::from_millis(wait)).await;
                    }
                    let headers =
                        req.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned())).collect();
                    g.lock().unwrap().push(Received { headers, body: String::from_utf8_lossy(&body).into_owned() });
                    let code = actix_web::http::StatusCode::from_u16(s.load(std::sync::atomic::Ordering::SeqCst)).unwrap();
                    HttpResponse::build(code).finish()
                }
            }))
        })
        .workers(2)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver { port, got, status, delay_ms, handle }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/fourthp", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (30 s at most).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let began = std::time::Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(began.elapsed() < Duration::from_secs(30), "only {} of {n} deliveries arrived", got.len());
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Verifies deliveries with the standardwebhooks package; returns the verified payloads.
pub fn verify_webhooks(secret: &str, deliveries: &[Received]) -> Result<Vec<Value>, String> {
    let input = serde_json::json!({
        "secret": secret,
        "deliveries": deliveries.iter().map(|d| serde_json::json!({"headers": d.headers, "body": d.body})).collect::<Vec<_>>(),
    });
    run_python("verify_webhooks.py", input.to_string().as_bytes())
}

/// Parses an iCalendar feed with the icalendar package.
pub fn parse_ics(feed: &str) -> Result<Value, String> {
    run_python("parse_ics.py", feed.as_bytes()).map(|mut v| v.pop().unwrap_or(Value::Null))
}

fn run_python(script: &str, input: &[u8]) -> Result<Vec<Value>, String> {
    let mut child = Command::new("python3")
        .arg(peers_dir().join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok(match v {
        Value::Array(a) => a,
        other => vec![other],
    })
}

/// Runs `fourthp <args>` (the test package's copy of the binary) against `db_url`.
pub fn fourthp(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let data = std::env::temp_dir().join(format!("fourthp-cli-{}", uuid::Uuid::now_v7().simple()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_fourthp-service"));
    command
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("FOURTHP_DATA_DIR", &data)
        .env("FOURTHP_JWT_HS256_SECRET", std::str::from_utf8(crate::support::SECRET).unwrap())
        .env("FOURTHP_LOG", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let _ = std::fs::remove_dir_all(&data);
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A real OpenID provider (panva's oidc-provider on Node.js), on a loopback port, with one
/// confidential client and the users given; its signing key has the key id given, so a
/// restart with another id is a key rotation.
pub struct OidcProvider {
    pub issuer: String,
    child: Child,
}

impl OidcProvider {
    /// `config`: `{"port", "kid", "clients": [...], "users": [...]}` (see tests/peers/oidc/provider.mjs).
    pub fn start(config: &Value) -> Self {
        let file = std::env::temp_dir().join(format!("fourthp-oidc-{}.json", uuid::Uuid::now_v7().simple()));
        std::fs::write(&file, config.to_string()).unwrap();
        let mut child = Command::new("node")
            .arg(peers_dir().join("oidc").join("provider.mjs"))
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node with oidc-provider (scripts/ensure-peers)");
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut issuer = String::new();
        for _ in 0..10 {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if let Ok(v) = serde_json::from_str::<Value>(line.trim()) {
                issuer = v["issuer"].as_str().unwrap_or_default().to_owned();
                break;
            }
        }
        assert!(!issuer.is_empty(), "the OpenID provider did not start");
        OidcProvider { issuer, child }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (for an app whose public URL must be known before it starts).
pub fn loopback_port() -> u16 {
    free_port()
}
