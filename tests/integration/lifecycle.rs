//! The NRM journey through the API: events, derived stages and deadlines, the queue, waivers
//! and the partner's status view.

use actix_web::http::Method;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

/// A coordinator and a police force on a fresh network (shared by the law tests).
pub(crate) struct Setting {
    pub(crate) app: TestApp,
    pub(crate) vcc: String,
    pub(crate) police: AgencyId,
}

pub(crate) async fn setting() -> Setting {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let police = app.agency("Northshire Police", "police").await;
    Setting { app, vcc, police }
}

impl Setting {
    pub(crate) async fn case(&self, body: Value) -> String {
        self.app.open_case(&self.vcc, body).await["id"].as_str().unwrap().to_owned()
    }

    pub(crate) fn referral(&self, date: &str) -> Value {
        json!({"type": "nrm_referral_submitted", "date": date, "first_responder_agency_id": self.police.to_string()})
    }
}

pub(crate) fn rg(date: &str, outcome: &str) -> Value {
    json!({"type": "reasonable_grounds_decision", "date": date, "outcome": outcome, "competent_authority": "sca"})
}

pub(crate) fn cg(date: &str, outcome: &str) -> Value {
    json!({"type": "conclusive_grounds_decision", "date": date, "outcome": outcome, "competent_authority": "sca"})
}

/// Story 1: the car-wash man's journey, from intake to move-on, with every deadline explained.
#[actix_web::test]
async fn an_nrm_journey_derives_stages_and_explained_deadlines() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let case = s.case(car_wash_man()).await;
    app.event_ok(&case, vcc, json!({"type": "support_started", "date": "2025-11-03"})).await;
    let r = app.get(&format!("/api/v1/cases/{case}"), vcc).await;
    assert_eq!(r.body["stage"], "intake");
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""), "an event changes the case");

    app.event_ok(&case, vcc, s.referral("2025-11-03")).await;
    let d = app.deadlines(&case, vcc).await;
    assert_eq!(d["gp_access"]["due_on"], "2025-11-13");
    let gp_explanation = d["gp_access"]["explanation"].as_str().unwrap();
    assert!(
        gp_explanation.starts_with("10 days after the start of support of 2025-11-03, Local standards 2026-12; source: "),
        "{gp_explanation}"
    );
    assert_eq!(d["gp_access"]["status"], "missed", "no GP registration recorded, and the date has passed");
    assert_eq!(d["rg_decision_expected"]["due_on"], "2025-11-10");
    assert_eq!(d["rg_decision_expected"]["rule_version"], "2026-12");
    assert!(d["rg_decision_expected"]["explanation"]
        .as_str()
        .unwrap()
        .starts_with("5 working days after the NRM referral of 2025-11-03, England & Wales rules 2026-12; source: Modern Slavery"));

    app.event_ok(&case, vcc, rg("2025-11-07", "positive")).await;
    let d = app.deadlines(&case, vcc).await;
    assert_eq!(
        (d["rg_decision_expected"]["status"].as_str(), d["rg_decision_expected"]["met_on"].as_str()),
        (Some("met"), Some("2025-11-07"))
    );
    assert_eq!(d["recovery_period_minimum_end"]["due_on"], "2025-12-07");
    assert_eq!(d["recovery_period_minimum_end"]["kind"], "milestone");
    // The recovery minimum has passed: the case is awaiting its CG, found by that stage.
    assert_eq!(app.get(&format!("/api/v1/cases/{case}"), vcc).await.body["stage"], "awaiting_cg");
    let listed = app.get("/api/v1/cases?status=awaiting_cg", vcc).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/cases?status=recovery_period", vcc).await.body["items"].as_array().unwrap().len(), 0);

    app.event_ok(&case, vcc, cg("2026-03-02", "positive")).await;
    let d = app.deadlines(&case, vcc).await;
    assert_eq!(d["move_on_end"]["due_on"], "2026-04-16");
    assert!(d["move_on_end"]["explanation"]
        .as_str()
        .unwrap()
        .starts_with("45 days after the positive CG of 2026-03-02, England & Wales rules 2026-12; source: "));
    assert_eq!(app.get(&format!("/api/v1/cases/{case}"), vcc).await.body["stage"], "move_on");
    app.event_ok(&case, vcc, json!({"type": "case_closed", "date": "2026-04-10", "reason": "moved_on"})).await;
    let d = app.deadlines(&case, vcc).await;
    // Closed six days before the 45 days of move-on support had passed: flagged, never met.
    assert_eq!(d["move_on_end"]["status"], "ended_early");
    assert_eq!(d["move_on_end"]["support_ended_on"], "2026-04-10");
    assert_eq!(app.get(&format!("/api/v1/cases/{case}"), vcc).await.body["stage"], "closed");

    // The timeline reads back in recording order, and each event was audited once.
    let events = app.get(&format!("/api/v1/cases/{case}/events"), vcc).await;
    let types: Vec<&str> = events.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["support_started", "nrm_referral_submitted", "reasonable_grounds_decision", "conclusive_grounds_decision", "case_closed"]
    );
    assert_eq!(events.body["items"][1]["fact"]["first_responder_agency_id"], s.police.to_string());
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'case_event'").await, 5);
}

