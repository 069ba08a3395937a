//! Getting back in without a password or username: "Passwort vergessen?" (a one-hour reset link by e-mail;
//! with SMS two-factor on, the SMS code as well before the new password is set) and "Benutzername
//! vergessen?" (the username to the address on file). Both answer the same whatever was entered, so they
//! do not tell who has an account.
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::code_page::{self, CodeForm};
use super::recovery_texts::{self as texts, Texts};
use super::sms_code::{self, Checked, Purpose};
use crate::accounts::changes::{self, ResetRequester};
use crate::accounts::resets::{self, Reset};
use crate::accounts::session::{self, Session, SessionKind};
use crate::accounts::{Account, store};
use crate::domain::password_policy::PasswordContext;
use crate::domain::phone;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::client_addr::ClientIp;
use crate::security::link_opening::LinkOpening;
use crate::state::AppState;
use crate::web::cookies;
use crate::web::form::StrictForm;
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Action, Layout};
use crate::web::password_rules::{RuleView, password_rule_views, unmet_password_rules};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/passwort-vergessen", get(show_forgot_password).post(request_reset))
        .route("/passwort-vergessen/{token}", get(open_link))
        .route("/passwort-neu", get(show_new_password).post(set_new_password))
        .route("/passwort-neu/code", get(show_code).post(verify_code))
        .route("/passwort-neu/code/neu", post(resend_code))
        .route("/benutzername-vergessen", get(show_forgot_username).post(send_username))
}

/// Which of the two request forms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Forgotten {
    Password,
    Username,
}

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    layout: Layout,
    rt: &'static Texts,
    intro: &'static str,
    action: &'static str,
    label: &'static str,
    input_type: &'static str,
    autocomplete: &'static str,
    button: &'static str,
    value: String,
    error: Option<String>,
}

fn forgot_page(
    state: &AppState,
    lang: Lang,
    which: Forgotten,
    value: String,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let rt = texts::of(lang);
    let page = match which {
        Forgotten::Password => ForgotPage {
            layout: Layout::new(state, lang, rt.forgot_password_title),
            rt,
            intro: rt.forgot_password_intro,
            action: "/passwort-vergessen",
            label: rt.label_identifier,
            input_type: "text",
            autocomplete: "username",
            button: rt.send_link_button,
            value,
            error,
        },
        Forgotten::Username => ForgotPage {
            layout: Layout::new(state, lang, rt.forgot_username_title),
            rt,
            intro: rt.forgot_username_intro,
            action: "/benutzername-vergessen",
            label: rt.label_email,
            input_type: "email",
            autocomplete: "email",
            button: rt.send_username_button,
            value,
            error,
        },
    };
    page::render(status, &page)
}

async fn show_forgot_password(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    forgot_page(&state, Lang::from_headers(&headers), Forgotten::Password, String::new(), None, StatusCode::OK)
}

