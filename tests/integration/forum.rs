//! The national forum (issue 25, point 5): three networks' deployments each sign a bundle for
//! the same whole-month period; a deployment run for the forum registers them by the public keys
//! they publish, imports their bundles, refuses a tampered one, one signed by another key, one
//! from a network it does not know, a repeated period and one holding a count below the
//! threshold, and shows the networks side by side with the challenge two regions share grouped.

use chrono::Datelike;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

/// The current month, whole: the period every network signs.
pub(crate) fn this_month() -> (String, String) {
    let today = today();
    let first = today.with_day(1).unwrap();
    let next = if first.month() == 12 {
        chrono::NaiveDate::from_ymd_opt(first.year() + 1, 1, 1).unwrap()
    } else {
        chrono::NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1).unwrap()
    };
    (first.to_string(), next.pred_opt().unwrap().to_string())
}

/// A network's deployment with `cases` opened this month and one challenge taken to the forum.
pub(crate) async fn network(name: &str, cases: usize, challenge: (&str, &str), settings: &[(&'static str, &str)]) -> (TestApp, String) {
    let mut builder = TestApp::init().with_setting("FOURTHP_NETWORK_NAME", name);
    for (k, v) in settings {
        builder = builder.with_setting(k, v);
    }
    let app = builder.spawn().await;
    let (_, coordinator) = app.coordinator().await;
    for _ in 0..cases {
        let case = app.open_case(&coordinator, car_wash_man()).await;
        let id = case["id"].as_str().unwrap();
        app.event_ok(id, &coordinator, json!({"type": "support_started", "date": today().with_day(1).unwrap().to_string()})).await;
    }
    let r = app
        .post(
            "/api/v1/challenges",
            &coordinator,
            json!({"title": challenge.0, "description": challenge.1, "urgency": "soon",
            "sectors": ["health_gp"], "personal_data_confirmed": true}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    for (to, note, etag) in [("accepted", None, "\"1\""), ("escalated", Some("Every network in the region sees it."), "\"2\"")] {
        let r = app
            .send(
                awc::http::Method::POST,
                &format!("/api/v1/challenges/{id}/decisions"),
                Some(&coordinator),
                Some((json!({"to": to, "note": note}).to_string().into_bytes(), "application/json")),
                &[("if-match", etag)],
            )
            .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    }
    (app, coordinator)
}

pub(crate) async fn bundle(app: &TestApp, coordinator: &str) -> Value {
    let (from, to) = this_month();
    let r = app.get(&format!("/api/v1/forum/bundle?from={from}&to={to}"), coordinator).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert!(r.header("content-disposition").unwrap().contains("fourthp-forum-bundle-"));
    r.body
}

#[actix_web::test]
async fn the_forum_compares_three_networks_from_their_signed_bundles() {
    let (from, to) = this_month();
    let (north, north_coord) =
        network("Northshire", 12, ("GP practices refusing registration without proof of address", "Seen across the county."), &[]).await;
    let (west, west_coord) =
        network("Westshire", 3, ("Survivors refused GP registration: no proof of address", "Practices ask for a utility bill."), &[]).await;
    let (east, east_coord) = network("Eastshire", 9, ("No interpreters at police interviews", "Vietnamese speakers wait days."), &[]).await;
    let forum = TestApp::init().with_setting("FOURTHP_MODE", "forum").with_setting("FOURTHP_MAX_BODY_BYTES", "1048576").spawn().await;
    let admin = token(Role::Admin, None);
    let (_, forum_coord) = forum.coordinator().await;

    // A case reference in a challenge leaves the network withheld.
    let case = north.open_case(&north_coord, car_wash_man()).await;
    let reference = case["reference"].as_str().unwrap();
    let r = north
        .post(
            "/api/v1/challenges",
            &north_coord,
            json!({"title": "Housing refusals", "urgency": "routine", "sectors": [],
            "description": format!("As with {reference} last week."), "personal_data_confirmed": true}),
        )
        .await;
    let leaky = r.body["id"].as_str().unwrap().to_owned();
    for (to, note, etag) in [("accepted", None, "\"1\""), ("escalated", Some("National."), "\"2\"")] {
        let body = json!({"to": to, "note": note}).to_string().into_bytes();
        let r = north
            .send(
                awc::http::Method::POST,
                &format!("/api/v1/challenges/{leaky}/decisions"),
                Some(&north_coord),
                Some((body, "application/json")),
                &[("if-match", etag)],
            )
            .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    }

    // Only coordinators and administrators make a bundle; only for whole months.
    for role in [Role::Commissioner, Role::Auditor] {
        north.get(&format!("/api/v1/forum/bundle?from={from}&to={to}"), &token(role, None)).await.problem(403);
    }
    let r = north.get(&format!("/api/v1/forum/bundle?from={from}&to={to}").replace("-01&", "-02&"), &north_coord).await;
    r.problem(422);
    assert!(r.text.contains("whole_months"), "{}", r.text);

    let bundles = [bundle(&north, &north_coord).await, bundle(&west, &west_coord).await, bundle(&east, &east_coord).await];
    for b in &bundles {
        assert_eq!(b["format"], "fourthp-forum-bundle-v1");
        assert!(!b.to_string().contains(reference), "a case reference left the network: {b}");
        // Nothing from 1 to the threshold leaves.
        for f in b["content"]["figures"].as_array().unwrap() {
            if f["unit"] == "count" {
                if let Some(v) = f["value"].as_f64() {
                    assert!(v == 0.0 || v > 7.0, "a small count left: {f}");
                }
            }
        }
    }
    assert!(bundles[0].to_string().contains("[withheld]"));
    assert_eq!(bundles[0]["content"]["network"], "Northshire");
    assert_eq!(bundles[0]["content"]["challenges"].as_array().unwrap().len(), 2);

    // The forum registers each network by the key it publishes.
    for (app, name) in [(&north, "Northshire"), (&west, "Westshire"), (&east, "Eastshire")] {
        let r = app.call(awc::http::Method::GET, "/.well-known/fourthp-signing-key", None, None).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.body["algorithm"], "Ed25519");
        let r = forum.post("/api/v1/forum/networks", &admin, json!({"name": name, "public_key": r.body["public_key"]})).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }
    forum.post("/api/v1/forum/networks", &forum_coord, json!({"name": "X", "public_key": "00".repeat(32)})).await.problem(403);
    let fields = forum.post("/api/v1/forum/networks", &admin, json!({"name": "", "public_key": "zz"})).await.problem(422);
    assert_eq!(fields, ["name", "public_key"]);

    // A network's own deployment is not the forum.
    let small = json!({"format": "fourthp-forum-bundle-v1", "content": {}, "public_key": bundles[1]["public_key"], "signature": "00"});
    north.post("/api/v1/forum/bundles", &north_coord, small).await.problem(404);
    // A bundle is about 100 KB: more than a network's request limit, within the forum's.
    assert!(bundles[0].to_string().len() < 256 * 1024);

    // Tampered after signing: refused, nothing kept.
    let mut tampered = bundles[0].clone();
    tampered["content"]["challenges"][0]["title"] = json!("Something else");
    let r = forum.post("/api/v1/forum/bundles", &forum_coord, tampered).await;
    r.problem(422);
    assert_eq!(r.body["type"], "urn:fourthp:problem:bad-signature");
    // Westshire's content under Northshire's key.
    let mut borrowed = bundles[1].clone();
    borrowed["public_key"] = bundles[0]["public_key"].clone();
    let r = forum.post("/api/v1/forum/bundles", &forum_coord, borrowed).await;
    assert_eq!(r.body["type"], "urn:fourthp:problem:bad-signature", "{}", r.text);
    assert_eq!(forum.count("SELECT count(*) AS n FROM forum_bundles").await, 0);

    for b in &bundles {
        let r = forum.post("/api/v1/forum/bundles", &forum_coord, b.clone()).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }
    // The same period again is refused.
    let r = forum.post("/api/v1/forum/bundles", &forum_coord, bundles[2].clone()).await;
    r.problem(409);
    assert_eq!(r.body["type"], "urn:fourthp:problem:period-repeated");

    // A network the forum does not know; and one whose own threshold let small counts out.
    let (south, south_coord) =
        network("Southshire", 3, ("Bank accounts", "Banks refuse accounts."), &[("FOURTHP_REPORT_SUPPRESS_UP_TO", "0")]).await;
    let small = bundle(&south, &south_coord).await;
    let r = forum.post("/api/v1/forum/bundles", &forum_coord, small.clone()).await;
    assert_eq!(r.body["type"], "urn:fourthp:problem:unknown-network", "{}", r.text);
    let key = south.call(awc::http::Method::GET, "/.well-known/fourthp-signing-key", None, None).await.body["public_key"].clone();
    let r = forum.post("/api/v1/forum/networks", &admin, json!({"name": "Southshire", "public_key": key})).await;
    assert_eq!(r.status.as_u16(), 201);
    let r = forum.post("/api/v1/forum/bundles", &forum_coord, small).await;
    assert_eq!(r.body["type"], "urn:fourthp:problem:bundle-refused", "{}", r.text);
    assert_eq!(forum.count("SELECT count(*) AS n FROM forum_bundles").await, 3);

    // Side by side.
    let r = forum.get(&format!("/api/v1/forum/comparison?from={from}&to={to}"), &forum_coord).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let names: Vec<&str> = r.body["networks"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Eastshire", "Northshire", "Westshire"]);
    let rows = r.body["rows"].as_array().unwrap();
    assert!(rows.len() > 20, "{}", rows.len());
    let opened = rows.iter().find(|row| row["measure"] == "caseload.new" && row["category"].is_null()).expect("cases opened");
    let values = opened["values"].as_array().unwrap();
    assert_eq!(values.len(), 3);
    // Westshire's 3 new cases are withheld; Eastshire's 9 and Northshire's 12 are published.
    assert_eq!(values[2]["status"], "suppressed", "{opened}");
    assert!(values[2]["value"].is_null());
    // Perturbed by at most 2 (the cell key method), never below the threshold.
    assert!((7.0..=11.0).contains(&values[0]["value"].as_f64().unwrap()), "{opened}");
    assert!((10.0..=14.0).contains(&values[1]["value"].as_f64().unwrap()), "{opened}");
    let shared = r.body["shared_challenges"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{}", r.body["shared_challenges"]);
    let regions: Vec<&str> = shared[0].as_array().unwrap().iter().map(|c| c["network"].as_str().unwrap()).collect();
    assert_eq!(regions, ["Northshire", "Westshire"]);
    assert_eq!(r.body["other_challenges"].as_array().unwrap().len(), 2);
    // With no period asked, the newest.
    let r = forum.get("/api/v1/forum/comparison", &token(Role::Commissioner, None)).await;
    assert_eq!(r.body["from"], from);
    let partner = forum.agency("Forum Secretariat", "ngo").await;
    forum.get("/api/v1/forum/comparison", &token(Role::Partner, Some(partner))).await.problem(403);

    // Every import and registration is on the forum's trail.
    assert_eq!(forum.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'forum_bundle' AND action = 'C'").await, 3);
    assert_eq!(forum.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'forum_network' AND action = 'C'").await, 4);
}
