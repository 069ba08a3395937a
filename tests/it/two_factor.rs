//! SMS two-factor authentication: the wizard step and the login (issue 3, points 4 and 8), timed by the
//! injected clock.
use crate::both_databases;
use crate::harness::{Backend, MOBILE, PASSWORD, SERVICE_PIN, TestApp};
use sprechstunde::accounts;

/// An account at its two-factor step, in a browser.
async fn at_two_factor_step(app: &TestApp, email: &str, username: &str) -> reqwest::Client {
    let link = app.invite(email).await;
    let browser = app.browser();
    app.register(&browser, &link, username).await;
    app.post(&browser, "/registrierung/service-pin", &[("pin", SERVICE_PIN)]).await;
    app.post(&browser, "/registrierung/service-pin/bestaetigen", &[("pin", SERVICE_PIN), ("confirmed", "ja")]).await;
    browser
}

async fn send_to(app: &TestApp, browser: &reqwest::Client, number: &str) -> reqwest::Response {
    app.post(browser, "/registrierung/zwei-faktor", &[("phone", number)]).await
}

async fn enter(app: &TestApp, browser: &reqwest::Client, code: &str) -> reqwest::Response {
    app.post(browser, "/registrierung/zwei-faktor/code", &[("code", code)]).await
}

async fn numbers_are_taken_as_people_type_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = at_two_factor_step(&app, "erika.muster@praxis-beispiel.de", "emuster").await;
    let html = app.get(&browser, "/registrierung/zwei-faktor").await.text().await.unwrap();
    for expected in [
        "Schritt 3 von 5",
        "<label for=\"phone\">Mobilfunknummer</label>",
        "type=\"tel\" autocomplete=\"tel\"",
        ">Später aktivieren</button>",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    for (input, message) in [("030 12345678", "Festnetznummer"), ("0171 12", "ungültig"), ("Kaffee", "ungültig")] {
        let refused = send_to(&app, &browser, input).await;
        assert_eq!(refused.status(), 422, "{input}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(message), "{input}");
        assert!(html.contains(&format!("value=\"{input}\"")), "input kept");
    }
    assert!(app.sms().is_empty() && app.deliver().await == 0, "nothing sent for refused numbers");
    let sent = send_to(&app, &browser, "0049 171 1234567").await;
    assert_eq!(sent.headers()["location"], "/registrierung/zwei-faktor");
    let html = app.get(&browser, "/registrierung/zwei-faktor").await.text().await.unwrap();
    for expected in [
        "+49171••••567",
        "autocomplete=\"one-time-code\"",
        "inputmode=\"numeric\"",
        "<label for=\"code\">Code aus der SMS</label>",
        ">Neuen Code anfordern</button>",
        ">Zurück</button>",
        "data-wait=\"60\"",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let code = app.last_code_to(MOBILE).await;
    assert_eq!(code.len(), 8);
    let (to, text) = app.sms().pop().unwrap();
    assert_eq!(to, MOBILE, "normalised to E.164");
    assert!(text.contains("5 Minuten gültig"));
}

async fn a_code_is_valid_for_five_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let in_time = at_two_factor_step(&app, "a@praxis-beispiel.de", "puenktlich").await;
    let too_late = at_two_factor_step(&app, "b@praxis-beispiel.de", "spaet").await;
    send_to(&app, &in_time, "0171 1234567").await;
    send_to(&app, &too_late, "0172 7654321").await;
    let first = app.last_code_to(MOBILE).await;
    let second = app.last_code_to("+491727654321").await;
    app.clock.advance(4 * 60 + 59);
    let ok = enter(&app, &in_time, &first).await;
    assert_eq!(ok.status(), 303, "4:59 – valid");
    assert_eq!(ok.headers()["location"], "/registrierung/sichtbarkeit");
    app.clock.advance(2);
    let expired = enter(&app, &too_late, &second).await;
    assert_eq!(expired.status(), 422, "5:01 – expired");
    assert!(expired.text().await.unwrap().contains("abgelaufen"));
    let account = accounts::store::find(&app.state().db, "a@praxis-beispiel.de").await.unwrap().unwrap();
    assert!(account.two_factor_enabled);
    assert_eq!(account.phone.as_deref(), Some(MOBILE));
}

async fn a_new_code_only_after_sixty_seconds_and_it_voids_the_old(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = at_two_factor_step(&app, "erika.muster@praxis-beispiel.de", "emuster").await;
    send_to(&app, &browser, "0171 1234567").await;
    let old = app.last_code_to(MOBILE).await;
    app.clock.advance(59);
    let early = app.post(&browser, "/registrierung/zwei-faktor/neuer-code", &[]).await;
    assert_eq!(early.status(), 429, "59 s: refused");
    assert_eq!(early.headers()["retry-after"], "1");
    let html = early.text().await.unwrap();
    assert!(html.contains("in 1 Sekunden anfordern") || html.contains("<span id=\"wait-seconds\">1</span>"), "{html}");
    assert_eq!(app.deliver().await, 0);
    app.clock.advance(1);
    let again = app.post(&browser, "/registrierung/zwei-faktor/neuer-code", &[]).await;
    assert_eq!(again.status(), 303, "60 s: a new code");
    let new = app.last_code_to(MOBILE).await;
    assert_eq!(app.sms().len(), 2);
    let with_old = enter(&app, &browser, &old).await;
    if old != new {
        assert_eq!(with_old.status(), 422, "the new code voids the old");
    }
    assert_eq!(enter(&app, &browser, &new).await.status(), 303);
}

async fn five_wrong_entries_void_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = at_two_factor_step(&app, "erika.muster@praxis-beispiel.de", "emuster").await;
    send_to(&app, &browser, "0171 1234567").await;
    let code = app.last_code_to(MOBILE).await;
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    for left in (1..=4).rev() {
        let response = enter(&app, &browser, wrong).await;
        assert_eq!(response.status(), 422);
        let expected = if left == 1 { "noch 1 Versuch.".to_owned() } else { format!("noch {left} Versuche") };
        assert!(response.text().await.unwrap().contains(&expected));
    }
    let fifth = enter(&app, &browser, wrong).await;
    assert!(fifth.text().await.unwrap().contains("zu oft falsch"));
    assert_eq!(enter(&app, &browser, &code).await.status(), 422, "void after five wrong entries");
    let format = enter(&app, &browser, "1234").await;
    assert!(format.text().await.unwrap().contains("8 Ziffern"));
}

