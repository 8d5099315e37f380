//! The assessment as contract JSON: one typed model ([`AssessmentJson`]) from which every
//! rendering derives. The full form is the model as serde writes it; the compact form is a
//! view of the same model ([`Form::Compact`]); the HTTP service stores and serves the full
//! form, and later renderings (FHIR, CDS cards) read the model too. Fields beyond the contract
//! are additions, never changes.
//!
//! Why pre-serialised fragments: a full assessment is about 31 KB, almost all of it
//! knowledge-base sentences. Escaping them for every case cost more than the assessment
//! itself, so [`JsonWriter`] serialises every knowledge-base text once, when it is built, as a
//! [`RawValue`], and the model borrows those: per case, serde copies them and writes only the
//! numbers, levels and the caller's id.

use std::borrow::Borrow;

use radiculo_engine::{
    Assessment, Case, Engine, ExplanationTarget, QuestionKind, ReasonRef, TriageReason,
};
use radiculo_kb::{FindingId, Kb, Mechanism, Side};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::value::RawValue;

use crate::wire::{self, OrNull, Wire, model};

/// Which rendering of the assessment to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The full contract assessment with every sentence ([`AssessmentJson`]).
    Full,
    /// Every number, id, code and level of the full form, without its sentences. For bulk
    /// runs (`radiculo batch --compact`); every text is one lookup away by its id (`radiculo
    /// findings`, the knowledge base). `mechanism` is `[radicular, referred, other]`; `roots`
    /// are `[root, side, probability]`; `conditions` `[id, probability, icd10]`;
    /// `explanation` `[finding, target, weight]`, in the order the weights add up;
    /// `triage.reasons` `[rule, level, findings]`; `plan` the advice ids; `next_question` the
    /// question's id, left out when there is none.
    Compact,
}

/// Renders assessments of one engine, with every knowledge-base text already serialised.
///
/// `E` is how the writer holds its engine: `&Engine` for a run that borrows it, `Arc<Engine>`
/// for state shared across a server's requests. Building one costs about as much as writing a
/// few assessments.
#[derive(Debug)]
pub struct JsonWriter<E> {
    engine: E,
    texts: Texts,
}

impl<E: Borrow<Engine>> JsonWriter<E> {
    /// Serialises every knowledge-base text of `engine` once.
    pub fn new(engine: E) -> JsonWriter<E> {
        let texts = Texts::new(engine.borrow().kb(), engine.borrow());
        JsonWriter { engine, texts }
    }

    /// The engine whose texts this writer holds.
    pub fn engine(&self) -> &Engine {
        self.engine.borrow()
    }

    /// The assessment of `case` as the contract's typed model.
    pub fn model<'a>(&'a self, case: &'a Case, a: &'a Assessment<'_>) -> AssessmentJson<'a> {
        model(self.engine.borrow().kb(), &self.texts, case, a)
    }

    /// Appends the assessment of `case`, in `form`, as one line-free JSON object to `out`.
    pub fn write(&self, case: &Case, a: &Assessment<'_>, form: Form, out: &mut Vec<u8>) {
        let model = self.model(case, a);
        match form {
            Form::Full => model.write(out),
            Form::Compact => serde_json::to_writer(&mut *out, &Compact(&model))
                .expect("an assessment always serializes into a Vec"),
        }
    }
}

/// A JSON value written once.
type Raw = Box<RawValue>;

fn raw(value: impl Serialize) -> Raw {
    serde_json::value::to_raw_value(&value).expect("a knowledge-base text always serializes")
}

/// A rule's, red flag's or screen reason's texts.
#[derive(Debug)]
struct ReasonTexts {
    id: Raw,
    patient: Raw,
    clinician: Raw,
    source: Raw,
}

impl ReasonTexts {
    fn new(t: radiculo_engine::ReasonTexts<'_>) -> ReasonTexts {
        ReasonTexts {
            id: raw(t.id),
            patient: raw(t.patient),
            clinician: raw(t.clinician),
            source: raw(t.source),
        }
    }
}

