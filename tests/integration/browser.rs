//! The stories in a real browser (issue 15): Debian's Chromium, driven by playwright-core from
//! `tests/browser/*.mjs`, against each test's own app and database. Every page visited
//! is checked with axe-core and must have no WCAG 2.2 AA violation; screenshots of each step go
//! to `target/browser/<story>/`. Needs `node`, the npm packages of `tests/browser` and `chromium`:
//! `scripts/ensure-browser` installs them (the test command runs it).

use actix_web::http::Method;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::accounts::enrolled;
use crate::support::*;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn chromium() -> String {
    std::env::var("FOURTHP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn firefox() -> String {
    std::env::var("FOURTHP_FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".to_owned())
}

/// Runs `tests/browser/<story>.mjs` against `app` with `config` (plus the base URL, the browser
/// and the screenshots' folder); returns its results, having checked it passed with no
/// accessibility violation.
async fn run_story(app: &TestApp, story: &str, mut config: Value) -> Value {
    assert!(
        std::path::Path::new(&chromium()).exists()
            && std::path::Path::new(&firefox()).exists()
            && std::path::Path::new(&format!("{ROOT}/tests/browser/node_modules/playwright-core")).exists()
            && std::path::Path::new(&format!("{ROOT}/tests/browser/node_modules/puppeteer-core")).exists(),
        "the browser tests need Chromium, Firefox ESR and tests/browser's npm packages: run scripts/ensure-browser"
    );
    // Browsers keep the Secure session cookie over plain http for localhost.
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    config["base"] = json!(format!("http://localhost:{port}"));
    config["chromium"] = json!(chromium());
    config["firefox"] = json!(firefox());
    config["screenshots"] = json!(format!("{ROOT}/target/browser/{story}"));
    let file = std::env::temp_dir().join(format!("fourthp-{story}-{}.json", uuid::Uuid::now_v7().simple()));
    std::fs::write(&file, config.to_string()).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(format!("{ROOT}/tests/browser/{story}.mjs"))
        .arg(&file)
        .output()
        .await
        .expect("running node");
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Value = stdout.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    assert!(out.status.success(), "the {story} story failed: {results:#}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(results["violations"], json!([]), "axe-core found WCAG 2.2 AA violations");
    results
}

/// An account enrolled through the API, as the browser signs in with it (the code of the step
/// the enrolment used is never accepted again: the next one is).
async fn account(app: &TestApp, name: &str, email: &str, role: &str, agency: Option<fourthp_domain::ids::AgencyId>) -> Value {
    let (_, email, secret, _) = enrolled(app, email, role, agency).await;
    json!({"name": name, "email": email, "password": crate::accounts::PASSWORD, "totp_secret": fourthp_api::credentials::totp::base32(&secret), "step_offset": 1})
}

/// The coordinator enrols and signs in, logs a call with a follow-up from the case page and sees
/// it in the queue; the housing association's partner completes an action; the coordinator sees
/// it done; another agency's partner gets the not-found page.
#[actix_web::test]
async fn a_coordinators_and_a_partners_day() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let (vcc_agency, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Homes Housing Association", "local_authority_housing").await;

    // Story 1: the man found at a car wash; the housing association is on his team and owes an
    // action agreed on a call.
    let case = app.open_case(&vcc, car_wash_man()).await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    let reference = case["reference"].as_str().unwrap().to_owned();
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({"role": "housing"}))).await;
    assert!(r.status.is_success(), "{}", r.text);
    let due_on = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive().to_string();
    let description = "Arrange a viewing of the move-on flat";
    let r = app
        .post(
            &format!("/api/v1/cases/{case_id}/actions"),
            &vcc,
            json!({"description": description, "owner_agency_id": housing.to_string(), "due_on": due_on}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let action_id = r.body["id"].as_str().unwrap().to_owned();
    // Support started nine days ago and he needs a GP: the 10-day GP-access standard is due
    // tomorrow.
    app.event_ok(&case_id, &vcc, json!({"type": "support_started", "date": day(-9)})).await;
    let r = app.post(&format!("/api/v1/cases/{case_id}/needs"), &vcc, json!({"domain": "health_gp", "identified_on": day(-9)})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);

    // The coordinator enrols in the browser, through the link an administrator created.
    let vcc_email = "sam.jones@northshire-vcs.example";
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": vcc_email, "display_name": "Sam Jones", "role": "coordinator", "agency_id": vcc_agency.to_string()}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let enrolment_token = r.body["enrolment_link"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let partner = account(&app, "partner", "priya.shah@northshire-homes.example", "partner", Some(housing)).await;
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let stranger = account(&app, "stranger", "reception@riverside-gp.example", "partner", Some(gp)).await;
    let follow_up_due = (chrono::Utc::now() + chrono::Duration::days(5)).date_naive().to_string();

    let config = json!({
        "case_reference": reference,
        "case_id": case_id,
        "housing_name": "Northshire Homes Housing Association",
        "call_summary": "Rang the housing officer about move-on accommodation; a flat may be free next week.",
        "follow_up": "Call back with the viewing date",
        "follow_up_due": follow_up_due,
        "partner_summary": "Offered the flat on Mill Lane; viewing on Thursday at 10.",
        "action_description": description,
        // The enrolment used this step's code: sign in with the next one.
        "coordinator": {"name": "coordinator", "email": vcc_email, "password": crate::accounts::PASSWORD, "enrolment_token": enrolment_token},
        "stranger": stranger,
        "partner": partner,
    });
    let results = run_story(&app, "day", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 14, "{results:#}");
    // Logging a call from the case page: at most 8 keystroke-or-click interactions beyond
    // typing the summary (here: the counterpart, and a follow-up with its owner and date).
    let interactions = results["interactions"]["log_call"].as_u64().unwrap();
    assert!(interactions <= 8, "{interactions} interactions");
    // Logged once, with its follow-up, by the coordinator's account.
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM interventions WHERE case_id = '{case_id}'")).await, 2);
    // One of them the housing association's own, logged by its partner.
    let by_housing = format!("SELECT count(*) AS n FROM interventions WHERE case_id = '{case_id}' AND recorded_by_agency = '{housing}'");
    assert_eq!(app.count(&by_housing).await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM actions WHERE case_id = '{case_id}' AND description = 'Call back with the viewing date'"
        ))
        .await,
        1
    );
    // The page weight of the coordinator's home, assets included.
    assert!(results["weights"]["due"].as_u64().unwrap() < 100 * 1024, "{results:#}");

    // What the partner did in the browser is what the API sees: the action done, with the note.
    let a = app.get(&format!("/api/v1/cases/{case_id}/actions/{action_id}"), &vcc).await;
    assert_eq!(a.body["status"], "done", "{}", a.text);
    assert!(a.body["closure"].to_string().contains("Viewing booked"), "{}", a.text);
    // The GP-access need met on day 9 (in the browser) turned its deadline met.
    let d = app.get(&format!("/api/v1/cases/{case_id}/deadlines"), &vcc).await;
    let gp_access = d.body["items"].as_array().unwrap().iter().find(|i| i["rule"] == "gp_access").cloned().unwrap_or(Value::Null);
    assert_eq!(gp_access["status"], "met", "{}", d.text);
    // The other agency's partner's look at the case is on the trail as a refusal (the read log
    // is written in batches: allow it a moment).
    let denied =
        format!("SELECT count(*) AS n FROM audit_records WHERE case_id = '{case_id}' AND outcome = 'denied' AND agent_role = 'partner'");
    let mut refusals = 0;
    for _ in 0..50 {
        refusals = app.count(&denied).await;
        if refusals > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(refusals, 1, "one refusal recorded for the stranger's look at the case");
    // The follow-up, closed by the coordinator from the case page.
    let cancelled = format!("SELECT count(*) AS n FROM actions WHERE case_id = '{case_id}' AND description = 'Call back with the viewing date' AND status = 'cancelled'");
    assert_eq!(app.count(&cancelled).await, 1);
    // And the trail knows who: the partner's account.
    let who = app.strings(&format!("SELECT agent_sub AS v FROM audit_records WHERE entity_id = '{action_id}' AND action = 'U'")).await;
    assert!(who.iter().all(|s| s.starts_with("user:")) && !who.is_empty(), "{who:?}");
}

/// The commissioner signs in, asks for the last twelve whole months, reads the printable report
/// with its charts (no WCAG 2.2 AA violation: its withheld cells once failed colour contrast),
/// downloads the CSV, and is told what is wrong with a month typed wrongly.
#[actix_web::test]
async fn a_commissioner_pulls_the_report() {
    use chrono::Datelike;
    let app = TestApp::init().spawn().await;
    let book = fourthp_domain::rules::shipped_with(None).unwrap();
    let opts = fourthp_api::demo::DemoOptions { cases: 150, seed: 11, from_year: chrono::Utc::now().year() - 2, progress: false };
    fourthp_api::demo::load(&app.db_url, &book, opts, chrono::Utc::now()).await.unwrap();
    let commissioner = account(&app, "commissioner", "commissioning@northshire-pcc.example", "commissioner", None).await;
    let auditor = account(&app, "auditor", "audit@northshire-pcc.example", "auditor", None).await;
    // A case read by a coordinator: its access log has something to show.
    let case_id = app.strings("SELECT id::text AS v FROM cases ORDER BY id LIMIT 1").await.remove(0);
    let case_reference = app.strings(&format!("SELECT reference AS v FROM cases WHERE id = '{case_id}'")).await.remove(0);
    let p = principal(Role::Coordinator, Some(app.agency_named(fourthp_api::demo::DEMO_COORDINATOR_AGENCY).await), "vcc-who-read-it");
    assert_eq!(app.get(&format!("/api/v1/cases/{case_id}"), &token_for(&p)).await.status.as_u16(), 200);
    let admin = account(&app, "admin", "it@northshire-partnership.example", "admin", None).await;
    let config = json!({"commissioner": commissioner, "auditor": auditor, "admin": admin, "case_id": case_id, "case_reference": case_reference, "coordinator_sub": "vcc-who-read-it"});
    let results = run_story(&app, "report", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 11, "{results:#}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM users WHERE email = 'new.commissioner@northshire-pcc.example' AND enrolled_at IS NULL").await,
        1
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM users WHERE email = 'audit@northshire-pcc.example' AND NOT active").await, 1);
    assert_eq!(app.count("SELECT count(*) AS n FROM agencies WHERE name = 'Northshire Modern Slavery Helpline' AND NOT active").await, 1);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM api_clients WHERE name = 'Northshire Homes case system' AND revoked_at IS NOT NULL AND role = 'partner'")
            .await,
        1
    );
    // Two pulls (the page, the CSV), each audited with its parameters.
    let pulls = app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'report' AND outcome = 'success'").await;
    assert_eq!(pulls, 2);
}