async fn back_to_correct_the_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = at_two_factor_step(&app, "erika.muster@praxis-beispiel.de", "emuster").await;
    send_to(&app, &browser, "0171 7654321").await;
    let typo_code = app.last_code_to("+491717654321").await;
    let back = app.post(&browser, "/registrierung/zwei-faktor/zurueck", &[]).await;
    assert_eq!(back.headers()["location"], "/registrierung/zwei-faktor");
    let html = app.get(&browser, "/registrierung/zwei-faktor").await.text().await.unwrap();
    assert!(html.contains("value=\"+491717654321\""), "the number is offered for correction");
    assert_eq!(enter(&app, &browser, &typo_code).await.status(), 422, "the code sent to the old number is void");
    app.clock.advance(60);
    send_to(&app, &browser, "0171 1234567").await;
    let code = app.last_code_to(MOBILE).await;
    assert_eq!(enter(&app, &browser, &code).await.status(), 303);
    let account = accounts::store::find(&app.state().db, "erika.muster@praxis-beispiel.de").await.unwrap().unwrap();
    assert_eq!(account.phone.as_deref(), Some(MOBILE));
}

async fn caps_stop_sms_pumping(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = at_two_factor_step(&app, "erika.muster@praxis-beispiel.de", "emuster").await;
    for _ in 0..5 {
        assert_eq!(send_to(&app, &browser, "0171 1234567").await.status(), 303);
        app.post(&browser, "/registrierung/zwei-faktor/zurueck", &[]).await;
        app.clock.advance(61);
    }
    let capped = send_to(&app, &browser, "0171 1234567").await;
    assert_eq!(capped.status(), 429);
    let text = capped.text().await.unwrap();
    assert!(text.contains("zu viele Codes angefordert") && text.contains("erneut ab "), "says from when: {text}");
    app.clock.advance(3600);
    // The idle session has ended meanwhile; signed in again, the person is back at this step.
    let browser = app.browser();
    let login = app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    assert_eq!(login.headers()["location"], "/registrierung/zwei-faktor");
    let sent = send_to(&app, &browser, "0171 1234567").await;
    assert_eq!(sent.headers()["location"], "/registrierung/zwei-faktor", "the hourly cap has passed");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sms_codes WHERE phone = $1", MOBILE).await, 6);
    // The per-number cap also holds for another account using the same number.
    let other = at_two_factor_step(&app, "b@praxis-beispiel.de", "zweiter").await;
    for _ in 0..4 {
        app.clock.advance(61);
        assert_eq!(send_to(&app, &other, "0171 1234567").await.status(), 303);
        app.post(&other, "/registrierung/zwei-faktor/zurueck", &[]).await;
    }
    app.clock.advance(61);
    assert_eq!(send_to(&app, &other, "0171 1234567").await.status(), 429, "5 per number and hour");
}

