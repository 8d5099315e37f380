//! Observations coded in radiculo's finding code system, read back into a case: what a CDS
//! Hooks client prefetches from its FHIR server (a `searchset` Bundle), or the Observations of
//! radiculo's own results Bundle.
//!
//! The Observations are the shape `bundle` writes: a finding present (`valueBoolean` true),
//! absent (false) or not sure (a `dataAbsentReason`); `age`, `symptom_duration_days` and
//! `pain_score` as `valueInteger`. The rules, each for a reason:
//!
//! - Only Observations with a coding in radiculo's finding system are read; any other resource
//!   or code in the Bundle is ignored, since an EHR's search may return more than was asked.
//! - Only `final`, `amended` and `corrected` Observations count; `registered`, `preliminary`,
//!   `cancelled`, `entered-in-error` and `unknown` ones are ignored, as FHIR means them.
//! - When several Observations have the same code, the latest wins: by `effectiveDateTime`
//!   (or `effectiveInstant`, else `issued`), then `issued`, then the later entry. Dates are
//!   compared as instants; a partial date (`2026-12`) is its first moment.
//! - An unknown code in radiculo's system, a value of the wrong type or a malformed date is
//!   an issue (HTTP 400 in the caller), with where it is (`Bundle.entry[3].resource.code.
//!   coding[0].code`) and, for an unknown code, the nearest finding ids.
//! - An Observation about another patient than the Patient given is an issue too: mixing two
//!   people's findings must never be assessed.
//! - The age is the oldest the record allows: the Patient's `birthDate` at `today` and the
//!   `age` Observation plus the whole years since it was made, whichever is higher (the
//!   triage rules that read the age raise the level from an age up, so a person is never made
//!   younger than they may be). With neither, the case cannot be assessed (`well_formed`:
//!   the caller decides how to say so).

use std::cmp::Ordering;

use radiculo_contract::MAX_DURATION_DAYS;
use radiculo_engine::{Case, MAX_AGE, MIN_AGE, Mode};
use radiculo_kb::{FindingId, Kb};
use serde_json::Value;

use crate::codes::{System, YES_NO};
use crate::questionnaire::link;
use crate::response::{Issues, Rejected, age_at, read_patient, rejected};

/// The statuses of an Observation that is read; those of [`IGNORED`] are skipped.
const READ: [&str; 3] = ["final", "amended", "corrected"];
/// The statuses of an Observation that does not count (FHIR R4's other `ObservationStatus`
/// codes).
const IGNORED: [&str; 5] = [
    "registered",
    "preliminary",
    "cancelled",
    "entered-in-error",
    "unknown",
];

/// What a finding code means in a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Finding(FindingId),
    Age,
    Duration,
    PainScore,
}

/// What one Observation says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    /// A finding: present, absent, or `None` for not sure.
    State(Option<bool>),
    /// A number field.
    Number(i64),
}

/// One Observation that counts, with what orders it among those of its code.
struct Read {
    code: Code,
    said: Said,
    /// `effectiveDateTime` (else `effectiveInstant`, else `issued`), as an instant.
    effective: Option<jiff::Timestamp>,
    /// `issued`, as an instant.
    issued: Option<jiff::Timestamp>,
    /// The date it was made (`YYYY-MM-DD`, UTC), for aging an `age` forward.
    date: Option<String>,
    /// Its entry's index in the Bundle.
    index: usize,
}

impl Read {
    /// Later (wins) or earlier.
    fn order(&self, other: &Read) -> Ordering {
        (self.effective, self.issued, self.index).cmp(&(other.effective, other.issued, other.index))
    }
}

