//! `radiculo eval`: score labelled cases.
//!
//! Each line is `{"case": …, "expect": {"triage": [...], "root": "L5.left"|null,
//! "condition": …|null, "mechanism": …|null}, "source": …}`. A null (or missing) label is not
//! scored. A published case also carries its `citation`, `url` and `quotes`: the source's words
//! behind the age, every coded finding and every label, which are checked to be there. With
//! `--check`, the run fails (exit 3) below the thresholds.
//!
//! Besides hits, the run reports under- and over-triage, and the log loss and Brier score of the
//! condition and the root, for the engine and for a plain naive-Bayes model built from the same
//! knowledge base (`crate::baseline`), side by side.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use radiculo_engine::{Case, Engine, Mode, Options, QuestionKind};
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
    /// Minimum share of expected emergencies (cases whose every accepted level is emergency)
    /// assessed as emergency.
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
    /// The most cases whose triage may fall below every accepted level.
    #[arg(long)]
    max_under_triage: Option<usize>,
    /// Fail unless the engine's top condition and top root are at least as accurate as the
    /// naive-Bayes baseline's and its log loss of each is lower.
    #[arg(long)]
    beat_baseline: bool,
    /// Also print, for every case, the probability the engine and the baseline give its
    /// labelled condition and root.
    #[arg(long)]
    per_case: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Labelled {
    case: serde_json::Value,
    expect: Expect,
    /// Why these labels, for people reading the file.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "documentation in the file; the run does not read it"
    )]
    source: Option<String>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "documentation in the file; the run does not read it"
    )]
    tags: Vec<String>,
    /// For a published case: where it was published.
    #[serde(default)]
    citation: Option<String>,
    /// For a published case: the page it was read on.
    #[serde(default)]
    url: Option<String>,
    /// For a published case: the source's words behind each coded item (`age`, each finding
    /// id, `symptom_duration_days`, `pain_score`) and each label (`label.triage`,
    /// `label.condition`, `label.root`).
    #[serde(default)]
    quotes: std::collections::BTreeMap<String, String>,
}

impl Labelled {
    /// For a published case, the first coded item or label without a quote.
    fn missing_quote(&self) -> Option<String> {
        self.citation.as_ref()?;
        let mut needed = vec!["age".to_string(), "label.triage".to_string()];
        for field in ["symptom_duration_days", "pain_score"] {
            if self.case.get(field).is_some_and(|v| !v.is_null()) {
                needed.push(field.into());
            }
        }
        if self.expect.condition.is_some() {
            needed.push("label.condition".into());
        }
        if self.expect.root.is_some() {
            needed.push("label.root".into());
        }
        let evidence = self.case.get("evidence").and_then(|e| e.as_array());
        needed.extend(
            evidence
                .into_iter()
                .flatten()
                .filter_map(|item| item.get("id")?.as_str().map(String::from)),
        );
        if self.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Some("url".into());
        }
        needed
            .into_iter()
            .find(|k| self.quotes.get(k).is_none_or(|q| q.trim().is_empty()))
            .map(|k| format!("quotes.{k}"))
    }
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
        if let Some(missing) = labelled.missing_quote() {
            return Err(InvalidInput(format!(
                "{}: a published case needs `{missing}`: the source's words for every coded item and label",
                at()
            ))
            .into());
        }
        if labelled.expect.triage.is_empty() {
            return Err(InvalidInput(format!("{}: expect.triage is empty", at())).into());
        }
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

/// Log loss and Brier score, summed over cases.
#[derive(Default)]
struct Calibration {
    log_loss: f64,
    brier: f64,
    n: usize,
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

    fn mean(&self, x: f64) -> f64 {
        if self.n == 0 { 0.0 } else { x / self.n as f64 }
    }
}

/// One measure's hits for the engine and the baseline.
#[derive(Default)]
struct Compared {
    engine: Score,
    baseline: Score,
    engine_cal: Calibration,
    baseline_cal: Calibration,
}