/// Checklist row 23: beyond the hourly cap, 10 codes per account and number a day. Two hours of five codes
/// each, then a third hour: the hourly cap has passed, the daily one has not; a day later it has.
async fn the_daily_cap_holds_when_the_hourly_one_has_passed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut browser = at_two_factor_step(&app, "erika.muster@praxis-beispiel.de", "emuster").await;
    let started = app.clock.now();
    for hour in 0..3 {
        if hour > 0 {
            app.clock.advance(3600);
            browser = app.browser();
            let login = app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
            assert_eq!(login.headers()["location"], "/registrierung/zwei-faktor");
        }
        for n in 0..5 {
            let status = send_to(&app, &browser, "0171 1234567").await.status();
            if hour < 2 {
                assert_eq!(status, 303, "hour {hour}, code {n}");
            } else {
                assert_eq!(status, 429, "the eleventh code of the day (hour {hour})");
                break;
            }
            app.post(&browser, "/registrierung/zwei-faktor/zurueck", &[]).await;
            app.clock.advance(61);
        }
    }
    app.clock.advance(started + 86_400 - app.clock.now());
    let browser = app.browser();
    app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    assert_eq!(send_to(&app, &browser, "0171 1234567").await.status(), 303, "a day later");
}

async fn the_address_cap_holds_across_accounts_and_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = at_two_factor_step(&app, "a@praxis-beispiel.de", "erste").await;
    let second = at_two_factor_step(&app, "b@praxis-beispiel.de", "zweite").await;
    let third = at_two_factor_step(&app, "c@praxis-beispiel.de", "dritte").await;
    for _ in 0..5 {
        for (browser, number) in [(&first, "0171 1111112"), (&second, "0172 2222223")] {
            let sent = send_to(&app, browser, number).await;
            assert_eq!(sent.headers()["location"], "/registrierung/zwei-faktor");
            app.post(browser, "/registrierung/zwei-faktor/zurueck", &[]).await;
        }
        app.clock.advance(61);
    }
    let capped = send_to(&app, &third, "0173 3333334").await;
    assert_eq!(capped.status(), 429, "10 codes per client address and hour");
    assert!(capped.text().await.unwrap().contains("zu viele Codes angefordert"));
}

/// Checklist row 23: a day allows three times the hourly codes per client address (here 2 an hour, 6 a day),
/// however they are spread over the hours.
async fn the_daily_address_cap_holds(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sms_codes_per_address_per_hour = 2).await;
    // New people every hour (a wizard's session ends after 30 idle minutes), all behind one address.
    for hour in 0..3 {
        for (who, number) in [("a", "0171 1111112"), ("b", "0172 2222223")] {
            let browser =
                at_two_factor_step(&app, &format!("{who}{hour}@praxis-beispiel.de"), &format!("{who}person{hour}"))
                    .await;
            assert_eq!(send_to(&app, &browser, number).await.status(), 303, "hour {hour}");
        }
        app.clock.advance(3601);
    }
    let late = at_two_factor_step(&app, "spaet@praxis-beispiel.de", "spaet").await;
    let capped = send_to(&app, &late, "0173 3333334").await;
    assert_eq!(capped.status(), 429, "the seventh code of the day, though the first of this hour");
    assert!(capped.text().await.unwrap().contains("zu viele Codes angefordert"));
    app.clock.advance(86_400);
    let next_day = at_two_factor_step(&app, "morgen@praxis-beispiel.de", "morgen").await;
    assert_eq!(send_to(&app, &next_day, "0173 3333334").await.status(), 303, "a day later again");
}

