//! The compact assessment: every number, id, code and level of the full assessment, without its
//! sentences. For bulk runs (`radiculo batch --compact`), where a full assessment's texts (about
//! 25 KB, most of it advice) would dominate the cost; every text is one lookup away by its id
//! (`radiculo findings`, the knowledge base).

use radiculo_engine::{Assessment, Case, Engine};
use radiculo_kb::{FindingId, Mechanism};
use serde::Serialize;

use crate::target_name;

/// A compact assessment, borrowed from the engine's knowledge base.
#[derive(Debug, Serialize)]
pub struct CompactAssessmentJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    kb_version: &'a str,
    triage: CompactTriage<'a>,
    red_flags: Vec<CompactFlag<'a>>,
    mechanism: [f64; 3],
    roots: Vec<(&'a str, &'static str, f64)>,
    conditions: Vec<(&'a str, f64, &'a str)>,
    explanation: Vec<(&'a str, &'a str, f64)>,
    plan: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_question: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct CompactTriage<'a> {
    level: &'static str,
    reasons: Vec<(&'a str, &'static str, Vec<&'a str>)>,
}

#[derive(Debug, Serialize)]
struct CompactFlag<'a> {
    id: &'a str,
    findings: Vec<&'a str>,
}

/// Shapes an assessment compactly: `mechanism` is `[radicular, referred, other]`; `roots` are
/// `[root, side, probability]`; `conditions` `[id, probability, icd10]`; `explanation`
/// `[finding, target, weight]`; `triage.reasons` `[rule, level, findings]`; `plan` the advice ids.
/// `targets` is scratch space for the explanation targets' names, which the result borrows.
pub fn to_compact_json<'a>(
    engine: &'a Engine,
    case: &'a Case,
    a: &'a Assessment<'a>,
    targets: &'a mut Vec<String>,
) -> CompactAssessmentJson<'a> {
    let kb = engine.kb();
    *targets = a
        .explanations
        .iter()
        .map(|e| target_name(kb, &e.target))
        .collect();
    let targets: &'a [String] = targets;
    let name = |f: &FindingId| kb.vocab.def(*f).id.as_str();
    let names = |fs: &[FindingId]| fs.iter().map(name).collect::<Vec<_>>();
    let mech = |m: Mechanism| a.mechanism[Mechanism::ALL.iter().position(|x| *x == m).unwrap_or(0)];
    CompactAssessmentJson {
        id: case.id.as_deref(),
        kb_version: &kb.version,
        triage: CompactTriage {
            level: a.triage.level.as_str(),
            reasons: a
                .triage
                .reasons
                .iter()
                .map(|r| (r.id, r.level.as_str(), names(&r.findings)))
                .collect(),
        },
        red_flags: a
            .red_flags
            .iter()
            .map(|f| CompactFlag {
                id: &f.def.id,
                findings: names(&f.findings),
            })
            .collect(),
        mechanism: [
            mech(Mechanism::Radicular),
            mech(Mechanism::Referred),
            mech(Mechanism::Other),
        ],
        roots: a
            .roots
            .iter()
            .map(|r| {
                (
                    kb.model.roots[r.root].as_str(),
                    r.side.as_str(),
                    r.probability,
                )
            })
            .collect(),
        conditions: a
            .conditions
            .iter()
            .map(|c| (c.def.id.as_str(), c.probability, c.def.icd10.as_str()))
            .collect(),
        explanation: a
            .explanations
            .iter()
            .zip(targets)
            .flat_map(|(e, target)| {
                e.weights
                    .iter()
                    .map(move |w| (name(&w.finding), target.as_str(), w.weight))
            })
            .collect(),
        plan: a.plan.iter().map(|p| p.id.as_str()).collect(),
        next_question: a.next_question.as_ref().map(|q| q.id),
    }
}
