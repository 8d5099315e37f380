//! Episodes over HTTP, on SQLite and on PostgreSQL: scripted courses of assessments, each alert
//! kind firing where the course gets worse and none on an improving course; tenant isolation;
//! erasure of an episode and everything in it.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

/// A case of a scripted course: left L5 radicular pain with `extra` findings present, on day
/// `days` of the symptoms, with pain `pain` out of 10.
pub fn visit(days: u32, pain: u8, extra: &[&str]) -> String {
    let mut evidence = vec![
        json!({"id": "pain.lateral_leg.left", "state": "present"}),
        json!({"id": "numbness.dorsum_foot.left", "state": "present"}),
        json!({"id": "slr.left", "state": "present"}),
        json!({"id": "cough_sneeze_strain_worse", "state": "present"}),
    ];
    evidence.extend(extra.iter().map(|id| json!({"id": id, "state": "present"})));
    json!({
        "age": 44,
        "sex": "male",
        "symptom_duration_days": days,
        "pain_score": pain,
        "evidence": evidence,
    })
    .to_string()
}

/// The same person getting better: the leg pain settles, the weakness goes.
fn improving_course() -> Vec<String> {
    vec![
        visit(10, 8, &["weakness.great_toe_extension.left"]),
        visit(30, 5, &[]),
        json!({
            "age": 44, "sex": "male", "symptom_duration_days": 50, "pain_score": 2,
            "evidence": [
                {"id": "pain.lateral_leg.left", "state": "absent"},
                {"id": "weakness.great_toe_extension.left", "state": "absent"},
                {"id": "slr.left", "state": "absent"}
            ]
        })
        .to_string(),
    ]
}

/// A course getting worse, and the alert kinds each visit must raise.
fn worsening_course() -> Vec<(String, &'static [&'static str])> {
    vec![
        (visit(10, 7, &[]), &[]),
        (
            visit(20, 7, &["weakness.great_toe_extension.left"]),
            &["new_deficit"],
        ),
        (
            visit(
                30,
                8,
                &["weakness.great_toe_extension.left", "urinary_retention"],
            ),
            &["new_red_flag", "triage_raised"],
        ),
        (
            visit(50, 7, &["weakness.great_toe_extension.left"]),
            &["not_improving", "persisting_radicular_pain"],
        ),
    ]
}

async fn new_episode(h: &Harness, key: &str, subject: &str) -> String {
    let created = h
        .send(post(
            "/v1/episodes",
            Some(key),
            &json!({"subject": subject}).to_string(),
        ))
        .await;
    let body = created.json(StatusCode::CREATED);
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body["subject"], subject);
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/episodes/{id}").as_str())
    );
    id
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

fn kinds(alerts: &Value) -> Vec<&str> {
    alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect()
}

async fn courses(h: &Harness, tenant: &str) {
    let key = h.key(tenant).await;

    // Getting worse: each visit raises what it must, the episode lists them all.
    let episode = new_episode(h, &key, "mrn-worse").await;
    let mut ids = Vec::new();
    for (n, (case, expected)) in worsening_course().iter().enumerate() {
        let record = add(h, &key, &episode, case).await;
        let raised = kinds(&record["alerts"]);
        for kind in *expected {
            assert!(raised.contains(kind), "visit {n}: {kind} not in {raised:?}");
        }
        if n == 0 {
            assert!(raised.is_empty(), "a first visit has no course: {raised:?}");
        }
        for alert in record["alerts"].as_array().unwrap() {
            assert_eq!(alert["assessment_id"], record["id"]);
            assert!(!alert["text"].as_str().unwrap().is_empty());
            assert!(!alert["source"].as_str().unwrap().is_empty());
        }
        // The triage is the case's own: an alert never changes it.
        let alone = h
            .send(post("/v1/assess", None, case))
            .await
            .json(StatusCode::OK);
        assert_eq!(record["assessment"]["triage"], alone["triage"], "visit {n}");
        ids.push(record["id"].as_str().unwrap().to_owned());
    }
    let read = h
        .send(get(&format!("/v1/episodes/{episode}"), Some(&key)))
        .await
        .json(StatusCode::OK);
    assert_eq!(read["subject"], "mrn-worse");
    let listed: Vec<&str> = read["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids, "oldest first");
    for kind in [
        "new_red_flag",
        "triage_raised",
        "new_deficit",
        "not_improving",
        "persisting_radicular_pain",
    ] {
        assert!(
            kinds(&read["alerts"]).contains(&kind),
            "{kind}: {}",
            read["alerts"]
        );
    }

    // Getting better: nothing at all.
    let better = new_episode(h, &key, "mrn-better").await;
    for case in improving_course() {
        let record = add(h, &key, &better, &case).await;
        assert_eq!(record["alerts"], json!([]), "{case}");
    }
    let read = h
        .send(get(&format!("/v1/episodes/{better}"), Some(&key)))
        .await
        .json(StatusCode::OK);
    assert_eq!(read["alerts"], json!([]));
    assert_eq!(read["assessments"].as_array().unwrap().len(), 3);

    // Erasure: the episode and every assessment in it, nothing else.
    let erased = h
        .send(delete(&format!("/v1/episodes/{episode}"), Some(&key)))
        .await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT);
    h.send(get(&format!("/v1/episodes/{episode}"), Some(&key)))
        .await
        .problem(StatusCode::NOT_FOUND);
    for id in &ids {
        h.send(get(&format!("/v1/assessments/{id}"), Some(&key)))
            .await
            .problem(StatusCode::NOT_FOUND);
    }
    h.send(post(
        &format!("/v1/episodes/{episode}/assessments"),
        Some(&key),
        &visit(60, 5, &[]),
    ))
    .await
    .problem(StatusCode::NOT_FOUND);
    h.send(get(&format!("/v1/episodes/{better}"), Some(&key)))
        .await
        .json(StatusCode::OK);
}

