//! Every change leaves exactly one audit record, written in the change's transaction, and the
//! trail cannot be changed.

use actix_web::http::Method;
use fourthp_domain::audit::{AuditAction, EntityType};
use fourthp_domain::principal::Role;
use fourthp_persistence::audit::for_entity;
use serde_json::json;

use crate::support::*;

#[actix_web::test]
async fn every_write_leaves_exactly_one_record() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let r = app
        .send(
            Method::POST,
            "/api/v1/agencies",
            Some(&admin),
            Some((json!({"name": "Northshire Police", "kind": "police"}).to_string().into_bytes(), "application/json")),
            &[("x-request-id", "audit-test-1")],
        )
        .await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("audit-test-1"));
    let agency = uuid::Uuid::parse_str(r.body["id"].as_str().unwrap()).unwrap();
    let records = for_entity(&app.db, EntityType::Agency, agency).await.unwrap();
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec.action, AuditAction::Create);
    assert_eq!(rec.agent_role, "admin");
    assert_eq!(rec.agent_sub, "admin-1");
    assert_eq!(rec.request_id, "audit-test-1");
    assert_eq!(rec.client_address.as_deref(), Some("127.0.0.1"));
    assert!(rec.changed_fields.contains(&"name".to_owned()));

    // An update records the fields that changed; a no-op records nothing.
    app.patch(&format!("/api/v1/agencies/{agency}"), &admin, "\"1\"", json!({"active": false, "name": "Northshire Police"})).await;
    app.patch(&format!("/api/v1/agencies/{agency}"), &admin, "\"2\"", json!({"active": false})).await;
    let records = for_entity(&app.db, EntityType::Agency, agency).await.unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].action, AuditAction::Update);
    assert_eq!(records[1].changed_fields, ["active"]);

    // Cases and their team.
    let (vcc_agency, vcc) = app.coordinator().await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let case_id = uuid::Uuid::parse_str(case["id"].as_str().unwrap()).unwrap();
    let path = format!("/api/v1/cases/{case_id}");
    app.patch(&path, &vcc, "\"1\"", json!({"known_as": "A.M.", "interpreter_needed": false})).await;
    let gp = app.agency("Riverside GP", "health_gp").await;
    let team = format!("{path}/team/{gp}");
    app.call(Method::PUT, &team, Some(&vcc), Some(json!({"role": "GP practice"}))).await;
    app.call(Method::PUT, &team, Some(&vcc), Some(json!({"role": "GP practice"}))).await; // no change
    app.call(Method::DELETE, &team, Some(&vcc), None).await;
    // Refused writes change nothing: a stale version leaves no record, the access policy's
    // refusal exactly one (denied, written by the read log within a few milliseconds).
    app.patch(&path, &vcc, "\"1\"", json!({"interpreter_needed": true})).await.problem(412);
    app.patch(&path, &token(Role::Partner, Some(gp)), "\"4\"", json!({"interpreter_needed": true})).await.problem(404);
    let mut denied = 0;
    for _ in 0..50 {
        denied = app.count("SELECT count(*) AS n FROM audit_records WHERE outcome = 'denied'").await;
        if denied > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(denied, 1);

    let case_records: Vec<_> = for_entity(&app.db, EntityType::Case, case_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == fourthp_domain::audit::AuditOutcome::Success)
        .collect();
    let actions: Vec<_> = case_records.iter().map(|r| (r.action, r.changed_fields.clone())).collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0].0, AuditAction::Create);
    assert_eq!(actions[1], (AuditAction::Update, vec!["interpreter_needed".to_owned()]));
    assert!(case_records.iter().all(|r| r.case_id.map(|c| c.into_uuid()) == Some(case_id)));
    assert_eq!(case_records[0].agent_agency_id.map(|a| a.into_uuid()), Some(vcc_agency.into_uuid()));

    let team_records = for_entity(&app.db, EntityType::CaseTeam, gp.into_uuid()).await.unwrap();
    let actions: Vec<_> = team_records.iter().map(|r| r.action).collect();
    assert_eq!(actions, [AuditAction::Create, AuditAction::Delete]);

    // Nothing else was written: 2 agency + 1 coordinator agency + 1 GP agency, 2 case, 2 team,
    // and the one refusal.
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records").await, 9);
    // No personal data in the trail: the alias appears nowhere in it.
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records r WHERE r::text LIKE '%A.M.%'").await, 0);
}

#[actix_web::test]
async fn the_trail_refuses_update_delete_and_truncate() {
    let app = TestApp::init().spawn().await;
    app.agency("Northshire Police", "police").await;
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records").await, 1);
    for sql in ["UPDATE audit_records SET agent_sub = 'someone-else'", "DELETE FROM audit_records", "TRUNCATE audit_records"] {
        let err = app.sql(sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE agent_sub = 'admin-1'").await, 1);
}
