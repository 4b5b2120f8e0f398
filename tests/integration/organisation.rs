//! Signing in with the organisation's own identity provider, against a real OpenID provider
//! (oidc-provider) started by the test: the authorization code flow with PKCE, the account
//! linked by the provider's subject the first time (by its verified email) and by the subject
//! alone afterwards, the provider's keys rotated, a replayed or forged return refused, and a
//! deactivated account refused at once.

use std::collections::HashMap;
use std::time::Duration;

use awc::http::header;
use fourthp_domain::principal::Role;
use serde_json::json;

use crate::peers::{loopback_port, OidcProvider};
use crate::support::*;

const SECRET: &str = "a-client-secret-the-provider-gave-fourthp";

fn provider_config(port: u16, app_port: u16, kid: &str) -> serde_json::Value {
    json!({
        "port": port,
        "kid": kid,
        "clients": [{"client_id": "fourthp-northshire", "client_secret": SECRET,
                     "redirect_uris": [format!("http://localhost:{app_port}/app/sign-in/organisation/callback")]}],
        "users": [
            {"login": "hana", "password": "correct horse", "sub": "00u8hana", "email": "Hana.Officer@northshire-homes.example"},
            {"login": "nobody", "password": "pw", "sub": "00u8nobody", "email": "nobody@elsewhere.example"}
        ]
    })
}

/// A browser's walk through the provider: its cookies kept per host, redirects followed by hand.
struct Walk {
    client: awc::Client,
    cookies: HashMap<String, String>,
}

impl Walk {
    fn new() -> Self {
        Walk { client: awc::Client::builder().disable_redirects().timeout(Duration::from_secs(20)).finish(), cookies: HashMap::new() }
    }

    /// GETs `url`, keeping what cookies it sets; returns the status, the Location and the body.
    async fn get(&mut self, url: &str) -> (u16, Option<String>, String, Vec<String>) {
        let host = url.split('/').nth(2).unwrap_or_default().to_owned();
        let jar: Vec<String> = self
            .cookies
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{host}|")))
            .map(|(k, v)| format!("{}={v}", &k[host.len() + 1..]))
            .collect();
        let mut req = self.client.get(url);
        if !jar.is_empty() {
            req = req.insert_header((header::COOKIE, jar.join("; ")));
        }
        let mut res = req.send().await.unwrap();
        let mut set = Vec::new();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let text = v.to_str().unwrap().to_owned();
            if let Some((name, rest)) = text.split_once('=') {
                let value = rest.split(';').next().unwrap_or_default().to_owned();
                self.cookies.insert(format!("{host}|{name}"), value);
            }
            set.push(text);
        }
        let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let body = String::from_utf8_lossy(&res.body().limit(1 << 20).await.unwrap()).into_owned();
        (res.status().as_u16(), location, body, set)
    }

    /// From FourthP's "sign in with" link to FourthP's callback, signing in at the provider as
    /// `login` (by `login_hint`): returns the callback URL the provider sent the browser to.
    async fn through_provider(&mut self, app: &str, agency: &str, login: &str) -> String {
        let (status, to, ..) = self.get(&format!("{app}/app/sign-in/organisation/{agency}")).await;
        assert_eq!(status, 303);
        let mut url = format!("{}&login_hint={login}", to.unwrap());
        assert!(url.contains("code_challenge_method=S256") && url.contains("nonce=") && url.contains("state="), "{url}");
        for _ in 0..10 {
            if url.contains("/app/sign-in/organisation/callback") {
                return url;
            }
            let (status, to, body, _) = self.get(&url).await;
            let to = to.unwrap_or_else(|| panic!("the provider answered {status}: {body}"));
            url = if to.starts_with("http") { to } else { format!("{}{to}", url.split('/').take(3).collect::<Vec<_>>().join("/")) };
        }
        panic!("the provider never sent the browser back");
    }
}

