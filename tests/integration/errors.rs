//! Every bad input is a clear problem response that changes nothing and echoes no data.

use actix_web::http::Method;
use fourthp_domain::principal::Role;
use serde_json::json;

use crate::support::*;

#[actix_web::test]
async fn malformed_and_unexpected_bodies() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let send = |body: &'static [u8], content_type: &'static str| {
        app.send(Method::POST, "/api/v1/agencies", Some(&admin), Some((body.to_vec(), content_type)), &[])
    };
    assert_eq!(send(b"{\"name\": ", "application/json").await.problem(400), ["body"]);
    assert_eq!(send(b"{\"name\": \"A\", \"kind\": \"ngo\"} trailing", "application/json").await.problem(400), ["body"]);
    assert_eq!(send(b"\xff\xfe{}", "application/json").await.problem(400), ["body"]);
    // Deep nesting is refused where it starts, without descending into it.
    let nested = format!(r#"{{"name": "A", "kind": "ngo", "contact_email": {}{}}}"#, "[".repeat(5000), "]".repeat(5000));
    let r = app.send(Method::POST, "/api/v1/agencies", Some(&admin), Some((nested.into_bytes(), "application/json")), &[]).await;
    assert_eq!(r.problem(422), ["contact_email"]);
    send(b"name=A&kind=ngo", "application/x-www-form-urlencoded").await.problem(415);
    send(b"{}", "text/plain").await.problem(415);
    let r = app.send(Method::POST, "/api/v1/agencies", Some(&admin), None, &[]).await;
    r.problem(415);
    // Unknown fields are refused by name.
    let r = app.post("/api/v1/agencies", &admin, json!({"name": "A", "kind": "ngo", "colour": "red"})).await;
    assert_eq!(r.problem(422), ["colour"]);
    assert!(r.text.contains("unknown field `colour`"));
    // Oversized bodies: 413, with the limit in the detail.
    let big = json!({"name": "x".repeat(BODY_LIMIT), "kind": "ngo"});
    let r = app.post("/api/v1/agencies", &admin, big).await;
    r.problem(413);
    assert!(r.body["detail"].as_str().unwrap().contains(&BODY_LIMIT.to_string()));
    assert_eq!(app.count("SELECT count(*) AS n FROM agencies").await, 0);
}

#[actix_web::test]
async fn errors_never_echo_what_was_sent() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let mut body = car_wash_man();
    body["gender"] = json!("Jane Doe of 12 Acacia Avenue");
    let r = app.post("/api/v1/cases", &vcc, body).await;
    assert_eq!(r.problem(422), ["gender"]);
    assert!(!r.text.contains("Jane") && !r.text.contains("Acacia"), "{}", r.text);
    let mut body = car_wash_man();
    body["birth_year"] = json!("Jane Doe");
    let r = app.post("/api/v1/cases", &vcc, body).await;
    assert_eq!(r.problem(422), ["birth_year"]);
    assert!(!r.text.contains("Jane"), "{}", r.text);
    let mut body = car_wash_man();
    body["consent"]["data_sharing"] = json!("tell Jane");
    let r = app.post("/api/v1/cases", &vcc, body).await;
    assert_eq!(r.problem(422), ["consent.data_sharing"]);
    assert!(!r.text.contains("Jane"), "{}", r.text);
}

#[actix_web::test]
async fn bad_paths_queries_routes_and_methods() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    assert_eq!(app.get("/api/v1/cases/not-a-uuid", &vcc).await.problem(400), ["id"]);
    assert_eq!(app.get("/api/v1/agencies/123", &vcc).await.problem(400), ["id"]);
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{}/team/nope", uuid::Uuid::now_v7()), Some(&vcc), Some(json!({}))).await;
    assert_eq!(r.problem(400), ["agency_id"]);
    for bad in ["limit=0", "limit=201", "limit=-1", "limit=ten", "limit=99999999999999999999"] {
        assert_eq!(app.get(&format!("/api/v1/cases?{bad}"), &vcc).await.problem(400), ["limit"], "{bad}");
    }
    for bad in ["cursor=garbage", "cursor=-1", "cursor=YWdlbmN5Ong"] {
        assert_eq!(app.get(&format!("/api/v1/cases?{bad}"), &vcc).await.problem(400), ["cursor"], "{bad}");
    }
    assert_eq!(app.get("/api/v1/cases?colour=red", &vcc).await.problem(400), ["query"]);
    app.get("/api/v1/nothing-here", &vcc).await.problem(404);
    app.call(Method::GET, "/nothing", None, None).await.problem(404);
    // A method no route takes on a path that exists: 405 with Allow.
    let r = app.call(Method::DELETE, "/api/v1/agencies", Some(&vcc), None).await;
    r.problem(405);
    assert_eq!(r.header("allow").as_deref(), Some("GET, POST"));
    let r = app.call(Method::from_bytes(b"TRACE").unwrap(), &format!("/api/v1/cases/{}/timeline", uuid::Uuid::now_v7()), None, None).await;
    assert_eq!((r.status.as_u16(), r.header("allow").as_deref()), (405, Some("GET")));
}

#[actix_web::test]
async fn a_database_outage_is_a_503_with_retry_after() {
    let app = TestApp::init().without_database().spawn().await;
    let admin = token(Role::Admin, None);
    let r = app.get("/api/v1/agencies", &admin).await;
    r.problem(503);
    assert_eq!(r.header("retry-after").as_deref(), Some("5"));
    let r = app.post("/api/v1/agencies", &admin, json!({"name": "A", "kind": "ngo"})).await;
    r.problem(503);
    app.call(Method::GET, "/readyz", None, None).await.problem(503);
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status.as_u16(), 200);
}
