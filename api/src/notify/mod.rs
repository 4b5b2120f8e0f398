//! Delivering what the outbox holds: email over SMTP, and signed webhooks to partners' systems.
//! The background deliverer claims one message at a time (any instance may run it), sends it
//! and records how that went in the same transaction.

pub mod deliver;
pub mod digest_mail;
pub mod ics;
pub mod mail;
pub mod webhook;

use std::sync::Arc;

use fourthp_domain::notify::DigestSchedule;

use crate::config::Config;

/// How the service sends what it must tell people, built once at start-up.
#[derive(Clone)]
pub struct Notifier {
    /// `None` when no SMTP server is configured: nothing is emailed, and the pages say so.
    pub mail: Option<Arc<mail::Mailer>>,
    /// Where people reach the service: links in messages are built on it.
    pub public_url: String,
    pub schedule: DigestSchedule,
    /// Keys the unsubscribe links' codes (derived from the service's own secret).
    pub link_key: Arc<[u8; 32]>,
}

impl Notifier {
    pub fn from_config(config: &Config, secret: &[u8]) -> Result<Self, String> {
        let mail = match (&config.smtp_url, &config.mail_from) {
            (Some(url), Some(from)) => Some(Arc::new(mail::Mailer::new(url, from)?)),
            (None, None) => None,
            (Some(_), None) => return Err("FOURTHP_MAIL_FROM: must be set with FOURTHP_SMTP_URL".to_owned()),
            (None, Some(_)) => return Err("FOURTHP_SMTP_URL: must be set with FOURTHP_MAIL_FROM".to_owned()),
        };
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &[b"fourthp unsubscribe links\n".as_slice(), secret].concat());
        let mut link_key = [0_u8; 32];
        link_key.copy_from_slice(digest.as_ref());
        Ok(Notifier {
            mail,
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            schedule: config.digest_schedule(),
            link_key: Arc::new(link_key),
        })
    }

    /// The code that lets `recipient` (`user:<id>` or `agency:<id>`) unsubscribe without signing
    /// in: an HMAC of it under the service's key, base64url.
    pub fn unsubscribe_code(&self, recipient: &str) -> String {
        use base64::Engine as _;
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, self.link_key.as_slice());
        let tag = aws_lc_rs::hmac::sign(&key, recipient.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// Whether `code` is `recipient`'s unsubscribe code (in constant time).
    pub fn unsubscribe_code_is(&self, recipient: &str, code: &str) -> bool {
        use base64::Engine as _;
        let Ok(tag) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(code) else { return false };
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, self.link_key.as_slice());
        aws_lc_rs::hmac::verify(&key, recipient.as_bytes(), &tag).is_ok()
    }
}