#[tokio::test]
async fn courses_raise_their_alerts_and_erasure_is_whole_on_sqlite() {
    courses(&harness().await, "clinic-a").await;
}

#[tokio::test]
async fn courses_raise_their_alerts_and_erasure_is_whole_on_postgres() {
    let Some(h) = postgres_harness("radiculo-server's episode tests on PostgreSQL").await else {
        return;
    };
    let tenant = format!("episodes-{}", uuid_like());
    courses(&h, &tenant).await;
}

/// A tenant name no other run uses.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}-{nanos:x}", std::process::id())
}

#[tokio::test]
async fn another_tenants_episode_is_not_found_on_every_route() {
    let h = harness().await;
    let (a, b) = (h.key("clinic-a").await, h.key("clinic-b").await);
    let episode = new_episode(&h, &a, "mrn-1").await;
    add(&h, &a, &episode, &visit(10, 6, &[])).await;
    let path = format!("/v1/episodes/{episode}");
    h.send(get(&path, Some(&b)))
        .await
        .problem(StatusCode::NOT_FOUND);
    h.send(post(
        &format!("{path}/assessments"),
        Some(&b),
        &visit(20, 6, &[]),
    ))
    .await
    .problem(StatusCode::NOT_FOUND);
    h.send(delete(&path, Some(&b)))
        .await
        .problem(StatusCode::NOT_FOUND);
    // Nothing of b's attempts reached a's episode.
    let read = h.send(get(&path, Some(&a))).await.json(StatusCode::OK);
    assert_eq!(read["assessments"].as_array().unwrap().len(), 1);
    // And without a key, nothing at all.
    h.send(get(&path, None))
        .await
        .problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_subject_is_an_opaque_reference_and_bad_bodies_store_nothing() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    for (body, status, field) in [
        (
            json!({"subject": "Jane Smith"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("subject"),
        ),
        (
            json!({"subject": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("subject"),
        ),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, Some("subject")),
        (
            json!({"subject": "x", "name": "Jane"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("subject"),
        ),
        (
            json!({"subject": 42}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("subject"),
        ),
    ] {
        let problem = h
            .send(post("/v1/episodes", Some(&key), &body.to_string()))
            .await
            .problem(status);
        assert_eq!(problem["field"].as_str(), field, "{body}");
    }
    h.send(post("/v1/episodes", Some(&key), "{not json"))
        .await
        .problem(StatusCode::BAD_REQUEST);
    let episode = new_episode(&h, &key, "mrn-2").await;
    let problem = h
        .send(post(
            &format!("/v1/episodes/{episode}/assessments"),
            Some(&key),
            r#"{"age": 40, "evidence": [{"id": "no.such.finding", "state": "present"}]}"#,
        ))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "evidence[0].id");
    let read = h
        .send(get(&format!("/v1/episodes/{episode}"), Some(&key)))
        .await
        .json(StatusCode::OK);
    assert_eq!(read["assessments"], json!([]));
}
