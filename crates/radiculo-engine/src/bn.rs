//! The compiled model as a discrete Bayesian network, and that network as BIF or XMLBIF text,
//! so that an independent Bayesian-network library can load it and check the engine's
//! inference (`scripts/bn-check.sh` does, with pgmpy; `docs/bayesian-network.md` describes
//! the variables and how to query them).
//!
//! The network is read from the engine's own compiled model: the hypotheses and their
//! priors per age, the sex and duration rows and every single finding's likelihoods come from
//! [`Tables`] as the engine uses them, and the region latent states, which the tables sum out,
//! from [`tables::region_states`], the function the tables are built with. So the network
//! cannot drift from the engine; what the check tests is the engine's inference: the
//! combination of the rows, the region states summed out, unknown findings marginalised, the
//! marginals of conditions, mechanisms and roots.
//!
//! Every variable has at most one parent: the network is a forest, rooted at `age_band`
//! (`age_band -> hypothesis -> everything else`, each region's symptoms through the region's
//! latent state), plus one lone variable per finding the model does not use. A noisy-OR is a
//! function of the hypothesis alone (its roots, lesion and side), so it is one table row per
//! hypothesis, computed exactly as the engine computes it, and needs no intermediate variable.
//!
//! This is the one place where the engine writes text: the model itself, never a case or an
//! assessment, written by hand so that every probability keeps its full precision.

use std::collections::HashSet;
use std::fmt::Write as _;

use radiculo_kb::{Mechanism, REGION_STATES, Shape, Side};

use crate::Engine;
use crate::tables::{self, ABSENT, MAX_AGE, MIN_AGE, PRESENT, Tables};

/// P(sex = other | h), the same for every hypothesis, so that `other` is no evidence, as in
/// the engine. Any value in (0, 1) gives the same posteriors: it cancels.
pub const P_SEX_OTHER: f64 = 0.01;

/// How far a distribution the engine treats as one (a condition's sex shares, its duration
/// bands) may be from adding up to 1 for the network to reproduce the engine: a case that
/// does not give the field is no evidence to the engine, and sums over the states in the
/// network.
pub const SUM_TOLERANCE: f64 = 1e-12;

/// The text formats of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Bayesian Network Interchange Format (Cozman's BIF 0.15 as the `bnlearn` repository
    /// and pgmpy's `BIFReader` read it).
    Bif,
    /// The XML version of BIF, XMLBIF 0.3 (pgmpy's `XMLBIFReader`).
    XmlBif,
}

/// What a variable stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A field of the case (`age_band`, `sex`, `duration_band`): evidence when the case gives
    /// it.
    CaseField,
    /// Never observed: the hypothesis, a region's state.
    Latent,
    /// A finding the model uses: evidence when answered present or absent.
    Finding,
    /// A finding the model does not use (it only changes the advice): a variable without
    /// parent or child, so that evidence on it changes nothing, as in the engine.
    Unmodelled,
    /// What the assessment reports: a deterministic function of the hypothesis.
    Output,
}

/// One discrete variable with its conditional probability table.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// The name (letters, digits and `_`).
    pub name: String,
    /// What it stands for.
    pub role: Role,
    /// The states' names.
    pub states: Vec<String>,
    /// The parent, an index into [`Network::variables`] (always an earlier one).
    pub parent: Option<usize>,
    /// P(state | parent's state): one row per state of the parent (one row without a parent),
    /// each row one value per state, row after row.
    pub table: Vec<f64>,
}

impl Variable {
    /// The table's rows, one per state of the parent.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.table.chunks(self.states.len())
    }
}

/// The model as a discrete Bayesian network.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The knowledge-base version the network is built from.
    pub kb_version: String,
    /// Every variable, each after its parent.
    pub variables: Vec<Variable>,
}

