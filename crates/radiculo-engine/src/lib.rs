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
//! - `blind`: which red-flag findings each model-reading triage rule must not read;
//! - `question`: the next most useful question;
//! - `course`: alerts over a course of assessments of one episode ([`Engine::course_alerts`]);
//! - [`bn`]: the compiled model as a discrete Bayesian network, written as BIF or XMLBIF.
#![deny(missing_docs)]

mod blind;
pub mod bn;
mod course;
mod infer;
mod question;
pub mod safety;
pub mod tables;
#[cfg(feature = "testing")]
pub mod testing;

use radiculo_kb::{
    AdviceDef, ConditionDef, FindingId, FindingSet, Kb, Mechanism, Side, TriageLevel,
};

pub use course::{Alert, AlertKind, Visit};
pub use question::{PAIN_SCORE, Question, QuestionKind};
pub use safety::{RaisedFlag, ReasonRef, ReasonTexts, Triage, TriageReason};
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

impl Sex {
    /// The contract's word, which is also FHIR's administrative-gender code.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
        }
    }
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
    /// Known findings (present or absent), each at most once, in vocabulary order: kept so by
    /// [`Case::answer`] and [`Case::set`], the only ways in (inference looks findings up by
    /// binary search).
    evidence: Vec<(FindingId, bool)>,
    /// Findings answered "not sure" (`unknown` given explicitly): the model ignores them, but
    /// the interview does not ask them again. Never also in `evidence`.
    unsure: FindingSet,
    /// The worst back or leg pain in the last 24 hours, 0 to 10, if given.
    pub pain_score: Option<u8>,
    /// Whether the pain score was asked (given, or left out on purpose with `null`): the
    /// interview does not ask it again.
    pub pain_score_asked: bool,
}

impl Case {
    /// A case of a person of `age` (16 to 110, which the contract checks) about whom nothing
    /// else is known yet: in patient mode, with no findings and no pain score.
    pub fn new(age: u8) -> Case {
        Case {
            id: None,
            age,
            sex: None,
            duration_days: None,
            mode: Mode::Patient,
            evidence: Vec::new(),
            unsure: FindingSet::EMPTY,
            pain_score: None,
            pain_score_asked: false,
        }
    }

    /// Known findings (present or absent), each once, in vocabulary order.
    pub fn evidence(&self) -> &[(FindingId, bool)] {
        &self.evidence
    }

    /// A finding's state: present, absent, or `None` when it is not known.
    pub fn state(&self, f: FindingId) -> Option<bool> {
        self.evidence
            .binary_search_by_key(&f, |(id, _)| *id)
            .ok()
            .map(|i| self.evidence[i].1)
    }

    /// Whether a finding was answered "not sure".
    pub fn is_unsure(&self, f: FindingId) -> bool {
        self.unsure.contains(f)
    }

    /// Forgets a finding, as if it had never been asked.
    pub fn forget(&mut self, f: FindingId) {
        self.unsure.remove(f);
        self.set(f, None);
    }

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

    /// The findings answered present or absent.
    pub fn known(&self) -> FindingSet {
        let mut set = FindingSet::EMPTY;
        for &(f, _) in &self.evidence {
            set.insert(f);
        }
        set
    }

    /// The findings of `set` not answered present or absent, in vocabulary order (what a plan
    /// item that lists unanswered questions names).
    pub fn unanswered(&self, set: &FindingSet) -> Vec<FindingId> {
        let known = self.known();
        set.iter().filter(|f| !known.contains(*f)).collect()
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConditionProbability {
    /// Index into the model's conditions.
    pub condition: usize,
    /// The probability.
    pub probability: f64,
}

impl ConditionProbability {
    /// The condition's definition.
    pub fn def<'k>(&self, kb: &'k Kb) -> &'k ConditionDef {
        &kb.model.conditions[self.condition]
    }
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
pub struct Explanation {
    /// The conclusion.
    pub target: ExplanationTarget,
    /// Log odds before any finding (after age).
    pub prior_log_odds: f64,
    /// Log odds after every finding.
    pub posterior_log_odds: f64,
    /// Each known finding's weight (a log likelihood ratio given the findings before it, in
    /// vocabulary order); they sum to posterior minus prior log odds. The sources behind
    /// each are [`Engine::finding_source`].
    pub weights: Vec<FindingWeight>,
}

/// One finding's signed weight towards a conclusion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FindingWeight {
    /// The finding.
    pub finding: FindingId,
    /// Whether it was present.
    pub present: bool,
    /// The weight, in natural-log odds.
    pub weight: f64,
}

