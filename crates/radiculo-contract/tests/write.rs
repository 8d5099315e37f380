//! The renderings and the fast case parser against their references.
//!
//! The full form, which a writer generated from the model's declarations writes, must be the
//! bytes serde_json writes for the same model. The compact form must be the full form's
//! numbers, ids, codes and levels, as its documentation says, worked out independently from
//! the full form's JSON; it also has its own reviewed snapshots (the full form's are in
//! `snapshots.rs`). `parse_case`'s fast path must give the same case as `case_from_value` for
//! every text both accept. The cases are the case files and every labelled evaluation case,
//! with and without the next question, and random ones.

use std::sync::OnceLock;

use proptest::prelude::*;
use radiculo_contract::{Form, JsonWriter, case_from_value, parse_case};
use radiculo_engine::{Case, Engine, Options};
use serde_json::Value;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap()))
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
    for file in ["cases", "published"] {
        let eval = std::fs::read_to_string(format!("{root}/../../eval/{file}.jsonl")).unwrap();
        for (i, line) in eval.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let labelled: Value = serde_json::from_str(line).unwrap();
            cases.push((
                format!("eval {file} line {}", i + 1),
                labelled["case"].to_string(),
            ));
        }
    }
    assert!(cases.len() > 100, "the cases are missing");
    cases
}

/// The full form as written, and as serde_json writes the model.
fn full_both_ways(
    writer: &JsonWriter<&'static Engine>,
    case: &Case,
    next_question: bool,
) -> [String; 2] {
    let assessment = writer.engine().assess(case, Options { next_question });
    let mut written = Vec::new();
    writer.write(case, &assessment, Form::Full, &mut written);
    let serde = serde_json::to_vec(&writer.model(case, &assessment)).unwrap();
    [written, serde].map(|bytes| String::from_utf8(bytes).unwrap())
}

#[test]
fn the_full_form_is_the_model_as_serde_writes_it() {
    let engine = engine();
    let writer = JsonWriter::new(engine);
    for (name, text) in cases() {
        let case = parse_case(engine, &text).unwrap();
        for next_question in [true, false] {
            let [written, serde] = full_both_ways(&writer, &case, next_question);
            assert_eq!(written, serde, "{name} (next question {next_question})");
        }
    }
}

proptest! {
    /// Random answers reach triage reasons, plan items and questions the files may not, and
    /// random ids every kind of character.
    #[test]
    fn the_full_form_is_the_model_as_serde_writes_it_for_random_cases(
        mut case in radiculo_engine::testing::arb_case(engine()),
        id in proptest::option::of(any::<String>()),
        next_question in any::<bool>(),
    ) {
        let writer = JsonWriter::new(engine());
        case.id = id;
        let [written, serde] = full_both_ways(&writer, &case, next_question);
        prop_assert_eq!(written, serde);
    }
}

#[test]
fn the_compact_form_is_the_full_form_without_its_sentences() {
    let engine = engine();
    let writer = JsonWriter::new(engine);
    let (mut full, mut compact) = (Vec::new(), Vec::new());
    for (name, text) in cases() {
        let case = parse_case(engine, &text).unwrap();
        for next_question in [true, false] {
            let assessment = engine.assess(&case, Options { next_question });
            full.clear();
            compact.clear();
            writer.write(&case, &assessment, Form::Full, &mut full);
            writer.write(&case, &assessment, Form::Compact, &mut compact);
            let f: Value = serde_json::from_slice(&full).unwrap();
            let c: Value = serde_json::from_slice(&compact).unwrap();
            assert_eq!(c, project(&f), "{name} (next question {next_question})");
        }
    }
}

