//! A partnership moves its spreadsheet caseload in: the workbook with two wrong rows gets a
//! report naming each by row and column in the rule's words and nothing is loaded; the
//! corrected workbook loads whole (cases, NRM events with their deadlines, the contact log),
//! audited with the file's SHA-256; loading it again duplicates nothing; a CSV caseload with
//! its events file reads the same way.

use awc::http::Method;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{ROOT}/fixtures/{name}")).unwrap()
}

async fn start(app: &TestApp, admin: &str, name: &str, bytes: Vec<u8>, agency: &str) -> Value {
    let path = format!("/api/v1/imports?name={name}&agency_id={agency}&lead_coordinator=coordinator-1");
    let r = app.send(Method::POST, &path, Some(admin), Some((bytes, "application/octet-stream")), &[]).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    r.body
}

async fn partnership(app: &TestApp) -> String {
    let (vcc_agency, _) = app.coordinator().await;
    app.agency("Northshire Police", "police").await;
    app.agency("Riverside GP Practice", "health_gp").await;
    vcc_agency.to_string()
}

#[actix_web::test]
async fn a_caseload_moves_in_from_its_workbook_all_or_nothing() {
    let app = TestApp::init().spawn().await;
    let agency = partnership(&app).await;
    let admin = token(Role::Admin, None);

    // The workbook with two wrong rows: its sheets and the columns their headings suggest.
    let import = start(&app, &admin, "caseload-problems.xlsx", fixture("caseload-problems.xlsx"), &agency).await;
    let id = import["id"].as_str().unwrap().to_owned();
    let kinds: Vec<&str> = import["sheets"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["cases", "events", "interventions"]);
    let cases_sheet = &import["sheets"][0];
    assert_eq!(cases_sheet["rows"], 5);
    assert_eq!(
        cases_sheet["suggested"],
        json!([
            "reference",
            "known_as",
            "date_of_birth",
            "birth_year",
            "gender",
            "nationalities",
            "exploitation_types",
            "local_authority",
            "nrm_consent",
            "data_sharing",
            "interpreter_needed",
            null
        ])
    );
    assert_eq!(cases_sheet["sample"][0][2], "1992-03-14", "a date cell reads as its date");

    let run = app.post(&format!("/api/v1/imports/{id}/dry-run"), &admin, json!({})).await;
    assert_eq!(run.status.as_u16(), 200, "{}", run.text);
    let problems: Vec<(String, i64, String, String)> = run.body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["sheet"].as_str().unwrap().to_owned(),
                p["row"].as_i64().unwrap(),
                p["column"].as_str().unwrap().to_owned(),
                p["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_eq!((problems[0].0.as_str(), problems[0].1, problems[0].2.as_str()), ("Caseload 2025", 3, "D.O.B."));
    assert_eq!(problems[0].3, "is not a date that exists");
    assert_eq!((problems[1].0.as_str(), problems[1].1), ("NRM events", 6));
    assert_eq!(problems[1].3, "A decision needs an NRM referral first.");
    let csv = app
        .send(
            Method::POST,
            &format!("/api/v1/imports/{id}/dry-run"),
            Some(&admin),
            Some((b"{}".to_vec(), "application/json")),
            &[("accept", "text/csv")],
        )
        .await;
    assert!(csv.text.starts_with("sheet,row,column,problem\r\nCaseload 2025,3,D.O.B.,is not a date that exists\r\n"), "{}", csv.text);
    // Loading it is refused, and nothing is half-loaded.
    let refused = app.post(&format!("/api/v1/imports/{id}/load"), &admin, json!({})).await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.text);
    assert_eq!(refused.body["type"], "urn:fourthp:problem:import-has-problems");
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 0);

    // The corrected workbook loads whole.
    let bytes = fixture("caseload.xlsx");
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let import = start(&app, &admin, "caseload.xlsx", bytes.clone(), &agency).await;
    let id = import["id"].as_str().unwrap().to_owned();
    assert_eq!(import["files"][0]["sha256"], sha.as_str());
    let run = app.post(&format!("/api/v1/imports/{id}/dry-run"), &admin, json!({})).await;
    assert_eq!(run.body["problems"], json!([]), "{}", run.text);
    assert_eq!(
        (run.body["new_cases"].as_i64(), run.body["events"].as_i64(), run.body["interventions"].as_i64()),
        (Some(5), Some(9), Some(2))
    );
    let loaded = app.post(&format!("/api/v1/imports/{id}/load"), &admin, json!({})).await;
    assert_eq!(loaded.status.as_u16(), 200, "{}", loaded.text);
    assert_eq!(loaded.body, json!({"created": 5, "skipped": 0, "events": 9, "interventions": 2}));
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 5);
    assert_eq!(app.count("SELECT count(*) AS n FROM case_aliases").await, 5);
    // What the spreadsheet said, as FourthP holds it.
    let vcc = token_for(&principal(Role::Coordinator, Some(fourthp_domain::ids::AgencyId::parse(&agency).unwrap()), "coordinator-1"));
    let ns4 = app.strings("SELECT c.id::text AS v FROM cases c JOIN case_aliases a ON a.case_id = c.id WHERE a.alias = 'NS-004'").await;
    let case = app.get(&format!("/api/v1/cases/{}", ns4[0]), &vcc).await.body;
    assert_eq!(case["date_of_birth"], Value::Null, "confidential: the date of birth is kept as its year");
    assert_eq!(case["birth_year"], 1990, "Excel's serial 33000 is 7 May 1990");
    assert_eq!(case["exploitation_types"], json!(["labour", "domestic_servitude"]));
    assert_eq!(case["stage"], "move_on", "RG then CG: moving on");
    let ns1 = app.strings("SELECT c.id::text AS v FROM cases c JOIN case_aliases a ON a.case_id = c.id WHERE a.alias = 'NS-001'").await;
    let deadlines = app.deadlines(&ns1[0], &vcc).await;
    assert!(deadlines.contains_key("recovery_period_minimum_end"), "the deadlines are derived: {deadlines:?}");
    // The old reference finds the case in the list.
    let found = app.get("/api/v1/cases?q=ns-004", &vcc).await;
    assert_eq!(found.body["items"].as_array().map(Vec::len), Some(1), "{}", found.text);
    assert_eq!(found.body["items"][0]["id"], ns4[0].as_str());
    let ns3 = app.strings("SELECT nrm_consent AS v FROM cases c JOIN case_aliases a ON a.case_id = c.id WHERE a.alias = 'NS-003'").await;
    assert_eq!(ns3, ["not_required_child"], "a child needs no NRM consent");
    assert_eq!(app.count("SELECT count(*) AS n FROM interventions WHERE summary = 'Registered with the practice'").await, 1);
    // Audited as one import with the file's SHA-256 and the counts; the file itself is dropped.
    let audited = app
        .strings(&format!(
            "SELECT (d.after->'files'->0->>'sha256') || ' ' || (d.after->>'rows') || ' ' || (d.after->>'created') AS v FROM audit_records r \
             JOIN audit_details d ON d.audit_id = r.id WHERE r.entity_type = 'case_import' AND r.action = 'E' AND r.entity_id = '{id}'"
        ))
        .await;
    assert_eq!(audited, [format!("{sha} 5 5")]);
    assert_eq!(app.count("SELECT count(*) AS n FROM case_import_files WHERE content IS NOT NULL AND import_id IN (SELECT id FROM case_imports WHERE loaded_at IS NOT NULL)").await, 0);
    app.post(&format!("/api/v1/imports/{id}/load"), &admin, json!({})).await.problem(409);

    // The same workbook again: every row already in, nothing duplicated.
    let again = start(&app, &admin, "caseload.xlsx", bytes, &agency).await;
    let again = again["id"].as_str().unwrap();
    let run = app.post(&format!("/api/v1/imports/{again}/dry-run"), &admin, json!({})).await;
    assert_eq!((run.body["new_cases"].as_i64(), run.body["already_loaded"].as_i64()), (Some(0), Some(5)));
    let loaded = app.post(&format!("/api/v1/imports/{again}/load"), &admin, json!({})).await;
    assert_eq!(loaded.body, json!({"created": 0, "skipped": 5, "events": 0, "interventions": 0}));
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 5);

    // Administrators only; an import that is not there is 404.
    app.get(&format!("/api/v1/imports/{id}"), &vcc).await.problem(403);
    app.get(&format!("/api/v1/imports/{}", uuid::Uuid::now_v7()), &admin).await.problem(404);
}

