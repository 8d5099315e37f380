//! `/fhir`: radiculo's FHIR R4 definitions, rendered once at start-up from the knowledge base:
//! the CapabilityStatement (`/fhir/metadata`), the intake Questionnaire, and the code systems
//! and value sets. Answers are `application/fhir+json`; an unknown id is a 404 with an
//! OperationOutcome, as FHIR clients expect.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use radiculo_engine::Engine;
use radiculo_fhir::codes::System;
use radiculo_fhir::questionnaire::{self, INTAKE};
use radiculo_fhir::types::OperationOutcome;
use radiculo_fhir::{FhirError, MEDIA_TYPE};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(metadata))
        .routes(routes!(questionnaire))
        .routes(routes!(code_system))
        .routes(routes!(value_set))
}

/// The definitions, each serialised once.
#[derive(Debug)]
pub struct Definitions {
    metadata: Bytes,
    questionnaire: Bytes,
    code_systems: HashMap<&'static str, Bytes>,
    value_sets: HashMap<&'static str, Bytes>,
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
            questionnaire: json(&questionnaire::intake(kb)?),
            code_systems: (System::ALL.iter())
                .map(|s| (s.id(), json(&s.code_system(kb))))
                .collect(),
            value_sets: (System::ALL.iter())
                .map(|s| (s.id(), json(&s.value_set(kb))))
                .collect(),
        })
    }
}

/// A definition, serialised.
fn json(value: &impl serde::Serialize) -> Bytes {
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

fn not_found(kind: &str, id: &str) -> Response {
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
    params(("id" = String, Path, description = "`radiculo-intake`")),
    responses(
        (status = 200, description = "The Questionnaire", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirReadRejected,
    )
)]
async fn questionnaire(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if id == INTAKE {
        fhir_bytes(StatusCode::OK, state.fhir.questionnaire.clone())
    } else {
        not_found("Questionnaire", &id)
    }
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
    params(("id" = String, Path, description = "The code system's id")),
    responses(
        (status = 200, description = "The CodeSystem", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirReadRejected,
    )
)]
async fn code_system(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.fhir.code_systems.get(id.as_str()) {
        Some(body) => fhir_bytes(StatusCode::OK, body.clone()),
        None => not_found("CodeSystem", &id),
    }
}

/// A ValueSet.
///
/// Every code of one of radiculo's code systems (the same ids as the code systems).
#[utoipa::path(
    get,
    path = "/fhir/ValueSet/{id}",
    tag = "fhir",
    operation_id = "fhir_value_set",
    params(("id" = String, Path, description = "The value set's id")),
    responses(
        (status = 200, description = "The ValueSet", content_type = "application/fhir+json", body = Object),
        crate::openapi::FhirReadRejected,
    )
)]
async fn value_set(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.fhir.value_sets.get(id.as_str()) {
        Some(body) => fhir_bytes(StatusCode::OK, body.clone()),
        None => not_found("ValueSet", &id),
    }
}
