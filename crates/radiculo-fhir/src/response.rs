//! A QuestionnaireResponse to the intake Questionnaire (or to an adaptive Questionnaire grown
//! from it by `$next-question`, contained in the response), read into a case: each answered
//! finding present, absent or not sure; age, sex, duration and pain score from their items;
//! age and sex from a contained Patient when the items do not give them. Everything wrong
//! with the response is reported at once, each issue with where it is (a FHIRPath such as
//! `QuestionnaireResponse.item[3].answer[0].valueCoding`).

use std::collections::HashSet;

use radiculo_engine::{Case, MAX_AGE, MIN_AGE, Sex};
use radiculo_interview::BODY_MAP;
use radiculo_kb::Kb;
use serde_json::{Map, Value};

use crate::codes::{NULL_FLAVOR, YES_NO};
use crate::questionnaire::{GENDER, intake_url, link};
use crate::types::{Issue, OperationOutcome};

/// Why a response cannot be assessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// Whether the response is well formed (`true`: HTTP 422) or not (`false`: 400).
    pub well_formed: bool,
    /// Every issue, with where it is.
    pub outcome: OperationOutcome,
}

/// Issues found while reading, each a FHIR issue type code, a sentence and a location.
#[derive(Default)]
pub(crate) struct Issues {
    pub(crate) invalid: Vec<Issue>,
    pub(crate) unassessable: Vec<Issue>,
}

impl Issues {
    /// The response breaks the Questionnaire or FHIR's shape (400).
    pub(crate) fn invalid(&mut self, code: &'static str, at: &str, diagnostics: String) {
        self.invalid.push(issue(code, at, diagnostics));
    }

    /// The response is well formed but cannot be assessed (422).
    pub(crate) fn unassessable(&mut self, code: &'static str, at: &str, diagnostics: String) {
        self.unassessable.push(issue(code, at, diagnostics));
    }
}

fn issue(code: &'static str, at: &str, diagnostics: String) -> Issue {
    Issue {
        severity: "error",
        code,
        diagnostics,
        expression: vec![at.to_string()],
    }
}

/// The case a response to the intake Questionnaire describes. `today` (`YYYY-MM-DD`) is the
/// date an age is worked out at when the response has no `authored` date.
///
/// # Errors
/// [`Rejected`], with every issue found.
pub fn read(kb: &Kb, response: &Value, today: &str) -> Result<Case, Rejected> {
    read_with_patient(kb, response, None, today)
}

