//! `/api/v1/cases` and the case team, with the access policy seen from outside.

use actix_web::http::Method;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

#[actix_web::test]
async fn a_coordinator_opens_a_pseudonymous_case() {
    let app = TestApp::init().spawn().await;
    let (agency, vcc) = app.coordinator().await;
    let r = app.post("/api/v1/cases", &vcc, car_wash_man()).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let c = &r.body;
    let reference = c["reference"].as_str().unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(reference.starts_with(&format!("{year}-")) && reference.len() == 11, "{reference}");
    assert_eq!(r.header("location"), Some(format!("/api/v1/cases/{}", c["id"].as_str().unwrap())));
    assert_eq!(r.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(c["view"], "full");
    assert_eq!(c["stage"], "intake");
    assert_eq!(c["is_child"], false);
    assert_eq!(c["known_as"], "A.M.");
    assert_eq!(c["birth_year"], 1992);
    assert_eq!(c["consent"]["recorded_by"], "coordinator-1");
    assert_eq!(c["lead_coordinator"], "coordinator-1");
    // The coordinator's own agency is on the team.
    assert_eq!(c["team"].as_array().unwrap().len(), 1);
    assert_eq!(c["team"][0]["agency_id"], agency.to_string());

    // References are unique and increasing.
    let second = app.open_case(&vcc, car_wash_man()).await;
    assert!(second["reference"].as_str().unwrap() > reference);
}

#[actix_web::test]
async fn anyone_who_may_be_under_18_is_treated_as_a_child() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let c = app.open_case(&vcc, county_lines_child()).await;
    assert_eq!(c["is_child"], true);
    assert_eq!(c["age_band"], "16_17");
    // A child's NRM referral needs no consent: "given" for a child is refused, and so is
    // county lines without criminal exploitation.
    let mut bad = county_lines_child();
    bad["consent"]["nrm"] = json!("given");
    bad["exploitation_types"] = json!(["labour"]);
    let r = app.post("/api/v1/cases", &vcc, bad).await;
    assert_eq!(r.problem(422), ["consent.nrm", "county_lines"]);
    // Age unknown but presumed a child.
    let mut presumed = car_wash_man();
    presumed["birth_year"] = Value::Null;
    presumed["presumed_child"] = json!(true);
    presumed["consent"]["nrm"] = json!("not_required_child");
    let c = app.open_case(&vcc, presumed).await;
    assert_eq!(c["is_child"], true);
}

#[actix_web::test]
async fn invalid_cases_name_every_field_at_fault_and_store_nothing() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let mut bad = car_wash_man();
    bad["known_as"] = json!("   ");
    bad["birth_year"] = json!(1850);
    bad["nationalities"] = json!(["RO", "XX"]);
    bad["languages"] = json!(["english"]);
    bad["local_authority"] = json!("");
    bad["consent"]["recorded_on"] = json!("02/11/2026");
    let r = app.post("/api/v1/cases", &vcc, bad).await;
    assert_eq!(r.problem(422), ["known_as", "birth_year", "nationalities[1]", "languages[0]", "local_authority", "consent.recorded_on"]);
    // A date of birth needs consent to share.
    let mut dob = car_wash_man();
    dob["date_of_birth"] = json!("1992-04-01");
    assert_eq!(app.post("/api/v1/cases", &vcc, dob).await.problem(422), ["date_of_birth"]);
    // Consent recorded in the future.
    let mut future = car_wash_man();
    future["consent"]["recorded_on"] = json!("2999-01-01");
    assert_eq!(app.post("/api/v1/cases", &vcc, future).await.problem(422), ["consent.recorded_on"]);
    let mut empty = car_wash_man();
    empty["exploitation_types"] = json!([]);
    assert_eq!(app.post("/api/v1/cases", &vcc, empty).await.problem(422), ["exploitation_types"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'case'").await, 0);
}

#[actix_web::test]
async fn a_coordinator_whose_agency_is_not_registered_cannot_open_cases() {
    let app = TestApp::init().spawn().await;
    let stray = token(Role::Coordinator, Some(AgencyId::new_v7(1)));
    app.post("/api/v1/cases", &stray, car_wash_man()).await.problem(422);
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 0);
}

