//! Partner systems: an administrator registers an API client; it exchanges its credentials for
//! short-lived tokens at `/oauth/token` (RFC 6749 §4.4, errors as §5.2); revoking it refuses
//! its tokens at once.

use actix_web::http::Method;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use fourthp_domain::principal::Role;
use serde_json::{json, Value};

use crate::support::*;

/// `POST /oauth/token` with HTTP Basic (or none) and a form body.
async fn token_request(app: &TestApp, basic: Option<(&str, &str)>, form: &str) -> Reply {
    let auth = basic.map(|(id, secret)| format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))));
    let mut headers = Vec::new();
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    app.send(Method::POST, "/oauth/token", None, Some((form.as_bytes().to_vec(), "application/x-www-form-urlencoded")), &headers).await
}

fn oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.body["error"], error, "{}", r.text);
    assert!(r.body["error_description"].is_string(), "{}", r.text);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
}

#[actix_web::test]
async fn a_partner_system_gets_short_lived_tokens_and_loses_them_when_revoked() {
    let app = TestApp::init().spawn().await;
    let admin = token(Role::Admin, None);
    let (_, vcc) = app.coordinator().await;
    let housing = app.agency("Northshire Housing Association", "local_authority_housing").await;
    let case = app.open_case(&vcc, car_wash_man()).await;
    let case_id = case["id"].as_str().unwrap();
    let r = app.call(Method::PUT, &format!("/api/v1/cases/{case_id}/team/{housing}"), Some(&vcc), Some(json!({}))).await;
    assert!(r.status.is_success(), "{}", r.text);

    // Registering: administrators only; never an administrator client; partners name an agency.
    let body = json!({"name": "Northshire Housing case system", "role": "partner", "agency_id": housing.to_string()});
    app.post("/api/v1/api-clients", &vcc, body.clone()).await.problem(403);
    app.post("/api/v1/api-clients", &admin, json!({"name": "x", "role": "admin"})).await.problem(422);
    let r = app.post("/api/v1/api-clients", &admin, json!({"name": "x", "role": "partner"})).await;
    r.problem(422);
    assert_eq!(r.body["errors"][0]["field"], "agency_id");
    let r = app.post("/api/v1/api-clients", &admin, body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let client_id = r.body["client_id"].as_str().unwrap().to_owned();
    let secret = r.body["client_secret"].as_str().unwrap().to_owned();
    assert!(URL_SAFE_NO_PAD.decode(&secret).unwrap().len() >= 32, "256 bits");
    assert!(r.body["token_endpoint"].as_str().unwrap().ends_with("/oauth/token"));
    assert_eq!(r.header("location"), Some(format!("/api/v1/api-clients/{client_id}")));
    // The secret is shown once and kept only as a hash.
    let listed = app.get("/api/v1/api-clients", &admin).await;
    assert_eq!(listed.body["items"][0]["client_id"], client_id.as_str());
    assert!(!listed.text.contains(&secret) && !app.get(&format!("/api/v1/api-clients/{client_id}"), &admin).await.text.contains(&secret));
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM api_clients WHERE position('{secret}' in encode(secret_hash, 'escape')) > 0")).await,
        0
    );

    // RFC 6749 §5.2 errors.
    oauth_error(&token_request(&app, None, "grant_type=client_credentials").await, 401, "invalid_client");
    let r = token_request(&app, Some((&client_id, "not-the-secret")), "grant_type=client_credentials").await;
    oauth_error(&r, 401, "invalid_client");
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    oauth_error(
        &token_request(&app, Some((&uuid::Uuid::now_v7().to_string(), &secret)), "grant_type=client_credentials").await,
        401,
        "invalid_client",
    );
    oauth_error(&token_request(&app, Some((&client_id, &secret)), "grant_type=password").await, 400, "unsupported_grant_type");
    oauth_error(&token_request(&app, Some((&client_id, &secret)), "").await, 400, "invalid_request");
    oauth_error(
        &token_request(&app, Some((&client_id, &secret)), "grant_type=client_credentials&grant_type=client_credentials").await,
        400,
        "invalid_request",
    );
    oauth_error(&token_request(&app, Some((&client_id, &secret)), "grant_type=client_credentials&scope=admin").await, 400, "invalid_scope");
    let in_body = format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}");
    oauth_error(&token_request(&app, None, &in_body).await, 401, "invalid_client");
    let json_body = app.send(Method::POST, "/oauth/token", None, Some((b"{}".to_vec(), "application/json")), &[]).await;
    oauth_error(&json_body, 400, "invalid_request");

    // The token: a bearer JWT of 15 minutes with a jti and the client id, recorded.
    let r = token_request(&app, Some((&client_id, &secret)), "grant_type=client_credentials").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!((r.body["token_type"].as_str(), r.body["expires_in"].as_i64()), (Some("Bearer"), Some(900)));
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let access = r.body["access_token"].as_str().unwrap().to_owned();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(access.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!((claims["role"].as_str(), claims["agency_id"].as_str()), (Some("partner"), Some(housing.to_string().as_str())));
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 900);
    let jti = claims["jti"].as_str().unwrap().to_owned();
    let recorded = format!(
        "SELECT count(*) AS n FROM issued_tokens WHERE jti = '{jti}' AND kind = 'client_credentials' AND client_id = '{client_id}'"
    );
    assert_eq!(app.count(&recorded).await, 1);

    // It works as the partner it was registered as: the case its agency is on, nothing else.
    let status = format!("/api/v1/cases/{case_id}/status");
    assert_eq!(app.get(&status, &access).await.status.as_u16(), 200);
    app.get("/api/v1/users", &access).await.problem(403);
    let second = token_request(&app, Some((&client_id, &secret)), "grant_type=client_credentials").await;
    let second = second.body["access_token"].as_str().unwrap().to_owned();

    // Revoked: every token it holds is refused at once, and it gets no more.
    app.call(Method::DELETE, &format!("/api/v1/api-clients/{client_id}"), Some(&vcc), None).await.problem(403);
    let r = app.call(Method::DELETE, &format!("/api/v1/api-clients/{client_id}"), Some(&admin), None).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    for t in [&access, &second] {
        let r = app.get(&status, t).await;
        r.problem(401);
        assert!(r.text.contains("revoked"), "{}", r.text);
    }
    oauth_error(&token_request(&app, Some((&client_id, &secret)), "grant_type=client_credentials").await, 401, "invalid_client");
    let shown = app.get(&format!("/api/v1/api-clients/{client_id}"), &admin).await;
    assert!(shown.body["revoked_at"].is_string(), "{}", shown.text);
    let r = app.call(Method::DELETE, &format!("/api/v1/api-clients/{}", uuid::Uuid::now_v7()), Some(&admin), None).await;
    r.problem(404);

    // Audited: registration, each token, each failure, the revocation; never the secret.
    let audited = app
        .strings(
            "SELECT concat(entity_type, ':', action, ':', outcome) AS v FROM audit_records WHERE entity_type IN ('api_client', 'token')",
        )
        .await;
    let n = |s: &str| audited.iter().filter(|a| *a == s).count();
    assert_eq!((n("api_client:C:success"), n("token:C:success"), n("api_client:D:success")), (1, 2, 1), "{audited:?}");
    assert_eq!(n("api_client:E:failed"), 3, "a wrong secret, an unknown client, a revoked one: {audited:?}");
    let all = app.strings("SELECT row_to_json(a)::text AS v FROM audit_records a").await.join("\n");
    assert!(!all.contains(&secret) && !all.contains(&access));
}
