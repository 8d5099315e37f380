//! Reading a QuestionnaireResponse: a response built from a contract case by the intake
//! Questionnaire's own items reads back as that case, with the same assessment; and each kind of
//! bad response is rejected with an OperationOutcome naming where the problem is.

use radiculo_engine::{Case, Engine, Options};
use radiculo_fhir::questionnaire::intake;
use radiculo_fhir::response::{Rejected, read};
use radiculo_fhir::types::Coding;
use radiculo_fhir::{codes, fill};
use serde_json::{Value, json};

fn engine() -> Engine {
    Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap())
}

fn answer(coding: Coding) -> Value {
    json!([{"valueCoding": serde_json::to_value(coding).unwrap()}])
}

/// The response a person gives who answers every question the case answers.
fn response(engine: &Engine, case: &Case) -> Value {
    let kb = engine.kb();
    let filled = fill::response(kb, &intake(kb).unwrap(), case, "2026-12-05T10:00:00Z");
    serde_json::to_value(filled).unwrap()
}

#[test]
fn a_response_reads_back_as_the_case_it_answers_with_the_same_assessment() {
    let engine = engine();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../eval/cases.jsonl"
    ))
    .unwrap();
    let mut compared = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let labelled: Value = serde_json::from_str(line).unwrap();
        let case = radiculo_contract::case_from_value(&engine, &labelled["case"]).unwrap();
        // Examination findings are not in a person's form: compare what the form can carry.
        let kb = engine.kb();
        let mut askable = case.clone();
        askable.id = None;
        for &(f, _) in case.evidence() {
            if kb.vocab.def(f).question_patient.is_none() {
                askable.set(f, None);
            }
        }
        askable.mode = radiculo_engine::Mode::Patient;
        let read_back = read(kb, &response(&engine, &askable), "2026-12-05").unwrap();
        assert_eq!(read_back.evidence(), askable.evidence(), "{line}");
        assert_eq!(
            (
                read_back.age,
                read_back.sex,
                read_back.duration_days,
                read_back.pain_score
            ),
            (
                askable.age,
                askable.sex,
                askable.duration_days,
                askable.pain_score
            )
        );
        let options = Options {
            next_question: true,
        };
        let (a, b) = (
            engine.assess(&askable, options),
            engine.assess(&read_back, options),
        );
        assert_eq!(a.triage.level, b.triage.level);
        assert_eq!(a.roots, b.roots);
        assert_eq!(a.conditions, b.conditions);
        compared += 1;
    }
    assert!(compared > 100);
}

fn rejected(engine: &Engine, response: &Value) -> Rejected {
    read(engine.kb(), response, "2026-12-05").expect_err("rejected")
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
fn bad_responses_are_rejected_with_every_issue_and_where_it_is() {
    let engine = engine();
    let r = rejected(&engine, &json!({"resourceType": "Patient"}));
    assert!(!r.well_formed);
    assert_eq!(issues(&r), [("invalid", "resourceType")]);

    let r = rejected(
        &engine,
        &json!({"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
            {"linkId": "age", "answer": [{"valueString": "47"}]},
            {"linkId": "cauda_equina_screen", "item": [
                {"linkId": "urinary_retension", "answer": answer(codes::yes())},
                {"linkId": "fever", "answer": [{"valueBoolean": true}]},
                {"linkId": "bowel_incontinence", "answer": [{"valueCoding": {"system": codes::YES_NO, "code": "maybe"}}]}
            ]}
        ]}),
    );
    assert!(!r.well_formed);
    assert_eq!(
        issues(&r),
        [
            ("value", "QuestionnaireResponse.item[0].answer[0]"),
            ("not-found", "QuestionnaireResponse.item[1].item[0]"),
            ("value", "QuestionnaireResponse.item[1].item[1].answer[0]"),
            (
                "code-invalid",
                "QuestionnaireResponse.item[1].item[2].answer[0].valueCoding"
            ),
            ("required", "QuestionnaireResponse"),
        ]
    );
    assert!(
        r.outcome.issue[1].diagnostics.contains("urinary_retention"),
        "a suggestion"
    );

    // Well formed, but nothing says how old the person is, or the age is out of range.
    let r = rejected(
        &engine,
        &json!({"resourceType": "QuestionnaireResponse", "status": "completed"}),
    );
    assert!(r.well_formed);
    assert_eq!(issues(&r), [("required", "QuestionnaireResponse")]);
    let r = rejected(
        &engine,
        &json!({"resourceType": "QuestionnaireResponse", "status": "in-progress",
        "item": [{"linkId": "age", "answer": [{"valueInteger": 12}]}]}),
    );
    assert!(r.well_formed);
    assert_eq!(
        issues(&r),
        [
            ("business-rule", "QuestionnaireResponse.status"),
            ("business-rule", "QuestionnaireResponse")
        ]
    );
}

#[test]
fn age_and_sex_come_from_a_contained_patient_when_the_items_do_not_give_them() {
    let engine = engine();
    let case = read(
        engine.kb(),
        &json!({"resourceType": "QuestionnaireResponse", "status": "completed",
            "authored": "2026-12-05", "subject": {"reference": "#p"},
            "contained": [{"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1950-12-06"}]}),
        "2030-01-01",
    )
    .unwrap();
    assert_eq!(
        (case.age, case.sex),
        (75, Some(radiculo_engine::Sex::Female))
    );
    let r = rejected(
        &engine,
        &json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "subject": {"reference": "#nobody"}}),
    );
    assert_eq!(
        issues(&r)[0],
        ("not-found", "QuestionnaireResponse.subject")
    );
}
