//! Exact inference: the posterior over hypotheses, its marginals, and explanations whose
//! weights add up.

use radiculo_kb::FindingId;

use crate::tables::{ABSENT, PRESENT, Tables};

/// The known findings of a case as table rows.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    /// The table row of every unit with at least one known finding (the row of its combo), in
    /// unit order.
    pub rows: Vec<usize>,
    /// Known findings the model uses, in vocabulary order.
    pub steps: Vec<Step>,
}

/// One known finding, as the explanation takes it: its unit's combo before and after it, the
/// findings before it in vocabulary order being known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub finding: FindingId,
    pub present: bool,
    /// The table row of the unit's combo before this finding; `None` when it is the unit's
    /// first known finding (that row would be all ones).
    pub before: Option<usize>,
    /// The table row of the unit's combo with this finding.
    pub after: usize,
}

impl Observation {
    pub(crate) fn new(tables: &Tables, evidence: &[(FindingId, bool)]) -> Observation {
        // Each unit's combo so far, indexed by unit (a search of the units touched so far was
        // quadratic in the number of answers). Combo 0 is "every member unknown".
        let mut combos = vec![0u16; tables.units.len()];
        let mut steps = Vec::with_capacity(evidence.len());
        // The units touched, then (sorted) their rows.
        let mut rows = Vec::with_capacity(evidence.len());
        for &(finding, present) in evidence {
            let Some((unit, weight)) = tables.finding_unit[finding.index()] else {
                continue;
            };
            let offset = tables.units[usize::from(unit)].offset;
            let combo = &mut combos[usize::from(unit)];
            let before = if *combo == 0 {
                rows.push(usize::from(unit));
                None
            } else {
                Some(offset + usize::from(*combo))
            };
            let digit = if present { PRESENT } else { ABSENT } as u16;
            *combo += digit * u16::from(weight);
            steps.push(Step {
                finding,
                present,
                before,
                after: offset + usize::from(*combo),
            });
        }
        // Vocabulary order mostly follows unit order, so this is nearly free.
        rows.sort_unstable();
        for row in &mut rows {
            *row = tables.units[*row].offset + usize::from(combos[*row]);
        }
        Observation { rows, steps }
    }
}

/// The normalised posterior over hypotheses, computed in log space from the case's log prior
/// (see `Engine::log_prior`), which it takes over.
pub(crate) fn posterior(tables: &Tables, log_prior: &[f64], obs: &Observation) -> Vec<f64> {
    let mut log_post = log_joint(tables, log_prior, obs);
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

/// log P(h, evidence) per hypothesis: the log prior plus each observed unit's row.
fn log_joint(tables: &Tables, log_prior: &[f64], obs: &Observation) -> Vec<f64> {
    let mut log_joint = log_prior.to_vec();
    for &row in &obs.rows {
        for (acc, ll) in log_joint.iter_mut().zip(tables.row(&tables.log_lik, row)) {
            *acc += ll;
        }
    }
    log_joint
}

/// Marginals of the posterior.
#[derive(Debug, Clone)]
pub(crate) struct Marginals {
    /// P(root affected) for each reported root, `[root][side]`.
    pub roots: Vec<[f64; 2]>,
    /// P(condition), by condition index.
    pub conditions: Vec<f64>,
    /// P(mechanism), in [`radiculo_kb::Mechanism::ALL`] order.
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
    let reported = (1u32 << (2 * n_roots)) - 1;
    // Indexed by bit `2 * root + side`, as in `Hypothesis::roots`.
    let by_bit = roots.as_flattened_mut();
    for (h, p) in tables.hyps.iter().zip(post) {
        conditions[h.condition] += p;
        mechanisms[h.mechanism.index()] += p;
        let mut bits = h.roots & reported;
        while bits != 0 {
            by_bit[bits.trailing_zeros() as usize] += p;
            bits &= bits - 1;
        }
    }
    Marginals {
        roots,
        conditions,
        mechanisms,
    }
}

/// A binary target for the explanation: per hypothesis, `[1.0, 0.0]` where it holds and
/// `[0.0, 1.0]` where it does not (numbers, so that the sums below vectorise; side by side, so
/// that one multiplication by a hypothesis's weight gives both its terms).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub mask: Vec<[f64; 2]>,
}

impl Target {
    pub(crate) fn new(member: impl Iterator<Item = bool>) -> Target {
        let mask = member
            .map(|m| if m { [1.0, 0.0] } else { [0.0, 1.0] })
            .collect();
        Target { mask }
    }
}

/// The targets' masks side by side, hypothesis by hypothesis: `fused[h][t]` is target `t`'s
/// `[in, out]` for hypothesis `h`, so that one pass over the weights serves every target.
fn fuse<const N: usize>(targets: &[&Target; N]) -> Vec<[[f64; 2]; N]> {
    let n = targets.first().map_or(0, |t| t.mask.len());
    (0..n)
        .map(|h| std::array::from_fn(|t| targets[t].mask[h]))
        .collect()
}