/// Why the model cannot be written as a network that reproduces the engine exactly.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// A condition's female and male shares do not add up to 1: the engine reads a missing or
    /// `other` sex as no evidence, which no table over female, male and other reproduces.
    #[error(
        "condition `{condition}`: P(female) + P(male) is {sum}, not 1, so no table reproduces the engine's `other` and missing sex (no evidence)"
    )]
    SexShares {
        /// The condition's id.
        condition: String,
        /// The sum.
        sum: f64,
    },
    /// A condition's duration bands do not add up to 1: the engine reads a missing duration as
    /// no evidence, the network as the sum over the bands.
    #[error(
        "condition `{condition}`: the duration bands add up to {sum}, not 1, so summing over them does not reproduce the engine's missing duration (no evidence)"
    )]
    DurationShares {
        /// The condition's id.
        condition: String,
        /// The sum.
        sum: f64,
    },
    /// The last duration band starts after the contract's longest duration.
    #[error("the last duration band starts at day {start}, after the longest duration, {max}")]
    DurationMaximum {
        /// The band's first day.
        start: u32,
        /// The longest duration a case may give.
        max: u32,
    },
    /// A name that the formats cannot carry, or that two variables (or two states of one
    /// variable) share.
    #[error("`{name}` is not a usable name: {why}")]
    Name {
        /// The name.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

impl Network {
    /// The engine's model as a network. `max_duration_days` is the longest duration a case
    /// may give (the contract's maximum): the last duration band's upper end.
    pub fn new(engine: &Engine, max_duration_days: u32) -> Result<Network, ExportError> {
        let kb = engine.kb();
        let model = &kb.model;
        let t = engine.tables();
        let n_h = t.n_hyps();
        let hyps = &t.hyps;
        let mut vars: Vec<Variable> = Vec::new();
        let present_absent = || vec!["present".to_string(), "absent".to_string()];

        // The age bands: the widest runs of ages whose prior is the same, each age equally
        // likely (the contract requires the age, so this prior never matters).
        let bands = age_bands(t);
        let n_ages = f64::from(MAX_AGE - MIN_AGE + 1);
        let age = push(
            &mut vars,
            Variable {
                name: "age_band".into(),
                role: Role::CaseField,
                states: bands
                    .iter()
                    .map(|(lo, hi)| format!("age_{lo}_{hi}"))
                    .collect(),
                parent: None,
                table: bands
                    .iter()
                    .map(|(lo, hi)| f64::from(hi - lo + 1) / n_ages)
                    .collect(),
            },
        );
        let hyp = push(
            &mut vars,
            Variable {
                name: "hypothesis".into(),
                role: Role::Latent,
                states: hyps.iter().map(|h| hypothesis_name(engine, h)).collect(),
                parent: Some(age),
                table: bands
                    .iter()
                    .flat_map(|&(lo, _)| t.prior_for_age(&t.prior, lo).iter().copied())
                    .collect(),
            },
        );
        let deterministic = |n: usize, state: &dyn Fn(&tables::Hypothesis) -> usize| {
            hyps.iter()
                .flat_map(|h| {
                    let s = state(h);
                    (0..n).map(move |k| if k == s { 1.0 } else { 0.0 })
                })
                .collect::<Vec<f64>>()
        };
        push(
            &mut vars,
            Variable {
                name: "condition".into(),
                role: Role::Output,
                states: model.conditions.iter().map(|c| c.id.clone()).collect(),
                parent: Some(hyp),
                table: deterministic(model.conditions.len(), &|h| h.condition),
            },
        );
        push(
            &mut vars,
            Variable {
                name: "mechanism".into(),
                role: Role::Output,
                states: Mechanism::ALL.iter().map(|m| m.as_str().into()).collect(),
                parent: Some(hyp),
                table: deterministic(Mechanism::ALL.len(), &|h| h.mechanism.index()),
            },
        );
        for (root, root_name) in model.roots.iter().enumerate().take(model.reported_roots) {
            for side in Side::BOTH {
                push(
                    &mut vars,
                    Variable {
                        name: format!("root__{root_name}__{}", side.as_str()),
                        role: Role::Output,
                        states: vec!["affected".into(), "not_affected".into()],
                        parent: Some(hyp),
                        table: deterministic(2, &|h| usize::from(!h.compresses(root, side))),
                    },
                );
            }
        }

        let mut sex = Vec::with_capacity(3 * n_h);
        for (h, hy) in hyps.iter().enumerate() {
            let (female, male) = (t.sex[h], t.sex[n_h + h]);
            if (female + male - 1.0).abs() > SUM_TOLERANCE {
                return Err(ExportError::SexShares {
                    condition: model.conditions[hy.condition].id.clone(),
                    sum: female + male,
                });
            }
            let given = 1.0 - P_SEX_OTHER;
            sex.extend([given * female, given * male, P_SEX_OTHER]);
        }
        push(
            &mut vars,
            Variable {
                name: "sex".into(),
                role: Role::CaseField,
                states: vec!["female".into(), "male".into(), "other".into()],
                parent: Some(hyp),
                table: sex,
            },
        );

        let starts = &model.duration_bands;
        let last = *starts.last().expect("the first band starts at day 0");
        if last > max_duration_days {
            return Err(ExportError::DurationMaximum {
                start: last,
                max: max_duration_days,
            });
        }
        let mut duration = Vec::with_capacity(starts.len() * n_h);
        for (h, hy) in hyps.iter().enumerate() {
            let row: Vec<f64> = (0..starts.len()).map(|b| t.duration[b * n_h + h]).collect();
            let sum: f64 = row.iter().sum();
            if (sum - 1.0).abs() > SUM_TOLERANCE {
                return Err(ExportError::DurationShares {
                    condition: model.conditions[hy.condition].id.clone(),
                    sum,
                });
            }
            duration.extend(row);
        }
        push(
            &mut vars,
            Variable {
                name: "duration_band".into(),
                role: Role::CaseField,
                states: (0..starts.len())
                    .map(|b| {
                        let hi = starts.get(b + 1).map_or(max_duration_days, |next| next - 1);
                        format!("days_{}_{hi}", starts[b])
                    })
                    .collect(),
                parent: Some(hyp),
                table: duration,
            },
        );

        // The findings, unit by unit: a region's latent state, then its symptoms; a single
        // finding with its own row per hypothesis.
        let vocab = &kb.vocab;
        for unit in &t.units {
            let first = vocab.def(unit.members[0]);
            match first.shape {
                Shape::Region { region, side, .. } => {
                    let region = usize::from(region);
                    let latent = push(
                        &mut vars,
                        Variable {
                            name: format!(
                                "region__{}__{}",
                                vocab.regions[region].id,
                                side.as_str()
                            ),
                            role: Role::Latent,
                            states: REGION_STATES.iter().map(|s| s.to_string()).collect(),
                            parent: Some(hyp),
                            table: hyps
                                .iter()
                                .flat_map(|h| tables::region_states(model, h, region, side))
                                .collect(),
                        },
                    );
                    for &member in &unit.members {
                        let Shape::Region { kind, .. } = vocab.def(member).shape else {
                            unreachable!("region units hold region findings only")
                        };
                        let kind = usize::from(kind);
                        push(
                            &mut vars,
                            Variable {
                                name: finding_variable(&vocab.def(member).id),
                                role: Role::Finding,
                                states: present_absent(),
                                parent: Some(latent),
                                table: (0..REGION_STATES.len())
                                    .flat_map(|state| {
                                        let e = model.emission[state][kind];
                                        [e, 1.0 - e]
                                    })
                                    .collect(),
                            },
                        );
                    }
                }
                Shape::Single { .. } => {
                    debug_assert_eq!(unit.members.len(), 1);
                    let row = |combo: usize| t.row(&t.lik, unit.offset + combo);
                    push(
                        &mut vars,
                        Variable {
                            name: finding_variable(&first.id),
                            role: Role::Finding,
                            states: present_absent(),
                            parent: Some(hyp),
                            table: row(PRESENT)
                                .iter()
                                .zip(row(ABSENT))
                                .flat_map(|(&p, &a)| [p, a])
                                .collect(),
                        },
                    );
                }
            }
        }
        for (i, f) in vocab.findings.iter().enumerate() {
            if t.finding_unit[i].is_none() {
                push(
                    &mut vars,
                    Variable {
                        name: finding_variable(&f.id),
                        role: Role::Unmodelled,
                        states: present_absent(),
                        parent: None,
                        table: vec![0.5, 0.5],
                    },
                );
            }
        }

        let network = Network {
            kb_version: kb.version.clone(),
            variables: vars,
        };
        network.check_names()?;
        Ok(network)
    }

    /// The variable of this name.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// The network as text.
    pub fn write(&self, format: Format) -> String {
        match format {
            Format::Bif => self.bif(),
            Format::XmlBif => self.xmlbif(),
        }
    }

    /// Every name is made of letters, digits and `_`, and no two variables, nor two states of
    /// one variable, share a name (pgmpy's BIF reader matches names without case: so do we).
    fn check_names(&self) -> Result<(), ExportError> {
        let usable = |name: &str| -> Result<(), ExportError> {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(ExportError::Name {
                    name: name.into(),
                    why: "only letters, digits and `_` are written",
                });
            }
            Ok(())
        };
        let mut names = HashSet::new();
        for v in &self.variables {
            usable(&v.name)?;
            if !names.insert(v.name.to_ascii_lowercase()) {
                return Err(ExportError::Name {
                    name: v.name.clone(),
                    why: "two variables have this name",
                });
            }
            let mut states = HashSet::new();
            for s in &v.states {
                usable(s)?;
                if !states.insert(s.to_ascii_lowercase()) {
                    return Err(ExportError::Name {
                        name: s.clone(),
                        why: "two states of one variable have this name",
                    });
                }
            }
        }
        Ok(())
    }

    /// The comment at the top of both formats: what the network is and how to query it.
    fn description(&self) -> Vec<String> {
        vec![
            format!(
                "radiculo's probability model, knowledge base {}, as a discrete Bayesian network.",
                self.kb_version
            ),
            "Written by `radiculo kb export` from the engine's compiled model; see docs/bayesian-network.md.".into(),
            "Evidence: age_band (always), sex and duration_band when the case gives them, and each finding".into(),
            "answered present or absent (variable: the finding id with every . replaced by __).".into(),
            "Query: condition, mechanism and root__ROOT__SIDE (affected) give the assessment's probabilities.".into(),
            "Latent: hypothesis (a lesion at a level on a side) and region__REGION__SIDE (neural, somatic, none).".into(),
        ]
    }

    fn bif(&self) -> String {
        let mut out = String::new();
        for line in self.description() {
            let _ = writeln!(out, "// {line}");
        }
        out.push_str("network radiculo {\n}\n");
        for v in &self.variables {
            let _ = writeln!(
                out,
                "variable {} {{\n  type discrete [ {} ] {{ {} }};\n}}",
                v.name,
                v.states.len(),
                v.states.join(", ")
            );
        }
        for v in &self.variables {
            match v.parent {
                None => {
                    let _ = writeln!(
                        out,
                        "probability ( {} ) {{\n  table {};\n}}",
                        v.name,
                        numbers(&v.table, ", ")
                    );
                }
                Some(p) => {
                    let parent = &self.variables[p];
                    let _ = writeln!(out, "probability ( {} | {} ) {{", v.name, parent.name);
                    for (state, row) in parent.states.iter().zip(v.rows()) {
                        let _ = writeln!(out, "  ({state}) {};", numbers(row, ", "));
                    }
                    out.push_str("}\n");
                }
            }
        }
        out
    }

    fn xmlbif(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"US-ASCII\"?>\n<!--\n");
        for line in self.description() {
            // An XML comment may not hold two hyphens in a row; the description has none.
            debug_assert!(!line.contains("--"));
            let _ = writeln!(out, "  {line}");
        }
        out.push_str("-->\n<BIF VERSION=\"0.3\">\n<NETWORK>\n<NAME>radiculo</NAME>\n");
        // Names are letters, digits and `_` (`check_names`): nothing to escape.
        for v in &self.variables {
            let _ = writeln!(out, "<VARIABLE TYPE=\"nature\">\n  <NAME>{}</NAME>", v.name);
            for s in &v.states {
                let _ = writeln!(out, "  <OUTCOME>{s}</OUTCOME>");
            }
            out.push_str("</VARIABLE>\n");
        }
        for v in &self.variables {
            let _ = writeln!(out, "<DEFINITION>\n  <FOR>{}</FOR>", v.name);
            if let Some(p) = v.parent {
                let _ = writeln!(out, "  <GIVEN>{}</GIVEN>", self.variables[p].name);
            }
            // The child's states vary fastest, parent state after parent state: the table's
            // own order.
            let _ = writeln!(
                out,
                "  <TABLE>{}</TABLE>\n</DEFINITION>",
                numbers(&v.table, " ")
            );
        }
        out.push_str("</NETWORK>\n</BIF>\n");
        out
    }
}