#[derive(Debug)]
struct ConditionTexts {
    id: Raw,
    name: Raw,
    icd10: Raw,
    snomed: Option<Raw>,
    patient_name: Raw,
    mechanism: Raw,
    icd10_display: Raw,
}

#[derive(Debug)]
struct AdviceTexts {
    id: Raw,
    audience: Raw,
    text: Raw,
    source: Raw,
    topic: Raw,
}

#[derive(Debug)]
struct LevelTexts {
    name: Raw,
    headline: Raw,
    instruction: Raw,
    clinician_headline: Raw,
    clinician_instruction: Raw,
}

/// Every knowledge-base text of the output, serialised, by knowledge-base index.
#[derive(Debug)]
struct Texts {
    kb_version: Raw,
    disclaimer: Raw,
    findings: Vec<Raw>,
    finding_sources: Vec<Raw>,
    roots: Vec<Raw>,
    /// By `2 * root + side`.
    root_targets: Vec<Raw>,
    condition_targets: Vec<Raw>,
    /// In [`Mechanism::ALL`] order.
    mechanism_targets: Vec<Raw>,
    conditions: Vec<ConditionTexts>,
    red_flags: Vec<ReasonTexts>,
    rules: Vec<ReasonTexts>,
    screen_age: ReasonTexts,
    screen_open: ReasonTexts,
    default_reason: ReasonTexts,
    advice: Vec<AdviceTexts>,
    /// By level index.
    levels: Vec<LevelTexts>,
    /// By [`Side::index`].
    sides: [Raw; 2],
    /// `absent`, `present`.
    states: [Raw; 2],
    /// By likelihood word.
    likelihood: Vec<Raw>,
}

impl Texts {
    fn new(kb: &Kb, engine: &Engine) -> Texts {
        let findings = (0..kb.vocab.findings.len()).map(|i| FindingId(i as u16));
        let reason = |r: ReasonRef| ReasonTexts::new(r.texts(kb));
        Texts {
            kb_version: raw(&kb.version),
            disclaimer: raw(&kb.disclaimer),
            findings: findings.clone().map(|f| raw(&kb.vocab.def(f).id)).collect(),
            finding_sources: findings.map(|f| raw(engine.finding_source(f))).collect(),
            roots: kb.model.roots.iter().map(raw).collect(),
            root_targets: (0..kb.model.roots.len())
                .flat_map(|r| Side::BOTH.map(|s| ExplanationTarget::Root(r, s)))
                .map(|t| raw(target_name(kb, &t)))
                .collect(),
            condition_targets: (0..kb.model.conditions.len())
                .map(|c| raw(target_name(kb, &ExplanationTarget::Condition(c))))
                .collect(),
            mechanism_targets: Mechanism::ALL
                .iter()
                .map(|&m| raw(target_name(kb, &ExplanationTarget::Mechanism(m))))
                .collect(),
            conditions: kb
                .model
                .conditions
                .iter()
                .map(|c| ConditionTexts {
                    id: raw(&c.id),
                    name: raw(&c.name),
                    icd10: raw(&c.icd10),
                    snomed: c.snomed.as_ref().map(|(id, _)| raw(id)),
                    patient_name: raw(&c.patient_name),
                    mechanism: raw(c.mechanism.as_str()),
                    icd10_display: raw(&c.icd10_display),
                })
                .collect(),
            red_flags: (0..kb.red_flags.len())
                .map(|i| reason(ReasonRef::RedFlag(i)))
                .collect(),
            rules: (0..kb.rules.len())
                .map(|i| reason(ReasonRef::Rule(i)))
                .collect(),
            screen_age: reason(ReasonRef::ScreenAge),
            screen_open: reason(ReasonRef::ScreenOpen),
            default_reason: reason(ReasonRef::Default),
            advice: kb
                .advice
                .iter()
                .map(|p| AdviceTexts {
                    id: raw(&p.id),
                    audience: raw(p.audience.as_str()),
                    text: raw(&p.text),
                    source: raw(&p.source.text),
                    topic: raw(&p.topic),
                })
                .collect(),
            levels: kb
                .levels
                .iter()
                .map(|l| LevelTexts {
                    name: raw(l.level.as_str()),
                    headline: raw(&l.headline),
                    instruction: raw(&l.instruction),
                    clinician_headline: raw(&l.clinician_headline),
                    clinician_instruction: raw(&l.clinician_instruction),
                })
                .collect(),
            sides: Side::BOTH.map(|s| raw(s.as_str())),
            states: ["absent", "present"].map(raw),
            // An empty list of words gives the empty word, as `Kb::likelihood_word` does.
            likelihood: (kb.likelihood_words.iter().map(|w| w.word.as_str()))
                .chain(kb.likelihood_words.is_empty().then_some(""))
                .map(raw)
                .collect(),
        }
    }

