//! Exact inference: the posterior over hypotheses, its marginals, and explanations whose
//! weights add up.

use radiculo_kb::{FindingId, Mechanism, Side};

use crate::tables::{ABSENT, PRESENT, Tables};

/// The observed units of a case: for each unit touched, its combo.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    /// `(unit, combo)` for every unit with at least one known finding, in unit order.
    pub units: Vec<(u16, u16)>,
    /// Known findings the model uses, in vocabulary order, with presence.
    pub findings: Vec<(FindingId, bool)>,
}

impl Observation {
    pub(crate) fn new(tables: &Tables, evidence: &[(FindingId, bool)]) -> Observation {
        let mut units: Vec<(u16, u16)> = Vec::with_capacity(evidence.len());
        let mut findings = Vec::with_capacity(evidence.len());
        for &(f, present) in evidence {
            let Some((unit, weight)) = tables.finding_unit[f.index()] else {
                continue;
            };
            findings.push((f, present));
            let digit = if present { PRESENT } else { ABSENT } as u16;
            match units.iter_mut().find(|(u, _)| *u == unit) {
                Some((_, combo)) => *combo += digit * u16::from(weight),
                None => units.push((unit, digit * u16::from(weight))),
            }
        }
        units.sort_unstable();
        Observation { units, findings }
    }
}

/// The normalised posterior over hypotheses, computed in log space.
pub(crate) fn posterior(tables: &Tables, age: u8, obs: &Observation) -> Vec<f64> {
    let mut log_post = tables.prior_for_age(&tables.log_prior, age).to_vec();
    for &(unit, combo) in &obs.units {
        let row = tables.units[usize::from(unit)].offset + usize::from(combo);
        for (acc, ll) in log_post.iter_mut().zip(tables.row(&tables.log_lik, row)) {
            *acc += ll;
        }
    }
    let max = log_post.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for x in &mut log_post {
        *x = (*x - max).exp();
        total += *x;
    }
    for x in &mut log_post {
        *x /= total;
    }
    log_post
}

/// Marginals of the posterior.
#[derive(Debug, Clone)]
pub(crate) struct Marginals {
    /// P(root affected) for each reported root, `[root][side]`.
    pub roots: Vec<[f64; 2]>,
    /// P(condition), by condition index.
    pub conditions: Vec<f64>,
    /// P(mechanism), in [`Mechanism::ALL`] order.
    pub mechanisms: [f64; 3],
}

pub(crate) fn marginals(
    tables: &Tables,
    post: &[f64],
    n_conditions: usize,
    n_roots: usize,
) -> Marginals {
    let mut roots = vec![[0.0; 2]; n_roots];
    let mut conditions = vec![0.0; n_conditions];
    let mut mechanisms = [0.0; 3];
    for (h, p) in tables.hyps.iter().zip(post) {
        conditions[h.condition] += p;
        mechanisms[mechanism_index(h.mechanism)] += p;
        if h.roots != 0 {
            for (r, sides) in roots.iter_mut().enumerate() {
                for side in Side::BOTH {
                    if h.compresses(r, side) {
                        sides[side.index()] += p;
                    }
                }
            }
        }
    }
    Marginals {
        roots,
        conditions,
        mechanisms,
    }
}

pub(crate) fn mechanism_index(m: Mechanism) -> usize {
    match m {
        Mechanism::Radicular => 0,
        Mechanism::Referred => 1,
        Mechanism::Other => 2,
    }
}

/// A binary target for the explanation: the hypotheses where it holds.
pub(crate) struct Target {
    pub member: Vec<bool>,
}

/// The chain-rule decomposition of one target's log odds.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub prior_log_odds: f64,
    pub posterior_log_odds: f64,
    /// `(finding, weight)` in vocabulary order.
    pub weights: Vec<(FindingId, f64)>,
}

/// For each target, log odds(T | e1..en) - log odds(T) = sum over i of
/// log [P(ei | T, e<i) / P(ei | not T, e<i)], with findings taken in vocabulary order. Each
/// term is that finding's weight; they add up exactly whatever the dependence between findings.
pub(crate) fn explain(
    tables: &Tables,
    age: u8,
    obs: &Observation,
    targets: &[Target],
) -> Vec<Chain> {
    let n = tables.n_hyps();
    let mut w = tables.prior_for_age(&tables.prior, age).to_vec();
    let mut running: Vec<(u16, u16)> = Vec::with_capacity(obs.units.len());
    let sums = |w: &[f64], t: &Target| -> (f64, f64) {
        let mut yes = 0.0;
        let mut no = 0.0;
        for (p, m) in w.iter().zip(&t.member) {
            if *m {
                yes += p;
            } else {
                no += p;
            }
        }
        (yes, no)
    };
    let mut before: Vec<(f64, f64)> = targets.iter().map(|t| sums(&w, t)).collect();
    let mut chains: Vec<Chain> = before
        .iter()
        .map(|(y, n)| Chain {
            prior_log_odds: (y / n).ln(),
            posterior_log_odds: 0.0,
            weights: Vec::with_capacity(obs.findings.len()),
        })
        .collect();
    for &(f, present) in &obs.findings {
        let (unit, weight) =
            tables.finding_unit[f.index()].expect("observed findings are modelled");
        let u = &tables.units[usize::from(unit)];
        let digit = if present { PRESENT } else { ABSENT } as u16 * u16::from(weight);
        let old = match running.iter_mut().find(|(x, _)| *x == unit) {
            Some((_, combo)) => {
                let old = *combo;
                *combo += digit;
                old
            }
            None => {
                running.push((unit, digit));
                0
            }
        };
        let old_row = tables.row(&tables.lik, u.offset + usize::from(old));
        let new_row = tables.row(&tables.lik, u.offset + usize::from(old + digit));
        let mut total = 0.0;
        for h in 0..n {
            w[h] *= new_row[h] / old_row[h];
            total += w[h];
        }
        for x in &mut w {
            *x /= total;
        }
        for ((t, chain), prev) in targets.iter().zip(&mut chains).zip(&mut before) {
            let now = sums(&w, t);
            // Both sums are renormalised by the same total, so the ratio of ratios is exact.
            let weight = (now.0 / prev.0).ln() - (now.1 / prev.1).ln();
            chain.weights.push((f, weight));
            *prev = now;
        }
    }
    for (chain, (y, n)) in chains.iter_mut().zip(before) {
        chain.posterior_log_odds = (y / n).ln();
    }
    chains
}
