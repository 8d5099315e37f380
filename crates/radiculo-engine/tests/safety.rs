//! Property tests of the safety layer and of the model's invariants, over thousands of random
//! cases drawn from the whole vocabulary.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use radiculo_engine::{Case, Engine, Mode, Options};
use radiculo_kb::{FindingId, Side, TriageLevel, contract};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    })
}

fn id(name: &str) -> FindingId {
    engine()
        .kb()
        .vocab
        .get(name)
        .unwrap_or_else(|| panic!("unknown id {name}"))
}

const CES_FLAGS: [&str; 5] = [
    "urinary_retention",
    "urinary_incontinence",
    "bowel_incontinence",
    "numbness.saddle",
    "sexual_dysfunction_new",
];

/// A random case: each finding unknown, absent or present. The share of present findings is
/// itself random (about 1%, 3% or 10%), so that every triage level is well represented.
fn arb_case() -> impl Strategy<Value = Case> {
    let n = engine().kb().vocab.findings.len();
    (
        16u8..=110,
        proptest::option::of(0u32..4000),
        proptest::collection::vec(0u8..100, n),
        prop_oneof![Just(1u8), Just(3u8), Just(10u8)],
        any::<bool>(),
    )
        .prop_map(|(age, duration_days, states, density, clinician)| {
            let evidence = states
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let f = FindingId(i as u16);
                    if *s < density {
                        Some((f, true))
                    } else if *s < 40 {
                        Some((f, false))
                    } else {
                        None
                    }
                })
                .collect();
            Case {
                id: None,
                age,
                sex: None,
                duration_days,
                mode: if clinician {
                    Mode::Clinician
                } else {
                    Mode::Patient
                },
                evidence,
                unsure: radiculo_kb::FindingSet::EMPTY,
            }
        })
}

fn present_names(case: &Case) -> Vec<&'static str> {
    let kb = engine().kb();
    case.evidence
        .iter()
        .filter(|(_, p)| *p)
        .map(|(f, _)| kb.vocab.def(*f).id.as_str())
        .collect()
}

fn level(case: &Case) -> TriageLevel {
    engine().triage_level(case)
}