/// A coordinator finds a case by reference and by name, opens a case (refused field by field
/// first), records its NRM referral after the lifecycle refused a decision before it (the
/// refusal shown beside the field), changes its team, and records an outcome linked to the call
/// that led to it; a partner not on the new case gets the not-found page for its forms.
#[actix_web::test]
async fn a_coordinator_records_a_journey() {
    let app = TestApp::init().spawn().await;
    let (vcc_agency, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Homes Housing Association", "local_authority_housing").await;
    let red_cross = app.agency("British Red Cross Northshire", "red_cross").await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    let reference = case["reference"].as_str().unwrap().to_owned();
    let call_summary = "Asked the practice to register him; they will see him on Monday.";
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let r = app
        .post(
            &format!("/api/v1/cases/{case_id}/interventions"),
            &vcc,
            json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp.to_string(),
                   "occurred_at": chrono::Utc::now().to_rfc3339(), "need_domain": "health_gp", "summary": call_summary, "duration_minutes": 5}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let intervention = r.body["id"].as_str().unwrap().to_owned();
    let coordinator = account(&app, "coordinator", "alex.khan@northshire-vcs.example", "coordinator", Some(vcc_agency)).await;
    let partner = account(&app, "partner", "priya.shah@northshire-homes.example", "partner", Some(housing)).await;
    let config = json!({
        "coordinator": coordinator,
        "partner": partner,
        "case_id": case_id,
        "case_reference": reference,
        "call_summary": call_summary,
        "known_as": "E.H.",
        "housing_name": "Northshire Homes Housing Association",
        "red_cross_name": "British Red Cross Northshire",
    });
    let results = run_story(&app, "record", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 10, "{results:#}");

    // What was done in the browser is what the API sees.
    let opened = app.strings("SELECT id::text AS v FROM cases WHERE known_as = 'E.H.'").await;
    assert_eq!(opened.len(), 1, "the case was opened once");
    let new_case = &opened[0];
    let c = app.get(&format!("/api/v1/cases/{new_case}"), &vcc).await;
    assert_eq!(c.body["stage"], "nrm_referred", "{}", c.text);
    assert_eq!(c.body["exploitation_types"], json!(["sexual"]), "{}", c.text);
    assert_eq!(c.body["consent"]["data_sharing"], "confidential", "{}", c.text);
    assert_eq!(c.body["nationalities"], json!(["AL"]), "{}", c.text);
    let events = app.get(&format!("/api/v1/cases/{new_case}/events"), &vcc).await;
    let kinds: Vec<&str> = events.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["nrm_referral_submitted"], "{}", events.text);
    assert_eq!(events.body["items"][0]["fact"]["first_responder_agency_id"], red_cross.to_string());
    // The housing association joined and left: on the trail, not on the team.
    assert!(!c.text.contains(&housing.to_string()), "{}", c.text);
    let team_changes = format!("SELECT count(*) AS n FROM audit_records WHERE case_id = '{new_case}' AND entity_type = 'case_team'");
    assert!(app.count(&team_changes).await >= 2);
    // The outcome, with the call that led to it.
    let o = app.get(&format!("/api/v1/cases/{case_id}/outcomes"), &vcc).await;
    assert_eq!(o.body["items"][0]["outcome"], "access_to_medical_treatment", "{}", o.text);
    assert_eq!(o.body["items"][0]["score"], 6);
    assert_eq!(o.body["items"][0]["intervention_ids"], json!([intervention]), "{}", o.text);
}

