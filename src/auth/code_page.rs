//! The page on which an SMS code is entered, shared by the wizard's two-factor step and the login.
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::sms_code::{Checked, Refused};
use crate::error::AppResult;
use crate::web::i18n::{Texts, fill};
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "auth/code.html")]
struct CodePage {
    layout: Layout,
    sent_to: Option<String>,
    error: Option<String>,
    action: String,
    resend_action: String,
    back_action: Option<String>,
    wait: i64,
    wait_before: String,
    wait_after: String,
}

pub struct CodeForm {
    pub layout: Layout,
    /// Where the open code went (masked), if there is one.
    pub sent_to: Option<String>,
    pub error: Option<String>,
    pub action: String,
    pub resend_action: String,
    pub back_action: Option<String>,
    /// Seconds until "Neuen Code anfordern" works; the page counts down.
    pub wait: i64,
}

pub fn render(form: CodeForm, status: StatusCode) -> AppResult<Response> {
    let t = form.layout.t;
    let (wait_before, wait_after) = t.new_code_wait.split_once("{seconds}").unwrap_or((t.new_code_wait, ""));
    let sent_to = form.sent_to.map(|phone| fill(t.code_sent, &[("phone", &phone)]));
    let wait = form.wait;
    let mut response = page::render(
        status,
        &CodePage {
            layout: form.layout,
            sent_to,
            error: form.error,
            action: form.action,
            resend_action: form.resend_action,
            back_action: form.back_action,
            wait,
            wait_before: wait_before.to_owned(),
            wait_after: wait_after.to_owned(),
        },
    )?;
    if status == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
    }
    Ok(response)
}

/// Codes are 8 digits; anything else is a typing error, not a wrong guess.
pub fn looks_like_code(code: &str) -> bool {
    let code = code.trim();
    code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit())
}

/// What to tell a person whose code did not work (`None` when it did).
pub fn rejection(checked: &Checked, t: &Texts) -> Option<String> {
    match checked {
        Checked::Valid { .. } => None,
        Checked::Wrong { attempts_left } => Some(fill(t.code_wrong, &[("left", &attempts_left.to_string())])),
        Checked::Expired => Some(t.code_expired.to_owned()),
    }
}

/// What to tell a person whose new code was refused, and how many seconds until asking again makes sense.
pub fn refusal(refused: &Refused, t: &Texts) -> (String, i64) {
    match refused {
        Refused::Wait(seconds) => (fill(t.new_code_wait, &[("seconds", &seconds.to_string())]), *seconds),
        Refused::Capped => (t.sms_cap.to_owned(), 3600),
    }
}
