//! `/api/v1/agencies`.

use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::Role;
use serde_json::json;

use crate::support::*;

#[actix_web::test]
async fn an_administrator_registers_reads_and_lists_agencies() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let r = app
        .post(
            "/api/v1/agencies",
            &admin,
            json!({"name": "  Northshire Police ", "kind": "police", "contact_email": "mash@northshire.police.example", "contact_phone": "0161 496 0000"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.header("location"), Some(format!("/api/v1/agencies/{id}")));
    assert_eq!(r.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(r.body["name"], "Northshire Police");
    assert_eq!(r.body["active"], true);
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

    let r = app.get(&format!("/api/v1/agencies/{id}"), &admin).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.body["contact_phone"], "0161 496 0000");
    assert_eq!(r.header("etag").as_deref(), Some("\"1\""));

    // Every role may list names and kinds; only administrators and coordinators see contacts.
    let coordinator = token(Role::Coordinator, Some(AgencyId::parse(&id).unwrap()));
    let r = app.get("/api/v1/agencies", &coordinator).await;
    assert_eq!(r.body["items"][0]["contact_email"], "mash@northshire.police.example");
    for role in [Role::Partner, Role::Commissioner, Role::Auditor] {
        let agency = role.requires_agency().then(|| AgencyId::parse(&id).unwrap());
        let r = app.get("/api/v1/agencies", &token(role, agency)).await;
        assert_eq!(r.status.as_u16(), 200, "{role}");
        let item = &r.body["items"][0];
        assert_eq!(item["name"], "Northshire Police");
        assert_eq!(item["kind"], "police");
        assert!(item.get("contact_email").is_none() && item.get("contact_phone").is_none(), "{role}: {item}");
    }
}

#[actix_web::test]
async fn only_administrators_register_or_change_agencies() {
    let app = TestApp::init().spawn().await;
    let id = app.agency("Red Cross Northshire", "red_cross").await;
    let body = json!({"name": "Another", "kind": "ngo"});
    for role in [Role::Coordinator, Role::Partner, Role::Commissioner, Role::Auditor] {
        let t = token(role, Some(id));
        app.post("/api/v1/agencies", &t, body.clone()).await.problem(403);
        app.patch(&format!("/api/v1/agencies/{id}"), &t, "\"1\"", json!({"active": false})).await.problem(403);
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM agencies").await, 1);
}

#[actix_web::test]
async fn names_are_unique_ignoring_case() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    app.agency("Hope Housing Association", "local_authority_housing").await;
    let r = app.post("/api/v1/agencies", &admin, json!({"name": "HOPE housing association", "kind": "ngo"})).await;
    assert_eq!(r.problem(409), ["name"]);
    let other = app.agency("Hope NGO", "ngo").await;
    let r = app.patch(&format!("/api/v1/agencies/{other}"), &admin, "\"1\"", json!({"name": "hope housing ASSOCIATION"})).await;
    assert_eq!(r.problem(409), ["name"]);
}

#[actix_web::test]
async fn invalid_agencies_are_refused_field_by_field() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let r = app
        .post(
            "/api/v1/agencies",
            &admin,
            json!({"name": " ", "kind": "police", "contact_email": "not-an-email", "contact_phone": "call me"}),
        )
        .await;
    assert_eq!(r.problem(422), ["name", "contact_email", "contact_phone"]);
    let long = "x".repeat(201);
    assert_eq!(app.post("/api/v1/agencies", &admin, json!({"name": long, "kind": "police"})).await.problem(422), ["name"]);
    assert_eq!(app.post("/api/v1/agencies", &admin, json!({"name": "A", "kind": "army"})).await.problem(422), ["kind"]);
    assert_eq!(app.post("/api/v1/agencies", &admin, json!({"kind": "police"})).await.problem(422), ["body"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM agencies").await, 0);
}

#[actix_web::test]
async fn updates_need_the_current_etag() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let id = app.agency("Northshire GP Practice", "health_gp").await;
    let path = format!("/api/v1/agencies/{id}");
    // No If-Match: 428. A stale or foreign one: 412. Nothing changes either way.
    let r = app.call(actix_web::http::Method::PATCH, &path, Some(&admin), Some(json!({"active": false}))).await;
    r.problem(428);
    app.patch(&path, &admin, "\"7\"", json!({"active": false})).await.problem(412);
    app.patch(&path, &admin, "W/\"1\"", json!({"active": false})).await.problem(412);
    app.patch(&path, &admin, "1", json!({"active": false})).await.problem(400);
    app.patch(&path, &admin, "", json!({"active": false})).await.problem(400);
    assert_eq!(app.get(&path, &admin).await.body["active"], true);

    let r = app.patch(&path, &admin, "\"1\"", json!({"active": false, "contact_email": null, "contact_phone": "+44 20 7946 0000"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(r.body["active"], false);
    assert!(r.body.get("contact_email").is_none());
    assert_eq!(r.body["contact_phone"], "+44 20 7946 0000");
    // The old tag is now stale.
    app.patch(&path, &admin, "\"1\"", json!({"active": true})).await.problem(412);
    // A change that changes nothing keeps the version.
    let r = app.patch(&path, &admin, "\"2\"", json!({"active": false})).await;
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    // Unknown agency.
    app.patch(&format!("/api/v1/agencies/{}", uuid::Uuid::now_v7()), &admin, "\"1\"", json!({"active": true})).await.problem(404);
    app.get(&format!("/api/v1/agencies/{}", uuid::Uuid::now_v7()), &admin).await.problem(404);
}

#[actix_web::test]
async fn lists_page_through_every_agency_in_name_order() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let names: Vec<String> = (0..7).map(|i| format!("Agency {}", (b'G' - i) as char)).collect();
    for n in &names {
        app.agency(n, "ngo").await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/agencies?limit=3".to_owned();
    loop {
        let r = app.get(&path, &admin).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|i| i["name"].as_str().unwrap().to_owned()));
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/agencies?limit=3&cursor={c}"),
            None => break,
        }
    }
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(seen, expected);
}
