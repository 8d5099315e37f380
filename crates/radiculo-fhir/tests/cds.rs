//! The CDS Hooks service on data: every labelled case, written as a Patient and a searchset of
//! Observations and sent as a `patient-view` request, gives one card whose indicator is the
//! engine's level for that case, whose summary is under 140 characters and whose link carries
//! the case; every level's summary fits; and each way a request can fall short is answered as
//! CDS Hooks asks (412 for a missing prefetch, no card without findings, an `info` card when
//! the age is missing).

use base64::Engine as _;
use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, Options, Sex};
use radiculo_fhir::cds::{
    self, CdsError, FINDINGS, Indicator, MAX_SUMMARY_CHARS, PATIENT, Request, respond,
};
use radiculo_fhir::codes::System;
use radiculo_kb::TriageLevel;
use serde_json::{Value, json};

const TODAY: &str = "2026-12-05";
const BASE: &str = "https://radiculo.example.org";
const HOOK_INSTANCE: &str = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea";

fn engine() -> Engine {
    Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap())
}

fn labelled_cases(engine: &Engine) -> Vec<(String, Case)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../eval/cases.jsonl"
    ))
    .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let labelled: Value = serde_json::from_str(line).unwrap();
            let case = radiculo_contract::case_from_value(engine, &labelled["case"]).unwrap();
            (
                labelled["case"]["id"].as_str().unwrap_or(line).to_owned(),
                case,
            )
        })
        .collect()
}

