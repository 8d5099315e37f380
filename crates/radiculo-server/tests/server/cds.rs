//! CDS Hooks 2.0 over HTTP: discovery, a `patient-view` call with prefetch that gives a card,
//! 412 without prefetch, feedback stored per tenant (and never listed to another), bad
//! feedback refused whole, and the keys and body sizes each route takes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::*;

const FINDING_SYSTEM: &str = "https://w3id.org/radiculo/fhir/CodeSystem/radiculo-finding";
const SERVICE: &str = "/cds-services/radiculo-triage";
const FEEDBACK: &str = "/cds-services/radiculo-triage/feedback";

/// A `patient-view` request for the person of `case` (contract JSON): their Patient (born on
/// 1 June, the case's age in 2026 years ago, so of that age or a year older today) and a
/// searchset Bundle with an Observation per answer.
pub fn cds_request(case: &str, patient_id: &str) -> Value {
    let case: Value = serde_json::from_str(case).unwrap();
    let observation = |code: &str, value: Value| {
        let mut o = json!({
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": FINDING_SYSTEM, "code": code}]},
            "subject": {"reference": format!("Patient/{patient_id}")},
            "effectiveDateTime": "2026-12-01T10:00:00Z",
        });
        for (k, v) in value.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    let mut observations: Vec<Value> = case["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let value = match e["state"].as_str().unwrap() {
                "present" => json!({"valueBoolean": true}),
                "absent" => json!({"valueBoolean": false}),
                _ => json!({"dataAbsentReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "asked-unknown"}]}}),
            };
            observation(e["id"].as_str().unwrap(), value)
        })
        .collect();
    if let Some(days) = case.get("symptom_duration_days") {
        observations.push(observation(
            "symptom_duration_days",
            json!({"valueInteger": days}),
        ));
    }
    let mut patient = json!({
        "resourceType": "Patient",
        "id": patient_id,
        "birthDate": format!("{}-06-01", 2026 - case["age"].as_i64().unwrap()),
    });
    if let Some(sex) = case.get("sex") {
        patient["gender"] = sex.clone();
    }
    json!({
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "https://ehr.example.org/fhir",
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        "prefetch": {
            "patient": patient,
            "findings": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": observations.iter().map(|o| json!({"resource": o})).collect::<Vec<_>>(),
            },
        },
    })
}

fn feedback(card: &str, comment: &str) -> String {
    json!({"feedback": [{
        "card": card,
        "outcome": "overridden",
        "overrideReason": {"userComment": comment},
        "outcomeTimestamp": "2026-12-05T10:05:31Z",
    }]})
    .to_string()
}

#[tokio::test]
async fn discovery_lists_the_triage_service() {
    let h = harness().await;
    let discovery = h
        .send(get("/cds-services", None))
        .await
        .json(StatusCode::OK);
    let service = &discovery["services"][0];
    assert_eq!(service["id"], "radiculo-triage");
    assert_eq!(service["hook"], "patient-view");
    assert_eq!(
        service["prefetch"]["patient"],
        "Patient/{{context.patientId}}"
    );
    assert!(
        service["prefetch"]["findings"]
            .as_str()
            .unwrap()
            .contains(FINDING_SYSTEM)
    );
}

#[tokio::test]
async fn a_call_with_prefetch_gives_a_card() {
    let h = harness_with(|c| c.public_url = Some("https://radiculo.example.org".into())).await;
    let request = cds_request(EXAMPLE_CASE, "123").to_string();
    let response = h
        .send(post(SERVICE, None, &request))
        .await
        .json(StatusCode::OK);
    let cards = response["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    // The same level as /v1/assess gives the same case.
    let assessed = h
        .send(post("/v1/assess", None, EXAMPLE_CASE))
        .await
        .json(StatusCode::OK);
    let indicator = match assessed["triage"]["level"].as_str().unwrap() {
        "emergency" => "critical",
        "urgent" | "soon" => "warning",
        _ => "info",
    };
    assert_eq!(card["indicator"], indicator);
    assert_eq!(card["summary"], assessed["triage"]["clinician_headline"]);
    assert!(
        card["source"]["label"]
            .as_str()
            .unwrap()
            .contains(assessed["kb_version"].as_str().unwrap())
    );
    let link = card["links"][0]["url"].as_str().unwrap();
    assert!(
        link.starts_with("https://radiculo.example.org/clinician#case="),
        "{link}"
    );
    assert_eq!(card["links"][0]["type"], "absolute");

    // Without a configured address, the link is to the Host the client called.
    let h = harness().await;
    let with_host = Request::post(SERVICE)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "radiculo.internal:8080")
        .body(Body::from(request.clone()))
        .unwrap();
    let card = &h.send(with_host).await.json(StatusCode::OK)["cards"][0];
    let link = card["links"][0]["url"].as_str().unwrap();
    assert!(
        link.starts_with("http://radiculo.internal:8080/clinician#case="),
        "{link}"
    );
    // A person with no radiculo findings: no card.
    let mut nothing = cds_request(EXAMPLE_CASE, "123");
    nothing["prefetch"]["findings"] = Value::Null;
    let response = h
        .send(post(SERVICE, None, &nothing.to_string()))
        .await
        .json(StatusCode::OK);
    assert_eq!(response["cards"], json!([]));
}

