//! The layers around every route, outermost first:
//!
//! 1. a request id (`x-request-id`, a UUID unless the client sent one), echoed in the response;
//! 2. a tracing span per request with method, route template, path, request id, key id,
//!    status and latency (no headers, no bodies);
//! 3. the security headers every response carries ([`security_headers`]), errors included;
//! 4. metrics by route template and status;
//! 5. a problem+json body for any error a layer or axum answered with a bare status (404, 405,
//!    413 from the body limit, 503 from the timeout), keeping its headers (`Allow`, …);
//! 6. the body limit ([`crate::MAX_BODY_BYTES`], or [`crate::MAX_FHIR_BODY_BYTES`] for the CDS
//!    Hooks service and the FHIR operations, whose bodies carry FHIR data) and the request
//!    timeout.
//!
//! They are added with `Router::layer`, which wraps each route after routing, so the route
//! template (`MatchedPath`) is known to the span and the metrics.
//!
//! There is no CORS layer, on purpose: no response says `Access-Control-Allow-Origin`, so a
//! page of another origin cannot read any answer in a browser (the pages are same-origin).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, Response, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{OnResponse, TraceLayer};
use tracing::{Span, field::Empty};

use crate::error::PROBLEM_JSON;
use crate::{AppState, Error, MAX_BODY_BYTES, MAX_FHIR_BODY_BYTES};

/// The route label of a request that matched no route.
const UNMATCHED: &str = "unmatched";

/// Adds the fallback and every layer to the routes.
pub fn apply(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let x_request_id = HeaderName::from_static("x-request-id");
    router.fallback(not_found).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(
                x_request_id.clone(),
                MakeRequestUuid,
            ))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(LogResponse)
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::new(x_request_id))
            .layer(from_fn(security_headers))
            .layer(from_fn_with_state(state.clone(), record_metrics))
            .layer(from_fn(problem_for_bare_errors))
            .layer(from_fn(limit_body))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                state.request_timeout,
            )),
    )
}

/// The policy of any response but the web pages' (which set their own, in `http::web`): it
/// loads nothing, runs nothing, and may not be framed.
const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// Adds the headers every response carries, unless the handler set its own: no MIME sniffing,
/// no referrer, no framing, a Content-Security-Policy that allows nothing (the pages set a
/// strict one of their own), and `Cache-Control: no-store`, since most answers carry health
/// data and no shared or browser cache should keep them (the pages and their assets, which
/// carry none, set their own cache policy). TLS, and so `Strict-Transport-Security`, is the
/// reverse proxy's.
async fn security_headers(request: Request, next: Next) -> Response<Body> {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, API_CONTENT_SECURITY_POLICY),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    response
}

/// Applies the route's body limit: a body declared longer is 413 at once, one that turns out
/// longer fails while it is read (413 from the extractor).
async fn limit_body(request: Request, next: Next) -> Response<Body> {
    let limit = body_limit(route(&request));
    let inner = tower::service_fn(move |request: axum::http::Request<_>| {
        let next = next.clone();
        async move { Ok::<_, Infallible>(next.run(request.map(Body::new)).await) }
    });
    match RequestBodyLimitLayer::new(limit)
        .layer(inner)
        .oneshot(request)
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// The largest body a route takes: a case's size, but for routes whose body carries FHIR
/// data gathered elsewhere.
fn body_limit(route: &str) -> usize {
    match route {
        crate::http::cds::SERVICE_ROUTE
        | crate::http::fhir::ASSESS_ROUTE
        | crate::http::fhir::NEXT_QUESTION_ROUTE => MAX_FHIR_BODY_BYTES,
        _ => MAX_BODY_BYTES,
    }
}

async fn not_found() -> Error {
    Error::NotFound
}

/// The span every log line of a request is recorded in.
fn request_span(request: &Request<Body>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = route(request),
        path = request.uri().path(),
        request_id,
        key_id = Empty,
        status = Empty,
        latency_ms = Empty,
    )
}

/// Logs one line per answered request, with its status and latency.
#[derive(Debug, Clone, Copy)]
struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        span.record("status", response.status().as_u16());
        span.record("latency_ms", latency.as_secs_f64() * 1000.0);
        if response.status().is_server_error() {
            tracing::warn!("answered");
        } else {
            tracing::info!("answered");
        }
    }
}

fn route(request: &Request<Body>) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
}

async fn record_metrics(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let start = Instant::now();
    // Known methods only, so that made-up ones cannot add series.
    let method = match *request.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let route = route(&request).to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .record_request(method, &route, response.status().as_u16(), start.elapsed());
    response
}

/// Gives a problem+json body to an error response that has none, keeping its status and
/// headers.
async fn problem_for_bare_errors(request: Request, next: Next) -> Response<Body> {
    let response = next.run(request).await;
    let status = response.status();
    // A problem, or a FHIR OperationOutcome (the `/fhir` routes' own errors), is kept.
    let is_report = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            [PROBLEM_JSON, radiculo_fhir::MEDIA_TYPE]
                .iter()
                .any(|kind| v.as_bytes().starts_with(kind.as_bytes()))
        });
    if !(status.is_client_error() || status.is_server_error()) || is_report {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => Error::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => Error::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType,
        // The only bare 503 is the timeout layer's; the handlers' own carry problems.
        StatusCode::SERVICE_UNAVAILABLE => Error::Timeout,
        other => Error::Status(other),
    };
    let (parts, _) = response.into_parts();
    let mut problem = error.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name, value.clone());
        }
    }
    problem
}
