//! `QuestionnaireResponse/$assess`: what it takes, and its OperationDefinition.
//!
//! The body is the completed QuestionnaireResponse itself, or a `Parameters` resource with the
//! response as `response` and, when the response's `subject` names a Patient the caller holds
//! (`Patient/123`), that Patient as `patient`: radiculo fetches nothing from other servers,
//! so a referenced Patient's age and sex come with the request. The result is the results
//! Bundle (`bundle`).

use std::borrow::Borrow;

use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, Options};
use radiculo_kb::Kb;
use serde_json::Value;

use crate::CANONICAL;
use crate::bundle::{Context, Subject, results};
use crate::response::{Rejected, read_with_patient};
use crate::types::{Bundle, Definition, OperationDefinition, OperationOutcome, OperationParameter};

/// The operation's code (`$assess`) and its definition's id.
pub const ASSESS: &str = "assess";

/// The id of the OperationDefinition of `$assess`.
pub const ASSESS_DEFINITION: &str = "radiculo-assess";

/// The canonical URL of the OperationDefinition of `$assess`.
pub fn assess_url() -> String {
    format!("{CANONICAL}/OperationDefinition/{ASSESS_DEFINITION}")
}

/// A `$assess` request, read.
#[derive(Debug)]
pub struct AssessInput<'v> {
    /// The case the response describes.
    pub case: Case,
    /// The response, as given (the Bundle carries it).
    pub response: &'v Value,
    /// Who the response is about.
    pub subject: Subject<'v>,
}

/// Reads a `$assess` body: a QuestionnaireResponse, or Parameters holding one. `today`
/// (`YYYY-MM-DD`) is the date an age is worked out at when the response has no `authored`.
///
/// # Errors
/// [`Rejected`], with every issue found and where.
pub fn assess_input<'v>(
    kb: &Kb,
    body: &'v Value,
    today: &str,
) -> Result<AssessInput<'v>, Rejected> {
    let (response, patient) = match body.get("resourceType").and_then(Value::as_str) {
        Some("Parameters") => parameters(body)?,
        _ => (body, None),
    };
    let given = patient.as_ref().map(|(p, at)| (*p, at.as_str()));
    let case = read_with_patient(kb, response, given, today)?;
    let subject = match (
        response
            .pointer("/subject/reference")
            .and_then(Value::as_str),
        patient,
    ) {
        (_, Some((patient, _))) => Subject::Given(patient),
        (Some(reference), None) => match reference.strip_prefix('#') {
            Some(id) => {
                Subject::Given(contained(response, id).expect("read found the contained Patient"))
            }
            None => Subject::Reference(reference),
        },
        (None, None) => Subject::FromCase,
    };
    Ok(AssessInput {
        case,
        response,
        subject,
    })
}

/// `$assess` whole: the body read, its case assessed, the results Bundle. `timestamp` (a FHIR
/// `instant`) is when, and its date the day an age is worked out at when the response has no
/// `authored`; `seed` makes the Bundle's ids (`bundle`).
///
/// # Errors
/// [`Rejected`], with every issue found and where.
pub fn assess<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    body: &Value,
    timestamp: &str,
    seed: &str,
) -> Result<Bundle, Rejected> {
    let today = timestamp.get(..10).unwrap_or(timestamp);
    let input = assess_input(writer.engine().kb(), body, today)?;
    let assessment = writer.engine().assess(&input.case, Options::default());
    let context = Context {
        seed,
        timestamp,
        subject: input.subject,
        response: Some(input.response),
    };
    Ok(results(writer, &input.case, &assessment, &context))
}

/// The resource of a contained `id`.
fn contained<'v>(resource: &'v Value, id: &str) -> Option<&'v Value> {
    resource
        .get("contained")?
        .as_array()?
        .iter()
        .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
}

/// The response and the Patient (with where it is) of a Parameters body.
type Parts<'v> = (&'v Value, Option<(&'v Value, String)>);

fn parameters(body: &Value) -> Result<Parts<'_>, Rejected> {
    let invalid = |at: &str, diagnostics: &str| Rejected {
        well_formed: false,
        outcome: OperationOutcome::error("invalid", diagnostics, Some(at)),
    };
    let Some(list) = body.get("parameter").and_then(Value::as_array) else {
        return Err(invalid(
            "Parameters.parameter",
            "a Parameters body lists its parameters: `response` (a QuestionnaireResponse) and, optionally, `patient`",
        ));
    };
    let mut response = None;
    let mut patient = None;
    for (i, p) in list.iter().enumerate() {
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let slot = match name {
            "response" => &mut response,
            "patient" => &mut patient,
            other => {
                return Err(invalid(
                    &format!("Parameters.parameter[{i}].name"),
                    &format!(
                        "`{other}` is not a parameter of $assess; it takes `response` and `patient`"
                    ),
                ));
            }
        };
        let Some(resource) = p.get("resource") else {
            return Err(invalid(
                &format!("Parameters.parameter[{i}]"),
                &format!("the parameter `{name}` is a resource"),
            ));
        };
        if slot.replace((i, resource)).is_some() {
            return Err(invalid(
                &format!("Parameters.parameter[{i}]"),
                &format!("the parameter `{name}` is given twice"),
            ));
        }
    }
    let Some((_, response)) = response else {
        return Err(invalid(
            "Parameters.parameter",
            "the parameter `response` (the completed QuestionnaireResponse) is missing",
        ));
    };
    let patient = patient.map(|(i, p)| (p, format!("Parameters.parameter[{i}].resource")));
    Ok((response, patient))
}

/// The OperationDefinition of `$assess`.
pub fn assess_definition(kb: &Kb) -> OperationDefinition {
    let parameter = |name: &'static str,
                     r#use: &'static str,
                     min: u32,
                     kind: &'static str,
                     documentation: &str| {
        OperationParameter {
            name,
            r#use,
            min,
            max: "1",
            documentation: documentation.to_string(),
            kind,
        }
    };
    OperationDefinition {
        definition: Definition::new(
            "OperationDefinition",
            ASSESS_DEFINITION,
            &kb.version,
            "RadiculoAssess",
            "Assess a completed radiculo intake",
            &format!(
                "Assesses a completed QuestionnaireResponse to the radiculo intake Questionnaire and returns the results as a collection Bundle: an Observation per answer, a RiskAssessment (each condition, nerve root by side and pain mechanism) and a ClinicalImpression (the triage level, the red flags raised, the plan). The body may also be the QuestionnaireResponse itself. Nothing is stored. {}",
                kb.disclaimer
            ),
        ),
        kind: "operation",
        affects_state: false,
        code: ASSESS,
        resource: vec!["QuestionnaireResponse"],
        system: false,
        r#type: true,
        instance: false,
        parameter: vec![
            parameter(
                "response",
                "in",
                1,
                "QuestionnaireResponse",
                "The completed response to the intake Questionnaire (or to an adaptive one grown from it by $next-question). Age and sex come from its items, or from the Patient its subject names, contained or given as `patient`.",
            ),
            parameter(
                "patient",
                "in",
                0,
                "Patient",
                "The Patient the response's subject names, when it is not contained: its birthDate gives the age (a partial date gives the oldest age it allows) and its gender the sex.",
            ),
            parameter(
                "return",
                "out",
                1,
                "Bundle",
                "The results, a Bundle of type collection.",
            ),
        ],
    }
}