async fn parallel_requests_cannot_pass_the_number_cap(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut posts = Vec::new();
    for i in 0..8 {
        let browser = at_two_factor_step(&app, &format!("p{i}@praxis-beispiel.de"), &format!("person{i}")).await;
        posts.push((browser, "/registrierung/zwei-faktor", vec![("phone".to_owned(), "0171 1234567".to_owned())]));
    }
    let mut statuses: Vec<u16> = app.post_all_at_once(posts).await.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [303, 303, 303, 303, 303, 429, 429, 429], "5 codes per number and hour");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sms_codes WHERE phone = $1", MOBILE).await, 5);
}

/// A registered account with SMS two-factor authentication on.
pub async fn with_two_factor(app: &TestApp) {
    let browser = at_two_factor_step(app, "erika.muster@praxis-beispiel.de", "emuster").await;
    send_to(app, &browser, "0171 1234567").await;
    let code = app.last_code_to(MOBILE).await;
    enter(app, &browser, &code).await;
    app.finish_wizard(&browser).await;
    app.clock.advance(60);
}

fn cookie(response: &reqwest::Response) -> String {
    response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
}

async fn login_asks_for_the_sms_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_two_factor(&app).await;
    let browser = app.browser();
    let password = app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    assert_eq!(password.headers()["location"], "/anmelden/code");
    let pending = cookie(&password);
    assert_eq!(app.get(&browser, "/").await.headers()["location"], "/anmelden", "not signed in yet");
    let html = app.get(&browser, "/anmelden/code").await.text().await.unwrap();
    assert!(html.contains("+49171••••567") && html.contains("autocomplete=\"one-time-code\""));
    let code = app.last_code_to(MOBILE).await;
    let wrong = app.post(&browser, "/anmelden/code", &[("code", "00000000")]).await;
    if code != "00000000" {
        assert!(wrong.text().await.unwrap().contains("noch 4 Versuche"));
    }
    let done = app.post(&browser, "/anmelden/code", &[("code", &code)]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/");
    assert_ne!(cookie(&done), pending, "a new session id after the second factor");
    assert_eq!(app.get(&browser, "/").await.status(), 200);
    let replay =
        app.browser().post(app.url("/anmelden/code")).header("cookie", &pending).form(&[("code", &code)]).send().await;
    assert_eq!(replay.unwrap().headers()["location"], "/anmelden", "the pending session is gone");
}