/// As [`read`], with the person's Patient resource given beside the response (a `$assess`
/// Parameters' `patient`, where the response's `subject` names a Patient the caller holds)
/// and `at` its location for issues. A Patient the response contains comes first.
///
/// # Errors
/// [`Rejected`], with every issue found.
pub fn read_with_patient(
    kb: &Kb,
    response: &Value,
    patient: Option<(&Value, &str)>,
    today: &str,
) -> Result<Case, Rejected> {
    let external = patient;
    let mut issues = Issues::default();
    let root = "QuestionnaireResponse";
    let Some(qr) = response.as_object() else {
        issues.invalid(
            "structure",
            root,
            "a QuestionnaireResponse is a JSON object".into(),
        );
        return Err(rejected(issues));
    };
    match qr.get("resourceType").and_then(Value::as_str) {
        Some("QuestionnaireResponse") => {}
        other => {
            issues.invalid(
                "invalid",
                "resourceType",
                format!(
                    "expected a QuestionnaireResponse, got {}",
                    other.map_or("no resourceType".to_string(), |t| format!("a {t}"))
                ),
            );
            return Err(rejected(issues));
        }
    }
    let mut adaptive = None;
    if let Some(q) = qr.get("questionnaire") {
        let canonical = q.as_str().unwrap_or_default();
        if canonical.starts_with('#') {
            // A response completed through `$next-question` answers the adaptive
            // Questionnaire it contains, grown from the intake's items.
            adaptive = crate::adaptive::contained(qr, canonical, root, &mut issues);
            if let Some(form) = adaptive.as_ref().filter(|form| !form.derived) {
                issues.unassessable(
                    "required",
                    &format!("{root}.contained[{}]", form.index),
                    format!(
                        "the contained Questionnaire does not say it derives from `{}` (derivedFrom)",
                        intake_url()
                    ),
                );
            }
        } else if canonical.split('|').next() != Some(intake_url().as_str()) {
            issues.unassessable(
                "not-supported",
                &format!("{root}.questionnaire"),
                format!(
                    "this answers `{canonical}`; radiculo assesses answers to `{}`",
                    intake_url()
                ),
            );
        }
    }
    match qr.get("status").and_then(Value::as_str) {
        Some("completed" | "amended") => {}
        Some(status @ ("in-progress" | "stopped" | "entered-in-error")) => issues.unassessable(
            "business-rule",
            &format!("{root}.status"),
            format!("the response is `{status}`; only a completed (or amended) one is assessed"),
        ),
        _ => issues.invalid(
            "value",
            &format!("{root}.status"),
            "`status` must be one of in-progress, completed, amended, entered-in-error, stopped"
                .into(),
        ),
    }
    let mut answers = Answers::default();
    match qr.get("item") {
        None => {}
        Some(Value::Array(items)) => {
            let known = adaptive.as_ref().map(|form| &form.link_ids);
            read_items(kb, items, root, known, &mut answers, &mut issues);
        }
        Some(_) => issues.invalid(
            "structure",
            &format!("{root}.item"),
            "`item` is a list".into(),
        ),
    }
    let patient = contained_patient(qr, root, &mut issues).or_else(|| {
        let (resource, at) = external?;
        read_patient(resource, at, &mut issues)
    });
    let reference =
        (qr.get("authored").and_then(Value::as_str)).map_or(today, |a| a.get(..10).unwrap_or(a));
    let age = match (
        answers.age,
        patient.as_ref().and_then(|p| p.birth_date.as_ref()),
    ) {
        (Some(age), _) => Some(age),
        (None, Some((birth, at))) => match age_at(birth, reference) {
            Some(age) => Some(age),
            None => {
                issues.invalid(
                    "value",
                    at,
                    format!("`{birth}` is not a birth date before {reference}"),
                );
                None
            }
        },
        (None, None) => {
            issues.unassessable(
                "required",
                root,
                format!(
                    "the person's age is needed: answer the `{}` item, or contain the Patient with a birthDate and point `subject` at it",
                    link::AGE
                ),
            );
            None
        }
    };
    if let Some(age) = age
        && !(i64::from(MIN_AGE)..=i64::from(MAX_AGE)).contains(&age)
    {
        issues.unassessable(
            "business-rule",
            root,
            format!("radiculo assesses people aged {MIN_AGE} to {MAX_AGE}; this person is {age}"),
        );
    }
    if !issues.invalid.is_empty() || !issues.unassessable.is_empty() {
        return Err(rejected(issues));
    }
    let mut case = Case::new(u8::try_from(age.unwrap_or_default()).unwrap_or(MIN_AGE));
    case.id = qr.get("id").and_then(Value::as_str).map(str::to_string);
    case.sex = answers.sex.or(patient.and_then(|p| p.sex));
    case.duration_days = answers.duration_days;
    for (f, state) in answers.findings {
        case.answer(f, state);
    }
    case.pain_score = answers.pain_score;
    case.pain_score_asked = answers.pain_score.is_some();
    Ok(case)
}

pub(crate) fn rejected(issues: Issues) -> Rejected {
    let well_formed = issues.invalid.is_empty();
    let mut issue = issues.invalid;
    issue.extend(issues.unassessable);
    Rejected {
        well_formed,
        outcome: OperationOutcome {
            resource_type: "OperationOutcome",
            issue,
        },
    }
}

/// What a response's items answer.
#[derive(Default)]
pub(crate) struct Answers {
    pub(crate) age: Option<i64>,
    pub(crate) sex: Option<Sex>,
    pub(crate) duration_days: Option<u32>,
    pub(crate) pain_score: Option<u8>,
    pub(crate) findings: Vec<(radiculo_kb::FindingId, Option<bool>)>,
}

