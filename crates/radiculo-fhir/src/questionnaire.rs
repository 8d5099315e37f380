//! The intake Questionnaire, generated from the knowledge base: the case's opening facts (age,
//! sex, how long), the body map as a group, each question group of the knowledge base with
//! `enableWhen` from its `when`, the pain score, and every other finding a person can answer.
//! Each finding is one item whose `linkId` is its contract id, answered yes, no or not sure.

use radiculo_engine::{MAX_AGE, MIN_AGE};
use radiculo_interview::{BODY_MAP, body_map_steps};
use radiculo_kb::vocab::SYMPTOM_KINDS;
use radiculo_kb::{FindingId, FindingSet, GroupDef, Kb, Predicate};

use crate::codes::{self, System};
use crate::types::{
    AnswerOption, Coding, Definition, EnableWhen, Extension, Questionnaire, QuestionnaireItem,
};
use crate::{CANONICAL, FhirError};

/// The Questionnaire's id.
pub const INTAKE: &str = "radiculo-intake";

/// The `linkId`s of the case's fields that are not findings.
pub mod link {
    /// Age in years (an integer).
    pub const AGE: &str = "age";
    /// Sex (female, male or other, as FHIR's administrative gender codes them).
    pub const SEX: &str = "sex";
    /// Days since the symptoms began (an integer).
    pub const DURATION: &str = "symptom_duration_days";
    /// The pain score (an integer).
    pub const PAIN_SCORE: &str = "pain_score";
    /// The group of findings no knowledge-base group asks.
    pub const MORE: &str = "more";
}

/// FHIR's administrative gender codes, for the `sex` item.
pub const GENDER: &str = "http://hl7.org/fhir/administrative-gender";

/// The sexes the contract knows, as administrative gender codes with their displays.
pub const SEXES: [(&str, &str); 3] = [("female", "Female"), ("male", "Male"), ("other", "Other")];

/// The interface words of the form: what a knowledge-base text does not say.
const AGE_TEXT: &str = "How old are you, in years?";
const SEX_TEXT: &str = "What is your sex?";
const DURATION_TEXT: &str = "How many days ago did this pain start?";
const BODY_MAP_KIND_TEXT: [&str; 3] = [
    "Where do you feel pain?",
    "Where do you feel numbness?",
    "Where do you feel pins and needles?",
];
const MORE_TEXT: &str = "A few more questions about your symptoms and your health.";

const MIN_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/maxValue";

/// The intake Questionnaire of the knowledge base.
///
/// # Errors
/// [`FhirError::NotExpressible`] when a group's `when` uses a condition that `enableWhen`
/// cannot say (a probability, the triage, both sides): the knowledge base would then need a
/// form of that question the Questionnaire can carry, and nothing is generated until it has.
pub fn intake(kb: &Kb) -> Result<Questionnaire, FhirError> {
    let mut placed = FindingSet::EMPTY;
    let mut item = vec![age(), sex(), duration()];
    for g in &kb.groups {
        let askable: Vec<FindingId> = (g.items.iter().copied())
            .filter(|&f| askable(kb, f) && !placed.contains(f))
            .collect();
        if askable.is_empty() {
            continue;
        }
        askable.iter().for_each(|&f| placed.insert(f));
        let when = match &g.when {
            Some(p) => clauses(kb, p).map_err(|what| FhirError::NotExpressible {
                question: g.id.clone(),
                what,
            })?,
            None => Vec::new(),
        };
        item.push(gate(group(kb, g, &askable), when));
    }
    let pain_when = clauses(kb, &kb.pain_score.when).map_err(|what| FhirError::NotExpressible {
        question: link::PAIN_SCORE.to_string(),
        what,
    })?;
    item.push(gate(pain_score(kb), pain_when));
    let more: Vec<QuestionnaireItem> = (0..kb.vocab.findings.len())
        .map(|i| FindingId(i as u16))
        .filter(|&f| askable(kb, f) && !placed.contains(f))
        .map(|f| finding(kb, f))
        .collect();
    if !more.is_empty() {
        item.push(QuestionnaireItem {
            item: more,
            ..question(link::MORE, MORE_TEXT, "group")
        });
    }
    Ok(Questionnaire {
        definition: Definition::new(
            "Questionnaire",
            INTAKE,
            &kb.version,
            "RadiculoIntake",
            &format!("{}: intake", kb.title),
            &kb.disclaimer,
        ),
        subject_type: vec!["Patient"],
        item,
    })
}

/// The intake Questionnaire's canonical URL.
pub fn intake_url() -> String {
    format!("{CANONICAL}/Questionnaire/{INTAKE}")
}

