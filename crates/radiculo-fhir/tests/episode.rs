//! An episode's Bundle: the EpisodeOfCare first (the subject as an identifier only), each
//! assessment's results Bundle in order, the same as `bundle::results` gives but for the links
//! to the episode and the person's identifier, a DetectedIssue per alert pointing at the
//! assessment that raised it, every reference resolved, and the same input giving the same
//! Bundle.

use std::collections::HashSet;

use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, Options};
use radiculo_fhir::bundle::{Context, EPISODE_OF_CARE_EXTENSION, Subject, results};
use radiculo_fhir::episode::{Alert, Assessed, Episode, bundle};
use serde_json::{Value, json};

fn engine() -> Engine {
    Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap())
}

/// A course getting worse: left L5 radicular pain, then a new weakness, then urinary
/// retention.
fn course(engine: &Engine) -> Vec<Case> {
    let visit = |days: u32, pain: u8, extra: &[&str]| {
        let mut evidence = vec![
            json!({"id": "pain.lateral_leg.left", "state": "present"}),
            json!({"id": "numbness.dorsum_foot.left", "state": "present"}),
            json!({"id": "slr.left", "state": "present"}),
            json!({"id": "cough_sneeze_strain_worse", "state": "unknown"}),
        ];
        evidence.extend(extra.iter().map(|id| json!({"id": id, "state": "present"})));
        let case = json!({
            "age": 44,
            "sex": "male",
            "symptom_duration_days": days,
            "pain_score": pain,
            "evidence": evidence,
        });
        radiculo_contract::case_from_value(engine, &case).unwrap()
    };
    vec![
        visit(10, 7, &[]),
        visit(20, 7, &["weakness.great_toe_extension.left"]),
        visit(
            30,
            8,
            &["weakness.great_toe_extension.left", "urinary_retention"],
        ),
    ]
}

const EPISODE: Episode<'static> = Episode {
    id: "0f8a4c52-9d1e-4b7a-8f3e-2c6d5a1b9e07",
    subject: "mrn-000123",
    created_at: "2026-12-01T09:00:00.000000Z",
};
const RECORD_IDS: [&str; 3] = [
    "6a1f3e8c-0b2d-4c5e-9f7a-1d3b5c7e9a01",
    "6a1f3e8c-0b2d-4c5e-9f7a-1d3b5c7e9a02",
    "6a1f3e8c-0b2d-4c5e-9f7a-1d3b5c7e9a03",
];
const TIMES: [&str; 3] = [
    "2026-12-01T09:05:00.000000Z",
    "2026-12-11T09:05:00.000000Z",
    "2026-12-21T09:05:00.000000Z",
];

fn assessed(cases: &[Case]) -> Vec<Assessed<'_>> {
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| Assessed {
            id: RECORD_IDS[i],
            created_at: TIMES[i],
            case,
        })
        .collect()
}

const ALERTS: [Alert<'static>; 3] = [
    Alert {
        kind: "new_deficit",
        text: "A new weakness: great toe extension, left.",
        assessment: 1,
    },
    Alert {
        kind: "new_red_flag",
        text: "A new red flag: urinary retention.",
        assessment: 2,
    },
    Alert {
        kind: "triage_raised",
        text: "The triage went up to emergency.",
        assessment: 2,
    },
];

fn entries(bundle: &Value) -> &Vec<Value> {
    bundle["entry"].as_array().unwrap()
}

/// A resource without its links to the episode: `extension` removed, and the Patient's
/// identifier.
fn without_episode(mut resource: Value) -> Value {
    let object = resource.as_object_mut().unwrap();
    object.remove("extension");
    if object["resourceType"] == "Patient" {
        object.remove("identifier");
    }
    resource
}

