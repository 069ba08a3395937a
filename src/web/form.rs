//! Form bodies: unknown, repeated or array-style fields (`email[]`) are refused with 400, never guessed at.
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::web::text::{self, Shown};

pub struct StrictForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let body =
            axum::body::Bytes::from_request(request, state).await.map_err(|e| AppError::BadRequest(e.to_string()))?;
        parse(&body).map(StrictForm)
    }
}

pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for (key, _) in &pairs {
        if !seen.insert(key.as_str()) {
            return Err(AppError::BadRequest(format!("Feld „{key}“ mehrfach gesendet")));
        }
    }
    for (key, value) in &pairs {
        text::check(value, Shown::for_field(key)).map_err(AppError::InvalidText)?;
    }
    // Structs using this are `deny_unknown_fields`, so `email[]` and friends are refused as well.
    serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Login {
        username: String,
        #[allow(dead_code)]
        password: String,
    }

    #[test]
    fn refuses_repeated_and_array_fields() {
        assert_eq!(parse::<Login>(b"username=a&password=b").unwrap().username, "a");
        assert!(parse::<Login>(b"username=a&username=b&password=c").is_err());
        assert!(parse::<Login>(b"username%5B%5D=a&password=c").is_err());
        assert!(parse::<Login>(b"username=a").is_err(), "missing field");
        assert!(matches!(parse::<Login>(b"username=a%00&password=b"), Err(AppError::InvalidText(_))));
    }
}
