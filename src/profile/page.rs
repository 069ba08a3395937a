//! The overview page: every setting with its current value and the way to change it.
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::accounts::guards::SignedIn;
use crate::accounts::session;
use crate::accounts::store::PracticeDetails;
use crate::domain::password_policy::PasswordContext;
use crate::domain::phone;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::format;
use crate::web::i18n::fill;
use crate::web::page::{self, Layout};
use crate::web::password_rules::{RuleView, password_rule_views};

pub struct SessionView {
    pub current: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "profile/index.html")]
pub struct ProfilePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub username: String,
    pub name: String,
    pub email: String,
    pub practice: PracticeDetails,
    pub context_words: String,
    pub password_rules: Vec<RuleView>,
    pub two_factor: bool,
    pub two_factor_status: String,
    pub phone: Option<String>,
    pub visible: bool,
    pub english: bool,
    pub sessions: Vec<SessionView>,
}

/// `GET /profil[?geaendert=…]`
pub async fn show(
    State(state): State<AppState>,
    SignedIn(current, account): SignedIn,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let t = account.language.texts();
    let notice = match query.as_deref().and_then(|q| q.strip_prefix("geaendert=")) {
        Some("passwort") => Some(t.changed_password),
        Some("2fa-an") => Some(t.changed_two_factor_on),
        Some("2fa-aus") => Some(t.changed_two_factor_off),
        Some("nummer") => Some(t.changed_phone),
        Some("sichtbarkeit") => Some(t.changed_visibility),
        Some("praxis") => Some(t.changed_practice),
        Some("pin") => Some(t.changed_pin),
        Some("sprache") => Some(t.changed_language),
        Some("sitzungen") => Some(t.changed_sessions),
        _ => None,
    };
    render(&state, &current.id_hash, &account, (notice, Vec::new()), StatusCode::OK, None).await
}

/// The profile page; `kept` are refused practice details, shown again as typed.
pub async fn render(
    state: &AppState,
    current_session: &str,
    account: &crate::accounts::Account,
    (notice, errors): (Option<&'static str>, Vec<String>),
    status: StatusCode,
    kept: Option<PracticeDetails>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let practice = match kept {
        Some(kept) => kept,
        None => crate::accounts::store::practice(&state.db, &account.id).await?,
    };
    let masked = account.phone.as_deref().map(phone::mask);
    let two_factor_status = match (&masked, account.two_factor_enabled) {
        (Some(phone), true) => fill(t.two_factor_status_on, &[("phone", phone)]),
        _ => t.two_factor_status_off.to_owned(),
    };
    let sessions = session::list_for_account(state, &account.id)
        .await?
        .into_iter()
        .map(|listed| SessionView {
            current: listed.id_hash == current_session,
            text: fill(
                t.session_line,
                &[
                    ("device", if listed.device.is_empty() { t.unknown_device } else { listed.device.as_str() }),
                    ("since", &format::date_time(listed.since, account.language)),
                    ("seen", &format::date_time(listed.seen, account.language)),
                ],
            ),
        })
        .collect();
    let username = account.username.as_deref().unwrap_or_default().to_owned();
    page::render(
        status,
        &ProfilePage {
            layout: Layout::new(state, account.language, t.profile_title).signed_in("profil", account.is_staff()),
            notice,
            errors,
            context_words: PasswordContext::new(&account.name, &account.email)
                .with_username(&username)
                .words_for_page(),
            username,
            name: account.name.to_string(),
            practice,
            email: account.email.clone(),
            password_rules: password_rule_views(&state.config.password_policy, t),
            two_factor: account.two_factor_enabled,
            two_factor_status,
            phone: masked,
            visible: account.visible,
            english: account.language == crate::domain::lang::Lang::En,
            sessions,
        },
    )
}