/// Every illegal sequence is a 409 naming the rule, and changes nothing.
#[actix_web::test]
async fn illegal_events_are_refused_by_the_rule_they_break() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let case = s.case(car_wash_man()).await;
    let refused = async |body: Value, rule: &str| {
        let r = app.event(&case, vcc, body).await;
        r.problem(409);
        assert_eq!(r.body["rule"], rule, "{}", r.text);
    };
    refused(rg("2026-01-10", "positive"), "decision_requires_referral").await;
    refused(cg("2026-01-10", "positive"), "decision_requires_referral").await;
    refused(json!({"type": "support_started", "date": day(1)}), "date_in_future").await;
    refused(json!({"type": "support_started", "date": "2009-03-31"}), "date_before_nrm").await;
    app.event_ok(&case, vcc, s.referral("2026-01-05")).await;
    refused(cg("2026-01-10", "positive"), "cg_requires_positive_rg").await;
    refused(rg("2026-01-02", "positive"), "decision_before_referral").await;
    refused(json!({"type": "duty_to_notify_submitted", "date": "2026-01-06"}), "duty_to_notify_after_referral").await;
    // More than two years before the first event.
    refused(json!({"type": "support_started", "date": "2023-12-01"}), "outside_backdating_window").await;
    let rg_id = app.event_ok(&case, vcc, rg("2026-01-09", "positive")).await;
    refused(rg("2026-01-12", "negative"), "second_live_rg").await;
    refused(cg("2026-01-08", "positive"), "cg_before_rg").await;
    refused(json!({"type": "correction", "supersedes": rg_id, "reason": "wrong type", "replacement": {"type": "support_started", "date": "2026-01-09"}}), "correction_changes_type").await;
    refused(json!({"type": "correction", "supersedes": uuid::Uuid::now_v7(), "reason": "no such event"}), "correction_target_unknown")
        .await;
    app.event_ok(&case, vcc, json!({"type": "case_closed", "date": "2026-02-01", "reason": "lost_contact"})).await;
    refused(cg("2026-02-02", "positive"), "case_closed").await;
    refused(json!({"type": "support_started", "date": "2026-02-02"}), "case_closed").await;
    // Nothing refused was stored or audited: referral, RG, closure.
    assert_eq!(app.count("SELECT count(*) AS n FROM case_events").await, 3);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'case_event'").await, 3);
    // Reopening is allowed, and starts a new journey.
    app.event_ok(&case, vcc, json!({"type": "case_reopened", "date": "2026-06-01"})).await;
    assert_eq!(app.get(&format!("/api/v1/cases/{case}"), vcc).await.body["stage"], "intake");
}

