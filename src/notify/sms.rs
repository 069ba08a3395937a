//! SMS transports: files (development), a generic JSON webhook, and a Twilio-compatible Messages API.
//! Any answer but 2xx, and any timeout, is an error; the outbox retries with backoff.
use std::time::Duration;

use crate::config::{Config, SmsTransport};

pub enum SmsSender {
    File { dir: std::path::PathBuf },
    Http { client: reqwest::Client, url: String, token: Option<String> },
    Twilio { client: reqwest::Client, url: String, account_sid: String, auth_token: String, from: String },
}

fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .build()
        .map_err(|e| e.to_string())
}

impl SmsSender {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        Ok(match &config.sms {
            SmsTransport::File { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                SmsSender::File { dir: dir.clone() }
            }
            SmsTransport::Http { url, token } => SmsSender::Http {
                client: client(config.sms_timeout)?,
                url: url.clone(),
                token: token.as_ref().map(|t| t.expose().to_owned()),
            },
            SmsTransport::Twilio { base_url, account_sid, auth_token, from } => SmsSender::Twilio {
                client: client(config.sms_timeout)?,
                url: format!("{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"),
                account_sid: account_sid.clone(),
                auth_token: auth_token.expose().to_owned(),
                from: from.clone(),
            },
        })
    }

    pub fn is_file(&self) -> bool {
        matches!(self, SmsSender::File { .. })
    }

    pub async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let request = match self {
            SmsSender::File { dir } => {
                // Nanoseconds first, so that the files sort in the order they were written.
                let nanos =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
                let name = format!("{nanos:020}-{}.json", crate::security::token::new_id());
                let body = serde_json::json!({ "to": to, "text": text }).to_string();
                return tokio::fs::write(dir.join(name), body).await.map_err(|e| e.to_string());
            }
            SmsSender::Http { client, url, token } => {
                let request = client.post(url).json(&serde_json::json!({ "to": to, "text": text }));
                match token {
                    Some(token) => request.bearer_auth(token),
                    None => request,
                }
            }
            SmsSender::Twilio { client, url, account_sid, auth_token, from } => client
                .post(url)
                .basic_auth(account_sid, Some(auth_token))
                .form(&[("To", to), ("From", from.as_str()), ("Body", text)]),
        };
        let response = request.send().await.map_err(|e| format!("SMS-Gateway nicht erreichbar: {e}"))?;
        let status = response.status();
        if status.is_success() { Ok(()) } else { Err(format!("SMS-Gateway antwortete {status}")) }
    }
}
