//! Authentication: every way a token can be wrong is a 401 with `WWW-Authenticate: Bearer`.

use actix_web::http::Method;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use fourthp_domain::principal::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::support::*;

fn claims(overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "vcc-7", "iat": now, "exp": now + 600, "role": "admin"});
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn hs(alg: Algorithm, claims: &Value, secret: &[u8]) -> String {
    let mut header = Header::new(alg);
    header.kid = Some("local".into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn rejected(app: &TestApp, token: Option<&str>) -> String {
    let r = app.call(Method::GET, "/api/v1/agencies", token, None).await;
    r.problem(401);
    let challenge = r.header("www-authenticate").expect("WWW-Authenticate");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    r.body["detail"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_valid_token_is_accepted_and_its_claims_used() {
    let app = TestApp::init().spawn().await;
    let t = hs(Algorithm::HS256, &claims(json!({})), SECRET);
    assert_eq!(app.get("/api/v1/agencies", &t).await.status.as_u16(), 200);
    // The minted token decodes to the same claims with the real library.
    let minted = token(Role::Partner, Some(fourthp_domain::ids::AgencyId::new_v7(1)));
    let mut v = jsonwebtoken::Validation::new(Algorithm::HS256);
    v.set_audience(&[AUDIENCE]);
    v.set_issuer(&[ISSUER]);
    let data = jsonwebtoken::decode::<Value>(&minted, &jsonwebtoken::DecodingKey::from_secret(SECRET), &v).unwrap();
    assert_eq!(data.claims["role"], "partner");
    assert_eq!(data.claims["sub"], "partner-1");
    assert!(data.claims["agency_id"].is_string());
}

#[actix_web::test]
async fn missing_and_malformed_tokens() {
    let app = TestApp::init().spawn().await;
    let r = app.call(Method::GET, "/api/v1/agencies", None, None).await;
    r.problem(401);
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer realm=\"fourthp\""));
    rejected(&app, Some("not-a-jwt")).await;
    let r = app.send(Method::GET, "/api/v1/agencies", None, None, &[("authorization", "Basic dXNlcjpwdw==")]).await;
    r.problem(401);
}

#[actix_web::test]
async fn expired_not_yet_valid_and_wrong_audience_or_issuer() {
    let app = TestApp::init().spawn().await;
    let now = chrono::Utc::now().timestamp();
    let expired = hs(Algorithm::HS256, &claims(json!({"iat": now - 7200, "exp": now - 3600})), SECRET);
    assert!(rejected(&app, Some(&expired)).await.contains("expired"));
    let future = hs(Algorithm::HS256, &claims(json!({"iat": now + 3600, "exp": now + 7200})), SECRET);
    assert!(rejected(&app, Some(&future)).await.contains("not valid yet"));
    let nbf = hs(Algorithm::HS256, &claims(json!({"nbf": now + 3600})), SECRET);
    rejected(&app, Some(&nbf)).await;
    let audience = hs(Algorithm::HS256, &claims(json!({"aud": "someone-else"})), SECRET);
    assert!(rejected(&app, Some(&audience)).await.contains("audience"));
    let issuer = hs(Algorithm::HS256, &claims(json!({"iss": "elsewhere"})), SECRET);
    assert!(rejected(&app, Some(&issuer)).await.contains("issuer"));
}

#[actix_web::test]
async fn required_claims_and_roles() {
    let app = TestApp::init().spawn().await;
    for missing in ["sub", "exp", "iat", "iss", "aud", "role"] {
        let t = hs(Algorithm::HS256, &claims(json!({missing: null})), SECRET);
        rejected(&app, Some(&t)).await;
    }
    let unknown_role = hs(Algorithm::HS256, &claims(json!({"role": "superuser"})), SECRET);
    rejected(&app, Some(&unknown_role)).await;
    // Coordinators and partners act for an agency: their tokens must say which.
    let no_agency = hs(Algorithm::HS256, &claims(json!({"role": "coordinator"})), SECRET);
    rejected(&app, Some(&no_agency)).await;
    let bad_agency = hs(Algorithm::HS256, &claims(json!({"role": "partner", "agency_id": "x"})), SECRET);
    rejected(&app, Some(&bad_agency)).await;
}

#[actix_web::test]
async fn signatures_and_algorithms_are_pinned() {
    let app = TestApp::init().spawn().await;
    let c = claims(json!({}));
    // Same secret, another HMAC algorithm.
    rejected(&app, Some(&hs(Algorithm::HS384, &c, SECRET))).await;
    // Another secret.
    rejected(&app, Some(&hs(Algorithm::HS256, &c, b"another-secret-another-secret-another"))).await;
    // A tampered payload under the original signature.
    let good = hs(Algorithm::HS256, &c, SECRET);
    let parts: Vec<&str> = good.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(claims(json!({"role": "coordinator", "agency_id": uuid::Uuid::now_v7().to_string()})).to_string());
    rejected(&app, Some(&format!("{}.{forged}.{}", parts[0], parts[2]))).await;
    // alg: none, unsigned.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    rejected(&app, Some(&format!("{none_header}.{}.", parts[1]))).await;
    // A key id the service does not know.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("someone-elses".into());
    let t = jsonwebtoken::encode(&header, &c, &EncodingKey::from_secret(SECRET)).unwrap();
    assert!(rejected(&app, Some(&t)).await.contains("key"));
}

/// An Ed25519 key pair: (PKCS#8 private key DER, public key PEM).
fn ed25519() -> (Vec<u8>, String) {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    spki.extend_from_slice(pair.public_key().as_ref());
    let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(spki));
    (pkcs8.as_ref().to_vec(), pem)
}

#[actix_web::test]
async fn identity_provider_keys_verify_their_own_tokens_only() {
    let (private, public_pem) = ed25519();
    let path = std::env::temp_dir().join(format!("fourthp-idp-{}.pem", uuid::Uuid::now_v7().simple()));
    std::fs::write(&path, public_pem).unwrap();
    let app = TestApp::init().with_public_keys(&format!("idp=EdDSA:{}", path.display())).spawn().await;
    let idp = |c: &Value| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("idp".into());
        jsonwebtoken::encode(&header, c, &EncodingKey::from_ed_der(&private)).unwrap()
    };
    // A good signature is not enough: the person needs an active account here.
    let c = claims(json!({"sub": "idp-7781", "email": "Ana.Lopez@northshire.example"}));
    assert!(rejected(&app, Some(&idp(&c))).await.contains("no active account"));
    let admin = crate::support::token(Role::Admin, None);
    let r = app
        .post("/api/v1/users", &admin, json!({"email": "ana.lopez@northshire.example", "display_name": "Ana Lopez", "role": "auditor"}))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let user = r.body["id"].as_str().unwrap().to_owned();
    // Matched by email (without case), the account's role applies, not the token's claim.
    assert_eq!(app.get("/api/v1/audit", &idp(&c)).await.status.as_u16(), 200);
    app.get("/api/v1/users", &idp(&c)).await.problem(403);
    // Or by the account's own subject.
    let by_sub = claims(json!({"sub": format!("user:{user}")}));
    assert_eq!(app.get("/api/v1/audit", &idp(&by_sub)).await.status.as_u16(), 200);
    // Deactivated, the account's IdP tokens are refused on their next request.
    let path = format!("/api/v1/users/{user}");
    let etag = app.get(&path, &admin).await.header("etag").unwrap();
    assert_eq!(app.patch(&path, &admin, &etag, json!({"active": false})).await.status.as_u16(), 200);
    rejected(&app, Some(&idp(&c))).await;
    rejected(&app, Some(&idp(&by_sub))).await;
    // The IdP's kid with an HMAC signature (algorithm confusion) is refused.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("idp".into());
    let confused = jsonwebtoken::encode(&header, &c, &EncodingKey::from_secret(SECRET)).unwrap();
    assert!(rejected(&app, Some(&confused)).await.contains("algorithm"));
    // Another Ed25519 key under the IdP's kid does not verify.
    let (other, _) = ed25519();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("idp".into());
    let t = jsonwebtoken::encode(&header, &c, &EncodingKey::from_ed_der(&other)).unwrap();
    rejected(&app, Some(&t)).await;
    let _ = std::fs::remove_file(path);
}
