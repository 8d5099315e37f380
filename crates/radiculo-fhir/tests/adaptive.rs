//! The adaptive questionnaire (`$next-question`): for every labelled case, the loop a form
//! filler runs (send the response, answer the question appended, send it again) asks the same
//! questions as the interview session answered from the same case, each one the intake
//! Questionnaire's own item, and ends `completed` with the session's triage, in a response that
//! `response::read` takes as it is; and each kind of bad body is rejected with an
//! OperationOutcome naming where the problem is.

use std::collections::HashSet;

use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, Mode, Options, QuestionKind};
use radiculo_fhir::adaptive::{ADAPTIVE, ADAPTIVE_EXTENSION, RESULT, next_question};
use radiculo_fhir::codes::{self, System};
use radiculo_fhir::questionnaire::{GENDER, intake, intake_url, link};
use radiculo_fhir::response::{Rejected, read};
use radiculo_interview::{Answer, Next, Session};
use radiculo_kb::{Audience, TriageLevel};
use serde_json::{Value, json};

const TODAY: &str = "2026-12-05";

fn engine() -> Engine {
    Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap())
}

fn next(writer: &JsonWriter<&Engine>, body: &Value) -> Value {
    match next_question(writer, body, TODAY).expect("no question asked twice") {
        Ok(response) => response,
        Err(rejected) => panic!("{:#?}\n{body:#}", rejected.outcome),
    }
}

fn rejected(writer: &JsonWriter<&Engine>, body: &Value) -> Rejected {
    next_question(writer, body, TODAY)
        .expect("no question asked twice")
        .expect_err("rejected")
}

/// (code, expression) of each issue.
fn issues(r: &Rejected) -> Vec<(&str, &str)> {
    (r.outcome.issue.iter())
        .map(|i| (i.code, i.expression[0].as_str()))
        .collect()
}

fn coding(value: impl serde::Serialize) -> Value {
    json!([{"valueCoding": serde_json::to_value(value).unwrap()}])
}

/// The contained Questionnaire a response names.
fn form(response: &Value) -> &Value {
    let id = response["questionnaire"]
        .as_str()
        .unwrap()
        .strip_prefix('#')
        .unwrap();
    (response["contained"].as_array().unwrap().iter())
        .find(|r| r["resourceType"] == "Questionnaire" && r["id"] == id)
        .unwrap()
}

fn form_mut(response: &mut Value) -> &mut Value {
    let id = response["questionnaire"].as_str().unwrap()[1..].to_string();
    (response["contained"].as_array_mut().unwrap().iter_mut())
        .find(|r| r["resourceType"] == "Questionnaire" && r["id"] == id.as_str())
        .unwrap()
}

/// The answer a person gives to `item` (an item just appended) who answers as `case` says:
/// "not sure" for a finding the case does not give, and no answer for a number or sex it does
/// not give. `None` when the item is left unanswered.
fn answer(engine: &Engine, case: &Case, item: &Value) -> Option<Value> {
    let link_id = item["linkId"].as_str().unwrap();
    let mut out = json!({"linkId": link_id});
    if item["type"] == "group" {
        let nested: Vec<Value> = (item["item"].as_array().unwrap().iter())
            .filter_map(|child| answer(engine, case, child))
            .collect();
        if nested.is_empty() {
            return None;
        }
        out["item"] = json!(nested);
        return Some(out);
    }
    let integer = |n: Option<i64>| n.map(|n| json!([{"valueInteger": n}]));
    out["answer"] = match link_id {
        link::AGE => integer(Some(i64::from(case.age))),
        link::DURATION => integer(case.duration_days.map(i64::from)),
        link::PAIN_SCORE => integer(case.pain_score.map(i64::from)),
        link::SEX => case.sex.map(|sex| {
            let code = format!("{sex:?}").to_lowercase();
            json!([{"valueCoding": {"system": GENDER, "code": code}}])
        }),
        finding => {
            let f = engine.kb().vocab.get(finding).unwrap();
            Some(match case.state(f) {
                Some(true) => coding(codes::yes()),
                Some(false) => coding(codes::no()),
                None => coding(codes::not_sure()),
            })
        }
    }?;
    Some(out)
}

/// The item with `link_id` anywhere in `items`.
fn find<'a>(items: &'a Value, link_id: &str) -> Option<&'a Value> {
    for item in items.as_array()? {
        if item["linkId"] == link_id {
            return Some(item);
        }
        if let Some(found) = find(&item["item"], link_id) {
            return Some(found);
        }
    }
    None
}

