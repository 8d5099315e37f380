//! `radiculo eval`: scores labelled cases with `radiculo_eval` and prints the tables of hits,
//! misses and calibration beside the naive-Bayes baseline, or, with `--interview`, of the
//! simulated interviews. This module parses the arguments, reads the file, judges the scores
//! against the thresholds and prints; with `--check`, the run fails (exit 3) below them.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use radiculo_engine::{Engine, Mode};
use radiculo_eval::{EvalError, LabelledCase, Score};

use crate::{BelowThreshold, InvalidInput, report};

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

/// Reads the labelled cases of `args.file`.
fn read_cases(engine: &Engine, args: &EvalArgs) -> anyhow::Result<Vec<LabelledCase>> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let cases = radiculo_eval::read_cases(engine, &text, &args.file.display().to_string())
        .map_err(error)?;
    // A gate that passes on nothing is no gate: an empty file is an error, not "100% of 0".
    if cases.is_empty() {
        return Err(InvalidInput(format!(
            "{}: no labelled cases to evaluate",
            args.file.display()
        ))
        .into());
    }
    Ok(cases)
}

/// An evaluation error as the command reports it: a bad case or label is invalid input (its
/// contract error worded as everywhere else in the command), a stalled simulation is not.
fn error(e: EvalError) -> anyhow::Error {
    match e {
        EvalError::Case { at, error } => {
            InvalidInput(format!("{at}: {}", report::contract_error(&error))).into()
        }
        EvalError::Invalid { .. } => InvalidInput(e.to_string()).into(),
        EvalError::Simulation { .. } => e.into(),
    }
}

/// Runs `radiculo eval`: the scores of the labelled cases, or of their simulated interviews,
/// as tables; with `--check`, an error below any threshold.
pub fn run(engine: &Engine, args: &EvalArgs) -> anyhow::Result<()> {
    if args.interview {
        return interview(engine, args);
    }
    let cases = read_cases(engine, args)?;
    let scores = radiculo_eval::score(engine, &cases).map_err(error)?;
    let radiculo_eval::Scores {
        cases: n_cases,
        published,
        triage,
        under_triage: under,
        over_triage: over,
        emergencies,
        root,
        condition,
        mechanism,
        label_probabilities,
    } = &scores;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "radiculo eval: {n_cases} cases ({published} published) from {} (knowledge base {})",
        args.file.display(),
        engine.kb().version
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
        triage,
        None,
        gated(args.min_triage),
    );
    row(
        &mut out,
        "emergencies caught",
        emergencies,
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
        mechanism,
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
    for (label, c) in [("condition", condition), ("root", root)] {
        for (what, e, b) in [
            (
                "log loss",
                c.engine_calibration.mean_log_loss(),
                c.baseline_calibration.mean_log_loss(),
            ),
            (
                "Brier score",
                c.engine_calibration.mean_brier(),
                c.baseline_calibration.mean_brier(),
            ),
        ] {
            let _ = writeln!(
                out,
                "{:<34} {:>10.3} {:>10.3} {:>10} {:>10}",
                format!("{label}: {what}"),
                e,
                b,
                "",
                c.engine_calibration.n
            );
        }
    }
    if args.per_case {
        let _ = writeln!(
            out,
            "\n{:<52} {:<38} {:>8} {:>8}",
            "case", "label", "engine", "baseline"
        );
        for p in label_probabilities {
            let _ = writeln!(
                out,
                "{:<52} {:<9} {:<28} {:>8.4} {:>8.4}",
                p.case,
                p.kind.as_str(),
                p.label,
                p.engine,
                p.baseline
            );
        }
    }
    if args.beat_baseline {
        for (label, c) in [("condition", condition), ("root", root)] {
            if !c.engine_beats_baseline() {
                failed = true;
                let _ = writeln!(
                    out,
                    "BELOW the baseline on the {label}: accuracy {:.1}% vs {:.1}%, log loss {:.3} vs {:.3}",
                    c.engine.rate() * 100.0,
                    c.baseline.rate() * 100.0,
                    c.engine_calibration.mean_log_loss(),
                    c.baseline_calibration.mean_log_loss()
                );
            }
        }
    }
    let misses = [
        ("triage in the accepted set", triage),
        ("under-triage", under),
        ("emergencies caught", emergencies),
        ("top root", &root.engine),
        ("top condition", &condition.engine),
        ("top mechanism", mechanism),
    ];
    finish(out, "misses", &misses, args.check && failed)
}

/// Prints the report with each measure's cases that missed under `heading`, and fails when a
/// checked threshold was not met.
fn finish(
    mut out: String,
    heading: &str,
    misses: &[(&str, &Score)],
    failed: bool,
) -> anyhow::Result<()> {
    for (label, score) in misses {
        if !score.misses.is_empty() {
            let _ = writeln!(out, "\n{heading}, {label}:");
            for m in &score.misses {
                let _ = writeln!(out, "  {m}");
            }
        }
    }
    print!("{out}");
    if failed {
        return Err(BelowThreshold.into());
    }
    Ok(())
}

/// `radiculo eval --interview`: a row per simulated interview, then the measures against
/// their thresholds and the differences from the full evidence.
fn interview(engine: &Engine, args: &EvalArgs) -> anyhow::Result<()> {
    let cases = read_cases(engine, args)?;
    let scores = radiculo_eval::score_interviews(engine, &cases).map_err(error)?;
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
    for c in &scores.cases {
        let s = &c.simulated;
        let mark = |b: bool| if b { "same" } else { "DIFF" };
        let _ = writeln!(
            out,
            "{:<52} {:<9} {:>9}  {:<6}  {:<9}  {:<4}  {}",
            c.name,
            match c.mode {
                Mode::Patient => "patient",
                Mode::Clinician => "clinician",
            },
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
    }
    let radiculo_eval::InterviewScores {
        same_triage: triage,
        same_condition: condition,
        same_root: root,
        emergencies_reached: emergencies,
        patient_median_questions: patient_median,
        clinician_median_questions: clinician_median,
        ..
    } = &scores;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<40} {:>6} {:>6} {:>8} {:>10}",
        "measure", "hits", "of", "rate", "threshold"
    );
    let mut failed = false;
    for (label, score, min) in [
        ("emergencies reached", emergencies, 1.0),
        ("same triage as full evidence", triage, args.min_same_triage),
        ("same leading condition", condition, args.min_same_condition),
        ("same leading root and side (p >= 0.5)", root, 0.0),
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
    let ok = *patient_median <= args.max_median_questions;
    failed |= !ok;
    let _ = writeln!(
        out,
        "median questions, patient mode: {patient_median} (at most {}){}; clinician mode: {clinician_median}",
        args.max_median_questions,
        if ok { "" } else { "  ABOVE" }
    );
    let differences = [
        ("triage", triage),
        ("condition", condition),
        ("root", root),
        ("emergencies", emergencies),
    ];
    finish(out, "differences", &differences, args.check && failed)
}
