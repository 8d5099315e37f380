//! `radiculo eval`: score labelled cases.
//!
//! Each line is `{"case": …, "expect": {"triage": [...], "root": "L5.left"|null,
//! "condition": …|null, "mechanism": …|null}, "source": …}`. A null (or missing) label is not
//! scored. With `--check`, the run fails (exit 3) below the thresholds.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use radiculo_engine::{Engine, Options};
use radiculo_kb::{Mechanism, TriageLevel};
use serde::Deserialize;

use crate::{BelowThreshold, InvalidInput};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled cases, one JSON object per line.
    file: PathBuf,
    /// Fail (exit 3) when a score is below its threshold.
    #[arg(long)]
    check: bool,
    /// Minimum share of expected emergencies assessed as emergency.
    #[arg(long, default_value_t = 1.0)]
    min_emergencies: f64,
    /// Minimum share of cases whose triage is in the accepted set.
    #[arg(long, default_value_t = 0.95)]
    min_triage: f64,
    /// Minimum share of root-labelled cases whose top root is the label.
    #[arg(long, default_value_t = 0.90)]
    min_root: f64,
    /// Minimum share of condition-labelled cases whose top condition is the label.
    #[arg(long, default_value_t = 0.90)]
    min_condition: f64,
    /// Minimum share of mechanism-labelled cases whose top mechanism is the label.
    #[arg(long, default_value_t = 0.0)]
    min_mechanism: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Labelled {
    case: serde_json::Value,
    expect: Expect,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    triage: Vec<String>,
    #[serde(default)]
    root: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    mechanism: Option<String>,
}

#[derive(Default)]
struct Score {
    hits: usize,
    total: usize,
    misses: Vec<String>,
}

impl Score {
    fn record(&mut self, hit: bool, miss: impl FnOnce() -> String) {
        self.total += 1;
        if hit {
            self.hits += 1;
        } else {
            self.misses.push(miss());
        }
    }

    fn rate(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.hits as f64 / self.total as f64
        }
    }
}

pub fn run(engine: &Engine, args: &EvalArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let kb = engine.kb();
    let mut triage = Score::default();
    let mut emergencies = Score::default();
    let mut root = Score::default();
    let mut condition = Score::default();
    let mut mechanism = Score::default();
    let mut cases = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", args.file.display(), i + 1);
        let labelled: Labelled =
            serde_json::from_str(line).map_err(|e| InvalidInput(format!("{}: {e}", at())))?;
        let _ = (&labelled.source, &labelled.tags);
        let case = radiculo_contract::case_from_value(engine, &labelled.case).map_err(|e| {
            InvalidInput(format!("{}: {}", at(), crate::report::contract_error(&e)))
        })?;
        let accepted: Vec<TriageLevel> = labelled
            .expect
            .triage
            .iter()
            .map(|l| {
                TriageLevel::parse(l).ok_or_else(|| {
                    InvalidInput(format!("{}: expect.triage: unknown level `{l}`", at()))
                })
            })
            .collect::<Result<_, _>>()?;
        cases += 1;
        let name = case.id.clone().unwrap_or_else(at);
        let a = engine.assess(
            &case,
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
        triage.record(accepted.contains(&level), || {
            format!("{name}: triage {level}, expected {}", levels())
        });
        if accepted.contains(&TriageLevel::Emergency) {
            emergencies.record(level == TriageLevel::Emergency, || {
                format!("{name}: MISSED EMERGENCY, got {level}")
            });
        }
        if let Some(want) = &labelled.expect.root {
            let top = &a.roots[0];
            let got = format!("{}.{}", kb.model.roots[top.root], top.side.as_str());
            root.record(&got == want, || {
                format!(
                    "{name}: top root {got} ({:.2}), expected {want}",
                    top.probability
                )
            });
        }
        if let Some(want) = &labelled.expect.condition {
            let top = &a.conditions[0];
            condition.record(&top.def.id == want, || {
                let p = a
                    .conditions
                    .iter()
                    .find(|c| &c.def.id == want)
                    .map_or(0.0, |c| c.probability);
                format!(
                    "{name}: top condition {} ({:.2}), expected {want} ({p:.2})",
                    top.def.id, top.probability
                )
            });
        }
        if let Some(want) = &labelled.expect.mechanism {
            let (i, p) = a
                .mechanism
                .iter()
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .expect("three mechanisms");
            let got = Mechanism::ALL[i].as_str();
            mechanism.record(got == want, || {
                format!("{name}: top mechanism {got} ({p:.2}), expected {want}")
            });
        }
    }
    let rows = [
        ("triage in the accepted set", &triage, args.min_triage),
        ("emergencies caught", &emergencies, args.min_emergencies),
        ("top root", &root, args.min_root),
        ("top condition", &condition, args.min_condition),
        ("top mechanism", &mechanism, args.min_mechanism),
    ];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "radiculo eval: {cases} cases from {} (knowledge base {})",
        args.file.display(),
        kb.version
    );
    let _ = writeln!(
        out,
        "{:<28} {:>6} {:>6} {:>8} {:>9}",
        "measure", "hits", "of", "rate", "threshold"
    );
    let mut failed = false;
    for (label, score, min) in rows {
        let ok = score.rate() >= min;
        failed |= !ok;
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>6} {:>7.1}% {:>8.1}%{}",
            label,
            score.hits,
            score.total,
            score.rate() * 100.0,
            min * 100.0,
            if ok { "" } else { "  BELOW" }
        );
    }
    for (label, score, _) in rows {
        if !score.misses.is_empty() {
            let _ = writeln!(out, "\nmisses, {label}:");
            for m in &score.misses {
                let _ = writeln!(out, "  {m}");
            }
        }
    }
    print!("{out}");
    if args.check && failed {
        return Err(BelowThreshold.into());
    }
    Ok(())
}
