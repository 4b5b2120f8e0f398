//! The demo network: valid under the domain rules as the service reads them back, the same for
//! the same seed, never loaded beside real cases, and a report that looks like a partnership's.

use chrono::{TimeZone, Utc};
use fourthp_api::demo::{self, DemoOptions};
use fourthp_domain::ids::CaseId;
use fourthp_domain::lifecycle::replay;
use fourthp_domain::principal::Role;
use fourthp_persistence::{cases, events};
use serde_json::Value;

use crate::support::*;

const CONTENT: &str = "SELECT md5(string_agg(row, '|' ORDER BY row)) AS digest FROM (
    SELECT concat_ws(',', id, reference, stage, birth_year, nationalities, exploitation_types, local_authority, stage_advances_on) AS row FROM cases
    UNION ALL SELECT concat_ws(',', id, case_id, type, event_date, outcome, closure_reason) FROM case_events
    UNION ALL SELECT concat_ws(',', id, case_id, channel, counterpart_agency_id, occurred_at, summary, need_id) FROM interventions
    UNION ALL SELECT concat_ws(',', id, domain, identified_on, status, met_on) FROM needs
    UNION ALL SELECT concat_ws(',', id, owner_agency_id, due_on, status, closed_on) FROM actions
    UNION ALL SELECT concat_ws(',', id, rule_id, due_on, met_on, waived_reason) FROM deadlines
    UNION ALL SELECT concat_ws(',', id, outcome, achieved_on) FROM outcomes) t";

async fn digest(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct Digest {
        #[diesel(sql_type = diesel::sql_types::Text)]
        digest: String,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = app.db.conn().await.unwrap();
    diesel::sql_query(CONTENT).get_result::<Digest>(&mut conn).await.unwrap().digest
}

#[actix_web::test]
async fn demo_data_is_valid_deterministic_and_only_goes_into_an_empty_database() {
    let book = fourthp_domain::rules::shipped_with(None).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 6, 15, 11, 0, 0).unwrap();
    let opts = DemoOptions { cases: 120, seed: 7, from_year: 2022, progress: false };
    let (a, b, c) = (TestApp::init().spawn().await, TestApp::init().spawn().await, TestApp::init().spawn().await);
    let loaded = demo::load(&a.db_url, &book, opts, now).await.unwrap();
    assert_eq!(loaded.cases, 120);
    assert!(loaded.interventions > 120 * 20, "{loaded:?}");
    assert!(loaded.actions > 0 && loaded.outcomes > 0 && loaded.deadlines > loaded.cases, "{loaded:?}");

    // The same seed gives the same network; another seed another.
    demo::load(&b.db_url, &book, opts, now).await.unwrap();
    demo::load(&c.db_url, &book, DemoOptions { seed: 8, ..opts }, now).await.unwrap();
    assert_eq!(digest(&a).await, digest(&b).await);
    assert_ne!(digest(&a).await, digest(&c).await);

    // Never beside real (or earlier) cases.
    let again = demo::load(&a.db_url, &book, opts, now).await;
    assert!(again.is_err_and(|e| e.contains("already holds cases")));
    assert_eq!(a.count("SELECT count(*) AS n FROM cases").await, 120);

    // Every case reads back as domain values, its events replay under the lifecycle rules to the
    // stored stage, and its stored deadlines are the ones the rule book derives.
    let ids: Vec<String> = a.strings("SELECT id::text AS v FROM cases").await;
    for id in &ids {
        let id = CaseId::parse(id).unwrap();
        let case = cases::get(&a.db, id).await.unwrap().unwrap();
        let timeline = replay(&events::list(&a.db, id).await.unwrap()).unwrap();
        assert_eq!(case.stage, timeline.stage(), "{}", case.reference.as_str());
    }
    let vcc = token(Role::Coordinator, Some(a.agency_named(demo::DEMO_COORDINATOR_AGENCY).await));
    for id in ids.iter().take(15) {
        for view in ["", "/status", "/timeline", "/deadlines"] {
            let r = a.get(&format!("/api/v1/cases/{id}{view}"), &vcc).await;
            assert_eq!(r.status.as_u16(), 200, "{view}: {}", r.text);
        }
    }
    // Shares look like the published statistics: children near 44%, UK nationals near a quarter.
    let children = a.count("SELECT count(*) AS n FROM cases WHERE nrm_consent = 'not_required_child'").await;
    assert!((30..=75).contains(&children), "{children} children of 120");
    let uk = a.count("SELECT count(*) AS n FROM cases WHERE 'GB' = ANY (nationalities)").await;
    assert!((15..=50).contains(&uk), "{uk} UK nationals of 120");
    // Each case was created with an audit record, as the service would have written.
    assert_eq!(a.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'case' AND action = 'C'").await, 120);

    // The commissioner's report over the demo network: every casework section filled, no small
    // count; the ninth, the network's own work, counts challenges (the demo has none yet).
    let commissioner = token(Role::Commissioner, None);
    let r = a.get("/api/v1/reports/outcomes?from=2022-01-01&to=2026-06-30", &commissioner).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let sections: Vec<&Value> = r.body["sections"].as_array().unwrap().iter().collect();
    assert_eq!(sections.len(), 9);
    assert_eq!(sections[8]["id"], "network");
    let supported = &sections[0]["measures"][1]["figures"][0];
    // Perturbed by the cell key method: within 2 of the 120.
    let v = supported["value"].as_f64().unwrap();
    assert!((118.0..=122.0).contains(&v) && supported["status"] == "perturbed", "{supported}");
}

/// Every table and column a bulk load writes is in the migrated schema, and no column the
/// schema requires (NOT NULL without a default) is left out of its table's records.
#[actix_web::test]
async fn the_bulk_records_match_the_migrated_schema() {
    use fourthp_persistence::bulk::tables::ALL;
    let app = TestApp::init().spawn().await;
    for (table, columns) in ALL {
        let existing = app
            .strings(&format!(
                "SELECT column_name::text AS v FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}'"
            ))
            .await;
        assert!(!existing.is_empty(), "no table {table}");
        for c in *columns {
            assert!(existing.iter().any(|e| e == c), "{table}.{c} is not a column of the migrated schema");
        }
        let required = app
            .strings(&format!(
                "SELECT column_name::text AS v FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' \
                 AND is_nullable = 'NO' AND column_default IS NULL AND is_generated = 'NEVER' AND identity_generation IS NULL"
            ))
            .await;
        for c in &required {
            assert!(columns.contains(&c.as_str()), "{table}.{c} is required by the schema but not written by the bulk load");
        }
    }
}
