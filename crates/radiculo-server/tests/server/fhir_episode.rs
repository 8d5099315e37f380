//! `GET /fhir/EpisodeOfCare/{id}`: an episode as one FHIR Bundle (the EpisodeOfCare with the
//! subject as an identifier only, a results Bundle per assessment in order, a DetectedIssue
//! per alert of the course, as `GET /v1/episodes/{id}` lists them), scoped to the tenant:
//! another tenant's episode, an unknown or impossible id and an erased episode are 404
//! OperationOutcomes, and no key is a 401.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::episodes::visit;

fn worsening_course() -> [String; 3] {
    [
        visit(10, 7, &[]),
        visit(20, 7, &["weakness.great_toe_extension.left"]),
        visit(
            30,
            8,
            &["weakness.great_toe_extension.left", "urinary_retention"],
        ),
    ]
}

/// A new episode of `subject`: its id and creation time.
async fn new_episode(h: &Harness, key: &str, subject: &str) -> (String, String) {
    let created = h
        .send(post(
            "/v1/episodes",
            Some(key),
            &json!({"subject": subject}).to_string(),
        ))
        .await
        .json(StatusCode::CREATED);
    (
        created["id"].as_str().unwrap().to_owned(),
        created["created_at"].as_str().unwrap().to_owned(),
    )
}

async fn add(h: &Harness, key: &str, episode: &str, case: &str) -> Value {
    h.send(post(
        &format!("/v1/episodes/{episode}/assessments"),
        Some(key),
        case,
    ))
    .await
    .json(StatusCode::CREATED)
}

fn entries(bundle: &Value) -> &Vec<Value> {
    bundle["entry"].as_array().unwrap()
}

/// The code of a CodeableConcept in the code system whose URL ends with `system`.
fn code<'v>(concept: &'v Value, system: &str) -> &'v str {
    concept["coding"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["system"].as_str().unwrap().ends_with(system))
        .unwrap()["code"]
        .as_str()
        .unwrap()
}

#[tokio::test]
async fn an_episode_is_its_episode_of_care_then_each_assessment_then_each_alert() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let subject = "mrn-fhir-1";
    let (episode, created_at) = new_episode(&h, &key, subject).await;
    let mut records = Vec::new();
    for case in worsening_course() {
        records.push(add(&h, &key, &episode, &case).await);
    }
    let path = format!("/fhir/EpisodeOfCare/{episode}");
    let bundle = h
        .send(get(&path, Some(&key)))
        .await
        .fhir(StatusCode::OK, "Bundle");
    assert_eq!(bundle["type"], "collection");
    let entry = entries(&bundle);

    // The EpisodeOfCare first: the person by the subject reference alone, never a display.
    let episode_url = entry[0]["fullUrl"].as_str().unwrap();
    assert!(episode_url.starts_with("urn:uuid:"), "{episode_url}");
    assert_eq!(
        entry[0]["resource"],
        json!({
            "resourceType": "EpisodeOfCare",
            "id": episode,
            "status": "active",
            "patient": {"type": "Patient", "identifier": {"value": subject}},
            "period": {"start": created_at},
        })
    );

    // One results Bundle per assessment, oldest first, each linked to the episode.
    let nested: Vec<&Value> = entry[1..=records.len()].iter().collect();
    for (record, nested) in records.iter().zip(&nested) {
        let inner = &nested["resource"];
        assert_eq!(inner["resourceType"], "Bundle");
        assert_eq!(inner["type"], "collection");
        assert_eq!(inner["timestamp"], record["created_at"]);
        assert_eq!(nested["fullUrl"], inner["identifier"]["value"]);
        let mut impressions = 0;
        for e in entries(inner) {
            let resource = &e["resource"];
            match resource["resourceType"].as_str().unwrap() {
                "Patient" => {
                    assert_eq!(resource["identifier"], json!([{"value": subject}]));
                    assert!(resource.get("name").is_none(), "{resource}");
                }
                kind @ ("Observation" | "ClinicalImpression") => {
                    assert_eq!(
                        resource["extension"][0]["valueReference"]["reference"], episode_url,
                        "{kind}"
                    );
                    if kind == "ClinicalImpression" {
                        impressions += 1;
                        // The triage the assessment was stored with.
                        assert_eq!(
                            code(
                                &resource["finding"][0]["itemCodeableConcept"],
                                "radiculo-triage-level"
                            ),
                            record["assessment"]["triage"]["level"].as_str().unwrap()
                        );
                    }
                }
                _ => {}
            }
        }
        assert_eq!(impressions, 1);
    }

    // Then a DetectedIssue per alert, as the episode lists them, each with the Bundle of the
    // assessment that raised it as evidence.
    let listed = h
        .send(get(&format!("/v1/episodes/{episode}"), Some(&key)))
        .await
        .json(StatusCode::OK);
    let alerts = listed["alerts"].as_array().unwrap();
    assert!(!alerts.is_empty(), "a course getting worse raises alerts");
    let issues = &entry[1 + records.len()..];
    assert_eq!(issues.len(), alerts.len());
    for (alert, issue) in alerts.iter().zip(issues) {
        let raised_by = records
            .iter()
            .position(|r| r["id"] == alert["assessment_id"])
            .unwrap();
        assert_eq!(
            issue["resource"],
            json!({
                "resourceType": "DetectedIssue",
                "status": "final",
                "code": {"text": alert["kind"]},
                "patient": {"type": "Patient", "identifier": {"value": subject}},
                "identifiedDateTime": records[raised_by]["created_at"],
                "implicated": [{"reference": episode_url}],
                "evidence": [{"detail": [{"reference": nested[raised_by]["fullUrl"]}]}],
                "detail": alert["text"],
            })
        );
    }

    // Read again, the same Bundle but for when it was assembled.
    let mut again = h
        .send(get(&path, Some(&key)))
        .await
        .fhir(StatusCode::OK, "Bundle");
    let mut once = bundle.clone();
    once.as_object_mut().unwrap().remove("timestamp");
    again.as_object_mut().unwrap().remove("timestamp");
    assert_eq!(once, again);
}

