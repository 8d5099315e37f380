//! Property tests of the safety layer and of the model's invariants, over random cases drawn
//! from the whole vocabulary: every safety rule of contract v1 and v1.1 (case-format.md), each
//! on 10,000 random cases.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use radiculo_engine::{Case, Engine, Mode, Options, QuestionKind, ReasonRef};
use radiculo_kb::{FindingId, Side, TriageLevel, contract};

/// Random cases per property.
const CASES: u32 = 10_000;

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

fn ids(pattern: &str) -> Vec<FindingId> {
    engine().kb().vocab.matching(pattern).iter().collect()
}

fn arb_case() -> impl Strategy<Value = Case> {
    radiculo_engine::testing::arb_case(engine())
}

fn present_names(case: &Case) -> Vec<&'static str> {
    let kb = engine().kb();
    case.evidence()
        .iter()
        .filter(|(_, p)| *p)
        .map(|(f, _)| kb.vocab.def(*f).id.as_str())
        .collect()
}

fn level(case: &Case) -> TriageLevel {
    engine().triage_level(case)
}

fn any_present(case: &Case, fs: &[FindingId]) -> bool {
    let present = case.present();
    fs.iter().any(|f| present.contains(*f))
}

/// Each of the findings of a v1.1 "neurological finding" list.
fn neurological() -> Vec<FindingId> {
    let mut v = Vec::new();
    for p in [
        "weakness.*",
        "foot_drop.*",
        "reflex_reduced.*",
        "numbness.*",
        "gait_unsteady",
        "weakness_progressive",
    ] {
        v.extend(ids(p));
    }
    v
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        ..ProptestConfig::default()
    }
}

/// The random cases reach every triage level (so the properties are not checked on emergencies
/// alone), and the model-reading rules fire on some of them.
#[test]
fn random_cases_cover_every_level_and_the_model_rules() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    let mut model_rules = std::collections::BTreeSet::new();
    let kb = engine().kb();
    for _ in 0..4000 {
        let case = arb_case().new_tree(&mut runner).expect("a case").current();
        let a = engine().assess(
            &case,
            Options {
                next_question: false,
            },
        );
        seen.insert(a.triage.level);
        for r in &a.triage.reasons {
            if let ReasonRef::Rule(i) = r.reason
                && kb.rules[i].when.reads_model()
            {
                model_rules.insert(kb.rules[i].id.clone());
            }
        }
    }
    assert_eq!(seen.len(), 5, "levels seen: {seen:?}");
    assert!(
        model_rules.len() >= 3,
        "model-reading rules seen firing: {model_rules:?}"
    );
}