    fn reason(&self, r: ReasonRef) -> &ReasonTexts {
        match r {
            ReasonRef::Rule(i) => &self.rules[i],
            ReasonRef::RedFlag(i) => &self.red_flags[i],
            ReasonRef::ScreenAge => &self.screen_age,
            ReasonRef::ScreenOpen => &self.screen_open,
            ReasonRef::Default => &self.default_reason,
        }
    }

    fn target(&self, t: &ExplanationTarget) -> &RawValue {
        match t {
            ExplanationTarget::Root(r, side) => &self.root_targets[2 * r + side.index()],
            ExplanationTarget::Condition(c) => &self.condition_targets[*c],
            ExplanationTarget::Mechanism(m) => &self.mechanism_targets[m.index()],
        }
    }
}

/// The contract's name of an explanation target: `L5.left`, a condition id, or a mechanism.
fn target_name(kb: &Kb, t: &ExplanationTarget) -> String {
    match t {
        ExplanationTarget::Root(r, side) => format!("{}.{}", kb.model.roots[*r], side.as_str()),
        ExplanationTarget::Condition(c) => kb.model.conditions[*c].id.clone(),
        ExplanationTarget::Mechanism(m) => m.as_str().to_string(),
    }
}

model! {
    /// The assessment, shaped for JSON: the contract's assessment (v1.1).
    pub struct AssessmentJson<'a> {
        /// The caller's case id, echoed.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub id: Option<&'a str>,
        /// The knowledge-base version.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub kb_version: &'a RawValue,
        /// What the tool is and is not.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub disclaimer: &'a RawValue,
        pub triage: TriageJson<'a>,
        pub red_flags: Vec<RedFlagJson<'a>>,
        pub mechanism: MechanismJson,
        pub roots: Vec<RootJson<'a>>,
        pub conditions: Vec<ConditionJson<'a>>,
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<ExplanationJson<'static>>))]
        pub explanation: Explanation<'a>,
        pub explanation_targets: Vec<TargetJson<'a>>,
        pub plan: Vec<PlanJson<'a>>,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<QuestionJson<'static>>))]
        pub next_question: OrNull<QuestionJson<'a>>,
    }

    pub struct TriageJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub level: &'a RawValue,
        /// What to do, in a few words, for the person (the knowledge base's text for the level).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub headline: &'a RawValue,
        /// Where to go and how fast, for the person.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub instruction: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub clinician_headline: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub clinician_instruction: &'a RawValue,
        pub reasons: Vec<ReasonJson<'a>>,
    }

    pub struct ReasonJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub text: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        pub findings: Findings<'a>,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub level: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub rule: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub clinician_text: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub source: &'a RawValue,
    }

    pub struct RedFlagJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub id: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub text: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        pub findings: Findings<'a>,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub clinician_text: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub min_level: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub source: &'a RawValue,
    }

    pub struct MechanismJson {
        pub radicular: f64,
        pub referred: f64,
        pub other: f64,
    }

    pub struct RootJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub root: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub side: &'a RawValue,
        pub probability: f64,
        /// The probability in words, for people who prefer words.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub likelihood: &'a RawValue,
    }

    pub struct ConditionJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub id: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub name: &'a RawValue,
        pub probability: f64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub icd10: &'a RawValue,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub snomed: Option<&'a RawValue>,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub patient_name: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub mechanism: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub icd10_display: &'a RawValue,
        /// The probability in words, for people who prefer words.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub likelihood: &'a RawValue,
    }

    pub struct ExplanationJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub finding: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub target: &'a RawValue,
        pub weight: f64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub source: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub state: &'a RawValue,
    }

    pub struct TargetJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub target: &'a RawValue,
        pub prior_log_odds: f64,
        pub posterior_log_odds: f64,
        pub prior_probability: f64,
        pub posterior_probability: f64,
    }

    pub struct PlanJson<'a> {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub id: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub audience: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub text: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub source: &'a RawValue,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub topic: &'a RawValue,
        /// For an item that lists questions still to answer: those not yet answered.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
        pub unanswered: Option<OwnedFindings<'a>>,
    }

    pub struct QuestionJson<'a> {
        pub id: &'a str,
        pub text: &'a str,
        pub why: &'a str,
        /// `finding`, `group` or `number`.
        pub kind: &'static str,
        /// The group's finding ids (the contract's field).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
        pub items: Option<Findings<'a>>,
        /// For a number: the range and what its ends mean.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub min: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub max: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub min_label: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub max_label: Option<&'a str>,
    }
}

