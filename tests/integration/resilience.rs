//! Riding out a database restart: 503 with Retry-After while it is down (never a hang or a
//! panic), and normal service within 5 s of its return, without restarting the service.

use std::time::{Duration, Instant};

use fourthp_domain::principal::Role;
use fourthp_persistence::cluster::LocalCluster;
use fourthp_persistence::run_migrations;
use serde_json::json;

use crate::support::*;

#[actix_web::test]
async fn the_service_rides_out_an_immediate_database_restart() {
    let dir = std::env::temp_dir().join(format!("fourthp-restart-{}", uuid::Uuid::now_v7().simple()));
    let start = |dir: std::path::PathBuf, port: Option<u16>| async move {
        actix_web::rt::task::spawn_blocking(move || LocalCluster::start_on(&dir, &[("fsync", "off")], port)).await.unwrap().unwrap()
    };
    let cluster = start(dir.clone(), None).await;
    cluster.ensure_database("fourthp").await.unwrap();
    let url = cluster.url("fourthp");
    run_migrations(&url).await.unwrap();
    let app = TestApp::init().on_database(&url).spawn().await;
    let admin = token(Role::Admin, None);
    let create = |i: u32| json!({"name": format!("Restart agency {i}"), "kind": "ngo"});
    assert_eq!(app.post("/api/v1/agencies", &admin, create(1)).await.status.as_u16(), 201);

    let port = cluster.port();
    let c = actix_web::rt::task::spawn_blocking(move || {
        cluster.stop_immediately().unwrap();
        cluster
    })
    .await
    .unwrap();
    // Down: every request is a prompt 503 with Retry-After, reads and writes alike.
    for i in 0..3 {
        let began = Instant::now();
        let r = app.get("/api/v1/agencies", &admin).await;
        r.problem(503);
        assert_eq!(r.header("retry-after").as_deref(), Some("5"));
        let w = app.post("/api/v1/agencies", &admin, create(100 + i)).await;
        w.problem(503);
        assert!(began.elapsed() < Duration::from_secs(10), "no hanging: {:?}", began.elapsed());
    }
    app.call(actix_web::http::Method::GET, "/readyz", None, None).await.problem(503);
    drop(c);

    // Back on the same port: normal service within 5 s, on the pool the service already had.
    let cluster = start(dir.clone(), Some(port)).await;
    let back = Instant::now();
    let mut ok = false;
    while back.elapsed() < Duration::from_secs(5) {
        if app.get("/api/v1/agencies", &admin).await.status.as_u16() == 200 {
            ok = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "not serving 5 s after the database returned");
    let r = app.post("/api/v1/agencies", &admin, create(2)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    // What was acknowledged before the crash survived it; nothing refused was written.
    let names: Vec<String> = app.get("/api/v1/agencies", &admin).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Restart agency 1", "Restart agency 2"]);
    drop(app);
    actix_web::rt::task::spawn_blocking(move || cluster.stop()).await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
