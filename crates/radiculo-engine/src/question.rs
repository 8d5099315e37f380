//! The next most useful question.
//!
//! Order of business: an emergency ends the interview; a `first` group (the body map) opens it
//! and is asked while most of it is unanswered; a group with a condition (the causes of a foot
//! drop) is asked as soon as it holds;
//! a mandatory group (the red-flag checklists) is asked as soon as the answers so far make any
//! of its items likely; the pain score once there is pain; otherwise the single question with
//! the highest expected value, where
//! value is the expected information gained about the condition and the affected root plus the
//! chance that the answer changes the triage level; and before the interview may end, every
//! mandatory group still unanswered. When no answer could change the triage level, the leading
//! condition or the leading root, and every mandatory group has been asked, there is no next
//! question.

use radiculo_kb::{FindingId, FindingSet, GroupDef, NumberQuestionDef, TriageLevel};

use crate::safety::{Facts, SameView, Triage};
use crate::tables::{PRESENT, Tables};
use crate::{Case, Engine, Mode, argmax};

/// The id of the pain-score question (the case field it sets).
pub const PAIN_SCORE: &str = "pain_score";

/// A mandatory group is asked early once any of its items is at least this likely.
/// (Interview policy, not a clinical number: the checklists are asked of everyone anyway.)
const ASK_GROUP_EARLY: f64 = 0.05;
/// An answer less likely than this is not considered able to change anything...
const MIN_ANSWER_PROBABILITY: f64 = 0.05;
/// ...unless it would make the case an emergency: missing one is the costliest error, so such
/// a question is worth asking down to this probability.
const MIN_EMERGENCY_ANSWER_PROBABILITY: f64 = 0.01;
/// A change of leading root matters only when one of the two roots is at least this likely.
const MIN_ROOT_PROBABILITY: f64 = 0.3;

/// The question to ask next.
#[derive(Debug, Clone, PartialEq)]
pub struct Question<'e> {
    /// A finding id, a group id, or [`PAIN_SCORE`].
    pub id: &'e str,
    /// The question, worded for the mode.
    pub text: &'e str,
    /// Why it is asked, in plain words.
    pub why: String,
    /// What kind of answer it takes.
    pub kind: QuestionKind<'e>,
}

/// What a question asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind<'e> {
    /// Yes, no or not sure about one finding.
    Finding(FindingId),
    /// Each of several findings at once (answering sets each one).
    Group(Vec<FindingId>),
    /// A whole number in a range (the pain score, which sets the case field of that name).
    Number(&'e NumberQuestionDef),
}

impl Question<'_> {
    /// The findings the question asks about: one, a group's, or none for a number.
    pub fn findings(&self) -> Vec<FindingId> {
        match &self.kind {
            QuestionKind::Finding(f) => vec![*f],
            QuestionKind::Group(items) => items.clone(),
            QuestionKind::Number(_) => Vec::new(),
        }
    }
}

pub(crate) fn next<'e>(
    engine: &'e Engine,
    case: &Case,
    facts: &Facts,
    post: &[f64],
    triage: &Triage,
) -> Option<Question<'e>> {
    if triage.level == TriageLevel::Emergency {
        return None;
    }
    let kb = engine.kb();
    let tables = engine.tables();
    let asked = case.asked_set();
    // A group's items still to ask: unanswered, and only those a person can answer in patient
    // mode (a clinician examines; a person does not).
    let unknown_items = |g: &GroupDef| -> Vec<FindingId> {
        let mut items = Vec::with_capacity(g.items.len());
        items.extend(g.items.iter().copied().filter(|f| {
            !asked.contains(*f) && (case.mode == Mode::Clinician || !kb.vocab.def(*f).examiner)
        }));
        items
    };
    let ask_group = |g: &'e GroupDef, items: Vec<FindingId>| Question {
        id: &g.id,
        text: match case.mode {
            Mode::Patient => &g.patient,
            Mode::Clinician => &g.clinician,
        },
        why: g.why.clone(),
        kind: QuestionKind::Group(items),
    };
    // The opening group (the body map) is asked while most of it is unanswered: a caller who
    // sent a few regions is shown the rest of the map, not asked region by region.
    for g in kb.groups.iter().filter(|g| g.first) {
        let items = unknown_items(g);
        if items.len() * 2 > g.items.len() {
            return Some(ask_group(g, items));
        }
    }
    let sides = [
        kb.vocab.side_set(radiculo_kb::Side::Left),
        kb.vocab.side_set(radiculo_kb::Side::Right),
    ];
    // A mandatory group is due once its condition holds (always, for one without).
    let due = |g: &GroupDef| {
        g.mandatory
            && g.when
                .as_ref()
                .is_none_or(|w| crate::safety::holds(w, facts, sides))
    };
    // A group with a condition is asked as soon as the condition holds.
    for g in kb.groups.iter().filter(|g| g.when.is_some() && due(g)) {
        let items = unknown_items(g);
        if !items.is_empty() {
            return Some(ask_group(g, items));
        }
    }
    let mut riskiest: Option<(f64, &GroupDef, Vec<FindingId>)> = None;
    for g in kb.groups.iter().filter(|g| due(g)) {
        let items = unknown_items(g);
        if items.is_empty() {
            continue;
        }
        let risk = any_present(tables, post, &items);
        if risk >= ASK_GROUP_EARLY && riskiest.as_ref().is_none_or(|(r, ..)| risk > *r) {
            riskiest = Some((risk, g, items));
        }
    }
    if let Some((_, g, items)) = riskiest {
        return Some(ask_group(g, items));
    }
    if !case.pain_score_asked && crate::safety::holds(&kb.pain_score.when, facts, sides) {
        let q = &kb.pain_score;
        return Some(Question {
            id: PAIN_SCORE,
            text: match case.mode {
                Mode::Patient => &q.patient,
                Mode::Clinician => &q.clinician,
            },
            why: q.why.clone(),
            kind: QuestionKind::Number(q),
        });
    }
    if let Some(q) = best_single(engine, case, facts, post, triage, &due) {
        return Some(q);
    }
    kb.groups.iter().filter(|g| due(g)).find_map(|g| {
        let items = unknown_items(g);
        (!items.is_empty()).then(|| ask_group(g, items))
    })
}

