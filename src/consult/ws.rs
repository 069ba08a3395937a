//! `/ws`: one WebSocket per page. The host's appointment page gets its participant list, the guest's
//! waiting room its status, and both who is in the video room, each time something changes (on any
//! instance, see `live`). The server only pushes what it re-read from the database. Clients send pings
//! and the video signalling (SDP, ICE), which is relayed between the members of one room only.
//!
//! Rules: `Origin` must be the public URL's origin (no other site may open it with the visitor's
//! cookies); the session cookie decides who is speaking, and is checked again with every update and
//! heartbeat (a host who signs out, or whose session runs out, gets nothing more); messages are typed
//! JSON of at most 7 KiB; at most [`RATE_MAX`] messages per 10 s per connection, at most 8 connections
//! per session; a ping every 20 s, and a connection silent for 60 s is closed. The page's script
//! reconnects with growing pauses and is sent the current state at once.
use std::time::{Duration, Instant};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use crate::accounts::Account;
use crate::consult::store::{self, Appointment, OtherDevice};
use crate::consult::views::HOST;
use crate::consult::{guest, views};
use crate::domain::lang::Lang;
use crate::domain::participant::ParticipantState;
use crate::error::{AppError, AppResult};
use crate::live::{EVERYTHING, Event};
use crate::security::turn;
use crate::state::AppState;

/// An SDP offer with audio and video is 4–6 KiB; a relay must fit PostgreSQL's 8000-byte `NOTIFY`.
pub const MAX_MESSAGE: usize = 7 * 1024;
const RATE_WINDOW: Duration = Duration::from_secs(10);
/// A connection's start sends an offer and a burst of ICE candidates to each of up to three others.
pub const RATE_MAX: u32 = 120;
const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(60);

/// What the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The host's participant list; `waiting` lists who waits now (new ones are announced by sound).
    Participants {
        html: String,
        waiting: Vec<String>,
        /// Who waits, over the video in the host's room.
        banner: String,
        room: RoomView,
    },
    /// The guest's status panel.
    Status {
        html: String,
        state: String,
        room: RoomView,
    },
    Pong,
    /// How to reach the other side: STUN and TURN servers (TURN with credentials valid until the
    /// appointment's window closes, at most 12 h), sent to the host at once and to a guest on admission.
    Ice {
        ice_servers: Vec<IceServer>,
        relay_only: bool,
    },
    /// A signalling message could not be delivered (`reason`: `not_admitted`).
    Refused {
        reason: &'static str,
    },
}

/// Who is in the video room: the list by name, and whom the page connects to (everyone but itself).
#[derive(Debug, Serialize)]
pub struct RoomView {
    html: String,
    members: Vec<views::Member>,
}

impl RoomView {
    fn of(roster: views::Roster) -> Result<RoomView, askama::Error> {
        Ok(RoomView { html: askama::Template::render(&roster)?, members: roster.members })
    }
}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Debug, Serialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

fn ice(state: &AppState, appointment: &Appointment) -> ServerMessage {
    let settings = &state.config.ice;
    let mut servers = Vec::new();
    if !settings.stun_urls.is_empty() {
        servers.push(IceServer { urls: settings.stun_urls.clone(), username: None, credential: None });
    }
    if let (false, Some(secret)) = (settings.turn_urls.is_empty(), &settings.turn_secret) {
        let now = state.clock.now();
        let expires = appointment.window(&state.config.appointments).closes.min(now + turn::MAX_LIFETIME);
        let random = crate::security::token::new_id();
        let credentials = turn::credentials(secret.expose(), expires, &random[..12]);
        servers.push(IceServer {
            urls: settings.turn_urls.clone(),
            username: Some(credentials.username),
            credential: Some(credentials.credential),
        });
    }
    ServerMessage::Ice { ice_servers: servers, relay_only: settings.relay_only }
}

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// `NoFields`: serde lets a unit variant of a tagged enum carry any fields; a struct refuses them.
    Ping(NoFields),
    /// Signalling (SDP, ICE) for `to`: `"host"` or a participant id of the same appointment. Relayed as
    /// is, never stored, and only between members of the room: the host and admitted guests.
    Signal { to: String, payload: serde_json::Value },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsQuery {
    termin: Option<String>,
}

enum Viewer {
    /// The host's cookies, to check on every update that the session still holds.
    Host {
        cookies: HeaderMap,
        session_hash: String,
        /// `live::sessions_of` the host: announced when sessions of the account end.
        sessions_topic: String,
        lang: Lang,
    },
    Guest {
        session_hash: String,
        participant_id: String,
        lang: Lang,
    },
}

/// The signed-in, unlocked host with nothing left to set up (as `ProductUser` demands of the pages).
async fn signed_in_host(state: &AppState, headers: &HeaderMap) -> Option<(String, Account)> {
    let (session, account) = crate::accounts::guards::signed_in(state, headers).await.ok()?;
    (account.home_path() == "/").then_some((session.id_hash, account))
}