proptest! {
    #![proptest_config(config())]

    /// v1.1: any cauda equina finding present gives emergency, whatever else is known (v1 asked
    /// for a symptom as well; this is stronger).
    #[test]
    fn any_cauda_equina_finding_is_emergency(mut case in arb_case(), flag in 0usize..contract::CAUDA_EQUINA_FINDINGS.len()) {
        case.set(id(contract::CAUDA_EQUINA_FINDINGS[flag]), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// v1: a cauda equina flag with any back, buttock or leg symptom is an emergency.
    #[test]
    fn cauda_equina_flag_with_symptoms_is_emergency(mut case in arb_case(), flag in 0usize..5, symptom in 0usize..3, side in 0usize..2, region in 0usize..16) {
        case.set(id(contract::CAUDA_EQUINA_FINDINGS[flag]), Some(true));
        let kind = ["pain", "numbness", "tingling"][symptom];
        let symptom = format!("{kind}.{}.{}", contract::REGIONS[region], Side::BOTH[side].as_str());
        case.set(id(&symptom), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// v1: progressive weakness gives at least urgent, and emergency with symptoms or weakness
    /// in both legs.
    #[test]
    fn progressive_weakness(mut case in arb_case(), region in 0usize..16) {
        case.set(id("weakness_progressive"), Some(true));
        prop_assert!(level(&case) >= TriageLevel::Urgent);
        let r = contract::REGIONS[region];
        case.set(id(&format!("pain.{r}.left")), Some(true));
        case.set(id(&format!("numbness.{r}.right")), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// v1.1: foot drop on both sides gives emergency; weakness on both sides at least urgent.
    #[test]
    fn bilateral_foot_drop_and_weakness(mut case in arb_case(), left in 0usize..9, right in 0usize..9) {
        let weak = ids("weakness.*.left");
        let weak_right = ids("weakness.*.right");
        let mut both_weak = case.clone();
        both_weak.set(weak[left % weak.len()], Some(true));
        both_weak.set(weak_right[right % weak_right.len()], Some(true));
        prop_assert!(level(&both_weak) >= TriageLevel::Urgent);
        case.set(id("foot_drop.left"), Some(true));
        case.set(id("foot_drop.right"), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// v1.1: a history of cancer with any back or leg symptom gives at least urgent; with any
    /// neurological finding, emergency.
    #[test]
    fn cancer_with_symptoms_and_neurology(mut case in arb_case(), symptom in 0usize..99, neuro in 0usize..200) {
        case.set(id("history_of_cancer"), Some(true));
        let mut symptoms = ids("pain.*");
        symptoms.extend(ids("numbness.*"));
        symptoms.extend(ids("tingling.*"));
        let mut with_symptom = case.clone();
        with_symptom.set(symptoms[symptom % symptoms.len()], Some(true));
        prop_assert!(level(&with_symptom) >= TriageLevel::Urgent);
        if any_present(&case, &symptoms) {
            prop_assert!(level(&case) >= TriageLevel::Urgent);
        }
        let neuro_ids = neurological();
        case.set(neuro_ids[neuro % neuro_ids.len()], Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// v1.1: fever with a neurological finding gives emergency; fever with low back pain at
    /// least urgent.
    #[test]
    fn fever_with_back_pain_and_neurology(mut case in arb_case(), neuro in 0usize..200) {
        case.set(id("fever"), Some(true));
        case.set(id("pain.low_back"), Some(true));
        prop_assert!(level(&case) >= TriageLevel::Urgent);
        let neuro_ids = neurological();
        case.set(neuro_ids[neuro % neuro_ids.len()], Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// v1.1: a suddenly cold, pale leg gives emergency; so does a pulsatile abdominal mass or a
    /// known aortic aneurysm with low back pain.
    #[test]
    fn limb_ischaemia_and_aneurysm(mut case in arb_case(), side in 0usize..2, which in 0usize..2) {
        let mut cold = case.clone();
        cold.set(id(&format!("leg_cold_pale_sudden.{}", Side::BOTH[side].as_str())), Some(true));
        prop_assert_eq!(level(&cold), TriageLevel::Emergency);
        case.set(id(["pulsatile_abdominal_mass", "known_aortic_aneurysm"][which]), Some(true));
        case.set(id("pain.low_back"), Some(true));
        prop_assert_eq!(level(&case), TriageLevel::Emergency);
    }

    /// v1.1: an upper motor neurone sign with an unsteady gait or any weakness gives at least
    /// urgent.
    #[test]
    fn upper_motor_neurone_signs(mut case in arb_case(), sign in 0usize..6, with in 0usize..20) {
        let mut signs = ids("babinski.*");
        signs.extend(ids("ankle_clonus.*"));
        signs.extend(ids("hyperreflexia.*"));
        let mut partners = vec![id("gait_unsteady")];
        partners.extend(ids("weakness.*"));
        case.set(signs[sign % signs.len()], Some(true));
        case.set(partners[with % partners.len()], Some(true));
        prop_assert!(level(&case) >= TriageLevel::Urgent);
    }

    /// v1.1: self-care only below 70 with every screen question answered "no"; otherwise the
    /// lowest level is routine, and the reasons name the screen questions still open.
    #[test]
    fn self_care_needs_the_screen(case in arb_case()) {
        let a = engine().assess(&case, Options { next_question: false });
        let known = case.known();
        let present = case.present();
        let screen: Vec<FindingId> = contract::SCREEN.iter().map(|s| id(s)).collect();
        let clear = case.age < 70 && screen.iter().all(|f| known.contains(*f) && !present.contains(*f));
        if a.triage.level == TriageLevel::SelfCare {
            prop_assert!(clear, "self_care with age {} and the screen not clear", case.age);
        }
        if !clear {
            prop_assert!(a.triage.level >= TriageLevel::Routine);
        }
        let mut open: Vec<FindingId> = screen.iter().copied().filter(|f| !known.contains(*f)).collect();
        open.sort();
        if !open.is_empty() {
            let reason = a.triage.reasons.iter().find(|r| r.reason == ReasonRef::ScreenOpen);
            prop_assert!(reason.is_some_and(|r| r.findings == open), "the open screen questions are not named");
        }
    }

    /// Contract: adding a present red-flag finding never lowers the triage level, whether the
    /// finding was unknown or answered "no" before, for every finding that raises a red flag on
    /// its own (the contract's list and the knowledge base's).
    #[test]
    fn adding_a_red_flag_never_lowers_triage(case in arb_case(), flag in 0usize..64) {
        let flags: Vec<FindingId> = engine().kb().red_flag_findings.iter().collect();
        let f = flags[flag % flags.len()];
        let before = level(&case);
        for previous in [None, Some(false)] {
            let mut from = case.clone();
            from.set(f, previous);
            let mut with = from.clone();
            with.set(f, Some(true));
            prop_assert!(level(&with) >= level(&from), "{:?} -> {:?} adding {} (was {:?})",
                level(&from), level(&with), engine().kb().vocab.def(f).id, previous);
        }
        let _ = before;
    }

    /// The contract's own list of red-flag findings, as in v1.
    #[test]
    fn adding_a_contract_red_flag_never_lowers_triage(case in arb_case(), flag in 0usize..contract::RED_FLAG_FINDINGS.len()) {
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

    /// v1.1: an anti-inflammatory is recommended only when every medicine caution is answered;
    /// until then a plan item names the cautions still open.
    #[test]
    fn anti_inflammatory_advice_needs_the_cautions(case in arb_case()) {
        let kb = engine().kb();
        let a = engine().assess(&case, Options { next_question: false });
        let cautions: Vec<FindingId> = contract::MEDICINE_CAUTIONS.iter().map(|c| id(c)).collect();
        let known = case.known();
        let open: Vec<FindingId> = cautions.iter().copied().filter(|c| !known.contains(*c)).collect();
        if a.advice(kb).any(|p| p.id == "med_nsaid") {
            prop_assert!(open.is_empty(), "NSAID advice with cautions unanswered");
        }
        let any_caution = any_present(&case, &cautions);
        if !open.is_empty() && !any_caution && a.triage.level != TriageLevel::Emergency {
            let listed = a.advice(kb).any(|p| {
                p.audience == radiculo_kb::Audience::Patient && case.unanswered(&p.lists_unanswered) == open
            });
            prop_assert!(listed, "no patient plan item names the open cautions");
        }
    }

    /// Every raised red flag names present findings, and a present red-flag finding always
    /// raises one.
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
        prop_assert_eq!(a.conditions.len(), contract::CONDITIONS.len());
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
                radiculo_engine::ExplanationTarget::Condition(c) => a.conditions.iter().find(|x| x.condition == c).map(|x| x.probability),
                radiculo_engine::ExplanationTarget::Mechanism(m) => Some(a.mechanism[m.index()]),
            };
            let p = p.expect("the target is reported");
            // Compared as probabilities: log odds taken from a marginal near 0 or 1 lose their
            // precision to cancellation in 1 - p, which says nothing about the explanation.
            let q = 1.0 / (1.0 + (-e.posterior_log_odds).exp());
            prop_assert!((q - p).abs() < 1e-9, "{:?}: marginal {} but explanation {}", e.target, p, q);
        }
    }

    /// The interview ends at once on an emergency, asks only what a person can answer in
    /// patient mode, never asks the same thing twice, and asks the pain score only once.
    #[test]
    fn next_question_respects_mode_and_emergencies(case in arb_case()) {
        let a = engine().assess(&case, Options::default());
        if a.triage.level == TriageLevel::Emergency {
            prop_assert!(a.next_question.is_none());
        }
        if let Some(q) = &a.next_question {
            let kb = engine().kb();
            if let QuestionKind::Number(_) = q.kind {
                prop_assert!(!case.pain_score_asked);
            }
            for f in q.findings() {
                prop_assert!(!case.asked(f), "asked {} again", kb.vocab.def(f).id);
                if case.mode == Mode::Patient {
                    prop_assert!(!kb.vocab.def(f).examiner || q.id == "body_map", "asked {} in patient mode", kb.vocab.def(f).id);
                }
            }
        }
    }
}
