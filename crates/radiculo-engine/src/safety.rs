//! The deterministic layer: red flags, triage and the plan.
//!
//! Red flags and triage rules read which findings are present, the age and the duration, so
//! adding a present finding can only make more of them fire. A triage rule may also read the
//! posterior (kb `condition_at_least`, `mechanism_at_least`). The posterior moves with every
//! answer, so such a rule is evaluated on a posterior that is blind to each red-flag finding
//! that could lower the probabilities it reads (its *blind set*, see [`crate::blind`]): adding a
//! present red-flag finding then either leaves that posterior unchanged (the finding is in the
//! blind set), or can only raise what the rule reads (the finding is dominant for it), or lifts
//! the level by its own red flag at least as high as the rule. So adding a red-flag finding never
//! lowers the level, whatever the model says.
//!
//! The level is the highest of every fired rule, every raised red flag's minimum, the red-flag
//! screen's floor (self-care needs every screen question answered "no" below an age) and the
//! default. The plan may also read the final level, the leading conclusions, which findings are
//! answered at all, and the pain score.

use radiculo_kb::{
    FindingId, FindingSet, Kb, Mechanism, Predicate, RedFlagDef, RuleDef, Side, TriageLevel,
};

use crate::{Case, argmax};

/// What a predicate may read.
#[derive(Clone, Copy)]
pub(crate) struct Facts<'a> {
    pub present: &'a FindingSet,
    /// Findings answered present or absent.
    pub known: &'a FindingSet,
    pub age: u8,
    pub duration_days: Option<u32>,
    pub pain_score: Option<u8>,
    /// The final level (advice only).
    pub triage: Option<TriageLevel>,
    /// Posterior marginals; empty when the model is not consulted.
    pub conditions: &'a [f64],
    pub mechanisms: &'a [f64; 3],
    /// The leading condition (index) and mechanism, found once.
    pub top_condition: usize,
    pub top_mechanism: Mechanism,
}

impl<'a> Facts<'a> {
    /// The facts of a case without the model.
    pub(crate) fn new(case: &Case, present: &'a FindingSet, known: &'a FindingSet) -> Facts<'a> {
        Facts {
            present,
            known,
            age: case.age,
            duration_days: case.duration_days,
            pain_score: case.pain_score,
            triage: None,
            conditions: &[],
            mechanisms: &[0.0; 3],
            top_condition: 0,
            top_mechanism: Mechanism::ALL[0],
        }
    }

    /// The same facts with the posterior marginals.
    pub(crate) fn with_model(self, conditions: &'a [f64], mechanisms: &'a [f64; 3]) -> Facts<'a> {
        Facts {
            conditions,
            mechanisms,
            top_condition: argmax(conditions),
            top_mechanism: Mechanism::ALL[argmax(mechanisms)],
            ..self
        }
    }
}

pub(crate) fn holds(p: &Predicate, f: &Facts, sides: [&FindingSet; 2]) -> bool {
    // The triage test first: it is the cheapest and rules out most advice items.
    (p.triage_in.is_empty() || f.triage.is_some_and(|t| p.triage_in.contains(&t)))
        && p.all_of.iter().all(|set| set.intersects(f.present))
        && !p.none.intersects(f.present)
        && p.bilateral.as_ref().is_none_or(|set| {
            let hit = set.and(f.present);
            hit.intersects(sides[0]) && hit.intersects(sides[1])
        })
        && case_fields_hold(p, f)
        && p.all_answered.and(f.known) == p.all_answered
        && p.any_unanswered.is_none_or(|set| set.and(f.known) != set)
        && p.condition_at_least
            .iter()
            .all(|(c, min)| f.conditions[*c] >= *min)
        && p.mechanism_at_least
            .iter()
            .all(|(m, min)| f.mechanisms[m.index()] >= *min)
        && (p.top_condition.is_empty() || p.top_condition.contains(&f.top_condition))
        && (p.top_mechanism.is_empty() || p.top_mechanism.contains(&f.top_mechanism))
}

