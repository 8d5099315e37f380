//! The results Bundle, on every labelled and published case: it carries each answer of the
//! case as an Observation, the assessment's probabilities and triage exactly, every reference
//! resolves inside the Bundle, and the same seed gives the same Bundle.

use std::collections::HashSet;

use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, Options};
use radiculo_fhir::bundle::{Context, Subject, results};
use radiculo_fhir::codes::System;
use serde_json::{Value, json};

fn engine() -> Engine {
    Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap())
}

fn labelled_cases(engine: &Engine) -> Vec<Case> {
    ["cases.jsonl", "published.jsonl"]
        .iter()
        .flat_map(|file| {
            let path = format!("{}/../../eval/{file}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let labelled: Value = serde_json::from_str(&line).unwrap();
            radiculo_contract::case_from_value(engine, &labelled["case"]).unwrap()
        })
        .collect()
}

const TIMESTAMP: &str = "2026-12-05T10:00:00Z";

fn bundle(writer: &JsonWriter<&Engine>, case: &Case, context: &Context<'_>) -> Value {
    let assessment = writer.engine().assess(
        case,
        Options {
            next_question: true,
        },
    );
    serde_json::to_value(results(writer, case, &assessment, context)).unwrap()
}

fn resources<'b>(bundle: &'b Value, kind: &str) -> Vec<&'b Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn code(concept: &Value, system: System) -> Option<&str> {
    concept["coding"]
        .as_array()?
        .iter()
        .find(|c| c["system"] == system.url().as_str())?["code"]
        .as_str()
}

