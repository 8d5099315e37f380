//! `/fhir`: radiculo's FHIR R4 definitions, rendered once at start-up from the knowledge base
//! (the CapabilityStatement at `/fhir/metadata`, the intake Questionnaire, the code systems and
//! value sets, the OperationDefinition of `$assess`), and the operations: `$assess` turns a
//! completed QuestionnaireResponse into a results Bundle. Answers are `application/fhir+json`;
//! every error is an OperationOutcome, as FHIR clients expect, with the location of each issue.
//! Nothing is stored.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use radiculo_engine::Engine;
use radiculo_fhir::codes::System;
use radiculo_fhir::operation;
use radiculo_fhir::questionnaire::{self, INTAKE};
use radiculo_fhir::response::Rejected;
use radiculo_fhir::types::OperationOutcome;
use radiculo_fhir::{FhirError, MEDIA_TYPE};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::OpenCaller;
use crate::{AppState, Error};

/// The route of `$assess` (its body limit is the FHIR one).
pub const ASSESS_ROUTE: &str = "/fhir/QuestionnaireResponse/$assess";
/// The route of `$next-question`.
pub const NEXT_QUESTION_ROUTE: &str = "/fhir/Questionnaire/$next-question";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(metadata))
        .routes(routes!(questionnaire))
        .routes(routes!(code_system))
        .routes(routes!(value_set))
        .routes(routes!(operation_definition))
        .routes(routes!(assess))
        .routes(routes!(next_question))
}

/// The definitions, each serialised once.
#[derive(Debug)]
pub struct Definitions {
    metadata: Bytes,
    questionnaires: HashMap<&'static str, Bytes>,
    code_systems: HashMap<&'static str, Bytes>,
    value_sets: HashMap<&'static str, Bytes>,
    operation_definitions: HashMap<&'static str, Bytes>,
}

impl Definitions {
    /// Renders every definition of `engine`'s knowledge base; `started` is the server's start,
    /// the CapabilityStatement's date.
    ///
    /// # Errors
    /// When the knowledge base has a question the Questionnaire cannot carry.
    pub fn new(engine: &Engine, started: &str) -> Result<Definitions, FhirError> {
        let kb = engine.kb();
        Ok(Definitions {
            metadata: json(&radiculo_fhir::capability::capability_statement(
                kb, started,
            )),
            questionnaires: HashMap::from([(INTAKE, json(&questionnaire::intake(kb)?))]),
            code_systems: (System::ALL.iter())
                .map(|s| (s.id(), json(&s.code_system(kb))))
                .collect(),
            value_sets: (System::ALL.iter())
                .map(|s| (s.id(), json(&s.value_set(kb))))
                .collect(),
            operation_definitions: HashMap::from([(
                operation::ASSESS_DEFINITION,
                json(&operation::assess_definition(kb)),
            )]),
        })
    }
}

/// A definition, serialised.
pub(super) fn json(value: &impl serde::Serialize) -> Bytes {
    Bytes::from(serde_json::to_vec(value).expect("a FHIR resource always serializes"))
}

/// FHIR JSON with `status`.
pub fn fhir_bytes(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))],
        body,
    )
        .into_response()
}

/// An OperationOutcome as a response.
pub fn outcome(status: StatusCode, outcome: &OperationOutcome) -> Response {
    let body = serde_json::to_vec(outcome).expect("an OperationOutcome always serializes");
    fhir_bytes(status, Bytes::from(body))
}

/// The definition `id` of `definitions`, or a 404 naming the `kind` of resource asked for.
fn definition(definitions: &HashMap<&'static str, Bytes>, kind: &str, id: &str) -> Response {
    match definitions.get(id) {
        Some(body) => fhir_bytes(StatusCode::OK, body.clone()),
        None => not_found(kind, id),
    }
}

/// An OperationOutcome `not-found` for the resource `kind` with `id`, as a 404.
pub(super) fn not_found(kind: &str, id: &str) -> Response {
    outcome(
        StatusCode::NOT_FOUND,
        &OperationOutcome::error(
            "not-found",
            &format!("there is no {kind} `{id}` here"),
            None,
        ),
    )
}

