//! What the fuzz targets share: the engine on the embedded knowledge base, built once per
//! process; a valid case drawn from fuzz input; and the checks every assessment must pass
//! (probabilities finite, in range and adding up; the safety rules of contract v1.1).
//!
//! A failed check panics, which libFuzzer reports as a crash with the input that caused it.

use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use radiculo_contract::{MAX_DURATION_DAYS, MAX_PAIN_SCORE};
use radiculo_engine::{
    Assessment, Case, Engine, ExplanationTarget, MAX_AGE, MIN_AGE, Mode, QuestionKind, ReasonRef,
    Sex,
};
use radiculo_kb::{FindingId, TriageLevel, contract};

/// How far a sum of probabilities may be from 1.
pub const SUM_TOLERANCE: f64 = 1e-9;

/// The engine on the embedded knowledge base.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    })
}

/// The id of a finding the embedded knowledge base must have.
pub fn id(engine: &Engine, name: &str) -> FindingId {
    engine
        .kb()
        .vocab
        .get(name)
        .unwrap_or_else(|| panic!("the kb has no finding {name}"))
}

/// A finding of the vocabulary, chosen by the input.
pub fn finding(u: &mut Unstructured, engine: &Engine) -> Result<FindingId> {
    let n = engine.kb().vocab.findings.len();
    Ok(FindingId(u.choose_index(n)? as u16))
}

/// A finding's answer: absent, present or not sure (`None`); absent once the input runs out.
pub fn state(u: &mut Unstructured) -> Result<Option<bool>> {
    Ok(*u.choose(&[Some(false), Some(true), None])?)
}

/// The opening facts of a valid case: an age the contract accepts, sex, duration and mode, and
/// the pain score (given, left out on purpose, or not asked).
pub fn opening(u: &mut Unstructured) -> Result<Case> {
    let mut case = Case::new(u.int_in_range(MIN_AGE..=MAX_AGE)?);
    case.sex = *u.choose(&[None, Some(Sex::Female), Some(Sex::Male), Some(Sex::Other)])?;
    case.duration_days = if u.arbitrary()? {
        Some(u.int_in_range(0..=MAX_DURATION_DAYS as u32)?)
    } else {
        None
    };
    if u.arbitrary()? {
        case.mode = Mode::Clinician;
    }
    match u.int_in_range(0..=2u8)? {
        0 => {}
        1 => {
            case.pain_score = None;
            case.pain_score_asked = true;
        }
        _ => {
            case.pain_score = Some(u.int_in_range(0..=MAX_PAIN_SCORE)?);
            case.pain_score_asked = true;
        }
    }
    Ok(case)
}

/// A valid case: the opening facts and any findings of the vocabulary, each present, absent or
/// not sure. A finding chosen twice keeps its last answer, as the contract's parser would
/// reject but an interview allows.
pub fn case(u: &mut Unstructured, engine: &Engine) -> Result<Case> {
    let mut case = opening(u)?;
    let answers = u.arbitrary_len::<(u16, u8)>()?;
    for _ in 0..answers {
        let f = finding(u, engine)?;
        let s = state(u)?;
        case.answer(f, s);
    }
    Ok(case)
}

/// Checks that a probability is a number between 0 and 1.
fn probability(what: &dyn std::fmt::Display, p: f64) {
    assert!(
        p.is_finite() && (0.0..=1.0).contains(&p),
        "{what}: probability {p} is not in [0, 1]"
    );
}

/// Checks that probabilities meant to be a distribution add up to 1.
fn distribution(what: &str, ps: impl IntoIterator<Item = f64>) {
    let sum: f64 = ps.into_iter().sum();
    assert!(
        (sum - 1.0).abs() <= SUM_TOLERANCE,
        "{what}: the probabilities add up to {sum}, not 1"
    );
}