#[test]
fn every_answer_probability_and_level_of_the_assessment_is_in_the_bundle() {
    let engine = engine();
    let kb = engine.kb();
    let writer = JsonWriter::new(&engine);
    let cases = labelled_cases(&engine);
    assert!(cases.len() > 150, "both labelled sets are read");
    for case in &cases {
        let context = Context {
            seed: case.id.as_deref().unwrap_or("case"),
            timestamp: TIMESTAMP,
            subject: Subject::FromCase,
            response: None,
        };
        let b = bundle(&writer, case, &context);
        assert_eq!(b["type"], "collection");

        // Every answer once, with its value.
        let mut seen = HashSet::new();
        for o in resources(&b, "Observation") {
            assert_eq!(o["status"], "final");
            assert_eq!(o["effectiveDateTime"], TIMESTAMP);
            let id = code(&o["code"], System::Finding).unwrap();
            assert!(seen.insert(id.to_string()), "{id} is observed once");
            match id {
                "age" => assert_eq!(o["valueInteger"], json!(case.age)),
                "symptom_duration_days" => assert_eq!(o["valueInteger"], json!(case.duration_days)),
                "pain_score" => assert_eq!(o["valueInteger"], json!(case.pain_score)),
                _ => {
                    let f = kb.vocab.get(id).unwrap();
                    match case.state(f) {
                        Some(present) => assert_eq!(o["valueBoolean"], present),
                        None => {
                            assert!(case.is_unsure(f));
                            assert_eq!(o["dataAbsentReason"]["coding"][0]["code"], "asked-unknown");
                            assert!(o.get("valueBoolean").is_none());
                        }
                    }
                }
            }
        }
        let numbers =
            1 + usize::from(case.duration_days.is_some()) + usize::from(case.pain_score.is_some());
        assert_eq!(seen.len(), case.asked_set().iter().count() + numbers);

        // The probabilities, exactly as the contract assessment gives them.
        let assessment = engine.assess(
            case,
            Options {
                next_question: true,
            },
        );
        let contract = serde_json::to_value(writer.model(case, &assessment)).unwrap();
        let risk = resources(&b, "RiskAssessment");
        let predictions = risk[0]["prediction"].as_array().unwrap();
        for c in contract["conditions"].as_array().unwrap() {
            let p = predictions
                .iter()
                .find(|p| code(&p["outcome"], System::Condition) == c["id"].as_str())
                .unwrap();
            assert_eq!(p["probabilityDecimal"], c["probability"]);
            let icd = p["outcome"]["coding"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["system"] == radiculo_fhir::codes::ICD10CM)
                .unwrap();
            assert_eq!(icd["code"], c["icd10"]);
        }
        for r in contract["roots"].as_array().unwrap() {
            let name = format!(
                "{}.{}",
                r["root"].as_str().unwrap(),
                r["side"].as_str().unwrap()
            );
            let p = predictions
                .iter()
                .find(|p| code(&p["outcome"], System::NerveRoot) == Some(name.as_str()))
                .unwrap();
            assert_eq!(p["probabilityDecimal"], r["probability"]);
        }
        assert_eq!(risk[0]["basis"].as_array().unwrap().len(), seen.len());

        // The triage level first, then every red flag raised.
        let impression = resources(&b, "ClinicalImpression");
        let findings = impression[0]["finding"].as_array().unwrap();
        assert_eq!(
            code(&findings[0]["itemCodeableConcept"], System::TriageLevel),
            contract["triage"]["level"].as_str()
        );
        let flags: Vec<_> = findings[1..]
            .iter()
            .map(|f| code(&f["itemCodeableConcept"], System::RedFlag).unwrap())
            .collect();
        let raised: Vec<_> = contract["red_flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(flags, raised);

        // Every reference names an entry of the Bundle, and every fullUrl is unique.
        let urls: HashSet<&str> = b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["fullUrl"].as_str().unwrap())
            .collect();
        assert_eq!(urls.len(), b["entry"].as_array().unwrap().len());
        let mut references = Vec::new();
        collect_references(&b, &mut references);
        assert!(references.len() > seen.len());
        for r in references {
            assert!(urls.contains(r.as_str()), "{r} is an entry");
        }
    }
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

#[test]
fn the_same_seed_gives_the_same_bundle_and_another_seed_other_ids() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let case = &labelled_cases(&engine)[0];
    let context = |seed| Context {
        seed,
        timestamp: TIMESTAMP,
        subject: Subject::FromCase,
        response: None,
    };
    let a = bundle(&writer, case, &context("one"));
    assert_eq!(a, bundle(&writer, case, &context("one")));
    let b = bundle(&writer, case, &context("two"));
    assert_ne!(a["identifier"], b["identifier"]);
    assert_ne!(a["entry"][0]["fullUrl"], b["entry"][0]["fullUrl"]);
}

#[test]
fn a_given_patient_and_response_are_carried_and_a_referenced_patient_is_named() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let case = &labelled_cases(&engine)[0];
    let patient =
        json!({"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960-04"});
    let response = json!({"resourceType": "QuestionnaireResponse", "status": "completed"});
    let b = bundle(
        &writer,
        case,
        &Context {
            seed: "s",
            timestamp: TIMESTAMP,
            subject: Subject::Given(&patient),
            response: Some(&response),
        },
    );
    assert_eq!(resources(&b, "Patient"), [&patient]);
    assert_eq!(resources(&b, "QuestionnaireResponse"), [&response]);
    let response_url = b["entry"][1]["fullUrl"].as_str().unwrap();
    for o in resources(&b, "Observation") {
        assert_eq!(o["derivedFrom"][0]["reference"], response_url);
        assert_eq!(o["subject"]["reference"], b["entry"][0]["fullUrl"]);
    }

    let b = bundle(
        &writer,
        case,
        &Context {
            seed: "s",
            timestamp: TIMESTAMP,
            subject: Subject::Reference("Patient/123"),
            response: None,
        },
    );
    assert!(resources(&b, "Patient").is_empty());
    for kind in ["Observation", "RiskAssessment", "ClinicalImpression"] {
        for r in resources(&b, kind) {
            assert_eq!(r["subject"]["reference"], "Patient/123");
        }
    }
}
