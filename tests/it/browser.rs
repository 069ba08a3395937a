//! End to end in real headless Chromium (Debian's chromium + chromium-driver): the link from the delivered
//! e-mail, checkmarks turning green while typing, every step of the default edition (copy button, PDF
//! download, SMS code with its countdown), a login with SMS code, and a second run with "Später aktivieren".
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::harness::{Backend, MOBILE, PASSWORD, SERVICE_PIN, TestApp};

/// chromedriver or geckodriver, with the browsers it started.
pub struct WebDriver {
    child: Child,
    port: u16,
    /// The profile folders of the browsers it started: how their processes are found again.
    profiles: std::sync::Mutex<Vec<String>>,
}

/// The profile folders of every browser a live `WebDriver` of this test process started.
static LIVE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl WebDriver {
    fn register(&self, profile: &std::path::Path) {
        let profile = profile.display().to_string();
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).push(profile.clone());
        self.profiles.lock().unwrap_or_else(|e| e.into_inner()).push(profile);
    }
}

impl Drop for WebDriver {
    /// Ends the driver and every browser it started: a test that fails before closing its browsers must
    /// not leave them running, encoding video for the tests after it. Debian's `chromium` wrapper leaves the
    /// browser re-parented to init, so the processes are found by their profile folder (Chromium's
    /// zygotes and renderers carry it too; Firefox's content processes end with their parent).
    fn drop(&mut self) {
        let profiles = self.profiles.lock().map(|p| p.clone()).unwrap_or_default();
        end_all(processes_where(|args| profiles.iter().any(|p| args.iter().any(|a| a.contains(p.as_str())))));
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| !profiles.contains(p));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Browsers under a driver's remote control that no live `WebDriver` of this process started were left
/// behind (a failed run once left three Chromiums encoding video, and the room tests after it failed one
/// after another): ended before a driver starts. Browser tests run one at a time (`harness::exclusive`).
fn end_orphans() {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    end_all(processes_where(|args| {
        let browser = args.first().is_some_and(|a| a.contains("chromium") || a.contains("firefox"));
        // Chromium rewrites its children's command line into one string: look inside the arguments.
        let driven =
            args.iter().any(|a| a.contains("--test-type=webdriver") || a.split(' ').any(|w| w == "-marionette"));
        browser && driven && !live.iter().any(|p| args.iter().any(|a| a.contains(p.as_str())))
    }));
}

/// Ends these processes. Not their process groups: a browser started by a driver is in the test
/// process's own group.
fn end_all(pids: Vec<u32>) {
    if !pids.is_empty() {
        // procps' kill (dash's built-in one refused `--`, so nothing was ever ended).
        let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
        let _ = Command::new("kill").args(["-KILL", "--"]).args(&pids).stderr(Stdio::null()).status();
    }
}

/// The processes whose arguments match (from /proc), this one's own excepted.
fn processes_where(matches: impl Fn(&[String]) -> bool) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<String> =
                cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            (pid != std::process::id() && matches(&args)).then_some(pid)
        })
        .collect()
}

pub async fn start_chromedriver() -> WebDriver {
    start_driver("chromedriver", |port| vec![format!("--port={port}")], CHROMEDRIVER_MISSING, None).await
}

const CHROMEDRIVER_MISSING: &str =
    "chromedriver is required for the browser tests (apt-get install chromium chromium-driver)";
const GECKODRIVER_MISSING: &str =
    "geckodriver is required for the Firefox tests (cargo install geckodriver --locked; apt-get install firefox-esr)";

/// geckodriver for Debian's Firefox ESR (`cargo install geckodriver --locked`; `.ci/run` does it). It drives
/// one Firefox at a time: start one per browser open at once.
pub async fn start_geckodriver() -> WebDriver {
    start_driver("geckodriver", gecko_args, GECKODRIVER_MISSING, None).await
}

fn gecko_args(port: u16) -> Vec<String> {
    vec![format!("--port={port}"), "--log=fatal".to_owned()]
}

/// A driver whose browsers live behind a poor line (see [`crate::poor_line`]).
pub async fn start_driver_behind(line: &mut crate::poor_line::PoorLine, firefox: bool) -> WebDriver {
    if firefox {
        start_driver("geckodriver", gecko_args, GECKODRIVER_MISSING, Some(line)).await
    } else {
        start_driver("chromedriver", |port| vec![format!("--port={port}")], CHROMEDRIVER_MISSING, Some(line)).await
    }
}