/// Whether a person can answer the finding (an examiner's finding has no question for them).
fn askable(kb: &Kb, f: FindingId) -> bool {
    kb.vocab.def(f).question_patient.is_some()
}

/// The age item (required: the assessment needs it).
pub(crate) fn age() -> QuestionnaireItem {
    number(
        link::AGE,
        AGE_TEXT,
        Some(i64::from(MIN_AGE)),
        Some(i64::from(MAX_AGE)),
        true,
    )
}

/// The sex item, answered with an administrative gender.
pub(crate) fn sex() -> QuestionnaireItem {
    QuestionnaireItem {
        answer_option: (SEXES.iter())
            .map(|(code, display)| AnswerOption {
                value_coding: Coding::new(GENDER, code, display),
            })
            .collect(),
        ..question(link::SEX, SEX_TEXT, "choice")
    }
}

/// The item for the days since the symptoms began.
pub(crate) fn duration() -> QuestionnaireItem {
    number(link::DURATION, DURATION_TEXT, Some(0), None, false)
}

/// The pain score's item, without the condition it is asked under.
pub(crate) fn pain_score(kb: &Kb) -> QuestionnaireItem {
    let pain = &kb.pain_score;
    number(
        link::PAIN_SCORE,
        &pain.patient,
        Some(i64::from(pain.min)),
        Some(i64::from(pain.max)),
        false,
    )
}

/// A knowledge-base group asking `items` (its findings the form asks), without the condition
/// it is asked under: the body map as one group per symptom kind, any other group as its
/// findings.
pub(crate) fn group(kb: &Kb, group: &GroupDef, items: &[FindingId]) -> QuestionnaireItem {
    let members = if group.id == BODY_MAP {
        body_map_steps(kb, items)
            .into_iter()
            .map(|step| QuestionnaireItem {
                item: step.items.iter().map(|&f| finding(kb, f)).collect(),
                ..question(
                    &format!("{BODY_MAP}.{}", SYMPTOM_KINDS[step.kind]),
                    BODY_MAP_KIND_TEXT[step.kind],
                    "group",
                )
            })
            .collect()
    } else {
        items.iter().map(|&f| finding(kb, f)).collect()
    };
    QuestionnaireItem {
        item: members,
        ..question(&group.id, &group.patient, "group")
    }
}

/// An item with nothing but its id, text and type.
pub(crate) fn question(link_id: &str, text: &str, kind: &'static str) -> QuestionnaireItem {
    QuestionnaireItem {
        link_id: link_id.to_string(),
        code: Vec::new(),
        prefix: None,
        text: Some(text.to_string()),
        kind,
        extension: Vec::new(),
        enable_when: Vec::new(),
        enable_behavior: None,
        required: None,
        read_only: None,
        answer_value_set: None,
        answer_option: Vec::new(),
        item: Vec::new(),
    }
}

/// A finding's question: yes, no or not sure.
pub(crate) fn finding(kb: &Kb, f: FindingId) -> QuestionnaireItem {
    let def = kb.vocab.def(f);
    QuestionnaireItem {
        code: vec![System::Finding.coding(kb, codes::finding(kb, f))],
        answer_option: [codes::yes(), codes::no(), codes::not_sure()]
            .into_iter()
            .map(|value_coding| AnswerOption { value_coding })
            .collect(),
        ..question(
            &def.id,
            def.question_patient
                .as_deref()
                .unwrap_or(&def.question_clinician),
            "choice",
        )
    }
}

/// An integer question with its bounds.
pub(crate) fn number(
    link_id: &str,
    text: &str,
    min: Option<i64>,
    max: Option<i64>,
    required: bool,
) -> QuestionnaireItem {
    let bound = |url: &str, value: i64| Extension {
        url: url.to_string(),
        value_boolean: None,
        value_integer: Some(value),
        value_string: None,
        value_code: None,
        value_coding: None,
        value_codeable_concept: None,
        value_reference: None,
    };
    QuestionnaireItem {
        extension: (min.map(|v| bound(MIN_VALUE, v)).into_iter())
            .chain(max.map(|v| bound(MAX_VALUE, v)))
            .collect(),
        required: required.then_some(true),
        ..question(link_id, text, "integer")
    }
}

/// One condition of a `when`, as `enableWhen` can say it: the conditions of a clause are
/// joined by `enableBehavior` (`any` or `all`); the clauses of a `when` must all hold.
#[derive(Debug, Clone, PartialEq)]
struct Clause {
    conditions: Vec<EnableWhen>,
    any: bool,
}

