//! Stored assessments, scoped to the key's tenant: create, read, list, erase.
//!
//! A record is returned exactly as stored: its case and assessment are the stored JSON text,
//! embedded as raw JSON, never re-assessed. Another tenant's record is "not found", never
//! "forbidden", so ids reveal nothing.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use radiculo_contract::{AssessmentJson, Form};
use radiculo_engine::Options;
use radiculo_store::StoredAssessment;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::CaseBody;
use super::{ListParams, PageRequest};
use crate::auth::Tenant;
use crate::{AppState, Error};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(read, erase))
}

/// A stored assessment.
#[derive(Serialize, ToSchema)]
pub struct Record<'a> {
    /// The record id.
    id: &'a str,
    /// When it was stored (RFC 3339, UTC).
    created_at: &'a str,
    /// The knowledge-base version that made the assessment.
    kb_version: &'a str,
    /// The case as it was stored (validated, compact JSON).
    #[schema(value_type = radiculo_contract::CaseJson)]
    case: &'a RawValue,
    /// The assessment as it was stored.
    #[schema(value_type = AssessmentJson)]
    assessment: &'a RawValue,
}

impl<'a> Record<'a> {
    /// The stored record, its JSON texts embedded as they are. A text that is not JSON means
    /// the database was changed behind the service's back.
    pub(super) fn of(stored: &'a StoredAssessment) -> Result<Record<'a>, Error> {
        let raw = |text: &'a str| {
            serde_json::from_str::<&RawValue>(text)
                .map_err(|_| Error::Internal(format!("record {} holds invalid JSON", stored.id)))
        };
        Ok(Record {
            id: &stored.id,
            created_at: &stored.created_at,
            kb_version: &stored.kb_version,
            case: raw(&stored.case_json)?,
            assessment: raw(&stored.assessment_json)?,
        })
    }
}

/// The JSON of [`Record`] for a record just stored, written around its JSON texts as they
/// are: a `RawValue` would need them parsed again (26 KB) only to be copied back out.
pub(super) fn record_json(
    stored: &StoredAssessment,
    case_json: &str,
    assessment_json: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(assessment_json.len() + case_json.len() + 160);
    let string = |out: &mut Vec<u8>, s: &str| {
        serde_json::to_writer(&mut *out, s).expect("writing a string to a Vec cannot fail")
    };
    out.extend_from_slice(b"{\"id\":");
    string(&mut out, &stored.id);
    out.extend_from_slice(b",\"created_at\":");
    string(&mut out, &stored.created_at);
    out.extend_from_slice(b",\"kb_version\":");
    string(&mut out, &stored.kb_version);
    out.extend_from_slice(b",\"case\":");
    out.extend_from_slice(case_json.as_bytes());
    out.extend_from_slice(b",\"assessment\":");
    out.extend_from_slice(assessment_json.as_bytes());
    out.push(b'}');
    out
}

/// One page of records, newest first.
#[derive(Serialize, ToSchema)]
pub struct RecordPage<'a> {
    /// The records.
    items: Vec<Record<'a>>,
    /// The cursor for the next page (`?cursor=`), or `null` on the last page.
    next: Option<&'a str>,
}

/// Assess a case and store it.
///
/// The case (validated, compact) and its assessment are stored for the key's tenant and
/// returned as stored, with the record's `Location`. A rejected case stores nothing.
#[utoipa::path(
    post,
    path = "/v1/assessments",
    tag = "assessments",
    operation_id = "create_assessment",
    request_body(content = radiculo_contract::CaseJson, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The stored record", body = Record,
         headers(("Location" = String, description = "The record's URL path"))),
        crate::openapi::CaseRejected,
    )
)]
async fn create(
    caller: Tenant,
    State(state): State<AppState>,
    body: CaseBody,
) -> Result<Response, Error> {
    let (case_json, assessment_json) = to_store(&state, &body)?;
    let created_at = now();
    let stored = state
        .store
        .insert_assessment(
            &caller.tenant,
            &created_at,
            &state.engine.kb().version,
            case_json.as_str(),
            assessment_json.as_str(),
        )
        .await?;
    state.metrics.record_stored();
    let location = HeaderValue::try_from(format!("/v1/assessments/{}", stored.id))
        .map_err(|e| Error::Internal(e.to_string()))?;
    let record = record_json(&stored, &case_json, &assessment_json);
    let mut response = super::json_bytes(StatusCode::CREATED, record);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// The case of `body` and its assessment as the JSON texts to store: the case compact, whatever
/// the spacing it was sent with; the assessment written once, from the contract's model with the
/// knowledge-base texts already serialised, so the same text is stored and embedded in the
/// answer with no second parse (a stored record read back is checked in `Record::of` instead).
pub(super) fn to_store(state: &AppState, body: &CaseBody) -> Result<(String, String), Error> {
    let assessment = state.engine.assess(&body.case, Options::default());
    let mut assessment_json = Vec::with_capacity(32 * 1024);
    state
        .json
        .write(&body.case, &assessment, Form::Full, &mut assessment_json);
    let assessment_json =
        String::from_utf8(assessment_json).map_err(|e| Error::Internal(e.to_string()))?;
    let case_json = serde_json::from_slice::<Value>(&body.bytes)
        .and_then(|value| serde_json::to_string(&value))
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((case_json, assessment_json))
}

/// Read a stored record.
///
/// Exactly as it was stored: the same bytes as the creation's response.
#[utoipa::path(
    get,
    path = "/v1/assessments/{id}",
    tag = "assessments",
    operation_id = "read_assessment",
    params(("id" = String, Path, description = "The record id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The stored record", body = Record),
        crate::openapi::RecordRejected,
    )
)]
async fn read(
    caller: Tenant,
    State(state): State<AppState>,
    RecordId(id): RecordId,
) -> Result<Response, Error> {
    let stored = state
        .store
        .get_assessment(&caller.tenant, &id)
        .await?
        .ok_or(Error::NotFound)?;
    super::json(StatusCode::OK, &Record::of(&stored)?)
}

