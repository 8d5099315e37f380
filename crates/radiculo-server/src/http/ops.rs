//! Operations: liveness, readiness, metrics and the OpenAPI document.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, Error, metrics};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
}

/// The service's status.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    status: &'static str,
}

/// Liveness.
///
/// The process answers; the database is not consulted.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    responses((status = 200, description = "Alive", body = Health))
)]
async fn healthz() -> Result<Response, Error> {
    super::json(StatusCode::OK, &Health { status: "ok" })
}

/// How long readiness waits for the store's answer. A probe has its own timeout (a second, by
/// Kubernetes' default); the store's wait for a connection (five seconds) is longer, so without
/// this bound a database that is down would look like a hung server rather than an unready one.
const READY_WITHIN: Duration = Duration::from_secs(1);

/// Readiness.
///
/// The store answers a ping within a second. When it does not (the database is down, shutting
/// down or out of connections), the answer is 503 with `Retry-After`, while the routes that do
/// not need the store (`/v1/assess`, the vocabulary, the FHIR definitions) go on working.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
async fn readyz(State(state): State<AppState>) -> Result<Response, Error> {
    match tokio::time::timeout(READY_WITHIN, state.store.ping()).await {
        Ok(Ok(())) => super::json(StatusCode::OK, &Health { status: "ok" }),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the store is not ready");
            Err(Error::Unavailable)
        }
        Err(_) => {
            tracing::warn!("the store is not ready: no answer to a ping within a second");
            Err(Error::Unavailable)
        }
    }
}

/// Metrics.
///
/// Request counts by route template and status, a latency histogram, and assessments stored
/// and erased, in the Prometheus text format. Nothing about any case.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String,
               content_type = "text/plain; version=0.0.4; charset=utf-8"))
)]
async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// This document.
///
/// OpenAPI 3.1, generated from the handlers.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
async fn openapi_json(State(state): State<AppState>) -> Response {
    super::json_bytes(StatusCode::OK, state.openapi_json.clone())
}
