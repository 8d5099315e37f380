//! Any valid case into the engine (`Engine::assess`): a case drawn from the embedded knowledge
//! base's vocabulary (each finding present, absent or not sure; an age the contract accepts;
//! sex, duration, mode and pain score), assessed with the next question. Checked: every
//! probability finite and in [0, 1]; the mechanisms, the conditions and the posterior each
//! adding up to 1; each explanation adding up; the safety rules of contract v1.1
//! (`radiculo_fuzz::check_assessment`); and that adding a present red-flag finding, unknown or
//! absent before, never lowers the triage level.
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use radiculo_engine::Options;
use radiculo_fuzz::{SUM_TOLERANCE, case, check_assessment, engine};

fuzz_target!(|data: &[u8]| {
    let engine = engine();
    let kb = engine.kb();
    let mut u = Unstructured::new(data);
    let Ok(case) = case(&mut u, engine) else {
        return;
    };
    let a = engine.assess(&case, Options::default());
    check_assessment(engine, &case, &a);

    let posterior = engine.posterior(&case);
    assert!(
        posterior
            .iter()
            .all(|p| p.is_finite() && (0.0..=1.0).contains(p))
    );
    let sum: f64 = posterior.iter().sum();
    assert!(
        (sum - 1.0).abs() <= SUM_TOLERANCE,
        "the posterior adds up to {sum}"
    );

    // Monotone safety: a red-flag finding made present never lowers the level.
    let flags: Vec<_> = kb.red_flag_findings.iter().collect();
    let Ok(f) = u.choose(&flags) else {
        return;
    };
    for before in [None, Some(false)] {
        let mut from = case.clone();
        from.answer(*f, before);
        let mut with = from.clone();
        with.answer(*f, Some(true));
        let (from_level, with_level) = (engine.triage_level(&from), engine.triage_level(&with));
        assert!(
            with_level >= from_level,
            "{from_level:?} -> {with_level:?} adding {} (was {before:?})",
            kb.vocab.def(*f).id
        );
    }
});
