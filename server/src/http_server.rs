//! The accept loop. `axum::serve` gives hyper no timer, and without one
//! hyper applies no header-read timeout at all (a client sending a byte a
//! second keeps its connection forever). This loop gives it one, so a
//! request's headers must arrive within `MARQUEE_HEADER_TIMEOUT_SECS` and
//! an idle keep-alive connection is closed after the same time (hyper
//! starts the header timer as soon as a connection goes idle). It also caps
//! open connections, answers current public documents from the render
//! cache before the router, tells every other request its socket peer, and on shutdown
//! stops accepting, ends live streams, answers on the connections it has
//! for a moment (closing each after its answer) and drains the rest.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::limits::Limits;
use crate::render_cache::RenderCache;

/// Serves `router` on `listener` until `shutdown` resolves, then drains:
/// stops accepting (the socket is closed, so a proxy's next attempt goes to
/// another instance), tells live streams to reconnect elsewhere, lets
/// requests in flight finish and closes idle keep-alive connections, for
/// `drain` at most.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    fast: Option<Arc<RenderCache>>,
    limits: Arc<Limits>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) {
    let settings = &limits.settings;
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(settings.header_timeout_secs.max(1)));
    // One accepted connection, served on its own task; `slot` counts it
    // against the cap while it lives.
    let serve_one = |stream: tokio::net::TcpStream,
                     peer: SocketAddr,
                     slot: Option<tokio::sync::OwnedSemaphorePermit>| {
        let _ = stream.set_nodelay(true);
        let draining = limits.clone();
        let router = router.clone();
        let fast = fast.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            // A current public document straight from memory, before the
            // router: no routing, no body wrapper, no peer address to
            // attach (the render cache's layer inside the router answers
            // the same way for what comes through it).
            let hit = fast.as_ref().and_then(|c| c.answer(&req));
            let router = router.clone();
            let draining = draining.clone();
            async move {
                let mut res = match hit {
                    Some(res) => res,
                    None => {
                        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                        match router.oneshot(req).await {
                            Ok(res) => res,
                            Err(never) => match never {},
                        }
                    }
                };
                // Draining: hyper closes the connection after this answer,
                // and the proxy, told so, does not reuse it.
                if draining.is_shutting_down() {
                    res.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                Ok::<_, Infallible>(res)
            }
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    };
    tokio::pin!(shutdown);
    loop {
        // A free slot first: over the cap, new connections wait in the
        // kernel's backlog instead of costing memory here.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: wait a moment rather than spin.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        serve_one(stream, peer, Some(slot));
    }
    tracing::info!("signal received, draining connections");
    limits.begin_shutdown();
    // Connections the kernel completed but this loop has not accepted yet
    // (the listen backlog) would be reset when the socket closes, after
    // the proxy sent its request on them: nginx passes no such POST to
    // another instance (a 502 for a write during a rolling upgrade; seen
    // by bench/rolling.sh). So they are taken in first and answered once,
    // with `Connection: close`; only then is the socket closed.
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await
    {
        serve_one(stream, peer, slots.clone().try_acquire_owned().ok());
    }
    drop(listener);
    let started = tokio::time::Instant::now();
    // A proxy may be writing a request on an idle keep-alive connection
    // right now; closing that connection at once would reset the request,
    // and nginx passes no POST it has sent to another instance (a 502 for
    // a write during a rolling upgrade). So for a moment the open
    // connections keep serving, each answer saying `Connection: close`,
    // and only what is still idle after that is closed.
    if slots.available_permits() < settings.max_connections.max(1) {
        tokio::time::sleep(KEEP_ALIVE_GRACE.min(drain)).await;
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain.saturating_sub(started.elapsed())) => {
            tracing::warn!("connections still open after {}s; closing them", drain.as_secs());
        }
    }
}

/// How long a draining instance keeps answering on connections it already
/// has (each answer then closes its connection), before it closes the idle
/// ones. Long enough for a proxy to stop picking a refusing instance or to
/// use up its idle connections to it; short against the drain.
const KEEP_ALIVE_GRACE: Duration = Duration::from_secs(1);
