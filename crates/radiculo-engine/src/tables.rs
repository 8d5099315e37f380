//! Compiling the knowledge base's model into dense likelihood tables.
//!
//! Findings are grouped into *units* that are independent given the hypothesis: one unit per
//! region and side (its pain, numbness and tingling share a latent "region involved" state) and
//! one unit per other modelled finding. A unit with `m` findings has `3^m` observation combos
//! (each finding unknown, absent or present); for every combo and hypothesis the table holds
//! log P(combo | h), with the latent state summed out exactly. Inference is then one table row
//! added per observed unit.

use radiculo_kb::{
    FindingId, HypSide, Kb, Mechanism, Model, Shape, Side,
    vocab::{SYMPTOM_KINDS, Vocabulary},
};

/// One hypothesis: a lesion of a condition at a level, on a side.
#[derive(Debug, Clone)]
pub struct Hypothesis {
    /// Index into the model's lesions.
    pub lesion: usize,
    /// Index into the model's conditions.
    pub condition: usize,
    /// The condition's mechanism.
    pub mechanism: Mechanism,
    /// Index into the lesion's levels, if it has levels.
    pub level: Option<usize>,
    /// The side(s).
    pub side: HypSide,
    /// Compressed roots: bit `2 * root + side` (sides: 0 left, 1 right).
    pub roots: u32,
    /// The prior before age adjustment (sums to 1 over hypotheses).
    pub base_prior: f64,
    /// Which roots it compresses, as one class (the interview's information measure and the
    /// baseline count root classes, not root sets).
    pub root_class: RootClass,
}

/// The roots a hypothesis compresses, as one class among `2 * reported roots + 2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootClass {
    /// One reported root on one side, by its slot `2 * root + side`.
    Single(usize),
    /// Several roots, or a root that is not reported (a sacral root of cauda equina).
    Several,
    /// No root.
    None,
}

impl RootClass {
    /// The class's slot: the single root-sides first, then "several", then "none".
    pub fn index(self, reported_roots: usize) -> usize {
        match self {
            RootClass::Single(slot) => slot,
            RootClass::Several => 2 * reported_roots,
            RootClass::None => 2 * reported_roots + 1,
        }
    }
}

impl Hypothesis {
    /// Whether the hypothesis compresses this root on this side.
    pub fn compresses(&self, root: usize, side: Side) -> bool {
        self.roots & root_bit(root, side) != 0
    }
}

// Every root of a model that loaded has its two bits in `Hypothesis::roots`.
const _: () = assert!(2 * radiculo_kb::MAX_ROOTS <= u32::BITS as usize);

/// The bit of a root on a side in [`Hypothesis::roots`].
pub fn root_bit(root: usize, side: Side) -> u32 {
    1 << (2 * root + side.index())
}

/// A group of findings independent of all others given the hypothesis.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The findings, in combo digit order (digit k has weight 3^k).
    pub members: Vec<FindingId>,
    /// The first table row of this unit.
    pub offset: usize,
}

/// The compiled model.
#[derive(Debug, Clone)]
pub struct Tables {
    /// Every hypothesis.
    pub hyps: Vec<Hypothesis>,
    /// Every unit.
    pub units: Vec<Unit>,
    /// For each finding: its unit and its digit's weight (1, 3 or 9); `None` for findings
    /// the model does not use (advice modifiers).
    pub finding_unit: Vec<Option<(u16, u8)>>,
    /// log P(combo | h), row-major: `log_lik[row * hyps.len() + h]`.
    pub log_lik: Vec<f64>,
    /// P(combo | h), the same layout (for the explanation's running products).
    pub lik: Vec<f64>,
    /// Normalised log priors for each age from 16 to 110: `log_prior[(age - 16) * H + h]`.
    pub log_prior: Vec<f64>,
    /// The same, as probabilities (for the explanation's running products).
    pub prior: Vec<f64>,
    /// P(sex | h) for female and male, `sex[sex * H + h]` (any other sex is no evidence).
    pub sex: Vec<f64>,
    /// P(duration band | h), `duration[band * H + h]`.
    pub duration: Vec<f64>,
    /// The logarithms of `sex`.
    pub log_sex: Vec<f64>,
    /// The logarithms of `duration`.
    pub log_duration: Vec<f64>,
}

/// The youngest age the model covers (the contract's lower bound).
pub const MIN_AGE: u8 = 16;
/// The oldest age the model covers.
pub const MAX_AGE: u8 = 110;

/// State of one finding in a unit's combo digit.
pub const UNKNOWN: usize = 0;
/// The finding is absent.
pub const ABSENT: usize = 1;
/// The finding is present.
pub const PRESENT: usize = 2;

