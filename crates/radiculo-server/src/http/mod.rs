//! The routes, one module per resource, each with its `router()`; and what their handlers
//! share: the case body extractor and JSON responses.

pub mod assess;
pub mod assessments;
pub mod cds;
pub mod episodes;
pub mod fhir;
pub mod fhir_episode;
pub mod ops;
pub mod reference;
pub mod web;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use radiculo_engine::Case;
use radiculo_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::openapi::ApiDoc;
use crate::{AppState, Error};

/// Every route, with its OpenAPI description (the web pages have none: they are not API
/// operations).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(assess::router())
        .merge(assessments::router())
        .merge(cds::router())
        .merge(episodes::router())
        .merge(fhir::router())
        .merge(fhir_episode::router())
        .merge(reference::router())
        .merge(ops::router())
        .merge(web::router())
}

/// The page size of a list when `limit` is not given.
const DEFAULT_LIMIT: u32 = 20;
/// The largest page.
const MAX_LIMIT: u32 = 100;

/// Which page of a list to give (`?limit=&cursor=`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many items, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page (empty or absent: the first page).
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    cursor: Option<String>,
}

/// A page asked for, checked: how many items, and after which cursor.
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The page `params` ask for, or the 400 that names what is wrong.
    pub fn of(params: Result<Query<ListParams>, QueryRejection>) -> Result<PageRequest, Error> {
        let Query(params) = params.map_err(|_| Error::InvalidParameter {
            field: "limit".to_owned(),
            message: format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
        })?;
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::InvalidParameter {
                field: "limit".to_owned(),
                message: format!("limit must be from 1 to {MAX_LIMIT}"),
            });
        }
        let cursor = params.cursor.filter(|c| !c.is_empty());
        Ok(PageRequest { limit, cursor })
    }

    /// A store error of the listing: a cursor not from a previous page is the caller's.
    pub fn error(e: StoreError) -> Error {
        match e {
            StoreError::InvalidCursor => Error::InvalidParameter {
                field: "cursor".to_owned(),
                message: "not a cursor from a previous page".to_owned(),
            },
            other => Error::Store(other),
        }
    }
}

/// A request body declared as JSON, read whole: 415 when it is not declared JSON, 413 when it
/// is over the route's limit.
pub async fn json_body(request: Request, state: &AppState) -> Result<Bytes, Error> {
    if !is_json(request.headers()) {
        return Err(Error::UnsupportedMediaType);
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge,
            _ => Error::InvalidJson("the request body could not be read".to_owned()),
        })
}

/// A request body that is a valid case: the body as sent and the validated case.
///
/// The checks run in the order a client can fix them: the media type (415), the size (413,
/// also enforced by the body-limit layer), the JSON syntax (400), the contract (422).
pub struct CaseBody {
    /// The body as sent: valid UTF-8 JSON.
    pub bytes: Bytes,
    /// The case it validates to.
    pub case: Case,
}

impl FromRequest<AppState> for CaseBody {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<CaseBody, Error> {
        let bytes = json_body(request, state).await?;
        // The contract's parser reads a well-formed case straight from the text, without a
        // JSON tree (that tree had been a tenth of the server's time on `/v1/assess`); it
        // words every error as the tree-based path does.
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
                .err()
                .map_or_else(|| "the body is not UTF-8".to_owned(), |e| e.to_string());
            Error::InvalidJson(detail)
        })?;
        let case = radiculo_contract::parse_case(&state.engine, text)?;
        Ok(CaseBody { bytes, case })
    }
}

/// Whether the body is declared as JSON: `application/json` or `application/*+json`, with
/// any parameters.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// `value` as a JSON response with `status`.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Result<Response, Error> {
    let body = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(json_bytes(status, body))
}

/// Serialized JSON as a response with `status`.
pub fn json_bytes(status: StatusCode, body: impl Into<Bytes>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_recognised() {
        let check = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            is_json(&headers)
        };
        assert!(check("application/json"));
        assert!(check("application/json; charset=utf-8"));
        assert!(check("Application/JSON"));
        assert!(check("application/fhir+json"));
        assert!(!check("text/plain"));
        assert!(!check("application/x-www-form-urlencoded"));
        assert!(!check("json"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
