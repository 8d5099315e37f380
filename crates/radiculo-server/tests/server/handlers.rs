//! Handler tests through `oneshot` on a SQLite temp-file store.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::*;

const TRIAGE_LEVELS: [&str; 5] = ["emergency", "urgent", "soon", "routine", "self_care"];

#[tokio::test]
async fn the_contract_example_is_assessed() {
    let h = harness().await;
    let reply = h.send(post("/v1/assess", None, EXAMPLE_CASE)).await;
    let a = reply.json(StatusCode::OK);
    let level = a["triage"]["level"].as_str().unwrap();
    assert!(TRIAGE_LEVELS.contains(&level), "{level}");
    assert_eq!(a["kb_version"], engine().kb().version.as_str());
    assert!(a["roots"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(a.get("next_question").is_some());
    // A request id is made for every request and sent back.
    let id = reply.header("x-request-id").unwrap();
    assert_eq!(id.len(), 36, "{id}");
}

#[tokio::test]
async fn an_invalid_case_is_422_with_the_field_and_suggestions() {
    let h = harness().await;
    let case = r#"{"age": 47, "evidence": [
        {"id": "slr.left", "state": "present"},
        {"id": "urinary_retention", "state": "absent"},
        {"id": "pain.lateral_legg.left", "state": "present"}]}"#;
    let p = h
        .send(post("/v1/assess", None, case))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["type"], "https://radiculo.invalid/problems/invalid-case");
    assert_eq!(p["field"], "evidence[2].id");
    let suggestions: Vec<&str> = p["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        suggestions.contains(&"pain.lateral_leg.left"),
        "{suggestions:?}"
    );

    for (case, field) in [
        (r#"{"age": 12}"#, "age"),
        (r#"{"evidence": []}"#, "age"),
        (r#"{"age": 40, "sex": "f"}"#, "sex"),
        (r#"{"age": 40, "mode": "doctor"}"#, "mode"),
        (r#"{"age": 40, "colour": "red"}"#, "colour"),
        (r#"[1, 2]"#, "$"),
        (
            r#"{"age": 40, "evidence": [{"id": "slr.left", "state": "maybe"}]}"#,
            "evidence[0].state",
        ),
    ] {
        let p = h
            .send(post("/v1/assess", None, case))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], field, "{case}");
    }
}

#[tokio::test]
async fn invalid_json_is_400() {
    let h = harness().await;
    for body in [r#"{"age": 47"#, "", "not json", r#"{"age": 47,}"#] {
        let p = h
            .send(post("/v1/assess", None, body))
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(p["type"], "https://radiculo.invalid/problems/invalid-json");
        assert!(p.get("field").is_none());
    }
    // Bytes that are not UTF-8 inside a string: JSON must be UTF-8.
    let not_utf8 = Request::post("/v1/assess")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(&b"{\"age\": 47, \"id\": \"\xff\"}"[..]))
        .unwrap();
    let p = h.send(not_utf8).await.problem(StatusCode::BAD_REQUEST);
    assert_eq!(p["type"], "https://radiculo.invalid/problems/invalid-json");
    assert!(p["detail"].as_str().unwrap().contains("line 1"), "{p}");
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_with_or_without_a_length() {
    let h = harness().await;
    // Valid JSON, one byte over the limit, so only its size is wrong.
    let padding = radiculo_server::MAX_BODY_BYTES + 1 - r#"{"age": 47, "id": ""}"#.len();
    let body = format!(r#"{{"age": 47, "id": "{}"}}"#, "x".repeat(padding));
    assert_eq!(body.len(), radiculo_server::MAX_BODY_BYTES + 1);

    // Declared: the body-limit layer refuses it before the handler.
    let declared = Request::post("/v1/assess")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body.clone()))
        .unwrap();
    let p = h
        .send(declared)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        p["type"],
        "https://radiculo.invalid/problems/payload-too-large"
    );

    // Streamed without a length: the limit trips while the body is read.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .as_bytes()
        .chunks(4096)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = Request::post("/v1/assessments")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", h.key("t1").await),
        )
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    h.send(streamed)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);

    // Exactly at the limit is fine.
    let at_limit = &body[..body.len() - 1];
    let at_limit = format!("{}\"}}", &at_limit[..at_limit.len() - 2]);
    assert_eq!(at_limit.len(), radiculo_server::MAX_BODY_BYTES);
    h.send(post("/v1/assess", None, &at_limit))
        .await
        .json(StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let h = harness().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut builder = Request::post("/v1/assess");
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        let p = h
            .send(builder.body(Body::from(EXAMPLE_CASE)).unwrap())
            .await
            .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            p["type"],
            "https://radiculo.invalid/problems/unsupported-media-type"
        );
    }
    // Parameters and structured suffixes are fine.
    let request = Request::post("/v1/assess")
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(EXAMPLE_CASE))
        .unwrap();
    h.send(request).await.json(StatusCode::OK);
}

