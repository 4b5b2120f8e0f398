//! The law right to the day, through the API: reconsideration, entitlements that closure cannot
//! meet, the queue's statuses on their boundary day, consent at the age it was recorded, no
//! silent caps, HTCDS vocabulary, one definition of age, and re-derivation on upgrade.

use actix_web::http::Method;
use fourthp_domain::ids::AgencyId;
use serde_json::{json, Value};

use crate::lifecycle::{cg, rg, setting, Setting};
use crate::support::*;

fn closed(date: &str) -> Value {
    json!({"type": "case_closed", "date": date, "reason": "moved_on"})
}

fn referral(police: AgencyId, date: &str) -> Value {
    json!({"type": "nrm_referral_submitted", "date": date, "first_responder_agency_id": police.to_string()})
}

impl Setting {
    /// A case opened with `events` recorded in order.
    async fn case_with(&self, body: Value, events: &[Value]) -> String {
        let id = self.case(body).await;
        for e in events {
            self.app.event_ok(&id, &self.vcc, e.clone()).await;
        }
        id
    }
}

/// Positive RG, negative CG, reconsideration: the recovery period stands, the case awaits the
/// reconsidered decision, and an upheld decision brings exit support back.
#[actix_web::test]
async fn a_reconsideration_never_erases_the_positive_rg_before_it() {
    let s = setting().await;
    let case = s
        .case_with(
            car_wash_man(),
            &[
                json!({"type": "support_started", "date": "2026-01-05"}),
                referral(s.police, "2026-01-05"),
                rg("2026-01-09", "positive"),
                cg("2026-06-01", "negative"),
            ],
        )
        .await;
    let d = s.app.deadlines(&case, &s.vcc).await;
    assert_eq!(d["exit_support_end"]["due_on"], "2026-06-12");
    s.app.event_ok(&case, &s.vcc, json!({"type": "reconsideration_requested", "date": "2026-06-03"})).await;
    let r = s.app.get(&format!("/api/v1/cases/{case}"), &s.vcc).await;
    assert_eq!(r.body["stage"], "awaiting_reconsideration");
    let d = s.app.deadlines(&case, &s.vcc).await;
    assert_eq!(d["recovery_period_minimum_end"]["due_on"], "2026-02-08", "the positive RG's milestone stays");
    assert_eq!(d["recovery_period_minimum_end"]["status"], "met");
    assert!(!d.contains_key("exit_support_end"), "the reconsidered decision's exit support is void");
    // Upheld: exit support again, from the new decision.
    s.app.event_ok(&case, &s.vcc, cg("2026-09-01", "negative")).await;
    let r = s.app.get(&format!("/api/v1/cases/{case}"), &s.vcc).await;
    assert_eq!(r.body["stage"], "exit_support");
    assert_eq!(s.app.deadlines(&case, &s.vcc).await["exit_support_end"]["due_on"], "2026-09-14");
}

