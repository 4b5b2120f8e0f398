//! The outcome report: every measure on a small hand-built network with known answers, the
//! disclosure control commissioners get, the three formats, roles and the audit record.

use std::collections::HashMap;

use actix_web::http::Method;
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

const YEAR_2025: &str = "/api/v1/reports/outcomes?from=2025-01-01&to=2025-12-31";

struct Network {
    app: TestApp,
    vcc: String,
    gp: AgencyId,
    red_cross: AgencyId,
    housing: AgencyId,
    police: AgencyId,
}

fn person(birth_year: i32, nationalities: Value, exploitation: Value) -> Value {
    use chrono::Datelike;
    let nrm = if birth_year >= today().year() - 18 { "not_required_child" } else { "given" };
    json!({
        "known_as": "X.", "birth_year": birth_year, "gender": "female", "nationalities": nationalities, "languages": ["en"],
        "exploitation_types": exploitation, "jurisdiction": "england_wales", "local_authority": "Northshire",
        "consent": {"nrm": nrm, "data_sharing": "share", "recorded_on": "2026-11-02"}
    })
}

fn at(date: &str) -> String {
    format!("{date}T10:00:00Z")
}

impl Network {
    async fn case(&self, body: Value, events: &[Value]) -> String {
        let id = self.app.open_case(&self.vcc, body).await["id"].as_str().unwrap().to_owned();
        for e in events {
            self.app.event_ok(&id, &self.vcc, e.clone()).await;
        }
        id
    }

    async fn log(&self, case: &str, channel: &str, counterpart: AgencyId, date: &str) {
        let body = json!({"channel": channel, "direction": "outbound", "counterpart_agency_id": counterpart, "occurred_at": at(date),
                          "need_domain": "health_gp", "summary": "Call about GP registration", "duration_minutes": 10});
        let r = self.app.post(&format!("/api/v1/cases/{case}/interventions"), &self.vcc, body).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }

    async fn need(&self, case: &str, body: Value) {
        let r = self.app.post(&format!("/api/v1/cases/{case}/needs"), &self.vcc, body).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }

    async fn action(&self, case: &str, owner: AgencyId, due_on: &str) -> String {
        let r = self.app.call(Method::PUT, &format!("/api/v1/cases/{case}/team/{owner}"), Some(&self.vcc), Some(json!({}))).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        let body = json!({"description": "Send the registration form", "owner_agency_id": owner, "due_on": due_on});
        let r = self.app.post(&format!("/api/v1/cases/{case}/actions"), &self.vcc, body).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    }

    async fn outcome(&self, case: &str, outcome: &str, on: &str) {
        let r = self.app.post(&format!("/api/v1/cases/{case}/outcomes"), &self.vcc, json!({"outcome": outcome, "achieved_on": on})).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }
}