/// The engine's model as a network in a text format; see [`Network::new`].
pub fn export(
    engine: &Engine,
    format: Format,
    max_duration_days: u32,
) -> Result<String, ExportError> {
    Ok(Network::new(engine, max_duration_days)?.write(format))
}

/// Adds a variable; gives its index.
fn push(vars: &mut Vec<Variable>, v: Variable) -> usize {
    vars.push(v);
    vars.len() - 1
}

/// A finding's variable: its id with every `.` replaced by `__`.
pub fn finding_variable(id: &str) -> String {
    id.replace('.', "__")
}

/// The age bands: the widest runs of ages from [`MIN_AGE`] to [`MAX_AGE`] with the same prior
/// row, as (first age, last age).
fn age_bands(t: &Tables) -> Vec<(u8, u8)> {
    let mut bands: Vec<(u8, u8)> = Vec::new();
    for age in MIN_AGE..=MAX_AGE {
        match bands.last_mut() {
            Some((lo, hi)) if t.prior_for_age(&t.prior, *lo) == t.prior_for_age(&t.prior, age) => {
                *hi = age
            }
            _ => bands.push((age, age)),
        }
    }
    bands
}

/// A hypothesis's state name: `LESION__LEVEL__SIDE` (`disc_paracentral__L4_L5__left`), or
/// `LESION__SIDE` for a lesion without levels; any character other than a letter, a digit or
/// `_` becomes `_`.
fn hypothesis_name(engine: &Engine, h: &tables::Hypothesis) -> String {
    let lesion = &engine.kb().model.lesions[h.lesion];
    let mut name = lesion.id.clone();
    if let Some(level) = h.level {
        name.push_str("__");
        name.push_str(&lesion.levels[level].level);
    }
    name.push_str("__");
    name.push_str(h.side.as_str());
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Numbers at full precision: the shortest text that reads back as the same `f64`.
fn numbers(values: &[f64], separator: &str) -> String {
    let mut out = String::with_capacity(values.len() * 20);
    for (i, x) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        let _ = write!(out, "{x:?}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Case, Options, Sex};
    use radiculo_kb::FindingId;

    /// The contract's longest duration (`radiculo_contract::MAX_DURATION_DAYS`; that crate
    /// depends on this one).
    const MAX_DAYS: u32 = 40_200;

    fn engine() -> Engine {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    }

    fn network(engine: &Engine) -> Network {
        Network::new(engine, MAX_DAYS).expect("the embedded kb exports")
    }

    /// `name`'s index in the network.
    fn index(net: &Network, name: &str) -> usize {
        (net.variables.iter().position(|v| v.name == name))
            .unwrap_or_else(|| panic!("no variable {name}"))
    }

    /// (first, last, state) of states named `PREFIX_LO_HI`.
    fn bands(v: &Variable, prefix: &str) -> Vec<(u32, u32, usize)> {
        v.states
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let rest = s.strip_prefix(prefix).expect("the prefix");
                let (lo, hi) = rest.split_once('_').expect("LO_HI");
                (lo.parse().expect("LO"), hi.parse().expect("HI"), i)
            })
            .collect()
    }

    #[test]
    fn every_row_is_a_distribution_and_every_parent_comes_first() {
        let net = network(&engine());
        for (i, v) in net.variables.iter().enumerate() {
            let rows = v.parent.map_or(1, |p| net.variables[p].states.len());
            assert!(v.parent.is_none_or(|p| p < i), "{}", v.name);
            assert_eq!(v.table.len(), rows * v.states.len(), "{}", v.name);
            if v.role == Role::Unmodelled {
                assert!(v.parent.is_none());
                assert!(
                    net.variables.iter().all(|c| c.parent != Some(i)),
                    "{}",
                    v.name
                );
            }
            for row in v.rows() {
                if v.role == Role::Output {
                    assert_eq!(row.iter().filter(|p| **p == 1.0).count(), 1, "{}", v.name);
                    assert_eq!(row.iter().filter(|p| **p == 0.0).count(), row.len() - 1);
                }
                assert!(row.iter().all(|p| (0.0..=1.0).contains(p)), "{}", v.name);
                let sum: f64 = row.iter().sum();
                assert!(
                    (sum - 1.0).abs() < 1e-12,
                    "{}: a row adds up to {sum}",
                    v.name
                );
            }
        }
    }

    #[test]
    fn names_follow_the_contract() {
        let e = engine();
        let kb = e.kb();
        let net = network(&e);
        let states = |name: &str| net.variables[index(&net, name)].states.clone();
        for f in &kb.vocab.findings {
            let name = f.id.replace('.', "__");
            assert_eq!(states(&name), ["present", "absent"], "{}", f.id);
        }
        assert_eq!(
            finding_variable("pain.lateral_leg.left"),
            "pain__lateral_leg__left"
        );
        let conditions: Vec<String> = kb.model.conditions.iter().map(|c| c.id.clone()).collect();
        assert_eq!(states("condition"), conditions);
        assert_eq!(states("mechanism"), ["radicular", "referred", "other"]);
        assert_eq!(states("sex"), ["female", "male", "other"]);
        for root in ["L2", "L3", "L4", "L5", "S1"] {
            for side in ["left", "right"] {
                let name = format!("root__{root}__{side}");
                assert_eq!(states(&name), ["affected", "not_affected"]);
            }
        }
        // Only the reported roots are outputs.
        let roots = net
            .variables
            .iter()
            .filter(|v| v.name.starts_with("root__"));
        assert_eq!(roots.count(), 2 * kb.model.reported_roots);
        // The bands tile the ages and the durations, up to the contract's maxima.
        let ages = bands(&net.variables[index(&net, "age_band")], "age_");
        let days = bands(&net.variables[index(&net, "duration_band")], "days_");
        for (tiles, first, last) in [(&ages, 16, 110), (&days, 0, MAX_DAYS)] {
            assert_eq!(tiles[0].0, first);
            assert_eq!(tiles[tiles.len() - 1].1, last);
            for pair in tiles.windows(2) {
                assert_eq!(pair[1].0, pair[0].1 + 1);
            }
        }
        assert_eq!(states("age_band")[0], "age_16_39");
        assert_eq!(
            states("duration_band"),
            ["days_0_13", "days_14_41", "days_42_89", "days_90_40200"]
        );
        assert!(states("hypothesis").contains(&"disc_paracentral__L4_L5__left".to_string()));
        assert_eq!(states("region__lateral_leg__left"), REGION_STATES);
        // The engine's prior is the same for every age of a band, and differs between
        // neighbouring bands.
        let t = e.tables();
        for pair in ages.windows(2) {
            let prior = |age: u32| t.prior_for_age(&t.prior, age as u8);
            for age in pair[0].0..=pair[0].1 {
                assert_eq!(prior(age), prior(pair[0].0));
            }
            assert_ne!(prior(pair[0].1), prior(pair[1].0));
        }
    }

    /// A variable as a text gives it: name, states, parent's name, table.
    type ReadBack = (String, Vec<String>, Option<String>, Vec<f64>);

    /// The text between `<TAG>` and `</TAG>`, each time.
    fn tags<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        text.split(open.as_str())
            .skip(1)
            .map(|s| s.split(close.as_str()).next().expect("a closing tag"))
            .collect()
    }

    /// A network read back from XMLBIF by a reader written from the format alone.
    fn read_xmlbif(text: &str) -> Vec<ReadBack> {
        let variables: Vec<(String, Vec<String>)> = text
            .split("<VARIABLE TYPE=\"nature\">")
            .skip(1)
            .map(|block| {
                let block = block.split("</VARIABLE>").next().expect("closed");
                let states = tags(block, "OUTCOME").into_iter().map(String::from);
                (tags(block, "NAME")[0].to_string(), states.collect())
            })
            .collect();
        let definitions: Vec<_> = tags(text, "DEFINITION");
        assert_eq!(definitions.len(), variables.len());
        variables
            .into_iter()
            .zip(definitions)
            .map(|((name, states), def)| {
                assert_eq!(tags(def, "FOR"), [name.as_str()]);
                let given = tags(def, "GIVEN").first().map(|s| s.to_string());
                let table = tags(def, "TABLE")[0]
                    .split_whitespace()
                    .map(|x| x.parse().expect("a number"))
                    .collect();
                (name, states, given, table)
            })
            .collect()
    }

    /// A network read back from BIF by a reader written from the format alone.
    fn read_bif(text: &str) -> Vec<ReadBack> {
        let mut out: Vec<ReadBack> = Vec::new();
        let mut lines = text.lines().filter(|l| !l.starts_with("//"));
        assert_eq!(lines.next(), Some("network radiculo {"));
        assert_eq!(lines.next(), Some("}"));
        let numbers = |s: &str| -> Vec<f64> {
            let s = s.strip_suffix(';').expect("a row ends with ;");
            s.split(", ")
                .map(|x| x.parse().expect("a number"))
                .collect()
        };
        while let Some(line) = lines.next() {
            if let Some(name) = line.strip_prefix("variable ") {
                let name = name.strip_suffix(" {").expect("a block");
                let decl = lines.next().expect("a type");
                let (count, list) = (decl.strip_prefix("  type discrete [ "))
                    .and_then(|d| d.split_once(" ] { "))
                    .expect("a discrete type");
                let list = list.strip_suffix(" };").expect("closed");
                let states: Vec<String> = list.split(", ").map(String::from).collect();
                assert_eq!(count.parse::<usize>().expect("a count"), states.len());
                assert_eq!(lines.next(), Some("}"));
                out.push((name.to_string(), states, None, Vec::new()));
            } else {
                let head = (line.strip_prefix("probability ( "))
                    .and_then(|h| h.strip_suffix(" ) {"))
                    .unwrap_or_else(|| panic!("an unexpected line: {line}"));
                let (name, given) = match head.split_once(" | ") {
                    Some((n, g)) => (n, Some(g.to_string())),
                    None => (head, None),
                };
                let mut table = Vec::new();
                let mut parent_states = Vec::new();
                for row in lines.by_ref() {
                    let row = row.trim();
                    if row == "}" {
                        break;
                    }
                    if let Some(values) = row.strip_prefix("table ") {
                        table.extend(numbers(values));
                    } else {
                        let (state, values) = (row.strip_prefix('('))
                            .and_then(|r| r.split_once(") "))
                            .expect("(state) values");
                        parent_states.push(state.to_string());
                        table.extend(numbers(values));
                    }
                }
                // The rows come in the parent's state order.
                if let Some(g) = &given {
                    let parent = out.iter().find(|v| &v.0 == g).expect("a declared parent");
                    assert_eq!(parent_states, parent.1, "{name}");
                }
                let v = out.iter_mut().find(|v| v.0 == name).expect("declared");
                v.2 = given;
                v.3 = table;
            }
        }
        out
    }

    #[test]
    fn bif_and_xmlbif_read_back_as_the_network_bit_for_bit() {
        let net = network(&engine());
        let expected: Vec<ReadBack> = (net.variables)
            .iter()
            .map(|v| {
                let parent = v.parent.map(|p| net.variables[p].name.clone());
                (v.name.clone(), v.states.clone(), parent, v.table.clone())
            })
            .collect();
        for (format, read) in [
            (Format::Bif, read_bif as fn(&str) -> _),
            (Format::XmlBif, read_xmlbif),
        ] {
            let text = net.write(format);
            assert!(text.is_ascii());
            let back = read(&text);
            assert_eq!(back.len(), expected.len());
            for (b, e) in back.iter().zip(&expected) {
                // `==` on the f64 tables: every number reads back as the same f64.
                assert_eq!(b, e, "{format:?}: {}", e.0);
            }
        }
        assert_eq!(
            export(&engine(), Format::Bif, MAX_DAYS).as_deref(),
            Ok(net.write(Format::Bif).as_str())
        );
    }

    /// P(evidence) on the network: each tree summed from its leaves up (every variable has at
    /// most one parent, and comes after it). `evidence[v]` is `v`'s observed state.
    fn likelihood(net: &Network, evidence: &[Option<usize>]) -> f64 {
        // lambda[v][s] = P(the evidence below v | v = s), once v's children are done.
        let mut lambda: Vec<Vec<f64>> = net
            .variables
            .iter()
            .map(|v| vec![1.0; v.states.len()])
            .collect();
        let mut total = 1.0;
        for (i, v) in net.variables.iter().enumerate().rev() {
            if let Some(observed) = evidence[i] {
                for (s, l) in lambda[i].iter_mut().enumerate() {
                    if s != observed {
                        *l = 0.0;
                    }
                }
            }
            let message: Vec<f64> = v
                .rows()
                .map(|row| row.iter().zip(&lambda[i]).map(|(p, l)| p * l).sum())
                .collect();
            match v.parent {
                Some(p) => {
                    for (x, m) in lambda[p].iter_mut().zip(message) {
                        *x *= m;
                    }
                }
                None => total *= message[0],
            }
        }
        total
    }

    /// P(variable | evidence) on the network.
    fn marginal(net: &Network, evidence: &[Option<usize>], variable: usize) -> Vec<f64> {
        let mut clamped = evidence.to_vec();
        let joint: Vec<f64> = (0..net.variables[variable].states.len())
            .map(|s| {
                clamped[variable] = Some(s);
                likelihood(net, &clamped)
            })
            .collect();
        let total: f64 = joint.iter().sum();
        joint.iter().map(|p| p / total).collect()
    }

    /// Inference on the network, by the textbook sum over each tree, gives the engine's
    /// conditions, mechanisms and roots, on random cases: every finding possibly answered
    /// (findings the model does not use and "not sure" answers included), every sex or none,
    /// a duration or none, any age.
    #[test]
    fn inference_on_the_network_is_the_engines() {
        let e = engine();
        let kb = e.kb();
        let net = network(&e);
        let age_bands = bands(&net.variables[index(&net, "age_band")], "age_");
        let day_bands = bands(&net.variables[index(&net, "duration_band")], "days_");
        let band = |bands: &[(u32, u32, usize)], x: u32| {
            bands
                .iter()
                .find(|b| (b.0..=b.1).contains(&x))
                .expect("a band")
                .2
        };
        let finding_vars: Vec<usize> = (kb.vocab.findings.iter())
            .map(|f| index(&net, &finding_variable(&f.id)))
            .collect();
        // A fixed xorshift sequence: the same cases on every run.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut worst: f64 = 0.0;
        for _ in 0..300 {
            let mut evidence = vec![None; net.variables.len()];
            let mut case = Case::new(16 + (next() % 95) as u8);
            evidence[index(&net, "age_band")] = Some(band(&age_bands, u32::from(case.age)));
            case.sex =
                [None, Some(Sex::Female), Some(Sex::Male), Some(Sex::Other)][(next() % 4) as usize];
            if let Some(sex) = case.sex {
                evidence[index(&net, "sex")] = Some(sex as usize);
            }
            if next() % 4 > 0 {
                let days = (next() % 1000) as u32;
                case.duration_days = Some(days);
                evidence[index(&net, "duration_band")] = Some(band(&day_bands, days));
            }
            let density = next() % 25;
            for (i, &var) in finding_vars.iter().enumerate() {
                let state = match next() % 100 {
                    r if r < density => Some(true),
                    r if r < 3 * density => Some(false),
                    r if r < 3 * density + 2 => None,
                    _ => continue,
                };
                case.answer(FindingId(i as u16), state);
                evidence[var] = state.map(|present| usize::from(!present));
            }
            let a = e.assess(
                &case,
                Options {
                    next_question: false,
                },
            );
            let conditions = marginal(&net, &evidence, index(&net, "condition"));
            for c in &a.conditions {
                worst = worst.max((c.probability - conditions[c.condition]).abs());
            }
            let mechanisms = marginal(&net, &evidence, index(&net, "mechanism"));
            for (p, q) in a.mechanism.iter().zip(&mechanisms) {
                worst = worst.max((p - q).abs());
            }
            for r in &a.roots {
                let name = format!("root__{}__{}", kb.model.roots[r.root], r.side.as_str());
                let affected = marginal(&net, &evidence, index(&net, &name))[0];
                worst = worst.max((r.probability - affected).abs());
            }
        }
        assert!(worst < 1e-12, "largest difference {worst}");
    }

    #[test]
    fn a_model_the_network_cannot_reproduce_is_refused() {
        let kb = || radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads");
        let mut sex = kb();
        sex.model.conditions[1].sex = [0.5, 0.5 - 1e-9];
        let id = sex.model.conditions[1].id.clone();
        assert!(matches!(
            Network::new(&Engine::new(sex), MAX_DAYS),
            Err(ExportError::SexShares { condition, .. }) if condition == id
        ));
        let mut duration = kb();
        duration.model.conditions[2].duration[0] += 1e-9;
        assert!(matches!(
            Network::new(&Engine::new(duration), MAX_DAYS),
            Err(ExportError::DurationShares { .. })
        ));
        assert_eq!(
            Network::new(&engine(), 89),
            Err(ExportError::DurationMaximum { start: 90, max: 89 })
        );
    }
}
