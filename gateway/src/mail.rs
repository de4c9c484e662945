//! Sending mail: the SMTP transport built from `mail.smtp_url`, and one plain-text message at a
//! time. What the messages say belongs to their services (`accounts::reset`, …), not here.
//!
//! Errors never carry the SMTP URL or its credentials, nor a message's body (it holds a
//! one-time link): only what failed.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;

/// How long one delivery may take, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("`mail.smtp_url` cannot be used: {0}")]
    Url(String),
    #[error("`mail.from` is not a sender address: {0}")]
    From(String),
    #[error("`{0}` is not an address mail can be sent to")]
    To(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the SMTP server did not take the message: {0}")]
    Send(String),
}

/// Sends the gateway's mail through one SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer of `config`, or `None` when no SMTP server is configured.
    pub fn from_config(config: &MailConfig) -> Result<Option<Mailer>, MailError> {
        let Some(smtp) = &config.smtp else {
            return Ok(None);
        };
        // lettre's own message may quote the URL; only its kind is kept.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp.url.expose())
            .map_err(|e| {
                MailError::Url(if e.is_client() {
                    "a malformed URL or `tls=` parameter".into()
                } else {
                    "not understood".into()
                })
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailError::From(e.to_string()))?;
        Ok(Some(Mailer { transport, from }))
    }

    /// Sends a plain-text message to `to`, returning once the server accepted it.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to_box = to
            .parse::<Mailbox>()
            .map_err(|_| MailError::To(codexkey_common::text::escape(to).into_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| MailError::Send(describe(&e)))?;
        Ok(())
    }
}

/// What went wrong with a delivery, without anything the server echoed back (it may repeat
/// the message's addresses or our login).
fn describe(e: &lettre::transport::smtp::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_permanent() {
        format!("refused permanently ({})", code_of(e))
    } else if e.is_transient() {
        format!("refused for now ({})", code_of(e))
    } else if e.is_tls() {
        "TLS failed".into()
    } else {
        "could not reach or talk to it".into()
    }
}

fn code_of(e: &lettre::transport::smtp::Error) -> String {
    e.status()
        .map_or_else(|| "no code".into(), |c| format!("SMTP {c}"))
}
