//! The coordinator's daily log: interventions, actions, needs, outcomes, the timeline, and the
//! idempotency that keeps a flaky connection from logging twice.

use actix_web::http::Method;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

/// A network: a coordinator, and a GP practice, the Red Cross and a housing association.
struct Network {
    app: TestApp,
    vcc: String,
    gp: AgencyId,
    red_cross: AgencyId,
    housing: AgencyId,
}

async fn network() -> Network {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let red_cross = app.agency("British Red Cross Northshire", "red_cross").await;
    let housing = app.agency("Hope Housing Association", "local_authority_housing").await;
    Network { app, vcc, gp, red_cross, housing }
}

impl Network {
    /// A case with the three agencies on its team.
    async fn case(&self) -> String {
        let id = self.app.open_case(&self.vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
        for a in [self.gp, self.red_cross, self.housing] {
            let r = self.app.call(Method::PUT, &format!("/api/v1/cases/{id}/team/{a}"), Some(&self.vcc), Some(json!({}))).await;
            assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        }
        id
    }

    async fn log(&self, case: &str, token: &str, body: Value) -> Reply {
        self.app.post(&format!("/api/v1/cases/{case}/interventions"), token, body).await
    }

    fn partner(&self, agency: AgencyId) -> String {
        token_for(&principal(Role::Partner, Some(agency), &format!("worker-{}", &agency.to_string()[..8])))
    }
}

fn call(counterpart: AgencyId, days_ago: i64, summary: &str) -> Value {
    let at = (chrono::Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339();
    json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": counterpart, "occurred_at": at,
           "need_domain": "health_gp", "summary": summary, "duration_minutes": 10})
}

fn items(r: &Reply) -> &Vec<Value> {
    r.body["items"].as_array().unwrap_or_else(|| panic!("no items: {}", r.text))
}

