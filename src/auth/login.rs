//! `/anmelden`, `/abmelden` and the start page `/`.
use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::session::{self, SessionKind};
use super::throttle;
use crate::accounts::store;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::web::cookies;
use crate::web::form::StrictForm;
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Layout};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(start)).route("/anmelden", get(show).post(submit)).route("/abmelden", post(logout))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

fn render(
    state: &AppState,
    lang: Lang,
    username: &str,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = lang.texts();
    page::render(
        status,
        &LoginPage {
            layout: Layout::new(state, lang, t.login_title),
            username: username.to_owned(),
            error,
            notice: None,
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
            username: String::new(),
            error: None,
            notice: (query.as_deref() == Some("abgemeldet")).then_some(t.logged_out),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    StrictForm(form): StrictForm<LoginForm>,
) -> AppResult<Response> {
    let lang = Lang::from_headers(&headers);
    let t = lang.texts();
    let username = form.username.trim().to_owned();
    let now = state.clock.now();
    let user_key = format!("u:{}", username.to_lowercase());
    let addr_key = format!("ip:{}", peer.ip());
    for (key, limits) in [(&addr_key, throttle::PER_ADDRESS), (&user_key, throttle::PER_USERNAME)] {
        if let Err(wait) = throttle::begin_attempt(&state.db, key, limits, now).await? {
            tracing::warn!(wait, "Anmeldung gedrosselt");
            let error = fill(t.login_throttled, &[("seconds", &wait.to_string())]);
            let mut response = render(&state, lang, &username, Some(error), StatusCode::TOO_MANY_REQUESTS)?;
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
    let Some(account) = account.filter(|_| verified) else {
        tracing::info!("Anmeldung fehlgeschlagen");
        return render(&state, lang, &username, Some(t.login_failed.to_owned()), StatusCode::UNAUTHORIZED);
    };
    throttle::forget(&state.db, &user_key).await?;
    throttle::refund(&state.db, &addr_key).await?;
    // A fresh session id at login; whatever session the browser had before ends here.
    if let Some(old) = session::current(&state, &headers).await? {
        session::delete(&state, &old.id_hash).await?;
    }
    let raw = session::create(&state.db.pool, SessionKind::Login, &account.id, None, now).await?;
    tracing::info!(account = %account.id, "Anmeldung erfolgreich");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, &raw));
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(current) = session::current(&state, &headers).await? {
        session::delete(&state, &current.id_hash).await?;
        tracing::info!(account = %current.account_id, "abgemeldet");
    }
    let mut response = Redirect::to("/anmelden?abgemeldet").into_response();
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, cookies::clear(&state.config));
    headers.insert("clear-site-data", HeaderValue::from_static("\"cookies\""));
    Ok(response)
}

#[derive(Template)]
#[template(path = "auth/start.html")]
struct StartPage {
    layout: Layout,
    welcome: String,
    signed_in_as: String,
}

/// The product's start page (a simple one for now); signed-out visitors are sent to sign in.
pub async fn start(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let Some(current) = session::current(&state, &headers).await?.filter(|s| s.kind == SessionKind::Login) else {
        return Ok(Redirect::to("/anmelden").into_response());
    };
    let account = store::find_by_id(&state.db, &current.account_id).await?.ok_or(AppError::NotFound)?;
    let lang = account.language;
    let t = lang.texts();
    page::render(
        StatusCode::OK,
        &StartPage {
            layout: Layout::new(&state, lang, t.start_title),
            welcome: fill(t.start_welcome, &[("name", &account.name)]),
            signed_in_as: fill(t.start_signed_in_as, &[("username", account.username.as_deref().unwrap_or_default())]),
        },
    )
}
