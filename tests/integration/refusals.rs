//! Every refusal is recorded, exactly once: each operation of the OpenAPI document, called as
//! each role that is not on a case against that case (and its children), leaves one denied (or
//! failed) audit record when it is answered 403 or 404, and none otherwise.

use std::collections::HashMap;

use actix_web::http::Method;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

/// The record of a request, by its `X-Request-Id`.
async fn refusal_records(app: &TestApp, request_id: &str) -> i64 {
    app.count(&format!("SELECT count(*) AS n FROM audit_records WHERE request_id = '{request_id}' AND outcome IN ('denied', 'failed')"))
        .await
}

/// One record of each kind a case holds, by id.
struct Children {
    event: String,
    intervention: String,
    action: String,
    need: String,
    outcome: String,
    deadline: String,
}

/// Records one of each child on `case`, the intervention with and the action owed by `owner`.
async fn one_of_each_child(app: &TestApp, vcc: &str, case: &str, owner: AgencyId) -> Children {
    let event = app.event_ok(case, vcc, json!({"type": "support_started", "date": day(-20)})).await;
    let post = |path: String, body: Value| async move {
        let r = app.post(&path, vcc, body).await;
        assert_eq!(r.status.as_u16(), 201, "{path}: {}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    };
    let intervention = post(
        format!("/api/v1/cases/{case}/interventions"),
        json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": owner, "occurred_at": format!("{}T10:00:00Z", day(-2)),
               "need_domain": "health_gp", "summary": "Call about GP registration", "duration_minutes": 10}),
    )
    .await;
    let action =
        post(format!("/api/v1/cases/{case}/actions"), json!({"description": "Find a bed", "owner_agency_id": owner, "due_on": day(5)}))
            .await;
    let need = post(format!("/api/v1/cases/{case}/needs"), json!({"domain": "health_gp", "identified_on": day(-9)})).await;
    let outcome = post(format!("/api/v1/cases/{case}/outcomes"), json!({"outcome": "lost_contact", "achieved_on": day(0)})).await;
    let deadline = app.deadlines(case, vcc).await["gp_access"]["id"].as_str().unwrap().to_owned();
    Children { event, intervention, action, need, outcome, deadline }
}