#[actix_web::test]
async fn a_csv_caseload_with_its_events_file_and_a_chosen_mapping() {
    let app = TestApp::init().spawn().await;
    let agency = partnership(&app).await;
    let admin = token(Role::Admin, None);
    // Semicolons, a byte order mark, headings the service does not know.
    let cases = "\u{feff}Our ref;Initials;Born;Gender;Country;Exploited for;Council\n\
                 W-1;K.L.;1988;female;AL;sexual;Westshire\n\
                 W-2;P.;1979;male;VN;labour;Westshire\n";
    let import = start(&app, &admin, "cases.csv", cases.as_bytes().to_vec(), &agency).await;
    let id = import["id"].as_str().unwrap().to_owned();
    assert_eq!(import["sheets"][0]["suggested"], json!([null, "known_as", null, "gender", "jurisdiction", null, "local_authority"]));
    let events = "Our ref,Event,Date\nW-1,Support started,02/09/2025\nW-2,support_started,2025-09-03\nW-9,Support started,01/09/2025\n";
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/imports/{id}/files?name=events.csv"),
            Some(&admin),
            Some((events.as_bytes().to_vec(), "text/csv")),
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    // The suggested mapping misses the reference: the dry run says so.
    let run = app.post(&format!("/api/v1/imports/{id}/dry-run"), &admin, json!({})).await;
    assert!(run.text.contains("no column is chosen for this field"), "{}", run.text);
    let mapping = json!({"mapping": {
        "cases": ["reference", "known_as", "birth_year", "gender", "nationalities", "exploitation_types", "local_authority"],
        "events": ["reference", "event", "event_date"]
    }});
    let run = app.post(&format!("/api/v1/imports/{id}/dry-run"), &admin, mapping.clone()).await;
    let problems = run.body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 3, "{}", run.text);
    // Both adults lack their NRM consent; the events file names a case the file does not hold.
    assert!(problems.iter().filter(|p| p["problem"].as_str().unwrap().contains("is required for an adult")).count() == 2, "{}", run.text);
    assert!(
        problems.iter().any(|p| p["sheet"] == "events" && p["row"] == 4 && p["problem"] == "names no case on the cases sheet"),
        "{}",
        run.text
    );
    app.post(&format!("/api/v1/imports/{id}/load"), &admin, mapping).await.problem(422);
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 0);
    // A mapping that puts a field on the wrong sheet is named.
    let wrong = json!({"mapping": {"cases": ["reference", "known_as", "event_date"]}});
    let run = app.post(&format!("/api/v1/imports/{id}/dry-run"), &admin, wrong).await;
    assert!(run.text.contains("is a field of the events sheet"), "{}", run.text);
    // Never loaded: after a week its files are dropped, and it says so.
    let dropped = fourthp_persistence::imports::drop_stale_files(&app.db, chrono::Utc::now() + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(dropped, 2);
    let gone = app.post(&format!("/api/v1/imports/{id}/dry-run"), &admin, json!({})).await;
    assert_eq!((gone.status.as_u16(), gone.body["type"].as_str()), (409, Some("urn:fourthp:problem:import-expired")), "{}", gone.text);
    // A file that is not a spreadsheet is refused at the door.
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/imports?name=x.xlsx&agency_id={agency}&lead_coordinator=c"),
            Some(&admin),
            Some((b"PK\x03\x04not a zip".to_vec(), "application/octet-stream")),
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
}