impl<'a> PlanJson<'a> {
    fn new(t: &'a AdviceTexts, unanswered: Option<OwnedFindings<'a>>) -> PlanJson<'a> {
        PlanJson {
            id: &t.id,
            audience: &t.audience,
            text: &t.text,
            source: &t.source,
            topic: &t.topic,
            unanswered,
        }
    }
}

/// Finding ids, written as their serialised ids.
#[derive(Debug, Clone, Copy)]
pub struct Findings<'a> {
    ids: &'a [FindingId],
    texts: &'a [Raw],
}

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.ids.iter().map(|f| &*self.texts[f.index()]))
    }
}

/// Finding ids worked out for this rendering (the questions a plan item lists that are still
/// unanswered).
#[derive(Debug)]
pub struct OwnedFindings<'a> {
    ids: Vec<FindingId>,
    texts: &'a [Raw],
}

impl Serialize for OwnedFindings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_findings().serialize(s)
    }
}

impl Wire for Findings<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        wire::list(self.ids.iter().map(|f| &*self.texts[f.index()]), out);
    }
}

impl Wire for OwnedFindings<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        self.as_findings().write(out);
    }
}

impl<'a> Findings<'a> {
    /// The findings, by knowledge-base id.
    pub fn ids(&self) -> &'a [FindingId] {
        self.ids
    }
}

impl OwnedFindings<'_> {
    /// The findings, by knowledge-base id.
    pub fn ids(&self) -> &[FindingId] {
        &self.ids
    }

    fn as_findings(&self) -> Findings<'_> {
        Findings {
            ids: &self.ids,
            texts: self.texts,
        }
    }
}

/// The explanation, held in the order the weights add up (each conclusion's chain, which the
/// compact form lists); the full form lists each conclusion's weights strongest first.
#[derive(Debug)]
pub struct Explanation<'a> {
    rows: Vec<ExplanationJson<'a>>,
    /// Indices into `rows`: each conclusion's strongest first, equal weights in chain order.
    strongest_first: Vec<usize>,
}

