//! Reading radiculo's Observations back into a case (`observations::read`): the latest of each
//! code wins by the instant it was made, other systems and statuses are ignored, the age is
//! the oldest the record allows, and each kind of bad Observation is an issue naming where it
//! is. Also: radiculo's own results Bundle reads back as the case it was written from.

use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, Options, Sex};
use radiculo_fhir::bundle::{Context, Subject, results};
use radiculo_fhir::codes::System;
use radiculo_fhir::observations::{paged, read, recorded};
use radiculo_fhir::response::Rejected;
use serde_json::{Value, json};

const TODAY: &str = "2026-12-05";

fn engine() -> Engine {
    Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap())
}

/// An Observation of radiculo's finding `code`, made at `when`, with `value` (the value[x] or
/// dataAbsentReason member).
fn observation(code: &str, when: &str, value: Value) -> Value {
    let mut o = json!({
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": System::Finding.url(), "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
    });
    for (k, v) in value.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

fn present(code: &str, when: &str) -> Value {
    observation(code, when, json!({"valueBoolean": true}))
}

fn absent(code: &str, when: &str) -> Value {
    observation(code, when, json!({"valueBoolean": false}))
}

fn searchset(resources: &[Value]) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": resources.iter().map(|r| json!({"resource": r})).collect::<Vec<_>>(),
    })
}

fn patient() -> Value {
    json!({"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-06-15"})
}

fn state(engine: &Engine, case: &Case, id: &str) -> Option<bool> {
    case.state(engine.kb().vocab.get(id).unwrap())
}

fn rejected(engine: &Engine, patient: Option<&Value>, bundle: &Value) -> Rejected {
    read(engine.kb(), patient, bundle, TODAY).expect_err("rejected")
}

/// (code, expression) of each issue.
fn issues(r: &Rejected) -> Vec<(&str, &str)> {
    r.outcome
        .issue
        .iter()
        .map(|i| (i.code, i.expression[0].as_str()))
        .collect()
}

#[test]
fn the_latest_observation_of_a_code_wins_by_its_instant() {
    let engine = engine();
    let bundle = searchset(&[
        // 04:00 UTC, later than 03:00 UTC although its text sorts first.
        absent("slr.left", "2026-11-30T23:00:00-05:00"),
        present("slr.left", "2026-12-01T03:00:00Z"),
        // A date alone is its first moment: earlier than any time that day.
        present("fever", "2026-12-01T00:30:00Z"),
        absent("fever", "2026-12-01"),
        // Without an effective time, `issued` orders it.
        json!({"resourceType": "Observation", "status": "final",
               "code": {"coding": [{"system": System::Finding.url(), "code": "onset_sudden"}]},
               "issued": "2026-12-02T00:00:00Z", "valueBoolean": true}),
        absent("onset_sudden", "2026-12-01T00:00:00Z"),
        observation("pain_score", "2026-11-01", json!({"valueInteger": 8})),
        observation("pain_score", "2026-12-01", json!({"valueInteger": 3})),
    ]);
    let case = read(engine.kb(), Some(&patient()), &bundle, TODAY).unwrap();
    assert_eq!(state(&engine, &case, "slr.left"), Some(false));
    assert_eq!(state(&engine, &case, "fever"), Some(true));
    assert_eq!(state(&engine, &case, "onset_sudden"), Some(true));
    assert_eq!(case.pain_score, Some(3));
    assert!(case.pain_score_asked);
    assert_eq!((case.age, case.sex), (56, Some(Sex::Female)));
}