/// Checks an assessment of `case` (made with the next question or without): every
/// probability finite and in [0, 1], the mechanisms and conditions each adding up to 1, each
/// explanation adding up, and the safety rules of contract v1.1 as the engine's property tests
/// state them (crates/radiculo-engine/tests/safety.rs).
pub fn check_assessment(engine: &Engine, case: &Case, a: &Assessment) {
    let kb = engine.kb();

    // Probabilities.
    for (i, &p) in a.mechanism.iter().enumerate() {
        probability(&format_args!("mechanism {i}"), p);
    }
    distribution("mechanisms", a.mechanism);
    assert_eq!(
        a.conditions.len(),
        kb.model.conditions.len(),
        "a condition is missing"
    );
    for c in &a.conditions {
        probability(&format_args!("condition {}", c.def(kb).id), c.probability);
    }
    distribution("conditions", a.conditions.iter().map(|c| c.probability));
    for r in &a.roots {
        probability(&format_args!("root {} {:?}", r.root, r.side), r.probability);
    }
    for e in &a.explanations {
        assert!(
            e.prior_log_odds.is_finite() && e.posterior_log_odds.is_finite(),
            "{:?}: log odds {} -> {}",
            e.target,
            e.prior_log_odds,
            e.posterior_log_odds
        );
        let sum: f64 = e.weights.iter().map(|w| w.weight).sum();
        assert!(
            (e.prior_log_odds + sum - e.posterior_log_odds).abs() < 1e-9,
            "{:?}: {} + {} != {}",
            e.target,
            e.prior_log_odds,
            sum,
            e.posterior_log_odds
        );
        let p = match e.target {
            ExplanationTarget::Root(r, s) => a
                .roots
                .iter()
                .find(|x| x.root == r && x.side == s)
                .map(|x| x.probability),
            ExplanationTarget::Condition(c) => a
                .conditions
                .iter()
                .find(|x| x.condition == c)
                .map(|x| x.probability),
            ExplanationTarget::Mechanism(m) => Some(a.mechanism[m.index()]),
        };
        let p = p.unwrap_or_else(|| panic!("{:?}: the explained target is not reported", e.target));
        let q = 1.0 / (1.0 + (-e.posterior_log_odds).exp());
        assert!(
            (q - p).abs() < 1e-9,
            "{:?}: marginal {p} but explanation {q}",
            e.target
        );
    }

    // The level is the highest of its reasons, and the quick path agrees with the full one.
    let level = a.triage.level;
    assert_eq!(
        level,
        engine.triage_level(case),
        "assess and triage_level disagree"
    );
    assert!(!a.triage.reasons.is_empty(), "a level with no reason");
    for r in &a.triage.reasons {
        assert!(
            r.level <= level,
            "a reason at {:?} above the level {level:?}",
            r.level
        );
    }

    // Red flags: each names present findings and lifts the level to at least its minimum.
    let present = case.present();
    let mut raised = Vec::new();
    for flag in &a.red_flags {
        let def = flag.def(kb);
        assert!(
            !flag.findings.is_empty(),
            "red flag {} names no finding",
            def.id
        );
        for f in &flag.findings {
            assert!(
                present.contains(*f),
                "red flag {} names {}, which is not present",
                def.id,
                kb.vocab.def(*f).id
            );
        }
        assert!(
            level >= def.min_level,
            "red flag {} raised at {level:?}, below its minimum {:?}",
            def.id,
            def.min_level
        );
        assert!(
            a.triage
                .reasons
                .iter()
                .any(|r| r.reason == ReasonRef::RedFlag(flag.flag)),
            "red flag {} is not among the triage reasons",
            def.id
        );
        raised.extend(flag.findings.iter().copied());
    }
    for name in contract::RED_FLAG_FINDINGS {
        let f = id(engine, name);
        if present.contains(f) {
            assert!(
                raised.contains(&f),
                "{name} is present but raised no red flag"
            );
            assert_ne!(
                level,
                TriageLevel::SelfCare,
                "self_care with {name} present"
            );
        }
    }
    for name in contract::CAUDA_EQUINA_FINDINGS {
        if present.contains(id(engine, name)) {
            assert_eq!(
                level,
                TriageLevel::Emergency,
                "{name} present but not an emergency"
            );
        }
    }

    // The red-flag screen: self-care only below its age with every screen question "no".
    let known = case.known();
    let screen_clear = case.age < kb.screen.self_care_below_age
        && kb
            .screen
            .findings
            .iter()
            .all(|f| known.contains(f) && !present.contains(f));
    if level == TriageLevel::SelfCare {
        assert!(
            screen_clear,
            "self_care at age {} with the screen not clear",
            case.age
        );
    }
    if !screen_clear {
        assert!(
            level >= kb.screen.level,
            "{level:?} below the screen's floor"
        );
    }

    // The next question: none at an emergency, nothing asked twice, nothing a person cannot
    // answer in patient mode.
    if level == TriageLevel::Emergency {
        assert!(
            a.next_question.is_none(),
            "a question asked at an emergency"
        );
    }
    if let Some(q) = &a.next_question {
        if let QuestionKind::Number(_) = q.kind {
            assert!(!case.pain_score_asked, "the pain score asked again");
        }
        for f in q.findings() {
            let def = kb.vocab.def(f);
            assert!(!case.asked(f), "{} asked again", def.id);
            if case.mode == Mode::Patient {
                assert!(
                    !def.examiner || q.id == "body_map",
                    "{} asked in patient mode",
                    def.id
                );
            }
        }
    }
}
