//! The case as contract v1.1 writes it: the one type that [`crate::parse_case`] reads a case
//! into and that the HTTP service's OpenAPI document describes, so the two cannot drift apart.
//!
//! Reading it is the fast path: typed fields that borrow the input text, with no
//! `serde_json::Value` tree in between. Anything it does not accept as is (a problem in the
//! case, but also what is valid yet unusual: `47.0` for an integer, a repeated key) goes to the
//! `Value` path in `lib.rs`, which alone decides and words every error, with its JSON path and
//! suggestions. So for every text the two paths give the same case, and errors keep their words.

use std::borrow::Cow;

use radiculo_engine::{Case, Engine};
use radiculo_kb::FindingSet;
use serde::Deserialize;

/// A case (contract v1.1).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Case, example = json!({
    "id": "case-17",
    "age": 47,
    "sex": "female",
    "symptom_duration_days": 12,
    "evidence": [
        {"id": "pain.lateral_leg.left", "state": "present"},
        {"id": "weakness.great_toe_extension.left", "state": "present"},
        {"id": "urinary_retention", "state": "absent"}
    ]
})))]
#[serde(deny_unknown_fields)]
pub struct CaseJson<'a> {
    /// The caller's own reference for the case, echoed back.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// Age in years.
    #[cfg_attr(feature = "openapi", schema(minimum = 16, maximum = 110))]
    pub age: u8,
    /// Sex.
    pub sex: Option<SexJson>,
    /// How long the current episode has lasted, in days.
    #[cfg_attr(feature = "openapi", schema(maximum = 40200))]
    pub symptom_duration_days: Option<u32>,
    /// The worst back or leg pain in the last 24 hours, 0 to 10 (contract v1.1); `null` says it
    /// was asked and not given, so an interview does not ask it again.
    // Missing is `None`; `null` is `Some(None)`; a number is `Some(Some(_))`.
    #[serde(default, deserialize_with = "given")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u8>, maximum = 10))]
    pub pain_score: Option<Option<u8>>,
    /// What is known; a finding not listed is unknown. An id may appear twice only with the
    /// same state.
    #[serde(borrow)]
    pub evidence: Option<Vec<EvidenceJson<'a>>>,
    /// Which questions `next_question` may ask (examination findings only for clinicians).
    pub mode: Option<ModeJson>,
}

/// One finding's state.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Evidence))]
#[serde(deny_unknown_fields)]
pub struct EvidenceJson<'a> {
    /// A finding id from the vocabulary.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Whether it is present, absent or unknown.
    pub state: StateJson,
}

/// Sex, as the contract gives it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Sex))]
#[serde(rename_all = "snake_case")]
pub enum SexJson {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other.
    Other,
}

/// A finding's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = State))]
#[serde(rename_all = "snake_case")]
pub enum StateJson {
    /// The finding is there.
    Present,
    /// The finding is not there.
    Absent,
    /// Not known (the same as leaving it out, except that an interview will not ask again).
    Unknown,
}

/// Who answers: which questions may be asked next.
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Mode))]
#[serde(rename_all = "snake_case")]
pub enum ModeJson {
    /// The person in pain (the default): no examination findings are asked.
    Patient,
    /// A clinician who can examine.
    Clinician,
}

impl From<SexJson> for radiculo_engine::Sex {
    fn from(sex: SexJson) -> radiculo_engine::Sex {
        match sex {
            SexJson::Female => radiculo_engine::Sex::Female,
            SexJson::Male => radiculo_engine::Sex::Male,
            SexJson::Other => radiculo_engine::Sex::Other,
        }
    }
}

impl From<ModeJson> for radiculo_engine::Mode {
    fn from(mode: ModeJson) -> radiculo_engine::Mode {
        match mode {
            ModeJson::Patient => radiculo_engine::Mode::Patient,
            ModeJson::Clinician => radiculo_engine::Mode::Clinician,
        }
    }
}

impl StateJson {
    /// Present, absent, or `None` for unknown.
    pub fn as_option(self) -> Option<bool> {
        match self {
            StateJson::Present => Some(true),
            StateJson::Absent => Some(false),
            StateJson::Unknown => None,
        }
    }
}

/// A field that is present, `null` or not: so that `null` and a missing field differ.
fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u8>>, D::Error> {
    Option::<u8>::deserialize(d).map(Some)
}

/// The case, if the text is a valid case in the common form; `None` to take the `Value` path.
pub(crate) fn parse(engine: &Engine, text: &str) -> Option<Case> {
    let fields: CaseJson = serde_json::from_str(text).ok()?;
    if !(radiculo_engine::MIN_AGE..=radiculo_engine::MAX_AGE).contains(&fields.age) {
        return None;
    }
    let duration_days = match fields.symptom_duration_days {
        Some(d) if u64::from(d) > crate::MAX_DURATION_DAYS => return None,
        d => d,
    };
    let (pain_score, pain_score_asked) = match fields.pain_score {
        None => (None, false),
        Some(None) => (None, true),
        Some(Some(p)) if p <= crate::MAX_PAIN_SCORE => (Some(p), true),
        Some(Some(_)) => return None,
    };
    let mut case = Case::new(fields.age);
    case.id = fields.id.map(Cow::into_owned);
    case.sex = fields.sex.map(Into::into);
    case.duration_days = duration_days;
    case.mode = fields
        .mode
        .map_or(radiculo_engine::Mode::Patient, Into::into);
    case.pain_score = pain_score;
    case.pain_score_asked = pain_score_asked;
    let vocab = &engine.kb().vocab;
    let items = fields.evidence.unwrap_or_default();
    let mut seen = FindingSet::EMPTY;
    let mut states = Vec::with_capacity(items.len());
    for item in &items {
        let f = vocab.get(&item.id)?;
        let state = item.state.as_option();
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
