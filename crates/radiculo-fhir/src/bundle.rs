//! An assessment's results as a FHIR `Bundle` of type `collection`, read from the one typed
//! assessment model (`radiculo_contract::model`): what an integrator stores in a FHIR server.
//!
//! - an `Observation` per answer of the case: a finding present (`valueBoolean` true), absent
//!   (false) or asked but not known (`dataAbsentReason` `asked-unknown`), and the age, symptom
//!   duration and pain score (`valueInteger`), each coded in radiculo's finding code system;
//! - a `RiskAssessment` with a prediction per condition (coded in radiculo's system, ICD-10-CM
//!   and, where verified, SNOMED CT), per nerve root and side, and per pain mechanism, each a
//!   `probabilityDecimal`, its `basis` the observations;
//! - a `ClinicalImpression`: the triage level as its first finding (from the triage-level code
//!   system, the rules that set it as basis), a finding per red flag raised, the clinician's
//!   summary, the plan and the disclaimer as notes;
//! - the Patient, when the caller gave one or there is none elsewhere, and the
//!   QuestionnaireResponse assessed, when there was one, each as it was given.
//!
//! The Observations are also what the CDS Hooks service reads back from a FHIR server
//! (`observations`), so storing a Bundle's Observations is enough to have radiculo's card
//! shown when the person's record is opened.
//!
//! Every entry's `fullUrl` is a `urn:uuid:` made (UUID v5) from a seed the caller gives, so
//! the same seed gives the same Bundle: the server seeds each request with a random UUID (and
//! a stored assessment with its record id).
//!
//! An assessment of an episode (`in_episode`) is the same Bundle with each Observation and the
//! ClinicalImpression naming the episode through the core extension `workflow-episodeOfCare`,
//! the one way R4 gives them to say so (their `encounter` is an Encounter, which an episode is
//! not; the RiskAssessment is not in the extension's context, and is reached from the
//! ClinicalImpression's `supportingInfo`).

use std::borrow::Borrow;

use radiculo_contract::JsonWriter;
use radiculo_contract::model::{AssessmentJson, Findings, text};
use radiculo_engine::{Assessment, Case, Engine, Sex};
use radiculo_kb::{FindingId, Kb, Mechanism, TriageLevel};
use serde_json::Value;
use uuid::Uuid;

use crate::CANONICAL;
use crate::codes::{self, ICD10CM, SNOMED, System};
use crate::types::{
    Annotation, Bundle, ClinicalImpression, CodeableConcept, Coding, Entry, Extension, Identifier,
    ImpressionFinding, Investigation, Observation, Patient, Prediction, Reference, Resource,
    RiskAssessment,
};

/// HL7's observation categories.
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// HL7's reasons for a missing value.
pub const DATA_ABSENT_REASON: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
/// The core extension by which an Observation or a ClinicalImpression names its episode of
/// care (R4's `workflow-episodeOfCare`, a `valueReference`).
pub const EPISODE_OF_CARE_EXTENSION: &str =
    "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare";

/// Who the assessment is of.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A Patient kept elsewhere, by reference (`Patient/123`).
    Reference(&'a str),
    /// A Patient resource, carried in the Bundle as it was given.
    Given(&'a Value),
    /// No Patient: the Bundle carries one with what the case knows of the person (the sex;
    /// the age is an Observation, as FHIR's Patient has only a birth date).
    FromCase,
    /// A person the caller knows by its own opaque reference (an episode's subject): the
    /// Bundle carries a Patient with that identifier (no system: the namespace is the
    /// caller's) and what the case knows of the person, as for `FromCase`. Never a name.
    Identified(&'a str),
}

/// What the caller knows of the assessment beyond the case.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The seed of every `urn:uuid:` in the Bundle (and of its identifier).
    pub seed: &'a str,
    /// When the assessment was made: a FHIR `instant` (`2026-12-05T10:00:00Z`).
    pub timestamp: &'a str,
    /// The person.
    pub subject: Subject<'a>,
    /// The QuestionnaireResponse the case was read from: carried in the Bundle, and named by
    /// each Observation's `derivedFrom`.
    pub response: Option<&'a Value>,
}

/// The results of assessing `case` as a `collection` Bundle.
pub fn results<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    case: &Case,
    assessment: &Assessment<'_>,
    context: &Context<'_>,
) -> Bundle {
    build(writer, case, assessment, context, None)
}

