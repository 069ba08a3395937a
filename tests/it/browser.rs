//! End to end in real headless Chromium (Debian's chromium + chromium-driver): the link from the delivered
//! e-mail, checkmarks turning green while typing, step 1 finished.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::harness::{Backend, PASSWORD, TestApp};

struct ChromeDriver {
    child: Child,
    port: u16,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_chromedriver() -> ChromeDriver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is required for the browser tests (apt-get install chromium chromium-driver)");
    let driver = ChromeDriver { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn open_browser(driver: &ChromeDriver, profile: &std::path::Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=412,915",
                format!("--user-data-dir={}", profile.display()),
            ]
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
async fn registration_step_one_in_chromium() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    app.deliver().await;
    let link = app.last_link_to("erika.muster@praxis-beispiel.de");
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path()).await;

    browser.goto(&link).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/registrierung", "the token left the address bar");
    assert!(!url.as_str().contains(link.rsplit('/').next().unwrap()));
    let title = browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(title, "Benutzername und Passwort festlegen");

    for rule in ["min_length", "not_common", "not_context", "matches"] {
        assert!(!is_met(&browser, "password-rules", rule).await, "{rule} unmet before typing");
    }
    let username = browser.find(Locator::Id("username")).await.unwrap();
    username.send_keys("emuster").await.unwrap();
    eventually_met(&browser, "username-rules", "length", true).await;
    eventually_met(&browser, "username-rules", "start", true).await;
    eventually_met(&browser, "username-rules", "available", true).await;

    let password = browser.find(Locator::Id("password")).await.unwrap();
    password.send_keys("emuster").await.unwrap();
    eventually_met(&browser, "password-rules", "not_context", false).await;
    assert!(!is_met(&browser, "password-rules", "min_length").await);
    password.clear().await.unwrap();
    password.send_keys("Leuchtturm").await.unwrap();
    eventually_met(&browser, "password-rules", "not_context", true).await;
    assert!(!is_met(&browser, "password-rules", "min_length").await, "10 characters");
    password.send_keys(" am Deich 7").await.unwrap();
    eventually_met(&browser, "password-rules", "min_length", true).await;
    eventually_met(&browser, "password-rules", "not_common", true).await;
    assert!(!is_met(&browser, "password-rules", "matches").await);
    let repeat = browser.find(Locator::Id("password_repeat")).await.unwrap();
    repeat.send_keys(PASSWORD).await.unwrap();
    eventually_met(&browser, "password-rules", "matches", true).await;

    let button = browser.find(Locator::Id("confirm")).await.unwrap();
    assert_eq!(button.text().await.unwrap(), "Bestätigen & Fortfahren");
    button.click().await.unwrap();
    let start = Instant::now();
    while browser.current_url().await.unwrap().path() != "/registrierung/abgeschlossen" {
        if start.elapsed() > Duration::from_secs(10) {
            panic!("step 1 did not finish: {}", browser.source().await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let h1 = browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(h1, "Registrierung abgeschlossen");
    browser.close().await.unwrap();
}
