//! The admin API (`/api/v1`, JSON) for systems that create accounts (a practice management system, a CRM):
//! bearer API tokens with scopes, idempotent creation, errors as problem+json, an OpenAPI 3.1 document.
mod idempotency;
mod openapi;
pub mod problem;
pub mod tokens;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use self::problem::Problem;
use self::tokens::{ApiToken, Scope};
use crate::accounts::store::{self, Overview};
use crate::accounts::{self, NewAccount, Role};
use crate::domain::lang::Lang;
use crate::security::audit::Actor;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document).fallback(wrong_method))
        .route("/api/v1/accounts", get(list).post(create).fallback(wrong_method))
        .route("/api/v1/accounts/{id}", get(show).fallback(wrong_method))
        .route("/api/v1/accounts/{id}/resend", post(resend).fallback(wrong_method))
        .route(
            "/api/v1/{*rest}",
            any(|| async { Problem::new(StatusCode::NOT_FOUND, "Nicht gefunden", "Diesen Endpunkt gibt es nicht.") }),
        )
}

async fn wrong_method() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Methode nicht erlaubt",
        "Diese Methode gibt es für diesen Endpunkt nicht.",
    )
}

/// The credentials of `Bearer <secret>`; the scheme's name is case-insensitive (RFC 9110, 11.1).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(secret)
}

/// The token behind `Authorization: Bearer …`, if it may do `scope`.
async fn authorize(state: &AppState, headers: &HeaderMap, scope: Scope) -> Result<ApiToken, Problem> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .ok_or_else(Problem::unauthorized)?;
    let token = tokens::authenticate(&state.db, &state.token_key, secret.trim(), state.clock.now())
        .await?
        .ok_or_else(Problem::unauthorized)?;
    if !token.allows(scope) {
        return Err(Problem::forbidden(scope.as_str()));
    }
    Ok(token)
}

/// An account as the API shows it: never a secret.
#[derive(Serialize)]
pub struct AccountJson {
    id: String,
    email: String,
    name: String,
    language: String,
    edition: String,
    status: String,
    next_step: Option<String>,
    username: Option<String>,
    two_factor_enabled: bool,
    visible: bool,
    locked: bool,
    created_at: String,
    registered_at: Option<String>,
    registration_link_sent_at: Option<String>,
    registration_link_expires_at: Option<String>,
    registration_email_status: Option<String>,
}

/// The field names of [`AccountJson`], for the OpenAPI document (kept in one place with the struct).
pub const ACCOUNT_FIELDS: &[&str] = &[
    "id",
    "email",
    "name",
    "language",
    "edition",
    "status",
    "next_step",
    "username",
    "two_factor_enabled",
    "visible",
    "locked",
    "created_at",
    "registered_at",
    "registration_link_sent_at",
    "registration_link_expires_at",
    "registration_email_status",
];

fn json(o: Overview) -> AccountJson {
    use crate::web::format::iso_utc;
    AccountJson {
        id: o.id,
        email: o.email,
        name: o.name,
        language: o.language,
        edition: o.edition,
        status: if o.locked { "locked".into() } else { o.status },
        next_step: o.next_step,
        username: o.username,
        two_factor_enabled: o.two_factor_enabled,
        visible: o.visible,
        locked: o.locked,
        created_at: iso_utc(o.created_at),
        registered_at: o.registered_at.map(iso_utc),
        registration_link_sent_at: o.link_sent_at.map(iso_utc),
        registration_link_expires_at: o.link_expires_at.map(iso_utc),
        registration_email_status: o.mail_status,
    }
}

async fn account_json(state: &AppState, id: &str) -> Result<AccountJson, Problem> {
    let overview = store::overview(&state.db, id, state.clock.now()).await?.ok_or_else(Problem::not_found)?;
    Ok(json(overview))
}

fn ok(status: StatusCode, body: impl Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    email: String,
    name: String,
    language: Option<String>,
    edition: Option<String>,
}