/// The session cookie a callback set, if it signed the person in.
fn session_cookie(set: &[String]) -> Option<String> {
    set.iter()
        .find(|c| c.starts_with("__Host-fourthp_session=") && !c.starts_with("__Host-fourthp_session=;"))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

async fn page_with(app: &TestApp, path: &str, cookie: &str) -> (u16, Option<String>, String) {
    let client = awc::Client::builder().disable_redirects().finish();
    let mut res = client.get(format!("{}{path}", app.address)).insert_header((header::COOKIE, cookie.to_owned())).send().await.unwrap();
    let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
    let body = String::from_utf8_lossy(&res.body().limit(1 << 20).await.unwrap()).into_owned();
    (res.status().as_u16(), location, body)
}

#[actix_web::test]
async fn a_partner_signs_in_with_the_organisations_own_account() {
    let app_port = loopback_port();
    let provider_port = loopback_port();
    let provider = OidcProvider::start(&provider_config(provider_port, app_port, "key-1"));
    let app = TestApp::init()
        .with_setting("FOURTHP_BIND", &format!("127.0.0.1:{app_port}"))
        .with_setting("FOURTHP_PUBLIC_URL", &format!("http://localhost:{app_port}"))
        .spawn()
        .await;
    let base = format!("http://localhost:{app_port}");
    let admin = token(Role::Admin, None);
    let housing = app.agency("Northshire Homes Housing Association", "local_authority_housing").await;

    // The administrator sets the provider; an issuer that does not answer as one is named.
    let path = format!("/api/v1/agencies/{housing}/identity-provider");
    let put = |body: serde_json::Value| app.call(awc::http::Method::PUT, &path, Some(&admin), Some(body));
    let r = put(json!({"issuer": "http://localhost:9/nothing", "client_id": "x", "client_secret": "y"})).await;
    assert_eq!(r.problem(422), ["issuer"]);
    let r = put(json!({"issuer": "http://idp.northshire-homes.example", "client_id": "x", "client_secret": "y"})).await;
    assert_eq!(r.problem(422), ["issuer"], "plain http only on this machine");
    let r = put(json!({"issuer": provider.issuer, "client_id": "fourthp-northshire", "client_secret": SECRET})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["redirect_uri"], format!("{base}/app/sign-in/organisation/callback"));
    assert!(
        !app.get(&format!("/api/v1/agencies/{housing}/identity-provider"), &admin).await.text.contains(SECRET),
        "the secret is never shown"
    );
    // Hana's account: the administrator adds it as for anyone; she never sets a FourthP password.
    let r = app
        .post("/api/v1/users", &admin, json!({"email": "hana.officer@northshire-homes.example", "display_name": "Hana Officer", "role": "partner", "agency_id": housing}))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let user = r.body["id"].as_str().unwrap().to_owned();

    // The first sign-in links the account by the provider's verified email.
    let mut walk = Walk::new();
    let callback = walk.through_provider(&base, &housing.to_string(), "hana").await;
    let (status, _, body, set) = walk.get(&callback).await;
    assert_eq!(status, 200, "{body}");
    let session = session_cookie(&set).expect("a session");
    assert!(body.contains("url=/app"), "the page moves on to /app itself (same-site, so the strict cookies go with it)");
    let (status, to, _) = page_with(&app, "/app", &session).await;
    assert_eq!((status, to.as_deref()), (303, Some("/app/owed")), "a partner lands on what the agency owes");
    let (status, _, body) = page_with(&app, "/app/owed", &session).await;
    assert_eq!(status, 200);
    assert!(body.contains("Hana Officer"));
    let linked = app.strings(&format!("SELECT oidc_issuer || ' ' || oidc_subject AS v FROM users WHERE id = '{user}'")).await;
    assert_eq!(linked, [format!("{} 00u8hana", provider.issuer)]);
    // The return cannot be used twice.
    let (status, _, body, set) = walk.get(&callback).await;
    assert_eq!(status, 401, "{body}");
    assert!(session_cookie(&set).is_none());
    assert!(body.contains("Signing in with your organisation did not work"));
    // A return FourthP did not send the person out with is refused.
    let forged = callback.replace("state=", "state=x");
    assert_eq!(walk.get(&forged).await.0, 401);

    // The provider rotates its keys: FourthP fetches them again and the next sign-in works.
    drop(provider);
    let provider = OidcProvider::start(&provider_config(provider_port, app_port, "key-2"));
    let mut walk = Walk::new();
    let callback = walk.through_provider(&base, &housing.to_string(), "hana").await;
    let (status, _, body, set) = walk.get(&callback).await;
    assert_eq!(status, 200, "after the key rotation: {body}");
    let second = session_cookie(&set).expect("a session after the rotation");

    // Someone the provider knows but FourthP has no account for is refused.
    let mut walk = Walk::new();
    let callback = walk.through_provider(&base, &housing.to_string(), "nobody").await;
    assert_eq!(walk.get(&callback).await.0, 401);

    // Deactivated in FourthP: refused at once, in the session already open and at the provider.
    let r = app.patch(&format!("/api/v1/users/{user}"), &admin, "\"1\"", json!({"active": false})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let (status, to, _) = page_with(&app, "/app/owed", &second).await;
    assert!(status == 303 && to.as_deref().is_some_and(|t| t.starts_with("/app/sign-in")), "{status} {to:?}");
    let mut walk = Walk::new();
    let callback = walk.through_provider(&base, &housing.to_string(), "hana").await;
    assert_eq!(walk.get(&callback).await.0, 401);
    // Every refusal is in the trail; the sign-ins too, named as the provider's.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert!(app.count("SELECT count(*) AS n FROM audit_records WHERE entity_type = 'session' AND 'organisation_identity_provider' = ANY(changed_fields)").await >= 2);
    assert!(app.count("SELECT count(*) AS n FROM sign_in_failures").await >= 4);
    drop(provider);
}
