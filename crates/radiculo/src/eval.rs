//! `radiculo eval`: score labelled cases.
//!
//! Each line is `{"case": …, "expect": {"triage": [...], "root": "L5.left"|null,
//! "condition": …|null, "mechanism": …|null}, "source": …}`. A null (or missing) label is not
//! scored. With `--check`, the run fails (exit 3) below the thresholds.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use radiculo_engine::{Case, Engine, Mode, Options};
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
    /// Simulate the adaptive interview instead: a person answers each question from the case's
    /// evidence (not sure when the case does not say) until there is no next question.
    #[arg(long)]
    interview: bool,
    /// With --interview: minimum share of cases ending with the full-evidence triage level.
    #[arg(long, default_value_t = 0.98)]
    min_same_triage: f64,
    /// With --interview: minimum share of cases ending with the full-evidence leading condition.
    #[arg(long, default_value_t = 0.95)]
    min_same_condition: f64,
    /// With --interview: the largest acceptable median number of questions in patient mode.
    #[arg(long, default_value_t = 12.0)]
    max_median_questions: f64,
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

/// Reads the labelled cases: `(name, case, labels)`.
fn read_cases(engine: &Engine, args: &EvalArgs) -> anyhow::Result<Vec<(String, Case, Labelled)>> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", args.file.display(), i + 1);
        let labelled: Labelled =
            serde_json::from_str(line).map_err(|e| InvalidInput(format!("{}: {e}", at())))?;
        let case = radiculo_contract::case_from_value(engine, &labelled.case).map_err(|e| {
            InvalidInput(format!("{}: {}", at(), crate::report::contract_error(&e)))
        })?;
        for l in &labelled.expect.triage {
            if TriageLevel::parse(l).is_none() {
                return Err(
                    InvalidInput(format!("{}: expect.triage: unknown level `{l}`", at())).into(),
                );
            }
        }
        out.push((case.id.clone().unwrap_or_else(at), case, labelled));
    }
    Ok(out)
}