/// The CapabilityStatement.
///
/// What this FHIR endpoint supports (FHIR R4, JSON).
#[utoipa::path(
    get,
    path = "/fhir/metadata",
    tag = "fhir",
    operation_id = "fhir_metadata",
    responses((status = 200, description = "The CapabilityStatement", content_type = "application/fhir+json", body = Object))
)]
async fn metadata(State(state): State<AppState>) -> Response {
    fhir_bytes(StatusCode::OK, state.fhir.metadata.clone())
}

/// A Questionnaire.
///
/// `radiculo-intake`: the intake form, generated from the knowledge base; each finding is an
/// item whose `linkId` is its finding id, answered yes, no or not sure.
#[utoipa::path(
    get,
    path = "/fhir/Questionnaire/{id}",
    tag = "fhir",
    operation_id = "fhir_questionnaire",
    params(("id" = String, Path, description = "`radiculo-intake`", example = "radiculo-intake")),
    responses(
        (status = 200, description = "The Questionnaire", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirReadRejected,
    )
)]
async fn questionnaire(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    definition(&state.fhir.questionnaires, "Questionnaire", &id)
}

/// A CodeSystem.
///
/// One of radiculo's code systems: `radiculo-finding`, `radiculo-condition`,
/// `radiculo-triage-level`, `radiculo-red-flag`, `radiculo-nerve-root`.
#[utoipa::path(
    get,
    path = "/fhir/CodeSystem/{id}",
    tag = "fhir",
    operation_id = "fhir_code_system",
    params(("id" = String, Path, description = "The code system's id", example = "radiculo-finding")),
    responses(
        (status = 200, description = "The CodeSystem", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirReadRejected,
    )
)]
async fn code_system(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    definition(&state.fhir.code_systems, "CodeSystem", &id)
}

/// A ValueSet.
///
/// Every code of one of radiculo's code systems (the same ids as the code systems).
#[utoipa::path(
    get,
    path = "/fhir/ValueSet/{id}",
    tag = "fhir",
    operation_id = "fhir_value_set",
    params(("id" = String, Path, description = "The value set's id", example = "radiculo-triage-level")),
    responses(
        (status = 200, description = "The ValueSet", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirReadRejected,
    )
)]
async fn value_set(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    definition(&state.fhir.value_sets, "ValueSet", &id)
}

/// An OperationDefinition.
///
/// `radiculo-assess`: the definition of `QuestionnaireResponse/$assess`.
#[utoipa::path(
    get,
    path = "/fhir/OperationDefinition/{id}",
    tag = "fhir",
    operation_id = "fhir_operation_definition",
    params(("id" = String, Path, description = "`radiculo-assess`", example = "radiculo-assess")),
    responses(
        (status = 200, description = "The OperationDefinition", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirReadRejected,
    )
)]
async fn operation_definition(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    definition(
        &state.fhir.operation_definitions,
        "OperationDefinition",
        &id,
    )
}

/// A FHIR request body: JSON, read whole, or the OperationOutcome that says why not.
pub struct FhirBody(pub serde_json::Value);

impl FromRequest<AppState> for FhirBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<FhirBody, Response> {
        // The same checks as every JSON body, answered as OperationOutcomes.
        let bytes = super::json_body(request, state).await.map_err(|e| {
            let (status, code, diagnostics) = match e {
                Error::UnsupportedMediaType => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "not-supported",
                    "send FHIR JSON: Content-Type application/fhir+json (or application/json)",
                ),
                Error::PayloadTooLarge => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-costly",
                    "the body is too large",
                ),
                _ => (
                    StatusCode::BAD_REQUEST,
                    "structure",
                    "the body could not be read",
                ),
            };
            outcome(status, &OperationOutcome::error(code, diagnostics, None))
        })?;
        serde_json::from_slice(&bytes).map(FhirBody).map_err(|e| {
            let what = if bytes.is_empty() {
                "the body is empty".to_string()
            } else {
                format!("the body is not JSON: {e}")
            };
            outcome(
                StatusCode::BAD_REQUEST,
                &OperationOutcome::error("structure", &what, None),
            )
        })
    }
}

