//! Step "2-Faktor-Authentifizierung (optional)": mobile number → SMS code → 2FA on; "Später aktivieren"
//! skips it where the edition allows; "Zurück" returns to the number (the code sent to it stops working).
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::steps;
use super::wizard::Step;
use crate::accounts::{Account, store};
use crate::app::AppState;
use crate::auth::code_page::{self, CodeForm};
use crate::auth::phone::{self, PhoneProblem};
use crate::auth::session::Session;
use crate::auth::sms_code::{self, Checked, Purpose, Refused};
use crate::error::AppResult;
use crate::security::audit::{self, Actor, Entry};
use crate::web::form::StrictForm;
use crate::web::page::{self, Layout};

const PATH: &str = "/registrierung/zwei-faktor";

#[derive(Template)]
#[template(path = "onboarding/two_factor_number.html")]
struct NumberPage {
    layout: Layout,
    phone: String,
    error: Option<String>,
    required: bool,
}

macro_rules! open_or_return {
    ($state:expr, $headers:expr) => {
        match steps::current_step($state, $headers, Step::TwoFactor).await? {
            Ok(found) => found,
            Err(elsewhere) => return Ok(elsewhere),
        }
    };
}

fn number_page(
    state: &AppState,
    account: &Account,
    phone: String,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = account.language.texts();
    page::render(
        status,
        &NumberPage {
            layout: Layout::step(state, account, Step::TwoFactor, t.two_factor_title),
            phone,
            error,
            required: account.two_factor_required,
        },
    )
}

async fn code_page(
    state: &AppState,
    session: &Session,
    account: &Account,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = account.language.texts();
    let sent_to = sms_code::open_code_phone(state, &session.id_hash).await?.map(|p| phone::mask(&p));
    let wait = sms_code::seconds_until_resend(state, &account.id, Purpose::Setup).await?;
    code_page::render(
        CodeForm {
            layout: Layout::step(state, account, Step::TwoFactor, t.code_title),
            sent_to,
            error,
            action: "/registrierung/zwei-faktor/code",
            resend_action: "/registrierung/zwei-faktor/neuer-code",
            back_action: Some("/registrierung/zwei-faktor/zurueck"),
            wait,
        },
        status,
    )
}

/// `GET`: the code form while a code is open, otherwise the number form.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let (session, account) = open_or_return!(&state, &headers);
    if sms_code::open_code_phone(&state, &session.id_hash).await?.is_some() {
        return code_page(&state, &session, &account, None, StatusCode::OK).await;
    }
    let phone = sms_code::last_phone(&state, &session.id_hash).await?.unwrap_or_default();
    number_page(&state, &account, phone, None, StatusCode::OK)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneForm {
    phone: String,
}

async fn send(
    state: &AppState,
    session: &Session,
    account: &Account,
    phone: &str,
    addr: SocketAddr,
) -> AppResult<Result<(), Refused>> {
    let request = sms_code::Request {
        account_id: &account.id,
        language: account.language,
        purpose: Purpose::Setup,
        binding: &session.id_hash,
        phone,
        client_addr: &addr.ip().to_string(),
    };
    Ok(sms_code::send(state, request).await?)
}

/// `POST`: "Code senden".
pub async fn send_code(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    StrictForm(form): StrictForm<PhoneForm>,
) -> AppResult<Response> {
    let (session, account) = open_or_return!(&state, &headers);
    let t = account.language.texts();
    let number = match phone::parse_mobile(&form.phone) {
        Ok(number) => number,
        Err(problem) => {
            let message = match problem {
                PhoneProblem::Invalid => t.phone_invalid,
                PhoneProblem::Landline => t.phone_landline,
            };
            return number_page(
                &state,
                &account,
                form.phone,
                Some(message.to_owned()),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match send(&state, &session, &account, &number, addr).await? {
        Ok(()) => Ok(Redirect::to(PATH).into_response()),
        Err(refused) => {
            let (message, retry) = code_page::refusal(&refused, t);
            let mut response = number_page(&state, &account, form.phone, Some(message), StatusCode::TOO_MANY_REQUESTS)?;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry));
            Ok(response)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    code: String,
}

/// `POST …/code`: the code from the SMS.
pub async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    StrictForm(form): StrictForm<CodeInput>,
) -> AppResult<Response> {
    let (session, account) = open_or_return!(&state, &headers);
    let t = account.language.texts();
    if !code_page::looks_like_code(&form.code) {
        return code_page(&state, &session, &account, Some(t.code_format.to_owned()), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let checked = sms_code::check(&state, &session.id_hash, &form.code).await?;
    if let Checked::Valid { phone } = &checked {
        store::enable_two_factor(&state.db, &account.id, phone).await?;
        tracing::info!(account = %account.id, "2-Faktor-Authentifizierung aktiviert");
        let entry = Entry::new("two_factor.enabled", "success", Actor::Account(account.id.clone()), Some(&account.id))
            .detail(phone::mask(phone));
        audit::record(&state.db.pool, entry, state.clock.now()).await?;
        return steps::advance(&state, &account, Step::TwoFactor).await;
    }
    code_page(&state, &session, &account, code_page::rejection(&checked, t), StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST …/neuer-code`: a new code to the same number, at the earliest 60 s after the last.
pub async fn resend(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (session, account) = open_or_return!(&state, &headers);
    let Some(number) = sms_code::last_phone(&state, &session.id_hash).await? else {
        return Ok(Redirect::to(PATH).into_response());
    };
    match send(&state, &session, &account, &number, addr).await? {
        Ok(()) => Ok(Redirect::to(PATH).into_response()),
        Err(refused) => {
            let (message, _) = code_page::refusal(&refused, account.language.texts());
            code_page(&state, &session, &account, Some(message), StatusCode::TOO_MANY_REQUESTS).await
        }
    }
}

/// `POST …/zurueck`: back to the number; the code sent to it stops working.
pub async fn back(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let (session, _) = open_or_return!(&state, &headers);
    sms_code::void_open(&state, &session.id_hash).await?;
    Ok(Redirect::to(PATH).into_response())
}

/// `POST …/spaeter`: "Später aktivieren", unless the edition requires two-factor authentication.
pub async fn later(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let (session, account) = open_or_return!(&state, &headers);
    if account.two_factor_required {
        return Ok(Redirect::to(PATH).into_response());
    }
    sms_code::void_open(&state, &session.id_hash).await?;
    steps::advance(&state, &account, Step::TwoFactor).await
}
