//! The radiculo assessment engine: from a person's findings to triage, red flags, pain
//! mechanism, root and condition probabilities, an explanation whose weights add up, a plan,
//! and the most useful next question.
//!
//! The engine is pure: no IO, no clock, no environment, no async, no serialization. The caller
//! passes a loaded knowledge base and a validated [`Case`]; the result borrows its texts from
//! the knowledge base. The same input always gives the same output.
//!
//! Layout:
//! - `tables`: the knowledge base's model compiled into dense likelihood tables;
//! - `infer`: exact posterior, marginals and chain-rule explanations;
//! - [`safety`]: red flags, triage and the plan (deterministic, applied after the model);
//! - `question`: the next most useful question.
#![deny(missing_docs)]

mod infer;
mod question;
pub mod safety;
pub mod tables;

use radiculo_kb::{
    AdviceDef, ConditionDef, FindingId, FindingSet, Kb, Mechanism, Side, TriageLevel,
};

pub use question::Question;
pub use safety::{RaisedFlag, Triage, TriageReason};
pub use tables::{MAX_AGE, MIN_AGE};

/// Who is answering: which questions may be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The person in pain: no examination findings are asked.
    #[default]
    Patient,
    /// A clinician who can examine.
    Clinician,
}

/// Sex, as the contract gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other.
    Other,
}

/// A validated case: the contract's case with ids resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The caller's reference, echoed back.
    pub id: Option<String>,
    /// Age in years, 16 to 110.
    pub age: u8,
    /// Sex, if given.
    pub sex: Option<Sex>,
    /// Duration of the current episode in days, if given.
    pub duration_days: Option<u32>,
    /// Which questions may be asked next.
    pub mode: Mode,
    /// Known findings (present or absent), each at most once, in vocabulary order.
    pub evidence: Vec<(FindingId, bool)>,
    /// Findings answered "not sure" (`unknown` given explicitly): the model ignores them, but
    /// the interview does not ask them again.
    pub unsure: FindingSet,
}

impl Case {
    /// The present findings.
    pub fn present(&self) -> FindingSet {
        let mut set = FindingSet::EMPTY;
        for &(f, present) in &self.evidence {
            if present {
                set.insert(f);
            }
        }
        set
    }

    /// Every answered finding (present, absent or not sure), as a set: one bit test each
    /// where `asked` would search the evidence.
    pub fn asked_set(&self) -> FindingSet {
        let mut set = self.unsure;
        for &(f, _) in &self.evidence {
            set.insert(f);
        }
        set
    }

    /// Whether a finding is known (present or absent).
    pub fn knows(&self, f: FindingId) -> bool {
        self.evidence
            .binary_search_by_key(&f, |(id, _)| *id)
            .is_ok()
    }

    /// Whether a finding has been answered at all (present, absent or not sure).
    pub fn asked(&self, f: FindingId) -> bool {
        self.unsure.contains(f) || self.knows(f)
    }

    /// Records an answer: present, absent, or not sure (`None`), keeping the evidence sorted.
    pub fn answer(&mut self, f: FindingId, state: Option<bool>) {
        if state.is_none() {
            self.unsure.insert(f);
        } else {
            self.unsure.remove(f);
        }
        self.set(f, state);
    }

    /// Sets a finding's state (`None` = unknown), keeping the evidence sorted.
    pub fn set(&mut self, f: FindingId, state: Option<bool>) {
        match (self.evidence.binary_search_by_key(&f, |(id, _)| *id), state) {
            (Ok(i), Some(p)) => self.evidence[i].1 = p,
            (Ok(i), None) => {
                self.evidence.remove(i);
            }
            (Err(i), Some(p)) => self.evidence.insert(i, (f, p)),
            (Err(_), None) => {}
        }
    }
}

/// What to compute besides the core assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Compute the next question (the costliest part).
    pub next_question: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            next_question: true,
        }
    }
}

/// The probability that a root is affected on a side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RootProbability {
    /// Index into the model's roots.
    pub root: usize,
    /// The side.
    pub side: Side,
    /// The probability.
    pub probability: f64,
}

/// A condition's probability.
#[derive(Debug, Clone, Copy)]
pub struct ConditionProbability<'e> {
    /// The condition.
    pub def: &'e ConditionDef,
    /// The probability.
    pub probability: f64,
}