/// Five people, known answers:
/// - A (adult, Romanian, labour): started 2025-02-01, referred Mon 3 Feb, positive RG Fri 7 Feb (within 5 working days),
///   positive CG 1 Aug (175 days); GP registered on 6 Feb (5 days); three calls to the GP and an email to housing;
///   an action due 1 Mar done on 20 Feb; medical treatment (6 Feb) and housing (1 Jun) outcomes. The move-on
///   entitlement (15 Sep) passes with the case open: kept, and never counted as a deadline met or missed.
/// - B (child, British, criminal): started 3 Mar, referred Tue 4 Mar, positive RG 20 Mar (late: due 11 Mar);
///   GP on 25 Mar (22 days, late); accommodation need still open; two visits with the Red Cross; an action due
///   1 Apr still open; lost contact 15 Sep; closed 1 Oct (moved on).
/// - C (adult, no nationality recorded, sexual and labour): started 2023, positive RG 5 May 2023 and no CG since:
///   waiting over a year; one meeting with the police in 2024 and one in 2025.
/// - D (adult, Vietnamese, domestic servitude): started 1 Jun, Duty to Notify 5 Jun, closed 1 Jul (declined
///   support); never saw a GP (gp_access missed).
/// - E: started in 2026, outside the period.
async fn network() -> Network {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let gp = app.agency("Riverside GP Practice", "health_gp").await;
    let red_cross = app.agency("British Red Cross Northshire", "red_cross").await;
    let housing = app.agency("Hope Housing Association", "local_authority_housing").await;
    let police = app.agency("Northshire Police", "police").await;
    let n = Network { app, vcc, gp, red_cross, housing, police };

    let ev = |t: &str, d: &str| json!({"type": t, "date": d});
    let rg = |d: &str| json!({"type": "reasonable_grounds_decision", "date": d, "outcome": "positive", "competent_authority": "sca"});
    let referral = |d: &str| json!({"type": "nrm_referral_submitted", "date": d, "first_responder_agency_id": police});

    let a = n
        .case(
            person(1992, json!(["RO"]), json!(["labour"])),
            &[
                ev("support_started", "2025-02-01"),
                referral("2025-02-03"),
                rg("2025-02-07"),
                json!({"type": "conclusive_grounds_decision", "date": "2025-08-01", "outcome": "positive", "competent_authority": "sca"}),
            ],
        )
        .await;
    n.need(&a, json!({"domain": "health_gp", "identified_on": "2025-02-01", "status": "met", "met_on": "2025-02-06"})).await;
    for d in ["2025-02-02", "2025-02-04", "2025-02-05"] {
        n.log(&a, "phone_call", n.gp, d).await;
    }
    n.log(&a, "email", n.housing, "2025-05-20").await;
    let done = n.action(&a, n.gp, "2025-03-01").await;
    let r = n.app.patch(&format!("/api/v1/actions/{done}"), &n.vcc, "\"1\"", json!({"status": "done", "note": "Form sent"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    // The API records a closure today; back-date this one to when it happened.
    n.app.sql(&format!("UPDATE actions SET closed_on = '2025-02-20' WHERE id = '{done}'")).await.unwrap();
    n.app.sql(&format!("UPDATE deadlines SET met_on = '2025-02-20' WHERE action_id = '{done}'")).await.unwrap();
    n.outcome(&a, "access_to_medical_treatment", "2025-02-06").await;
    n.outcome(&a, "secure_suitable_housing", "2025-06-01").await;

    let b = n
        .case(
            person(2009, json!(["GB"]), json!(["criminal"])),
            &[ev("support_started", "2025-03-03"), referral("2025-03-04"), rg("2025-03-20")],
        )
        .await;
    n.need(&b, json!({"domain": "health_gp", "identified_on": "2025-03-03", "status": "met", "met_on": "2025-03-25"})).await;
    n.need(&b, json!({"domain": "accommodation", "identified_on": "2025-03-03"})).await;
    n.log(&b, "visit", n.red_cross, "2025-03-05").await;
    n.log(&b, "visit", n.red_cross, "2025-03-12").await;
    n.action(&b, n.red_cross, "2025-04-01").await;
    n.outcome(&b, "lost_contact", "2025-09-15").await;
    n.app.event_ok(&b, &n.vcc, json!({"type": "case_closed", "date": "2025-10-01", "reason": "moved_on"})).await;

    let c = n
        .case(
            person(1980, json!([]), json!(["sexual", "labour"])),
            &[ev("support_started", "2023-05-01"), referral("2023-05-02"), rg("2023-05-05")],
        )
        .await;
    n.log(&c, "meeting", n.police, "2024-06-01").await;
    n.log(&c, "meeting", n.police, "2025-06-01").await;

    let d = n
        .case(
            person(1975, json!(["VN"]), json!(["domestic_servitude"])),
            &[ev("support_started", "2025-06-01"), ev("duty_to_notify_submitted", "2025-06-05")],
        )
        .await;
    n.app.event_ok(&d, &n.vcc, json!({"type": "case_closed", "date": "2025-07-01", "reason": "declined_support"})).await;

    n.case(person(1990, json!(["AL"]), json!(["labour"])), &[ev("support_started", "2026-01-10")]).await;
    n
}

/// measure → (category or "", statistic) → (value, status).
type Figures = HashMap<String, HashMap<(String, String), (Option<f64>, String)>>;

fn figures(report: &Value) -> Figures {
    let mut out: Figures = HashMap::new();
    for s in report["sections"].as_array().unwrap_or_else(|| panic!("no sections: {report}")) {
        for m in s["measures"].as_array().unwrap() {
            let entry = out.entry(m["id"].as_str().unwrap().to_owned()).or_default();
            for f in m["figures"].as_array().unwrap() {
                let key = (f["category"].as_str().unwrap_or("").to_owned(), f["statistic"].as_str().unwrap().to_owned());
                entry.insert(key, (f["value"].as_f64(), f["status"].as_str().unwrap().to_owned()));
            }
        }
    }
    out
}

fn value(f: &Figures, measure: &str, category: &str, stat: &str) -> Option<f64> {
    f.get(measure)
        .and_then(|m| m.get(&(category.to_owned(), stat.to_owned())))
        .unwrap_or_else(|| panic!("no figure {measure}/{category}/{stat}"))
        .0
}

#[actix_web::test]
async fn every_measure_on_a_hand_built_network() {
    let n = network().await;
    // "What happened?" asked after every conversation: the GPs answered; the police and housing
    // did not within 14 days; the Red Cross's are asked at the year's end, still waiting.
    n.app
        .sql(
            "INSERT INTO asks (id, case_id, intervention_id, agency_id, ask_on, asked_by, created_at, answer_status, answered_by, answered_at) \
             SELECT gen_random_uuid(), i.case_id, i.id, i.counterpart_agency_id, \
                    CASE WHEN g.kind = 'red_cross' THEN DATE '2025-12-28' ELSE DATE '2025-06-01' END, 'vcc', i.occurred_at, \
                    CASE WHEN g.kind = 'health_gp' THEN 'done' END, CASE WHEN g.kind = 'health_gp' THEN 'gp' END, \
                    CASE WHEN g.kind = 'health_gp' THEN TIMESTAMPTZ '2025-06-02 10:00Z' END \
             FROM interventions i JOIN agencies g ON g.id = i.counterpart_agency_id \
             WHERE i.occurred_at >= TIMESTAMPTZ '2025-01-01 00:00Z' AND i.occurred_at < TIMESTAMPTZ '2026-01-01 00:00Z'",
        )
        .await
        .unwrap();
    let r = n.app.get(&format!("{YEAR_2025}&exact=true"), &n.vcc).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["disclosure"]["exact"], json!(true));
    assert_eq!(r.body["as_at"], json!("2025-12-31"));
    let f = figures(&r.body);
    let expect = |measure: &str, category: &str, stat: &str, want: f64| {
        assert_eq!(value(&f, measure, category, stat), Some(want), "{measure} {category} {stat}");
    };
    // Caseload.
    expect("caseload.new", "", "count", 3.0);
    expect("caseload.supported", "", "count", 4.0);
    expect("caseload.open_at_end", "", "count", 2.0);
    expect("caseload.closed_by_reason", "moved_on", "count", 1.0);
    expect("caseload.closed_by_reason", "declined_support", "count", 1.0);
    expect("caseload.closed_by_reason", "lost_contact", "count", 0.0);
    expect("caseload.closed_by_reason", "", "total", 2.0);
    // The people supported.
    expect("people.exploitation_type", "labour", "count", 2.0);
    expect("people.exploitation_type", "criminal", "count", 1.0);
    expect("people.exploitation_type", "sexual", "count", 1.0);
    expect("people.exploitation_type", "domestic_servitude", "count", 1.0);
    expect("people.exploitation_type", "", "total", 4.0);
    expect("people.age_group", "child", "count", 1.0);
    expect("people.age_group", "adult", "count", 3.0);
    expect("people.nationality", "uk", "count", 1.0);
    expect("people.nationality", "non_uk", "count", 2.0);
    expect("people.nationality", "not_recorded", "count", 1.0);
    // NRM flow.
    expect("nrm.referrals", "", "count", 2.0);
    expect("nrm.duty_to_notify", "", "count", 1.0);
    expect("nrm.rg_decisions", "positive", "count", 2.0);
    expect("nrm.rg_decisions", "negative", "count", 0.0);
    expect("nrm.cg_decisions", "positive", "count", 1.0);
    expect("nrm.rg_timeliness", "", "within_5_working_days", 1.0);
    expect("nrm.rg_timeliness", "", "later", 1.0);
    expect("nrm.rg_timeliness", "", "share_within", 50.0);
    expect("nrm.days_referral_to_rg", "", "count", 2.0);
    expect("nrm.days_referral_to_rg", "", "median_days", 10.0);
    expect("nrm.days_referral_to_rg", "", "p90_days", 14.8);
    expect("nrm.days_rg_to_cg", "", "median_days", 175.0);
    expect("nrm.awaiting_cg_over_a_year", "", "count", 1.0);
    // Deadlines.
    expect("deadlines.by_rule", "rg_decision_expected", "met", 1.0);
    expect("deadlines.by_rule", "rg_decision_expected", "missed", 1.0);
    expect("deadlines.by_rule", "gp_access", "met", 1.0);
    expect("deadlines.by_rule", "gp_access", "missed", 2.0);
    expect("deadlines.by_rule", "gp_access", "share_met", 33.3);
    // Entitlements are milestones: not in met/missed, but in their own line.
    assert!(!f["deadlines.by_rule"].keys().any(|(rule, _)| rule == "move_on_end" || rule == "recovery_period_minimum_end"));
    expect("deadlines.support_ended_early", "move_on_end", "kept", 1.0);
    expect("deadlines.support_ended_early", "move_on_end", "ended_early", 0.0);
    expect("deadlines.support_ended_early", "recovery_period_minimum_end", "kept", 2.0);
    expect("deadlines.by_rule", "action_due", "met", 1.0);
    expect("deadlines.by_rule", "action_due", "missed", 1.0);
    expect("deadlines.support_ended_early", "exit_support_end", "total", 0.0);
    expect("deadlines.gp_access", "", "within_10_days", 1.0);
    expect("deadlines.gp_access", "", "later", 1.0);
    expect("deadlines.gp_access", "", "not_met", 1.0);
    expect("deadlines.gp_access", "", "share_within", 33.3);
    expect("deadlines.gp_access", "", "median_days", 13.5);
    // Needs.
    expect("needs.by_domain", "health_gp", "met", 2.0);
    expect("needs.by_domain", "health_gp", "share_met", 100.0);
    expect("needs.by_domain", "health_gp", "median_days", 13.5);
    expect("needs.by_domain", "health_gp", "p90_days", 20.3);
    expect("needs.by_domain", "accommodation", "open", 1.0);
    expect("needs.by_domain", "accommodation", "share_met", 0.0);
    // Interventions and the partnership's breadth.
    expect("interventions.by_channel", "phone_call", "count", 3.0);
    expect("interventions.by_channel", "email", "count", 1.0);
    expect("interventions.by_channel", "visit", "count", 2.0);
    expect("interventions.by_channel", "meeting", "count", 1.0);
    expect("interventions.by_channel", "", "total", 7.0);
    expect("interventions.by_counterpart_kind", "health_gp", "count", 3.0);
    expect("interventions.by_counterpart_kind", "red_cross", "count", 2.0);
    expect("interventions.by_counterpart_kind", "police", "count", 1.0);
    expect("interventions.by_counterpart_kind", "local_authority_housing", "count", 1.0);
    expect("interventions.per_case", "", "count", 3.0);
    expect("interventions.per_case", "", "mean", 2.3);
    expect("interventions.per_case", "", "median", 2.0);
    expect("interventions.agencies_per_case", "", "mean", 1.3);
    expect("interventions.agencies_per_case", "", "median", 1.0);
    // Actions.
    expect("actions.by_due_date", "", "done_by_due_date", 1.0);
    expect("actions.by_due_date", "", "overdue", 1.0);
    expect("actions.by_due_date", "", "share_on_time", 50.0);
    expect("actions.asks_by_agency_kind", "health_gp", "answered", 3.0);
    expect("actions.asks_by_agency_kind", "health_gp", "share_answered", 100.0);
    expect("actions.asks_by_agency_kind", "police", "unanswered", 1.0);
    expect("actions.asks_by_agency_kind", "local_authority_housing", "unanswered", 1.0);
    expect("actions.asks_by_agency_kind", "red_cross", "waiting", 2.0);
    expect("actions.asks_by_agency_kind", "police", "share_answered", 0.0);
    // Outcomes.
    expect("outcomes.core", "access_to_medical_treatment", "count", 1.0);
    expect("outcomes.core", "secure_suitable_housing", "count", 1.0);
    expect("outcomes.core", "", "total", 1.0);
    expect("outcomes.adverse", "lost_contact", "count", 1.0);
    expect("outcomes.adverse", "", "total", 1.0);

    // Filters narrow the cases counted.
    let children = n.app.get(&format!("{YEAR_2025}&exact=true&age_group=child"), &n.vcc).await;
    let f = figures(&children.body);
    assert_eq!(value(&f, "caseload.supported", "", "count"), Some(1.0));
    assert_eq!(value(&f, "interventions.by_channel", "visit", "count"), Some(2.0));
    assert_eq!(value(&f, "interventions.by_channel", "phone_call", "count"), Some(0.0));
    let labour = n.app.get(&format!("{YEAR_2025}&exact=true&exploitation_type=labour"), &n.vcc).await;
    assert_eq!(value(&figures(&labour.body), "caseload.supported", "", "count"), Some(2.0));
    let elsewhere = n.app.get(&format!("{YEAR_2025}&exact=true&jurisdiction=scotland"), &n.vcc).await;
    assert_eq!(value(&figures(&elsewhere.body), "caseload.supported", "", "count"), Some(0.0));
    let other_la = n.app.get(&format!("{YEAR_2025}&exact=true&local_authority=Southshire"), &n.vcc).await;
    assert_eq!(value(&figures(&other_la.body), "caseload.supported", "", "count"), Some(0.0));
}

#[actix_web::test]
async fn commissioners_never_see_a_small_count_and_may_not_ask_for_exact_figures() {
    let n = network().await;
    let commissioner = token(Role::Commissioner, None);
    let r = n.app.get(YEAR_2025, &commissioner).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["disclosure"]["exact"], json!(false));
    let f = figures(&r.body);
    let mut suppressed = 0;
    for (measure, figs) in &f {
        for ((category, stat), (v, status)) in figs {
            let unit_count = !stat.starts_with("share") && !stat.ends_with("days") && stat != "mean" && stat != "median";
            if unit_count {
                if let Some(v) = v {
                    assert!(*v == 0.0 || *v > 7.0, "{measure} {category} {stat} = {v} reached a commissioner");
                }
            }
            if status == "suppressed" {
                assert_eq!(*v, None);
                suppressed += 1;
            }
        }
    }
    assert!(suppressed > 20, "{suppressed}");
    // A statistic of a suppressed cell is withheld with it.
    assert_eq!(f["nrm.days_referral_to_rg"][&("".to_owned(), "median_days".to_owned())].1, "suppressed");

    let r = n.app.get(&format!("{YEAR_2025}&exact=true"), &commissioner).await;
    assert_eq!(r.problem(403).len(), 0, "{}", r.text);
    for role in [Role::Auditor, Role::Admin] {
        let r = n.app.get(YEAR_2025, &token(role, None)).await;
        assert_eq!(r.status.as_u16(), 403, "{role:?}");
    }
    let partner = token_for(&principal(Role::Partner, Some(n.gp), "gp-worker"));
    assert_eq!(n.app.get(YEAR_2025, &partner).await.status.as_u16(), 403);

    // Every pull is an audit record: who, which parameters and which format; refusals too.
    assert_eq!(n.app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'report' AND outcome = 'success'").await, 1);
    assert_eq!(n.app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'report' AND outcome = 'denied'").await, 4);
    let logged = n
        .app
        .count(
            "SELECT count(*) AS n FROM audit_records r JOIN audit_details d ON d.audit_id = r.id
             WHERE r.entity_type = 'report' AND r.action = 'E' AND r.agent_role = 'commissioner' AND r.purpose = 'commissioning'
               AND d.after->>'format' = 'json' AND d.after->>'from' = '2025-01-01' AND d.after->>'exact' = 'false'",
        )
        .await;
    assert_eq!(logged, 1);
}

pub(crate) fn csv_rows(text: &str) -> Vec<Vec<String>> {
    // The fields this report writes: quoted only when they hold a comma or a quote.
    let mut rows = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(std::mem::take(&mut field)),
                (c, _) => field.push(c),
            }
        }
        fields.push(field);
        rows.push(fields);
    }
    rows
}

