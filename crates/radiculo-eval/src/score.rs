//! Scoring labelled cases: the engine's triage, leading root, condition and mechanism against
//! the labels, and the calibration of the root and the condition beside the baseline's.

use radiculo_engine::{Engine, Options};
use radiculo_kb::{Mechanism, TriageLevel};

use crate::{EvalError, LabelledCase, NaiveBayes};

/// How often one measure hit, and what each miss was.
#[derive(Debug, Clone, Default)]
pub struct Score {
    /// The cases where it hit.
    pub hits: usize,
    /// The cases it was measured on.
    pub total: usize,
    /// Each miss in a sentence that names the case, for a report to list.
    pub misses: Vec<String>,
}

impl Score {
    /// Counts one case; `miss` describes it when it missed.
    pub(crate) fn record(&mut self, hit: bool, miss: impl FnOnce() -> String) {
        self.total += 1;
        if hit {
            self.hits += 1;
        } else {
            self.misses.push(miss());
        }
    }

    /// The share of hits; 1 when there was nothing to measure, so that an unused measure never
    /// fails a threshold.
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.hits as f64 / self.total as f64
        }
    }
}

/// Log loss and Brier score, summed over cases.
#[derive(Debug, Clone, Default)]
pub struct Calibration {
    /// The sum of each case's log loss of its label.
    pub log_loss: f64,
    /// The sum of each case's Brier score over every outcome.
    pub brier: f64,
    /// The cases counted.
    pub n: usize,
}

impl Calibration {
    /// Records one case: `p` the predicted probabilities over the outcomes, `truth` the index
    /// of the labelled one (log loss of the label; Brier score over every outcome).
    fn record(&mut self, p: &[f64], truth: usize) {
        self.log_loss -= p[truth].clamp(1e-15, 1.0).ln();
        self.brier += p
            .iter()
            .enumerate()
            .map(|(i, q)| (q - f64::from(u8::from(i == truth))).powi(2))
            .sum::<f64>();
        self.n += 1;
    }

    /// The mean log loss per case (0 with no cases).
    pub fn mean_log_loss(&self) -> f64 {
        self.mean(self.log_loss)
    }

    /// The mean Brier score per case (0 with no cases).
    pub fn mean_brier(&self) -> f64 {
        self.mean(self.brier)
    }

    fn mean(&self, x: f64) -> f64 {
        if self.n == 0 { 0.0 } else { x / self.n as f64 }
    }
}

/// One measure scored for the engine and for the naive-Bayes baseline.
#[derive(Debug, Clone, Default)]
pub struct Compared {
    /// The engine's hits.
    pub engine: Score,
    /// The baseline's hits (its misses are not described).
    pub baseline: Score,
    /// The engine's calibration.
    pub engine_calibration: Calibration,
    /// The baseline's calibration.
    pub baseline_calibration: Calibration,
}

impl Compared {
    /// Whether the engine beats the baseline: at least as accurate, and a lower log loss. If
    /// it does not, the engine's structure is not earning its keep.
    pub fn engine_beats_baseline(&self) -> bool {
        self.engine.rate() >= self.baseline.rate()
            && self.engine_calibration.log_loss < self.baseline_calibration.log_loss
    }
}

/// Which label a [`LabelProbability`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// The affected root and side.
    Root,
    /// The condition.
    Condition,
}

impl LabelKind {
    /// The label's name: `root` or `condition`.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelKind::Root => "root",
            LabelKind::Condition => "condition",
        }
    }
}

/// The probability the engine and the baseline give one case's label, to see case by case
/// where they differ.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelProbability {
    /// The case's name.
    pub case: String,
    /// Which label.
    pub kind: LabelKind,
    /// The label (`L5.left`, a condition id).
    pub label: String,
    /// The engine's probability of it.
    pub engine: f64,
    /// The baseline's probability of it.
    pub baseline: f64,
}

/// Every measure over a set of labelled cases.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// The cases scored.
    pub cases: usize,
    /// How many of them are published cases.
    pub published: usize,
    /// The triage is one of the accepted levels.
    pub triage: Score,
    /// The triage is not below every accepted level (a miss is under-triage).
    pub under_triage: Score,
    /// The triage is not above every accepted level (a miss is over-triage).
    pub over_triage: Score,
    /// A case whose every accepted level is emergency is assessed as emergency.
    pub emergencies: Score,
    /// The leading root and side is the label.
    pub root: Compared,
    /// The leading condition is the label.
    pub condition: Compared,
    /// The leading mechanism is the label (the engine only: the baseline has no mechanism).
    pub mechanism: Score,
    /// Each root and condition label's probability, case by case, root before condition.
    pub label_probabilities: Vec<LabelProbability>,
}

