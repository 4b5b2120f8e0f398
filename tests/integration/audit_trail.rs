//! The tamper-evident trail: the hash chain, its verification down to the record, signed
//! checkpoints, who read a record, the change history, and retention.

use fourthp_api::audit_trail::{checkpoint, unhex, SigningKey};
use fourthp_domain::audit::Purpose;
use fourthp_domain::ids::CaseId;
use fourthp_domain::principal::Role;
use fourthp_persistence::{chain, retention};
use serde_json::{json, Value};

use crate::support::*;

async fn verify(app: &TestApp) -> Value {
    let r = app.get("/api/v1/audit/verify", &token(Role::Auditor, None)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    r.body
}

/// A handful of audited writes: returns the case id.
async fn some_history(app: &TestApp) -> String {
    let (_, vcc) = app.coordinator().await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let id = case["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/api/v1/cases/{id}"), &vcc, "\"1\"", json!({"interpreter_needed": false, "known_as": "A.M.2"})).await;
    app.event_ok(&id, &vcc, json!({"type": "support_started", "date": day(-2)})).await;
    id
}

async fn as_superuser(app: &TestApp, statements: &[&str]) {
    for s in statements {
        app.sql(s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

#[actix_web::test]
async fn the_chain_verifies_and_names_a_rewritten_record() {
    let app = TestApp::init().spawn().await;
    some_history(&app).await;
    let report = verify(&app).await;
    assert_eq!(report["valid"], true, "{report}");
    let records = app.count("SELECT count(*) AS n FROM audit_records").await;
    assert_eq!(report["records"], records);
    assert_eq!(report["head_seq"], records);
    assert_eq!(report["pending"], 0);
    // A superuser switches the trigger off and rewrites record 3.
    as_superuser(
        &app,
        &[
            "ALTER TABLE audit_records DISABLE TRIGGER USER",
            "UPDATE audit_records SET agent_sub = 'someone-else' WHERE id = (SELECT audit_id FROM audit_chain WHERE seq = 3)",
            "ALTER TABLE audit_records ENABLE TRIGGER USER",
        ],
    )
    .await;
    let report = verify(&app).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_break"]["seq"], 3, "{report}");
    assert!(report["first_break"]["problem"].as_str().unwrap().contains("has been changed"), "{report}");
}

#[actix_web::test]
async fn deleting_a_record_shows_the_gap() {
    let app = TestApp::init().spawn().await;
    some_history(&app).await;
    assert_eq!(verify(&app).await["valid"], true);
    // Only the record: its link now points at nothing.
    as_superuser(
        &app,
        &[
            "ALTER TABLE audit_records DISABLE TRIGGER USER",
            "DELETE FROM audit_records WHERE id = (SELECT audit_id FROM audit_chain WHERE seq = 4)",
            "ALTER TABLE audit_records ENABLE TRIGGER USER",
        ],
    )
    .await;
    let report = verify(&app).await;
    assert_eq!((report["valid"].as_bool(), report["first_break"]["seq"].as_i64()), (Some(false), Some(4)), "{report}");
    assert!(report["first_break"]["problem"].as_str().unwrap().contains("deleted"));
    // The record and its link: a gap in the sequence.
    as_superuser(
        &app,
        &[
            "ALTER TABLE audit_chain DISABLE TRIGGER USER",
            "DELETE FROM audit_chain WHERE seq = 2",
            "ALTER TABLE audit_chain ENABLE TRIGGER USER",
        ],
    )
    .await;
    let report = verify(&app).await;
    assert_eq!(report["first_break"]["seq"], 2, "{report}");
    assert!(report["first_break"]["problem"].as_str().unwrap().contains("sequence gap"), "{report}");
}

#[actix_web::test]
async fn a_checkpoint_kept_outside_detects_a_rebuilt_chain() {
    let app = TestApp::init().spawn().await;
    some_history(&app).await;
    let key_path = std::env::temp_dir().join(format!("fourthp-audit-key-{}", uuid::Uuid::now_v7()));
    let key = SigningKey::load_or_create(&key_path).unwrap();
    let cp = checkpoint(&app.db, &key, chrono::Utc::now()).await.unwrap();
    assert!(cp.signature_valid());
    let mut forged = cp.clone();
    forged.head_hash = "00".repeat(32);
    assert!(!forged.signature_valid(), "a changed checkpoint must not verify");
    let expect = |cp: &fourthp_api::audit_trail::Checkpoint| (cp.seq, unhex(&cp.head_hash).unwrap());
    let (seq, hash) = expect(&cp);
    assert!(chain::verify(&app.db, Some((seq, &hash))).await.unwrap().is_valid());
    // More work after the checkpoint still extends it.
    some_history(&app).await;
    chain::chain_pending(&app.db, chrono::Utc::now()).await.unwrap();
    assert!(chain::verify(&app.db, Some((seq, &hash))).await.unwrap().is_valid());

    // A superuser rewrites a record and rebuilds the whole chain so that it is consistent again.
    as_superuser(
        &app,
        &[
            "ALTER TABLE audit_records DISABLE TRIGGER USER",
            "ALTER TABLE audit_chain DISABLE TRIGGER USER",
            "UPDATE audit_records SET agent_sub = 'someone-else' WHERE id = (SELECT audit_id FROM audit_chain WHERE seq = 2)",
            "DELETE FROM audit_chain",
            "INSERT INTO audit_pending SELECT id FROM audit_records",
            "ALTER TABLE audit_chain ENABLE TRIGGER USER",
            "ALTER TABLE audit_records ENABLE TRIGGER USER",
        ],
    )
    .await;
    chain::chain_pending(&app.db, chrono::Utc::now()).await.unwrap();
    assert!(chain::verify(&app.db, None).await.unwrap().is_valid(), "on its own, the rebuilt chain is consistent");
    let report = chain::verify(&app.db, Some((seq, &hash))).await.unwrap();
    assert!(!report.is_valid());
    assert_eq!(report.first_break.map(|b| b.seq), Some(seq));
    let _ = std::fs::remove_file(key_path);
}

#[actix_web::test]
async fn concurrent_writers_leave_a_chain_without_gaps() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let replies = futures_util::future::join_all(
        (0..300).map(|i| app.post("/api/v1/agencies", &admin, json!({"name": format!("Agency {i:03}"), "kind": "ngo"}))),
    )
    .await;
    assert!(replies.iter().all(|r| r.status.as_u16() == 201));
    let report = verify(&app).await;
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["records"], 300);
    assert_eq!(report["head_seq"], 300);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_chain").await, 300);
}

/// Story 8: a survivor asks who has looked at her record; the officer lists every read,
/// including a partner's refused attempt, and proves the trail was not edited.
#[actix_web::test]
async fn the_access_log_shows_reads_and_refused_attempts() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    app.get(&format!("/api/v1/cases/{case}"), &vcc).await;
    app.get(&format!("/api/v1/cases/{case}/timeline"), &vcc).await;
    let outsider = token_for(&principal(Role::Partner, Some(app.agency("Elsewhere NGO", "ngo").await), "curious-worker"));
    app.get(&format!("/api/v1/cases/{case}"), &outsider).await.problem(404);
    let auditor = token(Role::Auditor, None);
    // Reads are written in batches within a few milliseconds.
    let mut log = Value::Null;
    for _ in 0..50 {
        log = app.get(&format!("/api/v1/cases/{case}/access-log"), &auditor).await.body;
        if log["items"].as_array().is_some_and(|i| i.len() >= 3) {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let entries: Vec<(&str, &str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["agent_sub"].as_str().unwrap(), e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert!(entries.contains(&("curious-worker", "R", "denied")), "{entries:?}");
    assert_eq!(entries.iter().filter(|e| *e == &("coordinator-1", "R", "success")).count(), 2, "{entries:?}");
    assert_eq!(app.get(&format!("/api/v1/cases/{case}/access-log"), &vcc).await.status.as_u16(), 200);
    app.get(&format!("/api/v1/cases/{case}/access-log"), &token(Role::Admin, None)).await.problem(403);
    app.get(&format!("/api/v1/cases/{}/access-log", uuid::Uuid::now_v7()), &auditor).await.problem(404);
    assert_eq!(verify(&app).await["valid"], true);
    // The trail can be queried by auditors only.
    // The outsider's 404 and the administrator's 403, each recorded once.
    let mut r = app.get(&format!("/api/v1/audit?case_id={case}&outcome=denied"), &auditor).await;
    for _ in 0..50 {
        if r.body["items"].as_array().is_some_and(|i| i.len() >= 2) {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        r = app.get(&format!("/api/v1/audit?case_id={case}&outcome=denied"), &auditor).await;
    }
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.text);
    let r = app.get("/api/v1/audit?entity_type=case&action=C", &auditor).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    app.get("/api/v1/audit", &vcc).await.problem(403);
    assert_eq!(app.get("/api/v1/audit?action=Z&from=never", &auditor).await.problem(400), ["action", "from"]);
}

#[actix_web::test]
async fn the_history_shows_each_change_from_and_to() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let case = some_history(&app).await;
    let r = app.get(&format!("/api/v1/cases/{case}/history"), &vcc).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["action"], "C");
    let update = &items[1]["changes"];
    let change = update.as_array().unwrap().iter().find(|c| c["field"] == "known_as").unwrap();
    assert_eq!((change["from"].as_str(), change["to"].as_str()), (Some("A.M."), Some("A.M.2")));
    app.get(&format!("/api/v1/cases/{case}/history"), &token(Role::Auditor, None)).await.problem(403);
}

#[actix_web::test]
async fn retention_redacts_personal_data_and_the_chain_still_verifies() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let gp = app.agency("Old GP", "health_gp").await;
    let old = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let current = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    app.event_ok(&old, &vcc, json!({"type": "support_started", "date": "2018-01-08"})).await;
    let at = "2018-02-01T10:00:00Z";
    let r = app
        .post(
            &format!("/api/v1/cases/{old}/interventions"),
            &vcc,
            json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp, "occurred_at": at,
                   "need_domain": "health_gp", "summary": "Spoke to his sister at 12 Acacia Avenue", "duration_minutes": 5}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    app.event_ok(&old, &vcc, json!({"type": "case_closed", "date": "2018-06-01", "reason": "moved_on"})).await;
    let due = retention::due(&app.db, chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()).await.unwrap();
    assert_eq!(due, [CaseId::parse(&old).unwrap()], "only the case closed before the date");
    let ctx = fourthp_domain::audit::AuditContext {
        principal: principal(Role::Admin, None, "fourthp-cli:retention"),
        request_id: "retention-test".into(),
        client_address: None,
        at: chrono::Utc::now(),
    };
    assert!(retention::redact(&app.db, &ctx, due[0], Purpose::Retention).await.unwrap());
    let c = app.get(&format!("/api/v1/cases/{old}"), &vcc).await.body;
    assert_eq!(c["known_as"], "[redacted]");
    assert_eq!(c["nationalities"], json!([]));
    assert_eq!(c["exploitation_types"], json!(["labour"]), "anonymous facts stay for reports");
    let list = app.get(&format!("/api/v1/cases/{old}/interventions"), &vcc).await.body;
    assert_eq!(list["items"][0]["summary"], "[redacted]");
    let history = app.get(&format!("/api/v1/cases/{old}/history"), &vcc).await.body;
    assert!(
        history["items"].as_array().unwrap().iter().all(|h| h["changes"].as_array().unwrap().is_empty() && h["redacted_at"].is_string()),
        "{history}"
    );
    assert!(!app.get(&format!("/api/v1/cases/{old}/history"), &vcc).await.text.contains("A.M."));
    assert_eq!(app.get(&format!("/api/v1/cases/{current}"), &vcc).await.body["known_as"], "A.M.");
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE purpose = 'retention'").await, 1);
    assert_eq!(verify(&app).await["valid"], true);
    assert!(retention::due(&app.db, chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()).await.unwrap().is_empty(), "done once");
}

#[actix_web::test]
async fn a_record_taken_off_the_chain_queue_is_reported() {
    // No background chaining for a minute: the test decides when records are chained.
    let app = TestApp::init().with_setting("FOURTHP_AUDIT_CHAIN_MS", "60000").spawn().await;
    some_history(&app).await;
    assert_eq!(verify(&app).await["valid"], true);
    app.agency("Late arrival", "ngo").await;
    // Before the chainer sees it, someone removes the new record's queue entry.
    as_superuser(&app, &["DELETE FROM audit_pending"]).await;
    let report = verify(&app).await;
    assert_eq!((report["valid"].as_bool(), report["orphans"].as_i64()), (Some(false), Some(1)), "{report}");
}
