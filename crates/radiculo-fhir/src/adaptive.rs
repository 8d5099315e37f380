//! SDC's adaptive questionnaire (`Questionnaire/$next-question`): the interview of
//! `radiculo-interview`, asked through a QuestionnaireResponse that carries its own growing
//! Questionnaire.
//!
//! The client sends a QuestionnaireResponse (`in-progress`) whose `contained` Questionnaire
//! holds the questions asked so far and whose items answer them; radiculo appends the next
//! question to that Questionnaire and sends the response back, changed in nothing else. The
//! first call may send a response with no items and no Questionnaire at all: radiculo then
//! contains one (`radiculo-adaptive`, derived from the intake Questionnaire, marked adaptive).
//! Age, sex and how long come first, once each, as the other interviews ask them; then the
//! interview's own questions, chosen by the engine from every answer in the response (an
//! answer changed or removed since is simply read as it now is). When nothing is left worth
//! asking, or the triage is an emergency, the response comes back `completed` with one more
//! item, `radiculo.result`: a read-only question whose text is the triage for the person (the
//! level's headline and instruction, then the disclaimer), with the plan's advice for the
//! person as display items under it, and whose answer, in the response, is the triage level as
//! a coding of radiculo's triage-level code system.
//!
//! Every question appended is the intake Questionnaire's item for it (same `linkId`, text,
//! type, codes and answers), without the intake's `enableWhen`: the engine has already decided
//! that the question is due, and the items its condition names need not be in the adaptive
//! form. A group is asked as the intake asks it (the body map as one group per symptom kind),
//! holding the group's findings still unanswered. So a completed response is exactly what
//! `QuestionnaireResponse/$assess` (and [`crate::response::read`]) takes, unchanged.
//!
//! A question appended and left unanswered counts as answered "not sure" (asked, not known):
//! otherwise the engine would ask it again and the Questionnaire would hold one `linkId` twice.
//! An unanswered sex, duration or pain score is left out of the case (and not asked again); an
//! unanswered age stops the interview (422), since nothing can be assessed without it.

use std::borrow::Borrow;
use std::collections::HashSet;

use radiculo_contract::JsonWriter;
use radiculo_contract::model::text;
use radiculo_engine::{Assessment, Case, Engine, MAX_AGE, MIN_AGE, Mode, QuestionKind, Sex};
use radiculo_interview::{Next, Session};
use radiculo_kb::Kb;
use serde_json::{Map, Value};

use crate::FhirError;
use crate::codes::{self, System};
use crate::questionnaire::{self, intake_url, link};
use crate::response::{self, Answers, Issues, Rejected};
use crate::types::{
    AdaptiveQuestionnaire, Extension, QuestionnaireItem, ResponseAnswer, ResponseItem,
};

/// The id of the Questionnaire radiculo contains in a response that has none yet.
pub const ADAPTIVE: &str = "radiculo-adaptive";

/// The `linkId` of the last item of a completed adaptive response: the triage.
pub const RESULT: &str = "radiculo.result";

/// SDC's extension that marks a Questionnaire as adaptive (`valueBoolean` true).
pub const ADAPTIVE_EXTENSION: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-questionnaireAdaptive";

/// SDC's definition of the operation, which radiculo implements.
pub const NEXT_QUESTION_DEFINITION: &str =
    "http://hl7.org/fhir/uv/sdc/OperationDefinition/Questionnaire-next-question";

/// The contained adaptive Questionnaire of a response, as far as reading it needs.
pub(crate) struct Contained<'v> {
    /// Its index in the response's `contained`.
    pub(crate) index: usize,
    /// Every `linkId` of its items, nested ones included.
    pub(crate) link_ids: HashSet<&'v str>,
    /// Whether it says it derives from the intake Questionnaire (`derivedFrom`).
    pub(crate) derived: bool,
}