/// P(at least one of these unknown findings is present).
fn any_present(tables: &Tables, post: &[f64], items: &[FindingId]) -> f64 {
    let mut none = post.to_vec();
    for f in items {
        if let Some(p) = present_given_h(tables, *f) {
            for (x, p) in none.iter_mut().zip(p) {
                *x *= 1.0 - p;
            }
        }
    }
    1.0 - none.iter().sum::<f64>()
}

/// P(f present | h) for an unknown single finding, per hypothesis.
fn present_given_h(tables: &Tables, f: FindingId) -> Option<&[f64]> {
    let (unit, _) = tables.finding_unit[f.index()]?;
    let u = &tables.units[usize::from(unit)];
    (u.members.len() == 1).then(|| tables.row(&tables.lik, u.offset + PRESENT))
}

struct Summary {
    conditions: Vec<f64>,
    mechanisms: [f64; 3],
    /// P(single reported root-side `i`) for `i < 2 * reported roots`, then P(several roots),
    /// then P(no root).
    root_classes: Vec<f64>,
}

impl Summary {
    fn of(
        tables: &Tables,
        n_conditions: usize,
        n_roots: usize,
        weights: impl Iterator<Item = f64>,
    ) -> Summary {
        let mut conditions = vec![0.0; n_conditions];
        let mut mechanisms = [0.0; 3];
        let mut root_classes = vec![0.0; 2 * n_roots + 2];
        for (h, w) in tables.hyps.iter().zip(weights) {
            conditions[h.condition] += w;
            mechanisms[h.mechanism.index()] += w;
            root_classes[h.root_class.index(n_roots)] += w;
        }
        let total: f64 = conditions.iter().sum();
        for x in conditions
            .iter_mut()
            .chain(root_classes.iter_mut())
            .chain(mechanisms.iter_mut())
        {
            *x /= total;
        }
        Summary {
            conditions,
            mechanisms,
            root_classes,
        }
    }

    fn entropy(&self) -> f64 {
        entropy(&self.conditions) + entropy(&self.root_classes)
    }

    fn top_condition(&self) -> usize {
        argmax(&self.conditions)
    }

    /// The leading single root-side, if any is likely enough to matter.
    fn top_root(&self) -> Option<usize> {
        let singles = &self.root_classes[..self.root_classes.len() - 2];
        let i = argmax(singles);
        (singles[i] >= MIN_ROOT_PROBABILITY).then_some(i)
    }
}

fn entropy(p: &[f64]) -> f64 {
    p.iter().filter(|x| **x > 0.0).map(|x| -x * x.log2()).sum()
}

