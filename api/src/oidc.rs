//! FourthP as an OpenID Connect relying party (authorization code flow with PKCE): an
//! identity provider's discovery document, its signing keys (fetched again when a token names
//! a key not seen before: the provider rotated them), the code exchanged at its token endpoint
//! with the client's secret and the PKCE verifier, and the ID token checked: signature, `iss`,
//! `aud`, `exp`, `iat` and `nonce`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Why a provider's sign-in failed, for the log (never a token, code or claim value).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the provider could not be reached: {0}")]
    Unreachable(&'static str),
    #[error("the provider's answer was not understood: {0}")]
    Malformed(&'static str),
    #[error("the provider's discovery document names another issuer")]
    IssuerMismatch,
    #[error("the ID token was refused: {0}")]
    BadToken(&'static str),
}

/// Where a provider's endpoints are, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovered {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

/// What the token endpoint gave: the ID token, and the access token for the userinfo endpoint.
pub struct Tokens {
    pub id_token: String,
    pub access_token: Option<String>,
}

/// What FourthP takes from an ID token.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    nonce: Option<String>,
}

/// An issuer FourthP will talk to: HTTPS, or plain HTTP on this machine only (a provider under
/// test, or one on the loopback interface).
pub fn issuer_allowed(issuer: &str) -> Result<(), &'static str> {
    let loopback = ["http://localhost:", "http://localhost/", "http://127.0.0.1:", "http://127.0.0.1/"];
    if issuer.starts_with("https://") || loopback.iter().any(|p| issuer.starts_with(p)) {
        if issuer.contains(['?', '#', ' ']) {
            return Err("must not have a query, a fragment or spaces");
        }
        Ok(())
    } else {
        Err("must be an https:// address (plain http only on this machine)")
    }
}

/// The PKCE challenge (S256) of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Discovery documents and key sets, by issuer.
#[derive(Default, Clone)]
pub struct ProviderCache {
    inner: Arc<Mutex<HashMap<String, Cached>>>,
}

#[derive(Clone)]
struct Cached {
    discovered: Discovered,
    keys: JwkSet,
    fetched: Instant,
}

/// How long a discovery document is kept before it is read again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
const TIMEOUT: Duration = Duration::from_secs(10);

