//! The HTTP server underneath the router: accepting connections (plain, or TLS with rustls), the
//! per-connection limits a router cannot set (how long a client may take for a request's headers and how long
//! a kept-alive connection may sit idle), and a graceful shutdown that lets open requests finish.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::Service;

use crate::config::TlsFiles;

/// How long open connections get to finish when the service stops.
const DRAIN: Duration = Duration::from_secs(10);

/// Reads the certificate chain and key; a missing or unreadable file stops the start with its name.
pub fn tls_acceptor(files: &TlsFiles) -> anyhow::Result<TlsAcceptor> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("Zertifikat {} kann nicht gelesen werden: {e}", files.cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("Zertifikat {}: keine Zertifikate in der Datei", files.cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| anyhow::anyhow!("Schlüssel {} kann nicht gelesen werden: {e}", files.key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| anyhow::anyhow!("Zertifikat und Schlüssel passen nicht: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` on `listener` until `stop` turns true, then drains open connections.
pub async fn run(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(%error, "Verbindung konnte nicht angenommen werden");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let Ok(service) = make_service.call(peer).await;
        let service = TowerToHyperService::new(service);
        let (tls, stop) = (tls.clone(), stop.clone());
        connections.spawn(async move {
            match tls {
                None => serve_connection(TokioIo::new(stream), service, header_timeout, stop).await,
                Some(acceptor) => match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => serve_connection(TokioIo::new(stream), service, header_timeout, stop).await,
                    Ok(Err(error)) => tracing::debug!(%error, "TLS-Handshake fehlgeschlagen"),
                    Err(_) => tracing::debug!("TLS-Handshake zu langsam"),
                },
            }
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("offene Verbindungen beim Beenden abgebrochen");
    }
}

async fn serve_connection<I, S>(io: TokioIo<I>, service: S, header_timeout: Duration, mut stop: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<hyper::Request<hyper::body::Incoming>, Response = axum::response::Response>
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    // hyper starts this timer whenever it waits for a request's head, also between kept-alive requests:
    // so it bounds both a client trickling its headers and a connection left idle.
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let connection = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "Verbindung beendet");
            }
        }
        () = stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Resolves once the service is told to stop (the guard `wait_for` returns must not live across awaits).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}
