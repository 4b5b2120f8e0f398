//! Crash test: the service is killed with SIGKILL at random moments while clients log 5,000
//! interventions with Idempotency-Keys, retrying on any failure; it is restarted each time.
//! Afterwards every acknowledged write exists exactly once, nothing exists twice, every write
//! has exactly one audit record, and the audit chain verifies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fourthp_persistence::chain;
use serde_json::{json, Value};

use crate::support::*;

const WRITES: usize = 5000;
const CLIENTS: usize = 8;

#[actix_web::test]
async fn nothing_acknowledged_is_lost_or_doubled_across_sigkills() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let gp = app.agency("Crash GP", "health_gp").await;
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    app.call(actix_web::http::Method::PUT, &format!("/api/v1/cases/{case}/team/{gp}"), Some(&vcc), Some(json!({}))).await;

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data_dir = std::env::temp_dir().join(format!("fourthp-crash-{}", uuid::Uuid::now_v7().simple()));
    let service = Arc::new(Mutex::new(ServiceProcess::new(port, &app.db_url, data_dir)));
    service.lock().unwrap().start();
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    wait_ready(&client, port).await;

    let url = format!("http://127.0.0.1:{port}/api/v1/cases/{case}/interventions");
    let acknowledged: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(HashMap::new()));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers = (0..CLIENTS).map(|w| {
        let (client, url, vcc, acknowledged) = (client.clone(), url.clone(), vcc.clone(), acknowledged.clone());
        async move {
            for n in (w..WRITES).step_by(CLIENTS) {
                let key = format!("crash-{n}");
                let body = json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp,
                                  "occurred_at": chrono::Utc::now().to_rfc3339(), "need_domain": "health_gp",
                                  "summary": format!("call {n}"), "duration_minutes": 1});
                // Retried while the service restarts, but not for ever: a service that never
                // comes back fails the test instead of hanging it.
                let began = std::time::Instant::now();
                loop {
                    assert!(began.elapsed() < Duration::from_secs(60), "{key} not acknowledged within 60 s of retries");
                    let sent = client
                        .post(&url)
                        .insert_header(("authorization", format!("Bearer {vcc}")))
                        .insert_header(("idempotency-key", key.as_str()))
                        .send_json(&body)
                        .await;
                    if let Ok(mut res) = sent {
                        if res.status().as_u16() == 201 {
                            if let Ok(bytes) = res.body().await {
                                let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                                if let Some(id) = v["id"].as_str() {
                                    let previous = acknowledged.lock().unwrap().insert(key.clone(), id.to_owned());
                                    assert!(previous.is_none_or(|p| p == id), "{key} acknowledged as two interventions");
                                    break;
                                }
                            }
                        }
                    }
                    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    });
    let killer = {
        let (service, client, done) = (service.clone(), client.clone(), done.clone());
        async move {
            let mut kills = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) && kills < 4 {
                let pause = 300 + (uuid::Uuid::now_v7().as_u128() % 700) as u64;
                actix_web::rt::time::sleep(Duration::from_millis(pause)).await;
                service.lock().unwrap().kill();
                kills += 1;
                service.lock().unwrap().start();
                wait_ready(&client, port).await;
            }
            kills
        }
    };
    let workers = async {
        futures_util::future::join_all(workers).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let ((), kills) = futures_util::future::join(workers, killer).await;
    assert!(kills >= 1, "the service was never killed");

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), WRITES);
    assert_eq!(app.count("SELECT count(*) AS n FROM interventions").await, WRITES as i64, "each write exactly once");
    let distinct = app.count("SELECT count(DISTINCT summary) AS n FROM interventions").await;
    assert_eq!(distinct, WRITES as i64, "no write twice");
    for id in acknowledged.values().take(200) {
        assert_eq!(app.count(&format!("SELECT count(*) AS n FROM interventions WHERE id = '{id}'")).await, 1);
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'intervention'").await, WRITES as i64);
    chain::chain_pending(&app.db, chrono::Utc::now()).await.unwrap();
    let report = chain::verify(&app.db, None).await.unwrap();
    assert!(report.is_valid(), "{report:?}");
    drop(service);
}
