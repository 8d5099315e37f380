//! Every text shown with an assessment agrees with its triage level: it names no level and no
//! place of care but the one the triage gives (the phrases that name each level are the
//! knowledge base's `[level.*].names`). The one kind of text allowed to name another level is a
//! safety-net item ("if you get any of these, go to an emergency department"): it names exactly
//! the level of its `if_new`, and the triage gives exactly that level for each event it lists.

use std::sync::OnceLock;

use proptest::prelude::*;
use radiculo_engine::{Case, Engine, Options};
use radiculo_kb::TriageLevel;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    })
}

/// The levels a text names.
fn named_levels(text: &str) -> Vec<TriageLevel> {
    let lower = text.to_lowercase();
    engine()
        .kb()
        .levels
        .iter()
        .filter(|l| l.names.iter().any(|n| lower.contains(n.as_str())))
        .map(|l| l.level)
        .collect()
}

/// Every text an assessment of `case` shows, except the safety-net items, with where it comes
/// from.
fn shown(case: &Case) -> (TriageLevel, Vec<(String, String)>) {
    let kb = engine().kb();
    let a = engine().assess(
        case,
        Options {
            next_question: false,
        },
    );
    let level = kb.level(a.triage.level);
    let mut texts = vec![
        ("level headline".to_string(), level.headline.clone()),
        ("level instruction".to_string(), level.instruction.clone()),
        (
            "level clinician headline".to_string(),
            level.clinician_headline.clone(),
        ),
        (
            "level clinician instruction".to_string(),
            level.clinician_instruction.clone(),
        ),
    ];
    for r in &a.triage.reasons {
        let t = r.reason.texts(kb);
        texts.push((format!("reason {}", t.id), t.patient.to_string()));
        texts.push((
            format!("reason {} (clinician)", t.id),
            t.clinician.to_string(),
        ));
    }
    for f in a.red_flags.iter().map(|f| f.def(kb)) {
        texts.push((format!("red flag {}", f.id), f.patient.clone()));
        texts.push((
            format!("red flag {} (clinician)", f.id),
            f.clinician.clone(),
        ));
    }
    for p in a.advice(kb).filter(|p| p.if_new.is_none()) {
        texts.push((format!("plan {}", p.id), p.text.clone()));
    }
    (a.triage.level, texts)
}

fn check(case: &Case) -> Result<(), String> {
    let (level, texts) = shown(case);
    for (what, text) in texts {
        let named = named_levels(&text);
        if named.iter().any(|l| *l != level) {
            return Err(format!(
                "triage {level}, but {what} names {named:?}: {text:?}"
            ));
        }
    }
    Ok(())
}

fn arb_case() -> impl Strategy<Value = Case> {
    radiculo_engine::testing::arb_case(engine())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// No text shown with an assessment names a level or place of care other than its triage.
    #[test]
    fn texts_name_only_the_triage_level(case in arb_case()) {
        prop_assert!(check(&case).is_ok(), "{}", check(&case).unwrap_err());
    }
}

/// The labelled development cases too (they reach conditions random cases rarely do).
#[test]
fn texts_name_only_the_triage_level_on_the_labelled_cases() {
    for file in ["../../eval/cases.jsonl", "../../eval/published.jsonl"] {
        let text = std::fs::read_to_string(file).expect("the labelled cases");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
            let case = radiculo_contract::case_from_value(engine(), &v["case"]).expect("a case");
            if let Err(e) = check(&case) {
                panic!("{}: {e}", case.id.unwrap_or_default());
            }
        }
    }
}

/// A safety-net item names exactly its own level, and for each new event it lists, the triage of
/// a person who has had back and leg pain for a few days and then gets that event is exactly
/// that level: "go to an emergency department if X" is said only of what the triage calls an
/// emergency.
#[test]
fn safety_net_items_agree_with_the_triage() {
    let kb = engine().kb();
    let f = |id: &str| kb.vocab.get(id).expect("a known id");
    let mut base = Case::new(45);
    base.duration_days = Some(5);
    for id in ["pain.low_back", "pain.posterior_thigh.left"] {
        base.set(f(id), Some(true));
    }
    for id in radiculo_kb::contract::SCREEN {
        base.set(f(id), Some(false));
    }
    let mut checked = 0;
    for item in kb.advice.iter() {
        let Some(if_new) = &item.if_new else {
            continue;
        };
        let named = named_levels(&item.text);
        assert_eq!(
            named,
            vec![if_new.level],
            "{} names {named:?}, its if_new says {}",
            item.id,
            if_new.level
        );
        for event in &if_new.events {
            let mut case = base.clone();
            for finding in event {
                case.set(*finding, Some(true));
            }
            let got = engine().triage_level(&case);
            let names: Vec<&str> = event.iter().map(|x| kb.vocab.def(*x).id.as_str()).collect();
            assert_eq!(
                got, if_new.level,
                "{}: the triage of {names:?} is {got}, the text says {}",
                item.id, if_new.level
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} safety-net events checked");
}

/// Every text in the knowledge base that names a level belongs to something shown only at that
/// level (a level table, a rule of that level that is always the highest when it fires, an item
/// restricted to that level) or is a safety-net item: a cheap check over all texts, not only those
/// the cases above happen to show.
#[test]
fn level_phrases_only_where_the_level_is_certain() {
    let kb = engine().kb();
    for item in kb.advice.iter().filter(|a| a.if_new.is_none()) {
        let named = named_levels(&item.text);
        if named.is_empty() {
            continue;
        }
        let only = item
            .when
            .as_ref()
            .map(|w| w.triage_in.clone())
            .unwrap_or_default();
        assert!(
            !only.is_empty() && only.iter().all(|l| named == vec![*l]),
            "advice {} names {named:?} but is shown at {only:?}",
            item.id
        );
    }
    for flag in &kb.red_flags {
        for text in [&flag.patient, &flag.clinician] {
            let named = named_levels(text);
            assert!(
                named.is_empty()
                    || (flag.min_level == TriageLevel::Emergency
                        && named == vec![TriageLevel::Emergency]),
                "red flag {} names {named:?}: {text}",
                flag.id
            );
        }
    }
    for rule in &kb.rules {
        for text in [&rule.patient, &rule.clinician] {
            let named = named_levels(text);
            assert!(
                named.is_empty()
                    || (rule.level == TriageLevel::Emergency
                        && named == vec![TriageLevel::Emergency]),
                "rule {} names {named:?}: {text}",
                rule.id
            );
        }
    }
}
