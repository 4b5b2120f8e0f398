//! The network's own work (issue 25): the challenge board and network actions on the same
//! ledger as casework. Story 5 at the network's level: the housing association raises what keeps
//! happening, the coordinator takes it on and gives the police an action, the police close it.

use fourthp_domain::principal::Role;
use serde_json::json;

use crate::support::*;

const TITLE: &str = "Housing providers refuse referrals without ID";
const WHAT: &str = "Three providers in the north of the county have turned people away this month because they have no identity documents.";

#[actix_web::test]
async fn a_partner_raises_a_challenge_and_the_network_works_it_to_resolved() {
    let app = TestApp::init().spawn().await;
    let (_, coordinator) = app.coordinator().await;
    let housing = app.agency("Hope Housing Association", "local_authority_housing").await;
    let police = app.agency("Northshire Police", "police").await;
    let red_cross = app.agency("British Red Cross Northshire", "red_cross").await;
    let housing_partner = token(Role::Partner, Some(housing));
    let police_partner = token(Role::Partner, Some(police));
    let red_cross_partner = token(Role::Partner, Some(red_cross));

    // The housing association works on the car-wash man's case, and links it.
    let case = app.open_case(&coordinator, car_wash_man()).await;
    let case_id = case["id"].as_str().unwrap();
    let reference = case["reference"].as_str().unwrap();
    let r = app.call(awc::http::Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&coordinator), Some(json!({}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);

    let raise = json!({"title": TITLE, "description": WHAT, "urgency": "soon", "sectors": ["local_authority_housing"],
        "agencies": [housing], "cases": [reference]});
    let r = app.post("/api/v1/challenges", &housing_partner, raise).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["status"], "raised");
    assert_eq!(r.body["number"], 1);
    assert_eq!(r.header("location"), Some(format!("/api/v1/challenges/{id}")));

    // Every member reads the board; only coordinators see the linked case.
    let r = app.get(&format!("/api/v1/challenges/{id}"), &red_cross_partner).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["title"], TITLE);
    assert!(r.body.get("case_references").is_none(), "{}", r.body);
    assert!(!r.text.contains(reference));
    let r = app.get(&format!("/api/v1/challenges/{id}"), &coordinator).await;
    assert_eq!(r.body["case_references"], json!([reference]));
    for role in [Role::Commissioner, Role::Auditor, Role::Admin] {
        app.get(&format!("/api/v1/challenges/{id}"), &token(role, None)).await.problem(403);
        app.get("/api/v1/challenges", &token(role, None)).await.problem(403);
    }
    let r = app.get("/api/v1/challenges", &police_partner).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);

    // Partners do not decide; the lifecycle is kept; a decision needs the version read.
    let decisions = format!("/api/v1/challenges/{id}/decisions");
    let decide = |to: &str, note: Option<&str>| json!({"to": to, "note": note});
    let r = app.send(
        awc::http::Method::POST,
        &decisions,
        Some(&housing_partner),
        Some((decide("accepted", None).to_string().into_bytes(), "application/json")),
        &[("if-match", "\"1\"")],
    );
    r.await.problem(403);
    let post_decision = |body: serde_json::Value, etag: &'static str| {
        let app = &app;
        let decisions = decisions.clone();
        let coordinator = coordinator.clone();
        async move {
            app.send(
                awc::http::Method::POST,
                &decisions,
                Some(&coordinator),
                Some((body.to_string().into_bytes(), "application/json")),
                &[("if-match", etag)],
            )
            .await
        }
    };
    let r = post_decision(decide("resolved", Some("Nothing")), "\"1\"").await;
    assert_eq!(r.status.as_u16(), 409, "{}", r.text);
    assert_eq!(r.body["rule"], "challenge_lifecycle");
    assert!(r.body["detail"].as_str().unwrap().contains("cannot be resolved before it is accepted"), "{}", r.text);
    let r = post_decision(decide("declined", None), "\"1\"").await;
    assert_eq!(r.problem(422), ["note"]);
    let r = post_decision(decide("accepted", None), "\"7\"").await;
    assert_eq!(r.status.as_u16(), 412, "{}", r.text);
    let r = post_decision(decide("accepted", None), "\"1\"").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["status"], "accepted");
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));

    // The police are given an action on the same ledger as casework.
    let actions = format!("/api/v1/challenges/{id}/actions");
    let r = app
        .post(
            &actions,
            &police_partner,
            json!({"description": "Agree a letter of identity for people without documents", "owner_agency_id": police, "due_on": day(14)}),
        )
        .await;
    r.problem(403);
    let r = app.post(&actions, &coordinator, json!({"description": "", "owner_agency_id": police, "due_on": "14/01/2027"})).await;
    assert_eq!(r.problem(422), ["description", "due_on"]);
    let r = app
        .post(
            &actions,
            &coordinator,
            json!({"description": "Agree a letter of identity for people without documents", "owner_agency_id": police, "due_on": day(14)}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let action = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["challenge_id"], id.as_str());
    assert!(r.body["case_id"].is_null());
    assert_eq!(r.header("location"), Some(format!("/api/v1/challenges/{id}/actions/{action}")));
    assert_eq!(app.get(&format!("/api/v1/challenges/{id}/actions/{action}"), &red_cross_partner).await.status.as_u16(), 200);

    // On the police's list of what they owe, not on the Red Cross's.
    let r = app.get("/api/v1/actions?status=open", &police_partner).await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["id"], action.as_str());
    let r = app.get("/api/v1/actions?status=open", &red_cross_partner).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0, "{}", r.text);

    // Only the owner (or a coordinator) closes it.
    let patch = json!({"status": "done", "note": "Letter agreed with the custody team; template sent to members."});
    app.patch(&format!("/api/v1/actions/{action}"), &red_cross_partner, "\"1\"", patch.clone()).await.problem(403);
    let r = app.patch(&format!("/api/v1/actions/{action}"), &police_partner, "\"1\"", patch).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["status"], "done");

    let r = post_decision(decide("resolved", Some("Providers accept the police letter of identity.")), "\"2\"").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(r.body["resolved_on"], today().to_string());
    let r = app.post(&actions, &coordinator, json!({"description": "One more", "owner_agency_id": police, "due_on": day(3)})).await;
    assert_eq!(r.status.as_u16(), 409, "{}", r.text);

    let r = app.get(&format!("/api/v1/challenges/{id}"), &police_partner).await;
    let steps: Vec<&str> = r.body["decisions"].as_array().unwrap().iter().map(|d| d["to"].as_str().unwrap()).collect();
    assert_eq!(steps, ["raised", "accepted", "resolved"]);
    assert_eq!(r.body["actions"][0]["status"], "done");

    // Every change is on the trail (raised, the case linked, on the case's trail too, accepted,
    // resolved), with the refusals (the read
    // log writes its batches within a few milliseconds).
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    let changes = app.count(&format!("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'challenge' AND entity_id = '{id}' AND outcome = 'success' AND action IN ('C', 'U')")).await;
    assert_eq!(changes, 4);
    // The report's network lines: raised and resolved, days to resolve, actions on time by kind.
    use chrono::Datelike;
    let first = today().with_day(1).unwrap();
    let last = (first + chrono::Duration::days(32)).with_day(1).unwrap().pred_opt().unwrap();
    let r = app.get(&format!("/api/v1/reports/outcomes?from={first}&to={last}&exact=true"), &coordinator).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let figure = |measure: &str, category: Option<&str>, stat: &str| -> Option<f64> {
        r.body["sections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["measures"].as_array().unwrap())
            .filter(|m| m["id"] == measure)
            .flat_map(|m| m["figures"].as_array().unwrap())
            .find(|f| f["category"].as_str() == category && f["statistic"] == stat)
            .and_then(|f| f["value"].as_f64())
    };
    assert_eq!(figure("network.challenges", None, "resolved"), Some(1.0), "{}", r.text);
    assert_eq!(figure("network.challenges", None, "waiting"), Some(0.0));
    assert_eq!(figure("network.days_to_resolve", None, "count"), Some(1.0));
    assert_eq!(figure("network.days_to_resolve", None, "median_days"), Some(0.0));
    assert_eq!(figure("network.actions_by_agency_kind", Some("police"), "done_by_due_date"), Some(1.0));
    // The casework's action measure does not count the network's.
    assert_eq!(figure("actions.by_due_date", None, "done_by_due_date"), Some(0.0));
    let on_case =
        app.count(&format!("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'challenge' AND case_id = '{case_id}'")).await;
    assert_eq!(on_case, 1);
    let refused = app.count("SELECT count(*) AS n FROM audit_records WHERE outcome = 'denied'").await;
    assert!(refused >= 4, "{refused}");
}

