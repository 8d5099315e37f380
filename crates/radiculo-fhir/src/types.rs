//! The FHIR R4 (4.0.1) data types and resources radiculo writes, as serde structs: only the
//! elements it fills. FHIR JSON has no `null` and no empty arrays or objects, so every optional
//! element is left out when absent and every list when empty.

use serde::Serialize;

/// `Coding`: a code from a code system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coding {
    pub system: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    /// A code of `system` with its display.
    pub fn new(system: &str, code: &str, display: &str) -> Coding {
        Coding {
            system: system.to_string(),
            version: None,
            code: code.to_string(),
            display: Some(display.to_string()),
        }
    }
}

/// `CodeableConcept`: codings and the text a person reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// One coding, its display as the text.
    pub fn coded(coding: Coding) -> CodeableConcept {
        let text = coding.display.clone();
        CodeableConcept {
            coding: vec![coding],
            text,
        }
    }

    /// Text alone, for what no code system names.
    pub fn text(text: &str) -> CodeableConcept {
        CodeableConcept {
            coding: Vec::new(),
            text: Some(text.to_string()),
        }
    }
}

/// `Reference`: a link to another resource (in a Bundle, an entry's `fullUrl`), or a logical
/// reference by the resource's identifier alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    /// A literal reference without display.
    pub fn to(reference: &str) -> Reference {
        Reference {
            reference: Some(reference.to_string()),
            kind: None,
            identifier: None,
            display: None,
        }
    }

    /// A logical reference to a resource of type `kind` by its identifier alone (no literal
    /// reference, no display): a resource radiculo knows only by the caller's id for it.
    pub fn by_identifier(kind: &'static str, identifier: Identifier) -> Reference {
        Reference {
            reference: None,
            kind: Some(kind),
            identifier: Some(identifier),
            display: None,
        }
    }
}

/// `Identifier`. The `system` is absent where radiculo does not know the namespace of the
/// value (a client's own reference for a person).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identifier {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub value: String,
}

/// `Extension`, with the value types radiculo uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_coding: Option<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_reference: Option<Reference>,
}

/// `Meta`: the profiles a resource claims.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    pub profile: Vec<String>,
}

/// `Questionnaire.item.enableWhen`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableWhen {
    pub question: String,
    pub operator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_coding: Option<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_integer: Option<i64>,
}

/// `Questionnaire.item.answerOption`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerOption {
    pub value_coding: Coding,
}

/// `Questionnaire.item`: a question, a group of items, or text to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionnaireItem {
    pub link_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enable_when: Vec<EnableWhen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_behavior: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_value_set: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answer_option: Vec<AnswerOption>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<QuestionnaireItem>,
}

/// What every definition radiculo publishes says of itself: its resource type and id, its
/// canonical URL (`{CANONICAL}/{type}/{id}`), the knowledge-base version, its names, and that
/// radiculo publishes it, active. Flattened into each definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    pub resource_type: &'static str,
    pub id: String,
    pub url: String,
    pub version: String,
    pub name: String,
    pub title: String,
    pub status: &'static str,
    pub publisher: String,
    pub description: String,
}

impl Definition {
    /// The header of the definition `id` of type `resource_type`, for knowledge-base `version`.
    pub fn new(
        resource_type: &'static str,
        id: &str,
        version: &str,
        name: &str,
        title: &str,
        description: &str,
    ) -> Definition {
        Definition {
            resource_type,
            id: id.to_string(),
            url: format!("{}/{resource_type}/{id}", crate::CANONICAL),
            version: version.to_string(),
            name: name.to_string(),
            title: title.to_string(),
            status: "active",
            publisher: crate::PUBLISHER.to_string(),
            description: description.to_string(),
        }
    }
}

/// `Questionnaire`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Questionnaire {
    #[serde(flatten)]
    pub definition: Definition,
    pub subject_type: Vec<&'static str>,
    pub item: Vec<QuestionnaireItem>,
}

/// `Questionnaire` as SDC's adaptive profile (`sdc-questionnaire-adapt`) has it, contained in
/// the QuestionnaireResponse it is asked through: a one-off form with no canonical URL or
/// version of its own (the profile forbids both); `derivedFrom` names the Questionnaire its
/// items come from, and `$next-question` appends them one at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdaptiveQuestionnaire {
    pub resource_type: &'static str,
    pub id: String,
    pub extension: Vec<Extension>,
    pub title: String,
    pub status: &'static str,
    pub subject_type: Vec<&'static str>,
    pub derived_from: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<QuestionnaireItem>,
}

/// `CodeSystem.concept`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concept {
    pub code: String,
    pub display: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

/// `CodeSystem`: radiculo's own codes, complete.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSystem {
    #[serde(flatten)]
    pub definition: Definition,
    pub case_sensitive: bool,
    pub value_set: String,
    pub content: &'static str,
    pub count: usize,
    pub concept: Vec<Concept>,
}

/// `ValueSet.compose.include`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueSetInclude {
    pub system: String,
    pub version: String,
}

/// `ValueSet.compose`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueSetCompose {
    pub include: Vec<ValueSetInclude>,
}

/// `ValueSet`: every code of one of radiculo's code systems.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueSet {
    #[serde(flatten)]
    pub definition: Definition,
    pub compose: ValueSetCompose,
}

/// `CapabilityStatement.software`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Software {
    pub name: String,
    pub version: String,
}

/// `CapabilityStatement.rest.resource.interaction` and `.operation`, by name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interaction {
    pub code: &'static str,
}

/// `CapabilityStatement.rest.resource.operation` (and `rest.operation`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    pub name: &'static str,
    pub definition: String,
}

/// `CapabilityStatement.rest.resource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestResource {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interaction: Vec<Interaction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operation: Vec<Operation>,
}

