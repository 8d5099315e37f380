//! The JSON writer and the fast case parser against their references.
//!
//! `write_json` in the full form must give exactly the bytes `serde_json` gives for the typed
//! `AssessmentJson` (which the OpenAPI document describes and the snapshots in
//! `snapshots.rs` review), and `JsonWriter` the same bytes as `write_json` in both forms; the
//! compact form has its own reviewed snapshots. `parse_case`'s fast
//! path must give the same case as `case_from_value` for every text both accept. The cases are
//! the case files and every labelled evaluation case, with and without the next question.

use radiculo_contract::{Form, JsonWriter, case_from_value, parse_case, to_json, write_json};
use radiculo_engine::{Engine, Options};
use serde_json::Value;

fn engine() -> Engine {
    Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap())
}

/// `(name, case JSON text)` for every case file and every evaluation case.
fn cases() -> Vec<(String, String)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut cases: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let eval = std::fs::read_to_string(format!("{root}/../../eval/cases.jsonl")).unwrap();
    for (i, line) in eval.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let labelled: Value = serde_json::from_str(line).unwrap();
        cases.push((format!("eval line {}", i + 1), labelled["case"].to_string()));
    }
    assert!(cases.len() > 100, "the cases are missing");
    cases
}

#[test]
fn the_full_form_is_byte_for_byte_what_serde_writes_for_assessment_json() {
    let engine = engine();
    let writer = JsonWriter::new(&engine);
    let mut out = Vec::new();
    for (name, text) in cases() {
        let case = parse_case(&engine, &text).unwrap();
        for next_question in [true, false] {
            let assessment = engine.assess(&case, Options { next_question });
            let expected = serde_json::to_vec(&to_json(&engine, &case, &assessment)).unwrap();
            out.clear();
            write_json(&engine, &case, &assessment, Form::Full, &mut out);
            assert!(
                out == expected,
                "{name} (next question {next_question}):\n{}\n{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected)
            );
            for form in [Form::Full, Form::Compact] {
                out.clear();
                write_json(&engine, &case, &assessment, form, &mut out);
                let mut cached = Vec::new();
                writer.write(&case, &assessment, form, &mut cached);
                assert!(out == cached, "{name}: JsonWriter differs in {form:?}");
            }
        }
    }
}

#[test]
fn texts_that_need_escaping_are_escaped_as_serde_escapes_them() {
    let engine = engine();
    let text = r#"{"id": "a \"quoted\" id\\ with\ta tab, \u0001, caf\u00e9 and a long tail to pass one block", "age": 47}"#;
    let case = parse_case(&engine, text).unwrap();
    let assessment = engine.assess(&case, Options::default());
    let mut out = Vec::new();
    write_json(&engine, &case, &assessment, Form::Full, &mut out);
    assert_eq!(
        out,
        serde_json::to_vec(&to_json(&engine, &case, &assessment)).unwrap()
    );
    let mut cached = Vec::new();
    JsonWriter::new(&engine).write(&case, &assessment, Form::Full, &mut cached);
    assert_eq!(out, cached);
}

#[test]
fn compact_assessments_of_the_case_files() {
    let engine = engine();
    for (name, text) in cases().into_iter().filter(|(n, _)| !n.starts_with("eval")) {
        let case = parse_case(&engine, &text).unwrap();
        let assessment = engine.assess(&case, Options::default());
        let mut out = Vec::new();
        write_json(&engine, &case, &assessment, Form::Compact, &mut out);
        insta::assert_snapshot!(format!("compact-{name}"), String::from_utf8(out).unwrap());
    }
}

#[test]
fn the_fast_parser_gives_the_case_the_value_path_gives() {
    let engine = engine();
    let mut texts: Vec<String> = cases().into_iter().map(|(_, text)| text).collect();
    // Valid but unusual forms, which the fast path leaves to the `Value` path.
    texts.extend(
        [
            r#"{"age": 47.0, "symptom_duration_days": 3.0}"#,
            r#"{"id": "esc\"aped", "age": 47, "sex": null, "mode": null, "evidence": null}"#,
            r#"{"age": 47, "evidence": [{"state": "present", "id": "pain.low_back"}, {"id": "pain.low_back", "state": "present"}]}"#,
            r#"{"age": 30, "age": 47}"#,
            r#"{"age": 47, "evidence": [{"id": "pain.low_back", "state": "unknown"}, {"id": "fever", "state": "absent"}]}"#,
        ]
        .map(String::from),
    );
    for text in texts {
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parse_case(&engine, &text),
            case_from_value(&engine, &value),
            "{text}"
        );
    }
}
