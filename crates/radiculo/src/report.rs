//! Human-readable output: the text report, the findings list, error messages.

use std::fmt::Write as _;

use radiculo_contract::ContractError;
use radiculo_engine::{
    Assessment, Case, Engine, ExplanationTarget, Mode, Question, QuestionKind, ReasonRef,
};
use radiculo_interview::BODY_MAP;
use radiculo_kb::{Audience, FindingId, Kb, Mechanism, TriageLevel};

/// A contract error as one line, with suggestions for unknown ids.
pub fn contract_error(e: &ContractError) -> String {
    match e {
        ContractError::Invalid {
            path,
            message,
            suggestions,
        } if !suggestions.is_empty() => {
            format!(
                "invalid case: {path}: {message} (did you mean {}?)",
                suggestions.join(", ")
            )
        }
        other => format!("invalid case: {other}"),
    }
}

/// What to do and how fast, in the knowledge base's words for the level: `URGENT: See a doctor
/// today`.
pub fn what_to_do(kb: &Kb, level: TriageLevel, mode: Mode) -> String {
    let l = kb.level(level);
    let headline = match mode {
        Mode::Patient => &l.headline,
        Mode::Clinician => &l.clinician_headline,
    };
    format!("{}: {headline}", l.label.to_uppercase())
}

fn percent(p: f64) -> String {
    if p < 0.005 && p > 0.0 {
        "<1%".to_string()
    } else if p > 0.995 && p < 1.0 {
        // Never round a probability up to certainty.
        ">99%".to_string()
    } else {
        format!("{:.0}%", p * 100.0)
    }
}

/// A question as a terminal asks it. The knowledge base words the body map for the web page
/// ("tap every place"), which a terminal cannot do: there each place is typed by its number.
pub fn question_text<'q>(q: &Question<'q>, mode: Mode) -> &'q str {
    if q.id != BODY_MAP {
        return q.text;
    }
    match mode {
        Mode::Patient => {
            "Where do you feel pain, numbness or pins and needles? Each kind is asked in turn: type the number of every place where you feel it, and the side."
        }
        Mode::Clinician => {
            "Distribution of pain, numbness and paraesthesia, by region number and side; unmarked regions are recorded as absent."
        }
    }
}

/// A finding as the reader of the report would say it.
pub fn statement(kb: &Kb, f: FindingId, clinician: bool) -> &str {
    let def = kb.vocab.def(f);
    if clinician {
        &def.clinician
    } else {
        &def.patient
    }
}