#[actix_web::test]
async fn json_csv_and_html_agree_and_the_page_is_self_contained() {
    let n = network().await;
    let json_report = n.app.get(YEAR_2025, &n.vcc).await;
    assert_eq!(json_report.status.as_u16(), 200, "{}", json_report.text);
    let f = figures(&json_report.body);

    // CSV by Accept, and by ?format= over Accept.
    let csv = n.app.send(Method::GET, YEAR_2025, Some(&n.vcc), None, &[("Accept", "text/csv")]).await;
    assert_eq!(csv.status.as_u16(), 200, "{}", csv.text);
    assert!(csv.header("content-type").unwrap_or_default().starts_with("text/csv"));
    let by_param = n.app.send(Method::GET, &format!("{YEAR_2025}&format=csv"), Some(&n.vcc), None, &[("Accept", "text/html")]).await;
    assert!(by_param.header("content-type").unwrap_or_default().starts_with("text/csv"));
    let rows = csv_rows(&csv.text);
    assert_eq!(rows[0].join(","), "section,measure,measure_title,category,statistic,unit,value,status,definition,jurisdictions");
    let figure_count: usize = f.values().map(HashMap::len).sum();
    assert_eq!(rows.len() - 1, figure_count);
    for row in &rows[1..] {
        assert_eq!(row.len(), 10, "{row:?}");
        assert!(!row[9].is_empty(), "every measure covers a jurisdiction: {row:?}");
        let (v, status) = &f[&row[1]][&(row[3].clone(), row[4].clone())];
        assert_eq!(row[6].parse::<f64>().ok(), *v, "{row:?}");
        assert_eq!(&row[7], status);
    }

    // HTML: the same figures, charts drawn as inline SVG, nothing fetched from anywhere.
    let protected = n.app.send(Method::GET, YEAR_2025, Some(&n.vcc), None, &[("Accept", "text/html")]).await;
    assert!(protected.text.contains("<td class=\"n withheld\">suppressed</td>"));
    let exact = format!("{YEAR_2025}&exact=true");
    let f = figures(&n.app.get(&exact, &n.vcc).await.body);
    let html = n.app.send(Method::GET, &exact, Some(&n.vcc), None, &[("Accept", "text/html,application/xhtml+xml;q=0.9")]).await;
    assert_eq!(html.status.as_u16(), 200, "{}", html.text);
    assert!(html.header("content-type").unwrap_or_default().starts_with("text/html"));
    let csp = html.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    let page = &html.text;
    if let Ok(path) = std::env::var("FOURTHP_REPORT_SAMPLE") {
        std::fs::write(path, page).unwrap();
    }
    assert!(page.matches("<svg").count() >= 10, "charts missing");
    assert!(page.contains("<rect"), "no bars");
    for forbidden in ["<script", "<link", "src=", "href=", "url(", "@import", "@font-face"] {
        assert!(!page.to_lowercase().contains(forbidden), "external reference: {forbidden}");
    }
    assert!(page.contains("Interventions, by channel") && page.contains("Phone call"));
    let total = value(&f, "interventions.by_channel", "", "total").unwrap();
    assert!(page.contains(&format!("<td class=\"n\">{total:.0}</td>")));

    // Nothing acceptable: 406, as a problem.
    let r = n.app.send(Method::GET, YEAR_2025, Some(&n.vcc), None, &[("Accept", "image/png")]).await;
    assert_eq!(r.problem(406).len(), 0, "{}", r.text);
}

