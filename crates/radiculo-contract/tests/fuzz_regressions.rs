//! Inputs that made the `case_parser` fuzz target (`fuzz/`) fail, each kept as found in
//! `tests/fuzz-regressions/`. Each must now give what the target asks of any input: a case, a
//! JSON error for text that is not JSON, or an error naming the path of a member; and the path
//! this table expects, so that every file has its expectation written down.

use std::sync::OnceLock;

use radiculo_contract::{ContractError, parse_case};
use radiculo_engine::Engine;

/// Each regression file and the path of the error it must give.
const EXPECTED: &[(&str, &str)] = &[
    // An unknown member whose key is empty was named by an empty path, which names nothing.
    ("unknown-empty-key.json", r#"$[""]"#),
];

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    })
}

#[test]
fn every_fuzz_regression_gives_its_typed_error() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "each file in {dir} needs its line in EXPECTED, and only those"
    );

    let mut failures = Vec::new();
    for (file, expected) in EXPECTED {
        let bytes = std::fs::read(format!("{dir}/{file}")).expect("the file reads");
        let text = String::from_utf8(bytes).expect("the input is UTF-8");
        match parse_case(engine(), &text) {
            Err(ContractError::Invalid { path, message, .. }) => {
                if path != *expected {
                    failures.push(format!("{file}: error at `{path}`, expected `{expected}`"));
                }
                if message.is_empty() {
                    failures.push(format!("{file}: an error at `{path}` with no message"));
                }
            }
            other => failures.push(format!(
                "{file}: {other:?}, expected an error at `{expected}`"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
