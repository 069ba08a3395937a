//! The registration link's landing and step 1, "Benutzername und Passwort festlegen".
use askama::Template;
use axum::Json;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::links::{self, Link, LinkOutcome};
use crate::accounts::registration::{self, RegistrationError};
use crate::accounts::session::{self, Session, SessionKind};
use crate::accounts::{Account, AccountStatus, store};
use crate::domain::password_policy::PasswordContext;
use crate::domain::username::{self, UsernameRule};
use crate::domain::wizard::Step;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::client_addr::ClientIp;
use crate::security::link_opening::LinkOpening;
use crate::state::AppState;
use crate::web::cookies;
use crate::web::form::{self, StrictForm};
use crate::web::format;
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Action, Layout};
use crate::web::password_rules::{RuleView, password_rule_views, unmet_password_rules};

/// `GET /registrierung/{token}`: never consumes the link. A valid link starts a short registration
/// session and moves on to a token-free address, so the token leaves the address bar and the history.
pub async fn open_link(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    _: LinkOpening,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let now = state.clock.now();
    let Some((link, account)) = links::find_by_token(&state.db, &state.token_key, &token).await? else {
        tracing::info!("unbekannter Registrierungslink geöffnet");
        let entry = Entry::new(AuditEvent::LinkOpened, "unknown", Actor::Anonymous, None).from_addr(peer);
        audit::record_sampled(&state.db, &state.audit_sampler, entry, now).await?;
        return outcome_page(&state, Lang::from_headers(&headers), LinkOutcome::Unknown, None);
    };
    let outcome = links::outcome(&link, &account, now);
    tracing::info!(account = %account.id, ?outcome, "Registrierungslink geöffnet");
    let entry =
        Entry::new(AuditEvent::LinkOpened, outcome.label(), Actor::Anonymous, Some(&account.id)).from_addr(peer);
    audit::record(&state.db.pool, entry, now).await?;
    if outcome != LinkOutcome::Valid {
        return outcome_page(&state, Lang::for_visitor(&headers, account.language), outcome, Some(&account));
    }
    let raw = session::create(&state.db.pool, SessionKind::Registration, &account.id, Some(&link.id), now).await?;
    let mut response = Redirect::to("/registrierung").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, cookies::Jar::Account, &raw));
    Ok(response)
}

fn outcome_page(state: &AppState, lang: Lang, outcome: LinkOutcome, account: Option<&Account>) -> AppResult<Response> {
    let t = lang.texts();
    let validity = format::duration(state.config.registration_link_ttl, lang);
    let to_login = || Some(Action { href: "/anmelden".into(), label: t.to_login });
    let (status, title, text, next, action) = match outcome {
        LinkOutcome::Expired => {
            let support = &state.config.support;
            let contact = [support.name.as_str(), support.phone.as_str(), support.email.as_str()]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let body = fill(t.new_link_body, &[("email", account.map_or("", |a| a.email.as_str()))]);
            let mailto =
                format!("mailto:{}?subject={}&body={}", support.email, percent(t.new_link_subject), percent(&body));
            let text = format!(
                "{} {}",
                fill(t.link_expired_text, &[("validity", &validity)]),
                fill(t.link_expired_contact, &[("contact", &contact)])
            );
            (StatusCode::GONE, t.link_expired_title, text, "", Some(Action { href: mailto, label: t.write_to_support }))
        }
        // Step 1 done, other steps open: the account exists, and signing in continues the registration.
        LinkOutcome::AlreadyRegistered if account.is_some_and(|a| a.status == AccountStatus::Registering) => (
            StatusCode::CONFLICT,
            t.link_steps_open_title,
            t.link_steps_open_text.to_owned(),
            t.link_steps_open_next,
            to_login(),
        ),
        LinkOutcome::AlreadyRegistered => (
            StatusCode::CONFLICT,
            t.link_registered_title,
            t.link_registered_text.to_owned(),
            t.link_registered_next,
            to_login(),
        ),
        LinkOutcome::Replaced => {
            (StatusCode::GONE, t.link_replaced_title, t.link_replaced_text.to_owned(), t.link_replaced_next, None)
        }
        LinkOutcome::Unknown | LinkOutcome::Valid => {
            (StatusCode::NOT_FOUND, t.link_unknown_title, t.link_unknown_text.to_owned(), t.link_unknown_next, None)
        }
    };
    page::message(state, lang, status, title, text, next, action)
}

