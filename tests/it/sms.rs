//! SMS delivery through the outbox to a gateway (issue 3, point 5): the generic webhook and the
//! Twilio-compatible API against a local recording server; 5xx and timeouts are retried, nothing is lost.
use std::time::Duration;

use crate::both_databases;
use crate::harness::{Backend, MOBILE, SERVICE_PIN, TestApp};
use crate::recorder::Recorder;
use sprechstunde::config::{Secret, SmsTransport};

async fn queue_a_code(app: &TestApp) {
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    app.register(&browser, &link, "emuster").await;
    app.post(&browser, "/registrierung/service-pin", &[("pin", SERVICE_PIN)]).await;
    app.post(&browser, "/registrierung/service-pin/bestaetigen", &[("pin", SERVICE_PIN), ("confirmed", "ja")]).await;
    let sent = app.post(&browser, "/registrierung/zwei-faktor", &[("phone", "0171 1234567")]).await;
    assert_eq!(sent.status(), 303);
}

fn secret(text: &str) -> Secret {
    serde_json::from_value(serde_json::json!(text)).unwrap()
}

async fn the_json_webhook_gets_number_and_text(backend: Backend) {
    let gateway = Recorder::start().await;
    let url = format!("{}/sms", gateway.url);
    let app =
        TestApp::spawn_with(backend, |c| c.sms = SmsTransport::Http { url, token: Some(secret("gw-token")) }).await;
    queue_a_code(&app).await;
    assert_eq!(app.deliver().await, 1, "the SMS (the registration e-mail went out before)");
    let requests = gateway.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/sms");
    assert_eq!(request.headers["authorization"], "Bearer gw-token");
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["to"], MOBILE);
    assert!(body["text"].as_str().unwrap().contains("Sprechstunde-Code"));
}

async fn the_vendor_api_gets_a_twilio_style_request(backend: Backend) {
    let gateway = Recorder::start().await;
    let base_url = gateway.url.clone();
    let app = TestApp::spawn_with(backend, |c| {
        c.sms = SmsTransport::Twilio {
            base_url,
            account_sid: "AC123".into(),
            auth_token: secret("vendor-secret"),
            from: "+4930123456".into(),
        }
    })
    .await;
    queue_a_code(&app).await;
    app.deliver().await;
    let requests = gateway.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/2010-04-01/Accounts/AC123/Messages.json");
    let expected_auth = format!("Basic {}", base64_encode("AC123:vendor-secret"));
    assert_eq!(request.headers["authorization"], expected_auth.as_str());
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&request.body).unwrap();
    assert!(form.contains(&("To".into(), MOBILE.into())));
    assert!(form.contains(&("From".into(), "+4930123456".into())));
    assert!(form.iter().any(|(k, v)| k == "Body" && v.contains("Sprechstunde-Code")));
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn a_failing_or_silent_gateway_gets_retries_and_nothing_is_lost(backend: Backend) {
    let gateway = Recorder::start().await;
    let url = format!("{}/sms", gateway.url);
    let app = TestApp::spawn_with(backend, |c| {
        c.sms = SmsTransport::Http { url, token: None };
        c.sms_timeout = Duration::from_secs(1);
    })
    .await;
    queue_a_code(&app).await;
    gateway.fail_next(1);
    gateway.hang_next(1);
    app.deliver().await;
    assert_eq!(gateway.requests().len(), 1, "503");
    app.clock.advance(30);
    app.deliver().await;
    assert_eq!(gateway.requests().len(), 2, "timed out");
    let status: String = sqlx::query_scalar("SELECT status FROM outbox WHERE channel = 'sms'")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    assert_eq!(status, "pending", "still queued after two failures");
    app.clock.advance(60);
    app.deliver().await;
    assert_eq!(gateway.requests().len(), 3);
    let (status, body): (String, String) = sqlx::query_as("SELECT status, body_text FROM outbox WHERE channel = 'sms'")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    assert_eq!(status, "sent");
    assert_eq!(body, "", "the code's text is erased once delivered");
}

both_databases!(
    the_json_webhook_gets_number_and_text,
    the_vendor_api_gets_a_twilio_style_request,
    a_failing_or_silent_gateway_gets_retries_and_nothing_is_lost,
);