pub fn run(engine: &Engine, args: &EvalArgs) -> anyhow::Result<()> {
    if args.interview {
        return interview(engine, args);
    }
    let cases = read_cases(engine, args)?;
    if cases.is_empty() {
        return Err(InvalidInput(format!(
            "{}: no labelled cases to evaluate",
            args.file.display()
        ))
        .into());
    }
    let kb = engine.kb();
    let nb = crate::baseline::NaiveBayes::new(engine);
    let n_sides = 2 * kb.model.reported_roots;
    let mut triage = Score::default();
    let mut under = Score::default();
    let mut over = Score::default();
    let mut emergencies = Score::default();
    let mut root = Compared::default();
    let mut condition = Compared::default();
    let mut mechanism = Score::default();
    let mut published = 0;
    let mut per_case = String::new();
    for (name, case, labelled) in &cases {
        published += usize::from(labelled.citation.is_some());
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
        triage.record(accepted.contains(&level), || {
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
        under.record(level >= lowest, || {
            format!("{name}: UNDER-TRIAGED, {level} below {}", levels())
        });
        over.record(level <= highest, || {
            format!("{name}: over-triaged, {level} above {}", levels())
        });
        // An emergency is a case whose every accepted level is emergency.
        if lowest == TriageLevel::Emergency {
            emergencies.record(level == TriageLevel::Emergency, || {
                format!("{name}: MISSED EMERGENCY, got {level}")
            });
        }
        if let Some(want) = &labelled.expect.root {
            let truth = (0..n_sides)
                .find(|&i| {
                    format!("{}.{}", kb.model.roots[i / 2], ["left", "right"][i % 2]) == *want
                })
                .ok_or_else(|| InvalidInput(format!("{name}: unknown root label `{want}`")))?;
            // The engine's P(root-side affected), by `2 * root + side`.
            let mut p = vec![0.0; n_sides];
            for r in &a.roots {
                p[2 * r.root + r.side.index()] = r.probability;
            }
            let top = &a.roots[0];
            let got = format!("{}.{}", kb.model.roots[top.root], top.side.as_str());
            root.engine.record(&got == want, || {
                format!(
                    "{name}: top root {got} ({:.2}), expected {want} ({:.2})",
                    top.probability, p[truth]
                )
            });
            root.engine_cal.record(&p, truth);
            let q = nb.roots(case);
            let _ = writeln!(
                per_case,
                "{name:<52} root      {want:<28} {:>8.4} {:>8.4}",
                p[truth], q[truth]
            );
            let nb_top = radiculo_engine::argmax(&q);
            root.baseline.record(nb_top == truth, String::new);
            root.baseline_cal.record(&q, truth);
        }
        if let Some(want) = &labelled.expect.condition {
            let truth = kb
                .model
                .conditions
                .iter()
                .position(|c| &c.id == want)
                .ok_or_else(|| InvalidInput(format!("{name}: unknown condition label `{want}`")))?;
            let mut p = vec![0.0; kb.model.conditions.len()];
            for c in &a.conditions {
                let i = kb
                    .model
                    .conditions
                    .iter()
                    .position(|d| std::ptr::eq(d, c.def))
                    .unwrap_or(0);
                p[i] = c.probability;
            }
            let top = &a.conditions[0];
            condition.engine.record(&top.def.id == want, || {
                format!(
                    "{name}: top condition {} ({:.2}), expected {want} ({:.2})",
                    top.def.id, top.probability, p[truth]
                )
            });
            condition.engine_cal.record(&p, truth);
            let q = nb.conditions(case);
            let _ = writeln!(
                per_case,
                "{name:<52} condition {want:<28} {:>8.4} {:>8.4}",
                p[truth], q[truth]
            );
            condition
                .baseline
                .record(radiculo_engine::argmax(&q) == truth, String::new);
            condition.baseline_cal.record(&q, truth);
        }
        if let Some(want) = &labelled.expect.mechanism {
            let i = radiculo_engine::argmax(&a.mechanism);
            let got = Mechanism::ALL[i].as_str();
            mechanism.record(got == want, || {
                format!(
                    "{name}: top mechanism {got} ({:.2}), expected {want}",
                    a.mechanism[i]
                )
            });
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "radiculo eval: {} cases ({published} published) from {} (knowledge base {})",
        cases.len(),
        args.file.display(),
        kb.version
    );
    let _ = writeln!(
        out,
        "{:<34} {:>6} {:>6} {:>8} {:>10} {:>10}",
        "measure", "hits", "of", "engine", "baseline", "threshold"
    );
    let mut failed = false;
    let mut row = |out: &mut String,
                   label: &str,
                   score: &Score,
                   baseline: Option<&Score>,
                   min: Option<f64>| {
        let ok = min.is_none_or(|m| score.rate() >= m);
        failed |= !ok;
        let _ = writeln!(
            out,
            "{:<34} {:>6} {:>6} {:>7.1}% {:>10} {:>10}{}",
            label,
            score.hits,
            score.total,
            score.rate() * 100.0,
            baseline.map_or("-".to_string(), |b| format!("{:.1}%", b.rate() * 100.0)),
            min.map_or("-".to_string(), |m| format!("{:.1}%", m * 100.0)),
            if ok { "" } else { "  BELOW" }
        );
    };
    let gated = |min: f64| (min > 0.0).then_some(min);
    row(
        &mut out,
        "triage in the accepted set",
        &triage,
        None,
        gated(args.min_triage),
    );
    row(
        &mut out,
        "emergencies caught",
        &emergencies,
        None,
        gated(args.min_emergencies),
    );
    row(
        &mut out,
        "top root",
        &root.engine,
        Some(&root.baseline),
        gated(args.min_root),
    );
    row(
        &mut out,
        "top condition",
        &condition.engine,
        Some(&condition.baseline),
        gated(args.min_condition),
    );
    row(
        &mut out,
        "top mechanism",
        &mechanism,
        None,
        gated(args.min_mechanism),
    );
    let under_n = under.total - under.hits;
    let over_n = over.total - over.hits;
    let under_ok = args.max_under_triage.is_none_or(|m| under_n <= m);
    failed |= !under_ok;
    let _ = writeln!(
        out,
        "under-triaged: {under_n} of {} (at most {}){}; over-triaged: {over_n}",
        under.total,
        args.max_under_triage
            .map_or("-".to_string(), |m| m.to_string()),
        if under_ok { "" } else { "  ABOVE" }
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "calibration (mean per case)", "engine", "baseline", "", "cases"
    );
    for (label, c) in [("condition", &condition), ("root", &root)] {
        for (what, e, b) in [
            (
                "log loss",
                c.engine_cal.mean(c.engine_cal.log_loss),
                c.baseline_cal.mean(c.baseline_cal.log_loss),
            ),
            (
                "Brier score",
                c.engine_cal.mean(c.engine_cal.brier),
                c.baseline_cal.mean(c.baseline_cal.brier),
            ),
        ] {
            let _ = writeln!(
                out,
                "{:<34} {:>10.3} {:>10.3} {:>10} {:>10}",
                format!("{label}: {what}"),
                e,
                b,
                "",
                c.engine_cal.n
            );
        }
    }
    if args.per_case {
        let _ = writeln!(
            out,
            "\n{:<52} {:<38} {:>8} {:>8}",
            "case", "label", "engine", "baseline"
        );
        out.push_str(&per_case);
    }
    if args.beat_baseline {
        for (label, c) in [("condition", &condition), ("root", &root)] {
            let accurate = c.engine.rate() >= c.baseline.rate();
            let calibrated = c.engine_cal.log_loss < c.baseline_cal.log_loss;
            if !(accurate && calibrated) {
                failed = true;
                let _ = writeln!(
                    out,
                    "BELOW the baseline on the {label}: accuracy {:.1}% vs {:.1}%, log loss {:.3} vs {:.3}",
                    c.engine.rate() * 100.0,
                    c.baseline.rate() * 100.0,
                    c.engine_cal.mean(c.engine_cal.log_loss),
                    c.baseline_cal.mean(c.baseline_cal.log_loss)
                );
            }
        }
    }
    for (label, score) in [
        ("triage in the accepted set", &triage),
        ("under-triage", &under),
        ("emergencies caught", &emergencies),
        ("top root", &root.engine),
        ("top condition", &condition.engine),
        ("top mechanism", &mechanism),
    ] {
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
        pain_score: None,
        pain_score_asked: false,
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
        if let QuestionKind::Number(_) = q.kind {
            anyhow::ensure!(
                !case.pain_score_asked,
                "the interview asked the pain score again"
            );
            case.pain_score = full.pain_score;
            case.pain_score_asked = true;
            questions += 1;
            continue;
        }
        let items = q.findings();
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
