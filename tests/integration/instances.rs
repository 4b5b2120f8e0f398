//! Two `fourthp serve` processes on one database (issue 16): an idempotent retry sent to both
//! writes once; a token revoked on one is refused by the other within a second; the reads both
//! serve reach the audit trail; the audit chainer runs in one at a time, and the other takes over
//! when that one is killed, with no fork or gap in the chain. (Migrations at a simultaneous
//! start-up are `ops::instances_starting_together_migrate_once`.)

use std::time::{Duration, Instant};

use actix_web::http::header;
use fourthp_domain::principal::Role;
use fourthp_persistence::chain;
use serde_json::{json, Value};

use crate::support::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn instance(app: &TestApp, name: &str) -> ServiceProcess {
    let data_dir = std::env::temp_dir().join(format!("fourthp-{name}-{}", uuid::Uuid::now_v7().simple()));
    ServiceProcess::new(free_port(), &app.db_url, data_dir).with_setting("FOURTHP_AUDIT_CHAIN_MS", "100")
}

/// Sends `body` as JSON to `port`, with a bearer token and extra headers; status, headers, body.
async fn send(
    client: &awc::Client,
    port: u16,
    method: actix_web::http::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, awc::http::header::HeaderMap, Value) {
    let mut req =
        client.request(method, format!("http://127.0.0.1:{port}{path}")).insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    }
    .unwrap();
    let bytes = res.body().limit(1 << 20).await.unwrap();
    (res.status().as_u16(), res.headers().clone(), serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn eventually(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let began = Instant::now();
    while !check().await {
        assert!(began.elapsed() < within, "{what}: not within {within:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn two_instances_serve_one_database_correctly() {
    // The test's own in-process instance chains rarely: the two processes are the ones measured.
    let app = TestApp::init().with_setting("FOURTHP_AUDIT_CHAIN_MS", "3600000").spawn().await;
    let (_, vcc) = app.coordinator().await;
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let mut a = instance(&app, "a");
    let mut b = instance(&app, "b");
    a.start();
    b.start();
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    wait_ready(&client, a.port).await;
    wait_ready(&client, b.port).await;
    let (pa, pb) = (a.port, b.port);

    // 1. One Idempotency-Key sent to both at once (a client retrying through a load balancer):
    //    one intervention; each answer is the write, its replay, or "still in flight, retry".
    let path = format!("/api/v1/cases/{case}/interventions");
    let body = json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp,
                      "occurred_at": chrono::Utc::now().to_rfc3339(), "need_domain": "health_gp",
                      "summary": "Asked the practice to register him.", "duration_minutes": 4});
    let key = [("Idempotency-Key", "two-instances-1")];
    let post = |port| send(&client, port, actix_web::http::Method::POST, &path, &vcc, Some(&body), &key);
    let ((sa, _, ba), (sb, _, bb)) = futures_util::future::join(post(pa), post(pb)).await;
    for s in [sa, sb] {
        assert!(s == 201 || s == 409, "status {s}");
    }
    // Retried until both have the one answer.
    let mut ids = Vec::new();
    for (port, mut status, mut got) in [(pa, sa, ba), (pb, sb, bb)] {
        while status == 409 {
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            (status, _, got) = post(port).await;
        }
        assert_eq!(status, 201, "{got}");
        ids.push(got["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1], "both instances answer with the one write");
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM interventions WHERE case_id = '{case}'")).await, 1);

    // 2. The reads each instance serves reach the trail (its read log is written in batches).
    for (port, request_id) in [(pa, "read-through-a"), (pb, "read-through-b")] {
        let (s, _, _) = send(
            &client,
            port,
            actix_web::http::Method::GET,
            &format!("/api/v1/cases/{case}"),
            &vcc,
            None,
            &[("X-Request-Id", request_id)],
        )
        .await;
        assert_eq!(s, 200);
    }
    let reads = format!(
        "SELECT count(*) AS n FROM audit_records WHERE case_id = '{case}' AND action = 'R' AND request_id IN ('read-through-a', 'read-through-b')"
    );
    eventually("both instances' reads on the trail", Duration::from_secs(3), async || app.count(&reads).await == 2).await;

    // 3. A token revoked through one instance is refused by the other within a second.
    let p = principal(Role::Auditor, None, "auditor-two-instances");
    let (minted, jti) =
        fourthp_api::token::Minter::new(SECRET, ISSUER, AUDIENCE).issue(&p, chrono::Utc::now(), chrono::Duration::hours(1)).unwrap();
    app.sql(&format!(
        "INSERT INTO issued_tokens (jti, kind, subject, issued_at, expires_at) VALUES ('{jti}', 'cli', 'auditor-two-instances', now(), now() + interval '1 hour')"
    ))
    .await
    .unwrap();
    let get_audit = |port| send(&client, port, actix_web::http::Method::GET, "/api/v1/audit?limit=1", &minted, None, &[]);
    assert_eq!(get_audit(pb).await.0, 200);
    let admin = token(Role::Admin, None);
    let (s, _, _) =
        send(&client, pa, actix_web::http::Method::POST, "/api/v1/auth/revocations", &admin, Some(&json!({"jti": jti})), &[]).await;
    assert_eq!(s, 204);
    assert_eq!(get_audit(pa).await.0, 401, "refused at once where it was revoked");
    eventually("the other instance refuses the revoked token", Duration::from_secs(1), async || get_audit(pb).await.0 == 401).await;

    // 4. The chainer: at most one instance holds the chain's lock at any moment, the backlog
    //    drains, and when the instance chaining is killed the other takes over.
    // The chainer's advisory lock (0x0004_7448_5000_0002), as pg_locks shows a bigint key.
    // In this test's database only: tests running beside it in other databases of the cluster
    // have chainers of their own, holding the same key there.
    let holders = "SELECT count(DISTINCT pid) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted \
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND classid = 291912::oid AND objid = 1342177282::oid AND objsubid = 1";
    for _ in 0..40 {
        assert!(app.count(holders).await <= 1, "two chainers at once");
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    let pending = "SELECT count(*) AS n FROM audit_pending";
    eventually("the backlog drains with both running", Duration::from_secs(3), async || app.count(pending).await == 0).await;
    a.kill();
    for n in 0..20 {
        let body = json!({"channel": "email", "direction": "inbound", "counterpart_agency_id": gp,
                          "occurred_at": chrono::Utc::now().to_rfc3339(), "need_domain": "health_gp",
                          "summary": format!("after the kill {n}"), "duration_minutes": 1});
        let (s, _, got) = send(&client, pb, actix_web::http::Method::POST, &path, &vcc, Some(&body), &[]).await;
        assert_eq!(s, 201, "{got}");
    }
    eventually("the surviving instance chains what is written after the kill", Duration::from_secs(3), async || {
        app.count(pending).await == 0
    })
    .await;
    let report = chain::verify(&app.db, None).await.unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.pending, 0);
    drop(b);
}

/// Behind a reverse proxy: the trail records the client its `X-Forwarded-For` names only when
/// the request came from a configured proxy; anyone else's claim is ignored.
#[actix_web::test]
async fn the_trail_believes_x_forwarded_for_only_from_configured_proxies() {
    let behind = TestApp::init().with_setting("FOURTHP_TRUSTED_PROXIES", "127.0.0.1, ::1").spawn().await;
    let direct = TestApp::init().spawn().await;
    for (app, expected) in [(&behind, "198.51.100.7"), (&direct, "127.0.0.1")] {
        let (_, vcc) = app.coordinator().await;
        let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
        let r = app
            .send(
                actix_web::http::Method::GET,
                &format!("/api/v1/cases/{case}"),
                Some(&vcc),
                None,
                &[("X-Forwarded-For", "6.6.6.6, 198.51.100.7"), ("X-Request-Id", "through-the-proxy")],
            )
            .await;
        assert_eq!(r.status.as_u16(), 200);
        let sql = "SELECT client_address AS v FROM audit_records WHERE request_id = 'through-the-proxy'";
        eventually("the read on the trail", Duration::from_secs(3), async || !app.strings(sql).await.is_empty()).await;
        assert_eq!(app.strings(sql).await, [expected]);
    }
}
