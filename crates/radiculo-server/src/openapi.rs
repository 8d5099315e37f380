//! The OpenAPI 3.1 document: its frame (info, security, reusable error responses), the request
//! schemas, and what is added after the handlers' own annotations are collected (the errors
//! every operation can answer with, and the finding ids the knowledge base accepts).
//!
//! The document is generated from the handlers' `#[utoipa::path]` attributes through the same
//! router that serves them, so a route cannot be served and left out.

use radiculo_engine::Engine;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, Ref, RefOr};
use utoipa::{IntoResponses, Modify, ToResponse};

use crate::error::Problem;

/// The OpenAPI document of the service, for `engine`'s knowledge base.
pub fn openapi(engine: &Engine) -> OpenApi {
    let mut api = crate::http::router().into_openapi();
    for item in api.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.delete,
            &mut item.put,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            add_common_errors(operation);
        }
    }
    enumerate_finding_ids(&mut api, engine);
    api
}

/// The document's frame; the handlers add their paths to it.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "radiculo",
        description = "Explainable decision support for back-related leg pain: a case (contract v1.1) \
                       in, an assessment out. It informs and triages; it does not diagnose.\n\n\
                       Errors are `application/problem+json` (RFC 9457) with `type`, `title`, \
                       `status` and `detail`; for bad input also `field` (the JSON path) and, \
                       for an unknown finding id, `suggestions`. Every response carries an \
                       `x-request-id` header.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(
        schemas(Problem),
        responses(
            InvalidRequest,
            Unauthorized,
            NotFound,
            FhirNotFound,
            FhirInvalid,
            FhirTooLarge,
            FhirUnsupportedMediaType,
            FhirUnassessable,
            PayloadTooLarge,
            UnsupportedMediaType,
            InvalidCase,
            InvalidEpisode,
            EpisodeFull,
            TooManyRequests,
            PrefetchMissing,
            Internal,
            Unavailable
        )
    ),
    modifiers(&BearerKeys),
    tags(
        (name = "assess", description = "Assessment of a case, nothing stored"),
        (name = "assessments", description = "Stored assessments, per tenant (an API key is required)"),
        (name = "episodes", description = "One person's assessments over time, per tenant, with alerts when the course gets worse (an API key is required)"),
        (name = "reference", description = "The finding vocabulary and the knowledge base"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
        (name = "cds-hooks", description = "CDS Hooks 2.0: discovery, the radiculo-triage service (patient-view) and feedback stored per tenant"),
        (name = "fhir", description = "FHIR R4: the CapabilityStatement, the intake Questionnaire, code systems, value sets and operations; errors are OperationOutcomes"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme: `Authorization: Bearer <key>`.
struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key issued to a tenant."))
                    .build(),
            ),
        );
    }
}

/// Any operation can fail inside (500) or time out (503).
fn add_common_errors(operation: &mut Operation) {
    for (status, name) in [("500", "Internal"), ("503", "Unavailable")] {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
}

/// Lists the knowledge base's finding ids as the values `evidence[].id` may take.
fn enumerate_finding_ids(api: &mut OpenApi, engine: &Engine) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::Object(evidence))) = components.schemas.get_mut("Evidence") else {
        return;
    };
    let ids = engine.kb().vocab.findings.iter().map(|f| f.id.clone());
    evidence.properties.insert(
        "id".to_owned(),
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A finding id from the vocabulary (`GET /v1/findings`); an unknown id is \
                 rejected with suggestions",
            ))
            .enum_values(Some(ids))
            .into(),
    );
}