async fn show_forgot_username(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    forgot_page(&state, Lang::from_headers(&headers), Forgotten::Username, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifierForm {
    identifier: String,
}

/// The checks both request forms share: something entered, and not too many requests from this address.
/// `Some` is the form again with the message (what was typed stays in the field).
async fn refuse_request(
    state: &AppState,
    lang: Lang,
    which: Forgotten,
    peer: &str,
    value: &str,
) -> AppResult<Option<Response>> {
    let rt = texts::of(lang);
    if value.is_empty() {
        let message = match which {
            Forgotten::Password => rt.identifier_missing,
            Forgotten::Username => rt.email_missing,
        };
        let form =
            forgot_page(state, lang, which, String::new(), Some(message.to_owned()), StatusCode::UNPROCESSABLE_ENTITY);
        return form.map(Some);
    }
    if let Err(wait) = state.recovery_requests.hit(&state.db, peer, state.clock.now()).await {
        let minutes = ((wait + 59) / 60).max(1).to_string();
        let message = fill(rt.too_many_requests, &[("minutes", &minutes)]);
        let page = forgot_page(state, lang, which, value.to_owned(), Some(message), StatusCode::TOO_MANY_REQUESTS);
        let mut response = page?;
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
        return Ok(Some(response));
    }
    Ok(None)
}

/// Accounts someone can sign in to (a username and password exist) and that are not locked.
fn can_sign_in(account: &Account) -> bool {
    account.username.is_some() && !account.locked
}

/// `POST /passwort-vergessen`: the same answer whether or not an account matched.
async fn request_reset(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    StrictForm(form): StrictForm<IdentifierForm>,
) -> AppResult<Response> {
    answer_request(&state, peer, &headers, Forgotten::Password, form.identifier.trim()).await
}

/// `POST /benutzername-vergessen`: the same answer whether or not the address is known.
async fn send_username(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    StrictForm(form): StrictForm<IdentifierForm>,
) -> AppResult<Response> {
    answer_request(&state, peer, &headers, Forgotten::Username, form.identifier.trim()).await
}

/// Both request forms: find the account, send what was asked for if someone can sign in to it, and give
/// the same answer either way.
async fn answer_request(
    state: &AppState,
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    which: Forgotten,
    identifier: &str,
) -> AppResult<Response> {
    let lang = Lang::from_headers(headers);
    let client_addr = peer.to_string();
    if let Some(page) = refuse_request(state, lang, which, &client_addr, identifier).await? {
        return Ok(page);
    }
    let account = match which {
        _ if identifier.contains('@') => store::find(&state.db, identifier).await?,
        Forgotten::Password => store::find_for_login(&state.db, identifier).await?.map(|(account, _)| account),
        Forgotten::Username => None,
    };
    let rt = texts::of(lang);
    let (event, text) = match which {
        Forgotten::Password => (AuditEvent::PasswordResetRequested, rt.reset_sent_text),
        Forgotten::Username => (AuditEvent::UsernameReminder, rt.username_sent_text),
    };
    match account {
        Some(account) if can_sign_in(&account) => {
            let sent = match which {
                Forgotten::Password => {
                    let requester = ResetRequester::Person { client_addr: client_addr.clone() };
                    changes::send_password_reset(state, &account, requester).await?
                }
                Forgotten::Username => changes::send_username_reminder(state, &account, &client_addr).await?,
            };
            tracing::info!(account = %account.id, sent, event = event.as_str(), "Zugangshilfe angefordert");
        }
        found => {
            let outcome = if found.is_some() { "refused" } else { "unknown" };
            let entry =
                Entry::new(event, outcome, Actor::Anonymous, found.as_ref().map(|a| a.id.as_str())).from_addr(peer);
            audit::record(&state.db.pool, entry, state.clock.now()).await?;
        }
    }
    let action = Action { href: "/anmelden".into(), label: rt.back_to_login };
    page::message(state, lang, StatusCode::OK, rt.reset_sent_title, text.to_owned(), rt.reset_sent_next, Some(action))
}

fn link_invalid(state: &AppState, lang: Lang) -> AppResult<Response> {
    let rt = texts::of(lang);
    let action = Action { href: "/passwort-vergessen".into(), label: rt.request_new_link };
    page::message(
        state,
        lang,
        StatusCode::GONE,
        rt.link_invalid_title,
        rt.link_invalid_text.to_owned(),
        rt.link_invalid_next,
        Some(action),
    )
}

/// `GET /passwort-vergessen/{token}`: never uses the link up. A usable one starts a reset session (with 2FA
/// on, one that waits for the SMS code, which goes out now) and moves on to a token-free address.
async fn open_link(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    _: LinkOpening,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let now = state.clock.now();
    let lang = Lang::from_headers(&headers);
    let Some(reset) = resets::find_by_token(&state.db, &state.token_key, &token).await?.filter(|r| r.usable(now))
    else {
        return link_invalid(&state, lang);
    };
    let Some(mut account) = store::find_by_id(&state.db, &reset.account_id).await?.filter(can_sign_in) else {
        return link_invalid(&state, lang);
    };
    account.language = Lang::for_visitor(&headers, account.language);
    // Whatever session this browser had ends here (as at login): no old session stays behind the new cookie.
    let old = session::current(&state, &headers).await?.map(|old| old.id_hash);
    let second_factor = account.two_factor_enabled && account.phone.is_some();
    let kind = if second_factor { SessionKind::ResetSecondFactor } else { SessionKind::PasswordReset };
    let raw = resets::start_session(&state.db, (&reset.id, &account.id), kind, old.as_deref(), now).await?;
    let session_hash = session::id_hash(&raw);
    let next = if let (true, Some(number)) = (second_factor, account.phone.as_deref()) {
        // Refusals (60 s rule, caps) are shown on the code page, which offers a new code when possible.
        let _ = send_code(&state, &account, &session_hash, number, &peer.to_string()).await?;
        "/passwort-neu/code"
    } else {
        "/passwort-neu"
    };
    tracing::info!(account = %account.id, "Link zum Zurücksetzen des Passworts geöffnet");
    let mut response = Redirect::to(next).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, cookies::Jar::Account, &raw));
    Ok(response)
}

