//! Bearer tokens (JWT): verifying and minting them.
//!
//! Keys: one HS256 secret for tokens FourthP mints itself (`fourthp token`), and any number of
//! public keys (EdDSA, ES256, RS256; PEM) for tokens from an organisation's identity provider,
//! chosen by the token's `kid`. The algorithm is pinned per key, so a token cannot pick its own.
//! `exp`, `iat`, `iss`, `aud` and `sub` are required and checked, with 30 s leeway.
//!
//! A token FourthP minted speaks for the principal its claims name (`role`, `agency_id`). A
//! token from an identity provider only says who the person is (`sub`, `email`): the principal
//! comes from their FourthP account, which must exist and be active.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fourthp_domain::ids::AgencyId;
use fourthp_domain::principal::{Principal, Role, Subject};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// The `kid` of the locally minted HS256 key (also used for tokens without a `kid`).
pub const LOCAL_KID: &str = "local";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    /// Required in tokens FourthP mints; ignored in an identity provider's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The person's email, in an identity provider's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    /// The token's id, so that it can be revoked (every token FourthP mints has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The API client a client-credentials token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// A verified token: who it speaks for, and its id if it has one.
#[derive(Debug, Clone)]
pub struct Verified {
    pub bearer: Bearer,
    pub jti: Option<uuid::Uuid>,
}

/// Who a verified token speaks for.
#[derive(Debug, Clone)]
pub enum Bearer {
    /// A token FourthP minted (`fourthp token`, client credentials): its claims are the principal.
    Minted(Principal),
    /// A token from an organisation's identity provider: who the person is there. The request
    /// is theirs only if a FourthP account matches (see `users::for_identity`).
    Person { sub: String, email: Option<String> },
}

struct Key {
    algorithm: Algorithm,
    decoding: DecodingKey,
}

/// Verifies tokens. Built once at start-up.
pub struct Verifier {
    keys: HashMap<String, Key>,
    issuer: String,
    audience: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("public key {kid}: algorithm {alg} is not one of EdDSA, ES256, RS256")]
    Algorithm { kid: String, alg: String },
    #[error("public key {kid}: cannot read {path}")]
    Read { kid: String, path: String },
    #[error("public key {kid}: not a valid PEM key for {alg}")]
    Pem { kid: String, alg: String },
    #[error("FOURTHP_JWT_PUBLIC_KEYS entries look like kid=ALG:/path/to/key.pem, separated by ';'")]
    Syntax,
    #[error("the HS256 secret must be at least 32 bytes")]
    ShortSecret,
}