/// The contained Questionnaire a response's `questionnaire` names (`#id`), checked to be one
/// grown from the intake Questionnaire: a `derivedFrom` naming another Questionnaire is an
/// issue (422), and so is a malformed item (400). `root` is the response's location.
pub(crate) fn contained<'v>(
    qr: &'v Map<String, Value>,
    reference: &str,
    root: &str,
    issues: &mut Issues,
) -> Option<Contained<'v>> {
    let id = reference.strip_prefix('#')?;
    let list = qr.get("contained").and_then(Value::as_array);
    let Some((index, q)) = list.into_iter().flatten().enumerate().find(|(_, r)| {
        r.get("resourceType").and_then(Value::as_str) == Some("Questionnaire")
            && r.get("id").and_then(Value::as_str) == Some(id)
    }) else {
        issues.invalid(
            "not-found",
            &format!("{root}.questionnaire"),
            format!("`{reference}` names no contained Questionnaire"),
        );
        return None;
    };
    let at = format!("{root}.contained[{index}]");
    let intake = intake_url();
    let derived = match q.get("derivedFrom") {
        None => false,
        Some(Value::Array(list)) => {
            let derived = (list.iter().filter_map(Value::as_str))
                .any(|d| d.split('|').next() == Some(intake.as_str()));
            if !derived {
                issues.unassessable(
                    "not-supported",
                    &format!("{at}.derivedFrom"),
                    format!("radiculo asks and assesses Questionnaires derived from `{intake}`"),
                );
            }
            derived
        }
        Some(_) => {
            issues.invalid(
                "structure",
                &format!("{at}.derivedFrom"),
                "`derivedFrom` is a list of canonical URLs".into(),
            );
            false
        }
    };
    let mut link_ids = HashSet::new();
    if let Some(items) = q.get("item") {
        collect_link_ids(items, &at, &mut link_ids, issues);
    }
    Some(Contained {
        index,
        link_ids,
        derived,
    })
}

fn collect_link_ids<'v>(
    items: &'v Value,
    at: &str,
    link_ids: &mut HashSet<&'v str>,
    issues: &mut Issues,
) {
    let Some(items) = items.as_array() else {
        issues.invalid(
            "structure",
            &format!("{at}.item"),
            "`item` is a list".into(),
        );
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let here = format!("{at}.item[{i}]");
        match item.get("linkId").and_then(Value::as_str) {
            Some(link_id) => {
                if !link_ids.insert(link_id) {
                    issues.invalid(
                        "duplicate",
                        &here,
                        format!("`{link_id}` is the linkId of two items"),
                    );
                }
            }
            None => issues.invalid("required", &here, "an item needs its `linkId`".into()),
        }
        if let Some(nested) = item.get("item") {
            collect_link_ids(nested, &here, link_ids, issues);
        }
    }
}

/// What a `$next-question` body asks: the response, where it is, and who answers.
struct Input<'v> {
    response: &'v Value,
    root: String,
    mode: Mode,
}

