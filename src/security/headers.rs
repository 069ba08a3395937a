//! Security headers on every response and the CSRF check on every state-changing request.
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_static {
        // Pages carry personal data or tokens: never store them in any cache.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.is_https() {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Browsers send `Origin` and `Sec-Fetch-Site` with every form post; a post from another site is refused.
/// Under `Referrer-Policy: no-referrer` browsers send `Origin: null`, so then `Sec-Fetch-Site` decides.
/// Requests with neither header (command-line clients) carry no ambient browser cookies to abuse.
pub async fn csrf_origin_check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    if same_origin(request.headers(), state.config.public_origin()) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "Anfrage fremder Herkunft abgelehnt");
        AppError::CrossOrigin.into_response()
    }
}

fn same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (get("origin"), get("sec-fetch-site")) {
        (Some(origin), _) if origin == public_origin => true,
        (Some("null") | None, Some("same-origin" | "none")) => true,
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn origin_rules() {
        let public = "https://praxis.example";
        assert!(same_origin(&headers(&[("origin", "https://praxis.example")]), public));
        assert!(!same_origin(&headers(&[("origin", "https://evil.example")]), public));
        assert!(!same_origin(&headers(&[("origin", "http://praxis.example")]), public), "scheme counts");
        // no-referrer makes browsers send `Origin: null`; then Sec-Fetch-Site decides.
        assert!(same_origin(&headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]), public));
        assert!(!same_origin(&headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")]), public));
        assert!(!same_origin(&headers(&[("origin", "null")]), public), "sandboxed frames send null");
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")]), public));
        assert!(same_origin(&headers(&[]), public), "non-browser clients");
    }
}