/// The engine's answer for one case: indices into the knowledge base and numbers, never
/// pointers into it, so a rendering finds each part's texts (or its texts already written) by
/// index.
#[derive(Debug, Clone)]
pub struct Assessment<'e> {
    /// Triage level and reasons.
    pub triage: Triage,
    /// Every red flag raised.
    pub red_flags: Vec<RaisedFlag>,
    /// P(mechanism), in [`Mechanism::ALL`] order.
    pub mechanism: [f64; 3],
    /// Every reported root on each side, most probable first.
    pub roots: Vec<RootProbability>,
    /// Every condition, most probable first.
    pub conditions: Vec<ConditionProbability>,
    /// Explanations of the leading root, condition and mechanism.
    pub explanations: Vec<Explanation>,
    /// The plan: indices into the knowledge base's advice, in its order.
    pub plan: Vec<usize>,
    /// The next most useful question, if computed and if any could matter.
    pub next_question: Option<Question<'e>>,
}

impl Assessment<'_> {
    /// The plan's advice, in order.
    pub fn advice<'k>(&self, kb: &'k Kb) -> impl Iterator<Item = &'k AdviceDef> + use<'_, 'k> {
        self.plan.iter().map(|&i| &kb.advice[i])
    }
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
    /// For each triage rule, the red-flag findings it must not read (see `blind`).
    blind: Vec<FindingSet>,
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
        let blind = blind::blind_sets(&kb, &tables);
        Engine {
            kb,
            tables,
            targets,
            finding_sources,
            blind,
        }
    }

    /// The red-flag findings triage rule `rule` (an index into the knowledge base's rules) does
    /// not read: empty unless the rule reads the posterior.
    pub fn blind_set(&self, rule: usize) -> &FindingSet {
        &self.blind[rule]
    }

    /// The case's prior per hypothesis: the prior for its age, with its sex and duration band
    /// as evidence on the hypothesis. As logarithms (`log`: for the posterior) or as
    /// probabilities (for the explanation, which needs only their ratios), not normalised.
    fn case_prior(&self, case: &Case, log: bool) -> Vec<f64> {
        let t = &self.tables;
        let (prior, sex, duration) = if log {
            (&t.log_prior, &t.log_sex, &t.log_duration)
        } else {
            (&t.prior, &t.sex, &t.duration)
        };
        let mut p = t.prior_for_age(prior, case.age).to_vec();
        let mut apply = |row: &[f64]| {
            for (x, y) in p.iter_mut().zip(row) {
                if log {
                    *x += y;
                } else {
                    *x *= y;
                }
            }
        };
        match case.sex {
            Some(Sex::Female) => apply(t.row(sex, 0)),
            Some(Sex::Male) => apply(t.row(sex, 1)),
            Some(Sex::Other) | None => {}
        }
        if let Some(days) = case.duration_days {
            apply(t.row(duration, self.kb.model.duration_band(days)));
        }
        p
    }

    /// The posterior and its marginals.
    fn infer(&self, case: &Case) -> Inferred {
        let obs = infer::Observation::new(&self.tables, &case.evidence);
        let post = infer::posterior(&self.tables, &self.case_prior(case, true), &obs);
        let mut m = infer::marginals(
            &self.tables,
            &post,
            self.kb.model.conditions.len(),
            self.kb.model.reported_roots,
        );
        // A sum of posterior probabilities can round to just above 1 (1.0000000000000002 for a
        // mechanism all but certain, found by fuzzing); a reported probability is at most 1.
        let roots = m.roots.as_flattened_mut();
        for p in m
            .conditions
            .iter_mut()
            .chain(&mut m.mechanisms)
            .chain(roots)
        {
            *p = p.min(1.0);
        }
        Inferred { obs, post, m }
    }

    /// The posterior over the compiled hypotheses (in [`Engine::tables`]' order), for checks
    /// of the model against published accuracy and for export.
    pub fn posterior(&self, case: &Case) -> Vec<f64> {
        self.infer(case).post
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
        let (present, known) = (case.present(), case.known());
        let Inferred { obs, post, m } = self.infer(case);
        let facts =
            safety::Facts::new(case, &present, &known).with_model(&m.conditions, &m.mechanisms);
        let red_flags = safety::red_flags(kb, &facts);
        let mut view = BlindView::new(self, case, &post);
        let triage = safety::triage(kb, &facts, &red_flags, &mut view);
        let plan = safety::plan(
            kb,
            &safety::Facts {
                triage: Some(triage.level),
                ..facts
            },
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
        let mut conditions: Vec<ConditionProbability> = m
            .conditions
            .iter()
            .enumerate()
            .map(|(condition, &probability)| ConditionProbability {
                condition,
                probability,
            })
            .collect();
        conditions.sort_by(|a, b| b.probability.total_cmp(&a.probability));

        let explanations = self.explanations(self.case_prior(case, false), &obs, &roots, &m);
        let next_question = if options.next_question {
            question::next(self, case, &facts, &post, &triage)
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
        prior: Vec<f64>,
        obs: &infer::Observation,
        roots: &[RootProbability],
        m: &infer::Marginals,
    ) -> Vec<Explanation> {
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
            &t.mechanisms[top_mechanism.index()],
        ];
        let chains = infer::explain(&self.tables, prior, obs, &members, |step, weight| {
            FindingWeight {
                finding: step.finding,
                present: step.present,
                weight,
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
        let (present, known) = (case.present(), case.known());
        let Inferred { post, m, .. } = self.infer(case);
        let facts =
            safety::Facts::new(case, &present, &known).with_model(&m.conditions, &m.mechanisms);
        let red_flags = safety::red_flags(kb, &facts);
        let triage = safety::triage(
            kb,
            &facts,
            &red_flags,
            &mut BlindView::new(self, case, &post),
        );
        question::next(self, case, &facts, &post, &triage)
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

/// The index of the largest value, the first of equals (how "the leading condition" and "the
/// leading mechanism" are chosen everywhere).
pub fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i)
}

/// The posterior of a case and what is derived from it.
struct Inferred {
    obs: infer::Observation,
    post: Vec<f64>,
    m: infer::Marginals,
}

/// The posterior marginals each model-reading rule reads: the case's own, or, when the case
/// answers any of the rule's blind findings, those of the case without them (computed once per
/// blind set and kept).
struct BlindView<'a> {
    engine: &'a Engine,
    case: &'a Case,
    known: FindingSet,
    post: &'a [f64],
    /// `(findings left out, conditions, mechanisms)`.
    cache: Vec<(FindingSet, Vec<f64>, [f64; 3])>,
}

impl<'a> BlindView<'a> {
    fn new(engine: &'a Engine, case: &'a Case, post: &'a [f64]) -> BlindView<'a> {
        BlindView {
            engine,
            case,
            known: case.known(),
            post,
            cache: Vec::new(),
        }
    }

    /// The marginals of the case with `left_out` unanswered: the posterior reweighted by each
    /// affected unit's likelihood without those findings over its likelihood with them (exact:
    /// units are independent given the hypothesis).
    fn without(&self, left_out: &FindingSet) -> (Vec<f64>, [f64; 3]) {
        let tables = &self.engine.tables;
        let mut w = self.post.to_vec();
        let mut done: Vec<u16> = Vec::new();
        for f in left_out.iter() {
            let Some((unit, _)) = tables.finding_unit[f.index()] else {
                continue;
            };
            if done.contains(&unit) {
                continue;
            }
            done.push(unit);
            let u = &tables.units[usize::from(unit)];
            let (mut full, mut kept) = (0, 0);
            for (k, member) in u.members.iter().enumerate() {
                let digit = match self.case.evidence.binary_search_by_key(member, |(g, _)| *g) {
                    Ok(i) if self.case.evidence[i].1 => tables::PRESENT,
                    Ok(_) => tables::ABSENT,
                    Err(_) => tables::UNKNOWN,
                } * 3usize.pow(k as u32);
                full += digit;
                if !left_out.contains(*member) {
                    kept += digit;
                }
            }
            let with = tables.row(&tables.lik, u.offset + full);
            let without = tables.row(&tables.lik, u.offset + kept);
            for ((x, a), b) in w.iter_mut().zip(without).zip(with) {
                *x *= a / b;
            }
        }
        let m = infer::marginals(
            tables,
            &w,
            self.engine.kb.model.conditions.len(),
            self.engine.kb.model.reported_roots,
        );
        let total: f64 = m.conditions.iter().sum();
        let conditions = m.conditions.iter().map(|p| p / total).collect();
        (conditions, m.mechanisms.map(|p| p / total))
    }
}

impl safety::RuleView for BlindView<'_> {
    fn blind(&mut self, rule: usize) -> Option<(&[f64], &[f64; 3])> {
        let left_out = self.engine.blind[rule].and(&self.known);
        if left_out.is_empty() {
            return None;
        }
        let i = match self.cache.iter().position(|(s, ..)| *s == left_out) {
            Some(i) => i,
            None => {
                let (c, m) = self.without(&left_out);
                self.cache.push((left_out, c, m));
                self.cache.len() - 1
            }
        };
        let (_, c, m) = &self.cache[i];
        Some((c, m))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    }

    /// A blind posterior (the case's posterior reweighted by each unit's likelihood without the
    /// left-out findings) is the posterior of the case with those findings unanswered, computed
    /// from scratch: for single findings and for members of a region unit alike.
    #[test]
    fn blind_marginals_equal_a_fresh_posterior_without_the_findings() {
        let e = engine();
        let kb = e.kb();
        let f = |id: &str| kb.vocab.get(id).expect("a known id");
        let mut case = Case::new(67);
        case.sex = Some(Sex::Male);
        case.duration_days = Some(20);
        case.mode = Mode::Clinician;
        for (id, state) in [
            ("pain.low_back", true),
            ("pain.calf.left", true),
            ("numbness.calf.left", true),
            ("tingling.calf.left", false),
            ("fever", true),
            ("stocking_numbness", true),
            ("history_of_cancer", false),
            ("night_pain_unrelenting", true),
            ("gait_unsteady", false),
        ] {
            case.set(f(id), Some(state));
        }
        let inferred = e.infer(&case);
        let view = BlindView::new(&e, &case, &inferred.post);
        let mut left_out = FindingSet::EMPTY;
        for id in [
            "numbness.calf.left",
            "fever",
            "stocking_numbness",
            "gait_unsteady",
        ] {
            left_out.insert(f(id));
        }
        let (conditions, mechanisms) = view.without(&left_out);
        let mut without = case.clone();
        for id in left_out.iter() {
            without.set(id, None);
        }
        let fresh = e.infer(&without);
        for (a, b) in conditions.iter().zip(&fresh.m.conditions) {
            assert!((a - b).abs() < 1e-12, "{a} != {b}");
        }
        for (a, b) in mechanisms.iter().zip(&fresh.m.mechanisms) {
            assert!((a - b).abs() < 1e-12, "{a} != {b}");
        }
    }

    /// Every model-reading rule has a blind set of red-flag findings only, and a red flag that
    /// guarantees the rule's level by itself is never in it.
    #[test]
    fn blind_sets_hold_only_weaker_red_flag_findings() {
        let e = engine();
        let kb = e.kb();
        for (i, rule) in kb.rules.iter().enumerate() {
            let blind = e.blind_set(i);
            if !rule.when.reads_model() {
                assert!(blind.is_empty(), "{} reads no posterior", rule.id);
            }
            for f in blind.iter() {
                assert!(kb.red_flag_findings.contains(f));
                let floor = kb
                    .red_flags
                    .iter()
                    .filter(|r| r.when.is_none() && r.findings.contains(f))
                    .map(|r| r.min_level)
                    .max();
                assert!(floor.is_some_and(|l| l < rule.level));
            }
        }
    }

    /// `safety::level` (the interview's allocation-free lookahead) gives the level `triage`
    /// gives, on random cases dense enough to fire every kind of rule, with the plain posterior
    /// (as the lookahead reads it) and with the blind views (as `assess` reads it).
    #[test]
    fn the_lookahead_level_is_the_triage_level() {
        let e = engine();
        let kb = e.kb();
        let n = kb.vocab.findings.len();
        // A fixed xorshift sequence: the same cases on every run.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut levels = [0usize; 5];
        for _ in 0..3_000 {
            let mut case = Case::new(16 + (next() % 95) as u8);
            case.sex = [None, Some(Sex::Female), Some(Sex::Male)][(next() % 3) as usize];
            case.duration_days = (next() % 4 > 0).then(|| (next() % 800) as u32);
            case.mode = Mode::Clinician;
            case.pain_score = (next() % 2 == 0).then(|| (next() % 11) as u8);
            case.pain_score_asked = true;
            // A third of the cases answer the red-flag screen, so that self-care is reachable.
            if next() % 3 == 0 {
                for f in kb.screen.findings.iter() {
                    case.set(f, Some(false));
                }
            }
            let density = next() % 12;
            for i in 0..n {
                match next() % 100 {
                    r if r < density => case.set(FindingId(i as u16), Some(true)),
                    r if r < 3 * density => case.set(FindingId(i as u16), Some(false)),
                    _ => {}
                }
            }
            let (present, known) = (case.present(), case.known());
            let inferred = e.infer(&case);
            let m = &inferred.m;
            let facts = safety::Facts::new(&case, &present, &known)
                .with_model(&m.conditions, &m.mechanisms);
            let flags = safety::red_flags(kb, &facts);
            let plain = safety::triage(kb, &facts, &flags, &mut safety::SameView).level;
            assert_eq!(safety::level(kb, &facts, &mut safety::SameView), plain);
            let blind = safety::triage(
                kb,
                &facts,
                &flags,
                &mut BlindView::new(&e, &case, &inferred.post),
            );
            let lookahead =
                safety::level(kb, &facts, &mut BlindView::new(&e, &case, &inferred.post));
            assert_eq!(lookahead, blind.level);
            levels[blind.level.index()] += 1;
        }
        assert!(
            levels.iter().all(|&n| n > 0),
            "every level is reached: {levels:?}"
        );
    }
}
