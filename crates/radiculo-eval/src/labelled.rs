//! Labelled cases: one JSON object per line, a contract case with the labels it is scored
//! against, and for a published case the source's words behind each.

use std::collections::BTreeMap;

use radiculo_engine::{Case, Engine};
use radiculo_kb::TriageLevel;
use serde::Deserialize;

use crate::EvalError;

/// One line of a labelled-cases file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    /// The case, in contract JSON (validated when read, into [`LabelledCase::case`]).
    pub case: serde_json::Value,
    /// The labels.
    pub expect: Expect,
    /// Why these labels, for people reading the file; the evaluation does not read it.
    #[serde(default)]
    pub source: Option<String>,
    /// Free tags, for people reading the file; the evaluation does not read them.
    #[serde(default)]
    pub tags: Vec<String>,
    /// For a published case: where it was published.
    #[serde(default)]
    pub citation: Option<String>,
    /// For a published case: the page it was read on.
    #[serde(default)]
    pub url: Option<String>,
    /// For a published case: the source's words behind each coded item (`age`, each finding
    /// id, `symptom_duration_days`, `pain_score`) and each label (`label.triage`,
    /// `label.condition`, `label.root`).
    #[serde(default)]
    pub quotes: BTreeMap<String, String>,
}

/// The labels a case is scored against; a missing one is not scored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The accepted triage levels (at least one): a case may fairly be triaged more than one
    /// way.
    pub triage: Vec<String>,
    /// The affected root and side, `L5.left`.
    #[serde(default)]
    pub root: Option<String>,
    /// The condition id.
    #[serde(default)]
    pub condition: Option<String>,
    /// The pain mechanism.
    #[serde(default)]
    pub mechanism: Option<String>,
}

impl Labelled {
    /// For a published case, the first coded item or label without a quote.
    fn missing_quote(&self) -> Option<String> {
        self.citation.as_ref()?;
        let mut needed = vec!["age".to_string(), "label.triage".to_string()];
        for field in ["symptom_duration_days", "pain_score"] {
            if self.case.get(field).is_some_and(|v| !v.is_null()) {
                needed.push(field.into());
            }
        }
        if self.expect.condition.is_some() {
            needed.push("label.condition".into());
        }
        if self.expect.root.is_some() {
            needed.push("label.root".into());
        }
        let evidence = self.case.get("evidence").and_then(|e| e.as_array());
        needed.extend(
            evidence
                .into_iter()
                .flatten()
                .filter_map(|item| item.get("id")?.as_str().map(String::from)),
        );
        if self.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Some("url".into());
        }
        needed
            .into_iter()
            .find(|k| self.quotes.get(k).is_none_or(|q| q.trim().is_empty()))
            .map(|k| format!("quotes.{k}"))
    }
}

/// A labelled case read and checked.
#[derive(Debug, Clone)]
pub struct LabelledCase {
    /// The case's id, or `file:line` when it has none: how the report names it.
    pub name: String,
    /// The case, validated against the contract.
    pub case: Case,
    /// The line as written, with its labels.
    pub labelled: Labelled,
}

/// Reads labelled cases, one per non-blank line of `text`; `file` names where the text came
/// from, in errors and as the name of a case without an id.
///
/// Each case must pass the contract, a published case must quote its source for every coded
/// item and label, and the accepted triage levels must be known and not empty. Root,
/// condition and mechanism labels are checked only when scored.
pub fn read_cases(engine: &Engine, text: &str, file: &str) -> Result<Vec<LabelledCase>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{file}:{}", i + 1);
        let labelled: Labelled = serde_json::from_str(line).map_err(|e| {
            // A plain contract case is the likeliest wrong file: say what eval takes instead.
            let plain = serde_json::from_str::<serde_json::Value>(line)
                .is_ok_and(|v| v.get("case").is_none() && v.get("age").is_some());
            EvalError::invalid(
                at(),
                if plain {
                    "a plain case, not a labelled one: eval takes one `{\"case\": {...}, \"expect\": {...}}` a line (eval/README.md); `radiculo batch` assesses plain cases".to_string()
                } else {
                    e.to_string()
                },
            )
        })?;
        let case = radiculo_contract::case_from_value(engine, &labelled.case)
            .map_err(|error| EvalError::Case { at: at(), error })?;
        if let Some(missing) = labelled.missing_quote() {
            return Err(EvalError::invalid(
                at(),
                format!(
                    "a published case needs `{missing}`: the source's words for every coded item and label"
                ),
            ));
        }
        if labelled.expect.triage.is_empty() {
            return Err(EvalError::invalid(at(), "expect.triage is empty"));
        }
        for l in &labelled.expect.triage {
            if TriageLevel::parse(l).is_none() {
                return Err(EvalError::invalid(
                    at(),
                    format!("expect.triage: unknown level `{l}`"),
                ));
            }
        }
        out.push(LabelledCase {
            name: case.id.clone().unwrap_or_else(at),
            case,
            labelled,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    }

    /// The error of reading `text` as `cases.jsonl`, as a report would print it.
    fn error(text: &str) -> String {
        read_cases(&engine(), text, "cases.jsonl")
            .expect_err("an invalid file")
            .to_string()
    }

    #[test]
    fn cases_are_named_by_id_or_by_line() {
        let text = concat!(
            r#"{"case": {"id": "c1", "age": 47}, "expect": {"triage": ["routine"]}}"#,
            "\n\n",
            r#"{"case": {"age": 60}, "expect": {"triage": ["soon", "routine"]}}"#,
        );
        let cases = read_cases(&engine(), text, "cases.jsonl").expect("valid cases");
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["c1", "cases.jsonl:3"]);
        assert_eq!(cases[1].case.age, 60);
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        assert_eq!(
            error(r#"{"case": {"age": 47}, "expect": {"triage": []}}"#),
            "cases.jsonl:1: expect.triage is empty"
        );
        assert_eq!(
            error(r#"{"case": {"age": 47}, "expect": {"triage": ["later"]}}"#),
            "cases.jsonl:1: expect.triage: unknown level `later`"
        );
        assert!(
            error(r#"{"case": {"age": 7}, "expect": {"triage": ["routine"]}}"#)
                .starts_with("cases.jsonl:1: invalid case: age")
        );
        assert!(
            error(r#"{"case": {"age": 47}, "expect": {"triage": ["routine"]}, "x": 1}"#)
                .contains("unknown field `x`")
        );
        assert!(
            error(r#"{"id": "c", "age": 47, "evidence": []}"#)
                .starts_with("cases.jsonl:1: a plain case, not a labelled one")
        );
    }

    #[test]
    fn a_published_case_quotes_its_source_for_every_coded_item_and_label() {
        let case = |quotes: &str| {
            format!(
                r#"{{"case": {{"age": 47, "evidence": [{{"id": "fever", "state": "present"}}]}}, "expect": {{"triage": ["routine"], "root": "L5.left"}}, "citation": "A case.", "url": "https://example.invalid/case", "quotes": {{{quotes}}}}}"#
            )
        };
        let all = r#""age": "47", "label.triage": "t", "label.root": "r", "fever": "f""#;
        assert!(read_cases(&engine(), &case(all), "p.jsonl").is_ok());
        assert_eq!(
            error(&case(
                r#""age": "47", "label.triage": "t", "label.root": "r""#
            )),
            "cases.jsonl:1: a published case needs `quotes.fever`: the source's words for every coded item and label"
        );
    }
}