#[test]
fn an_episode_is_its_episode_of_care_then_each_results_bundle_then_its_alerts() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let cases = course(&engine);
    let assessments = assessed(&cases);
    let timestamp = "2027-01-10T10:00:00Z";
    let b =
        serde_json::to_value(bundle(&writer, &EPISODE, &assessments, &ALERTS, timestamp)).unwrap();
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "collection");
    assert_eq!(b["timestamp"], timestamp);
    let entry = entries(&b);
    assert_eq!(entry.len(), 1 + cases.len() + ALERTS.len());

    // The EpisodeOfCare: the subject by identifier only, never a display.
    let episode_url = entry[0]["fullUrl"].as_str().unwrap();
    assert_eq!(
        entry[0]["resource"],
        json!({
            "resourceType": "EpisodeOfCare",
            "id": EPISODE.id,
            "status": "active",
            "patient": {"type": "Patient", "identifier": {"value": EPISODE.subject}},
            "period": {"start": EPISODE.created_at},
        })
    );

    // Each assessment's results, oldest first: the Bundle `results` gives for the record,
    // with the links to the episode.
    for (i, case) in cases.iter().enumerate() {
        let nested = &entry[1 + i];
        let inner = &nested["resource"];
        assert_eq!(inner["resourceType"], "Bundle");
        assert_eq!(inner["type"], "collection");
        assert_eq!(inner["timestamp"], TIMES[i]);
        assert_eq!(nested["fullUrl"], inner["identifier"]["value"]);

        let alone = results(
            &writer,
            case,
            &engine.assess(case, Options::default()),
            &Context {
                seed: RECORD_IDS[i],
                timestamp: TIMES[i],
                subject: Subject::FromCase,
                response: None,
            },
        );
        let alone = serde_json::to_value(alone).unwrap();
        assert_eq!(inner["identifier"], alone["identifier"]);
        assert_eq!(entries(inner).len(), entries(&alone).len());
        for (with, without) in entries(inner).iter().zip(entries(&alone)) {
            assert_eq!(with["fullUrl"], without["fullUrl"]);
            assert_eq!(
                without_episode(with["resource"].clone()),
                without["resource"]
            );
            let resource = &with["resource"];
            match resource["resourceType"].as_str().unwrap() {
                "Observation" | "ClinicalImpression" => assert_eq!(
                    resource["extension"],
                    json!([{"url": EPISODE_OF_CARE_EXTENSION, "valueReference": {"reference": episode_url}}]),
                ),
                "Patient" => {
                    assert_eq!(resource["identifier"], json!([{"value": EPISODE.subject}]));
                    assert!(resource.get("name").is_none());
                }
                _ => assert!(resource.get("extension").is_none(), "{resource}"),
            }
        }
    }

    // A DetectedIssue per alert, in order, each pointing at the Bundle that raised it.
    for (alert, issue) in ALERTS.iter().zip(&entry[1 + cases.len()..]) {
        let raised_by = &entry[1 + alert.assessment]["fullUrl"];
        assert_eq!(
            issue["resource"],
            json!({
                "resourceType": "DetectedIssue",
                "status": "final",
                "code": {"text": alert.kind},
                "patient": {"type": "Patient", "identifier": {"value": EPISODE.subject}},
                "identifiedDateTime": TIMES[alert.assessment],
                "implicated": [{"reference": episode_url}],
                "evidence": [{"detail": [{"reference": raised_by}]}],
                "detail": alert.text,
            })
        );
    }

    // Every fullUrl is unique, and every reference names an entry of its Bundle or of the
    // episode's.
    let outer: HashSet<&str> = entry
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    assert_eq!(outer.len(), entry.len());
    let mut all = outer.clone();
    for e in entry {
        let resource = &e["resource"];
        let mut known = outer.clone();
        if resource["resourceType"] == "Bundle" {
            for inner in entries(resource) {
                let url = inner["fullUrl"].as_str().unwrap();
                assert!(all.insert(url), "{url} is unique");
                known.insert(url);
            }
        }
        let mut references = Vec::new();
        collect_references(resource, &mut references);
        for r in references {
            assert!(known.contains(r.as_str()), "{r} resolves");
        }
    }
}

#[test]
fn the_same_episode_gives_the_same_bundle_and_an_empty_one_its_episode_of_care_alone() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let cases = course(&engine);
    let assessments = assessed(&cases);
    let once = bundle(
        &writer,
        &EPISODE,
        &assessments,
        &ALERTS,
        "2027-01-10T10:00:00Z",
    );
    let again = bundle(
        &writer,
        &EPISODE,
        &assessments,
        &ALERTS,
        "2027-01-10T10:00:00Z",
    );
    assert_eq!(once, again);

    let empty =
        serde_json::to_value(bundle(&writer, &EPISODE, &[], &[], "2027-01-10T10:00:00Z")).unwrap();
    assert_eq!(entries(&empty).len(), 1);
    assert_eq!(
        empty["entry"][0]["resource"]["resourceType"],
        "EpisodeOfCare"
    );
    assert!(empty.get("identifier").is_none());
}

fn collect_references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "reference" {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    collect_references(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}