/// `GET /ws` (guest) or `GET /ws?termin=…` (host of that appointment).
pub async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    // A plain request, or a query that is not ours, gets the error page like everything else.
    let upgrade = upgrade.map_err(|rejection| AppError::BadRequest(rejection.to_string()))?;
    let query: WsQuery = crate::web::form::parse(query.unwrap_or_default().as_bytes())?;
    let origin = headers.get("origin").and_then(|v| v.to_str().ok());
    if origin != Some(state.config.public_origin()) {
        tracing::warn!("WebSocket fremder Herkunft abgelehnt");
        return Err(AppError::CrossOrigin);
    }
    let (viewer, appointment) = match query.termin {
        Some(id) => {
            let (session_hash, account) = signed_in_host(&state, &headers).await.ok_or(AppError::Forbidden)?;
            let appointment = store::find_for_host(&state.db, &account.id, &id).await?.ok_or(AppError::NotFound)?;
            let mut cookies = HeaderMap::new();
            cookies.extend(
                headers.get_all(axum::http::header::COOKIE).iter().map(|v| (axum::http::header::COOKIE, v.clone())),
            );
            let sessions_topic = crate::live::sessions_of(&account.id);
            (Viewer::Host { cookies, session_hash, sessions_topic, lang: account.language }, appointment)
        }
        None => {
            let (session_hash, session) = guest::current(&state, &headers).await?.ok_or(AppError::Forbidden)?;
            let lang = Lang::from_headers(&headers);
            (Viewer::Guest { session_hash, participant_id: session.participant.id, lang }, session.appointment)
        }
    };
    let key = match &viewer {
        Viewer::Host { session_hash, .. } | Viewer::Guest { session_hash, .. } => session_hash.clone(),
    };
    let slot = state.live.slot(&key).ok_or(AppError::TooManyRequests { retry_after: 10 })?;
    Ok(upgrade.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE).on_upgrade(move |socket| async move {
        serve(state, socket, viewer, appointment).await;
        drop(slot);
    }))
}

/// The current view for this viewer, and whether the connection ends after it (the host signed out, the
/// guest's invitation ended). `None`: nothing more to show.
async fn snapshot(
    state: &AppState,
    viewer: &Viewer,
    appointment: &Appointment,
) -> AppResult<(Option<ServerMessage>, bool)> {
    match viewer {
        Viewer::Host { cookies, lang, .. } => {
            let Some((_, host)) = signed_in_host(state, cookies).await else { return Ok((None, true)) };
            let Some(appointment) = store::find_for_host(&state.db, &host.id, &appointment.id).await? else {
                return Ok((None, true));
            };
            let participants = store::participants(&state.db, &appointment.id).await?;
            let facts = views::Facts::read(state, &appointment).await?;
            let room = RoomView::of(views::Roster::of(&appointment, &participants, HOST, *lang))?;
            let list = views::participant_lines(&appointment, participants, &facts, *lang);
            let waiting = list.waiting();
            let banner = askama::Template::render(&list.banner())?;
            let html = askama::Template::render(&list)?;
            Ok((Some(ServerMessage::Participants { html, waiting, banner, room }), !appointment.is_open()))
        }
        Viewer::Guest { session_hash, lang, .. } => {
            let found = store::guest_session(&state.db, session_hash, state.clock.now()).await?;
            let (participant, appointment, other_device) = match &found {
                Some(session) => (Some(&session.participant), &session.appointment, session.other_device),
                None => (None, appointment, None),
            };
            let window = appointment.window(&state.config.appointments);
            let open = window.position(state.clock.now()) == crate::domain::appointment::WindowPosition::Open;
            let status = views::guest_status(participant, other_device, appointment, *lang, open);
            // A declined or replaced device has nothing more to wait for.
            let finished = participant.is_none_or(|p| p.state.is_final())
                || !appointment.is_open()
                || matches!(other_device, Some(OtherDevice::Declined | OtherDevice::Replaced));
            let me = participant.map_or("", |p| p.id.as_str());
            let roster = if status.state == ParticipantState::Admitted.as_str() {
                views::Roster::of(appointment, &store::participants(&state.db, &appointment.id).await?, me, *lang)
            } else {
                views::Roster::empty(me, *lang)
            };
            let (html, state_name) = (askama::Template::render(&status)?, status.state.to_owned());
            Ok((Some(ServerMessage::Status { html, state: state_name, room: RoomView::of(roster)? }), finished))
        }
    }
}

