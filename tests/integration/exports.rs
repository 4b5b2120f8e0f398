//! The HTCDS export for the Counter Trafficking Data Collaborative: every row checked against
//! the standard's field names and value names (typed here from `HTCDS Field Standards 2.0`,
//! not taken from the service), no name, reference or exact date in the file, and every class
//! of the released rows at least 11 strong, the suppressed counted.

use std::collections::HashMap;

use fourthp_domain::principal::Role;
use serde_json::json;

use crate::support::*;

/// HTCDS v2.0's picklists, as the standard's field sheet gives them.
fn standard() -> HashMap<&'static str, Vec<&'static str>> {
    HashMap::from([
        (
            "prs_Gender",
            vec!["Feminine", "Masculine", "TransgenderFeminine", "TransgenderMasculine", "NonConforming", "NonSpecifiedUnknown"],
        ),
        (
            "vic_TypeOfExploitation",
            vec![
                "ForcedLabour",
                "SexualExploitation",
                "ChildLabour",
                "ForcedMarriage",
                "Servitude",
                "ForcedMilitaryByNonStateActors",
                "OrganRemoval",
                "ForcedBegging",
                "ForcedAdoption",
                "Surrogacy",
                "Other",
            ],
        ),
        ("vic_TraffickingStatus", vec!["PossibleVictimOfTrafficking", "ActualVictimOfTrafficking", "NotAVictimOfTrafficking"]),
        (
            "vic_TraffickingStatusDecisionMakingOrg",
            vec!["Police", "NGO", "CourtOrProsecution", "NonPoliceGovernmentalOrganization", "Other"],
        ),
        ("cas_Status", vec!["Active", "FollowUp", "Closed", "ClosedReferred"]),
    ])
}

fn is_year(v: &str) -> bool {
    v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit())
}

#[actix_web::test]
async fn the_htcds_file_follows_the_standard_and_no_one_can_be_picked_out() {
    let app = TestApp::init().spawn().await;
    let (vcc_agency, vcc) = app.coordinator().await;
    let admin = token(Role::Admin, None);
    // Twelve men from Romania in forced labour born in 1992, identified this month: one class.
    let mut ids = Vec::new();
    for _ in 0..12 {
        let id = app.open_case(&vcc, car_wash_man()).await["id"].as_str().unwrap().to_owned();
        app.event_ok(&id, &vcc, json!({"type": "support_started", "date": day(-1)})).await;
        ids.push(id);
    }
    // One of them has a positive reasonable grounds decision, and one closed on transfer.
    app.event_ok(&ids[0], &vcc, json!({"type": "nrm_referral_submitted", "date": day(-1), "first_responder_agency_id": vcc_agency})).await;
    app.event_ok(
        &ids[0],
        &vcc,
        json!({"type": "reasonable_grounds_decision", "date": day(0), "outcome": "positive", "competent_authority": "sca"}),
    )
    .await;
    app.event_ok(&ids[1], &vcc, json!({"type": "case_closed", "date": day(0), "reason": "transferred"})).await;
    // Three who could be picked out: a child, a woman from Vietnam, and the county lines boy.
    let mut woman = car_wash_man();
    woman["gender"] = json!("female");
    woman["nationalities"] = json!(["VN"]);
    woman["exploitation_types"] = json!(["sexual", "domestic_servitude"]);
    for body in [woman, county_lines_child()] {
        let id = app.open_case(&vcc, body).await["id"].as_str().unwrap().to_owned();
        app.event_ok(&id, &vcc, json!({"type": "support_started", "date": day(-1)})).await;
    }
    let (from, to) = (day(-30), day(0));
    let r = app.get(&format!("/api/v1/exports/htcds?from={from}&to={to}"), &admin).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(r.header("fourthp-released-rows").as_deref(), Some("12"));
    assert_eq!(r.header("fourthp-suppressed-rows").as_deref(), Some("2"));
    assert_eq!(r.header("fourthp-k").as_deref(), Some("11"));
    // Read back with a CSV reader, checked column by column against the standard.
    let mut reader = csv::Reader::from_reader(r.text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "prs_Gender",
            "prs_Birthdate",
            "prs_Citizenship",
            "vic_TypeOfExploitation",
            "vic_TraffickingStatus",
            "vic_TraffickingStatusDecisionMakingOrg",
            "cas_Status",
            "cas_IncomingReferralDate"
        ]
    );
    let standard = standard();
    let mut classes: HashMap<Vec<String>, usize> = HashMap::new();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        let mut class = Vec::new();
        for (field, value) in header.iter().zip(record.iter()) {
            if let Some(allowed) = standard.get(field.as_str()) {
                for v in value.split(';').filter(|v| !v.is_empty()) {
                    assert!(allowed.contains(&v), "{field} = {v} is not one of the standard's values");
                }
            }
            match field.as_str() {
                "prs_Birthdate" => assert!(value.is_empty() || is_year(value), "a birth year only: {value}"),
                "prs_Citizenship" => {
                    assert!(value.split(';').all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())), "{value}")
                }
                "cas_IncomingReferralDate" => {
                    assert!(value.len() == 7 && is_year(&value[..4]) && &value[4..5] == "-", "a month only: {value}")
                }
                _ => {}
            }
            // The released quasi-identifiers (finer than the rule's age band: the birth year).
            if ["prs_Gender", "prs_Birthdate", "prs_Citizenship", "vic_TypeOfExploitation"].contains(&field.as_str()) {
                class.push(value.to_owned());
            }
            if field == "cas_IncomingReferralDate" {
                class.push(value[..4].to_owned());
            }
        }
        *classes.entry(class).or_default() += 1;
    }
    assert_eq!(rows, 12);
    assert!(classes.values().all(|n| *n >= 11), "{classes:?}");
    assert!(
        r.text.contains("ActualVictimOfTrafficking") || r.text.contains("PossibleVictimOfTrafficking,NonPoliceGovernmentalOrganization")
    );
    assert!(r.text.contains(",ClosedReferred,"), "{}", r.text);
    for personal in ["A.M.", "J.", "2026-0", "Northshire"] {
        assert!(!r.text.contains(personal), "{personal} in the file");
    }
    // Administrators only; a bad period names its field; each export is audited with its counts.
    app.get(&format!("/api/v1/exports/htcds?from={from}&to={to}"), &vcc).await.problem(403);
    assert_eq!(app.get("/api/v1/exports/htcds?from=2026-13-01&to=2026-12-31", &admin).await.problem(400), ["from"]);
    assert_eq!(app.get("/api/v1/exports/htcds?from=2026-01-01", &admin).await.problem(400), ["to"]);
    assert_eq!(app.get(&format!("/api/v1/exports/htcds?from={to}&to={from}"), &admin).await.problem(400), ["to"]);
    let audited = app
        .strings("SELECT (d.after->>'released') || '/' || (d.after->>'suppressed') AS v FROM audit_records r JOIN audit_details d ON d.audit_id = r.id WHERE r.purpose = 'htcds_export'")
        .await;
    assert_eq!(audited, ["12/2"]);
}
