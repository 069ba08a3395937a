//! Turning SMS two-factor authentication off: the password and a current SMS code, both at once.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::session::Session;
use crate::accounts::{Account, changes};
use crate::auth::code_page;
use crate::auth::sms_code::{self, Checked, Purpose};
use crate::domain::phone;
use crate::error::{AppError, AppResult};
use crate::security::client_addr::ClientIp;
use crate::state::AppState;
use crate::web::form::StrictForm;
use crate::web::i18n::fill;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "profile/two_factor_off.html")]
struct OffPage {
    layout: Layout,
    intro: String,
    code_open: bool,
    error: Option<String>,
}

/// A signed-in account with 2FA on; everyone else goes back to the profile.
async fn open(state: &AppState, headers: &HeaderMap) -> AppResult<(Session, Account, String)> {
    let (session, account) = crate::accounts::guards::signed_in(state, headers).await?;
    // Where the edition requires 2FA (and for all staff) it cannot be turned off.
    if account.must_use_second_factor() {
        return Err(AppError::elsewhere(Redirect::to("/profil").into_response()));
    }
    match account.phone.clone().filter(|_| account.two_factor_enabled) {
        Some(number) => Ok((session, account, number.to_string())),
        None => Err(AppError::elsewhere(Redirect::to("/profil"))),
    }
}

async fn render(
    state: &AppState,
    session: &Session,
    account: &Account,
    number: &str,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = account.language.texts();
    let code_open = sms_code::open_code_phone(state, &session.id_hash).await?.is_some();
    let page = OffPage {
        layout: Layout::new(state, account.language, t.disable_title).signed_in("profil", account.is_staff()),
        intro: fill(t.disable_intro, &[("phone", &phone::mask(number))]),
        code_open,
        error,
    };
    page::render(status, &page)
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let (session, account, number) = open(&state, &headers).await?;
    render(&state, &session, &account, &number, None, StatusCode::OK).await
}

/// `POST …/code`: the confirmation code to the number on file.
pub async fn send_code(
    State(state): State<AppState>,
    ClientIp(addr): ClientIp,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (session, account, number) = open(&state, &headers).await?;
    let request = sms_code::Request {
        account_id: &account.id,
        language: account.language,
        purpose: Purpose::Confirm,
        binding: &session.id_hash,
        phone: &number,
        client_addr: &addr.to_string(),
    };
    match sms_code::send(&state, request).await? {
        Ok(()) => Ok(Redirect::to("/profil/zwei-faktor/deaktivieren").into_response()),
        Err(refused) => {
            let (message, _) = code_page::refusal(&refused, account.language, state.clock.now());
            render(&state, &session, &account, &number, Some(message), StatusCode::TOO_MANY_REQUESTS).await
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffForm {
    password: String,
    code: String,
}

/// `POST`: off only with the right password and a current code.
pub async fn disable(
    State(state): State<AppState>,
    headers: HeaderMap,
    StrictForm(form): StrictForm<OffForm>,
) -> AppResult<Response> {
    let (session, account, number) = open(&state, &headers).await?;
    let t = account.language.texts();
    if !super::check_password(&state, &account, form.password).await? {
        return render(
            &state,
            &session,
            &account,
            &number,
            Some(t.current_password_wrong.to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if !code_page::looks_like_code(&form.code) {
        return render(
            &state,
            &session,
            &account,
            &number,
            Some(t.code_format.to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let checked = sms_code::check(&state, &session.id_hash, Purpose::Confirm, &form.code).await?;
    // The code must have gone to the number on file, not to one typed elsewhere.
    if !matches!(&checked, Checked::Valid { phone } if *phone == number) {
        return render(
            &state,
            &session,
            &account,
            &number,
            code_page::rejection(&checked, t).or_else(|| Some(t.code_expired.to_owned())),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    changes::turn_off_two_factor(&state, &account, &session.id_hash).await?;
    Ok(Redirect::to("/profil?geaendert=2fa-aus").into_response())
}
