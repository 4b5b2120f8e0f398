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

    // Every change is on the trail, with the refusals.
    let changes = app.count(&format!("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'challenge' AND entity_id = '{id}' AND outcome = 'success' AND action <> 'read'")).await;
    assert!(changes >= 3, "{changes}");
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