/// The case that the radiculo Observations of `observations` (a Bundle, typically a
/// `searchset`) describe, with age and sex from `patient` (a Patient resource) where it has
/// them. `today` (`YYYY-MM-DD`) is the date ages are worked out at.
///
/// # Errors
/// [`Rejected`], with every issue found: `well_formed` is false for a Bundle or Observation
/// that breaks the rules above (HTTP 400), true when it is well formed but cannot be assessed
/// (no age, or an age radiculo does not assess).
pub fn read(
    kb: &Kb,
    patient: Option<&Value>,
    observations: &Value,
    today: &str,
) -> Result<Case, Rejected> {
    let mut issues = Issues::default();
    let patient_id = patient.and_then(|p| p.get("id")).and_then(Value::as_str);
    let patient = patient.and_then(|p| read_patient(p, "Patient", &mut issues));
    let mut read = Vec::new();
    for (index, resource, at) in radiculo_observations(observations, &mut issues) {
        if let Some(r) = read_one(kb, resource, &at, index, patient_id, &mut issues) {
            read.push(r);
        }
    }
    // The latest Observation of each code.
    let mut latest: Vec<Read> = Vec::new();
    for r in read {
        match latest.iter_mut().find(|l| l.code == r.code) {
            Some(l) if r.order(l) == Ordering::Greater => *l = r,
            Some(_) => {}
            None => latest.push(r),
        }
    }
    let number = |code: Code| {
        latest
            .iter()
            .find(|r| r.code == code)
            .and_then(|r| match r.said {
                Said::Number(n) => Some((n, r.date.clone())),
                Said::State(_) => None,
            })
    };
    let from_birth = patient.as_ref().and_then(|p| {
        let (birth, at) = p.birth_date.as_ref()?;
        let age = age_at(birth, today);
        if age.is_none() {
            issues.invalid(
                "value",
                at,
                format!("`{birth}` is not a birth date before {today}"),
            );
        }
        age
    });
    let from_observation = number(Code::Age).map(|(age, date)| {
        let since = date.and_then(|d| age_at(&d, today)).unwrap_or(0);
        age + since
    });
    let age = match (from_birth, from_observation) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    match age {
        None => issues.unassessable(
            "required",
            "Patient.birthDate",
            "radiculo needs the person's age (the Patient's birth date, or an `age` Observation)"
                .into(),
        ),
        Some(age) if !(i64::from(MIN_AGE)..=i64::from(MAX_AGE)).contains(&age) => issues
            .unassessable(
                "business-rule",
                "Patient.birthDate",
                format!(
                    "radiculo assesses people aged {MIN_AGE} to {MAX_AGE}; this person is {age}"
                ),
            ),
        Some(_) => {}
    }
    if !issues.invalid.is_empty() || !issues.unassessable.is_empty() {
        return Err(rejected(issues));
    }
    let age = u8::try_from(age.unwrap_or_default()).unwrap_or(MIN_AGE);
    let mut case = Case::new(age);
    case.mode = Mode::Clinician;
    case.sex = patient.and_then(|p| p.sex);
    case.duration_days = number(Code::Duration).and_then(|(n, _)| u32::try_from(n).ok());
    case.pain_score = number(Code::PainScore).and_then(|(n, _)| u8::try_from(n).ok());
    case.pain_score_asked = case.pain_score.is_some();
    for r in &latest {
        if let (Code::Finding(f), Said::State(state)) = (r.code, r.said) {
            case.answer(f, state);
        }
    }
    Ok(case)
}

/// Whether `observations` holds any Observation that [`read`] would read: one with a coding
/// in radiculo's finding system and a status that counts. A Bundle without one says nothing
/// radiculo can assess (a person whose findings were never recorded).
pub fn recorded(observations: &Value) -> bool {
    let mut issues = Issues::default();
    radiculo_observations(observations, &mut issues)
        .into_iter()
        .any(|(_, resource, _)| {
            resource
                .get("status")
                .and_then(Value::as_str)
                .is_some_and(|s| READ.contains(&s))
        })
}

/// Whether the Bundle is one page of several (it has a `next` link): the rest of the search
/// was not sent, and an Observation left out could be a red flag.
pub fn paged(observations: &Value) -> bool {
    observations
        .get("link")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|l| l.get("relation").and_then(Value::as_str) == Some("next"))
}