#[test]
fn other_systems_resources_and_statuses_are_ignored() {
    let engine = engine();
    let mut loinc = present("fever", "2026-12-01");
    loinc["code"]["coding"][0]["system"] = json!("http://loinc.org");
    loinc["code"]["coding"][0]["code"] = json!("8310-5");
    let mut withdrawn = present("urinary_retention", "2026-12-04");
    withdrawn["status"] = json!("entered-in-error");
    let mut preliminary = present("bowel_incontinence", "2026-12-04");
    preliminary["status"] = json!("preliminary");
    let mut amended = present("onset_sudden", "2026-12-04");
    amended["status"] = json!("amended");
    let mut two_systems = present("worse_sitting", "2026-12-04");
    two_systems["code"]["coding"] = json!([
        {"system": "http://snomed.info/sct", "code": "279039007"},
        {"system": System::Finding.url(), "code": "worse_sitting"},
    ]);
    let bundle = searchset(&[
        loinc,
        json!({"resourceType": "Condition", "code": {"text": "sciatica"}}),
        json!({"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]}),
        withdrawn,
        preliminary,
        amended,
        two_systems,
    ]);
    let case = read(engine.kb(), Some(&patient()), &bundle, TODAY).unwrap();
    assert_eq!(state(&engine, &case, "fever"), None);
    assert_eq!(state(&engine, &case, "urinary_retention"), None);
    assert_eq!(state(&engine, &case, "bowel_incontinence"), None);
    assert_eq!(state(&engine, &case, "onset_sudden"), Some(true));
    assert_eq!(state(&engine, &case, "worse_sitting"), Some(true));
    assert_eq!(case.evidence().len(), 2);
    assert!(recorded(&bundle));
    // Nothing radiculo reads: nothing recorded.
    assert!(!recorded(&searchset(&[
        json!({"resourceType": "Condition"})
    ])));
    let mut only_withdrawn = present("fever", "2026-12-01");
    only_withdrawn["status"] = json!("cancelled");
    assert!(!recorded(&searchset(&[only_withdrawn])));
    assert!(!recorded(
        &json!({"resourceType": "Bundle", "type": "searchset"})
    ));
}

#[test]
fn not_sure_and_yes_no_codings_are_read() {
    let engine = engine();
    let bundle = searchset(&[
        observation(
            "fever",
            "2026-12-01",
            json!({"dataAbsentReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "asked-unknown"}]}}),
        ),
        observation(
            "smoker",
            "2026-12-01",
            json!({"valueCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y"}]}}),
        ),
    ]);
    let case = read(engine.kb(), Some(&patient()), &bundle, TODAY).unwrap();
    let fever = engine.kb().vocab.get("fever").unwrap();
    assert!(case.is_unsure(fever) && case.asked(fever));
    assert_eq!(state(&engine, &case, "smoker"), Some(true));
}

#[test]
fn the_age_is_the_oldest_the_record_allows() {
    let engine = engine();
    let kb = engine.kb();
    let age = |patient: Option<&Value>, observations: &[Value]| {
        read(kb, patient, &searchset(observations), TODAY).map(|c| c.age)
    };
    let fever = present("fever", "2026-12-01");
    // The birth date at today.
    assert_eq!(age(Some(&patient()), std::slice::from_ref(&fever)), Ok(56));
    // The age recorded three whole years ago, aged forward.
    let recorded_age = observation("age", "2023-06-01", json!({"valueInteger": 40}));
    assert_eq!(age(None, &[fever.clone(), recorded_age.clone()]), Ok(43));
    // Both: the older.
    assert_eq!(
        age(Some(&patient()), &[fever.clone(), recorded_age]),
        Ok(56)
    );
    let older = observation("age", "2026-12-01", json!({"valueInteger": 60}));
    assert_eq!(age(Some(&patient()), &[fever.clone(), older]), Ok(60));
    // A partial birth date: its earliest day, so the oldest age.
    let partial = json!({"resourceType": "Patient", "id": "p1", "birthDate": "1970"});
    assert_eq!(age(Some(&partial), std::slice::from_ref(&fever)), Ok(56));

    // Neither: well formed, but it cannot be assessed.
    let r = rejected(&engine, None, &searchset(std::slice::from_ref(&fever)));
    assert!(r.well_formed);
    assert_eq!(issues(&r), [("required", "Patient.birthDate")]);
    let child = json!({"resourceType": "Patient", "id": "p1", "birthDate": "2015-01-01"});
    let r = rejected(&engine, Some(&child), &searchset(&[fever]));
    assert!(r.well_formed);
    assert_eq!(issues(&r), [("business-rule", "Patient.birthDate")]);
}

#[test]
fn bad_observations_are_issues_that_say_where() {
    let engine = engine();
    let mut no_status = present("fever", "2026-12-01");
    no_status.as_object_mut().unwrap().remove("status");
    let mut other_patient = present("smoker", "2026-12-01");
    other_patient["subject"]["reference"] = json!("https://ehr.example.org/fhir/Patient/p2");
    let bundle = searchset(&[
        present("slr.left", "2026-12-01"),
        observation("fever", "2026-12-01", json!({"valueString": "yes"})),
        observation("age", "2026-12-01", json!({"valueBoolean": true})),
        present("slr.lefft", "2026-12-01"),
        observation("pain_score", "2026-12-01", json!({"valueInteger": 11})),
        present("onset_sudden", "yesterday"),
        no_status,
        other_patient,
        observation(
            "diabetes",
            "2026-12-01",
            json!({"valueBoolean": true, "valueInteger": 1}),
        ),
        observation("worse_sitting", "2026-12-01", json!({})),
    ]);
    let r = rejected(&engine, Some(&patient()), &bundle);
    assert!(!r.well_formed);
    assert_eq!(
        issues(&r),
        [
            ("value", "Bundle.entry[1].resource.valueString"),
            ("value", "Bundle.entry[2].resource.valueBoolean"),
            (
                "code-invalid",
                "Bundle.entry[3].resource.code.coding[0].code"
            ),
            ("value", "Bundle.entry[4].resource.valueInteger"),
            ("value", "Bundle.entry[5].resource.effectiveDateTime"),
            ("value", "Bundle.entry[6].resource.status"),
            ("business-rule", "Bundle.entry[7].resource.subject"),
            ("structure", "Bundle.entry[8].resource"),
            ("required", "Bundle.entry[9].resource"),
        ]
    );
    let unknown = &r.outcome.issue[2].diagnostics;
    assert!(unknown.contains("slr.left"), "a suggestion: {unknown}");

    // Not a Bundle; a Patient with a bad gender.
    let r = rejected(
        &engine,
        Some(&patient()),
        &json!({"resourceType": "Observation"}),
    );
    assert_eq!(issues(&r), [("structure", "Bundle")]);
    let odd = json!({"resourceType": "Patient", "id": "p1", "gender": "f", "birthDate": "1970"});
    let r = rejected(
        &engine,
        Some(&odd),
        &searchset(&[present("fever", "2026-12-01")]),
    );
    assert_eq!(issues(&r), [("code-invalid", "Patient.gender")]);
}

#[test]
fn a_search_with_more_pages_is_seen() {
    let mut bundle = searchset(&[present("fever", "2026-12-01")]);
    assert!(!paged(&bundle));
    bundle["link"] = json!([{"relation": "self", "url": "https://ehr.example.org/fhir/Observation?patient=p1"},
                            {"relation": "next", "url": "https://ehr.example.org/fhir/Observation?page=2"}]);
    assert!(paged(&bundle));
}

#[test]
fn radiculo_s_own_results_bundle_reads_back_as_its_case() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../eval/cases.jsonl"
    ))
    .unwrap();
    let patient = json!({"resourceType": "Patient", "id": "p1"});
    let mut read_back = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let labelled: Value = serde_json::from_str(line).unwrap();
        let case = radiculo_contract::case_from_value(&engine, &labelled["case"]).unwrap();
        let assessment = engine.assess(&case, Options::default());
        let context = Context {
            seed: "4a1c9f2e-0b7d-4c55-9e61-2f3a8d5b7c90",
            timestamp: "2026-12-05T10:00:00Z",
            subject: Subject::Reference("Patient/p1"),
            response: None,
        };
        let bundle = serde_json::to_value(results(&writer, &case, &assessment, &context)).unwrap();
        let again = read(engine.kb(), Some(&patient), &bundle, TODAY).unwrap();
        assert_eq!(again.evidence(), case.evidence(), "{line}");
        assert_eq!(again.asked_set(), case.asked_set(), "{line}");
        assert_eq!(
            (again.age, again.duration_days, again.pain_score),
            (case.age, case.duration_days, case.pain_score),
            "{line}"
        );
        assert_eq!(
            engine.assess(&again, Options::default()).triage.level,
            assessment.triage.level
        );
        read_back += 1;
    }
    assert!(read_back > 100);
}