/// `item`, shown only when every clause holds. `enableWhen` has one `enableBehavior` per
/// item, so when more than one clause needs `any`, each but the last is put on a group of its
/// own around the item (a group with no text, which a form does not show).
fn gate(item: QuestionnaireItem, mut when: Vec<Clause>) -> QuestionnaireItem {
    if when.is_empty() {
        return item;
    }
    // Clauses of one condition, and every `all` clause, join into one `all` clause.
    if when.iter().all(|c| !c.any || c.conditions.len() == 1) {
        let conditions: Vec<EnableWhen> = when.drain(..).flat_map(|c| c.conditions).collect();
        let enable_behavior = (conditions.len() > 1).then_some("all");
        return QuestionnaireItem {
            enable_when: conditions,
            enable_behavior,
            ..item
        };
    }
    if when.len() == 1 {
        let clause = when.remove(0);
        return QuestionnaireItem {
            enable_behavior: (clause.conditions.len() > 1).then_some("any"),
            enable_when: clause.conditions,
            ..item
        };
    }
    let rest = when.split_off(1);
    let link_id = format!("{}.when{}", item.link_id, rest.len());
    gate(
        QuestionnaireItem {
            text: None,
            item: vec![gate(item, rest)],
            ..question(&link_id, "", "group")
        },
        when,
    )
}

/// A knowledge-base `when` as clauses of `enableWhen` conditions, or what it has that they
/// cannot say.
fn clauses(kb: &Kb, p: &Predicate) -> Result<Vec<Clause>, &'static str> {
    // Every field named, so that a new kind of condition cannot be passed over in silence.
    let Predicate {
        all_of,
        none,
        bilateral,
        age_at_least,
        age_below,
        duration_days_at_least,
        duration_days_below,
        duration_unknown_or_below,
        triage_in,
        condition_at_least,
        mechanism_at_least,
        top_condition,
        top_mechanism,
        all_answered,
        any_unanswered,
        pain_score_at_least,
        pain_score_below,
    } = p;
    if bilateral.is_some() {
        return Err("findings on both sides");
    }
    if !triage_in.is_empty() {
        return Err("the triage level");
    }
    if !condition_at_least.is_empty()
        || !mechanism_at_least.is_empty()
        || !top_condition.is_empty()
        || !top_mechanism.is_empty()
    {
        return Err("a probability");
    }
    if !all_answered.is_empty() || any_unanswered.is_some() {
        return Err("which questions are answered");
    }
    let answered = |f: FindingId, operator: &'static str| EnableWhen {
        question: kb.vocab.def(f).id.clone(),
        operator,
        answer_boolean: None,
        answer_coding: Some(codes::yes()),
        answer_integer: None,
    };
    let compare = |question: &str, operator: &'static str, value: i64| EnableWhen {
        question: question.to_string(),
        operator,
        answer_boolean: None,
        answer_coding: None,
        answer_integer: Some(value),
    };
    // A finding the form does not ask (an examiner's) is never answered: it cannot make an
    // `any` clause hold, and "not present" always holds for it.
    let mut out = Vec::new();
    for set in all_of {
        let conditions: Vec<EnableWhen> = (set.iter())
            .filter(|&f| askable(kb, f))
            .map(|f| answered(f, "="))
            .collect();
        if conditions.is_empty() {
            return Err("findings only an examiner can answer");
        }
        out.push(Clause {
            conditions,
            any: true,
        });
    }
    let absent: Vec<EnableWhen> = (none.iter())
        .filter(|&f| askable(kb, f))
        .map(|f| answered(f, "!="))
        .collect();
    if !absent.is_empty() {
        out.push(Clause {
            conditions: absent,
            any: false,
        });
    }
    let single = |c: EnableWhen| Clause {
        conditions: vec![c],
        any: false,
    };
    let numbers = [
        (link::AGE, ">=", age_at_least.map(i64::from)),
        (link::AGE, "<", age_below.map(i64::from)),
        (link::DURATION, ">=", duration_days_at_least.map(i64::from)),
        (link::DURATION, "<", duration_days_below.map(i64::from)),
        (link::PAIN_SCORE, ">=", pain_score_at_least.map(i64::from)),
        (link::PAIN_SCORE, "<", pain_score_below.map(i64::from)),
    ];
    out.extend((numbers.into_iter()).filter_map(|(q, op, v)| v.map(|v| single(compare(q, op, v)))));
    if let Some(days) = duration_unknown_or_below {
        out.push(Clause {
            conditions: vec![
                EnableWhen {
                    question: link::DURATION.to_string(),
                    operator: "exists",
                    answer_boolean: Some(false),
                    answer_coding: None,
                    answer_integer: None,
                },
                compare(link::DURATION, "<", i64::from(*days)),
            ],
            any: true,
        });
    }
    Ok(out)
}