/// Checks that `item` is the intake's item with its `linkId` (without its `enableWhen`: the
/// engine decided the question is due); a group holds the intake's items for the findings
/// still to ask. An examination finding, which a clinician alone is asked, is not in the
/// intake: it is asked as the intake asks every finding, in the clinician's words.
fn assert_from_intake(engine: &Engine, intake: &Value, item: &Value) {
    let link_id = item["linkId"].as_str().unwrap();
    let Some(expected) = find(intake, link_id) else {
        if let Some(group) = engine.kb().groups.iter().find(|g| g.id == link_id) {
            // A group of examination findings alone.
            assert_eq!(item["type"], "group");
            assert_eq!(item["text"], group.patient.as_str());
            for child in item["item"].as_array().unwrap() {
                assert_from_intake(engine, intake, child);
            }
            return;
        }
        let f = engine.kb().vocab.get(link_id).expect(link_id);
        let def = engine.kb().vocab.def(f);
        assert!(def.examiner && def.question_patient.is_none(), "{link_id}");
        let any_finding = find(intake, "fever").unwrap();
        assert_eq!(item["text"], def.question_clinician.as_str());
        assert_eq!(item["answerOption"], any_finding["answerOption"]);
        assert_eq!(item["type"], "choice");
        assert_eq!(item["code"][0]["code"], link_id);
        return;
    };
    let mut own = expected.clone();
    let own = own.as_object_mut().unwrap();
    for key in ["enableWhen", "enableBehavior", "item"] {
        own.remove(key);
    }
    let mut given = item.as_object().unwrap().clone();
    given.remove("item");
    assert_eq!(&given, own, "{link_id}");
    for child in item["item"].as_array().into_iter().flatten() {
        assert_from_intake(engine, intake, child);
    }
}

/// One adaptive interview from an empty response to the end, answering as `case` says; the
/// response at the end and the `linkId` of each item appended, in order.
fn adaptive_run(writer: &JsonWriter<&Engine>, case: &Case, mode: Mode) -> (Value, Vec<String>) {
    let engine = writer.engine();
    let intake = serde_json::to_value(intake(engine.kb()).unwrap()).unwrap()["item"].take();
    let mut response = json!({
        "resourceType": "QuestionnaireResponse",
        "status": "in-progress",
        "authored": "2026-12-05T10:00:00Z",
    });
    let mut asked = Vec::new();
    for call in 0.. {
        assert!(call < 300, "the interview does not end");
        let body = match mode {
            Mode::Patient => response.clone(),
            Mode::Clinician => json!({"resourceType": "Parameters", "parameter": [
                {"name": "questionnaire-response", "resource": response},
                {"name": "mode", "valueCode": "clinician"},
            ]}),
        };
        let grown = next(writer, &body);
        let items = form(&grown)["item"].as_array().unwrap();
        let item = items.last().unwrap().clone();
        // Nothing changed but one item appended to the contained Questionnaire (and, at the
        // end, the result and the status).
        if call > 0 {
            let mut expected = response.clone();
            (form_mut(&mut expected)["item"].as_array_mut().unwrap()).push(item.clone());
            if grown["status"] == "completed" {
                let answers = expected["item"].as_array_mut().unwrap();
                answers.push(grown["item"].as_array().unwrap().last().unwrap().clone());
                expected["status"] = json!("completed");
            }
            assert_eq!(grown, expected, "call {call}");
        }
        response = grown;
        if response["status"] == "completed" {
            assert_eq!(item["linkId"], RESULT);
            break;
        }
        assert_eq!(response["status"], "in-progress");
        assert_from_intake(engine, &intake, &item);
        asked.push(item["linkId"].as_str().unwrap().to_string());
        if let Some(answer) = answer(engine, case, &item) {
            let answers = response.as_object_mut().unwrap();
            let list = answers.entry("item").or_insert_with(|| json!([]));
            list.as_array_mut().unwrap().push(answer);
        }
    }
    (response, asked)
}

/// The interview session answered from the same case: the question ids in order, and at the
/// end the triage and the texts of the advice for whoever answered.
fn session_run<'e>(
    engine: &'e Engine,
    case: &Case,
    mode: Mode,
) -> (Vec<String>, TriageLevel, Vec<&'e str>) {
    let mut opening = Case::new(case.age);
    opening.sex = case.sex;
    opening.duration_days = case.duration_days;
    opening.mode = mode;
    let mut session = Session::new(engine, opening);
    // The adaptive form asks the opening facts the session is given.
    let mut asked: Vec<String> = [link::AGE, link::SEX, link::DURATION]
        .map(String::from)
        .into();
    loop {
        let step = session.step().unwrap();
        match step.next {
            Next::Ask(question) => {
                asked.push(match question.kind {
                    QuestionKind::Number(_) => link::PAIN_SCORE.to_string(),
                    _ => question.id.to_string(),
                });
                session.answer(Answer::from_case(case, &question));
            }
            Next::End(_) => {
                let audience = match mode {
                    Mode::Patient => Audience::Patient,
                    Mode::Clinician => Audience::Clinician,
                };
                let advice = (step.assessment.advice(engine.kb()))
                    .filter(|advice| advice.audience == audience)
                    .map(|advice| advice.text.as_str())
                    .collect();
                return (asked, step.assessment.triage.level, advice);
            }
        }
    }
}