/// The coordinator's and the partner's core pages work in Firefox as in Chromium: sign-in with a
/// TOTP code (the `__Host-` session cookie kept over http://localhost), what is due, a case, a
/// call logged with a follow-up, "what we owe" and completing it; no axe-core violation, nothing
/// wider than 320 px.
#[actix_web::test]
async fn the_day_works_in_firefox() {
    let app = TestApp::init().spawn().await;
    let (vcc_agency, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Homes Housing Association", "local_authority_housing").await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({"role": "housing"}))).await;
    assert!(r.status.is_success(), "{}", r.text);
    app.event_ok(&case_id, &vcc, json!({"type": "support_started", "date": day(-2)})).await;
    let coordinator = account(&app, "coordinator", "sam.jones@northshire-vcs.example", "coordinator", Some(vcc_agency)).await;
    let partner = account(&app, "partner", "priya.shah@northshire-homes.example", "partner", Some(housing)).await;
    let follow_up = "Send the viewing date to the coordinator";
    let config = json!({
        "coordinator": coordinator,
        "partner": partner,
        "case_id": case_id,
        "case_reference": case["reference"],
        "housing_id": housing.to_string(),
        "call_summary": "Asked the housing officer for a viewing of the move-on flat.",
        "follow_up": follow_up,
        "follow_up_due": (chrono::Utc::now() + chrono::Duration::days(4)).date_naive().to_string(),
    });
    let results = run_story(&app, "firefox", config).await;
    assert!(results["browser"].as_str().unwrap_or_default().starts_with("firefox/"), "{results:#}");
    assert!(results["pages"].as_array().unwrap().len() >= 8, "{results:#}");
    let done = format!("SELECT count(*) AS n FROM actions WHERE case_id = '{case_id}' AND description = '{follow_up}' AND status = 'done'");
    assert_eq!(app.count(&done).await, 1);
}

/// A partner with no account receives the digest from a real SMTP server and, in the browser,
/// closes an action and answers "what happened?" from its links without signing in; the
/// administrator's mailbox and webhook pages and a partner's email choices pass axe-core too.
#[actix_web::test]
async fn a_partner_acts_from_the_emailed_links() {
    let smtp = crate::peers::SmtpSink::start(0);
    let receiver = crate::peers::Receiver::start();
    let public = crate::inbox::PUBLIC;
    let app = crate::inbox::mailing_app(&smtp).await;
    let (_, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Homes Housing Association", "local_authority_housing").await;
    crate::inbox::give_mailbox(&app, &housing.to_string(), "lettings@northshire-homes.example").await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let (case_id, reference) = (case["id"].as_str().unwrap().to_owned(), case["reference"].as_str().unwrap().to_owned());
    app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
    let talked = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let r = app
        .post(
            &format!("/api/v1/cases/{case_id}/interventions"),
            &vcc,
            json!({
                "channel": "phone_call", "direction": "outbound", "counterpart_agency_id": housing, "occurred_at": talked,
                "need_domain": "accommodation", "summary": "Spoke about a room", "duration_minutes": 10,
                "actions": [{"description": "Find emergency accommodation", "owner_agency_id": housing, "due_on": day(1)}],
                "ask_back_after_days": 1
            }),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let action_id = r.body["actions"][0]["id"].as_str().unwrap().to_owned();
    crate::inbox::send_digests(&app, &smtp);
    let mail = smtp.wait_for(1).await;
    crate::inbox::assert_nothing_personal(&mail[0]);
    let text = mail[0]["text"].as_str().unwrap();
    let links: Vec<String> = text
        .split_whitespace()
        .filter(|w| w.starts_with(&format!("{public}/inbox/")))
        .map(|w| w.trim_start_matches(public).to_owned())
        .collect();
    assert_eq!(links.len(), 2, "{text}");
    let unsubscribe =
        mail[0]["headers"]["list-unsubscribe"].as_str().unwrap().trim_matches(['<', '>']).trim_start_matches(public).to_owned();

    let admin = account(&app, "admin", "it@northshire-partnership.example", "admin", None).await;
    let partner = account(&app, "partner", "officer@northshire-homes.example", "partner", Some(housing)).await;
    let config = json!({
        "action_link": links[0], "ask_link": links[1], "unsubscribe": unsubscribe, "case_reference": reference,
        "housing": housing, "admin": admin, "partner": partner, "receiver": receiver.url(),
    });
    let results = run_story(&app, "inbox", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 12, "{results:#}");

    // Closed from the link, as the housing association, by emailed link; the answer on the
    // case's timeline; the mailbox still subscribed (the page's GET changed nothing).
    let a = app.get(&format!("/api/v1/cases/{case_id}/actions/{action_id}"), &vcc).await;
    assert_eq!(a.body["status"], "done", "{}", a.text);
    let who = app.strings(&format!("SELECT agent_sub AS v FROM audit_records WHERE entity_id = '{action_id}' AND action = 'U'")).await;
    assert_eq!(who, vec!["emailed link to lettings@northshire-homes.example".to_owned()]);
    let timeline = app.get(&format!("/api/v1/cases/{case_id}/timeline?limit=200"), &vcc).await;
    assert!(timeline.text.contains("Viewing a flat on Friday"), "{}", timeline.text);
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM agencies WHERE id = '{housing}' AND notify_digest = 'daily'")).await, 1);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM users WHERE email = 'officer@northshire-homes.example' AND digest = 'weekly'").await,
        1
    );
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM webhook_endpoints WHERE agency_id = '{housing}'")).await, 1);
}

/// The network's own work in the browser: a partner raises a challenge (warned of a case
/// reference first), the coordinator accepts it and gives the police an action, the police
/// partner closes it from "What we owe", the coordinator resolves the challenge.
#[actix_web::test]
async fn the_network_works_a_challenge() {
    let app = TestApp::init().spawn().await;
    let (vcc_agency, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Homes Housing Association", "local_authority_housing").await;
    let police = app.agency("Northshire Police", "police").await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let reference = case["reference"].as_str().unwrap().to_owned();
    // Yesterday's meeting, whose minutes the coordinator writes up.
    let r = app
        .post(
            "/api/v1/meetings",
            &vcc,
            json!({"title": "Northshire anti-slavery network meeting", "starts_at": format!("{}T10:00", day(-1)), "ends_at": format!("{}T12:00", day(-1)), "place": "Town hall, committee room 2"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let config = json!({
        "meeting": r.body["id"],
        "next_starts": format!("{}T10:00", day(42)),
        "next_ends": format!("{}T12:00", day(42)),
        "housing": account(&app, "housing", "officer@northshire-homes.example", "partner", Some(housing)).await,
        "police": account(&app, "police", "mash@northshire.police.example", "partner", Some(police)).await,
        "coordinator": account(&app, "coordinator", "sam.jones@northshire-vcs.example", "coordinator", Some(vcc_agency)).await,
        "police_name": "Northshire Police",
        "case_reference": reference,
        "title": "Housing providers refuse referrals without ID",
        "what": "Three providers in the north of the county turn people away when they have no identity documents.",
        "action": "Agree a letter of identity for people without documents",
        "due_on": day(5),
        "closing_note": "Letter agreed with the custody team; template sent to members.",
        "what_changed": "Providers accept the police letter of identity.",
    });
    let results = run_story(&app, "network", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 12, "{results:#}");
    let r = app.get("/api/v1/challenges", &vcc).await;
    assert_eq!(r.body["items"][0]["status"], "resolved", "{}", r.text);
    let id = r.body["items"][0]["id"].as_str().unwrap();
    let r = app.get(&format!("/api/v1/challenges/{id}"), &vcc).await;
    assert_eq!(r.body["actions"][0]["status"], "done", "{}", r.text);
    let who = app
        .strings(&format!("SELECT a.name AS v FROM actions x JOIN agencies a ON a.id = x.closed_by_agency WHERE x.challenge_id = '{id}'"))
        .await;
    assert_eq!(who, ["Northshire Police"]);
    let at = app.count(&format!("SELECT count(*) AS n FROM actions WHERE challenge_id = '{id}' AND meeting_id IS NOT NULL")).await;
    assert_eq!(at, 1);
}

/// The national forum: Northshire's coordinator downloads the signed file from the page; at the
/// forum's deployment, the administrator registers Northshire by its published key and the
/// forum's coordinator adds Northshire's and Westshire's files, a tampered one refused; the page
/// shows them side by side with the GP-registration challenge both raised grouped.
#[actix_web::test]
async fn the_forum_compares_networks() {
    use crate::forum::{bundle, network, this_month};
    let (north, _) =
        network("Northshire", 9, ("GP practices refusing registration without proof of address", "Seen across the county."), &[]).await;
    let (west, west_coord) =
        network("Westshire", 3, ("Survivors refused GP registration: no proof of address", "Practices ask for a utility bill."), &[]).await;
    let west_bundle = bundle(&west, &west_coord).await;
    let forum = TestApp::init().with_setting("FOURTHP_MODE", "forum").with_setting("FOURTHP_MAX_BODY_BYTES", "1048576").spawn().await;
    let key = west.call(Method::GET, "/.well-known/fourthp-signing-key", None, None).await.body["public_key"].clone();
    let r = forum.post("/api/v1/forum/networks", &token(Role::Admin, None), json!({"name": "Westshire", "public_key": key})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let north_key = north.call(Method::GET, "/.well-known/fourthp-signing-key", None, None).await.body["public_key"].clone();
    let (coordinator_agency, _) = north.coordinator().await;
    let (forum_agency, _) = forum.coordinator().await;
    let forum_port = forum.address.rsplit(':').next().unwrap().to_owned();
    let config = json!({
        "month": this_month().0[..7],
        "north_key": north_key,
        "coordinator": account(&north, "coordinator", "sam.jones@northshire-vcs.example", "coordinator", Some(coordinator_agency)).await,
        "forum_base": format!("http://localhost:{forum_port}"),
        "forum_admin": account(&forum, "forum-admin", "admin@forum.example", "admin", None).await,
        "forum_coordinator": account(&forum, "forum-coordinator", "chair@forum.example", "coordinator", Some(forum_agency)).await,
        "west_bundle": west_bundle.to_string(),
    });
    let results = run_story(&north, "forum", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 8, "{results:#}");
    let kept = forum.strings("SELECT n.name AS v FROM forum_bundles b JOIN forum_networks n ON n.id = b.network_id ORDER BY 1").await;
    assert_eq!(kept, ["Northshire", "Westshire"]);
}

/// Subject access: the data protection officer finds the survivor's case by its reference,
/// records her request (a future date refused on the page), reads and prints her copy with
/// other people's details withheld; the coordinator sees it on the board and marks it answered.
#[actix_web::test]
async fn a_survivor_gets_her_copy() {
    let app = TestApp::init().spawn().await;
    let (vcc_agency, vcc) = app.coordinator().await;
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let r = app
        .post(
            "/api/v1/users",
            &token(Role::Admin, None),
            json!({"email": "priya.shah@riverside.example", "display_name": "Priya Shah", "role": "partner", "agency_id": gp}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    // Marek is someone else the network supports: his name is withheld from her copy.
    let mut other = car_wash_man();
    other["known_as"] = json!("Marek");
    app.open_case(&vcc, other).await;
    let mut her = car_wash_man();
    her["known_as"] = json!("Lena");
    let case = app.open_case(&vcc, her).await;
    let (id, reference) = (case["id"].as_str().unwrap().to_owned(), case["reference"].as_str().unwrap().to_owned());
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{id}/team/{gp}"), Some(&vcc), Some(json!({"role": "GP practice"}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/cases/{id}/interventions"),
            &vcc,
            json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp, "occurred_at": format!("{}T10:00:00Z", day(-3)),
                   "need_domain": "health_gp", "summary": "Lena registered; Priya Shah at reception will call 07700 900123 about Marek too.", "duration_minutes": 10}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let outsider = token(Role::Partner, Some(app.agency("Elsewhere NGO", "ngo").await));
    app.get(&format!("/api/v1/cases/{id}"), &outsider).await.problem(404);
    let received = today() - chrono::Duration::days(2);
    let due = fourthp_domain::subject_access::answer_due(
        received,
        fourthp_domain::calendar::Calendar(fourthp_domain::case::Jurisdiction::EnglandWales),
    );
    let config = json!({
        "reference": reference,
        "received_on": received.to_string(),
        "tomorrow": day(1),
        "due_words": fourthp_domain::words::long_date(due),
        "dpo": account(&app, "dpo", "dpo@northshire.example", "auditor", None).await,
        "coordinator": account(&app, "coordinator", "sam.jones@northshire-vcs.example", "coordinator", Some(vcc_agency)).await,
    });
    let results = run_story(&app, "subject_access", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 7, "{results:#}");
    assert_eq!(app.count("SELECT count(*) AS n FROM subject_access_requests WHERE answered_on IS NOT NULL").await, 1);
}

/// Moving a caseload in: the administrator uploads the workbook with two wrong rows and gets
/// them named by row and column, then loads the corrected one.
#[actix_web::test]
async fn a_caseload_moves_in() {
    let app = TestApp::init().spawn().await;
    let (vcc_agency, _) = app.coordinator().await;
    app.agency("Northshire Police", "police").await;
    app.agency("Riverside GP Practice", "health_gp").await;
    let agency_name = app.strings(&format!("SELECT name AS v FROM agencies WHERE id = '{vcc_agency}'")).await.remove(0);
    let coordinator = account(&app, "coordinator", "sam.jones@northshire-vcs.example", "coordinator", Some(vcc_agency)).await;
    let lead = app.strings("SELECT display_name AS v FROM users WHERE role = 'coordinator'").await.remove(0);
    let config = json!({
        "admin": account(&app, "admin", "admin@northshire.example", "admin", None).await,
        "agency": agency_name,
        "lead": lead,
        "coordinator": coordinator,
        "problems_file": format!("{ROOT}/tests/fixtures/caseload-problems.xlsx"),
        "good_file": format!("{ROOT}/tests/fixtures/caseload.xlsx"),
    });
    let results = run_story(&app, "import", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 7, "{results:#}");
    assert_eq!(app.count("SELECT count(*) AS n FROM case_aliases").await, 5);
}

/// The housing officer signs in with her organisation's account at a real OpenID provider and
/// lands on what her agency owes.
#[actix_web::test]
async fn a_partner_signs_in_with_her_organisation() {
    use crate::peers::{loopback_port, OidcProvider};
    let app_port = loopback_port();
    let provider = OidcProvider::start(&json!({
        "kid": "key-1",
        "clients": [{"client_id": "fourthp", "client_secret": "the-secret-the-provider-gave",
                     "redirect_uris": [format!("http://localhost:{app_port}/app/sign-in/organisation/callback")]}],
        "users": [{"login": "hana.officer", "password": "correct horse battery", "sub": "00u8hana", "email": "hana.officer@northshire-homes.example"}]
    }));
    let app = TestApp::init()
        .with_setting("FOURTHP_BIND", &format!("127.0.0.1:{app_port}"))
        .with_setting("FOURTHP_PUBLIC_URL", &format!("http://localhost:{app_port}"))
        .spawn()
        .await;
    let admin = token(Role::Admin, None);
    let (_, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Homes Housing Association", "local_authority_housing").await;
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/agencies/{housing}/identity-provider"),
            Some(&admin),
            Some(json!({"issuer": provider.issuer, "client_id": "fourthp", "client_secret": "the-secret-the-provider-gave"})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let r = app
        .post("/api/v1/users", &admin, json!({"email": "hana.officer@northshire-homes.example", "display_name": "Hana Officer", "role": "partner", "agency_id": housing}))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    // Story 5: the housing association owes an action on a case.
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{case}/team/{housing}"), Some(&vcc), Some(json!({"role": "housing"}))).await;
    assert!(r.status.is_success(), "{}", r.text);
    let action = "Find a bed before the move-on period ends";
    let r = app
        .post(&format!("/api/v1/cases/{case}/actions"), &vcc, json!({"description": action, "owner_agency_id": housing, "due_on": day(5)}))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let config = json!({
        "organisation": "Northshire Homes Housing Association",
        "issuer": provider.issuer,
        "login": "hana.officer",
        "password": "correct horse battery",
        "action": action,
    });
    let results = run_story(&app, "organisation", config).await;
    assert!(results["pages"].as_array().unwrap().len() >= 3, "{results:#}");
    drop(provider);
}
