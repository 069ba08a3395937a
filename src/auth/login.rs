//! `/anmelden` (with its SMS code) and `/abmelden`.
use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::code_page::{self, CodeForm};
use super::sms_code::{self, Checked, Purpose, Refused};
use crate::accounts::session::{self, Session, SessionKind};
use crate::accounts::throttle;
use crate::accounts::{Account, store};
use crate::domain::phone;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::client_addr::ClientIp;
use crate::state::AppState;
use crate::web::cookies;
use crate::web::form::StrictForm;
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Layout};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/anmelden", get(show).post(submit))
        .route("/anmelden/code", get(show_code).post(verify_code))
        .route("/anmelden/code/neu", post(resend_code))
        .route("/abmelden", post(logout))
}

/// Where a person goes after signing in when they came for a particular page: the `weiter` value (a path
/// without its leading slash, as the login page carries it) if it is a plain local path, never another site.
pub fn destination(weiter: &str) -> Option<String> {
    let plain = weiter.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.?=&".contains(c));
    let local =
        !weiter.is_empty() && !weiter.starts_with(['/', '.']) && !weiter.contains("//") && !weiter.contains("..");
    (plain && local && !weiter.starts_with("anmelden")).then(|| format!("/{weiter}"))
}

/// The `weiter` value of a query string (`weiter=kontakte`), if any.
fn weiter_of(query: Option<&str>) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    pairs.into_iter().find(|(key, _)| key == "weiter").map(|(_, value)| value).unwrap_or_default()
}