async fn send(socket: &mut WebSocket, message: &ServerMessage) -> bool {
    let Ok(text) = serde_json::to_string(message) else { return false };
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// A frame or message over [`MAX_MESSAGE`] (the WebSocket library's capacity error).
fn too_big(error: &axum::Error) -> bool {
    let text = error.to_string();
    text.contains("Space limit exceeded") || text.contains("too long") || text.contains("too big")
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

async fn serve(state: AppState, mut socket: WebSocket, viewer: Viewer, appointment: Appointment) {
    let me: String = match &viewer {
        Viewer::Host { .. } => HOST.to_owned(),
        Viewer::Guest { participant_id, .. } => participant_id.clone(),
    };
    // Known from the last snapshot: relays reach a guest only while admitted, and go out only to members
    // of the room (no query per ICE candidate).
    let mut admitted = matches!(viewer, Viewer::Host { .. });
    let mut room: Vec<String> = Vec::new();
    // TURN credentials go out once per admission (the host: once per connection).
    let mut ice_sent = false;
    let mut updates = state.live.subscribe();
    let mut last_sent = String::new();
    let mut heartbeat = tokio::time::interval(PING_EVERY);
    heartbeat.tick().await;
    let mut last_heard = Instant::now();
    let (mut window_start, mut in_window) = (Instant::now(), 0u32);
    let mut refresh = true;
    loop {
        if refresh {
            refresh = false;
            match snapshot(&state, &viewer, &appointment).await {
                Ok((message, finished)) => {
                    if let Some(ServerMessage::Status { state, .. }) = &message {
                        admitted = state == ParticipantState::Admitted.as_str();
                    }
                    if let Some(
                        ServerMessage::Participants { room: view, .. } | ServerMessage::Status { room: view, .. },
                    ) = &message
                    {
                        room = view.members.iter().map(|m| m.id.clone()).collect();
                    }
                    let text = serde_json::to_string(&message).unwrap_or_default();
                    if let Some(message) = message.filter(|_| text != last_sent) {
                        if !send(&mut socket, &message).await {
                            return;
                        }
                        last_sent = text;
                    }
                    if finished {
                        return close(socket, 1000, "ended").await;
                    }
                    if admitted && !ice_sent {
                        if !send(&mut socket, &ice(&state, &appointment)).await {
                            return;
                        }
                        ice_sent = true;
                    }
                    ice_sent &= admitted;
                }
                Err(error) => {
                    tracing::warn!(%error, "Live-Ansicht konnte nicht gelesen werden");
                    return close(socket, 1011, "unavailable").await;
                }
            }
        }
        tokio::select! {
            update = updates.recv() => match update {
                Ok(Event::Changed(topic)) => {
                    let own = matches!(&viewer, Viewer::Host { sessions_topic, .. } if **sessions_topic == *topic);
                    refresh = *topic == appointment.id || &*topic == EVERYTHING || own;
                }
                Ok(Event::Relay { topic, to, from, payload }) => {
                    // Only from someone in the room as this socket knows it: a sender sent back a moment
                    // ago, whose own socket has not refreshed yet, reaches no one.
                    if *topic == appointment.id && *to == me && admitted && room.iter().any(|id| **id == *from) {
                        let text = format!(
                            r#"{{"type":"signal","from":{},"payload":{payload}}}"#,
                            serde_json::to_string(&*from).unwrap_or_default()
                        );
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => refresh = true,
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    // Over 7 KiB: said with its close code, not dropped in silence.
                    Some(Err(error)) if too_big(&error) => return close(socket, 1009, "message too big").await,
                    _ => return,
                };
                last_heard = Instant::now();
                if window_start.elapsed() >= RATE_WINDOW {
                    (window_start, in_window) = (Instant::now(), 0);
                }
                in_window += 1;
                if in_window > RATE_MAX {
                    tracing::info!(%me, "WebSocket wegen zu vieler Nachrichten geschlossen");
                    return close(socket, 1008, "too many messages").await;
                }
                match message {
                    Message::Text(text) => match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Ping(_)) => {
                            if !send(&mut socket, &ServerMessage::Pong).await {
                                return;
                            }
                        }
                        // Only between members of the room, as the last snapshot (which every change
                        // refreshes) knows it; the recipient's socket checks its own admission too.
                        Ok(ClientMessage::Signal { to, payload }) => {
                            if admitted && to != me && room.contains(&to) {
                                state.live.relay(&state.db, &appointment.id, &to, &me, &payload.to_string()).await;
                            } else {
                                tracing::debug!(%me, %to, admitted, "WebSocket: Signal abgewiesen");
                                if !send(&mut socket, &ServerMessage::Refused { reason: "not_admitted" }).await {
                                    return;
                                }
                            }
                        }
                        Err(_) => return close(socket, 1003, "unknown message").await,
                    },
                    Message::Binary(_) => return close(socket, 1003, "text only").await,
                    Message::Close(_) => return,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() >= SILENCE_LIMIT {
                    return close(socket, 1001, "silent").await;
                }
                // Sessions end by time too (idle, absolute, the appointment's window): look again.
                refresh = true;
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_with_fields_of_their_own_are_refused() {
        assert!(matches!(serde_json::from_str::<ClientMessage>(r#"{"type":"ping"}"#), Ok(ClientMessage::Ping(_))));
        let signal = r#"{"type":"signal","to":"host","payload":{"hello":true}}"#;
        assert!(matches!(serde_json::from_str::<ClientMessage>(signal), Ok(ClientMessage::Signal { .. })));
        for unknown in [
            r#"{"type":"ping","admin":true}"#,
            r#"{"type":"signal","to":"host","payload":{},"from":"someone-else"}"#,
            r#"{"type":"shout"}"#,
        ] {
            assert!(serde_json::from_str::<ClientMessage>(unknown).is_err(), "{unknown}");
        }
    }
}