/// The parts of a predicate no answer to a finding question can change.
fn case_fields_hold(p: &Predicate, f: &Facts) -> bool {
    p.age_at_least.is_none_or(|a| f.age >= a)
        && p.age_below.is_none_or(|a| f.age < a)
        && p.duration_days_at_least
            .is_none_or(|d| f.duration_days.is_some_and(|x| x >= d))
        && p.duration_days_below
            .is_none_or(|d| f.duration_days.is_some_and(|x| x < d))
        && p.duration_unknown_or_below
            .is_none_or(|d| f.duration_days.is_none_or(|x| x < d))
        && p.pain_score_at_least
            .is_none_or(|s| f.pain_score.is_some_and(|x| x >= s))
        && p.pain_score_below
            .is_none_or(|s| f.pain_score.is_some_and(|x| x < s))
}

/// How many more present findings a rule needs before it fires: one per unmet `all_of` set and
/// one per side still missing from `bilateral`; `None` when answers cannot make it fire (age or
/// duration rule it out). The posterior is not counted: it is not something a question sets.
pub(crate) fn distance(p: &Predicate, f: &Facts, sides: [&FindingSet; 2]) -> Option<usize> {
    if !case_fields_hold(p, f) {
        return None;
    }
    let mut missing = p
        .all_of
        .iter()
        .filter(|set| !set.intersects(f.present))
        .count();
    if let Some(set) = &p.bilateral {
        let hit = set.and(f.present);
        missing += sides.iter().filter(|side| !hit.intersects(side)).count();
    }
    Some(missing)
}

/// Whether answering `added` present would bring a rule more urgent than `level` closer to
/// firing, when it is at most two answers away: a lookahead so that the interview pursues a
/// two-step path to a more urgent level (progressive weakness, then the other leg).
pub(crate) fn advances_more_urgent_rule(
    kb: &Kb,
    facts: &Facts,
    added: FindingId,
    level: TriageLevel,
) -> bool {
    let mut with = *facts.present;
    with.insert(added);
    let then = Facts {
        present: &with,
        ..*facts
    };
    let sides = sides(kb);
    kb.rules.iter().filter(|r| r.level > level).any(|r| {
        match (
            distance(&r.when, facts, sides),
            distance(&r.when, &then, sides),
        ) {
            (Some(a), Some(b)) => a <= 2 && b < a,
            _ => false,
        }
    })
}

/// The present findings a predicate points at: those in any of its finding sets.
fn named(p: &Predicate, present: &FindingSet) -> FindingSet {
    let mut set = FindingSet::EMPTY;
    for s in &p.all_of {
        set = set.or(&s.and(present));
    }
    if let Some(b) = &p.bilateral {
        set = set.or(&b.and(present));
    }
    set
}

/// A raised red flag.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedFlag {
    /// Index into the knowledge base's red flags.
    pub flag: usize,
    /// The present findings that raised it.
    pub findings: Vec<FindingId>,
}

impl RaisedFlag {
    /// The red flag's definition.
    pub fn def<'k>(&self, kb: &'k Kb) -> &'k RedFlagDef {
        &kb.red_flags[self.flag]
    }
}

/// Which part of the knowledge base gives a triage reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonRef {
    /// A triage rule (index into the knowledge base's rules).
    Rule(usize),
    /// A raised red flag (index into the knowledge base's red flags).
    RedFlag(usize),
    /// The red-flag screen: the age at which self-care alone is not offered.
    ScreenAge,
    /// The red-flag screen: questions still open.
    ScreenOpen,
    /// Nothing fired: the default level.
    Default,
}

/// A triage reason's texts, from the knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonTexts<'k> {
    /// The rule, red flag or screen reason id (`default` when nothing fired).
    pub id: &'k str,
    /// The reason, for the person.
    pub patient: &'k str,
    /// The reason, for clinicians.
    pub clinician: &'k str,
    /// The guidance behind it.
    pub source: &'k str,
}

