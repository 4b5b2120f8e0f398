//! Accounts: administrators create them, people enrol through a single-use link with a
//! password and a TOTP authenticator, and no secret is ever kept in the clear or audited.

use actix_web::http::Method;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

/// RFC 4648 base32 (no padding), decoded here independently of the service's encoder.
fn base32_decode(s: &str) -> Vec<u8> {
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {s}"),
        };
        bits = (bits << 5) | u64::from(v);
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// The TOTP code (RFC 6238, SHA-1, six digits, 30 s) for `secret` now, computed in the test.
pub fn totp_now(secret: &[u8]) -> String {
    let step = chrono::Utc::now().timestamp() / 30;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = aws_lc_rs::hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let o = usize::from(mac[19] & 0x0f);
    let bin = (u32::from(mac[o] & 0x7f) << 24) | (u32::from(mac[o + 1]) << 16) | (u32::from(mac[o + 2]) << 8) | u32::from(mac[o + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The token at the end of an enrolment link.
fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

async fn enrol(app: &TestApp, token: &str, body: Value) -> Reply {
    app.call(Method::POST, &format!("/api/v1/auth/enrolments/{token}"), None, Some(body)).await
}

const PASSWORD: &str = "correct horse battery staple";

#[actix_web::test]
async fn an_administrator_creates_an_account_and_the_person_enrols_with_a_totp() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let (agency, _) = app.coordinator().await;
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "Sam.Jones@Northshire.example", "display_name": "Sam Jones", "role": "coordinator", "agency_id": agency.to_string()}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(r.body["enrolled"], false);
    let link = r.body["enrolment_link"].as_str().unwrap().to_owned();
    assert!(link.starts_with("http://127.0.0.1:8080/app/enrol/"), "{link}");
    let user = r.body["id"].as_str().unwrap().to_owned();
    let token = token_of(&link);

    // A weak password is refused, in the policy's words; nothing is set.
    let r = enrol(&app, &token, json!({"password": "password1234"})).await;
    assert_eq!(r.problem(422), ["password"]);
    // A code before a password: the link says what comes first.
    enrol(&app, &token, json!({"totp": "123456"})).await.problem(409);

    let r = enrol(&app, &token, json!({"password": PASSWORD})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let secret = base32_decode(r.body["totp_secret"].as_str().unwrap());
    assert_eq!(secret.len(), 20);
    assert!(r.body["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/FourthP:"));
    let codes: Vec<String> = r.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(app.get(&format!("/api/v1/users/{user}"), &admin).await.body["enrolled"], false, "not until a code confirms it");

    // A wrong code is refused; the right one, computed here from the secret, completes it.
    let wrong = if totp_now(&secret) == "000000" { "111111" } else { "000000" };
    assert_eq!(enrol(&app, &token, json!({"totp": wrong})).await.problem(422), ["totp"]);
    let r = enrol(&app, &token, json!({"totp": totp_now(&secret)})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(r.body["enrolled"], true);
    assert_eq!(app.get(&format!("/api/v1/users/{user}"), &admin).await.body["enrolled"], true);
    // The link is single use.
    enrol(&app, &token, json!({"password": PASSWORD})).await.problem(404);

    // Stored: an Argon2id hash, hashes of the codes, never the secrets' text; audited without them.
    let hash = app.strings(&format!("SELECT password_hash AS v FROM users WHERE id = '{user}'")).await;
    assert!(hash[0].starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash[0]);
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM recovery_codes WHERE user_id = '{user}'")).await, 10);
    let everything = app
        .strings("SELECT concat_ws(' ', r::text, d::text) AS v FROM audit_records r LEFT JOIN audit_details d ON d.audit_id = r.id")
        .await
        .join("\n");
    for secret_text in [PASSWORD, &codes[0], &token] {
        assert!(!everything.contains(secret_text), "a secret reached the audit trail");
    }
    let audited = app.strings(&format!("SELECT concat(action, ':', agent_sub) AS v FROM audit_records WHERE entity_type = 'user' AND entity_id = '{user}' ORDER BY recorded_at")).await;
    assert_eq!(audited, ["C:admin-1", format!("U:user:{user}").as_str()]);
}

#[actix_web::test]
async fn accounts_are_for_administrators_and_checked_field_by_field() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let (agency, vcc) = app.coordinator().await;
    let body = json!({"email": "a.person@example.org", "display_name": "A Person", "role": "partner", "agency_id": agency.to_string()});
    app.post("/api/v1/users", &vcc, body.clone()).await.problem(403);
    app.get("/api/v1/users", &vcc).await.problem(403);
    assert_eq!(app.post("/api/v1/users", &admin, body).await.status.as_u16(), 201);
    // The same email in other letters is the same person.
    let again = json!({"email": "A.Person@EXAMPLE.org", "display_name": "Again", "role": "auditor"});
    app.post("/api/v1/users", &admin, again).await.problem(409);
    let r = app.post("/api/v1/users", &admin, json!({"email": "not-an-email", "display_name": "", "role": "partner"})).await;
    let mut fields = r.problem(422);
    fields.sort();
    assert_eq!(fields, ["display_name", "email"]);
    let r = app.post("/api/v1/users", &admin, json!({"email": "p@example.org", "display_name": "P", "role": "partner"})).await;
    assert_eq!(r.problem(422), ["agency_id"]);
    let other = json!({"email": "b.person@example.org", "display_name": "B Person", "role": "auditor"});
    assert_eq!(app.post("/api/v1/users", &admin, other).await.status.as_u16(), 201);
    let list = app.get("/api/v1/users?limit=1", &admin).await;
    assert_eq!(list.body["items"][0]["email"], "a.person@example.org", "by email");
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert!(list.body["next_cursor"].is_string());
}

#[actix_web::test]
async fn an_administrator_deactivates_and_resets_an_account() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let r = app.post("/api/v1/users", &admin, json!({"email": "c@example.org", "display_name": "C", "role": "commissioner"})).await;
    let user = r.body["id"].as_str().unwrap().to_owned();
    let first = token_of(r.body["enrolment_link"].as_str().unwrap());
    let path = format!("/api/v1/users/{user}");
    let etag = app.get(&path, &admin).await.header("etag").unwrap();
    let r = app.patch(&path, &admin, &etag, json!({"active": false})).await;
    assert_eq!((r.status.as_u16(), r.body["active"].clone(), r.body["version"].clone()), (200, json!(false), json!(2)));
    app.patch(&path, &admin, &etag, json!({"active": true})).await.problem(412);
    // An inactive account's link does not work.
    enrol(&app, &first, json!({"password": PASSWORD})).await.problem(404);
    let etag = app.get(&path, &admin).await.header("etag").unwrap();
    app.patch(&path, &admin, &etag, json!({"active": true})).await;
    // A reset issues a new link and retires the old one.
    let r = app.call(Method::POST, &format!("{path}/enrolment"), Some(&admin), None).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let second = token_of(r.body["enrolment_link"].as_str().unwrap());
    enrol(&app, &first, json!({"password": PASSWORD})).await.problem(404);
    assert_eq!(enrol(&app, &second, json!({"password": PASSWORD})).await.status.as_u16(), 200);
    app.call(Method::POST, &format!("/api/v1/users/{}/enrolment", uuid::Uuid::now_v7()), Some(&admin), None).await.problem(404);
}

/// The first administrator of a new deployment: `fourthp user add` prints the enrolment link on
/// its last line, built on FOURTHP_PUBLIC_URL, and the link works.
#[actix_web::test]
async fn the_command_line_creates_an_account_and_prints_its_link() {
    let app = TestApp::init().spawn().await;
    let data_dir = std::env::temp_dir().join(format!("fourthp-user-add-{}", uuid::Uuid::now_v7().simple()));
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fourthp-service"))
            .args(args)
            .env("DATABASE_URL", &app.db_url)
            .env("FOURTHP_DATA_DIR", &data_dir)
            .env("FOURTHP_PUBLIC_URL", "https://fourthp.northshire.example/")
            .env("FOURTHP_LOG", "error")
            .output()
            .expect("running fourthp")
    };
    let out = run(&["user", "add", "--email", "first.admin@northshire.example", "--role", "admin", "--name", "First Admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let link = stdout.lines().last().unwrap();
    assert!(link.starts_with("https://fourthp.northshire.example/app/enrol/"), "{stdout}");
    assert_eq!(enrol(&app, &token_of(link), json!({"password": PASSWORD})).await.status.as_u16(), 200);
    // A partner needs an agency: the flag is named.
    let out = run(&["user", "add", "--email", "p@northshire.example", "--role", "partner"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--agency"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&data_dir);
}
