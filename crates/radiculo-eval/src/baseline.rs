//! A plain naive-Bayes reference model, for [`crate::score()`] to judge the engine against.
//!
//! It uses the same knowledge as the engine, and nothing else: the class priors for the age are
//! the engine's, and each finding's probability in a class is the engine's probability of that
//! finding averaged over the class's hypotheses (every other finding unknown). What it drops is
//! the engine's structure: findings are independent given the class (no shared "region
//! involved" state for pain, numbness and tingling in one place, no side or level linking the
//! roots to the signs), and sex and duration are not used. So if the engine cannot beat it, its
//! structure is not earning its keep.

use radiculo_engine::tables::{PRESENT, Tables};
use radiculo_engine::{Case, Engine};

/// Naive Bayes over one partition of the hypotheses into classes.
struct Partition {
    /// The class of each hypothesis.
    class_of: Vec<usize>,
    n_classes: usize,
    /// P(finding present | class), `[finding][class]`; `None` for findings the model ignores.
    present: Vec<Option<Vec<f64>>>,
}

impl Partition {
    fn new(tables: &Tables, class_of: Vec<usize>, n_classes: usize) -> Partition {
        let weight: Vec<f64> = tables.hyps.iter().map(|h| h.base_prior).collect();
        let mut class_weight = vec![0.0; n_classes];
        for (c, w) in class_of.iter().zip(&weight) {
            class_weight[*c] += w;
        }
        let present = tables
            .finding_unit
            .iter()
            .map(|unit| {
                let (unit, digit) = (*unit)?;
                let u = &tables.units[usize::from(unit)];
                let row = tables.row(&tables.lik, u.offset + PRESENT * usize::from(digit));
                let mut p = vec![0.0; n_classes];
                for ((c, w), ph) in class_of.iter().zip(&weight).zip(row) {
                    p[*c] += w * ph;
                }
                for (p, total) in p.iter_mut().zip(&class_weight) {
                    *p /= total;
                }
                Some(p)
            })
            .collect();
        Partition {
            class_of,
            n_classes,
            present,
        }
    }

    /// P(class | case), from the age's prior and every known finding taken independently.
    fn posterior(&self, tables: &Tables, case: &Case) -> Vec<f64> {
        let mut log = vec![0.0; self.n_classes];
        let mut prior = vec![0.0; self.n_classes];
        for (c, p) in self
            .class_of
            .iter()
            .zip(tables.prior_for_age(&tables.prior, case.age))
        {
            prior[*c] += p;
        }
        for (l, p) in log.iter_mut().zip(&prior) {
            *l = p.ln();
        }
        for &(f, present) in case.evidence() {
            if let Some(p) = &self.present[f.index()] {
                for (l, p) in log.iter_mut().zip(p) {
                    *l += if present { p.ln() } else { (1.0 - p).ln() };
                }
            }
        }
        let max = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut post: Vec<f64> = log.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = post.iter().sum();
        for p in &mut post {
            *p /= total;
        }
        post
    }
}

/// The reference model: one naive Bayes over conditions, one over root classes.
pub struct NaiveBayes<'e> {
    engine: &'e Engine,
    conditions: Partition,
    roots: Partition,
    n_root_sides: usize,
}

impl<'e> NaiveBayes<'e> {
    /// Builds both from the engine's tables.
    pub fn new(engine: &'e Engine) -> NaiveBayes<'e> {
        let tables = engine.tables();
        let model = &engine.kb().model;
        let conditions = Partition::new(
            tables,
            tables.hyps.iter().map(|h| h.condition).collect(),
            model.conditions.len(),
        );
        // The root classes: one per single reported root and side, then "several roots",
        // then "no root" (`RootClass::index`).
        let roots = Partition::new(
            tables,
            tables
                .hyps
                .iter()
                .map(|h| h.root_class.index(model.reported_roots))
                .collect(),
            2 * model.reported_roots + 2,
        );
        NaiveBayes {
            engine,
            conditions,
            roots,
            n_root_sides: 2 * model.reported_roots,
        }
    }

    /// P(condition | case), by condition index.
    pub fn conditions(&self, case: &Case) -> Vec<f64> {
        self.conditions.posterior(self.engine.tables(), case)
    }

    /// P(this single root and side is the affected root | case), by `2 * root + side`.
    pub fn roots(&self, case: &Case) -> Vec<f64> {
        let mut p = self.roots.posterior(self.engine.tables(), case);
        p.truncate(self.n_root_sides);
        p
    }
}
