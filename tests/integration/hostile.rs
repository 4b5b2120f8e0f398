//! Hostile input: each gets a clear 4xx problem and changes nothing; text is stored and returned
//! verbatim, never executed; every response carries the security headers.

use actix_web::http::Method;
use fourthp_domain::principal::Role;
use serde_json::json;

use crate::support::*;

#[actix_web::test]
async fn sql_and_script_fragments_are_stored_and_returned_verbatim() {
    let app = spawn_app().await;
    let (_, vcc) = app.coordinator().await;
    let mut body = car_wash_man();
    body["known_as"] = json!("Robert'); DROP TABLE cases;--");
    body["local_authority"] = json!("<script>alert(1)</script>");
    let r = app.post("/api/v1/cases", &vcc, body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();
    let back = app.get(&format!("/api/v1/cases/{id}"), &vcc).await;
    assert_eq!(back.body["known_as"], "Robert'); DROP TABLE cases;--");
    assert_eq!(back.body["local_authority"], "<script>alert(1)</script>");
    assert_eq!(back.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(back.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert!(back.header("content-security-policy").unwrap().starts_with("default-src 'none'"));
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 1);
}

#[actix_web::test]
async fn control_characters_out_of_range_numbers_and_impossible_dates_are_refused() {
    let app = spawn_app().await;
    let (_, vcc) = app.coordinator().await;
    let gp = app.agency("Hostile GP", "health_gp").await;
    let mut nul = car_wash_man();
    nul["known_as"] = json!("A\u{0}B");
    assert_eq!(app.post("/api/v1/cases", &vcc, nul).await.problem(422), ["known_as"]);
    let mut huge = car_wash_man();
    huge["birth_year"] = json!(1e30);
    assert_eq!(app.post("/api/v1/cases", &vcc, huge).await.problem(422), ["birth_year"]);
    for date in ["0001-01-01", "9999-12-31", "+275760-09-13", "2026-02-30", "2026-13-01"] {
        let mut b = car_wash_man();
        b["consent"]["recorded_on"] = json!(date);
        assert_eq!(app.post("/api/v1/cases", &vcc, b).await.problem(422), ["consent.recorded_on"], "{date}");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 0);

    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    app.call(Method::PUT, &format!("/api/v1/cases/{case}/team/{gp}"), Some(&vcc), Some(json!({}))).await;
    let path = format!("/api/v1/cases/{case}/interventions");
    let call = |occurred_at: &str, minutes: serde_json::Value| {
        json!({"channel": "phone_call", "direction": "outbound", "counterpart_agency_id": gp, "occurred_at": occurred_at,
               "need_domain": "health_gp", "summary": "x", "duration_minutes": minutes})
    };
    let now = chrono::Utc::now().to_rfc3339();
    assert_eq!(app.post(&path, &vcc, call(&now, json!(1e30))).await.problem(422), ["duration_minutes"]);
    assert_eq!(app.post(&path, &vcc, call(&now, json!(-5))).await.problem(422), ["duration_minutes"]);
    assert_eq!(app.post(&path, &vcc, call("9999-12-31T00:00:00Z", json!(5))).await.problem(422), ["occurred_at"]);
    assert_eq!(app.post(&path, &vcc, call("1900-01-01T00:00:00Z", json!(5))).await.problem(422), ["occurred_at"]);
    assert_eq!(app.post(&path, &vcc, call("yesterday", json!(5))).await.problem(422), ["occurred_at"]);
    let ev = app.event(&case, &vcc, json!({"type": "support_started", "date": "-0001-01-01"})).await;
    ev.problem(409);
    assert_eq!(ev.body["rule"], "date_before_nrm");
    assert_eq!(app.event(&case, &vcc, json!({"type": "support_started", "date": "20260101"})).await.problem(422), ["date"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM interventions").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM case_events").await, 0);
}

#[actix_web::test]
async fn paging_and_header_abuse() {
    let app = spawn_app().await;
    let admin = token(Role::Admin, None);
    for q in ["limit=1e9", "limit=18446744073709551616", "limit=%00", "cursor=%FF%FE", "cursor=Y2FzZTpub3QtYS11dWlk", "limit=1&limit=2"] {
        let r = app.get(&format!("/api/v1/agencies?{q}"), &admin).await;
        r.problem(400);
    }
    // A long, odd request id is replaced; an oversized bearer token is simply invalid.
    let r = app.send(Method::GET, "/healthz", None, None, &[("x-request-id", &"x".repeat(5000))]).await;
    assert!(r.header("x-request-id").unwrap().len() <= 64);
    let r = app.call(Method::GET, "/api/v1/agencies", Some(&"a.b.c".repeat(2000)), None).await;
    r.problem(401);
}

#[actix_web::test]
async fn the_offline_docs_carry_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let r = app.call(Method::GET, "/docs/", None, None).await;
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-eval") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"));
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
}