/// Closing on day 2 of the 45-day move-on entitlement is flagged on the case, the status view,
/// the queue and the report, never counted as met.
#[actix_web::test]
async fn closing_before_an_entitlement_has_passed_is_flagged_not_met() {
    let s = setting().await;
    let cg_on = day(-2);
    let case = s
        .case_with(
            car_wash_man(),
            &[
                json!({"type": "support_started", "date": day(-200)}),
                referral(s.police, &day(-200)),
                rg(&day(-195), "positive"),
                cg(&cg_on, "positive"),
                closed(&day(0)),
            ],
        )
        .await;
    let d = s.app.deadlines(&case, &s.vcc).await;
    let move_on = &d["move_on_end"];
    assert_eq!(move_on["kind"], "milestone");
    assert_eq!(move_on["status"], "ended_early");
    assert_eq!(move_on["support_ended_on"], day(0));
    assert!(move_on["explanation"].as_str().unwrap().contains("before this minimum"));

    let r = s.app.get(&format!("/api/v1/cases/{case}"), &s.vcc).await;
    let warnings = r.body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{}", r.text);
    assert_eq!(warnings[0]["rule"], "move_on_end");
    assert_eq!(warnings[0]["support_ended_on"], day(0));
    let r = s.app.get(&format!("/api/v1/cases/{case}/status"), &s.vcc).await;
    assert_eq!(r.body["warnings"][0]["rule"], "move_on_end", "{}", r.text);

    // The queue shows it although the case is closed, while the entitlement would still run.
    let q = s.app.get("/api/v1/deadlines", &s.vcc).await;
    let row = q.body["items"].as_array().unwrap().iter().find(|i| i["rule"] == "move_on_end").cloned();
    assert_eq!(row.map(|r| r["status"].clone()), Some(json!("ended_early")), "{}", q.text);
    let q = s.app.get("/api/v1/deadlines?status=ended_early", &s.vcc).await;
    assert_eq!(q.body["items"].as_array().unwrap().len(), 1, "{}", q.text);
    let q = s.app.get("/api/v1/deadlines?status=met", &s.vcc).await;
    assert!(q.body["items"].as_array().unwrap().iter().all(|i| i["rule"] != "move_on_end"));

    // The report: its own line, never in met/missed.
    let from = format!("{}-01-01", today().format("%Y"));
    let to = format!("{}-12-31", today().format("%Y"));
    let r = s.app.get(&format!("/api/v1/reports/outcomes?from={from}&to={to}&exact=true"), &s.vcc).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let figures = |measure: &str| -> Vec<Value> {
        r.body["sections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["measures"].as_array().unwrap().clone())
            .find(|m| m["id"] == measure)
            .map(|m| m["figures"].as_array().unwrap().clone())
            .unwrap()
    };
    let value = |measure: &str, category: &str, stat: &str| {
        figures(measure).into_iter().find(|f| f["category"] == category && f["statistic"] == stat).map(|f| f["value"].clone())
    };
    // The move-on entitlement falls due in 43 days: in this year's report only if it is this year.
    let due: chrono::NaiveDate = move_on["due_on"].as_str().unwrap().parse().unwrap();
    if due.format("%Y").to_string() == today().format("%Y").to_string() {
        assert_eq!(value("deadlines.support_ended_early", "move_on_end", "ended_early").and_then(|v| v.as_f64()), Some(1.0));
    }
    assert_eq!(value("deadlines.by_rule", "move_on_end", "met"), None, "an entitlement is not a deadline");
}

/// On its due day a deadline is open and a milestone met; the queue's filters agree with each
/// deadline's own status on that day and the day either side.
#[actix_web::test]
async fn the_queue_filters_agree_with_each_status_on_the_boundary_days() {
    let s = setting().await;
    // gp_access (a deadline) due today: support started 10 days ago. The recovery period
    // minimum (a milestone) arrives today: positive RG 30 days ago.
    let case = s
        .case_with(
            car_wash_man(),
            &[json!({"type": "support_started", "date": day(-10)}), referral(s.police, &day(-40)), rg(&day(-30), "positive")],
        )
        .await;
    let d = s.app.deadlines(&case, &s.vcc).await;
    assert_eq!(d["gp_access"]["due_on"], day(0));
    assert_eq!(d["gp_access"]["status"], "open");
    assert_eq!(d["recovery_period_minimum_end"]["due_on"], day(0));
    assert_eq!(d["recovery_period_minimum_end"]["status"], "met");
    for status in ["open", "met", "missed", "waived", "ended_early"] {
        let q = s.app.get(&format!("/api/v1/deadlines?status={status}&limit=200"), &s.vcc).await;
        assert_eq!(q.status.as_u16(), 200, "{}", q.text);
        for item in q.body["items"].as_array().unwrap() {
            assert_eq!(item["status"], status, "the {status} filter listed {item}");
        }
        let listed: Vec<&str> = q.body["items"].as_array().unwrap().iter().map(|i| i["rule"].as_str().unwrap()).collect();
        for (rule, d) in &d {
            assert_eq!(listed.contains(&rule.as_str()), d["status"] == status, "{rule} is {} and the {status} filter", d["status"]);
        }
    }
    // The default queue: the deadline due today, not the milestone that arrived today.
    let q = s.app.get("/api/v1/deadlines", &s.vcc).await;
    let rules: Vec<&str> = q.body["items"].as_array().unwrap().iter().map(|i| i["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"gp_access"));
    assert!(!rules.contains(&"recovery_period_minimum_end"));
}

/// A 16-year-old referred in 2024 without consent (not needed for a child) stays valid after
/// turning 18: consent is judged at the age on the day it was recorded.
#[actix_web::test]
async fn nrm_consent_is_judged_at_the_age_on_the_day_it_was_recorded() {
    use chrono::Datelike;
    let s = setting().await;
    let born = today().year() - 18 - 1; // 18 or 19 now; 16 or 17 two years ago
    let mut body = county_lines_child();
    body["birth_year"] = json!(born);
    body["consent"]["recorded_on"] = json!(format!("{}-06-01", born + 16));
    let created = s.app.open_case(&s.vcc, body.clone()).await;
    let case = created["id"].as_str().unwrap();
    let r = s.app.get(&format!("/api/v1/cases/{case}"), &s.vcc).await;
    let etag = r.header("etag").unwrap();
    let r = s.app.patch(&format!("/api/v1/cases/{case}"), &s.vcc, &etag, json!({"local_authority": "Southshire"})).await;
    assert_eq!(r.status.as_u16(), 200, "a later change is not refused for the consent: {}", r.text);
    // Consent recorded as an adult cannot be not_required_child.
    body["consent"]["recorded_on"] = json!(day(0));
    let r = s.app.post("/api/v1/cases", &s.vcc, body).await;
    assert_eq!(r.problem(422), ["consent.nrm"]);
}

/// 205 actions on one case: the timeline pages through all of them, and a partner's status view
/// and deadlines see every action it owes.
#[actix_web::test]
async fn no_list_stops_silently_at_200() {
    let s = setting().await;
    let housing = s.app.agency("Northshire Homes", "local_authority_housing").await;
    let case = s.case_with(car_wash_man(), &[json!({"type": "support_started", "date": day(-30)})]).await;
    let r = s.app.call(Method::PUT, &format!("/api/v1/cases/{case}/team/{housing}"), Some(&s.vcc), Some(json!({}))).await;
    assert!(r.status.is_success(), "{}", r.text);
    let due = day(30);
    let values: Vec<String> = (0..205)
        .map(|n| {
            format!(
                "('{}'::uuid, '{case}'::uuid, 'Action {n}', '{housing}'::uuid, '{due}'::date, 'open', 1, 'vcc-1', now(), now())",
                uuid::Uuid::now_v7()
            )
        })
        .collect();
    s.app
        .sql(&format!(
            "INSERT INTO actions (id, case_id, description, owner_agency_id, due_on, status, version, created_by, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
    s.app
        .sql(&format!(
            "INSERT INTO deadlines (id, case_id, case_reference, rule_id, rule_version, kind, action_id, due_on, explanation, created_at, updated_at)
             SELECT gen_random_uuid(), a.case_id, c.reference, 'action_due', '1', 'deadline', a.id, a.due_on, 'agreed', now(), now()
             FROM actions a JOIN cases c ON c.id = a.case_id WHERE a.case_id = '{case}'"
        ))
        .await
        .unwrap();
    // The timeline, a page at a time: every entry once.
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/cases/{case}/timeline?limit=200&cursor={c}"),
            None => format!("/api/v1/cases/{case}/timeline?limit=200"),
        };
        let r = s.app.get(&path, &s.vcc).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        pages += 1;
        for item in r.body["items"].as_array().unwrap() {
            let key = format!("{}:{}", item["kind"], item[item["kind"].as_str().unwrap()]["id"]);
            assert!(seen.insert(key), "an entry came twice");
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let actions = seen.iter().filter(|k| k.starts_with("\"action\"")).count();
    let deadlines = seen.iter().filter(|k| k.starts_with("\"deadline\"")).count();
    assert_eq!(actions, 205);
    assert!(deadlines >= 206, "205 action deadlines and gp_access: {deadlines}");
    assert!(pages >= 3);
    let r = s.app.get(&format!("/api/v1/cases/{case}/timeline?cursor=bm90LWEtY3Vyc29y"), &s.vcc).await;
    assert_eq!(r.problem(400), ["cursor"]);

    // The housing association's partner sees all 205 of its actions' deadlines, a page at a time.
    let partner = token(fourthp_domain::principal::Role::Partner, Some(housing));
    let all = all_pages(&s.app, &format!("/api/v1/cases/{case}/deadlines?limit=60"), &partner).await;
    let own = all.iter().filter(|d| d["rule"] == "action_due").count();
    assert_eq!(own, 205);
    let ids: std::collections::HashSet<&str> = all.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "no deadline twice");
    let first = s.app.get(&format!("/api/v1/cases/{case}/deadlines"), &partner).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 50, "the default page");
    let r = s.app.get(&format!("/api/v1/cases/{case}/status"), &partner).await;
    assert_eq!(r.body["actions_owed"].as_array().unwrap().len(), 205);
}

/// Every item of a paginated list, following `next_cursor`.
async fn all_pages(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let r = app.get(&url, token).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        items.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => next = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// Gender in HTCDS v2.0's values; languages stored as ISO 639-3 whatever ISO 639 form came in.
#[actix_web::test]
async fn htcds_gender_and_iso_639_languages() {
    let s = setting().await;
    let mut body = car_wash_man();
    body["gender"] = json!("transgender_female");
    body["languages"] = json!(["ro", "fre", "tir"]);
    let created = s.app.open_case(&s.vcc, body.clone()).await;
    let case = created["id"].as_str().unwrap();
    let r = s.app.get(&format!("/api/v1/cases/{case}"), &s.vcc).await;
    assert_eq!(r.body["gender"], "transgender_female");
    assert_eq!(r.body["languages"], json!(["ron", "fra", "tir"]));
    for old in ["transgender", "other", "unknown"] {
        body["gender"] = json!(old);
        let r = s.app.post("/api/v1/cases", &s.vcc, body.clone()).await;
        assert_eq!(r.problem(422), ["gender"], "{old}");
    }
    body["gender"] = json!("male");
    body["languages"] = json!(["ro", "ron"]);
    let r = s.app.post("/api/v1/cases", &s.vcc, body).await;
    assert_eq!(r.problem(422), ["languages"], "ro and ron are one language");
}

/// A person born on 29 February is a child on 28 February of their 18th year and an adult on
/// 1 March, in the rules (Rust) and in the report (SQL) alike.
#[actix_web::test]
async fn a_29_february_birth_is_18_on_1_march_in_rules_and_report() {
    let s = setting().await;
    let person = || {
        let mut b = car_wash_man();
        b["birth_year"] = json!(2008);
        b["date_of_birth"] = json!("2008-02-29");
        b["consent"] = json!({"nrm": "given", "data_sharing": "share", "recorded_on": "2026-11-02"});
        b
    };
    s.case_with(person(), &[json!({"type": "support_started", "date": "2026-02-28"})]).await;
    s.case_with(person(), &[json!({"type": "support_started", "date": "2026-03-01"})]).await;
    let group = |from: &str, to: &str| {
        let app = &s.app;
        let vcc = s.vcc.clone();
        let path = format!("/api/v1/reports/outcomes?from={from}&to={to}&exact=true");
        async move {
            let r = app.get(&path, &vcc).await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.text);
            let figures: Vec<Value> = r.body["sections"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s["measures"].as_array().unwrap().clone())
                .find(|m| m["id"] == "people.age_group")
                .map(|m| m["figures"].as_array().unwrap().clone())
                .unwrap();
            let get = |c: &str| figures.iter().find(|f| f["category"] == c).and_then(|f| f["value"].as_f64()).unwrap();
            (get("child"), get("adult"))
        }
    };
    assert_eq!(group("2026-02-28", "2026-02-28").await, (1.0, 0.0), "started on 28 February: a child");
    // On 1 March both are supported: counted by their age when support started.
    assert_eq!(group("2026-03-01", "2026-03-01").await, (1.0, 1.0));
    // The rules agree: consent recorded on 28 February 2026 would have been a child's.
    let mut b = person();
    b["consent"]["recorded_on"] = json!("2026-02-28");
    let r = s.app.post("/api/v1/cases", &s.vcc, b.clone()).await;
    assert_eq!(r.problem(422), ["consent.nrm"]);
    b["consent"]["recorded_on"] = json!("2026-03-01");
    let r = s.app.post("/api/v1/cases", &s.vcc, b).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
}

/// After an upgrade that corrects the rules, every case's stored deadlines are re-derived, with
/// waivers kept and each change audited as the service's own, naming the rule sets.
#[actix_web::test]
async fn stored_deadlines_follow_the_rules_in_force_after_an_upgrade() {
    let s = setting().await;
    let case = s
        .case_with(
            car_wash_man(),
            &[json!({"type": "support_started", "date": day(-20)}), referral(s.police, &day(-20)), rg(&day(-18), "positive")],
        )
        .await;
    let before = s.app.deadlines(&case, &s.vcc).await;
    let gp = before["gp_access"]["id"].as_str().unwrap().to_owned();
    let r = s.app.post(&format!("/api/v1/deadlines/{gp}/waive"), &s.vcc, json!({"reason": "registered privately"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    // As the old rule book left them: a wrong date, an old version, and the stage stuck.
    s.app
        .sql(&format!(
            "UPDATE deadlines SET due_on = due_on - 7, rule_version = '2023', explanation = 'old' WHERE case_id = '{case}' AND rule_id <> 'action_due'"
        ))
        .await
        .unwrap();
    let book = fourthp_domain::rules::shipped_with(None).unwrap();
    let now = chrono::Utc::now();
    let done = fourthp_persistence::rederive::if_changed(&s.app.db, &book, now).await.unwrap().unwrap();
    assert_eq!(done.cases, 1);
    assert_eq!(done.cases_changed, 1);
    assert_eq!(done.deadlines_changed, 3);
    let after = s.app.deadlines(&case, &s.vcc).await;
    for rule in ["gp_access", "rg_decision_expected", "recovery_period_minimum_end"] {
        assert_eq!(after[rule]["due_on"], before[rule]["due_on"], "{rule}");
        assert_eq!(after[rule]["rule_version"], "2026-12");
        assert_eq!(after[rule]["id"], before[rule]["id"], "the same deadline");
    }
    assert_eq!(after["gp_access"]["status"], "waived", "the waiver is kept");
    let audited = s
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM audit_records r JOIN audit_details d ON d.audit_id = r.id
             WHERE r.case_id = '{case}' AND r.agent_role = 'system' AND r.agent_sub = 'fourthp-rule-book'
               AND r.entity_type = 'deadline' AND r.action = 'U'
               AND d.after->>'rule_book' LIKE 'England & Wales rules 2026-12%'"
        ))
        .await;
    assert_eq!(audited, 3);
    // Once applied, nothing more to do.
    assert!(fourthp_persistence::rederive::if_changed(&s.app.db, &book, now).await.unwrap().is_none());
}
