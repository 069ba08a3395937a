//! Appointments and guest access (issue 9): window edges, revoking by cancel, "Neu erstellen" and
//! "Entfernen", code normalisation, rate limits, guest object scope, states across reconnects, the
//! invitation e-mail with its calendar file, the WebSocket rules, two instances on one PostgreSQL
//! database, and the deletion of participants' data.
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::CookieStore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::both_databases;
use crate::harness::{Backend, PASSWORD, START, TestApp};

/// START is 10:00 in Berlin; appointments in these tests start at 10:20 for 30 minutes (soon enough that
/// the host's session, idle for at most 30 minutes, is still there when the guests come).
pub const DATE: &str = "2026-11-02";
pub const TIME: &str = "10:20";
pub const STARTS_AT: i64 = START + 20 * 60;

pub type Jar = Arc<reqwest::cookie::Jar>;

/// A browser whose cookies the test can read (for the WebSocket handshake).
pub fn jar_browser() -> (reqwest::Client, Jar) {
    let jar = Jar::default();
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (client, jar)
}

/// A registered host, signed in in a browser whose cookies the test can read.
pub async fn host(app: &TestApp, email: &str, username: &str) -> (reqwest::Client, Jar) {
    app.member(email, "Dr. Hanna Wolf", username, false).await;
    let (browser, jar) = jar_browser();
    let signed_in = app.post(&browser, "/anmelden", &[("username", username), ("password", PASSWORD)]).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/");
    (browser, jar)
}

pub async fn create_appointment(app: &TestApp, host: &reqwest::Client, date: &str, time: &str) -> String {
    let response =
        app.post(host, "/termine", &[("date", date), ("time", time), ("duration", "30"), ("title", "Befund")]).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location.trim_start_matches("/termine/").trim_end_matches("?angelegt").to_owned()
}

/// Link and code as shown once on the host's page.
pub struct Invitation {
    pub link: String,
    pub code: String,
}

pub fn invitation_in(html: &str) -> Invitation {
    let after = |marker: &str, end: char| {
        let start = html.find(marker).unwrap_or_else(|| panic!("{marker} in page")) + marker.len();
        html[start..start + html[start..].find(end).unwrap()].to_owned()
    };
    Invitation {
        link: after("id=\"fresh-link\" type=\"text\" readonly value=\"", '"'),
        code: after("id=\"fresh-code-shown\">", '<'),
    }
}

pub async fn add_participant(app: &TestApp, host: &reqwest::Client, id: &str, fields: &[(&str, &str)]) -> Invitation {
    let response = app.post(host, &format!("/termine/{id}/teilnehmer"), fields).await;
    fresh_after(app, host, response).await.0
}

/// Post/redirect/get: the answer to a form that made fresh access details is a redirect, and the page it
/// leads to shows them once. Returns them and that page's address.
pub async fn fresh_after(app: &TestApp, host: &reqwest::Client, response: reqwest::Response) -> (Invitation, String) {
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("?zugang="), "{location}");
    let page = app.get(host, &location).await;
    assert_eq!(page.status(), 200);
    (invitation_in(&page.text().await.unwrap()), location)
}

pub async fn participant_id(app: &TestApp, name: &str) -> String {
    sqlx::query_scalar("SELECT id FROM participants WHERE name = $1")
        .bind(name)
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap()
}

pub async fn state_of(app: &TestApp, participant: &str) -> String {
    sqlx::query_scalar("SELECT state FROM participants WHERE id = $1")
        .bind(participant)
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap()
}

/// Opens the link, checks in with consent; returns the guest's browser (in the waiting room).
pub async fn guest_by_link(app: &TestApp, link: &str) -> (reqwest::Client, Jar) {
    let (guest, jar) = jar_browser();
    let opened = app.get(&guest, link).await;
    assert_eq!(opened.status(), 303, "{}", opened.text().await.unwrap());
    assert_eq!(opened.headers()["location"], "/teilnehmen/eintreten");
    check_in(app, &guest).await;
    (guest, jar)
}

pub async fn check_in(app: &TestApp, guest: &reqwest::Client) {
    let entered = app.post(guest, "/teilnehmen/eintreten", &[("name", "Anna Beispiel"), ("consent", "ja")]).await;
    assert_eq!(entered.status(), 303);
    assert_eq!(entered.headers()["location"], "/warteraum");
}