impl Tables {
    /// Compiles the model of a loaded knowledge base.
    pub fn new(kb: &Kb) -> Tables {
        let model = &kb.model;
        let hyps = hypotheses(model);
        let n_h = hyps.len();
        let (units, finding_unit) = units(&kb.vocab, model);
        let rows = units
            .last()
            .map_or(0, |u| u.offset + 3usize.pow(u.members.len() as u32));
        let mut lik = vec![0.0; rows * n_h];
        for unit in &units {
            let combos = 3usize.pow(unit.members.len() as u32);
            for combo in 0..combos {
                let row = unit.offset + combo;
                for (h, hyp) in hyps.iter().enumerate() {
                    lik[row * n_h + h] = unit_likelihood(kb, hyp, unit, combo);
                }
            }
        }
        let log_lik = lik.iter().map(|p| p.ln()).collect();
        let mut log_prior = Vec::with_capacity(usize::from(MAX_AGE - MIN_AGE + 1) * n_h);
        for age in MIN_AGE..=MAX_AGE {
            let raw: Vec<f64> = hyps
                .iter()
                .map(|h| {
                    let lesion = &model.lesions[h.lesion];
                    h.base_prior
                        * age_factor(&model.conditions[h.condition].age_factors, age)
                        * age_factor(&lesion.age_factors, age)
                })
                .collect();
            let total: f64 = raw.iter().sum();
            log_prior.extend(raw.into_iter().map(|p| (p / total).ln()));
        }
        let prior = log_prior.iter().map(|p| p.exp()).collect();
        let condition = |h: &Hypothesis| &model.conditions[h.condition];
        let sex: Vec<f64> = (0..2)
            .flat_map(|sex| hyps.iter().map(move |h| condition(h).sex[sex]))
            .collect();
        let duration: Vec<f64> = (0..model.duration_bands.len())
            .flat_map(|band| hyps.iter().map(move |h| condition(h).duration[band]))
            .collect();
        let log_sex = sex.iter().map(|p| p.ln()).collect();
        let log_duration = duration.iter().map(|p| p.ln()).collect();
        Tables {
            hyps,
            units,
            finding_unit,
            log_lik,
            lik,
            log_prior,
            prior,
            sex,
            duration,
            log_sex,
            log_duration,
        }
    }

    /// The number of hypotheses.
    pub fn n_hyps(&self) -> usize {
        self.hyps.len()
    }

    /// One table row (per-hypothesis values) of `log_lik` or `lik`.
    pub fn row<'a>(&self, table: &'a [f64], row: usize) -> &'a [f64] {
        let n = self.hyps.len();
        &table[row * n..(row + 1) * n]
    }

    /// The normalised prior for an age (clamped to the covered range), from `log_prior` or
    /// `prior`.
    pub fn prior_for_age<'a>(&self, table: &'a [f64], age: u8) -> &'a [f64] {
        let a = usize::from(age.clamp(MIN_AGE, MAX_AGE) - MIN_AGE);
        self.row(table, a)
    }
}

fn age_factor(factors: &[radiculo_kb::AgeFactorDef], age: u8) -> f64 {
    factors
        .iter()
        .find(|f| (f.from..=f.to).contains(&age))
        .map_or(1.0, |f| f.factor)
}

fn hypotheses(model: &Model) -> Vec<Hypothesis> {
    let mut out = Vec::new();
    for (li, lesion) in model.lesions.iter().enumerate() {
        let condition = &model.conditions[lesion.condition];
        let side_share = 1.0 / lesion.sides.len() as f64;
        let levels: Vec<(Option<usize>, f64)> = if lesion.levels.is_empty() {
            vec![(None, 1.0)]
        } else {
            lesion
                .levels
                .iter()
                .enumerate()
                .map(|(i, l)| (Some(i), l.share))
                .collect()
        };
        for &side in &lesion.sides {
            for &(level, level_share) in &levels {
                let mut roots = 0;
                if let Some(l) = level {
                    for &r in &lesion.levels[l].roots {
                        for s in Side::BOTH {
                            if side.covers(s) {
                                roots |= root_bit(r, s);
                            }
                        }
                    }
                }
                let root_class = match roots.count_ones() {
                    0 => RootClass::None,
                    1 if (roots.trailing_zeros() as usize) < 2 * model.reported_roots => {
                        RootClass::Single(roots.trailing_zeros() as usize)
                    }
                    _ => RootClass::Several,
                };
                out.push(Hypothesis {
                    root_class,
                    lesion: li,
                    condition: lesion.condition,
                    // Whatever the condition, pain from a compressed root is radicular.
                    mechanism: if roots == 0 {
                        condition.mechanism
                    } else {
                        Mechanism::Radicular
                    },
                    level,
                    side,
                    roots,
                    base_prior: condition.prior * lesion.share * side_share * level_share,
                });
            }
        }
    }
    let total: f64 = out.iter().map(|h| h.base_prior).sum();
    for h in &mut out {
        h.base_prior /= total;
    }
    out
}

