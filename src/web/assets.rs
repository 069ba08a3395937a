//! Static files, embedded in the binary (no build step, no third-party resources).
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

const FILES: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    ("step1.js", "text/javascript; charset=utf-8", include_str!("../../static/step1.js")),
    ("code.js", "text/javascript; charset=utf-8", include_str!("../../static/code.js")),
    ("counter.js", "text/javascript; charset=utf-8", include_str!("../../static/counter.js")),
    ("pin.js", "text/javascript; charset=utf-8", include_str!("../../static/pin.js")),
    ("live.js", "text/javascript; charset=utf-8", include_str!("../../static/live.js")),
    ("room.js", "text/javascript; charset=utf-8", include_str!("../../static/room.js")),
    ("devices.js", "text/javascript; charset=utf-8", include_str!("../../static/devices.js")),
    ("common-passwords.txt", "text/plain; charset=utf-8", crate::domain::password_policy::COMMON_PASSWORDS),
];

pub async fn serve(Path(name): Path<String>) -> Result<Response, AppError> {
    let (_, content_type, body) = FILES.iter().find(|(n, _, _)| *n == name).ok_or(AppError::NotFound)?;
    let mut response = (*body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    Ok(response)
}