fn client() -> awc::Client {
    crate::notify::webhook::outbound_client("FourthP-OIDC/1", TIMEOUT)
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, OidcError> {
    let mut res =
        client().get(url).insert_header(("accept", "application/json")).send().await.map_err(|_| OidcError::Unreachable("GET failed"))?;
    if !res.status().is_success() {
        return Err(OidcError::Unreachable("GET answered an error"));
    }
    let body = res.body().limit(256 * 1024).await.map_err(|_| OidcError::Malformed("unreadable body"))?;
    serde_json::from_slice(&body).map_err(|_| OidcError::Malformed("not the JSON expected"))
}

impl ProviderCache {
    /// The provider's endpoints, read from `{issuer}/.well-known/openid-configuration` (kept an
    /// hour), which must name the same issuer.
    pub async fn discovered(&self, issuer: &str) -> Result<Discovered, OidcError> {
        if let Some(c) = self.cached(issuer).filter(|c| c.fetched.elapsed() < DISCOVERY_TTL) {
            return Ok(c.discovered);
        }
        let issuer = issuer.trim_end_matches('/');
        let d: Discovered = get_json(&format!("{issuer}/.well-known/openid-configuration")).await?;
        if d.issuer.trim_end_matches('/') != issuer {
            return Err(OidcError::IssuerMismatch);
        }
        for url in [&d.authorization_endpoint, &d.token_endpoint, &d.jwks_uri] {
            issuer_allowed(url).map_err(|_| OidcError::Malformed("an endpoint that is not https"))?;
        }
        let keys: JwkSet = get_json(&d.jwks_uri).await?;
        let now = Instant::now();
        self.store(issuer, Cached { discovered: d.clone(), keys, fetched: now });
        Ok(d)
    }

    fn cached(&self, issuer: &str) -> Option<Cached> {
        self.inner.lock().ok().and_then(|m| m.get(issuer.trim_end_matches('/')).cloned())
    }

    fn store(&self, issuer: &str, c: Cached) {
        if let Ok(mut m) = self.inner.lock() {
            m.insert(issuer.trim_end_matches('/').to_owned(), c);
        }
    }

    /// The key `kid` of the issuer: from the cache, or the key set fetched again (the provider
    /// rotated its keys). The token comes from the provider's own token endpoint, so nobody else
    /// can make FourthP fetch the keys again with made-up key ids.
    async fn key(&self, issuer: &str, kid: &str) -> Result<DecodingKey, OidcError> {
        let mut c = match self.cached(issuer) {
            Some(c) => c,
            None => {
                self.discovered(issuer).await?;
                self.cached(issuer).ok_or(OidcError::Malformed("no key set"))?
            }
        };
        if c.keys.find(kid).is_none() {
            c.keys = get_json(&c.discovered.jwks_uri).await?;
            self.store(issuer, c.clone());
        }
        let jwk = c.keys.find(kid).ok_or(OidcError::BadToken("signed with a key the provider does not publish"))?;
        DecodingKey::from_jwk(jwk).map_err(|_| OidcError::BadToken("a key that cannot be used"))
    }

    /// Exchanges the code for the ID token at the token endpoint (client_secret_basic), with the
    /// PKCE verifier and the same redirect URI.
    pub async fn exchange(
        &self,
        d: &Discovered,
        client_id: &str,
        client_secret: &str,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Tokens, OidcError> {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = STANDARD.encode(format!("{}:{}", enc(client_id), enc(client_secret)));
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_verifier", verifier)
            .finish();
        let mut res = client()
            .post(&d.token_endpoint)
            .insert_header(("authorization", format!("Basic {basic}")))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .insert_header(("accept", "application/json"))
            .send_body(form)
            .await
            .map_err(|_| OidcError::Unreachable("the token endpoint"))?;
        if !res.status().is_success() {
            return Err(OidcError::BadToken("the provider refused the code"));
        }
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: Option<String>,
            access_token: Option<String>,
        }
        let body = res.body().limit(256 * 1024).await.map_err(|_| OidcError::Malformed("unreadable token response"))?;
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|_| OidcError::Malformed("not a token response"))?;
        Ok(Tokens { id_token: t.id_token.ok_or(OidcError::Malformed("no ID token"))?, access_token: t.access_token })
    }

    /// The email the provider vouches for, from its userinfo endpoint (when the ID token does
    /// not carry it): only for the same subject as the ID token's.
    pub async fn userinfo_email(&self, d: &Discovered, access_token: &str, sub: &str) -> Result<Option<(String, bool)>, OidcError> {
        let Some(url) = &d.userinfo_endpoint else { return Ok(None) };
        let mut res = client()
            .get(url)
            .insert_header(("authorization", format!("Bearer {access_token}")))
            .insert_header(("accept", "application/json"))
            .send()
            .await
            .map_err(|_| OidcError::Unreachable("the userinfo endpoint"))?;
        if !res.status().is_success() {
            return Err(OidcError::Unreachable("the userinfo endpoint answered an error"));
        }
        #[derive(Deserialize)]
        struct UserInfo {
            sub: String,
            email: Option<String>,
            email_verified: Option<bool>,
        }
        let body = res.body().limit(64 * 1024).await.map_err(|_| OidcError::Malformed("unreadable userinfo"))?;
        let info: UserInfo = serde_json::from_slice(&body).map_err(|_| OidcError::Malformed("not userinfo"))?;
        if info.sub != sub {
            return Err(OidcError::BadToken("userinfo is about another subject"));
        }
        Ok(info.email.map(|e| (e, info.email_verified == Some(true))))
    }

    /// Checks the ID token: signed by one of the issuer's keys with an asymmetric algorithm,
    /// issued by it for `client_id`, not expired, and carrying `nonce`.
    pub async fn verify(&self, issuer: &str, client_id: &str, id_token: &str, nonce: &str) -> Result<IdClaims, OidcError> {
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| OidcError::BadToken("not a JWT"))?;
        let allowed =
            [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::ES256, Algorithm::ES384, Algorithm::EdDSA];
        if !allowed.contains(&header.alg) {
            return Err(OidcError::BadToken("an algorithm FourthP does not accept"));
        }
        let kid = header.kid.ok_or(OidcError::BadToken("no key id"))?;
        let key = self.key(issuer, &kid).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[issuer.trim_end_matches('/')]);
        validation.set_audience(&[client_id]);
        validation.set_required_spec_claims(&["iss", "aud", "exp", "iat", "sub"]);
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|_| OidcError::BadToken("signature, issuer, audience or time"))?;
        let claims = data.claims;
        let expected = nonce.as_bytes();
        if !claims.nonce.as_deref().is_some_and(|n| crate::credentials::same(n.as_bytes(), expected)) {
            return Err(OidcError::BadToken("the nonce is not the one sent"));
        }
        if claims.sub.is_empty() || claims.sub.len() > 255 {
            return Err(OidcError::BadToken("no usable subject"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_as_rfc_7636_appendix_b() {
        assert_eq!(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn issuers_are_https_or_this_machine() {
        assert!(issuer_allowed("https://login.microsoftonline.com/tenant/v2.0").is_ok());
        assert!(issuer_allowed("http://localhost:4000").is_ok());
        assert!(issuer_allowed("http://127.0.0.1:4000").is_ok());
        assert!(issuer_allowed("http://idp.council.example").is_err());
        assert!(issuer_allowed("http://localhost.evil.example").is_err());
        assert!(issuer_allowed("https://idp.example/?x=1").is_err());
    }
}