impl ReasonRef {
    /// The id the contract gives the default reason.
    pub const DEFAULT_ID: &str = "default";

    /// The reason's texts.
    pub fn texts(self, kb: &Kb) -> ReasonTexts<'_> {
        // Rules, red flags and screen reasons all carry the same four texts.
        macro_rules! texts {
            ($r:expr) => {
                ReasonTexts {
                    id: &$r.id,
                    patient: &$r.patient,
                    clinician: &$r.clinician,
                    source: &$r.source.text,
                }
            };
        }
        match self {
            ReasonRef::Rule(i) => texts!(kb.rules[i]),
            ReasonRef::RedFlag(i) => texts!(kb.red_flags[i]),
            ReasonRef::ScreenAge => texts!(kb.screen.age),
            ReasonRef::ScreenOpen => texts!(kb.screen.open),
            ReasonRef::Default => {
                let d = &kb.default_triage;
                ReasonTexts {
                    id: Self::DEFAULT_ID,
                    patient: &d.patient,
                    clinician: &d.clinician,
                    source: &d.source.text,
                }
            }
        }
    }
}

/// Why the case has (at least) a level.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageReason {
    /// The level this reason gives.
    pub level: TriageLevel,
    /// The rule, red flag or screen reason (its texts: [`ReasonRef::texts`]).
    pub reason: ReasonRef,
    /// The findings behind it (for the red-flag screen: the screen questions still open).
    pub findings: Vec<FindingId>,
}

/// The triage level and every reason for it, most urgent first.
#[derive(Debug, Clone, PartialEq)]
pub struct Triage {
    /// The level.
    pub level: TriageLevel,
    /// Every fired rule, raised red flag and screen reason, most urgent first.
    pub reasons: Vec<TriageReason>,
}

pub(crate) fn red_flags(kb: &Kb, facts: &Facts) -> Vec<RaisedFlag> {
    let sides = sides(kb);
    raised(kb, facts, sides)
        .map(|(flag, def)| {
            let mut hit = def.findings.and(facts.present);
            if let Some(w) = &def.when {
                hit = hit.or(&named(w, facts.present));
            }
            RaisedFlag {
                flag,
                findings: hit.iter().collect(),
            }
        })
        .collect()
}

/// The raised red flags, with their indices.
fn raised<'e>(
    kb: &'e Kb,
    facts: &Facts,
    sides: [&FindingSet; 2],
) -> impl Iterator<Item = (usize, &'e RedFlagDef)> {
    kb.red_flags
        .iter()
        .enumerate()
        .filter(|(_, f)| f.findings.intersects(facts.present))
        .filter(move |(_, f)| f.when.as_ref().is_none_or(|w| holds(w, facts, sides)))
}

/// Posterior marginals as a model-reading rule sees them: the case's own, or those of the case
/// without the rule's blind findings.
pub(crate) trait RuleView {
    /// The marginals rule `rule` (an index into the knowledge base's rules) reads, when they
    /// differ from the case's own; `None` to read the case's.
    fn blind(&mut self, rule: usize) -> Option<(&[f64], &[f64; 3])>;
}

/// No blind posteriors: every rule reads the case's own marginals (the interview's lookahead,
/// which only estimates whether an answer could change the level).
pub(crate) struct SameView;

impl RuleView for SameView {
    fn blind(&mut self, _: usize) -> Option<(&[f64], &[f64; 3])> {
        None
    }
}

/// Calls `fired` with each rule that fires, in file order.
fn fired_rules<'e>(
    kb: &'e Kb,
    facts: &Facts,
    view: &mut dyn RuleView,
    mut fired: impl FnMut(usize, &'e RuleDef),
) {
    let sides = sides(kb);
    for (i, r) in kb.rules.iter().enumerate() {
        let blind = if r.when.reads_model() {
            view.blind(i)
        } else {
            None
        };
        let holds = match blind {
            Some((conditions, mechanisms)) => {
                holds(&r.when, &facts.with_model(conditions, mechanisms), sides)
            }
            None => holds(&r.when, facts, sides),
        };
        if holds {
            fired(i, r);
        }
    }
}

