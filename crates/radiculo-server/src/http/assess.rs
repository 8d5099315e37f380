//! `POST /v1/assess` and `POST /v1/interview`: a case in, an assessment out, nothing stored.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use radiculo_contract::{AssessmentJson, Form};
use radiculo_engine::Options;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::CaseBody;
use crate::auth::OpenCaller;
use crate::{AppState, Error};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assess))
        .routes(routes!(interview))
}

/// Assess a case.
///
/// The full assessment (contract v1.1): triage, red flags, mechanism, roots, conditions, the
/// explanation, the plan and the next question. Nothing is stored. Open unless the server
/// requires keys; a key that is sent must be valid.
#[utoipa::path(
    post,
    path = "/v1/assess",
    tag = "assess",
    operation_id = "assess",
    request_body(content = radiculo_contract::CaseJson, content_type = "application/json"),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The assessment", body = AssessmentJson),
        crate::openapi::CaseRejected,
    )
)]
async fn assess(
    _: OpenCaller,
    State(state): State<AppState>,
    body: CaseBody,
) -> Result<Response, Error> {
    Ok(assessed(&state, &body))
}

/// One step of an interview.
///
/// Send the answers so far as a case (`mode` decides whether examination findings may be
/// asked); the assessment comes back with `next_question`, the most useful question still
/// unanswered. Answer it by adding its finding (or each of its `items`) to `evidence` and
/// send the case again. The interview is over when `next_question` is `null`: when no answer
/// could change the advice, or at once when the triage is `emergency`. Nothing is stored.
#[utoipa::path(
    post,
    path = "/v1/interview",
    tag = "assess",
    operation_id = "interview",
    request_body(content = radiculo_contract::CaseJson, content_type = "application/json"),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The assessment so far, with the next question or `null`", body = AssessmentJson),
        crate::openapi::CaseRejected,
    )
)]
async fn interview(
    _: OpenCaller,
    State(state): State<AppState>,
    body: CaseBody,
) -> Result<Response, Error> {
    // The same assessment as `/v1/assess`: the engine itself ends the interview on an
    // emergency (no next question). A separate operation so that clients and the document
    // name the step of an interview for what it is.
    Ok(assessed(&state, &body))
}

/// The case's full assessment as the response body, written straight into one buffer sized for
/// a typical assessment (about 25 KB) so that it is not regrown while being written.
fn assessed(state: &AppState, body: &CaseBody) -> Response {
    let assessment = state.engine.assess(&body.case, Options::default());
    let mut json = Vec::with_capacity(32 * 1024);
    state
        .json
        .write(&body.case, &assessment, Form::Full, &mut json);
    super::json_bytes(StatusCode::OK, json)
}