#[tokio::test]
async fn a_stored_record_reads_back_byte_for_byte() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let created = h
        .send(post("/v1/assessments", Some(&key), EXAMPLE_CASE))
        .await;
    let record = created.json(StatusCode::CREATED);
    let id = record["id"].as_str().unwrap();
    let location = created.header("location").unwrap();
    assert_eq!(location, format!("/v1/assessments/{id}"));
    assert_eq!(record["kb_version"], engine().kb().version.as_str());
    assert!(record["created_at"].as_str().unwrap().ends_with('Z'));
    let sent: Value = serde_json::from_str(EXAMPLE_CASE).unwrap();
    assert_eq!(record["case"], sent);
    assert!(TRIAGE_LEVELS.contains(&record["assessment"]["triage"]["level"].as_str().unwrap()));
    // The stateless assessment of the same case is the stored one.
    let fresh = h
        .send(post("/v1/assess", None, EXAMPLE_CASE))
        .await
        .json(StatusCode::OK);
    assert_eq!(record["assessment"], fresh);

    let read = h.send(get(location, Some(&key))).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.content_type(), "application/json");
    assert_eq!(
        read.body, created.body,
        "the record is returned exactly as stored"
    );

    // Exactly as stored means the stored texts, embedded as they are, not re-serialized.
    let stored = h
        .store
        .get_assessment("clinic-a", id)
        .await
        .unwrap()
        .unwrap();
    let body = std::str::from_utf8(&read.body).unwrap();
    assert!(body.contains(&format!(r#""case":{}"#, stored.case_json)));
    assert!(body.contains(&format!(r#""assessment":{}"#, stored.assessment_json)));
}

#[tokio::test]
async fn records_are_listed_newest_first_in_pages() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let mut created = Vec::new();
    for age in 40..45 {
        let case = format!(r#"{{"age": {age}, "id": "case-{age}"}}"#);
        let record = h
            .send(post("/v1/assessments", Some(&key), &case))
            .await
            .json(StatusCode::CREATED);
        created.push(record["id"].as_str().unwrap().to_owned());
    }
    let mut listed = Vec::new();
    let mut uri = "/v1/assessments?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = h.send(get(&uri, Some(&key))).await.json(StatusCode::OK);
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        for item in items {
            listed.push(item["id"].as_str().unwrap().to_owned());
            assert!(item["case"].is_object() && item["assessment"].is_object());
        }
        match page["next"].as_str() {
            Some(next) => uri = format!("/v1/assessments?limit=2&cursor={next}"),
            None => {
                assert!(page["next"].is_null());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    created.reverse();
    assert_eq!(listed, created, "newest first, each record once");

    // The default page holds them all.
    let page = h
        .send(get("/v1/assessments", Some(&key)))
        .await
        .json(StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert!(page["next"].is_null());

    for (uri, field) in [
        ("/v1/assessments?limit=0", "limit"),
        ("/v1/assessments?limit=101", "limit"),
        ("/v1/assessments?limit=two", "limit"),
        ("/v1/assessments?cursor=abc", "cursor"),
    ] {
        let p = h
            .send(get(uri, Some(&key)))
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(p["field"], field, "{uri}");
    }
}

#[tokio::test]
async fn a_deleted_record_is_gone() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let record = h
        .send(post("/v1/assessments", Some(&key), EXAMPLE_CASE))
        .await
        .json(StatusCode::CREATED);
    let uri = format!("/v1/assessments/{}", record["id"].as_str().unwrap());
    let deleted = h.send(delete(&uri, Some(&key))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_empty());
    h.send(get(&uri, Some(&key)))
        .await
        .problem(StatusCode::NOT_FOUND);
    h.send(delete(&uri, Some(&key)))
        .await
        .problem(StatusCode::NOT_FOUND);
    assert!(
        h.store
            .get_assessment("clinic-a", record["id"].as_str().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let page = h
        .send(get("/v1/assessments", Some(&key)))
        .await
        .json(StatusCode::OK);
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn another_tenants_records_are_not_found() {
    let h = harness().await;
    let a = h.key("clinic-a").await;
    let b = h.key("clinic-b").await;
    let record = h
        .send(post("/v1/assessments", Some(&a), EXAMPLE_CASE))
        .await
        .json(StatusCode::CREATED);
    let uri = format!("/v1/assessments/{}", record["id"].as_str().unwrap());
    h.send(get(&uri, Some(&b)))
        .await
        .problem(StatusCode::NOT_FOUND);
    h.send(delete(&uri, Some(&b)))
        .await
        .problem(StatusCode::NOT_FOUND);
    let page = h
        .send(get("/v1/assessments", Some(&b)))
        .await
        .json(StatusCode::OK);
    assert_eq!(page["items"], json!([]));
    // Still there for its owner.
    h.send(get(&uri, Some(&a))).await.json(StatusCode::OK);
    // Ids that cannot exist are not found either.
    for id in ["nope", "%00", "a%20b"] {
        h.send(get(&format!("/v1/assessments/{id}"), Some(&a)))
            .await
            .problem(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_missing_malformed_unknown_or_revoked_key_is_401() {
    let h = harness().await;
    let (id, secret) = new_key(&h.store, "clinic-a").await;
    h.send(get("/v1/assessments", Some(&secret)))
        .await
        .json(StatusCode::OK);
    assert!(
        h.store
            .revoke_key(&id, "2026-11-25T01:00:00Z")
            .await
            .unwrap()
    );

    let record_uri = "/v1/assessments/1b4e28ba-2fa1-41d2-883f-0016d3cca427";
    for key in [None, Some(secret.as_str()), Some("not-a-key")] {
        for request in [
            get("/v1/assessments", key),
            post("/v1/assessments", key, EXAMPLE_CASE),
            get(record_uri, key),
            delete(record_uri, key),
        ] {
            let reply = h.send(request).await;
            let p = reply.problem(StatusCode::UNAUTHORIZED);
            assert_eq!(p["type"], "https://radiculo.invalid/problems/unauthorized");
            // It says how to get a key.
            assert!(
                p["detail"]
                    .as_str()
                    .unwrap()
                    .contains("radiculo keys create")
            );
            assert!(
                reply
                    .header("www-authenticate")
                    .unwrap()
                    .starts_with("Bearer")
            );
        }
    }
    // Not a bearer token at all.
    let basic = Request::get("/v1/assessments")
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .body(Body::empty())
        .unwrap();
    h.send(basic).await.problem(StatusCode::UNAUTHORIZED);
    // A key sent to an open endpoint must be valid too.
    h.send(post("/v1/assess", Some(&secret), EXAMPLE_CASE))
        .await
        .problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn require_key_closes_assess_and_interview() {
    let h = harness_with(|c| c.require_key = true).await;
    let key = h.key("clinic-a").await;
    for uri in ["/v1/assess", "/v1/interview"] {
        h.send(post(uri, None, EXAMPLE_CASE))
            .await
            .problem(StatusCode::UNAUTHORIZED);
        h.send(post(uri, Some(&key), EXAMPLE_CASE))
            .await
            .json(StatusCode::OK);
    }
    // The reference routes and health stay open.
    for uri in ["/v1/findings", "/v1/kb", "/healthz", "/readyz"] {
        h.send(get(uri, None)).await.json(StatusCode::OK);
    }
}

#[tokio::test]
async fn a_rejected_case_stores_nothing() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    for body in [
        r#"{"age": 3}"#,
        r#"{"age": 47"#,
        r#"{"age": 40, "evidence": [{"id": "x"}]}"#,
    ] {
        let reply = h.send(post("/v1/assessments", Some(&key), body)).await;
        assert!(reply.status.is_client_error(), "{body}");
        assert_eq!(reply.content_type(), PROBLEM_JSON);
    }
    let page = h
        .store
        .list_assessments("clinic-a", 100, None)
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn the_interview_asks_until_an_emergency_ends_it() {
    let h = harness().await;
    let start = h
        .send(post("/v1/interview", None, r#"{"age": 47}"#))
        .await
        .json(StatusCode::OK);
    assert!(start["next_question"]["id"].is_string(), "{start}");
    let emergency = h
        .send(post("/v1/interview", None, EMERGENCY_CASE))
        .await
        .json(StatusCode::OK);
    assert_eq!(emergency["triage"]["level"], "emergency");
    assert!(emergency["next_question"].is_null());

    // Patients are never asked to examine themselves; clinicians may be.
    let examiner: BTreeSet<String> = engine()
        .kb()
        .vocab
        .findings
        .iter()
        .filter(|f| f.examiner)
        .map(|f| f.id.clone())
        .collect();
    let mut case: Value = serde_json::from_str(EXAMPLE_CASE).unwrap();
    for mode in ["patient", "clinician"] {
        case["mode"] = json!(mode);
        let a = h
            .send(post("/v1/interview", None, &case.to_string()))
            .await
            .json(StatusCode::OK);
        let q = &a["next_question"];
        if mode == "patient" && !q.is_null() {
            let asked: Vec<&str> = match q["items"].as_array() {
                Some(items) => items.iter().map(|i| i.as_str().unwrap()).collect(),
                None => vec![q["id"].as_str().unwrap()],
            };
            assert!(
                asked.iter().all(|id| !examiner.contains(*id)),
                "patient mode asked {asked:?}"
            );
        }
    }
}

#[tokio::test]
async fn findings_and_kb_describe_the_knowledge_base() {
    let h = harness().await;
    let findings = h.send(get("/v1/findings", None)).await.json(StatusCode::OK);
    let list = findings["findings"].as_array().unwrap();
    let ids: BTreeSet<&str> = list.iter().map(|f| f["id"].as_str().unwrap()).collect();
    for id in [
        "pain.lateral_leg.left",
        "numbness.saddle",
        "weakness.great_toe_extension.right",
        "urinary_retention",
    ] {
        assert!(ids.contains(id), "{id}");
    }
    assert!(
        list.iter()
            .all(|f| f["patient"].is_string() && f["clinician"].is_string())
    );

    let kb = h.send(get("/v1/kb", None)).await.json(StatusCode::OK);
    assert_eq!(kb["version"], engine().kb().version.as_str());
    for field in ["title", "population", "disclaimer"] {
        assert!(!kb[field].as_str().unwrap().is_empty(), "{field}");
    }
    let sources = kb["sources"].as_array().unwrap();
    assert!(!sources.is_empty());
    assert!(
        sources
            .iter()
            .all(|s| !s["citation"].as_str().unwrap().is_empty())
    );
}

#[tokio::test]
async fn health_and_readiness() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let health = h.send(get("/healthz", None)).await.json(StatusCode::OK);
    assert_eq!(health, json!({"status": "ok"}));
    h.send(get("/readyz", None)).await.json(StatusCode::OK);
    // With the store closed the process is alive but not ready, and a request that needs the
    // store is a 503 to retry later, without saying what failed inside.
    h.store.close().await;
    h.send(get("/healthz", None)).await.json(StatusCode::OK);
    let reply = h.send(get("/readyz", None)).await;
    let p = reply.problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(p["type"], "https://radiculo.invalid/problems/unavailable");
    assert_eq!(reply.header("retry-after"), Some("5"));
    let reply = h.send(get("/v1/assessments", Some(&key))).await;
    let p = reply.problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(p["type"], "https://radiculo.invalid/problems/unavailable");
    assert_eq!(reply.header("retry-after"), Some("5"));
    // A stateless assessment does not need the store.
    h.send(post("/v1/assess", None, EXAMPLE_CASE))
        .await
        .json(StatusCode::OK);
    let text = String::from_utf8_lossy(&reply.body).to_lowercase();
    for internal in ["sqlx", "sqlite", "pool", "database", "closed"] {
        assert!(!text.contains(internal), "{internal} in {text}");
    }
}

#[tokio::test]
async fn the_rate_limit_is_per_key_with_retry_after() {
    let h = harness_with(|c| c.rate_limit_per_minute = 2).await;
    let a = h.key("clinic-a").await;
    let b = h.key("clinic-b").await;
    for _ in 0..2 {
        h.send(get("/v1/assessments", Some(&a)))
            .await
            .json(StatusCode::OK);
    }
    let reply = h.send(get("/v1/assessments", Some(&a))).await;
    let p = reply.problem(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(p["type"], "https://radiculo.invalid/problems/rate-limited");
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    // Another key has its own allowance; so do callers without a key.
    h.send(get("/v1/assessments", Some(&b)))
        .await
        .json(StatusCode::OK);
    for _ in 0..2 {
        h.send(post("/v1/assess", None, EXAMPLE_CASE))
            .await
            .json(StatusCode::OK);
    }
    h.send(post("/v1/assess", None, EXAMPLE_CASE))
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS);
}

/// Guessing keys costs the caller's address its allowance: refused keys (malformed, unknown)
/// are 401 until it is used up, then 429, even with a new guess each time; a valid key still
/// has its own allowance.
#[tokio::test]
async fn refused_keys_use_up_the_client_address_allowance() {
    let h = harness_with(|c| c.rate_limit_per_minute = 2).await;
    let valid = h.key("clinic-a").await;
    h.send(get("/v1/assessments", Some("not a key")))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    h.send(get(
        "/v1/assessments",
        Some("rk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ))
    .await
    .problem(StatusCode::UNAUTHORIZED);
    let reply = h
        .send(get(
            "/v1/assessments",
            Some("rk_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"),
        ))
        .await;
    reply.problem(StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.header("retry-after").is_some());
    h.send(get("/v1/assessments", Some(&valid)))
        .await
        .json(StatusCode::OK);
}

#[tokio::test]
async fn every_error_is_a_problem() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let limited = harness_with(|c| c.rate_limit_per_minute = 1).await;
    let limited_key = limited.key("clinic-a").await;
    limited
        .send(get("/v1/assessments", Some(&limited_key)))
        .await
        .json(StatusCode::OK);
    limited
        .send(get("/v1/assessments", Some(&limited_key)))
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS);
    let cases: Vec<(Request<Body>, StatusCode)> = vec![
        (get("/nowhere", None), StatusCode::NOT_FOUND),
        (get("/v1/assessments/", None), StatusCode::NOT_FOUND),
        (
            request(Method::PUT, "/healthz", None, None),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            request(Method::PATCH, "/v1/assess", None, Some("{}")),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (post("/v1/assess", None, "{"), StatusCode::BAD_REQUEST),
        (get("/v1/assessments", None), StatusCode::UNAUTHORIZED),
        (
            get("/v1/assessments?limit=0", Some(&key)),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("/v1/interview", None, r#"{"age": 200}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Request::post("/v1/interview")
                .body(Body::from("{}"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            Request::post("/v1/assess")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, 70_000)
                .body(Body::from(vec![b' '; 70_000]))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (request, status) in cases {
        let what = format!("{} {}", request.method(), request.uri());
        let reply = h.send(request).await;
        assert_eq!(reply.status, status, "{what}");
        reply.problem(status);
        assert!(reply.header("x-request-id").is_some(), "{what}");
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(reply.header("allow").is_some(), "{what}");
        }
    }
}

#[tokio::test]
async fn the_request_id_is_kept_when_the_client_sends_one() {
    let h = harness().await;
    let request = Request::get("/healthz")
        .header("x-request-id", "trace-me-42")
        .body(Body::empty())
        .unwrap();
    let reply = h.send(request).await;
    assert_eq!(reply.header("x-request-id"), Some("trace-me-42"));
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_its_errors() {
    let h = harness().await;
    let doc = h
        .send(get("/openapi.json", None))
        .await
        .json(StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.insert(format!("{} {path}", method.to_uppercase()));
            let responses = operation["responses"].as_object().unwrap();
            for status in ["500", "503"] {
                assert!(responses.contains_key(status), "{method} {path} {status}");
            }
            // Every error response is a problem, but what a FHIR route says of the request
            // itself (a 4xx other than the key and the rate limit, which every route shares),
            // which is an OperationOutcome, as FHIR clients expect.
            for (status, response) in responses {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                let outcome = path.starts_with("/fhir/")
                    && status.starts_with('4')
                    && !["401", "429"].contains(&status.as_str());
                let media = if outcome {
                    "application/fhir+json"
                } else {
                    PROBLEM_JSON
                };
                let name = response["$ref"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap();
                let content = &doc["components"]["responses"][name]["content"];
                assert!(content.get(media).is_some(), "{method} {path} {status}");
            }
        }
    }
    let expected: BTreeSet<String> = [
        "POST /v1/assess",
        "POST /v1/interview",
        "POST /v1/assessments",
        "GET /v1/assessments",
        "GET /v1/assessments/{id}",
        "DELETE /v1/assessments/{id}",
        "POST /v1/episodes",
        "GET /v1/episodes/{id}",
        "DELETE /v1/episodes/{id}",
        "POST /v1/episodes/{id}/assessments",
        "GET /fhir/EpisodeOfCare/{id}",
        "GET /v1/findings",
        "GET /v1/kb",
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /openapi.json",
        "GET /fhir/metadata",
        "GET /fhir/Questionnaire/{id}",
        "GET /fhir/CodeSystem/{id}",
        "GET /fhir/ValueSet/{id}",
        "GET /cds-services",
        "POST /cds-services/radiculo-triage",
        "POST /cds-services/radiculo-triage/feedback",
        "GET /cds-services/radiculo-triage/feedback",
        "GET /fhir/OperationDefinition/{id}",
        "POST /fhir/QuestionnaireResponse/$assess",
        "POST /fhir/Questionnaire/$next-question",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(operations, expected);

    let statuses = |method: &str, path: &str| -> BTreeSet<String> {
        doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let body_errors = ["400", "401", "413", "415", "422", "429"];
    for (method, path) in [
        ("post", "/v1/assess"),
        ("post", "/v1/interview"),
        ("post", "/v1/assessments"),
    ] {
        let documented = statuses(method, path);
        for status in body_errors {
            assert!(documented.contains(status), "{method} {path} {status}");
        }
    }
    assert!(statuses("get", "/v1/assessments/{id}").contains("404"));
    assert!(statuses("delete", "/v1/assessments/{id}").contains("404"));
    assert!(statuses("post", "/v1/assessments").contains("201"));

    // The request schema names the finding ids the knowledge base accepts.
    let ids = doc["components"]["schemas"]["Evidence"]["properties"]["id"]["enum"]
        .as_array()
        .unwrap();
    assert_eq!(ids.len(), engine().kb().vocab.findings.len());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_stored_records() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    h.send(post("/v1/assess", None, EXAMPLE_CASE)).await;
    h.send(post("/v1/assess", None, "{")).await;
    let record = h
        .send(post("/v1/assessments", Some(&key), EXAMPLE_CASE))
        .await
        .json(StatusCode::CREATED);
    h.send(get(
        &format!("/v1/assessments/{}", record["id"].as_str().unwrap()),
        Some(&key),
    ))
    .await;
    h.send(get("/no/such/path/123", None)).await;
    let reply = h.send(get("/metrics", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .content_type()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(reply.body.to_vec()).unwrap();
    for line in [
        r#"radiculo_http_requests_total{method="POST",route="/v1/assess",status="200"} 1"#,
        r#"radiculo_http_requests_total{method="POST",route="/v1/assess",status="400"} 1"#,
        r#"radiculo_http_requests_total{method="POST",route="/v1/assessments",status="201"} 1"#,
        r#"radiculo_http_requests_total{method="GET",route="/v1/assessments/{id}",status="200"} 1"#,
        r#"radiculo_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"radiculo_http_request_duration_seconds_count{method="POST",route="/v1/assess"} 2"#,
        "radiculo_assessments_stored_total 1",
        "# TYPE radiculo_http_request_duration_seconds histogram",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    // Route templates only: no record id, no raw path.
    assert!(!text.contains(record["id"].as_str().unwrap()));
    assert!(!text.contains("/no/such/path"));
}

#[tokio::test]
async fn the_fhir_definitions_are_served_as_fhir_json() {
    let h = harness().await;
    let statement = h
        .send(get("/fhir/metadata", None))
        .await
        .fhir(StatusCode::OK, "CapabilityStatement");
    assert_eq!(statement["fhirVersion"], "4.0.1");
    let q = h
        .send(get("/fhir/Questionnaire/radiculo-intake", None))
        .await
        .fhir(StatusCode::OK, "Questionnaire");
    assert_eq!(q["version"], engine().kb().version.as_str());
    for id in [
        "radiculo-finding",
        "radiculo-condition",
        "radiculo-triage-level",
        "radiculo-red-flag",
        "radiculo-nerve-root",
    ] {
        let system = h
            .send(get(&format!("/fhir/CodeSystem/{id}"), None))
            .await
            .fhir(StatusCode::OK, "CodeSystem");
        assert_eq!(system["count"], system["concept"].as_array().unwrap().len());
        let set = h
            .send(get(&format!("/fhir/ValueSet/{id}"), None))
            .await
            .fhir(StatusCode::OK, "ValueSet");
        assert_eq!(set["compose"]["include"][0]["system"], system["url"]);
    }
    for uri in [
        "/fhir/Questionnaire/other",
        "/fhir/CodeSystem/radiculo-other",
        "/fhir/ValueSet/radiculo-other",
    ] {
        let outcome = h
            .send(get(uri, None))
            .await
            .fhir(StatusCode::NOT_FOUND, "OperationOutcome");
        assert_eq!(outcome["issue"][0]["code"], "not-found", "{uri}");
    }
}

/// The round trip the FHIR integration promises: a labelled case's answers as a completed
/// QuestionnaireResponse, sent to `$assess`, give the same triage, roots and conditions as
/// `/v1/assess` on the same findings (those the intake asks: examination findings are not
/// questions of a person's form, so both sides go without them).
#[tokio::test]
async fn assess_from_a_questionnaire_response_agrees_with_the_contract_assessment() {
    let h = harness().await;
    let engine = engine();
    let kb = engine.kb();
    let intake = radiculo_fhir::questionnaire::intake(kb).unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../eval/cases.jsonl"
    ))
    .unwrap();
    let mut compared = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut case: Value = serde_json::from_str::<Value>(line).unwrap()["case"].take();
        case["evidence"].as_array_mut().unwrap().retain(|e| {
            kb.vocab
                .def(kb.vocab.get(e["id"].as_str().unwrap()).unwrap())
                .question_patient
                .is_some()
        });
        case.as_object_mut().unwrap().remove("mode");
        let contract = h
            .send(post("/v1/assess", None, &case.to_string()))
            .await
            .json(StatusCode::OK);
        let parsed = radiculo_contract::case_from_value(&engine, &case).unwrap();
        let response = radiculo_fhir::fill::response(kb, &intake, &parsed, "2026-12-05T10:00:00Z");
        let bundle = h
            .send(fhir_post(
                "/fhir/QuestionnaireResponse/$assess",
                &serde_json::to_string(&response).unwrap(),
            ))
            .await
            .fhir(StatusCode::OK, "Bundle");
        let resource = |kind: &str| {
            bundle["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["resource"])
                .find(|r| r["resourceType"] == kind)
                .unwrap()
                .clone()
        };
        let impression = resource("ClinicalImpression");
        assert_eq!(
            impression["finding"][0]["itemCodeableConcept"]["coding"][0]["code"],
            contract["triage"]["level"],
            "{}",
            case["id"]
        );
        let predictions = resource("RiskAssessment")["prediction"].clone();
        let probability = |code: &str| {
            predictions
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["outcome"]["coding"][0]["code"] == code)
                .map(|p| p["probabilityDecimal"].clone())
                .unwrap()
        };
        for c in contract["conditions"].as_array().unwrap() {
            assert_eq!(probability(c["id"].as_str().unwrap()), c["probability"]);
        }
        for r in contract["roots"].as_array().unwrap() {
            let code = format!(
                "{}.{}",
                r["root"].as_str().unwrap(),
                r["side"].as_str().unwrap()
            );
            assert_eq!(probability(&code), r["probability"]);
        }
        compared += 1;
    }
    assert!(compared > 100);
}

#[tokio::test]
async fn bad_fhir_input_gets_an_operation_outcome_that_says_where() {
    let h = harness().await;
    let assess = "/fhir/QuestionnaireResponse/$assess";
    let issue = |outcome: &Value| {
        (
            outcome["issue"][0]["code"].as_str().unwrap().to_string(),
            outcome["issue"][0]["expression"][0]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let cases: [(&str, StatusCode, &str, &str); 6] = [
        (
            r#"{"resourceType": "Patient"}"#,
            StatusCode::BAD_REQUEST,
            "invalid",
            "resourceType",
        ),
        (
            r#"{"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{"linkId": "age", "answer": [{"valueInteger": 50}]}, {"linkId": "urinary_retension", "answer": [{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y"}}]}]}"#,
            StatusCode::BAD_REQUEST,
            "not-found",
            "QuestionnaireResponse.item[1]",
        ),
        (
            r#"{"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{"linkId": "age", "answer": [{"valueString": "fifty"}]}]}"#,
            StatusCode::BAD_REQUEST,
            "value",
            "QuestionnaireResponse.item[0].answer[0]",
        ),
        (
            r#"{"resourceType": "QuestionnaireResponse", "status": "completed", "item": []}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            "QuestionnaireResponse",
        ),
        (
            r#"{"resourceType": "Parameters", "parameter": [{"name": "answers", "resource": {}}]}"#,
            StatusCode::BAD_REQUEST,
            "invalid",
            "Parameters.parameter[0].name",
        ),
        ("{", StatusCode::BAD_REQUEST, "structure", ""),
    ];
    for (body, status, code, at) in cases {
        let outcome = h
            .send(fhir_post(assess, body))
            .await
            .fhir(status, "OperationOutcome");
        assert_eq!(
            issue(&outcome),
            (code.to_string(), at.to_string()),
            "{body}"
        );
    }
    let outcome = h
        .send(
            Request::post(assess)
                .header("content-type", "text/plain")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await
        .fhir(StatusCode::UNSUPPORTED_MEDIA_TYPE, "OperationOutcome");
    assert_eq!(outcome["issue"][0]["code"], "not-supported");
}

#[tokio::test]
async fn a_referenced_patient_comes_as_a_parameter_and_is_carried_in_the_bundle() {
    let h = harness().await;
    let body = serde_json::json!({
        "resourceType": "Parameters",
        "parameter": [
            {"name": "response", "resource": {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "subject": {"reference": "Patient/p1"},
                "authored": "2026-12-05",
                "item": [{"linkId": "urinary_retention", "answer": [{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y"}}]}]
            }},
            {"name": "patient", "resource": {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1950-06"}}
        ]
    });
    let bundle = h
        .send(fhir_post(
            "/fhir/QuestionnaireResponse/$assess",
            &body.to_string(),
        ))
        .await
        .fhir(StatusCode::OK, "Bundle");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries[0]["resource"]["id"], "p1");
    let age = entries
        .iter()
        .find(|e| e["resource"]["code"]["coding"][0]["code"] == "age")
        .unwrap();
    assert_eq!(
        age["resource"]["valueInteger"], 76,
        "the oldest age 1950-06 allows on 2026-12-05"
    );
    assert_eq!(
        age["resource"]["subject"]["reference"],
        entries[0]["fullUrl"]
    );
    let outcome = h
        .send(get("/fhir/OperationDefinition/radiculo-assess", None))
        .await
        .fhir(StatusCode::OK, "OperationDefinition");
    assert_eq!(outcome["code"], "assess");
}

/// An adaptive interview over HTTP (`$next-question`): from an empty response to `completed`,
/// one question a call, each answered as a person with cauda equina symptoms would; the
/// completed response goes to `$assess` unchanged and gives the same triage. Bad input is an
/// OperationOutcome with where: 400 malformed, 422 well formed but unable to go on.
#[tokio::test]
async fn an_adaptive_interview_runs_to_completed_and_its_response_is_assessed() {
    let h = harness().await;
    let uri = "/fhir/Questionnaire/$next-question";
    let yes_no = |code: &str| json!([{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": code}}]);
    fn answer(item: &Value, yes_no: &dyn Fn(&str) -> Value) -> Value {
        let link_id = item["linkId"].as_str().unwrap();
        let yes = ["pain.low_back", "numbness.saddle", "urinary_retention"];
        match link_id {
            "age" => json!({"linkId": link_id, "answer": [{"valueInteger": 52}]}),
            "symptom_duration_days" => json!({"linkId": link_id, "answer": [{"valueInteger": 2}]}),
            "pain_score" => json!({"linkId": link_id, "answer": [{"valueInteger": 8}]}),
            "sex" => {
                json!({"linkId": link_id, "answer": [{"valueCoding": {"system": "http://hl7.org/fhir/administrative-gender", "code": "female"}}]})
            }
            _ if item["type"] == "group" => {
                let nested: Vec<Value> = (item["item"].as_array().unwrap().iter())
                    .map(|child| answer(child, yes_no))
                    .collect();
                json!({"linkId": link_id, "item": nested})
            }
            _ => {
                let code = if yes.contains(&link_id) { "Y" } else { "N" };
                json!({"linkId": link_id, "answer": yes_no(code)})
            }
        }
    }
    // The first call as plain JSON, the others as FHIR JSON; one through Parameters.
    let mut response = h
        .send(post(
            uri,
            None,
            r#"{"resourceType": "QuestionnaireResponse", "status": "in-progress"}"#,
        ))
        .await
        .fhir(StatusCode::OK, "QuestionnaireResponse");
    let mut calls = 1;
    while response["status"] == "in-progress" {
        let item = response["contained"][0]["item"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        let answers = response
            .as_object_mut()
            .unwrap()
            .entry("item")
            .or_insert_with(|| json!([]));
        answers.as_array_mut().unwrap().push(answer(&item, &yes_no));
        let body = if calls == 2 {
            json!({"resourceType": "Parameters", "parameter": [{"name": "questionnaire-response", "resource": response}]})
        } else {
            response.clone()
        };
        response = h
            .send(fhir_post(uri, &body.to_string()))
            .await
            .fhir(StatusCode::OK, "QuestionnaireResponse");
        calls += 1;
        assert!(calls < 40, "{response:#}");
    }
    assert_eq!(response["status"], "completed");
    let result = response["item"].as_array().unwrap().last().unwrap();
    assert_eq!(result["linkId"], "radiculo.result");
    assert_eq!(result["answer"][0]["valueCoding"]["code"], "emergency");

    let bundle = h
        .send(fhir_post(
            "/fhir/QuestionnaireResponse/$assess",
            &response.to_string(),
        ))
        .await
        .fhir(StatusCode::OK, "Bundle");
    let impression = (bundle["entry"].as_array().unwrap().iter())
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "ClinicalImpression")
        .unwrap();
    assert_eq!(
        impression["finding"][0]["itemCodeableConcept"]["coding"][0]["code"],
        "emergency"
    );

    // A completed response is not asked further (422); an answer to an item the contained
    // Questionnaire lacks is malformed (400).
    let outcome = h
        .send(fhir_post(uri, &response.to_string()))
        .await
        .fhir(StatusCode::UNPROCESSABLE_ENTITY, "OperationOutcome");
    assert_eq!(
        outcome["issue"][0]["expression"][0],
        "QuestionnaireResponse.status"
    );
    response["status"] = json!("in-progress");
    let form = response["contained"][0].to_string();
    let unasked = (engine().kb().vocab.findings.iter())
        .map(|f| f.id.clone())
        .find(|id| !form.contains(&format!("\"linkId\":\"{id}\"")))
        .unwrap();
    response["item"]
        .as_array_mut()
        .unwrap()
        .push(json!({"linkId": unasked, "answer": yes_no("Y")}));
    let outcome = h
        .send(fhir_post(uri, &response.to_string()))
        .await
        .fhir(StatusCode::BAD_REQUEST, "OperationOutcome");
    let last = response["item"].as_array().unwrap().len() - 1;
    assert_eq!(
        outcome["issue"][0]["expression"][0],
        format!("QuestionnaireResponse.item[{last}]")
    );
}