/// What an operation that takes a case answers when it does not accept it.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "responses for the document, never constructed")]
pub enum CaseRejected {
    #[response(status = 400)]
    InvalidRequest(#[ref_response] InvalidRequest),
    #[response(status = 401)]
    Unauthorized(#[ref_response] Unauthorized),
    #[response(status = 413)]
    PayloadTooLarge(#[ref_response] PayloadTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] UnsupportedMediaType),
    #[response(status = 422)]
    InvalidCase(#[ref_response] InvalidCase),
    #[response(status = 429)]
    TooManyRequests(#[ref_response] TooManyRequests),
}

/// What `POST /v1/episodes` answers when it does not create one.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "responses for the document, never constructed")]
pub enum EpisodeRejected {
    #[response(status = 400)]
    InvalidRequest(#[ref_response] InvalidRequest),
    #[response(status = 401)]
    Unauthorized(#[ref_response] Unauthorized),
    #[response(status = 413)]
    PayloadTooLarge(#[ref_response] PayloadTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] UnsupportedMediaType),
    #[response(status = 422)]
    InvalidEpisode(#[ref_response] InvalidEpisode),
    #[response(status = 429)]
    TooManyRequests(#[ref_response] TooManyRequests),
}

/// What `POST /v1/episodes/{id}/assessments` answers when it stores nothing.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "responses for the document, never constructed")]
pub enum EpisodeCaseRejected {
    #[response(status = 400)]
    InvalidRequest(#[ref_response] InvalidRequest),
    #[response(status = 401)]
    Unauthorized(#[ref_response] Unauthorized),
    #[response(status = 404)]
    NotFound(#[ref_response] NotFound),
    #[response(status = 409)]
    EpisodeFull(#[ref_response] EpisodeFull),
    #[response(status = 413)]
    PayloadTooLarge(#[ref_response] PayloadTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] UnsupportedMediaType),
    #[response(status = 422)]
    InvalidCase(#[ref_response] InvalidCase),
    #[response(status = 429)]
    TooManyRequests(#[ref_response] TooManyRequests),
}

/// What a FHIR read answers for an id it does not have.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "responses for the document, never constructed")]
pub enum FhirReadRejected {
    #[response(status = 404)]
    NotFound(#[ref_response] FhirNotFound),
}

/// What a FHIR operation answers for a body it cannot use: an OperationOutcome.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "responses for the document, never constructed")]
pub enum FhirOperationRejected {
    #[response(status = 400)]
    Invalid(#[ref_response] FhirInvalid),
    #[response(status = 401)]
    Unauthorized(#[ref_response] Unauthorized),
    #[response(status = 413)]
    TooLarge(#[ref_response] FhirTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] FhirUnsupportedMediaType),
    #[response(status = 422)]
    Unassessable(#[ref_response] FhirUnassessable),
    #[response(status = 429)]
    TooManyRequests(#[ref_response] TooManyRequests),
}

/// What an operation on one stored record answers when it cannot.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "responses for the document, never constructed")]
pub enum RecordRejected {
    #[response(status = 401)]
    Unauthorized(#[ref_response] Unauthorized),
    #[response(status = 404)]
    NotFound(#[ref_response] NotFound),
    #[response(status = 429)]
    TooManyRequests(#[ref_response] TooManyRequests),
}

/// The body is not valid JSON, or a query parameter is invalid.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct InvalidRequest(Problem);

/// No API key, or an unknown or revoked one.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"radiculo\"`"))
)]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct Unauthorized(Problem);

/// No such record for this tenant (another tenant's record is not found either).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct NotFound(Problem);

/// The body is larger than 64 KiB.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct PayloadTooLarge(Problem);

/// The body is not `application/json`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct UnsupportedMediaType(Problem);

/// The body is JSON but not a valid case: `field` names the JSON path, and `suggestions` the
/// closest known ids for an unknown finding id. Nothing is stored.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct InvalidCase(Problem);

/// The rate limit (per key, or per client address without a key) is used up.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds until a request will be accepted"))
)]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct TooManyRequests(Problem);

/// No such FHIR resource here: an OperationOutcome (`issue[].code` `not-found`).
#[derive(ToResponse)]
#[response(content_type = "application/fhir+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct FhirNotFound(#[to_schema] serde_json::Value);

/// The FHIR resource is malformed (wrong resourceType, an unknown linkId, a wrong answer type,
/// not JSON): an OperationOutcome whose issues each name where, as a FHIRPath
/// (`issue[].expression`). Nothing is stored.
#[derive(ToResponse)]
#[response(content_type = "application/fhir+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct FhirInvalid(#[to_schema] serde_json::Value);

/// The body is larger than the server accepts: an OperationOutcome (`too-costly`).
#[derive(ToResponse)]
#[response(content_type = "application/fhir+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct FhirTooLarge(#[to_schema] serde_json::Value);

/// The body is not declared as JSON: an OperationOutcome (`not-supported`).
#[derive(ToResponse)]
#[response(content_type = "application/fhir+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct FhirUnsupportedMediaType(#[to_schema] serde_json::Value);

/// The FHIR resource is well formed but cannot be assessed (a response still in progress, no
/// age for the person, an age outside 16 to 110): an OperationOutcome as for 400.
#[derive(ToResponse)]
#[response(content_type = "application/fhir+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct FhirUnassessable(#[to_schema] serde_json::Value);

/// A CDS Hooks request without a prefetch key the service needs: radiculo never calls the
/// client's FHIR server, so it cannot fetch the data itself. `field` names the key
/// (`prefetch.findings`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct PrefetchMissing(Problem);

/// The body is JSON but not a valid episode: `field` names what is wrong (`subject`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct InvalidEpisode(Problem);

/// The episode holds as many assessments as it may (200); start a new one.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct EpisodeFull(Problem);

/// The server failed; the cause is logged under the response's `x-request-id`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct Internal(Problem);

/// The request timed out, or the store is unavailable for now (unreachable, shutting down, out
/// of space): nothing was stored; retry later.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds after which to retry, when the store is unavailable"))
)]
#[allow(dead_code, reason = "a response for the document, never constructed")]
pub struct Unavailable(Problem);
