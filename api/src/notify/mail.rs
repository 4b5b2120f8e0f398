//! Email over SMTP (lettre): `FOURTHP_SMTP_URL` names the server, with TLS (`smtps://`),
//! STARTTLS (`?tls=required`) and credentials as the URL gives them.

use std::time::{Duration, Instant};

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use fourthp_domain::ids::MessageId;
use fourthp_persistence::outbox::Sent;

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of Message-IDs.
    domain: String,
}

/// One email as it leaves.
pub struct Outgoing<'a> {
    pub id: MessageId,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub unsubscribe: Option<&'a str>,
}

impl Mailer {
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| "FOURTHP_SMTP_URL: must be smtp://host:port or smtps://user:password@host:port".to_owned())?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: Mailbox = from.parse().map_err(|_| "FOURTHP_MAIL_FROM: must be an address, or Name <address>".to_owned())?;
        let domain = from.email.domain().to_owned();
        Ok(Mailer { transport, from, domain })
    }

    /// The message as sent: multipart/alternative (plain text, then HTML), its Message-ID the
    /// outbox id, with RFC 8058 one-click unsubscribe headers when given.
    pub fn message(&self, m: &Outgoing<'_>) -> Result<Message, String> {
        let to: Mailbox = m.recipient.parse().map_err(|_| "the recipient's address is not valid".to_owned())?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject)
            .message_id(Some(format!("<{}@{}>", m.id, self.domain)))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".to_owned()));
        if let Some(url) = m.unsubscribe {
            builder =
                builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>"))).raw_header(
                    HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click".to_owned()),
                );
        }
        builder
            .multipart(MultiPart::alternative_plain_html(m.text.to_owned(), m.html.to_owned()))
            .map_err(|_| "the message could not be built".to_owned())
    }

    /// Hands the message to the SMTP server.
    pub async fn send(&self, m: &Outgoing<'_>) -> Sent {
        let began = Instant::now();
        let message = match self.message(m) {
            Ok(message) => message,
            Err(error) => return Sent { ok: false, status: None, error: Some(error), latency_ms: 0 },
        };
        let outcome = self.transport.send(message).await;
        let latency_ms = i32::try_from(began.elapsed().as_millis()).unwrap_or(i32::MAX);
        match outcome {
            Ok(response) => Sent { ok: true, status: Some(i32::from(u16::from(response.code()))), error: None, latency_ms },
            Err(e) => Sent {
                ok: false,
                status: e.status().map(|c| i32::from(u16::from(c))),
                // lettre's errors name the server's reply, not the message: no personal data.
                error: Some(
                    if e.is_permanent() { "the mail server refused the message" } else { "the mail server could not be reached" }
                        .to_owned(),
                ),
                latency_ms,
            },
        }
    }
}
