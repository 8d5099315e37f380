//! Cases on which the `engine` fuzz target (`fuzz/`) failed, each kept in
//! `tests/fuzz-regressions/` as contract JSON (the fuzz input written out as the case it made).
//! Each must now pass what the target asks of the probabilities: every one finite and in
//! [0, 1], and the mechanisms and the conditions each adding up to 1.

use std::sync::OnceLock;

use radiculo_engine::{Engine, Options};

/// How far a sum of probabilities may be from 1 (as in the fuzz target).
const SUM_TOLERANCE: f64 = 1e-9;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    })
}

#[test]
fn every_fuzz_regression_has_probabilities_in_range() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression cases in {dir}");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.display();
        let text = std::fs::read_to_string(path).expect("the file reads");
        let case = radiculo_contract::parse_case(engine(), &text)
            .unwrap_or_else(|e| panic!("{name}: not a valid case: {e}"));
        let a = engine().assess(&case, Options::default());
        let mut probabilities: Vec<(String, f64)> = Vec::new();
        probabilities.extend(
            a.mechanism
                .iter()
                .enumerate()
                .map(|(i, &p)| (format!("mechanism {i}"), p)),
        );
        probabilities.extend(
            a.conditions
                .iter()
                .map(|c| (format!("condition {}", c.condition), c.probability)),
        );
        probabilities.extend(
            a.roots
                .iter()
                .map(|r| (format!("root {} {:?}", r.root, r.side), r.probability)),
        );
        for (what, p) in probabilities {
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                failures.push(format!("{name}: {what} has probability {p}"));
            }
        }
        let sums = [
            ("mechanisms", a.mechanism.iter().sum::<f64>()),
            (
                "conditions",
                a.conditions.iter().map(|c| c.probability).sum(),
            ),
        ];
        for (what, sum) in sums {
            if (sum - 1.0).abs() > SUM_TOLERANCE {
                failures.push(format!("{name}: the {what} add up to {sum}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
