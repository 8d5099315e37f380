//! The security review's tests (`SECURITY.md` names each): tenant isolation on every operation
//! that reaches stored records or takes a path parameter, CORS off, the security headers on
//! every response (errors and pages included), deeply nested JSON refused, and the rate limit
//! kept per instance.

use std::collections::{BTreeSet, VecDeque};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use futures_util::StreamExt as _;
use radiculo_server::{AppState, Config, MAX_BODY_BYTES, MAX_FHIR_BODY_BYTES};
use serde_json::{Value, json};

use crate::common::*;

/// One operation of the OpenAPI document, as these tests need it.
#[derive(Debug, Clone)]
struct Operation {
    method: Method,
    /// The path template, such as `/v1/assessments/{id}`.
    path: String,
    /// Whether a key is required: its `security` has no anonymous (empty) alternative.
    needs_key: bool,
    /// The example the document gives for its path parameter, if it has one.
    example: Option<String>,
    /// Whether it takes a request body.
    takes_body: bool,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn has_path_parameter(&self) -> bool {
        self.path.contains('{')
    }

    /// The path with every parameter set to `value`.
    fn uri(&self, value: &str) -> String {
        self.path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') && segment.ends_with('}') {
                    value
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Every operation of the OpenAPI document the server serves.
async fn operations(h: &Harness) -> Vec<Operation> {
    let doc = h
        .send(get("/openapi.json", None))
        .await
        .json(StatusCode::OK);
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let needs_key = operation["security"].as_array().is_some_and(|options| {
                !options.is_empty()
                    && options
                        .iter()
                        .all(|o| o.as_object().is_some_and(|o| !o.is_empty()))
            });
            let example = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["in"] == "path")
                .and_then(|p| p["example"].as_str().or(p["schema"]["example"].as_str()))
                .map(str::to_owned);
            found.push(Operation {
                method,
                path: path.clone(),
                needs_key,
                example,
                takes_body: operation.get("requestBody").is_some(),
            });
        }
    }
    assert!(found.len() > 20, "{found:?}");
    found
}

/// A CDS Hooks feedback request with two items about `card`, each with `comment`.
fn feedback_body(card: &str, comment: &str) -> String {
    let item = json!({
        "card": card,
        "outcome": "overridden",
        "overrideReason": {"userComment": comment},
        "outcomeTimestamp": "2026-12-05T10:05:31Z",
    });
    json!({"feedback": [item, item]}).to_string()
}