#[test]
fn every_labelled_case_interviewed_adaptively_ends_completed_with_the_sessions_triage() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../eval/cases.jsonl"
    ))
    .unwrap();
    let mut runs = 0;
    let mut with_advice = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let labelled: Value = serde_json::from_str(line).unwrap();
        let case = radiculo_contract::case_from_value(&engine, &labelled["case"]).unwrap();
        let modes = match case.mode {
            Mode::Patient => vec![Mode::Patient],
            Mode::Clinician => vec![Mode::Patient, Mode::Clinician],
        };
        for mode in modes {
            let name = format!("{} ({mode:?})", case.id.as_deref().unwrap_or("?"));
            let (response, asked) = adaptive_run(&writer, &case, mode);
            let (session_asked, level, advice) = session_run(&engine, &case, mode);
            assert_eq!(asked, session_asked, "{name}");
            let unique: HashSet<&String> = asked.iter().collect();
            assert_eq!(unique.len(), asked.len(), "{name}: a question asked twice");

            // The result: the session's level, for a program and for the person.
            let result = response["item"].as_array().unwrap().last().unwrap();
            assert_eq!(result["linkId"], RESULT);
            let coding = &result["answer"][0]["valueCoding"];
            assert_eq!(coding["system"], System::TriageLevel.url());
            assert_eq!(coding["code"], level.as_str(), "{name}");
            let def = engine.kb().level(level);
            let words = result["text"].as_str().unwrap();
            let (headline, instruction) = match mode {
                Mode::Patient => (&def.headline, &def.instruction),
                Mode::Clinician => (&def.clinician_headline, &def.clinician_instruction),
            };
            assert!(words.starts_with(headline.as_str()), "{words}");
            assert!(words.contains(instruction.as_str()), "{words}");
            assert!(words.ends_with(engine.kb().disclaimer.as_str()), "{words}");
            let item = form(&response)["item"].as_array().unwrap().last().unwrap();
            assert_eq!(item["text"], result["text"]);
            assert_eq!(item["readOnly"], true);
            // Under it, the session's advice for whoever answered, in the plan's order.
            let shown: Vec<&str> = (item["item"].as_array().into_iter().flatten())
                .inspect(|d| assert_eq!(d["type"], "display"))
                .map(|d| d["text"].as_str().unwrap())
                .collect();
            assert_eq!(shown, advice, "{name}");
            with_advice += usize::from(!shown.is_empty());

            // What $assess reads: the completed response, unchanged, with the same triage.
            let read_back = read(engine.kb(), &response, TODAY)
                .unwrap_or_else(|r| panic!("{name}: {:#?}", r.outcome));
            let assessed = engine.assess(&read_back, Options::default());
            assert_eq!(assessed.triage.level, level, "{name}");
            runs += 1;
        }
    }
    assert!(runs > 150, "{runs} runs");
    assert!(
        with_advice * 10 > runs * 9,
        "{with_advice} of {runs} runs show advice"
    );
}

