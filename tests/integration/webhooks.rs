//! Signed webhooks to a partner's own system: a real HTTP receiver started by the test, every
//! delivery verified by the standardwebhooks package; retries keep their id, three days of
//! failures turn the endpoint off; a SIGKILL while sending loses nothing. And calendar feeds,
//! parsed by the icalendar package.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::accounts::{cookie_of, enrolled, in_session, sign_in, totp_ahead, PASSWORD};
use crate::peers::{parse_ics, verify_webhooks, Receiver};
use crate::support::*;

const PUBLIC: &str = "https://fourthp.northshire.test";

async fn register(app: &TestApp, agency: &str, body: Value) -> Reply {
    app.post(&format!("/api/v1/agencies/{agency}/webhooks"), &token(fourthp_domain::principal::Role::Admin, None), body).await
}

fn adult() -> Value {
    let mut c = car_wash_man();
    c["known_as"] = json!("Tomasz Nowak");
    c
}

async fn delivered(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS n FROM outbox WHERE status = 'sent'").await
}

#[actix_web::test]
async fn a_partner_system_receives_signed_webhooks_that_an_independent_verifier_accepts() {
    let receiver = Receiver::start();
    let app = TestApp::init().with_setting("FOURTHP_PUBLIC_URL", PUBLIC).with_setting("FOURTHP_DELIVER_EVERY_MS", "100").spawn().await;
    let (_, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Housing Options", "local_authority_housing").await.to_string();

    // Administrators only; addresses and event names checked.
    let partner = token(fourthp_domain::principal::Role::Partner, Some(fourthp_domain::ids::AgencyId::parse(&housing).unwrap()));
    app.post(&format!("/api/v1/agencies/{housing}/webhooks"), &partner, json!({"url": receiver.url()})).await.problem(403);
    let fields = register(&app, &housing, json!({"url": "http://partner.example/hook", "events": ["action.created", "case.deleted"]}))
        .await
        .problem(422);
    assert_eq!(fields, vec!["url", "events"]);
    let r = register(&app, &housing, json!({"url": receiver.url()})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let endpoint = r.body["id"].as_str().unwrap().to_owned();
    let listed = app.get(&format!("/api/v1/agencies/{housing}/webhooks"), &token(fourthp_domain::principal::Role::Admin, None)).await;
    assert!(!listed.text.contains(&secret), "the secret is shown once");

    // Put on a team, an action agreed, then closed: three deliveries.
    let case = app.open_case(&vcc, adult()).await;
    let case_id = case["id"].as_str().unwrap();
    app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
    let r = app
        .post(
            &format!("/api/v1/cases/{case_id}/actions"),
            &vcc,
            json!({"description": "Find a room", "owner_agency_id": housing, "due_on": day(3)}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let action = r.body["id"].as_str().unwrap().to_owned();
    let etag = app.get(&format!("/api/v1/cases/{case_id}/actions/{action}"), &vcc).await.header("etag").unwrap();
    let r = app.patch(&format!("/api/v1/actions/{action}"), &vcc, &etag, json!({"status": "done", "note": "Room found"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let got = receiver.wait_for(3).await;
    let payloads = verify_webhooks(&secret, &got).expect("every delivery verifies");
    // A claim sends its batch at once: arrival order is not guaranteed (receivers order by the
    // payload's timestamp).
    let mut types: Vec<&str> = payloads.iter().map(|p| p["type"].as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(types, vec!["action.closed", "action.created", "team.added"]);
    let mut ordered: Vec<(&crate::peers::Received, &Value)> = got.iter().zip(&payloads).collect();
    ordered.sort_by_key(|(_, p)| p["timestamp"].as_str().unwrap().to_owned());
    for (d, p) in &ordered {
        assert!(uuid::Uuid::parse_str(&d.headers["webhook-id"]).is_ok());
        assert_eq!(p["data"]["case_reference"], case["reference"]);
        assert!(
            !d.body.contains("Tomasz") && !d.body.contains("1992") && !d.body.contains("Room found"),
            "no personal data or notes: {}",
            d.body
        );
    }
    let of = |t: &str| payloads.iter().find(|p| p["type"] == t).unwrap();
    assert_eq!(of("action.closed")["data"]["status"], "done");
    assert_eq!(of("action.created")["data"]["links"]["action"], format!("{PUBLIC}/api/v1/cases/{case_id}/actions/{action}"));
    // A delivery altered on the way does not verify.
    let mut forged = got.iter().find(|d| d.body.contains("team.added")).unwrap().clone();
    forged.body = forged.body.replace("team.added", "team.removed");
    assert!(verify_webhooks(&secret, &[forged]).is_err());

    // The receiver fails: the delivery is retried with back-off, and keeps its id.
    receiver.status.store(503, Ordering::SeqCst);
    app.call(Method::DELETE, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), None).await;
    receiver.wait_for(4).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let log =
        app.get(&format!("/api/v1/agencies/{housing}/webhooks/{endpoint}"), &token(fourthp_domain::principal::Role::Admin, None)).await;
    let latest = log.body["deliveries"][0].clone();
    assert_eq!(
        (latest["status"].as_str(), latest["attempts"].as_i64(), latest["last_status"].as_i64()),
        (Some("pending"), Some(1), Some(503)),
        "{}",
        log.text
    );
    receiver.status.store(204, Ordering::SeqCst);
    app.clock.advance(chrono::Duration::seconds(31));
    let got = receiver.wait_for(5).await;
    assert_eq!(got[3].headers["webhook-id"], got[4].headers["webhook-id"], "a retry is the same message");
    assert!(verify_webhooks(&secret, &got[4..]).is_ok());

    // An administrator sends one again: the receiver gets the same id once more.
    let first = got[0].headers["webhook-id"].clone();
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/agencies/{housing}/webhooks/{endpoint}/deliveries/{first}/replay"),
            Some(&token(fourthp_domain::principal::Role::Admin, None)),
            None,
        )
        .await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.text);
    let got = receiver.wait_for(6).await;
    assert_eq!(got[5].headers["webhook-id"], first);

    // Failing for 3 days: given up, the endpoint is turned off and says why.
    receiver.status.store(500, Ordering::SeqCst);
    app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
    receiver.wait_for(7).await;
    app.clock.advance(chrono::Duration::hours(73));
    let began = std::time::Instant::now();
    while app.count("SELECT count(*) AS n FROM webhook_endpoints WHERE NOT active").await == 0 {
        assert!(began.elapsed() < Duration::from_secs(20), "the endpoint was not turned off");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let log =
        app.get(&format!("/api/v1/agencies/{housing}/webhooks/{endpoint}"), &token(fourthp_domain::principal::Role::Admin, None)).await;
    assert_eq!(log.body["endpoint"]["active"], false);
    assert!(log.body["endpoint"]["disabled_reason"].as_str().unwrap().contains("failed for 72 hours"), "{}", log.text);
    assert_eq!(log.body["deliveries"][0]["status"], "failed");
    let metrics = app.call(Method::GET, "/metrics", None, None).await;
    assert!(metrics.text.contains(r#"fourthp_outbox_messages{channel="webhook",state="failed"} 1"#), "{}", metrics.text);
}

#[actix_web::test]
async fn a_sigkill_while_sending_loses_no_notification() {
    const ACTIONS: usize = 200;
    let receiver = Receiver::start();
    // Each delivery takes 50 ms to be answered: kills land in the middle of sends.
    receiver.delay_ms.store(50, Ordering::SeqCst);
    // This instance writes to the outbox and sends nothing: the killed process sends.
    let app = TestApp::init().with_setting("FOURTHP_DELIVERY", "off").spawn().await;
    let (_, vcc) = app.coordinator().await;
    let housing = app.agency("Crash Housing", "local_authority_housing").await.to_string();
    let r = register(&app, &housing, json!({"url": receiver.url(), "events": ["action.created"]})).await;
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let case = app.open_case(&vcc, adult()).await;
    let case_id = case["id"].as_str().unwrap();
    app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
    for n in 0..ACTIONS {
        let body = json!({"description": format!("Step {n}"), "owner_agency_id": housing, "due_on": day(5)});
        assert_eq!(app.post(&format!("/api/v1/cases/{case_id}/actions"), &vcc, body).await.status.as_u16(), 201);
    }
    let written: BTreeSet<String> = app.strings("SELECT id::text AS v FROM outbox").await.into_iter().collect();
    assert_eq!(written.len(), ACTIONS, "one message per action, written with it");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data_dir = std::env::temp_dir().join(format!("fourthp-outbox-crash-{}", uuid::Uuid::now_v7().simple()));
    let mut service = ServiceProcess::new(port, &app.db_url, data_dir).with_setting("FOURTHP_DELIVER_EVERY_MS", "100");
    let mut kills = 0;
    for _ in 0..3 {
        service.start();
        let before = receiver.received().len();
        let began = std::time::Instant::now();
        while receiver.received().len() < before + 8 && began.elapsed() < Duration::from_secs(30) {
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        // Mid-send: the receiver is holding a request open for 50 ms.
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        service.kill();
        kills += 1;
    }
    assert!(receiver.received().len() < ACTIONS, "the kills came before everything was sent");
    service.start();
    let began = std::time::Instant::now();
    while delivered(&app).await < ACTIONS as i64 {
        assert!(began.elapsed() < Duration::from_secs(60), "not everything was sent after {kills} kills");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    service.kill();
    let got = receiver.received();
    let ids: BTreeSet<String> = got.iter().map(|d| d.headers["webhook-id"].clone()).collect();
    assert_eq!(ids, written, "every message arrived, under the id it was written with");
    assert!(got.len() >= ACTIONS, "at least once");
    assert!(verify_webhooks(&secret, &got).is_ok());
    // Repeats (a send the kill cut off before it was marked sent) carry the same id.
    let repeats = got.len() - ids.len();
    eprintln!("{ACTIONS} messages, {kills} kills: {} deliveries, {repeats} repeated", got.len());
}

#[actix_web::test]
async fn a_calendar_feed_lists_what_is_owed_and_validates_as_icalendar() {
    let app = TestApp::init().with_setting("FOURTHP_PUBLIC_URL", PUBLIC).spawn().await;
    let (agency, vcc) = app.coordinator().await;
    let housing = app.agency("Feed Housing", "local_authority_housing").await;
    let (_, email, totp, _) = enrolled(&app, "housing.officer@northshire.example", "partner", Some(housing)).await;
    let case = app.open_case(&vcc, adult()).await;
    let case_id = case["id"].as_str().unwrap();
    app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
    for (what, due) in [("Find a room; then, with the GP, register", day(2)), ("Confirm the move-in date", day(9))] {
        let r = app
            .post(
                &format!("/api/v1/cases/{case_id}/actions"),
                &vcc,
                json!({"description": what, "owner_agency_id": housing, "due_on": due}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }
    let _ = agency;
    let r = sign_in(&app, json!({"email": email, "password": PASSWORD, "totp": totp_ahead(&totp, 1)})).await;
    let (cookie, csrf) = (cookie_of(&r), r.body["csrf_token"].as_str().unwrap().to_owned());
    let r = in_session(&app, Method::POST, "/api/v1/me/calendar-feed", &cookie, Some(&csrf), None).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let url = r.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{PUBLIC}/calendar/")) && url.ends_with(".ics"));
    let path = url.trim_start_matches(PUBLIC).to_owned();
    let feed = app.call(Method::GET, &path, None, None).await;
    assert_eq!(feed.status.as_u16(), 200);
    assert_eq!(feed.header("content-type").as_deref(), Some("text/calendar; charset=utf-8"));
    let parsed = parse_ics(&feed.text).expect("the icalendar package parses the feed");
    assert_eq!(parsed["version"], "2.0");
    let events = parsed["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{}", feed.text);
    let reference = case["reference"].as_str().unwrap();
    assert_eq!(events[0]["summary"], format!("{reference}: Find a room; then, with the GP, register"));
    assert_eq!(events[0]["dtstart"], day(2));
    assert!(!feed.text.contains("Tomasz"));
    let preferences = in_session(&app, Method::GET, "/api/v1/me/notifications", &cookie, None, None).await;
    assert!(preferences.body["calendar_feed_since"].is_string(), "{}", preferences.text);

    // A new feed stops the old URL; revoking stops the new one.
    let r = in_session(&app, Method::POST, "/api/v1/me/calendar-feed", &cookie, Some(&csrf), None).await;
    let second = r.body["url"].as_str().unwrap().trim_start_matches(PUBLIC).to_owned();
    assert_eq!(app.call(Method::GET, &path, None, None).await.status.as_u16(), 404);
    assert_eq!(app.call(Method::GET, &second, None, None).await.status.as_u16(), 200);
    let r = in_session(&app, Method::DELETE, "/api/v1/me/calendar-feed", &cookie, Some(&csrf), None).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    assert_eq!(app.call(Method::GET, &second, None, None).await.status.as_u16(), 404);

    // The digest preference.
    let r = in_session(&app, Method::PUT, "/api/v1/me/notifications", &cookie, Some(&csrf), Some(json!({"digest": "weekly"}))).await;
    assert_eq!(r.body["digest"], "weekly", "{}", r.text);
    assert_eq!(r.body["email_configured"], false);
    in_session(&app, Method::PUT, "/api/v1/me/notifications", &cookie, Some(&csrf), Some(json!({"digest": "hourly"}))).await.problem(422);
    // A token without an account has no preferences.
    app.get("/api/v1/me/notifications", &vcc).await.problem(403);
}