impl<'a> Explanation<'a> {
    fn new(a: &Assessment<'_>, texts: &'a Texts) -> Explanation<'a> {
        let len = a.explanations.iter().map(|e| e.weights.len()).sum();
        let mut rows = Vec::with_capacity(len);
        let mut strongest_first = Vec::with_capacity(len);
        for e in &a.explanations {
            let target = texts.target(&e.target);
            let start = rows.len();
            rows.extend(e.weights.iter().map(|w| ExplanationJson {
                finding: &texts.findings[w.finding.index()],
                target,
                weight: w.weight,
                source: &texts.finding_sources[w.finding.index()],
                state: &texts.states[usize::from(w.present)],
            }));
            strongest_first.extend(start..rows.len());
            // A stable sort, so equal weights keep the chain order.
            strongest_first[start..].sort_by(|&x, &y| {
                let weight = |i: usize| rows[i].weight.abs();
                weight(y).total_cmp(&weight(x))
            });
        }
        Explanation {
            rows,
            strongest_first,
        }
    }

    /// Every row, each conclusion's weights in the order they add up (the compact form's).
    pub fn in_chain_order(&self) -> &[ExplanationJson<'a>] {
        &self.rows
    }

    /// Every row as the full form lists it: each conclusion's strongest weight first.
    pub fn listed(&self) -> impl Iterator<Item = &ExplanationJson<'a>> {
        self.strongest_first.iter().map(|&i| &self.rows[i])
    }
}

impl Serialize for Explanation<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.listed())
    }
}

impl Wire for Explanation<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        wire::list(self.listed(), out);
    }
}

/// The text a model field holds: the model keeps every knowledge-base text as serialised
/// JSON, written once per engine, and a rendering that is not JSON (FHIR, a text report) reads
/// it back.
///
/// # Panics
/// On a value that is not a JSON string; the model's text fields are all strings.
pub fn text(raw: &RawValue) -> String {
    serde_json::from_str(raw.get()).expect("a model text is a JSON string")
}

fn sigmoid(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

/// The likelihood word for a probability (the first it reaches, else the last).
fn likelihood<'a>(kb: &Kb, texts: &'a Texts, p: f64) -> &'a RawValue {
    let i = kb.likelihood_words.iter().position(|w| p >= w.at_least);
    &texts.likelihood[i.unwrap_or(texts.likelihood.len() - 1)]
}

fn model<'a>(
    kb: &'a Kb,
    texts: &'a Texts,
    case: &'a Case,
    a: &'a Assessment<'_>,
) -> AssessmentJson<'a> {
    let findings = |ids: &'a [FindingId]| Findings {
        ids,
        texts: &texts.findings,
    };
    let reason = |r: &'a TriageReason| {
        let t = texts.reason(r.reason);
        ReasonJson {
            text: &t.patient,
            findings: findings(&r.findings),
            level: &texts.levels[r.level.index()].name,
            rule: &t.id,
            clinician_text: &t.clinician,
            source: &t.source,
        }
    };
    let level = &texts.levels[a.triage.level.index()];
    let mechanism = |m: Mechanism| a.mechanism[m.index()];
    AssessmentJson {
        id: case.id.as_deref(),
        kb_version: &texts.kb_version,
        disclaimer: &texts.disclaimer,
        triage: TriageJson {
            level: &level.name,
            headline: &level.headline,
            instruction: &level.instruction,
            clinician_headline: &level.clinician_headline,
            clinician_instruction: &level.clinician_instruction,
            reasons: a.triage.reasons.iter().map(reason).collect(),
        },
        red_flags: a
            .red_flags
            .iter()
            .map(|f| {
                let t = &texts.red_flags[f.flag];
                RedFlagJson {
                    id: &t.id,
                    text: &t.patient,
                    findings: findings(&f.findings),
                    clinician_text: &t.clinician,
                    min_level: &texts.levels[f.def(kb).min_level.index()].name,
                    source: &t.source,
                }
            })
            .collect(),
        mechanism: MechanismJson {
            radicular: mechanism(Mechanism::Radicular),
            referred: mechanism(Mechanism::Referred),
            other: mechanism(Mechanism::Other),
        },
        roots: a
            .roots
            .iter()
            .map(|r| RootJson {
                root: &texts.roots[r.root],
                side: &texts.sides[r.side.index()],
                probability: r.probability,
                likelihood: likelihood(kb, texts, r.probability),
            })
            .collect(),
        conditions: a
            .conditions
            .iter()
            .map(|c| {
                let t = &texts.conditions[c.condition];
                ConditionJson {
                    id: &t.id,
                    name: &t.name,
                    probability: c.probability,
                    icd10: &t.icd10,
                    snomed: t.snomed.as_deref(),
                    patient_name: &t.patient_name,
                    mechanism: &t.mechanism,
                    icd10_display: &t.icd10_display,
                    likelihood: likelihood(kb, texts, c.probability),
                }
            })
            .collect(),
        explanation: Explanation::new(a, texts),
        explanation_targets: a
            .explanations
            .iter()
            .map(|e| TargetJson {
                target: texts.target(&e.target),
                prior_log_odds: e.prior_log_odds,
                posterior_log_odds: e.posterior_log_odds,
                prior_probability: sigmoid(e.prior_log_odds),
                posterior_probability: sigmoid(e.posterior_log_odds),
            })
            .collect(),
        plan: a
            .plan
            .iter()
            .map(|&i| {
                let lists = &kb.advice[i].lists_unanswered;
                let unanswered = (!lists.is_empty()).then(|| OwnedFindings {
                    ids: case.unanswered(lists),
                    texts: &texts.findings,
                });
                PlanJson::new(&texts.advice[i], unanswered)
            })
            .collect(),
        next_question: OrNull(a.next_question.as_ref().map(|q| {
            let number = match &q.kind {
                QuestionKind::Number(n) => Some(*n),
                _ => None,
            };
            QuestionJson {
                id: q.id,
                text: q.text,
                why: &q.why,
                kind: match &q.kind {
                    QuestionKind::Finding(_) => "finding",
                    QuestionKind::Group(_) => "group",
                    QuestionKind::Number(_) => "number",
                },
                items: match &q.kind {
                    QuestionKind::Group(items) => Some(findings(items)),
                    _ => None,
                },
                min: number.map(|n| n.min),
                max: number.map(|n| n.max),
                min_label: number.map(|n| n.min_label.as_str()),
                max_label: number.map(|n| n.max_label.as_str()),
            }
        })),
    }
}