#[actix_web::test]
async fn every_refusal_of_every_operation_leaves_exactly_one_denied_record() {
    let app = TestApp::init().spawn().await;
    let (own_agency, vcc) = app.coordinator().await;
    let elsewhere = app.agency("Elsewhere NGO", "ngo").await;
    // A case with one of each child, none of it the outsiders'.
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let Children { event, intervention, action, need, outcome, deadline } = one_of_each_child(&app, &vcc, &case, own_agency).await;
    // A challenge on the network's board, with a network action.
    let raised = app
        .post(
            "/api/v1/challenges",
            &vcc,
            json!({"title": "Referrals refused without ID", "description": "Providers refuse.", "urgency": "soon"}),
        )
        .await;
    let challenge = raised.body["id"].as_str().unwrap().to_owned();
    let accepted = app
        .send(
            Method::POST,
            &format!("/api/v1/challenges/{challenge}/decisions"),
            Some(&vcc),
            Some((json!({"to": "accepted"}).to_string().into_bytes(), "application/json")),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(accepted.status.as_u16(), 200, "{}", accepted.text);
    let given = app
        .post(
            &format!("/api/v1/challenges/{challenge}/actions"),
            &vcc,
            json!({"description": "Write to providers", "owner_agency_id": own_agency, "due_on": day(7)}),
        )
        .await;
    let network_action = given.body["id"].as_str().unwrap().to_owned();
    let scheduled = app.post("/api/v1/meetings", &vcc, json!({"title": "Network meeting", "starts_at": format!("{}T10:00", day(3)), "ends_at": format!("{}T12:00", day(3)), "place": "Town hall"})).await;
    let meeting = scheduled.body["id"].as_str().unwrap().to_owned();
    let asked = app.post(&format!("/api/v1/cases/{case}/subject-access-requests"), &vcc, json!({"received_on": day(-2)})).await;
    let request = asked.body["id"].as_str().unwrap().to_owned();

    let ids: HashMap<&str, String> = HashMap::from([
        ("event_id", event),
        ("intervention_id", intervention),
        ("action_id", action.clone()),
        ("need_id", need.clone()),
        ("outcome_id", outcome),
        ("deadline_id", deadline.clone()),
        ("agency_id", own_agency.to_string()),
        ("request_id", request),
    ]);
    let challenge_ids: HashMap<&str, String> = HashMap::from([("action_id", network_action)]);
    let concrete = |template: &str| -> String {
        let mut path = template.to_owned();
        let first = if template.starts_with("/api/v1/cases/") {
            case.clone()
        } else if template.starts_with("/api/v1/actions/") {
            action.clone()
        } else if template.starts_with("/api/v1/needs/") {
            need.clone()
        } else if template.starts_with("/api/v1/deadlines/") {
            deadline.clone()
        } else if template.starts_with("/api/v1/challenges/") {
            challenge.clone()
        } else if template.starts_with("/api/v1/meetings/") {
            meeting.clone()
        } else {
            own_agency.to_string()
        };
        path = path.replace("{id}", &first);
        let ids = if template.starts_with("/api/v1/challenges/") { &challenge_ids } else { &ids };
        for (name, id) in ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        path
    };
    // Bodies a coordinator could send, so that what answers is the access policy.
    let body = |method: &str, template: &str| -> Option<Value> {
        Some(match (method, template) {
            ("POST", "/api/v1/cases") => car_wash_man(),
            ("PATCH", "/api/v1/cases/{id}") => json!({"local_authority": "Southshire"}),
            ("POST", "/api/v1/cases/{id}/events") => {
                json!({"type": "nrm_referral_submitted", "date": day(-1), "first_responder_agency_id": own_agency})
            }
            ("POST", "/api/v1/cases/{id}/interventions") => {
                json!({"channel": "email", "direction": "outbound", "counterpart_agency_id": elsewhere,
                "occurred_at": format!("{}T10:00:00Z", day(-1)), "summary": "Emailed about housing"})
            }
            ("POST", "/api/v1/cases/{id}/actions") => json!({"description": "Call back", "owner_agency_id": own_agency, "due_on": day(3)}),
            ("POST", "/api/v1/cases/{id}/needs") => json!({"domain": "accommodation", "identified_on": day(-1)}),
            ("POST", "/api/v1/cases/{id}/outcomes") => json!({"outcome": "lost_contact", "achieved_on": day(0)}),
            ("PUT", "/api/v1/cases/{id}/team/{agency_id}") => json!({}),
            ("PATCH", "/api/v1/actions/{id}") => json!({"status": "done", "note": "Done"}),
            ("PATCH", "/api/v1/needs/{id}") => json!({"status": "met", "met_on": day(0)}),
            ("POST", "/api/v1/deadlines/{id}/waive") => json!({"reason": "Not needed"}),
            ("POST", "/api/v1/agencies") => json!({"name": "Another NGO", "kind": "ngo"}),
            ("PATCH", "/api/v1/agencies/{id}") => json!({"name": "Renamed"}),
            ("POST", "/api/v1/challenges/{id}/decisions") => json!({"to": "being_worked"}),
            ("POST", "/api/v1/meetings") => {
                json!({"title": "Another", "starts_at": format!("{}T10:00", day(4)), "ends_at": format!("{}T11:00", day(4)), "place": "Online"})
            }
            ("POST", "/api/v1/meetings/{id}/notes") => json!({"note": "Noted"}),
            ("POST", "/api/v1/challenges/{id}/actions") => {
                json!({"description": "Call back", "owner_agency_id": own_agency, "due_on": day(3)})
            }
            ("POST", "/api/v1/cases/{id}/subject-access-requests") => json!({"received_on": day(-1)}),
            ("PUT", "/api/v1/agencies/{id}/identity-provider") => {
                json!({"issuer": "https://idp.example", "client_id": "fourthp", "client_secret": "secret"})
            }
            ("POST", "/api/v1/forum/networks") => json!({"name": "Westshire", "public_key": "00".repeat(32)}),
            ("POST", "/api/v1/forum/bundles") => {
                json!({"format": "fourthp-forum-bundle-v1", "content": {}, "public_key": "00".repeat(32), "signature": "00".repeat(64)})
            }
            _ => return None,
        })
    };
    let spec = app.call(Method::GET, "/openapi.json", None, None).await.body;
    let outsiders = [
        ("partner of another agency", token_for(&principal(Role::Partner, Some(elsewhere), "outside-partner"))),
        ("commissioner", token(Role::Commissioner, None)),
        ("auditor", token(Role::Auditor, None)),
        ("administrator", token(Role::Admin, None)),
    ];
    let mut calls = Vec::new();
    for (template, operations) in spec["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let mut path = concrete(template);
            if template == "/api/v1/reports/outcomes" || template == "/api/v1/forum/bundle" {
                path.push_str("?from=2026-01-01&to=2026-01-31");
            }
            for (who, token) in &outsiders {
                let raw = body(&method, template).map(|b| (b.to_string().into_bytes(), "application/json"));
                let headers: &[(&str, &str)] = if method == "PATCH" { &[("if-match", "\"1\"")] } else { &[] };
                let r = app.send(Method::from_bytes(method.as_bytes()).unwrap(), &path, Some(token), raw, headers).await;
                calls.push((format!("{method} {template} as {who}"), r.status.as_u16(), r.header("x-request-id").unwrap()));
            }
        }
    }
    // The read log writes in batches within a few milliseconds.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut refusals = 0;
    for (call, status, request_id) in &calls {
        let expected = i64::from(matches!(status, 403 | 404));
        refusals += expected;
        assert_eq!(refusal_records(&app, request_id).await, expected, "{call} answered {status}");
    }
    assert!(refusals > 120, "most calls are refusals: {refusals} of {}", calls.len());
    // A partner trying to put itself on the case, the data protection officer's example.
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{case}/team/{elsewhere}"), Some(&outsiders[0].1), Some(json!({}))).await;
    r.problem(404);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    let id = r.header("x-request-id").unwrap();
    let row = app
        .strings(&format!(
            "SELECT action || ' ' || outcome || ' ' || entity_type || ' ' || coalesce(case_id::text, '-') AS v FROM audit_records WHERE request_id = '{id}'"
        ))
        .await;
    assert_eq!(row, [format!("U denied case_team {case}")]);
}

