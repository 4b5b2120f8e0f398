//! A load generator for FourthP over a demo network (`fourthp demo-data`): coordinators logging
//! interventions with an Idempotency-Key, partners polling case status, commissioners pulling
//! the outcome report.
//!
//! Usage: `loadgen --url http://127.0.0.1:8080[,http://127.0.0.1:8081...] --secret-file KEY --cases-file CASES
//!         --coordinator-agency ID [--mix log=30,status=70,report=0] [--seconds 30]
//!         [--rate R | --concurrency N] [--report-period 2025-01-01:2025-12-31] [--service-pid P]
//!         [--partner-auth bearer|session] [--with-action yes]`
//!
//! `CASES` holds one open case a line as `case_id<TAB>partner_agency_id`, the partner being an
//! agency on the case's team (bench/load.sh writes it). With `--rate`, requests arrive open-loop
//! at that fixed rate whatever the service does, and each latency is counted from the moment the
//! request was due, so a stall is charged to every request it delays (no coordinated omission).
//! With `--concurrency`, that many clients send requests back to back (closed loop): saturation.
//! It prints, per operation, throughput, failures and latency percentiles, and the service's
//! peak RSS when given its pid. With `--partner-auth session`, partners poll with the session
//! cookie `__Host-fourthp_session=bench-session-<agency id>` (bench/session.sh creates those
//! sessions) instead of a bearer token. With several URLs (several instances of the service on
//! one database), requests go to them in turn, as a round-robin proxy would send them, and the
//! peak RSS is given for each `--service-pid` (a comma-separated list in the same order). With
//! `--with-action yes`, each logged call agrees a follow-up owed by the case's partner agency
//! (what writes a notification to the outbox when that agency has a webhook endpoint).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a command-line benchmark that fails loudly")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use fourthp_api::demo::Rng;
use fourthp_api::token::Minter;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::{Principal, Role, Subject};
use serde_json::json;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Log,
    Status,
    Report,
}

const OPS: [Op; 3] = [Op::Log, Op::Status, Op::Report];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Log => "log intervention (POST, Idempotency-Key)",
            Op::Status => "case status (partner GET)",
            Op::Report => "outcome report (commissioner GET)",
        }
    }
}

struct Args {
    urls: Vec<String>,
    secret: Vec<u8>,
    cases: Vec<(String, String)>,
    coordinator_agency: String,
    mix: Vec<(Op, f64)>,
    seconds: u64,
    rate: Option<f64>,
    concurrency: usize,
    report_period: (String, String),
    service_pids: Vec<u32>,
    partner_sessions: bool,
    with_action: bool,
}

fn args() -> Args {
    let mut a = Args {
        urls: vec!["http://127.0.0.1:8080".into()],
        secret: Vec::new(),
        cases: Vec::new(),
        coordinator_agency: String::new(),
        mix: vec![(Op::Log, 30.0), (Op::Status, 70.0)],
        seconds: 30,
        rate: None,
        concurrency: 16,
        report_period: ("2025-01-01".into(), "2025-12-31".into()),
        service_pids: Vec::new(),
        partner_sessions: false,
        with_action: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().expect("every option takes a value");
        match flag.as_str() {
            "--url" => a.urls = value.split(',').map(str::to_owned).collect(),
            "--secret-file" => a.secret = std::fs::read_to_string(value).expect("secret file").trim().as_bytes().to_vec(),
            "--cases-file" => {
                a.cases = std::fs::read_to_string(value)
                    .expect("cases file")
                    .lines()
                    .filter_map(|l| l.split_once('\t').map(|(c, p)| (c.to_owned(), p.to_owned())))
                    .collect()
            }
            "--coordinator-agency" => a.coordinator_agency = value,
            "--mix" => {
                a.mix = value
                    .split(',')
                    .map(|part| {
                        let (name, weight) = part.split_once('=').expect("--mix log=30,status=70,report=1");
                        let op = match name {
                            "log" => Op::Log,
                            "status" => Op::Status,
                            "report" => Op::Report,
                            other => panic!("unknown operation {other}"),
                        };
                        (op, weight.parse().expect("a weight"))
                    })
                    .filter(|(_, w)| *w > 0.0)
                    .collect()
            }
            "--seconds" => a.seconds = value.parse().expect("--seconds"),
            "--rate" => a.rate = Some(value.parse().expect("--rate")),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency"),
            "--report-period" => {
                let (f, t) = value.split_once(':').expect("--report-period FROM:TO");
                a.report_period = (f.to_owned(), t.to_owned());
            }
            "--service-pid" => a.service_pids = value.split(',').map(|p| p.parse().expect("--service-pid")).collect(),
            "--partner-auth" => {
                a.partner_sessions = match value.as_str() {
                    "bearer" => false,
                    "session" => true,
                    other => panic!("--partner-auth bearer|session, not {other}"),
                }
            }
            "--with-action" => a.with_action = value == "yes",
            other => panic!("unknown option {other}"),
        }
    }
    assert!(!a.secret.is_empty(), "--secret-file is required");
    assert!(!a.cases.is_empty(), "--cases-file with at least one case is required");
    assert!(!a.coordinator_agency.is_empty(), "--coordinator-agency is required");
    assert!(!a.mix.is_empty(), "--mix needs an operation with a weight above 0");
    a
}

