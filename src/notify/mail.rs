//! Mail transports: SMTP (lettre, STARTTLS or implicit TLS) for production, `.eml` files for development.
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, MailTransport, SmtpTls};
use crate::notify::outbox::Claimed;

pub enum Mailer {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        match &config.mail {
            MailTransport::File { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                Ok(Mailer::File(AsyncFileTransport::new(dir)))
            }
            MailTransport::Smtp { host, port, tls, user, password } => {
                let builder = match tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .map_err(|e| format!("SMTP {host}: {e}"))?,
                    SmtpTls::Tls => {
                        AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| format!("SMTP {host}: {e}"))?
                    }
                };
                let mut builder = builder.port(*port).timeout(Some(Duration::from_secs(20)));
                if let (Some(user), Some(password)) = (user, password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Ok(Mailer::Smtp(builder.build()))
            }
        }
    }

    /// Sends a claimed e-mail: text and HTML alternatives, and a calendar file (`termin.ics`) if there is
    /// one. `from` is the configured sender; a message sent on someone's behalf replaces its display name only.
    pub async fn send(&self, from: &str, message: &Claimed) -> Result<(), String> {
        let (sender, to, subject, calendar) =
            (message.sender.as_ref(), &message.recipient, &message.subject, message.attachment.as_deref());
        let (text, html) = (&message.body_text, &message.body_html);
        let mut from: Mailbox = from.parse().map_err(|e| format!("Absender: {e}"))?;
        let reply_to = match sender {
            Some(sender) => {
                from.name = Some(sender.name.clone());
                sender
                    .reply_to
                    .as_deref()
                    .map(str::parse::<Mailbox>)
                    .transpose()
                    .map_err(|e| format!("Antwort an: {e}"))?
            }
            None => None,
        };
        let to: Mailbox = to.parse().map_err(|e| format!("Empfänger: {e}"))?;
        let alternatives = MultiPart::alternative_plain_html(text.to_owned(), html.to_owned());
        let body = match calendar {
            None => alternatives,
            Some(ics) => {
                let method = if ics.contains("METHOD:CANCEL") { "CANCEL" } else { "PUBLISH" };
                let content_type = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| format!("Kalenderdatei: {e}"))?;
                MultiPart::mixed()
                    .multipart(alternatives)
                    .singlepart(Attachment::new("termin.ics".to_owned()).body(ics.to_owned(), content_type))
            }
        };
        // A Message-ID of our own domain: some mail servers and spam filters reject or mark mail without one.
        // It is the outbox row's, so a message sent again after a crash mid-delivery is the same message.
        let domain = from.email.domain().to_owned();
        let mut message = Message::builder().message_id(Some(format!("<{}@{domain}>", message.id))).from(from).to(to);
        if let Some(reply_to) = reply_to {
            message = message.reply_to(reply_to);
        }
        let message = message.subject(subject.as_str()).multipart(body).map_err(|e| format!("Nachricht: {e}"))?;
        match self {
            Mailer::File(transport) => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Smtp(transport) => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}
