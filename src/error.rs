//! One error type for all handlers. It is logged once here; the page a person sees is rendered by
//! [`crate::web::page::render_error_pages`], which knows the language and the support contact.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("ungültige Anfrage: {0}")]
    BadRequest(String),
    #[error("Eingabe {0}")]
    InvalidText(crate::web::text::TextProblem),
    #[error("Anfrage fremder Herkunft")]
    CrossOrigin,
    #[error("kein Zugriff")]
    Forbidden,
    #[error("nicht gefunden")]
    NotFound,
    #[error("zu viele Anfragen, erneut in {retry_after} s")]
    TooManyRequests { retry_after: i64 },
    #[error("Datenbankfehler: {0}")]
    Database(#[from] sqlx::Error),
    /// The database is known to be away (`Db::is_away`); logged once when that began, not per request.
    #[error("Datenbank nicht erreichbar")]
    DatabaseAway,
    #[error("Vorlagenfehler: {0}")]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(String),
    /// Not an error: a guard sends the request elsewhere (to sign in, to the next wizard step, to a page
    /// that explains why). Lets guards and extractors end a handler with `?`.
    #[error("anderswohin geschickt")]
    Elsewhere(Box<std::sync::Mutex<Response>>),
    /// A handler panicked; the panic hook has logged it already (one line, in the request's span).
    #[error("Programmfehler")]
    Panic,
}

/// What kind of error page to show; attached to the response for the page renderer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPage {
    BadRequest,
    InvalidText(crate::web::text::TextProblem),
    CrossOrigin,
    Forbidden,
    NotFound,
    TooManyRequests,
    Internal,
    Unavailable,
    /// The request took longer than `http.request_timeout` (a slow upload, a stuck query).
    Timeout,
    /// The body was larger than its route class allows.
    TooLarge,
}

impl ErrorPage {
    /// The bare answers of the tower layers (timeout, body limit) and of axum's body extractors carry no
    /// marker; they get theirs here, so they are shown like every other error.
    pub fn for_bare(status: StatusCode) -> Option<ErrorPage> {
        match status {
            StatusCode::REQUEST_TIMEOUT => Some(ErrorPage::Timeout),
            StatusCode::PAYLOAD_TOO_LARGE => Some(ErrorPage::TooLarge),
            _ => None,
        }
    }
}

impl AppError {
    pub fn elsewhere(response: impl IntoResponse) -> Self {
        // In a mutex only so that the error type stays `Sync` (a response body is not).
        AppError::Elsewhere(Box::new(std::sync::Mutex::new(response.into_response())))
    }
}

/// The database is away (stopped, restarting, unreachable), not wrong: the answer is the "vorübergehend nicht
/// verfügbar" page. PostgreSQL says so with class 08 (connection exception) and with 57P01–57P03 (shutting
/// down, crashed, starting up); a cancelled statement (57014) is an error like any other.
fn database_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        // A connection cut while it was being made ("unexpected response from SSLRequest").
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(e) => {
            e.code().is_some_and(|code| code.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&&*code))
        }
        _ => false,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, page) = match &self {
            AppError::Elsewhere(_) => {
                let AppError::Elsewhere(response) = self else { unreachable!() };
                return response.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            AppError::BadRequest(reason) => {
                tracing::info!(%reason, "ungültige Anfrage");
                (StatusCode::BAD_REQUEST, ErrorPage::BadRequest)
            }
            AppError::InvalidText(problem) => {
                tracing::info!(%problem, "Eingabe abgelehnt");
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorPage::InvalidText(*problem))
            }
            AppError::CrossOrigin => (StatusCode::FORBIDDEN, ErrorPage::CrossOrigin),
            AppError::Forbidden => (StatusCode::FORBIDDEN, ErrorPage::Forbidden),
            AppError::NotFound => (StatusCode::NOT_FOUND, ErrorPage::NotFound),
            AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorPage::TooManyRequests),
            AppError::DatabaseAway => (StatusCode::SERVICE_UNAVAILABLE, ErrorPage::Unavailable),
            AppError::Database(error) if database_unreachable(error) => {
                tracing::error!(error = %self, "Datenbank nicht erreichbar");
                (StatusCode::SERVICE_UNAVAILABLE, ErrorPage::Unavailable)
            }
            AppError::Panic => (StatusCode::INTERNAL_SERVER_ERROR, ErrorPage::Internal),
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                tracing::error!(error = %self, "interner Fehler");
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorPage::Internal)
            }
        };
        let mut response = (status, page_placeholder(page)).into_response();
        if let AppError::TooManyRequests { retry_after } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
        }
        if page == ErrorPage::Unavailable {
            // A database that restarts is usually back within seconds.
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(5));
        }
        response.extensions_mut().insert(page);
        response
    }
}

/// Plain text used only if the page renderer is not in the stack (never seen in the running service).
fn page_placeholder(page: ErrorPage) -> &'static str {
    match page {
        ErrorPage::BadRequest => "Ungültige Anfrage",
        ErrorPage::InvalidText(_) => "Eingabe nicht möglich",
        ErrorPage::CrossOrigin => "Anfrage abgelehnt",
        ErrorPage::Forbidden => "Kein Zugriff",
        ErrorPage::NotFound => "Seite nicht gefunden",
        ErrorPage::TooManyRequests => "Zu viele Anfragen",
        ErrorPage::Internal => "Ein Fehler ist aufgetreten",
        ErrorPage::Unavailable => "Dienst vorübergehend nicht verfügbar",
        ErrorPage::Timeout => "Zeitüberschreitung",
        ErrorPage::TooLarge => "Anfrage zu groß",
    }
}

pub type AppResult<T> = Result<T, AppError>;