struct Plan {
    urls: Vec<String>,
    vcc: String,
    commissioner: String,
    partners: std::collections::HashMap<String, String>,
    cases: Vec<(String, String)>,
    mix: Vec<(Op, f64)>,
    /// The report's path and query, after the service's URL.
    report_path: String,
    run: String,
    partner_sessions: bool,
    /// Each logged call agrees a follow-up action owed by the case's partner agency.
    with_action: bool,
}

impl Plan {
    fn pick(&self, r: &mut Rng) -> (Op, usize) {
        let total: f64 = self.mix.iter().map(|(_, w)| w).sum();
        let mut x = r.unit() * total;
        let mut op = self.mix[0].0;
        for (o, w) in &self.mix {
            if x < *w {
                op = *o;
                break;
            }
            x -= w;
        }
        (op, usize::try_from(r.below(self.cases.len() as u64)).unwrap_or(0))
    }

    /// The credential header of a partner's request.
    fn partner_credential(&self, partner: &str) -> (&'static str, String) {
        if self.partner_sessions {
            ("cookie", format!("__Host-fourthp_session=bench-session-{partner}"))
        } else {
            ("authorization", format!("Bearer {}", self.partners[partner]))
        }
    }

    /// Sends one request; true when it got the status the operation should.
    async fn send(&self, client: &awc::Client, op: Op, case: usize, n: u64) -> bool {
        let (case_id, partner) = &self.cases[case];
        let url = &self.urls[usize::try_from(n).unwrap_or(0) % self.urls.len()];
        let result = match op {
            Op::Log => {
                let mut body = json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": partner,
                                  "occurred_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                                  "need_domain": "health_gp", "summary": "Rang the practice about registration", "duration_minutes": 5});
                if self.with_action {
                    let due = (chrono::Utc::now() + chrono::Duration::days(7)).date_naive().to_string();
                    body["actions"] = json!([{"description": "Confirm the registration", "owner_agency_id": partner, "due_on": due}]);
                }
                client
                    .post(format!("{url}/api/v1/cases/{case_id}/interventions"))
                    .insert_header(("authorization", format!("Bearer {}", self.vcc)))
                    .insert_header(("idempotency-key", format!("{}-{n}", self.run)))
                    .send_json(&body)
                    .await
                    .map(|r| (r.status().as_u16() == 201, r))
            }
            Op::Status => client
                .get(format!("{url}/api/v1/cases/{case_id}/status"))
                .insert_header(self.partner_credential(partner))
                .send()
                .await
                .map(|r| (r.status().as_u16() == 200, r)),
            Op::Report => client
                .get(format!("{url}{}", self.report_path))
                .insert_header(("authorization", format!("Bearer {}", self.commissioner)))
                .send()
                .await
                .map(|r| (r.status().as_u16() == 200, r)),
        };
        match result {
            Ok((ok, mut response)) => {
                // Read the whole body, as a client would.
                let body = response.body().limit(16 << 20).await;
                ok && body.is_ok()
            }
            Err(_) => false,
        }
    }
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    failures: u64,
}

type Tallies = Rc<RefCell<[Tally; 3]>>;

