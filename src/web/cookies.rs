//! The session cookies — one for accounts, one for guests, so that a host and a guest in one browser
//! never replace each other's session — read from `Cookie`, written with the flags the checklist asks for.
use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::Config;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jar {
    Account,
    Guest,
}

pub fn cookie_name(config: &Config, jar: Jar) -> &'static str {
    // `__Host-` binds the cookie to this host and path `/`, and requires `Secure`.
    match (jar, config.is_https()) {
        (Jar::Account, true) => "__Host-sid",
        (Jar::Account, false) => "sid",
        (Jar::Guest, true) => "__Host-gid",
        (Jar::Guest, false) => "gid",
    }
}

pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub fn set(config: &Config, jar: Jar, value: &str) -> HeaderValue {
    let secure = if config.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}", cookie_name(config, jar)))
        .expect("token is a valid header value")
}

pub fn clear(config: &Config, jar: Jar) -> HeaderValue {
    let secure = if config.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", cookie_name(config, jar)))
        .expect("static header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_among_several_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; sid=abc; b=2"));
        assert_eq!(read(&headers, "sid").as_deref(), Some("abc"));
        assert_eq!(read(&headers, "x"), None);
    }

    #[test]
    fn flags_follow_the_public_url() {
        let mut config = Config::defaults_in(std::path::Path::new("/tmp"));
        let plain = set(&config, Jar::Account, "t").to_str().unwrap().to_owned();
        assert_eq!(plain, "sid=t; Path=/; HttpOnly; SameSite=Lax");
        config.public_url = "https://praxis.example".into();
        let secure = set(&config, Jar::Account, "t").to_str().unwrap().to_owned();
        assert_eq!(secure, "__Host-sid=t; Path=/; HttpOnly; SameSite=Lax; Secure");
        assert!(!secure.contains("Domain"));
        assert!(set(&config, Jar::Guest, "t").to_str().unwrap().starts_with("__Host-gid=t;"));
    }
}