/// An Observation in the shape radiculo's results Bundle writes.
fn observation(engine: &Engine, code: &str, value: Value) -> Value {
    let kb = engine.kb();
    let category = match kb.vocab.get(code) {
        Some(f) if kb.vocab.def(f).examiner => "exam",
        _ => "survey",
    };
    let mut o = json!({
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": category}]}],
        "code": {"coding": [{"system": System::Finding.url(), "version": kb.version, "code": code}], "text": code},
        "subject": {"reference": "Patient/123"},
        "effectiveDateTime": "2026-12-05T10:00:00Z",
    });
    for (k, v) in value.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

/// The Patient and the searchset Bundle an EHR would prefetch for `case`: a birth date that
/// gives the case's age today, the sex, and an Observation per answer.
fn prefetch(engine: &Engine, case: &Case) -> (Value, Value) {
    let mut patient = json!({"resourceType": "Patient", "id": "123", "birthDate": format!("{}-06-01", 2026 - i32::from(case.age))});
    if let Some(sex) = case.sex {
        patient["gender"] = json!(match sex {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
        });
    }
    let kb = engine.kb();
    let mut observations = Vec::new();
    for f in case.asked_set().iter() {
        let value = match case.state(f) {
            Some(b) => json!({"valueBoolean": b}),
            None => {
                json!({"dataAbsentReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "asked-unknown", "display": "Asked But Unknown"}]}})
            }
        };
        observations.push(observation(engine, &kb.vocab.def(f).id, value));
    }
    if let Some(days) = case.duration_days {
        observations.push(observation(
            engine,
            "symptom_duration_days",
            json!({"valueInteger": days}),
        ));
    }
    if let Some(score) = case.pain_score {
        observations.push(observation(
            engine,
            "pain_score",
            json!({"valueInteger": score}),
        ));
    }
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": observations.len(),
        "entry": observations.iter().enumerate().map(|(i, o)| json!({
            "fullUrl": format!("https://ehr.example.org/fhir/Observation/{i}"),
            "resource": o,
            "search": {"mode": "match"},
        })).collect::<Vec<_>>(),
    });
    (patient, bundle)
}

fn request(patient: Value, findings: Value) -> Request {
    cds::parse_request(&json!({
        "hook": "patient-view",
        "hookInstance": HOOK_INSTANCE,
        "fhirServer": "https://ehr.example.org/fhir",
        "context": {"userId": "Practitioner/example", "patientId": "123"},
        "prefetch": {PATIENT: patient, FINDINGS: findings},
    }))
    .unwrap()
}

/// The case a card's link carries, read back through the contract.
fn linked_case(engine: &Engine, url: &str) -> Case {
    let encoded = url
        .strip_prefix(&format!("{BASE}/clinician#case="))
        .unwrap_or_else(|| panic!("not a clinician link: {url}"));
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .unwrap();
    radiculo_contract::parse_case(engine, std::str::from_utf8(&text).unwrap()).unwrap()
}

#[test]
fn every_labelled_case_gives_one_card_at_the_engine_s_level() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let kb = engine.kb();
    let mut levels = std::collections::BTreeSet::new();
    for (name, case) in labelled_cases(&engine) {
        let (patient, findings) = prefetch(&engine, &case);
        let response = respond(&writer, &request(patient, findings), Some(BASE), TODAY).unwrap();
        assert_eq!(response.cards.len(), 1, "{name}");
        let card = &response.cards[0];
        let level = engine.assess(&case, Options::default()).triage.level;
        levels.insert(level);
        assert_eq!(card.indicator, Indicator::of(level), "{name}");
        assert_eq!(card.summary, kb.level(level).clinician_headline, "{name}");
        assert!(card.summary.chars().count() < 140, "{name}");
        assert_eq!(card.uuid, cds::card_uuid(HOOK_INSTANCE, 0));
        assert!(card.source.label.contains(&kb.version));
        let topic = card.source.topic.as_ref().unwrap();
        assert_eq!(
            (topic.system.as_str(), topic.code.as_str()),
            (System::TriageLevel.url().as_str(), level.as_str())
        );
        assert!(
            card.detail.contains(&cds::markdown(&kb.disclaimer)),
            "{name}"
        );
        // The link carries the case: the same answers, read back by the contract.
        let linked = linked_case(&engine, &card.links[0].url);
        assert_eq!(linked.evidence(), case.evidence(), "{name}");
        assert_eq!(linked.asked_set(), case.asked_set(), "{name}");
        assert_eq!(
            (
                linked.age,
                linked.sex,
                linked.duration_days,
                linked.pain_score
            ),
            (case.age, case.sex, case.duration_days, case.pain_score),
            "{name}"
        );
        // The detail names each red flag raised and the leading condition's ICD-10-CM code.
        let assessment = engine.assess(&case, Options::default());
        let model = writer.model(&case, &assessment);
        for flag in &model.red_flags {
            let text = radiculo_contract::model::text(flag.clinician_text);
            assert!(card.detail.contains(&cds::markdown(&text)), "{name}");
        }
        if let Some(top) = model
            .conditions
            .iter()
            .find(|c| c.probability >= kb.presentation.condition_shown_at_least)
        {
            let icd10 = radiculo_contract::model::text(top.icd10);
            assert!(
                card.detail
                    .contains(&format!("ICD-10-CM {}", cds::markdown(&icd10))),
                "{name}"
            );
        }
    }
    // The cases reach every indicator.
    let indicators: std::collections::BTreeSet<_> = levels
        .iter()
        .map(|&l| format!("{:?}", Indicator::of(l)))
        .collect();
    assert_eq!(indicators.len(), 3, "{levels:?}");
}

#[test]
fn every_level_s_headline_is_a_summary_under_140_characters() {
    let engine = engine();
    for level in TriageLevel::ALL {
        let headline = &engine.kb().level(level).clinician_headline;
        assert!(headline.chars().count() <= MAX_SUMMARY_CHARS, "{level}");
        assert_eq!(&cds::summary(headline), headline, "{level}");
    }
}

#[test]
fn an_emergency_is_critical_and_its_red_flags_are_listed() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let case = radiculo_contract::parse_case(
        &engine,
        r#"{"age": 52, "evidence": [
            {"id": "pain.posterior_thigh.left", "state": "present"},
            {"id": "urinary_retention", "state": "present"},
            {"id": "numbness.saddle", "state": "present"}]}"#,
    )
    .unwrap();
    let (patient, findings) = prefetch(&engine, &case);
    let card = respond(&writer, &request(patient, findings), None, TODAY)
        .unwrap()
        .cards
        .remove(0);
    assert_eq!(card.indicator, Indicator::Critical);
    assert!(
        card.detail.contains("**Red flags raised**"),
        "{}",
        card.detail
    );
    // Without a known address, no link and no source URL.
    assert!(card.links.is_empty());
    assert_eq!(card.source.url, None);
}

