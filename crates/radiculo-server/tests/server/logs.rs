//! What the logs hold: a line per request with its route, status and request id, and the
//! cause of an internal error; never a body, a case or a key.

use axum::http::StatusCode;

use crate::common::*;

/// Every test's logs are collected (see `common::logs`), so what must never be logged is
/// checked against all of them; what must be logged is looked up by this test's request ids.
#[tokio::test]
async fn logs_name_requests_but_hold_no_bodies_cases_or_keys() {
    let h = harness().await;
    let (key_id, secret) = new_key(&h.store, "clinic-a").await;
    let case = r#"{"age": 47, "id": "MARKER-CASE-ID", "evidence": [
        {"id": "weakness.great_toe_extension.left", "state": "present"}]}"#;
    h.send(post("/v1/assess", None, case))
        .await
        .json(StatusCode::OK);
    let record = h
        .send(post("/v1/assessments", Some(&secret), case))
        .await
        .json(StatusCode::CREATED);
    let id = record["id"].as_str().unwrap();
    let read = h
        .send(get(&format!("/v1/assessments/{id}"), Some(&secret)))
        .await;
    read.json(StatusCode::OK);
    let read_id = read.header("x-request-id").unwrap().to_owned();
    h.send(post(
        "/v1/assess",
        None,
        r#"{"age": 47, "evidence": [{"id": "MARKER-FINDING", "state": "present"}]}"#,
    ))
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    h.send(post("/v1/assess", None, r#"{"MARKER-BROKEN-JSON"#))
        .await
        .problem(StatusCode::BAD_REQUEST);
    // CDS Hooks: a call whose patient and findings are marked, a rejected one, and feedback.
    let cds = crate::cds::cds_request(case, "MARKER-CDS-PATIENT");
    h.send(post(
        "/cds-services/radiculo-triage",
        None,
        &cds.to_string(),
    ))
    .await
    .json(StatusCode::OK);
    let mut bad = cds.clone();
    bad["prefetch"]["findings"]["entry"][0]["resource"]["code"]["coding"][0]["code"] =
        serde_json::json!("MARKER-CDS-CODE");
    h.send(post(
        "/cds-services/radiculo-triage",
        None,
        &bad.to_string(),
    ))
    .await
    .problem(StatusCode::BAD_REQUEST);
    let feedback = r#"{"feedback": [{"card": "c", "outcome": "overridden",
        "overrideReason": {"userComment": "MARKER-CDS-COMMENT"}, "outcomeTimestamp": "2026-12-05T10:05:31Z"}]}"#;
    h.send(post(
        "/cds-services/radiculo-triage/feedback",
        Some(&secret),
        feedback,
    ))
    .await
    .json(StatusCode::OK);
    h.store.close().await;
    let failed = h.send(get("/v1/assessments", Some(&secret))).await;
    failed.problem(StatusCode::INTERNAL_SERVER_ERROR);
    let failed_id = failed.header("x-request-id").unwrap().to_owned();

    let logs = logs().text();
    // A line per request, with what an operator needs.
    let answered = logs
        .lines()
        .find(|l| l.contains(&read_id) && l.contains("answered"))
        .unwrap_or_else(|| panic!("no line for {read_id} in {logs}"));
    for field in [
        r#"method=GET"#,
        r#"route="/v1/assessments/{id}""#,
        "status=200",
        "latency_ms=",
        &format!("key_id=\"{key_id}\""),
    ] {
        assert!(answered.contains(field), "{field} not in {answered}");
    }
    // The internal error is logged with its cause, under the request's id.
    let failure = logs
        .lines()
        .find(|l| l.contains("request failed") && l.contains(&failed_id))
        .unwrap_or_else(|| panic!("no failure logged for {failed_id} in {logs}"));
    assert!(failure.contains("error="), "{failure}");
    // Nothing of a case, a body or a key.
    for secret_text in [
        "MARKER-CASE-ID",
        "MARKER-FINDING",
        "MARKER-BROKEN-JSON",
        "MARKER-CDS-PATIENT",
        "MARKER-CDS-CODE",
        "MARKER-CDS-COMMENT",
        "weakness.great_toe_extension",
        "Bearer",
        secret.as_str(),
    ] {
        assert!(!logs.contains(secret_text), "{secret_text} was logged");
    }
}
