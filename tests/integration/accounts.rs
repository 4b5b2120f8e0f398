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
    totp_ahead(secret, 0)
}

/// The token at the end of an enrolment link.
fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

async fn enrol(app: &TestApp, token: &str, body: Value) -> Reply {
    app.call(Method::POST, &format!("/api/v1/auth/enrolments/{token}"), None, Some(body)).await
}

pub const PASSWORD: &str = "correct horse battery staple";

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

/// The code of the time step `ahead` steps from now (the service accepts one step either way,
/// and never a step it has accepted before).
pub fn totp_ahead(secret: &[u8], ahead: i64) -> String {
    let step = chrono::Utc::now().timestamp() / 30 + ahead;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = aws_lc_rs::hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let o = usize::from(mac[19] & 0x0f);
    let bin = (u32::from(mac[o] & 0x7f) << 24) | (u32::from(mac[o + 1]) << 16) | (u32::from(mac[o + 2]) << 8) | u32::from(mac[o + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// A person enrolled through the API: (user id, email, TOTP secret, recovery codes).
pub async fn enrolled(
    app: &TestApp,
    email: &str,
    role: &str,
    agency: Option<fourthp_domain::ids::AgencyId>,
) -> (String, String, Vec<u8>, Vec<String>) {
    let admin = token(Role::Admin, None);
    let body = json!({"email": email, "display_name": "Test Person", "role": role, "agency_id": agency.map(|a| a.to_string())});
    let r = app.post("/api/v1/users", &admin, body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let token = token_of(r.body["enrolment_link"].as_str().unwrap());
    let r = enrol(app, &token, json!({"password": PASSWORD})).await;
    let secret = base32_decode(r.body["totp_secret"].as_str().unwrap());
    let codes = r.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(enrol(app, &token, json!({"totp": totp_now(&secret)})).await.status.as_u16(), 201);
    (id, email.to_owned(), secret, codes)
}

pub async fn sign_in(app: &TestApp, body: Value) -> Reply {
    app.call(Method::POST, "/api/v1/auth/sessions", None, Some(body)).await
}

/// The session cookie's value from a sign-in's `Set-Cookie`.
pub fn cookie_of(r: &Reply) -> String {
    let set = r.header("set-cookie").expect("a session cookie");
    set.split(';').next().unwrap().trim().to_owned()
}

/// A request in a session: the cookie, and for changes the CSRF token and this origin.
pub async fn in_session(app: &TestApp, method: Method, path: &str, cookie: &str, csrf: Option<&str>, body: Option<Value>) -> Reply {
    let origin = app.address.clone();
    let mut headers = vec![("cookie", cookie), ("origin", origin.as_str())];
    if let Some(c) = csrf {
        headers.push(("x-csrf-token", c));
    }
    let raw = body.map(|b| (b.to_string().into_bytes(), "application/json"));
    app.send(method, path, None, raw, &headers).await
}

#[actix_web::test]
async fn people_sign_in_with_two_factors_and_the_session_works_like_a_token() {
    let app = TestApp::init().spawn().await;
    let (agency, _) = app.coordinator().await;
    let (_, email, secret, codes) = enrolled(&app, "vcc.sam@northshire.example", "coordinator", Some(agency)).await;

    // Every wrong factor, and an unknown email, gets the same answer.
    let wrong = [
        json!({"email": email, "password": "not the password at all", "totp": totp_ahead(&secret, 1)}),
        json!({"email": email, "password": PASSWORD, "totp": "000000"}),
        json!({"email": email, "password": PASSWORD}),
        json!({"email": "nobody@northshire.example", "password": PASSWORD, "totp": totp_ahead(&secret, 1)}),
    ];
    let mut answers = Vec::new();
    for body in wrong {
        let r = sign_in(&app, body).await;
        r.problem(401);
        assert!(r.header("set-cookie").is_none());
        answers.push((r.body["type"].clone(), r.body["title"].clone(), r.body["detail"].clone()));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");

    let r = sign_in(&app, json!({"email": email.to_uppercase(), "password": PASSWORD, "totp": totp_ahead(&secret, 1)})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let set = r.header("set-cookie").unwrap();
    for part in ["__Host-fourthp_session=", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(set.contains(part), "{set}");
    }
    assert_eq!((r.body["role"].as_str(), r.body["agency_id"].as_str()), (Some("coordinator"), Some(agency.to_string().as_str())));
    let csrf = r.body["csrf_token"].as_str().unwrap().to_owned();
    let cookie = cookie_of(&r);

    // Reads need only the cookie; changes need the CSRF token and this origin too.
    assert_eq!(in_session(&app, Method::GET, "/api/v1/cases", &cookie, None, None).await.status.as_u16(), 200);
    let case = car_wash_man();
    in_session(&app, Method::POST, "/api/v1/cases", &cookie, None, Some(case.clone())).await.problem(403);
    let other = app
        .send(
            Method::POST,
            "/api/v1/cases",
            None,
            Some((case.to_string().into_bytes(), "application/json")),
            &[("cookie", &cookie), ("x-csrf-token", &csrf), ("origin", "https://evil.example")],
        )
        .await;
    other.problem(403);
    let r = in_session(&app, Method::POST, "/api/v1/cases", &cookie, Some(&csrf), Some(case)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(app.count("SELECT count(*) AS n FROM cases").await, 1, "the refused attempts changed nothing");

    // My sessions; signing out ends this one.
    let mine = in_session(&app, Method::GET, "/api/v1/auth/sessions", &cookie, None, None).await;
    assert_eq!(mine.body["items"][0]["current"], true, "{}", mine.text);
    assert_eq!(in_session(&app, Method::DELETE, "/api/v1/auth/sessions/current", &cookie, Some(&csrf), None).await.status.as_u16(), 204);
    in_session(&app, Method::GET, "/api/v1/cases", &cookie, None, None).await.problem(401);

    // A recovery code signs in once, in place of the TOTP code.
    let body = json!({"email": email, "password": PASSWORD, "recovery_code": codes[0].to_lowercase()});
    assert_eq!(sign_in(&app, body.clone()).await.status.as_u16(), 201);
    sign_in(&app, body).await.problem(401);
    let audited = app.strings("SELECT concat(entity_type, ':', action, ':', outcome) AS v FROM audit_records WHERE entity_type IN ('session', 'user') ORDER BY recorded_at").await;
    assert!(audited.iter().filter(|a| *a == "user:E:failed").count() >= 5, "{audited:?}");
    assert!(audited.contains(&"session:E:success".to_owned()) && audited.contains(&"session:D:success".to_owned()), "{audited:?}");
}

#[actix_web::test]
async fn sessions_end_when_idle_expired_or_the_account_is_deactivated_and_failures_lock_the_account() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let (user, email, _, codes) = enrolled(&app, "auditor@northshire.example", "auditor", None).await;
    let session = |code: &str| json!({"email": email, "password": PASSWORD, "recovery_code": code});
    let cookie = cookie_of(&sign_in(&app, session(&codes[0])).await);
    assert_eq!(in_session(&app, Method::GET, "/api/v1/audit", &cookie, None, None).await.status.as_u16(), 200);
    // Used 29 minutes later, it lives on; idle for 31 minutes, it has ended (the service's clock
    // moved forward: no test sleeps).
    app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(in_session(&app, Method::GET, "/api/v1/audit", &cookie, None, None).await.status.as_u16(), 200);
    app.clock.advance(chrono::Duration::minutes(31));
    in_session(&app, Method::GET, "/api/v1/audit", &cookie, None, None).await.problem(401);
    // Past its absolute expiry (12 hours), however recently used.
    let cookie = cookie_of(&sign_in(&app, session(&codes[1])).await);
    for _ in 0..24 {
        app.clock.advance(chrono::Duration::minutes(29));
        assert_eq!(in_session(&app, Method::GET, "/api/v1/audit", &cookie, None, None).await.status.as_u16(), 200);
    }
    app.clock.advance(chrono::Duration::minutes(29));
    in_session(&app, Method::GET, "/api/v1/audit", &cookie, None, None).await.problem(401);
    // Deactivated: the live session is refused on its next request.
    let cookie = cookie_of(&sign_in(&app, session(&codes[2])).await);
    let path = format!("/api/v1/users/{user}");
    let etag = app.get(&path, &admin).await.header("etag").unwrap();
    assert_eq!(app.patch(&path, &admin, &etag, json!({"active": false})).await.status.as_u16(), 200);
    in_session(&app, Method::GET, "/api/v1/audit", &cookie, None, None).await.problem(401);
    let etag = app.get(&path, &admin).await.header("etag").unwrap();
    app.patch(&path, &admin, &etag, json!({"active": true})).await;

    // Five failures lock the account: then even the right credentials are refused, alike.
    for _ in 0..5 {
        sign_in(&app, json!({"email": email, "password": "a wrong password entirely", "recovery_code": codes[3]})).await.problem(401);
    }
    let until = app.count(&format!("SELECT floor(extract(epoch FROM locked_until))::bigint AS n FROM users WHERE id = '{user}'")).await;
    let wait = until - app.clock.now().timestamp();
    assert!((25..=30).contains(&wait), "waits 30 s after the fifth failure: {wait}");
    // Trying while locked is refused and does not lengthen the wait.
    sign_in(&app, session(&codes[3])).await.problem(401);
    // The sixth failure doubles it.
    app.clock.advance(chrono::Duration::seconds(31));
    sign_in(&app, json!({"email": email, "password": "a wrong password entirely", "recovery_code": codes[3]})).await.problem(401);
    app.clock.advance(chrono::Duration::seconds(50));
    sign_in(&app, session(&codes[3])).await.problem(401);
    // The wait over, the right credentials work and the count resets.
    app.clock.advance(chrono::Duration::seconds(11));
    assert_eq!(sign_in(&app, session(&codes[3])).await.status.as_u16(), 201);
    assert_eq!(app.count(&format!("SELECT failed_sign_ins::bigint AS n FROM users WHERE id = '{user}'")).await, 0);
}

/// `fourthp token` records what it mints; an administrator revokes it by its `jti`, and it is
/// refused at once. Its lifetime is capped.
#[actix_web::test]
async fn a_revoked_command_line_token_is_refused_at_once() {
    use base64::Engine;
    let app = TestApp::init().spawn().await;
    let data_dir = std::env::temp_dir().join(format!("fourthp-token-{}", uuid::Uuid::now_v7().simple()));
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fourthp-service"))
            .args(args)
            .env("DATABASE_URL", &app.db_url)
            .env("FOURTHP_DATA_DIR", &data_dir)
            .env("FOURTHP_JWT_HS256_SECRET", std::str::from_utf8(SECRET).unwrap())
            .env("FOURTHP_JWT_ISSUER", ISSUER)
            .env("FOURTHP_JWT_AUDIENCE", AUDIENCE)
            .env("FOURTHP_LOG", "error")
            .output()
            .expect("running fourthp")
    };
    let out = run(&["token", "--role", "auditor", "--ttl", "13h"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--ttl"), "capped at 12 hours");
    let out = run(&["token", "--role", "auditor", "--ttl", "1h"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let minted = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let payload = minted.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let jti = claims["jti"].as_str().unwrap().to_owned();
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM issued_tokens WHERE jti = '{jti}' AND kind = 'cli'")).await, 1);
    assert_eq!(app.get("/api/v1/audit", &minted).await.status.as_u16(), 200);

    let admin = token(Role::Admin, None);
    app.post("/api/v1/auth/revocations", &minted, json!({"jti": jti})).await.problem(403);
    app.post("/api/v1/auth/revocations", &admin, json!({"jti": uuid::Uuid::now_v7()})).await.problem(404);
    assert_eq!(app.post("/api/v1/auth/revocations", &admin, json!({"jti": jti})).await.status.as_u16(), 204);
    let r = app.get("/api/v1/audit", &minted).await;
    r.problem(401);
    assert!(r.text.contains("revoked"), "{}", r.text);
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'token' AND entity_id = '{jti}'")).await, 2);
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// A revocation made elsewhere (another instance, straight in the database) applies here within
/// a second.
#[actix_web::test]
async fn a_revocation_reaches_every_instance_within_a_second() {
    let app = TestApp::init().spawn().await;
    let p = principal(Role::Auditor, None, "auditor-elsewhere");
    let (minted, jti) =
        fourthp_api::token::Minter::new(SECRET, ISSUER, AUDIENCE).issue(&p, chrono::Utc::now(), chrono::Duration::hours(1)).unwrap();
    assert_eq!(app.get("/api/v1/audit", &minted).await.status.as_u16(), 200);
    app.sql(&format!(
        "INSERT INTO issued_tokens (jti, kind, subject, issued_at, expires_at, revoked_at) VALUES ('{jti}', 'cli', 'x', now(), now() + interval '1 hour', now())"
    ))
    .await
    .unwrap();
    let revoked_at = std::time::Instant::now();
    loop {
        if app.get("/api/v1/audit", &minted).await.status.as_u16() == 401 {
            break;
        }
        assert!(revoked_at.elapsed() < std::time::Duration::from_secs(1), "still accepted after a second");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Every secret a person or system is given or sends — password, enrolment link, TOTP secret,
/// recovery codes, session cookie, CSRF token, client secret, access tokens — is looked for in
/// the service's own log output (at debug level) and in every audit record and account row: it
/// must appear in none.
#[actix_web::test]
async fn no_secret_reaches_the_logs_or_the_audit_trail() {
    use base64::Engine;
    use std::process::{Command, Stdio};
    let mut app = TestApp::init().spawn().await;
    let (agency, _) = app.coordinator().await;
    let dir = std::env::temp_dir().join(format!("fourthp-logs-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.join("service.log");
    let mut service = Command::new(env!("CARGO_BIN_EXE_fourthp-service"))
        .arg("serve")
        .env("DATABASE_URL", &app.db_url)
        .env("FOURTHP_BIND", format!("127.0.0.1:{port}"))
        .env("FOURTHP_DATA_DIR", &dir)
        .env("FOURTHP_JWT_HS256_SECRET", std::str::from_utf8(SECRET).unwrap())
        .env("FOURTHP_JWT_ISSUER", ISSUER)
        .env("FOURTHP_JWT_AUDIENCE", AUDIENCE)
        .env("FOURTHP_WORKERS", "1")
        .env("FOURTHP_LOG", "debug")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(dir.join("service.err")).unwrap()))
        .spawn()
        .expect("starting the service");
    // From here on, the helpers talk to that process.
    app.address = format!("http://127.0.0.1:{port}");
    let began = std::time::Instant::now();
    let probe = awc::Client::default();
    while !probe.get(format!("{}/readyz", app.address)).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(began.elapsed() < std::time::Duration::from_secs(30), "the service did not start");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let admin = token(Role::Admin, None);
    let r = app.post("/api/v1/users", &admin, json!({"email": "kit.moss@northshire.example", "display_name": "Kit Moss", "role": "coordinator", "agency_id": agency.to_string()})).await;
    let link_token = token_of(r.body["enrolment_link"].as_str().unwrap());
    let wrong_password = "the wrong password, typed with care";
    enrol(&app, &link_token, json!({"password": "short"})).await.problem(422);
    let r = enrol(&app, &link_token, json!({"password": PASSWORD})).await;
    let totp_secret = r.body["totp_secret"].as_str().unwrap().to_owned();
    let uri = r.body["otpauth_uri"].as_str().unwrap_or_default().to_owned();
    let codes: Vec<String> = r.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let secret = base32_decode(&totp_secret);
    assert_eq!(enrol(&app, &link_token, json!({"totp": totp_now(&secret)})).await.status.as_u16(), 201);
    sign_in(&app, json!({"email": "kit.moss@northshire.example", "password": wrong_password, "totp": totp_ahead(&secret, 1)}))
        .await
        .problem(401);
    let r = sign_in(&app, json!({"email": "kit.moss@northshire.example", "password": PASSWORD, "recovery_code": codes[0]})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let csrf = r.body["csrf_token"].as_str().unwrap().to_owned();
    let cookie = cookie_of(&r);
    in_session(&app, Method::POST, "/api/v1/cases", &cookie, None, Some(car_wash_man())).await.problem(403);
    assert_eq!(in_session(&app, Method::POST, "/api/v1/cases", &cookie, Some(&csrf), Some(car_wash_man())).await.status.as_u16(), 201);
    let r = app.post("/api/v1/api-clients", &admin, json!({"name": "Audit tool", "role": "auditor"})).await;
    let (client_id, client_secret) =
        (r.body["client_id"].as_str().unwrap().to_owned(), r.body["client_secret"].as_str().unwrap().to_owned());
    let basic = |s: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{s}")));
    let form = Some((b"grant_type=client_credentials".to_vec(), "application/x-www-form-urlencoded"));
    let r = app.send(Method::POST, "/oauth/token", None, form.clone(), &[("authorization", &basic(&client_secret))]).await;
    let access = r.body["access_token"].as_str().unwrap().to_owned();
    app.send(Method::POST, "/oauth/token", None, form, &[("authorization", &basic("a-guessed-secret-value"))]).await;
    assert_eq!(app.get("/api/v1/audit", &access).await.status.as_u16(), 200);
    app.get("/api/v1/audit", "not.a.token").await.problem(401);

    let _ = Command::new("kill").arg("-TERM").arg(service.id().to_string()).status();
    let _ = service.wait();
    let logs = std::fs::read_to_string(&log).unwrap() + &std::fs::read_to_string(dir.join("service.err")).unwrap();
    assert!(logs.matches("\"request\"").count() + logs.matches(" request ").count() >= 10, "the requests were logged:\n{logs}");
    let session_id = cookie.split_once('=').unwrap().1.to_owned();
    let uri_secret = uri.split("secret=").nth(1).map(|s| s.split('&').next().unwrap().to_owned()).unwrap_or_else(|| totp_secret.clone());
    let mut secrets = vec![
        ("password", PASSWORD.to_owned()),
        ("wrong password", wrong_password.to_owned()),
        ("enrolment token", link_token),
        ("TOTP secret", totp_secret),
        ("TOTP secret in its URI", uri_secret),
        ("session id", session_id),
        ("CSRF token", csrf),
        ("client secret", client_secret),
        ("access token", access),
        ("minted token", admin),
    ];
    secrets.extend(codes.iter().map(|c| ("recovery code", c.clone())));
    let trail = app.strings("SELECT row_to_json(a)::text AS v FROM audit_records a").await.join("\n");
    let accounts = app
        .strings("SELECT row_to_json(u)::text AS v FROM users u UNION ALL SELECT row_to_json(s)::text FROM sessions s UNION ALL SELECT row_to_json(c)::text FROM api_clients c")
        .await
        .join("\n");
    for (what, value) in &secrets {
        assert!(!logs.contains(value.as_str()), "the {what} is in the service's log");
        assert!(!trail.contains(value.as_str()), "the {what} is in the audit trail");
        assert!(!accounts.contains(value.as_str()), "the {what} is stored in the clear");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