/// A coordinator's day: a case, five calls and two emails, three actions with two agencies,
/// the GP registration and an outcome; partners see exactly their part.
#[actix_web::test]
async fn a_coordinators_day() {
    let n = network().await;
    let (app, vcc) = (&n.app, &n.vcc);
    let case = n.case().await;
    app.event_ok(&case, vcc, json!({"type": "support_started", "date": day(-9)})).await;
    let gp_need = app.post(&format!("/api/v1/cases/{case}/needs"), vcc, json!({"domain": "health_gp", "identified_on": day(-9)})).await;
    assert_eq!(gp_need.status.as_u16(), 201, "{}", gp_need.text);
    let gp_need_id = gp_need.body["id"].as_str().unwrap().to_owned();

    let mut logged = Vec::new();
    for (i, counterpart) in [n.gp, n.gp, n.red_cross, n.housing, n.gp].into_iter().enumerate() {
        let r = n.log(&case, vcc, call(counterpart, 8 - i as i64, &format!("Call {i} about GP registration"))).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        logged.push(r.body["id"].as_str().unwrap().to_owned());
    }
    for counterpart in [n.gp, n.housing] {
        let mut email = call(counterpart, 3, "Email confirming what was agreed at the network meeting");
        email["channel"] = json!("email");
        email["need_domain"] = json!("accommodation");
        let r = n.log(&case, vcc, email).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        logged.push(r.body["id"].as_str().unwrap().to_owned());
    }
    // Story 5: the network meeting agrees three actions with two agencies.
    let mut meeting = call(n.housing, 2, "Network meeting: a bed before move-on ends");
    meeting["channel"] = json!("meeting");
    meeting["need_domain"] = json!("accommodation");
    meeting["actions"] = json!([
        {"description": "Find a bed", "owner_agency_id": n.housing, "due_on": day(-1)},
        {"description": "Bring the move-on paperwork", "owner_agency_id": n.housing, "due_on": day(5)},
        {"description": "Emergency clothing and a phone", "owner_agency_id": n.red_cross, "due_on": day(3)},
    ]);
    let r = n.log(&case, vcc, meeting).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(r.body["actions"].as_array().unwrap().len(), 3);
    assert!(r.header("location").unwrap().starts_with(&format!("/api/v1/cases/{case}/interventions/")));

    // The GP registration on day 9 meets the 10-day standard.
    let need = app.get(&format!("/api/v1/needs/{gp_need_id}"), vcc).await;
    let etag = need.header("etag").unwrap();
    let r = app.patch(&format!("/api/v1/needs/{gp_need_id}"), vcc, &etag, json!({"status": "met", "met_on": day(0)})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["days_to_meet"], 9);
    let d = app.deadlines(&case, vcc).await;
    assert_eq!(d["gp_access"]["status"], "met");
    assert_eq!(d["gp_access"]["met_on"], day(0));

    let outcome = app
        .post(
            &format!("/api/v1/cases/{case}/outcomes"),
            vcc,
            json!({"outcome": "access_to_medical_treatment", "achieved_on": day(0), "evidence": "Registered with Riverside GP", "score": 6,
                   "intervention_ids": [logged[0], logged[1], logged[4]]}),
        )
        .await;
    assert_eq!(outcome.status.as_u16(), 201, "{}", outcome.text);
    assert_eq!(outcome.body["core"], true);

    // The coordinator's timeline has it all, in time order.
    let t = app.get(&format!("/api/v1/cases/{case}/timeline"), vcc).await;
    let kinds: Vec<&str> = items(&t).iter().map(|i| i["kind"].as_str().unwrap()).collect();
    for (kind, count) in [("event", 1), ("intervention", 8), ("action", 3), ("need", 1), ("outcome", 1)] {
        assert_eq!(kinds.iter().filter(|k| **k == kind).count(), count, "{kind}: {kinds:?}");
    }
    let dates: Vec<&str> = items(&t).iter().map(|i| i["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");

    // The housing action is overdue in the coordinator's queue and in the housing association's
    // own list, which shows nothing of anyone else's.
    let queue = app.get("/api/v1/deadlines?rule=action_due", vcc).await;
    assert_eq!(items(&queue).len(), 3);
    assert_eq!(items(&queue)[0]["status"], "missed");
    let housing = n.partner(n.housing);
    let mine = app.get("/api/v1/actions?status=open&overdue=true", &housing).await;
    assert_eq!(items(&mine).len(), 1, "{}", mine.text);
    assert_eq!(items(&mine)[0]["description"], "Find a bed");
    assert_eq!(items(&app.get("/api/v1/actions", &housing).await).len(), 2);
    assert_eq!(items(&app.get("/api/v1/actions", vcc).await).len(), 3);
    // ...and closes it with a note the next day.
    let action = items(&mine)[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .patch(&format!("/api/v1/actions/{action}"), &housing, "\"1\"", json!({"status": "done", "note": "Bed at Hope House from Monday"}))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["status"], "done");
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    let queue = app.get("/api/v1/deadlines?rule=action_due&status=missed", vcc).await;
    assert_eq!(items(&queue)[0]["met_on"], day(0));

    // The housing association's status view lists what it owes.
    let status = app.get(&format!("/api/v1/cases/{case}/status"), &housing).await;
    let owed: Vec<&str> = status.body["actions_owed"].as_array().unwrap().iter().map(|a| a["description"].as_str().unwrap()).collect();
    assert_eq!(owed, ["Bring the move-on paperwork"]);

    // The GP practice sees the shared fields of every intervention, but no summaries of others',
    // and no needs, outcomes or other agencies' actions in its timeline.
    let gp = n.partner(n.gp);
    let list = app.get(&format!("/api/v1/cases/{case}/interventions"), &gp).await;
    assert_eq!(items(&list).len(), 8);
    assert!(items(&list).iter().all(|i| i.get("summary").is_none() && i["channel"].is_string()));
    let t = app.get(&format!("/api/v1/cases/{case}/timeline"), &gp).await;
    let kinds: Vec<&str> = items(&t).iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert!(!kinds.contains(&"need") && !kinds.contains(&"outcome") && !kinds.contains(&"action"), "{kinds:?}");
    assert!(!t.text.contains("Find a bed") && !t.text.contains("GP registration"), "{}", t.text);
}

#[actix_web::test]
async fn partners_log_their_own_interventions_and_see_their_own_summaries() {
    let n = network().await;
    let app = &n.app;
    let case = n.case().await;
    let red_cross = n.partner(n.red_cross);
    let r = n.log(&case, &red_cross, call(n.gp, 1, "Took him to the GP appointment")).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(r.body["recorded_by_agency"], n.red_cross.to_string());
    n.log(&case, &n.vcc, call(n.gp, 1, "Coordinator's call")).await;
    let list = app.get(&format!("/api/v1/cases/{case}/interventions"), &red_cross).await;
    let summaries: Vec<Option<&str>> = items(&list).iter().map(|i| i["summary"].as_str()).collect();
    assert_eq!(summaries.iter().filter(|s| s.is_some()).count(), 1);
    assert!(summaries.contains(&Some("Took him to the GP appointment")));
    // Partners may not agree actions, nor log on cases they are not on.
    let mut with_action = call(n.gp, 1, "x");
    with_action["actions"] = json!([{"description": "x", "owner_agency_id": n.red_cross, "due_on": day(3)}]);
    n.log(&case, &red_cross, with_action).await.problem(403);
    let outsider = n.partner(app.agency("Elsewhere", "ngo").await);
    n.log(&case, &outsider, call(n.gp, 1, "x")).await.problem(404);
    for role in [Role::Commissioner, Role::Auditor, Role::Admin] {
        n.log(&case, &token(role, None), call(n.gp, 1, "x")).await.problem(403);
    }
}

#[actix_web::test]
async fn invalid_interventions_store_nothing() {
    let n = network().await;
    let app = &n.app;
    let case = n.case().await;
    let other_case = n.case().await;
    let need = app.post(&format!("/api/v1/cases/{other_case}/needs"), &n.vcc, json!({"domain": "safety", "identified_on": day(0)})).await;
    let inactive = app.agency("Closed NGO", "ngo").await;
    app.patch(&format!("/api/v1/agencies/{inactive}"), &token(Role::Admin, None), "\"1\"", json!({"active": false})).await;
    let mut bad = call(inactive, 0, "   ");
    bad["occurred_at"] = json!((chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339());
    bad["duration_minutes"] = json!(1441);
    bad["need_id"] = need.body["id"].clone();
    bad["actions"] = json!([{"description": "x", "owner_agency_id": app.agency("Not on team", "ngo").await, "due_on": "someday"}]);
    let r = n.log(&case, &n.vcc, bad).await;
    assert_eq!(r.problem(422), ["summary", "duration_minutes", "actions[0].due_on"]);
    let mut bad = call(inactive, 0, "ok");
    bad["occurred_at"] = json!((chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339());
    bad["need_id"] = need.body["id"].clone();
    bad["actions"] = json!([{"description": "x", "owner_agency_id": app.agency("Still not on team", "ngo").await, "due_on": day(1)}]);
    let r = n.log(&case, &n.vcc, bad).await;
    assert_eq!(r.problem(422), ["counterpart_agency_id", "occurred_at", "need_id", "actions[0].owner_agency_id"]);
    let mut bad = call(n.gp, 0, "ok");
    bad["channel"] = json!("pigeon");
    assert_eq!(n.log(&case, &n.vcc, bad).await.problem(422), ["channel"]);
    let mut bad = call(n.gp, 0, &"x".repeat(4001));
    bad["occurred_at"] = json!("2001-01-01T00:00:00Z");
    assert_eq!(n.log(&case, &n.vcc, bad).await.problem(422), ["summary"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM interventions").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM actions").await, 0);
}

#[actix_web::test]
async fn interventions_filter_and_page() {
    let n = network().await;
    let app = &n.app;
    let case = n.case().await;
    for (i, counterpart) in [n.gp, n.red_cross, n.gp, n.housing, n.gp].into_iter().enumerate() {
        let mut c = call(counterpart, 10 - i as i64, "call");
        if i == 1 {
            c["channel"] = json!("email");
        }
        n.log(&case, &n.vcc, c).await;
    }
    let count = |r: Reply| items(&r).len();
    let base = format!("/api/v1/cases/{case}/interventions");
    assert_eq!(count(app.get(&format!("{base}?channel=email"), &n.vcc).await), 1);
    assert_eq!(count(app.get(&format!("{base}?counterpart_agency_id={}", n.gp), &n.vcc).await), 3);
    assert_eq!(count(app.get(&format!("{base}?need_domain=health_gp"), &n.vcc).await), 5);
    assert_eq!(count(app.get(&format!("{base}?need_domain=safety"), &n.vcc).await), 0);
    assert_eq!(count(app.get(&format!("{base}?from={}", day(-7)), &n.vcc).await), 2);
    assert_eq!(count(app.get(&format!("{base}?to={}", day(-7)), &n.vcc).await), 3);
    let mut seen = Vec::new();
    let mut path = format!("{base}?limit=2");
    loop {
        let r = app.get(&path, &n.vcc).await;
        seen.extend(items(&r).iter().map(|i| i["occurred_at"].as_str().unwrap().to_owned()));
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("{base}?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first: {seen:?}");
    assert_eq!(app.get(&format!("{base}?channel=pigeon&from=yesterday"), &n.vcc).await.problem(400), ["channel", "from"]);
}

#[actix_web::test]
async fn idempotent_posts_replay_and_refuse_a_different_body() {
    let n = network().await;
    let app = &n.app;
    let case = n.case().await;
    let path = format!("/api/v1/cases/{case}/interventions");
    let body = call(n.gp, 0, "Rang the practice manager");
    let send = async |b: &Value, key: &str| {
        let raw = Some((b.to_string().into_bytes(), "application/json"));
        app.send(Method::POST, &path, Some(&n.vcc), raw, &[("idempotency-key", key)]).await
    };
    let first = send(&body, "call-1").await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.text);
    let again = send(&body, "call-1").await;
    assert_eq!(again.status.as_u16(), 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    let mut other = body.clone();
    other["summary"] = json!("Something else");
    send(&other, "call-1").await.problem(422);
    // The same key from another caller is another key.
    let raw = Some((body.to_string().into_bytes(), "application/json"));
    let gp_partner = n.partner(n.gp);
    let theirs = app.send(Method::POST, &path, Some(&gp_partner), raw, &[("idempotency-key", "call-1")]).await;
    assert_eq!(theirs.status.as_u16(), 201);
    assert_ne!(theirs.body["id"], first.body["id"]);
    // Without a key, every POST is a new intervention; a malformed key is refused.
    assert_eq!(n.log(&case, &n.vcc, body.clone()).await.status.as_u16(), 201);
    send(&body, "").await.problem(400);
    assert_eq!(app.count("SELECT count(*) AS n FROM interventions").await, 3);
    // Other creating POSTs take keys too.
    let case_body = car_wash_man();
    let raw = || Some((case_body.to_string().into_bytes(), "application/json"));
    let a = app.send(Method::POST, "/api/v1/cases", Some(&n.vcc), raw(), &[("idempotency-key", "case-1")]).await;
    let b = app.send(Method::POST, "/api/v1/cases", Some(&n.vcc), raw(), &[("idempotency-key", "case-1")]).await;
    assert_eq!((a.status.as_u16(), a.body["reference"].clone()), (b.status.as_u16(), b.body["reference"].clone()));
    assert_eq!(a.header("etag"), b.header("etag"));
}

/// The same POST with the same key, 20 times at once: one intervention, one audit record.
#[actix_web::test]
async fn a_replay_storm_creates_exactly_one_intervention() {
    let n = network().await;
    let app = &n.app;
    let case = n.case().await;
    let path = format!("/api/v1/cases/{case}/interventions");
    let body = call(n.gp, 0, "Flaky signal on the ward").to_string();
    let replies = futures_util::future::join_all((0..20).map(|_| {
        let raw = Some((body.clone().into_bytes(), "application/json"));
        app.send(Method::POST, &path, Some(&n.vcc), raw, &[("idempotency-key", "storm")])
    }))
    .await;
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status.as_u16() == 201).collect();
    assert!(!created.is_empty());
    assert!(created.iter().all(|r| r.body == created[0].body));
    for r in replies.iter().filter(|r| r.status.as_u16() != 201) {
        r.problem(409);
        assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM interventions").await, 1);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'intervention'").await, 1);
    // Once it has finished, a retry gets the stored response.
    let raw = Some((body.into_bytes(), "application/json"));
    let later = app.send(Method::POST, &path, Some(&n.vcc), raw, &[("idempotency-key", "storm")]).await;
    assert_eq!(later.body, created[0].body);
}

/// The 10-day GP-access standard: met on day 8, missed on day 12 with the real date recorded.
#[actix_web::test]
async fn gp_access_met_on_day_8_missed_on_day_12() {
    let n = network().await;
    let app = &n.app;
    for (met_day, status) in [(8, "met"), (12, "missed")] {
        let case = n.case().await;
        app.event_ok(&case, &n.vcc, json!({"type": "support_started", "date": day(-20)})).await;
        let met_on = day(-20 + met_day);
        let r = app
            .post(
                &format!("/api/v1/cases/{case}/needs"),
                &n.vcc,
                json!({"domain": "health_gp", "identified_on": day(-20), "status": "met", "met_on": met_on}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        let d = app.deadlines(&case, &n.vcc).await;
        assert_eq!(
            (d["gp_access"]["status"].as_str(), d["gp_access"]["met_on"].as_str()),
            (Some(status), Some(met_on.as_str())),
            "day {met_day}"
        );
    }
}

#[actix_web::test]
async fn needs_and_outcomes_are_the_coordinators_and_checked() {
    let n = network().await;
    let app = &n.app;
    let case = n.case().await;
    let path = format!("/api/v1/cases/{case}/needs");
    assert_eq!(
        app.post(&path, &n.vcc, json!({"domain": "health_gp", "identified_on": day(0), "status": "met"})).await.problem(422),
        ["met_on"]
    );
    assert_eq!(app.post(&path, &n.vcc, json!({"domain": "counselling", "identified_on": day(0)})).await.problem(422), ["domain"]);
    let need = app.post(&path, &n.vcc, json!({"domain": "mental_health", "identified_on": day(-30)})).await;
    let need_path = format!("/api/v1/needs/{}", need.body["id"].as_str().unwrap());
    app.call(Method::PATCH, &need_path, Some(&n.vcc), Some(json!({"status": "met"}))).await.problem(428);
    assert_eq!(app.patch(&need_path, &n.vcc, "\"1\"", json!({"status": "met"})).await.problem(422), ["met_on"]);
    app.patch(&need_path, &n.vcc, "\"5\"", json!({"status": "withdrawn"})).await.problem(412);
    let gp = n.partner(n.gp);
    app.get(&path, &gp).await.problem(403);
    app.get(&need_path, &gp).await.problem(403);
    app.patch(&need_path, &gp, "\"1\"", json!({"status": "withdrawn"})).await.problem(403);
    let outsider = n.partner(app.agency("Elsewhere", "ngo").await);
    app.get(&need_path, &outsider).await.problem(404);

    let other_case = n.case().await;
    let theirs = n.log(&other_case, &n.vcc, call(n.gp, 0, "x")).await.body["id"].clone();
    let ours = n.log(&case, &n.vcc, call(n.gp, 0, "x")).await.body["id"].clone();
    let opath = format!("/api/v1/cases/{case}/outcomes");
    let r = app
        .post(&opath, &n.vcc, json!({"outcome": "secure_suitable_housing", "achieved_on": day(0), "score": 11, "intervention_ids": [ours]}))
        .await;
    assert_eq!(r.problem(422), ["score"]);
    let r = app
        .post(&opath, &n.vcc, json!({"outcome": "secure_suitable_housing", "achieved_on": day(0), "intervention_ids": [ours, theirs]}))
        .await;
    assert_eq!(r.problem(422), ["intervention_ids[1]"]);
    let r = app.post(&opath, &n.vcc, json!({"outcome": "re_exploited", "achieved_on": day(0)})).await;
    assert_eq!(r.body["core"], false);
    app.get(&opath, &gp).await.problem(403);
    app.post(&opath, &gp, json!({"outcome": "re_exploited", "achieved_on": day(0)})).await.problem(403);
    assert_eq!(items(&app.get(&opath, &n.vcc).await).len(), 1);
}

#[actix_web::test]
async fn actions_are_closed_by_their_owner_or_a_coordinator() {
    let n = network().await;
    let app = &n.app;
    let case = n.case().await;
    let path = format!("/api/v1/cases/{case}/actions");
    let stranger = app.agency("Not on the team", "ngo").await;
    assert_eq!(
        app.post(&path, &n.vcc, json!({"description": "x", "owner_agency_id": stranger, "due_on": day(3)})).await.problem(422),
        ["owner_agency_id"]
    );
    let a = app.post(&path, &n.vcc, json!({"description": "Register with the GP", "owner_agency_id": n.gp, "due_on": day(3)})).await;
    assert_eq!(a.status.as_u16(), 201, "{}", a.text);
    let b = app.post(&path, &n.vcc, json!({"description": "Food parcel", "owner_agency_id": n.red_cross, "due_on": day(1)})).await;
    let (a_path, b_path) =
        (format!("/api/v1/actions/{}", a.body["id"].as_str().unwrap()), format!("/api/v1/actions/{}", b.body["id"].as_str().unwrap()));
    let gp = n.partner(n.gp);
    // Another agency's action is invisible to a partner.
    app.patch(&b_path, &gp, "\"1\"", json!({"status": "done", "note": "x"})).await.problem(404);
    assert_eq!(items(&app.get(&path, &gp).await).len(), 1);
    app.call(Method::PATCH, &a_path, Some(&gp), Some(json!({"status": "done", "note": "x"}))).await.problem(428);
    assert_eq!(app.patch(&a_path, &gp, "\"1\"", json!({"status": "done"})).await.problem(422), ["note"]);
    assert_eq!(app.patch(&a_path, &gp, "\"1\"", json!({"status": "done", "reason": "x"})).await.problem(422), ["reason"]);
    let r = app.patch(&a_path, &gp, "\"1\"", json!({"status": "done", "note": "Registered at Riverside"})).await;
    assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("done")), "{}", r.text);
    app.patch(&a_path, &gp, "\"2\"", json!({"status": "cancelled", "reason": "x"})).await.problem(409);
    // The coordinator cancels the other with a reason; its deadline is waived with it.
    let r = app.patch(&b_path, &n.vcc, "\"1\"", json!({"status": "cancelled", "reason": "He moved to another area"})).await;
    assert_eq!(r.body["closure"]["note"], "He moved to another area");
    let d = app.get(&format!("/api/v1/cases/{case}/deadlines"), &n.vcc).await;
    let statuses: Vec<(&str, &str)> = items(&d).iter().map(|d| (d["rule"].as_str().unwrap(), d["status"].as_str().unwrap())).collect();
    assert!(statuses.contains(&("action_due", "met")) && statuses.contains(&("action_due", "waived")), "{statuses:?}");
    // Each change audited once (the refused attempts have records of their own).
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'action' AND outcome = 'success'").await, 4);
    app.get("/api/v1/actions", &token(Role::Commissioner, None)).await.problem(403);
}

/// Every path that names two ids checks the child belongs to the parent.
#[actix_web::test]
async fn nested_routes_refuse_a_child_of_another_case() {
    let n = network().await;
    let app = &n.app;
    let (a, b) = (n.case().await, n.case().await);
    let ev = app.event_ok(&a, &n.vcc, json!({"type": "support_started", "date": day(-1)})).await;
    let iv = n.log(&a, &n.vcc, call(n.gp, 0, "x")).await.body["id"].as_str().unwrap().to_owned();
    let ac = app
        .post(&format!("/api/v1/cases/{a}/actions"), &n.vcc, json!({"description": "x", "owner_agency_id": n.gp, "due_on": day(2)}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let nd = app.post(&format!("/api/v1/cases/{a}/needs"), &n.vcc, json!({"domain": "safety", "identified_on": day(0)})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let oc = app.post(&format!("/api/v1/cases/{a}/outcomes"), &n.vcc, json!({"outcome": "lost_contact", "achieved_on": day(0)})).await.body
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dl = app.deadlines(&a, &n.vcc).await["gp_access"]["id"].as_str().unwrap().to_owned();
    let children = [("events", ev), ("interventions", iv), ("actions", ac), ("needs", nd), ("outcomes", oc), ("deadlines", dl)];
    for (kind, child) in &children {
        let own = app.get(&format!("/api/v1/cases/{a}/{kind}/{child}"), &n.vcc).await;
        assert_eq!(own.status.as_u16(), 200, "{kind}: {}", own.text);
        app.get(&format!("/api/v1/cases/{b}/{kind}/{child}"), &n.vcc).await.problem(404);
    }
    let stranger = app.agency("Stranger", "ngo").await;
    app.call(Method::DELETE, &format!("/api/v1/cases/{b}/team/{stranger}"), Some(&n.vcc), None).await.problem(404);
}
