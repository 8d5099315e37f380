//! `cargo bench -p radiculo-engine`: the engine on a typical case (the contract's example, seven
//! answers) and on a rich one (a full body map and examination, 60 answers), with and without
//! the next question.

use std::sync::OnceLock;

use divan::{Bencher, black_box};
use radiculo_engine::{Case, Engine, Mode, Options, QuestionKind};

fn main() {
    divan::main();
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap()))
}

fn case(mode: Mode, answers: &[(&str, bool)]) -> Case {
    let mut case = Case::new(47);
    case.duration_days = Some(12);
    case.mode = mode;
    for (id, present) in answers {
        let f = engine()
            .kb()
            .vocab
            .get(id)
            .unwrap_or_else(|| panic!("{id}"));
        case.set(f, Some(*present));
    }
    case
}

/// The contract's example case.
fn typical() -> Case {
    case(
        Mode::Patient,
        &[
            ("pain.lateral_leg.left", true),
            ("numbness.dorsum_foot.left", true),
            ("weakness.great_toe_extension.left", true),
            ("reflex_reduced.ankle.left", false),
            ("slr.left", true),
            ("cough_sneeze_strain_worse", true),
            ("urinary_retention", false),
        ],
    )
}

/// A typical undecided case (sciatica down the back of the leg at 66: disc or stenosis?) after the red-flag
/// and medicine checklists and the rest of the body map are answered (all absent), so the next question is chosen by
/// expected information rather than by the checklist order.
fn typical_checklists_done() -> Case {
    let mut c = case(
        Mode::Patient,
        &[
            ("pain.low_back", true),
            ("pain.buttock.left", true),
            ("pain.posterior_thigh.left", true),
            ("pain.calf.left", true),
            ("leg_pain_worse_than_back", true),
        ],
    );
    // At 66, stenosis and a disc are both likely: a question can still change the lead.
    c.age = 66;
    c.pain_score = Some(6);
    c.pain_score_asked = true;
    let kb = engine().kb();
    for g in kb.groups.iter().filter(|g| g.mandatory || g.first) {
        for f in &g.items {
            if !c.knows(*f) {
                c.set(*f, Some(false));
            }
        }
    }
    c
}

/// A clinician's case: a complete body map (every region of both legs answered), the
/// examination of the left leg and the red-flag screen.
fn rich() -> Case {
    let kb = engine().kb();
    let present = [
        "pain.low_back",
        "pain.buttock.left",
        "pain.posterior_thigh.left",
        "pain.calf.left",
        "pain.lateral_foot.left",
        "numbness.lateral_foot.left",
        "tingling.sole.left",
        "slr.left",
        "reflex_reduced.ankle.left",
        "weakness.ankle_plantarflexion.left",
        "leg_pain_worse_than_back",
        "cough_sneeze_strain_worse",
        "worse_sitting",
    ];
    let mut answers: Vec<(&str, bool)> = present.iter().map(|p| (*p, true)).collect();
    for f in &kb.vocab.findings {
        let id = f.id.as_str();
        let region_leg =
            id.starts_with("pain.") && (id.ends_with(".left") || id.ends_with(".right"));
        let exam_left = f.examiner && id.ends_with(".left");
        let screen = f.category == radiculo_kb::Category::RedFlag;
        if (region_leg || exam_left || screen) && !present.contains(&id) {
            answers.push((id, false));
        }
    }
    case(Mode::Clinician, &answers)
}

#[divan::bench]
fn assess_typical(b: Bencher) {
    let c = typical();
    let e = engine();
    b.bench(|| {
        e.assess(
            black_box(&c),
            Options {
                next_question: false,
            },
        )
        .triage
        .level
    });
}

#[divan::bench]
fn assess_rich(b: Bencher) {
    let c = rich();
    let e = engine();
    b.bench(|| {
        e.assess(
            black_box(&c),
            Options {
                next_question: false,
            },
        )
        .triage
        .level
    });
}

#[divan::bench]
fn assess_typical_with_next_question(b: Bencher) {
    let c = typical();
    let e = engine();
    b.bench(|| {
        e.assess(black_box(&c), Options::default())
            .next_question
            .is_some()
    });
}

#[divan::bench]
fn assess_rich_with_next_question(b: Bencher) {
    let c = rich();
    let e = engine();
    b.bench(|| {
        e.assess(black_box(&c), Options::default())
            .next_question
            .is_some()
    });
}

#[divan::bench]
fn next_question_by_information(b: Bencher) {
    let c = typical_checklists_done();
    let e = engine();
    assert!(
        e.next_question(&c)
            .is_some_and(|q| matches!(q.kind, QuestionKind::Finding(_))),
        "the benchmark case must reach the single-question stage"
    );
    b.bench(|| e.next_question(black_box(&c)).is_some());
}

/// Every case of the development sets (`eval/cases.jsonl`, `eval/published.jsonl`) and the
/// contract's example: the cases `scripts/bn-check.sh` has pgmpy infer, for the ratio of their
/// speeds in BENCHMARKS.md. Read as the CLI reads them, through `radiculo-contract`.
fn development_cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let read = |file: &str| std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        let mut values: Vec<serde_json::Value> = ["eval/cases.jsonl", "eval/published.jsonl"]
            .iter()
            .flat_map(|file| {
                read(file)
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["case"].clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        values.push(serde_json::from_str(&read("examples/contract-example.json")).unwrap());
        values
            .iter()
            .map(|v| radiculo_contract::case_from_value(engine(), v).unwrap())
            .collect()
    })
}

/// Benches `f` over every development case in turn, counted per case.
fn over_development_cases(b: Bencher, f: impl Fn(&Engine, &Case) -> f64 + Sync) {
    let cases = development_cases();
    let e = engine();
    b.counter(divan::counter::ItemsCount::new(cases.len()))
        .bench(|| cases.iter().map(|c| f(e, black_box(c))).sum::<f64>());
}

/// The posterior over hypotheses (from which the condition, mechanism and root marginals are
/// sums) for each development case in turn: what pgmpy computes in the cross-check.
#[divan::bench]
fn posterior_development_sets(b: Bencher) {
    over_development_cases(b, |e, c| e.posterior(c)[0]);
}

/// The whole assessment (without the next question) of each development case in turn.
#[divan::bench]
fn assess_development_sets(b: Bencher) {
    over_development_cases(b, |e, c| {
        e.assess(
            c,
            Options {
                next_question: false,
            },
        )
        .mechanism[0]
    });
}
