//! Partners act from their inbox: the daily digest over a real SMTP server, the links that close
//! an action or answer "what happened?" without signing in (opening one changes nothing), and
//! one-click unsubscribe. Every message is checked for the person's details.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::peers::{fourthp, SmtpSink};
use crate::support::*;

pub const PUBLIC: &str = "https://fourthp.northshire.test";

/// The case of a person whose details must never leave in an email.
fn amina() -> Value {
    json!({
        "known_as": "Amina Petrova",
        "date_of_birth": "1994-03-17",
        "gender": "female",
        "nationalities": ["AL"],
        "languages": ["sq"],
        "interpreter_needed": true,
        "exploitation_types": ["sexual"],
        "jurisdiction": "england_wales",
        "local_authority": "Northshire",
        "consent": {"nrm": "given", "data_sharing": "share", "recorded_on": "2026-11-02"}
    })
}

/// Personal details a message must not carry.
pub const NEVER: &[&str] = &["Amina", "Petrova", "1994", "17 March", "Albania", "Albanian", "landlord", "passport"];

pub fn assert_nothing_personal(message: &Value) {
    let raw = message["raw"].as_str().unwrap_or_default();
    let all = format!("{raw}\n{}\n{}", message["text"].as_str().unwrap_or_default(), message["html"].as_str().unwrap_or_default());
    for word in NEVER {
        assert!(!all.contains(word), "an email carries {word:?}:\n{all}");
    }
}

/// A form post to the service, as a browser sends it.
async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded_pairs(fields);
    app.send(Method::POST, path, None, Some((body.into_bytes(), "application/x-www-form-urlencoded")), &[]).await
}

fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                k,
                v.bytes()
                    .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                    .collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The first link in `text` under `prefix`, made relative to the service.
fn link_after(text: &str, prefix: &str) -> Vec<String> {
    text.split_whitespace().filter(|w| w.starts_with(prefix)).map(|w| w.trim_start_matches(PUBLIC).to_owned()).collect()
}

/// An app that sends email through `smtp`, its links on [`PUBLIC`].
pub async fn mailing_app(smtp: &SmtpSink) -> TestApp {
    TestApp::init()
        .with_setting("FOURTHP_SMTP_URL", &smtp.url())
        .with_setting("FOURTHP_MAIL_FROM", "FourthP <fourthp@northshire.test>")
        .with_setting("FOURTHP_PUBLIC_URL", PUBLIC)
        .spawn()
        .await
}

/// `fourthp digest --now` against the app's database, sending through `smtp`; its output.
pub fn send_digests(app: &TestApp, smtp: &SmtpSink) -> String {
    let url = smtp.url();
    let env =
        [("FOURTHP_SMTP_URL", url.as_str()), ("FOURTHP_MAIL_FROM", "FourthP <fourthp@northshire.test>"), ("FOURTHP_PUBLIC_URL", PUBLIC)];
    let (ok, out, err) = fourthp(&app.db_url, &["digest", "--now"], &env);
    assert!(ok, "{out}{err}");
    out
}

/// Gives `agency` a mailbox for the daily email.
pub async fn give_mailbox(app: &TestApp, agency: &str, mailbox: &str) {
    let admin = token(fourthp_domain::principal::Role::Admin, None);
    let etag = app.get(&format!("/api/v1/agencies/{agency}"), &admin).await.header("etag").unwrap();
    let r = app.patch(&format!("/api/v1/agencies/{agency}"), &admin, &etag, json!({"notify_email": mailbox})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["notify_email"], mailbox);
}

