//! Finding, viewing and creating accounts; resending registration e-mails.
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::store;
use crate::accounts::directory;
use crate::accounts::guards::SupportAgent;
use crate::accounts::store::{self as accounts, Overview};
use crate::accounts::{self as lifecycle, AccountError, NewAccount, Role};
use crate::domain::lang::Lang;
use crate::error::{AppError, AppResult};
use crate::security::audit::Actor;
use crate::state::AppState;
use crate::web::form::{self, StrictForm};
use crate::web::format;
use crate::web::page::{self, Layout};

/// An account as the console lists it: never a secret, times in Berlin time.
pub struct Row {
    pub id: String,
    pub name: String,
    pub email: String,
    pub username: String,
    pub status: String,
    pub link_sent: String,
    pub link_expires: String,
    pub two_factor: &'static str,
    pub visible: &'static str,
    pub last_login: String,
    pub mail: String,
    pub edition: String,
    pub registered: bool,
    pub locked: bool,
}

fn status_label(o: &Overview) -> String {
    if o.locked {
        return "gesperrt".into();
    }
    match (o.status.as_str(), o.next_step.as_deref()) {
        ("invited", _) => "eingeladen".into(),
        ("link_expired", _) => "Link abgelaufen".into(),
        ("registering", Some(step)) => format!("registriert sich (nächster Schritt: {step})"),
        ("active", _) => "aktiv".into(),
        (other, _) => other.into(),
    }
}

/// A message's delivery state in words.
fn mail_state(status: &str) -> &str {
    match status {
        "pending" => "wird versendet",
        "sent" => "versendet",
        "failed" => "nicht zustellbar",
        "cancelled" => "abgebrochen",
        other => other,
    }
}

pub fn row(o: &Overview) -> Row {
    let time = |t: Option<i64>| t.map(|t| format::date_time(t, Lang::De)).unwrap_or_else(|| "–".into());
    let yes_no = |b: bool| if b { "ja" } else { "nein" };
    Row {
        id: o.id.clone(),
        name: o.name.clone(),
        email: o.email.clone(),
        username: o.username.clone().unwrap_or_else(|| "–".into()),
        status: status_label(o),
        link_sent: time(o.link_sent_at),
        link_expires: time(o.link_expires_at),
        two_factor: yes_no(o.two_factor_enabled),
        visible: yes_no(o.visible),
        last_login: time(o.last_login_at),
        mail: match (o.mail_status.as_deref().map(mail_state), &o.mail_error) {
            (Some(state), Some(error)) if o.mail_status.as_deref() != Some("sent") => format!("{state} ({error})"),
            (Some(state), _) => state.to_owned(),
            _ => "–".into(),
        },
        edition: o.edition.clone(),
        registered: o.status == "active" || o.status == "registering",
        locked: o.locked,
    }
}

#[derive(Template)]
#[template(path = "support/index.html")]
struct IndexPage {
    layout: Layout,
    query: String,
    status: String,
    rows: Vec<Row>,
    searched: bool,
    editions: Vec<String>,
    notice: Option<String>,
    error: Option<String>,
    form_email: String,
    form_name: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: Option<String>,
    status: Option<String>,
}

/// `GET /support?q=…&status=…`
pub async fn index(State(state): State<AppState>, _: SupportAgent, RawQuery(query): RawQuery) -> AppResult<Response> {
    let query: SearchQuery = form::parse(query.unwrap_or_default().as_bytes())?;
    render_index(
        &state,
        query.q.unwrap_or_default(),
        query.status.unwrap_or_default(),
        None,
        None,
        (String::new(), String::new()),
        StatusCode::OK,
    )
    .await
}