/// Today's date and this moment, at the edge (the FHIR crate has no clock).
pub(super) fn now() -> (String, String) {
    let timestamp = format!("{:.0}", jiff::Timestamp::now());
    let today = timestamp[..10].to_string();
    (today, timestamp)
}

/// Assess a completed QuestionnaireResponse.
///
/// The body is the QuestionnaireResponse to the intake Questionnaire (or to an adaptive one
/// grown by `$next-question`), or a Parameters resource with it as `response` and the Patient
/// its subject names as `patient`. The answer is a Bundle of type `collection`: the Patient,
/// the response, an Observation per answer, a RiskAssessment (each condition with ICD-10-CM,
/// each nerve root by side, each pain mechanism) and a ClinicalImpression (the triage level,
/// the red flags raised, the plan). Bad input gets an OperationOutcome naming where each issue
/// is: 400 when the resource is malformed, 422 when it is well formed but cannot be assessed.
/// Nothing is stored.
#[utoipa::path(
    post,
    path = "/fhir/QuestionnaireResponse/$assess",
    tag = "fhir",
    operation_id = "fhir_assess",
    security((), ("bearer" = [])),
    request_body(
        content = Object,
        content_type = "application/fhir+json",
        description = "A QuestionnaireResponse, or Parameters with `response` and `patient`",
        example = json!({
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "item": [
                {"linkId": "age", "answer": [{"valueInteger": 47}]},
                {"linkId": "urinary_retention", "answer": [{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "N"}}]}
            ]
        })
    ),
    responses(
        (status = 200, description = "The results Bundle", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirOperationRejected,
    )
)]
async fn assess(
    _: OpenCaller,
    State(state): State<AppState>,
    FhirBody(body): FhirBody,
) -> Response {
    let (_, timestamp) = now();
    let seed = uuid::Uuid::new_v4().to_string();
    match operation::assess(&state.json, &body, &timestamp, &seed) {
        Ok(bundle) => fhir_bytes(StatusCode::OK, json(&bundle)),
        Err(r) => rejected(&r),
    }
}

/// The next question of an adaptive interview (SDC `$next-question`).
///
/// The body is a QuestionnaireResponse (`in-progress`) whose contained adaptive Questionnaire
/// holds the questions asked so far, or a Parameters resource with it as
/// `questionnaire-response` and, optionally, `mode` (`valueCode` `patient`, the default, or
/// `clinician`, sent with every call). The first call may send a response with no items and no
/// Questionnaire. The answer is the same response with the next question appended to its
/// contained Questionnaire (the intake's item for it), or, when the interview is over,
/// `completed` with the item `radiculo.result` (the triage for the person, answered with the
/// triage level): that completed response is what `QuestionnaireResponse/$assess` takes.
/// Bad input gets an OperationOutcome naming where each issue is: 400 when the resource is
/// malformed, 422 when it is well formed but cannot go on. Nothing is stored.
#[utoipa::path(
    post,
    path = "/fhir/Questionnaire/$next-question",
    tag = "fhir",
    operation_id = "fhir_next_question",
    security((), ("bearer" = [])),
    request_body(
        content = Object,
        content_type = "application/fhir+json",
        description = "A QuestionnaireResponse with a contained adaptive Questionnaire, or Parameters with `questionnaire-response` and `mode`; the first call may send an empty response",
        example = json!({"resourceType": "QuestionnaireResponse", "status": "in-progress"})
    ),
    responses(
        (status = 200, description = "The QuestionnaireResponse with the next question, or completed with the triage", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirOperationRejected,
    )
)]
async fn next_question(
    _: OpenCaller,
    State(state): State<AppState>,
    FhirBody(body): FhirBody,
) -> Result<Response, crate::Error> {
    // The date at the edge, for an age from a birth date when the response has no `authored`.
    let (today, _) = now();
    Ok(
        match radiculo_fhir::adaptive::next_question(&state.json, &body, &today)? {
            Ok(response) => fhir_bytes(StatusCode::OK, json(&response)),
            Err(r) => rejected(&r),
        },
    )
}

/// A FHIR body that could not be used: 422 when it is well formed but cannot be acted on,
/// 400 otherwise.
fn rejected(r: &Rejected) -> Response {
    let status = if r.well_formed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::BAD_REQUEST
    };
    outcome(status, &r.outcome)
}
