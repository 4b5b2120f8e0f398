//! Reports on a streaming replica (issue 16): a primary and a hot standby made from it with
//! `pg_basebackup -R`, both run by the cluster manager the service uses. A report is served from
//! the replica, says the instant its data is from, gives the primary's figures once the replica
//! has caught up, and is refused (503, `Retry-After`) while replay is paused and the replica falls
//! further behind than allowed, unless falling back to the primary is configured.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use chrono::Datelike;
use diesel::sql_types::{Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::principal::Role;
use fourthp_persistence::cluster::LocalCluster;
use fourthp_persistence::run_migrations;
use serde_json::Value;

use crate::support::*;

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    v: bool,
}

#[derive(diesel::QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(diesel::QueryableByName)]
struct At {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    v: Option<chrono::DateTime<chrono::Utc>>,
}

async fn connect(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url).await.unwrap()
}

/// Waits until the replica has replayed everything the primary has written so far.
async fn caught_up(primary: &str, replica: &str) {
    let lsn: Lsn = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS v").get_result(&mut connect(primary).await).await.unwrap();
    let mut conn = connect(replica).await;
    let began = Instant::now();
    loop {
        let done: Flag =
            diesel::sql_query(format!("SELECT pg_last_wal_replay_lsn() >= '{}'::pg_lsn AS v", lsn.v)).get_result(&mut conn).await.unwrap();
        if done.v {
            return;
        }
        assert!(began.elapsed() < Duration::from_secs(60), "the replica did not catch up");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The report's figures, without the instants it was made at.
fn figures(report: &Value) -> Value {
    let mut r = report.clone();
    for instant in ["generated_at", "data_as_of"] {
        r.as_object_mut().unwrap().remove(instant);
    }
    r
}

#[actix_web::test]
async fn reports_read_a_streaming_replica_and_refuse_when_it_falls_behind() {
    let root = std::env::temp_dir().join(format!("fourthp-replication-{}", uuid::Uuid::now_v7().simple()));
    let (p_dir, r_dir) = (root.join("primary"), root.join("replica"));
    let primary = actix_web::rt::task::spawn_blocking(move || LocalCluster::start(&p_dir, &[])).await.unwrap().unwrap();
    primary.ensure_database("fourthp").await.unwrap();
    let primary_url = primary.url("fourthp");
    run_migrations(&primary_url).await.unwrap();
    // A year and more of a small network's work, then the standby copied from it.
    let book = fourthp_domain::rules::shipped_with(None).unwrap();
    let year = chrono::Utc::now().year() - 1;
    let opts = fourthp_api::demo::DemoOptions { cases: 150, seed: 16, from_year: year - 1, progress: false };
    fourthp_api::demo::load(&primary_url, &book, opts, chrono::Utc::now()).await.unwrap();
    let p_dir = root.join("primary");
    let replica = actix_web::rt::task::spawn_blocking(move || {
        // A handle on the running primary (attaching: it stays this test's to stop).
        let primary = LocalCluster::start(&p_dir, &[])?;
        LocalCluster::start_replica_of(&primary, &r_dir, &[])
    })
    .await
    .unwrap()
    .unwrap();
    let replica_url = replica.url("fourthp");
    let standby: Flag = diesel::sql_query("SELECT pg_is_in_recovery() AS v").get_result(&mut connect(&replica_url).await).await.unwrap();
    assert!(standby.v, "the copy is a hot standby");

    // The same service three ways: reports on the primary; on the replica (at most 1 s behind);
    // on the replica, falling back to the primary.
    let on_primary = TestApp::init().on_database(&primary_url).spawn().await;
    let on_replica = TestApp::init()
        .on_database(&primary_url)
        .with_setting("FOURTHP_REPORT_DATABASE_URL", &replica_url)
        .with_setting("FOURTHP_REPORT_MAX_LAG_SECONDS", "1")
        .spawn()
        .await;
    let with_fallback = TestApp::init()
        .on_database(&primary_url)
        .with_setting("FOURTHP_REPORT_DATABASE_URL", &replica_url)
        .with_setting("FOURTHP_REPORT_MAX_LAG_SECONDS", "1")
        .with_setting("FOURTHP_REPORT_FALLBACK", "primary")
        .spawn()
        .await;
    let commissioner = token(Role::Commissioner, None);
    let path = format!("/api/v1/reports/outcomes?from={year}-01-01&to={year}-12-31");
    let report = async |app: &TestApp| app.call(Method::GET, &path, Some(&commissioner), None).await;

    // Caught up: the replica's report is the primary's, figure for figure.
    caught_up(&primary_url, &replica_url).await;
    let from_primary = report(&on_primary).await;
    assert_eq!(from_primary.status.as_u16(), 200, "{}", from_primary.text);
    let from_replica = report(&on_replica).await;
    assert_eq!(from_replica.status.as_u16(), 200, "{}", from_replica.text);
    assert_eq!(figures(&from_replica.body), figures(&from_primary.body));
    assert!(from_replica.body["sections"].as_array().is_some_and(|s| !s.is_empty()));

    // Replay paused, and the primary moves on: the replica falls behind.
    diesel::sql_query("SELECT pg_wal_replay_pause()").execute(&mut connect(&replica_url).await).await.unwrap();
    let (_, vcc) = on_primary.coordinator().await;
    on_primary.open_case(&vcc, car_wash_man()).await;
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let refused = report(&on_replica).await;
    assert_eq!(refused.problem(503), Vec::<String>::new());
    assert_eq!(refused.header("retry-after").as_deref(), Some("30"));
    assert_eq!(refused.body["type"], "urn:fourthp:problem:report-replica-behind");
    assert!(refused.body["detail"].as_str().unwrap().contains("behind"), "{}", refused.text);
    // /metrics shows how far behind.
    let metrics = on_replica.call(Method::GET, "/metrics", None, None).await.text;
    let lag = metrics
        .lines()
        .find_map(|l| l.strip_prefix("fourthp_report_replica_lag_seconds ")?.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no replica lag in {metrics}"));
    assert!(lag >= 1.0, "{lag}");
    assert!(!on_primary.call(Method::GET, "/metrics", None, None).await.text.contains("replica_lag"));
    // Configured to, it reads the primary instead, and says its data is from now.
    let fell_back = report(&with_fallback).await;
    assert_eq!(fell_back.status.as_u16(), 200, "{}", fell_back.text);
    let instant = |r: &Reply, field: &str| r.body[field].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    assert!((instant(&fell_back, "generated_at") - instant(&fell_back, "data_as_of")).num_seconds().abs() < 2, "{}", fell_back.text);

    // A replica allowed to be further behind serves the report and states the instant its data
    // is from: the last change it replayed, before the case just opened.
    let patient = TestApp::init()
        .on_database(&primary_url)
        .with_setting("FOURTHP_REPORT_DATABASE_URL", &replica_url)
        .with_setting("FOURTHP_REPORT_MAX_LAG_SECONDS", "3600")
        .spawn()
        .await;
    let stale = report(&patient).await;
    assert_eq!(stale.status.as_u16(), 200, "{}", stale.text);
    let replayed: At =
        diesel::sql_query("SELECT pg_last_xact_replay_timestamp() AS v").get_result(&mut connect(&replica_url).await).await.unwrap();
    let stated = instant(&stale, "data_as_of");
    assert_eq!(Some(stated), replayed.v, "the report states the replica's last replayed change");
    assert!(instant(&stale, "generated_at") - stated >= chrono::Duration::milliseconds(1500), "{}", stale.text);

    // Replay resumed: served from the replica again, the same figures.
    diesel::sql_query("SELECT pg_wal_replay_resume()").execute(&mut connect(&replica_url).await).await.unwrap();
    caught_up(&primary_url, &replica_url).await;
    let again = report(&on_replica).await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.text);
    assert_eq!(figures(&again.body), figures(&from_primary.body));

    drop((on_primary, on_replica, with_fallback, patient));
    replica.stop().unwrap();
    primary.stop().unwrap();
    let _ = std::fs::remove_dir_all(&root);
}
