//! Contract v1.1 (`case-format.md`) at the edge: case JSON in, with every problem named by its
//! JSON path; assessment JSON out.
//!
//! Parsing never guesses: an unknown field, an unknown finding id (with the closest known ids
//! suggested), a bad side or region, a duplicate id with two states, a wrong type or an
//! out-of-range number is an error. This crate does no IO; callers hand it bytes or values.
#![deny(missing_docs)]

mod input;
mod output;
mod wire;

use radiculo_engine::{Case, Engine, Mode, Sex};
use radiculo_kb::{Vocabulary, contract, vocab::SYMPTOM_KINDS};
use serde_json::{Map, Value};

pub use input::{CaseJson, EvidenceJson, ModeJson, SexJson, StateJson};
pub use output::{AssessmentJson, Form, JsonWriter};

/// The assessment model's parts, for renderings that read it field by field (FHIR, CDS
/// cards). Its texts are serialised JSON; [`model::text`] reads one back.
pub mod model {
    pub use crate::output::{
        AssessmentJson, ConditionJson, Explanation, ExplanationJson, Findings, MechanismJson,
        OwnedFindings, PlanJson, QuestionJson, ReasonJson, RedFlagJson, RootJson, TargetJson,
        TriageJson, text,
    };
    pub use crate::wire::OrNull;
}

/// The longest episode the contract accepts, in days (about 110 years).
pub const MAX_DURATION_DAYS: u64 = 40_200;

/// The highest pain score (contract v1.1: 0 to 10).
pub const MAX_PAIN_SCORE: u8 = 10;

/// Why a case was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContractError {
    /// The text is not JSON.
    #[error("the case is not valid JSON: {0}")]
    Json(String),
    /// A field is missing, of the wrong type, out of range or unknown.
    #[error("{path}: {message}")]
    Invalid {
        /// The JSON path of the field (`evidence[2].id`).
        path: String,
        /// What is wrong.
        message: String,
        /// For an unknown finding id: the closest known ids.
        suggestions: Vec<String>,
    },
}

impl ContractError {
    fn invalid(path: impl Into<String>, message: impl Into<String>) -> ContractError {
        ContractError::Invalid {
            path: path.into(),
            message: message.into(),
            suggestions: Vec::new(),
        }
    }

    /// The JSON path of the offending field, if the JSON parsed.
    pub fn path(&self) -> Option<&str> {
        match self {
            ContractError::Json(_) => None,
            ContractError::Invalid { path, .. } => Some(path),
        }
    }
}

/// Parses a case from JSON text.
pub fn parse_case(engine: &Engine, text: &str) -> Result<Case, ContractError> {
    if let Some(case) = input::parse(engine, text) {
        return Ok(case);
    }
    if text.trim().is_empty() {
        return Err(ContractError::Json(
            "the body is empty; a case is a JSON object with at least `age`".to_string(),
        ));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| ContractError::Json(e.to_string()))?;
    case_from_value(engine, &value)
}

/// The `id` of a case-like JSON value, if it has a string one (to label errors in batches).
pub fn case_id(value: &Value) -> Option<&str> {
    value.get("id").and_then(Value::as_str)
}

/// Validates a parsed JSON value as a case.
pub fn case_from_value(engine: &Engine, value: &Value) -> Result<Case, ContractError> {
    let obj = value
        .as_object()
        .ok_or_else(|| ContractError::invalid("$", "a case must be a JSON object"))?;
    const FIELDS: [&str; 7] = [
        "id",
        "age",
        "sex",
        "symptom_duration_days",
        "pain_score",
        "evidence",
        "mode",
    ];
    for key in obj.keys() {
        if !FIELDS.contains(&key.as_str()) {
            return Err(ContractError::Invalid {
                path: member("$", key),
                message: "unknown field; a case has id, age, sex, symptom_duration_days, pain_score, evidence and mode".to_string(),
                suggestions: radiculo_kb::vocab::closest(key, &FIELDS)
                    .map(String::from)
                    .into_iter()
                    .collect(),
            });
        }
    }
    let id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ContractError::invalid("id", "must be a string")),
    };
    let age = match obj.get("age") {
        None | Some(Value::Null) => {
            return Err(ContractError::invalid(
                "age",
                "is required (years, 16 to 110)",
            ));
        }
        Some(v) => integer(v, "age")?,
    };
    if !(u64::from(radiculo_engine::MIN_AGE)..=u64::from(radiculo_engine::MAX_AGE)).contains(&age) {
        return Err(ContractError::invalid(
            "age",
            format!("{age} is out of range: radiculo is for adults aged 16 to 110"),
        ));
    }
    let sex = match obj.get("sex") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "female" => Sex::Female,
            "male" => Sex::Male,
            "other" => Sex::Other,
            _ => {
                return Err(ContractError::invalid(
                    "sex",
                    format!("`{s}` is not one of female, male, other"),
                ));
            }
        }),
        Some(_) => return Err(ContractError::invalid("sex", "must be a string")),
    };
    let duration_days = match obj.get("symptom_duration_days") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let d = integer(v, "symptom_duration_days")?;
            if d > MAX_DURATION_DAYS {
                return Err(ContractError::invalid(
                    "symptom_duration_days",
                    format!("{d} is out of range (0 to {MAX_DURATION_DAYS})"),
                ));
            }
            Some(d as u32)
        }
    };
    // `null` is "asked and not given": the interview does not ask again.
    let (pain_score, pain_score_asked) = match obj.get("pain_score") {
        None => (None, false),
        Some(Value::Null) => (None, true),
        Some(v) => {
            let p = integer(v, "pain_score")?;
            if p > u64::from(MAX_PAIN_SCORE) {
                return Err(ContractError::invalid(
                    "pain_score",
                    format!("{p} is out of range (0 to {MAX_PAIN_SCORE})"),
                ));
            }
            (Some(p as u8), true)
        }
    };
    let mode = match obj.get("mode") {
        None | Some(Value::Null) => Mode::Patient,
        Some(Value::String(s)) => match s.as_str() {
            "patient" => Mode::Patient,
            "clinician" => Mode::Clinician,
            _ => {
                return Err(ContractError::invalid(
                    "mode",
                    format!("`{s}` is not one of patient, clinician"),
                ));
            }
        },
        Some(_) => return Err(ContractError::invalid("mode", "must be a string")),
    };
    let mut case = Case::new(age as u8);
    case.id = id;
    case.sex = sex;
    case.duration_days = duration_days;
    case.mode = mode;
    case.pain_score = pain_score;
    case.pain_score_asked = pain_score_asked;
    match obj.get("evidence") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let vocab = &engine.kb().vocab;
            let mut seen: Vec<(radiculo_kb::FindingId, Option<bool>)> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let (f, state) = evidence_item(vocab, item, i)?;
                match seen.iter().find(|(x, _)| *x == f) {
                    Some((_, s)) if *s != state => {
                        return Err(ContractError::invalid(
                            format!("evidence[{i}].state"),
                            format!("`{}` is given twice with different states", vocab.def(f).id),
                        ));
                    }
                    Some(_) => {}
                    None => seen.push((f, state)),
                }
                case.answer(f, state);
            }
        }
        Some(_) => {
            return Err(ContractError::invalid(
                "evidence",
                "must be a list of {id, state} objects",
            ));
        }
    }
    Ok(case)
}

