//! The application: every feature's routes inside the edge layers, the server and its worker, start-up
//! maintenance and shutdown. Only `main`/`cli` and the tests import this module; features use `state`.
use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::AppError;
use crate::security::client_addr::{self, ClientIp};
use crate::state::AppState;

/// Largest body of a form post (the biggest form, a contact SMS with its note, is far smaller).
pub const FORM_BODY_LIMIT: usize = 16 * 1024;
/// Largest body of an admin-API request.
pub const API_BODY_LIMIT: usize = 64 * 1024;

/// The whole service: every feature's routes inside the edge layers.
pub fn router(state: AppState) -> Router {
    edge(routes(), state)
}

/// Every feature's routes, each class with its body limit.
pub fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        // Static files go out gzip-compressed (on a 50 kbit/s line room.js and app.css took seconds). Pages
        // are not compressed: they can carry secrets next to reflected input (BREACH).
        .route("/static/{name}", get(crate::web::assets::serve))
        .merge(crate::onboarding::router())
        .merge(crate::auth::login::router())
        .merge(crate::auth::recovery::router())
        .merge(crate::start::router())
        .merge(crate::profile::router())
        // Setting up SMS two-factor and a new Service-PIN: one page each, in the wizard and in the profile.
        .merge(crate::auth::phone_setup::routes(crate::auth::phone_setup::Place::Wizard))
        .merge(crate::auth::phone_setup::routes(crate::auth::phone_setup::Place::ProfileEnable))
        .merge(crate::auth::phone_setup::routes(crate::auth::phone_setup::Place::ProfileChange))
        .merge(crate::onboarding::pin_step::routes(crate::onboarding::pin_step::Place::Wizard))
        .merge(crate::onboarding::pin_step::routes(crate::onboarding::pin_step::Place::Profile))
        .merge(crate::support::router())
        .merge(crate::contacts::router())
        .merge(crate::consult::router())
        .layer(from_fn(crate::auth::login::remember_destination))
        .layer(RequestBodyLimitLayer::new(FORM_BODY_LIMIT));
    let api = crate::api::router().layer(RequestBodyLimitLayer::new(API_BODY_LIMIT));
    pages.merge(api)
}

/// What wraps every route (tests put routes of their own inside it): from the outside in, the client's
/// address, a request id and its log span, security headers, error pages, the request timeout, a caught
/// panic as the error page, unreadable URIs and the CSRF check.
pub fn edge(routes: Router<AppState>, state: AppState) -> Router {
    let request_timeout = state.config.http.request_timeout;
    routes
        .fallback(|| async { AppError::NotFound })
        .layer(from_fn_with_state(state.clone(), crate::web::language::switch))
        .layer(from_fn_with_state(state.clone(), crate::security::headers::csrf_origin_check))
        .layer(from_fn(refuse_unreadable_uris))
        .layer(from_fn_with_state(state.clone(), refuse_while_database_away))
        .layer(CatchPanicLayer::custom(|_| AppError::Panic.into_response()))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(from_fn_with_state(state.clone(), crate::web::page::render_error_pages))
        .layer(from_fn_with_state(state.clone(), crate::security::headers::security_headers))
        .layer(from_fn(log_requests))
        .layer(from_fn_with_state(state.clone(), resolve_client))
        .with_state(state)
}