/// The next step of the adaptive interview a `$next-question` body is at: the body's
/// QuestionnaireResponse with the next question appended to its contained Questionnaire, or
/// `completed` with the result when the interview is over.
///
/// The body is the QuestionnaireResponse itself, or a `Parameters` resource with it as
/// `questionnaire-response` (SDC's name) and, optionally, `mode` (`valueCode` `patient`, the
/// default, or `clinician`: a clinician is also asked the examination findings, whose items
/// carry the clinician's wording, and is given the clinician's headline and instruction in the
/// result). The mode is not kept in the response: send it with every call. `today`
/// (`YYYY-MM-DD`) is the date an age is worked out at from a contained Patient's birth date
/// when the response has no `authored`. Nothing is kept between calls: the response is the
/// whole state of the interview.
///
/// # Errors
/// The inner [`Rejected`] for a body that cannot go on, with every issue and where it is (a
/// FHIRPath such as `QuestionnaireResponse.item[3].answer[0].valueCoding`): not well formed
/// (400), or well formed but not in progress, with no age, or an age radiculo does not assess
/// (422). The outer [`FhirError::Interview`] if the engine asked a question again, which it
/// never should.
pub fn next_question<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    body: &Value,
    today: &str,
) -> Result<Result<Value, Rejected>, FhirError> {
    let engine = writer.engine();
    let kb = engine.kb();
    let mut issues = Issues::default();
    let Some(input) = input(body, &mut issues) else {
        return Ok(Err(response::rejected(issues)));
    };
    let root = input.root.as_str();
    let Some(qr) = input.response.as_object() else {
        issues.invalid(
            "structure",
            root,
            "a QuestionnaireResponse is a JSON object".into(),
        );
        return Ok(Err(response::rejected(issues)));
    };
    if qr.get("resourceType").and_then(Value::as_str) != Some("QuestionnaireResponse") {
        let at = if root == "QuestionnaireResponse" {
            "resourceType".to_string()
        } else {
            format!("{root}.resourceType")
        };
        issues.invalid(
            "invalid",
            &at,
            "expected a QuestionnaireResponse with a contained adaptive Questionnaire".into(),
        );
        return Ok(Err(response::rejected(issues)));
    }
    match qr.get("status").and_then(Value::as_str) {
        Some("in-progress") => {}
        Some(status @ ("completed" | "amended" | "stopped" | "entered-in-error")) => issues
            .unassessable(
                "business-rule",
                &format!("{root}.status"),
                format!(
                    "the response is `{status}`; the next question is asked of one `in-progress` (a completed one goes to $assess)"
                ),
            ),
        _ => issues.invalid(
            "value",
            &format!("{root}.status"),
            "`status` must be one of in-progress, completed, amended, entered-in-error, stopped"
                .into(),
        ),
    }
    if qr.get("contained").is_some_and(|c| !c.is_array()) {
        issues.invalid(
            "structure",
            &format!("{root}.contained"),
            "`contained` is a list".into(),
        );
    }
    let form = match qr.get("questionnaire") {
        None if has_questionnaire(qr) => {
            issues.invalid(
                "required",
                &format!("{root}.questionnaire"),
                "`questionnaire` names the contained adaptive Questionnaire (`#id`)".into(),
            );
            None
        }
        None => None,
        Some(q) => match q.as_str() {
            Some(reference) if reference.starts_with('#') => {
                contained(qr, reference, root, &mut issues)
            }
            _ => {
                issues.unassessable(
                    "not-supported",
                    &format!("{root}.questionnaire"),
                    format!(
                        "$next-question grows an adaptive Questionnaire contained in the response and named `#id`; to begin, send a response with no `questionnaire` (radiculo contains one derived from `{}`)",
                        intake_url()
                    ),
                );
                None
            }
        },
    };
    // What the contained Questionnaire asks (nothing before the first call).
    let nothing = HashSet::new();
    let asked = form.as_ref().map_or(&nothing, |f| &f.link_ids);
    if asked.contains(RESULT) {
        issues.unassessable(
            "business-rule",
            root,
            format!(
                "the interview is over (the Questionnaire holds `{RESULT}`): the completed response goes to $assess"
            ),
        );
    }
    let mut answers = Answers::default();
    match qr.get("item") {
        None => {}
        Some(Value::Array(items)) => {
            response::read_items(kb, items, root, Some(asked), &mut answers, &mut issues);
        }
        Some(_) => issues.invalid(
            "structure",
            &format!("{root}.item"),
            "`item` is a list".into(),
        ),
    }
    let patient = response::contained_patient(qr, root, &mut issues);
    let reference =
        (qr.get("authored").and_then(Value::as_str)).map_or(today, |a| a.get(..10).unwrap_or(a));
    let age = answers.age.or_else(|| {
        let (birth, at) = patient.as_ref()?.birth_date.as_ref()?;
        let age = response::age_at(birth, reference);
        if age.is_none() {
            issues.invalid(
                "value",
                at,
                format!("`{birth}` is not a birth date before {reference}"),
            );
        }
        age
    });
    match age {
        None if asked.contains(link::AGE) => issues.unassessable(
            "required",
            root,
            format!(
                "the `{}` item is unanswered: the interview cannot go on without the person's age",
                link::AGE
            ),
        ),
        Some(age) if !(i64::from(MIN_AGE)..=i64::from(MAX_AGE)).contains(&age) => issues
            .unassessable(
                "business-rule",
                root,
                format!(
                    "radiculo assesses people aged {MIN_AGE} to {MAX_AGE}; this person is {age}"
                ),
            ),
        _ => {}
    }
    if !issues.invalid.is_empty() || !issues.unassessable.is_empty() {
        return Ok(Err(response::rejected(issues)));
    }

    let sex = answers.sex.or(patient.and_then(|p| p.sex));
    // The opening facts first, once each, in the order every interview asks them.
    let grown = match age {
        None => Grown::ask(questionnaire::age()),
        Some(_) if sex.is_none() && !asked.contains(link::SEX) => Grown::ask(questionnaire::sex()),
        Some(_) if answers.duration_days.is_none() && !asked.contains(link::DURATION) => {
            Grown::ask(questionnaire::duration())
        }
        Some(age) => interview(writer, case(kb, &answers, asked, age, sex, input.mode))?,
    };
    Ok(Ok(grow(kb, input.response, form.as_ref(), grown)))
}