/// `CapabilityStatement.rest`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rest {
    pub mode: &'static str,
    pub documentation: String,
    pub resource: Vec<RestResource>,
}

/// `CapabilityStatement`: what this server does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityStatement {
    pub resource_type: &'static str,
    pub status: &'static str,
    pub date: String,
    pub publisher: String,
    pub description: String,
    pub kind: &'static str,
    pub software: Software,
    pub fhir_version: &'static str,
    pub format: Vec<&'static str>,
    pub rest: Vec<Rest>,
}

/// `OperationOutcome.issue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub severity: &'static str,
    pub code: &'static str,
    pub diagnostics: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

/// `OperationOutcome`: why a request failed, issue by issue, each with where it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    pub resource_type: &'static str,
    pub issue: Vec<Issue>,
}

impl OperationOutcome {
    /// One error.
    pub fn error(
        code: &'static str,
        diagnostics: &str,
        expression: Option<&str>,
    ) -> OperationOutcome {
        OperationOutcome {
            resource_type: "OperationOutcome",
            issue: vec![Issue {
                severity: "error",
                code,
                diagnostics: diagnostics.to_string(),
                expression: expression.map(str::to_string).into_iter().collect(),
            }],
        }
    }
}

/// `Annotation`: a note (Markdown).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotation {
    pub text: String,
}

/// `Observation`: one answer of the case, a finding (present, absent, or asked but not
/// known) or one of its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub resource_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    pub effective_date_time: String,
    pub issued: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_absent_reason: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<Reference>,
}

/// `RiskAssessment.prediction`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    pub outcome: CodeableConcept,
    pub probability_decimal: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualitative_risk: Option<CodeableConcept>,
}

/// `RiskAssessment`: the probability of each condition, of each nerve root by side and of
/// each pain mechanism, with the observations they rest on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskAssessment {
    pub resource_type: &'static str,
    pub status: &'static str,
    pub method: CodeableConcept,
    pub code: CodeableConcept,
    pub subject: Reference,
    pub occurrence_date_time: String,
    pub basis: Vec<Reference>,
    pub prediction: Vec<Prediction>,
    pub note: Vec<Annotation>,
}

/// `ClinicalImpression.investigation`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Investigation {
    pub code: CodeableConcept,
    pub item: Vec<Reference>,
}

/// `ClinicalImpression.finding`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpressionFinding {
    pub item_codeable_concept: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

/// `ClinicalImpression`: the triage, the red flags raised and the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClinicalImpression {
    pub resource_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub code: CodeableConcept,
    pub description: String,
    pub subject: Reference,
    pub effective_date_time: String,
    pub date: String,
    pub investigation: Vec<Investigation>,
    pub summary: String,
    pub finding: Vec<ImpressionFinding>,
    pub supporting_info: Vec<Reference>,
    pub note: Vec<Annotation>,
}

/// `Patient`, as far as an assessment knows the person: only the sex, when no Patient was
/// given (FHIR's Patient has no age; the age is an Observation), and the caller's opaque
/// identifier for the person when it gave one (never a name).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    pub resource_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<&'static str>,
}

/// A resource in a Bundle: one radiculo wrote, or one it was given and passes on as it came.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Resource {
    Observation(Observation),
    RiskAssessment(RiskAssessment),
    ClinicalImpression(ClinicalImpression),
    Patient(Patient),
    EpisodeOfCare(EpisodeOfCare),
    DetectedIssue(DetectedIssue),
    /// A Bundle in a Bundle: an assessment's results in its episode's Bundle.
    Bundle(Box<Bundle>),
    /// A resource as it was given (the QuestionnaireResponse assessed, the caller's Patient).
    Given(serde_json::Value),
}

/// `Bundle.entry`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub full_url: String,
    pub resource: Resource,
}

/// `Bundle`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub timestamp: String,
    pub entry: Vec<Entry>,
}

/// `Period`: from `start`, to `end` when it has one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    pub start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// `EpisodeOfCare`: one person's assessments over time, from the episode's creation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpisodeOfCare {
    pub resource_type: &'static str,
    pub id: String,
    pub status: &'static str,
    pub patient: Reference,
    pub period: Period,
}

/// `DetectedIssue.evidence`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub detail: Vec<Reference>,
}

/// `DetectedIssue`: an alert of an episode's course, found at one assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedIssue {
    pub resource_type: &'static str,
    pub status: &'static str,
    pub code: CodeableConcept,
    pub patient: Reference,
    pub identified_date_time: String,
    pub implicated: Vec<Reference>,
    pub evidence: Vec<Evidence>,
    pub detail: String,
}

/// `OperationDefinition.parameter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationParameter {
    pub name: &'static str,
    #[serde(rename = "use")]
    pub r#use: &'static str,
    pub min: u32,
    pub max: &'static str,
    pub documentation: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `OperationDefinition`: an operation radiculo defines.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationDefinition {
    #[serde(flatten)]
    pub definition: Definition,
    pub kind: &'static str,
    pub affects_state: bool,
    pub code: &'static str,
    pub resource: Vec<&'static str>,
    pub system: bool,
    #[serde(rename = "type")]
    pub r#type: bool,
    pub instance: bool,
    pub parameter: Vec<OperationParameter>,
}

/// `QuestionnaireResponse.item.answer`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_coding: Option<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
}

/// `QuestionnaireResponse.item`: an answered question, or a group of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseItem {
    pub link_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answer: Vec<ResponseAnswer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<ResponseItem>,
}

/// `QuestionnaireResponse`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionnaireResponse {
    pub resource_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub questionnaire: String,
    pub status: &'static str,
    pub authored: String,
    pub item: Vec<ResponseItem>,
}