/// The results of an assessment of an episode: the Bundle of [`results`], whose Observations
/// and ClinicalImpression name the EpisodeOfCare `episode` (a reference to it).
pub fn in_episode<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    case: &Case,
    assessment: &Assessment<'_>,
    context: &Context<'_>,
    episode: &str,
) -> Bundle {
    build(writer, case, assessment, context, Some(episode))
}

/// The `urn:uuid:` of the part `part` of what the seed `seed` names: a UUID v5 in radiculo's
/// namespace, so that the same seed and part always give the same one.
pub(crate) fn urn(seed: &str, part: &str) -> String {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, CANONICAL.as_bytes());
    let id = Uuid::new_v5(&namespace, format!("{seed}#{part}").as_bytes());
    format!("urn:uuid:{id}")
}

/// The `urn:uuid:` of the results Bundle seeded with `seed`: its identifier, and its
/// `fullUrl` where it is an entry of another Bundle.
pub(crate) fn bundle_urn(seed: &str) -> String {
    urn(seed, "bundle")
}

fn build<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    case: &Case,
    assessment: &Assessment<'_>,
    context: &Context<'_>,
    episode: Option<&str>,
) -> Bundle {
    let kb = writer.engine().kb();
    let model = writer.model(case, assessment);
    let urn = |part: &str| urn(context.seed, part);
    let extension: Vec<Extension> = episode
        .map(|episode| Extension {
            url: EPISODE_OF_CARE_EXTENSION.to_string(),
            value_boolean: None,
            value_integer: None,
            value_string: None,
            value_code: None,
            value_coding: None,
            value_codeable_concept: None,
            value_reference: Some(Reference::to(episode)),
        })
        .into_iter()
        .collect();
    let mut entry = Vec::new();
    let subject = match context.subject {
        Subject::Reference(reference) => Reference::to(reference),
        Subject::Given(patient) => {
            entry.push(Entry {
                full_url: urn("patient"),
                resource: Resource::Given(patient.clone()),
            });
            Reference::to(&urn("patient"))
        }
        Subject::FromCase | Subject::Identified(_) => {
            let identifier = match context.subject {
                Subject::Identified(value) => vec![Identifier {
                    system: None,
                    value: value.to_string(),
                }],
                _ => Vec::new(),
            };
            entry.push(Entry {
                full_url: urn("patient"),
                resource: Resource::Patient(Patient {
                    resource_type: "Patient",
                    identifier,
                    gender: case.sex.map(Sex::as_str),
                }),
            });
            Reference::to(&urn("patient"))
        }
    };
    let derived_from: Vec<Reference> = context
        .response
        .map(|qr| {
            entry.push(Entry {
                full_url: urn("response"),
                resource: Resource::Given(qr.clone()),
            });
            Reference::to(&urn("response"))
        })
        .into_iter()
        .collect();

    let observation = |code: Coding, category: &str, value: Value| {
        let mut o = Observation {
            resource_type: "Observation",
            extension: extension.clone(),
            status: "final",
            category: vec![CodeableConcept::coded(category_coding(category))],
            code: CodeableConcept::coded(code),
            subject: subject.clone(),
            effective_date_time: context.timestamp.to_string(),
            issued: context.timestamp.to_string(),
            value_boolean: None,
            value_integer: None,
            data_absent_reason: None,
            derived_from: derived_from.clone(),
        };
        match value {
            Value::Bool(b) => o.value_boolean = Some(b),
            Value::Number(n) => o.value_integer = n.as_i64(),
            _ => {
                o.data_absent_reason = Some(CodeableConcept::coded(Coding::new(
                    DATA_ABSENT_REASON,
                    "asked-unknown",
                    "Asked But Unknown",
                )))
            }
        }
        Resource::Observation(o)
    };
    let number = |code: &str, value: i64| {
        let coding = System::Finding.coding(kb, codes::number_field(code));
        observation(coding, "survey", Value::from(value))
    };
    let mut observations = vec![number("age", i64::from(case.age))];
    observations.extend(
        case.duration_days
            .map(|d| number("symptom_duration_days", d.into())),
    );
    observations.extend(case.pain_score.map(|p| number("pain_score", p.into())));
    for f in case.asked_set().iter() {
        let def = kb.vocab.def(f);
        let coding = System::Finding.coding(kb, codes::finding(kb, f));
        let category = if def.examiner { "exam" } else { "survey" };
        let value = case.state(f).map_or(Value::Null, Value::Bool);
        observations.push(observation(coding, category, value));
    }
    let full_urls: Vec<String> = (0..observations.len())
        .map(|i| urn(&format!("observation/{i}")))
        .collect();
    let basis: Vec<Reference> = full_urls.iter().map(|url| Reference::to(url)).collect();
    entry.extend(
        observations
            .into_iter()
            .zip(full_urls)
            .map(|(resource, full_url)| Entry { full_url, resource }),
    );

    let risk = risk_assessment(kb, &model, subject.clone(), context, basis.clone());
    entry.push(Entry {
        full_url: urn("risk-assessment"),
        resource: Resource::RiskAssessment(risk),
    });
    let mut impression = clinical_impression(
        kb,
        &model,
        subject,
        context,
        basis,
        Reference::to(&urn("risk-assessment")),
    );
    impression.extension = extension;
    entry.push(Entry {
        full_url: urn("clinical-impression"),
        resource: Resource::ClinicalImpression(impression),
    });
    Bundle {
        resource_type: "Bundle",
        identifier: Some(Identifier {
            system: Some("urn:ietf:rfc:3986".to_string()),
            value: bundle_urn(context.seed),
        }),
        kind: "collection",
        timestamp: context.timestamp.to_string(),
        entry,
    }
}