fn code_request<'a>(
    account: &'a Account,
    binding: &'a str,
    number: &'a str,
    client_addr: &'a str,
) -> sms_code::Request<'a> {
    sms_code::Request {
        account_id: &account.id,
        language: account.language,
        purpose: Purpose::Reset,
        binding,
        phone: number,
        client_addr,
    }
}

async fn send_code(
    state: &AppState,
    account: &Account,
    binding: &str,
    number: &str,
    client_addr: &str,
) -> AppResult<Result<(), sms_code::Refused>> {
    Ok(sms_code::send(state, code_request(account, binding, number, client_addr)).await?)
}

/// The reset session behind the request's cookie, with its still usable link and account, as a handler
/// argument: `ResetAt<CODE>` (the SMS code is still to come) or `ResetAt<NEW_PASSWORD>` (may set it).
struct ResetAt<const KIND: bool>(Session, Reset, Account);
const CODE: bool = false;
const NEW_PASSWORD: bool = true;

impl<const KIND: bool> FromRequestParts<AppState> for ResetAt<KIND> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let kind = if KIND == NEW_PASSWORD { SessionKind::PasswordReset } else { SessionKind::ResetSecondFactor };
        let (session, reset, account) = open_reset(state, &parts.headers, kind).await?;
        Ok(ResetAt(session, reset, account))
    }
}

/// The reset session of this kind behind the request's cookie, with its still usable link and account.
async fn open_reset(state: &AppState, headers: &HeaderMap, kind: SessionKind) -> AppResult<(Session, Reset, Account)> {
    let lang = Lang::from_headers(headers);
    let session = session::current(state, headers).await?.filter(|s| s.kind == kind);
    let found = match &session {
        Some(session) => resets::find_by_session(&state.db, &session.id_hash).await?,
        None => None,
    };
    let (Some(session), Some(reset)) = (session, found) else {
        let rt = texts::of(lang);
        let action = Action { href: "/passwort-vergessen".into(), label: rt.request_new_link };
        let text = rt.session_gone_text.to_owned();
        let gone = page::message(state, lang, StatusCode::GONE, rt.session_gone_title, text, "", Some(action))?;
        return Err(AppError::elsewhere(gone));
    };
    if !reset.usable(state.clock.now()) {
        return Err(AppError::elsewhere(link_invalid(state, lang)?));
    }
    let mut account =
        store::find_by_id(&state.db, &reset.account_id).await?.filter(can_sign_in).ok_or(AppError::NotFound)?;
    // The pages (and the notice mail after the reset) follow the visitor's chosen language.
    account.language = Lang::for_visitor(headers, account.language);
    Ok((session, reset, account))
}

async fn code_form(
    state: &AppState,
    (session, account): (&Session, &Account),
    peer: &str,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let rt = texts::of(account.language);
    let open = sms_code::open_code_phone(state, &session.id_hash).await?;
    let not_sent = match account.phone.as_deref() {
        Some(number) => {
            code_page::not_sent_notice(state, open.is_some(), &code_request(account, &session.id_hash, number, peer))
                .await?
        }
        None => None,
    };
    code_page::render(
        CodeForm {
            layout: Layout::new(state, account.language, rt.reset_code_title),
            sent_to: open.map(|p| phone::mask(&p)),
            not_sent,
            error,
            action: "/passwort-neu/code".into(),
            resend_action: "/passwort-neu/code/neu".into(),
            back_action: None,
            wait: sms_code::seconds_until_resend(state, &account.id, Purpose::Reset).await?,
        },
        status,
    )
}