fn record(tallies: &Tallies, op: Op, latency: Duration, ok: bool) {
    let mut t = tallies.borrow_mut();
    let slot = &mut t[OPS.iter().position(|o| *o == op).unwrap_or(0)];
    slot.latencies.push(latency);
    if !ok {
        slot.failures += 1;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn token(minter: &Minter, sub: &str, role: Role, agency: Option<&str>) -> String {
    let p = Principal::new(Subject::parse(sub).unwrap(), role, agency.map(|a| AgencyId::parse(a).unwrap())).unwrap();
    minter.mint(&p, chrono::Utc::now(), chrono::Duration::hours(2)).unwrap()
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[actix_web::main]
async fn main() {
    let a = args();
    let minter = Minter::new(&a.secret, "fourthp", "fourthp-api");
    let mut partners = std::collections::HashMap::new();
    for (_, p) in &a.cases {
        partners.entry(p.clone()).or_insert_with(|| token(&minter, "gp-practice-bench", Role::Partner, Some(p)));
    }
    let plan = Rc::new(Plan {
        urls: a.urls.clone(),
        vcc: token(&minter, "vcc-bench", Role::Coordinator, Some(&a.coordinator_agency)),
        commissioner: token(&minter, "commissioner-bench", Role::Commissioner, None),
        partners,
        cases: a.cases.clone(),
        mix: a.mix.clone(),
        report_path: format!("/api/v1/reports/outcomes?from={}&to={}", a.report_period.0, a.report_period.1),
        run: uuid::Uuid::now_v7().simple().to_string(),
        partner_sessions: a.partner_sessions,
        with_action: a.with_action,
    });
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .connector(awc::Connector::new().limit(4096).timeout(Duration::from_secs(10)))
        .finish();
    let tallies: Tallies = Rc::new(RefCell::new(Default::default()));
    let mut rng = Rng(0x4650_5034_4C4F_4144);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.seconds);
    let mode;
    let mut late_starts = 0u64;

    if let Some(rate) = a.rate {
        mode = format!("open loop at {rate:.0} requests/s");
        let interval = Duration::from_secs_f64(1.0 / rate);
        let mut handles = Vec::new();
        let mut n = 0u64;
        loop {
            let due = started + interval.mul_f64(n as f64);
            if due >= deadline {
                break;
            }
            let now = Instant::now();
            if due > now {
                actix_web::rt::time::sleep(due - now).await;
            } else if now - due > Duration::from_millis(10) {
                late_starts += 1;
            }
            let (op, case) = plan.pick(&mut rng);
            let (plan, client, tallies) = (plan.clone(), client.clone(), tallies.clone());
            handles.push(actix_web::rt::spawn(async move {
                let ok = plan.send(&client, op, case, n).await;
                // From when the request was due, not from when it could be sent.
                record(&tallies, op, due.elapsed(), ok);
            }));
            n += 1;
        }
        for h in handles {
            let _ = h.await;
        }
    } else {
        mode = format!("closed loop, {} clients back to back", a.concurrency);
        let rng = Rc::new(RefCell::new(rng));
        let counter = Rc::new(RefCell::new(0u64));
        let workers = (0..a.concurrency).map(|_| {
            let (plan, client, tallies, rng, counter) = (plan.clone(), client.clone(), tallies.clone(), rng.clone(), counter.clone());
            async move {
                while Instant::now() < deadline {
                    let (op, case) = plan.pick(&mut rng.borrow_mut());
                    let n = {
                        let mut c = counter.borrow_mut();
                        *c += 1;
                        *c
                    };
                    let t = Instant::now();
                    let ok = plan.send(&client, op, case, n).await;
                    record(&tallies, op, t.elapsed(), ok);
                }
            }
        });
        futures_util::future::join_all(workers).await;
    }

    let elapsed = started.elapsed().as_secs_f64();
    println!("mode: {mode}, {:.1} s, {} cases", elapsed, plan.cases.len());
    let mut t = tallies.borrow_mut();
    for (i, op) in OPS.iter().enumerate() {
        let tally = &mut t[i];
        if tally.latencies.is_empty() {
            continue;
        }
        tally.latencies.sort();
        let l = &tally.latencies;
        println!(
            "{:<42} {:>7} done {:>6.0}/s  failed {:>5}  ms: p50 {:>7.2}  p95 {:>7.2}  p99 {:>7.2}  p99.9 {:>7.2}  max {:>7.2}",
            op.name(),
            l.len(),
            l.len() as f64 / elapsed,
            tally.failures,
            percentile(l, 0.50),
            percentile(l, 0.95),
            percentile(l, 0.99),
            percentile(l, 0.999),
            percentile(l, 1.0)
        );
    }
    if a.rate.is_some() {
        println!("requests sent more than 10 ms after they were due (the generator falling behind): {late_starts}");
    }
    let rss: Vec<String> = a.service_pids.iter().filter_map(|p| peak_rss_mb(*p)).map(|mb| format!("{mb:.1} MB")).collect();
    if !rss.is_empty() {
        println!("service peak RSS: {}", rss.join(", "));
    }
}
