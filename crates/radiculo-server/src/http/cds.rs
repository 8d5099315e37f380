//! CDS Hooks 2.0: `GET /cds-services` (discovery), `POST /cds-services/radiculo-triage` (the
//! service, on `patient-view`) and its feedback, stored per tenant. The documents and the
//! card are `radiculo_fhir::cds`'s; this module adds HTTP, keys and storage.
//!
//! Authentication. CDS Hooks 2.0 has a client sign a JWT and send it as the bearer token, and
//! a service check it against the client's published keys. radiculo makes no network calls (so
//! it cannot fetch a client's JWK Set) and has no allow-list of issuers to trust; it takes its
//! own API key as the bearer token instead, which a CDS client can be configured to send. The
//! service call is what `POST /v1/assess` is (stateless, nothing stored): open unless the
//! server requires keys (`--require-key`), and a key that is sent must be valid. So a client
//! that sends a JWT is refused (401) rather than having its token ignored. Feedback is stored
//! for the key's tenant, so it always needs a key.
//!
//! Errors are problem+json, as everywhere else in the API (CDS Hooks 2.0 defines no error body):
//! 400 for a request that is not JSON or not a `patient-view` request, or whose prefetched FHIR
//! data breaks the rules of `radiculo_fhir::observations` (`field` is the JSON path in the
//! request, `detail` every issue); 412 when a prefetch key is missing (`field`:
//! `prefetch.findings`), since radiculo cannot fetch the data itself. Nothing is stored from a
//! service call, and nothing from a feedback request that is not accepted whole.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use radiculo_fhir::cds::{self, SERVICE_ID};
use radiculo_store::{FeedbackOutcome, NewFeedback, StoredFeedback};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListParams, PageRequest};
use crate::auth::{OpenCaller, Tenant};
use crate::{AppState, Error};

/// The service's route.
pub const SERVICE_ROUTE: &str = "/cds-services/radiculo-triage";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discovery))
        .routes(routes!(service))
        .routes(routes!(send_feedback, list_feedback))
}

/// A JSON body as sent and parsed: 415 when it is not declared as JSON, 413 when too large,
/// 400 when it is not JSON.
pub struct JsonBody {
    bytes: Bytes,
    value: Value,
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<JsonBody, Error> {
        let bytes = super::json_body(request, state).await?;
        let value =
            serde_json::from_slice(&bytes).map_err(|e| Error::InvalidJson(e.to_string()))?;
        Ok(JsonBody { bytes, value })
    }
}

/// The CDS services.
///
/// CDS Hooks 2.0 discovery: one service, `radiculo-triage`, on `patient-view`, with its
/// prefetch templates (`patient`, `findings`: the Observations in radiculo's finding code
/// system) and what a client must do to use it.
#[utoipa::path(
    get,
    path = "/cds-services",
    tag = "cds-hooks",
    operation_id = "cds_discovery",
    responses(
        (status = 200, description = "The discovery response", body = Object,
         example = json!({"services": [{"hook": "patient-view", "id": "radiculo-triage", "title": "radiculo: triage of back-related leg pain", "description": "…", "prefetch": {"patient": "Patient/{{context.patientId}}"}, "usageRequirements": "…"}]})),
    )
)]
async fn discovery(State(state): State<AppState>) -> Result<Response, Error> {
    super::json(StatusCode::OK, &cds::discovery(state.engine.kb()))
}

/// Triage the patient in context.
///
/// A CDS Hooks 2.0 service request on `patient-view` with both prefetch keys: `patient` (the
/// Patient, for age and sex) and `findings` (a searchset Bundle of the patient's Observations in
/// radiculo's finding code system, the shape radiculo's results Bundle writes; the latest of
/// each code counts). The answer is one card (none when the patient has no radiculo findings):
/// indicator `critical` for an emergency, `warning` for urgent or soon, `info` otherwise; the
/// level's clinician headline as summary; why, the red flags, the likely roots and conditions
/// (ICD-10-CM) in Markdown; the knowledge-base version as source; a link to the clinician page
/// with the case in its fragment. Findings that cannot be assessed (no age) give an `info`
/// card saying so. radiculo never calls the FHIR server: a missing prefetch key is 412. Open
/// unless the server requires keys; a key that is sent must be valid. Nothing is stored.
#[utoipa::path(
    post,
    path = "/cds-services/radiculo-triage",
    tag = "cds-hooks",
    operation_id = "cds_radiculo_triage",
    request_body(content = Object, content_type = "application/json",
                 description = "A CDS Hooks 2.0 request: hook, hookInstance, context.patientId, prefetch.patient and prefetch.findings",
                 example = json!({
                     "hook": "patient-view",
                     "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
                     "context": {"userId": "Practitioner/example", "patientId": "123"},
                     "prefetch": {
                         "patient": {"resourceType": "Patient", "id": "123", "gender": "female", "birthDate": "1979-06-15"},
                         "findings": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
                             "resourceType": "Observation", "status": "final",
                             "code": {"coding": [{"system": "https://w3id.org/radiculo/fhir/CodeSystem/radiculo-finding", "code": "weakness.great_toe_extension.left"}]},
                             "subject": {"reference": "Patient/123"},
                             "effectiveDateTime": "2026-12-05T10:00:00Z",
                             "valueBoolean": true}}]}}})),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The cards", body = Object,
         example = json!({"cards": [{"uuid": "…", "summary": "Urgent: same-day assessment", "indicator": "warning", "detail": "…", "source": {"label": "radiculo, knowledge base …"}}]})),
        (status = 400, response = crate::openapi::InvalidRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 412, response = crate::openapi::PrefetchMissing),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