/// The compact form, worked out from the full form's JSON by hand (`Form::Compact`'s
/// documentation): the explanation goes back to the order its weights add up in, which the
/// full form's per-conclusion weights, summed in that order, must reproduce.
fn project(full: &Value) -> Value {
    let list = |key: &str| full[key].as_array().unwrap().clone();
    let mut out = serde_json::Map::new();
    if let Some(id) = full.get("id") {
        out.insert("id".into(), id.clone());
    }
    out.insert("kb_version".into(), full["kb_version"].clone());
    let reasons: Vec<Value> = full["triage"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::json!([r["rule"], r["level"], r["findings"]]))
        .collect();
    out.insert(
        "triage".into(),
        serde_json::json!({"level": full["triage"]["level"], "reasons": reasons}),
    );
    let flags: Vec<Value> = list("red_flags")
        .iter()
        .map(|f| serde_json::json!({"id": f["id"], "findings": f["findings"]}))
        .collect();
    out.insert("red_flags".into(), flags.into());
    let m = &full["mechanism"];
    out.insert(
        "mechanism".into(),
        serde_json::json!([m["radicular"], m["referred"], m["other"]]),
    );
    let roots: Vec<Value> = list("roots")
        .iter()
        .map(|r| serde_json::json!([r["root"], r["side"], r["probability"]]))
        .collect();
    out.insert("roots".into(), roots.into());
    let conditions: Vec<Value> = list("conditions")
        .iter()
        .map(|c| serde_json::json!([c["id"], c["probability"], c["icd10"]]))
        .collect();
    out.insert("conditions".into(), conditions.into());
    // Chain order: the vocabulary order of the findings, per conclusion in target order.
    let vocab = engine().kb().vocab.clone();
    let order = |row: &Value| vocab.get(row["finding"].as_str().unwrap()).unwrap();
    let mut explanation = Vec::new();
    for t in list("explanation_targets") {
        let mut rows: Vec<Value> = list("explanation")
            .into_iter()
            .filter(|r| r["target"] == t["target"])
            .collect();
        rows.sort_by_key(order);
        let sum: f64 = rows.iter().map(|r| r["weight"].as_f64().unwrap()).sum();
        let (prior, posterior) = (
            t["prior_log_odds"].as_f64().unwrap(),
            t["posterior_log_odds"].as_f64().unwrap(),
        );
        assert!(
            (prior + sum - posterior).abs() < 1e-9,
            "{t}: weights do not add up"
        );
        explanation.extend(
            rows.iter()
                .map(|r| serde_json::json!([r["finding"], r["target"], r["weight"]])),
        );
    }
    out.insert("explanation".into(), explanation.into());
    let plan: Vec<Value> = list("plan").iter().map(|p| p["id"].clone()).collect();
    out.insert("plan".into(), plan.into());
    if let Some(q) = full["next_question"].as_object() {
        out.insert("next_question".into(), q["id"].clone());
    }
    Value::Object(out)
}

#[test]
fn texts_that_need_escaping_are_escaped() {
    let engine = engine();
    let id =
        "a \"quoted\" id\\ with\ta tab, \u{1}, \u{7f}, caf\u{e9} and a long tail to pass one block";
    let text = serde_json::json!({"id": id, "age": 47}).to_string();
    let case = parse_case(engine, &text).unwrap();
    let assessment = engine.assess(&case, Options::default());
    let writer = JsonWriter::new(engine);
    for form in [Form::Full, Form::Compact] {
        let mut out = Vec::new();
        writer.write(&case, &assessment, form, &mut out);
        let back: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(back["id"], id, "{form:?}");
    }
    let [written, serde] = full_both_ways(&writer, &case, true);
    assert_eq!(written, serde);
}

#[test]
fn compact_assessments_of_the_case_files() {
    let engine = engine();
    let writer = JsonWriter::new(engine);
    for (name, text) in cases().into_iter().filter(|(n, _)| !n.starts_with("eval")) {
        let case = parse_case(engine, &text).unwrap();
        let assessment = engine.assess(&case, Options::default());
        let mut out = Vec::new();
        writer.write(&case, &assessment, Form::Compact, &mut out);
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
            parse_case(engine, &text),
            case_from_value(engine, &value),
            "{text}"
        );
    }
}
