//! The accept loop: per-client connection limits, request-head deadlines,
//! and a graceful stop on SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::http::Request;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use super::conns::{Busy, Conns, MAX_CONNECTIONS, PER_CLIENT};
use super::{limit, Peer, Result, ServeError, HEAD_TIMEOUT, READ_TIMEOUT};
use crate::output::Output;

/// Accepts connections until a signal, then lets open ones finish (for at
/// most [`READ_TIMEOUT`]).
pub(super) async fn accept(
    listener: std::net::TcpListener,
    router: Router,
    out: Output,
    signals: Signals,
) -> Result<()> {
    let listener =
        tokio::net::TcpListener::from_std(listener).map_err(|e| ServeError::Io("listen", e))?;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let conns = Conns::new(MAX_CONNECTIONS, PER_CLIENT);
    let shutdown = signals.stop();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    out.warn(format!("cannot accept a connection: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(ticket) = conns.admit(limit::network(peer.ip())) else {
            // This client holds its share, or every connection is busy.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let tower = TowerToHyperService::new(router.clone());
        let busy = Arc::clone(&ticket.busy);
        let service = service_fn(move |mut request: Request<Incoming>| {
            let working = Busy::new(&busy);
            request.extensions_mut().insert(Peer(peer));
            let response = hyper::service::Service::call(&tower, request);
            async move {
                let response = response.await;
                drop(working);
                response
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                // Closed to make room for a new connection.
                () = ticket.close.notified() => {}
            }
            drop(ticket);
        });
    }
    drop(listener);
    out.info("stopping: finishing open requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(READ_TIMEOUT) => {}
    }
    Ok(())
}

/// SIGINT (Ctrl-C) and SIGTERM (systemd's stop), watched from the moment
/// this is made.
pub(super) struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers the handlers; needs a runtime context.
    pub(super) fn watch() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves at the first of them.
    async fn stop(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