async fn service(
    _: OpenCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, Error> {
    let request = cds::parse_request(&body.value)?;
    let base = link_base(&state, &headers);
    let today = format!("{:.0}", jiff::Timestamp::now())[..10].to_owned();
    let response = cds::respond(&state.json, &request, base.as_deref(), &today)?;
    super::json(StatusCode::OK, &response)
}

/// The address the card's links start with: the configured public URL, else the request's
/// `Host` over `http` (a host that is not a plain host name and port gives no link).
fn link_base(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = &state.public_url {
        return Some(url.clone());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    plain.then(|| format!("http://{host}"))
}

/// What was stored.
#[derive(Serialize, ToSchema)]
pub struct Stored {
    /// The stored items' ids, in the order of the request's `feedback`.
    stored: Vec<String>,
}

/// Report what a user did with a card.
///
/// A CDS Hooks 2.0 feedback request (`feedback`: each item's `card`, `outcome` `accepted` or
/// `overridden`, `outcomeTimestamp` in UTC, and an optional `overrideReason`), stored for the
/// key's tenant, each item as it was sent, all or none. radiculo's cards have no suggestions,
/// so `accepted` is taken without `acceptedSuggestions`. An API key is required.
#[utoipa::path(
    post,
    path = "/cds-services/radiculo-triage/feedback",
    tag = "cds-hooks",
    operation_id = "cds_feedback",
    request_body(content = Object, content_type = "application/json",
                 description = "A CDS Hooks 2.0 feedback request",
                 example = json!({"feedback": [{"card": "9c2b6fa8-0d2f-5d7e-9a59-0c3c1e8b6a11", "outcome": "overridden", "overrideReason": {"userComment": "seen yesterday"}, "outcomeTimestamp": "2026-12-05T10:05:31Z"}]})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Stored", body = Stored),
        (status = 400, response = crate::openapi::InvalidRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
async fn send_feedback(
    caller: Tenant,
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let feedback = cds::parse_feedback(&body.value)?;
    // Each item is stored as the text it was sent in, read from the body itself (the parsed
    // value would reorder its keys).
    let sent: SentItems<'_> =
        serde_json::from_slice(&body.bytes).map_err(|e| Error::InvalidCdsRequest {
            field: "feedback".to_owned(),
            message: e.to_string(),
        })?;
    let items = feedback
        .into_iter()
        .zip(sent.feedback)
        .map(|(feedback, text)| NewFeedback {
            card: feedback.card,
            outcome: match feedback.outcome {
                cds::Outcome::Accepted => FeedbackOutcome::Accepted,
                cds::Outcome::Overridden => FeedbackOutcome::Overridden,
            },
            outcome_timestamp: feedback.outcome_timestamp,
            json: text.get().to_owned(),
        })
        .collect::<Vec<_>>();
    let received_at = format!("{:.6}", jiff::Timestamp::now());
    let stored = state
        .store
        .insert_feedback(&caller.tenant, SERVICE_ID, &items, &received_at)
        .await?;
    super::json(StatusCode::OK, &Stored { stored })
}

/// The items of a feedback request, as the text they were sent in.
#[derive(Deserialize)]
struct SentItems<'a> {
    #[serde(borrow)]
    feedback: Vec<&'a RawValue>,
}

/// A stored feedback item.
#[derive(Serialize, ToSchema)]
pub struct FeedbackRecord<'a> {
    /// The item's id.
    id: &'a str,
    /// The card it is about.
    card: &'a str,
    /// `accepted` or `overridden`.
    outcome: &'a str,
    /// When the user acted, as sent.
    outcome_timestamp: &'a str,
    /// When it was received (RFC 3339, UTC).
    received_at: &'a str,
    /// The item as it was sent.
    #[schema(value_type = Object)]
    feedback: &'a RawValue,
}

/// One page of feedback, newest first.
#[derive(Serialize, ToSchema)]
pub struct FeedbackPage<'a> {
    /// The items.
    items: Vec<FeedbackRecord<'a>>,
    /// The cursor for the next page (`?cursor=`), or `null` on the last page.
    next: Option<&'a str>,
}

/// List the feedback received, newest first.
///
/// The key's tenant's feedback about `radiculo-triage` cards, each item as it was sent. An API
/// key is required; another tenant's feedback is never listed.
#[utoipa::path(
    get,
    path = "/cds-services/radiculo-triage/feedback",
    tag = "cds-hooks",
    operation_id = "cds_list_feedback",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of feedback, newest first", body = FeedbackPage),
        (status = 400, response = crate::openapi::InvalidRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
async fn list_feedback(
    caller: Tenant,
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, Error> {
    let asked = PageRequest::of(params)?;
    let page = state
        .store
        .list_feedback(
            &caller.tenant,
            SERVICE_ID,
            asked.limit,
            asked.cursor.as_deref(),
        )
        .await
        .map_err(PageRequest::error)?;
    let items = page
        .items
        .iter()
        .map(record)
        .collect::<Result<Vec<_>, _>>()?;
    super::json(
        StatusCode::OK,
        &FeedbackPage {
            items,
            next: page.next.as_deref(),
        },
    )
}

/// A stored item as listed; its JSON text that is not JSON means the database was changed
/// behind the service's back.
fn record(stored: &StoredFeedback) -> Result<FeedbackRecord<'_>, Error> {
    Ok(FeedbackRecord {
        id: &stored.id,
        card: &stored.card,
        outcome: stored.outcome.as_str(),
        outcome_timestamp: &stored.outcome_timestamp,
        received_at: &stored.received_at,
        feedback: serde_json::from_str(&stored.json)
            .map_err(|_| Error::Internal(format!("feedback {} holds invalid JSON", stored.id)))?,
    })
}