pub fn run(engine: &Engine, args: &EvalArgs) -> anyhow::Result<()> {
    if args.interview {
        return interview(engine, args);
    }
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

/// What one simulated interview gave.
struct Simulated {
    questions: usize,
    same_triage: bool,
    same_condition: bool,
    same_root: bool,
    emergency: Option<bool>,
}

/// Runs the interview on a case whose full evidence is known: each question is answered from
/// the evidence, and "not sure" where the case does not say.
fn simulate(engine: &Engine, full: &Case) -> anyhow::Result<Simulated> {
    let kb = engine.kb();
    let mut case = Case {
        evidence: Vec::new(),
        unsure: radiculo_kb::FindingSet::EMPTY,
        ..full.clone()
    };
    let state = |f| {
        full.evidence
            .binary_search_by_key(&f, |(id, _)| *id)
            .ok()
            .map(|i| full.evidence[i].1)
    };
    let mut questions = 0;
    loop {
        let a = engine.assess(&case, Options::default());
        let Some(q) = a.next_question else { break };
        let items = match &q.items {
            Some(items) => items.clone(),
            None => vec![
                kb.vocab
                    .get(q.id)
                    .context("a single question names a finding")?,
            ],
        };
        anyhow::ensure!(
            items.iter().any(|f| !case.asked(*f)),
            "the interview asked `{}` again ({:?})",
            q.id,
            items
                .iter()
                .map(|f| (
                    kb.vocab.def(*f).id.as_str(),
                    case.asked(*f),
                    case.unsure.contains(*f)
                ))
                .collect::<Vec<_>>()
        );
        for f in items {
            case.answer(f, state(f));
        }
        questions += 1;
        anyhow::ensure!(questions < 500, "the interview did not end");
    }
    let options = Options {
        next_question: false,
    };
    let (a, b) = (engine.assess(full, options), engine.assess(&case, options));
    let top_root = |x: &radiculo_engine::Assessment| (x.roots[0].root, x.roots[0].side);
    // A leading root is compared only where one leads (p >= 0.5 with full evidence): below that
    // the order of unlikely roots is noise.
    let root_leads = a.roots[0].probability >= 0.5;
    Ok(Simulated {
        questions,
        same_triage: a.triage.level == b.triage.level,
        same_condition: std::ptr::eq(a.conditions[0].def, b.conditions[0].def),
        same_root: !root_leads || top_root(&a) == top_root(&b),
        emergency: (a.triage.level == TriageLevel::Emergency)
            .then_some(b.triage.level == TriageLevel::Emergency),
    })
}

fn interview(engine: &Engine, args: &EvalArgs) -> anyhow::Result<()> {
    let cases = read_cases(engine, args)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "radiculo eval --interview: {} cases from {} (knowledge base {})",
        cases.len(),
        args.file.display(),
        engine.kb().version
    );
    let _ = writeln!(
        out,
        "{:<52} {:<9} {:>9}  triage  condition  root  emergency",
        "case", "mode", "questions"
    );
    let mut triage = Score::default();
    let mut condition = Score::default();
    let mut root = Score::default();
    let mut emergencies = Score::default();
    let mut counts: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (name, case, _) in &cases {
        let s = simulate(engine, case).with_context(|| format!("simulating {name}"))?;
        let mode = if case.mode == Mode::Patient { 0 } else { 1 };
        counts[mode].push(s.questions);
        let mark = |b: bool| if b { "same" } else { "DIFF" };
        let _ = writeln!(
            out,
            "{:<52} {:<9} {:>9}  {:<6}  {:<9}  {:<4}  {}",
            name,
            ["patient", "clinician"][mode],
            s.questions,
            mark(s.same_triage),
            mark(s.same_condition),
            mark(s.same_root),
            match s.emergency {
                None => "-",
                Some(true) => "reached",
                Some(false) => "MISSED",
            }
        );
        triage.record(s.same_triage, || format!("{name}: triage differs"));
        condition.record(s.same_condition, || {
            format!("{name}: leading condition differs")
        });
        root.record(s.same_root, || format!("{name}: leading root differs"));
        if let Some(reached) = s.emergency {
            emergencies.record(reached, || format!("{name}: EMERGENCY NOT REACHED"));
        }
    }
    let median = |v: &mut Vec<usize>| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        v.sort_unstable();
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2] as f64
        } else {
            (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
        }
    };
    let patient_median = median(&mut counts[0]);
    let clinician_median = median(&mut counts[1]);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<40} {:>6} {:>6} {:>8} {:>10}",
        "measure", "hits", "of", "rate", "threshold"
    );
    let mut failed = false;
    for (label, score, min) in [
        ("emergencies reached", &emergencies, 1.0),
        (
            "same triage as full evidence",
            &triage,
            args.min_same_triage,
        ),
        (
            "same leading condition",
            &condition,
            args.min_same_condition,
        ),
        ("same leading root and side (p >= 0.5)", &root, 0.0),
    ] {
        let ok = score.rate() >= min;
        failed |= !ok;
        let _ = writeln!(
            out,
            "{:<40} {:>6} {:>6} {:>7.1}% {:>9.1}%{}",
            label,
            score.hits,
            score.total,
            score.rate() * 100.0,
            min * 100.0,
            if ok { "" } else { "  BELOW" }
        );
    }
    let ok = patient_median <= args.max_median_questions;
    failed |= !ok;
    let _ = writeln!(
        out,
        "median questions, patient mode: {patient_median} (at most {}){}; clinician mode: {clinician_median}",
        args.max_median_questions,
        if ok { "" } else { "  ABOVE" }
    );
    for (label, score) in [
        ("triage", &triage),
        ("condition", &condition),
        ("root", &root),
        ("emergencies", &emergencies),
    ] {
        if !score.misses.is_empty() {
            let _ = writeln!(out, "\ndifferences, {label}:");
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
