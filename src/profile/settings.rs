//! The simple settings: password confirmation, password, visibility, language, other sessions.
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::changes;
use crate::accounts::guards::SignedIn;
use crate::accounts::session;
use crate::accounts::store::{self as store, PracticeDetails};
use crate::domain::email::EmailAddress;
use crate::domain::password_policy::PasswordContext;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;
use crate::web::form::{self, StrictForm};
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Layout};
use crate::web::password_rules::unmet_password_rules;

#[derive(Template)]
#[template(path = "profile/reauth.html")]
struct ReauthPage {
    layout: Layout,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NextQuery {
    weiter: Option<String>,
}

/// Only paths inside the profile are followed after the confirmation (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with("profil") && next.chars().all(|c| c.is_ascii_alphanumeric() || "/-".contains(c)) =>
        {
            format!("/{next}")
        }
        _ => "/profil".into(),
    }
}

pub async fn reauth_form(
    State(state): State<AppState>,
    SignedIn(_, account): SignedIn,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let query: NextQuery = form::parse(query.unwrap_or_default().as_bytes())?;
    let t = account.language.texts();
    let next = safe_next(query.weiter.as_deref()).trim_start_matches('/').to_owned();
    page::render(
        StatusCode::OK,
        &ReauthPage {
            layout: Layout::new(&state, account.language, t.reauth_title).signed_in("profil", account.is_staff()),
            next,
            error: None,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReauthForm {
    password: String,
    weiter: String,
}

/// `POST /profil/bestaetigen`: the password again, then on to where the person was going.
pub async fn reauth(
    State(state): State<AppState>,
    SignedIn(current, account): SignedIn,
    StrictForm(form): StrictForm<ReauthForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let matches = super::check_password(&state, &account, form.password).await?;
    let entry = Entry::new(
        AuditEvent::Reauth,
        if matches { "success" } else { "failure" },
        Actor::Account(account.id.clone()),
        Some(&account.id),
    );
    audit::record(&state.db.pool, entry, now).await?;
    if !matches {
        let t = account.language.texts();
        let next = safe_next(Some(&form.weiter)).trim_start_matches('/').to_owned();
        let page = ReauthPage {
            layout: Layout::new(&state, account.language, t.reauth_title).signed_in("profil", account.is_staff()),
            next,
            error: Some(t.current_password_wrong),
        };
        return page::render(StatusCode::UNAUTHORIZED, &page);
    }
    session::mark_reauthenticated(&state.db.pool, &current.id_hash, now).await?;
    Ok(Redirect::to(&safe_next(Some(&form.weiter))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    current_password: String,
    password: String,
    password_repeat: String,
}

/// `POST /profil/passwort`: the current password is the confirmation; same rules as at registration.
pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(current, account): SignedIn,
    StrictForm(form): StrictForm<PasswordForm>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let username = account.username.as_deref().unwrap_or_default().to_owned();
    let context = PasswordContext::new(&account.name, &account.email).with_username(&username);
    let mut errors =
        unmet_password_rules(&state.config.password_policy, &form.password, &form.password_repeat, &context, t);
    if !super::check_password(&state, &account, form.current_password).await? {
        errors.insert(0, t.current_password_wrong.to_owned());
    }
    if !errors.is_empty() {
        return super::page::render(
            &state,
            &current.id_hash,
            &account,
            (None, errors),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    }
    let hash = state.hasher.hash(form.password).await?;
    changes::change_password(&state, &account, &current.id_hash, &hash).await?;
    Ok(Redirect::to("/profil?geaendert=passwort").into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisibilityForm {
    visible: Option<String>,
}

/// `POST /profil/sichtbarkeit`: effective at once.
pub async fn set_visibility(
    State(state): State<AppState>,
    SignedIn(_, account): SignedIn,
    StrictForm(form): StrictForm<VisibilityForm>,
) -> AppResult<Response> {
    let visible = form.visible.is_some();
    changes::set_visibility(&state, &account, visible).await?;
    Ok(Redirect::to("/profil?geaendert=sichtbarkeit").into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageForm {
    language: String,
}

/// `POST /profil/sprache`
pub async fn set_language(
    State(state): State<AppState>,
    SignedIn(_, account): SignedIn,
    StrictForm(form): StrictForm<LanguageForm>,
) -> AppResult<Response> {
    let language = Lang::parse(&form.language).ok_or_else(|| AppError::BadRequest("unbekannte Sprache".into()))?;
    store::set_language(&state.db, &account.id, language).await?;
    let mut response = Redirect::to("/profil?geaendert=sprache").into_response();
    // The pages before the next login follow the same choice.
    response
        .headers_mut()
        .insert(axum::http::header::SET_COOKIE, crate::web::i18n::lang_cookie(language, state.config.is_https()));
    Ok(response)
}

/// Longest practice name or city.
pub const PRACTICE_MAX: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeForm {
    #[serde(default)]
    practice: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    practice_phone: String,
    #[serde(default)]
    practice_email: String,
}

/// `POST /profil/praxis`: practice name and city (colleagues see them in the contact search), and the phone
/// number and e-mail address patients see in their invitations and on their pages; all optional.
pub async fn set_practice(
    State(state): State<AppState>,
    SignedIn(current, account): SignedIn,
    StrictForm(form): StrictForm<PracticeForm>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let mut details = PracticeDetails {
        practice: form.practice.trim().to_owned(),
        city: form.city.trim().to_owned(),
        phone: form.practice_phone.trim().to_owned(),
        email: form.practice_email.trim().to_owned(),
    };
    let mut errors = Vec::new();
    if details.practice.chars().count() > PRACTICE_MAX || details.city.chars().count() > PRACTICE_MAX {
        errors.push(fill(t.practice_too_long, &[("max", &PRACTICE_MAX.to_string())]));
    }
    if !details.phone.is_empty() {
        match crate::domain::phone::parse_callable(&details.phone) {
            Ok(readable) => details.phone = readable,
            Err(_) => errors.push(t.practice_phone_invalid.to_owned()),
        }
    }
    if !details.email.is_empty() {
        match EmailAddress::parse(&details.email) {
            Ok(address) => details.email = address.as_str().to_owned(),
            Err(_) => errors.push(t.practice_email_invalid.to_owned()),
        }
    }
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return super::page::render(&state, &current.id_hash, &account, (None, errors), status, Some(details)).await;
    }
    store::set_practice(&state.db, &account.id, &details).await?;
    Ok(Redirect::to("/profil?geaendert=praxis").into_response())
}

/// `POST /profil/sitzungen/abmelden`: "Andere Sitzungen abmelden".
pub async fn end_other_sessions(
    State(state): State<AppState>,
    SignedIn(current, account): SignedIn,
) -> AppResult<Response> {
    let ended = session::end_others(&state.db.pool, &account.id, Some(&current.id_hash)).await?;
    session::announce_ended(&state, &account.id).await;
    let entry = Entry::new(AuditEvent::SessionsEnded, "success", Actor::Account(account.id.clone()), Some(&account.id))
        .detail(format!("{ended} other session(s)"));
    audit::record(&state.db.pool, entry, state.clock.now()).await?;
    Ok(Redirect::to("/profil?geaendert=sitzungen").into_response())
}