/// `POST /api/v1/accounts`: with `Idempotency-Key`, a retried request returns the same account and sends
/// no second e-mail.
async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, Problem> {
    let token = authorize(&state, &headers, Scope::AccountsWrite).await?;
    let document: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| Problem::bad_request(format!("JSON passt nicht: {e}")))?;
    crate::web::text::check_json(&document).map_err(|(field, problem)| Problem::invalid_text(&field, problem))?;
    let request: CreateRequest =
        serde_json::from_value(document).map_err(|e| Problem::bad_request(format!("JSON passt nicht: {e}")))?;
    let key = headers.get("idempotency-key").map(|v| v.to_str().map(str::to_owned));
    let key = match key {
        Some(Ok(key)) if !key.is_empty() && key.len() <= 200 && key.bytes().all(|b| b.is_ascii_graphic()) => Some(key),
        Some(_) => return Err(Problem::bad_request("Idempotency-Key muss 1 bis 200 sichtbare Zeichen haben.")),
        None => None,
    };
    let request_hash: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    let new = new_account(request)?;
    let id = match &key {
        Some(key) => match idempotency::create_once(&state, &token, key, &request_hash, new).await? {
            idempotency::Outcome::Replay(id) => return Ok(ok(StatusCode::OK, account_json(&state, &id).await?)),
            idempotency::Outcome::Created(id) => id,
        },
        None => accounts::create(&state, new, Actor::ApiToken(token.id.clone())).await?.id.to_string(),
    };
    let mut response = ok(StatusCode::CREATED, account_json(&state, &id).await?);
    if let Ok(location) = format!("/api/v1/accounts/{id}").parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn new_account(request: CreateRequest) -> Result<NewAccount, Problem> {
    let language = match request.language.as_deref() {
        None => Lang::De,
        Some(code) => Lang::parse(code).ok_or_else(|| Problem::bad_request("language: erlaubt sind de und en."))?,
    };
    Ok(NewAccount { email: request.email, name: request.name, language, edition: request.edition, role: Role::User })
}

/// `GET /api/v1/accounts/{id}`
async fn show(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, Problem> {
    authorize(&state, &headers, Scope::AccountsRead).await?;
    Ok(ok(StatusCode::OK, account_json(&state, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
}

/// A search term longer than any name or address is a mistake (the OpenAPI document says so too).
pub const MAX_SEARCH_CHARS: usize = 200;

/// `GET /api/v1/accounts?q=…&status=…`: at most 50, by name.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    authorize(&state, &headers, Scope::AccountsRead).await?;
    let query: ListQuery = serde_urlencoded::from_str(&query.unwrap_or_default())
        .map_err(|e| Problem::bad_request(format!("Parameter passen nicht: {e}")))?;
    if query.q.as_deref().is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
        return Err(Problem::bad_request(format!("q: höchstens {MAX_SEARCH_CHARS} Zeichen.")));
    }
    // Absent means every status; present but empty is a mistake of the caller, not "every".
    let status = query.status.as_deref().map_or(Some(""), |s| (!s.is_empty()).then_some(s));
    let filter = status.and_then(crate::accounts::directory::StatusFilter::parse).ok_or_else(|| {
        Problem::bad_request("status: erlaubt sind invited, link_expired, registering, active, locked.")
    })?;
    let found =
        crate::accounts::directory::search(&state.db, query.q.as_deref().unwrap_or(""), filter, state.clock.now())
            .await?;
    let accounts: Vec<AccountJson> = found.into_iter().map(json).collect();
    Ok(ok(StatusCode::OK, serde_json::json!({ "accounts": accounts })))
}

/// `POST /api/v1/accounts/{id}/resend`: a new registration link; refused once registered.
async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let token = authorize(&state, &headers, Scope::AccountsWrite).await?;
    let account = accounts::resend(&state, &id, Actor::ApiToken(token.id)).await?;
    Ok(ok(StatusCode::OK, account_json(&state, &account.id).await?))
}