fn best_single<'e>(
    engine: &'e Engine,
    case: &Case,
    facts: &Facts,
    post: &[f64],
    triage: &Triage,
    due: &dyn Fn(&GroupDef) -> bool,
) -> Option<Question<'e>> {
    let kb = engine.kb();
    let tables = engine.tables();
    let n_c = kb.model.conditions.len();
    let n_r = kb.model.reported_roots;
    let now = Summary::of(tables, n_c, n_r, post.iter().copied());
    let h_now = now.entropy();
    let asked = case.asked_set();
    // Findings a group asks together are left to that group; a group whose condition does
    // not hold leaves its findings to be asked one by one.
    let mut grouped = FindingSet::EMPTY;
    for g in kb.groups.iter().filter(|g| g.first || due(g)) {
        grouped = grouped.or(&g.set);
    }
    let mut best: Option<(f64, FindingId, Why)> = None;
    for (i, def) in kb.vocab.findings.iter().enumerate() {
        let f = FindingId(i as u16);
        if asked.contains(f) || grouped.contains(f) {
            continue;
        }
        if case.mode == Mode::Patient && (def.examiner || def.question_patient.is_none()) {
            continue;
        }
        let Some(p_h) = present_given_h(tables, f) else {
            continue;
        };
        let p_yes: f64 = post.iter().zip(p_h).map(|(a, b)| a * b).sum();
        let p_no = 1.0 - p_yes;
        let yes = Summary::of(tables, n_c, n_r, post.iter().zip(p_h).map(|(a, b)| a * b));
        let no = Summary::of(
            tables,
            n_c,
            n_r,
            post.iter().zip(p_h).map(|(a, b)| a * (1.0 - b)),
        );
        let level_if_yes = {
            let (mut present, mut known) = (*facts.present, *facts.known);
            present.insert(f);
            known.insert(f);
            let then = Facts {
                present: &present,
                known: &known,
                ..*facts
            }
            .with_model(&yes.conditions, &yes.mechanisms);
            crate::safety::level(kb, &then, &mut SameView)
        };
        let triage_changes = level_if_yes != triage.level
            || crate::safety::advances_more_urgent_rule(kb, facts, f, triage.level);
        let min_yes = if level_if_yes == TriageLevel::Emergency {
            MIN_EMERGENCY_ANSWER_PROBABILITY
        } else {
            MIN_ANSWER_PROBABILITY
        };
        let mut why = None;
        if triage_changes && p_yes >= min_yes {
            why = Some(Why::Triage);
        }
        for (s, p) in [(&yes, p_yes), (&no, p_no)] {
            if why.is_some() || p < MIN_ANSWER_PROBABILITY {
                continue;
            }
            if s.top_condition() != now.top_condition() {
                why = Some(Why::Condition(now.top_condition(), s.top_condition()));
            } else if let (Some(a), Some(b)) = (now.top_root(), s.top_root())
                && a != b
            {
                why = Some(Why::Root(a, b));
            }
        }
        let Some(why) = why else { continue };
        let gain = h_now - p_yes * yes.entropy() - p_no * no.entropy();
        // A "yes" that raises the level is worth its probability times the levels it raises
        // (at least one): a path to an emergency comes before a path to a routine review.
        let raised = level_if_yes
            .index()
            .saturating_sub(triage.level.index())
            .max(1);
        let score = gain
            + if triage_changes {
                p_yes * raised as f64
            } else {
                0.0
            };
        if best.as_ref().is_none_or(|(s, ..)| score > *s) {
            best = Some((score, f, why));
        }
    }
    let (_, f, why) = best?;
    let def = kb.vocab.def(f);
    Some(Question {
        id: &def.id,
        text: match case.mode {
            Mode::Patient => def
                .question_patient
                .as_deref()
                .unwrap_or(&def.question_clinician),
            Mode::Clinician => &def.question_clinician,
        },
        why: why.text(engine, case.mode),
        kind: QuestionKind::Finding(f),
    })
}

enum Why {
    Triage,
    Condition(usize, usize),
    Root(usize, usize),
}

impl Why {
    fn text(&self, engine: &Engine, mode: Mode) -> String {
        let kb = engine.kb();
        let root_name = |class: usize| {
            let root = &kb.model.roots[class / 2];
            // Root classes are `2 * root + side`, as in `Hypothesis::roots`.
            let side = if class.is_multiple_of(2) {
                "left"
            } else {
                "right"
            };
            format!("{side} {root}")
        };
        let condition_name = |c: usize| {
            let def = &kb.model.conditions[c];
            match mode {
                Mode::Patient => def.patient_name.to_lowercase(),
                Mode::Clinician => def.name.to_lowercase(),
            }
        };
        match *self {
            Why::Triage => kb.why.triage.clone(),
            Why::Condition(a, b) => kb
                .why
                .condition
                .replace("{a}", &condition_name(a))
                .replace("{b}", &condition_name(b)),
            Why::Root(a, b) => kb
                .why
                .root
                .replace("{a}", &root_name(a))
                .replace("{b}", &root_name(b)),
        }
    }
}