/// The red-flag screen's reasons: self-care needs an age below the limit and every screen
/// question answered "no". The second reason names the questions still open.
fn screen(kb: &Kb, facts: &Facts) -> [Option<TriageReason>; 2] {
    let s = &kb.screen;
    let reason = |reason, findings| TriageReason {
        level: s.level,
        reason,
        findings,
    };
    let age =
        (facts.age >= s.self_care_below_age).then(|| reason(ReasonRef::ScreenAge, Vec::new()));
    // A present screen finding raises its own red flag; the open ones are those not answered.
    let open: Vec<FindingId> = s
        .findings
        .iter()
        .filter(|f| !facts.known.contains(*f))
        .collect();
    let open = (!open.is_empty()).then(|| reason(ReasonRef::ScreenOpen, open));
    [age, open]
}

/// The screen's floor alone.
fn screen_level(kb: &Kb, facts: &Facts) -> TriageLevel {
    let s = &kb.screen;
    let clear = facts.age < s.self_care_below_age && s.findings.and(facts.known) == s.findings;
    if clear {
        TriageLevel::SelfCare
    } else {
        s.level
    }
}

pub(crate) fn triage(
    kb: &Kb,
    facts: &Facts,
    flags: &[RaisedFlag],
    view: &mut dyn RuleView,
) -> Triage {
    // Room for every reason at once (a filter's size hint is zero).
    let mut reasons: Vec<TriageReason> = Vec::with_capacity(kb.rules.len() + flags.len() + 3);
    fired_rules(kb, facts, view, |i, r| {
        reasons.push(TriageReason {
            level: r.level,
            reason: ReasonRef::Rule(i),
            findings: named(&r.when, facts.present).iter().collect(),
        })
    });
    reasons.extend(flags.iter().map(|f| TriageReason {
        level: f.def(kb).min_level,
        reason: ReasonRef::RedFlag(f.flag),
        findings: f.findings.clone(),
    }));
    reasons.extend(screen(kb, facts).into_iter().flatten());
    if reasons.is_empty() {
        reasons.push(TriageReason {
            level: kb.default_triage.level,
            reason: ReasonRef::Default,
            findings: Vec::new(),
        });
    }
    // Stable: among equal levels, rules keep file order and come before red flags.
    reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    let level = reasons[0].level.max(kb.default_triage.level);
    Triage { level, reasons }
}

/// The triage level alone, without reasons or allocation (for the interview's lookahead); the
/// same rules, flags and screen as [`triage`].
pub(crate) fn level(kb: &Kb, facts: &Facts, view: &mut dyn RuleView) -> TriageLevel {
    let mut level = kb.default_triage.level.max(screen_level(kb, facts));
    fired_rules(kb, facts, view, |_, r| level = level.max(r.level));
    raised(kb, facts, sides(kb)).fold(level, |l, (_, f)| l.max(f.min_level))
}

pub(crate) fn plan(kb: &Kb, facts: &Facts) -> Vec<usize> {
    let sides = sides(kb);
    // Room for every item at once: a plan is a good part of the advice, and growing the
    // vector from a filter's size hint of zero took several reallocations per case.
    let mut plan = Vec::with_capacity(kb.advice.len());
    plan.extend(
        kb.advice
            .iter()
            .enumerate()
            .filter(|(_, a)| a.when.as_ref().is_none_or(|w| holds(w, facts, sides)))
            .map(|(i, _)| i),
    );
    plan
}

fn sides(kb: &Kb) -> [&FindingSet; 2] {
    [
        kb.vocab.side_set(Side::Left),
        kb.vocab.side_set(Side::Right),
    ]
}
