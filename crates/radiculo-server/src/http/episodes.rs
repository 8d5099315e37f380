//! Episodes: one person's assessments over time, per tenant, and the alerts of their course.
//!
//! An episode is created under the client's opaque reference for the person (`subject`: an id
//! of its own, never a name). Each case posted to it is assessed and stored as any stored
//! assessment is (so it is also read, listed and erased under `/v1/assessments`), and the
//! course so far is checked against the knowledge base's alert rules (`kb/alerts.toml`,
//! through `Engine::course_alerts`): a red flag or a deficit that is new, a triage level that
//! went up, pain not clearly better or radicular pain persisting after about six weeks.
//!
//! Alerts are derived, never stored: the stored cases are assessed again by the engine in use,
//! so that a course is compared with itself under one knowledge base (a new knowledge-base
//! version does not make every old assessment look changed). An alert never changes an
//! assessment: each assessment's triage is what the engine gives its case alone, red flags
//! included. Another tenant's episode is "not found", as for records.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use radiculo_engine::Alert;
use radiculo_store::{Episode, EpisodeInsert, StoredAssessment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::CaseBody;
use super::assessments::{Record, RecordId, now, record_json, to_store};
use crate::auth::Tenant;
use crate::course::Course;
use crate::{AppState, Error};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(read, erase))
        .routes(routes!(add_assessment))
}

/// The longest subject reference.
const MAX_SUBJECT: usize = 128;

/// A new episode.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "mrn-000123"}))]
pub struct NewEpisode {
    /// The client's opaque reference for the person: 1 to 128 letters, digits and `. _ - : / #`
    /// (no spaces, so not a name). radiculo keeps it as given and never resolves it.
    subject: String,
}

/// An episode as created.
#[derive(Serialize, ToSchema)]
pub struct EpisodeCreated<'a> {
    /// The episode id.
    id: &'a str,
    /// The subject reference, as given.
    subject: &'a str,
    /// When it was created (RFC 3339, UTC).
    created_at: &'a str,
}

/// An alert: the course has changed for the worse at one assessment.
#[derive(Serialize, ToSchema)]
pub struct AlertJson<'a> {
    /// `new_red_flag`, `triage_raised`, `new_deficit`, `not_improving` or
    /// `persisting_radicular_pain`.
    kind: &'static str,
    /// What changed, for a clinician.
    text: String,
    /// The stored assessment that raised it.
    assessment_id: &'a str,
    /// The knowledge-base sources of the rule (ids from `GET /v1/kb`, joined by `+`).
    source: &'a str,
}

/// An episode with its assessments, oldest first, and the alerts of its course.
#[derive(Serialize, ToSchema)]
pub struct EpisodeJson<'a> {
    /// The episode id.
    id: &'a str,
    /// The subject reference, as given.
    subject: &'a str,
    /// When it was created (RFC 3339, UTC).
    created_at: &'a str,
    /// Its assessments, oldest first, each as stored.
    assessments: Vec<Record<'a>>,
    /// Every alert of the course, in the order of the assessments that raised them.
    alerts: Vec<AlertJson<'a>>,
}

/// A stored assessment of an episode, with the alerts it raised.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "the document's schema; the body is written by hand"
)]
pub struct EpisodeRecord {
    /// The record id.
    id: String,
    /// When it was stored (RFC 3339, UTC).
    created_at: String,
    /// The knowledge-base version that made the assessment.
    kb_version: String,
    /// The case as it was stored.
    #[schema(value_type = radiculo_contract::CaseJson)]
    case: serde_json::Value,
    /// The assessment as it was stored.
    #[schema(value_type = radiculo_contract::AssessmentJson)]
    assessment: serde_json::Value,
    /// The alerts this assessment raised (none for an episode's first).
    alerts: Vec<AlertJson<'static>>,
}

/// Create an episode.
///
/// An episode groups one person's assessments over time under the client's reference for the
/// person. Stored for the key's tenant.
#[utoipa::path(
    post,
    path = "/v1/episodes",
    tag = "episodes",
    operation_id = "create_episode",
    request_body(content = NewEpisode, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new episode", body = EpisodeCreated,
         headers(("Location" = String, description = "The episode's URL path"))),
        crate::openapi::EpisodeRejected,
    )
)]
async fn create(
    caller: Tenant,
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, Error> {
    let bytes = super::json_body(request, &state).await?;
    // Malformed JSON (or nested past serde_json's limit) is 400; JSON of the wrong shape 422.
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::InvalidJson(e.to_string()))?;
    let new = NewEpisode::deserialize(value).map_err(|e| Error::InvalidEpisode {
        field: "subject".to_owned(),
        message: e.to_string(),
    })?;
    check_subject(&new.subject)?;
    let episode = state
        .store
        .create_episode(&caller.tenant, &new.subject, &now())
        .await?;
    let mut response = super::json(
        StatusCode::CREATED,
        &EpisodeCreated {
            id: &episode.id,
            subject: &episode.subject,
            created_at: &episode.created_at,
        },
    )?;
    response
        .headers_mut()
        .insert(header::LOCATION, location(&episode.id)?);
    Ok(response)
}