/// A page that needs a signed-in person sent a signed-out visitor to `/anmelden`: the page they asked for
/// comes along (`/anmelden?weiter=kontakte`), so signing in leads back to it.
pub async fn remember_destination(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let asked = (request.method() == axum::http::Method::GET)
        .then(|| request.uri().path_and_query().map(|p| p.as_str().trim_start_matches('/').to_owned()))
        .flatten();
    let mut response = next.run(request).await;
    let to_login = response.status() == StatusCode::SEE_OTHER
        && response.headers().get(header::LOCATION).is_some_and(|l| l == "/anmelden");
    if let Some(path) = asked.filter(|_| to_login).filter(|p| destination(p).is_some()) {
        let encoded: String = serde_urlencoded::to_string([("weiter", path.as_str())]).unwrap_or_default();
        if let Ok(location) = HeaderValue::from_str(&format!("/anmelden?{encoded}")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    weiter: String,
    username: String,
    error: Option<String>,
    notice: Option<&'static str>,
    rt: &'static super::recovery_texts::Texts,
}

fn render(
    state: &AppState,
    lang: Lang,
    (username, weiter): (&str, &str),
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = lang.texts();
    page::render(
        status,
        &LoginPage {
            layout: Layout::new(state, lang, t.login_title),
            weiter: weiter.to_owned(),
            username: username.to_owned(),
            error,
            notice: None,
            rt: super::recovery_texts::of(lang),
        },
    )
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> AppResult<Response> {
    let lang = Lang::from_headers(&headers);
    if session::current(&state, &headers).await?.is_some_and(|s| s.kind == SessionKind::Login) {
        return Ok(Redirect::to("/").into_response());
    }
    let t = lang.texts();
    page::render(
        StatusCode::OK,
        &LoginPage {
            layout: Layout::new(&state, lang, t.login_title),
            weiter: weiter_of(query.as_deref()).to_owned(),
            username: String::new(),
            error: None,
            notice: (query.as_deref() == Some("abgemeldet")).then_some(t.logged_out),
            rt: super::recovery_texts::of(lang),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    weiter: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    StrictForm(form): StrictForm<LoginForm>,
) -> AppResult<Response> {
    let lang = Lang::from_headers(&headers);
    let t = lang.texts();
    let username = form.username.trim().to_owned();
    let user_key = format!("u:{}", username.to_lowercase());
    let addr_key = format!("ip:{}", peer);
    let keys = [(user_key.as_str(), throttle::PER_USERNAME), (addr_key.as_str(), throttle::PER_ADDRESS)];
    // One attempt per username at a time, a few per address: each sees the outcomes of those before it.
    // Always in this order (username, then address), so no two requests wait for each other.
    let _turn = state.login_gate.enter(&user_key).await;
    let _address_turn = state.address_gate.enter(&addr_key).await;
    let now = state.clock.now();
    for (key, limits) in keys {
        if let Some(wait) = throttle::wait_time(&state.db, key, limits, now).await? {
            tracing::warn!(wait, "Anmeldung gedrosselt");
            let entry = Entry::new(AuditEvent::LoginPassword, "throttled", Actor::Anonymous, None).from_addr(peer);
            audit::record(&state.db.pool, entry, now).await?;
            let error = fill(t.login_throttled, &[("seconds", &wait.to_string())]);
            let mut response =
                render(&state, lang, (&username, &form.weiter), Some(error), StatusCode::TOO_MANY_REQUESTS)?;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
            return Ok(response);
        }
    }
    let found = store::find_for_login(&state.db, &username).await?;
    let (account, hash) = match found {
        Some((account, hash)) => (Some(account), Some(hash)),
        None => (None, None),
    };
    // Unknown usernames are checked against a dummy hash: same answer, same time.
    let verified = state.hasher.verify(form.password, hash).await?;
    throttle::record_outcome(&state.db, &keys, verified && account.is_some(), now).await?;
    let known = account.as_ref().map(|a| a.id.clone());
    let Some(account) = account.filter(|_| verified) else {
        tracing::info!("Anmeldung fehlgeschlagen");
        let entry =
            Entry::new(AuditEvent::LoginPassword, "failure", Actor::Anonymous, known.as_deref()).from_addr(peer);
        audit::record(&state.db.pool, entry, now).await?;
        return render(
            &state,
            lang,
            (&username, &form.weiter),
            Some(t.login_failed.to_owned()),
            StatusCode::UNAUTHORIZED,
        );
    };
    // A language chosen with the switch before signing in becomes the account's (pages, mails, SMS).
    let mut account = account;
    if let Some(chosen) = Lang::chosen(&headers).filter(|chosen| *chosen != account.language) {
        store::set_language(&state.db, &account.id, chosen).await?;
        account.language = chosen;
    }
    if account.locked {
        let entry =
            Entry::new(AuditEvent::LoginPassword, "locked", Actor::Account(account.id.clone()), Some(&account.id))
                .from_addr(peer);
        audit::record(&state.db.pool, entry, now).await?;
        return render(
            &state,
            lang,
            (&username, &form.weiter),
            Some(t.account_locked.to_owned()),
            StatusCode::FORBIDDEN,
        );
    }
    let entry = Entry::new(AuditEvent::LoginPassword, "success", Actor::Account(account.id.clone()), Some(&account.id))
        .from_addr(peer);
    audit::record(&state.db.pool, entry, now).await?;
    // A fresh session id at login; whatever session the browser had before ends here.
    if let Some(old) = session::current(&state, &headers).await? {
        session::delete(&state.db.pool, &old.id_hash).await?;
        session::announce_ended(&state, &old.account_id).await;
    }
    if let (true, Some(phone)) = (account.two_factor_enabled, account.phone.as_deref()) {
        // The password was right; this login attempt now needs the SMS code sent to it.
        let raw = session::create(&state.db.pool, SessionKind::SecondFactor, &account.id, None, now).await?;
        // If a cap or the 60 s rule refuses a code now, the code page says so and offers a new one later.
        if let Err(refused) = send_login_code(&state, &account, &session::id_hash(&raw), phone, peer).await? {
            tracing::warn!(account = %account.id, ?refused, "kein SMS-Code für diese Anmeldung");
        }
        tracing::info!(account = %account.id, "Passwort richtig, SMS-Code angefordert");
        let code_page = Attempt { peer, weiter: form.weiter.clone() }.carry("/anmelden/code");
        let mut response = Redirect::to(&code_page).into_response();
        response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, cookies::Jar::Account, &raw));
        return Ok(response);
    }
    let raw = session::create(&state.db.pool, SessionKind::Login, &account.id, None, now).await?;
    store::record_login(&state.db, &account.id, now).await?;
    tracing::info!(account = %account.id, "Anmeldung erfolgreich");
    let mut response = Redirect::to(&after_login(&account, &form.weiter)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, cookies::Jar::Account, &raw));
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(current) = session::current(&state, &headers).await? {
        session::delete(&state.db.pool, &current.id_hash).await?;
        session::announce_ended(&state, &current.account_id).await;
        tracing::info!(account = %current.account_id, "abgemeldet");
        let entry = Entry::new(
            AuditEvent::Logout,
            "success",
            Actor::Account(current.account_id.clone()),
            Some(&current.account_id),
        );
        audit::record(&state.db.pool, entry, state.clock.now()).await?;
    }
    let mut response = Redirect::to("/anmelden?abgemeldet").into_response();
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, cookies::clear(&state.config, cookies::Jar::Account));
    headers.insert("clear-site-data", HeaderValue::from_static("\"cookies\""));
    Ok(response)
}

/// The page asked for before signing in, once nothing is left to set up; otherwise the account's home.
fn after_login(account: &Account, weiter: &str) -> String {
    match destination(weiter) {
        Some(path) if account.home_path() == "/" => path,
        _ => account.home_path().to_owned(),
    }
}

fn login_code_request<'a>(
    account: &'a Account,
    binding: &'a str,
    phone: &'a str,
    client_addr: &'a str,
) -> sms_code::Request<'a> {
    sms_code::Request {
        account_id: &account.id,
        language: account.language,
        purpose: Purpose::Login,
        binding,
        phone,
        client_addr,
    }
}