/// Reads the body: a QuestionnaireResponse, or Parameters holding one (and the mode).
fn input<'v>(body: &'v Value, issues: &mut Issues) -> Option<Input<'v>> {
    if body.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
        return Some(Input {
            response: body,
            root: "QuestionnaireResponse".to_string(),
            mode: Mode::Patient,
        });
    }
    let Some(list) = body.get("parameter").and_then(Value::as_array) else {
        issues.invalid(
            "required",
            "Parameters.parameter",
            "a Parameters body lists its parameters: `questionnaire-response` and, optionally, `mode`".into(),
        );
        return None;
    };
    let mut response = None;
    let mut mode = Mode::Patient;
    for (i, p) in list.iter().enumerate() {
        let at = format!("Parameters.parameter[{i}]");
        match p.get("name").and_then(Value::as_str) {
            Some("questionnaire-response") => match p.get("resource") {
                Some(resource) if response.is_none() => {
                    response = Some((resource, format!("{at}.resource")));
                }
                Some(_) => issues.invalid(
                    "duplicate",
                    &at,
                    "`questionnaire-response` is given twice".into(),
                ),
                None => issues.invalid(
                    "required",
                    &format!("{at}.resource"),
                    "`questionnaire-response` is a resource, the QuestionnaireResponse".into(),
                ),
            },
            Some("mode") => match p.get("valueCode").and_then(Value::as_str) {
                Some("patient") => mode = Mode::Patient,
                Some("clinician") => mode = Mode::Clinician,
                _ => issues.invalid(
                    "code-invalid",
                    &format!("{at}.valueCode"),
                    "`mode` is a valueCode, `patient` or `clinician`".into(),
                ),
            },
            Some(other) => issues.invalid(
                "not-supported",
                &format!("{at}.name"),
                format!(
                    "`{other}` is not a parameter of $next-question; it takes `questionnaire-response` and `mode`"
                ),
            ),
            None => issues.invalid("required", &format!("{at}.name"), "a parameter needs its `name`".into()),
        }
    }
    let Some((response, root)) = response else {
        issues.invalid(
            "required",
            "Parameters.parameter",
            "the parameter `questionnaire-response` (the QuestionnaireResponse) is missing".into(),
        );
        return None;
    };
    if !issues.invalid.is_empty() {
        return None;
    }
    Some(Input {
        response,
        root,
        mode,
    })
}

/// Whether the response contains a Questionnaire.
fn has_questionnaire(qr: &Map<String, Value>) -> bool {
    (qr.get("contained")
        .and_then(Value::as_array)
        .into_iter()
        .flatten())
    .any(|r| r.get("resourceType").and_then(Value::as_str) == Some("Questionnaire"))
}

/// The case so far: the answers, and "not sure" for each question asked and left unanswered.
fn case(
    kb: &Kb,
    answers: &Answers,
    asked: &HashSet<&str>,
    age: i64,
    sex: Option<Sex>,
    mode: Mode,
) -> Case {
    // The age is checked to be in range before this.
    let mut case = Case::new(u8::try_from(age).unwrap_or(MIN_AGE));
    case.sex = sex;
    case.duration_days = answers.duration_days;
    case.mode = mode;
    for &(f, state) in &answers.findings {
        case.answer(f, state);
    }
    for f in asked.iter().filter_map(|id| kb.vocab.get(id)) {
        if !case.asked(f) {
            case.answer(f, None);
        }
    }
    case.pain_score = answers.pain_score;
    case.pain_score_asked = answers.pain_score.is_some() || asked.contains(link::PAIN_SCORE);
    case
}

/// What one call adds: an item to the Questionnaire and, at the end, the result's answer.
struct Grown {
    item: QuestionnaireItem,
    result: Option<ResponseItem>,
}

impl Grown {
    fn ask(item: QuestionnaireItem) -> Grown {
        Grown { item, result: None }
    }
}

/// The interview's next question for `case`, or its result.
fn interview<E: Borrow<Engine>>(writer: &JsonWriter<E>, case: Case) -> Result<Grown, FhirError> {
    let engine = writer.engine();
    let kb = engine.kb();
    let session = Session::new(engine, case);
    let step = session.step()?;
    let question = match step.next {
        Next::Ask(question) => question,
        Next::End(_) => return Ok(result(writer, session.case(), &step.assessment)),
    };
    let item = match &question.kind {
        QuestionKind::Finding(f) => questionnaire::finding(kb, *f),
        QuestionKind::Group(items) => {
            let group = (kb.groups.iter().find(|g| g.id == question.id))
                .expect("a group question is a knowledge-base group");
            questionnaire::group(kb, group, items)
        }
        QuestionKind::Number(_) => questionnaire::pain_score(kb),
    };
    Ok(Grown::ask(item))
}