/// A child that is not there, under a case the caller may see, is a failed lookup, not a read.
#[actix_web::test]
async fn a_missing_child_is_a_failed_lookup_and_lists_record_each_case_shown() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let other = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let r = app.get(&format!("/api/v1/cases/{case}/needs/{}", uuid::Uuid::now_v7()), &vcc).await;
    r.problem(404);
    let missing = r.header("x-request-id").unwrap();
    let r = app.get("/api/v1/cases", &vcc).await;
    let listing = r.header("x-request-id").unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let rows = app
        .strings(&format!("SELECT action || ' ' || outcome || ' ' || entity_type AS v FROM audit_records WHERE request_id = '{missing}'"))
        .await;
    assert_eq!(rows, ["R failed need"]);
    let mut listed = app
        .strings(&format!(
            "SELECT case_id::text || ' ' || purpose AS v FROM audit_records WHERE request_id = '{listing}' AND outcome = 'success'"
        ))
        .await;
    listed.sort();
    let mut expected = vec![format!("{case} case_list"), format!("{other} case_list")];
    expected.sort();
    assert_eq!(listed, expected);
}

/// A child record read through another case's path is a refusal on the trail, naming the caller,
/// the path's case and the object, for a coordinator and for a partner on both cases alike; the
/// answer is the same 404 as for a record that does not exist.
#[actix_web::test]
async fn a_child_read_through_another_cases_path_is_a_recorded_refusal() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let housing = app.agency("Riverside Housing Association", "local_authority_housing").await;
    let open = || async { app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned() };
    let (a, b) = (open().await, open().await);
    for case in [&a, &b] {
        let r = app.call(Method::PUT, &format!("/api/v1/cases/{case}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
        assert!(r.status.is_success(), "{}", r.text);
    }
    // One of each child kind, on case B, the action owed by the housing association.
    let Children { event, intervention, action, need, outcome, deadline } = one_of_each_child(&app, &vcc, &b, housing).await;
    let partner = token_for(&principal(Role::Partner, Some(housing), "housing-officer"));
    let children = [
        ("events", "case_event", &event),
        ("interventions", "intervention", &intervention),
        ("actions", "action", &action),
        ("needs", "need", &need),
        ("outcomes", "outcome", &outcome),
        ("deadlines", "deadline", &deadline),
    ];
    for (who, token) in [("coordinator", &vcc), ("partner", &partner)] {
        for (segment, entity, id) in children {
            // The object exists under B; asked for under A.
            let r = app.get(&format!("/api/v1/cases/{a}/{segment}/{id}"), token).await;
            assert!(matches!(r.status.as_u16(), 403 | 404), "{who} {segment}: {}", r.status);
            let request = r.header("x-request-id").unwrap();
            actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
            let rows = app
                .strings(&format!(
                    "SELECT action || ' ' || outcome || ' ' || entity_type || ' ' || coalesce(entity_id::text, '-') || ' ' || coalesce(case_id::text, '-') \
                     || ' ' || agent_sub AS v FROM audit_records WHERE request_id = '{request}'"
                ))
                .await;
            let sub = if who == "coordinator" { "" } else { "housing-officer" };
            assert_eq!(rows.len(), 1, "{who} {segment}: {rows:?}");
            let expected = format!("R denied {entity} {id} {a} ");
            assert!(rows[0].starts_with(&expected), "{who} {segment}: {rows:?}, expected {expected}…");
            assert!(rows[0].ends_with(sub), "{who} {segment}: {rows:?}");
        }
    }
}