async fn send_login_code(
    state: &AppState,
    account: &Account,
    binding: &str,
    phone: &str,
    peer: IpAddr,
) -> AppResult<Result<(), Refused>> {
    let client_addr = peer.to_string();
    Ok(sms_code::send(state, login_code_request(account, binding, phone, &client_addr)).await?)
}

/// The login attempt waiting for its SMS code, or where to go instead.
async fn pending(state: &AppState, headers: &HeaderMap) -> AppResult<(Session, Account)> {
    let Some(session) = session::current(state, headers).await?.filter(|s| s.kind == SessionKind::SecondFactor) else {
        return Err(AppError::elsewhere(Redirect::to("/anmelden").into_response()));
    };
    let account = store::find_by_id(&state.db, &session.account_id).await?.ok_or(AppError::NotFound)?;
    Ok((session, account))
}

crate::accounts::session::guard_extractor! {
    /// A login attempt whose password was right and whose SMS code is still to come, as a handler argument.
    PendingSecondFactor = pending
}

/// Who is entering a login code: their address, and the page they asked for before signing in (`weiter`).
struct Attempt {
    peer: IpAddr,
    weiter: String,
}

impl Attempt {
    fn new(peer: IpAddr, query: Option<&str>) -> Self {
        Attempt { peer, weiter: weiter_of(query) }
    }

    /// `path`, with the page asked for carried along.
    fn carry(&self, path: &str) -> String {
        match destination(&self.weiter) {
            Some(_) => {
                format!("{path}?{}", serde_urlencoded::to_string([("weiter", &self.weiter)]).unwrap_or_default())
            }
            None => path.to_owned(),
        }
    }
}