/// Whether `link_id` is one of the Questionnaire's groups (which hold items, not answers).
fn is_group(kb: &Kb, link_id: &str) -> bool {
    let base = link_id.split(".when").next().unwrap_or(link_id);
    base == link::MORE
        || kb.groups.iter().any(|g| g.id == base)
        || base
            .strip_prefix(BODY_MAP)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Reads the answers of `items` (at `at`) into `answers`. `known`, for a response to a
/// contained adaptive Questionnaire, is every `linkId` that Questionnaire has: an item it does
/// not have is an issue.
pub(crate) fn read_items(
    kb: &Kb,
    items: &[Value],
    at: &str,
    known: Option<&HashSet<&str>>,
    answers: &mut Answers,
    issues: &mut Issues,
) {
    for (i, item) in items.iter().enumerate() {
        let here = format!("{at}.item[{i}]");
        let Some(item) = item.as_object() else {
            issues.invalid("structure", &here, "an item is a JSON object".into());
            continue;
        };
        let Some(link_id) = item.get("linkId").and_then(Value::as_str) else {
            issues.invalid("required", &here, "an item needs its `linkId`".into());
            continue;
        };
        if known.is_some_and(|known| !known.contains(link_id)) {
            issues.invalid(
                "not-found",
                &here,
                format!("`{link_id}` is not an item of the response's contained Questionnaire"),
            );
            continue;
        }
        // The result of an adaptive interview is radiculo's own answer, worked out again by
        // any assessment of the response.
        if link_id == crate::adaptive::RESULT {
            continue;
        }
        if let Some(Value::Array(nested)) = item.get("item") {
            read_items(kb, nested, &here, known, answers, issues);
        }
        if is_group(kb, link_id) {
            if item.contains_key("answer") {
                issues.invalid(
                    "structure",
                    &here,
                    format!("`{link_id}` is a group: its items are answered, not it"),
                );
            }
            continue;
        }
        let answer = match item.get("answer") {
            None => continue,
            Some(Value::Array(list)) if list.len() == 1 => &list[0],
            Some(Value::Array(list)) if list.is_empty() => continue,
            Some(_) => {
                issues.invalid(
                    "structure",
                    &format!("{here}.answer"),
                    format!("`{link_id}` takes one answer"),
                );
                continue;
            }
        };
        let at_answer = format!("{here}.answer[0]");
        read_answer(kb, link_id, answer, &at_answer, answers, issues);
    }
}

fn read_answer(
    kb: &Kb,
    link_id: &str,
    answer: &Value,
    at: &str,
    answers: &mut Answers,
    issues: &mut Issues,
) {
    let integer = |issues: &mut Issues, min: i64, max: i64| -> Option<i64> {
        match answer.get("valueInteger").and_then(Value::as_i64) {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                issues.invalid(
                    "value",
                    &format!("{at}.valueInteger"),
                    format!("`{link_id}` is {min} to {max}, not {n}"),
                );
                None
            }
            None => {
                issues.invalid(
                    "value",
                    at,
                    format!("`{link_id}` is answered with a valueInteger"),
                );
                None
            }
        }
    };
    let coding = |issues: &mut Issues| -> Option<(String, String)> {
        let c = answer.get("valueCoding").and_then(Value::as_object);
        let field =
            |c: &Map<String, Value>, k: &str| c.get(k).and_then(Value::as_str).map(str::to_owned);
        match c.map(|c| (field(c, "system"), field(c, "code"))) {
            Some((Some(system), Some(code))) => Some((system, code)),
            _ => {
                issues.invalid(
                    "value",
                    at,
                    format!(
                        "`{link_id}` is answered with a valueCoding that has a system and a code"
                    ),
                );
                None
            }
        }
    };
    match link_id {
        link::AGE => answers.age = integer(issues, 0, 150),
        link::DURATION => {
            answers.duration_days = integer(issues, 0, 36_500).map(|n| n as u32);
        }
        link::PAIN_SCORE => {
            let (min, max) = (kb.pain_score.min, kb.pain_score.max);
            answers.pain_score = integer(issues, i64::from(min), i64::from(max)).map(|n| n as u8);
        }
        link::SEX => match coding(issues).as_ref().map(|(s, c)| (s.as_str(), c.as_str())) {
            Some((GENDER, "female")) => answers.sex = Some(Sex::Female),
            Some((GENDER, "male")) => answers.sex = Some(Sex::Male),
            Some((GENDER, "other")) => answers.sex = Some(Sex::Other),
            Some((GENDER, "unknown")) => {}
            Some((system, code)) => issues.invalid(
                "code-invalid",
                &format!("{at}.valueCoding"),
                format!("`{system}|{code}` is not an administrative gender (female, male, other, unknown)"),
            ),
            None => {}
        },
        _ => {
            let Some(f) = kb.vocab.get(link_id) else {
                let near = kb.vocab.suggest(link_id, 3).join(", ");
                issues.invalid(
                    "not-found",
                    &at[..at.rfind(".answer").unwrap_or(at.len())],
                    format!("`{link_id}` is not a question of the intake Questionnaire; the nearest finding ids are {near}"),
                );
                return;
            };
            let state = match coding(issues).as_ref().map(|(s, c)| (s.as_str(), c.as_str())) {
                Some((YES_NO, "Y")) => Some(true),
                Some((YES_NO, "N")) => Some(false),
                Some((NULL_FLAVOR, "ASKU")) => None,
                Some((system, code)) => {
                    issues.invalid(
                        "code-invalid",
                        &format!("{at}.valueCoding"),
                        format!("`{system}|{code}` is not an answer of `{link_id}`: {YES_NO}|Y, {YES_NO}|N or {NULL_FLAVOR}|ASKU"),
                    );
                    return;
                }
                None => return,
            };
            if answers.findings.iter().any(|(g, _)| *g == f) {
                issues.invalid("duplicate", at, format!("`{link_id}` is answered twice"));
                return;
            }
            answers.findings.push((f, state));
        }
    }
}