/// The result of a finished interview: a read-only question whose text is the triage for the
/// person, answered with the triage level, and under it the plan's advice for the person (the
/// level's instruction speaks of "the advice below"), one display item each. A read-only
/// question rather than a display item, because FHIR forbids a display item a code (que-3),
/// and SDC returns what the server works out (a score) this way; the answer makes the level a
/// coding a program can read.
fn result<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    case: &Case,
    assessment: &Assessment<'_>,
) -> Grown {
    let kb = writer.engine().kb();
    let model = writer.model(case, assessment);
    let triage = &model.triage;
    let (headline, instruction, audience) = match case.mode {
        Mode::Patient => (triage.headline, triage.instruction, "patient"),
        Mode::Clinician => (
            triage.clinician_headline,
            triage.clinician_instruction,
            "clinician",
        ),
    };
    let advice = (model.plan.iter())
        .filter(|advice| text(advice.audience) == audience)
        .map(|advice| {
            let link_id = format!("{RESULT}.{}", text(advice.id));
            questionnaire::question(&link_id, &text(advice.text), "display")
        })
        .collect();
    let words = format!(
        "{}. {}\n\n{}",
        text(headline),
        text(instruction),
        text(model.disclaimer)
    );
    let level = System::TriageLevel.coding(kb, codes::level(kb, assessment.triage.level));
    Grown {
        item: QuestionnaireItem {
            read_only: Some(true),
            answer_value_set: Some(System::TriageLevel.value_set_url()),
            item: advice,
            ..questionnaire::question(RESULT, &words, "choice")
        },
        result: Some(ResponseItem {
            link_id: RESULT.to_string(),
            text: Some(words),
            answer: vec![ResponseAnswer {
                value_coding: Some(level),
                value_integer: None,
            }],
            item: Vec::new(),
        }),
    }
}

/// The response with `grown` added: the item appended to the contained Questionnaire (made
/// first when there is none), which is marked adaptive and derived from the intake if it did
/// not say so; at the end, the result's answer appended and the status `completed`.
fn grow(kb: &Kb, response: &Value, form: Option<&Contained>, grown: Grown) -> Value {
    // The intake's version too: the items are that version's.
    let derived_from = format!("{}|{}", intake_url(), kb.version);
    let adaptive = Extension {
        url: ADAPTIVE_EXTENSION.to_string(),
        value_boolean: Some(true),
        value_integer: None,
        value_string: None,
        value_code: None,
        value_coding: None,
        value_codeable_concept: None,
        value_reference: None,
    };
    let mut qr = response.clone();
    let qr_map = (qr.as_object_mut()).expect("the response is checked to be an object");
    let index = match form {
        Some(form) => form.index,
        None => {
            let q = AdaptiveQuestionnaire {
                resource_type: "Questionnaire",
                id: ADAPTIVE.to_string(),
                extension: vec![adaptive.clone()],
                title: format!("{}: adaptive intake", kb.title),
                status: "active",
                subject_type: vec!["Patient"],
                derived_from: vec![derived_from.clone()],
                item: Vec::new(),
            };
            qr_map.insert("questionnaire".into(), Value::from(format!("#{ADAPTIVE}")));
            let contained = qr_map
                .entry("contained")
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
                .expect("`contained` is checked to be a list");
            contained.push(to_value(&q));
            contained.len() - 1
        }
    };
    let q = qr_map["contained"][index]
        .as_object_mut()
        .expect("the contained Questionnaire is an object");
    // A Questionnaire the client contained may not say where it comes from, or that it is
    // adaptive; SDC's adaptive profile requires the first, and `$assess` reads it.
    if !q.contains_key("derivedFrom") {
        q.insert("derivedFrom".into(), Value::from(vec![derived_from]));
    }
    let marked = (q
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten())
    .any(|e| e.get("url").and_then(Value::as_str) == Some(ADAPTIVE_EXTENSION));
    if !marked {
        push(q, "extension", to_value(&adaptive));
    }
    push(q, "item", to_value(&grown.item));
    if let Some(result) = grown.result {
        push(qr_map, "item", to_value(&result));
        qr_map.insert("status".into(), Value::from("completed"));
    }
    qr
}

/// Appends `value` to the list `key` of `object`, making the list when there is none.
fn push(object: &mut Map<String, Value>, key: &str, value: Value) {
    if let Value::Array(list) = object
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        list.push(value);
    }
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("a FHIR element always serializes")
}
