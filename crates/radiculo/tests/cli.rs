//! The `radiculo` binary, run for real in temporary directories: `assess`, `batch`, `findings`,
//! `kb lint`, `kb export` and `eval`, their output against contract v1.1 (`case-format.md`) and
//! their exit codes (0 success, 1 invalid input, 2 usage error, 3 evaluation below its
//! thresholds).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use radiculo_kb::contract::{CONDITIONS as CONTRACT_CONDITIONS, ROOTS};
use serde_json::Value;
use tempfile::TempDir;

/// The example case of the contract (`case-format.md`), with an `id`.
const CONTRACT_EXAMPLE: &str = include_str!("../../../examples/contract-example.json");

/// The contract's triage levels.
const TRIAGE_LEVELS: [&str; 5] = ["emergency", "urgent", "soon", "routine", "self_care"];

/// The knowledge-base files, in the order `kb lint` is given them.
const KB_FILES: [&str; 8] = [
    "kb.toml",
    "sources.toml",
    "findings.toml",
    "model.toml",
    "triage.toml",
    "advice.toml",
    "questions.toml",
    "alerts.toml",
];

/// The workspace root (this crate lives in `crates/radiculo`).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary, run in `dir`.
fn radiculo(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("radiculo").expect("the radiculo binary is built");
    cmd.current_dir(dir);
    cmd
}

fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Writes `text` to `name` in `dir` and returns the path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn non_empty_str<'a>(v: &'a Value, what: &str) -> &'a str {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() => s,
        _ => panic!("{what} is not a non-empty string: {v}"),
    }
}