async fn render_index(
    state: &AppState,
    q: String,
    status: String,
    notice: Option<String>,
    error: Option<String>,
    (form_email, form_name): (String, String),
    code: StatusCode,
) -> AppResult<Response> {
    let searched = !q.trim().is_empty() || !status.is_empty();
    let rows = if searched {
        let filter =
            directory::StatusFilter::parse(&status).ok_or_else(|| AppError::BadRequest("unbekannter Status".into()))?;
        directory::search(&state.db, &q, filter, state.clock.now()).await?.iter().map(row).collect()
    } else {
        Vec::new()
    };
    page::render(
        code,
        &IndexPage {
            layout: Layout::new(state, Lang::De, "Support-Konsole").signed_in("support", true),
            query: q,
            status,
            rows,
            searched,
            editions: state.config.editions.keys().cloned().collect(),
            notice,
            error,
            form_email,
            form_name,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    email: String,
    name: String,
    language: String,
    edition: String,
}

/// `POST /support/konten`: as `sprechstunde account create`.
pub async fn create(
    State(state): State<AppState>,
    SupportAgent(_, agent): SupportAgent,
    StrictForm(form): StrictForm<CreateForm>,
) -> AppResult<Response> {
    let new = NewAccount {
        email: form.email.clone(),
        name: form.name.clone(),
        language: Lang::parse(&form.language).unwrap_or(Lang::De),
        edition: Some(form.edition.clone()),
        role: Role::User,
    };
    match lifecycle::create(&state, new, Actor::Support(agent.id.clone())).await {
        Ok(account) => Ok(Redirect::to(&format!("/support/konten/{}?angelegt", account.id)).into_response()),
        Err(failure @ (AccountError::Database(_) | AccountError::Template(_))) => Err(failure.into()),
        Err(refused) => {
            render_index(
                &state,
                String::new(),
                String::new(),
                None,
                Some(refused.to_string()),
                (form.email, form.name),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The answer of a Service-PIN check, and how many tries are left after a wrong one.
pub struct PinResult {
    pub correct: bool,
    pub attempts_left: i64,
}

#[derive(Template)]
#[template(path = "support/account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub row: Row,
    pub history: Vec<super::history::Line>,
    pub history_more: bool,
    pub granted: bool,
    pub pin_result: Option<PinResult>,
    pub pin_locked: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub name_value: String,
    pub email_value: String,
    pub phone_value: String,
    pub lock_reason: String,
}

/// What the account page says besides the account: a notice, an error, the PIN check's answer, and the
/// values of a refused form, kept in their fields.
#[derive(Default)]
pub struct Feedback {
    pub notice: Option<String>,
    pub error: Option<String>,
    pub pin_result: Option<PinResult>,
    pub kept: Kept,
}

/// Values typed into the console's forms, shown again after a refusal (never the stored ones instead).
#[derive(Default)]
pub struct Kept {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: String,
    pub lock_reason: String,
}

pub async fn render_account(
    state: &AppState,
    agent_session: &str,
    account_id: &str,
    feedback: Feedback,
    code: StatusCode,
) -> AppResult<Response> {
    let overview = accounts::overview(&state.db, account_id, state.clock.now()).await?.ok_or(AppError::NotFound)?;
    let (_, failures) = crate::accounts::store::pin_state(&state.db, account_id).await?;
    let (history, history_more) = super::history::page(&state.db, account_id, 1).await?;
    let row = row(&overview);
    let Kept { name, email, phone, lock_reason } = feedback.kept;
    page::render(
        code,
        &AccountPage {
            layout: Layout::new(state, Lang::De, format!("Account: {}", overview.name)).signed_in("support", true),
            name_value: name.unwrap_or_else(|| row.name.clone()),
            email_value: email.unwrap_or_else(|| row.email.clone()),
            phone_value: phone,
            lock_reason,
            row,
            history,
            history_more,
            granted: store::has_grant(&state.db, agent_session, account_id).await?,
            pin_result: feedback.pin_result,
            pin_locked: failures >= super::actions::PIN_ATTEMPTS,
            notice: feedback.notice,
            error: feedback.error,
        },
    )
}

/// `GET /support/konten/{id}`
pub async fn account(
    State(state): State<AppState>,
    SupportAgent(session, _): SupportAgent,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let notice = match query.as_deref() {
        Some("angelegt") => Some("Account angelegt; die Registrierungs-E-Mail wird versendet.".to_owned()),
        Some("gespeichert") => Some("Gespeichert.".to_owned()),
        Some("passwort-link") => {
            Some("Die E-Mail zum Zurücksetzen des Passworts wird an die hinterlegte Adresse gesendet (Link 1 Stunde gültig).".to_owned())
        }
        _ => None,
    };
    render_account(&state, &session.id_hash, &id, Feedback { notice, ..Feedback::default() }, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "support/history.html")]
struct HistoryPage {
    layout: Layout,
    id: String,
    history: Vec<super::history::Line>,
    page: i64,
    more: bool,
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    seite: Option<i64>,
}

/// `GET /support/konten/{id}/verlauf?seite=N`: the whole history, twenty entries a page.
pub async fn history(
    State(state): State<AppState>,
    SupportAgent(_, _): SupportAgent,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<HistoryQuery>,
) -> AppResult<Response> {
    let overview = accounts::overview(&state.db, &id, state.clock.now()).await?.ok_or(AppError::NotFound)?;
    let page_number = query.seite.unwrap_or(1).clamp(1, 100_000);
    let (history, more) = super::history::page(&state.db, &id, page_number).await?;
    let title = format!("Verlauf: {}", overview.name);
    page::render(
        StatusCode::OK,
        &HistoryPage {
            layout: Layout::new(&state, Lang::De, title).signed_in("support", true),
            id,
            history,
            page: page_number,
            more,
        },
    )
}

/// `POST /support/konten/{id}/erneut-senden`: refused for registered accounts.
pub async fn resend(
    State(state): State<AppState>,
    SupportAgent(session, agent): SupportAgent,
    Path(id): Path<String>,
) -> AppResult<Response> {
    match lifecycle::resend(&state, &id, Actor::Support(agent.id.clone())).await {
        Ok(_) => {
            let notice = Some("Neue Registrierungs-E-Mail eingereiht; ältere Links gelten nicht mehr.".to_owned());
            render_account(&state, &session.id_hash, &id, Feedback { notice, ..Feedback::default() }, StatusCode::OK)
                .await
        }
        Err(failure @ (AccountError::NotFound(_) | AccountError::Database(_) | AccountError::Template(_))) => {
            Err(failure.into())
        }
        Err(refused) => {
            let feedback = Feedback { error: Some(refused.to_string()), ..Feedback::default() };
            render_account(&state, &session.id_hash, &id, feedback, StatusCode::CONFLICT).await
        }
    }
}