#[test]
fn prefetch_that_is_missing_or_unusable_is_412_and_no_findings_is_no_card() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let case = radiculo_contract::parse_case(
        &engine,
        r#"{"age": 40, "evidence": [{"id": "fever", "state": "present"}]}"#,
    )
    .unwrap();
    let (patient, findings) = prefetch(&engine, &case);
    let answer = |mut request: Request, change: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        change(request.prefetch.as_mut().unwrap());
        respond(&writer, &request, Some(BASE), TODAY)
    };
    let full = request(patient.clone(), findings.clone());
    // A key not sent, or one the client could not fetch.
    let missing = answer(full.clone(), &|p| {
        p.remove(FINDINGS);
    });
    assert!(
        matches!(&missing, Err(e @ CdsError::MissingPrefetch { key: FINDINGS, .. }) if e.field() == "prefetch.findings"),
        "{missing:?}"
    );
    let missing = answer(full.clone(), &|p| {
        p.remove(PATIENT);
    });
    assert!(matches!(
        missing,
        Err(CdsError::MissingPrefetch { key: PATIENT, .. })
    ));
    let failed = answer(full.clone(), &|p| {
        p.insert(FINDINGS.into(), json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}));
    });
    assert!(matches!(
        failed,
        Err(CdsError::MissingPrefetch { key: FINDINGS, .. })
    ));
    let mut without_prefetch = full.clone();
    without_prefetch.prefetch = None;
    assert!(matches!(
        respond(&writer, &without_prefetch, None, TODAY),
        Err(CdsError::MissingPrefetch { key: PATIENT, .. })
    ));
    // One page of several.
    let paged = answer(full.clone(), &|p| {
        p[FINDINGS]["link"] =
            json!([{"relation": "next", "url": "https://ehr.example.org/fhir/Observation?page=2"}]);
    });
    assert!(matches!(
        paged,
        Err(CdsError::MissingPrefetch { key: FINDINGS, .. })
    ));
    // No data (null), an empty search, or nothing in radiculo's system: no card.
    for findings in [
        Value::Null,
        json!({"resourceType": "Bundle", "type": "searchset", "total": 0}),
        json!({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]}, "valueQuantity": {"value": 38.5}}}]}),
    ] {
        let none = answer(full.clone(), &|p| {
            p.insert(FINDINGS.into(), findings.clone());
        });
        assert_eq!(none.unwrap().cards, [], "{findings}");
    }
    // A resource of the wrong type, or another patient than the one in context.
    let wrong = answer(full.clone(), &|p| {
        p.insert(PATIENT.into(), json!({"resourceType": "Practitioner"}));
    });
    assert!(matches!(&wrong, Err(e @ CdsError::Invalid { .. }) if e.field() == "prefetch.patient"));
    let other = answer(full.clone(), &|p| {
        p[PATIENT]["id"] = json!("456");
    });
    assert!(
        matches!(&other, Err(e @ CdsError::Invalid { .. }) if e.field() == "prefetch.patient.id")
    );
}

#[test]
fn findings_without_an_age_give_an_info_card_that_says_so() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let case = radiculo_contract::parse_case(
        &engine,
        r#"{"age": 40, "evidence": [{"id": "urinary_retention", "state": "present"}]}"#,
    )
    .unwrap();
    let (mut patient, findings) = prefetch(&engine, &case);
    patient.as_object_mut().unwrap().remove("birthDate");
    let response = respond(&writer, &request(patient, findings), Some(BASE), TODAY).unwrap();
    let card = &response.cards[0];
    assert_eq!(card.indicator, Indicator::Info);
    assert!(card.summary.starts_with("Not assessed"), "{}", card.summary);
    assert!(card.summary.contains("age"), "{}", card.summary);
    assert!(card.summary.chars().count() < 140);
    assert!(card.links.is_empty());
}