/// Asserts everything the contract promises about an assessment; `name` labels failures.
fn check_assessment(a: &Value, name: &str) {
    let level = a["triage"]["level"].as_str().unwrap_or_default();
    assert!(
        TRIAGE_LEVELS.contains(&level),
        "{name}: triage.level {:?}",
        a["triage"]["level"]
    );

    let red_flags = a["red_flags"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: red_flags is not a list"));
    for f in red_flags {
        non_empty_str(&f["id"], "red_flags[].id");
        assert!(
            !f["findings"].as_array().is_none_or(Vec::is_empty),
            "{name}: a red flag names no findings: {f}"
        );
    }
    if !red_flags.is_empty() {
        assert_ne!(
            level, "self_care",
            "{name}: a red flag never gets self_care"
        );
    }

    let mechanism = &a["mechanism"];
    let parts: Vec<f64> = ["radicular", "referred", "other"]
        .iter()
        .map(|k| number(&mechanism[*k], &format!("{name}: mechanism.{k}")))
        .collect();
    assert!(
        parts.iter().all(|p| (0.0..=1.0).contains(p)),
        "{name}: {mechanism}"
    );
    let sum: f64 = parts.iter().sum();
    assert!((sum - 1.0).abs() <= 1e-9, "{name}: mechanism sums to {sum}");

    let roots = a["roots"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: roots is not a list"));
    assert_eq!(roots.len(), 10, "{name}: roots {roots:?}");
    let mut pairs: Vec<(String, String)> = roots
        .iter()
        .map(|r| {
            (
                non_empty_str(&r["root"], "root").to_string(),
                non_empty_str(&r["side"], "side").to_string(),
            )
        })
        .collect();
    pairs.sort();
    let mut expected: Vec<(String, String)> = ROOTS
        .iter()
        .flat_map(|r| ["left", "right"].map(|s| (r.to_string(), s.to_string())))
        .collect();
    expected.sort();
    assert_eq!(pairs, expected, "{name}: every root on each side, once");
    let root_p: Vec<f64> = roots
        .iter()
        .map(|r| number(&r["probability"], "root probability"))
        .collect();
    assert!(
        root_p.iter().all(|p| (0.0..=1.0).contains(p)),
        "{name}: {root_p:?}"
    );
    assert!(
        root_p.windows(2).all(|w| w[0] >= w[1]),
        "{name}: roots are not highest first: {root_p:?}"
    );

    let conditions = a["conditions"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: conditions is not a list"));
    let ids: Vec<&str> = conditions
        .iter()
        .map(|c| non_empty_str(&c["id"], "condition id"))
        .collect();
    for id in CONTRACT_CONDITIONS {
        assert!(
            ids.contains(&id),
            "{name}: condition {id} missing from {ids:?}"
        );
    }
    let cond_p: Vec<f64> = conditions
        .iter()
        .map(|c| number(&c["probability"], "condition probability"))
        .collect();
    assert!(
        cond_p.windows(2).all(|w| w[0] >= w[1]),
        "{name}: conditions are not highest first: {cond_p:?}"
    );
    let sum: f64 = cond_p.iter().sum();
    assert!((sum - 1.0).abs() <= 1e-9, "{name}: conditions sum to {sum}");

    let explanation = a["explanation"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: explanation is not a list"));
    for w in explanation {
        non_empty_str(&w["finding"], "explanation finding");
        non_empty_str(&w["target"], "explanation target");
        non_empty_str(&w["source"], "explanation source");
        assert!(
            number(&w["weight"], "explanation weight").is_finite(),
            "{name}: {w}"
        );
    }
    let targets = a["explanation_targets"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: explanation_targets is not a list"));
    for t in targets {
        let target = non_empty_str(&t["target"], "explanation target");
        let prior = number(&t["prior_log_odds"], "prior_log_odds");
        let posterior = number(&t["posterior_log_odds"], "posterior_log_odds");
        let weights: f64 = explanation
            .iter()
            .filter(|w| w["target"] == target)
            .map(|w| number(&w["weight"], "weight"))
            .sum();
        assert!(
            (prior + weights - posterior).abs() <= 1e-9,
            "{name}: {target}: prior {prior} + weights {weights} != posterior {posterior}"
        );
    }
    for w in explanation {
        assert!(
            targets.iter().any(|t| t["target"] == w["target"]),
            "{name}: explanation weight for a target not in explanation_targets: {w}"
        );
    }

    let plan = a["plan"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: plan is not a list"));
    for p in plan {
        let audience = p["audience"].as_str().unwrap_or_default();
        assert!(
            audience == "patient" || audience == "clinician",
            "{name}: plan audience {p}"
        );
        non_empty_str(&p["source"], "plan source");
        non_empty_str(&p["text"], "plan text");
    }

    let q = &a["next_question"];
    if !q.is_null() {
        for field in ["id", "text", "why"] {
            non_empty_str(&q[field], &format!("{name}: next_question.{field}"));
        }
        if let Some(items) = q.get("items") {
            let items = items
                .as_array()
                .unwrap_or_else(|| panic!("{name}: next_question.items is not a list"));
            assert!(!items.is_empty(), "{name}: empty next_question.items");
            for item in items {
                non_empty_str(item, "next_question item");
            }
        }
    }
}

/// Runs `assess --format json` on the contract example and returns the parsed output.
fn assess_example_json(dir: &Path) -> Value {
    let case = write(dir, "case.json", CONTRACT_EXAMPLE);
    let output = radiculo(dir)
        .arg("assess")
        .arg(&case)
        .args(["--format", "json"])
        .output()
        .expect("running radiculo");
    assert!(output.status.success(), "{}", stderr_of(&output));
    parse_json(&stdout_of(&output))
}

#[test]
fn assess_text_puts_the_triage_first() {
    let dir = temp_dir();
    let json = assess_example_json(dir.path());
    let disclaimer = json["disclaimer"].as_str().unwrap_or_default();
    let level = json["triage"]["level"].as_str().unwrap_or_default();
    let heading = format!("{}:", level.replace('_', "-").to_uppercase());

    let case = write(dir.path(), "case.json", CONTRACT_EXAMPLE);
    let output = radiculo(dir.path())
        .arg("assess")
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let text = stdout_of(&output);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&heading))
        .unwrap_or_else(|| panic!("no line starts with {heading}:\n{text}"));
    // Before the triage line there is only the title, the disclaimer and blank lines.
    for line in &lines[..at] {
        assert!(
            line.trim().is_empty()
                || line.starts_with("radiculo assessment")
                || *line == disclaimer,
            "{line:?} comes before the triage line:\n{text}"
        );
    }
    assert!(
        text.contains("L5"),
        "the report does not mention L5:\n{text}"
    );
}

/// The text report is for people: finding texts, never finding ids, and the disclaimer once,
/// for every labelled case in both modes.
#[test]
fn the_text_report_speaks_in_words_and_disclaims_once() {
    let dir = temp_dir();
    let findings = stdout_of(
        &radiculo(dir.path())
            .args(["findings", "--format", "json"])
            .output()
            .unwrap(),
    );
    // Ids of one plain word (`fever`, `smoker`) may be words of a text; the others may not.
    let ids: Vec<String> = parse_json(&findings)["findings"]
        .as_array()
        .expect("a list of findings")
        .iter()
        .map(|f| f["id"].as_str().expect("an id").to_string())
        .filter(|id| id.contains(['.', '_']))
        .collect();
    let disclaimer = assess_example_json(dir.path())["disclaimer"]
        .as_str()
        .expect("a disclaimer")
        .to_string();
    let labelled = std::fs::read_to_string(workspace().join("eval/cases.jsonl")).unwrap();
    let mut reports = 0;
    for line in labelled.lines().filter(|l| !l.trim().is_empty()) {
        let case = &parse_json(line)["case"];
        for mode in ["patient", "clinician"] {
            let mut case = case.clone();
            case["mode"] = mode.into();
            let output = radiculo(dir.path())
                .args(["assess", "-"])
                .write_stdin(case.to_string())
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
            let text = stdout_of(&output);
            assert_eq!(text.matches(&disclaimer).count(), 1, "{text}");
            for id in &ids {
                assert!(!text.contains(id.as_str()), "{id} in the report:\n{text}");
            }
            assert!(!text.contains("Tap every"), "{text}");
            reports += 1;
        }
    }
    assert!(reports >= 200, "only {reports} reports");
}

#[test]
fn assess_json_follows_the_contract() {
    let dir = temp_dir();
    let a = assess_example_json(dir.path());
    check_assessment(&a, "contract example");
    assert_eq!(a["roots"][0]["root"], "L5", "{}", a["roots"]);
    assert_eq!(a["roots"][0]["side"], "left", "{}", a["roots"]);
    assert_eq!(a["id"], "case-17", "the case's id is echoed");
    assert!(!a["explanation_targets"].as_array().unwrap().is_empty());
}

#[test]
fn assess_echoes_the_case_id() {
    let dir = temp_dir();
    let case = write(
        dir.path(),
        "case.json",
        r#"{"id": "case-17", "age": 47, "evidence": []}"#,
    );
    let output = radiculo(dir.path())
        .arg("assess")
        .arg(&case)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let a = parse_json(&stdout_of(&output));
    assert_eq!(a["id"], "case-17");
    check_assessment(&a, "case-17");
}

#[test]
fn assess_reads_standard_input() {
    let dir = temp_dir();
    let case = write(dir.path(), "case.json", CONTRACT_EXAMPLE);
    for format in ["text", "json"] {
        let from_file = radiculo(dir.path())
            .arg("assess")
            .arg(&case)
            .args(["--format", format])
            .output()
            .unwrap();
        let from_stdin = radiculo(dir.path())
            .args(["assess", "-", "--format", format])
            .write_stdin(CONTRACT_EXAMPLE)
            .output()
            .unwrap();
        assert!(from_stdin.status.success(), "{}", stderr_of(&from_stdin));
        assert_eq!(
            stdout_of(&from_stdin),
            stdout_of(&from_file),
            "{format}: standard input and a file give different reports"
        );
    }
}

#[test]
fn a_bad_case_exits_1_naming_the_field() {
    let dir = temp_dir();
    for (case, field, also) in [
        (
            r#"{"age": 47, "evidence": [{"id": "slr.lef", "state": "present"}]}"#,
            "evidence[0].id",
            "slr.left",
        ),
        (
            r#"{"age": 47, "evidence": [{"id": "fever", "state": "absent"},
                {"id": "pain.elbow.left", "state": "present"}]}"#,
            "evidence[1].id",
            "elbow",
        ),
        (r#"{"age": 15}"#, "age", "15"),
        (r#"{"age": 47, "sex": "f"}"#, "sex", "f"),
        (r#"{"age": 47, "colour": "blue"}"#, "colour", "colour"),
    ] {
        let path = write(dir.path(), "bad.json", case);
        let output = radiculo(dir.path())
            .arg("assess")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{case}: {stderr}");
        assert!(
            stderr.contains(field),
            "{case}: {stderr} does not name {field}"
        );
        assert!(
            stderr.contains(also),
            "{case}: {stderr} does not mention {also}"
        );
        assert!(
            output.stdout.is_empty(),
            "{case}: a report for a rejected case"
        );
    }

    let output = radiculo(dir.path())
        .args(["assess", "-"])
        .write_stdin("{not json")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("JSON"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn a_usage_error_exits_2() {
    let dir = temp_dir();
    let case = write(dir.path(), "case.json", CONTRACT_EXAMPLE);
    let case = case.to_str().unwrap();
    for args in [
        vec!["frobnicate"],
        vec!["assess", case, "--bogus"],
        vec!["assess", case, "--format", "xml"],
        vec!["batch"],
        vec!["kb", "frobnicate"],
        vec!["eval"],
        vec![],
    ] {
        let output = radiculo(dir.path()).args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr_of(&output)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

/// The batch input of the mixed test: good lines, a bad line, a line that is not JSON and
/// blank lines. Returns the input and the ids expected on each output line (`None` for none).
fn mixed_batch() -> (String, Vec<Option<&'static str>>) {
    let lines = [
        r#"{"id": "first", "age": 47, "evidence": [{"id": "slr.left", "state": "present"}]}"#,
        r#"{"id": "bad-id", "age": 47, "evidence": [{"id": "slr.lef", "state": "present"}]}"#,
        "",
        r#"{"age": 60, "evidence": [{"id": "pain.calf.right", "state": "present"}]}"#,
        "   ",
        r#"{"id": "too-young", "age": 15}"#,
        "this is not json",
        r#"{"id": "last", "age": 70, "evidence": [{"id": "symptoms_walking_standing", "state": "present"}]}"#,
    ];
    let expected = vec![
        Some("first"),
        Some("bad-id"),
        None,
        Some("too-young"),
        None,
        Some("last"),
    ];
    (lines.join("\n") + "\n", expected)
}

fn check_mixed_batch_output(stdout: &str) {
    let (_, expected) = mixed_batch();
    let out: Vec<Value> = stdout.lines().map(parse_json).collect();
    assert_eq!(
        out.len(),
        expected.len(),
        "one line per non-blank input line:\n{stdout}"
    );
    for (i, (line, id)) in out.iter().zip(&expected).enumerate() {
        match id {
            Some(id) => assert_eq!(line["id"], *id, "line {i}: {line}"),
            None => assert!(
                line.get("id").is_none_or(Value::is_null),
                "line {i}: {line}"
            ),
        }
    }
    for i in [0, 2, 5] {
        assert!(out[i].get("error").is_none(), "line {i}: {}", out[i]);
        check_assessment(&out[i], &format!("batch line {i}"));
    }
    for (i, field) in [(1, "evidence[0].id"), (3, "age")] {
        let error = non_empty_str(&out[i]["error"], "error");
        assert!(
            error.contains(field),
            "line {i}: {error} does not name {field}"
        );
        assert!(out[i].get("triage").is_none(), "line {i}: {}", out[i]);
    }
    non_empty_str(&out[4]["error"], "error of the line that is not JSON");
}

/// A batch with rejected lines writes every line, then exits 1 with the count.
fn assert_rejected_some(output: &std::process::Output) {
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(output));
    assert!(
        stderr_of(output).contains("lines rejected"),
        "{}",
        stderr_of(output)
    );
}

#[test]
fn batch_answers_every_line_in_order_and_goes_on_after_a_bad_one() {
    let dir = temp_dir();
    let (input, _) = mixed_batch();
    let path = write(dir.path(), "cases.jsonl", &input);
    for threads in [None, Some("1"), Some("4")] {
        let mut cmd = radiculo(dir.path());
        cmd.arg("batch").arg(&path);
        if let Some(n) = threads {
            cmd.args(["--threads", n]);
        }
        let output = cmd.output().unwrap();
        assert_rejected_some(&output);
        check_mixed_batch_output(&stdout_of(&output));
    }
}

#[test]
fn batch_reads_standard_input() {
    let dir = temp_dir();
    let (input, _) = mixed_batch();
    let output = radiculo(dir.path())
        .args(["batch", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_rejected_some(&output);
    check_mixed_batch_output(&stdout_of(&output));
}

#[test]
fn batch_writes_to_a_file() {
    let dir = temp_dir();
    let (input, _) = mixed_batch();
    let path = write(dir.path(), "cases.jsonl", &input);
    let out = dir.path().join("assessments.jsonl");
    let output = radiculo(dir.path())
        .arg("batch")
        .arg(&path)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_rejected_some(&output);
    assert!(output.stdout.is_empty(), "{}", stdout_of(&output));
    let written = std::fs::read_to_string(&out).expect("the output file");
    check_mixed_batch_output(&written);

    let to_stdout = radiculo(dir.path())
        .arg("batch")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        written,
        stdout_of(&to_stdout),
        "-o writes what stdout would get"
    );
}

#[test]
fn batch_keeps_order_across_threads() {
    let dir = temp_dir();
    let input: String = (0..50)
        .map(|i| {
            let age = 16 + (i * 7) % 95;
            let side = if i % 2 == 0 { "left" } else { "right" };
            if i % 9 == 4 {
                format!("{{\"id\": \"case-{i}\", \"age\": 12}}\n")
            } else {
                format!(
                    "{{\"id\": \"case-{i}\", \"age\": {age}, \"evidence\": [{{\"id\": \"slr.{side}\", \"state\": \"present\"}}]}}\n"
                )
            }
        })
        .collect();
    let path = write(dir.path(), "cases.jsonl", &input);
    let output = radiculo(dir.path())
        .arg("batch")
        .arg(&path)
        .args(["--threads", "4", "--no-next-question"])
        .output()
        .unwrap();
    assert_rejected_some(&output);
    let ids: Vec<String> = stdout_of(&output)
        .lines()
        .map(|l| parse_json(l)["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let expected: Vec<String> = (0..50).map(|i| format!("case-{i}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn every_labelled_case_gives_a_contract_assessment() {
    let dir = temp_dir();
    let labelled =
        std::fs::read_to_string(workspace().join("eval/cases.jsonl")).expect("eval/cases.jsonl");
    let cases: Vec<String> = labelled
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse_json(l)["case"].to_string())
        .collect();
    assert!(cases.len() >= 50, "only {} labelled cases", cases.len());
    let path = write(dir.path(), "cases.jsonl", &(cases.join("\n") + "\n"));
    let output = radiculo(dir.path())
        .arg("batch")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let out: Vec<Value> = stdout_of(&output).lines().map(parse_json).collect();
    assert_eq!(out.len(), cases.len());
    for (i, (a, case)) in out.iter().zip(&cases).enumerate() {
        assert!(a.get("error").is_none(), "case {i} rejected: {a}");
        check_assessment(a, &format!("labelled case {i}: {case}"));
    }
}

#[test]
fn findings_lists_the_contract_vocabulary() {
    let dir = temp_dir();
    let output = radiculo(dir.path())
        .args(["findings", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let json = parse_json(&stdout_of(&output));
    let findings = json["findings"].as_array().expect("a findings list");
    assert_eq!(findings.len(), 189);
    let mut ids: Vec<&str> = findings
        .iter()
        .map(|f| non_empty_str(&f["id"], "finding id"))
        .collect();
    let contract = radiculo_kb::contract::finding_ids();
    assert_eq!(
        contract.len(),
        189,
        "the contract's vocabulary (v1 and v1.1)"
    );
    let missing: Vec<&String> = contract
        .iter()
        .filter(|id| !ids.contains(&id.as_str()))
        .collect();
    assert!(missing.is_empty(), "missing contract ids: {missing:?}");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 189, "a finding id is listed twice");
}

#[test]
fn kb_lint_passes_on_the_embedded_knowledge_base() {
    let dir = temp_dir();
    let output = radiculo(dir.path()).args(["kb", "lint"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains("ok:"), "{}", stdout_of(&output));
}

/// `kb export` writes the same network to standard output and to `-o FILE`, in both formats,
/// with the contract's variable names (the engine's tests read the network back and check its
/// inference; `scripts/bn-check.sh` has pgmpy do it).
#[test]
fn kb_export_writes_the_network_in_both_formats() {
    let dir = temp_dir();
    for (format, file, marks) in [
        (
            "bif",
            "radiculo.bif",
            [
                "network radiculo {",
                "variable root__L5__left {",
                "probability ( condition | hypothesis ) {",
            ],
        ),
        (
            "xmlbif",
            "radiculo.xml",
            [
                "<BIF VERSION=\"0.3\">",
                "<NAME>pain__lateral_leg__left</NAME>",
                "<GIVEN>age_band</GIVEN>",
            ],
        ),
    ] {
        let output = radiculo(dir.path())
            .args(["kb", "export", "--format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let text = stdout_of(&output);
        for mark in marks {
            assert!(text.contains(mark), "{format}: no {mark}");
        }
        let output = radiculo(dir.path())
            .args(["kb", "export", "--format", format, "-o", file])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(output.stdout.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(file)).unwrap(),
            text
        );
    }
}

/// Copies the knowledge-base files into `dir`, applying `edit` to each file's text.
fn copy_kb(dir: &Path, edit: impl Fn(&str, String) -> String) -> Vec<PathBuf> {
    KB_FILES
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(workspace().join("kb").join(name))
                .unwrap_or_else(|e| panic!("reading kb/{name}: {e}"));
            write(dir, name, &edit(name, text))
        })
        .collect()
}

#[test]
fn kb_lint_passes_on_an_unchanged_copy_of_the_files() {
    let dir = temp_dir();
    let files = copy_kb(dir.path(), |_, text| text);
    let output = radiculo(dir.path())
        .args(["kb", "lint"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    assert!(stdout_of(&output).contains("ok:"), "{}", stdout_of(&output));
}

#[test]
fn kb_lint_reports_a_probability_out_of_range_as_kb004() {
    let dir = temp_dir();
    let files = copy_kb(dir.path(), |name, text| {
        if name != "model.toml" {
            return text;
        }
        // The first emission probability of the neural region state becomes 1.5.
        let section = "[region_model.emission.neural]";
        let start = text
            .find(section)
            .unwrap_or_else(|| panic!("model.toml has no {section}"));
        let line_start = start
            + text[start..]
                .find("\npain = ")
                .unwrap_or_else(|| panic!("{section} has no pain probability"))
            + 1;
        let line_end = line_start + text[line_start..].find('\n').unwrap();
        format!("{}pain = 1.5{}", &text[..line_start], &text[line_end..])
    });
    let model = std::fs::read_to_string(dir.path().join("model.toml")).unwrap();
    assert!(model.contains("\npain = 1.5\n"), "the edit did not apply");
    let output = radiculo(dir.path())
        .args(["kb", "lint"])
        .args(&files)
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        stderr_of(&output)
    );
    assert!(stdout.contains("KB004"), "{stdout}");
    assert!(stdout.contains("model.toml"), "{stdout}");
    assert!(!stdout.contains("ok:"), "{stdout}");
}

#[test]
fn eval_check_passes_on_the_labelled_cases() {
    let dir = temp_dir();
    let output = radiculo(dir.path())
        .arg("eval")
        .arg(workspace().join("eval/cases.jsonl"))
        .arg("--check")
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        stderr_of(&output)
    );
    assert!(!stdout.contains("BELOW"), "{stdout}");
}

#[test]
fn eval_check_below_a_threshold_exits_3() {
    let dir = temp_dir();
    let output = radiculo(dir.path())
        .arg("eval")
        .arg(workspace().join("eval/cases.jsonl"))
        .args(["--min-triage", "1.01", "--check"])
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{stdout}{}",
        stderr_of(&output)
    );
    assert!(stdout.contains("BELOW"), "{stdout}");
}

#[test]
fn eval_fails_on_no_cases_and_on_a_file_of_another_format() {
    let dir = temp_dir();
    let empty = write(dir.path(), "empty.jsonl", "\n");
    let contract = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/contract-example.json"
    ))
    .unwrap();
    let unlabelled = write(
        dir.path(),
        "cases.jsonl",
        &format!("{}\n", parse_json(&contract)),
    );
    for file in [&empty, &unlabelled] {
        for interview in [false, true] {
            let mut cmd = radiculo(dir.path());
            cmd.arg("eval").arg(file).arg("--check");
            if interview {
                cmd.arg("--interview");
            }
            let output = cmd.output().unwrap();
            assert_eq!(
                output.status.code(),
                Some(1),
                "{} --interview {interview}: {}",
                file.display(),
                stderr_of(&output)
            );
        }
    }
}

#[test]
fn batch_exits_0_when_every_line_is_assessed() {
    let dir = temp_dir();
    let contract = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/contract-example.json"
    ))
    .unwrap();
    let line = parse_json(&contract).to_string();
    let path = write(dir.path(), "cases.jsonl", &format!("{line}\n{line}\n"));
    let output = radiculo(dir.path())
        .arg("batch")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).lines().count(), 2);
}