#[actix_web::test]
async fn personal_data_is_warned_of_before_it_reaches_the_board() {
    let app = TestApp::init().spawn().await;
    let (_, coordinator) = app.coordinator().await;
    let housing = app.agency("Hope Housing Association", "local_authority_housing").await;
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let housing_partner = token(Role::Partner, Some(housing));
    let gp_partner = token(Role::Partner, Some(gp));
    // This man's case shares his name with the team; the housing association is on it.
    let mut marek = car_wash_man();
    marek["known_as"] = json!("Marek");
    marek["consent"]["data_sharing"] = json!("share");
    let case = app.open_case(&coordinator, marek).await;
    let case_id = case["id"].as_str().unwrap();
    let reference = case["reference"].as_str().unwrap().to_owned();
    let r = app.call(awc::http::Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&coordinator), Some(json!({}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);

    let about = |description: &str, confirmed: bool| json!({"title": "Children placed out of area", "description": description, "urgency": "urgent", "personal_data_confirmed": confirmed});
    let r = app
        .post(
            "/api/v1/challenges",
            &housing_partner,
            about(&format!("Marek was moved again (case {reference}); call 07700 900123."), false),
        )
        .await;
    assert_eq!(r.status.as_u16(), 409, "{}", r.text);
    assert_eq!(r.body["type"], "urn:fourthp:problem:personal-data");
    let said: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(said.iter().any(|m| m.contains(&reference) && m.contains("case reference")), "{said:?}");
    assert!(said.iter().any(|m| m.contains("“Marek”")), "{said:?}");
    assert!(said.iter().any(|m| m.contains("telephone")), "{said:?}");
    assert_eq!(app.count("SELECT count(*) AS n FROM challenges").await, 0);

    // The GP practice is not on that case: the name is not compared for it (no oracle of who
    // is on the books), though a reference's shape is warned of for anyone.
    let r = app.post("/api/v1/challenges", &gp_partner, about("Marek was moved again.", false)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let r = app.post("/api/v1/challenges", &gp_partner, about("See 2026-000999.", false)).await;
    assert_eq!(r.status.as_u16(), 409, "{}", r.text);

    // A case the writer cannot see cannot be linked, and reads as no case at all.
    let r = app
        .post("/api/v1/challenges", &gp_partner, json!({"title": "x", "description": "y", "urgency": "routine", "cases": [reference]}))
        .await;
    assert_eq!(r.problem(422), ["cases[0]"]);

    // Confirmed: saved as written.
    let r = app.post("/api/v1/challenges", &housing_partner, about("Marek was moved again.", true)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let r = app
        .post("/api/v1/challenges", &housing_partner, json!({"title": "", "description": "", "urgency": "whenever", "sectors": ["bakers"]}))
        .await;
    let mut fields = r.problem(422);
    fields.sort();
    assert_eq!(fields, ["description", "sectors[0]", "title", "urgency"]);
}

/// A meeting's agenda is prepared from the board and the ledger since the meeting before; its
/// invitation is an RFC 5545 event; what is decided at it makes its minutes.
#[actix_web::test]
async fn a_meeting_has_an_agenda_an_invitation_and_minutes() {
    let app = TestApp::init().spawn().await;
    let (_, coordinator) = app.coordinator().await;
    let housing = app.agency("Hope Housing Association", "local_authority_housing").await;
    let police = app.agency("Northshire Police", "police").await;
    let housing_partner = token(Role::Partner, Some(housing));

    // Scheduling: coordinators only, times checked.
    let meeting = |starts: String, ends: String| json!({"title": "Northshire anti-slavery network meeting", "starts_at": starts, "ends_at": ends, "place": "Town hall, committee room 2"});
    app.post("/api/v1/meetings", &housing_partner, meeting(format!("{}T10:00", day(3)), format!("{}T12:00", day(3)))).await.problem(403);
    let r = app.post("/api/v1/meetings", &coordinator, meeting(format!("{}T12:00", day(3)), format!("{}T10:00", day(3)))).await;
    assert_eq!(r.problem(422), ["ends_at"]);
    let r = app.post("/api/v1/meetings", &coordinator, meeting("next Thursday".into(), format!("{}T10:00", day(3)))).await;
    assert_eq!(r.problem(422), ["starts_at"]);
    let r = app.post("/api/v1/meetings", &coordinator, meeting(format!("{}T10:00", day(-60)), format!("{}T12:00", day(-60)))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let earlier = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post("/api/v1/meetings", &coordinator, meeting(format!("{}T10:00", day(3)), format!("{}T12:00", day(3)))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let next = r.body["id"].as_str().unwrap().to_owned();

    // Raised since the meeting before; accepted and an action given out at the next.
    let r = app.post("/api/v1/challenges", &housing_partner, json!({"title": TITLE, "description": WHAT, "urgency": "soon"})).await;
    let challenge = r.body["id"].as_str().unwrap().to_owned();
    let decide = |body: serde_json::Value| {
        let (app, path, coordinator) = (&app, format!("/api/v1/challenges/{challenge}/decisions"), coordinator.clone());
        async move {
            app.send(
                awc::http::Method::POST,
                &path,
                Some(&coordinator),
                Some((body.to_string().into_bytes(), "application/json")),
                &[("if-match", "\"1\"")],
            )
            .await
        }
    };
    let r = decide(json!({"to": "accepted", "meeting_id": uuid::Uuid::now_v7()})).await;
    assert_eq!(r.problem(422), ["meeting_id"]);
    let r = decide(json!({"to": "accepted", "meeting_id": next})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/challenges/{challenge}/actions"),
            &coordinator,
            json!({"description": "Agree a letter of identity", "owner_agency_id": police, "due_on": day(2), "meeting_id": next}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let action = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["meeting_id"], next.as_str());
    let r = app
        .post(
            &format!("/api/v1/meetings/{next}/notes"),
            &coordinator,
            json!({"note": "Police to draft the letter with the custody team.", "challenge_id": challenge}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    app.post(&format!("/api/v1/meetings/{next}/notes"), &housing_partner, json!({"note": "x"})).await.problem(403);
    let r = app.post(&format!("/api/v1/meetings/{next}/notes"), &coordinator, json!({"note": ""})).await;
    assert_eq!(r.problem(422), ["note"]);

    // The agenda: the new challenge, the action due by the meeting, the whole months between.
    let r = app.get(&format!("/api/v1/meetings/{next}"), &coordinator).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["previous_meeting_id"], earlier.as_str());
    assert_eq!(r.body["new_challenges"][0]["id"], challenge.as_str());
    assert_eq!(r.body["in_hand"][0]["id"], challenge.as_str());
    assert_eq!(r.body["actions_due"][0]["id"], action.as_str());
    assert!(r.body["figures_from"].is_string() && r.body["figures_to"].is_string(), "{}", r.text);
    // Partners read the agenda; the figures are for those who may pull the report.
    let r = app.get(&format!("/api/v1/meetings/{next}"), &housing_partner).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert!(r.body.get("figures").is_none());
    app.get(&format!("/api/v1/meetings/{next}"), &token(Role::Commissioner, None)).await.problem(403);
    let r = app.get(&format!("/api/v1/meetings/{earlier}"), &coordinator).await;
    assert_eq!(r.body["new_challenges"], json!([]));

    // The invitation, read by an independent iCalendar parser.
    let r = app.get(&format!("/api/v1/meetings/{next}/invitation.ics"), &housing_partner).await;
    assert_eq!(r.status.as_u16(), 200);
    let parsed = crate::peers::parse_ics(&r.text).expect("the icalendar package parses the invitation");
    let event = &parsed["events"][0];
    assert_eq!(event["summary"], "Northshire anti-slavery network meeting");
    assert!(event["dtstart"].as_str().unwrap().starts_with(&day(3)), "{event}");
    assert!(event["description"].as_str().unwrap().contains(&format!("/app/meetings/{next}")));

    // The minutes: the decision, the note and the action, each against its item.
    let r = app.get(&format!("/api/v1/meetings/{next}/minutes"), &housing_partner).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["decisions"][0]["to"], "accepted");
    assert_eq!(r.body["notes"][0]["challenge_id"], challenge.as_str());
    assert_eq!(r.body["actions"][0]["id"], action.as_str());
    // The partners' list of what they owe has it at once.
    let r = app.get("/api/v1/actions?status=open", &token(Role::Partner, Some(police))).await;
    assert_eq!(r.body["items"][0]["id"], action.as_str(), "{}", r.text);
}

/// The network's actions are announced to the owner's systems like a case's: when given out, and
/// when they come due (once each), by challenge number and links, never a case.
#[actix_web::test]
async fn the_networks_actions_reach_the_owners_webhooks() {
    let app = TestApp::init().spawn().await;
    let (_, coordinator) = app.coordinator().await;
    let police = app.agency("Northshire Police", "police").await;
    let admin = token(Role::Admin, None);
    // An endpoint of the police's system (nothing here sends: the outbox is what is checked).
    let r = app
        .post(
            &format!("/api/v1/agencies/{police}/webhooks"),
            &admin,
            json!({"url": "http://127.0.0.1:9/hooks", "events": ["action.created", "action.due_soon"]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let r = app.post("/api/v1/challenges", &coordinator, json!({"title": TITLE, "description": WHAT, "urgency": "urgent"})).await;
    let challenge = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .send(
            awc::http::Method::POST,
            &format!("/api/v1/challenges/{challenge}/decisions"),
            Some(&coordinator),
            Some((json!({"to": "accepted"}).to_string().into_bytes(), "application/json")),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/challenges/{challenge}/actions"),
            &coordinator,
            json!({"description": "Agree a letter of identity", "owner_agency_id": police, "due_on": day(1)}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let action = r.body["id"].as_str().unwrap().to_owned();

    let db = fourthp_persistence::connect(&app.db_url, 2, std::time::Duration::from_secs(5)).unwrap();
    for _ in 0..2 {
        fourthp_persistence::notices::announce_due(&db, chrono::Utc::now()).await.unwrap();
    }
    // The outbox keeps each notice's facts; the envelope and links are made when it is sent.
    let topics = app.strings("SELECT topic AS v FROM outbox WHERE channel = 'webhook' ORDER BY created_at").await;
    assert_eq!(topics, ["action.created", "action.due_soon"]);
    let payloads = app.strings("SELECT payload::text AS v FROM outbox WHERE channel = 'webhook' ORDER BY created_at").await;
    for payload in &payloads {
        let p: serde_json::Value = serde_json::from_str(payload).unwrap();
        assert_eq!(p["challenge_id"], challenge.as_str());
        assert_eq!(p["challenge_number"], 1);
        assert_eq!(p["action_id"], action.as_str());
        assert!(p.get("case_id").is_none());
    }
}
