//! Hostile input: each gets a clear 4xx problem and changes nothing; text is stored and returned
//! verbatim, never executed; every response carries the security headers.

use actix_web::http::Method;
use fourthp_domain::principal::Role;
use serde_json::json;

use crate::support::*;

#[actix_web::test]
async fn sql_and_script_fragments_are_stored_and_returned_verbatim() {
    let app = TestApp::init().spawn().await;
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
    let app = TestApp::init().spawn().await;
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
    // Dates are exactly YYYY-MM-DD: no sign, no five-digit years, no unpadded months.
    for date in ["-0001-01-01", "+2026-01-01", "2026-1-1", "02026-01-01"] {
        let ev = app.event(&case, &vcc, json!({"type": "support_started", "date": date})).await;
        assert_eq!(ev.problem(422), ["date"], "{date}");
    }
    let ev = app.event(&case, &vcc, json!({"type": "support_started", "date": "2001-01-01"})).await;
    ev.problem(409);
    assert_eq!(ev.body["rule"], "date_before_nrm");
    assert_eq!(app.event(&case, &vcc, json!({"type": "support_started", "date": "20260101"})).await.problem(422), ["date"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM interventions").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM case_events").await, 0);
}

/// NUL bytes and other control characters in query values and inside decoded cursors, and
/// dates outside the documented range, are refused as bad queries: none reaches the database.
#[actix_web::test]
async fn nul_bytes_in_queries_and_cursors_and_dates_out_of_range_are_400() {
    use base64::Engine;
    let app = TestApp::init().spawn().await;
    let (agency, vcc) = app.coordinator().await;
    let admin = token(Role::Admin, None);
    let auditor = token(Role::Auditor, None);
    let partner = token(Role::Partner, Some(agency));
    let case = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
    let cursor = |raw: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        ("/api/v1/deadlines?rule=a%00b".into(), &vcc, vec!["rule"]),
        ("/api/v1/deadlines?rule=a%0Db".into(), &vcc, vec!["rule"]),
        ("/api/v1/audit?agent_sub=a%00b".into(), &auditor, vec!["agent_sub"]),
        ("/api/v1/cases?lead=a%00b".into(), &vcc, vec!["lead"]),
        ("/api/v1/agencies?cursor=YWdlbmN5OmEA".into(), &admin, vec!["cursor"]),
        (
            format!("/api/v1/deadlines?cursor={}", cursor("deadline:2026-01-01|2026-000001\0|01a23407-fc93-700b-a32d-22e4e81715b9")),
            &vcc,
            vec!["cursor"],
        ),
        (format!("/api/v1/actions?cursor={}", cursor("action:-5000-01-01|01a23407-fc93-700b-a32d-22e4e81715b9")), &vcc, vec!["cursor"]),
        ("/api/v1/audit?from=-5000-01-01".into(), &auditor, vec!["from"]),
        ("/api/v1/audit?to=2008-12-31".into(), &auditor, vec!["to"]),
        ("/api/v1/deadlines?due_before=-5000-01-01".into(), &vcc, vec!["due_before"]),
        ("/api/v1/deadlines?due_before=2026-1-1".into(), &vcc, vec!["due_before"]),
        (format!("/api/v1/cases/{case}/interventions?from=-5000-01-01"), &vcc, vec!["from"]),
        (format!("/api/v1/cases/{case}/interventions?to=99999-01-01"), &vcc, vec!["to"]),
        ("/api/v1/reports/outcomes?from=2025-4-1&to=2026-03-31".into(), &vcc, vec!["from"]),
    ];
    for (path, token, fields) in cases {
        let r = app.get(&path, token).await;
        assert_eq!(r.problem(400), fields, "{path}");
    }
    // A partner can reach the interventions filter too: refused the same way, before anything.
    let r = app.get(&format!("/api/v1/cases/{case}/interventions?from=-5000-01-01"), &partner).await;
    assert!(matches!(r.status.as_u16(), 400 | 404), "{}", r.text);
    // The whole range is usable.
    let r = app.get("/api/v1/deadlines?due_before=9999-12-31", &vcc).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let r = app.get("/api/v1/audit?from=2009-04-01&to=9999-12-31", &auditor).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
}

#[actix_web::test]
async fn paging_and_header_abuse() {
    let app = TestApp::init().spawn().await;
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
    let app = TestApp::init().spawn().await;
    let r = app.call(Method::GET, "/docs/", None, None).await;
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-eval") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"));
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
}