/// A case with a GP practice (a partner) on the team; returns (case id, gp agency, vcc token).
async fn case_with_gp(app: &TestApp, body: Value) -> (String, AgencyId, String) {
    let (_, vcc) = app.coordinator().await;
    let case = app.open_case(&vcc, body).await;
    let id = case["id"].as_str().unwrap().to_owned();
    let gp = app.agency(&format!("Riverside GP Practice {}", uuid::Uuid::now_v7().simple()), "health_gp").await;
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{id}/team/{gp}"), Some(&vcc), Some(json!({"role": "GP practice"}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    (id, gp, vcc)
}

#[actix_web::test]
async fn partners_see_a_limited_view_of_their_cases_only() {
    let app = TestApp::init().spawn().await;
    // Confidential: no identifying details.
    let (id, gp, _) = case_with_gp(&app, car_wash_man()).await;
    let partner = token(Role::Partner, Some(gp));
    let r = app.get(&format!("/api/v1/cases/{id}"), &partner).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let c = &r.body;
    assert_eq!(c["view"], "limited");
    for hidden in ["known_as", "gender", "nationalities", "birth_year", "date_of_birth", "presumed_child"] {
        assert!(c.get(hidden).is_none(), "{hidden} shown to a partner: {c}");
    }
    assert!(c["consent"].get("recorded_by").is_none() && c["consent"].get("recorded_on").is_none());
    assert!(c["team"].as_array().unwrap().iter().all(|m| m.get("role").is_none()), "free text shown: {c}");
    assert_eq!(c["is_child"], false);
    assert_eq!(c["reference"].as_str().unwrap().len(), 11);

    // Consent to share: identifying details, still no birth details or free text.
    let (id2, gp2, _) = case_with_gp(&app, county_lines_child()).await;
    let r = app.get(&format!("/api/v1/cases/{id2}"), &token(Role::Partner, Some(gp2))).await;
    assert_eq!(r.body["known_as"], "J.");
    assert_eq!(r.body["is_child"], true);
    assert!(r.body.get("birth_year").is_none());

    // The list shows a partner its agency's cases and nothing else.
    let r = app.get("/api/v1/cases", &partner).await;
    let ids: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str()]);
}

