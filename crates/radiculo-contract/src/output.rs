//! The assessment as contract JSON. Fields beyond the contract are additions, never changes.

use radiculo_engine::{Assessment, Case, Engine, QuestionKind};
use radiculo_kb::{FindingId, Mechanism, TriageLevel};
use serde::Serialize;

/// The assessment, shaped for JSON. Borrowed from the engine's knowledge base.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentJson<'a> {
    /// The caller's case id, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// The knowledge-base version.
    pub kb_version: &'a str,
    /// What the tool is and is not.
    pub disclaimer: &'a str,
    triage: TriageJson<'a>,
    red_flags: Vec<RedFlagJson<'a>>,
    mechanism: MechanismJson,
    roots: Vec<RootJson<'a>>,
    conditions: Vec<ConditionJson<'a>>,
    explanation: Vec<ExplanationJson<'a>>,
    explanation_targets: Vec<TargetJson>,
    plan: Vec<PlanJson<'a>>,
    next_question: Option<QuestionJson<'a>>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct TriageJson<'a> {
    level: &'static str,
    /// What to do, in a few words, for the person (the knowledge base's text for the level).
    headline: &'a str,
    /// Where to go and how fast, for the person.
    instruction: &'a str,
    clinician_headline: &'a str,
    clinician_instruction: &'a str,
    reasons: Vec<ReasonJson<'a>>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct ReasonJson<'a> {
    text: &'a str,
    findings: Vec<&'a str>,
    level: &'static str,
    rule: &'a str,
    clinician_text: &'a str,
    source: &'a str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct RedFlagJson<'a> {
    id: &'a str,
    text: &'a str,
    findings: Vec<&'a str>,
    clinician_text: &'a str,
    min_level: &'static str,
    source: &'a str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct MechanismJson {
    radicular: f64,
    referred: f64,
    other: f64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct RootJson<'a> {
    root: &'a str,
    side: &'static str,
    probability: f64,
    /// The probability in words, for people who prefer words.
    likelihood: &'a str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct ConditionJson<'a> {
    id: &'a str,
    name: &'a str,
    probability: f64,
    icd10: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    snomed: Option<&'a str>,
    patient_name: &'a str,
    mechanism: &'static str,
    icd10_display: &'a str,
    /// The probability in words, for people who prefer words.
    likelihood: &'a str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct ExplanationJson<'a> {
    finding: &'a str,
    target: String,
    weight: f64,
    source: &'a str,
    state: &'static str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct TargetJson {
    target: String,
    prior_log_odds: f64,
    posterior_log_odds: f64,
    prior_probability: f64,
    posterior_probability: f64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct PlanJson<'a> {
    id: &'a str,
    audience: &'static str,
    text: &'a str,
    source: &'a str,
    topic: &'a str,
    /// For an item that lists questions still to answer: those not yet answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    unanswered: Option<Vec<&'a str>>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct QuestionJson<'a> {
    id: &'a str,
    text: &'a str,
    why: String,
    /// `finding`, `group` or `number`.
    kind: &'static str,
    /// The group's finding ids (the contract's field).
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<&'a str>>,
    /// For a number: the range and what its ends mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_label: Option<&'a str>,
}

fn level(l: TriageLevel) -> &'static str {
    l.as_str()
}

/// The contract's name of a question's kind.
pub(crate) fn question_kind(k: &QuestionKind) -> &'static str {
    match k {
        QuestionKind::Finding(_) => "finding",
        QuestionKind::Group(_) => "group",
        QuestionKind::Number(_) => "number",
    }
}

pub(crate) fn sigmoid(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

/// Shapes an assessment for JSON.
pub fn to_json<'a>(
    engine: &'a Engine,
    case: &'a Case,
    a: &'a Assessment<'a>,
) -> AssessmentJson<'a> {
    let kb = engine.kb();
    let name = |f: &FindingId| kb.vocab.def(*f).id.as_str();
    let names = |fs: &[FindingId]| fs.iter().map(name).collect::<Vec<_>>();
    let mut explanation = Vec::new();
    let mut explanation_targets = Vec::new();
    for e in &a.explanations {
        let target = crate::target_name(kb, &e.target);
        let mut weights: Vec<_> = e.weights.iter().collect();
        weights.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
        explanation.extend(weights.into_iter().map(|w| ExplanationJson {
            finding: name(&w.finding),
            target: target.clone(),
            weight: w.weight,
            source: w.source,
            state: if w.present { "present" } else { "absent" },
        }));
        explanation_targets.push(TargetJson {
            target,
            prior_log_odds: e.prior_log_odds,
            posterior_log_odds: e.posterior_log_odds,
            prior_probability: sigmoid(e.prior_log_odds),
            posterior_probability: sigmoid(e.posterior_log_odds),
        });
    }
    let mech = |m: Mechanism| a.mechanism[m.index()];
    AssessmentJson {
        id: case.id.as_deref(),
        kb_version: &kb.version,
        disclaimer: &kb.disclaimer,
        triage: TriageJson {
            level: level(a.triage.level),
            headline: &kb.level(a.triage.level).headline,
            instruction: &kb.level(a.triage.level).instruction,
            clinician_headline: &kb.level(a.triage.level).clinician_headline,
            clinician_instruction: &kb.level(a.triage.level).clinician_instruction,
            reasons: a
                .triage
                .reasons
                .iter()
                .map(|r| ReasonJson {
                    text: r.patient,
                    findings: names(&r.findings),
                    level: level(r.level),
                    rule: r.id,
                    clinician_text: r.clinician,
                    source: r.source,
                })
                .collect(),
        },
        red_flags: a
            .red_flags
            .iter()
            .map(|f| RedFlagJson {
                id: &f.def.id,
                text: &f.def.patient,
                findings: names(&f.findings),
                clinician_text: &f.def.clinician,
                min_level: level(f.def.min_level),
                source: &f.def.source.text,
            })
            .collect(),
        mechanism: MechanismJson {
            radicular: mech(Mechanism::Radicular),
            referred: mech(Mechanism::Referred),
            other: mech(Mechanism::Other),
        },
        roots: a
            .roots
            .iter()
            .map(|r| RootJson {
                root: &kb.model.roots[r.root],
                side: r.side.as_str(),
                probability: r.probability,
                likelihood: kb.likelihood_word(r.probability),
            })
            .collect(),
        conditions: a
            .conditions
            .iter()
            .map(|c| ConditionJson {
                id: &c.def.id,
                name: &c.def.name,
                probability: c.probability,
                icd10: &c.def.icd10,
                snomed: c.def.snomed.as_ref().map(|(id, _)| id.as_str()),
                patient_name: &c.def.patient_name,
                mechanism: c.def.mechanism.as_str(),
                icd10_display: &c.def.icd10_display,
                likelihood: kb.likelihood_word(c.probability),
            })
            .collect(),
        explanation,
        explanation_targets,
        plan: a
            .plan
            .iter()
            .map(|p| PlanJson {
                id: &p.id,
                audience: p.audience.as_str(),
                text: &p.text,
                source: &p.source.text,
                topic: &p.topic,
                unanswered: (!p.lists_unanswered.is_empty())
                    .then(|| names(&case.unanswered(&p.lists_unanswered))),
            })
            .collect(),
        next_question: a.next_question.as_ref().map(|q| {
            let number = match &q.kind {
                QuestionKind::Number(n) => Some(*n),
                _ => None,
            };
            QuestionJson {
                id: q.id,
                text: q.text,
                why: q.why.clone(),
                kind: question_kind(&q.kind),
                items: match &q.kind {
                    QuestionKind::Group(items) => Some(names(items)),
                    _ => None,
                },
                min: number.map(|n| n.min),
                max: number.map(|n| n.max),
                min_label: number.map(|n| n.min_label.as_str()),
                max_label: number.map(|n| n.max_label.as_str()),
            }
        }),
    }
}
