//! Errors of the admin API as `application/problem+json` (RFC 9457): always a clear 4xx for bad input.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Problem { status, title, detail: detail.into() }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "Ungültige Anfrage", detail)
    }

    /// A value with control, invisible or direction-changing characters, or too long (see `web::text`).
    pub fn invalid_text(field: &str, problem: crate::web::text::TextProblem) -> Self {
        let at = if field.is_empty() { String::new() } else { format!("{field}: ") };
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Ungültige Eingabe", format!("{at}{problem}."))
    }

    pub fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "Nicht angemeldet",
            "Ein gültiger API-Token fehlt (Authorization: Bearer …).",
        )
    }

    pub fn forbidden(scope: &str) -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            "Keine Berechtigung",
            format!("Dieser API-Token hat nicht den Scope {scope}."),
        )
    }

    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "Nicht gefunden", "Diesen Account gibt es nicht.")
    }
}

/// Every domain error of the account record, mapped once.
impl From<crate::accounts::AccountError> for Problem {
    fn from(error: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError;
        match error {
            AccountError::NotFound(_) => Problem::not_found(),
            AccountError::EmailTaken(email) => Problem::new(
                StatusCode::CONFLICT,
                "Existiert bereits",
                format!("Für {email} gibt es bereits einen Account."),
            ),
            AccountError::AlreadyRegistered(_) => {
                Problem::new(StatusCode::CONFLICT, "Bereits registriert", "Dieser Account ist bereits registriert.")
            }
            AccountError::Database(e) => e.into(),
            AccountError::Template(e) => {
                tracing::error!(error = %e, "API: Vorlagenfehler");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Interner Fehler", "Bitte später erneut versuchen.")
            }
            invalid
            @ (AccountError::InvalidEmail(_) | AccountError::InvalidName | AccountError::UnknownEdition(..)) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Ungültige Angaben", invalid.to_string())
            }
        }
    }
}

impl From<sqlx::Error> for Problem {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "API: Datenbankfehler");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Vorübergehend nicht verfügbar", "Bitte später erneut versuchen.")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = crate::web::problem::json(self.status, self.title, &self.detail);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