/// What a contained Patient says: sex, and the birth date with where it is.
pub(crate) struct Patient {
    pub(crate) sex: Option<Sex>,
    pub(crate) birth_date: Option<(String, String)>,
}

/// The Patient the response's `subject` points at among its contained resources (`#id`).
pub(crate) fn contained_patient(
    qr: &Map<String, Value>,
    root: &str,
    issues: &mut Issues,
) -> Option<Patient> {
    let reference = qr.get("subject")?.get("reference")?.as_str()?;
    let id = reference.strip_prefix('#')?;
    let contained = qr.get("contained").and_then(Value::as_array);
    let Some((i, p)) = contained.into_iter().flatten().enumerate().find(|(_, r)| {
        r.get("resourceType").and_then(Value::as_str) == Some("Patient")
            && r.get("id").and_then(Value::as_str) == Some(id)
    }) else {
        issues.invalid(
            "not-found",
            &format!("{root}.subject"),
            format!("`{reference}` names no contained Patient"),
        );
        return None;
    };
    read_patient(p, &format!("{root}.contained[{i}]"), issues)
}

/// What a Patient resource at `at` says of sex and age.
pub(crate) fn read_patient(p: &Value, at: &str, issues: &mut Issues) -> Option<Patient> {
    if p.get("resourceType").and_then(Value::as_str) != Some("Patient") {
        issues.invalid("invalid", at, "expected a Patient".into());
        return None;
    }
    let sex = match p.get("gender").and_then(Value::as_str) {
        Some("female") => Some(Sex::Female),
        Some("male") => Some(Sex::Male),
        Some("other") => Some(Sex::Other),
        Some("unknown") | None => None,
        Some(other) => {
            issues.invalid(
                "code-invalid",
                &format!("{at}.gender"),
                format!("`{other}` is not an administrative gender"),
            );
            None
        }
    };
    let birth_date = (p.get("birthDate").and_then(Value::as_str))
        .map(|b| (b.to_string(), format!("{at}.birthDate")));
    Some(Patient { sex, birth_date })
}

/// Full years from `birth` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) to `at` (`YYYY-MM-DD`). A
/// partial birth date is read as its earliest day, which gives the oldest age it allows: the
/// triage rules that depend on age raise the level from an age up, so a person is never made
/// younger than they may be.
pub(crate) fn age_at(birth: &str, at: &str) -> Option<i64> {
    let date = |text: &str| -> Option<(i64, i64, i64)> {
        let mut parts = text.split('-');
        let year = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
        let mut next = |max: i64| -> Option<i64> {
            match parts.next() {
                None => Some(1),
                Some(p) if p.len() == 2 => p.parse().ok().filter(|n| (1..=max).contains(n)),
                Some(_) => None,
            }
        };
        let month = next(12)?;
        let day = next(31)?;
        parts.next().is_none().then_some((year, month, day))
    };
    let (by, bm, bd) = date(birth)?;
    let (y, m, d) = date(at)?;
    let age = y - by - i64::from((m, d) < (bm, bd));
    (age >= 0).then_some(age)
}

#[cfg(test)]
mod tests {
    use super::age_at;

    #[test]
    fn ages_are_full_years_and_a_partial_birth_date_gives_the_oldest_age() {
        assert_eq!(age_at("1970-06-15", "2026-06-14"), Some(55));
        assert_eq!(age_at("1970-06-15", "2026-06-15"), Some(56));
        assert_eq!(age_at("1970-06", "2026-06-01"), Some(56));
        assert_eq!(age_at("1970", "2026-01-01"), Some(56));
        assert_eq!(age_at("2030-01-01", "2026-01-01"), None);
        assert_eq!(age_at("1970-13-01", "2026-01-01"), None);
        assert_eq!(age_at("70-01-01", "2026-01-01"), None);
    }
}