fn category_coding(code: &str) -> Coding {
    let display = match code {
        "exam" => "Exam",
        _ => "Survey",
    };
    Coding::new(OBSERVATION_CATEGORY, code, display)
}

/// The knowledge-base index of the item of `items` whose id is `id`, a model's text.
fn position<T>(items: &[T], id: &serde_json::value::RawValue, key: impl Fn(&T) -> &str) -> usize {
    let id = text(id);
    items
        .iter()
        .position(|item| key(item) == id)
        .expect("the model names only the knowledge base's own ids")
}

fn risk_assessment(
    kb: &Kb,
    model: &AssessmentJson<'_>,
    subject: Reference,
    context: &Context<'_>,
    basis: Vec<Reference>,
) -> RiskAssessment {
    let conditions = model.conditions.iter().map(|c| {
        let i = position(&kb.model.conditions, c.id, |d| &d.id);
        let def = &kb.model.conditions[i];
        let mut coding = vec![
            System::Condition.coding(kb, codes::condition(kb, i)),
            Coding::new(ICD10CM, &text(c.icd10), &text(c.icd10_display)),
        ];
        if let Some((code, display)) = &def.snomed {
            coding.push(Coding::new(SNOMED, code, display));
        }
        Prediction {
            outcome: CodeableConcept {
                coding,
                text: Some(text(c.name)),
            },
            probability_decimal: c.probability,
            qualitative_risk: Some(CodeableConcept::text(&text(c.likelihood))),
        }
    });
    let root_concepts = System::NerveRoot.concepts(kb);
    let roots = model.roots.iter().map(|r| {
        let code = format!("{}.{}", text(r.root), text(r.side));
        let concept = root_concepts
            .iter()
            .find(|c| c.code == code)
            .expect("the model names only the knowledge base's roots")
            .clone();
        Prediction {
            outcome: CodeableConcept::coded(System::NerveRoot.coding(kb, concept)),
            probability_decimal: r.probability,
            qualitative_risk: Some(CodeableConcept::text(&text(r.likelihood))),
        }
    });
    let m = &model.mechanism;
    let mechanisms = Mechanism::ALL
        .iter()
        .zip([m.radicular, m.referred, m.other])
        .map(|(mechanism, p)| Prediction {
            outcome: CodeableConcept::text(&format!("pain mechanism: {}", mechanism.as_str())),
            probability_decimal: p,
            qualitative_risk: None,
        });
    RiskAssessment {
        resource_type: "RiskAssessment",
        status: "final",
        method: CodeableConcept::text(&format!(
            "radiculo, knowledge base {}: exact inference on a discrete Bayesian network of the findings",
            text(model.kb_version)
        )),
        code: CodeableConcept::text(
            "The probability of each cause, nerve root and pain mechanism of back-related leg pain",
        ),
        subject,
        occurrence_date_time: context.timestamp.to_string(),
        basis,
        prediction: conditions.chain(roots).chain(mechanisms).collect(),
        note: vec![Annotation {
            text: text(model.disclaimer),
        }],
    }
}

