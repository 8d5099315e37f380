//! A case's answers as a completed QuestionnaireResponse to the intake Questionnaire: what a
//! person who answers as the case does would send. An integrator holding contract cases uses
//! it to speak FHIR (`radiculo fhir response`); the tests use it for the round trip case ->
//! QuestionnaireResponse -> `$assess`.
//!
//! Findings only an examiner can establish are not questions of the intake (the Questionnaire
//! is the person's form), so they are left out; so is the case's mode.

use radiculo_engine::Case;
use radiculo_kb::Kb;

use crate::codes;
use crate::questionnaire::{GENDER, SEXES, intake_url, link};
use crate::types::{
    Coding, Questionnaire, QuestionnaireItem, QuestionnaireResponse, ResponseAnswer, ResponseItem,
};

/// The completed response to `intake` (the intake Questionnaire of `kb`) that answers every
/// question `case` answers, groups nested as the form nests them; `authored` is a FHIR
/// `dateTime`.
pub fn response(
    kb: &Kb,
    intake: &Questionnaire,
    case: &Case,
    authored: &str,
) -> QuestionnaireResponse {
    QuestionnaireResponse {
        resource_type: "QuestionnaireResponse",
        id: case.id.clone(),
        questionnaire: format!("{}|{}", intake_url(), kb.version),
        status: "completed",
        authored: authored.to_string(),
        item: items(kb, case, &intake.item),
    }
}

fn items(kb: &Kb, case: &Case, questions: &[QuestionnaireItem]) -> Vec<ResponseItem> {
    questions
        .iter()
        .filter_map(|q| {
            let item = |answer: Option<ResponseAnswer>, item: Vec<ResponseItem>| ResponseItem {
                link_id: q.link_id.clone(),
                text: None,
                answer: answer.into_iter().collect(),
                item,
            };
            let integer = |n: Option<i64>| {
                n.map(|n| ResponseAnswer {
                    value_coding: None,
                    value_integer: Some(n),
                })
            };
            let coding = |c: Coding| ResponseAnswer {
                value_coding: Some(c),
                value_integer: None,
            };
            match (q.kind, q.link_id.as_str()) {
                ("group", _) => {
                    let nested = items(kb, case, &q.item);
                    (!nested.is_empty()).then(|| item(None, nested))
                }
                ("display", _) => None,
                (_, link::AGE) => Some(item(integer(Some(case.age.into())), Vec::new())),
                (_, link::DURATION) => {
                    integer(case.duration_days.map(i64::from)).map(|a| item(Some(a), Vec::new()))
                }
                (_, link::PAIN_SCORE) => {
                    integer(case.pain_score.map(i64::from)).map(|a| item(Some(a), Vec::new()))
                }
                (_, link::SEX) => case.sex.map(|sex| {
                    let code = sex.as_str();
                    let (_, display) = SEXES
                        .iter()
                        .find(|(c, _)| *c == code)
                        .expect("every sex is listed");
                    item(Some(coding(Coding::new(GENDER, code, display))), Vec::new())
                }),
                (_, id) => {
                    let f = kb.vocab.get(id)?;
                    let answer = match case.state(f) {
                        Some(true) => codes::yes(),
                        Some(false) => codes::no(),
                        None if case.is_unsure(f) => codes::not_sure(),
                        None => return None,
                    };
                    Some(item(Some(coding(answer)), Vec::new()))
                }
            }
        })
        .collect()
}