async fn start_driver(
    program: &str,
    args: impl Fn(u16) -> Vec<String>,
    missing: &str,
    line: Option<&mut crate::poor_line::PoorLine>,
) -> WebDriver {
    end_orphans();
    let own_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = match &line {
        Some(line) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", line.namespace(), program]);
            command
        }
        None => Command::new(program),
    };
    let child = command
        .args(args(own_port))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{missing}: {e}"));
    // Behind a line the driver is reached through a forwarder, which accepts at once: ready means it answers.
    let port = line.map_or(own_port, |line| line.control(own_port));
    let driver = WebDriver { child, port, profiles: std::sync::Mutex::new(Vec::new()) };
    for _ in 0..100 {
        if answers(port).await {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{program} did not start ({missing})");
}

async fn answers(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else { return false };
    if stream.write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.is_err() {
        return false;
    }
    let mut first = [0u8; 1];
    matches!(tokio::time::timeout(Duration::from_secs(2), stream.read(&mut first)).await, Ok(Ok(1)))
}

/// Headless Firefox with a synthetic camera and microphone, permission granted, ICE over loopback with
/// real addresses, German first.
pub async fn open_firefox(driver: &WebDriver, profile: &std::path::Path) -> Client {
    open_firefox_with(driver, profile, serde_json::json!({})).await
}

/// As [`open_firefox`], with more preferences (`media.peerconnection.enabled: false`: a browser without
/// WebRTC).
pub async fn open_firefox_with(driver: &WebDriver, profile: &std::path::Path, prefs: serde_json::Value) -> Client {
    driver.register(profile);
    let mut all = serde_json::json!({
        "media.navigator.streams.fake": true,
        "media.navigator.permission.disabled": true,
        "media.peerconnection.ice.loopback": true,
        "media.peerconnection.ice.obfuscate_host_addresses": false,
        "media.autoplay.default": 0,
        "media.autoplay.blocking_policy": 0,
        "intl.accept_languages": "de-DE, de",
        "browser.shell.checkDefaultBrowser": false,
        "app.update.enabled": false
    });
    if let (Some(all), Some(more)) = (all.as_object_mut(), prefs.as_object()) {
        all.extend(more.clone());
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), "firefox".into());
    capabilities.insert(
        "moz:firefoxOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/firefox-esr",
            "args": ["-headless", "-profile", profile.display().to_string(), "--width=412", "--height=915"],
            "prefs": all
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Firefox session")
}

pub async fn open_browser(driver: &WebDriver, profile: &std::path::Path, downloads: &std::path::Path) -> Client {
    open_browser_with(
        driver,
        profile,
        downloads,
        &["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
    )
    .await
}

/// A browser with these media flags: the tests choose a synthetic camera and microphone
/// (`--use-fake-device-for-media-stream`, optionally `=device-count=2`), and whether permission prompts
/// are accepted (`--use-fake-ui-for-media-stream`) or refused (`--deny-permission-prompts`).
pub async fn open_browser_with(
    driver: &WebDriver,
    profile: &std::path::Path,
    downloads: &std::path::Path,
    media: &[&str],
) -> Client {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=412,915",
        // ICE over loopback, with real addresses rather than mDNS names.
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
    ]
    .iter()
    .chain(media)
    .map(|arg| (*arg).to_owned())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    driver.register(profile);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": args,
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
                "intl.accept_languages": "de-DE,de"
            }
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

async fn is_met(browser: &Client, list: &str, rule: &str) -> bool {
    let item = browser
        .find(Locator::Css(&format!("#{list} li[data-rule='{rule}']")))
        .await
        .unwrap_or_else(|e| panic!("rule {rule}: {e}"));
    item.attr("class").await.unwrap().unwrap_or_default().contains("met")
}

/// A rule's `data-met`: "true" (check), "false" (cross) or "" (nothing typed yet).
async fn rule_state(browser: &Client, list: &str, rule: &str) -> String {
    let item = browser.find(Locator::Css(&format!("#{list} li[data-rule='{rule}']"))).await.unwrap();
    item.attr("data-met").await.unwrap().unwrap_or_default()
}

async fn eventually_met(browser: &Client, list: &str, rule: &str, expected: bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if is_met(browser, list, rule).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{list}/{rule} did not become met={expected}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_registration_and_an_sms_login_in_chromium() {
    let _alone = crate::harness::exclusive().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    app.deliver().await;
    let link = app.last_link_to("erika.muster@praxis-beispiel.de");
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path(), downloads.path()).await;

    browser.goto(&link).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/registrierung", "the token left the address bar");
    assert!(!url.as_str().contains(link.rsplit('/').next().unwrap()));
    let title = find(&browser, Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(title, "Benutzername und Passwort festlegen");

    // Before anything is typed, no rule is green and none is red.
    for rule in ["min_length", "max_length", "not_common", "not_context", "matches"] {
        assert_eq!(rule_state(&browser, "password-rules", rule).await, "", "{rule} before typing");
    }
    let username = find(&browser, Locator::Id("username")).await.unwrap();
    username.send_keys("emuster").await.unwrap();
    eventually_met(&browser, "username-rules", "length", true).await;
    eventually_met(&browser, "username-rules", "start", true).await;
    eventually_met(&browser, "username-rules", "available", true).await;

    let password = find(&browser, Locator::Id("password")).await.unwrap();
    password.send_keys("emuster").await.unwrap();
    eventually_met(&browser, "password-rules", "not_context", false).await;
    assert!(!is_met(&browser, "password-rules", "min_length").await);
    // Typed and not met: a red cross; met: a check, also for "at most 128".
    assert_eq!(rule_state(&browser, "password-rules", "min_length").await, "false");
    assert_eq!(rule_state(&browser, "password-rules", "max_length").await, "true");
    assert_eq!(rule_state(&browser, "password-rules", "matches").await, "", "nothing repeated yet");
    // "Passwort anzeigen" shows what was typed, and hides it again.
    click(&browser, "password-toggle").await;
    assert_eq!(password.attr("type").await.unwrap().as_deref(), Some("text"));
    click(&browser, "password-toggle").await;
    assert_eq!(password.attr("type").await.unwrap().as_deref(), Some("password"));
    password.clear().await.unwrap();
    password.send_keys("Leuchtturm").await.unwrap();
    eventually_met(&browser, "password-rules", "not_context", true).await;
    assert!(!is_met(&browser, "password-rules", "min_length").await, "10 characters");
    password.send_keys(" am Deich 7").await.unwrap();
    eventually_met(&browser, "password-rules", "min_length", true).await;
    eventually_met(&browser, "password-rules", "not_common", true).await;
    assert!(!is_met(&browser, "password-rules", "matches").await);
    let repeat = find(&browser, Locator::Id("password_repeat")).await.unwrap();
    repeat.send_keys(PASSWORD).await.unwrap();
    eventually_met(&browser, "password-rules", "matches", true).await;

    let button = find(&browser, Locator::Id("confirm")).await.unwrap();
    assert_eq!(button.text().await.unwrap(), "Bestätigen & Fortfahren");
    button.click().await.unwrap();
    wait_for_path(&browser, "/registrierung/service-pin").await;
    assert_eq!(text_of(&browser, ".progress").await, "SCHRITT 2 VON 5");

    // Step 2: keep the proposed PIN, copy it, save the PDF, confirm safe storage.
    let proposed = find(&browser, Locator::Id("pin")).await.unwrap().prop("value").await.unwrap().unwrap();
    assert_eq!(proposed.len(), 6, "a random PIN is proposed");
    click(&browser, "set-pin").await;
    wait_for_text(&browser, "h1", "Ihre Service-PIN").await;
    assert_eq!(
        text_of(&browser, "#pin-value").await,
        format!("{} {}", &proposed[..3], &proposed[3..]),
        "in two groups"
    );
    assert!(!find(&browser, Locator::Id("copy-status")).await.unwrap().is_displayed().await.unwrap());
    click(&browser, "copy-pin").await;
    let status = find(&browser, Locator::Id("copy-status")).await.unwrap();
    eventually(|| async { status.is_displayed().await.unwrap() }, "copy confirmation").await;
    assert_eq!(status.text().await.unwrap(), "Die Service-PIN wurde in die Zwischenablage kopiert.");
    click(&browser, "pdf").await;
    let pdf_path = eventually_file(downloads.path(), ".pdf").await;
    let text = pdf_text(&pdf_path);
    let grouped = format!("{} {}", &proposed[..3], &proposed[3..]);
    assert!(text.contains(&grouped) && text.contains("Dr. Erika Muster"), "{text}");
    click(&browser, "continue").await;
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/registrierung/service-pin",
        "the box must be ticked first"
    );
    click(&browser, "confirmed").await;
    click(&browser, "continue").await;
    wait_for_path(&browser, "/registrierung/zwei-faktor").await;
    assert_eq!(text_of(&browser, ".progress").await, "SCHRITT 3 VON 5");

    // Step 3: a mobile number, the SMS code, the 60-second countdown.
    find(&browser, Locator::Id("phone")).await.unwrap().send_keys("0171 1234567").await.unwrap();
    click(&browser, "send-code").await;
    wait_for_text(&browser, "h1", "Code eingeben").await;
    let new_code = find(&browser, Locator::Id("new-code")).await.unwrap();
    assert!(!new_code.is_enabled().await.unwrap(), "no new code before 60 s");
    let first: i64 = text_of(&browser, "#wait-seconds").await.parse().unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let later: i64 = text_of(&browser, "#wait-seconds").await.parse().unwrap();
    assert!(later < first && first <= 60, "the countdown runs: {first} → {later}");
    let code = app.last_code_to(MOBILE).await;
    find(&browser, Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    click(&browser, "confirm-code").await;
    wait_for_path(&browser, "/registrierung/sichtbarkeit").await;

    // Step 4 and the closing page.
    assert_eq!(text_of(&browser, ".progress").await, "SCHRITT 4 VON 5");
    click(&browser, "visible").await;
    click(&browser, "continue").await;
    wait_for_path(&browser, "/registrierung/abgeschlossen").await;
    assert_eq!(text_of(&browser, "h1").await, "Registrierung abgeschlossen");
    find(&browser, Locator::Css("a.button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/").await;
    assert!(text_of(&browser, "main").await.contains("Sie sind angemeldet als emuster."));

    // Sign out, sign in again: password, then the SMS code.
    find(&browser, Locator::Css("form[action='/abmelden'] button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/anmelden").await;
    find(&browser, Locator::Id("username")).await.unwrap().send_keys("emuster").await.unwrap();
    find(&browser, Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    find(&browser, Locator::Css("form[action='/anmelden'] button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/anmelden/code").await;
    let code = app.last_code_to(MOBILE).await;
    find(&browser, Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    click(&browser, "confirm-code").await;
    wait_for_path(&browser, "/").await;
    assert!(text_of(&browser, "main").await.contains("Willkommen, Dr. Erika Muster!"));

    // A second person, who postpones two-factor authentication ("Später aktivieren").
    find(&browser, Locator::Css("form[action='/abmelden'] button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/anmelden").await;
    app.create_account("kollege@praxis-beispiel.de", "Dr. Max Kollege").await;
    app.deliver().await;
    browser.goto(&app.last_link_to("kollege@praxis-beispiel.de")).await.unwrap();
    wait_for_path(&browser, "/registrierung").await;
    find(&browser, Locator::Id("username")).await.unwrap().send_keys("mkollege").await.unwrap();
    find(&browser, Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    find(&browser, Locator::Id("password_repeat")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    click(&browser, "confirm").await;
    wait_for_path(&browser, "/registrierung/service-pin").await;
    click(&browser, "set-pin").await;
    wait_for_text(&browser, "h1", "Ihre Service-PIN").await;
    click(&browser, "confirmed").await;
    click(&browser, "continue").await;
    wait_for_path(&browser, "/registrierung/zwei-faktor").await;
    assert_eq!(text_of(&browser, "#later").await, "Später aktivieren");
    click(&browser, "later").await;
    wait_for_path(&browser, "/registrierung/sichtbarkeit").await;
    click(&browser, "continue").await;
    wait_for_path(&browser, "/registrierung/abgeschlossen").await;
    browser.close().await.unwrap();
}

/// Finds an element, waiting for it while a navigation completes.
pub async fn find(
    browser: &Client,
    locator: Locator<'_>,
) -> Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
    browser.wait().at_most(Duration::from_secs(10)).for_element(locator).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_two_factor_and_a_support_pin_check_in_chromium() {
    let _alone = crate::harness::exclusive().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    crate::support::agent(&app).await;
    app.clock.advance(60);
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path(), downloads.path()).await;

    // The user turns SMS 2FA on in the profile, then off again.
    sign_in(&browser, &app, "emuster").await;
    wait_for_path(&browser, "/").await;
    // Through the header, which marks the page the person is on.
    click(&browser, "nav-profil").await;
    wait_for_path(&browser, "/profil").await;
    let current = find(&browser, Locator::Css("#main-nav [aria-current='page']")).await.unwrap();
    assert_eq!(current.text().await.unwrap(), "Profil");
    assert_eq!(text_of(&browser, "#two-factor-status").await, "Nicht aktiv.");
    click(&browser, "two-factor-on").await;
    wait_for_path(&browser, "/profil/zwei-faktor/aktivieren").await;
    find(&browser, Locator::Id("phone")).await.unwrap().send_keys("0171 1234567").await.unwrap();
    click(&browser, "send-code").await;
    wait_for_text(&browser, "h1", "Code eingeben").await;
    let code = app.last_code_to(MOBILE).await;
    find(&browser, Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    click(&browser, "confirm-code").await;
    wait_for_path(&browser, "/profil").await;
    assert_eq!(text_of(&browser, "#two-factor-status").await, "Aktiv. Codes gehen an +49171••••567.");
    snap(&browser, "profile-two-factor-on").await;
    app.clock.advance(60);
    click(&browser, "two-factor-off").await;
    wait_for_path(&browser, "/profil/zwei-faktor/deaktivieren").await;
    click(&browser, "send-code").await;
    let password_field = find(&browser, Locator::Id("password")).await.unwrap();
    password_field.send_keys(PASSWORD).await.unwrap();
    let code = app.last_code_to(MOBILE).await;
    find(&browser, Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    click(&browser, "disable").await;
    wait_for_path(&browser, "/profil").await;
    assert_eq!(text_of(&browser, "#two-factor-status").await, "Nicht aktiv.");
    // The practice as patients will see it: a wrong number is named, and nothing typed is lost.
    find(&browser, Locator::Id("practice")).await.unwrap().send_keys("Praxis Dr. Muster").await.unwrap();
    let phone = find(&browser, Locator::Id("practice-phone")).await.unwrap();
    phone.send_keys("030 12").await.unwrap();
    click(&browser, "save-practice").await;
    wait_for_text(
        &browser,
        "#form-errors li",
        "Diese Telefonnummer ist nicht gültig. Bitte geben Sie sie mit Vorwahl ein, z. B. 030 12345678.",
    )
    .await;
    let kept = find(&browser, Locator::Id("practice")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Praxis Dr. Muster"));
    snap(&browser, "profile-practice-error").await;
    let phone = find(&browser, Locator::Id("practice-phone")).await.unwrap();
    phone.clear().await.unwrap();
    phone.send_keys("03012345678").await.unwrap();
    click(&browser, "save-practice").await;
    wait_for_text(&browser, "#notice", "Die Angaben zur Praxis wurden gespeichert.").await;
    let shown = find(&browser, Locator::Id("practice-phone")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(shown.as_deref(), Some("030 12345678"), "as people read it");
    snap(&browser, "profile-practice").await;
    find(&browser, Locator::Css("a[href='/']")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/").await;
    find(&browser, Locator::Css("form[action='/abmelden'] button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/anmelden").await;

    // A support agent checks the caller's Service-PIN and changes their mobile number.
    sign_in(&browser, &app, "sam").await;
    wait_for_path(&browser, "/anmelden/code").await;
    let code = app.last_code_to(crate::support::AGENT_MOBILE).await;
    find(&browser, Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    click(&browser, "confirm-code").await;
    wait_for_path(&browser, "/").await;
    browser.goto(&app.url("/support")).await.unwrap();
    find(&browser, Locator::Id("q")).await.unwrap().send_keys("Erika").await.unwrap();
    click(&browser, "search").await;
    find(&browser, Locator::LinkText("Dr. Erika Muster")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "h1", "Account: Dr. Erika Muster").await;
    assert!(text_of(&browser, "#changes").await.contains("erst nach einer korrekten Prüfung"));
    find(&browser, Locator::Id("pin")).await.unwrap().send_keys("111111").await.unwrap();
    click(&browser, "check-pin").await;
    wait_for_text(&browser, "#pin-result", "nicht korrekt").await;
    find(&browser, Locator::Id("pin")).await.unwrap().send_keys(SERVICE_PIN).await.unwrap();
    click(&browser, "check-pin").await;
    wait_for_text(&browser, "#pin-result", "korrekt").await;
    find(&browser, Locator::Id("new-phone")).await.unwrap().send_keys("0160 98765432").await.unwrap();
    click(&browser, "save-phone").await;
    wait_for_text(&browser, "#notice", "Gespeichert.").await;
    let account =
        sprechstunde::accounts::store::find(&app.state().db, "erika.muster@praxis-beispiel.de").await.unwrap().unwrap();
    assert_eq!(account.phone.as_deref(), Some("+4916098765432"));
    assert!(text_of(&browser, "#history").await.contains("Mobilfunknummer geändert"));
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_search_add_and_sms_in_chromium() {
    let _alone = crate::harness::exclusive().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.member("anna@praxis-beispiel.de", "Dr. Anna Arzt", "aarzt", true).await;
    let ben = app.member("ben@praxis-beispiel.de", "Dr. Ben Bäcker", "bbaecker", true).await;
    app.post(&ben, "/profil/zwei-faktor/aktivieren", &[("phone", "0171 1234567")]).await;
    let code = app.last_code_to(MOBILE).await;
    app.post(&ben, "/profil/zwei-faktor/aktivieren/code", &[("code", &code)]).await;
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path(), downloads.path()).await;

    // A bookmark to the contacts, signed out: after signing in, there it is.
    browser.goto(&app.url("/kontakte")).await.unwrap();
    wait_for_path(&browser, "/anmelden").await;
    find(&browser, Locator::Id("username")).await.unwrap().send_keys("aarzt").await.unwrap();
    find(&browser, Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    find(&browser, Locator::Css("form[action='/anmelden'] button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/kontakte").await;
    find(&browser, Locator::Id("q")).await.unwrap().send_keys("backer").await.unwrap();
    click(&browser, "search").await;
    wait_for_path(&browser, "/kontakte/suche").await;
    assert!(text_of(&browser, "#results").await.contains("Dr. Ben Bäcker"), "umlaut-tolerant");
    find(&browser, Locator::Css("#results button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/kontakte").await;
    assert!(text_of(&browser, "#contacts").await.contains("per SMS erreichbar"));
    find(&browser, Locator::LinkText("Per SMS kontaktieren")).await.unwrap().click().await.unwrap();
    find(&browser, Locator::Id("note")).await.unwrap().send_keys("Bitte um Rückruf").await.unwrap();
    click(&browser, "send").await;
    wait_for_text(&browser, "#notice", "Die SMS ist unterwegs.").await;
    app.deliver().await;
    let (to, text) = app.sms().pop().unwrap();
    assert_eq!(to, MOBILE);
    assert!(text.contains("Dr. Anna Arzt") && text.contains("Bitte um Rückruf"));
    assert!(!browser.source().await.unwrap().contains("1711234567"));

    // Ben turns visibility off: Anna's next search no longer finds him.
    app.post(&ben, "/profil/sichtbarkeit", &[]).await;
    browser.goto(&app.url("/kontakte/suche?q=B%C3%A4cker")).await.unwrap();
    wait_for_text(&browser, "#no-matches", "Niemand gefunden.").await;
    browser.goto(&app.url("/kontakte")).await.unwrap();
    assert!(text_of(&browser, "#contacts").await.contains("derzeit nicht per SMS erreichbar"));
    browser.close().await.unwrap();
}

pub async fn sign_in(browser: &Client, app: &TestApp, username: &str) {
    browser.goto(&app.url("/anmelden")).await.unwrap();
    find(browser, Locator::Id("username")).await.unwrap().send_keys(username).await.unwrap();
    find(browser, Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    find(browser, Locator::Css("form[action='/anmelden'] button")).await.unwrap().click().await.unwrap();
}

/// Clicks an element; retried while a navigation replaces the page under our hands (stale elements).
pub async fn click(browser: &Client, id: &str) {
    let start = Instant::now();
    loop {
        let element = find(browser, Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
        match element.click().await {
            Ok(()) => return,
            Err(_) if start.elapsed() < Duration::from_secs(10) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("#{id}: {e}"),
        }
    }
}

pub async fn text_of(browser: &Client, css: &str) -> String {
    let start = Instant::now();
    loop {
        let element = find(browser, Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        match element.text().await {
            Ok(text) => return text,
            Err(_) if start.elapsed() < Duration::from_secs(10) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("{css}: {e}"),
        }
    }
}

pub async fn eventually<F, Fut>(mut condition: F, what: &str)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_for_path(browser: &Client, path: &str) {
    wait_for_path_within(browser, path, Duration::from_secs(10)).await
}

/// On a poor line a page takes longer: a lost packet costs a TCP retransmission of a second or more.
pub async fn wait_for_path_within(browser: &Client, path: &str, limit: Duration) {
    let start = Instant::now();
    while browser.current_url().await.unwrap().path() != path {
        if start.elapsed() > limit {
            panic!(
                "expected {path}, still on {}: {}",
                browser.current_url().await.unwrap(),
                browser.source().await.unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_for_text(browser: &Client, css: &str, expected: &str) {
    eventually(
        || async { browser.find(Locator::Css(css)).await.is_ok() && text_of(browser, css).await == expected },
        expected,
    )
    .await;
}

async fn eventually_file(dir: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(suffix));
        if let Some(path) = found {
            return path;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no {suffix} file was downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of a PDF, as poppler's pdftotext reads it.
pub fn pdf_text(path: &std::path::Path) -> String {
    let output = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext is required for the tests (apt-get install poppler-utils)");
    assert!(output.status.success(), "pdftotext: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// With `SPRECHSTUNDE_SCREENSHOTS=<folder>` set, saves what the page shows at phone width (390×844) and at a
/// desk (1280×800) as `<folder>/<name>-390.png` and `-1280.png`, to be looked at; otherwise does nothing.
pub async fn snap(browser: &Client, name: &str) {
    let Some(folder) = std::env::var_os("SPRECHSTUNDE_SCREENSHOTS") else { return };
    let (width, height) = browser.get_window_size().await.unwrap();
    for (w, h) in [(390, 844), (1280, 800)] {
        browser.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = browser.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&folder).join(format!("{name}-{w}.png")), png).unwrap();
    }
    browser.set_window_size(width as u32, height as u32).await.unwrap();
}

/// Fails if an element that carries `hidden` is displayed anyway (a `display` rule once overrode the
/// attribute, and hidden buttons showed); `state` names the page state for the message.
pub async fn nothing_hidden_shown(browser: &Client, state: &str) {
    let shown = browser
        .execute(
            "return Array.from(document.querySelectorAll('[hidden]')) \
               .filter((e) => getComputedStyle(e).display !== 'none') \
               .map((e) => e.id || e.tagName + '.' + e.className);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, serde_json::json!([]), "{state}: elements marked hidden are on screen");
}

/// Waits (at most `within`) until the element matching `css` exists; returns how long it took.
pub async fn appears_within(browser: &Client, css: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if browser.find(Locator::Css(css)).await.is_ok() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{css} did not appear within {within:?}: {}",
            browser.source().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Issue 9 end to end: a host creates an appointment with two participants in Chromium; guest 1 opens
/// the e-mailed link in another browser, guest 2 types the code at /teilnehmen in a third; the host sees
/// both waiting within two seconds without reloading, admits one and declines the other, and each
/// guest's page changes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_admits_one_guest_and_declines_another_in_chromium() {
    let _alone = crate::harness::exclusive().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.member("hanna.wolf@praxis-beispiel.de", "Dr. Hanna Wolf", "hwolf", false).await;
    let driver = start_chromedriver().await;
    let dirs: Vec<_> = (0..6).map(|_| tempfile::tempdir().unwrap()).collect();
    let host = open_browser(&driver, dirs[0].path(), dirs[1].path()).await;
    let anna = open_browser(&driver, dirs[2].path(), dirs[3].path()).await;
    let bernd = open_browser(&driver, dirs[4].path(), dirs[5].path()).await;

    sign_in(&host, &app, "hwolf").await;
    wait_for_path(&host, "/").await;
    click(&host, "nav-termine").await;
    wait_for_path(&host, "/termine").await;
    click(&host, "new-appointment").await;
    wait_for_path(&host, "/termine/neu").await;
    // The form proposes today at the next half hour (10:30; the clock says 10:00): invitations open now.
    assert_eq!(find(&host, Locator::Id("time")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("10:30"));
    find(&host, Locator::Id("title")).await.unwrap().send_keys("Befundbesprechung").await.unwrap();
    click(&host, "create").await;
    wait_for_text(&host, "#notice", "Der Termin ist angelegt. Fügen Sie jetzt die Teilnehmenden hinzu.").await;
    let appointment_path = host.current_url().await.unwrap().path().to_owned();

    find(&host, Locator::Id("p-name")).await.unwrap().send_keys("Anna Beispiel").await.unwrap();
    find(&host, Locator::Id("p-email")).await.unwrap().send_keys("anna@beispiel.de").await.unwrap();
    click(&host, "add").await;
    wait_for_text(&host, "#fresh h2", "Zugangsdaten für Anna Beispiel").await;
    find(&host, Locator::Id("p-name")).await.unwrap().send_keys("Bernd Beispiel").await.unwrap();
    click(&host, "add").await;
    wait_for_text(&host, "#fresh h2", "Zugangsdaten für Bernd Beispiel").await;
    let code = text_of(&host, "#fresh-code-shown").await;
    assert_eq!(code.len(), 12, "{code}");
    app.deliver().await;
    let mail = app.mails().into_iter().rfind(|m| m.raw.contains("To: anna@beispiel.de")).expect("invitation");
    let link = mail.link().expect("link in the invitation");
    // The host's page, live: both invited, nobody waiting.
    host.goto(&app.url(&appointment_path)).await.unwrap();
    assert_eq!(host.find_all(Locator::Css("#participants li[data-state='invited']")).await.unwrap().len(), 2);
    // Sound and notification on arrival, once the host switched them on (browsers allow both only after a
    // click). Headless Chromium shows no notifications: the test counts the calls instead.
    host.execute(
        "window.notes = []; window.tones = 0; \
         window.Notification = function (title) { window.notes.push(title); }; \
         window.Notification.permission = 'granted'; \
         const original = AudioContext.prototype.createOscillator; \
         AudioContext.prototype.createOscillator = function () { window.tones += 1; return original.call(this); };",
        vec![],
    )
    .await
    .unwrap();
    click(&host, "enable-alerts").await;

    anna.goto(&link).await.unwrap();
    wait_for_path(&anna, "/teilnehmen/eintreten").await;
    assert_eq!(
        find(&anna, Locator::Id("name")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("Anna Beispiel")
    );
    // "Sprechstunde betreten" is the consent, with the sentence right above it.
    assert!(text_of(&anna, "#consent-text").await.starts_with("Mit „Sprechstunde betreten“ stimmen Sie"));
    click(&anna, "enter").await;
    wait_for_path(&anna, "/warteraum").await;
    assert_eq!(
        text_of(&anna, "#guest-status .waiting-text").await,
        "Bitte warten Sie – Sie werden gleich eingelassen."
    );
    let seen = appears_within(&host, "#participants li[data-state='waiting']", Duration::from_secs(2)).await;
    println!("host saw guest 1 waiting after {seen:?}");

    bernd.goto(&app.url("/teilnehmen")).await.unwrap();
    find(&bernd, Locator::Id("code")).await.unwrap().send_keys(&code.replace('-', "").to_lowercase()).await.unwrap();
    click(&bernd, "join").await;
    wait_for_path(&bernd, "/teilnehmen/eintreten").await;
    click(&bernd, "enter").await;
    wait_for_path(&bernd, "/warteraum").await;
    let seen = appears_within(
        &host,
        "#participants li[data-state='waiting'] + li[data-state='waiting']",
        Duration::from_secs(2),
    )
    .await;
    println!("host saw guest 2 waiting after {seen:?}");
    assert_eq!(host.current_url().await.unwrap().path(), appointment_path, "no reload");
    assert!(text_of(&host, "#participants").await.contains("wartet seit 10:00 Uhr"));
    let notes = host.execute("return window.notes", vec![]).await.unwrap();
    assert_eq!(notes, serde_json::json!(["Anna Beispiel wartet", "Bernd Beispiel wartet"]), "one per arrival");
    let tones = host.execute("return window.tones", vec![]).await.unwrap().as_u64().unwrap();
    assert_eq!(tones, 4, "two short tones per arrival");

    let row = |name: &str| format!("#participants li[data-name='{name}']");
    find(&host, Locator::Css(&format!("{} button.admit", row("Anna Beispiel")))).await.unwrap().click().await.unwrap();
    let admitted = appears_within(&anna, "#guest-status[data-state='admitted']", Duration::from_secs(2)).await;
    println!("guest 1 saw the admission after {admitted:?}");
    assert_eq!(text_of(&anna, "#guest-status strong").await, "Sie wurden eingelassen.");
    appears_within(&host, &format!("{}[data-state='admitted']", row("Anna Beispiel")), Duration::from_secs(5)).await;
    find(&host, Locator::Css(&format!("{} button.decline", row("Bernd Beispiel"))))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    appears_within(&bernd, "#guest-status[data-state='declined']", Duration::from_secs(2)).await;
    assert!(text_of(&bernd, "#guest-status").await.contains("abgelehnt"));
    assert_eq!(text_of(&anna, "#guest-status strong").await, "Sie wurden eingelassen.", "guest 1 stays admitted");
    for browser in [host, anna, bernd] {
        browser.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_from_the_login_page_to_the_new_one_in_chromium() {
    let _alone = crate::harness::exclusive().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path(), downloads.path()).await;

    browser.goto(&app.url("/anmelden")).await.unwrap();
    click(&browser, "forgot-password").await;
    wait_for_path(&browser, "/passwort-vergessen").await;
    find(&browser, Locator::Id("identifier")).await.unwrap().send_keys("emuster").await.unwrap();
    find(&browser, Locator::Css("form[action='/passwort-vergessen'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "h1", "Bitte sehen Sie in Ihr E-Mail-Postfach").await;

    // The link from the delivered e-mail.
    app.deliver().await;
    let mail = app.mails().into_iter().rfind(|m| m.subject().starts_with("Neues Passwort")).expect("reset mail");
    browser.goto(&mail.link().unwrap()).await.unwrap();
    wait_for_path(&browser, "/passwort-neu").await;
    // The same live checks as at registration: unmet while empty, met once typed.
    eventually_met(&browser, "password-rules", "min_length", false).await;
    let new_password = "Nordseewellen im Herbst 9";
    find(&browser, Locator::Id("password")).await.unwrap().send_keys(new_password).await.unwrap();
    find(&browser, Locator::Id("password_repeat")).await.unwrap().send_keys(new_password).await.unwrap();
    eventually_met(&browser, "password-rules", "min_length", true).await;
    eventually_met(&browser, "password-rules", "matches", true).await;
    click(&browser, "save-password").await;
    wait_for_text(&browser, "h1", "Ihr neues Passwort gilt").await;

    // Signing in with the new password leads to the start page.
    browser.goto(&app.url("/anmelden")).await.unwrap();
    find(&browser, Locator::Id("username")).await.unwrap().send_keys("emuster").await.unwrap();
    find(&browser, Locator::Id("password")).await.unwrap().send_keys(new_password).await.unwrap();
    find(&browser, Locator::Css("form[action='/anmelden'] button")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/").await;
    browser.close().await.unwrap();
}
