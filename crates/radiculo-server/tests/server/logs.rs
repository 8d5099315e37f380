//! What the logs hold: a line per request with its route, status and request id, and the
//! cause of a store's or an internal failure; never a body, a case or a key.

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
    failed.problem(StatusCode::SERVICE_UNAVAILABLE);
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
    // The store's failure is logged with its cause, under the request's id.
    let failure = logs
        .lines()
        .find(|l| l.contains("the store is unavailable") && l.contains(&failed_id))
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

/// The requests the test above does not make, each with marked health data, a marked key or
/// a marked body: the interview, a record listed and erased, the FHIR operations (answered and
/// refused), a wrong key of either shape, and bodies refused for their size, media type,
/// nesting, fields or feedback items. None of the marks reaches a log line.
#[tokio::test]
async fn no_route_logs_what_it_was_sent_answered_or_refused() {
    let h = harness().await;
    let (_, secret) = new_key(&h.store, "clinic-logs").await;
    let case = r#"{"age": 52, "id": "MARKER-LOGS-CASE", "evidence": [
        {"id": "numbness.saddle", "state": "present"}]}"#;
    h.send(post("/v1/interview", None, case))
        .await
        .json(StatusCode::OK);
    let record = h
        .send(post("/v1/assessments", Some(&secret), case))
        .await
        .json(StatusCode::CREATED);
    let uri = format!("/v1/assessments/{}", record["id"].as_str().unwrap());
    h.send(get("/v1/assessments", Some(&secret)))
        .await
        .json(StatusCode::OK);
    assert_eq!(
        h.send(delete(&uri, Some(&secret))).await.status,
        StatusCode::NO_CONTENT
    );
    h.send(get(&uri, Some(&secret)))
        .await
        .problem(StatusCode::NOT_FOUND);

    // FHIR: an assessment for a marked patient, a refused answer, the adaptive interview.
    let coding = r#"{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y"}}"#;
    let parameters = format!(
        r#"{{"resourceType": "Parameters", "parameter": [
            {{"name": "response", "resource": {{"resourceType": "QuestionnaireResponse",
              "status": "completed", "subject": {{"reference": "Patient/MARKER-LOGS-PATIENT"}},
              "item": [{{"linkId": "urinary_retention", "answer": [{coding}]}}]}}}},
            {{"name": "patient", "resource": {{"resourceType": "Patient",
              "id": "MARKER-LOGS-PATIENT", "gender": "male", "birthDate": "1950-06"}}}}]}}"#
    );
    h.send(fhir_post(
        "/fhir/QuestionnaireResponse/$assess",
        &parameters,
    ))
    .await
    .fhir(StatusCode::OK, "Bundle");
    let unknown_item = format!(
        r#"{{"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
            {{"linkId": "age", "answer": [{{"valueInteger": 50}}]}},
            {{"linkId": "MARKER-LOGS-LINKID", "answer": [{coding}]}}]}}"#
    );
    h.send(fhir_post(
        "/fhir/QuestionnaireResponse/$assess",
        &unknown_item,
    ))
    .await
    .fhir(StatusCode::BAD_REQUEST, "OperationOutcome");
    h.send(fhir_post(
        "/fhir/Questionnaire/$next-question",
        r#"{"resourceType": "QuestionnaireResponse", "status": "in-progress",
            "subject": {"reference": "Patient/MARKER-LOGS-SUBJECT"}}"#,
    ))
    .await
    .fhir(StatusCode::OK, "QuestionnaireResponse");

    // Keys that are wrong: well formed but never issued, and not a key at all.
    let forged = format!("rk_MARKERLOGSKEY{}", "A".repeat(43 - "MARKERLOGSKEY".len()));
    for key in [forged.as_str(), "MARKER-LOGS-BADKEY"] {
        h.send(get("/v1/assessments", Some(key)))
            .await
            .problem(StatusCode::UNAUTHORIZED);
    }
    // Bodies refused before or while they are read.
    let large = format!(
        r#"{{"age": 47, "id": "MARKER-LOGS-LARGE{}"}}"#,
        "x".repeat(radiculo_server::MAX_BODY_BYTES)
    );
    h.send(post("/v1/assess", None, &large))
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
    let plain = axum::http::Request::post("/v1/assess")
        .header("content-type", "text/plain")
        .body(axum::body::Body::from("MARKER-LOGS-PLAIN"))
        .unwrap();
    h.send(plain)
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let nested = format!(r#"{{"MARKER-LOGS-NESTED": {}"#, "[".repeat(1000));
    h.send(post("/v1/assess", None, &nested))
        .await
        .problem(StatusCode::BAD_REQUEST);
    h.send(post(
        "/v1/assessments",
        Some(&secret),
        r#"{"age": 47, "MARKER-LOGS-FIELD": 1}"#,
    ))
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    h.send(post(
        "/cds-services/radiculo-triage/feedback",
        Some(&secret),
        r#"{"feedback": [{"card": "MARKER-LOGS-CARD", "outcome": "MARKER-LOGS-OUTCOME",
            "outcomeTimestamp": "2026-12-05T10:05:31Z"}]}"#,
    ))
    .await
    .problem(StatusCode::BAD_REQUEST);

    let logs = logs().text();
    for marked in [
        "MARKER-LOGS-CASE",
        "numbness.saddle",
        "MARKER-LOGS-PATIENT",
        "MARKER-LOGS-LINKID",
        "MARKER-LOGS-SUBJECT",
        "MARKERLOGSKEY",
        "MARKER-LOGS-BADKEY",
        "MARKER-LOGS-LARGE",
        "MARKER-LOGS-PLAIN",
        "MARKER-LOGS-NESTED",
        "MARKER-LOGS-FIELD",
        "MARKER-LOGS-CARD",
        "MARKER-LOGS-OUTCOME",
        secret.as_str(),
    ] {
        assert!(!logs.contains(marked), "{marked} was logged");
    }
}