/// The path of the member `key` of the object at `parent` (`$` for the case itself):
/// `parent.key`, or just `key` at the top; but `parent["key"]` (the key as a JSON string) for a
/// key that is empty or holds a dot, a bracket, a quote, a space or a control character, so
/// that such a key names its own member and not another (`evidence[0].id`) or none (fuzzing
/// found an empty key giving an empty path).
fn member(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && !key
            .chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"') || c.is_whitespace() || c.is_control());
    match (plain, parent) {
        (true, "$") => key.to_string(),
        (true, _) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{}]", Value::String(key.to_string())),
    }
}

fn integer(v: &Value, path: &str) -> Result<u64, ContractError> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(x) => Ok(x),
            // JSON has one number type: 47.0 is the whole number 47 (JSON Schema agrees).
            None if n
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && (0.0..1e15).contains(&f)) =>
            {
                Ok(n.as_f64().unwrap_or_default() as u64)
            }
            None if n.as_i64().is_some() => Err(ContractError::invalid(
                path,
                format!("{n} is out of range (must not be negative)"),
            )),
            None => Err(ContractError::invalid(
                path,
                format!("{n} must be a whole number"),
            )),
        },
        _ => Err(ContractError::invalid(path, "must be a whole number")),
    }
}

fn evidence_item(
    vocab: &Vocabulary,
    item: &Value,
    i: usize,
) -> Result<(radiculo_kb::FindingId, Option<bool>), ContractError> {
    let path = format!("evidence[{i}]");
    let obj: &Map<String, Value> = item.as_object().ok_or_else(|| {
        ContractError::invalid(path.clone(), "must be an object {\"id\": …, \"state\": …}")
    })?;
    for key in obj.keys() {
        if key != "id" && key != "state" {
            return Err(ContractError::invalid(
                member(&path, key),
                "unknown field; an evidence item has id and state",
            ));
        }
    }
    let id = match obj.get("id") {
        Some(Value::String(s)) => s,
        None => return Err(ContractError::invalid(format!("{path}.id"), "is required")),
        Some(_) => {
            return Err(ContractError::invalid(
                format!("{path}.id"),
                "must be a string",
            ));
        }
    };
    let state = match obj.get("state") {
        Some(Value::String(s)) => match s.as_str() {
            "present" => Some(true),
            "absent" => Some(false),
            "unknown" => None,
            _ => {
                return Err(ContractError::invalid(
                    format!("{path}.state"),
                    format!("`{s}` is not one of present, absent, unknown"),
                ));
            }
        },
        None => {
            return Err(ContractError::invalid(
                format!("{path}.state"),
                "is required",
            ));
        }
        Some(_) => {
            return Err(ContractError::invalid(
                format!("{path}.state"),
                "must be a string",
            ));
        }
    };
    match vocab.get(id) {
        Some(f) => Ok((f, state)),
        None => Err(ContractError::Invalid {
            path: format!("{path}.id"),
            message: unknown_id_message(id),
            suggestions: vocab.suggest(id, 3).into_iter().map(String::from).collect(),
        }),
    }
}

/// Says what is wrong with an unknown id as precisely as its shape allows.
fn unknown_id_message(id: &str) -> String {
    let parts: Vec<&str> = id.split('.').collect();
    let is_side = |s: &str| s == "left" || s == "right";
    if parts.len() == 3 && SYMPTOM_KINDS.contains(&parts[0]) {
        if !contract::REGIONS.contains(&parts[1]) {
            return format!("unknown finding id `{id}`: `{}` is not a region", parts[1]);
        }
        if !is_side(parts[2]) {
            return format!(
                "unknown finding id `{id}`: `{}` is not a side (left or right)",
                parts[2]
            );
        }
    }
    if let Some((family, side)) = id.rsplit_once('.')
        && contract::LATERAL_FAMILIES.contains(&family)
        && !is_side(side)
    {
        return format!("unknown finding id `{id}`: `{side}` is not a side (left or right)");
    }
    if contract::LATERAL_FAMILIES.contains(&id) {
        return format!("unknown finding id `{id}`: add the side, `{id}.left` or `{id}.right`");
    }
    format!("unknown finding id `{id}`")
}