/// Puts the client's address (see `security::client_addr`) on the request for every layer and handler.
async fn resolve_client(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(peer) = peer {
        let http = &state.config.http;
        let client = client_addr::resolve(peer, request.headers(), &http.trusted_proxies, http.forwarded_header);
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

async fn ready(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(error) => {
            tracing::warn!(%error, "Datenbank nicht erreichbar");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// While the database is away every page needs it (sessions, links, rate limits): the answer is the
/// "vorübergehend nicht verfügbar" page at once. Health checks and static files go on.
async fn refuse_while_database_away(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if state.db.is_away() && path != "/healthz" && !path.starts_with("/static/") {
        return AppError::DatabaseAway.into_response();
    }
    next.run(request).await
}

/// Paths and query strings with control, invisible or direction-changing characters never reach a handler
/// (a NUL in a path segment would reach PostgreSQL); the API answers in its own format.
async fn refuse_unreadable_uris(request: Request, next: Next) -> Response {
    match crate::web::text::check_uri(request.uri()) {
        Ok(()) => next.run(request).await,
        Err(problem) if request.uri().path().starts_with("/api/") => {
            crate::api::problem::Problem::invalid_text("", problem).into_response()
        }
        Err(problem) => AppError::InvalidText(problem).into_response(),
    }
}

/// Every log line of a request carries its id (a span), which the response names in `X-Request-Id`; one
/// closing line per request, with the route pattern instead of the path: paths can carry link tokens. The
/// id is always our own: one sent by the client is not trusted into the logs.
async fn log_requests(request: Request, next: Next) -> Response {
    let id: String = crate::security::token::random_bytes::<8>().iter().map(|b| format!("{b:02x}")).collect();
    let span = tracing::info_span!("request", id = %id);
    async move {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "(unbekannt)".to_owned(), |p| p.as_str().to_owned());
        let method = request.method().clone();
        let started = Instant::now();
        let mut response = next.run(request).await;
        let status = response.status().as_u16();
        tracing::debug!(%method, %route, status, ms = started.elapsed().as_millis() as u64, "Anfrage");
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert("x-request-id", value);
        }
        response
    }
    .instrument(span)
    .await
}

/// A running server (and, unless switched off, its delivery worker).
pub struct App {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// SQLite with the delivery worker: the lock that keeps a second `serve` off the same file.
    _serve_lock: Option<std::fs::File>,
}

pub struct Options {
    /// Tests deliver the outbox themselves, step by step.
    pub run_worker: bool,
}

impl App {
    pub async fn start(state: AppState, listener: TcpListener, options: Options) -> anyhow::Result<App> {
        let addr = listener.local_addr()?;
        // One-time repair of rows stored before `name_lower` existed (or imported without it).
        if crate::accounts::store::fill_name_lower(&state.db).await? > 0 {
            state.db.refresh_statistics_or_warn().await;
        }
        let sqlite = state.db.backend == crate::db::Backend::Sqlite;
        let serve_lock = if options.run_worker && sqlite {
            Some(crate::db::lock_for_serving(&state.config.database_url)?)
        } else {
            None
        };
        let (shutdown, signal) = watch::channel(false);
        let mut tasks = Vec::new();
        let tls = state.config.http.tls.as_ref().map(crate::server::tls_acceptor).transpose()?;
        let header_timeout = state.config.http.header_timeout;
        tasks.push(tokio::spawn(crate::server::run(
            listener,
            router(state.clone()),
            tls,
            header_timeout,
            signal.clone(),
        )));
        if state.db.backend == crate::db::Backend::Postgres {
            let url = state.config.database_url.clone();
            tasks.push(tokio::spawn(state.live.clone().listen(url, signal.clone())));
            tasks.push(tokio::spawn(state.db.clone().watch_availability(signal.clone())));
        }
        if options.run_worker {
            // On SQLite this process is the only worker (one `serve` per file): a claim still held was left
            // by a process that was killed while sending, and waiting for it to run out only delays mail.
            // (On PostgreSQL another instance may hold it; there it runs out after two minutes.)
            if sqlite {
                crate::notify::outbox::release_claims(&state.db).await?;
            }
            // Housekeeping, registered here: every feature's own clean-up, on its own schedule.
            tasks.push(tokio::spawn(every(
                3600,
                "Termindaten löschen",
                state.clone(),
                signal.clone(),
                |s| async move { crate::consult::purge::run_once(&s).await.map(drop) },
            )));
            tasks.push(tokio::spawn(every(
                300,
                "abgelaufene Sitzungen und Zähler entfernen",
                state.clone(),
                signal.clone(),
                |s| async move {
                    crate::accounts::session::purge_expired(&s).await?;
                    crate::security::rate_limit::purge(&s.db, s.clock.now()).await?;
                    s.db.purge_serial_locks(s.clock.now() - 86_400).await.map(drop)
                },
            )));
            tasks.push(tokio::spawn(crate::notify::worker::run(state.clone(), signal)));
        }
        Ok(App { addr, state, shutdown, tasks, _serve_lock: serve_lock })
    }

    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Runs `job` now and then every `seconds` until `shutdown`; a failure is logged and tried again next time.
async fn every<F, Fut>(seconds: u64, what: &'static str, state: AppState, mut shutdown: watch::Receiver<bool>, job: F)
where
    F: Fn(AppState) -> Fut,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>>,
{
    loop {
        if let Err(error) = job(state.clone()).await {
            tracing::warn!(%error, what, "Aufräumen fehlgeschlagen, nächster Versuch folgt");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(seconds)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// `sprechstunde serve`: runs until Ctrl-C or SIGTERM, then finishes open requests.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("{} kann nicht geöffnet werden: {e}", config.listen))?;
    let state = AppState::new(config, Clock::System).await?;
    let app = App::start(state, listener, Options { run_worker: true }).await?;
    let config = &app.state.config;
    tracing::info!(listen = %app.addr, public_url = %config.public_url, "Sprechstunde läuft");
    if config.may_log_links() {
        tracing::info!(
            "E-Mails werden als Dateien gespeichert (Entwicklung); Registrierungslinks erscheinen in diesem Log"
        );
    }
    shutdown_signal().await;
    tracing::info!("Beende …");
    app.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler can be installed");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