#[actix_web::test]
async fn a_partner_of_another_agency_gets_404_everywhere() {
    let app = TestApp::init().spawn().await;
    let (id, _, _) = case_with_gp(&app, car_wash_man()).await;
    let outsider_agency = app.agency("Elsewhere NGO", "ngo").await;
    let outsider = token(Role::Partner, Some(outsider_agency));
    let missing = uuid::Uuid::now_v7();
    let mut hidden_bodies = Vec::new();
    for case in [id.clone(), missing.to_string()] {
        let r = app.get(&format!("/api/v1/cases/{case}"), &outsider).await;
        r.problem(404);
        hidden_bodies.push((r.body["type"].clone(), r.body["title"].clone(), r.body["detail"].clone()));
        app.patch(&format!("/api/v1/cases/{case}"), &outsider, "\"1\"", json!({"interpreter_needed": false})).await.problem(404);
        let team = format!("/api/v1/cases/{case}/team/{outsider_agency}");
        app.call(Method::PUT, &team, Some(&outsider), Some(json!({}))).await.problem(404);
        app.call(Method::DELETE, &team, Some(&outsider), None).await.problem(404);
    }
    // A hidden case and a missing one are indistinguishable.
    assert_eq!(hidden_bodies[0], hidden_bodies[1]);
    assert!(app.get("/api/v1/cases", &outsider).await.body["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn partners_on_the_team_may_not_change_the_case() {
    let app = TestApp::init().spawn().await;
    let (id, gp, _) = case_with_gp(&app, car_wash_man()).await;
    let partner = token(Role::Partner, Some(gp));
    app.patch(&format!("/api/v1/cases/{id}"), &partner, "\"2\"", json!({"interpreter_needed": false})).await.problem(403);
    app.call(Method::DELETE, &format!("/api/v1/cases/{id}/team/{gp}"), Some(&partner), None).await.problem(403);
}

#[actix_web::test]
async fn commissioners_auditors_and_administrators_read_no_case() {
    let app = TestApp::init().spawn().await;
    let (id, gp, _) = case_with_gp(&app, car_wash_man()).await;
    for role in [Role::Commissioner, Role::Auditor, Role::Admin] {
        let t = token(role, Some(gp));
        app.get("/api/v1/cases", &t).await.problem(403);
        // The same answer whether or not the case exists.
        app.get(&format!("/api/v1/cases/{id}"), &t).await.problem(403);
        app.get(&format!("/api/v1/cases/{}", uuid::Uuid::now_v7()), &t).await.problem(403);
        app.post("/api/v1/cases", &t, car_wash_man()).await.problem(403);
    }
}

#[actix_web::test]
async fn case_updates_follow_the_etag_and_recheck_the_whole_case() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let c = app.open_case(&vcc, car_wash_man()).await;
    let path = format!("/api/v1/cases/{}", c["id"].as_str().unwrap());
    app.call(Method::PATCH, &path, Some(&vcc), Some(json!({"interpreter_needed": false}))).await.problem(428);
    app.patch(&path, &vcc, "\"9\"", json!({"interpreter_needed": false})).await.problem(412);

    let r = app
        .patch(
            &path,
            &vcc,
            "\"1\"",
            json!({"interpreter_needed": false, "exploitation_types": ["labour", "criminal"], "county_lines": true}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(r.body["county_lines"], true);
    // The result must still satisfy every rule: dropping criminal while county lines is set fails.
    let r = app.patch(&path, &vcc, "\"2\"", json!({"exploitation_types": ["labour"]})).await;
    assert_eq!(r.problem(422), ["county_lines"]);
    // Birth details are replaced together; consent to share allows a date of birth.
    let r = app
        .patch(
            &path,
            &vcc,
            "\"2\"",
            json!({"date_of_birth": "1992-04-01", "consent": {"nrm": "given", "data_sharing": "share", "recorded_on": "2026-11-20"}}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["birth_year"], 1992);
    assert_eq!(r.body["date_of_birth"], "1992-04-01");
    let r = app.get(&path, &vcc).await;
    assert_eq!(r.header("etag").as_deref(), Some("\"3\""));
}

#[actix_web::test]
async fn the_team_changes_with_put_and_delete() {
    let app = TestApp::init().spawn().await;
    let (id, gp, vcc) = case_with_gp(&app, car_wash_man()).await;
    let team = format!("/api/v1/cases/{id}/team/{gp}");
    // Same role again: unchanged (200). New role: changed (200).
    let r = app.call(Method::PUT, &team, Some(&vcc), Some(json!({"role": "GP practice"}))).await;
    assert_eq!(r.status.as_u16(), 200);
    let r = app.call(Method::PUT, &team, Some(&vcc), Some(json!({"role": "GP practice (pilot)"}))).await;
    assert_eq!(r.body["role"], "GP practice (pilot)");
    let c = app.get(&format!("/api/v1/cases/{id}"), &vcc).await;
    assert_eq!(c.body["team"][1]["role"], "GP practice (pilot)");
    // Unknown and inactive agencies cannot join.
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{id}/team/{}", uuid::Uuid::now_v7()), Some(&vcc), Some(json!({}))).await;
    assert_eq!(r.problem(422), ["agency_id"]);
    let closed = app.agency("Closed Charity", "ngo").await;
    let admin = token(Role::Admin, None);
    app.patch(&format!("/api/v1/agencies/{closed}"), &admin, "\"1\"", json!({"active": false})).await;
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{id}/team/{closed}"), Some(&vcc), Some(json!({}))).await;
    assert_eq!(r.problem(422), ["agency_id"]);
    // Removing: 204, then the partner loses access; removing again is 404.
    assert_eq!(app.call(Method::DELETE, &team, Some(&vcc), None).await.status.as_u16(), 204);
    app.get(&format!("/api/v1/cases/{id}"), &token(Role::Partner, Some(gp))).await.problem(404);
    app.call(Method::DELETE, &team, Some(&vcc), None).await.problem(404);
}

#[actix_web::test]
async fn lists_filter_and_page_newest_first() {
    let app = TestApp::init().spawn().await;
    let (agency, vcc) = app.coordinator().await;
    let other_vcc = token_for(&principal(Role::Coordinator, Some(agency), "vcc-2"));
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = if i % 2 == 0 { car_wash_man() } else { county_lines_child() };
        let t = if i == 4 { &other_vcc } else { &vcc };
        let c = app.open_case(t, body).await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    // Page through everything, newest first.
    let mut seen = Vec::new();
    let mut path = "/api/v1/cases?limit=2".to_owned();
    loop {
        let r = app.get(&path, &vcc).await;
        seen.extend(r.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/cases?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let count = |r: Reply| r.body["items"].as_array().unwrap().len();
    assert_eq!(count(app.get("/api/v1/cases?exploitation_type=criminal", &vcc).await), 2);
    assert_eq!(count(app.get("/api/v1/cases?exploitation_type=labour&jurisdiction=england_wales", &vcc).await), 3);
    assert_eq!(count(app.get("/api/v1/cases?jurisdiction=scotland", &vcc).await), 0);
    assert_eq!(count(app.get("/api/v1/cases?status=intake", &vcc).await), 5);
    assert_eq!(count(app.get("/api/v1/cases?status=closed", &vcc).await), 0);
    assert_eq!(count(app.get(&format!("/api/v1/cases?agency_id={agency}"), &vcc).await), 5);
    assert_eq!(count(app.get(&format!("/api/v1/cases?agency_id={}", uuid::Uuid::now_v7()), &vcc).await), 0);
    assert_eq!(count(app.get("/api/v1/cases?lead=me", &other_vcc).await), 1);
    assert_eq!(count(app.get("/api/v1/cases?lead=coordinator-1", &vcc).await), 4);
    let r = app.get("/api/v1/cases?status=open&jurisdiction=wales&agency_id=x&exploitation_type=forced", &vcc).await;
    assert_eq!(r.problem(400), ["status", "jurisdiction", "exploitation_type", "agency_id"]);
}

/// A case is found by its reference (or the start of one) or by part of the name it is known
/// by, case-insensitively and literally (`%` and `_` are not wildcards); a partner's search
/// matches names only where the list would show them, so it cannot confirm a withheld name.
#[actix_web::test]
async fn cases_are_found_by_reference_or_name_and_a_search_reveals_no_withheld_name() {
    let app = TestApp::init().spawn().await;
    // A.M. is confidential, J. consented to sharing; both have the GP on the team.
    let (man, gp, vcc) = case_with_gp(&app, car_wash_man()).await;
    let child = app.open_case(&vcc, county_lines_child()).await;
    let child_id = child["id"].as_str().unwrap().to_owned();
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{child_id}/team/{gp}"), Some(&vcc), Some(json!({}))).await;
    assert!(r.status.is_success(), "{}", r.text);
    let reference = app.get(&format!("/api/v1/cases/{man}"), &vcc).await.body["reference"].as_str().unwrap().to_owned();
    let ids = |r: Reply| r.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();

    assert_eq!(ids(app.get(&format!("/api/v1/cases?q={reference}"), &vcc).await), [man.as_str()]);
    // The start of a reference: both (opened the same year).
    assert_eq!(ids(app.get(&format!("/api/v1/cases?q={}", &reference[..5]), &vcc).await).len(), 2);
    assert_eq!(ids(app.get("/api/v1/cases?q=a.m", &vcc).await), [man.as_str()]);
    assert_eq!(ids(app.get("/api/v1/cases?q=%20j.%20", &vcc).await), [child_id.as_str()]);
    // Literal: `_` and `%` match only themselves.
    assert!(ids(app.get("/api/v1/cases?q=_", &vcc).await).is_empty());
    assert!(ids(app.get("/api/v1/cases?q=%25", &vcc).await).is_empty());
    // Combined with the other filters.
    assert!(ids(app.get("/api/v1/cases?q=a.m.&exploitation_type=criminal", &vcc).await).is_empty());

    // The partner finds both by reference, but by name only the one whose name it may see.
    let partner = token(Role::Partner, Some(gp));
    assert_eq!(ids(app.get(&format!("/api/v1/cases?q={reference}"), &partner).await), [man.as_str()]);
    assert!(ids(app.get("/api/v1/cases?q=A.M.", &partner).await).is_empty(), "a withheld name was confirmed");
    assert_eq!(ids(app.get("/api/v1/cases?q=J.", &partner).await), [child_id.as_str()]);

    let r = app.get(&format!("/api/v1/cases?q={}", "x".repeat(101)), &vcc).await;
    assert_eq!(r.problem(400), ["q"]);
}