/// The compact form: a view of the model without its sentences (see [`Form::Compact`]).
struct Compact<'m>(&'m AssessmentJson<'m>);

/// A list written as each item's rendering.
struct Each<'m, T, F>(&'m [T], F);

impl<T, U: Serialize, F: Fn(&T) -> U> Serialize for Each<'_, T, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(&self.1))
    }
}

#[derive(Serialize)]
struct CompactTriage<'m, R: Serialize> {
    level: &'m RawValue,
    reasons: R,
}

#[derive(Serialize)]
struct CompactFlag<'m> {
    id: &'m RawValue,
    findings: Findings<'m>,
}

impl<'m> Serialize for Compact<'m> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut o = s.serialize_struct("Assessment", 10)?;
        if let Some(id) = m.id {
            o.serialize_field("id", id)?;
        }
        o.serialize_field("kb_version", m.kb_version)?;
        o.serialize_field(
            "triage",
            &CompactTriage {
                level: m.triage.level,
                reasons: Each(&m.triage.reasons, |r: &ReasonJson<'m>| {
                    (r.rule, r.level, r.findings)
                }),
            },
        )?;
        o.serialize_field(
            "red_flags",
            &Each(&m.red_flags, |f: &RedFlagJson<'m>| CompactFlag {
                id: f.id,
                findings: f.findings,
            }),
        )?;
        let mech = &m.mechanism;
        o.serialize_field("mechanism", &[mech.radicular, mech.referred, mech.other])?;
        o.serialize_field(
            "roots",
            &Each(&m.roots, |r: &RootJson<'m>| (r.root, r.side, r.probability)),
        )?;
        o.serialize_field(
            "conditions",
            &Each(&m.conditions, |c: &ConditionJson<'m>| {
                (c.id, c.probability, c.icd10)
            }),
        )?;
        o.serialize_field(
            "explanation",
            &Each(&m.explanation.rows, |e: &ExplanationJson<'m>| {
                (e.finding, e.target, e.weight)
            }),
        )?;
        o.serialize_field("plan", &Each(&m.plan, |p: &PlanJson<'m>| p.id))?;
        if let Some(q) = &m.next_question.0 {
            o.serialize_field("next_question", q.id)?;
        }
        o.end()
    }
}
