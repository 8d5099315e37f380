//! The radiculo HTTP service: contract v1.1 over JSON, stateless assessment, stored assessments
//! per tenant, the vocabulary and the knowledge base's sources, health, metrics and an OpenAPI
//! document generated from the handlers.
//!
//! This crate is an edge: it adds HTTP, authentication, rate limiting, storage and logging
//! around the pure engine, and no clinical logic. Cases are validated by `radiculo-contract`
//! and assessed by `radiculo-engine`; records are kept by `radiculo-store`. It never logs a
//! request or response body, a case, an assessment or an `Authorization` header.
//!
//! # Layout
//! - [`Config`] (`config`): the one configuration struct (clap flags and environment);
//! - [`run`], [`serve`], [`app`] (this file): the process, the server loop with an injected
//!   listener and shutdown signal (so tests drive it), and the router with its layers;
//! - [`AppState`] (`state`): what every handler shares (engine, store, limiter, metrics);
//! - [`Error`] (`error`): the one error enum, sent as `application/problem+json`;
//! - `auth`: bearer keys, checked against the store on every request, and the rate limit;
//! - [`Course`] (`course`): an episode's stored assessments as a course for the engine's alert
//!   rules (shared with `radiculo episode show`);
//! - `limit`: the rate limit per key (or per client address on open endpoints), on `governor`;
//! - `layers`: the request span, metrics recording and problem bodies for bare errors;
//! - `metrics`: counters and a latency histogram in the Prometheus text format, in a
//!   `metrics-exporter-prometheus` recorder of this server's own (no global recorder);
//! - `http/`: one module per resource, each with its `router()`: `assess` (assess and
//!   interview), `assessments` (stored records), `cds` (CDS Hooks: discovery, the
//!   `radiculo-triage` service and its feedback), `episodes` (episodes and the alerts of their
//!   course), `reference` (findings and kb), `ops`
//!   (health, readiness, metrics, the OpenAPI document);
//! - `openapi`: the document's frame, the request schemas and the error responses.
#![deny(missing_docs)]

mod auth;
mod config;
mod course;
mod error;
mod http;
mod layers;
mod limit;
mod metrics;
mod openapi;
mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use radiculo_engine::Engine;
use radiculo_store::Store;
use tokio::net::TcpListener;

pub use config::{Config, MAX_BODY_BYTES, MAX_FHIR_BODY_BYTES, default_database_url};
pub use course::Course;
pub use error::Error;
pub use openapi::openapi;
pub use state::AppState;

/// Runs the service until SIGTERM or Ctrl-C: connects the store, binds the listener, serves,
/// lets the requests in flight finish, then closes the store.
pub async fn run(config: Config, engine: Engine) -> Result<(), Error> {
    let store = Store::connect(&config.database_url).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::Bind(config.listen, e))?;
    let local = listener.local_addr().map_err(Error::Serve)?;
    // The database URL is not logged: it may hold a password.
    tracing::info!(
        listen = %local,
        backend = ?store.backend(),
        kb_version = %engine.kb().version,
        require_key = config.require_key,
        "radiculo is serving"
    );
    let state = AppState::new(Arc::new(engine), store.clone(), &config)?;
    let served = serve(listener, state, shutdown_signal()).await;
    tracing::info!("requests in flight finished; closing the store");
    store.close().await;
    served
}

/// Serves `state` on `listener` until `shutdown` completes, then waits for the requests in
/// flight to finish. Tests pass a listener bound to port 0 and a oneshot receiver. The metrics'
/// upkeep runs beside it, for as long as it serves.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> Result<(), Error>
where
    F: Future<Output = ()> + Send + 'static,
{
    let metrics = Arc::clone(&state.metrics);
    let upkeep = tokio::spawn(async move { metrics.upkeep().await });
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(Error::Serve);
    upkeep.abort();
    served
}

/// The router with every route and layer, for [`serve`] or for `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let (router, _) = http::router().split_for_parts();
    layers::apply(router, &state).with_state(state)
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}
