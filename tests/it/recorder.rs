//! A local HTTP server that stands in for an SMS vendor: it records every request and can be told to
//! answer 503 or to hang for a number of requests (the only test double, at the network edge).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};

#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Clone, Default)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    fail: Arc<AtomicUsize>,
    hang: Arc<AtomicUsize>,
}

pub struct Recorder {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    pub async fn start() -> Recorder {
        let shared = Shared::default();
        let state = shared.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                state.requests.lock().unwrap().push(Recorded {
                    path: uri.path().to_owned(),
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                if take(&state.hang) {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                if take(&state.fail) {
                    return (StatusCode::SERVICE_UNAVAILABLE, "busy");
                }
                (StatusCode::CREATED, "{\"sid\":\"SM1\"}")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Recorder { url, shared, task }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The next `n` requests get 503.
    pub fn fail_next(&self, n: usize) {
        self.shared.fail.store(n, Ordering::SeqCst);
    }

    /// The next `n` requests get no answer for 30 s.
    pub fn hang_next(&self, n: usize) {
        self.shared.hang.store(n, Ordering::SeqCst);
    }
}

fn take(counter: &AtomicUsize) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}