/// List stored records, newest first.
#[utoipa::path(
    get,
    path = "/v1/assessments",
    tag = "assessments",
    operation_id = "list_assessments",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of records, newest first", body = RecordPage),
        (status = 400, response = crate::openapi::InvalidRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
async fn list(
    caller: Tenant,
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, Error> {
    let asked = PageRequest::of(params)?;
    let page = state
        .store
        .list_assessments(&caller.tenant, asked.limit, asked.cursor.as_deref())
        .await
        .map_err(PageRequest::error)?;
    let items = page
        .items
        .iter()
        .map(Record::of)
        .collect::<Result<Vec<_>, _>>()?;
    super::json(
        StatusCode::OK,
        &RecordPage {
            items,
            next: page.next.as_deref(),
        },
    )
}

/// Erase a stored record.
///
/// The record is deleted from the database, not hidden; reading it afterwards is 404.
#[utoipa::path(
    delete,
    path = "/v1/assessments/{id}",
    tag = "assessments",
    operation_id = "delete_assessment",
    params(("id" = String, Path, description = "The record id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Erased"),
        crate::openapi::RecordRejected,
    )
)]
async fn erase(
    caller: Tenant,
    State(state): State<AppState>,
    RecordId(id): RecordId,
) -> Result<Response, Error> {
    if state.store.delete_assessment(&caller.tenant, &id).await? {
        state.metrics.record_deleted();
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Error::NotFound)
    }
}

/// Whether `id` could be a record id (the store's are UUIDs). Anything else cannot exist, so
/// it is not found without asking the database, which may reject some text outright (a NUL
/// byte is an error on PostgreSQL, not a miss).
/// The record id of the path, once it is [plausible](plausible_record_id): an id that cannot be
/// a record's is 404 at once, without asking the store.
pub(super) struct RecordId(pub(super) String);

impl<S: Send + Sync> FromRequestParts<S> for RecordId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<RecordId, Response> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if plausible_record_id(&id) {
            Ok(RecordId(id))
        } else {
            Err(Error::NotFound.into_response())
        }
    }
}

fn plausible_record_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The time now, RFC 3339 in UTC with microseconds, so that records sort by it.
pub(super) fn now() -> String {
    format!("{:.6}", jiff::Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_microseconds() {
        let t = now();
        assert_eq!(t.len(), "2026-11-25T17:36:39.123456Z".len(), "{t}");
        assert!(t.ends_with('Z'), "{t}");
        assert!(t.parse::<jiff::Timestamp>().is_ok(), "{t}");
    }

    #[test]
    fn a_new_record_is_written_as_serde_writes_a_record() {
        let stored = StoredAssessment {
            id: "1b4e28ba-2fa1-41d2-883f-0016d3cca427".to_owned(),
            tenant: "t".to_owned(),
            created_at: now(),
            kb_version: "2026.11.2 \"quoted\"".to_owned(),
            case_json: r#"{"id":"c\u00e9","age":40,"evidence":{}}"#.to_owned(),
            assessment_json: r#"{"triage":{"level":"routine"},"plan":[]}"#.to_owned(),
        };
        let by_hand = record_json(&stored, &stored.case_json, &stored.assessment_json);
        let by_serde = serde_json::to_vec(&Record::of(&stored).unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(by_hand).unwrap(),
            String::from_utf8(by_serde).unwrap()
        );
    }

    #[test]
    fn only_plausible_ids_reach_the_store() {
        assert!(plausible_record_id("1b4e28ba-2fa1-41d2-883f-0016d3cca427"));
        assert!(!plausible_record_id(""));
        assert!(!plausible_record_id("a\0b"));
        assert!(!plausible_record_id("a b"));
        assert!(!plausible_record_id(&"a".repeat(65)));
    }
}
