//! The fast path of [`crate::parse_case`]: a well-formed case read straight into typed fields
//! that borrow the input text, with no `serde_json::Value` tree in between.
//!
//! It only ever answers "here is the case" or "not here": anything it does not accept as is
//! (a problem in the case, but also what is valid yet unusual: an escaped string, `47.0` for an
//! integer, a repeated key) goes to the `Value` path, which alone decides and words every
//! error, with its JSON path and suggestions. So for every text the two paths give the same
//! case, and errors are unchanged.

use radiculo_engine::{Case, Engine, Mode, Sex};
use radiculo_kb::FindingSet;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFields<'a> {
    #[serde(borrow)]
    id: Option<&'a str>,
    age: Option<u64>,
    #[serde(borrow)]
    sex: Option<&'a str>,
    symptom_duration_days: Option<u64>,
    /// Missing: `None`; `null`: `Some(None)` (asked, not given); a number: `Some(Some(_))`.
    #[serde(default, deserialize_with = "given")]
    pain_score: Option<Option<u64>>,
    #[serde(borrow)]
    evidence: Option<Vec<EvidenceFields<'a>>>,
    #[serde(borrow)]
    mode: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceFields<'a> {
    id: &'a str,
    state: &'a str,
}

/// A field that is present, `null` or not: so that `null` and a missing field differ.
fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

/// The case, if the text is a valid case in the common form; `None` to take the `Value` path.
pub(crate) fn parse(engine: &Engine, text: &str) -> Option<Case> {
    let fields: CaseFields = serde_json::from_str(text).ok()?;
    let age = fields.age?;
    if !(u64::from(radiculo_engine::MIN_AGE)..=u64::from(radiculo_engine::MAX_AGE)).contains(&age) {
        return None;
    }
    let sex = match fields.sex {
        None => None,
        Some("female") => Some(Sex::Female),
        Some("male") => Some(Sex::Male),
        Some("other") => Some(Sex::Other),
        Some(_) => return None,
    };
    let duration_days = match fields.symptom_duration_days {
        None => None,
        Some(d) if d <= crate::MAX_DURATION_DAYS => Some(d as u32),
        Some(_) => return None,
    };
    let (pain_score, pain_score_asked) = match fields.pain_score {
        None => (None, false),
        Some(None) => (None, true),
        Some(Some(p)) if p <= u64::from(crate::MAX_PAIN_SCORE) => (Some(p as u8), true),
        Some(Some(_)) => return None,
    };
    let mode = match fields.mode {
        None | Some("patient") => Mode::Patient,
        Some("clinician") => Mode::Clinician,
        Some(_) => return None,
    };
    let items = fields.evidence.unwrap_or_default();
    let mut case = Case::new(age as u8);
    case.id = fields.id.map(String::from);
    case.sex = sex;
    case.duration_days = duration_days;
    case.mode = mode;
    case.pain_score = pain_score;
    case.pain_score_asked = pain_score_asked;
    let vocab = &engine.kb().vocab;
    let mut seen = FindingSet::EMPTY;
    let mut states = Vec::with_capacity(items.len());
    for item in &items {
        let f = vocab.get(item.id)?;
        let state = match item.state {
            "present" => Some(true),
            "absent" => Some(false),
            "unknown" => None,
            _ => return None,
        };
        // The same id twice is fine with the same state; with two states it is an error
        // (worded by the `Value` path).
        if seen.contains(f) && states.iter().any(|&(g, s)| g == f && s != state) {
            return None;
        }
        seen.insert(f);
        states.push((f, state));
        case.answer(f, state);
    }
    Some(case)
}