/// Every entry of the Bundle whose resource is an Observation with a coding in radiculo's
/// finding system: (entry index, resource, its FHIRPath). A Bundle that is not one is an
/// issue.
fn radiculo_observations<'a>(
    bundle: &'a Value,
    issues: &mut Issues,
) -> Vec<(usize, &'a Value, String)> {
    let root = "Bundle";
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        issues.invalid(
            "structure",
            root,
            "the findings are a Bundle (a searchset of Observations)".into(),
        );
        return Vec::new();
    }
    let entries = match bundle.get("entry") {
        None => return Vec::new(),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            issues.invalid(
                "structure",
                &format!("{root}.entry"),
                "`entry` is a list".into(),
            );
            return Vec::new();
        }
    };
    let system = System::Finding.url();
    let mut found = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Some(resource) = entry.get("resource") else {
            continue;
        };
        if resource.get("resourceType").and_then(Value::as_str) != Some("Observation") {
            continue;
        }
        let ours = resource
            .get("code")
            .and_then(|c| c.get("coding"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| c.get("system").and_then(Value::as_str) == Some(system.as_str()));
        if ours {
            found.push((i, resource, format!("{root}.entry[{i}].resource")));
        }
    }
    found
}

/// One radiculo Observation at `at`, or `None` when it does not count or has issues.
fn read_one(
    kb: &Kb,
    o: &Value,
    at: &str,
    index: usize,
    patient_id: Option<&str>,
    issues: &mut Issues,
) -> Option<Read> {
    match o.get("status").and_then(Value::as_str) {
        Some(s) if READ.contains(&s) => {}
        Some(s) if IGNORED.contains(&s) => return None,
        _ => {
            issues.invalid(
                "value",
                &format!("{at}.status"),
                format!(
                    "`status` must be an Observation status ({}, {})",
                    READ.join(", "),
                    IGNORED.join(", ")
                ),
            );
            return None;
        }
    }
    let system = System::Finding.url();
    let codings = o["code"]["coding"].as_array()?;
    let (j, coding) = codings
        .iter()
        .enumerate()
        .find(|(_, c)| c.get("system").and_then(Value::as_str) == Some(system.as_str()))?;
    let at_code = format!("{at}.code.coding[{j}].code");
    let Some(code) = coding.get("code").and_then(Value::as_str) else {
        issues.invalid(
            "required",
            &at_code,
            format!("a coding of `{system}` needs its `code`"),
        );
        return None;
    };
    let code = match code {
        link::AGE => Code::Age,
        link::DURATION => Code::Duration,
        link::PAIN_SCORE => Code::PainScore,
        _ => match kb.vocab.get(code) {
            Some(f) => Code::Finding(f),
            None => {
                let near = kb.vocab.suggest(code, 3).join(", ");
                issues.invalid(
                    "code-invalid",
                    &at_code,
                    format!(
                        "`{code}` is not a code of {system} (version {}); the nearest finding ids are {near}",
                        kb.version
                    ),
                );
                return None;
            }
        },
    };
    if let (Some(expected), Some(reference)) = (
        patient_id,
        o.get("subject")
            .and_then(|s| s.get("reference"))
            .and_then(Value::as_str),
    ) && let Some(other) = patient_of(reference)
        && other != expected
    {
        issues.invalid(
            "business-rule",
            &format!("{at}.subject"),
            format!("this Observation is about `Patient/{other}`, not `Patient/{expected}`"),
        );
        return None;
    }
    let said = read_value(kb, o, at, code, issues)?;
    let effective = ["effectiveDateTime", "effectiveInstant", "issued"]
        .iter()
        .find_map(|field| o.get(*field).map(|v| (*field, v)));
    let (effective, date) = match effective {
        Some((field, v)) => {
            let t = instant(v, &format!("{at}.{field}"), issues)?;
            (Some(t), Some(utc_date(t)))
        }
        None => (None, None),
    };
    let issued = match o.get("issued") {
        Some(v) => Some(instant(v, &format!("{at}.issued"), issues)?),
        None => None,
    };
    Some(Read {
        code,
        said,
        effective,
        issued,
        date,
        index,
    })
}

/// The id of a reference to a Patient (`Patient/123`, or an absolute URL ending so), if it is
/// one.
fn patient_of(reference: &str) -> Option<&str> {
    let rest = match reference.rfind("Patient/") {
        Some(0) => &reference["Patient/".len()..],
        Some(i) if reference[..i].ends_with('/') => &reference[i + "Patient/".len()..],
        _ => return None,
    };
    Some(rest.split('/').next().unwrap_or(rest))
}

