//! The model against the published accuracy of single findings (`kb/accuracy.toml`): for each
//! check, the sensitivity, specificity, likelihood ratios and diagnostic odds ratio the model
//! implies in the check's population must lie in the published ranges.

use radiculo_engine::tables::PRESENT;
use radiculo_engine::{Case, Engine, Mode};
use radiculo_kb::Mechanism;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Checks {
    check: Vec<Check>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    finding: String,
    target: Target,
    #[serde(default)]
    among: Option<Target>,
    population: Population,
    published: String,
    #[serde(default)]
    sensitivity: Option<[f64; 2]>,
    #[serde(default)]
    specificity: Option<[f64; 2]>,
    #[serde(default)]
    lr_positive: Option<[f64; 2]>,
    #[serde(default)]
    lr_negative: Option<[f64; 2]>,
    #[serde(default)]
    diagnostic_odds_ratio: Option<[f64; 2]>,
    source: String,
}

/// A set of hypotheses: those of a condition, a root and side, a mechanism, or several
/// conditions.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    root: Option<String>,
    #[serde(default)]
    mechanism: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Population {
    age: u8,
    present: Vec<String>,
}

fn mask(engine: &Engine, t: &Target) -> Vec<bool> {
    let kb = engine.kb();
    let condition = |id: &str| {
        kb.model
            .conditions
            .iter()
            .position(|c| c.id == id)
            .unwrap_or_else(|| panic!("unknown condition {id}"))
    };
    engine
        .tables()
        .hyps
        .iter()
        .map(|h| {
            if let Some(c) = &t.condition {
                h.condition == condition(c)
            } else if !t.conditions.is_empty() {
                t.conditions.iter().any(|c| h.condition == condition(c))
            } else if let Some(r) = &t.root {
                let (root, side) = r.split_once('.').expect("ROOT.SIDE");
                let root = kb
                    .model
                    .roots
                    .iter()
                    .position(|x| x == root)
                    .expect("a root");
                let side = radiculo_kb::Side::BOTH
                    .into_iter()
                    .find(|s| s.as_str() == side)
                    .expect("a side");
                h.compresses(root, side)
            } else if let Some(m) = &t.mechanism {
                h.mechanism == Mechanism::parse(m).expect("a mechanism")
            } else {
                panic!("a target names a condition, conditions, a root or a mechanism")
            }
        })
        .collect()
}

#[test]
fn the_model_reproduces_published_accuracy() {
    let engine =
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"));
    let kb = engine.kb();
    let tables = engine.tables();
    let checks: Checks =
        toml::from_str(include_str!("../../../kb/accuracy.toml")).expect("kb/accuracy.toml parses");
    assert!(checks.check.len() >= 10);
    let mut failures = Vec::new();
    for c in &checks.check {
        for s in c.source.split('+') {
            assert!(
                kb.sources.contains_key(s),
                "{}: unknown source {s}",
                c.finding
            );
        }
        assert!(!c.published.trim().is_empty());
        let f = kb.vocab.get(&c.finding).expect("a known finding");
        let (unit, digit) = tables.finding_unit[f.index()].expect("a modelled finding");
        let u = &tables.units[usize::from(unit)];
        assert_eq!(
            u.members.len(),
            1,
            "{}: checks are for single findings",
            c.finding
        );
        let p_f = tables.row(&tables.lik, u.offset + PRESENT * usize::from(digit));
        let mut case = Case::new(c.population.age);
        case.mode = Mode::Clinician;
        for id in &c.population.present {
            case.set(kb.vocab.get(id).expect("a known finding"), Some(true));
        }
        let post = engine.posterior(&case);
        let target = mask(&engine, &c.target);
        let among = c
            .among
            .as_ref()
            .map_or(vec![true; target.len()], |a| mask(&engine, a));
        let (mut tp, mut t, mut fp, mut n) = (0.0, 0.0, 0.0, 0.0);
        for (((w, p), inside), kept) in post.iter().zip(p_f).zip(&target).zip(&among) {
            if !kept {
                continue;
            }
            if *inside {
                tp += w * p;
                t += w;
            } else {
                fp += w * p;
                n += w;
            }
        }
        let sn = tp / t;
        let sp = 1.0 - fp / n;
        let figures = [
            ("sensitivity", sn, c.sensitivity),
            ("specificity", sp, c.specificity),
            ("LR+", sn / (1.0 - sp), c.lr_positive),
            ("LR-", (1.0 - sn) / sp, c.lr_negative),
            (
                "diagnostic odds ratio",
                (sn / (1.0 - sn)) / ((1.0 - sp) / sp),
                c.diagnostic_odds_ratio,
            ),
        ];
        for (what, value, range) in figures {
            if let Some([lo, hi]) = range
                && !(lo..=hi).contains(&value)
            {
                failures.push(format!(
                    "{} ({}): {what} {value:.3} is outside [{lo}, {hi}]; published: {}",
                    c.finding,
                    c.target
                        .condition
                        .clone()
                        .or(c.target.root.clone())
                        .unwrap_or_default(),
                    c.published
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