#[test]
fn the_first_call_contains_an_adaptive_questionnaire_derived_from_the_intake() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let first = next(
        &writer,
        &json!({"resourceType": "QuestionnaireResponse", "status": "in-progress"}),
    );
    assert_eq!(first["questionnaire"], format!("#{ADAPTIVE}"));
    assert_eq!(first["status"], "in-progress");
    let q = form(&first);
    assert_eq!(q["id"], ADAPTIVE);
    assert_eq!(
        q["extension"],
        json!([{"url": ADAPTIVE_EXTENSION, "valueBoolean": true}])
    );
    assert_eq!(
        q["derivedFrom"],
        json!([format!("{}|{}", intake_url(), engine.kb().version)])
    );
    assert!(
        q.get("url").is_none() && q.get("version").is_none(),
        "SDC forbids both"
    );
    assert_eq!(q["item"].as_array().unwrap().len(), 1);
    assert_eq!(q["item"][0]["linkId"], link::AGE);

    // SDC's way to begin: the client's own empty Questionnaire, which radiculo grows and marks
    // as adaptive, changing nothing else.
    let theirs = json!({"resourceType": "QuestionnaireResponse", "status": "in-progress",
    "questionnaire": "#q", "subject": {"reference": "#p"},
    "contained": [
        {"resourceType": "Questionnaire", "id": "q", "status": "active", "derivedFrom": [intake_url()]},
        {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "1970-01-01"}
    ]});
    let grown = next(&writer, &theirs);
    let mut expected = theirs.clone();
    expected["contained"][0]["extension"] =
        json!([{"url": ADAPTIVE_EXTENSION, "valueBoolean": true}]);
    // The Patient gives the age and the sex: the first question is how long.
    let item = serde_json::to_value(intake(engine.kb()).unwrap()).unwrap()["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["linkId"] == link::DURATION)
        .unwrap()
        .clone();
    expected["contained"][0]["item"] = json!([item]);
    assert_eq!(grown, expected);

    // The same through Parameters.
    let wrapped = json!({"resourceType": "Parameters", "parameter": [
        {"name": "questionnaire-response", "resource": theirs}]});
    assert_eq!(next(&writer, &wrapped), grown);
}

#[test]
fn a_question_left_unanswered_counts_as_not_sure_and_is_not_asked_again() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let mut response = json!({"resourceType": "QuestionnaireResponse", "status": "in-progress",
        "item": []});
    response = next(&writer, &response);
    response["item"] = json!([{"linkId": "age", "answer": [{"valueInteger": 47}]}]);
    // Sex and duration appended and left unanswered: skipped, not asked again.
    response = next(&writer, &response);
    response = next(&writer, &response);
    response = next(&writer, &response);
    let asked: Vec<&str> = (form(&response)["item"].as_array().unwrap().iter())
        .map(|i| i["linkId"].as_str().unwrap())
        .collect();
    assert_eq!(asked, ["age", "sex", "symptom_duration_days", "body_map"]);
    // The body map left unanswered: every place is "not sure", so it is not asked again.
    response = next(&writer, &response);
    let last = form(&response)["item"].as_array().unwrap().last().unwrap();
    assert_ne!(last["linkId"], "body_map");
    assert_eq!(response["status"], "in-progress");
}

#[test]
fn bad_bodies_are_rejected_with_every_issue_and_where_it_is() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let r = rejected(&writer, &json!({"resourceType": "Patient"}));
    assert!(!r.well_formed);
    assert_eq!(issues(&r), [("invalid", "resourceType")]);

    // The Questionnaire named is not contained.
    let r = rejected(
        &writer,
        &json!({"resourceType": "QuestionnaireResponse", "status": "in-progress", "questionnaire": "#q"}),
    );
    assert!(!r.well_formed);
    assert_eq!(
        issues(&r),
        [("not-found", "QuestionnaireResponse.questionnaire")]
    );

    // An answer to an item the Questionnaire does not have, an answer of the wrong type, an
    // answer code that is not an answer, and an unknown parameter.
    let mut started = next(
        &writer,
        &json!({"resourceType": "QuestionnaireResponse", "status": "in-progress"}),
    );
    started["item"] = json!([
        {"linkId": "age", "answer": [{"valueString": "47"}]},
        {"linkId": "fever", "answer": coding(codes::yes())},
    ]);
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "questionnaire-response", "resource": started},
        {"name": "mode", "valueCode": "examiner"},
    ]});
    let r = rejected(&writer, &body);
    assert!(!r.well_formed);
    assert_eq!(
        issues(&r),
        [("code-invalid", "Parameters.parameter[1].valueCode")]
    );
    // The age, asked and not answered as it should be, is missing too.
    let r = rejected(&writer, &started);
    assert_eq!(
        issues(&r),
        [
            ("value", "QuestionnaireResponse.item[0].answer[0]"),
            ("not-found", "QuestionnaireResponse.item[1]"),
            ("required", "QuestionnaireResponse"),
        ]
    );
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "questionnaire-response", "resource": started}]});
    let r = rejected(&writer, &body);
    assert_eq!(
        issues(&r),
        [
            (
                "value",
                "Parameters.parameter[0].resource.item[0].answer[0]"
            ),
            ("not-found", "Parameters.parameter[0].resource.item[1]"),
            ("required", "Parameters.parameter[0].resource"),
        ]
    );
    let r = rejected(
        &writer,
        &json!({"resourceType": "Parameters", "parameter": [{"name": "response", "resource": {}}]}),
    );
    assert_eq!(
        issues(&r),
        [
            ("not-supported", "Parameters.parameter[0].name"),
            ("required", "Parameters.parameter"),
        ]
    );

    // Well formed, but not a response the interview can go on with: completed already, a
    // Questionnaire not grown here, the age asked and not answered, an age radiculo does not
    // assess.
    let mut asked_age = next(
        &writer,
        &json!({"resourceType": "QuestionnaireResponse", "status": "in-progress"}),
    );
    let r = rejected(&writer, &asked_age);
    assert!(r.well_formed);
    assert_eq!(issues(&r), [("required", "QuestionnaireResponse")]);
    asked_age["item"] = json!([{"linkId": "age", "answer": [{"valueInteger": 12}]}]);
    let r = rejected(&writer, &asked_age);
    assert_eq!(issues(&r), [("business-rule", "QuestionnaireResponse")]);
    asked_age["status"] = json!("completed");
    asked_age["item"] = json!([{"linkId": "age", "answer": [{"valueInteger": 47}]}]);
    let r = rejected(&writer, &asked_age);
    assert!(r.well_formed);
    assert_eq!(
        issues(&r),
        [("business-rule", "QuestionnaireResponse.status")]
    );
    let r = rejected(
        &writer,
        &json!({"resourceType": "QuestionnaireResponse", "status": "in-progress",
            "questionnaire": intake_url()}),
    );
    assert_eq!(
        issues(&r),
        [("not-supported", "QuestionnaireResponse.questionnaire")]
    );
    let r = rejected(
        &writer,
        &json!({"resourceType": "QuestionnaireResponse", "status": "in-progress",
            "questionnaire": "#q", "contained": [{"resourceType": "Questionnaire", "id": "q",
            "status": "active", "derivedFrom": ["http://example.org/Questionnaire/phq9"]}]}),
    );
    assert!(r.well_formed);
    assert_eq!(
        issues(&r),
        [(
            "not-supported",
            "QuestionnaireResponse.contained[0].derivedFrom"
        )]
    );
}