/// A conclusion the explanation decomposes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExplanationTarget {
    /// A root on a side is affected.
    Root(usize, Side),
    /// The condition (index) is the explanation.
    Condition(usize),
    /// The mechanism.
    Mechanism(Mechanism),
}

/// One conclusion's explanation: prior and posterior log odds, and each finding's weight.
#[derive(Debug, Clone)]
pub struct Explanation<'e> {
    /// The conclusion.
    pub target: ExplanationTarget,
    /// Log odds before any finding (after age).
    pub prior_log_odds: f64,
    /// Log odds after every finding.
    pub posterior_log_odds: f64,
    /// Each known finding's weight (a log likelihood ratio given the findings before it, in
    /// vocabulary order), with its source; they sum to posterior minus prior log odds.
    pub weights: Vec<FindingWeight<'e>>,
}

/// One finding's signed weight towards a conclusion.
#[derive(Debug, Clone, Copy)]
pub struct FindingWeight<'e> {
    /// The finding.
    pub finding: FindingId,
    /// Whether it was present.
    pub present: bool,
    /// The weight, in natural-log odds.
    pub weight: f64,
    /// The sources of the numbers behind it.
    pub source: &'e str,
}

/// The engine's answer for one case.
#[derive(Debug, Clone)]
pub struct Assessment<'e> {
    /// Triage level and reasons.
    pub triage: Triage<'e>,
    /// Every red flag raised.
    pub red_flags: Vec<RaisedFlag<'e>>,
    /// P(mechanism), in [`Mechanism::ALL`] order.
    pub mechanism: [f64; 3],
    /// Every reported root on each side, most probable first.
    pub roots: Vec<RootProbability>,
    /// Every condition, most probable first.
    pub conditions: Vec<ConditionProbability<'e>>,
    /// Explanations of the leading root, condition and mechanism.
    pub explanations: Vec<Explanation<'e>>,
    /// The plan, in knowledge-base order.
    pub plan: Vec<&'e AdviceDef>,
    /// The next most useful question, if computed and if any could matter.
    pub next_question: Option<Question<'e>>,
}

/// Hypothesis masks of every explainable conclusion.
#[derive(Debug, Clone)]
struct Targets {
    /// By `2 * root + side`.
    roots: Vec<infer::Target>,
    conditions: Vec<infer::Target>,
    mechanisms: Vec<infer::Target>,
}

/// A loaded knowledge base compiled for inference.
#[derive(Debug, Clone)]
pub struct Engine {
    kb: Kb,
    tables: tables::Tables,
    /// Every conclusion the explanation may decompose, as hypothesis masks, built once.
    targets: Targets,
    /// The sources behind each finding's likelihoods, by finding index.
    finding_sources: Vec<String>,
}

impl Engine {
    /// Compiles a knowledge base.
    pub fn new(kb: Kb) -> Engine {
        let tables = tables::Tables::new(&kb);
        let finding_sources = (0..kb.vocab.findings.len())
            .map(|i| sources_of(&kb, FindingId(i as u16)).to_string())
            .collect();
        let hyps = &tables.hyps;
        let targets = Targets {
            roots: (0..kb.model.reported_roots)
                .flat_map(|r| Side::BOTH.map(move |s| (r, s)))
                .map(|(r, s)| infer::Target::new(hyps.iter().map(|h| h.compresses(r, s))))
                .collect(),
            conditions: (0..kb.model.conditions.len())
                .map(|c| infer::Target::new(hyps.iter().map(|h| h.condition == c)))
                .collect(),
            mechanisms: Mechanism::ALL
                .iter()
                .map(|m| infer::Target::new(hyps.iter().map(|h| h.mechanism == *m)))
                .collect(),
        };
        Engine {
            kb,
            tables,
            targets,
            finding_sources,
        }
    }

    /// The knowledge base.
    pub fn kb(&self) -> &Kb {
        &self.kb
    }

    /// The compiled tables (for export and tests).
    pub fn tables(&self) -> &tables::Tables {
        &self.tables
    }

    /// Assesses a case.
    pub fn assess(&self, case: &Case, options: Options) -> Assessment<'_> {
        let kb = &self.kb;
        let present = case.present();
        let obs = infer::Observation::new(&self.tables, &case.evidence);
        let post = infer::posterior(&self.tables, case.age, &obs);
        let m = infer::marginals(
            &self.tables,
            &post,
            kb.model.conditions.len(),
            kb.model.reported_roots,
        );
        let red_flags = safety::red_flags(kb, case, &present);
        let triage = safety::triage(kb, case, &present, &red_flags, &m.conditions, &m.mechanisms);
        let plan = safety::plan(
            kb,
            case,
            &present,
            triage.level,
            &m.conditions,
            &m.mechanisms,
        );