#[actix_web::test]
async fn invalid_event_bodies_name_their_fields() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let case = s.case(car_wash_man()).await;
    assert_eq!(app.event(&case, vcc, json!({"type": "support_started", "date": "03/11/2025"})).await.problem(422), ["date"]);
    assert_eq!(app.event(&case, vcc, json!({"type": "support_started"})).await.problem(422), ["body"]);
    assert_eq!(app.event(&case, vcc, json!({"type": "abducted", "date": "2025-11-03"})).await.problem(422), ["type"]);
    let r = app
        .event(
            &case,
            vcc,
            json!({"type": "reasonable_grounds_decision", "date": "2025-11-03", "outcome": "maybe", "competent_authority": "sca"}),
        )
        .await;
    assert_eq!(r.problem(422), ["outcome"]);
    let r = app.event(&case, vcc, json!({"type": "support_started", "date": "2025-11-03", "note": "x"})).await;
    assert_eq!(r.problem(422), ["note"]);
    let r = app.event(&case, vcc, json!({"type": "support_started", "date": "2025-11-03", "outcome": "positive"})).await;
    assert_eq!(r.problem(422), ["outcome"]);
    let r = app.event(&case, vcc, json!({"type": "case_closed", "date": "2025-11-03"})).await;
    assert_eq!(r.problem(422), ["reason"]);
    let r = app
        .event(
            &case,
            vcc,
            json!({"type": "nrm_referral_submitted", "date": "2025-11-03", "first_responder_agency_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(r.problem(422), ["first_responder_agency_id"]);
    let r = app.event(&case, vcc, json!({"type": "correction", "supersedes": uuid::Uuid::now_v7(), "reason": " ", "replacement": {"type": "support_started", "date": "x"}})).await;
    assert_eq!(r.problem(422), ["reason", "replacement.date"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM case_events").await, 0);
}

#[actix_web::test]
async fn correcting_an_rg_date_moves_its_deadlines() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let case = s.case(car_wash_man()).await;
    app.event_ok(&case, vcc, s.referral("2026-03-02")).await;
    let rg_id = app.event_ok(&case, vcc, rg("2026-03-16", "positive")).await;
    let before = app.deadlines(&case, vcc).await;
    assert_eq!(before["recovery_period_minimum_end"]["due_on"], "2026-04-15");
    assert_eq!(before["rg_decision_expected"]["status"], "missed", "decided after 5 working days");
    let correction = json!({"type": "correction", "supersedes": rg_id, "reason": "the decision letter is dated 6 March",
        "replacement": rg("2026-03-06", "positive")});
    app.event_ok(&case, vcc, correction).await;
    let after = app.deadlines(&case, vcc).await;
    assert_eq!(after["recovery_period_minimum_end"]["due_on"], "2026-04-05");
    assert_eq!(after["recovery_period_minimum_end"]["id"], before["recovery_period_minimum_end"]["id"], "the same deadline, moved");
    assert_eq!(after["rg_decision_expected"]["status"], "met");
    // The original stays visible, marked superseded.
    let events = app.get(&format!("/api/v1/cases/{case}/events"), vcc).await.body;
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["superseded_by"], items[2]["id"]);
    assert_eq!(items[2]["type"], "correction");
    assert_eq!(items[2]["fact"]["date"], "2026-03-06");
    assert_eq!(items[2]["correction_reason"], "the decision letter is dated 6 March");
}

/// Story 3: Duty to Notify only: no NRM deadlines, but the local standard still applies.
#[actix_web::test]
async fn duty_to_notify_only() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let mut body = car_wash_man();
    body["consent"] = json!({"nrm": "declined", "data_sharing": "anonymous", "recorded_on": "2026-05-01"});
    let case = s.case(body).await;
    app.event_ok(&case, vcc, json!({"type": "support_started", "date": "2026-05-01"})).await;
    app.event_ok(&case, vcc, json!({"type": "duty_to_notify_submitted", "date": "2026-05-02"})).await;
    assert_eq!(app.get(&format!("/api/v1/cases/{case}"), vcc).await.body["stage"], "dtn_only");
    let d = app.deadlines(&case, vcc).await;
    assert_eq!(d.keys().collect::<Vec<_>>(), ["gp_access"]);
}

#[actix_web::test]
async fn scotland_and_northern_ireland_use_their_own_rules_and_a_change_of_jurisdiction_rederives() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let case = s.case(car_wash_man()).await;
    app.event_ok(&case, vcc, s.referral("2026-01-05")).await;
    app.event_ok(&case, vcc, rg("2026-01-09", "positive")).await;
    let ew = app.deadlines(&case, vcc).await;
    assert!(ew.contains_key("recovery_period_minimum_end") && !ew.contains_key("support_period_end"));
    let etag = app.get(&format!("/api/v1/cases/{case}"), vcc).await.header("etag").unwrap();
    let r = app.patch(&format!("/api/v1/cases/{case}"), vcc, &etag, json!({"jurisdiction": "scotland"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let sc = app.deadlines(&case, vcc).await;
    let mut rules: Vec<&String> = sc.keys().collect();
    rules.sort();
    assert_eq!(rules, ["rg_decision_expected", "support_period_end"], "the RG target is the competent authorities', UK-wide");
    assert_eq!(sc["support_period_end"]["due_on"], "2026-04-09");
    assert!(sc["support_period_end"]["explanation"]
        .as_str()
        .unwrap()
        .starts_with("90 days after the positive RG of 2026-01-09, Scotland rules 2026-12; source: Human Trafficking and Exploitation (Scotland) Act 2015 s.9"));
    let etag = r.header("etag").unwrap();
    app.patch(&format!("/api/v1/cases/{case}"), vcc, &etag, json!({"jurisdiction": "northern_ireland"})).await;
    let ni = app.deadlines(&case, vcc).await;
    // From the positive RG of 9 January, not the referral of 5 January.
    assert_eq!(ni["support_period_end"]["due_on"], "2026-02-23");
    assert!(ni["support_period_end"]["explanation"]
        .as_str()
        .unwrap()
        .starts_with("45 days after the positive RG of 2026-01-09, Northern Ireland rules 2026-12; source: "));
}

#[actix_web::test]
async fn the_queue_lists_what_is_due_by_date_then_reference() {
    let s = setting().await;
    let app = &s.app;
    let (agency, _) = app.coordinator().await;
    let mine = token_for(&principal(Role::Coordinator, Some(agency), "vcc-queue"));
    // Three cases whose support started 9, 5 and 2 days ago: GP access due in 1, 5 and 8 days.
    let mut cases = Vec::new();
    for (ago, t) in [(9, &mine), (5, &s.vcc), (2, &mine)] {
        let case = app.open_case(t, car_wash_man()).await;
        let id = case["id"].as_str().unwrap().to_owned();
        app.event_ok(&id, &s.vcc, json!({"type": "support_started", "date": day(-ago)})).await;
        cases.push((id, case["reference"].as_str().unwrap().to_owned()));
    }
    // An old referral whose RG expectation is overdue.
    app.event_ok(&cases[1].0, &s.vcc, s.referral("2026-01-05")).await;

    let r = app.get("/api/v1/deadlines", &s.vcc).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    let rows: Vec<(&str, &str, &str)> =
        items.iter().map(|i| (i["rule"].as_str().unwrap(), i["case_reference"].as_str().unwrap(), i["status"].as_str().unwrap())).collect();
    assert_eq!(
        rows,
        [
            ("rg_decision_expected", cases[1].1.as_str(), "missed"),
            ("gp_access", cases[0].1.as_str(), "open"),
            ("gp_access", cases[1].1.as_str(), "open"),
            ("gp_access", cases[2].1.as_str(), "open"),
        ]
    );
    assert_eq!(items[1]["case_stage"], "intake");
    assert_eq!(items[0]["case_stage"], "nrm_referred");

    let count = |r: &Reply| r.body["items"].as_array().unwrap().len();
    assert_eq!(count(&app.get("/api/v1/deadlines?status=open", &s.vcc).await), 3);
    assert_eq!(count(&app.get("/api/v1/deadlines?status=missed", &s.vcc).await), 1);
    assert_eq!(count(&app.get("/api/v1/deadlines?rule=gp_access", &s.vcc).await), 3);
    assert_eq!(count(&app.get(&format!("/api/v1/deadlines?due_before={}", day(4)), &s.vcc).await), 2);
    assert_eq!(count(&app.get("/api/v1/deadlines?lead=me", &mine).await), 2);
    // Pages of one, in the same order.
    let mut seen = Vec::new();
    let mut path = "/api/v1/deadlines?limit=1".to_owned();
    loop {
        let r = app.get(&path, &s.vcc).await;
        seen.extend(r.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/deadlines?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, items.iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>());
    // Bad parameters and other roles.
    assert_eq!(app.get("/api/v1/deadlines?status=late&due_before=soon", &s.vcc).await.problem(400), ["status", "due_before"]);
    app.get("/api/v1/deadlines", &token(Role::Partner, Some(s.police))).await.problem(403);
    app.get("/api/v1/deadlines", &token(Role::Commissioner, None)).await.problem(403);
}

#[actix_web::test]
async fn coordinators_waive_outstanding_deadlines_with_a_reason() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let case = s.case(car_wash_man()).await;
    app.event_ok(&case, vcc, json!({"type": "support_started", "date": day(-3)})).await;
    let gp = app.deadlines(&case, vcc).await["gp_access"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/deadlines/{gp}/waive");
    assert_eq!(app.post(&path, vcc, json!({"reason": "  "})).await.problem(422), ["reason"]);
    app.post(&path, &token(Role::Partner, Some(s.police)), json!({"reason": "x"})).await.problem(404);
    app.post(&path, &token(Role::Auditor, None), json!({"reason": "x"})).await.problem(403);
    let r = app.post(&path, vcc, json!({"reason": "Already registered with a GP before referral"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["status"], "waived");
    assert_eq!(r.body["waiver"]["by"], "coordinator-1");
    app.post(&path, vcc, json!({"reason": "again"})).await.problem(409);
    app.post(&format!("/api/v1/deadlines/{}/waive", uuid::Uuid::now_v7()), vcc, json!({"reason": "x"})).await.problem(404);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM audit_records WHERE entity_type = 'deadline' AND entity_id = '{gp}' AND outcome = 'success'"
        ))
        .await,
        1
    );
    // Waived deadlines leave the queue.
    assert_eq!(app.get("/api/v1/deadlines", vcc).await.body["items"].as_array().unwrap().len(), 0);
}

/// Story 4: partners on the case see where it stands, and that it is a child's, not who he is.
#[actix_web::test]
async fn partners_see_the_status_of_their_cases_only() {
    let s = setting().await;
    let (app, vcc) = (&s.app, &s.vcc);
    let mut body = county_lines_child();
    body["consent"]["data_sharing"] = json!("confidential");
    let case = s.case(body).await;
    app.event_ok(&case, vcc, json!({"type": "support_started", "date": day(-1)})).await;
    app.event_ok(&case, vcc, s.referral(&day(-1))).await;
    app.call(Method::PUT, &format!("/api/v1/cases/{case}/team/{}", s.police), Some(vcc), Some(json!({"role": "Police lead"}))).await;
    let partner = token(Role::Partner, Some(s.police));
    let r = app.get(&format!("/api/v1/cases/{case}/status"), &partner).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["stage"], "nrm_referred");
    assert_eq!(b["is_child"], true);
    assert_eq!(b["key_dates"]["nrm_referral"], day(-1));
    assert_eq!(b["next_deadline"]["rule"], "rg_decision_expected");
    assert!(b.get("known_as").is_none() && !r.text.contains("J."), "{}", r.text);
    // Events and deadlines too, without staff names or free text.
    let events = app.get(&format!("/api/v1/cases/{case}/events"), &partner).await;
    assert!(events.body["items"][0].get("recorded_by").is_none());
    assert_eq!(app.get(&format!("/api/v1/cases/{case}/deadlines"), &partner).await.status.as_u16(), 200);
    app.event(&case, &partner, json!({"type": "case_reopened", "date": day(0)})).await.problem(403);

    let outsider = token(Role::Partner, Some(app.agency("Other NGO", "ngo").await));
    for path in ["status", "events", "deadlines"] {
        app.get(&format!("/api/v1/cases/{case}/{path}"), &outsider).await.problem(404);
        app.get(&format!("/api/v1/cases/{}/{path}", uuid::Uuid::now_v7()), &outsider).await.problem(404);
    }
    app.event(&case, &outsider, json!({"type": "support_started", "date": day(0)})).await.problem(404);
    for role in [Role::Commissioner, Role::Auditor, Role::Admin] {
        app.get(&format!("/api/v1/cases/{case}/status"), &token(role, None)).await.problem(403);
    }
}

/// The back-dating window of a logged call is measured from the case's first effective event,
/// which the case keeps (`cases.first_event_on`) as its timeline changes: an earlier event moves
/// it back, a correction of the first event moves it, a withdrawal takes it away. The migration's
/// fill of existing cases agrees with the timeline's replay on every case of a demo network.
#[actix_web::test]
async fn the_back_dating_window_follows_the_first_event_as_the_timeline_changes() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let first_on = async || app.strings(&format!("SELECT coalesce(first_event_on::text, '') AS v FROM cases WHERE id = '{case}'")).await;
    let call = async |occurred: &str| {
        let body = json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp,
                          "occurred_at": format!("{occurred}T10:00:00Z"), "need_domain": "health_gp", "summary": "Called the practice.", "duration_minutes": 1});
        app.post(&format!("/api/v1/cases/{case}/interventions"), &vcc, body).await.status.as_u16()
    };
    assert_eq!(first_on().await, [""]);
    let started = app.event_ok(&case, &vcc, json!({"type": "support_started", "date": "2026-03-10"})).await;
    assert_eq!(first_on().await, ["2026-03-10"]);
    // 731 days before the first event is the earliest a call may be dated.
    assert_eq!(call("2024-03-09").await, 201);
    assert_eq!(call("2024-03-08").await, 422);
    // Corrected to a later date, the window moves with it.
    let correction = json!({"type": "correction", "supersedes": started, "reason": "the support plan is dated 20 March",
                            "replacement": {"type": "support_started", "date": "2026-03-20"}});
    let corrected = app.event_ok(&case, &vcc, correction).await;
    assert_eq!(first_on().await, ["2026-03-20"]);
    assert_eq!(call("2024-03-09").await, 422);
    assert_eq!(call("2024-03-19").await, 201);
    // An earlier event moves it back; a withdrawal of that one, forward again.
    let referral =
        app.event_ok(&case, &vcc, json!({"type": "nrm_referral_submitted", "date": "2026-02-01", "first_responder_agency_id": gp})).await;
    assert_eq!(first_on().await, ["2026-02-01"]);
    app.event_ok(&case, &vcc, json!({"type": "correction", "supersedes": referral, "reason": "recorded on the wrong case"})).await;
    assert_eq!(first_on().await, ["2026-03-20"]);
    let _ = corrected;

    // The migration's fill, run again over a demo network, gives what the replay kept.
    let demo = TestApp::init().spawn().await;
    let book = fourthp_domain::rules::shipped_with(None).unwrap();
    let opts = fourthp_api::demo::DemoOptions { cases: 120, seed: 5, from_year: 2024, progress: false };
    fourthp_api::demo::load(&demo.db_url, &book, opts, chrono::Utc::now()).await.unwrap();
    let fill =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/2026-12-02-000011_first_event_on/up.sql")).unwrap();
    let select = fill.split("FROM (").nth(1).unwrap().split(") f").next().unwrap();
    let differing = format!(
        "SELECT count(*) AS n FROM cases c LEFT JOIN ({select}) f ON f.case_id = c.id WHERE c.first_event_on IS DISTINCT FROM f.first_on"
    );
    assert_eq!(demo.count(&differing).await, 0);
    assert!(demo.count("SELECT count(*) AS n FROM cases WHERE first_event_on IS NOT NULL").await > 100);
}
