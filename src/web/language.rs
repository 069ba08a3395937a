//! The language switch in every page's header: a link to the same page with `?sprache=en` (or `de`). The
//! choice is kept in a cookie and the browser sent back to the page without the parameter. Pages follow the
//! cookie; the account takes the choice at sign-in or in the profile (a GET never changes what is stored).
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::web::i18n::{Lang, lang_cookie};

/// The chosen language of a `?sprache=…` query, and the query without it.
fn split_query(query: &str) -> Option<(Lang, String)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let lang = pairs.iter().find(|(key, _)| key == "sprache").and_then(|(_, value)| Lang::parse(value))?;
    let rest: Vec<&(String, String)> = pairs.iter().filter(|(key, _)| key != "sprache").collect();
    Some((lang, serde_urlencoded::to_string(rest).unwrap_or_default()))
}

/// The same page without the parameter; never another site (`//evil.example` is a path to the server, but
/// a browser reads it as an address elsewhere).
fn back_to(path: &str, rest: &str) -> String {
    if path.starts_with("//") || path.starts_with("/\\") || !path.starts_with('/') {
        return "/".to_owned();
    }
    if rest.is_empty() { path.to_owned() } else { format!("{path}?{rest}") }
}

/// `?sprache=…` on a page: the cookie, and back to the page without the parameter. A GET changes nothing
/// stored; the account takes the choice when the person saves it in the profile or signs in with it.
pub async fn switch(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let page = request.method() == Method::GET && !request.uri().path().starts_with("/api/");
    let chosen = page.then(|| request.uri().query().and_then(split_query)).flatten();
    let Some((lang, rest)) = chosen else { return next.run(request).await };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&back_to(request.uri().path(), &rest)) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::SET_COOKIE, lang_cookie(lang, state.config.is_https()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_is_taken_out_of_the_query() {
        assert_eq!(split_query("sprache=en"), Some((Lang::En, String::new())));
        assert_eq!(split_query("weiter=kontakte&sprache=de"), Some((Lang::De, "weiter=kontakte".into())));
        assert_eq!(split_query("sprache=fr"), None);
        assert_eq!(split_query("q=x"), None);
    }

    #[test]
    fn back_to_the_same_page_never_elsewhere() {
        assert_eq!(back_to("/kontakte", "q=kai"), "/kontakte?q=kai");
        assert_eq!(back_to("/anmelden", ""), "/anmelden");
        assert_eq!(back_to("//evil.example/", ""), "/");
        assert_eq!(back_to("/\\evil.example", ""), "/");
    }
}
