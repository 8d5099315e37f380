//! `/fhir/EpisodeOfCare/{id}`: a stored episode in FHIR R4, scoped to the key's tenant exactly
//! as `GET /v1/episodes/{id}` is: a `collection` Bundle of its EpisodeOfCare, each assessment's
//! results Bundle (oldest first) and a DetectedIssue per alert of the course
//! (`radiculo_fhir::episode` has the mapping and why). Like the episode read, the stored cases
//! are assessed again by the engine in use, and the alerts derived from them, never stored.
//!
//! An episode that is not the tenant's, or no episode at all, is a 404 OperationOutcome, as
//! for every FHIR read; a missing or bad key is the 401 problem of every keyed route, and a
//! store that cannot answer is the server's usual 503 or 500.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use radiculo_fhir::episode::{self, Alert, Assessed, Episode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::fhir::{fhir_bytes, json, not_found, now};
use crate::auth::Tenant;
use crate::course::Course;
use crate::{AppState, Error};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(episode_of_care))
}

/// An episode as FHIR.
///
/// A Bundle of type `collection`: the EpisodeOfCare (its `patient` is the episode's subject
/// reference as an identifier, never a name), then each assessment's results Bundle, oldest
/// first (its case assessed again by the engine in use, as for the alerts: the Patient, an
/// Observation per answer, a RiskAssessment and a ClinicalImpression, each Observation and the
/// ClinicalImpression naming the EpisodeOfCare), then a DetectedIssue per alert of the
/// course, whose evidence is the Bundle of the assessment that raised it. Stored for the key's
/// tenant: another tenant's episode is not found.
#[utoipa::path(
    get,
    path = "/fhir/EpisodeOfCare/{id}",
    tag = "fhir",
    operation_id = "fhir_episode_of_care",
    params(("id" = String, Path, description = "The episode id (from `POST /v1/episodes`)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The episode's Bundle", content_type = "application/fhir+json", body = Object),
        (status = 401, response = crate::openapi::Unauthorized),
        crate::openapi::FhirReadRejected,
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
async fn episode_of_care(
    caller: Tenant,
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Error> {
    // An id that cannot be an episode's (the store's are UUIDs) is not found without asking the
    // store, which may reject some text outright (a NUL byte is an error on PostgreSQL).
    let id = match id {
        Ok(Path(id)) if plausible_id(&id) => id,
        Ok(Path(id)) => return Ok(not_found("EpisodeOfCare", &id)),
        // Not UTF-8 once decoded: no episode's id.
        Err(_) => return Ok(not_found("EpisodeOfCare", "?")),
    };
    let Some((stored_episode, stored)) = state.store.get_episode(&caller.tenant, &id).await? else {
        return Ok(not_found("EpisodeOfCare", &id));
    };
    let course = Course::of(&state.engine, &stored)?;
    let alerts = state.engine.course_alerts(&course.visits());
    let assessments: Vec<Assessed<'_>> = stored
        .iter()
        .zip(&course.cases)
        .map(|(record, case)| Assessed {
            id: &record.id,
            created_at: &record.created_at,
            case,
        })
        .collect();
    let alerts: Vec<Alert<'_>> = alerts
        .iter()
        .map(|alert| Alert {
            kind: alert.kind.as_str(),
            text: &alert.text,
            assessment: alert.visit,
        })
        .collect();
    let (_, timestamp) = now();
    let bundle = episode::bundle(
        &state.json,
        &Episode {
            id: &stored_episode.id,
            subject: &stored_episode.subject,
            created_at: &stored_episode.created_at,
        },
        &assessments,
        &alerts,
        &timestamp,
    );
    Ok(fhir_bytes(StatusCode::OK, json(&bundle)))
}

/// Whether `id` could be an episode id: the rule of every stored record's id.
fn plausible_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_ids_reach_the_store() {
        assert!(plausible_id("1b4e28ba-2fa1-41d2-883f-0016d3cca427"));
        assert!(!plausible_id(""));
        assert!(!plausible_id("a\0b"));
        assert!(!plausible_id("a b"));
        assert!(!plausible_id(&"a".repeat(65)));
    }
}