/// What the Observation's value says of `code`, or `None` with an issue.
fn read_value(kb: &Kb, o: &Value, at: &str, code: Code, issues: &mut Issues) -> Option<Said> {
    let values: Vec<(&String, &Value)> = o
        .as_object()?
        .iter()
        .filter(|(k, _)| k.starts_with("value") || *k == "dataAbsentReason")
        .collect();
    if values.len() > 1 {
        issues.invalid(
            "structure",
            at,
            "an Observation has one value[x] or a `dataAbsentReason`, not several".into(),
        );
        return None;
    }
    let Some(&(field, value)) = values.first() else {
        issues.invalid(
            "required",
            at,
            "the Observation has neither a value nor a `dataAbsentReason`".into(),
        );
        return None;
    };
    let here = format!("{at}.{field}");
    match code {
        Code::Finding(f) => match (field.as_str(), value) {
            ("valueBoolean", Value::Bool(b)) => Some(Said::State(Some(*b))),
            ("dataAbsentReason", Value::Object(_)) => Some(Said::State(None)),
            ("valueCodeableConcept", v) => {
                let yes_no = v["coding"].as_array().into_iter().flatten().find_map(|c| {
                    (c.get("system").and_then(Value::as_str) == Some(YES_NO))
                        .then(|| c.get("code").and_then(Value::as_str))
                        .flatten()
                });
                match yes_no {
                    Some("Y") => Some(Said::State(Some(true))),
                    Some("N") => Some(Said::State(Some(false))),
                    _ => {
                        issues.invalid(
                            "value",
                            &here,
                            format!(
                                "`{}` is answered with valueBoolean, a dataAbsentReason, or a {YES_NO} Y or N",
                                kb.vocab.def(f).id
                            ),
                        );
                        None
                    }
                }
            }
            _ => {
                issues.invalid(
                    "value",
                    &here,
                    format!(
                        "`{}` is answered with valueBoolean (present or absent) or a dataAbsentReason (not sure), not {field}",
                        kb.vocab.def(f).id
                    ),
                );
                None
            }
        },
        Code::Age | Code::Duration | Code::PainScore => {
            let (name, min, max) = match code {
                Code::Age => (link::AGE, 0, 150),
                Code::Duration => (link::DURATION, 0, MAX_DURATION_DAYS as i64),
                _ => (
                    link::PAIN_SCORE,
                    i64::from(kb.pain_score.min),
                    i64::from(kb.pain_score.max),
                ),
            };
            match (field.as_str(), value.as_i64()) {
                ("valueInteger", Some(n)) if (min..=max).contains(&n) => Some(Said::Number(n)),
                ("valueInteger", Some(n)) => {
                    issues.invalid(
                        "value",
                        &here,
                        format!("`{name}` is {min} to {max}, not {n}"),
                    );
                    None
                }
                // Not recorded: as if there were no Observation.
                ("dataAbsentReason", _) => None,
                _ => {
                    issues.invalid(
                        "value",
                        &here,
                        format!("`{name}` is a valueInteger, not {field}"),
                    );
                    None
                }
            }
        }
    }
}

/// A FHIR `dateTime` or `instant` as an instant: a time without an offset, or a partial date,
/// is read as UTC and its first moment.
fn instant(value: &Value, at: &str, issues: &mut Issues) -> Option<jiff::Timestamp> {
    let parsed = value.as_str().and_then(|text| {
        if text.len() > 10 {
            text.parse::<jiff::Timestamp>().ok()
        } else {
            let padded = match text.len() {
                4 => format!("{text}-01-01"),
                7 => format!("{text}-01"),
                _ => text.to_string(),
            };
            let date = padded.parse::<jiff::civil::Date>().ok()?;
            date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp())
        }
    });
    if parsed.is_none() {
        issues.invalid(
            "value",
            at,
            format!("{value} is not a FHIR dateTime (`2026-12-05`, or `2026-12-05T10:00:00Z` with a time zone)"),
        );
    }
    parsed
}

/// The UTC date of an instant, `YYYY-MM-DD`.
fn utc_date(t: jiff::Timestamp) -> String {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}