#[test]
fn unreadable_prefetched_data_names_where_in_the_request() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let case = radiculo_contract::parse_case(
        &engine,
        r#"{"age": 40, "evidence": [{"id": "fever", "state": "present"}, {"id": "slr.left", "state": "absent"}]}"#,
    )
    .unwrap();
    let (patient, mut findings) = prefetch(&engine, &case);
    findings["entry"][1]["resource"]["code"]["coding"][0]["code"] = json!("slr.lefft");
    let error = respond(&writer, &request(patient, findings), Some(BASE), TODAY).unwrap_err();
    assert_eq!(
        error.field(),
        "prefetch.findings.entry[1].resource.code.coding[0].code"
    );
    assert!(error.detail().contains("slr.left"), "{}", error.detail());
}

#[test]
fn requests_that_are_not_patient_view_or_lack_the_patient_are_invalid() {
    let field = |value: Value| cds::parse_request(&value).unwrap_err().field();
    let good = json!({"hook": "patient-view", "hookInstance": HOOK_INSTANCE, "context": {"patientId": "123"}});
    assert!(cds::parse_request(&good).is_ok());
    let mut other_hook = good.clone();
    other_hook["hook"] = json!("order-sign");
    assert_eq!(field(other_hook), "hook");
    let mut no_patient = good.clone();
    no_patient["context"] = json!({"userId": "Practitioner/1"});
    assert_eq!(field(no_patient), "context.patientId");
    let mut bad_prefetch = good.clone();
    bad_prefetch["prefetch"] = json!([]);
    assert_eq!(field(bad_prefetch), "prefetch");
    assert_eq!(field(json!([])), "");
    let mut no_instance = good;
    no_instance.as_object_mut().unwrap().remove("hookInstance");
    assert_eq!(field(no_instance), "hookInstance");
}

#[test]
fn feedback_is_read_item_by_item_and_refused_whole() {
    let ok = json!({"feedback": [
        {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-12-05T10:05:31Z",
         "overrideReason": {"reason": {"system": "http://example.org/reasons", "code": "seen"}, "userComment": "seen yesterday"}},
        {"card": "c2", "outcome": "accepted", "outcomeTimestamp": "2026-12-05T10:05:31.52Z"},
    ]});
    let items = cds::parse_feedback(&ok).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].outcome, cds::Outcome::Overridden);
    let field = |value: Value| cds::parse_feedback(&value).unwrap_err().field();
    assert_eq!(field(json!({"feedback": []})), "feedback");
    assert_eq!(field(json!({})), "feedback");
    assert_eq!(field(json!("x")), "");
    let item = |change: Value| {
        let mut item = json!({"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-12-05T10:05:31Z"});
        for (k, v) in change.as_object().unwrap() {
            item[k] = v.clone();
        }
        json!({"feedback": [ok["feedback"][0].clone(), item]})
    };
    assert_eq!(field(item(json!({"card": ""}))), "feedback[1].card");
    assert_eq!(
        field(item(json!({"outcome": "ignored"}))),
        "feedback[1].outcome"
    );
    assert_eq!(
        field(item(
            json!({"outcomeTimestamp": "2026-12-05T10:05:31+02:00"})
        )),
        "feedback[1].outcomeTimestamp"
    );
    assert_eq!(
        field(item(json!({"outcomeTimestamp": "yesterday"}))),
        "feedback[1].outcomeTimestamp"
    );
    assert_eq!(
        field(item(json!({"overrideReason": {}}))),
        "feedback[1].overrideReason"
    );
    assert_eq!(
        field(item(json!({"overrideReason": "busy"}))),
        "feedback[1]"
    );
}

#[test]
fn discovery_names_the_service_its_hook_and_both_prefetch_templates() {
    let engine = engine();
    let discovery = cds::discovery(engine.kb());
    let service = &discovery.services[0];
    assert_eq!(
        (service.id.as_str(), service.hook.as_str()),
        ("radiculo-triage", "patient-view")
    );
    assert_eq!(service.prefetch[PATIENT], "Patient/{{context.patientId}}");
    assert!(
        service.prefetch[FINDINGS].starts_with("Observation?patient={{context.patientId}}&code=")
    );
    assert!(service.prefetch[FINDINGS].contains(&format!("{}|", System::Finding.url())));
    assert!(
        service
            .description
            .contains("no suggestions and no actions")
    );
    assert!(service.usage_requirements.contains("412"));
}