#[actix_web::test]
async fn bad_report_parameters_are_named() {
    let app = TestApp::init().spawn().await;
    let (_, vcc) = app.coordinator().await;
    let r = app.get("/api/v1/reports/outcomes", &vcc).await;
    let mut fields = r.problem(400);
    fields.sort();
    assert_eq!(fields, ["from", "to"]);
    let r = app.get("/api/v1/reports/outcomes?from=2026-02-01&to=2026-01-01&age_group=old&exact=yes&format=pdf", &vcc).await;
    let mut fields = r.problem(400);
    fields.sort();
    assert_eq!(fields, ["age_group", "exact", "format"]);
    let r = app.get("/api/v1/reports/outcomes?from=2026-02-01&to=2026-01-01", &vcc).await;
    assert_eq!(r.problem(400), ["to"]);
    let r = app.get("/api/v1/reports/outcomes?from=2009-01-01&to=2009-12-31", &vcc).await;
    assert_eq!(r.problem(400), ["from"]);
    let r = app.get("/api/v1/reports/outcomes?from=2025-01-01&to=2025-12-31&jurisdiction=wales", &vcc).await;
    assert_eq!(r.problem(400), ["jurisdiction"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'report'").await, 0);
}

#[actix_web::test]
async fn the_two_halves_agree_on_one_connection_or_two() {
    use chrono::NaiveDate;
    use fourthp_domain::case::Jurisdiction;
    use fourthp_domain::report::ReportParams;
    let n = network().await;
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let today = day("2026-06-01");
    for jurisdiction in [None, Some(Jurisdiction::EnglandWales)] {
        let params = ReportParams::new(day("2025-01-01"), day("2025-12-31"), today, jurisdiction, None, None, None).unwrap();
        let as_at = params.as_at(today);
        let mut runs = Vec::new();
        // A pool of one has no second connection to give: both halves run in turn, in one
        // transaction. A larger pool runs them at once on a shared snapshot. With or without
        // parallel workers (FOURTHP_REPORT_PARALLEL_WORKERS), the figures are the same.
        for (size, workers) in [(1, 0), (4, 0), (4, 2)] {
            let db = fourthp_persistence::connect(&n.app.db_url, size, std::time::Duration::from_secs(5)).unwrap();
            let mut rows = fourthp_persistence::reports::outcome_figures(&db, &params, as_at, workers).await.unwrap().0;
            rows.sort_by(|a, b| (&a.measure, &a.category, &a.stat).cmp(&(&b.measure, &b.category, &b.stat)));
            runs.push(rows);
        }
        assert_eq!(runs[0], runs[1]);
        assert_eq!(runs[1], runs[2]);
        for measure in ["caseload.supported", "nrm.rg_decisions", "deadlines.by_rule", "interventions.by_channel", "outcomes.core"] {
            assert!(runs[0].iter().any(|r| r.measure == measure), "{measure} missing");
        }
    }
}

/// Story 1, the GP pilot: a man of 34 found in a car wash, referred by the police the same day,
/// with no ID and no records. The coordinator rings the public-health lead (three calls, one
/// email) and the pilot practice registers him on day 9, after a missed first appointment. The
/// coordinator's exact report shows the 10-day standard met; a commissioner's never shows the
/// single person behind it.
#[actix_web::test]
async fn the_gp_pilot_shows_in_the_report_and_hides_the_person() {
    let n = network().await;
    let public_health = n.app.agency("Northshire Public Health", "health_public_health").await;
    let referral = json!({"type": "nrm_referral_submitted", "date": "2025-06-02", "first_responder_agency_id": n.police});
    let man =
        n.case(person(1990, json!(["AL"]), json!(["labour"])), &[json!({"type": "support_started", "date": "2025-06-02"}), referral]).await;
    n.need(&man, json!({"domain": "health_gp", "identified_on": "2025-06-02", "status": "met", "met_on": "2025-06-11"})).await;
    for d in ["2025-06-02", "2025-06-04", "2025-06-10"] {
        n.log(&man, "phone_call", public_health, d).await;
    }
    n.log(&man, "email", n.gp, "2025-06-05").await;

    let june = "/api/v1/reports/outcomes?from=2025-06-01&to=2025-06-30";
    let exact = figures(&n.app.get(&format!("{june}&exact=true"), &n.vcc).await.body);
    assert_eq!(value(&exact, "deadlines.by_rule", "gp_access", "met"), Some(1.0));
    assert_eq!(value(&exact, "deadlines.gp_access", "", "within_10_days"), Some(1.0));
    assert_eq!(value(&exact, "deadlines.gp_access", "", "median_days"), Some(9.0));
    assert_eq!(value(&exact, "interventions.by_counterpart_kind", "health_public_health", "count"), Some(3.0));
    assert_eq!(value(&exact, "interventions.by_channel", "email", "count"), Some(1.0));

    let commissioner = token(Role::Commissioner, None);
    let protected = figures(&n.app.get(june, &commissioner).await.body);
    let (v, status) = &protected["deadlines.gp_access"][&(String::new(), "within_10_days".to_owned())];
    assert_eq!((v, status.as_str()), (&None, "suppressed"));
    let (v, status) = &protected["deadlines.gp_access"][&(String::new(), "median_days".to_owned())];
    assert_eq!((v, status.as_str()), (&None, "suppressed"));
}

#[actix_web::test]
async fn reports_pulled_together_take_turns_and_all_arrive() {
    let n = network().await;
    let commissioner = token(Role::Commissioner, None);
    let pulls = (0..4).map(|_| n.app.get(YEAR_2025, &commissioner));
    let answers = futures_util::future::join_all(pulls).await;
    let first = figures(&answers[0].body);
    for r in &answers {
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(figures(&r.body), first);
    }
    assert_eq!(n.app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'report' AND outcome = 'success'").await, 4);
}