/// Percent-encodes a text for a `mailto:` address (spaces as `%20`, which every mail program reads).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The open wizard behind the request's cookie, or the page to show instead.
async fn open_wizard(state: &AppState, headers: &HeaderMap) -> AppResult<(Session, Link, Account)> {
    let session = match session::current(state, headers).await? {
        Some(s) if s.kind == SessionKind::Registration => s,
        Some(_) => return Err(AppError::elsewhere(Redirect::to("/"))),
        None => {
            let lang = Lang::from_headers(headers);
            let t = lang.texts();
            let page = page::message(
                state,
                lang,
                StatusCode::UNAUTHORIZED,
                t.session_missing_title,
                t.session_missing_text.to_owned(),
                t.session_missing_next,
                None,
            )?;
            return Err(AppError::elsewhere(page));
        }
    };
    let link_id = session.link_id.clone().unwrap_or_default();
    let Some((link, account)) = links::find_by_id(&state.db, &link_id).await? else {
        return Err(AppError::elsewhere(outcome_page(state, Lang::from_headers(headers), LinkOutcome::Unknown, None)?));
    };
    match links::outcome(&link, &account, state.clock.now()) {
        LinkOutcome::Valid => {
            let mut account = account;
            account.language = Lang::for_visitor(headers, account.language);
            Ok((session, link, account))
        }
        other => {
            let lang = Lang::for_visitor(headers, account.language);
            Err(AppError::elsewhere(outcome_page(state, lang, other, Some(&account))?))
        }
    }
}

#[derive(Template)]
#[template(path = "onboarding/step1.html")]
struct Step1Page {
    layout: Layout,
    intro: String,
    username: String,
    errors: Vec<String>,
    username_rules: Vec<RuleView>,
    password_rules: Vec<RuleView>,
    context_words: String,
}

fn username_problem(rule: UsernameRule, t: &crate::web::i18n::Texts) -> &'static str {
    match rule {
        UsernameRule::Length => t.problem_username_length,
        UsernameRule::Charset => t.problem_username_charset,
        UsernameRule::Start => t.problem_username_start,
    }
}

fn username_rule_text(rule: UsernameRule, t: &crate::web::i18n::Texts) -> &'static str {
    match rule {
        UsernameRule::Length => t.rule_username_length,
        UsernameRule::Charset => t.rule_username_charset,
        UsernameRule::Start => t.rule_username_start,
    }
}

fn render_form(
    state: &AppState,
    account: &Account,
    username: &str,
    errors: Vec<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = account.language;
    let t = lang.texts();
    let policy = &state.config.password_policy;
    let mut username_rules: Vec<RuleView> = UsernameRule::ALL
        .into_iter()
        .map(|rule| RuleView { id: rule.id(), data: rule.pattern(), text: username_rule_text(rule, t).to_owned() })
        .collect();
    username_rules.push(RuleView { id: "available", data: String::new(), text: t.rule_username_available.to_owned() });
    let password_rules = password_rule_views(policy, t);
    page::render(
        status,
        &Step1Page {
            layout: Layout::step(state, account.language, &account.plan, Step::Credentials, t.step1_title),
            intro: fill(t.step1_intro, &[("name", &account.name)]),
            username: username.to_owned(),
            errors,
            username_rules,
            password_rules,
            context_words: PasswordContext::new(&account.name, &account.email).words_for_page(),
        },
    )
}

/// `GET /registrierung`
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let (_, _, account) = open_wizard(&state, &headers).await?;
    render_form(&state, &account, "", Vec::new(), StatusCode::OK)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step1Form {
    username: String,
    password: String,
    password_repeat: String,
}

