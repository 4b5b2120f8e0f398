//! Subject access (UK GDPR art. 15), story 8 carried on: the survivor asks for everything held
//! about her; the request's month shows on the coordinators' board; the copy holds the whole
//! record, withholds other people's details and staff names, lists who looked (a partner's
//! refused attempt included) and when it will be redacted; the request is marked answered.

use awc::http::Method;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

/// Reads are written to the trail in batches within a few milliseconds: waits for the partner's.
async fn read_log_settled(app: &TestApp, case: &str) {
    for _ in 0..100 {
        let n = app
            .count(&format!(
                "SELECT count(*) AS n FROM audit_records WHERE case_id = '{case}' AND outcome = 'success' AND agent_role = 'partner'"
            ))
            .await;
        if n >= 1 {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_survivor_gets_everything_held_about_her_within_the_month() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let admin = token(Role::Admin, None);
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let housing = app.agency("Northshire Housing", "local_authority_housing").await;
    // A member of staff with an account, and another person on another case.
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "priya.shah@riverside.example", "display_name": "Priya Shah", "role": "partner", "agency_id": gp}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let mut other = car_wash_man();
    other["known_as"] = json!("Marek");
    let other_ref = app.open_case(&vcc, other).await["reference"].as_str().unwrap().to_owned();
    let mut her = car_wash_man();
    her["known_as"] = json!("Lena");
    her["gender"] = json!("female");
    let case = app.open_case(&vcc, her).await;
    let (id, reference) = (case["id"].as_str().unwrap().to_owned(), case["reference"].as_str().unwrap().to_owned());
    for a in [gp, housing] {
        let r = app.call(Method::PUT, &format!("/api/v1/cases/{id}/team/{a}"), Some(&vcc), Some(json!({"role": "GP practice"}))).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }
    app.event_ok(&id, &vcc, json!({"type": "support_started", "date": day(-20)})).await;
    app.event_ok(&id, &vcc, json!({"type": "nrm_referral_submitted", "date": day(-19), "first_responder_agency_id": housing})).await;
    let summary = format!(
        "Lena registered; Priya Shah at reception will call 07700 900123. Marek ({other_ref}) was there too; Lena's case is {reference}."
    );
    let r = app
        .post(
            &format!("/api/v1/cases/{id}/interventions"),
            &vcc,
            json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp, "occurred_at": format!("{}T10:00:00Z", day(-3)),
                   "need_domain": "health_gp", "summary": summary, "duration_minutes": 10,
                   "actions": [{"description": "Book Lena's first appointment; ask for priya@riverside.example", "owner_agency_id": gp, "due_on": day(4)}]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    // A partner not on the team tries to look, and is refused.
    let outsider = token(Role::Partner, Some(app.agency("Elsewhere NGO", "ngo").await));
    app.get(&format!("/api/v1/cases/{id}"), &outsider).await.problem(404);
    let partner = token(Role::Partner, Some(gp));
    assert_eq!(app.get(&format!("/api/v1/cases/{id}"), &partner).await.status.as_u16(), 200);

    // The request: received four days ago, due a calendar month on (a working day).
    let auditor = token(Role::Auditor, None);
    let bad = app.post(&format!("/api/v1/cases/{id}/subject-access-requests"), &auditor, json!({"received_on": "yesterday"})).await;
    assert_eq!(bad.problem(422), ["received_on"]);
    let future = app.post(&format!("/api/v1/cases/{id}/subject-access-requests"), &auditor, json!({"received_on": day(2)})).await;
    assert_eq!(future.problem(422), ["received_on"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM subject_access_requests").await, 0, "nothing kept from a refusal");
    let r = app.post(&format!("/api/v1/cases/{id}/subject-access-requests"), &auditor, json!({"received_on": day(-4)})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let request = r.body["id"].as_str().unwrap().to_owned();
    let received = chrono::NaiveDate::parse_from_str(&day(-4), "%Y-%m-%d").unwrap();
    let due = chrono::NaiveDate::parse_from_str(r.body["due_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let month_on = received.checked_add_months(chrono::Months::new(1)).unwrap();
    assert!(due >= month_on && (due - month_on).num_days() <= 4, "{received} -> {due}");
    assert_eq!(r.body["standing"], "due");
    // Partners, commissioners and administrators may not; a case that does not exist is 404.
    for t in [&partner, &token(Role::Commissioner, None), &admin] {
        app.get(&format!("/api/v1/cases/{id}/subject-access-copy"), t).await.problem(403);
    }
    app.get(&format!("/api/v1/cases/{}/subject-access-copy", uuid::Uuid::now_v7()), &auditor).await.problem(404);

    // It is in the list of open requests (the board's section reads the same list).
    let open = app.get("/api/v1/subject-access-requests", &vcc).await;
    assert_eq!(open.body["items"][0]["case_reference"], reference.as_str(), "{}", open.text);

    // The copy.
    read_log_settled(&app, &id).await;
    let copy = app.get(&format!("/api/v1/cases/{id}/subject-access-copy"), &auditor).await;
    assert_eq!(copy.status.as_u16(), 200, "{}", copy.text);
    let c: &Value = &copy.body;
    assert_eq!(c["person"]["known_as"], "Lena");
    assert_eq!(c["person"]["reference"], reference.as_str());
    assert_eq!(c["person"]["gender"]["words"], "Female");
    assert_eq!(c["events"].as_array().unwrap().len(), 2);
    assert_eq!(c["team"].as_array().unwrap().len(), 3);
    let shown = c["interventions"][0]["summary"].as_str().unwrap();
    assert!(shown.starts_with("Lena registered; [withheld] at reception will call"), "{shown}");
    for gone in ["Priya", "07700", "Marek", other_ref.as_str()] {
        assert!(!shown.contains(gone), "{gone} in {shown}");
    }
    assert!(shown.ends_with(&format!("Lena's case is {reference}.")), "her own reference stays: {shown}");
    let action = c["actions"][0]["description"].as_str().unwrap();
    assert_eq!(action, "Book Lena's first appointment; ask for [withheld]");
    assert_eq!(c["actions"][0]["owed_by"], "Riverside GP Practice");
    assert!(!copy.text.contains("coordinator-1") && !copy.text.contains("\"recorded_by\""), "no member of staff by name");
    // Who looked: her coordinators' agency, the GP practice, and the refused outsider.
    let reads = c["read_by"].as_array().unwrap();
    let by = |agency: &str| reads.iter().find(|r| r["agency"] == agency).cloned().unwrap_or(Value::Null);
    assert!(by("Riverside GP Practice")["reads"].as_i64().unwrap() >= 1, "{reads:?}");
    assert_eq!(by("Elsewhere NGO")["refused"], 1, "{reads:?}");
    assert_eq!(by("Elsewhere NGO")["reads"], 0, "{reads:?}");
    assert_eq!(c["retention"]["redacted_on"], Value::Null, "open cases are kept");
    assert!(c["retention"]["rule"].as_str().unwrap().contains("6 years"));
    assert_eq!(c["requests"][0]["id"], request.as_str());
    // The copy's own read is in the read log, for subject access.
    let mut copies = 0;
    for _ in 0..100 {
        copies = app
            .count(&format!(
                "SELECT count(*) AS n FROM audit_records WHERE case_id = '{id}' AND purpose = 'subject_access' AND agent_role = 'auditor'"
            ))
            .await;
        if copies > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(copies, 1, "the copy's read is in the read log");

    // Answered: off the board; a second answer is a conflict.
    let r = app.post(&format!("/api/v1/cases/{id}/subject-access-requests/{request}/answered"), &vcc, json!({})).await;
    assert_eq!((r.status.as_u16(), r.body["standing"].as_str()), (200, Some("answered")), "{}", r.text);
    app.post(&format!("/api/v1/cases/{id}/subject-access-requests/{request}/answered"), &vcc, json!({})).await.problem(409);
    app.post(&format!("/api/v1/cases/{id}/subject-access-requests/{}/answered", uuid::Uuid::now_v7()), &vcc, json!({})).await.problem(404);
    assert_eq!(app.get("/api/v1/subject-access-requests", &vcc).await.body["items"], json!([]));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'subject_access_request' AND outcome = 'success'").await,
        2,
        "the request and its answer, each audited"
    );
}