impl Verifier {
    /// `public_keys` is `kid=ALG:/path.pem;kid2=ALG:/path2.pem` (may be empty).
    pub fn new(hs256_secret: &[u8], public_keys: &str, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        if hs256_secret.len() < 32 {
            return Err(KeyError::ShortSecret);
        }
        let mut keys = HashMap::new();
        keys.insert(LOCAL_KID.to_owned(), Key { algorithm: Algorithm::HS256, decoding: DecodingKey::from_secret(hs256_secret) });
        for entry in public_keys.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, rest) = entry.split_once('=').ok_or(KeyError::Syntax)?;
            let (alg, path) = rest.split_once(':').ok_or(KeyError::Syntax)?;
            let kid = kid.trim().to_owned();
            let pem = std::fs::read(path.trim()).map_err(|_| KeyError::Read { kid: kid.clone(), path: path.to_owned() })?;
            let pem_err = |_| KeyError::Pem { kid: kid.clone(), alg: alg.to_owned() };
            let (algorithm, decoding) = match alg.trim() {
                "EdDSA" => (Algorithm::EdDSA, DecodingKey::from_ed_pem(&pem).map_err(pem_err)?),
                "ES256" => (Algorithm::ES256, DecodingKey::from_ec_pem(&pem).map_err(pem_err)?),
                "RS256" => (Algorithm::RS256, DecodingKey::from_rsa_pem(&pem).map_err(pem_err)?),
                other => return Err(KeyError::Algorithm { kid, alg: other.to_owned() }),
            };
            keys.insert(kid, Key { algorithm, decoding });
        }
        Ok(Self { keys, issuer: issuer.to_owned(), audience: audience.to_owned() })
    }

    /// Checks a token and returns who it speaks for.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Verified, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        let kid = header.kid.as_deref().unwrap_or(LOCAL_KID);
        let key = self.keys.get(kid).ok_or(AuthError::UnknownKey)?;
        if header.alg != key.algorithm {
            return Err(AuthError::WrongAlgorithm);
        }
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidSignature => AuthError::BadSignature,
            ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
            ErrorKind::InvalidAudience => AuthError::WrongAudience,
            ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => AuthError::Claims,
            _ => AuthError::Malformed,
        })?;
        let claims = data.claims;
        let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
        if claims.iat > now.timestamp() + leeway {
            return Err(AuthError::NotYetValid);
        }
        let subject = Subject::parse(&claims.sub).map_err(|_| AuthError::Claims)?;
        let jti = claims.jti.as_deref().map(uuid::Uuid::try_parse).transpose().map_err(|_| AuthError::Claims)?;
        if kid != LOCAL_KID {
            return Ok(Verified { bearer: Bearer::Person { sub: subject.as_str().to_owned(), email: claims.email }, jti });
        }
        let role = claims.role.as_deref().and_then(Role::parse).ok_or(AuthError::Claims)?;
        let agency = claims.agency_id.as_deref().map(AgencyId::parse).transpose().map_err(|_| AuthError::Claims)?;
        let principal = Principal::new(subject, role, agency).map_err(|_| AuthError::Claims)?;
        Ok(Verified { bearer: Bearer::Minted(principal), jti })
    }
}

/// Mints HS256 tokens with the local key (`fourthp token`, tests, demo set-up).
pub struct Minter {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl Minter {
    pub fn new(hs256_secret: &[u8], issuer: &str, audience: &str) -> Self {
        Self { key: EncodingKey::from_secret(hs256_secret), issuer: issuer.to_owned(), audience: audience.to_owned() }
    }

    pub fn mint(&self, principal: &Principal, now: DateTime<Utc>, ttl: chrono::Duration) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue(principal, now, ttl).map(|(token, _)| token)
    }

    /// A token for an API client (OAuth 2.0 client credentials): its principal, its id in
    /// `client_id`, and a `jti`.
    pub fn issue_to_client(
        &self,
        principal: &Principal,
        client: uuid::Uuid,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<(String, uuid::Uuid), jsonwebtoken::errors::Error> {
        self.sign(principal, Some(client), now, ttl)
    }

    /// A token and its `jti` (a UUIDv7), for recording it so that it can be revoked.
    pub fn issue(
        &self,
        principal: &Principal,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<(String, uuid::Uuid), jsonwebtoken::errors::Error> {
        self.sign(principal, None, now, ttl)
    }

    fn sign(
        &self,
        principal: &Principal,
        client: Option<uuid::Uuid>,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<(String, uuid::Uuid), jsonwebtoken::errors::Error> {
        let jti = uuid::Uuid::now_v7();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: principal.subject.as_str().to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            role: Some(principal.role.as_str().to_owned()),
            email: None,
            agency_id: principal.agency.map(|a| a.to_string()),
            jti: Some(jti.to_string()),
            client_id: client.map(|c| c.to_string()),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(LOCAL_KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key).map(|t| (t, jti))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("send a bearer token in the Authorization header")]
    Missing,
    #[error("the bearer token is malformed")]
    Malformed,
    #[error("the token names a key this service does not know")]
    UnknownKey,
    #[error("the token is signed with an algorithm not accepted for its key")]
    WrongAlgorithm,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token was issued by an issuer this service does not accept")]
    WrongIssuer,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token lacks required claims or has invalid ones (sub, role, agency_id, exp, iat, iss, aud)")]
    Claims,
    #[error("the identity provider's token names no active account of this service")]
    NoAccount,
}
