//! The deterministic layer: red flags, triage and the plan.
//!
//! Red flags read only which findings are present, the age and the duration. Triage rules do
//! too, except that a rule whose level is no higher than every red flag's minimum may also read
//! the posterior (kb lint KB012): so adding a present red-flag finding can never lower the level
//! (the red flag itself lifts it at least as high as any rule the posterior could switch off),
//! and no probability can lower what a red flag demands. The triage level is the highest of
//! every fired rule, every raised red flag's minimum and the default. The plan may also read the
//! final level.

use radiculo_kb::{
    AdviceDef, FindingId, FindingSet, Kb, Mechanism, Predicate, RedFlagDef, Side, TriageLevel,
};

use crate::Case;

/// The facts a predicate may read.
pub(crate) struct Facts<'a> {
    pub present: &'a FindingSet,
    pub age: u8,
    pub duration_days: Option<u32>,
    /// Only for advice: the final triage and the posterior marginals.
    pub triage: Option<TriageLevel>,
    pub conditions: &'a [f64],
    pub mechanisms: &'a [f64; 3],
}

pub(crate) fn holds(p: &Predicate, f: &Facts, vocab_sides: [&FindingSet; 2]) -> bool {
    // The triage test first: it is the cheapest and rules out most advice items.
    (p.triage_in.is_empty() || f.triage.is_some_and(|t| p.triage_in.contains(&t)))
        && p.all_of.iter().all(|set| set.intersects(f.present))
        && !p.none.intersects(f.present)
        && p.bilateral.as_ref().is_none_or(|set| {
            let hit = set.and(f.present);
            hit.intersects(vocab_sides[0]) && hit.intersects(vocab_sides[1])
        })
        && age_and_duration_hold(p, f)
        && p.condition_at_least
            .iter()
            .all(|(c, min)| f.conditions[*c] >= *min)
        && p.mechanism_at_least.iter().all(|(m, min)| {
            let i = Mechanism::ALL.iter().position(|x| x == m).unwrap_or(0);
            f.mechanisms[i] >= *min
        })
}

/// The parts of a predicate no answer can change.
fn age_and_duration_hold(p: &Predicate, f: &Facts) -> bool {
    p.age_at_least.is_none_or(|a| f.age >= a)
        && p.age_below.is_none_or(|a| f.age < a)
        && p.duration_days_at_least
            .is_none_or(|d| f.duration_days.is_some_and(|x| x >= d))
        && p.duration_days_below
            .is_none_or(|d| f.duration_days.is_some_and(|x| x < d))
        && p.duration_unknown_or_below
            .is_none_or(|d| f.duration_days.is_none_or(|x| x < d))
}

/// How many more present findings a rule needs before it fires: one per unmet `all_of` set and
/// one per side still missing from `bilateral`; `None` when answers cannot make it fire (age or
/// duration rule it out). The posterior is not counted: it is not something a question sets.
pub(crate) fn distance(p: &Predicate, f: &Facts, vocab_sides: [&FindingSet; 2]) -> Option<usize> {
    let fixed = age_and_duration_hold(p, f);
    if !fixed {
        return None;
    }
    let mut missing = p
        .all_of
        .iter()
        .filter(|set| !set.intersects(f.present))
        .count();
    if let Some(set) = &p.bilateral {
        let hit = set.and(f.present);
        missing += vocab_sides
            .iter()
            .filter(|side| !hit.intersects(side))
            .count();
    }
    Some(missing)
}

/// Whether answering `added` present would bring a rule more urgent than `level` closer to
/// firing, when it is at most two answers away: a lookahead so that the interview pursues a
/// two-step path to a more urgent level (progressive weakness, then the other leg).
pub(crate) fn advances_more_urgent_rule(
    kb: &Kb,
    case: &Case,
    present: &FindingSet,
    added: FindingId,
    level: TriageLevel,
) -> bool {
    let mut with = *present;
    with.insert(added);
    let facts = |present| Facts {
        present,
        age: case.age,
        duration_days: case.duration_days,
        triage: None,
        conditions: &[],
        mechanisms: &[0.0; 3],
    };
    let (now, then) = (facts(present), facts(&with));
    let sides = sides(kb);
    kb.rules.iter().filter(|r| r.level > level).any(|r| {
        match (
            distance(&r.when, &now, sides),
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
#[derive(Debug, Clone)]
pub struct RaisedFlag<'e> {
    /// Its definition.
    pub def: &'e RedFlagDef,
    /// The present findings that raised it.
    pub findings: Vec<FindingId>,
}

/// Why the case has (at least) a level.
#[derive(Debug, Clone)]
pub struct TriageReason<'e> {
    /// The level this reason gives.
    pub level: TriageLevel,
    /// The rule or red flag id (`default` when nothing fired).
    pub id: &'e str,
    /// The reason, for the person.
    pub patient: &'e str,
    /// The reason, for clinicians.
    pub clinician: &'e str,
    /// The findings behind it.
    pub findings: Vec<FindingId>,
    /// The guidance behind it.
    pub source: &'e str,
}

/// The triage level and every reason for it, most urgent first.
#[derive(Debug, Clone)]
pub struct Triage<'e> {
    /// The level.
    pub level: TriageLevel,
    /// Every fired rule and raised red flag, most urgent first.
    pub reasons: Vec<TriageReason<'e>>,
}

pub(crate) fn red_flags<'e>(kb: &'e Kb, case: &Case, present: &FindingSet) -> Vec<RaisedFlag<'e>> {
    let facts = Facts {
        present,
        age: case.age,
        duration_days: case.duration_days,
        triage: None,
        conditions: &[],
        mechanisms: &[0.0; 3],
    };
    let sides = sides(kb);
    kb.red_flags
        .iter()
        .filter(|f| f.findings.intersects(present))
        .filter(|f| f.when.as_ref().is_none_or(|w| holds(w, &facts, sides)))
        .map(|def| {
            let mut hit = def.findings.and(present);
            if let Some(w) = &def.when {
                hit = hit.or(&named(w, present));
            }
            RaisedFlag {
                def,
                findings: hit.iter().collect(),
            }
        })
        .collect()
}