/// The text report: triage first, in plain words, then the detail.
pub fn text(engine: &Engine, case: &Case, a: &Assessment) -> String {
    let kb = engine.kb();
    let clinician = case.mode == Mode::Clinician;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "radiculo assessment{}",
        case.id
            .as_ref()
            .map(|i| format!(" of {i}"))
            .unwrap_or_default()
    );
    let _ = writeln!(s, "{}", kb.disclaimer);
    let _ = writeln!(s);
    let level = kb.level(a.triage.level);
    let _ = writeln!(s, "{}", what_to_do(kb, a.triage.level, case.mode));
    let _ = writeln!(
        s,
        "{}",
        if clinician {
            &level.clinician_instruction
        } else {
            &level.instruction
        }
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "Why:");
    for r in a
        .triage
        .reasons
        .iter()
        .filter(|r| r.level == a.triage.level)
    {
        let t = r.reason.texts(kb);
        let _ = writeln!(s, "  - {}", if clinician { t.clinician } else { t.patient });
        for f in &r.findings {
            let _ = writeln!(s, "      * {}", statement(kb, *f, clinician));
        }
    }
    let _ = writeln!(s);
    if a.red_flags.is_empty() {
        let screen_open = a
            .triage
            .reasons
            .iter()
            .any(|r| r.reason == ReasonRef::ScreenOpen);
        let _ = writeln!(
            s,
            "{}",
            if screen_open {
                "Warning signs: none found in your answers so far (some questions are still open, see above)."
            } else {
                "Warning signs: none of the warning signs you were asked about."
            }
        );
    } else {
        let _ = writeln!(s, "Warning signs:");
        for f in &a.red_flags {
            let _ = writeln!(
                s,
                "  ! {}",
                if clinician {
                    &f.def(kb).clinician
                } else {
                    &f.def(kb).patient
                }
            );
        }
    }
    let _ = writeln!(s);
    let m = a.mechanism;
    let _ = writeln!(
        s,
        "Where the pain comes from: a nerve root {} | the back itself (referred) {} | something else {}",
        percent(m[0]),
        percent(m[1]),
        percent(m[2])
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "Nerve roots most likely involved:");
    for r in a.roots.iter().take(if clinician { 10 } else { 3 }) {
        let bar = "#".repeat((r.probability * 20.0).round() as usize);
        let _ = writeln!(
            s,
            "  {:<3} {:<5} {:>4}  {bar}",
            kb.model.roots[r.root],
            r.side.as_str(),
            percent(r.probability)
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Possible causes:");
    for c in a.conditions.iter().take(if clinician { 14 } else { 4 }) {
        if clinician {
            let _ = writeln!(
                s,
                "  {:>4}  {}  [ICD-10-CM {}]",
                percent(c.probability),
                c.def(kb).name,
                c.def(kb).icd10
            );
        } else {
            let _ = writeln!(
                s,
                "  {:<14} {} ({})",
                kb.likelihood_word(c.probability),
                c.def(kb).patient_name,
                percent(c.probability)
            );
        }
    }
    if !a.red_flags.is_empty() {
        let _ = writeln!(
            s,
            "  (These likelihoods do not change what to do: a warning sign must be checked even when the cause behind it is unlikely.)"
        );
    }
    for e in &a.explanations {
        let target = match &e.target {
            ExplanationTarget::Root(r, side) => {
                format!("{} {} root", side.as_str(), kb.model.roots[*r])
            }
            ExplanationTarget::Condition(c) => kb.model.conditions[*c].name.to_lowercase(),
            ExplanationTarget::Mechanism(m) => format!(
                "{} pain",
                match m {
                    Mechanism::Radicular => "nerve-root",
                    Mechanism::Referred => "referred",
                    Mechanism::Other => "non-spinal",
                }
            ),
        };
        let mut weights: Vec<_> = e
            .weights
            .iter()
            .filter(|w| w.weight.abs() >= 0.05)
            .collect();
        if weights.is_empty() {
            continue;
        }
        weights.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Why we think so ({target}: {} before your answers, {} after):",
            percent(1.0 / (1.0 + (-e.prior_log_odds).exp())),
            percent(1.0 / (1.0 + (-e.posterior_log_odds).exp()))
        );
        for w in weights.iter().take(if clinician { 12 } else { 5 }) {
            let def = kb.vocab.def(w.finding);
            let statement = if clinician {
                &def.clinician
            } else {
                &def.patient
            };
            let _ = write!(
                s,
                "  {:+.2}  {}{statement}",
                w.weight,
                if w.present { "" } else { "not: " }
            );
            if clinician {
                let _ = write!(s, "  ({})", engine.finding_source(w.finding));
            }
            let _ = writeln!(s);
        }
    }
    for (audience, title) in [
        (Audience::Patient, "What you can do"),
        (Audience::Clinician, "For the clinician"),
    ] {
        let items: Vec<_> = a.advice(kb).filter(|p| p.audience == audience).collect();
        if items.is_empty() || (audience == Audience::Clinician && !clinician) {
            continue;
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "{title}:");
        for p in items {
            let _ = writeln!(s, "  - {}", p.text);
            for f in case.unanswered(&p.lists_unanswered) {
                let _ = writeln!(s, "      * {}", statement(kb, f, clinician));
            }
        }
    }
    if !clinician && a.advice(kb).any(|p| p.audience == Audience::Clinician) {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "(Advice for your clinician is in the JSON output: --format json.)"
        );
    }
    let _ = writeln!(s);
    match &a.next_question {
        Some(q) => {
            let _ = writeln!(s, "Next question: {}", question_text(q, case.mode));
            if let QuestionKind::Number(n) = &q.kind {
                let _ = writeln!(
                    s,
                    "  ({} = {}, {} = {})",
                    n.min, n.min_label, n.max, n.max_label
                );
            }
            let _ = writeln!(s, "  ({})", q.why);
        }
        None => {
            let _ = writeln!(s, "No further question would change this advice.");
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Knowledge base {}.", kb.version);
    s
}

/// The finding vocabulary, as text or JSON.
pub fn findings(engine: &Engine, json: bool) -> anyhow::Result<String> {
    let kb = engine.kb();
    if json {
        let list: Vec<serde_json::Value> = kb
            .vocab
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "id": f.id,
                    "category": f.category.as_str(),
                    "examiner": f.examiner,
                    "side": f.shape.side().map(|s| s.as_str()),
                    "patient": f.patient,
                    "clinician": f.clinician,
                    "question_patient": f.question_patient,
                    "question_clinician": f.question_clinician,
                })
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "kb_version": kb.version,
            "findings": list,
        }))? + "\n");
    }
    let mut s = String::new();
    for f in &kb.vocab.findings {
        let _ = writeln!(
            s,
            "{:<40} {:<9}{} {}",
            f.id,
            f.category.as_str(),
            if f.examiner { " (exam)" } else { "       " },
            f.clinician
        );
    }
    Ok(s)
}