#[actix_web::test]
async fn a_partner_with_no_account_gets_the_digest_and_closes_an_action_and_answers_from_its_links() {
    let smtp = SmtpSink::start(0);
    let app = mailing_app(&smtp).await;
    let (_, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Housing Options", "local_authority_housing").await;
    // The housing team has no FourthP accounts: only a shared mailbox.
    give_mailbox(&app, &housing.to_string(), "housing-options@northshire.test").await;

    let case = app.open_case(&vcc, amina()).await;
    let (case_id, reference) = (case["id"].as_str().unwrap().to_owned(), case["reference"].as_str().unwrap().to_owned());
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
    assert!(r.status.is_success(), "{}", r.text);
    // A call three days ago: housing agreed to find a room by yesterday, and is asked after 2
    // days what happened (today's digest asks).
    let talked = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let r = app
        .post(
            &format!("/api/v1/cases/{case_id}/interventions"),
            &vcc,
            json!({
                "channel": "phone_call", "direction": "outbound", "counterpart_agency_id": housing, "occurred_at": talked,
                "need_domain": "accommodation", "summary": "Amina Petrova: the landlord holds her passport", "duration_minutes": 20,
                "actions": [{"description": "Find emergency accommodation", "owner_agency_id": housing, "due_on": day(-1)},
                            {"description": "Confirm the move-in date", "owner_agency_id": housing, "due_on": day(4)}],
                "ask_back_after_days": 2
            }),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let overdue_action = r.body["actions"][0]["id"].as_str().unwrap().to_owned();

    // The operator sends today's digests at once.
    let out = send_digests(&app, &smtp);
    assert!(out.contains("1 queued"), "{out}");
    let mail = smtp.wait_for(1).await;
    assert_eq!(mail.len(), 1, "one digest: the mailbox (the coordinator's token has no account)");
    let m = &mail[0];
    assert_eq!(m["headers"]["to"], "housing-options@northshire.test");
    assert_eq!(m["content_type"], "multipart/alternative");
    assert!(m["parts"].as_array().unwrap().iter().any(|p| p == "text/plain"));
    assert!(m["parts"].as_array().unwrap().iter().any(|p| p == "text/html"));
    assert_eq!(m["headers"]["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    assert!(m["headers"]["list-unsubscribe"].as_str().unwrap().starts_with(&format!("<{PUBLIC}/unsubscribe/agency/{housing}/")));
    assert!(m["headers"]["message-id"].as_str().unwrap().ends_with("@northshire.test>"));
    assert_nothing_personal(m);
    let text = m["text"].as_str().unwrap();
    let html = m["html"].as_str().unwrap();
    assert!(
        text.contains(&reference) && text.contains("Find emergency accommodation") && text.contains("Confirm the move-in date"),
        "{text}"
    );
    assert!(text.find("OVERDUE").unwrap() < text.find("DUE THIS WEEK").unwrap(), "overdue first:\n{text}");
    assert!(text.contains(&format!("You spoke with the coordinator about case {reference} on")), "{text}");
    assert!(html.contains("<th scope=\"col\">") || html.contains("<th scope=\"col\" "), "tables with headers:\n{html}");
    assert!(!html.contains("<img"), "no images needed");
    // Nothing is kept of the body once it is sent: only its subject.
    assert_eq!(app.count("SELECT count(*) AS n FROM outbox WHERE status = 'sent' AND payload ? 'text'").await, 0);

    let links = link_after(text, &format!("{PUBLIC}/inbox/"));
    assert_eq!(links.len(), 3, "a link per action and per ask: {links:?}");
    let (first, ask_link) = (&links[0], &links[2]);

    // Opening the link (as a mail scanner would, several times) changes nothing.
    let audit_before = app.count("SELECT count(*) AS n FROM audit_records WHERE action <> 'R'").await;
    for _ in 0..3 {
        let r = app.call(Method::GET, first, None, None).await;
        assert_eq!(r.status.as_u16(), 200);
        assert!(r.text.contains(&reference) && r.text.contains("Find emergency accommodation"), "{}", r.text);
        assert!(!r.text.contains("Amina"));
    }
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM actions WHERE id = '{overdue_action}' AND status = 'open'")).await, 1);
    assert_eq!(app.count("SELECT count(*) AS n FROM inbox_links WHERE used_at IS NOT NULL").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_records WHERE action <> 'R'").await, audit_before);
    // The reads are on the trail, as the link's agency.
    let token = first.trim_start_matches("/inbox/");

    // "We can't do this" needs a reason; nothing changes without one.
    let r = form(&app, "/inbox", &[("token", token), ("kind", "cannot"), ("reason", "")]).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
    assert!(r.text.contains("Say why it can&#39;t be done"), "{}", r.text);
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM actions WHERE id = '{overdue_action}' AND status = 'open'")).await, 1);

    // Done, with a note: the action closes as the housing team, by emailed link.
    let r = form(&app, "/inbox", &[("token", token), ("kind", "done"), ("note", "Room at Hope House from Monday")]).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert!(r.text.contains("marked done"), "{}", r.text);
    let action = app.get(&format!("/api/v1/cases/{case_id}/actions/{overdue_action}"), &vcc).await;
    assert_eq!(action.body["status"], "done", "{}", action.text);
    let closed_by = app.strings(&format!("SELECT closed_by AS v FROM actions WHERE id = '{overdue_action}'")).await;
    assert_eq!(closed_by, vec!["emailed link to housing-options@northshire.test".to_owned()]);
    let trail =
        app.strings(&format!("SELECT agent_sub AS v FROM audit_records WHERE entity_id = '{overdue_action}' AND action = 'U'")).await;
    assert_eq!(trail, vec!["emailed link to housing-options@northshire.test".to_owned()]);
    // The reads are on the trail (written by the read log, within moments), as the link's.
    let reads_sql = format!(
        "SELECT count(*) AS n FROM audit_records WHERE action = 'R' AND case_id = '{case_id}' AND agent_sub = 'emailed link to housing-options@northshire.test'"
    );
    let began = std::time::Instant::now();
    while app.count(&reads_sql).await < 3 && began.elapsed() < std::time::Duration::from_secs(10) {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(app.count(&reads_sql).await >= 3, "each opening of the link is a recorded read");

    // A link works once: used, it says so and offers sign-in.
    let r = form(&app, "/inbox", &[("token", token), ("kind", "done"), ("note", "again")]).await;
    assert_eq!(r.status.as_u16(), 409);
    assert!(r.text.contains("This link has been used") && r.text.contains("/app/sign-in"), "{}", r.text);

    // "What happened?": the answer lands on the case's timeline as the housing team's.
    let token = ask_link.trim_start_matches("/inbox/");
    let r = app.call(Method::GET, ask_link, None, None).await;
    assert!(r.text.contains("what happened?"), "{}", r.text);
    let r = form(&app, "/inbox", &[("token", token), ("kind", "answer"), ("answer", "in_progress"), ("text", "Viewing a flat on Friday")])
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let timeline = app.get(&format!("/api/v1/cases/{case_id}/timeline?limit=200"), &vcc).await;
    let answer = timeline.body["items"].as_array().unwrap().iter().find(|e| e["kind"] == "ask").cloned().unwrap_or(Value::Null);
    assert_eq!(answer["ask"]["answer"]["status"], "in_progress", "{}", timeline.text);
    assert_eq!(answer["ask"]["answer"]["text"], "Viewing a flat on Friday");
    assert_eq!(answer["ask"]["agency_id"], json!(housing));

    // One click (RFC 8058) turns the mailbox's digest off.
    let unsubscribe = m["headers"]["list-unsubscribe"].as_str().unwrap().trim_matches(['<', '>']).trim_start_matches(PUBLIC).to_owned();
    let r = app.call(Method::GET, &unsubscribe, None, None).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM agencies WHERE id = '{housing}' AND notify_digest = 'off'")).await,
        0,
        "GET changes nothing"
    );
    let r = app
        .send(Method::POST, &unsubscribe, None, Some((b"List-Unsubscribe=One-Click".to_vec(), "application/x-www-form-urlencoded")), &[])
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM agencies WHERE id = '{housing}' AND notify_digest = 'off'")).await, 1);
    let forged = unsubscribe.rsplit_once('/').map(|(a, _)| format!("{a}/AAAA")).unwrap();
    let r = app
        .send(Method::POST, &forged, None, Some((b"List-Unsubscribe=One-Click".to_vec(), "application/x-www-form-urlencoded")), &[])
        .await;
    assert_eq!(r.status.as_u16(), 404);

    // The digest is sent once a day: asked again, nothing more goes.
    let out = send_digests(&app, &smtp);
    assert!(out.contains("0 queued"), "{out}");
    for m in smtp.messages() {
        assert_nothing_personal(&m);
    }
}

/// A link stops when it expires (14 days), when its agency is deactivated, and when the action
/// is closed by someone else; each says so, and nothing changes.
#[actix_web::test]
async fn a_link_expires_and_is_cut_off_and_says_why() {
    let smtp = SmtpSink::start(0);
    let app = mailing_app(&smtp).await;
    let admin = token(fourthp_domain::principal::Role::Admin, None);
    let (_, vcc) = app.coordinator().await;
    let mut agencies = Vec::new();
    for (name, kind) in [("Northshire Police Safeguarding", "police"), ("Northshire Red Cross", "red_cross")] {
        let a = app.agency(name, kind).await;
        give_mailbox(&app, &a.to_string(), &format!("{}@northshire.test", kind.replace('_', "-"))).await;
        agencies.push(a);
    }
    let case = app.open_case(&vcc, amina()).await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    let mut actions = Vec::new();
    for a in &agencies {
        app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{a}"), Some(&vcc), Some(json!({}))).await;
        for what in ["Share the crime reference", "Arrange a second appointment"] {
            let r = app
                .post(
                    &format!("/api/v1/cases/{case_id}/actions"),
                    &vcc,
                    json!({"description": what, "owner_agency_id": a, "due_on": day(2)}),
                )
                .await;
            actions.push(r.body["id"].as_str().unwrap().to_owned());
        }
    }
    send_digests(&app, &smtp);
    let mail = smtp.wait_for(2).await;
    let links_of = |to: &str| -> Vec<String> {
        let m = mail.iter().find(|m| m["headers"]["to"] == to).unwrap();
        assert_nothing_personal(m);
        link_after(m["text"].as_str().unwrap(), &format!("{PUBLIC}/inbox/"))
    };
    let police = links_of("police@northshire.test");
    let red_cross = links_of("red-cross@northshire.test");
    let token_of = |l: &String| l.trim_start_matches("/inbox/").to_owned();

    // Closed meanwhile by the coordinator: the link says so.
    let etag = app.get(&format!("/api/v1/cases/{case_id}/actions/{}", actions[0]), &vcc).await.header("etag").unwrap();
    app.patch(&format!("/api/v1/actions/{}", actions[0]), &vcc, &etag, json!({"status": "done", "note": "Shared on the phone"})).await;
    let r = form(&app, "/inbox", &[("token", &token_of(&police[0])), ("kind", "done"), ("note", "")]).await;
    assert_eq!(r.status.as_u16(), 409);
    assert!(r.text.contains("This action is already closed"), "{}", r.text);

    // The agency deactivated: its links stop at once.
    let etag = app.get(&format!("/api/v1/agencies/{}", agencies[1]), &admin).await.header("etag").unwrap();
    app.patch(&format!("/api/v1/agencies/{}", agencies[1]), &admin, &etag, json!({"active": false})).await;
    let r = app.call(Method::GET, &red_cross[0], None, None).await;
    assert!(r.text.contains("This link no longer works"), "{}", r.text);
    let r = form(&app, "/inbox", &[("token", &token_of(&red_cross[0])), ("kind", "done"), ("note", "")]).await;
    assert_eq!(r.status.as_u16(), 409);

    // Fourteen days on, the police's other link has expired.
    app.clock.advance(chrono::Duration::days(15));
    let r = form(&app, "/inbox", &[("token", &token_of(&police[1])), ("kind", "done"), ("note", "")]).await;
    assert_eq!(r.status.as_u16(), 409);
    assert!(r.text.contains("This link has expired"), "{}", r.text);
    // A made-up token is not found, and says nothing of what exists.
    let r = app.call(Method::GET, "/inbox/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", None, None).await;
    assert_eq!(r.status.as_u16(), 404);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM actions WHERE status = 'open'").await,
        3,
        "only the coordinator's closing changed anything"
    );
}

/// People with accounts get their own digest: a partner what their agency owes, a coordinator
/// the deadlines of the cases they lead; one who turned it off gets none.
#[actix_web::test]
async fn people_get_their_own_digest_and_can_turn_it_off() {
    use crate::accounts::{cookie_of, enrolled, in_session, sign_in, totp_ahead, PASSWORD};
    let smtp = SmtpSink::start(0);
    let app = mailing_app(&smtp).await;
    let (vcc_agency, _) = app.coordinator().await;
    let gp = app.agency("Northshire Medical Practice", "health_gp").await;
    let (_, vcc_email, vcc_totp, _) = enrolled(&app, "sam.vcc@northshire.test", "coordinator", Some(vcc_agency)).await;
    let (_, gp_email, _, _) = enrolled(&app, "practice.manager@northshire.test", "partner", Some(gp)).await;
    let (_, quiet_email, quiet_totp, _) = enrolled(&app, "quiet.partner@northshire.test", "partner", Some(gp)).await;
    // The coordinator, signed in, opens the case (so leads it) and agrees an action with the GP.
    let r = sign_in(&app, json!({"email": vcc_email, "password": PASSWORD, "totp": totp_ahead(&vcc_totp, 1)})).await;
    let (cookie, csrf) = (cookie_of(&r), r.body["csrf_token"].as_str().unwrap().to_owned());
    let r = in_session(&app, Method::POST, "/api/v1/cases", &cookie, Some(&csrf), Some(amina())).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let case_id = r.body["id"].as_str().unwrap().to_owned();
    let reference = r.body["reference"].as_str().unwrap().to_owned();
    in_session(&app, Method::PUT, &format!("/api/v1/cases/{case_id}/team/{gp}"), &cookie, Some(&csrf), Some(json!({}))).await;
    let body = json!({"type": "support_started", "date": day(-20)});
    let r = in_session(&app, Method::POST, &format!("/api/v1/cases/{case_id}/events"), &cookie, Some(&csrf), Some(body)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let body = json!({"description": "Register with the practice", "owner_agency_id": gp, "due_on": day(3)});
    let r = in_session(&app, Method::POST, &format!("/api/v1/cases/{case_id}/actions"), &cookie, Some(&csrf), Some(body)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    // One partner turns the email off.
    let r = sign_in(&app, json!({"email": quiet_email, "password": PASSWORD, "totp": totp_ahead(&quiet_totp, 1)})).await;
    let (qc, qcsrf) = (cookie_of(&r), r.body["csrf_token"].as_str().unwrap().to_owned());
    let r = in_session(&app, Method::PUT, "/api/v1/me/notifications", &qc, Some(&qcsrf), Some(json!({"digest": "off"}))).await;
    assert_eq!(r.body["digest"], "off", "{}", r.text);

    let out = send_digests(&app, &smtp);
    let mail = smtp.wait_for(2).await;
    assert_eq!(mail.len(), 2, "{out}");
    let to = |who: &str| mail.iter().find(|m| m["headers"]["to"] == who).cloned().unwrap_or_else(|| panic!("no email to {who}: {out}"));
    let partner = to(&gp_email);
    assert!(partner["text"].as_str().unwrap().contains("Register with the practice"));
    assert!(partner["headers"]["list-unsubscribe"].as_str().unwrap().contains("/unsubscribe/user/"));
    let coordinator = to(&vcc_email);
    let text = coordinator["text"].as_str().unwrap();
    assert!(text.contains("YOUR CASES' DEADLINES") && text.contains(&reference), "{text}");
    for m in &mail {
        assert_nothing_personal(m);
    }
    assert!(mail.iter().all(|m| m["headers"]["to"] != quiet_email.as_str()), "the one who turned it off gets none");
}