/// Scores the engine, and the naive-Bayes baseline built from it, on labelled cases with their
/// full evidence.
///
/// A root or condition label the knowledge base does not know is an error.
pub fn score(engine: &Engine, cases: &[LabelledCase]) -> Result<Scores, EvalError> {
    let kb = engine.kb();
    let nb = NaiveBayes::new(engine);
    let n_sides = 2 * kb.model.reported_roots;
    let mut s = Scores {
        cases: cases.len(),
        ..Scores::default()
    };
    for LabelledCase {
        name,
        case,
        labelled,
    } in cases
    {
        s.published += usize::from(labelled.citation.is_some());
        let accepted: Vec<TriageLevel> = labelled
            .expect
            .triage
            .iter()
            .filter_map(|l| TriageLevel::parse(l))
            .collect();
        let a = engine.assess(
            case,
            Options {
                next_question: false,
            },
        );
        let level = a.triage.level;
        let levels = || {
            accepted
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("|")
        };
        s.triage.record(accepted.contains(&level), || {
            format!("{name}: triage {level}, expected {}", levels())
        });
        let lowest = accepted
            .iter()
            .min()
            .copied()
            .unwrap_or(TriageLevel::SelfCare);
        let highest = accepted
            .iter()
            .max()
            .copied()
            .unwrap_or(TriageLevel::Emergency);
        s.under_triage.record(level >= lowest, || {
            format!("{name}: UNDER-TRIAGED, {level} below {}", levels())
        });
        s.over_triage.record(level <= highest, || {
            format!("{name}: over-triaged, {level} above {}", levels())
        });
        // An emergency is a case whose every accepted level is emergency.
        if lowest == TriageLevel::Emergency {
            s.emergencies.record(level == TriageLevel::Emergency, || {
                format!("{name}: MISSED EMERGENCY, got {level}")
            });
        }
        if let Some(want) = &labelled.expect.root {
            let truth = (0..n_sides)
                .find(|&i| {
                    format!("{}.{}", kb.model.roots[i / 2], ["left", "right"][i % 2]) == *want
                })
                .ok_or_else(|| {
                    EvalError::invalid(name.as_str(), format!("unknown root label `{want}`"))
                })?;
            // The engine's P(root-side affected), by `2 * root + side`.
            let mut p = vec![0.0; n_sides];
            for r in &a.roots {
                p[2 * r.root + r.side.index()] = r.probability;
            }
            let top = &a.roots[0];
            let got = format!("{}.{}", kb.model.roots[top.root], top.side.as_str());
            s.root.engine.record(&got == want, || {
                format!(
                    "{name}: top root {got} ({:.2}), expected {want} ({:.2})",
                    top.probability, p[truth]
                )
            });
            s.root.engine_calibration.record(&p, truth);
            let q = nb.roots(case);
            s.label_probabilities.push(LabelProbability {
                case: name.clone(),
                kind: LabelKind::Root,
                label: want.clone(),
                engine: p[truth],
                baseline: q[truth],
            });
            let nb_top = radiculo_engine::argmax(&q);
            s.root.baseline.record(nb_top == truth, String::new);
            s.root.baseline_calibration.record(&q, truth);
        }
        if let Some(want) = &labelled.expect.condition {
            let truth = kb
                .model
                .conditions
                .iter()
                .position(|c| &c.id == want)
                .ok_or_else(|| {
                    EvalError::invalid(name.as_str(), format!("unknown condition label `{want}`"))
                })?;
            let mut p = vec![0.0; kb.model.conditions.len()];
            for c in &a.conditions {
                p[c.condition] = c.probability;
            }
            let top = &a.conditions[0];
            s.condition.engine.record(top.condition == truth, || {
                format!(
                    "{name}: top condition {} ({:.2}), expected {want} ({:.2})",
                    top.def(kb).id,
                    top.probability,
                    p[truth]
                )
            });
            s.condition.engine_calibration.record(&p, truth);
            let q = nb.conditions(case);
            s.label_probabilities.push(LabelProbability {
                case: name.clone(),
                kind: LabelKind::Condition,
                label: want.clone(),
                engine: p[truth],
                baseline: q[truth],
            });
            s.condition
                .baseline
                .record(radiculo_engine::argmax(&q) == truth, String::new);
            s.condition.baseline_calibration.record(&q, truth);
        }
        if let Some(want) = &labelled.expect.mechanism {
            let i = radiculo_engine::argmax(&a.mechanism);
            let got = Mechanism::ALL[i].as_str();
            s.mechanism.record(got == want, || {
                format!(
                    "{name}: top mechanism {got} ({:.2}), expected {want}",
                    a.mechanism[i]
                )
            });
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_sums_log_loss_and_brier_over_cases() {
        let mut c = Calibration::default();
        assert_eq!((c.mean_log_loss(), c.mean_brier()), (0.0, 0.0));
        c.record(&[0.5, 0.5], 0);
        c.record(&[1.0, 0.0], 0);
        assert!((c.mean_log_loss() - std::f64::consts::LN_2 / 2.0).abs() < 1e-12);
        assert!((c.mean_brier() - 0.25).abs() < 1e-12);
        // A label given probability 0 costs a large but finite log loss.
        c.record(&[0.0, 1.0], 0);
        assert!(c.log_loss.is_finite() && c.log_loss > 30.0);
    }

    #[test]
    fn an_empty_measure_never_fails_a_threshold() {
        let mut s = Score::default();
        assert_eq!(s.rate(), 1.0);
        s.record(true, String::new);
        s.record(false, || "case-1: missed".into());
        assert_eq!((s.hits, s.total, s.rate()), (1, 2, 0.5));
        assert_eq!(s.misses, ["case-1: missed"]);
    }
}
