//! Opening links by their token, limited per client network (the in-memory counters are in `state`).
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::AppError;
use crate::security::client_addr::{self, ClientIp};
use crate::state::AppState;

/// A request that opens a link by its token (`/t/…`, `/weiter/…`, `/registrierung/…`,
/// `/passwort-vergessen/…`), as a handler argument: counted per client network, at most
/// [`crate::state::LINK_OPENINGS_PER_MINUTE`] a minute; beyond that the "Zu viele Anfragen" page with
/// `Retry-After`.
pub struct LinkOpening;

impl FromRequestParts<AppState> for LinkOpening {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(ClientIp(addr)) = ClientIp::from_request_parts(parts, state).await;
        let key = client_addr::network_key(addr);
        state.link_openings.hit(&state.db, &key, state.clock.now()).await.map_err(|retry_after| {
            tracing::info!(client = %key, "zu viele Links geöffnet");
            AppError::TooManyRequests { retry_after }
        })?;
        Ok(LinkOpening)
    }
}