async fn show_code(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    ResetAt(session, _, account): ResetAt<CODE>,
) -> AppResult<Response> {
    code_form(&state, (&session, &account), &peer.to_string(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeInput {
    code: String,
}

/// The SMS code of this reset: then a fresh session that may set the password.
async fn verify_code(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    ResetAt(session, reset, account): ResetAt<CODE>,
    StrictForm(form): StrictForm<CodeInput>,
) -> AppResult<Response> {
    let t = account.language.texts();
    if !code_page::looks_like_code(&form.code) {
        return code_form(
            &state,
            (&session, &account),
            &peer.to_string(),
            Some(t.code_format.to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let checked = sms_code::check(&state, &session.id_hash, Purpose::Reset, &form.code).await?;
    let now = state.clock.now();
    let valid = matches!(checked, Checked::Valid { .. });
    let entry = Entry::new(
        AuditEvent::LoginSecondFactor,
        if valid { "success" } else { "failure" },
        Actor::Account(account.id.clone()),
        Some(&account.id),
    )
    .from_addr(peer)
    .detail("password reset");
    audit::record(&state.db.pool, entry, now).await?;
    if !valid {
        return code_form(
            &state,
            (&session, &account),
            &peer.to_string(),
            code_page::rejection(&checked, t),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (reset_id, replaced) = (&reset.id, Some(session.id_hash.as_str()));
    let raw =
        resets::start_session(&state.db, (reset_id, &account.id), SessionKind::PasswordReset, replaced, now).await?;
    let mut response = Redirect::to("/passwort-neu").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, cookies::Jar::Account, &raw));
    Ok(response)
}

async fn resend_code(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    ResetAt(session, _, account): ResetAt<CODE>,
) -> AppResult<Response> {
    let Some(number) = account.phone.clone() else { return Ok(Redirect::to("/passwort-neu").into_response()) };
    match send_code(&state, &account, &session.id_hash, &number, &peer.to_string()).await? {
        Ok(()) => Ok(Redirect::to("/passwort-neu/code").into_response()),
        Err(refused) => {
            let (message, _) = code_page::refusal(&refused, account.language, state.clock.now());
            code_form(&state, (&session, &account), &peer.to_string(), Some(message), StatusCode::TOO_MANY_REQUESTS)
                .await
        }
    }
}

#[derive(Template)]
#[template(path = "auth/new_password.html")]
struct NewPasswordPage {
    layout: Layout,
    rt: &'static Texts,
    intro: String,
    username: String,
    errors: Vec<String>,
    password_rules: Vec<RuleView>,
    context_words: String,
}

fn new_password_form(
    state: &AppState,
    account: &Account,
    errors: Vec<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let rt = texts::of(account.language);
    let username = account.username.as_deref().unwrap_or_default().to_owned();
    page::render(
        status,
        &NewPasswordPage {
            layout: Layout::new(state, account.language, rt.new_password_title),
            rt,
            intro: fill(rt.new_password_intro, &[("name", &account.name), ("username", &username)]),
            errors,
            password_rules: password_rule_views(&state.config.password_policy, account.language.texts()),
            context_words: PasswordContext::new(&account.name, &account.email).words_for_page(),
            username,
        },
    )
}

async fn show_new_password(
    State(state): State<AppState>,
    ResetAt(_, _, account): ResetAt<NEW_PASSWORD>,
) -> AppResult<Response> {
    new_password_form(&state, &account, Vec::new(), StatusCode::OK)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPasswordForm {
    password: String,
    password_repeat: String,
}

/// `POST /passwort-neu`: the same rules as at registration; then every session of the account ends and the
/// person signs in with the new password.
async fn set_new_password(
    State(state): State<AppState>,
    ResetAt(_, reset, account): ResetAt<NEW_PASSWORD>,
    StrictForm(form): StrictForm<NewPasswordForm>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let username = account.username.as_deref().unwrap_or_default().to_owned();
    let context = PasswordContext::new(&account.name, &account.email).with_username(&username);
    let errors =
        unmet_password_rules(&state.config.password_policy, &form.password, &form.password_repeat, &context, t);
    if !errors.is_empty() {
        return new_password_form(&state, &account, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = state.hasher.hash(form.password).await?;
    if !changes::reset_password(&state, &account, &reset.id, &hash).await? {
        return link_invalid(&state, account.language);
    }
    tracing::info!(account = %account.id, "Passwort über den Link aus der E-Mail neu festgelegt");
    let rt = texts::of(account.language);
    let action = Action { href: "/anmelden".into(), label: t.to_login };
    let mut response = page::message(
        &state,
        account.language,
        StatusCode::OK,
        rt.reset_done_title,
        rt.reset_done_text.to_owned(),
        rt.reset_done_next,
        Some(action),
    )?;
    response.headers_mut().insert(header::SET_COOKIE, cookies::clear(&state.config, cookies::Jar::Account));
    Ok(response)
}