#[tokio::test]
async fn an_episode_without_assessments_is_its_episode_of_care_alone() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let (episode, _) = new_episode(&h, &key, "mrn-fhir-2").await;
    let bundle = h
        .send(get(&format!("/fhir/EpisodeOfCare/{episode}"), Some(&key)))
        .await
        .fhir(StatusCode::OK, "Bundle");
    assert_eq!(entries(&bundle).len(), 1);
    assert_eq!(
        bundle["entry"][0]["resource"]["resourceType"],
        "EpisodeOfCare"
    );
}

#[tokio::test]
async fn another_tenants_unknown_or_erased_episode_is_not_found_and_a_key_is_required() {
    let h = harness().await;
    let (a, b) = (h.key("clinic-a").await, h.key("clinic-b").await);
    let (episode, _) = new_episode(&h, &a, "mrn-secret-a").await;
    let record = add(&h, &a, &episode, &visit(10, 6, &[])).await;
    let path = format!("/fhir/EpisodeOfCare/{episode}");
    h.send(get(&path, Some(&a)))
        .await
        .fhir(StatusCode::OK, "Bundle");

    let not_found = |reply: Reply| {
        let outcome = reply.fhir(StatusCode::NOT_FOUND, "OperationOutcome");
        assert_eq!(outcome["issue"][0]["code"], "not-found");
        assert!(!reply.body.windows(12).any(|w| w == b"mrn-secret-a"));
    };
    // Another tenant's, exactly as one that never existed.
    not_found(h.send(get(&path, Some(&b))).await);
    for id in [
        "00000000-0000-4000-8000-000000000000",
        record["id"].as_str().unwrap(),
        "not%20an%20id",
        "%00",
        &"a".repeat(65),
    ] {
        not_found(
            h.send(get(&format!("/fhir/EpisodeOfCare/{id}"), Some(&a)))
                .await,
        );
    }
    // No key, or a wrong one: the 401 of every keyed route.
    h.send(get(&path, None))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    h.send(get(&path, Some(&format!("rk_{}", "A".repeat(43)))))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    // Erased: not found.
    let erased = h
        .send(delete(&format!("/v1/episodes/{episode}"), Some(&a)))
        .await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT);
    not_found(h.send(get(&path, Some(&a))).await);
}