        let mut roots: Vec<RootProbability> = m
            .roots
            .iter()
            .enumerate()
            .flat_map(|(root, p)| {
                Side::BOTH.map(|side| RootProbability {
                    root,
                    side,
                    probability: p[side.index()],
                })
            })
            .collect();
        // Ties keep root order (top to bottom, left before right), so output is stable.
        roots.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        let mut conditions: Vec<ConditionProbability> = kb
            .model
            .conditions
            .iter()
            .zip(&m.conditions)
            .map(|(def, &probability)| ConditionProbability { def, probability })
            .collect();
        conditions.sort_by(|a, b| b.probability.total_cmp(&a.probability));

        let explanations = self.explanations(case, &obs, &roots, &m);
        let next_question = if options.next_question {
            question::next(self, case, &post, &triage)
        } else {
            None
        };
        Assessment {
            triage,
            red_flags,
            mechanism: m.mechanisms,
            roots,
            conditions,
            explanations,
            plan,
            next_question,
        }
    }

    fn explanations(
        &self,
        case: &Case,
        obs: &infer::Observation,
        roots: &[RootProbability],
        m: &infer::Marginals,
    ) -> Vec<Explanation<'_>> {
        let argmax = |v: &[f64]| {
            v.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                .map_or(0, |(i, _)| i)
        };
        let top_root = roots[0];
        let top_condition = argmax(&m.conditions);
        let top_mechanism = Mechanism::ALL[argmax(&m.mechanisms)];
        let t = &self.targets;
        let kinds = [
            ExplanationTarget::Root(top_root.root, top_root.side),
            ExplanationTarget::Condition(top_condition),
            ExplanationTarget::Mechanism(top_mechanism),
        ];
        let members = [
            &t.roots[2 * top_root.root + top_root.side.index()],
            &t.conditions[top_condition],
            &t.mechanisms[infer::mechanism_index(top_mechanism)],
        ];
        let chains = infer::explain(&self.tables, case.age, obs, &members, |step, weight| {
            FindingWeight {
                finding: step.finding,
                present: step.present,
                weight,
                source: self.finding_source(step.finding),
            }
        });
        kinds
            .into_iter()
            .zip(chains)
            .map(|(target, chain)| Explanation {
                target,
                prior_log_odds: chain.prior_log_odds,
                posterior_log_odds: chain.posterior_log_odds,
                weights: chain.weights,
            })
            .collect()
    }

    /// The sources behind a finding's likelihoods.
    pub fn finding_source(&self, f: FindingId) -> &str {
        &self.finding_sources[f.index()]
    }

    /// The next question alone: the posterior, the triage and the question, without the
    /// explanation and the plan (for an interview step that only needs what to ask next).
    pub fn next_question(&self, case: &Case) -> Option<Question<'_>> {
        let kb = &self.kb;
        let present = case.present();
        let obs = infer::Observation::new(&self.tables, &case.evidence);
        let post = infer::posterior(&self.tables, case.age, &obs);
        let m = infer::marginals(
            &self.tables,
            &post,
            kb.model.conditions.len(),
            kb.model.reported_roots,
        );
        let red_flags = safety::red_flags(kb, case, &present);
        let triage = safety::triage(kb, case, &present, &red_flags, &m.conditions, &m.mechanisms);
        question::next(self, case, &post, &triage)
    }

    /// The triage level alone (for property tests and quick checks).
    pub fn triage_level(&self, case: &Case) -> TriageLevel {
        self.assess(
            case,
            Options {
                next_question: false,
            },
        )
        .triage
        .level
    }
}

fn sources_of(kb: &Kb, f: FindingId) -> &str {
    match kb.vocab.def(f).shape {
        radiculo_kb::Shape::Region { .. } => &kb.model.coverage_source.text,
        radiculo_kb::Shape::Single { family, .. } => {
            let family = usize::from(family);
            kb.model
                .root_findings
                .iter()
                .find(|r| r.family == family)
                .map(|r| r.source.text.as_str())
                .or_else(|| {
                    kb.model
                        .condition_findings
                        .iter()
                        .find(|c| c.family == family)
                        .map(|c| c.source.text.as_str())
                })
                .unwrap_or("")
        }
    }
}