#[test]
fn a_completed_adaptive_response_is_not_asked_further() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let mut case = Case::new(47);
    case.answer(
        engine.kb().vocab.get("numbness.saddle").unwrap(),
        Some(true),
    );
    case.answer(engine.kb().vocab.get("pain.low_back").unwrap(), Some(true));
    let (mut response, _) = adaptive_run(&writer, &case, Mode::Patient);
    let result = response["item"].as_array().unwrap().last().unwrap();
    assert_eq!(result["answer"][0]["valueCoding"]["code"], "emergency");
    response["status"] = json!("in-progress");
    let r = rejected(&writer, &response);
    assert!(r.well_formed);
    assert_eq!(issues(&r), [("business-rule", "QuestionnaireResponse")]);
}

#[test]
fn reading_a_completed_adaptive_response_checks_it_against_its_contained_questionnaire() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let mut case = Case::new(60);
    case.answer(engine.kb().vocab.get("pain.low_back").unwrap(), Some(true));
    let (response, _) = adaptive_run(&writer, &case, Mode::Patient);
    assert_eq!(read(engine.kb(), &response, TODAY).unwrap().age, 60);

    // An answer to a finding the contained Questionnaire does not ask.
    let unasked = (engine.kb().vocab.findings.iter())
        .map(|f| f.id.as_str())
        .find(|id| find(&form(&response)["item"], id).is_none())
        .unwrap();
    let mut extra = response.clone();
    let answers = extra["item"].as_array_mut().unwrap();
    answers.push(json!({"linkId": unasked, "answer": coding(codes::yes())}));
    let at = format!("QuestionnaireResponse.item[{}]", answers.len() - 1);
    let r = read(engine.kb(), &extra, TODAY).expect_err("rejected");
    assert!(!r.well_formed);
    assert_eq!(issues(&r), [("not-found", at.as_str())]);

    // A contained Questionnaire that does not say it derives from the intake, or is missing.
    let mut underived = response.clone();
    form_mut(&mut underived)
        .as_object_mut()
        .unwrap()
        .remove("derivedFrom");
    let r = read(engine.kb(), &underived, TODAY).expect_err("rejected");
    assert!(r.well_formed);
    assert_eq!(
        issues(&r),
        [("required", "QuestionnaireResponse.contained[0]")]
    );
    let mut missing = response;
    missing["questionnaire"] = json!("#elsewhere");
    let r = read(engine.kb(), &missing, TODAY).expect_err("rejected");
    assert_eq!(
        issues(&r),
        [("not-found", "QuestionnaireResponse.questionnaire")]
    );
}
