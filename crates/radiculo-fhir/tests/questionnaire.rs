//! The intake Questionnaire against the knowledge base it is generated from: every finding a
//! person can answer is asked once, under its own id; every `enableWhen` points back at a
//! question asked before it, with an answer of that question's type; and each kind of `when`
//! the knowledge base can write comes out as the `enableWhen` that says the same, or as an
//! error when FHIR cannot say it.

use std::collections::{HashMap, HashSet};

use radiculo_fhir::FhirError;
use radiculo_fhir::questionnaire::{intake, link};
use radiculo_fhir::types::{Questionnaire, QuestionnaireItem};
use radiculo_kb::{FindingSet, Kb, Predicate};

fn kb() -> Kb {
    radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads")
}

/// Every item, in document order.
fn items(q: &Questionnaire) -> Vec<&QuestionnaireItem> {
    fn walk<'a>(items: &'a [QuestionnaireItem], out: &mut Vec<&'a QuestionnaireItem>) {
        for item in items {
            out.push(item);
            walk(&item.item, out);
        }
    }
    let mut out = Vec::new();
    walk(&q.item, &mut out);
    out
}

fn find<'a>(q: &'a Questionnaire, link_id: &str) -> &'a QuestionnaireItem {
    items(q)
        .into_iter()
        .find(|i| i.link_id == link_id)
        .unwrap_or_else(|| panic!("no item {link_id}"))
}

#[test]
fn every_finding_a_person_can_answer_is_asked_once_under_its_id() {
    let kb = kb();
    let q = intake(&kb).unwrap();
    let all = items(&q);
    let mut seen = HashSet::new();
    for item in &all {
        assert!(seen.insert(item.link_id.as_str()), "{} twice", item.link_id);
    }
    for f in &kb.vocab.findings {
        match &f.question_patient {
            Some(text) => {
                let item = find(&q, &f.id);
                assert_eq!(item.kind, "choice", "{}", f.id);
                assert_eq!(item.text.as_deref(), Some(text.as_str()));
                let codes: Vec<&str> = (item.answer_option.iter())
                    .map(|o| o.value_coding.code.as_str())
                    .collect();
                assert_eq!(codes, ["Y", "N", "ASKU"], "{}", f.id);
                assert_eq!(item.code[0].code, f.id);
            }
            None => assert!(!seen.contains(f.id.as_str()), "{} is an examiner's", f.id),
        }
    }
    for field in [link::AGE, link::SEX, link::DURATION, link::PAIN_SCORE] {
        find(&q, field);
    }
    assert_eq!(find(&q, link::AGE).required, Some(true));
}

#[test]
fn every_enable_when_looks_back_at_an_earlier_question_with_an_answer_of_its_type() {
    let q = intake(&kb()).unwrap();
    let all = items(&q);
    let position: HashMap<&str, usize> = (all.iter().enumerate())
        .map(|(i, item)| (item.link_id.as_str(), i))
        .collect();
    let mut conditional = 0;
    for (i, item) in all.iter().enumerate() {
        for when in &item.enable_when {
            conditional += 1;
            let asked = position[when.question.as_str()];
            assert!(
                asked < i,
                "{} looks ahead at {}",
                item.link_id,
                when.question
            );
            let answer = (when.answer_boolean.is_some() as u8)
                + (when.answer_coding.is_some() as u8)
                + (when.answer_integer.is_some() as u8);
            assert_eq!(answer, 1, "{}: one answer", item.link_id);
            match (all[asked].kind, when.operator) {
                (_, "exists") => assert!(when.answer_boolean.is_some()),
                ("choice", "=" | "!=") => assert!(when.answer_coding.is_some()),
                ("integer", ">=" | "<" | "=") => assert!(when.answer_integer.is_some()),
                (kind, op) => panic!("{}: `{op}` on a {kind}", item.link_id),
            }
        }
        assert_eq!(
            item.enable_behavior.is_some(),
            item.enable_when.len() > 1,
            "{}",
            item.link_id
        );
    }
    assert!(
        conditional > 0,
        "the knowledge base has conditional questions"
    );
}

/// The knowledge base with the leg-pain-character group asked after `when`.
fn with_when(when: Predicate) -> Result<Questionnaire, FhirError> {
    let mut kb = kb();
    let group = (kb.groups.iter_mut())
        .find(|g| g.id == "leg_pain_character")
        .expect("the group");
    group.when = Some(when);
    intake(&kb)
}

fn set(kb: &Kb, pattern: &str) -> FindingSet {
    kb.vocab.matching(pattern)
}

#[test]
fn one_any_and_conditions_of_one_answer_are_one_enable_when() {
    let kb = kb();
    let q = with_when(Predicate {
        all_of: vec![set(&kb, "fever")],
        age_at_least: Some(60),
        duration_days_below: Some(42),
        ..Predicate::default()
    })
    .unwrap();
    let group = find(&q, "leg_pain_character");
    let said: Vec<(&str, &str)> = (group.enable_when.iter())
        .map(|w| (w.question.as_str(), w.operator))
        .collect();
    assert_eq!(
        said,
        [("fever", "="), (link::AGE, ">="), (link::DURATION, "<")]
    );
    assert_eq!(group.enable_behavior, Some("all"));
    assert_eq!(group.enable_when[1].answer_integer, Some(60));
}

#[test]
fn two_choices_among_several_are_nested_groups() {
    let kb = kb();
    let q = with_when(Predicate {
        all_of: vec![set(&kb, "foot_drop.*"), set(&kb, "pain.calf.*")],
        ..Predicate::default()
    })
    .unwrap();
    // The first choice gates a group of its own that shows nothing; the group itself, with
    // its id, text and items, carries the second.
    let gate = find(&q, "leg_pain_character.when1");
    assert_eq!(gate.text, None);
    assert_eq!(gate.enable_behavior, Some("any"));
    assert!(
        gate.enable_when
            .iter()
            .all(|w| w.question.starts_with("foot_drop."))
    );
    let [group] = gate.item.as_slice() else {
        panic!("one gated group, not {:?}", gate.item);
    };
    assert_eq!(group.link_id, "leg_pain_character");
    assert_eq!(group.enable_behavior, Some("any"));
    assert!(
        group
            .enable_when
            .iter()
            .all(|w| w.question.starts_with("pain.calf."))
    );
    assert!(
        group
            .item
            .iter()
            .any(|i| i.link_id == "pain_shooting_electric")
    );
}

#[test]
fn conditions_a_form_cannot_say_are_an_error_not_a_question_always_asked() {
    let kb = kb();
    for (when, what) in [
        (
            Predicate {
                bilateral: Some(set(&kb, "numbness.*")),
                ..Predicate::default()
            },
            "findings on both sides",
        ),
        (
            Predicate {
                top_condition: vec![0],
                ..Predicate::default()
            },
            "a probability",
        ),
        (
            Predicate {
                all_of: vec![set(&kb, "weakness.*")],
                ..Predicate::default()
            },
            "findings only an examiner can answer",
        ),
    ] {
        assert_eq!(
            with_when(when),
            Err(FhirError::NotExpressible {
                question: "leg_pain_character".to_string(),
                what,
            })
        );
    }
}