/// Read an episode.
///
/// Its assessments oldest first, each as stored, and every alert of the course.
#[utoipa::path(
    get,
    path = "/v1/episodes/{id}",
    tag = "episodes",
    operation_id = "read_episode",
    params(("id" = String, Path, description = "The episode id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The episode", body = EpisodeJson),
        crate::openapi::RecordRejected,
    )
)]
async fn read(
    caller: Tenant,
    State(state): State<AppState>,
    RecordId(id): RecordId,
) -> Result<Response, Error> {
    let (episode, stored) = state
        .store
        .get_episode(&caller.tenant, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let alerts = course_alerts(&state, &stored, None)?;
    super::json(StatusCode::OK, &episode_json(&episode, &stored, alerts)?)
}

/// Assess a case and store it in an episode.
///
/// The case is assessed and stored as by `POST /v1/assessments` (its triage is its own, red
/// flags included), then the course so far is checked: the answer is the stored record with
/// the alerts this assessment raised.
#[utoipa::path(
    post,
    path = "/v1/episodes/{id}/assessments",
    tag = "episodes",
    operation_id = "add_episode_assessment",
    params(("id" = String, Path, description = "The episode id")),
    request_body(content = radiculo_contract::CaseJson, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The stored record and the alerts it raised",
         body = EpisodeRecord,
         headers(("Location" = String, description = "The record's URL path"))),
        crate::openapi::EpisodeCaseRejected,
    )
)]
async fn add_assessment(
    caller: Tenant,
    State(state): State<AppState>,
    RecordId(id): RecordId,
    body: CaseBody,
) -> Result<Response, Error> {
    let (_, earlier) = state
        .store
        .get_episode(&caller.tenant, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let (case_json, assessment_json) = to_store(&state, &body)?;
    let stored = match state
        .store
        .insert_episode_assessment(
            &caller.tenant,
            &id,
            &now(),
            &state.engine.kb().version,
            case_json.as_str(),
            assessment_json.as_str(),
        )
        .await?
    {
        EpisodeInsert::Stored(stored) => stored,
        // Erased since it was read.
        EpisodeInsert::NoEpisode => return Err(Error::NotFound),
        EpisodeInsert::Full => return Err(Error::EpisodeFull),
    };
    state.metrics.record_stored();

    // The course as read before the insert, and this assessment last. (Two assessments posted
    // to one episode at the same moment are each compared with the course without the other.)
    let mut course = earlier;
    course.push(stored);
    let last = course.len() - 1;
    let alerts = course_alerts(&state, &course, Some(last))?;
    let stored = &course[last];

    let mut record = record_json(stored, &case_json, &assessment_json);
    // The record's object, with `alerts` added before its closing brace.
    record.pop();
    record.extend_from_slice(b",\"alerts\":");
    serde_json::to_writer(&mut record, &alerts).map_err(|e| Error::Internal(e.to_string()))?;
    record.push(b'}');
    let mut response = super::json_bytes(StatusCode::CREATED, record);
    let location = HeaderValue::try_from(format!("/v1/assessments/{}", stored.id))
        .map_err(|e| Error::Internal(e.to_string()))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Erase an episode.
///
/// The episode and every assessment in it are deleted from the database, not hidden: reading
/// any of them afterwards is 404.
#[utoipa::path(
    delete,
    path = "/v1/episodes/{id}",
    tag = "episodes",
    operation_id = "delete_episode",
    params(("id" = String, Path, description = "The episode id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Erased, with its assessments"),
        crate::openapi::RecordRejected,
    )
)]
async fn erase(
    caller: Tenant,
    State(state): State<AppState>,
    RecordId(id): RecordId,
) -> Result<Response, Error> {
    if state.store.delete_episode(&caller.tenant, &id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Error::NotFound)
    }
}

/// Checks a subject reference: an opaque id, never free text such as a name.
fn check_subject(subject: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_:/#".contains(c);
    if subject.is_empty() || subject.len() > MAX_SUBJECT || !subject.chars().all(allowed) {
        return Err(Error::InvalidEpisode {
            field: "subject".to_owned(),
            message: format!(
                "subject must be the client's opaque reference for the person (an id, never a \
                 name): 1 to {MAX_SUBJECT} letters, digits and . _ - : / #"
            ),
        });
    }
    Ok(())
}

fn location(id: &str) -> Result<HeaderValue, Error> {
    HeaderValue::try_from(format!("/v1/episodes/{id}")).map_err(|e| Error::Internal(e.to_string()))
}

/// The alerts of the course `stored` (oldest first): every alert, or only those raised by the
/// assessment at `only`.
fn course_alerts<'a>(
    state: &'a AppState,
    stored: &'a [StoredAssessment],
    only: Option<usize>,
) -> Result<Vec<AlertJson<'a>>, Error> {
    let course = Course::of(&state.engine, stored)?;
    Ok(state
        .engine
        .course_alerts(&course.visits())
        .into_iter()
        .filter(|alert| only.is_none_or(|only| alert.visit == only))
        .map(|alert| alert_json(alert, stored))
        .collect())
}

fn alert_json<'a>(alert: Alert<'a>, stored: &'a [StoredAssessment]) -> AlertJson<'a> {
    AlertJson {
        kind: alert.kind.as_str(),
        text: alert.text,
        assessment_id: &stored[alert.visit].id,
        source: alert.source,
    }
}

/// An episode as `GET /v1/episodes/{id}` answers it.
fn episode_json<'a>(
    episode: &'a Episode,
    stored: &'a [StoredAssessment],
    alerts: Vec<AlertJson<'a>>,
) -> Result<EpisodeJson<'a>, Error> {
    Ok(EpisodeJson {
        id: &episode.id,
        subject: &episode.subject,
        created_at: &episode.created_at,
        assessments: stored.iter().map(Record::of).collect::<Result<_, _>>()?,
        alerts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_opaque_ids_not_names() {
        for good in [
            "mrn-000123",
            "urn:oid:1.2.3#45",
            "A/B_c.d",
            &"x".repeat(MAX_SUBJECT),
        ] {
            assert!(check_subject(good).is_ok(), "{good}");
        }
        for bad in ["", "Jane Smith", "é", "a\nb", &"x".repeat(MAX_SUBJECT + 1)] {
            assert!(check_subject(bad).is_err(), "{bad:?}");
        }
    }
}