/// A body each operation that takes one answers with success. A new operation with a body
/// fails the tests here until it is given one.
fn good_body(operation: &Operation) -> String {
    match operation.path.as_str() {
        "/v1/assess" | "/v1/interview" | "/v1/assessments" | "/v1/episodes/{id}/assessments" => {
            EXAMPLE_CASE.to_owned()
        }
        "/v1/episodes" => json!({"subject": "subject-b"}).to_string(),
        "/cds-services/radiculo-triage" => {
            crate::cds::cds_request(EXAMPLE_CASE, "patient-1").to_string()
        }
        "/cds-services/radiculo-triage/feedback" => feedback_body("card-1", "seen"),
        "/fhir/QuestionnaireResponse/$assess" => json!({
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "item": [
                {"linkId": "age", "answer": [{"valueInteger": 50}]},
                {"linkId": "urinary_retention", "answer": [{"valueCoding": {
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y"}}]},
            ],
        })
        .to_string(),
        "/fhir/Questionnaire/$next-question" => {
            r#"{"resourceType": "QuestionnaireResponse", "status": "in-progress"}"#.to_owned()
        }
        other => panic!("no body known for {} {other}: add one", operation.method),
    }
}

/// The request of `operation` at `uri` with `key` and, if it takes one, `body`.
fn call(operation: &Operation, uri: &str, key: Option<&str>, body: &str) -> Request<Body> {
    let body = operation.takes_body.then_some(body);
    request(operation.method.clone(), uri, key, body)
}

/// What tenant B must get from an operation that reaches stored records or takes a path
/// parameter, called with tenant A's ids and cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// A's record is not found: 404, exactly as an id that never existed.
    NotFound,
    /// B's list holds none of A's items (it is empty), with or without a cursor A was handed.
    NoneOfTheirs,
    /// What B stores is B's: A's records are unchanged by it.
    StoredForTheCaller,
    /// A definition of the knowledge base, the same for every caller and no one's record: A's
    /// record id is no definition's (404), and its example reads the same with A's key, B's
    /// key and no key.
    SharedDefinition,
}

/// Every operation that needs a key (and so reaches a tenant's records) or takes a path
/// parameter, and what tenant B must get from it. The test fails when the document has one
/// that is not here, so a new stored route cannot go unchecked. Creations come last, so that
/// B has nothing of its own while the others are checked.
const SCOPED: [(&str, Isolation); 15] = [
    ("GET /v1/assessments/{id}", Isolation::NotFound),
    ("DELETE /v1/assessments/{id}", Isolation::NotFound),
    ("GET /v1/episodes/{id}", Isolation::NotFound),
    ("DELETE /v1/episodes/{id}", Isolation::NotFound),
    ("POST /v1/episodes/{id}/assessments", Isolation::NotFound),
    ("GET /fhir/EpisodeOfCare/{id}", Isolation::NotFound),
    ("GET /v1/assessments", Isolation::NoneOfTheirs),
    (
        "GET /cds-services/radiculo-triage/feedback",
        Isolation::NoneOfTheirs,
    ),
    ("GET /fhir/Questionnaire/{id}", Isolation::SharedDefinition),
    ("GET /fhir/CodeSystem/{id}", Isolation::SharedDefinition),
    ("GET /fhir/ValueSet/{id}", Isolation::SharedDefinition),
    (
        "GET /fhir/OperationDefinition/{id}",
        Isolation::SharedDefinition,
    ),
    ("POST /v1/assessments", Isolation::StoredForTheCaller),
    ("POST /v1/episodes", Isolation::StoredForTheCaller),
    (
        "POST /cds-services/radiculo-triage/feedback",
        Isolation::StoredForTheCaller,
    ),
];

/// Text only tenant A's records hold (B cannot have sent it): A's tenant name, its cases' ids,
/// its feedback's comments and its episode's subject.
const A_MARKERS: [&str; 4] = [
    "MARKER-TENANT-A",
    "MARKER-A-CASE",
    "MARKER-A-COMMENT",
    "MARKER-A-SUBJECT",
];

fn assert_nothing_of_a(what: &str, reply: &Reply) {
    let body = String::from_utf8_lossy(&reply.body);
    for marker in A_MARKERS {
        assert!(!body.contains(marker), "{what}: {marker} in {body}");
    }
}

#[tokio::test]
async fn no_operation_gives_one_tenant_anything_of_another() {
    let h = harness().await;
    let a = h.key("MARKER-TENANT-A").await;
    let b = h.key("clinic-b").await;

    // Tenant A's records: two assessments and two feedback items, so that each list has a
    // second page and A has a cursor to it.
    let mut records = Vec::new();
    for n in 1..=2 {
        let mut case: Value = serde_json::from_str(EXAMPLE_CASE).unwrap();
        case["id"] = json!(format!("MARKER-A-CASE-{n}"));
        let created = h
            .send(post("/v1/assessments", Some(&a), &case.to_string()))
            .await;
        let id = created.json(StatusCode::CREATED)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        records.push((id, created.body));
    }
    let feedback = "/cds-services/radiculo-triage/feedback";
    let stored = h
        .send(post(
            feedback,
            Some(&a),
            &feedback_body("card-a", "MARKER-A-COMMENT"),
        ))
        .await
        .json(StatusCode::OK);
    let mut a_ids: Vec<String> = records.iter().map(|(id, _)| id.clone()).collect();
    a_ids.extend(
        stored["stored"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned()),
    );
    // And an episode with an assessment in it.
    let episode = h
        .send(post(
            "/v1/episodes",
            Some(&a),
            &json!({"subject": "MARKER-A-SUBJECT"}).to_string(),
        ))
        .await
        .json(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut case: Value = serde_json::from_str(EXAMPLE_CASE).unwrap();
    case["id"] = json!("MARKER-A-CASE-3");
    let in_episode = h
        .send(post(
            &format!("/v1/episodes/{episode}/assessments"),
            Some(&a),
            &case.to_string(),
        ))
        .await
        .json(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let episode_path = format!("/v1/episodes/{episode}");
    let episode_before = h.send(get(&episode_path, Some(&a))).await.body;
    a_ids.extend([episode.clone(), in_episode]);
    let mut a_cursors = Vec::new();
    let mut a_lists = Vec::new();
    for list in ["/v1/assessments", feedback] {
        let first = h
            .send(get(&format!("{list}?limit=1"), Some(&a)))
            .await
            .json(StatusCode::OK);
        a_cursors.push(first["next"].as_str().unwrap().to_owned());
        a_lists.push((list, h.send(get(list, Some(&a))).await.body));
    }

    // The operations the document has that reach a tenant's records or take a path
    // parameter are exactly those this test exercises.
    let operations = operations(&h).await;
    let scoped: BTreeSet<String> = operations
        .iter()
        .filter(|o| o.needs_key || o.has_path_parameter())
        .map(Operation::name)
        .collect();
    let known: BTreeSet<String> = SCOPED.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(
        scoped, known,
        "every operation that needs a key or takes a path parameter is in SCOPED"
    );

    for (name, isolation) in SCOPED {
        let operation = operations.iter().find(|o| o.name() == name).unwrap();
        match isolation {
            Isolation::NotFound => {
                // With a body it would accept, so that only the id can make it a 404.
                let body = if operation.takes_body {
                    good_body(operation)
                } else {
                    String::new()
                };
                for id in &a_ids {
                    let uri = operation.uri(id);
                    let reply = h.send(call(operation, &uri, Some(&b), &body)).await;
                    if operation.path.starts_with("/fhir/") {
                        // A FHIR read's 404 is an OperationOutcome.
                        reply.fhir(StatusCode::NOT_FOUND, "OperationOutcome");
                    } else {
                        reply.problem(StatusCode::NOT_FOUND);
                    }
                    assert_nothing_of_a(&format!("{name} as {uri}"), &reply);
                }
            }
            Isolation::NoneOfTheirs => {
                let mut queries = vec![String::new(), "?limit=100".to_owned()];
                queries.extend(a_cursors.iter().map(|c| format!("?limit=100&cursor={c}")));
                for query in queries {
                    let uri = format!("{}{query}", operation.path);
                    let page = h.send(get(&uri, Some(&b))).await.json(StatusCode::OK);
                    assert_eq!(page["items"], json!([]), "{uri}");
                    assert_eq!(page["next"], Value::Null, "{uri}");
                }
            }
            Isolation::SharedDefinition => {
                for id in &a_ids {
                    let reply = h.send(get(&operation.uri(id), Some(&b))).await;
                    reply.fhir(StatusCode::NOT_FOUND, "OperationOutcome");
                    assert_nothing_of_a(name, &reply);
                }
                let example = operation
                    .example
                    .as_deref()
                    .unwrap_or_else(|| panic!("{name} has no example id"));
                let uri = operation.uri(example);
                let as_a = h.send(get(&uri, Some(&a))).await;
                assert_eq!(as_a.status, StatusCode::OK, "{uri}");
                let as_b = h.send(get(&uri, Some(&b))).await;
                let anonymous = h.send(get(&uri, None)).await;
                assert_eq!(as_a.body, as_b.body, "{uri}");
                assert_eq!(as_a.body, anonymous.body, "{uri}");
                assert_nothing_of_a(name, &as_b);
            }
            Isolation::StoredForTheCaller => {
                let reply = h
                    .send(call(
                        operation,
                        &operation.path,
                        Some(&b),
                        &good_body(operation),
                    ))
                    .await;
                assert!(reply.status.is_success(), "{name}: {}", reply.status);
                assert_nothing_of_a(name, &reply);
            }
        }
    }

    // Every operation of the document, whatever it is annotated with, called by B with A's ids
    // in its path and A's cursors in its query, answers nothing of A's.
    for operation in &operations {
        let mut uris: BTreeSet<String> = a_ids.iter().map(|id| operation.uri(id)).collect();
        if operation.method == Method::GET && !operation.has_path_parameter() {
            uris.extend(
                a_cursors
                    .iter()
                    .map(|c| format!("{}?cursor={c}", operation.path)),
            );
        }
        let body = if operation.takes_body {
            good_body(operation)
        } else {
            String::new()
        };
        for uri in uris {
            let reply = h.send(call(operation, &uri, Some(&b), &body)).await;
            assert_nothing_of_a(&format!("{} {uri}", operation.method), &reply);
        }
    }

    // A's records are intact, byte for byte, and B's own are B's alone.
    for (id, created) in &records {
        let read = h
            .send(get(&format!("/v1/assessments/{id}"), Some(&a)))
            .await;
        read.json(StatusCode::OK);
        assert_eq!(&read.body, created);
    }
    let episode_after = h.send(get(&episode_path, Some(&a))).await;
    episode_after.json(StatusCode::OK);
    assert_eq!(episode_after.body, episode_before, "A's episode");
    for (list, before) in &a_lists {
        let after = h.send(get(list, Some(&a))).await;
        after.json(StatusCode::OK);
        assert_eq!(&after.body, before, "{list}");
        let theirs = h.send(get(list, Some(&b))).await;
        let page = theirs.json(StatusCode::OK);
        assert!(!page["items"].as_array().unwrap().is_empty(), "{list}");
        assert_nothing_of_a(list, &theirs);
        for item in page["items"].as_array().unwrap() {
            assert!(!a_ids.iter().any(|id| item["id"] == id.as_str()), "{item}");
        }
    }
}

/// Whether a response says anything of CORS.
fn assert_no_cors(what: &str, reply: &Reply) {
    for name in reply.headers.keys() {
        assert!(
            !name.as_str().starts_with("access-control-"),
            "{what}: {name}"
        );
    }
}

#[tokio::test]
async fn cors_is_off_so_no_other_origin_reads_an_answer() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let record = h
        .send(post("/v1/assessments", Some(&key), EXAMPLE_CASE))
        .await
        .json(StatusCode::CREATED);
    let id = record["id"].as_str().unwrap();
    let origin = "https://attacker.example";
    let mut targets: Vec<(Method, String)> = operations(&h)
        .await
        .iter()
        .map(|o| (o.method.clone(), o.uri(o.example.as_deref().unwrap_or(id))))
        .collect();
    targets.push((Method::GET, "/".to_owned()));
    targets.push((Method::GET, "/clinician".to_owned()));
    for (method, uri) in targets {
        // The preflight a browser sends before a request with a key: refused, and nothing
        // in it allows the origin.
        let preflight = Request::builder()
            .method(Method::OPTIONS)
            .uri(&uri)
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, method.as_str())
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type",
            )
            .body(Body::empty())
            .unwrap();
        let reply = h.send(preflight).await;
        assert!(
            !reply.status.is_success(),
            "OPTIONS {uri}: {}",
            reply.status
        );
        assert_no_cors(&format!("OPTIONS {uri}"), &reply);
        // A request sent with an Origin anyway (a simple GET, or a POST as a form would send
        // it): answered, but with nothing that lets the page read the answer.
        let mut request = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header(header::ORIGIN, origin)
            .header(header::AUTHORIZATION, format!("Bearer {key}"));
        let body = if method == Method::POST {
            request = request.header(header::CONTENT_TYPE, "text/plain");
            Body::from(EXAMPLE_CASE)
        } else {
            Body::empty()
        };
        let reply = h.send(request.body(body).unwrap()).await;
        assert_no_cors(&format!("{method} {uri}"), &reply);
    }
}

/// Checks the headers every response carries: no sniffing, no referrer, no framing, a policy
/// that loads nothing from another origin, and no caching of anything but a page's own files.
fn check_security_headers(what: &str, reply: &Reply, page_file: bool) {
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        reply.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
    let csp = reply.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(
        csp.contains("default-src 'none'") || csp.contains("default-src 'self'"),
        "{what}: {csp}"
    );
    for loose in ["http:", "https:", "*", "unsafe-"] {
        assert!(!csp.contains(loose), "{what}: {loose} in {csp}");
    }
    let cache = reply.header("cache-control");
    if page_file {
        assert!(cache.is_some(), "{what}");
    } else {
        assert_eq!(cache, Some("no-store"), "{what}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let mut records = Vec::new();
    for _ in 0..2 {
        let record = h
            .send(post("/v1/assessments", Some(&key), EXAMPLE_CASE))
            .await
            .json(StatusCode::CREATED);
        records.push(record["id"].as_str().unwrap().to_owned());
    }
    let episode = h
        .send(post(
            "/v1/episodes",
            Some(&key),
            &json!({"subject": "mrn-1"}).to_string(),
        ))
        .await
        .json(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let mut checked = 0;
    let mut check = |what: String, reply: Reply| {
        check_security_headers(&what, &reply, false);
        checked += 1;
        reply
    };

    let mut operations = operations(&h).await;
    // The erasure last, so that the reads find the record.
    operations.sort_by_key(|o| o.method == Method::DELETE);
    for operation in &operations {
        let name = operation.name();
        let record = if operation.path.contains("pisode") {
            &episode
        } else {
            &records[0]
        };
        let id = operation.example.as_deref().unwrap_or(record);
        let uri = operation.uri(id);
        let body = if operation.takes_body {
            good_body(operation)
        } else {
            String::new()
        };
        // Success, which on most routes carries health data.
        let reply = check(
            format!("{name} ok"),
            h.send(call(operation, &uri, Some(&key), &body)).await,
        );
        assert!(reply.status.is_success(), "{name}: {}", reply.status);
        if operation.needs_key {
            let reply = check(
                format!("{name} without a key"),
                h.send(call(operation, &uri, None, &body)).await,
            );
            reply.problem(StatusCode::UNAUTHORIZED);
        }
        if operation.has_path_parameter() {
            let reply = check(
                format!("{name} unknown"),
                h.send(call(operation, &operation.uri(unknown), Some(&key), &body))
                    .await,
            );
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name}");
        }
        if operation.takes_body {
            let too_large = Request::builder()
                .method(operation.method.clone())
                .uri(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, MAX_FHIR_BODY_BYTES + 1)
                .body(Body::from(vec![b' '; MAX_FHIR_BODY_BYTES + 1]))
                .unwrap();
            let reply = check(format!("{name} too large"), h.send(too_large).await);
            assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{name}");
            let not_json = Request::builder()
                .method(operation.method.clone())
                .uri(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::from(body))
                .unwrap();
            let reply = check(format!("{name} not JSON"), h.send(not_json).await);
            assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}");
        }
        let reply = check(
            format!("PUT {uri}"),
            h.send(request(Method::PUT, &uri, None, None)).await,
        );
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
    }
    let reply = check(
        "GET /nowhere".to_owned(),
        h.send(get("/nowhere", None)).await,
    );
    reply.problem(StatusCode::NOT_FOUND);
    let reply = check(
        "a wrong key".to_owned(),
        h.send(get(
            "/v1/assessments",
            Some(&format!("rk_{}", "A".repeat(43))),
        ))
        .await,
    );
    reply.problem(StatusCode::UNAUTHORIZED);

    // Rate limited (429) and timed out (503).
    let limited = harness_with(|c| c.rate_limit_per_minute = 1).await;
    let limited_key = limited.key("clinic-a").await;
    limited
        .send(get("/v1/assessments", Some(&limited_key)))
        .await
        .json(StatusCode::OK);
    let reply = check(
        "rate limited".to_owned(),
        limited
            .send(get("/v1/assessments", Some(&limited_key)))
            .await,
    );
    reply.problem(StatusCode::TOO_MANY_REQUESTS);
    let slow = harness_with(|c| c.request_timeout_secs = 1).await;
    // Part of a body, then nothing: the request cannot finish in time.
    let stalled = futures_util::stream::iter([Ok::<_, std::io::Error>(b"{\"age\"".to_vec())])
        .chain(futures_util::stream::pending());
    let request = Request::post("/v1/assess")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stalled))
        .unwrap();
    let reply = check("timed out".to_owned(), slow.send(request).await);
    let p = reply.problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(p["type"], "https://radiculo.invalid/problems/timeout");
    assert!(checked > 60, "{checked}");

    // The pages and every file they use, found as a browser finds them.
    let mut queue: VecDeque<String> = ["/", "/clinician"].map(String::from).into();
    let mut seen = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let reply = h.send(get(&path, None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        check_security_headers(&path, &reply, true);
        let text = String::from_utf8(reply.body.to_vec()).unwrap();
        for attribute in ["src", "href"] {
            for value in crate::web::attribute_values(&text, attribute) {
                if value.starts_with("/assets/") {
                    queue.push_back(value.to_owned());
                }
            }
        }
        if path.ends_with(".js") {
            queue.extend(crate::web::imports(&text));
        }
    }
    assert!(seen.len() > 8, "{seen:?}");
    check_security_headers(
        "an unknown asset",
        &h.send(get("/assets/nope.js", None)).await,
        false,
    );
}

/// The operations whose body carries FHIR data, and so may be up to 1 MiB.
const FHIR_BODIED: [&str; 3] = [
    "/cds-services/radiculo-triage",
    "/fhir/QuestionnaireResponse/$assess",
    "/fhir/Questionnaire/$next-question",
];

#[tokio::test]
async fn deeply_nested_json_is_a_400_on_every_route_that_takes_a_body() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    // An episode of the key's tenant, so that a route under one reaches its body.
    let episode = h
        .send(post(
            "/v1/episodes",
            Some(&key),
            &json!({"subject": "mrn-1"}).to_string(),
        ))
        .await
        .json(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut routes = BTreeSet::new();
    for operation in operations(&h).await.iter().filter(|o| o.takes_body) {
        let uri = operation.uri(&episode);
        routes.insert(operation.path.clone());
        let limit = if FHIR_BODIED.contains(&operation.path.as_str()) {
            MAX_FHIR_BODY_BYTES
        } else {
            MAX_BODY_BYTES
        };
        // Arrays and objects, bare or inside what starts as a case, as deep as the body limit
        // allows, and just past serde_json's recursion limit (128).
        let mut bodies = Vec::new();
        for depth in [129, limit / 2 - 16, limit - 32] {
            bodies.push("[".repeat(depth));
            bodies.push(format!(r#"{{"age": 47, "evidence": {}"#, "[".repeat(depth)));
        }
        bodies.push(r#"{"a":"#.repeat((limit - 32) / 5));
        for body in bodies {
            assert!(body.len() <= limit);
            let what = format!(
                "{} {} with {} bytes of {}",
                operation.method,
                operation.path,
                body.len(),
                &body[..16]
            );
            let reply = h.send(call(operation, &uri, Some(&key), &body)).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}");
            let text = String::from_utf8_lossy(&reply.body);
            assert!(text.contains("recursion limit"), "{what}: {text}");
        }
    }
    assert_eq!(routes.len(), 9, "{routes:?}");
    // Nothing was stored from any of them.
    for list in ["/v1/assessments", "/cds-services/radiculo-triage/feedback"] {
        let page = h.send(get(list, Some(&key))).await.json(StatusCode::OK);
        assert_eq!(page["items"], json!([]), "{list}");
    }
}

#[tokio::test]
async fn each_instance_keeps_its_own_rate_limit_so_n_instances_allow_n_times_the_rate() {
    let per_minute = 3;
    let h = harness_with(|c| c.rate_limit_per_minute = per_minute).await;
    let key = h.key("clinic-a").await;
    // A second instance over the same database, as behind a load balancer.
    let mut config = Config::with_database_url("unused: the store is given");
    config.rate_limit_per_minute = per_minute;
    let second =
        radiculo_server::app(AppState::new(engine(), h.store.clone(), &config).expect("the state"));
    let mut allowed = 0;
    for app in [&h.app, &second] {
        let mut here = 0;
        for _ in 0..2 * per_minute {
            let reply = send(app, get("/v1/assessments", Some(&key))).await;
            match reply.status {
                StatusCode::OK => here += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("{other}"),
            }
        }
        // Each instance allows one key a minute's worth, and not one request more.
        assert_eq!(here, per_minute);
        allowed += here;
    }
    // So two instances allow the key twice the configured rate: the arithmetic of SECURITY.md.
    assert_eq!(allowed, 2 * per_minute);
}