/// The random cases reach every triage level (so the properties are not checked on emergencies
/// alone).
#[test]
fn random_cases_cover_every_level() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2000 {
        let case = arb_case().new_tree(&mut runner).expect("a case").current();
        seen.insert(level(&case));
    }
    assert_eq!(seen.len(), 5, "levels seen: {seen:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Contract: a cauda equina flag with any back, buttock or leg symptom is an emergency.
    #[test]
    fn cauda_equina_flag_with_symptoms_is_emergency(mut case in arb_case(), flag in 0usize..5, symptom in 0usize..3, side in 0usize..2, region in 0usize..16) {
        case.set(id(CES_FLAGS[flag]), Some(true));
        let kind = ["pain", "numbness", "tingling"][symptom];
        let symptom = format!("{kind}.{}.{}", contract::REGIONS[region], Side::BOTH[side].as_str());
        case.set(id(&symptom), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// The same with back pain alone.
    #[test]
    fn cauda_equina_flag_with_back_pain_is_emergency(mut case in arb_case(), flag in 0usize..5) {
        case.set(id(CES_FLAGS[flag]), Some(true));
        case.set(id("pain.low_back"), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// Contract: progressive weakness gives at least urgent, and emergency with symptoms or
    /// weakness in both legs.
    #[test]
    fn progressive_weakness(mut case in arb_case(), region in 0usize..16) {
        case.set(id("weakness_progressive"), Some(true));
        prop_assert!(level(&case) >= TriageLevel::Urgent);
        let r = contract::REGIONS[region];
        case.set(id(&format!("pain.{r}.left")), Some(true));
        case.set(id(&format!("numbness.{r}.right")), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// Contract: adding a present red-flag finding never lowers the triage level.
    #[test]
    fn adding_a_red_flag_never_lowers_triage(case in arb_case(), flag in 0usize..contract::RED_FLAG_FINDINGS.len()) {
        let before = level(&case);
        let mut with = case.clone();
        with.set(id(contract::RED_FLAG_FINDINGS[flag]), Some(true));
        prop_assert!(level(&with) >= before, "{:?} -> {:?} adding {}", before, level(&with), contract::RED_FLAG_FINDINGS[flag]);
    }

    /// Contract: a case with any red flag never gets self_care.
    #[test]
    fn any_red_flag_means_no_self_care(mut case in arb_case(), flag in 0usize..contract::RED_FLAG_FINDINGS.len()) {
        case.set(id(contract::RED_FLAG_FINDINGS[flag]), Some(true));
        prop_assert_ne!(level(&case), TriageLevel::SelfCare);
    }

    /// Every raised red flag names present findings, and a present contract red-flag finding
    /// always raises one.
    #[test]
    fn red_flags_name_their_findings(case in arb_case()) {
        let a = engine().assess(&case, Options { next_question: false });
        let present = present_names(&case);
        for flag in &a.red_flags {
            prop_assert!(!flag.findings.is_empty());
            for f in &flag.findings {
                prop_assert!(present.contains(&engine().kb().vocab.def(*f).id.as_str()));
            }
        }
        let raised: Vec<FindingId> = a.red_flags.iter().flat_map(|f| f.findings.iter().copied()).collect();
        for name in contract::RED_FLAG_FINDINGS {
            if present.contains(&name) {
                prop_assert!(raised.contains(&id(name)), "{} raised no red flag", name);
            }
        }
    }

    /// The posterior is a distribution, and each explanation adds up: prior log odds plus the
    /// finding weights equal the posterior log odds, and the posterior log odds agree with the
    /// reported marginals.
    #[test]
    fn probabilities_and_explanations_add_up(case in arb_case()) {
        let a = engine().assess(&case, Options { next_question: false });
        let mech: f64 = a.mechanism.iter().sum();
        prop_assert!((mech - 1.0).abs() < 1e-9);
        let cond: f64 = a.conditions.iter().map(|c| c.probability).sum();
        prop_assert!((cond - 1.0).abs() < 1e-9);
        prop_assert_eq!(a.roots.len(), 10);
        for r in &a.roots {
            prop_assert!((0.0..=1.0 + 1e-12).contains(&r.probability));
        }
        for e in &a.explanations {
            let sum: f64 = e.weights.iter().map(|w| w.weight).sum();
            prop_assert!((e.prior_log_odds + sum - e.posterior_log_odds).abs() < 1e-9,
                "{:?}: {} + {} != {}", e.target, e.prior_log_odds, sum, e.posterior_log_odds);
            let p = match e.target {
                radiculo_engine::ExplanationTarget::Root(r, s) => a.roots.iter().find(|x| x.root == r && x.side == s).map(|x| x.probability),
                radiculo_engine::ExplanationTarget::Condition(c) => a.conditions.iter().find(|x| std::ptr::eq(x.def, &engine().kb().model.conditions[c])).map(|x| x.probability),
                radiculo_engine::ExplanationTarget::Mechanism(m) => Some(a.mechanism[radiculo_kb::Mechanism::ALL.iter().position(|x| *x == m).unwrap()]),
            };
            let p = p.expect("the target is reported");
            // Compared as probabilities: log odds taken from a marginal near 0 or 1 lose their
            // precision to cancellation in 1 - p, which says nothing about the explanation.
            let q = 1.0 / (1.0 + (-e.posterior_log_odds).exp());
            prop_assert!((q - p).abs() < 1e-9, "{:?}: marginal {} but explanation {}", e.target, p, q);
        }
    }

    /// The interview ends at once on an emergency, and asks only what a person can answer in
    /// patient mode.
    #[test]
    fn next_question_respects_mode_and_emergencies(case in arb_case()) {
        let a = engine().assess(&case, Options::default());
        if a.triage.level == TriageLevel::Emergency {
            prop_assert!(a.next_question.is_none());
        }
        if let Some(q) = &a.next_question {
            let kb = engine().kb();
            let items: Vec<FindingId> = match &q.items {
                Some(items) => items.clone(),
                None => vec![kb.vocab.get(q.id).expect("a single question is a finding id")],
            };
            prop_assert!(!items.is_empty());
            for f in items {
                prop_assert!(!case.asked(f), "asked {} again", kb.vocab.def(f).id);
                if case.mode == Mode::Patient && q.items.is_none() {
                    prop_assert!(!kb.vocab.def(f).examiner);
                }
            }
        }
    }
}