async fn guest_state_shown(app: &TestApp, guest: &reqwest::Client) -> String {
    let page = app.get(guest, "/warteraum").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let start = html.find("id=\"guest-status\" data-state=\"").expect("status panel") + 30;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/ws…` with the browser's cookies and the given `Origin`.
pub async fn websocket(app: &TestApp, path: &str, jar: &Jar, origin: &str) -> Result<Socket, String> {
    let url = format!("ws://{}{path}", app.base.trim_start_matches("http://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("origin", origin.parse().unwrap());
    if let Some(cookies) = jar.cookies(&app.base.parse().unwrap()) {
        request.headers_mut().insert("cookie", cookies);
    }
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket).map_err(|e| e.to_string())
}

/// The next JSON message (pings skipped), or panic after `seconds`.
pub async fn next_json(socket: &mut Socket, seconds: u64) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.expect("a message in time");
        match message.expect("socket open").expect("a frame") {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Reads messages until one satisfies `pred` (within `seconds`).
pub async fn until(socket: &mut Socket, seconds: u64, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now()).as_secs().max(1);
        let message = next_json(socket, left).await;
        if pred(&message) {
            return message;
        }
    }
}

pub fn waiting_ids(message: &serde_json::Value) -> Vec<String> {
    message["waiting"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

async fn join_with(app: &TestApp, browser: &reqwest::Client, code: &str) -> reqwest::Response {
    app.post(browser, "/teilnehmen", &[("code", code)]).await
}

async fn invitations_work_only_within_their_window(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    // 10:40, so that 31 minutes before is still to come.
    let id = create_appointment(&app, &host, DATE, "10:40").await;
    let starts_at = START + 40 * 60;
    let first = add_participant(&app, &host, &id, &[("name", "Anna Beispiel")]).await;
    let second = add_participant(&app, &host, &id, &[("name", "Bernd Beispiel")]).await;
    assert_eq!(first.code.len(), 12, "grouped: {}", first.code);
    assert_ne!(first.code, second.code);

    app.clock.advance(starts_at - 31 * 60 - app.clock.now());
    let early = app.get(&app.browser(), &first.link).await;
    assert_eq!(early.status(), 403);
    let text = early.text().await.unwrap();
    assert!(text.contains("Ihr Termin hat noch nicht begonnen"), "{text}");
    assert!(text.contains("02.11.2026, 10:40 Uhr") && text.contains("ab heute, 10:10 Uhr"), "says when: {text}");
    // It opens by itself a moment after the window does (61 s from now), without any script.
    assert!(text.contains("<meta http-equiv=\"refresh\" content=\"61\">"), "{text}");
    let by_code = join_with(&app, &app.browser(), &first.code).await;
    assert_eq!(by_code.status(), 403, "the code is right, the time is not");
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM audit_log WHERE event IN ('guest.link', 'guest.code')")
            .fetch_all(&app.state().db.pool)
            .await
            .unwrap();
    assert_eq!(outcomes, ["too_early", "too_early"], "audited as what happened");

    app.clock.advance(2 * 60);
    let guest = app.browser();
    let opened = app.get(&guest, &first.link).await;
    assert_eq!(opened.status(), 303, "29 minutes before: open");
    // Case, dashes and spaces do not matter.
    let typed = second.code.replace('-', " ").to_lowercase();
    let joined = join_with(&app, &app.browser(), &format!("  {typed} ")).await;
    assert_eq!(joined.status(), 303);
    assert_eq!(joined.headers()["location"], "/teilnehmen/eintreten");

    // Until two hours after the planned end (11:10): at 13:10 it closes, and the guest's session with it.
    app.clock.advance(starts_at + 30 * 60 + 2 * 3600 - 1 - app.clock.now());
    assert_eq!(app.get(&guest, "/teilnehmen/eintreten").await.status(), 200);
    app.clock.advance(1);
    let over = app.get(&app.browser(), &first.link).await;
    assert_eq!(over.status(), 403);
    assert!(over.text().await.unwrap().contains("Dieser Termin ist vorbei"));
    assert_eq!(app.get(&guest, "/teilnehmen/eintreten").await.status(), 401, "the guest session ended with it");
}

async fn cancel_renew_and_remove_revoke_invitations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let anna = add_participant(&app, &host, &id, &[("name", "Anna Beispiel")]).await;
    let bernd = add_participant(&app, &host, &id, &[("name", "Bernd Beispiel")]).await;
    let (anna_id, bernd_id) =
        (participant_id(&app, "Anna Beispiel").await, participant_id(&app, "Bernd Beispiel").await);
    app.clock.advance(STARTS_AT - 10 * 60 - app.clock.now());
    let (anna_guest, _) = guest_by_link(&app, &anna.link).await;

    // "Neu erstellen": the old link and code stop working (and the session they opened), the new ones work.
    assert_eq!(state_of(&app, &anna_id).await, "waiting");
    let renewed = app.post(&host, &format!("/termine/{id}/teilnehmer/{anna_id}/neu"), &[]).await;
    let (new, _) = fresh_after(&app, &host, renewed).await;
    assert_eq!(app.get(&app.browser(), &anna.link).await.status(), 404);
    assert_eq!(join_with(&app, &app.browser(), &anna.code).await.status(), 422);
    assert_eq!(app.get(&anna_guest, "/warteraum").await.status(), 401);
    assert_eq!(state_of(&app, &anna_id).await, "invited", "whoever has the new link checks in afresh");
    assert_eq!(app.get(&app.browser(), &new.link).await.status(), 303);
    assert_eq!(join_with(&app, &app.browser(), &new.code).await.status(), 303);

    // "Entfernen": gone for good.
    let removed = app.post(&host, &format!("/termine/{id}/teilnehmer/{bernd_id}/entfernen"), &[]).await;
    assert_eq!(removed.status(), 303);
    assert_eq!(app.get(&app.browser(), &bernd.link).await.status(), 404);
    assert_eq!(join_with(&app, &app.browser(), &bernd.code).await.status(), 422);
    let page = app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap();
    assert!(!page.contains("Bernd Beispiel"));

    // "Absagen" needs the confirmation, then every invitation stops working.
    let unconfirmed = app.post(&host, &format!("/termine/{id}/absagen"), &[]).await;
    assert_eq!(unconfirmed.status(), 422);
    assert_eq!(app.get(&app.browser(), &new.link).await.status(), 303, "not cancelled yet");
    let cancelled = app.post(&host, &format!("/termine/{id}/absagen"), &[("confirm", "ja")]).await;
    assert_eq!(cancelled.status(), 303);
    let refused = app.get(&app.browser(), &new.link).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("Dieser Termin wurde abgesagt"));
    assert_eq!(join_with(&app, &app.browser(), &new.code).await.status(), 403);
    assert_eq!(state_of(&app, &anna_id).await, "revoked");
    let list = app.get(&host, "/termine").await.text().await.unwrap();
    assert!(!list.contains(&id), "a cancelled appointment leaves the list");
}

fn unfold(ics: &str) -> Vec<(String, String)> {
    // The mail reader hands over the part with plain line ends.
    ics.replace("\r\n", "\n")
        .replace("\n ", "")
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (key, value) = l.split_once(':').unwrap_or_else(|| panic!("a property line: {l}"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

fn property<'a>(lines: &'a [(String, String)], key: &str) -> &'a str {
    &lines.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("{key}")).1
}

/// Anna Beispiel invited by e-mail and SMS, the messages delivered; her access and the invitation mail.
async fn anna_invited_by_mail_and_sms(
    app: &TestApp,
    host: &reqwest::Client,
    id: &str,
) -> (Invitation, crate::harness::Mail) {
    let fields = [
        ("name", "Anna Beispiel"),
        ("email", "anna@beispiel.de"),
        ("phone", "0171 7654321"),
        ("send_email", "ja"),
        ("send_sms", "ja"),
    ];
    let shown = add_participant(app, host, id, &fields).await;
    app.deliver().await;
    let mail = app.mails().into_iter().rfind(|m| m.raw.contains("To: anna@beispiel.de")).expect("invitation mail");
    (shown, mail)
}

async fn invitations_by_mail_carry_a_calendar_file(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let (shown, mail) = anna_invited_by_mail_and_sms(&app, &host, &id).await;
    assert!(mail.subject().contains("Einladung zur Videosprechstunde am 02.11.2026, 10:20 Uhr"), "{}", mail.subject());
    let text = mail.text();
    assert!(text.contains(&shown.link) && text.contains(&shown.code), "link and code in the mail");
    assert!(text.contains("Dr. Hanna Wolf"));
    assert!(mail.raw.contains("Content-Type: text/calendar; charset=utf-8; method=PUBLISH"));
    let ics = unfold(&mail.part("text/calendar"));
    assert_eq!(property(&ics, "BEGIN"), "VCALENDAR");
    assert_eq!(property(&ics, "METHOD"), "PUBLISH");
    assert_eq!(property(&ics, "DTSTART"), "20261102T092000Z", "10:20 in Berlin is 09:20 UTC in November");
    assert_eq!(property(&ics, "DTEND"), "20261102T095000Z");
    assert_eq!(property(&ics, "URL"), shown.link);
    assert!(property(&ics, "DESCRIPTION").contains(&shown.code));
    assert_eq!(property(&ics, "LOCATION"), "Videosprechstunde – Link in der Beschreibung");
    assert!(ics.iter().any(|(k, v)| k == "BEGIN" && v == "VALARM"), "a reminder");
    assert_eq!(property(&ics, "TRIGGER"), "-PT15M", "15 minutes before");
    let uid = property(&ics, "UID").to_owned();
    let sms = app.sms();
    let (to, sms_text) = sms.last().expect("an SMS");
    assert_eq!(to, "+491717654321");
    assert!(sms_text.contains(&shown.link) && sms_text.contains(&shown.code));
    let erased: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE attachment IS NOT NULL OR body_text <> ''")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    assert_eq!(erased, 0, "bodies and calendar files are erased once sent");

    let cancelled = app.post(&host, &format!("/termine/{id}/absagen"), &[("confirm", "ja")]).await;
    assert_eq!(cancelled.status(), 303);
    app.deliver().await;
    let notice = app.mails().into_iter().rfind(|m| m.raw.contains("To: anna@beispiel.de")).unwrap();
    assert!(notice.subject().starts_with("Abgesagt:"), "{}", notice.subject());
    let ics = unfold(&notice.part("text/calendar"));
    assert_eq!(property(&ics, "METHOD"), "CANCEL");
    assert_eq!(property(&ics, "STATUS"), "CANCELLED");
    assert_eq!(property(&ics, "UID"), uid, "replaces the invitation in the guest's calendar");
    let organizer =
        ics.iter().find(|(k, _)| k.starts_with("ORGANIZER")).expect("RFC 5546: a CANCEL names its organizer");
    assert_eq!(organizer.0, "ORGANIZER;CN=\"Dr. Hanna Wolf\"");
    assert!(organizer.1.starts_with("mailto:") && organizer.1.contains('@'), "{organizer:?}");
    assert_eq!(property(&ics, "LOCATION"), "Videosprechstunde – Link in der Beschreibung");
    assert_eq!(property(&ics, "TRIGGER"), "-PT15M");
    assert!(app.sms().last().unwrap().1.contains("abgesagt"));
    // The cancelled appointment still lists who was invited, and that they were told.
    let page = app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap();
    let anna = &page[page.find("data-name=\"Anna Beispiel\"").expect("Anna still listed")..];
    assert!(anna.contains("abgesagt") && anna.contains("E-Mail: zugestellt an den Mail-Dienst"), "{page}");
    assert!(anna.contains("SMS: zugestellt an den SMS-Dienst"));
}

/// Issue 16, point 11: invitations come from the practice and name its phone; guests' pages name the
/// practice instead of the operator's support; account pages keep the support.
async fn the_practice_is_the_patients_contact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let support = "support@praxis-service.example";

    // The profile takes a number patients can call (landlines too) and an address; bad ones are named and
    // nothing typed is lost.
    let mut fields = vec![
        ("practice", "Praxis Dr. Wolf"),
        ("city", "Köln"),
        ("practice_phone", "12"),
        ("practice_email", "praxis@"),
    ];
    let refused = app.post(&host, "/profil/praxis", &fields).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Diese Telefonnummer ist nicht gültig"), "{page}");
    assert!(page.contains("Die E-Mail-Adresse für Patientinnen und Patienten ist nicht gültig"));
    for kept in ["value=\"Praxis Dr. Wolf\"", "value=\"Köln\"", "value=\"12\"", "value=\"praxis@\""] {
        assert!(page.contains(kept), "{kept} kept");
    }
    fields[2].1 = "0221/1234567";
    fields[3].1 = "Praxis@Wolf-Beispiel.de";
    assert_eq!(app.post(&host, "/profil/praxis", &fields).await.status(), 303);
    let profile = app.get(&host, "/profil").await.text().await.unwrap();
    assert!(profile.contains("value=\"0221 1234567\""), "stored as people read it");
    assert!(profile.contains("value=\"praxis@wolf-beispiel.de\""));
    assert!(profile.contains(support), "account pages keep the operator's support");

    let id = create_appointment(&app, &host, DATE, TIME).await;
    let (shown, mail) = anna_invited_by_mail_and_sms(&app, &host, &id).await;
    let from = mail.header("From").unwrap();
    assert!(from.starts_with("Praxis Dr. Wolf über Sprechstunde"), "{from}");
    assert!(from.contains(&app.state().config.mail_sender_address()), "the service's own address: {from}");
    assert_eq!(mail.header("Reply-To").as_deref(), Some("praxis@wolf-beispiel.de"));
    let text = mail.text();
    assert!(text.contains("So erreichen Sie Ihre Praxis:\nPraxis Dr. Wolf\nTelefon 0221 1234567"), "{text}");
    assert!(mail.part("text/html").contains("href=\"tel:02211234567\""));
    assert!(!text.contains(support));
    let sms = app.sms().last().unwrap().1.clone();
    assert!(sms.starts_with("Praxis Dr. Wolf: Dr. Hanna Wolf lädt Sie"), "{sms}");
    assert!(sms.ends_with("Fragen: Telefon 0221 1234567"), "{sms}");

    let (guest, _) = jar_browser();
    // The check-in and the waiting room name the practice.
    app.clock.advance(STARTS_AT - app.clock.now());
    assert_eq!(app.get(&guest, &shown.link).await.status(), 303);
    let check_in_page = app.get(&guest, "/teilnehmen/eintreten").await.text().await.unwrap();
    assert!(check_in_page.contains("Fragen zu Ihrem Termin beantwortet Ihre Praxis:"));
    assert!(check_in_page.contains("mailto:praxis@wolf-beispiel.de") && !check_in_page.contains(support));
    check_in(&app, &guest).await;
    let waiting = app.get(&guest, "/warteraum").await.text().await.unwrap();
    assert!(waiting.contains("Praxis Dr. Wolf") && !waiting.contains(support));

    // The code entry of a stranger cannot know the practice: it says where the number is.
    let entry = app.get(&app.browser(), "/teilnehmen").await.text().await.unwrap();
    assert!(entry.contains("Ihre Telefonnummer steht in Ihrer Einladung") && !entry.contains(support));
    // Locked out in the browser that came with the link: the practice's number is on the page.
    for i in 0..20 {
        assert_eq!(join_with(&app, &guest, &format!("ZZ{i:02}-2222-22")).await.status(), 422);
    }
    let limited = join_with(&app, &guest, "ZZZZ-2222-22").await;
    assert_eq!(limited.status(), 429);
    let page = limited.text().await.unwrap();
    assert!(page.contains("Zu viele Versuche") && page.contains("class=\"practice-box\""), "{page}");
    assert!(page.contains("0221 1234567"));

    // Ended without being let in: whom to call is on the page.
    let ended = app.post(&host, &format!("/termine/{id}/beenden"), &[("confirm", "ja")]).await;
    assert_eq!(ended.status(), 303, "{}", ended.text().await.unwrap());
    let over = app.get(&guest, "/warteraum").await.text().await.unwrap();
    assert!(over.contains("ohne Sie einzulassen") && over.contains("href=\"tel:02211234567\""), "{over}");
    // The link after the end: the refusal names the practice, with its number to tap.
    let refused = app.get(&app.browser(), &shown.link).await;
    assert_eq!(refused.status(), 403);
    let page = refused.text().await.unwrap();
    assert!(page.contains("class=\"practice-box\"") && page.contains("href=\"tel:02211234567\""), "{page}");
    assert!(!page.contains(support), "no operator's support on guests' pages");
}

async fn code_entry_is_neutral_limited_and_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let real = add_participant(&app, &host, &id, &[("name", "Anna Beispiel")]).await;
    app.clock.advance(STARTS_AT - app.clock.now());
    let browser = app.browser();
    // Unknown and malformed codes get the same message, look-alikes one that names them, and what was typed
    // stays in the field.
    let mut messages = Vec::new();
    for typed in ["K7QM-2XPD-9F", "zzz", "K7QM-2XPD-9O"] {
        let wrong = join_with(&app, &browser, typed).await;
        assert_eq!(wrong.status(), 422);
        let html = wrong.text().await.unwrap();
        assert!(html.contains(&format!("value=\"{typed}\"")), "kept: {typed}");
        let start = html.find("id=\"form-errors\"").unwrap();
        messages.push(html[start..start + html[start..].find("</div>").unwrap()].to_owned());
    }
    assert_eq!(messages[0], messages[1], "one neutral message");
    assert!(messages[2].contains("nie die Zeichen 0 (Null), O, 1 (Eins), I und L – Sie haben „O“ eingegeben"));

    // Wrong tries that share the right code's first characters lock nobody out.
    let prefix = &real.code[..4];
    for i in 0..5 {
        let guess = format!("{prefix}-2222-2{}", ["2", "3", "4", "5", "6"][i]);
        assert_eq!(join_with(&app, &app.browser(), &guess).await.status(), 422);
    }
    let right = join_with(&app, &app.browser(), &real.code).await;
    assert_eq!(right.status(), 303, "the right code works, whatever others tried");

    // Per address: 20 entries per quarter hour (3 + 5 + 1 so far).
    for i in 0..11 {
        let status = join_with(&app, &app.browser(), &format!("ZZ{i:02}-2222-22")).await.status();
        assert_eq!(status, 422, "entry {i}");
    }
    let limited = join_with(&app, &app.browser(), "ZZZZ-2222-22").await;
    assert_eq!(limited.status(), 429, "the 21st from this address");
    assert!(limited.headers().contains_key("retry-after"));
    assert!(limited.text().await.unwrap().contains("Zu viele Versuche"));
    app.clock.advance(15 * 60);
    let later = join_with(&app, &app.browser(), &real.code).await;
    assert_eq!(later.status(), 303, "after the window, the right code works");

    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM audit_log WHERE event = 'guest.code' ORDER BY at, outcome")
            .fetch_all(&app.state().db.pool)
            .await
            .unwrap();
    // Wrong codes reach the audit log once per address and minute (the others are counted into the next
    // entry), so a guesser cannot fill it.
    assert_eq!(outcomes.iter().filter(|o| *o == "unknown").count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| o == "limited"));
    assert!(outcomes.iter().any(|o| o == "success"));
    let details: Vec<Option<String>> = sqlx::query_scalar("SELECT detail FROM audit_log WHERE event LIKE 'guest.%'")
        .fetch_all(&app.state().db.pool)
        .await
        .unwrap();
    for detail in details.into_iter().flatten() {
        assert!(!detail.contains(&real.code) && !detail.contains("Anna"), "no codes or names: {detail}");
    }
}

async fn a_guest_reaches_only_their_own_waiting_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, host_jar) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let anna = add_participant(&app, &host, &id, &[("name", "Anna Beispiel")]).await;
    let anna_id = participant_id(&app, "Anna Beispiel").await;
    app.clock.advance(STARTS_AT - app.clock.now());
    let (guest, guest_jar) = guest_by_link(&app, &anna.link).await;

    for path in ["/", "/profil", "/kontakte", "/termine", "/termine/neu", &format!("/termine/{id}")] {
        let response = app.get(&guest, path).await;
        assert_eq!(response.status(), 303, "{path}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location == "/anmelden" || location.starts_with("/anmelden?weiter="), "{path}: {location}");
    }
    let admit = app.post(&guest, &format!("/termine/{id}/teilnehmer/{anna_id}/einlassen"), &[]).await;
    assert_eq!(admit.headers()["location"], "/anmelden");
    assert_eq!(state_of(&app, &anna_id).await, "waiting", "a guest cannot admit themselves");
    assert_eq!(app.get(&guest, "/api/v1/accounts").await.status(), 401);

    // The guest's token in the account cookie is no session either (other table, other purpose).
    let gid = guest_jar.cookies(&app.base.parse().unwrap()).unwrap().to_str().unwrap().to_owned();
    let token = gid.split("gid=").nth(1).unwrap().split(';').next().unwrap().to_owned();
    let forged = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = forged.get(app.url("/profil")).header("cookie", format!("sid={token}")).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/anmelden?weiter=profil");

    // Tokens are typed per purpose: an invitation token is no registration link, and the other way round.
    let invitation_token = anna.link.rsplit('/').next().unwrap();
    let as_registration = app.get(&app.browser(), &format!("/registrierung/{invitation_token}")).await;
    assert_eq!(as_registration.status(), 404);
    assert!(as_registration.text().await.unwrap().contains("Link ungültig"));
    let registration_link = app.invite("neu@praxis-beispiel.de").await;
    let registration_token = registration_link.rsplit('/').next().unwrap();
    assert_eq!(app.get(&app.browser(), &format!("/t/{registration_token}")).await.status(), 404);
    assert_eq!(app.get(&app.browser(), &format!("/t/{token}")).await.status(), 404, "nor is a session id");

    // A guest's WebSocket cannot ask for the host's view, and another host sees nothing of this appointment.
    assert!(websocket(&app, &format!("/ws?termin={id}"), &guest_jar, &app.base).await.is_err());
    let (other, other_jar) = crate::appointments::host(&app, "zweite@praxis-beispiel.de", "zweite").await;
    assert_eq!(app.get(&other, &format!("/termine/{id}")).await.status(), 404);
    let foreign = app.post(&other, &format!("/termine/{id}/teilnehmer/{anna_id}/einlassen"), &[]).await;
    assert_eq!(foreign.status(), 404);
    assert!(websocket(&app, &format!("/ws?termin={id}"), &other_jar, &app.base).await.is_err());
    assert!(websocket(&app, &format!("/ws?termin={id}"), &host_jar, &app.base).await.is_ok());
    let list = app.get(&other, "/termine").await.text().await.unwrap();
    assert!(!list.contains(&id));

    // Each opening of the link starts a session (phone, laptop, a mail scanner); once checked in, the others
    // knock, and only the newest five of them stay. They never push out the participant's own device.
    for _ in 0..7 {
        app.clock.advance(1);
        assert_eq!(app.get(&app.browser(), &anna.link).await.status(), 303);
    }
    let sql = "SELECT COUNT(*) FROM guest_sessions WHERE participant_id = $1 AND device_state = 'waiting'";
    assert_eq!(app.scalar_i64(sql, &anna_id).await, 5);
    assert_eq!(app.get(&guest, "/warteraum").await.status(), 200, "the own device stays");
    assert_eq!(guest_state_shown(&app, &guest).await, "waiting");
}

async fn states_survive_reloads_and_reconnects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let anna = add_participant(&app, &host, &id, &[("name", "Anna")]).await;
    app.clock.advance(STARTS_AT - 5 * 60 - app.clock.now());
    let page = app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap();
    assert!(page.contains("data-state=\"invited\""), "{page}");

    let guest = app.browser();
    assert_eq!(app.get(&guest, &anna.link).await.status(), 303);
    let pid = participant_id(&app, "Anna").await;
    assert_eq!(state_of(&app, &pid).await, "link_opened");
    // Another browser (a mail scanner, a forwarded mail) opened the link before the check-in: it cannot
    // ride along once Anna checks in.
    let scanner = app.browser();
    assert_eq!(app.get(&scanner, &anna.link).await.status(), 303);
    // Without consent nothing happens, and the name typed stays.
    let no_consent = app.post(&guest, "/teilnehmen/eintreten", &[("name", "Anna Beispiel")]).await;
    assert_eq!(no_consent.status(), 422);
    assert!(no_consent.text().await.unwrap().contains("value=\"Anna Beispiel\""));
    check_in(&app, &guest).await;
    assert_eq!(state_of(&app, &pid).await, "waiting");
    assert_eq!(guest_state_shown(&app, &guest).await, "waiting");
    assert_eq!(guest_state_shown(&app, &scanner).await, "device_replaced");
    let renamed = app.post(&scanner, "/teilnehmen/eintreten", &[("name", "Mallory"), ("consent", "ja")]).await;
    assert_eq!(renamed.status(), 303);
    assert!(!app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap().contains("Mallory"));
    let page = app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap();
    assert!(page.contains("Anna Beispiel") && page.contains("wartet seit 10:15 Uhr"), "the name as the guest gave it");
    // The title stays the host's unless they choose to show it.
    let waiting = app.get(&guest, "/warteraum").await.text().await.unwrap();
    assert!(!waiting.contains("Befund"));
    let shown = [("date", DATE), ("time", TIME), ("duration", "30"), ("title", "Befund"), ("title_for_guests", "ja")];
    assert_eq!(app.post(&host, &format!("/termine/{id}"), &shown).await.status(), 303);
    let waiting = app.get(&guest, "/warteraum").await.text().await.unwrap();
    assert!(waiting.contains("id=\"guest-title\">Befund<"), "{waiting}");

    let admitted = app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/einlassen"), &[]).await;
    assert_eq!(admitted.status(), 303);
    assert_eq!(guest_state_shown(&app, &guest).await, "admitted");
    // Opening the link again in the same browser: still admitted, no knocking again.
    let again = app.get(&guest, &anna.link).await;
    assert_eq!(again.headers()["location"], "/warteraum");
    assert_eq!(guest_state_shown(&app, &guest).await, "admitted");
    // The code typed in another browser: that device knocks, and the host sees it; declined, it stays out.
    let elsewhere = app.browser();
    let joined = join_with(&app, &elsewhere, &anna.code).await;
    assert_eq!(joined.headers()["location"], "/warteraum");
    assert_eq!(guest_state_shown(&app, &elsewhere).await, "other_device");
    let knock = |list: String| {
        assert!(list.contains("zweites Gerät wartet"), "{list}");
        let at = list.find("/geraet/").unwrap() + 8;
        list[at..at + list[at..].find('/').unwrap()].to_owned()
    };
    let first_knock = knock(app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap());
    let declined = app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/geraet/{first_knock}/ablehnen"), &[]).await;
    assert_eq!(declined.status(), 303);
    assert_eq!(guest_state_shown(&app, &elsewhere).await, "device_declined");
    assert_eq!(guest_state_shown(&app, &guest).await, "admitted", "the own device stays in");
    // Let in, another device takes the participant's place and the first one leaves.
    let third = app.browser();
    join_with(&app, &third, &anna.code).await;
    let third_knock = knock(app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap());
    // Only the device the host saw: a declined one cannot be let in by its old name.
    let stale = app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/geraet/{first_knock}/einlassen"), &[]).await;
    assert_eq!(stale.headers()["location"].to_str().unwrap(), format!("/termine/{id}?geaendert"));
    assert_eq!(guest_state_shown(&app, &elsewhere).await, "device_declined");
    let admitted =
        app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/geraet/{third_knock}/einlassen"), &[]).await;
    assert_eq!(admitted.status(), 303);
    assert_eq!(guest_state_shown(&app, &third).await, "admitted");
    assert_eq!(guest_state_shown(&app, &guest).await, "device_replaced");
    assert_eq!(guest_state_shown(&app, &elsewhere).await, "device_declined");
    // A replaced device cannot take the participant out of the room.
    app.post(&guest, "/warteraum/verlassen", &[]).await;
    assert_eq!(state_of(&app, &pid).await, "admitted");
    let guest = third;
    // A second click on "Einlassen" (another tab) changes nothing and says so.
    let twice = app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/einlassen"), &[]).await;
    assert_eq!(twice.headers()["location"].to_str().unwrap(), format!("/termine/{id}?geaendert"));

    let sent_back = app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/zurueck"), &[]).await;
    assert_eq!(sent_back.status(), 303);
    assert_eq!(guest_state_shown(&app, &guest).await, "waiting");
    let left = app.post(&guest, "/warteraum/verlassen", &[]).await;
    assert_eq!(left.status(), 303);
    assert_eq!(guest_state_shown(&app, &guest).await, "left");
    check_in(&app, &guest).await;
    assert_eq!(state_of(&app, &pid).await, "waiting", "back in the waiting room");
    let declined = app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/ablehnen"), &[]).await;
    assert_eq!(declined.status(), 303);
    let refused = app.get(&guest, "/warteraum").await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("abgelehnt"));
    assert_eq!(app.get(&app.browser(), &anna.link).await.status(), 403, "declined is final");
}

async fn the_websocket_pushes_changes_and_keeps_its_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, host_jar) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let anna = add_participant(&app, &host, &id, &[("name", "Anna Beispiel")]).await;
    app.clock.advance(STARTS_AT - app.clock.now());

    assert!(websocket(&app, &format!("/ws?termin={id}"), &host_jar, "http://evil.example").await.is_err(), "Origin");
    assert!(websocket(&app, "/ws", &jar_browser().1, &app.base).await.is_err(), "no session, no socket");
    let plain = app.get(&host, &format!("/ws?termin={id}")).await;
    assert_eq!(plain.status(), 400, "not an upgrade");
    assert!(plain.text().await.unwrap().contains("Ungültige Anfrage"), "the error page, not a bare answer");
    let mut host_socket =
        websocket(&app, &format!("/ws?termin={id}"), &host_jar, &app.base).await.expect("host socket");
    let first = next_json(&mut host_socket, 5).await;
    assert_eq!(first["type"], "participants");
    assert!(waiting_ids(&first).is_empty());

    let (guest, guest_jar) = guest_by_link(&app, &anna.link).await;
    let pid = participant_id(&app, "Anna Beispiel").await;
    let arrived = until(&mut host_socket, 2, |m| waiting_ids(m).contains(&pid)).await;
    assert!(arrived["html"].as_str().unwrap().contains("Einlassen"));

    let mut guest_socket = websocket(&app, "/ws", &guest_jar, &app.base).await.unwrap();
    assert_eq!(next_json(&mut guest_socket, 5).await["state"], "waiting");
    // Signalling only after admission.
    guest_socket
        .send(Message::Text(r#"{"type":"signal","to":"host","payload":{"sdp":"early"}}"#.into()))
        .await
        .unwrap();
    assert_eq!(until(&mut guest_socket, 2, |m| m["type"] == "refused").await["reason"], "not_admitted");
    let notice = app.post(&host, &format!("/termine/{id}/nachricht"), &[("preset", "1"), ("text", "")]).await;
    assert_eq!(notice.status(), 303);
    let told = until(&mut guest_socket, 2, |m| m["html"].as_str().unwrap_or_default().contains("10 Minuten")).await;
    assert_eq!(told["state"], "waiting");
    let too_long = "x".repeat(201);
    let refused = app.post(&host, &format!("/termine/{id}/nachricht"), &[("text", too_long.as_str())]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains(&too_long), "the text typed stays");

    app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/einlassen"), &[]).await;
    assert_eq!(until(&mut guest_socket, 2, |m| m["type"] == "status").await["state"], "admitted");
    exchange_signals(&mut host_socket, &mut guest_socket, &pid).await;
    // Guests talk to the host only.
    let sideways = r#"{"type":"signal","to":"someone-else","payload":{"sdp":"x"}}"#;
    guest_socket.send(Message::Text(sideways.into())).await.unwrap();
    assert_eq!(until(&mut guest_socket, 2, |m| m["type"] == "refused").await["type"], "refused");

    // Pings are answered; unknown messages, binary frames and floods close the connection.
    guest_socket.send(Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
    assert_eq!(until(&mut guest_socket, 2, |m| m["type"] == "pong").await["type"], "pong");
    guest_socket.send(Message::Text(r#"{"type":"admit_me"}"#.into())).await.unwrap();
    assert_closed_with(&mut guest_socket, 1003).await;
    // A known message with a field of its own is unknown too.
    let mut extra = websocket(&app, "/ws", &guest_jar, &app.base).await.unwrap();
    next_json(&mut extra, 5).await;
    extra.send(Message::Text(r#"{"type":"ping","admin":true}"#.into())).await.unwrap();
    assert_closed_with(&mut extra, 1003).await;
    let mut big = websocket(&app, "/ws", &guest_jar, &app.base).await.unwrap();
    next_json(&mut big, 5).await;
    let _ = big.send(Message::Text("x".repeat(8000).into())).await;
    assert_closed_with(&mut big, 1009).await;
    let mut flood = websocket(&app, "/ws", &guest_jar, &app.base).await.unwrap();
    next_json(&mut flood, 5).await;
    // Exactly one more than allowed (more would race the server's close with a reset).
    for _ in 0..=sprechstunde::consult::ws::RATE_MAX {
        flood.send(Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
    }
    assert_closed_with(&mut flood, 1008).await;

    // At most eight connections per session at once.
    let mut tabs = Vec::new();
    for _ in 0..8 {
        tabs.push(websocket(&app, "/ws", &guest_jar, &app.base).await.expect("a tab"));
    }
    let refused = websocket(&app, "/ws", &guest_jar, &app.base).await.unwrap_err();
    assert!(refused.contains("429"), "{refused}");
    for mut tab in tabs {
        tab.close(None).await.unwrap();
        assert_closed(&mut tab).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Declined: the guest is told, then the socket ends (nothing left to wait for).
    app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/zurueck"), &[]).await;
    let mut last = websocket(&app, "/ws", &guest_jar, &app.base).await.unwrap();
    assert_eq!(next_json(&mut last, 5).await["state"], "waiting");
    // Sent back to the waiting room: no more signalling either way.
    last.send(Message::Text(r#"{"type":"signal","to":"host","payload":{"sdp":"again"}}"#.into())).await.unwrap();
    assert_eq!(until(&mut last, 2, |m| m["type"] == "refused").await["reason"], "not_admitted");
    let to_guest = format!(r#"{{"type":"signal","to":"{pid}","payload":{{"sdp":"for you"}}}}"#);
    host_socket.send(Message::Text(to_guest.into())).await.unwrap();
    app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/ablehnen"), &[]).await;
    let after = until(&mut last, 2, |m| m["type"] == "status" || m["type"] == "signal").await;
    assert_eq!(after["state"], "declined", "nothing relayed to a guest who is not admitted: {after}");
    assert_closed_with(&mut last, 1000).await;
    drop(guest);

    // Signed out: the host's socket ends at once (not at the next change or heartbeat, 20 s), on every
    // instance (PostgreSQL: through NOTIFY).
    let mut watching = websocket(&app, &format!("/ws?termin={id}"), &host_jar, &app.base).await.unwrap();
    next_json(&mut watching, 5).await;
    assert_eq!(app.post(&host, "/abmelden", &[]).await.status(), 303);
    assert_closed_with(&mut watching, 1000).await;
}

/// The admitted guest and the host reach each other, and only each other.
async fn exchange_signals(host: &mut Socket, guest: &mut Socket, participant: &str) {
    let offer = r#"{"type":"signal","to":"host","payload":{"description":{"type":"offer","sdp":"v=0 ..."}}}"#;
    guest.send(Message::Text(offer.into())).await.unwrap();
    let relayed = until(host, 2, |m| m["type"] == "signal").await;
    assert_eq!(relayed["from"], participant);
    assert_eq!(relayed["payload"]["description"]["type"], "offer");
    let answer = format!(r#"{{"type":"signal","to":"{participant}","payload":{{"candidate":"candidate:1 1 udp"}}}}"#);
    host.send(Message::Text(answer.into())).await.unwrap();
    let relayed = until(guest, 2, |m| m["type"] == "signal").await;
    assert_eq!(relayed["from"], "host");
    assert_eq!(relayed["payload"]["candidate"], "candidate:1 1 udp");
}

async fn assert_closed(socket: &mut Socket) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await.expect("closed in time") {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
            Some(Ok(_)) => continue,
        }
    }
}

async fn assert_closed_with(socket: &mut Socket, code: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), code, "{}", frame.reason);
                return;
            }
            None | Some(Err(_)) | Some(Ok(Message::Close(None))) => panic!("closed without code {code}"),
            Some(Ok(_)) => continue,
        }
    }
}

async fn participants_data_is_deleted_after_the_retention_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let later = create_appointment(&app, &host, "2026-11-20", TIME).await;
    let fields = [("name", "Anna Beispiel"), ("email", "anna@beispiel.de"), ("send_email", "ja")];
    let anna = add_participant(&app, &host, &id, &fields).await;
    add_participant(&app, &host, &later, &[("name", "Bernd Beispiel")]).await;
    app.clock.advance(STARTS_AT - app.clock.now());
    guest_by_link(&app, &anna.link).await;
    let pid = participant_id(&app, "Anna Beispiel").await;

    // 30 days after the end (10:50): not yet; a moment later: gone.
    app.clock.advance(30 * 60 + 30 * 86_400 - 1);
    assert_eq!(sprechstunde::consult::purge::run_once(app.state()).await.unwrap(), (0, 0));
    app.clock.advance(2);
    assert_eq!(sprechstunde::consult::purge::run_once(app.state()).await.unwrap(), (1, 1));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM participants WHERE id = $1", &pid).await, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM appointments WHERE id = $1", &id).await, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM outbox WHERE participant_id = $1", &pid).await, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM guest_sessions WHERE participant_id = $1", &pid).await, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM appointments WHERE id = $1", &later).await, 1, "later ones stay");
    let audit: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT actor, detail FROM audit_log").fetch_all(&app.state().db.pool).await.unwrap();
    assert!(audit.iter().any(|(_, d)| d.as_deref() == Some(&format!("participant:{pid}"))), "audit keeps the id");
    for (actor, detail) in &audit {
        let text = format!("{actor} {}", detail.as_deref().unwrap_or_default());
        assert!(!text.contains("Anna") && !text.contains("anna@"), "no names or addresses: {text}");
    }
    let stale = app.get(&app.browser(), &anna.link).await;
    assert_eq!(stale.status(), 404);
    let addresses = app
        .scalar_i64(
            "SELECT COUNT(*) FROM audit_log WHERE detail = $1 AND client_addr IS NOT NULL",
            &format!("participant:{pid}"),
        )
        .await;
    assert_eq!(addresses, 0, "the addresses guests came from are gone with the rest");
}

async fn bad_input_keeps_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    // Summer time begins at 02:00 on 28 March 2027: 02:30 does not exist in Berlin that day.
    let gap = app
        .post(
            &host,
            "/termine",
            &[("date", "2027-03-28"), ("time", "02:30"), ("duration", "30"), ("title", "Kontrolle")],
        )
        .await;
    assert_eq!(gap.status(), 422);
    let html = gap.text().await.unwrap();
    assert!(html.contains("Sommerzeit") && html.contains("value=\"Kontrolle\""), "{html}");
    let past = app.post(&host, "/termine", &[("date", "2026-11-01"), ("time", "12:00"), ("duration", "30")]).await;
    assert_eq!(past.status(), 422);
    assert!(past.text().await.unwrap().contains("Vergangenheit"));
    let odd = app.post(&host, "/termine", &[("date", "31.02.2027"), ("time", "25:00"), ("duration", "7")]).await;
    let html = odd.text().await.unwrap();
    assert!(html.contains("gültiges Datum") && html.contains("Dauern"), "{html}");
    // Summer time: 12:00 in July is 10:00 UTC.
    let id = create_appointment(&app, &host, "2027-07-01", "12:00").await;
    let stored = app.scalar_i64("SELECT starts_at FROM appointments WHERE id = $1", &id).await;
    assert_eq!(stored, sprechstunde::web::format::parse_utc("2027-07-01T10:00:00Z").unwrap());
    let missing = app
        .post(
            &host,
            &format!("/termine/{id}/teilnehmer"),
            &[("name", ""), ("email", "kein-at"), ("phone", "030 1234567")],
        )
        .await;
    assert_eq!(missing.status(), 422);
    let html = missing.text().await.unwrap();
    assert!(
        html.contains("Bitte geben Sie den Namen ein")
            && html.contains("value=\"kein-at\"")
            && html.contains("value=\"030 1234567\"")
    );
    let edited = app
        .post(
            &host,
            &format!("/termine/{id}"),
            &[("date", "2027-07-01"), ("time", "13:15"), ("duration", "45"), ("title", "")],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let page = app.get(&host, &format!("/termine/{id}?gespeichert")).await.text().await.unwrap();
    assert!(page.contains("01.07.2027, 13:15 Uhr") && page.contains("45 Minuten"));
}

async fn turn_credentials_reach_the_host_and_only_admitted_guests(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.ice.stun_urls = vec!["stun:turn.praxis-beispiel.de:3478".into()];
        config.ice.turn_urls = vec!["turns:turn.praxis-beispiel.de:443?transport=tcp".into()];
        config.ice.turn_secret = Some(sprechstunde::config::Secret::new("geheim"));
    })
    .await;
    let (host, host_jar) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let anna = add_participant(&app, &host, &id, &[("name", "Anna Beispiel")]).await;
    app.clock.advance(STARTS_AT - app.clock.now());
    let mut host_socket = websocket(&app, &format!("/ws?termin={id}"), &host_jar, &app.base).await.unwrap();
    let ice = until(&mut host_socket, 5, |m| m["type"] == "ice").await;
    assert_eq!(ice["relay_only"], false);
    assert_eq!(ice["ice_servers"][0]["urls"][0], "stun:turn.praxis-beispiel.de:3478");
    let turn = &ice["ice_servers"][1];
    let username = turn["username"].as_str().unwrap();
    let expiry: i64 = username.split(':').next().unwrap().parse().unwrap();
    assert_eq!(expiry, STARTS_AT + 30 * 60 + 2 * 3600, "valid until the appointment's window closes");
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"geheim").unwrap();
    mac.update(username.as_bytes());
    let expected = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes());
    assert_eq!(turn["credential"], expected.as_str(), "coturn's REST format");

    let (_, guest_jar) = guest_by_link(&app, &anna.link).await;
    let pid = participant_id(&app, "Anna Beispiel").await;
    let mut guest_socket = websocket(&app, "/ws", &guest_jar, &app.base).await.unwrap();
    assert_eq!(next_json(&mut guest_socket, 5).await["state"], "waiting");
    let ping = r#"{"type":"ping"}"#;
    guest_socket.send(Message::Text(ping.into())).await.unwrap();
    assert_eq!(next_json(&mut guest_socket, 5).await["type"], "pong", "no credentials while waiting");
    app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/einlassen"), &[]).await;
    let ice = until(&mut guest_socket, 2, |m| m["type"] == "ice").await;
    assert!(ice["ice_servers"][1]["credential"].is_string());
    assert!(!logs_contain(ice["ice_servers"][1]["credential"].as_str().unwrap()));
}

/// At most four people in a room (the host and three guests), even when two admissions race for the last
/// place; "Sprechstunde beenden" then ends it for everyone: sockets close, links stop working.
async fn a_room_holds_four_and_ends_for_everyone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, host_jar) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let names = ["Anna", "Bernd", "Clara", "Dora", "Emil"];
    let (mut links, mut ids) = (Vec::new(), Vec::new());
    for name in names {
        links.push(add_participant(&app, &host, &id, &[("name", name)]).await.link);
        ids.push(participant_id(&app, name).await);
    }
    app.clock.advance(STARTS_AT - app.clock.now());
    let mut guests = Vec::new();
    for (link, name) in links.iter().zip(names) {
        let (guest, jar) = jar_browser();
        assert_eq!(app.get(&guest, link).await.status(), 303);
        let entered = app.post(&guest, "/teilnehmen/eintreten", &[("name", name), ("consent", "ja")]).await;
        assert_eq!(entered.status(), 303);
        guests.push((guest, jar));
    }
    for pid in &ids[..2] {
        let admitted = app.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/einlassen"), &[]).await;
        assert_eq!(admitted.headers()["location"], format!("/termine/{id}").as_str());
    }
    // Two admissions at once for the last place: exactly one gets it.
    let paths: Vec<String> = ids[2..4].iter().map(|pid| format!("/termine/{id}/teilnehmer/{pid}/einlassen")).collect();
    let answers = app.post_all_at_once(paths.iter().map(|p| (host.clone(), p.as_str(), Vec::new())).collect()).await;
    let full: Vec<bool> =
        answers.iter().map(|a| a.headers()["location"].to_str().unwrap().ends_with("?voll")).collect();
    assert_eq!(full.iter().filter(|f| **f).count(), 1, "{full:?}");
    let mut states = Vec::new();
    for pid in &ids {
        states.push(state_of(&app, pid).await);
    }
    assert_eq!(states.iter().filter(|s| *s == "admitted").count(), 3, "{states:?}");
    let page = app.get(&host, &format!("/termine/{id}?voll")).await.text().await.unwrap();
    assert!(page.contains("Der Raum ist voll: Eine Videosprechstunde hat höchstens 4 Personen"), "{page}");
    // From the room (its script asks for JSON) the refusal comes back as a structured answer, not a page.
    let emil = format!("{}/termine/{id}/teilnehmer/{}/einlassen", app.base, ids[4]);
    let refused = host.post(&emil).header("accept", "application/json").send().await.unwrap();
    assert_eq!(refused.status(), 409);
    let answer: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(answer["ok"], false);
    assert!(answer["errors"][0].as_str().unwrap().starts_with("Der Raum ist voll"), "{answer}");
    assert_eq!(state_of(&app, &ids[4]).await, "waiting");

    let mut guest_socket = websocket(&app, "/ws", &guests[0].1, &app.base).await.unwrap();
    let first = next_json(&mut guest_socket, 5).await;
    let members: Vec<&str> =
        first["room"]["members"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(members.len(), 4, "the host and three guests: {members:?}");
    assert!(members.contains(&"Dr. Hanna Wolf") && members.contains(&"Anna") && !members.contains(&"Emil"));
    // Guests in the room reach each other (the mesh), but not someone still waiting.
    let to_bernd = format!(r#"{{"type":"signal","to":"{}","payload":{{"sdp":"x"}}}}"#, ids[1]);
    guest_socket.send(Message::Text(to_bernd.into())).await.unwrap();
    let mut bernd_socket = websocket(&app, "/ws", &guests[1].1, &app.base).await.unwrap();
    next_json(&mut bernd_socket, 5).await;
    guest_socket
        .send(Message::Text(format!(r#"{{"type":"signal","to":"{}","payload":{{"n":2}}}}"#, ids[1]).into()))
        .await
        .unwrap();
    assert_eq!(until(&mut bernd_socket, 2, |m| m["type"] == "signal").await["from"], ids[0].as_str());
    let to_emil = format!(r#"{{"type":"signal","to":"{}","payload":{{"sdp":"x"}}}}"#, ids[4]);
    guest_socket.send(Message::Text(to_emil.into())).await.unwrap();
    assert_eq!(until(&mut guest_socket, 2, |m| m["type"] == "refused").await["reason"], "not_admitted");

    let mut host_socket = websocket(&app, &format!("/ws?termin={id}"), &host_jar, &app.base).await.unwrap();
    next_json(&mut host_socket, 5).await;
    let ended = app.post(&host, &format!("/termine/{id}/beenden"), &[]).await;
    assert_eq!(ended.headers()["location"], format!("/termine/{id}?beendet").as_str());
    assert_eq!(until(&mut guest_socket, 2, |m| m["type"] == "status").await["state"], "finished");
    assert_closed_with(&mut guest_socket, 1000).await;
    assert_closed_with(&mut host_socket, 1000).await;
    for pid in &ids[..2] {
        assert_eq!(state_of(&app, pid).await, "left");
    }
    // Emil was still waiting: he is told the practice ended without letting him in.
    let refused = app.get(&guests[4].0, "/warteraum").await;
    assert_eq!(refused.status(), 403);
    let told = refused.text().await.unwrap();
    assert!(told.contains("hat die Sprechstunde beendet, ohne Sie einzulassen"), "{told}");
    assert!(!told.contains("<h1>Wartezimmer"), "no heading says waiting room any more");
    let late = app.post(&host, &format!("/termine/{id}/teilnehmer/{}/einlassen", ids[4]), &[]).await;
    assert_eq!(late.headers()["location"], format!("/termine/{id}").as_str(), "nothing changes any more");
    assert_eq!(state_of(&app, &ids[4]).await, "waiting", "never let in");
    let page = app.get(&host, &format!("/termine/{id}?beendet")).await.text().await.unwrap();
    assert!(page.contains("id=\"closed-label\">beendet<") && !page.contains("id=\"open-room\""), "{page}");
    assert!(page.contains("nicht eingelassen"), "Emil's line says he was never let in");
    let history = app
        .scalar_i64(
            "SELECT COUNT(*) FROM audit_log WHERE event = 'appointment.ended' AND detail = $1",
            &format!("appointment:{id}"),
        )
        .await;
    assert_eq!(history, 1);
}

fn logs_contain(secret: &str) -> bool {
    crate::harness::logs().contains(secret)
}

/// Every channel filled in is ticked by default; per participant the host sees what went out and where it
/// stands, live (sending, handed to the mail or SMS service, failed), and for someone with neither address
/// nor number that link and code must be passed on by hand.
async fn no_invitation_goes_unsent_silently(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let (host, host_jar) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    // From now on no mail server listens: e-mails fail and are retried until given up.
    app.restart_with(|c| c.mail = crate::mail::smtp(crate::mail::free_port())).await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let form = app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap();
    for field in ["p-send-email", "p-send-sms"] {
        let at = form.find(&format!("id=\"{field}\"")).unwrap();
        assert!(form[at..at + 80].contains("checked"), "{field} is ticked by default");
    }
    // As a browser sends the form with both boxes ticked.
    let both = [("send_email", "ja"), ("send_sms", "ja")];
    let with = |fields: &[(&'static str, &'static str)]| [fields, &both[..]].concat();
    add_participant(&app, &host, &id, &with(&[("name", "Paula Patientin"), ("phone", "0171 2345678")])).await;
    add_participant(&app, &host, &id, &with(&[("name", "Otto Ohnekontakt")])).await;
    add_participant(&app, &host, &id, &with(&[("name", "Emma Mail"), ("email", "emma@example.org")])).await;
    let line = |page: &str, name: &str| {
        let at = page.find(&format!("data-name=\"{name}\"")).unwrap_or_else(|| panic!("{name} in {page}"));
        let rest = &page[at..];
        rest[..rest.find("data-participant=").unwrap_or(rest.len())].to_owned()
    };
    let page = app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap();
    assert!(line(&page, "Paula Patientin").contains("SMS: wird gesendet"), "{page}");
    assert!(line(&page, "Otto Ohnekontakt").contains("nicht versendet – Link und Code selbst weitergeben"));
    assert!(line(&page, "Emma Mail").contains("E-Mail: wird gesendet"));

    let mut socket = websocket(&app, &format!("/ws?termin={id}"), &host_jar, &app.base).await.unwrap();
    next_json(&mut socket, 5).await;
    app.deliver().await;
    // Both outcomes: the SMS's update can come before the e-mail's attempt is recorded.
    let update = until(&mut socket, 5, |m| {
        let html = m["html"].as_str().unwrap_or_default();
        m["type"] == "participants"
            && html.contains("SMS: zugestellt an den SMS-Dienst")
            && html.contains("E-Mail: noch nicht zugestellt")
    })
    .await;
    let html = update["html"].as_str().unwrap();
    assert!(line(html, "Emma Mail").contains("E-Mail: noch nicht zugestellt, wird erneut versucht"), "{html}");
    for _ in 1..sprechstunde::notify::outbox::MAX_ATTEMPTS {
        app.clock.advance(3600);
        app.deliver().await;
    }
    // Hours later the host signs in again and sees it.
    let signed_in = app.post(&host, "/anmelden", &[("username", "hwolf"), ("password", PASSWORD)]).await;
    assert_eq!(signed_in.status(), 303);
    let page = app.get(&host, &format!("/termine/{id}")).await.text().await.unwrap();
    assert!(line(&page, "Emma Mail").contains("E-Mail: fehlgeschlagen"), "{page}");
    assert!(line(&page, "Emma Mail").contains("class=\"secondary resend\""), "with a button to send again");
}

/// A link for another browser (issue 16, point 13: a browser that cannot hold the call): made by the
/// participant's own session only, opens once within 30 minutes, and the new browser takes the old one's
/// place without knocking; the old page says so.
async fn a_guest_goes_on_in_another_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (host, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &host, DATE, TIME).await;
    let anna = add_participant(&app, &host, &id, &[("name", "Anna Beispiel")]).await;
    let anna_id = participant_id(&app, "Anna Beispiel").await;
    app.clock.advance(STARTS_AT - app.clock.now());
    let (in_app, _) = guest_by_link(&app, &anna.link).await;
    let make = |browser: reqwest::Client| {
        let app = &app;
        async move {
            let response = app.post(&browser, "/teilnehmen/weitergeben", &[]).await;
            let status = response.status().as_u16();
            let url = if status == 200 {
                response.json::<serde_json::Value>().await.unwrap()["url"].as_str().unwrap().to_owned()
            } else {
                String::new()
            };
            (status, url)
        }
    };
    let (status, first) = make(in_app.clone()).await;
    assert_eq!(status, 200);
    assert!(first.starts_with(&format!("{}/weiter/", app.base)), "{first}");
    let (_, url) = make(in_app.clone()).await;
    assert_ne!(url, first, "a new link each time");
    let path = url.trim_start_matches(&app.base).to_owned();
    assert_eq!(
        app.get(&app.browser(), first.trim_start_matches(&app.base)).await.status(),
        404,
        "the older one is gone"
    );
    let sql = "SELECT COUNT(*) FROM guest_sessions WHERE participant_id = $1 AND handover_hash IS NOT NULL";
    assert_eq!(app.scalar_i64(sql, &anna_id).await, 1);
    let token = path.rsplit('/').next().unwrap();
    let stored = "SELECT COUNT(*) FROM guest_sessions WHERE handover_hash = $1";
    assert_eq!(app.scalar_i64(stored, token).await, 0, "only its hash is stored");

    // The browser that made it, reloaded with the link in its address bar, stays what it was.
    let reloaded = app.get(&in_app, &path).await;
    assert_eq!(reloaded.headers()["location"], "/warteraum");
    assert_eq!(guest_state_shown(&app, &in_app).await, "waiting");

    // Another browser: straight to the waiting room, no knocking, no new check-in.
    let (chrome, _) = jar_browser();
    let opened = app.get(&chrome, &path).await;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/warteraum");
    assert_eq!(guest_state_shown(&app, &chrome).await, "waiting");
    assert_eq!(guest_state_shown(&app, &in_app).await, "device_replaced", "the old page says where it went on");
    let knocking = "SELECT COUNT(*) FROM guest_sessions WHERE participant_id = $1 AND device_state = 'waiting'";
    assert_eq!(app.scalar_i64(knocking, &anna_id).await, 0);
    let audited = "SELECT COUNT(*) FROM audit_log WHERE event = 'guest.handover' AND outcome = $1";
    assert_eq!(app.scalar_i64(audited, "success").await, 1);

    // Once only; the replaced page can make no new one.
    let again = app.get(&app.browser(), &path).await;
    assert_eq!(again.status(), 404);
    assert!(again.text().await.unwrap().contains("schon geöffnet oder ist abgelaufen"));
    assert_eq!(make(in_app.clone()).await.0, 409, "a replaced device hands nothing over");
    assert_eq!(app.post(&app.browser(), "/teilnehmen/weitergeben", &[]).await.status(), 401, "nor does a stranger");

    // 30 minutes, then it is spent.
    let (_, late) = make(chrome.clone()).await;
    app.clock.advance(30 * 60);
    assert_eq!(app.get(&app.browser(), late.trim_start_matches(&app.base)).await.status(), 404);
    assert_eq!(guest_state_shown(&app, &chrome).await, "waiting");
}

both_databases!(
    a_guest_goes_on_in_another_browser,
    the_practice_is_the_patients_contact,
    a_room_holds_four_and_ends_for_everyone,
    no_invitation_goes_unsent_silently,
    turn_credentials_reach_the_host_and_only_admitted_guests,
    invitations_work_only_within_their_window,
    cancel_renew_and_remove_revoke_invitations,
    invitations_by_mail_carry_a_calendar_file,
    code_entry_is_neutral_limited_and_audited,
    a_guest_reaches_only_their_own_waiting_room,
    states_survive_reloads_and_reconnects,
    the_websocket_pushes_changes_and_keeps_its_rules,
    participants_data_is_deleted_after_the_retention_period,
    bad_input_keeps_what_was_typed,
);

/// Host and guest on two instances of one PostgreSQL database: changes reach the other instance's
/// WebSocket through LISTEN/NOTIFY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_see_each_others_changes() {
    let _shared = crate::harness::shared().await;
    let first = TestApp::spawn(Backend::Postgres).await;
    let url = first.state().config.database_url.clone();
    let second = TestApp::spawn_with(Backend::Sqlite, |config| config.database_url = url).await;
    assert_eq!(second.state().db.backend, sprechstunde::db::Backend::Postgres);
    second.clock.advance(first.clock.now() - second.clock.now());
    let (host, host_jar) = host(&first, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&first, &host, DATE, TIME).await;
    let anna = add_participant(&first, &host, &id, &[("name", "Anna Beispiel")]).await;
    for app in [&first, &second] {
        app.clock.advance(STARTS_AT - app.clock.now());
    }
    let mut host_socket = websocket(&first, &format!("/ws?termin={id}"), &host_jar, &first.base).await.unwrap();
    next_json(&mut host_socket, 5).await;

    // The guest is served by the second instance (the link names the first; the path is what counts).
    let path = anna.link.trim_start_matches(&first.base).to_owned();
    let (guest, guest_jar) = jar_browser();
    assert_eq!(second.get(&guest, &path).await.status(), 303);
    check_in(&second, &guest).await;
    let pid = participant_id(&first, "Anna Beispiel").await;
    until(&mut host_socket, 2, |m| waiting_ids(m).contains(&pid)).await;

    let mut guest_socket = websocket(&second, "/ws", &guest_jar, &second.base).await.unwrap();
    assert_eq!(next_json(&mut guest_socket, 5).await["state"], "waiting");
    first.post(&host, &format!("/termine/{id}/teilnehmer/{pid}/einlassen"), &[]).await;
    assert_eq!(until(&mut guest_socket, 2, |m| m["type"] == "status").await["state"], "admitted");
    // Signalling crosses instances too (through NOTIFY), with an SDP-sized payload.
    exchange_signals(&mut host_socket, &mut guest_socket, &pid).await;
    let sdp = "a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\\r\\n".repeat(90);
    assert!(sdp.len() > 5000);
    let offer = format!(r#"{{"type":"signal","to":"host","payload":{{"sdp":"{sdp}"}}}}"#);
    guest_socket.send(Message::Text(offer.into())).await.unwrap();
    let relayed = until(&mut host_socket, 2, |m| m["type"] == "signal").await;
    assert_eq!(relayed["payload"]["sdp"].as_str().unwrap().len(), sdp.len() - 90 * 2, "escapes decoded once");
    drop(second);
}