#[tokio::test]
async fn a_call_without_prefetch_is_412() {
    let h = harness().await;
    let mut request = cds_request(EXAMPLE_CASE, "123");
    request["prefetch"]
        .as_object_mut()
        .unwrap()
        .remove("findings");
    let problem = h
        .send(post(SERVICE, None, &request.to_string()))
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
    assert_eq!(problem["field"], "prefetch.findings");
    assert!(problem["detail"].as_str().unwrap().contains("findings"));
    request.as_object_mut().unwrap().remove("prefetch");
    let problem = h
        .send(post(SERVICE, None, &request.to_string()))
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
    assert_eq!(problem["field"], "prefetch.patient");
}

#[tokio::test]
async fn bad_calls_are_400_with_where() {
    let h = harness().await;
    let mut request = cds_request(EXAMPLE_CASE, "123");
    request["prefetch"]["findings"]["entry"][0]["resource"]["code"]["coding"][0]["code"] =
        json!("pain.lateral_legg.left");
    let problem = h
        .send(post(SERVICE, None, &request.to_string()))
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(
        problem["field"],
        "prefetch.findings.entry[0].resource.code.coding[0].code"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("pain.lateral_leg.left")
    );
    let mut other_hook = cds_request(EXAMPLE_CASE, "123");
    other_hook["hook"] = json!("order-sign");
    let problem = h
        .send(post(SERVICE, None, &other_hook.to_string()))
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "hook");
    h.send(post(SERVICE, None, "{not json"))
        .await
        .problem(StatusCode::BAD_REQUEST);
    let text = Request::post(SERVICE)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    h.send(text)
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn a_prefetch_larger_than_a_case_is_taken_up_to_its_own_limit() {
    let h = harness().await;
    let mut request = cds_request(EXAMPLE_CASE, "123");
    // Padding in the Patient (an unknown member is ignored): over 64 KiB, under 1 MiB.
    request["prefetch"]["patient"]["text"] =
        json!({"status": "generated", "div": "x".repeat(200_000)});
    let body = request.to_string();
    assert!(body.len() > radiculo_server::MAX_BODY_BYTES);
    h.send(post(SERVICE, None, &body))
        .await
        .json(StatusCode::OK);
    request["prefetch"]["patient"]["text"]["div"] =
        json!("x".repeat(radiculo_server::MAX_FHIR_BODY_BYTES));
    h.send(post(SERVICE, None, &request.to_string()))
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
    // Every other route keeps the case's limit.
    let key = h.key("clinic-a").await;
    h.send(post(FEEDBACK, Some(&key), &body))
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_service_is_open_like_assess_and_closed_with_require_key() {
    let request = cds_request(EXAMPLE_CASE, "123").to_string();
    let h = harness_with(|c| c.require_key = true).await;
    h.send(post(SERVICE, None, &request))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    let key = h.key("clinic-a").await;
    h.send(post(SERVICE, Some(&key), &request))
        .await
        .json(StatusCode::OK);
    // A bearer token that is not a key (a CDS Hooks JWT) is refused, not ignored.
    let h = harness().await;
    h.send(post(
        SERVICE,
        Some("eyJhbGciOiJFUzM4NCJ9.e30.sig"),
        &request,
    ))
    .await
    .problem(StatusCode::UNAUTHORIZED);
    // Discovery stays open.
    h.send(get("/cds-services", None))
        .await
        .json(StatusCode::OK);
}

#[tokio::test]
async fn feedback_is_stored_per_tenant() {
    let h = harness().await;
    let (a, b) = (h.key("clinic-a").await, h.key("clinic-b").await);
    h.send(post(FEEDBACK, None, &feedback("card-1", "x")))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    let sent = feedback("card-1", "seen in clinic yesterday");
    let stored = h
        .send(post(FEEDBACK, Some(&a), &sent))
        .await
        .json(StatusCode::OK);
    assert_eq!(stored["stored"].as_array().unwrap().len(), 1);
    let listed = h.send(get(FEEDBACK, Some(&a))).await.json(StatusCode::OK);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], stored["stored"][0]);
    assert_eq!(items[0]["card"], "card-1");
    assert_eq!(items[0]["outcome"], "overridden");
    // The item as it was sent.
    let sent: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(items[0]["feedback"], sent["feedback"][0]);
    // Tenant B sees none of it.
    let other = h.send(get(FEEDBACK, Some(&b))).await.json(StatusCode::OK);
    assert_eq!(other["items"], json!([]));
    h.send(get(FEEDBACK, None))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    h.send(get(&format!("{FEEDBACK}?limit=0"), Some(&a)))
        .await
        .problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_feedback_is_400_and_nothing_is_stored() {
    let h = harness().await;
    let key = h.key("clinic-a").await;
    let good = json!({"card": "card-1", "outcome": "overridden", "outcomeTimestamp": "2026-12-05T10:05:31Z"});
    for (body, field) in [
        (
            json!({"feedback": [good.clone(), {"card": "card-2", "outcome": "ignored", "outcomeTimestamp": "2026-12-05T10:05:31Z"}]}),
            Some("feedback[1].outcome"),
        ),
        (
            json!({"feedback": [good.clone(), {"card": "card-2", "outcome": "accepted", "outcomeTimestamp": "5 Dec 2026"}]}),
            Some("feedback[1].outcomeTimestamp"),
        ),
        (json!({"feedback": []}), Some("feedback")),
        (json!({"cards": []}), Some("feedback")),
    ] {
        let problem = h
            .send(post(FEEDBACK, Some(&key), &body.to_string()))
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"].as_str(), field, "{body}");
    }
    h.send(post(FEEDBACK, Some(&key), "{\"feedback\": ["))
        .await
        .problem(StatusCode::BAD_REQUEST);
    let page = h
        .store
        .list_feedback("clinic-a", "radiculo-triage", 100, None)
        .await
        .unwrap();
    assert!(page.items.is_empty(), "{:?}", page.items);
}