async fn code_form(
    state: &AppState,
    (session, account): (&Session, &Account),
    attempt: &Attempt,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = account.language.texts();
    let open = sms_code::open_code_phone(state, &session.id_hash).await?;
    let not_sent = match account.phone.as_deref() {
        Some(number) => {
            let client_addr = attempt.peer.to_string();
            let request = login_code_request(account, &session.id_hash, number, &client_addr);
            code_page::not_sent_notice(state, open.is_some(), &request).await?
        }
        None => None,
    };
    code_page::render(
        CodeForm {
            layout: Layout::new(state, account.language, t.login_code_title),
            sent_to: open.map(|p| phone::mask(&p)),
            error,
            action: attempt.carry("/anmelden/code"),
            resend_action: attempt.carry("/anmelden/code/neu"),
            back_action: None,
            wait: sms_code::seconds_until_resend(state, &account.id, Purpose::Login).await?,
            not_sent,
        },
        status,
    )
}

pub async fn show_code(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    RawQuery(query): RawQuery,
    PendingSecondFactor(session, account): PendingSecondFactor,
) -> AppResult<Response> {
    code_form(&state, (&session, &account), &Attempt::new(peer, query.as_deref()), None, StatusCode::OK).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    code: String,
}

/// The second factor: a code from *this* login attempt; then a fresh session id.
pub async fn verify_code(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    RawQuery(query): RawQuery,
    PendingSecondFactor(session, account): PendingSecondFactor,
    StrictForm(form): StrictForm<CodeInput>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let attempt = Attempt::new(peer, query.as_deref());
    if !code_page::looks_like_code(&form.code) {
        let error = Some(t.code_format.to_owned());
        return code_form(&state, (&session, &account), &attempt, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let checked = sms_code::check(&state, &session.id_hash, Purpose::Login, &form.code).await?;
    let now = state.clock.now();
    let outcome = if matches!(checked, Checked::Valid { .. }) { "success" } else { "failure" };
    let entry =
        Entry::new(AuditEvent::LoginSecondFactor, outcome, Actor::Account(account.id.clone()), Some(&account.id));
    audit::record(&state.db.pool, entry, now).await?;
    if let Checked::Valid { .. } = checked {
        session::delete(&state.db.pool, &session.id_hash).await?;
        let raw = session::create(&state.db.pool, SessionKind::Login, &account.id, None, now).await?;
        store::record_login(&state.db, &account.id, now).await?;
        tracing::info!(account = %account.id, "Anmeldung mit SMS-Code erfolgreich");
        let mut response = Redirect::to(&after_login(&account, &attempt.weiter)).into_response();
        response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, cookies::Jar::Account, &raw));
        return Ok(response);
    }
    tracing::info!(account = %account.id, "SMS-Code bei der Anmeldung nicht angenommen");
    let error = code_page::rejection(&checked, t);
    code_form(&state, (&session, &account), &attempt, error, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn resend_code(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    RawQuery(query): RawQuery,
    PendingSecondFactor(session, account): PendingSecondFactor,
) -> AppResult<Response> {
    let Some(phone) = account.phone.clone() else { return Ok(Redirect::to("/anmelden").into_response()) };
    let attempt = Attempt::new(peer, query.as_deref());
    match send_login_code(&state, &account, &session.id_hash, &phone, peer).await? {
        Ok(()) => Ok(Redirect::to(&attempt.carry("/anmelden/code")).into_response()),
        Err(refused) => {
            let (message, _) = code_page::refusal(&refused, account.language, state.clock.now());
            code_form(&state, (&session, &account), &attempt, Some(message), StatusCode::TOO_MANY_REQUESTS).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_local_paths_are_destinations() {
        assert_eq!(destination("kontakte").as_deref(), Some("/kontakte"));
        assert_eq!(destination("termine/abc-123?x=1").as_deref(), Some("/termine/abc-123?x=1"));
        for refused in
            ["", "/evil.example", "//evil.example", "https://evil.example", "a/../b", "anmelden", "\\\\x", "a b", ".."]
        {
            assert_eq!(destination(refused), None, "{refused}");
        }
    }
}