fn units(vocab: &Vocabulary, model: &Model) -> (Vec<Unit>, Vec<Option<(u16, u8)>>) {
    let mut units: Vec<Unit> = Vec::new();
    let mut finding_unit = vec![None; vocab.findings.len()];
    let mut offset = 0;
    let mut push = |members: Vec<FindingId>, units: &mut Vec<Unit>| {
        for (k, f) in members.iter().enumerate() {
            finding_unit[f.index()] = Some((units.len() as u16, 3u8.pow(k as u32)));
        }
        let rows = 3usize.pow(members.len() as u32);
        units.push(Unit { members, offset });
        offset += rows;
    };
    for (ri, region) in vocab.regions.iter().enumerate() {
        debug_assert!(ri < 256);
        for side in Side::BOTH {
            let members = SYMPTOM_KINDS
                .iter()
                .filter_map(|kind| vocab.get(&format!("{kind}.{}.{}", region.id, side.as_str())))
                .collect();
            push(members, &mut units);
        }
    }
    let modelled = |family: usize| {
        model.root_findings.iter().any(|f| f.family == family)
            || model.condition_findings.iter().any(|f| f.family == family)
    };
    for (fi, fam) in vocab.families.iter().enumerate() {
        if modelled(fi) {
            for &f in &fam.findings {
                push(vec![f], &mut units);
            }
        }
    }
    (units, finding_unit)
}

/// P(the region's latent state | h) for a region (an index into the vocabulary's regions) on a
/// side, in [`radiculo_kb::REGION_STATES`] order (neural, somatic, none): neural involvement is
/// a noisy-OR of the compressed roots' coverage of the region and the lesion's own neural
/// involvement on its side(s); somatic involvement, the lesion's on its side(s), given no
/// neural involvement. The region's pain, numbness and tingling depend on this state alone.
pub fn region_states(model: &Model, h: &Hypothesis, region: usize, side: Side) -> [f64; 3] {
    let lesion = &model.lesions[h.lesion];
    let covered = h.side.covers(side);
    let mut spared = 1.0;
    for (root, cov) in model.coverage[region].iter().enumerate() {
        if h.compresses(root, side) {
            spared *= 1.0 - lesion.root_scale * cov;
        }
    }
    if covered {
        spared *= 1.0 - lesion.neural[region];
    }
    let neural = 1.0 - spared;
    let somatic = if covered { lesion.somatic[region] } else { 0.0 };
    [
        neural,
        (1.0 - neural) * somatic,
        (1.0 - neural) * (1.0 - somatic),
    ]
}

/// P(the unit's combo | h), exactly.
fn unit_likelihood(kb: &Kb, h: &Hypothesis, unit: &Unit, combo: usize) -> f64 {
    let vocab = &kb.vocab;
    let model = &kb.model;
    let first = vocab.def(unit.members[0]);
    let digit = |k: usize| (combo / 3usize.pow(k as u32)) % 3;
    match first.shape {
        Shape::Region { region, side, .. } => {
            let states = region_states(model, h, usize::from(region), side);
            let mut total = 0.0;
            for (state, p_state) in states.iter().enumerate() {
                let mut p = *p_state;
                for (k, member) in unit.members.iter().enumerate() {
                    let Shape::Region { kind, .. } = vocab.def(*member).shape else {
                        unreachable!("region units hold region findings only")
                    };
                    let e = model.emission[state][usize::from(kind)];
                    p *= match digit(k) {
                        PRESENT => e,
                        ABSENT => 1.0 - e,
                        _ => 1.0,
                    };
                }
                total += p;
            }
            total
        }
        Shape::Single { family, side } => {
            let family = usize::from(family);
            let present = single_probability(model, h, family, side);
            match digit(0) {
                PRESENT => present,
                ABSENT => 1.0 - present,
                _ => 1.0,
            }
        }
    }
}

fn single_probability(model: &Model, h: &Hypothesis, family: usize, side: Option<Side>) -> f64 {
    let lesion = &model.lesions[h.lesion];
    if let Some(rf) = model.root_findings.iter().find(|f| f.family == family) {
        let side = side.expect("root-driven findings are lateral (kb lint KB005)");
        let scale = (lesion.root_scale * rf.scale[h.lesion]).min(1.0);
        let mut spared = 1.0 - rf.leak;
        if h.side.covers(side) {
            spared *= 1.0 - rf.other[h.lesion];
        }
        for (root, p) in rf.p.iter().enumerate() {
            if h.compresses(root, side) {
                spared *= 1.0 - scale * p;
            }
        }
        return 1.0 - spared;
    }
    let cf = model
        .condition_findings
        .iter()
        .find(|f| f.family == family)
        .expect("every modelled family has a likelihood (kb lint KB013)");
    let applies = side.is_none_or(|s| h.side.covers(s));
    match cf.p[h.lesion] {
        Some(p) if applies => p,
        _ => cf.default,
    }
}
