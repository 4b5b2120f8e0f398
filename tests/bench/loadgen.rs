//! A closed-loop load generator for FourthP: coordinators logging interventions (audited,
//! idempotent, chained) as fast as the service takes them, for a fixed time.
//!
//! Usage: `loadgen --url http://127.0.0.1:8080 --secret-file fourthp-data/jwt-hs256.key
//!         [--concurrency 16] [--seconds 20]`
//! It registers two agencies and opens one case per client (as an administrator and a
//! coordinator, with tokens minted from the service's HS256 secret), then reports throughput and
//! latency percentiles of `POST /api/v1/cases/{id}/interventions`.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a command-line benchmark that fails loudly")]

use std::time::{Duration, Instant};

use fourthp_api::auth::Minter;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::{Principal, Role, Subject};
use serde_json::{json, Value};

struct Args {
    url: String,
    secret: Vec<u8>,
    concurrency: usize,
    seconds: u64,
}

fn args() -> Args {
    let mut a = Args { url: "http://127.0.0.1:8080".into(), secret: Vec::new(), concurrency: 16, seconds: 20 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().expect("every option takes a value");
        match flag.as_str() {
            "--url" => a.url = value,
            "--secret-file" => a.secret = std::fs::read_to_string(value).expect("secret file").trim().as_bytes().to_vec(),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency"),
            "--seconds" => a.seconds = value.parse().expect("--seconds"),
            other => panic!("unknown option {other}"),
        }
    }
    assert!(!a.secret.is_empty(), "--secret-file is required");
    a
}

fn token(minter: &Minter, role: Role, agency: Option<AgencyId>) -> String {
    let p = Principal::new(Subject::parse(&format!("loadgen-{role}")).unwrap(), role, agency).unwrap();
    minter.mint(&p, chrono::Utc::now(), chrono::Duration::hours(2)).unwrap()
}

async fn post(client: &awc::Client, url: &str, token: &str, body: &Value, key: Option<&str>) -> (u16, Value) {
    let mut req = client.post(url).insert_header(("authorization", format!("Bearer {token}")));
    if let Some(k) = key {
        req = req.insert_header(("idempotency-key", k));
    }
    let mut res = req.send_json(body).await.expect("request");
    let bytes = res.body().await.unwrap_or_default();
    (res.status().as_u16(), serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[actix_web::main]
async fn main() {
    let a = args();
    let minter = Minter::new(&a.secret, "fourthp", "fourthp-api");
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let admin = token(&minter, Role::Admin, None);
    let run = uuid::Uuid::now_v7().simple().to_string();
    let (_, vcc_agency) = post(
        &client,
        &format!("{}/api/v1/agencies", a.url),
        &admin,
        &json!({"name": format!("Loadgen VCC {run}"), "kind": "victim_care_contract_provider"}),
        None,
    )
    .await;
    let (_, gp) = post(
        &client,
        &format!("{}/api/v1/agencies", a.url),
        &admin,
        &json!({"name": format!("Loadgen GP {run}"), "kind": "health_gp"}),
        None,
    )
    .await;
    let vcc = token(&minter, Role::Coordinator, Some(AgencyId::parse(vcc_agency["id"].as_str().unwrap()).unwrap()));
    let case = json!({"known_as": "L.G.", "birth_year": 1990, "gender": "male", "exploitation_types": ["labour"], "jurisdiction": "england_wales",
                      "local_authority": "Bench", "consent": {"nrm": "given", "data_sharing": "confidential", "recorded_on": "2026-01-01"}});
    // Each client works on its own case, as coordinators do.
    let mut urls = Vec::new();
    for _ in 0..a.concurrency {
        let (status, created) = post(&client, &format!("{}/api/v1/cases", a.url), &vcc, &case, None).await;
        assert_eq!(status, 201, "{created}");
        urls.push(format!("{}/api/v1/cases/{}/interventions", a.url, created["id"].as_str().unwrap()));
    }
    let body = json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp["id"], "occurred_at": chrono::Utc::now().to_rfc3339(),
                      "need_domain": "health_gp", "summary": "Rang the practice about registration", "duration_minutes": 5});
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.seconds);
    let workers = (0..a.concurrency).map(|w| {
        let (client, url, vcc, body) = (client.clone(), urls[w].clone(), vcc.clone(), body.clone());
        async move {
            let mut latencies = Vec::new();
            let mut failures = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let (status, _) = post(&client, &url, &vcc, &body, Some(&format!("{w}-{n}"))).await;
                latencies.push(t.elapsed());
                if status != 201 {
                    failures += 1;
                }
                n += 1;
            }
            (latencies, failures)
        }
    });
    let results = futures_util::future::join_all(workers).await;
    let elapsed = started.elapsed().as_secs_f64();
    let failures: u64 = results.iter().map(|(_, f)| f).sum();
    let mut all: Vec<Duration> = results.into_iter().flat_map(|(l, _)| l).collect();
    all.sort();
    println!("interventions logged: {} in {elapsed:.1} s with {} concurrent clients ({failures} failed)", all.len(), a.concurrency);
    println!("throughput: {:.0}/s", all.len() as f64 / elapsed);
    println!(
        "latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        percentile(&all, 0.50),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        percentile(&all, 0.999),
        percentile(&all, 1.0)
    );
}