pub(crate) fn triage<'e>(
    kb: &'e Kb,
    case: &Case,
    present: &FindingSet,
    flags: &[RaisedFlag<'e>],
    conditions: &[f64],
    mechanisms: &[f64; 3],
) -> Triage<'e> {
    let facts = Facts {
        present,
        age: case.age,
        duration_days: case.duration_days,
        triage: None,
        conditions,
        mechanisms,
    };
    let sides = sides(kb);
    // Room for every reason at once (a filter's size hint is zero).
    let mut reasons: Vec<TriageReason<'e>> = Vec::with_capacity(kb.rules.len() + flags.len() + 1);
    reasons.extend(
        kb.rules
            .iter()
            .filter(|r| holds(&r.when, &facts, sides))
            .map(|r| TriageReason {
                level: r.level,
                id: &r.id,
                patient: &r.patient,
                clinician: &r.clinician,
                findings: named(&r.when, present).iter().collect(),
                source: &r.source.text,
            }),
    );
    reasons.extend(flags.iter().map(|f| TriageReason {
        level: f.def.min_level,
        id: &f.def.id,
        patient: &f.def.patient,
        clinician: &f.def.clinician,
        findings: f.findings.clone(),
        source: &f.def.source.text,
    }));
    if reasons.is_empty() {
        let d = &kb.default_triage;
        reasons.push(TriageReason {
            level: d.level,
            id: "default",
            patient: &d.patient,
            clinician: &d.clinician,
            findings: Vec::new(),
            source: &d.source.text,
        });
    }
    // Stable: among equal levels, rules keep file order and come before red flags.
    reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    let level = reasons[0].level.max(kb.default_triage.level);
    Triage { level, reasons }
}

/// The triage level alone, without reasons or allocation (for the interview's lookahead);
/// always equal to `triage(..).level`.
pub(crate) fn level(
    kb: &Kb,
    case: &Case,
    present: &FindingSet,
    conditions: &[f64],
    mechanisms: &[f64; 3],
) -> TriageLevel {
    let facts = Facts {
        present,
        age: case.age,
        duration_days: case.duration_days,
        triage: None,
        conditions,
        mechanisms,
    };
    let sides = sides(kb);
    let rules = kb
        .rules
        .iter()
        .filter(|r| holds(&r.when, &facts, sides))
        .map(|r| r.level);
    let flags = kb
        .red_flags
        .iter()
        .filter(|f| f.findings.intersects(present))
        .filter(|f| f.when.as_ref().is_none_or(|w| holds(w, &facts, sides)))
        .map(|f| f.min_level);
    rules
        .chain(flags)
        .fold(kb.default_triage.level, TriageLevel::max)
}

pub(crate) fn plan<'e>(
    kb: &'e Kb,
    case: &Case,
    present: &FindingSet,
    level: TriageLevel,
    conditions: &[f64],
    mechanisms: &[f64; 3],
) -> Vec<&'e AdviceDef> {
    let facts = Facts {
        present,
        age: case.age,
        duration_days: case.duration_days,
        triage: Some(level),
        conditions,
        mechanisms,
    };
    let sides = sides(kb);
    // Room for every item at once: a plan is a good part of the advice, and growing the
    // vector from a filter's size hint of zero took several reallocations per case.
    let mut plan = Vec::with_capacity(kb.advice.len());
    plan.extend(
        kb.advice
            .iter()
            .filter(|a| a.when.as_ref().is_none_or(|w| holds(w, &facts, sides))),
    );
    plan
}

fn sides(kb: &Kb) -> [&FindingSet; 2] {
    [
        kb.vocab.side_set(Side::Left),
        kb.vocab.side_set(Side::Right),
    ]
}