/// The weight of each target and of its complement. Both are summed directly (not one as the
/// total minus the other) so that a tiny side keeps its precision.
///
/// Each sum is a dot product of the weights with a 0/1 mask, added up in four lanes (element
/// `h` into lane `h % 4` for the whole chunks of four, then the lanes pairwise, then the
/// remainder in order) so that the compiler can use vector instructions: floating-point
/// addition is not associative, so it will not split one running sum itself. The explanation
/// needs these sums for every target after every finding, so all targets are summed in one pass
/// over the weights and their fused masks (`fuse`), zipped chunk by chunk: with no index
/// arithmetic in the loop the compiler keeps it vectorised whatever the number of hypotheses
/// (forms that indexed or sliced each target's mask inside the loop lost their vector
/// instructions when the hypotheses stopped being a multiple of four: 13% more instructions a
/// case than this one, copy included).
fn masked_sums<const N: usize>(w: &[f64], fused: &[[[f64; 2]; N]]) -> [(f64, f64); N] {
    debug_assert_eq!(fused.len(), w.len());
    let mut lanes = [[[0.0; 2]; 4]; N];
    let (x4, x_rest) = w.as_chunks::<4>();
    let (m4, m_rest) = fused.as_chunks::<4>();
    for (x, m) in x4.iter().zip(m4) {
        for k in 0..4 {
            for (acc, mask) in lanes.iter_mut().zip(&m[k]) {
                acc[k][0] += x[k] * mask[0];
                acc[k][1] += x[k] * mask[1];
            }
        }
    }
    std::array::from_fn(|t| {
        let side = |s: usize| {
            let a = &lanes[t];
            let tail: f64 = x_rest.iter().zip(m_rest).map(|(x, m)| x * m[t][s]).sum();
            (a[0][s] + a[1][s]) + (a[2][s] + a[3][s]) + tail
        };
        (side(0), side(1))
    })
}

/// The chain-rule decomposition of one target's log odds.
#[derive(Debug, Clone)]
pub(crate) struct Chain<W> {
    pub prior_log_odds: f64,
    pub posterior_log_odds: f64,
    /// One weight per observed finding, in vocabulary order.
    pub weights: Vec<W>,
}

/// For each target, log odds(T | e1..en) - log odds(T) = sum over i of
/// log [P(ei | T, e<i) / P(ei | not T, e<i)], with findings taken in vocabulary order. Each
/// term is that finding's weight; they add up exactly whatever the dependence between findings.
/// `weight` shapes each (finding, weight) into the caller's item, so the chains are built in
/// their final form.
pub(crate) fn explain<const N: usize, W>(
    tables: &Tables,
    prior: Vec<f64>,
    obs: &Observation,
    targets: &[&Target; N],
    weight: impl Fn(&Step, f64) -> W,
) -> [Chain<W>; N] {
    // The prior as probabilities (only ratios matter: it need not be normalised).
    let mut w = prior;
    let fused = fuse(targets);
    let mut before = masked_sums(&w, &fused);
    let mut chains: [Chain<W>; N] = std::array::from_fn(|t| Chain {
        prior_log_odds: (before[t].0 / before[t].1).ln(),
        posterior_log_odds: 0.0,
        weights: Vec::with_capacity(obs.steps.len()),
    });
    for step in &obs.steps {
        let new_row = tables.row(&tables.lik, step.after);
        match step.before {
            // The unit's first known finding: the row before it is all ones.
            None => {
                for (x, l) in w.iter_mut().zip(new_row) {
                    *x *= l;
                }
            }
            Some(old) => {
                let old_row = tables.row(&tables.lik, old);
                for ((x, l), o) in w.iter_mut().zip(new_row).zip(old_row) {
                    *x *= l / o;
                }
            }
        }
        let now = masked_sums(&w, &fused);
        for ((chain, prev), now) in chains.iter_mut().zip(&mut before).zip(now) {
            // One logarithm: ln(a / b) - ln(c / d) = ln(a d / (b c)).
            chain
                .weights
                .push(weight(step, ((now.0 * prev.1) / (prev.0 * now.1)).ln()));
            *prev = now;
        }
        // Weights are only ever compared as ratios, so rescale only to stay clear of underflow.
        // Any target's two sides add up to the total to within a few units in the last place,
        // so the exact (sequential) total, on which the rescaling depends, is only needed when
        // that estimate is anywhere near the threshold.
        let estimate = before.first().map_or(0.0, |(y, n)| y + n);
        if estimate < 2e-150 {
            let total: f64 = w.iter().sum();
            if total < 1e-150 {
                for x in &mut w {
                    *x /= total;
                }
                for prev in &mut before {
                    *prev = (prev.0 / total, prev.1 / total);
                }
            }
        }
    }
    for (chain, (y, n)) in chains.iter_mut().zip(before) {
        chain.posterior_log_odds = (y / n).ln();
    }
    chains
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dot product the masked sums must reproduce bit for bit: four independent
    /// accumulators over chunks of four, then a sequential tail.
    fn dot(a: &[f64], b: &[f64]) -> f64 {
        let mut acc = [0.0; 4];
        let (a4, a_rest) = a.split_at(a.len() / 4 * 4);
        let (b4, b_rest) = b.split_at(a4.len());
        for (x, y) in a4.chunks_exact(4).zip(b4.chunks_exact(4)) {
            for k in 0..4 {
                acc[k] += x[k] * y[k];
            }
        }
        let tail: f64 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
        (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
    }

    #[test]
    fn masked_sums_are_the_dot_products_bit_for_bit() {
        // A small deterministic generator: weights spread over many magnitudes, odd lengths.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [0, 1, 3, 4, 7, 84, 85, 87] {
            let w: Vec<f64> = (0..n)
                .map(|_| (next() % 1000) as f64 / 7.0 * 10f64.powi(-((next() % 40) as i32)))
                .collect();
            let targets: Vec<Target> = (0..3)
                .map(|_| Target::new((0..n).map(|_| next() % 3 == 0)))
                .collect();
            let refs = [&targets[0], &targets[1], &targets[2]];
            let sums = masked_sums(&w, &fuse(&refs));
            for (t, (y, no)) in refs.iter().zip(sums) {
                let side = |s: usize| t.mask.iter().map(|m| m[s]).collect::<Vec<f64>>();
                assert_eq!(y.to_bits(), dot(&w, &side(0)).to_bits());
                assert_eq!(no.to_bits(), dot(&w, &side(1)).to_bits());
            }
        }
    }
}