fn clinical_impression(
    kb: &Kb,
    model: &AssessmentJson<'_>,
    subject: Reference,
    context: &Context<'_>,
    observations: Vec<Reference>,
    risk: Reference,
) -> ClinicalImpression {
    let triage = &model.triage;
    let level = TriageLevel::parse(&text(triage.level))
        .expect("the model names only the knowledge base's levels");
    let reasons: Vec<String> = triage
        .reasons
        .iter()
        .map(|r| with_findings(kb, &text(r.clinician_text), r.findings))
        .collect();
    let mut finding = vec![ImpressionFinding {
        item_codeable_concept: CodeableConcept::coded(
            System::TriageLevel.coding(kb, codes::level(kb, level)),
        ),
        basis: (!reasons.is_empty()).then(|| reasons.join(" ")),
    }];
    finding.extend(model.red_flags.iter().map(|f| {
        let i = position(&kb.red_flags, f.id, |d| &d.id);
        ImpressionFinding {
            item_codeable_concept: CodeableConcept::coded(
                System::RedFlag.coding(kb, codes::red_flag(kb, i)),
            ),
            basis: Some(with_findings(kb, &text(f.clinician_text), f.findings)),
        }
    }));
    let note = model
        .plan
        .iter()
        .map(|p| Annotation { text: text(p.text) })
        .chain([Annotation {
            text: text(model.disclaimer),
        }])
        .collect();
    ClinicalImpression {
        resource_type: "ClinicalImpression",
        extension: Vec::new(),
        status: "completed",
        code: CodeableConcept::text("Triage of back-related leg pain"),
        description: format!(
            "radiculo's triage, red flags and plan, knowledge base {}",
            text(model.kb_version)
        ),
        subject,
        effective_date_time: context.timestamp.to_string(),
        date: context.timestamp.to_string(),
        investigation: vec![Investigation {
            code: CodeableConcept::text("The answers and examination findings assessed"),
            item: observations,
        }],
        summary: format!(
            "{} {}",
            text(triage.clinician_headline),
            text(triage.clinician_instruction)
        ),
        finding,
        supporting_info: vec![risk],
        note,
    }
}

/// A rule's or red flag's text with the findings that raised it, in the clinician's words.
fn with_findings(kb: &Kb, statement: &str, findings: Findings<'_>) -> String {
    let named: Vec<&str> = findings
        .ids()
        .iter()
        .map(|&f: &FindingId| kb.vocab.def(f).clinician.as_str())
        .collect();
    if named.is_empty() {
        statement.to_string()
    } else {
        format!("{statement} (findings: {})", named.join("; "))
    }
}