/// `POST /registrierung`: "Bestätigen & Fortfahren". Creates the credentials and consumes the link in one
/// transaction; a rejected form comes back with everything typed except the passwords.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    StrictForm(form): StrictForm<Step1Form>,
) -> AppResult<Response> {
    let (_, link, account) = open_wizard(&state, &headers).await?;
    let t = account.language.texts();
    let username = form.username.trim().to_owned();
    let policy = &state.config.password_policy;
    let context = PasswordContext::new(&account.name, &account.email).with_username(&username);
    let errors: Vec<String> = username::unmet(&username)
        .into_iter()
        .map(|rule| username_problem(rule, t).to_owned())
        .chain(unmet_password_rules(policy, &form.password, &form.password_repeat, &context, t))
        .collect();
    if !errors.is_empty() {
        return render_form(&state, &account, &username, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let raw = match registration::set_credentials(&state, &account, &link.id, (&username, form.password), peer).await {
        Ok(raw) => raw,
        Err(RegistrationError::LinkSpent) => return already_decided(&state, &link.id, account.language).await,
        Err(RegistrationError::UsernameTaken { suggestion }) => {
            let errors = vec![match suggestion {
                Some(suggestion) => fill(t.username_taken_suggest, &[("name", &username), ("suggestion", &suggestion)]),
                None => t.error_username_taken.to_owned(),
            }];
            return render_form(&state, &account, &username, errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(RegistrationError::Database(error)) => return Err(error.into()),
        Err(RegistrationError::Hashing(error)) => return Err(error),
    };
    // Signed in from now on: a language chosen with the switch becomes the account's (mails, SMS).
    if Lang::chosen(&headers).is_some() {
        store::set_language(&state.db, &account.id, account.language).await?;
    }
    let next = account.plan.next(true);
    tracing::info!(account = %account.id, next = next.key(), "Registrierung: Benutzername und Passwort festgelegt");
    let mut response = Redirect::to(next.path()).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, cookies::Jar::Account, &raw));
    Ok(response)
}

/// Another submission of the same link won the race (or the link changed meanwhile): show its page.
async fn already_decided(state: &AppState, link_id: &str, lang: Lang) -> AppResult<Response> {
    match links::find_by_id(&state.db, link_id).await? {
        Some((link, account)) => {
            let outcome = match links::outcome(&link, &account, state.clock.now()) {
                LinkOutcome::Valid => LinkOutcome::AlreadyRegistered,
                other => other,
            };
            outcome_page(state, lang, outcome, Some(&account))
        }
        None => outcome_page(state, lang, LinkOutcome::Unknown, None),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameQuery {
    name: String,
}

/// `GET /registrierung/benutzername?name=…`: the live availability check, only inside an open
/// registration and rate-limited per registration session.
pub async fn username_available(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let query: NameQuery = form::parse(query.unwrap_or_default().as_bytes())?;
    let session = match session::current(&state, &headers).await? {
        Some(s) if s.kind == SessionKind::Registration => s,
        _ => {
            return Ok((StatusCode::UNAUTHORIZED, Json(serde_json::json!({ "error": "no_session" }))).into_response());
        }
    };
    state
        .username_checks
        .hit(&state.db, &session.id_hash, state.clock.now())
        .await
        .map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    let name = query.name.trim();
    let valid = username::unmet(name).is_empty();
    let available = valid && !store::username_taken(&state.db, name).await?;
    let suggestion = if valid && !available { store::free_variant(&state.db, name).await? } else { None };
    Ok(Json(serde_json::json!({ "valid": valid, "available": available, "suggestion": suggestion })).into_response())
}

/// `GET /registrierung/abgeschlossen`: the closing step, once every step of the edition is done.
pub async fn done(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let Some(session) = session::current(&state, &headers).await?.filter(|s| s.kind == SessionKind::Login) else {
        return Ok(Redirect::to("/anmelden").into_response());
    };
    let account = store::find_by_id(&state.db, &session.account_id).await?.ok_or(AppError::NotFound)?;
    if account.status != AccountStatus::Active {
        return Ok(Redirect::to(account.home_path()).into_response());
    }
    let t = account.language.texts();
    page::render(
        StatusCode::OK,
        &page::MessagePage {
            layout: Layout::step(&state, account.language, &account.plan, Step::Complete, t.done_title),
            text: t.done_text.to_owned(),
            next: String::new(),
            action: Some(Action { href: "/".into(), label: t.to_start }),
            reload_after: None,
        },
    )
}
