//! The page on which an SMS code is entered, shared by the wizard's two-factor step and the login.
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::sms_code::{Checked, Refused};
use crate::clock::Timestamp;
use crate::error::AppResult;
use crate::web::format;
use crate::web::i18n::{Lang, Texts, fill};
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
    not_sent: Option<String>,
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
    /// Said when no code of this session is open because a rule refused to send one.
    pub not_sent: Option<String>,
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
            not_sent: form.not_sent,
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

/// "Es wurde keine SMS gesendet" and why, when the session has no open code and a rule refuses a new one
/// now (a cap, or the 60 s rule): the page must never wait silently for an SMS that is not coming.
pub async fn not_sent_notice(
    state: &crate::state::AppState,
    open_code: bool,
    request: &super::sms_code::Request<'_>,
) -> Result<Option<String>, sqlx::Error> {
    if open_code {
        return Ok(None);
    }
    let Some(refused) = super::sms_code::why_not(state, request).await? else { return Ok(None) };
    let (why, _) = refusal(&refused, request.language, state.clock.now());
    Ok(Some(format!("{} {why}", request.language.texts().sms_not_sent)))
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
        Checked::Wrong { attempts_left: 1 } => Some(t.code_wrong_one.to_owned()),
        Checked::Wrong { attempts_left } => Some(fill(t.code_wrong, &[("left", &attempts_left.to_string())])),
        Checked::Expired => Some(t.code_expired.to_owned()),
        Checked::NotSent => Some(t.code_not_sent.to_owned()),
    }
}

/// What to tell a person whose new code was refused, and how many seconds until asking again makes sense.
pub fn refusal(refused: &Refused, lang: Lang, now: Timestamp) -> (String, i64) {
    let t = lang.texts();
    match refused {
        Refused::Wait(seconds) => (fill(t.new_code_wait, &[("seconds", &seconds.to_string())]), *seconds),
        Refused::Capped { until } => {
            (fill(t.sms_cap, &[("time", &format::moment(*until, now, lang))]), (until - now).max(1))
        }
    }
}
