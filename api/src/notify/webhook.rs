//! Signed webhook deliveries, per the Standard Webhooks specification: headers `webhook-id`
//! (the outbox id, stable across retries), `webhook-timestamp` (seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the
//! endpoint's `whsec_` secret.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use fourthp_domain::ids::MessageId;
use fourthp_domain::notify::signed_content;
use fourthp_persistence::outbox::Sent;
use serde_json::Value;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(15);

/// A new endpoint secret: 24 random bytes, as `whsec_<base64>`.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0_u8; 24];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no randomness available".to_owned())?;
    Ok(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The `webhook-signature` value for a delivery.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let raw = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = base64::engine::general_purpose::STANDARD.decode(raw).map_err(|_| "the endpoint's secret is not base64".to_owned())?;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
    let tag = aws_lc_rs::hmac::sign(&key, signed_content(id, timestamp, body).as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag.as_ref())))
}

/// Makes the payload's relative links absolute on `public_url`.
pub fn with_absolute_links(mut body: Value, public_url: &str) -> Value {
    if let Some(links) = body.pointer_mut("/data/links").and_then(Value::as_object_mut) {
        for v in links.values_mut() {
            if let Some(path) = v.as_str().filter(|p| p.starts_with('/')) {
                *v = Value::String(format!("{public_url}{path}"));
            }
        }
    }
    body
}

/// An HTTP client for deliveries (see [`outbound_client`]). Not `Send`: one per deliverer task.
pub fn client() -> awc::Client {
    outbound_client("FourthP-Webhooks/1", TIMEOUT)
}

/// An HTTP client for calls FourthP makes to others (webhooks, identity providers): TLS by
/// rustls with the system's roots, redirects not followed, `timeout` for each request.
pub fn outbound_client(user_agent: &'static str, timeout: std::time::Duration) -> awc::Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let connector = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    let base = awc::Client::builder().timeout(timeout).disable_redirects().add_default_header(("user-agent", user_agent));
    match connector {
        Ok(config) => base.connector(awc::Connector::new().rustls_0_23(Arc::new(config)).timeout(timeout)).finish(),
        // No TLS without a protocol version in common (not expected): plain HTTP only.
        Err(_) => base.finish(),
    }
}

/// Posts one delivery; a 2xx answer acknowledges it.
pub async fn send(client: &awc::Client, url: &str, secret: &str, id: MessageId, body: &Value, public_url: &str) -> Sent {
    let body = with_absolute_links(body.clone(), public_url).to_string();
    let id = id.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match signature(secret, &id, timestamp, &body) {
        Ok(s) => s,
        Err(error) => return Sent { ok: false, status: None, error: Some(error), latency_ms: 0 },
    };
    let began = Instant::now();
    let response = client
        .post(url)
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", id.as_str()))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .send_body(body)
        .await;
    let latency_ms = i32::try_from(began.elapsed().as_millis()).unwrap_or(i32::MAX);
    match response {
        Ok(r) if r.status().is_success() => Sent { ok: true, status: Some(i32::from(r.status().as_u16())), error: None, latency_ms },
        Ok(r) => Sent {
            ok: false,
            status: Some(i32::from(r.status().as_u16())),
            error: Some(format!("the receiver answered {}", r.status().as_u16())),
            latency_ms,
        },
        Err(e) => Sent {
            ok: false,
            status: None,
            error: Some(match e {
                awc::error::SendRequestError::Timeout => "the receiver did not answer within 15 seconds".to_owned(),
                awc::error::SendRequestError::Connect(_) => "the receiver could not be reached".to_owned(),
                _ => "the delivery failed".to_owned(),
            }),
            latency_ms,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_example_does() {
        // The specification's own example (standard-webhooks/spec).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(signature(secret, id, 1614265330, body).as_deref(), Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    #[test]
    fn secrets_are_fresh_and_prefixed() -> Result<(), String> {
        let (a, b) = (new_secret()?, new_secret()?);
        assert!(a.starts_with("whsec_") && a.len() == 38);
        assert_ne!(a, b);
        Ok(())
    }

    #[test]
    fn links_become_absolute() {
        let body = serde_json::json!({"data": {"links": {"case": "/api/v1/cases/x"}}});
        assert_eq!(with_absolute_links(body, "https://fourthp.example")["data"]["links"]["case"], "https://fourthp.example/api/v1/cases/x");
    }
}
