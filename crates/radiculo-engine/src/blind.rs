//! Blind sets: the red-flag findings a model-reading triage rule must not read.
//!
//! A rule such as "serious spinal pathology at 20% or more gives urgent" reads the posterior.
//! Adding a red-flag finding can lower that probability when the finding points elsewhere
//! (numbness in both feet points to a polyneuropathy), which would lower the level, and the
//! contract forbids that. So each such rule reads a posterior computed without every red-flag
//! finding that (a) raises, on its own, no red flag at least as urgent as the rule, and (b) is
//! not *dominant* for what the rule reads. A finding is dominant for a target (a set of
//! hypotheses) when, in every context of the other findings of its unit, its probability under
//! every hypothesis in the target is at least its probability under every hypothesis outside
//! it: then its presence can only raise the target's posterior, and its absence only lower it,
//! whatever else is known, because the posterior odds are multiplied by a ratio of weighted
//! averages that is at least 1.
//!
//! The sets are computed once, from the compiled tables, when the engine is built; `radiculo kb
//! lint` lists them.

use radiculo_kb::{FindingId, FindingSet, Kb, TriageLevel};

use crate::tables::{PRESENT, Tables};

/// The blind set of every triage rule, by rule index (empty for rules that read no posterior).
pub(crate) fn blind_sets(kb: &Kb, tables: &Tables) -> Vec<FindingSet> {
    kb.rules
        .iter()
        .map(|rule| {
            if !rule.when.reads_model() {
                return FindingSet::EMPTY;
            }
            let mut targets: Vec<Vec<bool>> = rule
                .when
                .condition_at_least
                .iter()
                .map(|(c, _)| tables.hyps.iter().map(|h| h.condition == *c).collect())
                .collect();
            targets.extend(rule.when.mechanism_at_least.iter().map(|(m, _)| {
                let m = m.index();
                tables
                    .hyps
                    .iter()
                    .map(|h| h.mechanism.index() == m)
                    .collect()
            }));
            let mut blind = FindingSet::EMPTY;
            for f in kb.red_flag_findings.iter() {
                if floor(kb, f) >= rule.level {
                    continue;
                }
                if !targets.iter().all(|t| dominant(tables, f, t)) {
                    blind.insert(f);
                }
            }
            blind
        })
        .collect()
}

/// The level a finding guarantees on its own: the highest minimum of the red flags it raises
/// without a further condition.
fn floor(kb: &Kb, f: FindingId) -> TriageLevel {
    kb.red_flags
        .iter()
        .filter(|r| r.when.is_none() && r.findings.contains(f))
        .map(|r| r.min_level)
        .max()
        .unwrap_or(TriageLevel::SelfCare)
}

/// Whether `f` present can only raise, and absent only lower, P(target), in every context.
fn dominant(tables: &Tables, f: FindingId, target: &[bool]) -> bool {
    let Some((unit, weight)) = tables.finding_unit[f.index()] else {
        // A finding the model does not use moves no probability.
        return true;
    };
    let unit = &tables.units[usize::from(unit)];
    let weight = usize::from(weight);
    let combos = 3usize.pow(unit.members.len() as u32);
    // Every combo of the unit's other findings, with `f` unknown.
    (0..combos).filter(|c| (c / weight) % 3 == 0).all(|combo| {
        let without = tables.row(&tables.lik, unit.offset + combo);
        let with = tables.row(&tables.lik, unit.offset + combo + PRESENT * weight);
        let (mut lowest_in, mut highest_out) = (f64::INFINITY, f64::NEG_INFINITY);
        for ((w, wo), inside) in with.iter().zip(without).zip(target) {
            let p = w / wo;
            if *inside {
                lowest_in = lowest_in.min(p);
            } else {
                highest_out = highest_out.max(p);
            }
        }
        // Equal probabilities are computed from the same numbers in different orders only
        // in multi-finding units; a relative tolerance keeps them equal.
        lowest_in >= highest_out * (1.0 - 1e-12)
    })
}
