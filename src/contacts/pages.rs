//! The pages: list, search, add/remove, "Per SMS kontaktieren".
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::messages::{self, SmsError};
use super::store::{self, Contact, Found};
use crate::accounts::Account;
use crate::accounts::guards::ProductUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::form::{self, StrictForm};
use crate::web::i18n::fill;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "contacts/list.html")]
struct ListPage {
    layout: Layout,
    contacts: Vec<Contact>,
    notice: Option<&'static str>,
    /// The contact just removed, to offer "Rückgängig".
    removed: Option<String>,
}

/// `GET /kontakte`
pub async fn list(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let t = account.language.texts();
    let removed = query.as_deref().and_then(|q| q.strip_prefix("entfernt=")).map(str::to_owned);
    let notice = match query.as_deref() {
        Some("hinzugefuegt") => Some(t.contact_added),
        Some("gesendet") => Some(t.sms_sent),
        _ if removed.is_some() => Some(t.contact_removed),
        _ => None,
    };
    let contacts = store::list(&state.db, &account.id).await?;
    page::render(
        StatusCode::OK,
        &ListPage {
            layout: Layout::new(&state, account.language, t.contacts_title).signed_in("kontakte", account.is_staff()),
            contacts,
            notice,
            removed,
        },
    )
}

pub struct Hit {
    pub found: Found,
    pub in_list: bool,
    /// A verified mobile number: an SMS could reach them.
    pub reachable: bool,
    /// Practice and town, or empty.
    pub place: String,
}

#[derive(Template)]
#[template(path = "contacts/search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    hits: Vec<Hit>,
    searched: bool,
    next_page: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: Option<String>,
    seite: Option<usize>,
}

/// `GET /kontakte/suche?q=…&seite=…`: only findable accounts, name and username only, rate-limited.
pub async fn search(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let query: SearchQuery = form::parse(query.unwrap_or_default().as_bytes())?;
    let text = query.q.unwrap_or_default();
    let page_number = query.seite.unwrap_or(1).clamp(1, 50) - 1;
    let t = account.language.texts();
    let mut hits = Vec::new();
    let mut more = false;
    if !text.trim().is_empty() {
        state
            .contact_searches
            .hit(&state.db, &account.id, state.clock.now())
            .await
            .map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
        let (found, has_more) = store::search(&state.db, &text, &account.id, page_number).await?;
        more = has_more;
        let mine: Vec<String> = store::list(&state.db, &account.id).await?.into_iter().map(|c| c.id).collect();
        for found in found {
            let (reachable, place) = store::details(&state.db, &found.id).await?;
            hits.push(Hit { in_list: mine.contains(&found.id), reachable, place, found });
        }
    }
    page::render(
        StatusCode::OK,
        &SearchPage {
            layout: Layout::new(&state, account.language, t.search_title).signed_in("kontakte", account.is_staff()),
            searched: !text.trim().is_empty(),
            query: text,
            hits,
            next_page: more.then_some(page_number + 2),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddForm {
    contact: String,
}

/// `POST /kontakte`: only someone the search could show can be added; they are not told.
pub async fn add(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    StrictForm(form): StrictForm<AddForm>,
) -> AppResult<Response> {
    if form.contact == account.id || !store::is_findable(&state.db, &form.contact).await? {
        return Err(AppError::NotFound);
    }
    store::add(&state.db, &account.id, &form.contact, state.clock.now()).await?;
    Ok(Redirect::to("/kontakte?hinzugefuegt").into_response())
}

/// `POST /kontakte/{id}/entfernen`
pub async fn remove(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    store::remove(&state.db, &account.id, &id).await?;
    // Removing is undone with one click ("Rückgängig" adds them back), so it needs no confirmation first.
    let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    Ok(Redirect::to(&format!("/kontakte?entfernt={id}")).into_response())
}

#[derive(Template)]
#[template(path = "contacts/sms.html")]
struct SmsPage {
    layout: Layout,
    contact: Contact,
    intro: String,
    preview: String,
    note: String,
    note_max: usize,
    error: Option<&'static str>,
}

/// The fixed text; the note is optional.
async fn sms_page(
    state: &AppState,
    account: &Account,
    contact: Contact,
    note: String,
    error: Option<&'static str>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = account.language.texts();
    page::render(
        status,
        &SmsPage {
            layout: Layout::new(state, account.language, t.sms_button).signed_in("kontakte", account.is_staff()),
            intro: fill(t.sms_intro, &[("name", &contact.name)]),
            preview: messages::text(state, account, ""),
            contact,
            note,
            note_max: messages::NOTE_MAX,
            error,
        },
    )
}

/// `GET /kontakte/{id}/sms`
pub async fn sms_form(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (contact, _) = store::get(&state.db, &account.id, &id).await?.ok_or(AppError::NotFound)?;
    let error = (!contact.reachable).then_some(account.language.texts().sms_unreachable);
    sms_page(&state, &account, contact, String::new(), error, StatusCode::OK).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsForm {
    note: String,
}

/// `POST /kontakte/{id}/sms`: only to a visible contact with a verified number; the sender never sees it.
pub async fn send_sms(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<SmsForm>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let (contact, phone) = store::get(&state.db, &account.id, &id).await?.ok_or(AppError::NotFound)?;
    let note: String = form.note.trim().chars().filter(|c| !c.is_control()).collect();
    let (error, status) = match messages::send(&state, &account, (&contact, phone.as_deref()), &note).await {
        Ok(()) => return Ok(Redirect::to("/kontakte?gesendet").into_response()),
        Err(SmsError::Unreachable) => (t.sms_unreachable, StatusCode::CONFLICT),
        Err(SmsError::TooLong) => (t.note_too_long, StatusCode::UNPROCESSABLE_ENTITY),
        Err(SmsError::Capped) => (t.contact_cap, StatusCode::TOO_MANY_REQUESTS),
        Err(error) => return Err(error.into()),
    };
    sms_page(&state, &account, contact, note, Some(error), status).await
}