/// The command line: `fourthp import cases` prints every problem of the workbook with two
/// wrong rows, writes the report and loads nothing; the corrected workbook loads with --load.
#[actix_web::test]
async fn the_command_line_reads_reports_and_loads() {
    let app = TestApp::init().spawn().await;
    partnership(&app).await;
    let agency = app.strings("SELECT name AS v FROM agencies WHERE kind = 'victim_care_contract_provider'").await.remove(0);
    let data_dir = std::env::temp_dir().join(format!("fourthp-import-{}", uuid::Uuid::now_v7().simple()));
    let report = data_dir.join("report.csv");
    std::fs::create_dir_all(&data_dir).unwrap();
    let run = |file: &str, extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fourthp-service"))
            .args(["import", "cases", &format!("{ROOT}/fixtures/{file}"), "--agency", &agency, "--lead", "coordinator-1"])
            .args(extra)
            .env("DATABASE_URL", &app.db_url)
            .env("FOURTHP_DATA_DIR", &data_dir)
            .env("FOURTHP_LOG", "error")
            .output()
            .expect("running fourthp")
    };
    let out = run("caseload-problems.xlsx", &["--report", report.to_str().unwrap(), "--load"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("14 rows read") && stdout.contains("2 problems"), "{stdout}");
    assert!(stdout.contains("Caseload 2025, row 3, D.O.B.: is not a date that exists"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was loaded"));
    let csv = std::fs::read_to_string(&report).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 0);
    let out = run("caseload.xlsx", &["--load"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("5 cases created, 0 skipped, 9 events, 2 interventions"), "{stdout}");
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 5);
    let _ = std::fs::remove_dir_all(&data_dir);
}