async fn a_login_code_belongs_to_its_login_attempt(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_two_factor(&app).await;
    let first = app.browser();
    app.post(&first, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    let first_code = app.last_code_to(MOBILE).await;
    app.clock.advance(60);
    let second = app.browser();
    app.post(&second, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    let second_code = app.last_code_to(MOBILE).await;
    if first_code != second_code {
        let crossed = app.post(&second, "/anmelden/code", &[("code", &first_code)]).await;
        assert_eq!(crossed.status(), 422, "a code from another attempt does not work");
    }
    assert_eq!(app.post(&second, "/anmelden/code", &[("code", &second_code)]).await.status(), 303);
}

async fn login_codes_follow_the_same_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_two_factor(&app).await;
    let browser = app.browser();
    app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    let code = app.last_code_to(MOBILE).await;
    app.clock.advance(59);
    let early = app.post(&browser, "/anmelden/code/neu", &[]).await;
    assert_eq!(early.status(), 429);
    assert_eq!(early.headers()["retry-after"], "1");
    app.clock.advance(5 * 60 + 1 - 59);
    let expired = app.post(&browser, "/anmelden/code", &[("code", &code)]).await;
    assert_eq!(expired.status(), 422, "5:01 – expired");
    assert_eq!(app.post(&browser, "/anmelden/code/neu", &[]).await.status(), 303);
    let fresh = app.last_code_to(MOBILE).await;
    assert_eq!(app.post(&browser, "/anmelden/code", &[("code", &fresh)]).await.status(), 303);
}

/// Eleven people of one practice (one router, one address) with SMS two-factor sign in within minutes:
/// every one gets a code, because after the right password codes count against the account.
async fn a_shared_router_does_not_stop_login_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for n in 0..11 {
        let browser = at_two_factor_step(&app, &format!("p{n}@praxis-beispiel.de"), &format!("person{n}")).await;
        send_to(&app, &browser, &format!("0171 98765{n:02}")).await;
        let code = app.last_code_to(&format!("+4917198765{n:02}")).await;
        enter(&app, &browser, &code).await;
        app.finish_wizard(&browser).await;
        // Registrations spread over the afternoon, below the address cap for set-up codes.
        app.clock.advance(400);
    }
    let before = app.sms().len();
    for n in 0..11 {
        let browser = app.browser();
        let password =
            app.post(&browser, "/anmelden", &[("username", &format!("person{n}")), ("password", PASSWORD)]).await;
        assert_eq!(password.headers()["location"], "/anmelden/code");
        let page = app.get(&browser, "/anmelden/code").await.text().await.unwrap();
        assert!(page.contains("per SMS an +49171••••"), "person {n}: {page}");
        assert!(!page.contains("Es wurde keine SMS gesendet"));
        if n == 0 {
            let code = app.last_code_to("+491719876500").await;
            let wrong = if code == "00000000" { "11111111" } else { "00000000" };
            let mut last = String::new();
            for _ in 0..4 {
                last = app.post(&browser, "/anmelden/code", &[("code", wrong)]).await.text().await.unwrap();
            }
            assert!(last.contains("Sie haben noch 1 Versuch."), "singular for the last attempt");
        }
    }
    app.deliver().await;
    assert_eq!(app.sms().len() - before, 11, "eleven login codes went out");
}

/// When a cap refuses the login code, the code page says that no SMS was sent, from when a new one is
/// possible, and where to get help; a code typed anyway is not called "abgelaufen".
async fn a_refused_login_code_is_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_two_factor(&app).await;
    let mut refused_at = None;
    for attempt in 0..6 {
        let browser = app.browser();
        app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
        let page = app.get(&browser, "/anmelden/code").await.text().await.unwrap();
        if page.contains("Es wurde keine SMS gesendet.") {
            assert!(page.contains("Ein neuer Code ist erneut ab 11:00 Uhr möglich"), "{page}");
            assert!(page.contains("hilft Ihnen der Support") && page.contains("support@"));
            assert!(!page.contains("per SMS an"));
            let typed = app.post(&browser, "/anmelden/code", &[("code", "12345678")]).await.text().await.unwrap();
            assert!(typed.contains("noch kein Code gesendet") && !typed.contains("abgelaufen"));
            refused_at = Some(attempt);
            break;
        }
        app.clock.advance(61);
    }
    // The set-up code and four login codes make the account's five an hour.
    assert_eq!(refused_at, Some(4));
}

both_databases!(
    a_shared_router_does_not_stop_login_codes,
    a_refused_login_code_is_explained,
    numbers_are_taken_as_people_type_them,
    a_code_is_valid_for_five_minutes,
    a_new_code_only_after_sixty_seconds_and_it_voids_the_old,
    five_wrong_entries_void_a_code,
    back_to_correct_the_number,
    caps_stop_sms_pumping,
    the_daily_cap_holds_when_the_hourly_one_has_passed,
    the_address_cap_holds_across_accounts_and_numbers,
    the_daily_address_cap_holds,
    parallel_requests_cannot_pass_the_number_cap,
    login_asks_for_the_sms_code,
    a_login_code_belongs_to_its_login_attempt,
    login_codes_follow_the_same_rules,
);
