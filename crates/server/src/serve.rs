//! Serving with time limits, so that slow clients cannot hold the server: headers within `Limits::headers`, the
//! body and the answer within `Limits::request` (408 beyond). On shutdown (SIGTERM, Ctrl-C), no new connection is
//! taken and those in flight finish, for at most `Limits::request`.
use axum::{
    Router,
    extract::ConnectInfo,
    http::{Request, StatusCode},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use std::{future::Future, net::SocketAddr, time::Duration};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// To send the request line and headers.
    pub headers: Duration,
    /// To send the body and be answered.
    pub request: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { headers: Duration::from_secs(10), request: Duration::from_secs(30) }
    }
}

/// Serves `app` on `listener` until `shutdown`, each request knowing its client's address (`ConnectInfo`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = app.layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request));
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.headers);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = ServiceBuilder::new()
            .layer(RequestBodyTimeoutLayer::new(limits.request))
            .service(app.clone())
            .map_request(move |mut request: Request<_>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.request) => tracing::warn!("requests still running at shutdown were cut"),
    }
    Ok(())
}
