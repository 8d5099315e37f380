//! The one error enum, and its `application/problem+json` form (RFC 9457).
//!
//! A client is told what it can act on (which field, which status) and nothing internal: a
//! store or serialization failure becomes a bare 500 whose cause is logged, inside the request's
//! span and so with its request id, never sent.

use std::net::SocketAddr;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use radiculo_contract::ContractError;
use radiculo_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Where the problem types live; `.invalid` so that no one mistakes them for a live site.
const PROBLEM_BASE: &str = "https://radiculo.invalid/problems/";

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `Retry-After` of a 503 for an unavailable store: long enough for a restarting database
/// to come back, short enough that a client's retry is not a long wait after it has.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Everything that can go wrong, in a request or around the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not JSON (400).
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    /// The body is JSON but not a valid case (422); `field` is its JSON path.
    #[error("the case is invalid at {field}: {message}")]
    InvalidCase {
        /// The JSON path of the offending field (`evidence[2].id`).
        field: String,
        /// What is wrong with it.
        message: String,
        /// For an unknown finding id: the closest known ids.
        suggestions: Vec<String>,
    },
    /// The body of `POST /v1/episodes` is JSON but not a valid episode (422).
    #[error("the episode is invalid at {field}: {message}")]
    InvalidEpisode {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The episode holds as many assessments as it may (409).
    #[error("the episode is full")]
    EpisodeFull,
    /// A query parameter is malformed or out of range (400).
    #[error("invalid query parameter {field}: {message}")]
    InvalidParameter {
        /// The parameter's name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A CDS Hooks request or feedback that this service cannot take, or prefetched FHIR data
    /// it cannot read (400); `field` is the JSON path in the request.
    #[error("the CDS Hooks request is invalid at {field}: {message}")]
    InvalidCdsRequest {
        /// The JSON path (`context.patientId`, `prefetch.findings.entry[3].resource.code`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A CDS Hooks request without a prefetch key the service needs (412).
    #[error("a CDS Hooks prefetch is missing at {field}: {message}")]
    PrefetchMissing {
        /// `prefetch.KEY`.
        field: String,
        /// Why it is needed.
        message: String,
    },
    /// The body is not `application/json` (415).
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// The body is larger than [`crate::MAX_BODY_BYTES`] (413).
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// No API key, or one that is unknown or revoked (401).
    #[error("a valid API key is required")]
    Unauthorized,
    /// No such resource, or one that belongs to another tenant (404).
    #[error("not found")]
    NotFound,
    /// The path exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The key (or client address) has used up its requests for now (429).
    #[error("rate limit exceeded; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a request will be accepted again.
        retry_after_secs: u64,
    },
    /// The request took longer than the configured timeout (503).
    #[error("the request timed out")]
    Timeout,
    /// The store does not answer its readiness ping (503).
    #[error("the store is not available")]
    Unavailable,
    /// Another status produced by a layer (kept as it is, given a problem body).
    #[error("HTTP status {0}")]
    Status(StatusCode),
    /// The store failed: 503 when it is unavailable for now ([`StoreError::Unavailable`]), 500
    /// otherwise.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Something that should not happen did (500); the text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// The listener could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
    /// The server loop failed.
    #[error("serving: {0}")]
    Serve(#[source] std::io::Error),
    /// The knowledge base cannot be rendered as FHIR (at start-up).
    #[error("the FHIR definitions: {0}")]
    Fhir(#[from] radiculo_fhir::FhirError),
}

impl From<ContractError> for Error {
    fn from(e: ContractError) -> Error {
        match e {
            ContractError::Json(detail) => Error::InvalidJson(detail),
            ContractError::Invalid {
                path,
                message,
                suggestions,
            } => Error::InvalidCase {
                field: path,
                message,
                suggestions,
            },
        }
    }
}

impl From<radiculo_fhir::cds::CdsError> for Error {
    fn from(e: radiculo_fhir::cds::CdsError) -> Error {
        let (field, message) = (e.field(), e.detail());
        match e {
            radiculo_fhir::cds::CdsError::MissingPrefetch { .. } => {
                Error::PrefetchMissing { field, message }
            }
            _ => Error::InvalidCdsRequest { field, message },
        }
    }
}

/// A problem report (RFC 9457), the body of every error response.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "https://radiculo.invalid/problems/invalid-case",
    "title": "The case is invalid",
    "status": 422,
    "detail": "unknown finding id `pain.lateral_legg.left`",
    "field": "evidence[0].id",
    "suggestions": ["pain.lateral_leg.left"]
}))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, fixed summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// For bad input: the JSON path of the offending field, or the query parameter's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For an unknown finding id: the closest known ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<Vec<String>>,
}

