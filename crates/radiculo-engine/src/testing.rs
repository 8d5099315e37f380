//! Random cases for property tests (feature `testing`): one generator, so that the engine's
//! safety properties and the contract's rendering and text properties are tried on the same
//! kind of case.

use proptest::prelude::*;
use radiculo_kb::FindingId;

use crate::{Case, Engine, Mode, Sex};

/// A random case: each finding unknown, absent or present. The share of present findings is
/// itself random (about 1%, 3% or 10%), so that every triage level is well represented; a
/// third of the cases answer the red-flag findings more often (half present), so that the
/// model-reading rules, which need several of them, fire too; and a third answer the red-flag
/// screen "no" throughout, so that self-care is reachable.
pub fn arb_case(engine: &'static Engine) -> impl Strategy<Value = Case> {
    let n = engine.kb().vocab.findings.len();
    (
        16u8..=110,
        proptest::option::of(0u32..4000),
        proptest::option::of(0u8..=10),
        proptest::collection::vec(0u8..100, n),
        prop_oneof![Just(1u8), Just(3u8), Just(10u8)],
        any::<bool>(),
        proptest::option::of(proptest::sample::select(vec![
            Sex::Female,
            Sex::Male,
            Sex::Other,
        ])),
        0u8..3,
    )
        .prop_map(
            |(age, duration_days, pain_score, states, density, clinician, sex, flag_heavy)| {
                let kb = engine.kb();
                let flags = kb.red_flag_findings;
                let evidence: Vec<(FindingId, bool)> = states
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| {
                        let f = FindingId(i as u16);
                        // A third of the cases lean on the red flags, a third answer the whole
                        // red-flag screen "no" (so that self-care is reachable).
                        if flag_heavy == 1 && kb.screen.findings.contains(f) {
                            return Some((f, false));
                        }
                        let density = if flag_heavy == 0 && flags.contains(f) {
                            20
                        } else {
                            density
                        };
                        if *s < density {
                            Some((f, true))
                        } else if *s < 40 {
                            Some((f, false))
                        } else {
                            None
                        }
                    })
                    .collect();
                let mut case = Case::new(age);
                case.sex = sex;
                case.duration_days = duration_days;
                if clinician {
                    case.mode = Mode::Clinician;
                }
                for (f, present) in evidence {
                    case.set(f, Some(present));
                }
                case.pain_score = pain_score;
                case.pain_score_asked = pain_score.is_some();
                case
            },
        )
}