impl Error {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::InvalidJson(_)
            | Error::InvalidParameter { .. }
            | Error::InvalidCdsRequest { .. } => StatusCode::BAD_REQUEST,
            Error::PrefetchMissing { .. } => StatusCode::PRECONDITION_FAILED,
            Error::InvalidCase { .. } | Error::InvalidEpisode { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::EpisodeFull => StatusCode::CONFLICT,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Timeout | Error::Unavailable | Error::Store(StoreError::Unavailable(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::Status(status) => *status,
            Error::Store(_)
            | Error::Internal(_)
            | Error::Bind(..)
            | Error::Serve(_)
            | Error::Fhir(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem report sent for this error: only what the client may know.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (slug, title, detail, field, suggestions) = match self {
            Error::InvalidJson(detail) => (
                "invalid-json",
                "The request body is not valid JSON",
                detail.clone(),
                None,
                None,
            ),
            Error::InvalidCase {
                field,
                message,
                suggestions,
            } => (
                "invalid-case",
                "The case is invalid",
                message.clone(),
                Some(field.clone()),
                (!suggestions.is_empty()).then(|| suggestions.clone()),
            ),
            Error::InvalidEpisode { field, message } => (
                "invalid-episode",
                "The episode is invalid",
                message.clone(),
                Some(field.clone()),
                None,
            ),
            Error::EpisodeFull => (
                "episode-full",
                "The episode is full",
                format!(
                    "an episode holds at most {} assessments; start a new episode",
                    radiculo_store::MAX_EPISODE_ASSESSMENTS
                ),
                None,
                None,
            ),
            Error::InvalidParameter { field, message } => (
                "invalid-parameter",
                "A query parameter is invalid",
                message.clone(),
                Some(field.clone()),
                None,
            ),
            Error::InvalidCdsRequest { field, message } => (
                "invalid-cds-request",
                "The CDS Hooks request is invalid",
                message.clone(),
                (!field.is_empty()).then(|| field.clone()),
                None,
            ),
            Error::PrefetchMissing { field, message } => (
                "prefetch-missing",
                "Required prefetch is missing",
                message.clone(),
                Some(field.clone()),
                None,
            ),
            Error::UnsupportedMediaType => (
                "unsupported-media-type",
                "Unsupported media type",
                "send the case as JSON with `Content-Type: application/json`".to_owned(),
                None,
                None,
            ),
            Error::PayloadTooLarge => (
                "payload-too-large",
                "The request body is too large",
                format!(
                    "the request body must be at most {} bytes ({} for a CDS Hooks service request or a FHIR operation)",
                    crate::MAX_BODY_BYTES,
                    crate::MAX_FHIR_BODY_BYTES
                ),
                None,
                None,
            ),
            Error::Unauthorized => (
                "unauthorized",
                "Unauthorized",
                "send a valid API key as `Authorization: Bearer <key>`; an operator creates one with `radiculo keys create --tenant NAME`".to_owned(),
                None,
                None,
            ),
            Error::NotFound => (
                "not-found",
                "Not found",
                "there is no such resource".to_owned(),
                None,
                None,
            ),
            Error::MethodNotAllowed => (
                "method-not-allowed",
                "Method not allowed",
                "this path does not accept this method; see the Allow header".to_owned(),
                None,
                None,
            ),
            Error::RateLimited { retry_after_secs } => (
                "rate-limited",
                "Too many requests",
                format!("the rate limit is used up; retry after {retry_after_secs} s"),
                None,
                None,
            ),
            Error::Timeout => (
                "timeout",
                "The request timed out",
                "the request took too long; try again".to_owned(),
                None,
                None,
            ),
            Error::Unavailable | Error::Store(StoreError::Unavailable(_)) => (
                "unavailable",
                "Service unavailable",
                "the service cannot reach its store; try again later".to_owned(),
                None,
                None,
            ),
            Error::Status(status) => (
                "http-status",
                status.canonical_reason().unwrap_or("Error"),
                status.canonical_reason().unwrap_or("Error").to_owned(),
                None,
                None,
            ),
            Error::Store(_)
            | Error::Internal(_)
            | Error::Bind(..)
            | Error::Serve(_)
            | Error::Fhir(_) => (
                "internal",
                "Internal server error",
                "the server failed to answer; the failure is logged under this request's \
                 x-request-id"
                    .to_owned(),
                None,
                None,
            ),
        };
        Problem {
            problem_type: format!("{PROBLEM_BASE}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            field,
            suggestions,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        // Inside the request span, so the log line carries the request id. The error's text
        // names what failed, never a record's contents or a key.
        match &self {
            Error::Store(StoreError::Unavailable(_)) => {
                tracing::warn!(error = %self, "the store is unavailable");
            }
            Error::Timeout | Error::Unavailable => {}
            _ if status.is_server_error() => tracing::error!(error = %self, "request failed"),
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        let retry_after = match self {
            Error::RateLimited { retry_after_secs } => Some(retry_after_secs),
            Error::Unavailable | Error::Store(StoreError::Unavailable(_)) => {
                Some(UNAVAILABLE_RETRY_AFTER_SECS)
            }
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if matches!(self, Error::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"radiculo\""),
            );
        }
        response
    }
}

/// A problem as a response with its status and media type.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
        body,
    )
        .into_response()
}
